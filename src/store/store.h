/* store.h: the one typed interface to Pipit's persistent state.  No SQL
 * exists above src/store/.  Backends (sqlite/, later postgres/) implement
 * pp_store_backend_t; this facade adds what is common to all of them: the
 * group-commit writer.
 *
 * Model.  Reads are synchronous and may run on any thread at once.  Writes
 * are typed operations (pp_write_t) queued to one writer thread per store
 * that applies everything queued so far in one transaction and commits it
 * durably before it calls each write's `done` callback.  So a caller that
 * answers only from `done` never acknowledges an uncommitted change, and
 * many concurrent writers share one fsync (group commit).  Nothing in this
 * interface assumes a single writer process: a backend may run several
 * nodes against one database, and each write is self-contained (it carries
 * its own conditions, e.g. "cancel only if scheduled"). */
#ifndef PP_STORE_STORE_H
#define PP_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/ids.h"
#include "security/audit.h"
#include "security/checkpoint.h"
#include "security/merkle.h"

typedef struct pp_store pp_store_t;

/* ---- Rows ------------------------------------------------------------ */

#define PP_TOKEN_SIZE 33 /* 32 hex + NUL */

typedef struct {
  int64_t seq; /* store-assigned, increasing; keyset for listing */
  char sid[PP_SID_SIZE];
  char owner_sid[PP_SID_SIZE]; /* parent account; == sid for a main account */
  char friendly_name[65];
  char status[12]; /* active | suspended | closed */
  char auth_token[PP_TOKEN_SIZE];      /* secret: wipe after use */
  char secondary_token[PP_TOKEN_SIZE]; /* "" when there is none */
  int64_t secondary_created;
  int64_t date_created, date_updated;
} pp_account_t;

typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char friendly_name[65];
  unsigned char secret_hash[32]; /* BLAKE2b-256 of the secret; never the secret */
  int64_t date_created, date_updated;
} pp_key_t;

/* Text fields of a message point into the arena given to the read, or into
 * caller memory for writes. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char messaging_service_sid[PP_SID_SIZE]; /* "" when none */
  const char *to, *from, *body;
  const char *media_urls; /* newline-separated, "" when none */
  const char *status_callback; /* NULL when none */
  const char *error_message;   /* NULL when none */
  const char *direction; /* inbound | outbound-api | outbound-call | outbound-reply */
  const char *status;    /* queued | scheduled | canceled | sent | ... */
  int num_media, num_segments, error_code, validity_period;
  int64_t date_created, date_updated;
  int64_t date_sent; /* 0: not sent */
  int64_t send_at;   /* 0: not scheduled */
} pp_message_t;

/* A phone number an account owns (IncomingPhoneNumbers).  URL fields point
 * into the read's arena, or caller memory for writes; NULL when unset. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE]; /* PN… */
  char account_sid[PP_SID_SIZE];
  char phone_number[20]; /* E.164 */
  char friendly_name[65];
  char sms_method[5], sms_fallback_method[5], status_callback_method[5]; /* GET | POST */
  const char *sms_url, *sms_fallback_url, *status_callback;
  int64_t date_created, date_updated;
} pp_number_t;

/* A Messaging Service (MG…) of an account: the settings its messages share
 * and, through pp_service_number_t, its sender pool.  URL fields point into
 * the read's arena, or caller memory for writes; NULL when unset. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE]; /* MG… */
  char account_sid[PP_SID_SIZE];
  char friendly_name[65];
  char inbound_method[5], fallback_method[5]; /* GET | POST */
  char scan_message_content[8];               /* inherit | enable | disable */
  char usecase[16];                           /* notifications | … | undeclared */
  const char *inbound_request_url, *fallback_url, *status_callback;
  bool sticky_sender, mms_converter, smart_encoding, fallback_to_long_code,
      area_code_geomatch, synchronous_validation, use_inbound_webhook_on_number;
  int validity_period; /* seconds, 1..36000 */
  int64_t date_created, date_updated;
} pp_service_t;

/* A phone number in a Messaging Service's sender pool.  A number is in at
 * most one service; releasing the number or deleting the service takes it
 * out of the pool. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE]; /* the IncomingPhoneNumber's PN… */
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char phone_number[20]; /* reads only: the number's E.164 */
  int64_t date_created, date_updated;
} pp_service_number_t;

/* A carrier: an SMSC Pipit binds to as an ESME.  `password` is a secret. */
typedef struct {
  int64_t seq;
  char name[64];
  char host[256];
  int port;
  char system_id[17], password[10], system_type[14];
  char bind_mode[8]; /* "trx" or "tx+rx" */
  char concat[4];    /* long messages: "udh" (header in the text) or "sar" (TLVs) */
  int payload;       /* 1: the whole text in one message_payload TLV, no parts */
  char gsm7[10];     /* GSM-7 text (data_coding 0): "unpacked" septets or "packed" */
  int window, mps, binds;
  int64_t date_created, date_updated;
} pp_carrier_t;

/* A routing rule: destinations starting with `prefix` go to `carrier`;
 * the longest prefix wins, then the lowest priority number; the others of
 * the same prefix are failovers. */
typedef struct {
  int64_t seq;
  char prefix[17];
  char carrier[64];
  int priority;
  int64_t date_created;
} pp_route_rule_t;

/* A message the delivery engine claimed: what it needs to send it. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  const char *to, *from, *body; /* arena */
  int validity_period, attempts;
  int64_t date_created;
} pp_outbound_t;

/* One submitted part, as the carrier's SMSC knows it. */
typedef struct {
  char smsc_id[66];
  int part, parts; /* 1-based part of parts */
} pp_part_ref_t;

/* Receipt states (the values of SMPP's message_state). */
typedef enum {
  PP_DLR_ENROUTE = 1, PP_DLR_DELIVERED = 2, PP_DLR_EXPIRED = 3, PP_DLR_DELETED = 4,
  PP_DLR_UNDELIVERABLE = 5, PP_DLR_ACCEPTED = 6, PP_DLR_UNKNOWN = 7, PP_DLR_REJECTED = 8
} pp_dlr_state_t;

/* A webhook request the dispatcher claimed.  The store queues one, in the
 * transaction that made the change it reports: a status callback when a
 * message with a status callback URL is created `queued` or its status
 * becomes sent, delivered, undelivered, failed, canceled or read; an
 * inbound request when an inbound message arrives on a number with an SMS
 * URL.  Requests of one message and kind are claimed one at a time, oldest
 * first, so its callbacks go out in the order of its changes. */
typedef struct {
  int64_t seq;
  char token[PP_TOKEN_SIZE];     /* I-Twilio-Idempotency-Token: the same on every attempt */
  char account_sid[PP_SID_SIZE];
  char message_sid[PP_SID_SIZE];
  char kind[8];                  /* status | inbound */
  char event[16];                /* the message status it reports */
  char method[5];                /* GET | POST */
  const char *url;               /* arena */
  int error_code;                /* the message's at the change */
  int attempts;                  /* including this one */
  int redirects;                 /* <Redirect> hops that led here */
  int64_t created_ms;            /* when the change happened */
} pp_hook_t;

/* A Twilio-style debugger alert (/monitor/v1/Alerts).  Text fields point
 * into the read's arena or caller memory; NULL when unset. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE]; /* NO... */
  char account_sid[PP_SID_SIZE];
  int error_code;
  char log_level[8]; /* error | warning | notice | debug */
  const char *alert_text, *request_method, *request_url, *request_variables;
  const char *response_body, *response_headers, *resource_sid, *service_sid;
  int64_t date_created;
} pp_alert_t;

/* One entry of the audit log (docs/internals/audit.md): its leaf, and the
 * index columns kept beside it for searches (derived from the leaf; `pipit
 * audit verify` checks that they agree).  Text points into the read's
 * arena.  `leaf` is NULL in search results (they read the indexes only). */
typedef struct {
  int64_t seq;                      /* the leaf index, from 0 */
  int64_t time_ms;                  /* Unix milliseconds */
  const unsigned char *leaf;
  size_t leaf_len;
  unsigned char leaf_hash[PP_MERKLE_HASH_LEN]; /* as stored */
  bool leaf_hash_ok;                /* the stored leaf hash had 32 bytes */
  const char *event, *principal, *session, *ip, *account_sid, *outcome;
  const char *const *resources;     /* from the resource index, sorted */
  size_t nresources;
} pp_audit_entry_t;

/* The committed head of the audit tree. */
typedef struct {
  uint64_t size;
  unsigned char root[PP_MERKLE_HASH_LEN];
} pp_audit_head_t;

/* A signed checkpoint the store keeps (every one ever made). */
typedef struct {
  int64_t seq;                      /* store-assigned, increasing */
  uint64_t tree_size;
  unsigned char root[PP_MERKLE_HASH_LEN];
  int64_t time;                     /* Unix seconds */
  char note[PP_CHECKPOINT_MAX_LEN]; /* the signed note, NUL-terminated */
} pp_audit_checkpoint_t;

/* PP_W_AUDIT_CHECKPOINT: sign the tree as it is at this point of the batch
 * (every earlier write of the batch included) and keep the checkpoint. */
typedef struct {
  const pp_log_signer_t *signer;
  const char *origin;
  int64_t now;                      /* Unix seconds */
  bool force;                       /* sign even if the tree did not grow */
  bool skipped;                     /* out: not forced and no new leaves */
  pp_audit_checkpoint_t out;        /* out: what was kept */
} pp_audit_checkpoint_req_t;

/* ---- Writes ---------------------------------------------------------- */

typedef enum {
  PP_W_ACCOUNT_INSERT, /* u.account */
  PP_W_ACCOUNT_UPDATE, /* u.account: name, status, tokens, date_updated by sid */
  PP_W_KEY_INSERT,     /* u.key */
  PP_W_KEY_UPDATE,     /* u.key: friendly_name, date_updated by sid+account */
  PP_W_KEY_DELETE,     /* u.ref */
  PP_W_MESSAGE_INSERT, /* u.message; seq is written back on success */
  PP_W_MESSAGE_PATCH,  /* u.patch */
  PP_W_MESSAGE_DELETE, /* u.ref */
  PP_W_NUMBER_INSERT,  /* u.number; a taken phone_number is PP_ERR_CONFLICT */
  PP_W_NUMBER_UPDATE,  /* u.number: every field but sid, account, number */
  PP_W_NUMBER_DELETE,  /* u.ref */
  PP_W_CARRIER_PUT,    /* u.carrier: insert, or replace the one of that name */
  PP_W_CARRIER_DELETE, /* u.name: the carrier and its routes */
  PP_W_ROUTE_PUT,      /* u.route: insert or replace (prefix, carrier) */
  PP_W_ROUTE_DELETE,   /* u.route: by (prefix, carrier) */
  PP_W_CLAIM,          /* u.claim: lease due messages to the delivery engine */
  PP_W_SUBMITTED,      /* u.submitted: every part accepted by the SMSC: `sent` */
  PP_W_DELIVERY_RETRY, /* u.retry: back to `queued` at next_attempt */
  PP_W_DELIVERY_FAIL,  /* u.fail: `failed` (or `undelivered`) with an error */
  PP_W_RECEIPT,        /* u.receipt: a delivery receipt for one part */
  PP_W_MO_PART,        /* u.mo_part: one part of a concatenated inbound message */
  PP_W_SENDER_PUT,     /* u.sender: allow an alphanumeric sender ID for an account */
  PP_W_SENDER_DELETE,  /* u.sender: withdraw it */
  PP_W_HOOK_CLAIM,     /* u.hook_claim: lease due webhook requests to the dispatcher */
  PP_W_HOOK_RESULT,    /* u.hook_result: what came of one webhook request */
  /* Messaging Services and their sender pools. */
  PP_W_SERVICE_INSERT, /* u.service */
  PP_W_SERVICE_UPDATE, /* u.service: every field but sid, account, date_created */
  PP_W_SERVICE_DELETE, /* u.ref: the service and its pool */
  /* u.service_number: sid, service_sid, account_sid, dates.  Adds the
   * account's number to the account's service: PP_ERR_NOT_FOUND when either
   * is not (or no longer) there, PP_ERR_CONFLICT when the number is in a
   * service already. */
  PP_W_SERVICE_NUMBER_INSERT,
  PP_W_SERVICE_NUMBER_DELETE, /* u.service_number: by sid, service_sid, account_sid */
  /* Audit log (docs/internals/audit.md).  Any write may carry an event in
   * w->audit; these two are writes of the log alone. */
  PP_W_AUDIT,                 /* nothing but w->audit */
  PP_W_AUDIT_CHECKPOINT,      /* u.checkpoint */
} pp_write_kind_t;

typedef struct {
  int64_t now, lease_until;
  size_t limit;
  pp_arena_t *arena;   /* rows are allocated here */
  pp_outbound_t *rows; /* out */
  size_t n;            /* out */
} pp_claim_t;

typedef struct {
  int64_t seq, now;
  const char *carrier;
  const pp_part_ref_t *parts;
  size_t n;
} pp_submitted_t;

typedef struct {
  int64_t seq, next_attempt;
} pp_retry_t;

typedef struct {
  int64_t seq, now;
  const char *status; /* failed | undelivered */
  int error_code;
  const char *error_message;
} pp_fail_t;

typedef struct {
  const char *carrier, *smsc_id;
  pp_dlr_state_t state;
  int error_code; /* Twilio's, 0 when delivered */
  int64_t now;
  int64_t message_seq; /* out: the message it finished, 0 if none (yet) */
} pp_receipt_t;

/* One part of a concatenated inbound message, kept in the store until its
 * siblings arrive (so a part acknowledged to the SMSC survives a crash).
 * The part that completes the set turns them into `message` (inserted with
 * the joined text as its body; the parts are then deleted) and sets
 * `completed`.  A part already held changes nothing; parts older than 24 h
 * are dropped. */
typedef struct {
  const char *src, *dst; /* E.164 or alphanumeric, as received */
  int ref, total, part;  /* concatenation reference; part is 1..total */
  const char *text;      /* this part's text, UTF-8 */
  int64_t now;
  pp_message_t *message; /* the inbound message to insert; body is set by the store */
  bool completed;        /* out */
} pp_mo_part_t;

/* An alphanumeric sender ID an account may use as `From`. */
typedef struct {
  const char *account_sid, *sender;
  int64_t now;
} pp_sender_t;

typedef struct {
  int64_t now_ms, lease_until_ms;
  size_t limit;
  pp_arena_t *arena; /* rows are allocated here */
  pp_hook_t *rows;   /* out */
  size_t n;          /* out */
} pp_hook_claim_t;

typedef enum {
  PP_HOOK_DONE,  /* answered: the request is removed; replies and follow-up are queued */
  PP_HOOK_RETRY, /* try again at next_attempt_ms */
  PP_HOOK_DROP   /* given up: removed */
} pp_hook_outcome_t;

typedef struct {
  int64_t seq;
  pp_hook_outcome_t outcome;
  int64_t next_attempt_ms;  /* PP_HOOK_RETRY */
  pp_message_t *replies;    /* PP_HOOK_DONE: messages to insert (TwiML <Message>) */
  size_t nreplies;
  /* Reply loop guard: a reply is not inserted when `reply_max` replies
   * (direction outbound-reply) between its two numbers were created since
   * `reply_since` (Unix seconds); then `reply_alert` is recorded (once) and
   * `replies_refused` counts the replies left out (out).  0: no guard. */
  int reply_max;
  int64_t reply_since;
  pp_alert_t *reply_alert;
  size_t replies_refused;
  const char *redirect_url; /* PP_HOOK_DONE: a follow-up request (TwiML <Redirect>) */
  const char *redirect_method;
  pp_alert_t *alert;        /* recorded with any outcome; NULL for none */
} pp_hook_result_t;

typedef struct {
  const char *account_sid, *sid;
} pp_ref_t;

typedef struct {
  const char *account_sid, *sid;
  const char *body;      /* non-NULL: set the body (redaction sets "") */
  const char *status;    /* non-NULL: set the status ... */
  const char *if_status; /* ... only when the current status is this */
  int64_t date_updated;
} pp_message_patch_t;

typedef struct pp_write pp_write_t;

/* pp_write_done_fn is called once per write, on the writer thread, after the
 * transaction holding it committed (w->result == PP_OK) or failed.  It must
 * not block; typically it wakes the request that waits for it. */
typedef void (*pp_write_done_fn)(pp_write_t *w);

struct pp_write {
  pp_write_kind_t kind;
  union {
    pp_account_t *account;
    pp_key_t *key;
    pp_message_t *message;
    pp_number_t *number;
    pp_carrier_t *carrier;
    pp_route_rule_t *route;
    const char *name;
    pp_claim_t claim;
    pp_submitted_t submitted;
    pp_retry_t retry;
    pp_fail_t fail;
    pp_receipt_t receipt;
    pp_mo_part_t mo_part;
    pp_sender_t sender;
    pp_hook_claim_t hook_claim;
    pp_hook_result_t hook_result;
    pp_message_patch_t patch;
    pp_ref_t ref;
    pp_service_t *service;
    pp_service_number_t *service_number;
    pp_audit_checkpoint_req_t *checkpoint;
  } u;
  /* Out: PP_OK, PP_ERR_NOT_FOUND (update/delete matched no row),
   * PP_ERR_CONFLICT (insert of an existing SID, or patch condition false),
   * PP_ERR_STORE. */
  pp_err_t result;
  pp_write_done_fn done;
  void *arg;
  pp_write_t *next; /* the store's queue link */
  /* An event appended to the audit log in the same transaction, after the
   * change, with the write's outcome (its `outcome` when already set).  A
   * write that carries one is all or nothing: if the change fails it is
   * undone and the event records the failure; if the event cannot be
   * appended the change is undone and the write fails.  The store sets the
   * event's seq (and time_ms when 0).  NULL: none. */
  pp_audit_event_t *audit;
};

/* ---- Lists ----------------------------------------------------------- */

/* Keyset paging, newest first.  before_seq > 0: rows with seq < before_seq
 * (the next page); after_seq > 0: rows with seq > after_seq (the previous
 * page, still returned newest first). */
typedef struct {
  int64_t before_seq, after_seq;
  size_t limit; /* 1..1000 */
} pp_page_req_t;

typedef struct {
  const char *account_sid;
  const char *to, *from;    /* NULL: any */
  bool has_sent_from, has_sent_until;
  int64_t sent_from;        /* date_sent >= this, when has_sent_from */
  int64_t sent_until;       /* date_sent < this, when has_sent_until */
  pp_page_req_t page;
} pp_message_filter_t;

typedef struct {
  const char *owner_sid;     /* the main account: itself and its subaccounts */
  const char *friendly_name; /* NULL: any */
  const char *status;        /* NULL: any */
  pp_page_req_t page;
} pp_account_filter_t;

typedef struct {
  const char *account_sid;
  const char *phone_number;  /* NULL: any */
  const char *friendly_name; /* NULL: any */
  pp_page_req_t page;
} pp_number_filter_t;

typedef struct {
  const char *account_sid;
  const char *log_level; /* NULL: any */
  bool has_from, has_until;
  int64_t from, until;   /* date_created >= from, < until (Unix seconds) */
  pp_page_req_t page;
} pp_alert_filter_t;

/* The entries about one account, newest first. */
typedef struct {
  const char *account_sid;
  const char *event;        /* a kind name; NULL: any */
  bool has_from, has_until;
  int64_t from_ms, until_ms; /* time_ms >= from, < until */
  pp_page_req_t page;        /* keyset on seq */
} pp_audit_filter_t;

/* The entries of one principal, session or source address (exactly one
 * set) with since_ms <= time_ms < until_ms, oldest first, at most `limit`
 * (0: all), from the indexes kept for this (blast radius). */
typedef struct {
  const char *principal, *session, *ip;
  int64_t since_ms, until_ms;
  size_t limit;
} pp_audit_query_t;

/* ---- Backend vtable -------------------------------------------------- */

typedef struct pp_store_backend pp_store_backend_t;

struct pp_store_backend {
  const char *name;
  /* Opens `target` (backend-specific), creating or migrating the schema. */
  pp_err_t (*open)(const char *target, void **be_out);
  void (*close)(void *be);
  /* Applies `n` writes in one durable transaction.  Sets each w->result;
   * returns PP_OK when the transaction committed (individual writes may
   * still have failed), an error when nothing was committed. */
  pp_err_t (*apply)(void *be, pp_write_t **ws, size_t n);
  pp_err_t (*account_get)(void *be, const char *sid, pp_account_t *out);
  pp_err_t (*account_list)(void *be, pp_arena_t *a, const pp_account_filter_t *f,
                           pp_account_t **rows, size_t *n, bool *more);
  pp_err_t (*key_get)(void *be, const char *sid, pp_key_t *out);
  pp_err_t (*key_list)(void *be, pp_arena_t *a, const char *account_sid,
                       const pp_page_req_t *p, pp_key_t **rows, size_t *n, bool *more);
  pp_err_t (*message_get)(void *be, pp_arena_t *a, const char *account_sid,
                          const char *sid, pp_message_t *out);
  pp_err_t (*message_list)(void *be, pp_arena_t *a, const pp_message_filter_t *f,
                           pp_message_t **rows, size_t *n, bool *more);
  pp_err_t (*message_count)(void *be, int64_t *out);
  /* account_sid NULL: look the number up by phone_number in any account. */
  pp_err_t (*number_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                         const char *phone_number, pp_number_t *out);
  pp_err_t (*number_list)(void *be, pp_arena_t *a, const pp_number_filter_t *f,
                          pp_number_t **rows, size_t *n, bool *more);
  /* Every carrier / route (small tables), into the arena. */
  pp_err_t (*carrier_all)(void *be, pp_arena_t *a, pp_carrier_t **rows, size_t *n);
  pp_err_t (*route_all)(void *be, pp_arena_t *a, pp_route_rule_t **rows, size_t *n);
  /* PP_OK when `sender` is an alphanumeric sender ID allowed to the
   * account, else PP_ERR_NOT_FOUND. */
  pp_err_t (*sender_allowed)(void *be, const char *account_sid, const char *sender);
  /* The earliest next attempt of any webhook request (Unix ms), PP_ERR_NOT_FOUND
   * when none is queued. */
  pp_err_t (*hook_next_due)(void *be, int64_t *out_ms);
  pp_err_t (*alert_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_alert_t *out);
  pp_err_t (*alert_list)(void *be, pp_arena_t *a, const pp_alert_filter_t *f,
                         pp_alert_t **rows, size_t *n, bool *more);
  /* Messaging Services and their sender pools, always within one account. */
  pp_err_t (*service_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                          pp_service_t *out);
  pp_err_t (*service_list)(void *be, pp_arena_t *a, const char *account_sid,
                           const pp_page_req_t *p, pp_service_t **rows, size_t *n, bool *more);
  pp_err_t (*service_number_get)(void *be, const char *account_sid, const char *service_sid,
                                 const char *sid, pp_service_number_t *out);
  pp_err_t (*service_number_list)(void *be, pp_arena_t *a, const char *account_sid,
                                  const char *service_sid, const pp_page_req_t *p,
                                  pp_service_number_t **rows, size_t *n, bool *more);
  /* The sender for a message of the service to `to`: with `sticky`, the
   * pool number the service last sent to `to` from; otherwise (or when there
   * is none) the pool's number at `to_hash` modulo the pool size, in the
   * order the numbers were added.  PP_ERR_NOT_FOUND: the pool is empty. */
  pp_err_t (*service_sender)(void *be, const char *account_sid, const char *service_sid,
                             const char *to, int64_t to_hash, bool sticky, char out[20]);
  /* Audit log: see the pp_store_audit_* functions. */
  pp_err_t (*audit_head)(void *be, pp_audit_head_t *out);
  pp_err_t (*audit_get)(void *be, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out);
  pp_err_t (*audit_list)(void *be, pp_arena_t *a, const pp_audit_filter_t *f,
                         pp_audit_entry_t **rows, size_t *n, bool *more);
  pp_err_t (*audit_scan)(void *be, pp_arena_t *a, int64_t from_seq, size_t limit,
                         pp_audit_entry_t **rows, size_t *n);
  pp_err_t (*audit_search)(void *be, pp_arena_t *a, const pp_audit_query_t *q,
                           pp_audit_entry_t **rows, size_t *n);
  pp_err_t (*audit_node)(void *be, unsigned level, uint64_t index,
                         unsigned char out[PP_MERKLE_HASH_LEN]);
  pp_err_t (*audit_root)(void *be, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]);
  pp_err_t (*audit_proof)(void *be, bool consistency, uint64_t m, uint64_t n,
                          pp_merkle_hash_t *out, size_t cap, size_t *count);
  pp_err_t (*audit_checkpoint_latest)(void *be, pp_audit_checkpoint_t *out);
  pp_err_t (*audit_checkpoint_list)(void *be, pp_arena_t *a, int64_t after_seq, size_t limit,
                                    pp_audit_checkpoint_t **rows, size_t *n);
};

/* ---- Facade ---------------------------------------------------------- */

/* pp_store_open opens a store: "sqlite:DIR", "postgres://…" (not yet built:
 * PP_ERR_INVALID_PARAM), or a bare directory (SQLite).  Starts the writer
 * thread.  On success *out owns everything; free with pp_store_free. */
pp_err_t pp_store_open(const char *url, pp_store_t **out);

/* pp_store_free drains and stops the writer (queued writes are applied),
 * then closes the backend.  NULL is a no-op. */
void pp_store_free(pp_store_t *s);

/* pp_store_submit queues `w`; its `done` runs later on the writer thread.
 * Returns PP_ERR_CLOSED (and never calls done) once the store is closing. */
pp_err_t pp_store_submit(pp_store_t *s, pp_write_t *w);

/* pp_store_write queues `w` and waits for its commit; returns w->result.
 * `w->done` is overwritten. */
pp_err_t pp_store_write(pp_store_t *s, pp_write_t *w);

/* Reads.  Errors: PP_ERR_NOT_FOUND, PP_ERR_NOMEM, PP_ERR_STORE.  `out` and
 * the list outputs are written only on success; list rows live in `a`. */
pp_err_t pp_store_account_get(pp_store_t *s, const char *sid, pp_account_t *out);
pp_err_t pp_store_account_list(pp_store_t *s, pp_arena_t *a, const pp_account_filter_t *f,
                               pp_account_t **rows, size_t *n, bool *more);
pp_err_t pp_store_key_get(pp_store_t *s, const char *sid, pp_key_t *out);
pp_err_t pp_store_key_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                           const pp_page_req_t *p, pp_key_t **rows, size_t *n, bool *more);
pp_err_t pp_store_message_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *sid, pp_message_t *out);
pp_err_t pp_store_message_list(pp_store_t *s, pp_arena_t *a, const pp_message_filter_t *f,
                               pp_message_t **rows, size_t *n, bool *more);
/* pp_store_number_get reads number `sid` of `account_sid`;
 * pp_store_number_find reads the number whose phone_number is given, in
 * whichever account owns it (inbound routing, sender ownership). */
pp_err_t pp_store_number_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                             const char *sid, pp_number_t *out);
pp_err_t pp_store_number_find(pp_store_t *s, pp_arena_t *a, const char *phone_number,
                              pp_number_t *out);
pp_err_t pp_store_number_list(pp_store_t *s, pp_arena_t *a, const pp_number_filter_t *f,
                              pp_number_t **rows, size_t *n, bool *more);
/* pp_store_carrier_all and pp_store_route_all read the whole (small)
 * tables into `a`; routes come longest prefix first, then by priority. */
pp_err_t pp_store_carrier_all(pp_store_t *s, pp_arena_t *a, pp_carrier_t **rows, size_t *n);
pp_err_t pp_store_route_all(pp_store_t *s, pp_arena_t *a, pp_route_rule_t **rows, size_t *n);
/* pp_store_sender_allowed: PP_OK when the account may send as the
 * alphanumeric `sender`, PP_ERR_NOT_FOUND when not. */
pp_err_t pp_store_sender_allowed(pp_store_t *s, const char *account_sid, const char *sender);
/* Webhook queue and alerts: see pp_store_backend_t. */
pp_err_t pp_store_hook_next_due(pp_store_t *s, int64_t *out_ms);
pp_err_t pp_store_alert_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                            const char *sid, pp_alert_t *out);
pp_err_t pp_store_alert_list(pp_store_t *s, pp_arena_t *a, const pp_alert_filter_t *f,
                             pp_alert_t **rows, size_t *n, bool *more);
/* pp_store_message_count counts every message (for tests and metrics). */
pp_err_t pp_store_message_count(pp_store_t *s, int64_t *out);

/* Messaging Services (within `account_sid`) and their sender pools.
 * pp_store_service_number_get reads pool member `sid` (a PN…) of the
 * service, PP_ERR_NOT_FOUND when the number is not in that pool. */
pp_err_t pp_store_service_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *sid, pp_service_t *out);
pp_err_t pp_store_service_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                               const pp_page_req_t *p, pp_service_t **rows, size_t *n,
                               bool *more);
pp_err_t pp_store_service_number_get(pp_store_t *s, const char *account_sid,
                                     const char *service_sid, const char *sid,
                                     pp_service_number_t *out);
pp_err_t pp_store_service_number_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                      const char *service_sid, const pp_page_req_t *p,
                                      pp_service_number_t **rows, size_t *n, bool *more);
/* pp_store_service_sender picks the From (E.164) for a message of service
 * `service_sid` to `to`.  Deterministic: with `sticky`, the pool number the
 * service last used for `to`, if it is still in the pool; otherwise the
 * pool's number at FNV-1a(to) modulo the pool size, in the order the
 * numbers were added, so one recipient keeps its sender while the pool does
 * not change and different recipients spread over the pool.
 * PP_ERR_NOT_FOUND when the pool is empty. */
pp_err_t pp_store_service_sender(pp_store_t *s, const char *account_sid, const char *service_sid,
                                 const char *to, bool sticky, char out[20]);

/* ---- Audit log (docs/internals/audit.md) ------------------------------ */

/* pp_store_audit_head reads the committed tree size and root. */
pp_err_t pp_store_audit_head(pp_store_t *s, pp_audit_head_t *out);

/* pp_store_audit_get reads entry `seq` (with its leaf); PP_ERR_NOT_FOUND
 * when there is none. */
pp_err_t pp_store_audit_get(pp_store_t *s, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out);

/* pp_store_audit_list pages through one account's entries, newest first. */
pp_err_t pp_store_audit_list(pp_store_t *s, pp_arena_t *a, const pp_audit_filter_t *f,
                             pp_audit_entry_t **rows, size_t *n, bool *more);

/* pp_store_audit_scan reads up to `limit` stored entries with seq >=
 * from_seq in seq order, leaves included, as they are (gaps and all): the
 * input of `pipit audit verify`. */
pp_err_t pp_store_audit_scan(pp_store_t *s, pp_arena_t *a, int64_t from_seq, size_t limit,
                             pp_audit_entry_t **rows, size_t *n);

/* pp_store_audit_search answers a blast-radius query from the indexes. */
pp_err_t pp_store_audit_search(pp_store_t *s, pp_arena_t *a, const pp_audit_query_t *q,
                               pp_audit_entry_t **rows, size_t *n);

/* pp_store_audit_node reads a perfect subtree hash the store keeps (every
 * level that is a multiple of PP_STORE_AUDIT_NODE_STRIDE); PP_ERR_NOT_FOUND
 * when it keeps none. */
#define PP_STORE_AUDIT_NODE_STRIDE 4
pp_err_t pp_store_audit_node(pp_store_t *s, unsigned level, uint64_t index,
                             unsigned char out[PP_MERKLE_HASH_LEN]);

/* pp_store_audit_root computes the root of the first `size` leaves (size at
 * most the committed size, else PP_ERR_INVALID_PARAM). */
pp_err_t pp_store_audit_root(pp_store_t *s, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]);

/* pp_store_audit_inclusion writes the audit path of leaf m in the tree of
 * size n, pp_store_audit_consistency the consistency proof from size m to
 * n, as merkle.h's generators do, from the stored leaf hashes and subtree
 * hashes (O(log n) reads).  n at most the committed size, else
 * PP_ERR_INVALID_PARAM. */
pp_err_t pp_store_audit_inclusion(pp_store_t *s, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                                  size_t cap, size_t *count);
pp_err_t pp_store_audit_consistency(pp_store_t *s, uint64_t m, uint64_t n,
                                    pp_merkle_hash_t *out, size_t cap, size_t *count);

/* pp_store_audit_checkpoint_latest reads the newest checkpoint
 * (PP_ERR_NOT_FOUND: none yet); pp_store_audit_checkpoint_list up to
 * `limit` of them with seq > after_seq, oldest first. */
pp_err_t pp_store_audit_checkpoint_latest(pp_store_t *s, pp_audit_checkpoint_t *out);
pp_err_t pp_store_audit_checkpoint_list(pp_store_t *s, pp_arena_t *a, int64_t after_seq,
                                        size_t limit, pp_audit_checkpoint_t **rows, size_t *n);

/* Statistics of the group-commit writer since open. */
typedef struct {
  uint64_t batches, writes, max_batch;
} pp_store_stats_t;
void pp_store_stats(pp_store_t *s, pp_store_stats_t *out);

/* The SQLite backend (sqlite/sqlite.c). */
extern const pp_store_backend_t pp_store_sqlite;

#endif

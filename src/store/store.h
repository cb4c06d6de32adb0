/* store.h: the one typed interface to Pipit's persistent state.  No SQL
 * exists above src/store/.  Backends (sqlite/, later postgres/) implement
 * pp_store_backend_t (store/backend.h, private to src/store/); this facade
 * adds what is common to all of them: the group-commit writer.
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
#include "security/webauthn.h"

typedef struct pp_store pp_store_t;
struct pp_message_sealed; /* store/backend.h */

/* How long a process believes the newest data key of an account it has
 * cached is still the newest (another process may rotate it): an account
 * key rotation waits this long before it reseals, so every value sealed
 * with the old key by then is resealed. */
#define PP_STORE_KEY_REFRESH_S 5

/* ---- Rows ------------------------------------------------------------ */

#define PP_TOKEN_SIZE 33 /* 32 hex + NUL */

typedef struct {
  int64_t seq; /* store-assigned, increasing; keyset for listing */
  char sid[PP_SID_SIZE];
  char owner_sid[PP_SID_SIZE]; /* parent account; == sid for a main account */
  char friendly_name[65];
  char status[12];                     /* active | suspended | closed */
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
  const char *media_urls;      /* newline-separated, "" when none */
  const char *status_callback; /* NULL when none */
  const char *error_message;   /* NULL when none */
  const char *direction;       /* inbound | outbound-api | outbound-call | outbound-reply */
  const char *status;          /* queued | scheduled | canceled | sent | ... */
  int num_media, num_segments, error_code, validity_period;
  int64_t date_created, date_updated;
  int64_t date_sent;                      /* 0: not sent */
  int64_t send_at;                        /* 0: not scheduled */
  const struct pp_message_sealed *sealed; /* store-internal: callers leave it NULL */
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
  bool sticky_sender, mms_converter, smart_encoding, fallback_to_long_code, area_code_geomatch,
      synchronous_validation, use_inbound_webhook_on_number;
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

/* A carrier: an SMSC Pipit binds to as an ESME.  `password` is a secret.
 * `channel` names the channel kind its traffic goes through ("smpp";
 * channel/channel.h); the settings after it are that kind's. */
typedef struct {
  int64_t seq;
  char name[64];
  char channel[16];
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
  /* A verification message: its text sealed (verify/secrets.h, place
   * {account, "messages", "sealed_body", sid}), to send instead of `body`
   * (which the store keeps with the code masked).  NULL otherwise. */
  const unsigned char *sealed_body; /* arena */
  size_t sealed_body_len;
} pp_outbound_t;

/* One submitted part, as the carrier's SMSC knows it. */
typedef struct {
  char smsc_id[66];
  int part, parts; /* 1-based part of parts */
} pp_part_ref_t;

/* A message part still waiting for its receipt (pp_store_parts_awaiting). */
typedef struct {
  int64_t id; /* the order it was recorded in */
  const char *carrier, *smsc_id, *from;
} pp_part_awaiting_t;

/* Receipt states (the values of SMPP's message_state). */
typedef enum {
  PP_DLR_ENROUTE = 1,
  PP_DLR_DELIVERED = 2,
  PP_DLR_EXPIRED = 3,
  PP_DLR_DELETED = 4,
  PP_DLR_UNDELIVERABLE = 5,
  PP_DLR_ACCEPTED = 6,
  PP_DLR_UNKNOWN = 7,
  PP_DLR_REJECTED = 8
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
  char token[PP_TOKEN_SIZE]; /* I-Twilio-Idempotency-Token: the same on every attempt */
  char account_sid[PP_SID_SIZE];
  char message_sid[PP_SID_SIZE];
  char kind[8];       /* status | inbound */
  char event[16];     /* the message status it reports */
  char method[5];     /* GET | POST */
  const char *url;    /* arena */
  int error_code;     /* the message's at the change */
  int attempts;       /* including this one */
  int redirects;      /* <Redirect> hops that led here */
  int64_t created_ms; /* when the change happened */
  const char *body;   /* arena: a Verify event's form (kind "verify"), else NULL */
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

/* ---- Verify (verify/v2) ------------------------------------------------ */

/* A Verify service (VA…).  Optional strings point into the read's arena or
 * caller memory; NULL when unset. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char friendly_name[65];
  int code_length; /* 4..10 */
  bool lookup_enabled, psd2_enabled, skip_sms_to_landlines, dtmf_input_required,
      do_not_share_warning_enabled, custom_code_enabled, push_include_date,
      verify_event_subscription_enabled;
  const char *tts_name, *push_apn_credential_sid, *push_fcm_credential_sid, *default_template_sid,
      *whatsapp_msg_service_sid, *whatsapp_from, *totp_issuer;
  int totp_time_step, totp_code_length, totp_skew;
  int64_t date_created, date_updated;
  int enrollment_wait; /* DESIGN.md rule 5: seconds before an unapproved new factor counts */
  bool fraud_guard;    /* Pipit.FraudGuard: SMS sends pass the fraud guard (default true) */
  const char *allowed_country_codes; /* Pipit.AllowedCountryCodes: "1,44"; NULL: all */
} pp_verify_service_t;

#define PP_VERIFY_MAX_SENDS 5
#define PP_VERIFY_MAX_CHECKS 5

/* A verification (VE…).  The codes sent are kept only as keyed hashes
 * (verify/secrets.h), one per send, packed in `code_hashes`. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char to[65];
  char channel[12];
  char status[24]; /* pending | approved | canceled | max_attempts_reached | expired */
  unsigned char code_hashes[PP_VERIFY_MAX_SENDS][32];
  int sends;                 /* codes sent: 1..PP_VERIFY_MAX_SENDS */
  int checks;                /* wrong codes checked */
  const char *send_attempts; /* JSON array text (arena or caller memory) */
  int64_t expires_at, date_created, date_updated;
} pp_verification_t;

/* A rate limit (RK…) of a Verify service and a bucket (BL…) of it. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char unique_name[65];
  const char *description; /* NULL when unset */
  int64_t date_created, date_updated;
} pp_rate_limit_t;

typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char rate_limit_sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  int max, interval; /* requests per interval seconds */
  int64_t date_created, date_updated;
} pp_rate_bucket_t;

/* One metered request against one bucket: the key's keyed hash. */
typedef struct {
  char bucket_sid[PP_SID_SIZE];
  unsigned char key_hash[32];
  int max, interval;
} pp_rate_hit_t;

/* An entity (YE…): a user of a Verify service, by the customer's identity. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char identity[129];
  int64_t date_created, date_updated;
} pp_verify_entity_t;

#define PP_FACTOR_SECRET_MAX 160 /* sealed secret blob, bytes */

#define PP_FACTOR_KEY_MAX 128 /* a push factor's public key (SPKI DER), bytes */

/* A factor (YF…) of an entity.  A TOTP factor's secret is sealed
 * (verify/secrets.h); last_counter is the highest TOTP time step accepted
 * so far (a code is accepted at most once); failures counts wrong codes in
 * a row.  A push factor has its device's public key instead (not secret)
 * and its push configuration. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char entity_sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char identity[129];
  char friendly_name[65];
  char status[12];     /* unverified | verified */
  char factor_type[8]; /* totp | push */
  char alg[8];         /* sha1 | sha256 | sha512 */
  int time_step, skew, code_length;
  unsigned char secret_sealed[PP_FACTOR_SECRET_MAX];
  size_t secret_sealed_len;
  int64_t last_counter;
  int failures;
  const char *metadata; /* JSON object text or NULL */
  int64_t date_created, date_updated;
  unsigned char public_key[PP_FACTOR_KEY_MAX]; /* push: ES256 SPKI DER */
  size_t public_key_len;                       /* 0 for totp */
  const char *push_config; /* push: JSON object (sdk_version, app_id, ...); NULL */
  /* DESIGN.md rule 5: an entity's new factor whose possession was proven
   * while the entity had a verified factor stays unverified until one of
   * those approves it, or counts as verified from activate_at (the end of
   * the waiting period) unless it was canceled (deleted).  0: none. */
  int64_t activate_at;
} pp_verify_factor_t;

/* A challenge (YC…) of a factor. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char factor_sid[PP_SID_SIZE];
  char entity_sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char identity[129];
  char status[12];           /* pending | expired | approved | denied */
  char responded_reason[16]; /* none | not_needed | not_requested */
  char factor_type[8];
  const char *details, *hidden_details, *metadata; /* JSON text or NULL */
  int64_t expiration_date, date_responded;         /* date_responded 0: not yet */
  int64_t date_created, date_updated;
  /* "" or the new factor this challenge asks the entity to approve (rule
   * 5): approving it verifies that factor, denying it deletes it. */
  char enroll_factor_sid[PP_SID_SIZE];
} pp_verify_challenge_t;

/* A Verify webhook (YW…) of a service: where its events are posted. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char service_sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char friendly_name[65];
  const char *event_types; /* comma-separated: "*", "factor.verified", ... */
  const char *webhook_url;
  char status[10]; /* enabled | disabled */
  char version[4]; /* v1 | v2 */
  int64_t date_created, date_updated;
} pp_verify_webhook_t;

/* One entry of the audit log (docs/internals/audit.md): its leaf, and the
 * index columns kept beside it for searches (derived from the leaf; `pipit
 * audit verify` checks that they agree).  Text points into the read's
 * arena.  `leaf` is NULL in search results (they read the indexes only). */
typedef struct {
  int64_t seq;     /* the leaf index, from 0 */
  int64_t time_ms; /* Unix milliseconds */
  const unsigned char *leaf;
  size_t leaf_len;
  unsigned char leaf_hash[PP_MERKLE_HASH_LEN]; /* as stored */
  bool leaf_hash_ok;                           /* the stored leaf hash had 32 bytes */
  const char *event, *principal, *session, *ip, *account_sid, *outcome;
  const char *const *resources; /* from the resource index, sorted */
  size_t nresources;
} pp_audit_entry_t;

/* The committed head of the audit tree. */
typedef struct {
  uint64_t size;
  unsigned char root[PP_MERKLE_HASH_LEN];
} pp_audit_head_t;

/* A signed checkpoint the store keeps (every one ever made). */
typedef struct {
  int64_t seq; /* store-assigned, increasing */
  uint64_t tree_size;
  unsigned char root[PP_MERKLE_HASH_LEN];
  int64_t time;                     /* Unix seconds */
  char note[PP_CHECKPOINT_MAX_LEN]; /* the signed note, NUL-terminated */
} pp_audit_checkpoint_t;

/* PP_W_AUDIT_CHECKPOINT: sign the tree as it is at this point of the batch
 * (every earlier write of the batch included) and keep the checkpoint. */
typedef struct {
  const pp_checkpoint_signer_t *signer;
  const char *origin;
  int64_t now;               /* Unix seconds */
  bool force;                /* sign even if the tree did not grow */
  bool skipped;              /* out: not forced and no new leaves */
  pp_audit_checkpoint_t out; /* out: what was kept */
} pp_audit_checkpoint_req_t;

/* ---- The lockbox (staff/lockbox.h; docs/internals/lockbox.md) --------- */

/* A staff member's request to read an account's content (LR…).  `status`
 * is stored as "pending", "approved", "denied" or "revoked" (expiry is
 * seen, not stored: staff/lockbox.h).  The reason is sealed at rest with
 * the account's key.  Times are Unix seconds, 0 for not yet. */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char account_sid[PP_SID_SIZE];
  char staff[PP_AUDIT_PRINCIPAL_SIZE];       /* who asked: the audit principal, "staff:NAME" */
  const char *reason;                        /* arena or caller memory */
  int minutes;                               /* 1..240 */
  char status[10];                           /* as stored */
  char answered_by[PP_AUDIT_PRINCIPAL_SIZE]; /* the credential that answered ("" not yet) */
  int64_t date_created, date_updated;
  int64_t date_approved; /* the grant's clock starts here */
  int64_t date_revoked;
} pp_lockbox_request_t;

/* PP_W_LOCKBOX: a request inserted (`insert`), or its status, answered_by,
 * date_updated, date_approved and date_revoked set when it is still
 * `if_status` in its account (PP_ERR_CONFLICT otherwise: answered
 * meanwhile); or, with `request` NULL, nothing but the notice.  With
 * `notice` non-NULL and a WebhookUrl in the account's settings, the notice
 * (a form body of `event`) is queued to it in the same transaction (kind
 * "lockbox", signed and sent by the webhook dispatcher). */
typedef struct {
  pp_lockbox_request_t *request;
  const char *account_sid; /* whose settings the notice goes by */
  bool insert;
  const char *if_status;
  const char *event;  /* "request.created", "request.approved", ... "read" */
  const char *notice; /* NULL: none */
  int64_t now;        /* Unix seconds */
} pp_lockbox_write_t;

/* An account's lockbox settings (PP_W_LOCKBOX_SETTINGS puts them whole).
 * The URL is sealed at rest with the account's key. */
typedef struct {
  char account_sid[PP_SID_SIZE];
  const char *webhook_url; /* NULL: none */
  int64_t date_updated;    /* 0: never set */
} pp_lockbox_settings_t;

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
  PP_W_KEYS_REWRAP,           /* u.rewrap: every data key wrapped again under a new master key */
  PP_W_ACCOUNT_REKEY,         /* u.name: a new, newest data key generation for the account */
  PP_W_RESEAL,      /* u.reseal: a batch of the account's values sealed with its newest key */
  PP_W_KEYS_RETIRE, /* u.name: the account's older key generations deleted */
  /* Verify (verify/v2). */
  PP_W_VERIFY_SERVICE_INSERT, /* u.verify_service */
  PP_W_VERIFY_SERVICE_UPDATE, /* u.verify_service: every setting by sid+account */
  PP_W_VERIFY_SERVICE_DELETE, /* u.ref: the service and everything under it */
  PP_W_VERIFY_SEND,           /* u.verify_send */
  PP_W_VERIFY_SET,            /* u.verify_set */
  PP_W_RATE_LIMIT_INSERT,     /* u.rate_limit; PP_ERR_CONFLICT: unique_name taken */
  PP_W_RATE_LIMIT_UPDATE,     /* u.rate_limit: description by sid+account */
  PP_W_RATE_LIMIT_DELETE,     /* u.ref: the rate limit and its buckets */
  PP_W_RATE_BUCKET_INSERT,    /* u.rate_bucket; PP_ERR_CONFLICT: interval taken */
  PP_W_RATE_BUCKET_UPDATE,    /* u.rate_bucket: max, interval by sid+account */
  PP_W_RATE_BUCKET_DELETE,    /* u.ref */
  PP_W_ENTITY_INSERT,         /* u.entity; PP_ERR_CONFLICT: identity taken */
  PP_W_ENTITY_DELETE,         /* u.ref: the entity, its factors and challenges */
  PP_W_FACTOR_INSERT,         /* u.factor_insert */
  PP_W_FACTOR_UPDATE,         /* u.factor: friendly_name and config by sid+account */
  PP_W_FACTOR_DELETE,         /* u.factor_delete: the factor and its challenges */
  PP_W_FACTOR_ATTEMPT,        /* u.factor_attempt */
  PP_W_CHALLENGE_INSERT,      /* u.challenge_insert */
  PP_W_FACTOR_QR_TAKE,        /* u.factor_qr */
  PP_W_FACTOR_DUE,            /* u.factor_due (reads, on the writer) */
  PP_W_FACTOR_ACTIVATE,       /* u.factor_activate */
  PP_W_VERIFY_WEBHOOK_INSERT, /* u.verify_webhook */
  PP_W_VERIFY_WEBHOOK_UPDATE, /* u.verify_webhook: every field but sid, service, account */
  PP_W_VERIFY_WEBHOOK_DELETE, /* u.ref */
  /* Audit log (docs/internals/audit.md).  Any write may carry an event in
   * w->audit; these two are writes of the log alone. */
  PP_W_AUDIT,            /* nothing but w->audit */
  PP_W_AUDIT_CHECKPOINT, /* u.checkpoint */
  /* The operator's numbers (pp_number_offer_t). */
  PP_W_OFFER_PUT,    /* u.offer: make a number available, or change to whom */
  PP_W_OFFER_DELETE, /* u.offer (phone_number): PP_ERR_NOT_FOUND when none */
  /* Staff principals (pp_staff_change_t; docs/internals/staff.md). */
  PP_W_STAFF, /* u.staff */
  /* The lockbox. */
  PP_W_LOCKBOX,          /* u.lockbox */
  PP_W_LOCKBOX_SETTINGS, /* u.lockbox_settings */
  /* A change request alone (w->change; nothing in u). */
  PP_W_CHANGE,
} pp_write_kind_t;

typedef struct {
  int64_t now, lease_until;
  size_t limit;
  pp_arena_t *arena;   /* rows are allocated here */
  pp_outbound_t *rows; /* out */
  size_t n;            /* out */
} pp_claim_t;

/* The SMSC accepted every part of message `seq`.  Each part is recorded
 * under (carrier, SMSC id); an id the SMSC gave before to a part still
 * waiting for its receipt keeps both (a receipt for it goes to the newest
 * part still waiting), and counts in `collisions` (out: parts whose id
 * collided). */
typedef struct {
  int64_t seq, now;
  const char *carrier;
  const pp_part_ref_t *parts;
  size_t n;
  int collisions; /* out */
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

/* A final receipt for the part the SMSC knows as (carrier, smsc_id).  One
 * that comes before its submit is recorded waits in early_receipts until
 * then; those older than early_ttl_s (0: 3600) are dropped, and only the
 * newest early_max (0: 10,000) are kept. */
typedef struct {
  const char *carrier, *smsc_id;
  pp_dlr_state_t state;
  int error_code; /* Twilio's, 0 when delivered */
  int64_t now;
  int64_t message_seq; /* out: the message it finished, 0 if none (yet) */
  int64_t early_ttl_s, early_max;
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

/* A phone number the operator made available (pipit admin number add): to
 * one account and its subaccounts, or to any account when account_sid is
 * "".  IncomingPhoneNumbers.create takes only such a number.  The number
 * is sealed at rest with the system key, beside a blind index. */
typedef struct {
  char phone_number[20];         /* E.164 */
  char account_sid[PP_SID_SIZE]; /* "": any account */
  char holder_sid[PP_SID_SIZE];  /* reads only: the account that has it now ("" none) */
  int64_t date_created;
} pp_number_offer_t;

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
  int64_t next_attempt_ms; /* PP_HOOK_RETRY */
  pp_message_t *replies;   /* PP_HOOK_DONE: messages to insert (TwiML <Message>) */
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
  pp_alert_t *alert; /* recorded with any outcome; NULL for none */
} pp_hook_result_t;

/* Master-key rotation: every wrapped DEK opened with the master key held
 * and wrapped again under `new_master` (32 bytes); `new_master_id` its
 * fingerprint.  `n` counts them (out). */
typedef struct {
  const unsigned char *new_master;
  const char *new_master_id;
  size_t n;
} pp_rewrap_t;

/* What PP_W_RESEAL goes through, table by table. */
typedef enum {
  PP_RESEAL_ACCOUNT,
  PP_RESEAL_MESSAGES,
  PP_RESEAL_NUMBERS,
  PP_RESEAL_SERVICES,
  PP_RESEAL_ALERTS,
  PP_RESEAL_WEBHOOKS,
  PP_RESEAL_MO_PARTS,
  PP_RESEAL_VERIFICATIONS,
  PP_RESEAL_VERIFY_ENTITIES,
  PP_RESEAL_VERIFY_FACTORS,
  PP_RESEAL_VERIFY_CHALLENGES,
  PP_RESEAL_VERIFY_WEBHOOKS,
  PP_RESEAL_MESSAGE_SEALED,
  PP_RESEAL_LOCKBOX_REQUESTS,
  PP_RESEAL_LOCKBOX_SETTINGS,
  PP_RESEAL__COUNT
} pp_reseal_table_t;

/* One batch of an account-key rotation: up to `limit` rows of `table` of
 * the account after row `after` (store order) have their sealed values
 * opened and sealed again with the account's newest key.  Out: `n` rows
 * done and `last`, the position to continue after (n < limit: the table is
 * done). */
typedef struct {
  const char *account_sid;
  pp_reseal_table_t table;
  int64_t after;
  size_t limit;
  size_t n;
  int64_t last;
} pp_reseal_t;

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

/* The fraud guard's check of one SMS send (docs/internals/verify.md): the
 * sends to (service_sid, prefix) are counted in buckets of `bucket_s`
 * seconds with a learned baseline (core/baseline.h, weight `alpha`).  The
 * send is refused when the prefix is blocked at `now`, or when its current
 * bucket already holds pp_baseline_limit(baseline, multiple, floor) sends;
 * a refusal that finds the prefix unblocked blocks it for `block_s`
 * seconds.  The first refusal in a bucket records `alert` (its sid and
 * text filled by the caller).  Allowed sends are counted; refused ones are
 * not.  Without `enforce` (the service turned the guard off) every send is
 * allowed and counted, so the baseline is learned all the same. */
typedef struct {
  const char *service_sid;
  const char *prefix;
  int bucket_s;
  double alpha, multiple;
  int64_t floor;
  int block_s;
  bool enforce;
  pp_alert_t *alert;
  /* out: the send was refused, and until when the prefix is blocked */
  bool refused;
  int64_t blocked_until;
} pp_fraud_check_t;

/* Sends a verification code: inserts `v` (is_new) or, on a pending
 * verification, sets sends, code_hashes, send_attempts and date_updated
 * when its sends are still `prev_sends` (PP_ERR_CONFLICT otherwise: a
 * concurrent send, or it is no longer pending).  In the same transaction:
 * counts the `hits` against their buckets (each bucket's hits in the last
 * `interval` seconds must be below `max`: else PP_ERR_VERIFY_SENDS and
 * nothing is written) and records them; a new verification also needs
 * fewer than `max_pending` pending, unexpired verifications to the same
 * `to` in the account (else PP_ERR_VERIFY_CONCURRENT); and inserts
 * `message` with its sealed text (message_sealed, kept until the carrier
 * accepts the message). */
typedef struct {
  pp_verification_t *v;
  bool is_new;
  int prev_sends;
  int max_pending;
  const pp_rate_hit_t *hits;
  size_t nhits;
  pp_message_t *message;
  const unsigned char *message_sealed;
  size_t message_sealed_len;
  int64_t now;
  /* NULL: no fraud guard.  Otherwise checked first: a refusal is not an
   * error (the write succeeds with fraud->refused set and its alert and
   * the prefix's block recorded), and nothing else is written. */
  pp_fraud_check_t *fraud;
} pp_verify_send_t;

/* Moves a pending, unexpired verification (sid, account) whose checks are
 * `if_checks` (-1: any) to `status` with `checks`: PP_ERR_CONFLICT when it
 * is not (or no longer) in that state. */
typedef struct {
  const char *account_sid, *sid;
  const char *status;
  int checks, if_checks;
  int64_t now;
} pp_verify_set_t;

/* Creates a factor, and its entity unless one with that identity exists
 * (then factor->entity_sid is set to it).  Non-NULL `event_body`: queues
 * that event (form-encoded) of `event_type` to every enabled webhook of the
 * factor's service subscribed to it or to "*", in the same transaction. */
typedef struct {
  pp_verify_entity_t *entity;
  pp_verify_factor_t *factor;
  const char *event_type, *event_body;
  /* Non-NULL: the factor's one-time QR code, PP_VERIFY_QR_HASH_LEN bytes of
   * its token's hash, usable until qr_expires (pp_factor_qr_t). */
  const unsigned char *qr_hash;
  int64_t qr_expires;
} pp_factor_insert_t;

#define PP_VERIFY_QR_HASH_LEN 32

/* Takes factor (account, sid)'s one-time QR code: clears its token hash if
 * it is `hash`, it is before its end (now < qr_expires) and the factor is
 * still unverified and not waiting (rule 5).  PP_ERR_NOT_FOUND otherwise:
 * a QR code is served at most once, and only while the factor is new. */
typedef struct {
  const char *account_sid, *sid;
  const unsigned char *hash;
  int64_t now;
} pp_factor_qr_t;

/* Reads the factors whose waiting period (DESIGN.md rule 5) is over and
 * that nobody approved or canceled: unverified, 0 < activate_at <= now;
 * oldest first, at most `limit`, into `rows` (allocated in `arena`). */
typedef struct {
  int64_t now;
  size_t limit;
  pp_arena_t *arena;
  pp_verify_factor_t *rows; /* out */
  size_t n;                 /* out */
} pp_factor_due_t;

/* Makes factor (account, sid) verified if it is still waiting and its wait
 * is over (activate_at <= now), and queues event `event_body` of
 * `event_type` as pp_factor_insert_t does (for `service_sid`).
 * PP_ERR_NOT_FOUND otherwise (approved, canceled or denied meanwhile). */
typedef struct {
  const char *account_sid, *sid, *service_sid;
  const char *event_type, *event_body;
  int64_t now;
} pp_factor_activate_t;

/* Deletes factor (account, sid) and its challenges, and queues event
 * `event_body` of `event_type` (factor.deleted) for `service_sid` as
 * pp_factor_insert_t does.  PP_ERR_NOT_FOUND when it is not there. */
typedef pp_factor_activate_t pp_factor_delete_t;

/* Creates a challenge, with an event queued as for pp_factor_insert_t (for
 * the challenge's service). */
typedef struct {
  pp_verify_challenge_t *challenge;
  const char *event_type, *event_body;
} pp_challenge_insert_t;

/* The outcome of one code given for a factor: sets last_counter, failures
 * and (non-NULL) status of factor (sid, account) when they are still
 * `if_last_counter` and `if_failures` (PP_ERR_CONFLICT otherwise: another
 * code was taken meanwhile).  With `challenge` non-NULL, inserts it
 * (`challenge_insert`) or sets its status, responded_reason, date_responded
 * and date_updated when it is still pending. */
typedef struct {
  const char *account_sid, *sid;
  int64_t last_counter, if_last_counter;
  int failures, if_failures;
  const char *status;
  pp_verify_challenge_t *challenge;
  bool challenge_insert;
  int64_t now;
  /* DESIGN.md rule 5.  activate_at > 0 (with status NULL): the factor's
   * possession is proven but the entity has verified factors: set
   * activate_at, and insert the `nenroll` challenges asking them to
   * approve it.  enroll_outcome ("verify" or "delete") with
   * enroll_factor_sid: the challenge approved (or denied) that factor, which
   * becomes verified (or is deleted) if it is still waiting. */
  int64_t activate_at;
  pp_verify_challenge_t *enroll;
  size_t nenroll;
  const char *enroll_factor_sid, *enroll_outcome;
  /* Non-NULL: queue the event `event_body` (form-encoded) of `event_type`
   * to every enabled webhook of `service_sid` subscribed to it or to "*":
   * one request of kind "verify" on the webhook queue per webhook. */
  const char *service_sid, *event_type, *event_body;
} pp_factor_attempt_t;

/* ---- Staff (docs/internals/staff.md) ---------------------------------- */

#define PP_STAFF_NAME_SIZE 58 /* 57 characters: "staff:NAME" fits an audit principal */
#define PP_STAFF_ROLE_SIZE 16
#define PP_STAFF_ACTION_SIZE 64
#define PP_STAFF_HASH_LEN 32
#define PP_STAFF_USER_ID_LEN 16

/* A staff member: a name (letters, digits, '.', '_', '-'), a role
 * ("operator" or "support") and the WebAuthn user handle (random). */
typedef struct {
  char name[PP_STAFF_NAME_SIZE];
  char role[PP_STAFF_ROLE_SIZE];
  uint8_t user_id[PP_STAFF_USER_ID_LEN];
  int64_t date_created;
} pp_staff_t;

/* A staff member's passkey: what WebAuthn registered, and when it was
 * registered and last used. */
typedef struct {
  char staff[PP_STAFF_NAME_SIZE];
  pp_webauthn_cred_t cred;
  int64_t date_created, last_used;
} pp_staff_cred_t;

/* The three secrets a staff member holds, kept only as the SHA-256 of the
 * secret (the hash is the key): a one-time enrolment token, a one-time
 * WebAuthn challenge, and a session. */
typedef enum {
  PP_STAFF_TOKEN_ENROL = 1,
  PP_STAFF_TOKEN_CHALLENGE = 2,
  PP_STAFF_TOKEN_SESSION = 3
} pp_staff_token_kind_t;

typedef struct {
  uint8_t hash[PP_STAFF_HASH_LEN];
  pp_staff_token_kind_t kind;
  char staff[PP_STAFF_NAME_SIZE];
  /* CHALLENGE: its purpose ("register", "login", "uv") and, for "uv", the
   * action it is for.  SESSION: the action of the last user-verified
   * assertion made in it ("" none) and when (uv_at, Unix seconds). */
  char purpose[PP_STAFF_ROLE_SIZE];
  char action[PP_STAFF_ACTION_SIZE];
  int64_t uv_at;
  /* SESSION: the passkey it was opened with. */
  uint8_t cred_id[PP_WEBAUTHN_CRED_ID_MAX];
  size_t cred_id_len;
  int64_t created, expires; /* Unix seconds */
} pp_staff_token_t;

/* PP_W_STAFF: one change to staff rows, all or nothing, its parts applied
 * in this order (NULL or zero: not part of it).
 *  remove      the staff member of this name, with their passkeys and
 *              tokens (PP_ERR_NOT_FOUND when none);
 *  add         a new staff member (PP_ERR_CONFLICT: the name is taken);
 *  take[i]     the token of this hash, which must exist, be of take_kind[i]
 *              and not have expired at `now`, is deleted (PP_ERR_CONFLICT
 *              otherwise: spent, or never issued);
 *  put         a token is inserted; expired tokens of every member are
 *              deleted first;
 *  cred_add    a passkey for cred_add->staff (PP_ERR_CONFLICT: the id is
 *              registered already);
 *  count       the passkey count->cred.id gets count->cred.sign_count and
 *              last_used = now, if its count is still if_sign_count
 *              (PP_ERR_CONFLICT otherwise);
 *  end         the session of this hash is deleted (PP_ERR_NOT_FOUND: none);
 *  uv_session  that session records a user-verified assertion for
 *              uv_action at `now` (PP_ERR_NOT_FOUND: no such session). */
typedef struct {
  const char *remove;
  const pp_staff_t *add;
  const uint8_t *take[2];
  pp_staff_token_kind_t take_kind[2];
  const pp_staff_token_t *put;
  const pp_staff_cred_t *cred_add;
  const pp_staff_cred_t *count;
  uint32_t if_sign_count;
  const uint8_t *end;
  const uint8_t *uv_session;
  const char *uv_action;
  int64_t now;
} pp_staff_change_t;

/* ---- Change requests (four eyes; docs/internals/staff.md) -------------- */

#define PP_CHANGE_WHO_SIZE 64      /* "staff:NAME" or "cli:USER" */
#define PP_CHANGE_PARAMS_SIZE 1024 /* the form as given, URL-encoded, no Password */

/* A change to the installation's traffic (a carrier or a route), asked by
 * one staff member and applied only once another approves it; or, from the
 * host (`pipit admin carrier|route`), recorded as already applied.
 * `action` is one of "carrier.create", "carrier.update", "carrier.delete",
 * "route.create", "route.delete"; `carrier` (and for routes `prefix`) what
 * it is about; `params` the form parameters to apply, URL-encoded, without
 * the carrier password, which is `password` (sealed at rest under the
 * system key; never shown).  `status`: "pending", "approved", "rejected"
 * ("expired" is computed: pending past date_expires). */
typedef struct {
  int64_t seq;
  char sid[PP_SID_SIZE];
  char action[16];
  char carrier[64];
  char prefix[17];
  char params[PP_CHANGE_PARAMS_SIZE];
  char password[10];
  bool password_set; /* read: a password is stored (also once `password` is wiped) */
  char requested_by[PP_CHANGE_WHO_SIZE];
  char status[12];
  char decided_by[PP_CHANGE_WHO_SIZE];
  int64_t date_created, date_expires, date_decided; /* Unix seconds; 0: not decided */
} pp_change_t;

/* A change request written with a write (pp_write_t.change), in its
 * transaction: `insert` adds the row as it is (PP_ERR_CONFLICT: the sid is
 * taken); otherwise the row of change->sid, which must still be "pending"
 * and not expired at change->date_decided, takes change->status,
 * decided_by and date_decided (PP_ERR_CONFLICT otherwise: decided or
 * expired meanwhile). */
typedef struct {
  const pp_change_t *change;
  bool insert;
} pp_change_write_t;

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
    pp_number_offer_t *offer;
    pp_hook_claim_t hook_claim;
    pp_rewrap_t rewrap;
    pp_reseal_t reseal;
    pp_hook_result_t hook_result;
    pp_message_patch_t patch;
    pp_ref_t ref;
    pp_service_t *service;
    pp_service_number_t *service_number;
    pp_verify_service_t *verify_service;
    pp_verify_send_t verify_send;
    pp_verify_set_t verify_set;
    pp_rate_limit_t *rate_limit;
    pp_rate_bucket_t *rate_bucket;
    pp_verify_entity_t *entity;
    pp_factor_insert_t factor_insert;
    pp_verify_factor_t *factor;
    pp_factor_attempt_t factor_attempt;
    pp_challenge_insert_t challenge_insert;
    pp_factor_qr_t factor_qr;
    pp_factor_due_t factor_due;
    pp_factor_activate_t factor_activate;
    pp_factor_delete_t factor_delete;
    pp_verify_webhook_t *verify_webhook;
    pp_audit_checkpoint_req_t *checkpoint;
    pp_staff_change_t *staff;
    pp_lockbox_write_t lockbox;
    pp_lockbox_settings_t *lockbox_settings;
  } u;
  /* Out: PP_OK, PP_ERR_NOT_FOUND (update/delete matched no row),
   * PP_ERR_CONFLICT (insert of an existing SID, or patch condition false),
   * PP_ERR_STORE. */
  pp_err_t result;
  pp_write_done_fn done;
  void *arg;
  void *scratch;    /* the store's: what it made for this write, freed before done */
  pp_write_t *next; /* the store's queue link */
  /* An event appended to the audit log in the same transaction, after the
   * change, with the write's outcome (its `outcome` when already set).  A
   * write that carries one is all or nothing: if the change fails it is
   * undone and the event records the failure; if the event cannot be
   * appended the change is undone and the write fails.  The store sets the
   * event's seq (and time_ms when 0).  NULL: none. */
  pp_audit_event_t *audit;
  /* A second event of the same change (a challenge approved and the
   * factor it verifies), appended right after `audit` on the same terms:
   * both or neither.  Only with `audit`; NULL: none. */
  pp_audit_event_t *audit_also;
  /* A change request inserted or decided with this write, all or nothing
   * (the write fails with its error; see pp_change_write_t).  NULL: none. */
  const pp_change_write_t *change;
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
  const char *to, *from; /* NULL: any */
  bool has_sent_from, has_sent_until;
  int64_t sent_from;  /* date_sent >= this, when has_sent_from */
  int64_t sent_until; /* date_sent < this, when has_sent_until */
  pp_page_req_t page;
} pp_message_filter_t;

typedef struct {
  const char *owner_sid;     /* the main account: itself and its subaccounts; NULL: all */
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
  int64_t from, until; /* date_created >= from, < until (Unix seconds) */
  pp_page_req_t page;
} pp_alert_filter_t;

/* The entries about one account, newest first. */
typedef struct {
  const char *account_sid;
  const char *event; /* a kind name; NULL: any */
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

/* ---- Facade ---------------------------------------------------------- */

/* pp_store_open opens a store: "sqlite:DIR", "postgres://…" (not yet built:
 * PP_ERR_INVALID_PARAM), or a bare directory (SQLite).  `master` (32 bytes,
 * copied) unlocks the data keys that seal customer content at rest; with
 * another master key than the store's, sealed values do not open.  Starts
 * the writer thread.  On success *out owns everything; free with
 * pp_store_free. */
pp_err_t pp_store_open(const char *url, const unsigned char *master, pp_store_t **out);

/* pp_store_set_key_source: where the master keys can be read again, so a
 * running process follows a master-key rotation made by another (see
 * store/crypt.h pp_crypt_keys_fn).  Reads them once now: a rotation found
 * half done (a next key beside the master) is finished with both held. */
typedef pp_err_t (*pp_store_keys_fn)(void *arg, unsigned char primary[32], unsigned char next[32],
                                     bool *has_next);
void pp_store_set_key_source(pp_store_t *s, pp_store_keys_fn fn, void *arg);

/* pp_store_free drains and stops the writer (queued writes are applied),
 * then closes the backend.  NULL is a no-op. */
void pp_store_free(pp_store_t *s);

/* pp_store_submit queues `w`; its `done` runs later on the writer thread.
 * Returns PP_ERR_CLOSED (and never calls done) once the store is closing. */
pp_err_t pp_store_submit(pp_store_t *s, pp_write_t *w);

/* pp_store_write queues `w` and waits for its commit; returns w->result.
 * `w->done` is overwritten. */
pp_err_t pp_store_write(pp_store_t *s, pp_write_t *w);

/* pp_store_write_all queues ws[0..n) at once (so the writer may batch
 * them) and waits until the queued ones are done; each w->result tells how
 * it went.  Returns PP_OK, or the first pp_store_submit error (the writes
 * from there on are not queued).  Each `done` and `arg` is overwritten. */
pp_err_t pp_store_write_all(pp_store_t *s, pp_write_t *const *ws, size_t n);

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
pp_err_t pp_store_number_get(pp_store_t *s, pp_arena_t *a, const char *account_sid, const char *sid,
                             pp_number_t *out);
pp_err_t pp_store_number_find(pp_store_t *s, pp_arena_t *a, const char *phone_number,
                              pp_number_t *out);
pp_err_t pp_store_number_list(pp_store_t *s, pp_arena_t *a, const pp_number_filter_t *f,
                              pp_number_t **rows, size_t *n, bool *more);
/* pp_store_carrier_all and pp_store_route_all read the whole (small)
 * tables into `a`; routes come longest prefix first, then by priority. */
pp_err_t pp_store_carrier_all(pp_store_t *s, pp_arena_t *a, pp_carrier_t **rows, size_t *n);
pp_err_t pp_store_route_all(pp_store_t *s, pp_arena_t *a, pp_route_rule_t **rows, size_t *n);
/* pp_store_account_auth checks `token` against account `sid`'s tokens
 * without opening them (keyed hashes, compared in constant time).  On
 * PP_OK *out is the account with its token fields empty and *which says
 * which token matched: 1 the primary, 2 the secondary, 0 none.  Errors:
 * PP_ERR_NOT_FOUND, PP_ERR_STORE. */
pp_err_t pp_store_account_auth(pp_store_t *s, const char *sid, const char *token, pp_account_t *out,
                               int *which);

/* pp_store_number_owner: the account that owns `phone_number` (E.164), and
 * the number's StatusCallback (NULL when unset, in `a`).  PP_ERR_NOT_FOUND
 * when nobody owns it. */
pp_err_t pp_store_number_owner(pp_store_t *s, pp_arena_t *a, const char *phone_number,
                               char account_sid[PP_SID_SIZE], const char **status_callback);

/* pp_store_named_key writes the store's random key `name` ("verify") into
 * `out` (32 bytes, the caller's guarded memory).  These keys are sealed in
 * the store, so they outlive master-key rotations.  Errors:
 * PP_ERR_NOT_FOUND, PP_ERR_STORE. */
pp_err_t pp_store_named_key(pp_store_t *s, const char *name, unsigned char out[32]);

/* Secrets that the layers above read back (a TOTP factor's seed, the text
 * of a verification SMS) are sealed and opened on the caller's thread with
 * the account's data key, so they never pass through the database engine
 * in clear, closing the account shreds them and an account-key rotation
 * seals them again.  The coordinates (account, table, column, row) are the
 * associated data: a blob moved to another row, column or account does not
 * open.
 *
 * pp_store_seal seals `len` bytes at `plain` with the account's newest key
 * into a malloc'd blob (*out, *out_len; the caller frees it with free()).
 * Errors: PP_ERR_CORRUPT (logged) when the account has no key or its key
 * does not open with the master key held (call it only for an account
 * that is not closed: closing deletes the keys), PP_ERR_NOMEM. */
pp_err_t pp_store_seal(pp_store_t *s, const char *account_sid, const char *table,
                       const char *column, const char *row, const void *plain, size_t len,
                       unsigned char **out, size_t *out_len);

/* pp_store_open_secret opens a blob sealed by pp_store_seal for the same
 * coordinates into sodium_malloc memory, NUL-terminated (*out, *out_len),
 * which the caller frees with pp_store_secret_free.  Errors: as
 * pp_store_seal; PP_ERR_CORRUPT also for a blob altered or sealed for
 * another place, or whose key is gone. */
pp_err_t pp_store_open_secret(pp_store_t *s, const char *account_sid, const char *table,
                              const char *column, const char *row, const unsigned char *blob,
                              size_t len, unsigned char **out, size_t *out_len);

/* pp_store_secret_free wipes and frees what pp_store_open_secret returned,
 * on the thread that opened it; NULL is a no-op. */
void pp_store_secret_free(void *p);

/* pp_store_offer_get reads the operator's offer of `phone_number` (E.164;
 * holder_sid empty), PP_ERR_NOT_FOUND when the operator made it available
 * to nobody.  pp_store_offer_all reads every offer into `a`, by number,
 * each with the account that holds the number now. */
pp_err_t pp_store_offer_get(pp_store_t *s, const char *phone_number, pp_number_offer_t *out);
pp_err_t pp_store_offer_all(pp_store_t *s, pp_arena_t *a, pp_number_offer_t **rows, size_t *n);

/* pp_store_sender_allowed: PP_OK when the account may send as the
 * alphanumeric `sender`, PP_ERR_NOT_FOUND when not. */
pp_err_t pp_store_sender_allowed(pp_store_t *s, const char *account_sid, const char *sender);
/* Webhook queue and alerts: see pp_store_backend_t (store/backend.h). */
pp_err_t pp_store_hook_next_due(pp_store_t *s, int64_t *out_ms);
pp_err_t pp_store_alert_get(pp_store_t *s, pp_arena_t *a, const char *account_sid, const char *sid,
                            pp_alert_t *out);
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
                               const pp_page_req_t *p, pp_service_t **rows, size_t *n, bool *more);
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

/* Verify (verify/v2), always within `account_sid`.
 * pp_store_verification_get reads verification `sid` of the service, or,
 * with sid NULL, the newest verification of the service to `to`.
 * pp_store_verify_sender gives the phone number verification SMS of the
 * account go out from: its oldest number (PP_ERR_NOT_FOUND: none).
 * pp_store_entity_get finds an entity by identity.  Factors and challenges
 * are read within their entity.  The secret of a factor is read only in
 * sealed form. */
pp_err_t pp_store_verify_service_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                     const char *sid, pp_verify_service_t *out);
pp_err_t pp_store_verify_service_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                      const pp_page_req_t *p, pp_verify_service_t **rows, size_t *n,
                                      bool *more);
pp_err_t pp_store_verification_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                   const char *service_sid, const char *sid, const char *to,
                                   pp_verification_t *out);
pp_err_t pp_store_verify_sender(pp_store_t *s, const char *account_sid, char out[20]);
pp_err_t pp_store_rate_limit_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                 const char *service_sid, const char *sid, pp_rate_limit_t *out);
pp_err_t pp_store_rate_limit_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                  const char *service_sid, const pp_page_req_t *p,
                                  pp_rate_limit_t **rows, size_t *n, bool *more);
pp_err_t pp_store_rate_bucket_get(pp_store_t *s, const char *account_sid,
                                  const char *rate_limit_sid, const char *sid,
                                  pp_rate_bucket_t *out);
pp_err_t pp_store_rate_bucket_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                   const char *rate_limit_sid, const pp_page_req_t *p,
                                   pp_rate_bucket_t **rows, size_t *n, bool *more);
pp_err_t pp_store_entity_get(pp_store_t *s, const char *account_sid, const char *service_sid,
                             const char *identity, pp_verify_entity_t *out);
pp_err_t pp_store_entity_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *service_sid, const pp_page_req_t *p,
                              pp_verify_entity_t **rows, size_t *n, bool *more);
pp_err_t pp_store_factor_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                             const char *entity_sid, const char *sid, pp_verify_factor_t *out);
pp_err_t pp_store_factor_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *entity_sid, const pp_page_req_t *p,
                              pp_verify_factor_t **rows, size_t *n, bool *more);
pp_err_t pp_store_challenge_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                const char *entity_sid, const char *sid,
                                pp_verify_challenge_t *out);
pp_err_t pp_store_challenge_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                 const char *entity_sid, const pp_page_req_t *p,
                                 pp_verify_challenge_t **rows, size_t *n, bool *more);

/* Verify webhooks of a service, and the event queue's next due time. */
pp_err_t pp_store_verify_webhook_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                     const char *service_sid, const char *sid,
                                     pp_verify_webhook_t *out);
pp_err_t pp_store_verify_webhook_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                      const char *service_sid, const pp_page_req_t *p,
                                      pp_verify_webhook_t **rows, size_t *n, bool *more);
/* The lockbox, within `account_sid`: one access request (PP_ERR_NOT_FOUND
 * when the account has none of that sid); a page of them, newest first
 * (of every account when the filter's account_sid is NULL), only those stored with `status` and
 * asked by `staff` when not NULL; the account's settings (webhook_url NULL and date_updated 0 when
 * never set). */
typedef struct {
  const char *account_sid; /* NULL: every account */
  const char *status;      /* NULL: any */
  const char *staff;       /* NULL: any */
  pp_page_req_t page;
} pp_lockbox_filter_t;
pp_err_t pp_store_lockbox_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *sid, pp_lockbox_request_t *out);
pp_err_t pp_store_lockbox_list(pp_store_t *s, pp_arena_t *a, const pp_lockbox_filter_t *f,
                               pp_lockbox_request_t **rows, size_t *n, bool *more);
pp_err_t pp_store_lockbox_settings(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                   pp_lockbox_settings_t *out);

/* Counts for the staff overview (api/staff_overview.c), counts only:
 * an account's messages, phone numbers and Verify services; the
 * installation's messages waiting to be sent (queued, accepted or
 * scheduled) and webhooks waiting to be delivered (every queued one). */
typedef struct {
  int64_t messages, numbers, verify_services;
} pp_account_counts_t;
typedef struct {
  int64_t messages_waiting, webhooks_waiting;
} pp_queue_depths_t;
pp_err_t pp_store_account_counts(pp_store_t *s, const char *account_sid, pp_account_counts_t *out);
pp_err_t pp_store_queue_depths(pp_store_t *s, pp_queue_depths_t *out);

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
pp_err_t pp_store_audit_consistency(pp_store_t *s, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                                    size_t cap, size_t *count);

/* pp_store_audit_checkpoint_latest reads the newest checkpoint
 * (PP_ERR_NOT_FOUND: none yet); pp_store_audit_checkpoint_list up to
 * `limit` of them with seq > after_seq, oldest first. */
pp_err_t pp_store_audit_checkpoint_latest(pp_store_t *s, pp_audit_checkpoint_t *out);
pp_err_t pp_store_audit_checkpoint_list(pp_store_t *s, pp_arena_t *a, int64_t after_seq,
                                        size_t limit, pp_audit_checkpoint_t **rows, size_t *n);

/* pp_store_parts_awaiting lists up to `limit` parts of `sent` messages
 * still waiting for their receipt, in the order they were recorded, from
 * after `after_id` (0: the first): their carrier, SMSC id and the message's
 * sender (what a query_sm names).  Rows and strings live in `a`.  Errors:
 * PP_ERR_STORE, PP_ERR_NOMEM. */
pp_err_t pp_store_parts_awaiting(pp_store_t *s, pp_arena_t *a, int64_t after_id, size_t limit,
                                 pp_part_awaiting_t **rows, size_t *n);

/* Staff (docs/internals/staff.md), any thread.  pp_store_staff_get reads
 * the member `name`; pp_store_staff_list every member by name, into `a`;
 * pp_store_staff_creds the passkeys of `staff`, oldest first, into `a`;
 * pp_store_staff_cred_get the passkey of that id (any member);
 * pp_store_staff_token_get the token of that hash, expired or not (the
 * caller decides).  PP_ERR_NOT_FOUND when there is no such row. */
pp_err_t pp_store_staff_get(pp_store_t *s, const char *name, pp_staff_t *out);
pp_err_t pp_store_staff_list(pp_store_t *s, pp_arena_t *a, pp_staff_t **rows, size_t *n);
pp_err_t pp_store_staff_creds(pp_store_t *s, pp_arena_t *a, const char *staff,
                              pp_staff_cred_t **rows, size_t *n);
pp_err_t pp_store_staff_cred_get(pp_store_t *s, const uint8_t *id, size_t id_len,
                                 pp_staff_cred_t *out);
pp_err_t pp_store_staff_token_get(pp_store_t *s, const uint8_t hash[PP_STAFF_HASH_LEN],
                                  pp_staff_token_t *out);

/* Change requests (four eyes), any thread.  pp_store_change_get reads the
 * request `sid` (its password opened: the caller wipes it);
 * pp_store_change_list every request, newest first, into `a` (passwords
 * wiped): all (status NULL), "pending" ones, or "approved" ones (by
 * date_decided, newest first: the installation's changelog).  Errors:
 * PP_ERR_NOT_FOUND, PP_ERR_INVALID_PARAM (another status), PP_ERR_STORE,
 * PP_ERR_NOMEM. */
pp_err_t pp_store_change_get(pp_store_t *s, const char *sid, pp_change_t *out);
pp_err_t pp_store_change_list(pp_store_t *s, pp_arena_t *a, const char *status, pp_change_t **rows,
                              size_t *n);

/* Statistics of the group-commit writer since open.  `full`: the last
 * batch that wrote anything failed for want of space (writes answer
 * PP_ERR_STORE_FULL until one succeeds again). */
typedef struct {
  uint64_t batches, writes, max_batch;
  bool full;
} pp_store_stats_t;
void pp_store_stats(pp_store_t *s, pp_store_stats_t *out);

#endif

/* rules.h (private to src/store): the store's own decisions, which the
 * SQLite backend made in triggers (schema_v9's messages_hook_*,
 * verifications_done, message_sealed_done, verify_factors_enrolled and
 * verify_factors_enroll_gone), as plain functions over plain values.  A
 * backend reads the row, asks here, and writes what is decided in the same
 * transaction as the change that caused it.  Pure, thread-safe; no
 * allocation.  Statuses are compared as exact, case-sensitive strings; a
 * NULL status matches no set. */
#ifndef PP_STORE_RULES_H
#define PP_STORE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"

/* pp_rules_status_hook_on_insert: a new message queues a status webhook
 * when it has a status callback (the column is not NULL: an empty one
 * counts) and its status is "queued" or "accepted". */
bool pp_rules_status_hook_on_insert(const char *status, bool has_callback);

/* pp_rules_status_hook_on_update: a message's status change queues a
 * status webhook when it has a status callback (not NULL), the status
 * differs from the old one, and the new one is "sent", "delivered",
 * "undelivered", "failed", "canceled" or "read". */
bool pp_rules_status_hook_on_update(const char *old_status, const char *new_status,
                                    bool has_callback);

/* pp_rules_message_sealed_drop: a message's sealed text (message_sealed)
 * is dropped when its status is set (changed or not) to anything but
 * "queued", "accepted", "scheduled" or "sending". */
bool pp_rules_message_sealed_drop(const char *new_status);

/* pp_rules_verification_wipe: a verification's code hashes are wiped
 * (set to the empty blob) when its status is set to anything but
 * "pending". */
bool pp_rules_verification_wipe(const char *new_status);

/* pp_rules_enroll_expire_on_status: a factor's status change from
 * anything but "verified" to "verified" expires the enrolment challenges
 * that ask to approve it (enroll_factor_sid = the factor's sid) and are
 * still "pending": status "expired", date_updated the factor's new
 * date_updated.  A factor's deletion expires them too (status "expired",
 * date_updated left as it is): no function needed, always. */
bool pp_rules_enroll_expire_on_status(const char *old_status, const char *new_status);

/* pp_rules_enroll_challenge_expires: whether an enrolment challenge in
 * `status` is one those two rules expire ("pending"). */
bool pp_rules_enroll_challenge_expires(const char *status);

/* pp_rules_inbound_hook_on_insert: a new message queues an inbound
 * webhook (to pp_rules_inbound_target's choice, if any) when its direction
 * is "inbound". */
bool pp_rules_inbound_hook_on_insert(const char *direction);

/* A value as read from a row: NULL (ptr NULL), or `len` bytes, sealed or
 * not (the rules look only at NULL and empty, which sealing keeps). */
typedef struct {
  const void *ptr;
  size_t len;
} pp_rules_value_t;

/* What an inbound message's webhook is sent to.  The number is the one
 * whose blind index is the message's to_bidx in the message's account;
 * the service is the Messaging Service whose pool holds that number, if
 * any. */
typedef struct {
  const char *sid;          /* the number's PN… */
  pp_rules_value_t sms_url; /* as read: sealed for (phone_numbers, sms_url, sid) */
  const char *sms_method;
} pp_rules_number_t;

typedef struct {
  const char *sid;                      /* the service's MG… */
  pp_rules_value_t inbound_request_url; /* sealed for (messaging_services, ...) */
  const char *inbound_method;
  bool use_inbound_webhook_on_number;
} pp_rules_service_t;

/* The target chosen: the URL (borrowed from the input, as read: still
 * sealed) with the coordinates it is sealed for, and the method. */
typedef struct {
  pp_rules_value_t url;
  const char *url_table, *url_column, *url_row;
  const char *method;
} pp_rules_target_t;

/* pp_rules_inbound_target chooses where an inbound message's webhook
 * goes: the service's inbound_request_url with its inbound_method when
 * `service` is not NULL, does not defer to the number
 * (use_inbound_webhook_on_number false) and its URL is neither NULL nor
 * empty; else the number's sms_url with its sms_method when that is
 * neither NULL nor empty; else nothing (false, *out untouched).  The
 * coordinates are (messaging_services, inbound_request_url, service sid)
 * or (phone_numbers, sms_url, number sid).  `number` NULL: nothing. */
bool pp_rules_inbound_target(const pp_rules_number_t *number, const pp_rules_service_t *service,
                             pp_rules_target_t *out);

/* A webhook queue row as the triggers inserted it; the backend inserts
 * every field (redirects, lease_until and attempts take their defaults,
 * 0; body NULL).  Strings borrowed from the builder's inputs, except the
 * token. */
typedef struct {
  char token[33]; /* 16 random bytes, 32 lowercase hex */
  const char *account_sid, *message_sid;
  const char *kind;  /* "status", "inbound" */
  const char *event; /* the message's status; "received" */
  int64_t error_code;
  pp_rules_value_t url; /* as read: sealed for the url_* coordinates */
  const char *url_table, *url_column, *url_row;
  const char *method;
  int64_t created_ms;
  int64_t next_attempt; /* 0: due now */
} pp_rules_hook_t;

/* The message fields the builders read. */
typedef struct {
  const char *sid, *account_sid;
  const char *status;
  int64_t error_code;
  pp_rules_value_t status_callback;   /* as read: sealed */
  int64_t date_created, date_updated; /* seconds */
} pp_rules_message_t;

/* pp_rules_status_hook builds the status webhook of message `m` (after
 * pp_rules_status_hook_on_insert/_on_update said so): kind "status",
 * event m->status, m->error_code, URL m->status_callback at (messages,
 * status_callback, m->sid), method "POST", created_ms
 * m->date_updated * 1000, a fresh token. */
void pp_rules_status_hook(const pp_rules_message_t *m, pp_rules_hook_t *out);

/* pp_rules_inbound_hook builds inbound message `m`'s webhook to `target`
 * (pp_rules_inbound_target's): kind "inbound", event "received", error 0,
 * created_ms m->date_created * 1000, a fresh token. */
void pp_rules_inbound_hook(const pp_rules_message_t *m, const pp_rules_target_t *target,
                           pp_rules_hook_t *out);

#endif

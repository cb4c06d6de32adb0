/* lockbox.h: the lockbox (DESIGN.md rule 3): staff read an account's
 * content only under a grant its owner approved, for at most four hours,
 * and the owner sees every read (docs/internals/lockbox.md).
 *
 * The decisions are plain functions over plain values (no store, no
 * clock, no allocation; thread-safe), so they are tested alone
 * (test/unit/staff/test_staff_lockbox.c); the handlers (api/lockbox.c)
 * read and write through the store and ask here. */
#ifndef PP_STAFF_LOCKBOX_H
#define PP_STAFF_LOCKBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

#define PP_LOCKBOX_MINUTES_MAX 240       /* a grant lasts at most four hours */
#define PP_LOCKBOX_PENDING_S (12 * 3600) /* an unanswered request expires */
#define PP_LOCKBOX_REASON_MAX 1024       /* bytes of a reason */
#define PP_LOCKBOX_MINUTE_S 60           /* seconds a grant minute lasts */

/* An access request's statuses.  `pending` and `approved` are stored;
 * `expired` is never stored but seen (pp_lockbox_status_at): a pending
 * request 12 hours old, an approved one whose minutes are up. */
typedef enum {
  PP_LOCKBOX_PENDING,
  PP_LOCKBOX_APPROVED,
  PP_LOCKBOX_DENIED,
  PP_LOCKBOX_REVOKED,
  PP_LOCKBOX_EXPIRED,
  PP_LOCKBOX__STATUS_COUNT
} pp_lockbox_status_t;

/* pp_lockbox_status_name returns "pending", "approved", "denied",
 * "revoked" or "expired" ("?" out of range); pp_lockbox_status_parse reads
 * exactly one of them (false otherwise, *out untouched). */
const char *pp_lockbox_status_name(pp_lockbox_status_t s);
bool pp_lockbox_status_parse(const char *name, pp_lockbox_status_t *out);

/* The times of one request as stored, in Unix seconds (0: not yet). */
typedef struct {
  pp_lockbox_status_t status; /* as stored */
  int64_t date_created;
  int64_t date_approved;
  int minutes;
  int minute_s; /* seconds per grant minute: PP_LOCKBOX_MINUTE_S (less in tests) */
} pp_lockbox_times_t;

/* pp_lockbox_check_request decides whether a staff member's request is
 * valid: `reason` present, not only blanks, at most PP_LOCKBOX_REASON_MAX
 * bytes and free of control characters (PP_ERR_PARAM_MISSING when absent or
 * blank, PP_ERR_INVALID_PARAM otherwise); `minutes` decimal digits only,
 * 1..PP_LOCKBOX_MINUTES_MAX (PP_ERR_INVALID_PARAM; absent:
 * PP_ERR_PARAM_MISSING).  On PP_OK *out_minutes is set.  *why (static text)
 * names the parameter for the message on any error. */
pp_err_t pp_lockbox_check_request(const char *reason, const char *minutes, int *out_minutes,
                                  const char **why);

/* pp_lockbox_grant_end returns when an approved request's grant ends:
 * date_approved + minutes * minute_s. */
int64_t pp_lockbox_grant_end(const pp_lockbox_times_t *t);

/* pp_lockbox_status_at returns the status seen at `now`: a stored pending
 * request created PP_LOCKBOX_PENDING_S or more before `now` is expired; an
 * approved one is expired from its grant end on; any other is as stored. */
pp_lockbox_status_t pp_lockbox_status_at(const pp_lockbox_times_t *t, int64_t now);

/* pp_lockbox_grant_active is true exactly when the request is approved (as
 * stored: not revoked) and date_approved <= now < its grant end. */
bool pp_lockbox_grant_active(const pp_lockbox_times_t *t, int64_t now);

/* pp_lockbox_transition decides whether the owner may move a request seen
 * in status `from` (pp_lockbox_status_at) to `to`: pending to approved or
 * denied, approved to revoked.  Nothing leaves denied, revoked or expired,
 * and nothing goes to pending or expired.  PP_OK or PP_ERR_LOCKBOX_STATUS. */
pp_err_t pp_lockbox_transition(pp_lockbox_status_t from, pp_lockbox_status_t to);

#endif

/* verification.h: the rules of an SMS verification and its checks
 * (docs/internals/verify.md, "Verifications: limits and states"): when it
 * reads as expired, when a create sends again on the same verification,
 * how a check moves it on, and the text of its SMS.  Pure functions over
 * plain values: no clock, no store, no allocation. */
#ifndef PP_VERIFY_VERIFICATION_H
#define PP_VERIFY_VERIFICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "verify/secrets.h"

#define PP_VERIFY_TTL 600          /* seconds a verification lives: Twilio's 10 minutes */
#define PP_VERIFY_PENDING_PER_TO 5 /* pending verifications to one number in an account */

#define PP_VERIFY_CODE_MIN 4 /* digits of a verification's code (CodeLength, CustomCode) */
#define PP_VERIFY_CODE_MAX 10

/* pp_verify_status_now returns the status a client sees, at `now`, of a
 * verification stored with `status` that expires at `expires_at`:
 * "expired" for a pending one past its lifetime (the store keeps it
 * pending; nothing can move it on), `status` otherwise. */
const char *pp_verify_status_now(const char *status, int64_t expires_at, int64_t now);

/* pp_verify_send_decide decides a create for a number whose latest
 * verification in the service has the shown status `shown`
 * (pp_verify_status_now) and `sends` codes sent; `shown` NULL when there is
 * none.  A pending one is sent again (*resend true: a new code on the same
 * SID, every code it sent stays valid) up to `max_sends` sends; anything
 * else starts a new verification (*resend false).  Errors:
 * PP_ERR_VERIFY_SENDS when the pending one has had `max_sends` (then
 * *resend is untouched). */
pp_err_t pp_verify_send_decide(const char *shown, int sends, int max_sends, bool *resend);

/* pp_verify_code_ok tells whether `code` may be a verification's code
 * (CustomCode): PP_VERIFY_CODE_MIN to PP_VERIFY_CODE_MAX decimal
 * digits. */
bool pp_verify_code_ok(const char *code);

/* What a check does to its verification. */
typedef struct {
  const char *status; /* "approved", "pending" or "max_attempts_reached" (static) */
  int checks;         /* the wrong codes checked, this one included */
} pp_verify_check_t;

/* pp_verify_check_decide decides a check whose candidate code hashes
 * (pp_verify_hash with the verification's SID) to `hash`, for a
 * verification with shown status `shown` (pp_verify_status_now), `checks`
 * wrong codes checked before and the `sends` hashes of its codes packed in
 * `hashes`.  A code that matches any of them (each compared in constant
 * time) approves it; a wrong one counts, and the `max_checks`th makes it
 * max_attempts_reached.  Fills *out on success.  Errors:
 * PP_ERR_VERIFY_CHECKS when its checks are used up (max_attempts_reached,
 * or `checks` >= `max_checks`); PP_ERR_NOT_FOUND when it is not pending
 * (approved, canceled, expired). */
pp_err_t pp_verify_check_decide(const char *shown, int checks, int max_checks,
                                const unsigned char *hashes, int sends,
                                const unsigned char hash[PP_VERIFY_HASH_LEN],
                                pp_verify_check_t *out);

/* pp_verify_sms_text writes the text of a verification SMS (Twilio's
 * default template) for service `service_name` with `code` into `out`
 * (capacity `cap`, NUL-terminated), with Twilio's "do not share" addendum
 * when `warning`; with `masked`, the code is replaced by as many
 * asterisks (the copy that is stored).  Returns snprintf's count: the
 * text did not fit when it is `cap` or more. */
int pp_verify_sms_text(char *out, size_t cap, const char *service_name, bool warning,
                       const char *code, bool masked);

#endif

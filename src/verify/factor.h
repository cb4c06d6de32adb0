/* factor.h: the rules of Verify factors and their challenges
 * (docs/internals/verify.md, "TOTP factors and challenges" and "DESIGN.md
 * rule 5"): the statuses a client sees, the lock after repeated wrong
 * proofs, and the enrolment of a new factor of an entity that has one, as
 * a transition function.  Pure functions over plain values: no clock, no
 * store, no allocation. */
#ifndef PP_VERIFY_FACTOR_H
#define PP_VERIFY_FACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_VERIFY_FACTOR_MAX_FAILURES 5  /* Twilio: 5 attempts for a TOTP factor (60310) */
#define PP_VERIFY_CHALLENGE_TTL 300      /* a challenge's default lifetime: 5 minutes */
#define PP_VERIFY_CHALLENGE_TTL_MAX 3600 /* ... and the longest one asked for: an hour */
#define PP_VERIFY_QR_TTL 300             /* a new TOTP factor's QR code: 5 minutes, once */

/* What a TOTP factor (Config.*) or a service's default for one (Totp.*)
 * may be set to (Twilio's ranges), and a service's waiting period
 * (Pipit.EnrollmentWait, Pipit's own: 1 hour to 30 days). */
#define PP_VERIFY_TOTP_STEP_MIN 20
#define PP_VERIFY_TOTP_STEP_MAX 60
#define PP_VERIFY_TOTP_DIGITS_MIN 3
#define PP_VERIFY_TOTP_DIGITS_MAX 8
#define PP_VERIFY_TOTP_SKEW_MAX 2
#define PP_VERIFY_ENROLL_WAIT_MIN 3600
#define PP_VERIFY_ENROLL_WAIT_MAX (30 * 86400)

#define PP_VERIFY_IDENTITY_MAX 128 /* characters of an entity's Identity */

/* pp_verify_identity_ok tells whether `id` may be an entity's Identity:
 * 1 to PP_VERIFY_IDENTITY_MAX characters, none of them a space, a control
 * character or "/" (it is a path segment). */
bool pp_verify_identity_ok(const char *id);

/* pp_verify_factor_status returns the status a client sees, at `now`, of a
 * factor stored with `status` ("unverified" or "verified") and
 * `activate_at` (the end of its waiting period, 0 for none): a new factor
 * waiting for approval counts as "verified" once its waiting period is
 * over (it was not canceled, or it would be gone); `status` otherwise. */
const char *pp_verify_factor_status(const char *status, int64_t activate_at, int64_t now);

/* pp_verify_challenge_status returns the status a client sees, at `now`,
 * of a challenge stored with `status` that expires at `expiration_date`:
 * "expired" for a pending one after it, `status` otherwise. */
const char *pp_verify_challenge_status(const char *status, int64_t expiration_date, int64_t now);

/* pp_verify_challenge_expiry decides when a challenge made at `now`
 * expires: at *asked (the ExpirationDate given; NULL for none) when that
 * is after `now` and at most PP_VERIFY_CHALLENGE_TTL_MAX later, or at
 * now + PP_VERIFY_CHALLENGE_TTL when none was asked.  Writes *out and
 * returns true, or returns false for an *asked outside that window. */
bool pp_verify_challenge_expiry(int64_t now, const int64_t *asked, int64_t *out);

/* pp_verify_challenge_answerable decides whether a challenge with shown
 * status `shown` (pp_verify_challenge_status) takes an answer.  Errors:
 * PP_ERR_VERIFY_CHALLENGE_EXPIRED (60323) after its expiration date,
 * PP_ERR_VERIFY_REQUEST (60306) when it was answered already. */
pp_err_t pp_verify_challenge_answerable(const char *shown);

/* pp_verify_factor_locked tells whether a factor with `failures` wrong
 * proofs in a row takes no more proofs (60310, right or wrong). */
bool pp_verify_factor_locked(int failures);

/* pp_verify_proof_count records one proof of a factor that is not locked:
 * `ok` resets *failures to 0 and, when `step` >= 0 (the TOTP time step it
 * matched), makes it *last_counter; a wrong one adds one to *failures and
 * leaves *last_counter. */
void pp_verify_proof_count(bool ok, int64_t step, int64_t *last_counter, int *failures);

/* Where a factor stands in its enrolment (DESIGN.md rule 5). */
typedef enum {
  PP_ENROLL_NEW,      /* unverified, its possession not yet proven */
  PP_ENROLL_WAITING,  /* proven, waiting for an existing factor's approval or the wait's end */
  PP_ENROLL_VERIFIED, /* verified */
} pp_enroll_state_t;

/* What happens to it. */
typedef enum {
  PP_ENROLL_PROVEN,   /* the factor's own proof (TOTP code, push signature) was right */
  PP_ENROLL_APPROVED, /* an existing factor approved it (its enrolment challenge) */
  PP_ENROLL_DENIED,   /* an existing factor denied it */
} pp_enroll_event_t;

/* What the transition does. */
typedef enum {
  PP_ENROLL_STAY,   /* nothing changes */
  PP_ENROLL_VERIFY, /* it becomes verified: factor.verified */
  PP_ENROLL_WAIT,   /* it waits (activate_at = now + the service's wait) while every
                       verified factor of the entity gets an enrolment challenge:
                       factor.enrollment_pending */
  PP_ENROLL_DELETE, /* it is deleted: factor.deleted */
} pp_enroll_action_t;

/* pp_verify_enroll_state returns the state of a factor stored with
 * `status` and `activate_at` (a factor whose wait is over but that the
 * sweep has not yet verified is still PP_ENROLL_WAITING). */
pp_enroll_state_t pp_verify_enroll_state(const char *status, int64_t activate_at);

/* pp_verify_enroll_next is the transition function of rule 5: a factor
 * in state `s` to which event `ev` happens, while its entity has
 * `verified_others` other factors a client sees as verified (read only for
 * PP_ENROLL_NEW and PP_ENROLL_PROVEN).  A first factor proven is
 * verified; a later one waits; a waiting factor is verified when approved
 * and deleted when denied; everything else stays as it is (a second proof
 * does not shorten a wait, an answer to a factor that no longer waits
 * decides nothing). */
pp_enroll_action_t pp_verify_enroll_next(pp_enroll_state_t s, pp_enroll_event_t ev,
                                         size_t verified_others);

/* pp_verify_enroll_event returns the Verify event that action `a` queues
 * ("factor.verified", "factor.enrollment_pending", "factor.deleted"), or
 * NULL for PP_ENROLL_STAY. */
const char *pp_verify_enroll_event(pp_enroll_action_t a);

#endif

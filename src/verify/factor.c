/* factor.c: the rules of Verify factors and challenges (see factor.h). */
#include "verify/factor.h"

#include <string.h>

bool pp_verify_identity_ok(const char *id) {
  size_t n = strlen(id);
  if (n < 1 || n > PP_VERIFY_IDENTITY_MAX) return false;
  for (const char *p = id; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == '/' || *p == 0x7f) return false;
  return true;
}

const char *pp_verify_factor_status(const char *status, int64_t activate_at, int64_t now) {
  if (strcmp(status, "unverified") == 0 && activate_at > 0 && now >= activate_at) return "verified";
  return status;
}

const char *pp_verify_challenge_status(const char *status, int64_t expiration_date, int64_t now) {
  if (strcmp(status, "pending") == 0 && now > expiration_date) return "expired";
  return status;
}

bool pp_verify_challenge_expiry(int64_t now, const int64_t *asked, int64_t *out) {
  if (asked && (*asked <= now || *asked > now + PP_VERIFY_CHALLENGE_TTL_MAX)) return false;
  *out = asked ? *asked : now + PP_VERIFY_CHALLENGE_TTL;
  return true;
}

pp_err_t pp_verify_challenge_answerable(const char *shown) {
  if (strcmp(shown, "expired") == 0) return PP_ERR_VERIFY_CHALLENGE_EXPIRED;
  return strcmp(shown, "pending") == 0 ? PP_OK : PP_ERR_VERIFY_REQUEST;
}

bool pp_verify_factor_locked(int failures) {
  return failures >= PP_VERIFY_FACTOR_MAX_FAILURES;
}

void pp_verify_proof_count(bool ok, int64_t step, int64_t *last_counter, int *failures) {
  if (ok && step >= 0) *last_counter = step;
  *failures = ok ? 0 : *failures + 1;
}

pp_enroll_state_t pp_verify_enroll_state(const char *status, int64_t activate_at) {
  if (strcmp(status, "verified") == 0) return PP_ENROLL_VERIFIED;
  return activate_at > 0 ? PP_ENROLL_WAITING : PP_ENROLL_NEW;
}

pp_enroll_action_t pp_verify_enroll_next(pp_enroll_state_t s, pp_enroll_event_t ev,
                                         size_t verified_others) {
  if (s == PP_ENROLL_NEW && ev == PP_ENROLL_PROVEN)
    return verified_others ? PP_ENROLL_WAIT : PP_ENROLL_VERIFY;
  if (s == PP_ENROLL_WAITING && ev == PP_ENROLL_APPROVED) return PP_ENROLL_VERIFY;
  if (s == PP_ENROLL_WAITING && ev == PP_ENROLL_DENIED) return PP_ENROLL_DELETE;
  return PP_ENROLL_STAY;
}

const char *pp_verify_enroll_event(pp_enroll_action_t a) {
  switch (a) {
    case PP_ENROLL_VERIFY:
      return "factor.verified";
    case PP_ENROLL_WAIT:
      return "factor.enrollment_pending";
    case PP_ENROLL_DELETE:
      return "factor.deleted";
    case PP_ENROLL_STAY:
      break;
  }
  return NULL;
}

/* test_verify_factor.c: factor and challenge statuses, the lock after
 * wrong proofs, and DESIGN.md rule 5's enrolment transitions. */
#include <string.h>

#include "check.h"
#include "verify/factor.h"

static void identities(void) {
  char id[PP_VERIFY_IDENTITY_MAX + 2];
  memset(id, 'a', sizeof id);
  id[PP_VERIFY_IDENTITY_MAX] = '\0';
  CHECK(pp_verify_identity_ok(id));
  id[PP_VERIFY_IDENTITY_MAX] = 'a';
  id[PP_VERIFY_IDENTITY_MAX + 1] = '\0';
  CHECK(!pp_verify_identity_ok(id));
  CHECK(pp_verify_identity_ok("ff483d1ff591898a9942916050d2ca3f"));
  CHECK(pp_verify_identity_ok("user-1@example.com"));
  CHECK(!pp_verify_identity_ok(""));
  CHECK(!pp_verify_identity_ok("a b"));
  CHECK(!pp_verify_identity_ok("a/b"));
  CHECK(!pp_verify_identity_ok("a\tb"));
  CHECK(!pp_verify_identity_ok("a\x7f"));
}

static void statuses(void) {
  CHECK_EQ_STR(pp_verify_factor_status("unverified", 0, 5000), "unverified");
  CHECK_EQ_STR(pp_verify_factor_status("unverified", 1000, 999), "unverified");
  CHECK_EQ_STR(pp_verify_factor_status("unverified", 1000, 1000), "verified");
  CHECK_EQ_STR(pp_verify_factor_status("verified", 0, 1), "verified");
  CHECK_EQ_STR(pp_verify_challenge_status("pending", 1000, 1000), "pending");
  CHECK_EQ_STR(pp_verify_challenge_status("pending", 1000, 1001), "expired");
  CHECK_EQ_STR(pp_verify_challenge_status("approved", 1000, 5000), "approved");
  CHECK_EQ_STR(pp_verify_challenge_status("denied", 1000, 5000), "denied");
}

static void challenges(void) {
  int64_t t = 0, asked;
  CHECK(pp_verify_challenge_expiry(1000, NULL, &t));
  CHECK_EQ_INT(t, 1000 + 300);
  asked = 1000 + 3600;
  CHECK(pp_verify_challenge_expiry(1000, &asked, &t));
  CHECK_EQ_INT(t, 4600);
  asked = 1001;
  CHECK(pp_verify_challenge_expiry(1000, &asked, &t));
  CHECK_EQ_INT(t, 1001);
  t = 7;
  asked = 1000 + 3601;
  CHECK(!pp_verify_challenge_expiry(1000, &asked, &t));
  asked = 1000;
  CHECK(!pp_verify_challenge_expiry(1000, &asked, &t));
  asked = 0;
  CHECK(!pp_verify_challenge_expiry(1000, &asked, &t));
  CHECK_EQ_INT(t, 7);
  CHECK(pp_verify_challenge_answerable("pending") == PP_OK);
  CHECK(pp_verify_challenge_answerable("expired") == PP_ERR_VERIFY_CHALLENGE_EXPIRED);
  CHECK(pp_verify_challenge_answerable("approved") == PP_ERR_VERIFY_REQUEST);
  CHECK(pp_verify_challenge_answerable("denied") == PP_ERR_VERIFY_REQUEST);
}

static void proofs(void) {
  CHECK(!pp_verify_factor_locked(0));
  CHECK(!pp_verify_factor_locked(4));
  CHECK(pp_verify_factor_locked(5));
  CHECK(pp_verify_factor_locked(6));
  int64_t last = 7;
  int failures = 3;
  pp_verify_proof_count(false, -1, &last, &failures);
  CHECK_EQ_INT(last, 7);
  CHECK_EQ_INT(failures, 4);
  pp_verify_proof_count(true, 9, &last, &failures);
  CHECK_EQ_INT(last, 9);
  CHECK_EQ_INT(failures, 0);
  /* A push proof has no time step. */
  failures = 2;
  pp_verify_proof_count(true, -1, &last, &failures);
  CHECK_EQ_INT(last, 9);
  CHECK_EQ_INT(failures, 0);
  /* Five wrong in a row lock it. */
  for (int i = 0; i < 5; i++) pp_verify_proof_count(false, -1, &last, &failures);
  CHECK(pp_verify_factor_locked(failures));
}

static void enrolment(void) {
  CHECK(pp_verify_enroll_state("unverified", 0) == PP_ENROLL_NEW);
  CHECK(pp_verify_enroll_state("unverified", 1000) == PP_ENROLL_WAITING);
  CHECK(pp_verify_enroll_state("verified", 0) == PP_ENROLL_VERIFIED);
  /* Every state and event, for a first factor (no other verified) and a
   * later one (1 to 3 others): a first factor proven is verified, a later
   * one waits; a waiting one is approved or denied; the rest stays. */
  static const pp_enroll_action_t first[3][3] = {
      /* PROVEN, APPROVED, DENIED */
      [PP_ENROLL_NEW] = {PP_ENROLL_VERIFY, PP_ENROLL_STAY, PP_ENROLL_STAY},
      [PP_ENROLL_WAITING] = {PP_ENROLL_STAY, PP_ENROLL_VERIFY, PP_ENROLL_DELETE},
      [PP_ENROLL_VERIFIED] = {PP_ENROLL_STAY, PP_ENROLL_STAY, PP_ENROLL_STAY},
  };
  for (size_t others = 0; others <= 3; others++)
    for (int s = PP_ENROLL_NEW; s <= PP_ENROLL_VERIFIED; s++)
      for (int ev = PP_ENROLL_PROVEN; ev <= PP_ENROLL_DENIED; ev++) {
        pp_enroll_action_t want = first[s][ev - PP_ENROLL_PROVEN];
        if (others && s == PP_ENROLL_NEW && ev == PP_ENROLL_PROVEN) want = PP_ENROLL_WAIT;
        CHECK_EQ_INT(pp_verify_enroll_next(s, ev, others), want);
      }
  CHECK_EQ_STR(pp_verify_enroll_event(PP_ENROLL_VERIFY), "factor.verified");
  CHECK_EQ_STR(pp_verify_enroll_event(PP_ENROLL_WAIT), "factor.enrollment_pending");
  CHECK_EQ_STR(pp_verify_enroll_event(PP_ENROLL_DELETE), "factor.deleted");
  CHECK(pp_verify_enroll_event(PP_ENROLL_STAY) == NULL);
}

int main(void) {
  identities();
  statuses();
  challenges();
  proofs();
  enrolment();
  return check_report("test_verify_factor");
}

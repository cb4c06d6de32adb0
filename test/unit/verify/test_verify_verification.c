/* test_verify_verification.c: the rules of SMS verifications: expiry,
 * sending again, checks, CustomCode, the SMS text. */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "verify/verification.h"

static void status_now(void) {
  CHECK_EQ_STR(pp_verify_status_now("pending", 1600, 1599), "pending");
  CHECK_EQ_STR(pp_verify_status_now("pending", 1600, 1600), "expired");
  CHECK_EQ_STR(pp_verify_status_now("approved", 1600, 9999), "approved");
  CHECK_EQ_STR(pp_verify_status_now("canceled", 1600, 1), "canceled");
}

static void send_decide(void) {
  bool resend = true;
  CHECK(pp_verify_send_decide(NULL, 0, 5, &resend) == PP_OK && !resend);
  resend = true;
  CHECK(pp_verify_send_decide("expired", 5, 5, &resend) == PP_OK && !resend);
  resend = true;
  CHECK(pp_verify_send_decide("approved", 1, 5, &resend) == PP_OK && !resend);
  CHECK(pp_verify_send_decide("pending", 1, 5, &resend) == PP_OK && resend);
  CHECK(pp_verify_send_decide("pending", 4, 5, &resend) == PP_OK && resend);
  resend = false;
  CHECK(pp_verify_send_decide("pending", 5, 5, &resend) == PP_ERR_VERIFY_SENDS && !resend);
}

static void code_ok(void) {
  /* Four to ten digits, nothing else. */
  static const struct {
    const char *code;
    bool ok;
  } t[] = {{"1234", true},         {"0123456789", true}, {"123", false},
           {"01234567890", false}, {"12a4", false},      {"", false}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    CHECK(pp_verify_code_ok(t[i].code) == t[i].ok);
}

static void check_decide(void) {
  unsigned char master[32];
  memset(master, 3, sizeof master);
  pp_verify_keys_t *k = NULL;
  CHECK(pp_verify_keys_new(master, &k) == PP_OK);
  unsigned char hashes[2 * PP_VERIFY_HASH_LEN], right[PP_VERIFY_HASH_LEN],
      wrong[PP_VERIFY_HASH_LEN];
  pp_verify_hash(k, "VE1", "111111", hashes);
  pp_verify_hash(k, "VE1", "222222", hashes + PP_VERIFY_HASH_LEN);
  pp_verify_hash(k, "VE1", "222222", right);
  pp_verify_hash(k, "VE1", "333333", wrong);
  pp_verify_check_t c = {0};
  /* Every code sent checks, the latest and the earlier ones. */
  CHECK(pp_verify_check_decide("pending", 2, 5, hashes, 2, right, &c) == PP_OK);
  CHECK_EQ_STR(c.status, "approved");
  CHECK_EQ_INT(c.checks, 2);
  CHECK(pp_verify_check_decide("pending", 0, 5, hashes, 2, hashes, &c) == PP_OK);
  CHECK_EQ_STR(c.status, "approved");
  /* ... but not a code beyond the sends. */
  CHECK(pp_verify_check_decide("pending", 0, 5, hashes, 1, right, &c) == PP_OK);
  CHECK_EQ_STR(c.status, "pending");
  CHECK_EQ_INT(c.checks, 1);
  /* A wrong code counts; the fifth makes it max_attempts_reached. */
  CHECK(pp_verify_check_decide("pending", 3, 5, hashes, 2, wrong, &c) == PP_OK);
  CHECK_EQ_STR(c.status, "pending");
  CHECK_EQ_INT(c.checks, 4);
  CHECK(pp_verify_check_decide("pending", 4, 5, hashes, 2, wrong, &c) == PP_OK);
  CHECK_EQ_STR(c.status, "max_attempts_reached");
  CHECK_EQ_INT(c.checks, 5);
  /* Used up: 60202, even with the right code; not pending: 20404. */
  CHECK(pp_verify_check_decide("max_attempts_reached", 5, 5, hashes, 2, right, &c) ==
        PP_ERR_VERIFY_CHECKS);
  CHECK(pp_verify_check_decide("pending", 5, 5, hashes, 2, right, &c) == PP_ERR_VERIFY_CHECKS);
  CHECK(pp_verify_check_decide("approved", 0, 5, hashes, 2, right, &c) == PP_ERR_NOT_FOUND);
  CHECK(pp_verify_check_decide("expired", 0, 5, hashes, 2, right, &c) == PP_ERR_NOT_FOUND);
  CHECK(pp_verify_check_decide("canceled", 1, 5, hashes, 2, right, &c) == PP_ERR_NOT_FOUND);
  pp_verify_keys_free(k);
}

static void sms_text(void) {
  char t[256];
  int n = pp_verify_sms_text(t, sizeof t, "Acme", false, "123456", false);
  CHECK_EQ_STR(t, "Your Acme verification code is: 123456");
  CHECK_EQ_INT(n, strlen(t));
  pp_verify_sms_text(t, sizeof t, "Acme", false, "123456", true);
  CHECK_EQ_STR(t, "Your Acme verification code is: ******");
  pp_verify_sms_text(t, sizeof t, "Acme", true, "0123456789", true);
  CHECK_EQ_STR(t,
               "Your Acme verification code is: **********. Do not share this code with anyone.");
  pp_verify_sms_text(t, sizeof t, "Acme", true, "1234", false);
  CHECK_EQ_STR(t, "Your Acme verification code is: 1234. Do not share this code with anyone.");
  CHECK(pp_verify_sms_text(t, 10, "Acme", false, "1234", false) >= 10);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  status_now();
  send_decide();
  code_ok();
  check_decide();
  sms_text();
  return check_report("test_verify_verification");
}

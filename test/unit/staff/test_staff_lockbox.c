/* The lockbox's decisions (staff/lockbox.h): a request's validity, the
 * expiry of unanswered requests, the status changes an owner may make and
 * when a grant is active, over plain values at the edges of each rule. */
#include <stdbool.h>

#include "check.h"
#include "staff/lockbox.h"

static void test_request(void) {
  int m = -7;
  const char *why = NULL;
  CHECK_EQ_INT(pp_lockbox_check_request("ticket 42: delivery to +44 fails", "30", &m, &why), PP_OK);
  CHECK_EQ_INT(m, 30);
  CHECK_EQ_INT(pp_lockbox_check_request("r", "1", &m, &why), PP_OK);
  CHECK_EQ_INT(m, 1);
  CHECK_EQ_INT(pp_lockbox_check_request("r", "240", &m, &why), PP_OK);
  CHECK_EQ_INT(m, 240);
  /* Reason: required, not blank, bounded, printable. */
  m = -7;
  CHECK_EQ_INT(pp_lockbox_check_request(NULL, "30", &m, &why), PP_ERR_PARAM_MISSING);
  CHECK_EQ_STR(why, "Reason");
  CHECK_EQ_INT(m, -7); /* untouched on failure */
  CHECK_EQ_INT(pp_lockbox_check_request("", "30", &m, &why), PP_ERR_PARAM_MISSING);
  CHECK_EQ_INT(pp_lockbox_check_request(" \t ", "30", &m, &why), PP_ERR_PARAM_MISSING);
  CHECK_EQ_INT(pp_lockbox_check_request("a\nb", "30", &m, &why), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_lockbox_check_request("a\x7f", "30", &m, &why), PP_ERR_INVALID_PARAM);
  char longer[PP_LOCKBOX_REASON_MAX + 2];
  memset(longer, 'x', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  CHECK_EQ_INT(pp_lockbox_check_request(longer, "30", &m, &why), PP_ERR_INVALID_PARAM);
  longer[PP_LOCKBOX_REASON_MAX] = '\0';
  CHECK_EQ_INT(pp_lockbox_check_request(longer, "30", &m, &why), PP_OK);
  /* UTF-8 is text, not a control character. */
  CHECK_EQ_INT(pp_lockbox_check_request("r\xc3\xa9sum\xc3\xa9", "5", &m, &why), PP_OK);
  /* Minutes: 1..240, digits only. */
  CHECK_EQ_INT(pp_lockbox_check_request("r", NULL, &m, &why), PP_ERR_PARAM_MISSING);
  CHECK_EQ_STR(why, "Minutes");
  CHECK_EQ_INT(pp_lockbox_check_request("r", "", &m, &why), PP_ERR_PARAM_MISSING);
  const char *bad[] = {"0",   "241", "-1", "+5", " 5", "5 ", "1e2", "0x10", "99999999999999999999",
                       "abc", "2401"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    why = NULL;
    CHECK_EQ_INT(pp_lockbox_check_request("r", bad[i], &m, &why), PP_ERR_INVALID_PARAM);
    CHECK_EQ_STR(why, "Minutes must be an integer from 1 to 240");
  }
  CHECK_EQ_INT(pp_lockbox_check_request("r", "007", &m, &why), PP_OK);
  CHECK_EQ_INT(m, 7);
}

static void test_names(void) {
  for (int i = 0; i < PP_LOCKBOX__STATUS_COUNT; i++) {
    pp_lockbox_status_t s;
    CHECK(pp_lockbox_status_parse(pp_lockbox_status_name((pp_lockbox_status_t)i), &s));
    CHECK_EQ_INT(s, i);
  }
  pp_lockbox_status_t s = PP_LOCKBOX_DENIED;
  CHECK(!pp_lockbox_status_parse("Approved", &s));
  CHECK(!pp_lockbox_status_parse(NULL, &s));
  CHECK_EQ_INT(s, PP_LOCKBOX_DENIED);
  CHECK_EQ_STR(pp_lockbox_status_name((pp_lockbox_status_t)99), "?");
}

static void test_expiry(void) {
  pp_lockbox_times_t t = {.status = PP_LOCKBOX_PENDING,
                          .date_created = 1000,
                          .minutes = 30,
                          .minute_s = PP_LOCKBOX_MINUTE_S};
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 1000), PP_LOCKBOX_PENDING);
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 1000 + 12 * 3600 - 1), PP_LOCKBOX_PENDING);
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 1000 + 12 * 3600), PP_LOCKBOX_EXPIRED);
  CHECK(!pp_lockbox_grant_active(&t, 1500)); /* pending grants nothing */
  /* Approved at 2000 for 30 minutes: active on [2000, 3800). */
  t.status = PP_LOCKBOX_APPROVED;
  t.date_approved = 2000;
  CHECK_EQ_INT(pp_lockbox_grant_end(&t), 3800);
  CHECK(!pp_lockbox_grant_active(&t, 1999));
  CHECK(pp_lockbox_grant_active(&t, 2000));
  CHECK(pp_lockbox_grant_active(&t, 3799));
  CHECK(!pp_lockbox_grant_active(&t, 3800));
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 3799), PP_LOCKBOX_APPROVED);
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 3800), PP_LOCKBOX_EXPIRED);
  /* An approved request is not expired by the 12 hours of a pending one. */
  t.minutes = 240;
  t.date_approved = 1000 + 12 * 3600 - 10;
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 1000 + 12 * 3600 + 5), PP_LOCKBOX_APPROVED);
  CHECK(pp_lockbox_grant_active(&t, 1000 + 12 * 3600 + 5));
  /* A shorter minute (tests) scales the grant, not the pending expiry. */
  t.minutes = 2;
  t.minute_s = 1;
  t.date_approved = 5000;
  CHECK(pp_lockbox_grant_active(&t, 5001));
  CHECK(!pp_lockbox_grant_active(&t, 5002));
  /* Revoked, denied, expired: never active. */
  t.minute_s = PP_LOCKBOX_MINUTE_S;
  t.status = PP_LOCKBOX_REVOKED;
  CHECK(!pp_lockbox_grant_active(&t, 5001));
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 5001), PP_LOCKBOX_REVOKED);
  t.status = PP_LOCKBOX_DENIED;
  CHECK(!pp_lockbox_grant_active(&t, 5001));
  CHECK_EQ_INT(pp_lockbox_status_at(&t, 99999999), PP_LOCKBOX_DENIED);
  /* Approved without an approval time grants nothing. */
  t.status = PP_LOCKBOX_APPROVED;
  t.date_approved = 0;
  CHECK(!pp_lockbox_grant_active(&t, 10));
}

static void test_transitions(void) {
  /* Exactly three moves are allowed. */
  int allowed = 0;
  for (int f = 0; f < PP_LOCKBOX__STATUS_COUNT; f++)
    for (int t = 0; t < PP_LOCKBOX__STATUS_COUNT; t++) {
      pp_err_t e = pp_lockbox_transition((pp_lockbox_status_t)f, (pp_lockbox_status_t)t);
      CHECK(e == PP_OK || e == PP_ERR_LOCKBOX_STATUS);
      allowed += e == PP_OK;
    }
  CHECK_EQ_INT(allowed, 3);
  /* Which three: each (from, to) below, and nothing else. */
  static const struct {
    pp_lockbox_status_t from, to;
    bool ok;
  } moves[] = {
      {PP_LOCKBOX_PENDING, PP_LOCKBOX_APPROVED, true},
      {PP_LOCKBOX_PENDING, PP_LOCKBOX_DENIED, true},
      {PP_LOCKBOX_APPROVED, PP_LOCKBOX_REVOKED, true},
      {PP_LOCKBOX_PENDING, PP_LOCKBOX_REVOKED, false},
      {PP_LOCKBOX_APPROVED, PP_LOCKBOX_APPROVED, false},
      {PP_LOCKBOX_APPROVED, PP_LOCKBOX_DENIED, false},
      {PP_LOCKBOX_DENIED, PP_LOCKBOX_APPROVED, false},
      {PP_LOCKBOX_REVOKED, PP_LOCKBOX_APPROVED, false},
      {PP_LOCKBOX_EXPIRED, PP_LOCKBOX_APPROVED, false},
      {PP_LOCKBOX_EXPIRED, PP_LOCKBOX_REVOKED, false},
  };
  for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
    CHECK_EQ_INT(pp_lockbox_transition(moves[i].from, moves[i].to),
                 moves[i].ok ? PP_OK : PP_ERR_LOCKBOX_STATUS);
  /* A pending request past 12 hours is expired, so it can no longer be
   * approved: the status seen is what the transition is asked about. */
  pp_lockbox_times_t t = {.status = PP_LOCKBOX_PENDING,
                          .date_created = 0,
                          .minutes = 5,
                          .minute_s = PP_LOCKBOX_MINUTE_S};
  CHECK_EQ_INT(pp_lockbox_transition(pp_lockbox_status_at(&t, 12 * 3600), PP_LOCKBOX_APPROVED),
               PP_ERR_LOCKBOX_STATUS);
  CHECK_EQ_INT(pp_lockbox_transition(pp_lockbox_status_at(&t, 12 * 3600 - 1), PP_LOCKBOX_APPROVED),
               PP_OK);
}

int main(void) {
  test_request();
  test_names();
  test_expiry();
  test_transitions();
  return check_report("staff_lockbox");
}

/* test_verify_events.c: the event types a Verify webhook may subscribe to,
 * and the form of an event. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "verify/events.h"

static void types(void) {
  static const char *const known[] = {"*",
                                      "factor.created",
                                      "factor.verified",
                                      "factor.deleted",
                                      "challenge.approved",
                                      "challenge.denied",
                                      "factor.enrollment_pending",
                                      "challenge.pending"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    CHECK(pp_verify_event_type_known(known[i]));
  CHECK(!pp_verify_event_type_known(""));
  CHECK(!pp_verify_event_type_known("factor.*"));
  CHECK(!pp_verify_event_type_known("Factor.created"));
  CHECK(!pp_verify_event_type_known("challenge.expired"));
}

/* A webhook's EventTypes as stored: comma-separated, entries exact. */
static void subscribed(void) {
  CHECK(pp_verify_event_subscribed("*", "factor.created"));
  CHECK(pp_verify_event_subscribed("factor.created,*", "challenge.denied"));
  CHECK(pp_verify_event_subscribed("factor.created", "factor.created"));
  CHECK(pp_verify_event_subscribed("factor.created,factor.verified", "factor.verified"));
  CHECK(pp_verify_event_subscribed("a,factor.deleted,b", "factor.deleted"));
  CHECK(!pp_verify_event_subscribed("factor.created", "factor.verified"));
  CHECK(!pp_verify_event_subscribed("factor.created", "factor.create"));
  CHECK(!pp_verify_event_subscribed("factor.created", "factor.created,"));
  CHECK(!pp_verify_event_subscribed("factor.*", "factor.created"));
  CHECK(!pp_verify_event_subscribed("**", "factor.created"));
  CHECK(!pp_verify_event_subscribed("", "factor.created"));
}

static void form(void) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  const char *kv[] = {"entity_identity", "ff483d1ff591898a9942916050d2ca3f", "factor_sid", NULL};
  pp_verify_event_form(&b, "factor.created", "AC1", "VA1", kv, 2, 1700000000);
  CHECK(pp_buf_status(&b) == PP_OK);
  /* uuid=<32 hex>&type=...&account_sid=...&service_sid=...&...&created_date=... */
  CHECK(b.data && strncmp(b.data, "uuid=", 5) == 0 && strspn(b.data + 5, "0123456789abcdef") == 32);
  CHECK_EQ_STR(b.data + 37,
               "&type=factor.created&account_sid=AC1&service_sid=VA1"
               "&entity_identity=ff483d1ff591898a9942916050d2ca3f&factor_sid="
               "&created_date=2023-11-14T22%3A13%3A20Z");
  pp_buf_cleanup(&b);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  types();
  subscribed();
  form();
  return check_report("test_verify_events");
}

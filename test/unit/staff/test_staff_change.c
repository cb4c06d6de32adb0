/* Four eyes (src/staff/change.c): who may ask for and decide a change
 * request, its expiry after 24 hours, and the transitions, over plain
 * values. */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "staff/staff.h"

static pp_staff_t member(const char *name, const char *role) {
  pp_staff_t m;
  memset(&m, 0, sizeof m);
  strcpy(m.name, name);
  strcpy(m.role, role);
  return m;
}

static void actions(void) {
  CHECK(pp_change_action_ok("carrier.create"));
  CHECK(pp_change_action_ok("route.delete"));
  CHECK(!pp_change_action_ok("route.update"));
  CHECK(!pp_change_action_ok(NULL));
  CHECK_EQ_STR(pp_change_uv_action("carrier.update"), PP_CHANGE_UV_CARRIER);
  CHECK_EQ_STR(pp_change_uv_action("route.create"), PP_CHANGE_UV_ROUTE);
  CHECK(pp_change_uv_action("number.add") == NULL);
}

static void new_request(void) {
  pp_change_t c, d;
  CHECK_EQ_INT(pp_change_new("route.create", "staff:alice", 1000, &c), PP_OK);
  CHECK(pp_sid_valid(c.sid, "CR"));
  CHECK_EQ_STR(c.status, "pending");
  CHECK_EQ_STR(c.requested_by, "staff:alice");
  CHECK_EQ_INT(c.date_created, 1000);
  CHECK_EQ_INT(c.date_expires, 1000 + 86400);
  CHECK_EQ_STR(c.decided_by, "");
  CHECK_EQ_INT(pp_change_new("route.create", "staff:alice", 1000, &d), PP_OK);
  CHECK(strcmp(c.sid, d.sid) != 0);
  CHECK_EQ_INT(pp_change_new("route.patch", "staff:alice", 1000, &d), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_change_new("route.create", "", 1000, &d), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_change_new("route.create", NULL, 1000, &d), PP_ERR_INVALID_PARAM);
}

static void who_may(void) {
  pp_staff_t alice = member("alice", "operator"), bob = member("bob", "operator"),
             sam = member("sam", "support");
  CHECK_EQ_INT(pp_change_may_request(&alice), PP_OK);
  CHECK_EQ_INT(pp_change_may_request(&sam), PP_ERR_STAFF_ROLE);
  pp_change_t c;
  pp_change_new("carrier.create", "staff:alice", 1000, &c);
  /* Refusals leave the request as it was. */
  CHECK_EQ_INT(pp_change_decide(&c, &alice, "approved", 1001), PP_ERR_CHANGE_OWN);
  CHECK_EQ_INT(pp_change_decide(&c, &alice, "rejected", 1001), PP_ERR_CHANGE_OWN);
  CHECK_EQ_INT(pp_change_decide(&c, &sam, "approved", 1001), PP_ERR_STAFF_ROLE);
  CHECK_EQ_INT(pp_change_decide(&c, &bob, "maybe", 1001), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_change_decide(&c, &bob, NULL, 1001), PP_ERR_INVALID_PARAM);
  CHECK_EQ_STR(c.status, "pending");
  CHECK_EQ_STR(c.decided_by, "");
  /* A member whose name only looks like the requester's is someone else. */
  pp_staff_t alice2 = member("alice2", "operator");
  pp_change_t e = c;
  CHECK_EQ_INT(pp_change_decide(&e, &alice2, "rejected", 1001), PP_OK);
  /* Another operator decides once. */
  CHECK_EQ_INT(pp_change_decide(&c, &bob, "approved", 1002), PP_OK);
  CHECK_EQ_STR(c.status, "approved");
  CHECK_EQ_STR(c.decided_by, "staff:bob");
  CHECK_EQ_INT(c.date_decided, 1002);
  pp_staff_t carol = member("carol", "operator");
  CHECK_EQ_INT(pp_change_decide(&c, &carol, "rejected", 1003), PP_ERR_CHANGE_DECIDED);
  CHECK_EQ_INT(pp_change_decide(&c, &bob, "approved", 1003), PP_ERR_CHANGE_DECIDED);
  CHECK_EQ_STR(c.decided_by, "staff:bob");
}

static void expiry(void) {
  pp_staff_t bob = member("bob", "operator");
  pp_change_t c;
  pp_change_new("route.delete", "staff:alice", 1000, &c);
  CHECK_EQ_STR(pp_change_status_at(&c, 1000 + 86399), "pending");
  CHECK_EQ_STR(pp_change_status_at(&c, 1000 + 86400), "expired");
  CHECK_EQ_INT(pp_change_decide(&c, &bob, "approved", 1000 + 86400), PP_ERR_CHANGE_EXPIRED);
  CHECK_EQ_INT(pp_change_decide(&c, &bob, "rejected", 1000 + 90000), PP_ERR_CHANGE_EXPIRED);
  CHECK_EQ_STR(c.status, "pending");
  CHECK_EQ_INT(pp_change_decide(&c, &bob, "approved", 1000 + 86399), PP_OK);
  /* Decided: no longer expires. */
  CHECK_EQ_STR(pp_change_status_at(&c, 1000 + 999999), "approved");
}

static void host_changes(void) {
  pp_change_t c;
  CHECK_EQ_INT(pp_change_host("route.create", "cli:root", 5000, &c), PP_OK);
  CHECK_EQ_STR(c.status, "approved");
  CHECK_EQ_STR(c.requested_by, "cli:root");
  CHECK_EQ_STR(c.decided_by, "cli:root");
  CHECK_EQ_INT(c.date_decided, 5000);
  CHECK_EQ_INT(pp_change_host("nothing", "cli:root", 5000, &c), PP_ERR_INVALID_PARAM);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  actions();
  new_request();
  who_may();
  expiry();
  host_changes();
  return check_report("staff_change");
}

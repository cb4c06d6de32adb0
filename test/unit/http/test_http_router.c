/* test_http_router.c: the route table and its segment matcher (router.c):
 * known paths find their route and captures, a known path with another
 * method answers -2 (405), anything else -1 (404); a capture is never
 * empty and never spans a '/'; and every route of the table is reached by
 * its own pattern, by no other, and only with its own method. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "http/http.h"

static pp_arena_t arena;

/* The index of the route named `name`, or -1. */
static int named(const char *name) {
  for (size_t i = 0; i < pp_http_routes_count; i++)
    if (strcmp(pp_http_routes[i].name, name) == 0) return (int)i;
  return -1;
}

static int match(pp_method_t m, const char *path, const char *params[3]) {
  params[0] = params[1] = params[2] = NULL;
  return pp_http_route_match(m, path, &arena, params);
}

static void test_known_paths(void) {
  /* Each path finds its route, with these captures in path order and no
   * others. */
  static const struct {
    pp_method_t m;
    const char *path, *route, *captures[3];
  } t[] = {
      {PP_GET, "/2010-04-01/Accounts.json", "accounts_list", {NULL}},
      {PP_POST, "/2010-04-01/Accounts.json", "accounts_create", {NULL}},
      {PP_GET, "/2010-04-01/Accounts/AC123.json", "accounts_fetch", {"AC123"}},
      {PP_POST, "/2010-04-01/Accounts/AC1/Messages.json", "messages_create", {"AC1"}},
      {PP_DELETE, "/2010-04-01/Accounts/AC1/Messages/SM9.json", "messages_delete", {"AC1", "SM9"}},
      {PP_POST,
       "/verify/v2/Services/VA1/Entities/id-7/Factors/YF2",
       "factors_update",
       {"VA1", "id-7", "YF2"}},
      {PP_GET,
       "/verify/v2/Services/VA1/RateLimits/RK1/Buckets/BL1",
       "buckets_fetch",
       {"VA1", "RK1", "BL1"}},
      /* A capture keeps what the path holds (decoding is the API's). */
      {PP_GET,
       "/2010-04-01/Accounts/AC1/IncomingPhoneNumbers/%2B1555.json",
       "numbers_fetch",
       {"AC1", "%2B1555"}},
      /* The suffix is taken from the end: a capture may hold ".json" itself. */
      {PP_GET, "/2010-04-01/Accounts/a.json.json", "accounts_fetch", {"a.json"}},
      {PP_GET, "/admin/v1/Carriers/c1/Routes", "admin_carrier_routes_list", {"c1"}},
      {PP_GET, "/audit/v1/Events/AE1/Proof", "audit_event_proof", {"AE1"}},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    const char *p[3];
    int failed = check_failures;
    CHECK_EQ_INT(match(t[i].m, t[i].path, p), named(t[i].route));
    for (int k = 0; k < 3; k++) {
      if (t[i].captures[k])
        CHECK_EQ_STR(p[k], t[i].captures[k]);
      else
        CHECK(p[k] == NULL);
    }
    if (check_failures > failed) fprintf(stderr, "  (for %s)\n", t[i].path);
  }
}

static void test_wrong_method(void) {
  const char *p[3];
  CHECK_EQ_INT(match(PP_DELETE, "/2010-04-01/Accounts.json", p), -2);
  CHECK_EQ_INT(match(PP_METHOD_OTHER, "/2010-04-01/Accounts/AC1.json", p), -2);
  CHECK_EQ_INT(match(PP_POST, "/audit/v1/Events", p), -2);
  CHECK_EQ_INT(match(PP_GET, "/accounts/v1/AuthTokens/Promote", p), -2);
  CHECK_EQ_INT(match(PP_DELETE, "/admin/v1/Routes", p), -2);
}

static void test_no_route(void) {
  const char *p[3];
  const char *none[] = {
      "",
      "/",
      "/2010-04-01",
      "/2010-04-01/Accounts",         /* no suffix */
      "/2010-04-01/Accounts.json/",   /* trailing slash */
      "/2010-04-01/Accounts/.json",   /* empty capture */
      "/2010-04-01/Accounts/AC1",     /* capture without its suffix */
      "/2010-04-01/Accounts/AC1.xml", /* another suffix */
      "/2010-04-01/Accounts//Messages.json",
      "/2010-04-01/Accounts/AC1/Messages.json/x",
      "/2010-04-01/accounts.json",     /* case matters */
      "/2010-04-01/Accounts/A/B.json", /* a capture spans no '/' */
      "/verify/v2/Services/VA1/Entities/E1/Factors/YF1/QrCode/x",
      "/admin/v1/Carriers/",
      "//admin/v1/Carriers",
      "admin/v1/Carriers",
      "/monitor/v1/Alerts/a/b",
  };
  for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
    int got = match(PP_GET, none[i], p);
    if (got != -1) fprintf(stderr, "path \"%s\" matched %d\n", none[i], got);
    CHECK_EQ_INT(got, -1);
    CHECK_EQ_INT(match(PP_POST, none[i], p), -1);
  }
}

/* The path of `pattern` with each "{}" replaced by "x<n>". */
static void fill(const char *pattern, char *out, size_t cap) {
  size_t o = 0;
  int n = 0;
  for (const char *s = pattern; *s && o + 4 < cap; s++) {
    if (s[0] == '{' && s[1] == '}') {
      o += (size_t)snprintf(out + o, cap - o, "x%d", n++);
      s++;
    } else {
      out[o++] = *s;
    }
  }
  out[o] = '\0';
}

static void test_table(void) {
  CHECK(pp_http_routes_count > 50);
  for (size_t i = 0; i < pp_http_routes_count; i++) {
    const pp_http_route_t *r = &pp_http_routes[i];
    char path[256];
    fill(r->pattern, path, sizeof path);
    const char *p[3];
    int got = match(r->method, path, p);
    if (got != (int)i) fprintf(stderr, "%s %s: matched %d\n", r->name, path, got);
    CHECK_EQ_INT(got, (int)i);
    /* Captures as filled, in order. */
    int n = 0;
    for (const char *s = r->pattern; (s = strstr(s, "{}")); s += 2, n++) {
      char want[16];
      snprintf(want, sizeof want, "x%d", n);
      CHECK_EQ_STR(p[n], want);
    }
    CHECK(n <= 3);
    /* Operator-only exactly under /admin/v1. */
    CHECK_EQ_INT(r->operator_only, strncmp(r->pattern, "/admin/v1/", 10) == 0);
    CHECK(r->handler != NULL);
    /* Names are unique (metrics labels). */
    CHECK_EQ_INT(named(r->name), (int)i);
    /* A method the route does not have: another route of the same path, or 405. */
    got = match(PP_METHOD_OTHER, path, p);
    CHECK_EQ_INT(got, -2);
  }
}

int main(void) {
  pp_arena_init(&arena, 0);
  test_known_paths();
  test_wrong_method();
  test_no_route();
  test_table();
  pp_arena_cleanup(&arena);
  return check_report("test_http_router");
}

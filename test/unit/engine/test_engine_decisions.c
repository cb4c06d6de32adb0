/* test_engine_decisions.c: the engine layer's pure decisions
 * (engine_int.h): the route picked for a destination by prefix over the
 * carriers that are up, and whether an unrouted message waits or fails;
 * the webhook retry schedule (doubling, capped, +-25% jitter); and TwiML
 * URLs resolved against the request URL. */
#include <stdlib.h>

#include "check.h"
#include "engine/engine_int.h"

/* Carriers named in `up` (comma-separated, each ",name,") are bound. */
static bool is_up(void *arg, const char *carrier) {
  char key[80];
  snprintf(key, sizeof key, ",%s,", carrier);
  return strstr((const char *)arg, key) != NULL;
}

static pp_route_rule_t rule(const char *prefix, const char *carrier) {
  pp_route_rule_t r = {0};
  snprintf(r.prefix, sizeof r.prefix, "%s", prefix);
  snprintf(r.carrier, sizeof r.carrier, "%s", carrier);
  return r;
}

static void test_route_pick(void) {
  /* The store's order: most specific prefix first, then priority. */
  pp_route_rule_t rules[] = {
      rule("+4477", "uk-mobile"), rule("+44", "uk-a"), rule("+44", "uk-b"),
      rule("+1", "nanp"),         rule("+", "world"),
  };
  size_t n = sizeof rules / sizeof rules[0];
  bool any = false;
  const char *all = ",uk-mobile,uk-a,uk-b,nanp,world,";

  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+447700900123", is_up, (void *)all, &any), 0);
  CHECK(any);
  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+442079460000", is_up, (void *)all, &any), 1);
  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+15550100", is_up, (void *)all, &any), 3);
  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+33612345678", is_up, (void *)all, &any), 4);

  /* A carrier that is down: the next matching rule, however general. */
  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+447700900123", is_up, ",uk-b,nanp,world,", &any),
               2);
  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+447700900123", is_up, ",nanp,world,", &any), 4);
  /* Every matching carrier down: no route, but a rule matched (it waits). */
  CHECK_EQ_INT(pp_engine_route_pick(rules, n, "+447700900123", is_up, ",nanp,", &any), -1);
  CHECK(any);
  /* A carrier up for another prefix only does not carry it. */
  CHECK_EQ_INT(pp_engine_route_pick(rules, 4, "+33612345678", is_up, (void *)all, &any), -1);
  CHECK(!any); /* no rule at all: it fails */
  /* A prefix longer than the destination does not match. */
  CHECK_EQ_INT(pp_engine_route_pick(rules, 1, "+447", is_up, (void *)all, &any), -1);
  CHECK(!any);
  /* No rules. */
  CHECK_EQ_INT(pp_engine_route_pick(rules, 0, "+1555", is_up, (void *)all, &any), -1);
  CHECK(!any);
  /* An empty prefix matches everything. */
  pp_route_rule_t catch_all = rule("", "world");
  CHECK_EQ_INT(pp_engine_route_pick(&catch_all, 1, "12345", is_up, (void *)all, &any), 0);
}

/* Draws `k` delays; each within [lo, hi], and more than one value seen. */
static void delays_within(unsigned base, unsigned max, int attempts, uint64_t lo, uint64_t hi) {
  uint64_t min = UINT64_MAX, most = 0;
  for (int k = 0; k < 500; k++) {
    uint64_t d = pp_webhooks_retry_delay_ms(base, max, attempts);
    if (d < min) min = d;
    if (d > most) most = d;
  }
  if (min < lo || most > hi)
    fprintf(stderr, "attempt %d: %llu..%llu outside %llu..%llu\n", attempts,
            (unsigned long long)min, (unsigned long long)most, (unsigned long long)lo,
            (unsigned long long)hi);
  CHECK(min >= lo && most <= hi);
  if (hi > lo) CHECK(most > min); /* jittered, not constant */
}

static void test_retry_delay(void) {
  delays_within(1000, 600000, 1, 750, 1250);
  delays_within(1000, 600000, 2, 1500, 2500);
  delays_within(1000, 600000, 3, 3000, 5000);
  delays_within(1000, 600000, 10, 384000, 640000); /* 512 s */
  delays_within(1000, 600000, 11, 450000, 750000); /* 1024 s: capped at 600 s */
  delays_within(1000, 600000, 1000, 450000, 750000);
  delays_within(1000, 600000, 0, 750, 1250);  /* no attempt yet: as the first */
  delays_within(1000, 600000, -5, 750, 1250); /* likewise */
  /* The shift stops at 20: no overflow even with a large base. */
  delays_within(4000000000u, 4000000000u, 64, 3000000000ull, 5000000000ull);
  /* A zero base retries at once. */
  CHECK_EQ_INT(pp_webhooks_retry_delay_ms(0, 600000, 5), 0);
}

static void test_resolve_url(void) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  const char *base = "https://h.test:8443/app/hooks/sms?x=1#f";
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, base, "http://o.test/a"), "http://o.test/a");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, base, "https://o.test"), "https://o.test");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, base, "/status"), "https://h.test:8443/status");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, base, "next.xml"),
               "https://h.test:8443/app/hooks/next.xml");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h/app/", "n"), "http://h/app/n");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h/app", "n"), "http://h/n");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h", "n"), "http://h/n");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h", "/n"), "http://h/n");
  /* A '/' in the query is not part of the path. */
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h/a/b?u=/x/y", "n"), "http://h/a/n");
  /* The origin ends before a query or fragment even without a path. */
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h?u=1", "/n"), "http://h/n");
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h#top", "n"), "http://h/n");
  /* Nothing to resolve, or nothing to resolve against. */
  CHECK(pp_webhooks_resolve_url(&a, base, "") == NULL);
  CHECK(pp_webhooks_resolve_url(&a, base, NULL) == NULL);
  CHECK(pp_webhooks_resolve_url(&a, "no-scheme/path", "n") == NULL);
  /* Only http and https count as absolute. */
  CHECK_EQ_STR(pp_webhooks_resolve_url(&a, "http://h/a/", "ftp://x"), "http://h/a/ftp://x");
  pp_arena_cleanup(&a);
}

int main(void) {
  test_route_pick();
  test_retry_delay();
  test_resolve_url();
  return check_report("test_engine_decisions");
}

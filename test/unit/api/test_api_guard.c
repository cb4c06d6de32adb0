/* test_api_guard.c: the sign-in guard (guard.c; docs/internals/api.md,
 * "Sign-in guard") over a real store for the events it writes: the backoff
 * schedule; the first 3 failures of a pair recorded one by one; a pair
 * refused after 10 failures in a row, for 1 s, then 2 s, while another
 * principal or another address is not; a success clearing the pair; an
 * address refused after 1,000 failures of a window; and the counts adding
 * up: every failure not recorded one by one is in an auth.failures event. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/api.h"
#include "api/guard_int.h"
#include "check.h"
#include "core/clock.h"

static const unsigned char test_master[32] = {4, 3, 2, 1};
static pp_api_t api;
static int recorded_one_by_one, failures_total;

static void req_from(pp_api_req_t *r, const char *ip) {
  memset(r, 0, sizeof *r);
  r->api = &api;
  snprintf(r->audit.ip, sizeof r->audit.ip, "%s", ip);
}

/* One refused credential of `principal` from r's address. */
static bool fail(pp_api_req_t *r, const char *principal) {
  pp_audit_event_t ev = {.kind = PP_AUDIT_AUTH_FAILURE};
  snprintf(ev.principal, sizeof ev.principal, "%s", principal);
  snprintf(ev.ip, sizeof ev.ip, "%s", r->audit.ip);
  bool rec = pp_api_guard_failed(r, &ev);
  failures_total++;
  recorded_one_by_one += rec;
  return rec;
}

static void test_penalty(void) {
  CHECK_EQ_INT(pp_api_guard_penalty_ms(0), 1000);
  CHECK_EQ_INT(pp_api_guard_penalty_ms(1), 1000);
  CHECK_EQ_INT(pp_api_guard_penalty_ms(2), 2000);
  CHECK_EQ_INT(pp_api_guard_penalty_ms(3), 4000);
  CHECK_EQ_INT(pp_api_guard_penalty_ms(10), 512000);
  CHECK_EQ_INT(pp_api_guard_penalty_ms(11), 900000); /* 1024 s: capped at 15 min */
  CHECK_EQ_INT(pp_api_guard_penalty_ms(1000), 900000);
  CHECK_EQ_INT(pp_api_guard_penalty_ms(UINT32_MAX), 900000);
  for (uint32_t i = 1; i < 40; i++)
    CHECK(pp_api_guard_penalty_ms(i + 1) >= pp_api_guard_penalty_ms(i)); /* never shorter */
}

static void test_pair(void) {
  pp_api_req_t r, other_ip;
  req_from(&r, "192.0.2.1");
  req_from(&other_ip, "198.51.100.7");
  char p[PP_SID_SIZE], q[PP_SID_SIZE];
  pp_sid_new(p, "AC");
  pp_sid_new(q, "AC");

  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_OK); /* nobody counted yet */
  for (int i = 1; i <= 10; i++) {
    CHECK_EQ_INT(fail(&r, p), i <= 3); /* the first 3 one by one, then counted */
    CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_OK);
  }
  fail(&r, p); /* the 11th in a row: refused for 1 s */
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_ERR_AUTH_RATE);
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_ERR_AUTH_RATE);
  CHECK_EQ_INT(pp_api_guard_check(&r, q), PP_OK);        /* another principal */
  CHECK_EQ_INT(pp_api_guard_check(&other_ip, p), PP_OK); /* the owner elsewhere */
  CHECK_EQ_INT(pp_api_guard_check(&r, "not-a-sid"), PP_OK);

  pp_clock_set_offset(2); /* the second is over */
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_OK);
  fail(&r, p); /* the 12th: 2 s */
  pp_clock_set_offset(3);
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_ERR_AUTH_RATE);
  pp_clock_set_offset(5);
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_OK);

  /* A success forgets the pair: a new streak, recorded one by one again. */
  pp_api_guard_passed(&r, p);
  for (int i = 1; i <= 10; i++) fail(&r, p);
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_OK); /* 10 in a row: not yet */
}

static void test_address(void) {
  pp_api_req_t r, elsewhere;
  req_from(&r, "203.0.113.9");
  req_from(&elsewhere, "192.0.2.200");
  char p[PP_SID_SIZE];
  int recorded = 0;
  for (int i = 0; i < 1000; i++) {
    pp_sid_new(p, "AC"); /* a new principal each time: no pair reaches 10 */
    recorded += fail(&r, p);
  }
  CHECK_EQ_INT(recorded, 30); /* the address's budget of events one by one */
  pp_sid_new(p, "AC");
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_OK);
  fail(&r, p); /* the 1,001st of the window: the whole address refused */
  pp_sid_new(p, "AC");
  CHECK_EQ_INT(pp_api_guard_check(&r, p), PP_ERR_AUTH_RATE);
  CHECK_EQ_INT(pp_api_guard_check(&r, ""), PP_ERR_AUTH_RATE);
  CHECK_EQ_INT(pp_api_guard_check(&elsewhere, p), PP_OK);
}

static long long resource_count(const pp_audit_entry_t *e, const char *prefix) {
  for (size_t i = 0; i < e->nresources; i++)
    if (strncmp(e->resources[i], prefix, strlen(prefix)) == 0)
      return atoll(e->resources[i] + strlen(prefix));
  return -1;
}

int main(void) {
  if (sodium_init() < 0) return 1;
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/pp-guard-%d", (int)getpid());
  CHECK_EQ_INT(pp_store_open(dir, test_master, &api.store), PP_OK);
  pp_api_guard_t *g = NULL;
  CHECK_EQ_INT(pp_api_guard_new(0, &g), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_api_guard_new(3600, &api.guard), PP_OK);

  test_penalty();
  test_pair();
  test_address();

  /* Stopping writes what is still counted; a write after those proves
   * them applied (one writer, in order). */
  pp_api_guard_stop(&api);
  CHECK(api.guard == NULL);
  pp_audit_event_t marker = {.kind = PP_AUDIT_OPERATOR_REQUEST, .principal = "marker"};
  pp_write_t w = {.kind = PP_W_AUDIT, .audit = &marker};
  CHECK_EQ_INT(pp_store_write(api.store, &w), PP_OK);

  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_entry_t *rows = NULL;
  size_t n = 0;
  CHECK_EQ_INT(pp_store_audit_scan(api.store, &a, 0, 10000, &rows, &n), PP_OK);
  long long counted = 0, refused = 0;
  int events = 0;
  bool marker_seen = false;
  for (size_t i = 0; i < n; i++) {
    if (rows[i].principal && strcmp(rows[i].principal, "marker") == 0) marker_seen = true;
    if (!rows[i].event || strcmp(rows[i].event, "auth.failures") != 0) continue;
    events++;
    long long f = resource_count(&rows[i], "failures:");
    long long rf = resource_count(&rows[i], "refused:");
    CHECK(f >= 0 && rf >= 0 && resource_count(&rows[i], "since:") > 0);
    counted += f;
    refused += rf;
  }
  CHECK(marker_seen);
  CHECK(events >= 2);
  /* Every failure is in the log: one by one (the caller's) or counted. */
  CHECK_EQ_INT(counted, failures_total - recorded_one_by_one);
  CHECK_EQ_INT(refused, 5); /* every 429 answered above */
  pp_arena_cleanup(&a);

  pp_clock_set_offset(0);
  pp_store_free(api.store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("test_api_guard");
}

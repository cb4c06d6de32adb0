/* Change requests in a real SQLite store (schema step 25, PP_W_CHANGE and
 * pp_write_t.change): inserted once; the password sealed (opened by
 * pp_store_change_get, wiped by the list, its text nowhere on disk); a
 * decision rides on the change it approves, all or nothing, and only from
 * "pending" before the expiry: a second decision, or one too late, fails
 * and takes its change with it. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "staff/staff.h"

#define PASSWORD "Zq7-pw!x"

static const unsigned char test_master[32] = {2, 7, 1, 8, 2, 8};
static pp_store_t *store;

static pp_err_t write_change(pp_write_t *w, const pp_change_t *c, bool insert) {
  pp_change_write_t cw = {.change = c, .insert = insert};
  w->change = &cw;
  return pp_store_write(store, w);
}

static pp_err_t alone(const pp_change_t *c, bool insert) {
  pp_write_t w = {.kind = PP_W_CHANGE};
  return write_change(&w, c, insert);
}

/* Puts carrier `name` with decision `c` riding on the write. */
static pp_err_t put_with(const char *name, const pp_change_t *c) {
  pp_carrier_t k;
  memset(&k, 0, sizeof k);
  snprintf(k.name, sizeof k.name, "%s", name);
  snprintf(k.host, sizeof k.host, "127.0.0.1");
  k.port = 9;
  snprintf(k.system_id, sizeof k.system_id, "x");
  k.window = k.binds = 1;
  pp_write_t w = {.kind = PP_W_CARRIER_PUT, .u.carrier = &k};
  return write_change(&w, c, false);
}

static bool has_carrier(pp_arena_t *a, const char *name) {
  pp_carrier_t *rows;
  size_t n;
  CHECK_EQ_INT(pp_store_carrier_all(store, a, &rows, &n), PP_OK);
  bool found = false;
  for (size_t i = 0; i < n; i++) found |= strcmp(rows[i].name, name) == 0;
  return found;
}

int main(void) {
  if (sodium_init() < 0) return 1;
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/pp-change-%d", (int)getpid());
  CHECK_EQ_INT(pp_store_open(dir, test_master, &store), PP_OK);
  const int64_t now = 1700000000;
  pp_arena_t a;
  pp_arena_init(&a, 0);

  pp_change_t c;
  CHECK_EQ_INT(pp_change_new("carrier.create", "staff:alice", now, &c), PP_OK);
  snprintf(c.carrier, sizeof c.carrier, "fe");
  snprintf(c.params, sizeof c.params, "Name=fe&SystemId=x");
  snprintf(c.password, sizeof c.password, PASSWORD);
  CHECK_EQ_INT(alone(&c, true), PP_OK);
  CHECK_EQ_INT(alone(&c, true), PP_ERR_CONFLICT); /* the sid is taken */

  pp_change_t got;
  CHECK_EQ_INT(pp_store_change_get(store, c.sid, &got), PP_OK);
  CHECK_EQ_STR(got.password, PASSWORD);
  CHECK(got.password_set);
  CHECK_EQ_STR(got.status, "pending");
  CHECK_EQ_STR(got.params, "Name=fe&SystemId=x");
  CHECK_EQ_INT(got.date_expires, now + PP_CHANGE_TTL_S);
  sodium_memzero(got.password, sizeof got.password);
  CHECK_EQ_INT(pp_store_change_get(store, "CR00000000000000000000000000000000", &got),
               PP_ERR_NOT_FOUND);

  pp_change_t *rows;
  size_t n;
  CHECK_EQ_INT(pp_store_change_list(store, &a, "pending", &rows, &n), PP_OK);
  CHECK(n == 1 && strcmp(rows[0].sid, c.sid) == 0);
  CHECK(rows[0].password_set && rows[0].password[0] == '\0'); /* wiped, still known set */
  CHECK_EQ_INT(pp_store_change_list(store, &a, "approved", &rows, &n), PP_OK);
  CHECK(n == 0);
  CHECK_EQ_INT(pp_store_change_list(store, &a, "rejected", &rows, &n), PP_ERR_INVALID_PARAM);

  /* Too late: the decision and the change it carries both fail. */
  pp_change_t late = c;
  snprintf(late.status, sizeof late.status, "approved");
  snprintf(late.decided_by, sizeof late.decided_by, "staff:bob");
  late.date_decided = c.date_expires;
  CHECK_EQ_INT(put_with("late", &late), PP_ERR_CONFLICT);
  CHECK(!has_carrier(&a, "late"));

  /* In time: approved with its change. */
  pp_change_t ok = late;
  ok.date_decided = now + 60;
  CHECK_EQ_INT(put_with("fe", &ok), PP_OK);
  CHECK(has_carrier(&a, "fe"));
  CHECK_EQ_INT(pp_store_change_get(store, c.sid, &got), PP_OK);
  CHECK_EQ_STR(got.status, "approved");
  CHECK_EQ_STR(got.decided_by, "staff:bob");
  CHECK_EQ_INT(got.date_decided, now + 60);
  sodium_memzero(got.password, sizeof got.password);

  /* Decided: a second decision fails, and so does what it carries. */
  pp_change_t again = ok;
  snprintf(again.decided_by, sizeof again.decided_by, "staff:carol");
  CHECK_EQ_INT(put_with("second", &again), PP_ERR_CONFLICT);
  CHECK(!has_carrier(&a, "second"));
  snprintf(again.status, sizeof again.status, "rejected");
  CHECK_EQ_INT(alone(&again, false), PP_ERR_CONFLICT);

  /* The changelog: approved ones, newest decision first. */
  pp_change_t host;
  CHECK_EQ_INT(pp_change_host("route.delete", "cli:root", now + 120, &host), PP_OK);
  snprintf(host.carrier, sizeof host.carrier, "fe");
  snprintf(host.prefix, sizeof host.prefix, "+44");
  CHECK_EQ_INT(alone(&host, true), PP_OK);
  CHECK_EQ_INT(pp_store_change_list(store, &a, "approved", &rows, &n), PP_OK);
  CHECK(n == 2 && strcmp(rows[0].sid, host.sid) == 0 && strcmp(rows[1].sid, c.sid) == 0);
  CHECK(!rows[0].password_set);
  CHECK_EQ_INT(pp_store_change_list(store, &a, NULL, &rows, &n), PP_OK);
  CHECK(n == 2);

  pp_arena_cleanup(&a);
  pp_store_free(store);

  /* Sealed: the password's text appears nowhere in the files. */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "grep -rqa -- '%s' %s", PASSWORD, dir);
  CHECK(system(cmd) != 0);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("staff_change_store");
}

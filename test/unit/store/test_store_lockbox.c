/* The lockbox's rows in a real store: an access request written with its
 * reason sealed (not in the file as text), read back opened, answered only
 * from the status it was seen in, listed by status and staff member; an
 * account's settings, and a notice queued to its WebhookUrl (kind
 * "lockbox", URL and form opened by the dispatcher's claim) in the
 * transaction of the change, none without a URL. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/ids.h"
#include "store/store.h"
#include "store_fixture.h"

static const unsigned char test_master[32] = {9, 4, 1};
static pp_store_t *store;
static char path[128];

/* How many rows of the file's lockbox_requests hold `text` in the clear. */
static int plain_rows(const char *text) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int n = -1;
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  CHECK_EQ_INT(sqlite3_prepare_v2(db,
                                  "SELECT count(*) FROM lockbox_requests WHERE "
                                  "instr(CAST(reason AS TEXT), ?1) > 0",
                                  -1, &st, NULL),
               SQLITE_OK);
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static pp_err_t lockbox(pp_lockbox_request_t *q, const char *account, bool insert,
                        const char *if_status, const char *event, const char *body) {
  pp_write_t w = {.kind = PP_W_LOCKBOX};
  w.u.lockbox = (pp_lockbox_write_t){q, account, insert, if_status, event, body, 1700000000};
  return pp_store_write(store, &w);
}

static void request(pp_lockbox_request_t *q, const char *account, const char *staff,
                    const char *reason) {
  memset(q, 0, sizeof *q);
  pp_sid_new(q->sid, "LR");
  snprintf(q->account_sid, sizeof q->account_sid, "%s", account);
  snprintf(q->staff, sizeof q->staff, "%s", staff);
  snprintf(q->status, sizeof q->status, "pending");
  q->reason = reason;
  q->minutes = 30;
  q->date_created = q->date_updated = 1700000000;
  CHECK_EQ_INT(lockbox(q, account, true, NULL, "request.created", "Event=request.created"), PP_OK);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/pp-lockbox-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/pipit.db", dir);
  CHECK_EQ_INT(pp_store_open(dir, test_master, &store), PP_OK);
  pp_account_t acc = {.date_created = 1};
  CHECK_EQ_INT(fixture_account(store, &acc), PP_OK);
  pp_arena_t a;
  pp_arena_init(&a, 0);

  /* Written sealed, read opened. */
  pp_lockbox_request_t q1, q2, got;
  request(&q1, acc.sid, "staff:alice", "ticket 7: +15550001234 gets nothing");
  request(&q2, acc.sid, "staff:bob", "ticket 8");
  CHECK(q2.seq > q1.seq);
  CHECK_EQ_INT(plain_rows("+15550001234"), 0);
  CHECK_EQ_INT(plain_rows("ticket"), 0);
  CHECK_EQ_INT(pp_store_lockbox_get(store, &a, acc.sid, q1.sid, &got), PP_OK);
  CHECK_EQ_STR(got.reason, "ticket 7: +15550001234 gets nothing");
  CHECK_EQ_STR(got.staff, "staff:alice");
  CHECK_EQ_STR(got.status, "pending");
  CHECK_EQ_INT(got.minutes, 30);
  /* Another account's sid, or a sid of another account: not found. */
  char other[PP_SID_SIZE];
  pp_sid_new(other, "AC");
  CHECK_EQ_INT(pp_store_lockbox_get(store, &a, other, q1.sid, &got), PP_ERR_NOT_FOUND);

  /* Answered only from the status it was seen in. */
  snprintf(q1.status, sizeof q1.status, "approved");
  snprintf(q1.answered_by, sizeof q1.answered_by, "%s", acc.sid);
  q1.date_approved = q1.date_updated = 1700000100;
  CHECK_EQ_INT(lockbox(&q1, acc.sid, false, "pending", "request.approved", "x=1"), PP_OK);
  snprintf(q1.status, sizeof q1.status, "denied");
  CHECK_EQ_INT(lockbox(&q1, acc.sid, false, "pending", "request.denied", "x=1"), PP_ERR_CONFLICT);
  CHECK_EQ_INT(pp_store_lockbox_get(store, &a, acc.sid, q1.sid, &got), PP_OK);
  CHECK_EQ_STR(got.status, "approved");
  CHECK_EQ_INT(got.date_approved, 1700000100);
  CHECK_EQ_STR(got.answered_by, acc.sid);
  CHECK_EQ_STR(got.reason, "ticket 7: +15550001234 gets nothing");

  /* Lists: newest first; by status and by staff member. */
  pp_lockbox_request_t *rows;
  size_t n;
  bool more;
  pp_lockbox_filter_t f = {.account_sid = acc.sid, .page = {.limit = 10}};
  CHECK_EQ_INT(pp_store_lockbox_list(store, &a, &f, &rows, &n, &more), PP_OK);
  CHECK_EQ_INT(n, 2);
  if (n == 2) {
    CHECK_EQ_STR(rows[0].sid, q2.sid);
    CHECK_EQ_STR(rows[1].reason, "ticket 7: +15550001234 gets nothing");
  }
  f.status = "approved";
  f.staff = "staff:alice";
  CHECK_EQ_INT(pp_store_lockbox_list(store, &a, &f, &rows, &n, &more), PP_OK);
  CHECK_EQ_INT(n, 1);
  f.staff = "staff:bob";
  CHECK_EQ_INT(pp_store_lockbox_list(store, &a, &f, &rows, &n, &more), PP_OK);
  CHECK_EQ_INT(n, 0);

  /* Every account's pending requests (the staff overview): no account. */
  pp_account_t acc2 = {.date_created = 1};
  CHECK_EQ_INT(fixture_account(store, &acc2), PP_OK);
  pp_lockbox_request_t q3;
  request(&q3, acc2.sid, "staff:carol", "ticket 9");
  pp_lockbox_filter_t all = {.status = "pending", .page = {.limit = 10}};
  CHECK_EQ_INT(pp_store_lockbox_list(store, &a, &all, &rows, &n, &more), PP_OK);
  CHECK_EQ_INT(n, 2);
  if (n == 2) {
    CHECK_EQ_STR(rows[0].sid, q3.sid);
    CHECK_EQ_STR(rows[0].reason, "ticket 9"); /* opened with its own account's key */
    CHECK_EQ_STR(rows[1].sid, q2.sid);
  }
  /* The overview's counts: an account with nothing, and queues idle. */
  pp_account_counts_t ac;
  CHECK_EQ_INT(pp_store_account_counts(store, acc2.sid, &ac), PP_OK);
  CHECK(ac.messages == 0 && ac.numbers == 0 && ac.verify_services == 0);
  pp_queue_depths_t qd = {1, 1};
  CHECK_EQ_INT(pp_store_queue_depths(store, &qd), PP_OK);
  CHECK(qd.messages_waiting == 0 && qd.webhooks_waiting == 0);

  /* Settings: none yet, so nothing was queued above. */
  pp_lockbox_settings_t ls;
  CHECK_EQ_INT(pp_store_lockbox_settings(store, &a, acc.sid, &ls), PP_OK);
  CHECK(ls.webhook_url == NULL);
  CHECK_EQ_INT(ls.date_updated, 0);
  pp_write_t cw = {.kind = PP_W_HOOK_CLAIM};
  cw.u.hook_claim = (pp_hook_claim_t){
      .now_ms = 1800000000000LL, .lease_until_ms = 1800000060000LL, .limit = 10, .arena = &a};
  CHECK_EQ_INT(pp_store_write(store, &cw), PP_OK);
  CHECK_EQ_INT(cw.u.hook_claim.n, 0);

  pp_lockbox_settings_t put = {.webhook_url = "https://example.com/lockbox?k=1",
                               .date_updated = 1700000200};
  snprintf(put.account_sid, sizeof put.account_sid, "%s", acc.sid);
  pp_write_t sw = {.kind = PP_W_LOCKBOX_SETTINGS, .u.lockbox_settings = &put};
  CHECK_EQ_INT(pp_store_write(store, &sw), PP_OK);
  CHECK_EQ_INT(pp_store_lockbox_settings(store, &a, acc.sid, &ls), PP_OK);
  CHECK_EQ_STR(ls.webhook_url, "https://example.com/lockbox?k=1");
  CHECK_EQ_INT(ls.date_updated, 1700000200);

  /* A notice alone (a read under a grant), then one with a change. */
  CHECK_EQ_INT(lockbox(NULL, acc.sid, false, NULL, "read", "EventType=read&Sid=LR1"), PP_OK);
  snprintf(q1.status, sizeof q1.status, "revoked");
  q1.date_revoked = 1700000300;
  CHECK_EQ_INT(lockbox(&q1, acc.sid, false, "approved", "request.revoked", "EventType=revoked"),
               PP_OK);
  CHECK_EQ_INT(pp_store_queue_depths(store, &qd), PP_OK);
  CHECK(qd.messages_waiting == 0 && qd.webhooks_waiting == 2); /* both notices wait */
  CHECK_EQ_INT(pp_store_write(store, &cw), PP_OK);
  CHECK_EQ_INT(cw.u.hook_claim.n, 1); /* one at a time per account, in order */
  if (cw.u.hook_claim.n == 1) {
    const pp_hook_t *h = &cw.u.hook_claim.rows[0];
    CHECK_EQ_STR(h->kind, "lockbox");
    CHECK_EQ_STR(h->event, "read");
    CHECK_EQ_STR(h->account_sid, acc.sid);
    CHECK_EQ_STR(h->url, "https://example.com/lockbox?k=1");
    CHECK(h->body && strcmp(h->body, "EventType=read&Sid=LR1") == 0);
  }
  /* Clearing the URL: no more notices. */
  put.webhook_url = NULL;
  CHECK_EQ_INT(pp_store_write(store, &sw), PP_OK);
  CHECK_EQ_INT(pp_store_lockbox_settings(store, &a, acc.sid, &ls), PP_OK);
  CHECK(ls.webhook_url == NULL);

  pp_arena_cleanup(&a);
  pp_store_free(store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK_EQ_INT(system(cmd), 0);
  return check_report("store_lockbox");
}

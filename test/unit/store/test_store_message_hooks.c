/* A message's webhooks and its sealed text, written by the writer's apply
 * in the transaction of the change (what the triggers messages_hook_* and
 * message_sealed_done did): a status callback queued on create (queued or
 * accepted) and on each status change to a reported status, none for a
 * status set again; an inbound message's request to its number's SMS URL,
 * or to its Messaging Service's InboundRequestUrl unless the service defers
 * to the number; message_sealed dropped when the message leaves the send
 * queue.  The queue's URLs open to what was given. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/ids.h"
#include "store/store.h"
#include "store_fixture.h"

static char dir[64];
static char path[128];
static const unsigned char test_master[32] = {7, 1, 2};
static pp_store_t *store;
static pp_account_t acc;

/* The first column of the first row of `sql` as text into `out` ("" when
 * none or NULL). */
static const char *query_text(const char *sql, char *out, size_t size) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

/* The webhook rows queued for message `sid`, oldest first, as
 * "kind:event:url_table:url_column:method" separated by spaces. */
static const char *hooks_of(const char *sid) {
  static char out[1024];
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT group_concat(h, ' ') FROM (SELECT kind||':'||event||':'||url_table||':'||"
           "url_column||':'||method AS h FROM webhooks WHERE message_sid='%s' ORDER BY seq)",
           sid);
  return query_text(sql, out, sizeof out);
}

static void write_ok(pp_write_t *w) {
  CHECK_EQ_INT(pp_store_write(store, w), PP_OK);
}

/* A message of the account, written; `status_callback` may be NULL. */
static void message(pp_message_t *m, const char *direction, const char *status, const char *to,
                    const char *status_callback) {
  memset(m, 0, sizeof *m);
  pp_sid_new(m->sid, "SM");
  memcpy(m->account_sid, acc.sid, sizeof acc.sid);
  m->to = to;
  m->from = "+15550001111";
  m->body = "hello";
  m->status_callback = status_callback;
  m->direction = direction;
  m->status = status;
  m->num_segments = 1;
  m->validity_period = 36000;
  m->date_created = m->date_updated = 1700000000;
  pp_write_t w = {.kind = PP_W_MESSAGE_INSERT, .u.message = m};
  write_ok(&w);
}

static pp_err_t patch(const pp_message_t *m, const char *body, const char *status,
                      const char *if_status) {
  pp_write_t w = {.kind = PP_W_MESSAGE_PATCH};
  w.u.patch = (pp_message_patch_t){m->account_sid, m->sid, body, status, if_status, 1700000100};
  return pp_store_write(store, &w);
}

static void number(pp_number_t *n, const char *e164, const char *sms_url) {
  memset(n, 0, sizeof *n);
  pp_sid_new(n->sid, "PN");
  memcpy(n->account_sid, acc.sid, sizeof acc.sid);
  snprintf(n->phone_number, sizeof n->phone_number, "%s", e164);
  snprintf(n->sms_method, sizeof n->sms_method, "POST");
  snprintf(n->sms_fallback_method, sizeof n->sms_fallback_method, "POST");
  snprintf(n->status_callback_method, sizeof n->status_callback_method, "POST");
  n->sms_url = sms_url;
  pp_write_t w = {.kind = PP_W_NUMBER_INSERT, .u.number = n};
  write_ok(&w);
}

/* A service holding number `n`, with InboundRequestUrl `url`, GET. */
static void service(pp_service_t *sv, const pp_number_t *n, const char *url, bool defer) {
  memset(sv, 0, sizeof *sv);
  pp_sid_new(sv->sid, "MG");
  memcpy(sv->account_sid, acc.sid, sizeof acc.sid);
  snprintf(sv->friendly_name, sizeof sv->friendly_name, "svc");
  snprintf(sv->inbound_method, sizeof sv->inbound_method, "GET");
  snprintf(sv->fallback_method, sizeof sv->fallback_method, "POST");
  snprintf(sv->scan_message_content, sizeof sv->scan_message_content, "inherit");
  snprintf(sv->usecase, sizeof sv->usecase, "undeclared");
  sv->inbound_request_url = url;
  sv->use_inbound_webhook_on_number = defer;
  sv->validity_period = 36000;
  pp_write_t w = {.kind = PP_W_SERVICE_INSERT, .u.service = sv};
  write_ok(&w);
  pp_service_number_t sn = {0};
  memcpy(sn.sid, n->sid, sizeof sn.sid);
  memcpy(sn.service_sid, sv->sid, sizeof sn.service_sid);
  memcpy(sn.account_sid, acc.sid, sizeof acc.sid);
  w = (pp_write_t){.kind = PP_W_SERVICE_NUMBER_INSERT, .u.service_number = &sn};
  write_ok(&w);
}

static long long sealed_rows(const pp_message_t *m) {
  char sql[160], out[32];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM message_sealed WHERE message_seq=%lld",
           (long long)m->seq);
  return atoll(query_text(sql, out, sizeof out));
}

static void put_sealed(const pp_message_t *m) {
  sqlite3 *db = NULL;
  char sql[160];
  snprintf(sql, sizeof sql, "INSERT INTO message_sealed(message_seq,sealed) VALUES(%lld,x'00')",
           (long long)m->seq);
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

static void fail(const pp_message_t *m) {
  pp_write_t w = {.kind = PP_W_DELIVERY_FAIL};
  w.u.fail = (pp_fail_t){m->seq, 1700000200, "failed", 30008, "unknown"};
  write_ok(&w);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  snprintf(dir, sizeof dir, "/tmp/pp-msghooks-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/pipit.db", dir);
  CHECK_EQ_INT(pp_store_open(dir, test_master, &store), PP_OK);
  char out[64];
  CHECK_EQ_STR(query_text("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name IN "
                          "('messages_hook_created','messages_hook_status',"
                          "'messages_hook_inbound','message_sealed_done')",
                          out, sizeof out),
               "0");

  memset(&acc, 0, sizeof acc);
  CHECK_EQ_INT(fixture_account(store, &acc), PP_OK);

  /* Created queued or accepted with a callback: one status request each;
   * without a callback, or created scheduled: none. */
  pp_message_t q, a, none, sched;
  message(&q, "outbound-api", "queued", "+15550002222", "https://example.com/cb-q");
  message(&a, "outbound-api", "accepted", "+15550002222", "");
  message(&none, "outbound-api", "queued", "+15550002222", NULL);
  message(&sched, "outbound-api", "scheduled", "+15550002222", "https://example.com/cb-s");
  CHECK_EQ_STR(hooks_of(q.sid), "status:queued:messages:status_callback:POST");
  CHECK_EQ_STR(hooks_of(a.sid), "status:accepted:messages:status_callback:POST");
  CHECK_EQ_STR(hooks_of(none.sid), "");
  CHECK_EQ_STR(hooks_of(sched.sid), "");

  /* Canceled: one request; the same status set again (a cancel without
   * its condition, a redaction that keeps the status): none. */
  put_sealed(&sched);
  CHECK_EQ_INT(patch(&sched, NULL, "canceled", "scheduled"), PP_OK);
  CHECK_EQ_INT(sealed_rows(&sched), 0);
  CHECK_EQ_INT(patch(&sched, NULL, "canceled", NULL), PP_OK);
  CHECK_EQ_INT(patch(&sched, "", NULL, NULL), PP_OK);
  CHECK_EQ_STR(hooks_of(sched.sid), "status:canceled:messages:status_callback:POST");
  CHECK_EQ_INT(patch(&sched, NULL, "canceled", "scheduled"), PP_ERR_NOT_FOUND);

  /* The delivery path: a claim (sending) keeps the sealed text and queues
   * nothing; submitted (sent), then a failure: one request each, and the
   * sealed text goes with the message out of the queue. */
  put_sealed(&q);
  pp_arena_t arena;
  pp_arena_init(&arena, 1 << 20);
  pp_write_t cw = {.kind = PP_W_CLAIM};
  cw.u.claim =
      (pp_claim_t){.now = 1700000050, .lease_until = 1700000110, .limit = 10, .arena = &arena};
  write_ok(&cw);
  CHECK(cw.u.claim.n >= 1);
  CHECK_EQ_INT(sealed_rows(&q), 1);
  CHECK_EQ_STR(hooks_of(q.sid), "status:queued:messages:status_callback:POST");
  pp_write_t sw = {.kind = PP_W_SUBMITTED};
  sw.u.submitted = (pp_submitted_t){q.seq, 1700000060, "c1", NULL, 0, 0};
  write_ok(&sw);
  fail(&q);
  CHECK_EQ_INT(sealed_rows(&q), 0);
  CHECK_EQ_STR(hooks_of(q.sid),
               "status:queued:messages:status_callback:POST "
               "status:sent:messages:status_callback:POST "
               "status:failed:messages:status_callback:POST");
  fail(&none); /* no callback: nothing */
  CHECK_EQ_STR(hooks_of(none.sid), "");

  /* Inbound: to the number's SMS URL; to the service's URL when the
   * number is in a service that does not defer; to the number's when it
   * defers; nothing for a number without an SMS URL, or no number. */
  pp_number_t n1, n2, n3, n4;
  number(&n1, "+15550003001", "https://example.com/sms1");
  number(&n2, "+15550003002", "https://example.com/sms2");
  number(&n3, "+15550003003", "https://example.com/sms3");
  number(&n4, "+15550003004", NULL);
  pp_service_t s2, s3;
  service(&s2, &n2, "https://example.com/svc2", false);
  service(&s3, &n3, "https://example.com/svc3", true);
  pp_message_t in1, in2, in3, in4, in5;
  message(&in1, "inbound", "received", n1.phone_number, NULL);
  message(&in2, "inbound", "received", n2.phone_number, NULL);
  message(&in3, "inbound", "received", n3.phone_number, NULL);
  message(&in4, "inbound", "received", n4.phone_number, NULL);
  message(&in5, "inbound", "received", "+15550003999", NULL);
  CHECK_EQ_STR(hooks_of(in1.sid), "inbound:received:phone_numbers:sms_url:POST");
  CHECK_EQ_STR(hooks_of(in2.sid), "inbound:received:messaging_services:inbound_request_url:GET");
  CHECK_EQ_STR(hooks_of(in3.sid), "inbound:received:phone_numbers:sms_url:POST");
  CHECK_EQ_STR(hooks_of(in4.sid), "");
  CHECK_EQ_STR(hooks_of(in5.sid), "");

  /* Every queued URL opens to the URL it was copied from. */
  pp_write_t hw = {.kind = PP_W_HOOK_CLAIM};
  hw.u.hook_claim = (pp_hook_claim_t){
      .now_ms = 1800000000000LL, .lease_until_ms = 1800000060000LL, .limit = 100, .arena = &arena};
  write_ok(&hw);
  int seen = 0;
  for (size_t i = 0; i < hw.u.hook_claim.n; i++) {
    const pp_hook_t *h = &hw.u.hook_claim.rows[i];
    const char *want = strcmp(h->message_sid, q.sid) == 0       ? "https://example.com/cb-q"
                       : strcmp(h->message_sid, a.sid) == 0     ? ""
                       : strcmp(h->message_sid, sched.sid) == 0 ? "https://example.com/cb-s"
                       : strcmp(h->message_sid, in1.sid) == 0   ? "https://example.com/sms1"
                       : strcmp(h->message_sid, in2.sid) == 0   ? "https://example.com/svc2"
                       : strcmp(h->message_sid, in3.sid) == 0   ? "https://example.com/sms3"
                                                                : NULL;
    CHECK(want != NULL);
    CHECK_EQ_STR(h->url, want);
    seen++;
  }
  CHECK_EQ_INT(seen, 6); /* one per message: the oldest of each is claimed first */
  pp_arena_cleanup(&arena);

  pp_store_free(store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK_EQ_INT(system(cmd), 0);
  puts("ok");
  return 0;
}

/* Verify's rows through a real SQLite store: what the backend decides in
 * C in the write's transaction (store/rules.h, verify/factor.h) rather
 * than in triggers: a verification's code hashes wiped when it leaves
 * "pending" (and kept while it stays), and the enrolment challenges about
 * a new factor expired when that factor is verified (approved, or its
 * waiting period over: date_updated the factor's) or deleted (denied or
 * canceled: date_updated as it was), while challenges already answered
 * stay as they are; the sealed columns are blobs on disk and read back in
 * clear, a verification found by its recipient's blind index. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "store/store.h"

static char dir[64];
static const unsigned char test_master[32] = {1, 2, 3, 4, 5, 6, 7, 8};

#define ACC "AC0000000000000000000000000000000a"
#define SVC "VA0000000000000000000000000000000a"
#define VE "VE0000000000000000000000000000000a"
#define MSG "SM0000000000000000000000000000000a"
#define ENTITY "YE0000000000000000000000000000000a"
#define FA(x) "YF000000000000000000000000000000" x
#define CH(x) "YC000000000000000000000000000000" x
#define IDENTITY "grace-hopper-1906"
#define TO "+15551230001"
#define NOW 1700000000

/* One value of the store's database, as text (malloc'd; NULL for none). */
static char *query_text(const char *sql) {
  char path[128];
  snprintf(path, sizeof path, "%s/pipit.db", dir);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  if (sqlite3_open(path, &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
      sqlite3_column_text(st, 0))
    out = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

static void check_query(const char *sql, const char *want) {
  char *got = query_text(sql);
  CHECK_EQ_STR(got, want);
  if (!got || strcmp(got, want) != 0) fprintf(stderr, "  for %s\n", sql);
  free(got);
}

static pp_err_t write(pp_store_t *s, pp_write_t w) {
  return pp_store_write(s, &w);
}

static void setup(pp_store_t *s) {
  pp_account_t a = {.date_created = 1, .date_updated = 1};
  snprintf(a.sid, sizeof a.sid, ACC);
  snprintf(a.owner_sid, sizeof a.owner_sid, ACC);
  snprintf(a.friendly_name, sizeof a.friendly_name, "verify");
  snprintf(a.status, sizeof a.status, "active");
  snprintf(a.auth_token, sizeof a.auth_token, "%032d", 7);
  CHECK_EQ_INT(write(s, (pp_write_t){.kind = PP_W_ACCOUNT_INSERT, .u.account = &a}), PP_OK);
  pp_verify_service_t sv = {.code_length = 6,
                            .totp_time_step = 30,
                            .totp_code_length = 6,
                            .totp_skew = 1,
                            .date_created = 1,
                            .date_updated = 1,
                            .enrollment_wait = 3600,
                            .fraud_guard = true};
  snprintf(sv.sid, sizeof sv.sid, SVC);
  snprintf(sv.account_sid, sizeof sv.account_sid, ACC);
  snprintf(sv.friendly_name, sizeof sv.friendly_name, "Acme");
  CHECK_EQ_INT(write(s, (pp_write_t){.kind = PP_W_VERIFY_SERVICE_INSERT, .u.verify_service = &sv}),
               PP_OK);
}

/* A verification sent, checked wrong (hashes kept), then approved (wiped). */
static void code_hashes(pp_store_t *s) {
  pp_verification_t v = {.sends = 1,
                         .send_attempts = "[]",
                         .expires_at = NOW + 600,
                         .date_created = NOW,
                         .date_updated = NOW};
  snprintf(v.sid, sizeof v.sid, VE);
  snprintf(v.service_sid, sizeof v.service_sid, SVC);
  snprintf(v.account_sid, sizeof v.account_sid, ACC);
  snprintf(v.to, sizeof v.to, TO);
  snprintf(v.channel, sizeof v.channel, "sms");
  snprintf(v.status, sizeof v.status, "pending");
  memset(v.code_hashes[0], 0xab, sizeof v.code_hashes[0]);
  pp_message_t m = {.to = TO,
                    .from = "+15550000000",
                    .body = "",
                    .media_urls = "",
                    .direction = "outbound-api",
                    .status = "queued",
                    .num_segments = 1,
                    .date_created = NOW,
                    .date_updated = NOW};
  snprintf(m.sid, sizeof m.sid, MSG);
  snprintf(m.account_sid, sizeof m.account_sid, ACC);
  const unsigned char sealed[] = "sealed text";
  pp_write_t w = {.kind = PP_W_VERIFY_SEND};
  w.u.verify_send = (pp_verify_send_t){.v = &v,
                                       .is_new = true,
                                       .max_pending = 5,
                                       .message = &m,
                                       .message_sealed = sealed,
                                       .message_sealed_len = sizeof sealed,
                                       .now = NOW};
  CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
  check_query("SELECT typeof(to_addr) FROM verifications", "blob");
  check_query("SELECT length(to_bidx) FROM verifications", "32");

  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_verification_t got;
  CHECK_EQ_INT(pp_store_verification_get(s, &a, ACC, SVC, NULL, TO, &got), PP_OK);
  CHECK_EQ_STR(got.sid, VE);
  CHECK_EQ_STR(got.to, TO);
  CHECK_EQ_INT(got.code_hashes[0][0], 0xab);
  CHECK_EQ_INT(pp_store_verification_get(s, &a, ACC, SVC, NULL, "+15559999999", &got),
               PP_ERR_NOT_FOUND);

  pp_write_t set = {.kind = PP_W_VERIFY_SET};
  set.u.verify_set = (pp_verify_set_t){ACC, VE, "pending", 1, 0, NOW + 1};
  CHECK_EQ_INT(pp_store_write(s, &set), PP_OK);
  check_query("SELECT length(code_hashes) FROM verifications", "32");
  set.u.verify_set = (pp_verify_set_t){ACC, VE, "approved", 1, 1, NOW + 2};
  CHECK_EQ_INT(pp_store_write(s, &set), PP_OK);
  check_query("SELECT length(code_hashes)||' '||typeof(code_hashes) FROM verifications", "0 blob");
  CHECK_EQ_INT(pp_store_verification_get(s, &a, ACC, SVC, VE, NULL, &got), PP_OK);
  CHECK_EQ_STR(got.status, "approved");
  static const unsigned char zero[32];
  CHECK(memcmp(got.code_hashes[0], zero, sizeof zero) == 0);
  pp_arena_cleanup(&a);
}

static void factor(pp_store_t *s, const char *sid, const char *status) {
  pp_verify_entity_t en = {.date_created = NOW, .date_updated = NOW};
  snprintf(en.sid, sizeof en.sid, ENTITY);
  snprintf(en.service_sid, sizeof en.service_sid, SVC);
  snprintf(en.account_sid, sizeof en.account_sid, ACC);
  snprintf(en.identity, sizeof en.identity, IDENTITY);
  pp_verify_factor_t f = {.time_step = 30,
                          .skew = 1,
                          .code_length = 6,
                          .secret_sealed_len = 4,
                          .date_created = NOW,
                          .date_updated = NOW};
  snprintf(f.sid, sizeof f.sid, "%s", sid);
  snprintf(f.service_sid, sizeof f.service_sid, SVC);
  snprintf(f.account_sid, sizeof f.account_sid, ACC);
  snprintf(f.identity, sizeof f.identity, IDENTITY);
  snprintf(f.friendly_name, sizeof f.friendly_name, "phone %s", sid + 32);
  snprintf(f.status, sizeof f.status, "%s", status);
  snprintf(f.factor_type, sizeof f.factor_type, "totp");
  snprintf(f.alg, sizeof f.alg, "sha1");
  memcpy(f.secret_sealed, "\x01\x02\x03\x04", 4);
  pp_write_t w = {.kind = PP_W_FACTOR_INSERT};
  w.u.factor_insert = (pp_factor_insert_t){.entity = &en, .factor = &f};
  CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
  CHECK_EQ_STR(en.sid, ENTITY); /* the entity of the first factor */
}

static void challenge_of(pp_verify_challenge_t *ch, const char *sid, const char *on,
                         const char *about) {
  *ch = (pp_verify_challenge_t){
      .expiration_date = NOW + 300, .date_created = NOW, .date_updated = NOW};
  snprintf(ch->sid, sizeof ch->sid, "%s", sid);
  snprintf(ch->factor_sid, sizeof ch->factor_sid, "%s", on);
  snprintf(ch->entity_sid, sizeof ch->entity_sid, ENTITY);
  snprintf(ch->service_sid, sizeof ch->service_sid, SVC);
  snprintf(ch->account_sid, sizeof ch->account_sid, ACC);
  snprintf(ch->identity, sizeof ch->identity, IDENTITY);
  snprintf(ch->status, sizeof ch->status, "pending");
  snprintf(ch->responded_reason, sizeof ch->responded_reason, "none");
  snprintf(ch->factor_type, sizeof ch->factor_type, "totp");
  snprintf(ch->enroll_factor_sid, sizeof ch->enroll_factor_sid, "%s", about);
  ch->details = "{\"message\":\"a new device\"}";
}

/* Factor `sid` proven while A and B are verified: it waits until
 * NOW + 3600, and A and B each get a challenge about it (ch_a, ch_b). */
static void waiting(pp_store_t *s, const char *sid, const char *ch_a, const char *ch_b) {
  factor(s, sid, "unverified");
  pp_verify_challenge_t enroll[2];
  challenge_of(&enroll[0], ch_a, FA("aa"), sid);
  challenge_of(&enroll[1], ch_b, FA("bb"), sid);
  pp_write_t w = {.kind = PP_W_FACTOR_ATTEMPT};
  w.u.factor_attempt = (pp_factor_attempt_t){.account_sid = ACC,
                                             .sid = sid,
                                             .now = NOW,
                                             .activate_at = NOW + 3600,
                                             .enroll = enroll,
                                             .nenroll = 2};
  CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
}

static void check_challenge(pp_store_t *s, const char *on, const char *sid, const char *status,
                            int64_t date_updated) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_verify_challenge_t ch;
  CHECK_EQ_INT(pp_store_challenge_get(s, &a, ACC, ENTITY, sid, &ch), PP_OK);
  CHECK_EQ_STR(ch.status, status);
  CHECK_EQ_INT(ch.date_updated, date_updated);
  CHECK_EQ_STR(ch.factor_sid, on);
  CHECK_EQ_STR(ch.identity, IDENTITY);
  CHECK_EQ_STR(ch.details, "{\"message\":\"a new device\"}");
  pp_arena_cleanup(&a);
}

/* Factor A answers its enrolment challenge `ch` about factor `about`. */
static void answer(pp_store_t *s, const char *ch_sid, const char *about, bool approve,
                   int64_t now) {
  pp_verify_challenge_t ch;
  challenge_of(&ch, ch_sid, FA("aa"), about);
  snprintf(ch.status, sizeof ch.status, approve ? "approved" : "denied");
  ch.date_responded = ch.date_updated = now;
  pp_write_t w = {.kind = PP_W_FACTOR_ATTEMPT};
  w.u.factor_attempt = (pp_factor_attempt_t){.account_sid = ACC,
                                             .sid = FA("aa"),
                                             .now = now,
                                             .challenge = &ch,
                                             .enroll_factor_sid = about,
                                             .enroll_outcome = approve ? "verify" : "delete"};
  CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
}

static void enrolment(pp_store_t *s) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  factor(s, FA("aa"), "verified");
  factor(s, FA("bb"), "verified");
  check_query("SELECT count(*) FROM verify_entities", "1");
  check_query("SELECT typeof(identity)||typeof(friendly_name) FROM verify_factors LIMIT 1",
              "blobblob");

  /* Approved by A: verified; B's challenge about it expires with it. */
  waiting(s, FA("c1"), CH("a1"), CH("b1"));
  check_challenge(s, FA("bb"), CH("b1"), "pending", NOW);
  answer(s, CH("a1"), FA("c1"), true, NOW + 10);
  pp_verify_factor_t f;
  CHECK_EQ_INT(pp_store_factor_get(s, &a, ACC, ENTITY, FA("c1"), &f), PP_OK);
  CHECK_EQ_STR(f.status, "verified");
  CHECK_EQ_INT(f.activate_at, 0);
  CHECK_EQ_STR(f.friendly_name, "phone c1");
  check_challenge(s, FA("aa"), CH("a1"), "approved", NOW + 10);
  check_challenge(s, FA("bb"), CH("b1"), "expired", NOW + 10);

  /* Denied by A: deleted; B's challenge expires, its date as it was. */
  waiting(s, FA("c2"), CH("a2"), CH("b2"));
  answer(s, CH("a2"), FA("c2"), false, NOW + 20);
  CHECK_EQ_INT(pp_store_factor_get(s, &a, ACC, ENTITY, FA("c2"), &f), PP_ERR_NOT_FOUND);
  check_challenge(s, FA("aa"), CH("a2"), "denied", NOW + 20);
  check_challenge(s, FA("bb"), CH("b2"), "expired", NOW);

  /* Canceled (deleted by the client): both challenges expire. */
  waiting(s, FA("c3"), CH("a3"), CH("b3"));
  pp_write_t del = {.kind = PP_W_FACTOR_DELETE};
  del.u.factor_delete = (pp_factor_delete_t){ACC, FA("c3"), SVC, NULL, NULL, NOW + 30};
  CHECK_EQ_INT(pp_store_write(s, &del), PP_OK);
  check_challenge(s, FA("aa"), CH("a3"), "expired", NOW);
  check_challenge(s, FA("bb"), CH("b3"), "expired", NOW);

  /* The waiting period: not over before NOW + 3600, then the sweep
   * verifies the factor and both challenges expire with its date. */
  waiting(s, FA("c4"), CH("a4"), CH("b4"));
  pp_write_t due = {.kind = PP_W_FACTOR_DUE};
  due.u.factor_due = (pp_factor_due_t){.now = NOW + 3599, .limit = 8, .arena = &a};
  CHECK_EQ_INT(pp_store_write(s, &due), PP_OK);
  CHECK_EQ_INT(due.u.factor_due.n, 0);
  pp_write_t act = {.kind = PP_W_FACTOR_ACTIVATE};
  act.u.factor_activate = (pp_factor_activate_t){ACC, FA("c4"), SVC, NULL, NULL, NOW + 3599};
  CHECK_EQ_INT(pp_store_write(s, &act), PP_ERR_NOT_FOUND);
  check_challenge(s, FA("aa"), CH("a4"), "pending", NOW);
  due.u.factor_due.now = NOW + 3600;
  CHECK_EQ_INT(pp_store_write(s, &due), PP_OK);
  CHECK_EQ_INT(due.u.factor_due.n, 1);
  if (due.u.factor_due.n == 1) {
    CHECK_EQ_STR(due.u.factor_due.rows[0].sid, FA("c4"));
    CHECK_EQ_STR(due.u.factor_due.rows[0].identity, IDENTITY);
  }
  act.u.factor_activate.now = NOW + 3600;
  CHECK_EQ_INT(pp_store_write(s, &act), PP_OK);
  CHECK_EQ_INT(pp_store_factor_get(s, &a, ACC, ENTITY, FA("c4"), &f), PP_OK);
  CHECK_EQ_STR(f.status, "verified");
  check_challenge(s, FA("aa"), CH("a4"), "expired", NOW + 3600);
  check_challenge(s, FA("bb"), CH("b4"), "expired", NOW + 3600);
  CHECK_EQ_INT(pp_store_write(s, &act), PP_ERR_NOT_FOUND); /* once */

  /* An event goes to the enabled webhooks that take its type ("*" or the
   * type itself), its URL and body sealed on the queue. */
  static const char *const hooks[][3] = {
      {"*", "enabled", "https://a.example/all"},
      {"factor.created,factor.deleted", "enabled", "https://b.example/d"},
      {"factor.deleted", "disabled", "https://c.example/off"},
      {"factor.verified", "enabled", "https://d.example/v"}};
  for (int i = 0; i < 4; i++) {
    pp_verify_webhook_t wh = {.event_types = hooks[i][0],
                              .webhook_url = hooks[i][2],
                              .date_created = NOW,
                              .date_updated = NOW};
    snprintf(wh.sid, sizeof wh.sid, "YW00000000000000000000000000000%03d", i);
    snprintf(wh.service_sid, sizeof wh.service_sid, SVC);
    snprintf(wh.account_sid, sizeof wh.account_sid, ACC);
    snprintf(wh.friendly_name, sizeof wh.friendly_name, "hook %d", i);
    snprintf(wh.status, sizeof wh.status, "%s", hooks[i][1]);
    snprintf(wh.version, sizeof wh.version, "v2");
    pp_write_t w = {.kind = PP_W_VERIFY_WEBHOOK_INSERT, .u.verify_webhook = &wh};
    CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
  }
  pp_verify_webhook_t wh;
  CHECK_EQ_INT(
      pp_store_verify_webhook_get(s, &a, ACC, SVC, "YW00000000000000000000000000000001", &wh),
      PP_OK);
  CHECK_EQ_STR(wh.webhook_url, "https://b.example/d");
  check_query("SELECT typeof(webhook_url) FROM verify_webhooks LIMIT 1", "blob");
  factor(s, FA("c6"), "unverified");
  del.u.factor_delete =
      (pp_factor_delete_t){ACC, FA("c6"), SVC, "factor.deleted", "type=factor.deleted", NOW + 40};
  CHECK_EQ_INT(pp_store_write(s, &del), PP_OK);
  check_query(
      "SELECT group_concat(message_sid||' '||typeof(url)||' '||typeof(body)||' '||(url_row"
      " LIKE message_sid||'.%'),'|') FROM (SELECT * FROM webhooks WHERE kind='verify' ORDER BY "
      "seq)",
      "YW00000000000000000000000000000000 blob blob 1|YW00000000000000000000000000000001 blob blob "
      "1");

  /* The entity deleted: its factors go, and their challenges with them. */
  waiting(s, FA("c5"), CH("a5"), CH("b5"));
  pp_write_t gone = {.kind = PP_W_ENTITY_DELETE, .u.ref = {ACC, ENTITY}};
  CHECK_EQ_INT(pp_store_write(s, &gone), PP_OK);
  check_query("SELECT count(*) FROM verify_factors", "0");
  check_query("SELECT count(*) FROM verify_challenges", "0");
  pp_arena_cleanup(&a);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  snprintf(dir, sizeof dir, "/tmp/pp-vstore-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  pp_store_t *s = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  if (s) {
    setup(s);
    code_hashes(s);
    enrolment(s);
    check_query(
        "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name IN "
        "('verifications_done','verify_factors_enrolled','verify_factors_enroll_gone')",
        "0");
    pp_store_free(s);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("store_verify");
}

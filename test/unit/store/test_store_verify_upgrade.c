/* The schema step that moves Verify's secrets onto the accounts' data
 * keys, run on a data directory as the step before it left one: a factor
 * secret and a verification text sealed under Verify's former key (format
 * 1, sealed here with libsodium directly), identities, webhook URLs and
 * queued events in clear.  After the upgrade each reads back through the
 * store, sealed with its account's key (the events from the webhook
 * queue); a closed account's Verify rows are gone with its keys. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "security/envelope.h"
#include "store/store.h"

static char dir[64];
static const unsigned char test_master[32] = {9, 8, 7, 6, 5, 4, 3, 2};

static void rmrf(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* Format 1 of Verify's former seal: 0x01 || nonce || ciphertext || tag,
 * under crypto_kdf sub-key 2 of "pp-vrfy" of `root`; associated data
 * "pipit-verify-v1" and the u8-length-prefixed account, table, column, row. */
static size_t seal_v1(const unsigned char root[32], const char *const place[4], const void *pt,
                      size_t len, unsigned char *out) {
  unsigned char key[32], aad[512];
  crypto_kdf_derive_from_key(key, sizeof key, 2, "pp-vrfy", root);
  size_t o = strlen("pipit-verify-v1");
  memcpy(aad, "pipit-verify-v1", o);
  for (int i = 0; i < 4; i++) {
    size_t n = strlen(place[i]);
    aad[o++] = (unsigned char)n;
    memcpy(aad + o, place[i], n);
    o += n;
  }
  out[0] = 0x01;
  randombytes_buf(out + 1, 24);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + 25, &clen, pt, len, aad, o, NULL, out + 1, key);
  sodium_memzero(key, sizeof key);
  return 25 + (size_t)clen;
}

static void exec_ok(sqlite3 *db, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
  CHECK_EQ_INT(rc, SQLITE_OK);
  sqlite3_free(err);
}

static void insert_blob(sqlite3 *db, const char *sql, const unsigned char *blob, size_t n) {
  sqlite3_stmt *st = NULL;
  CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_blob(st, 1, blob, (int)n, SQLITE_TRANSIENT);
  CHECK_EQ_INT(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

static char *query_text(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
      sqlite3_column_text(st, 0))
    out = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}

static void account(pp_store_t *s, const char *sid, const char *status) {
  pp_account_t a = {.date_created = 1, .date_updated = 1};
  snprintf(a.sid, sizeof a.sid, "%s", sid);
  snprintf(a.owner_sid, sizeof a.owner_sid, "%s", sid);
  snprintf(a.friendly_name, sizeof a.friendly_name, "upgrade");
  snprintf(a.status, sizeof a.status, "active");
  snprintf(a.auth_token, sizeof a.auth_token, "%032d", 7);
  pp_write_t w = {.kind = PP_W_ACCOUNT_INSERT, .u.account = &a};
  CHECK_EQ_INT(pp_store_write(s, &w), PP_OK);
  if (strcmp(status, "closed") == 0) {
    snprintf(a.status, sizeof a.status, "closed");
    pp_write_t u = {.kind = PP_W_ACCOUNT_UPDATE, .u.account = &a};
    CHECK_EQ_INT(pp_store_write(s, &u), PP_OK);
  }
}

#define ACC "AC0000000000000000000000000000000a"
#define GONE "AC0000000000000000000000000000000c"
#define SVC(x) "VA000000000000000000000000000000" x
#define ENTITY "YE0000000000000000000000000000000a"
#define FACTOR(x) "YF000000000000000000000000000000" x
#define HOOK "YW0000000000000000000000000000000a"
#define MSG "SM0000000000000000000000000000000a"
#define IDENTITY "ada-lovelace-1815"
#define URL "https://user:hunter2@hooks.example/verify"
#define BODY "uuid=1&type=factor.verified&entity_identity=" IDENTITY
#define TEXT "Your Acme verification code is: 424242"

/* Verify rows written by the schema before the step, for `acct`. */
static void legacy_rows(sqlite3 *db, const unsigned char root[32], const char *acct,
                        const char *svc, const char *factor, const unsigned char *secret,
                        size_t slen) {
  char sql[1024];
  snprintf(sql, sizeof sql,
           "INSERT INTO verify_services(sid,account_sid,friendly_name,code_length,"
           "lookup_enabled,psd2_enabled,skip_sms_to_landlines,dtmf_input_required,"
           "do_not_share_warning_enabled,custom_code_enabled,push_include_date,"
           "verify_event_subscription_enabled,totp_time_step,totp_code_length,totp_skew,"
           "date_created,date_updated) VALUES('%s','%s','Acme',6,0,0,0,0,0,0,0,0,30,6,1,1,1)",
           svc, acct);
  exec_ok(db, sql);
  snprintf(sql, sizeof sql,
           "INSERT INTO verify_entities(sid,service_sid,account_sid,identity,date_created,"
           "date_updated) VALUES('YE%.32s','%s','%s','" IDENTITY "',1,1)",
           factor + 2, svc, acct);
  exec_ok(db, sql);
  const char *const place[4] = {acct, "verify_factors", "secret", factor};
  unsigned char blob[200];
  size_t n = seal_v1(root, place, secret, slen, blob);
  snprintf(sql, sizeof sql,
           "INSERT INTO verify_factors(sid,entity_sid,service_sid,account_sid,identity,"
           "friendly_name,status,factor_type,alg,time_step,skew,code_length,secret_sealed,"
           "last_counter,failures,date_created,date_updated) VALUES('%s','YE%.32s','%s','%s',"
           "'" IDENTITY "','Ada''s phone','verified','totp','sha1',30,1,6,?1,0,0,1,1)",
           factor, factor + 2, svc, acct);
  insert_blob(db, sql, blob, n);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  snprintf(dir, sizeof dir, "/tmp/pp-vupgrade-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  unsigned char root[32], secret[20];
  randombytes_buf(secret, sizeof secret);

  /* A data directory as it is today, with two accounts (one closed) and a
   * queued verification message. */
  pp_store_t *s = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  account(s, ACC, "active");
  account(s, GONE, "closed");
  CHECK_EQ_INT(pp_store_named_key(s, "verify", root), PP_OK);
  pp_message_t m = {.to = "+15550001111",
                    .from = "+15550002222",
                    .body =
                        "Your Acme verification "
                        "code is: ******",
                    .media_urls = "",
                    .direction = "outbound-api",
                    .status = "queued",
                    .num_segments = 1,
                    .date_created = 1,
                    .date_updated = 1};
  snprintf(m.sid, sizeof m.sid, MSG);
  snprintf(m.account_sid, sizeof m.account_sid, ACC);
  pp_write_t mw = {.kind = PP_W_MESSAGE_INSERT, .u.message = &m};
  CHECK_EQ_INT(pp_store_write(s, &mw), PP_OK);
  pp_store_free(s);

  /* Back to the schema before the step, and Verify's rows as it wrote them. */
  char path[128];
  snprintf(path, sizeof path, "%s/pipit.db", dir);
  sqlite3 *db = NULL;
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  int version = 0;
  char *v = query_text(db, "PRAGMA user_version");
  if (v) version = atoi(v);
  free(v);
  CHECK(version > 1);
  exec_ok(db,
          "DROP INDEX verify_entities_identity;"
          "ALTER TABLE verify_entities DROP COLUMN identity_bidx;"
          "ALTER TABLE webhooks DROP COLUMN body;"
          "CREATE TABLE verify_events("
          " seq INTEGER PRIMARY KEY, account_sid TEXT NOT NULL, url TEXT NOT NULL,"
          " body TEXT NOT NULL, next_attempt INTEGER NOT NULL,"
          " lease_until INTEGER NOT NULL DEFAULT 0,"
          " attempts INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);");
  char sql[512];
  /* Verify's step is step 18 (docs/internals/store.md); every step after
   * it runs again too (the carrier's channel column, step 22, dropped
   * first). */
  exec_ok(db, "ALTER TABLE carriers DROP COLUMN channel;");
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", 17);
  exec_ok(db, sql);
  legacy_rows(db, root, ACC, SVC("aa"), FACTOR("aa"), secret, sizeof secret);
  legacy_rows(db, root, GONE, SVC("cc"), FACTOR("cc"), secret, sizeof secret);
  exec_ok(
      db,
      "INSERT INTO verify_webhooks(sid,service_sid,account_sid,friendly_name,event_types,"
      "webhook_url,status,version,date_created,date_updated) VALUES('" HOOK "','" SVC(
          "aa") "','" ACC "','events','*','" URL
                "','enabled','v2',1,1);"
                "INSERT INTO verify_events(account_sid,url,body,next_attempt,created) VALUES('" ACC
                "','" URL "','" BODY
                "',0,1);"
                "INSERT INTO verify_events(account_sid,url,body,next_attempt,created) VALUES('" GONE
                "','" URL "','" BODY "',0,1);");
  const char *const text_place[4] = {ACC, "messages", "sealed_body", MSG};
  unsigned char blob[200];
  size_t n = seal_v1(root, text_place, TEXT, strlen(TEXT), blob);
  insert_blob(db,
              "INSERT INTO message_sealed(message_seq,sealed) VALUES("
              "(SELECT seq FROM messages WHERE sid='" MSG "'),?1)",
              blob, n);
  sqlite3_close(db);

  /* The upgrade. */
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  pp_verify_entity_t en;
  CHECK_EQ_INT(pp_store_entity_get(s, ACC, SVC("aa"), IDENTITY, &en), PP_OK);
  CHECK_EQ_STR(en.identity, IDENTITY);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_verify_factor_t f;
  CHECK_EQ_INT(pp_store_factor_get(s, &a, ACC, en.sid, FACTOR("aa"), &f), PP_OK);
  CHECK_EQ_STR(f.identity, IDENTITY);
  CHECK_EQ_STR(f.friendly_name, "Ada's phone");
  unsigned char *opened = NULL;
  size_t olen = 0;
  CHECK_EQ_INT(pp_store_open_secret(s, ACC, "verify_factors", "secret", FACTOR("aa"),
                                    f.secret_sealed, f.secret_sealed_len, &opened, &olen),
               PP_OK);
  CHECK(olen == sizeof secret && opened && memcmp(opened, secret, olen) == 0);
  pp_store_secret_free(opened);
  /* Sealed for its row only. */
  CHECK_EQ_INT(pp_store_open_secret(s, ACC, "verify_factors", "secret", FACTOR("cc"),
                                    f.secret_sealed, f.secret_sealed_len, &opened, &olen),
               PP_ERR_CORRUPT);
  pp_verify_webhook_t wh;
  CHECK_EQ_INT(pp_store_verify_webhook_get(s, &a, ACC, SVC("aa"), HOOK, &wh), PP_OK);
  CHECK_EQ_STR(wh.webhook_url, URL);
  /* The queued events are on the webhook queue now. */
  pp_write_t cw = {.kind = PP_W_HOOK_CLAIM};
  cw.u.hook_claim =
      (pp_hook_claim_t){.now_ms = 10000, .lease_until_ms = 70000, .limit = 8, .arena = &a};
  CHECK_EQ_INT(pp_store_write(s, &cw), PP_OK);
  CHECK_EQ_INT(cw.u.hook_claim.n, 1); /* the closed account's event is gone */
  if (cw.u.hook_claim.n == 1) {
    const pp_hook_t *h = &cw.u.hook_claim.rows[0];
    CHECK_EQ_STR(h->kind, "verify");
    CHECK_EQ_STR(h->account_sid, ACC);
    CHECK_EQ_STR(h->url, URL);
    CHECK(h->body && strcmp(h->body, BODY) == 0);
  }
  pp_store_free(s);

  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  /* Every value is a sealed blob now. */
  static const char *const sealed[] = {
      "SELECT count(*) FROM verify_entities WHERE typeof(identity)<>'blob'",
      "SELECT count(*) FROM verify_factors WHERE typeof(identity)<>'blob' "
      "OR typeof(friendly_name)<>'blob'",
      "SELECT count(*) FROM verify_webhooks WHERE typeof(webhook_url)<>'blob'",
      "SELECT count(*) FROM webhooks WHERE typeof(url)<>'blob' OR typeof(body)<>'blob'",
      "SELECT count(*) FROM sqlite_master WHERE name='verify_events'",
      /* The closed account's rows went with its keys. */
      "SELECT count(*) FROM verify_factors WHERE account_sid='" GONE "'",
      "SELECT count(*) FROM verify_entities WHERE account_sid='" GONE "'",
  };
  for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
    char *c = query_text(db, sealed[i]);
    CHECK(c && strcmp(c, "0") == 0);
    if (!c || strcmp(c, "0") != 0) fprintf(stderr, "%s: %s\n", sealed[i], c ? c : "?");
    free(c);
  }
  sqlite3_stmt *st = NULL;
  CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT sealed FROM message_sealed", -1, &st, NULL),
               SQLITE_OK);
  CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
  n = (size_t)sqlite3_column_bytes(st, 0);
  CHECK(n <= sizeof blob);
  if (n <= sizeof blob) memcpy(blob, sqlite3_column_blob(st, 0), n);
  sqlite3_finalize(st);
  sqlite3_close(db);
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  CHECK_EQ_INT(
      pp_store_open_secret(s, ACC, "messages", "sealed_body", MSG, blob, n, &opened, &olen), PP_OK);
  CHECK(opened && strcmp((const char *)opened, TEXT) == 0);
  pp_store_secret_free(opened);
  pp_store_free(s);
  pp_arena_cleanup(&a);
  sodium_memzero(root, sizeof root);
  rmrf();
  return check_report("test_store_verify_upgrade");
}

/* Sealing by tables.def (store/seal.h) through a real crypt context whose
 * keys come from the test (no store): the descriptions (every column of
 * the SQLite backend's former SEALED_* lists and pp_seal calls, with its account
 * and row), coordinates for each row kind, a row sealed with one key
 * lookup and opened again, NULL / empty / already-sealed values passed
 * through, wrong coordinates (row, column, table, account) failing to
 * open, and each index function with its NULL and blob pass-through. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/seal.h"

static const unsigned char master[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

/* The key source: each account's wrapped DEK, made by the test. */
#define NACC 3
static const char *accounts[NACC] = {"AC11111111111111111111111111111111",
                                     "AC22222222222222222222222222222222", PP_CRYPT_SYSTEM};
static unsigned char wrapped[NACC][PP_DEK_WRAPPED_LEN];
static int loads;

static pp_err_t load(void *be, void *conn, const char *account_sid, uint32_t generation,
                     unsigned char out[PP_DEK_WRAPPED_LEN], uint32_t *gen_out) {
  (void)be, (void)conn;
  loads++;
  if (generation > 1) return PP_ERR_NOT_FOUND;
  for (int i = 0; i < NACC; i++)
    if (strcmp(account_sid, accounts[i]) == 0) {
      memcpy(out, wrapped[i], PP_DEK_WRAPPED_LEN);
      if (gen_out) *gen_out = 1;
      return PP_OK;
    }
  return PP_ERR_NOT_FOUND;
}

static pp_err_t load_index(void *be, void *conn, const char *name, char hex[65]) {
  (void)be, (void)conn;
  memset(hex, strcmp(name, "phone") == 0 ? 'a' : 'b', 64);
  hex[64] = '\0';
  return PP_OK;
}

static pp_crypt_t *crypt_with_keys(void) {
  pp_crypt_t *c = NULL;
  CHECK_EQ_INT(pp_crypt_new(master, &c), PP_OK);
  for (int i = 0; i < NACC; i++)
    CHECK_EQ_INT(pp_crypt_new_dek(c, accounts[i], 1, wrapped[i]), PP_OK);
  pp_crypt_set_loader(c, load, load_index, NULL);
  return c;
}

static void descriptions(void) {
  /* Every id described, and found again by its table and column. */
  for (int i = 0; i < PP_SEALED__COUNT; i++) {
    const pp_sealed_col_t *s = pp_sealed_col((pp_sealed_id_t)i);
    CHECK(s && s->table && s->column);
    CHECK(s->aad_column || s->row == PP_SEAL_ROW_SOURCE);
    CHECK((s->acct == PP_SEAL_ACCT_SYSTEM) == (s->acct_col == NULL));
    pp_sealed_id_t id;
    CHECK(pp_sealed_find(s->table, s->column, &id) && id == (pp_sealed_id_t)i);
  }
  for (int i = 0; i < PP_INDEX__COUNT; i++) {
    const pp_index_col_t *x = pp_index_col((pp_index_id_t)i);
    CHECK(x && x->table && x->column && x->source);
  }
  CHECK(pp_sealed_col(PP_SEALED__COUNT) == NULL);
  CHECK(pp_index_col(PP_INDEX__COUNT) == NULL);
  pp_sealed_id_t id;
  CHECK(!pp_sealed_find("messages", "sid", &id));
  CHECK(!pp_sealed_find("nothing", "body", &id));

  /* The columns the SQLite backend seals, each present. */
  static const char *const expect[][2] = {
      {"accounts", "auth_token"},
      {"accounts", "secondary_token"},
      {"messages", "to_addr"},
      {"messages", "from_addr"},
      {"messages", "body"},
      {"messages", "media_urls"},
      {"messages", "status_callback"},
      {"message_sealed", "sealed"},
      {"phone_numbers", "phone_number"},
      {"phone_numbers", "friendly_name"},
      {"phone_numbers", "sms_url"},
      {"phone_numbers", "sms_fallback_url"},
      {"phone_numbers", "status_callback"},
      {"messaging_services", "inbound_request_url"},
      {"messaging_services", "fallback_url"},
      {"messaging_services", "status_callback"},
      {"alerts", "alert_text"},
      {"alerts", "request_url"},
      {"alerts", "request_variables"},
      {"alerts", "response_body"},
      {"carriers", "password"},
      {"change_requests", "password"},
      {"store_keys", "value"},
      {"number_offers", "phone_number"},
      {"mo_parts", "body"},
      {"webhooks", "url"},
      {"webhooks", "body"},
      {"verifications", "to_addr"},
      {"verify_entities", "identity"},
      {"verify_factors", "identity"},
      {"verify_factors", "friendly_name"},
      {"verify_factors", "metadata"},
      {"verify_factors", "push_config"},
      {"verify_factors", "secret_sealed"},
      {"verify_challenges", "identity"},
      {"verify_challenges", "details"},
      {"verify_challenges", "hidden_details"},
      {"verify_challenges", "metadata"},
      {"verify_webhooks", "webhook_url"},
      {"lockbox_requests", "reason"},
      {"lockbox_settings", "webhook_url"},
  };
  size_t n = sizeof expect / sizeof expect[0];
  CHECK_EQ_INT(PP_SEALED__COUNT, n);
  for (size_t i = 0; i < n; i++) CHECK(pp_sealed_find(expect[i][0], expect[i][1], &id));

  /* Coordinates of each kind. */
  pp_seal_at_t at;
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_BODY, "AC1", "SM1", &at), PP_OK);
  CHECK_EQ_STR(at.account, "AC1");
  CHECK_EQ_STR(at.table, "messages");
  CHECK_EQ_STR(at.column, "body");
  CHECK_EQ_STR(at.row, "SM1");
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_CARRIERS_PASSWORD, NULL, "carrier-a", &at), PP_OK);
  CHECK_EQ_STR(at.account, PP_CRYPT_SYSTEM);
  CHECK_EQ_STR(at.table, "carriers");
  CHECK_EQ_STR(at.column, "password");
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_STORE_KEYS_VALUE, "ignored", "phone", &at), PP_OK);
  CHECK_EQ_STR(at.account, PP_CRYPT_SYSTEM);
  CHECK_EQ_STR(at.row, "phone");
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGE_SEALED_SEALED, "AC1", "SM1", &at), PP_OK);
  CHECK_EQ_STR(at.table, "messages");
  CHECK_EQ_STR(at.column, "sealed_body");
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_VERIFY_FACTORS_SECRET, "AC1", "YF1", &at), PP_OK);
  CHECK_EQ_STR(at.table, "verify_factors");
  CHECK_EQ_STR(at.column, "secret");
  CHECK_EQ_INT(pp_sealed_col(PP_SEALED_MO_PARTS_BODY)->row, PP_SEAL_ROW_PART);
  CHECK_EQ_INT(pp_sealed_col(PP_SEALED_NUMBER_OFFERS_PHONE_NUMBER)->acct, PP_SEAL_ACCT_SYSTEM);
  char row[PP_SEAL_ROW_MAX];
  pp_seal_part_row(row, 7, 3, 2);
  CHECK_EQ_STR(row, "7:3:2");
  pp_seal_part_row(row, 65535, 255, 255);
  CHECK_EQ_STR(row, "65535:255:255");
  unsigned char bidx[PP_BLIND_INDEX_LEN];
  for (int i = 0; i < PP_BLIND_INDEX_LEN; i++) bidx[i] = (unsigned char)(i * 9 + 0xa0);
  pp_seal_bidx_row(row, bidx);
  CHECK_EQ_INT(strlen(row), 64);
  CHECK(strncmp(row, "A0A9B2BBC4CDD6DFE8F1FA030C151E27", 32) == 0); /* uppercase, as hex() */
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_WEBHOOKS_URL, "AC1", "SM1", &at), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_BODY, NULL, "SM1", &at), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_BODY, "AC1", NULL, &at), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED__COUNT, "AC1", "SM1", &at), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(
      pp_seal_at_source(PP_SEALED_WEBHOOKS_URL, "AC1", "phone_numbers", "sms_url", "PN1", &at),
      PP_OK);
  CHECK_EQ_STR(at.table, "phone_numbers");
  CHECK_EQ_STR(at.column, "sms_url");
  CHECK_EQ_STR(at.row, "PN1");
  CHECK_EQ_INT(pp_seal_at_source(PP_SEALED_WEBHOOKS_BODY, "AC1", "webhooks", "url", "ev7", &at),
               PP_OK);
  CHECK_EQ_STR(at.table, "webhooks");
  CHECK_EQ_STR(at.column, "body");
  CHECK_EQ_STR(at.row, "ev7");
  CHECK_EQ_INT(pp_seal_at_source(PP_SEALED_MESSAGES_BODY, "AC1", "a", "b", "c", &at),
               PP_ERR_INVALID_PARAM);
}

/* Opens `v` (as sealed) at `at` and compares with `want`. */
static void opens_to(pp_crypt_t *c, const pp_seal_at_t *at, const pp_seal_value_t *v,
                     const char *want) {
  char *out = (char *)"x";
  size_t len = 99;
  CHECK_EQ_INT(pp_seal_open(c, NULL, at, v->kind, v->value, v->len, &out, &len), PP_OK);
  if (!want) {
    CHECK(out == NULL);
    return;
  }
  CHECK(out && len == strlen(want) && strcmp(out, want) == 0);
  free(out);
}

static void round_trip(pp_crypt_t *c) {
  const char *acct = accounts[0];
  pp_seal_at_t at;
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_BODY, acct, "SM1", &at), PP_OK);
  static const unsigned char already[] = {0xde, 0xad, 0xbe, 0xef};
  pp_seal_value_t v[] = {
      {.id = PP_SEALED_MESSAGES_TO_ADDR, .in_kind = PP_SEAL_TEXT, .in = "+15550001", .in_len = 9},
      {.id = PP_SEALED_MESSAGES_FROM_ADDR, .in_kind = PP_SEAL_TEXT, .in = "+15550002", .in_len = 9},
      {.id = PP_SEALED_MESSAGES_BODY, .in_kind = PP_SEAL_TEXT, .in = "", .in_len = 0},
      {.id = PP_SEALED_MESSAGES_MEDIA_URLS, .in_kind = PP_SEAL_NULL},
      {.id = PP_SEALED_MESSAGES_STATUS_CALLBACK,
       .in_kind = PP_SEAL_BLOB,
       .in = already,
       .in_len = sizeof already},
  };
  unsigned char *buf = NULL;
  int before = loads;
  CHECK_EQ_INT(pp_seal_row(c, NULL, &at, v, 5, &buf), PP_OK);
  CHECK(loads - before <= 1); /* one DEK lookup at most (it is cached) */
  CHECK(buf != NULL);
  CHECK_EQ_INT(v[0].kind, PP_SEAL_BLOB);
  CHECK_EQ_INT(v[0].len, pp_sealed_len(9));
  CHECK(memmem(v[0].value, v[0].len, "+15550001", 9) == NULL);
  CHECK_EQ_INT(v[1].kind, PP_SEAL_BLOB);
  CHECK(v[0].value != v[1].value);
  CHECK_EQ_INT(v[2].kind, PP_SEAL_TEXT); /* empty: passes through */
  CHECK_EQ_INT(v[2].len, 0);
  CHECK_EQ_INT(v[3].kind, PP_SEAL_NULL); /* NULL: stays NULL */
  CHECK(v[3].value == NULL);
  CHECK_EQ_INT(v[4].kind, PP_SEAL_BLOB); /* already sealed: passes through */
  CHECK(v[4].value == already && v[4].len == sizeof already);

  pp_seal_at_t o;
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_TO_ADDR, acct, "SM1", &o), PP_OK);
  opens_to(c, &o, &v[0], "+15550001");
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_FROM_ADDR, acct, "SM1", &o), PP_OK);
  opens_to(c, &o, &v[1], "+15550002");
  opens_to(c, &at, &v[2], "");
  opens_to(c, &at, &v[3], NULL);
  /* A text from before sealing opens as itself. */
  pp_seal_value_t clear = {.kind = PP_SEAL_TEXT, .value = "plain old", .len = 9};
  opens_to(c, &at, &clear, "plain old");

  /* Wrong coordinates: another row, column, table or account. */
  char *out = NULL;
  size_t len = 0;
  pp_seal_at_t wrong;
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_TO_ADDR, acct, "SM2", &wrong), PP_OK);
  CHECK_EQ_INT(pp_seal_open(c, NULL, &wrong, v[0].kind, v[0].value, v[0].len, &out, &len),
               PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_FROM_ADDR, acct, "SM1", &wrong), PP_OK);
  CHECK_EQ_INT(pp_seal_open(c, NULL, &wrong, v[0].kind, v[0].value, v[0].len, &out, &len),
               PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_VERIFICATIONS_TO_ADDR, acct, "SM1", &wrong), PP_OK);
  CHECK_EQ_INT(pp_seal_open(c, NULL, &wrong, v[0].kind, v[0].value, v[0].len, &out, &len),
               PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MESSAGES_TO_ADDR, accounts[1], "SM1", &wrong), PP_OK);
  CHECK(pp_seal_open(c, NULL, &wrong, v[0].kind, v[0].value, v[0].len, &out, &len) != PP_OK);
  /* An altered blob. */
  unsigned char bad[256];
  memcpy(bad, v[0].value, v[0].len);
  bad[v[0].len - 1] ^= 1;
  CHECK_EQ_INT(pp_seal_open(c, NULL, &o, PP_SEAL_BLOB, bad, v[0].len, &out, &len), PP_ERR_CORRUPT);
  free(buf);

  /* A row of another table than the coordinates': refused. */
  pp_seal_value_t other = {
      .id = PP_SEALED_ALERTS_ALERT_TEXT, .in_kind = PP_SEAL_TEXT, .in = "x", .in_len = 1};
  CHECK_EQ_INT(pp_seal_row(c, NULL, &at, &other, 1, &buf), PP_ERR_INVALID_PARAM);
  CHECK(buf == NULL);
  /* Nothing to seal: no block. */
  pp_seal_value_t none = {.id = PP_SEALED_MESSAGES_BODY, .in_kind = PP_SEAL_NULL};
  CHECK_EQ_INT(pp_seal_row(c, NULL, &at, &none, 1, &buf), PP_OK);
  CHECK(buf == NULL && none.kind == PP_SEAL_NULL);

  /* The system key: a carrier password; and one value alone. */
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_CARRIERS_PASSWORD, NULL, "carrier-a", &o), PP_OK);
  pp_seal_value_t pw = {.kind = PP_SEAL_NULL};
  CHECK_EQ_INT(
      pp_seal_one(c, NULL, &o, PP_SEAL_TEXT, "s3cret", 6, &pw.kind, &pw.value, &pw.len, &buf),
      PP_OK);
  CHECK_EQ_INT(pw.kind, PP_SEAL_BLOB);
  opens_to(c, &o, &pw, "s3cret");
  free(buf);

  /* A webhook row's URL, sealed for the column it came from, opens by the
   * row's url_* coordinates; a redirect's by ("webhooks", "url", token). */
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_PHONE_NUMBERS_SMS_URL, acct, "PN1", &o), PP_OK);
  pp_seal_value_t url = {0};
  CHECK_EQ_INT(pp_seal_one(c, NULL, &o, PP_SEAL_TEXT, "https://x/", 10, &url.kind, &url.value,
                           &url.len, &buf),
               PP_OK);
  CHECK_EQ_INT(
      pp_seal_at_source(PP_SEALED_WEBHOOKS_URL, acct, "phone_numbers", "sms_url", "PN1", &o),
      PP_OK);
  opens_to(c, &o, &url, "https://x/");
  free(buf);
  CHECK_EQ_INT(pp_seal_at_source(PP_SEALED_WEBHOOKS_URL, acct, "webhooks", "url", "tok1", &o),
               PP_OK);
  pp_seal_value_t wv[] = {
      {.id = PP_SEALED_WEBHOOKS_URL, .in_kind = PP_SEAL_TEXT, .in = "https://r/", .in_len = 10},
      {.id = PP_SEALED_WEBHOOKS_BODY, .in_kind = PP_SEAL_TEXT, .in = "a=b", .in_len = 3},
  };
  CHECK_EQ_INT(pp_seal_row(c, NULL, &o, wv, 2, &buf), PP_OK);
  opens_to(c, &o, &wv[0], "https://r/");
  pp_seal_at_t body;
  CHECK_EQ_INT(pp_seal_at_source(PP_SEALED_WEBHOOKS_BODY, acct, "webhooks", "url", "tok1", &body),
               PP_OK);
  opens_to(c, &body, &wv[1], "a=b");
  CHECK_EQ_INT(pp_seal_open(c, NULL, &o, wv[1].kind, wv[1].value, wv[1].len, &out, &len),
               PP_ERR_CORRUPT);
  free(buf);

  /* mo_parts: sealed for "ref:total:part" under the given account. */
  char row[PP_SEAL_ROW_MAX];
  pp_seal_part_row(row, 12, 2, 1);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MO_PARTS_BODY, acct, row, &o), PP_OK);
  pp_seal_value_t part = {0};
  CHECK_EQ_INT(pp_seal_one(c, NULL, &o, PP_SEAL_TEXT, "part one", 8, &part.kind, &part.value,
                           &part.len, &buf),
               PP_OK);
  opens_to(c, &o, &part, "part one");
  pp_seal_part_row(row, 12, 2, 2);
  CHECK_EQ_INT(pp_seal_at(PP_SEALED_MO_PARTS_BODY, acct, row, &wrong), PP_OK);
  CHECK_EQ_INT(pp_seal_open(c, NULL, &wrong, part.kind, part.value, part.len, &out, &len),
               PP_ERR_CORRUPT);
  free(buf);
}

static void indexes(pp_crypt_t *c) {
  unsigned char a[PP_BLIND_INDEX_LEN], b[PP_BLIND_INDEX_LEN], want[PP_BLIND_INDEX_LEN];
  pp_seal_kind_t k;
  CHECK_EQ_INT(
      pp_seal_index(c, NULL, PP_INDEX_MESSAGES_TO_BIDX, PP_SEAL_TEXT, "+15550001", 9, NULL, a, &k),
      PP_OK);
  CHECK_EQ_INT(k, PP_SEAL_BLOB);
  CHECK_EQ_INT(pp_crypt_bidx(c, NULL, "+15550001", 9, want), PP_OK);
  CHECK(memcmp(a, want, sizeof a) == 0);
  /* The same number indexes the same across tables (inbound routing). */
  CHECK_EQ_INT(pp_seal_index(c, NULL, PP_INDEX_PHONE_NUMBERS_PHONE_BIDX, PP_SEAL_TEXT, "+15550001",
                             9, NULL, b, &k),
               PP_OK);
  CHECK(memcmp(a, b, sizeof a) == 0);
  /* Inbound parts: the former function, another value. */
  CHECK_EQ_INT(
      pp_seal_index(c, NULL, PP_INDEX_MO_PARTS_DST, PP_SEAL_TEXT, "+15550001", 9, NULL, b, &k),
      PP_OK);
  CHECK_EQ_INT(pp_crypt_part_index(c, NULL, "+15550001", 9, want), PP_OK);
  CHECK(memcmp(b, want, sizeof b) == 0);
  CHECK(memcmp(a, b, sizeof a) != 0);
  /* An entity: service "/" identity. */
  CHECK_EQ_INT(pp_seal_index(c, NULL, PP_INDEX_VERIFY_ENTITIES_IDENTITY_BIDX, PP_SEAL_TEXT, "VA1",
                             3, "alice", a, &k),
               PP_OK);
  CHECK_EQ_INT(pp_crypt_bidx(c, NULL, "VA1/alice", 9, want), PP_OK);
  CHECK(memcmp(a, want, sizeof a) == 0);
  k = PP_SEAL_BLOB;
  CHECK_EQ_INT(pp_seal_index(c, NULL, PP_INDEX_VERIFY_ENTITIES_IDENTITY_BIDX, PP_SEAL_TEXT, "VA1",
                             3, NULL, a, &k),
               PP_OK);
  CHECK_EQ_INT(k, PP_SEAL_NULL);
  /* NULL passes; the empty text is indexed; a blob passes through. */
  k = PP_SEAL_BLOB;
  CHECK_EQ_INT(
      pp_seal_index(c, NULL, PP_INDEX_MESSAGES_FROM_BIDX, PP_SEAL_NULL, NULL, 0, NULL, a, &k),
      PP_OK);
  CHECK_EQ_INT(k, PP_SEAL_NULL);
  CHECK_EQ_INT(
      pp_seal_index(c, NULL, PP_INDEX_MESSAGES_FROM_BIDX, PP_SEAL_TEXT, "", 0, NULL, a, &k), PP_OK);
  CHECK_EQ_INT(k, PP_SEAL_BLOB);
  CHECK_EQ_INT(pp_crypt_bidx(c, NULL, "", 0, want), PP_OK);
  CHECK(memcmp(a, want, sizeof a) == 0);
  CHECK_EQ_INT(pp_seal_index(c, NULL, PP_INDEX_MESSAGES_FROM_BIDX, PP_SEAL_BLOB, want, sizeof want,
                             NULL, b, &k),
               PP_OK);
  CHECK(k == PP_SEAL_BLOB && memcmp(b, want, sizeof b) == 0);
  CHECK_EQ_INT(pp_seal_index(c, NULL, PP_INDEX__COUNT, PP_SEAL_TEXT, "x", 1, NULL, b, &k),
               PP_ERR_INVALID_PARAM);
  /* Tokens: NULL and "" hash to NULL; a token to pp_crypt_token_hash's. */
  bool is_null = false;
  CHECK_EQ_INT(pp_seal_token_hash(c, NULL, NULL, a, &is_null), PP_OK);
  CHECK(is_null);
  CHECK_EQ_INT(pp_seal_token_hash(c, NULL, "", a, &is_null), PP_OK);
  CHECK(is_null);
  CHECK_EQ_INT(pp_seal_token_hash(c, NULL, "tok", a, &is_null), PP_OK);
  CHECK(!is_null);
  CHECK_EQ_INT(pp_crypt_token_hash(c, NULL, "tok", want), PP_OK);
  CHECK(memcmp(a, want, sizeof a) == 0);
  CHECK_EQ_INT(
      pp_seal_index(c, NULL, PP_INDEX_ACCOUNTS_AUTH_HASH, PP_SEAL_TEXT, "tok", 3, NULL, b, &k),
      PP_OK);
  CHECK(k == PP_SEAL_BLOB && memcmp(b, want, sizeof b) == 0);
  CHECK_EQ_INT(
      pp_seal_index(c, NULL, PP_INDEX_ACCOUNTS_AUTH_HASH, PP_SEAL_TEXT, "", 0, NULL, b, &k), PP_OK);
  CHECK_EQ_INT(k, PP_SEAL_NULL);
  /* The token key is not the phone key. */
  CHECK_EQ_INT(pp_crypt_bidx(c, NULL, "tok", 3, b), PP_OK);
  CHECK(memcmp(a, b, sizeof a) != 0);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  descriptions();
  pp_crypt_t *c = crypt_with_keys();
  round_trip(c);
  indexes(c);
  pp_crypt_free(c);
  return check_report("store_seal");
}

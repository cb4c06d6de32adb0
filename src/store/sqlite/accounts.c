/* accounts.c: reads of accounts, API keys, carriers and routes. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

/* An account's row: its tokens opened (lists and sign-in read '' there). */
#define ACC(kind, f, i) SQ_COL(kind, pp_account_t, f, i)
static const sq_col_t account_cols[] = {
    ACC(SQ_I64, seq, 0),          ACC(SQ_TEXT, sid, 1),
    ACC(SQ_TEXT, owner_sid, 2),   ACC(SQ_TEXT, friendly_name, 3),
    ACC(SQ_TEXT, status, 4),      ACC(SQ_I64, secondary_created, 7),
    ACC(SQ_I64, date_created, 8), ACC(SQ_I64, date_updated, 9)};
#undef ACC

static pp_err_t row_account(be_t *b, const void *arg, pp_arena_t *arena, sqlite3_stmt *st,
                            void *row) {
  (void)arg, (void)arena;
  pp_account_t *a = row;
  sq_read_cols(st, account_cols, SQ_NCOLS(account_cols), a);
  const sq_open_col_t tokens[] = {
      {PP_SEALED_ACCOUNTS_AUTH_TOKEN, 5, a->auth_token, sizeof a->auth_token, NULL, NULL},
      {PP_SEALED_ACCOUNTS_SECONDARY_TOKEN, 6, a->secondary_token, sizeof a->secondary_token, NULL,
       NULL}};
  return sq_open_row(b->crypt, st, a->sid, a->sid, tokens, 2);
}

pp_err_t sq_dek_insert(conn_t *c, int which, const char *account_sid, uint32_t generation,
                       int64_t now) {
  unsigned char wrapped[PP_DEK_WRAPPED_LEN];
  pp_err_t e = pp_crypt_new_dek(c->crypt_of, account_sid, generation, wrapped);
  if (e) return e;
  sqlite3_stmt *st = c->st[which];
  sq_bind_text(st, 1, account_sid);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, generation);
  sqlite3_bind_blob(st, 4, wrapped, sizeof wrapped, SQLITE_STATIC);
  sq_bind_text(st, 5, pp_crypt_master_id(c->crypt_of));
  return sq_result_of(c->db, sq_step_done(st), 0);
}

/* Inserts or updates an account (both statements take the same
 * parameters): its tokens sealed, their keyed hashes beside them. */
pp_err_t sq_apply_account(conn_t *c, pp_account_t *a, bool insert) {
  sqlite3_stmt *st = c->st[insert ? S_ACC_INS : S_ACC_UPD];
  pp_seal_value_t v[] = {sq_seal_text(PP_SEALED_ACCOUNTS_AUTH_TOKEN, a->auth_token),
                         sq_seal_text(PP_SEALED_ACCOUNTS_SECONDARY_TOKEN, a->secondary_token)};
  static const int params[] = {5, 6};
  unsigned char hash[2][PP_BLIND_INDEX_LEN], *buf = NULL;
  pp_err_t e = sq_bind_index(c, st, 10, PP_INDEX_ACCOUNTS_AUTH_HASH, a->auth_token, hash[0]);
  if (!e)
    e = sq_bind_index(c, st, 11, PP_INDEX_ACCOUNTS_SECONDARY_HASH, a->secondary_token, hash[1]);
  if (!e) e = sq_seal_bind(c, st, a->sid, a->sid, v, params, 2, &buf);
  if (e) return e;
  sq_bind_cols(st, account_cols + 1, SQ_NCOLS(account_cols) - 1, a);
  return sq_step_write(c, st, buf, insert, &a->seq);
}

static void row_key(sqlite3_stmt *st, void *row) {
  static const sq_col_t cols[] = {
      SQ_COL(SQ_I64, pp_key_t, seq, 0),          SQ_COL(SQ_TEXT, pp_key_t, sid, 1),
      SQ_COL(SQ_TEXT, pp_key_t, account_sid, 2), SQ_COL(SQ_TEXT, pp_key_t, friendly_name, 3),
      SQ_COL(SQ_I64, pp_key_t, date_created, 5), SQ_COL(SQ_I64, pp_key_t, date_updated, 6)};
  pp_key_t *k = row;
  sq_read_cols(st, cols, SQ_NCOLS(cols), k);
  memset(k->secret_hash, 0, sizeof k->secret_hash);
  const void *h = sqlite3_column_blob(st, 4);
  int hn = sqlite3_column_bytes(st, 4);
  if (h && hn == (int)sizeof k->secret_hash) memcpy(k->secret_hash, h, sizeof k->secret_hash);
}

pp_err_t sq_account_get(void *p, const char *sid, pp_account_t *out) {
  return sq_get_one_open(p, S_ACC_GET, sid, NULL, row_account, NULL, sizeof *out, out);
}

pp_err_t sq_named_key(void *p, const char *name, char hex[65]) {
  return sq_load_index(p, NULL, name, hex);
}

pp_err_t sq_account_auth(void *p, const char *sid, pp_account_t *out, unsigned char hashes[2][32]) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_ACC_AUTH];
  sq_bind_text(st, 1, sid);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW && !(e = row_account(b, NULL, NULL, st, out))) {
    for (int i = 0; i < 2; i++) {
      memset(hashes[i], 0, 32);
      if (sqlite3_column_bytes(st, 10 + i) == 32)
        memcpy(hashes[i], sqlite3_column_blob(st, 10 + i), 32);
    }
  } else if (rc != SQLITE_ROW) {
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : sq_db_err(c->db, "account auth");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

pp_err_t sq_key_get(void *p, const char *sid, pp_key_t *out) {
  return sq_get_one(p, S_KEY_GET, sid, NULL, row_key, sizeof *out, out);
}

static pp_err_t open_key_row(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)b, (void)arg, (void)a;
  row_key(st, row);
  return PP_OK;
}

pp_err_t sq_account_list(void *p, pp_arena_t *a, const pp_account_filter_t *f, pp_account_t **rows,
                         size_t *n, bool *more) {
  const sq_cond_t conds[] = {
      {f->owner_sid, "(owner_sid = :owner OR sid = :owner)", ":owner", SQ_BY_TEXT, f->owner_sid},
      {f->friendly_name, "friendly_name = :name", ":name", SQ_BY_TEXT, f->friendly_name},
      {f->status, "status = :status", ":status", SQ_BY_TEXT, f->status}};
  /* Lists never show tokens: they are not opened (a closed account's keys are gone). */
  return sq_list_where(p, a,
                       "SELECT seq,sid,owner_sid,friendly_name,status,'','',secondary_created,"
                       "date_created,date_updated FROM accounts",
                       conds, SQ_NCOLS(conds), &f->page, sizeof **rows, row_account, (void **)rows,
                       n, more);
}

pp_err_t sq_key_list(void *p, pp_arena_t *a, const char *account_sid, const pp_page_req_t *pg,
                     pp_key_t **rows, size_t *n, bool *more) {
  return sq_list_in_open(p, a, "SELECT " KEY_COLS " FROM api_keys", NULL, account_sid, NULL, pg,
                         sizeof **rows, open_key_row, (void **)rows, n, more);
}

/* A carrier's plain columns (its password is sealed). */
#define CAR(kind, f, i) SQ_COL(kind, pp_carrier_t, f, i)
static const sq_col_t carrier_cols[] = {
    CAR(SQ_I64, seq, 0),        CAR(SQ_TEXT, name, 1),         CAR(SQ_TEXT, host, 2),
    CAR(SQ_INT, port, 3),       CAR(SQ_TEXT, system_id, 4),    CAR(SQ_TEXT, system_type, 6),
    CAR(SQ_TEXT, bind_mode, 7), CAR(SQ_INT, window, 8),        CAR(SQ_INT, mps, 9),
    CAR(SQ_INT, binds, 10),     CAR(SQ_I64, date_created, 11), CAR(SQ_I64, date_updated, 12),
    CAR(SQ_TEXT, concat, 13),   CAR(SQ_INT, payload, 14),      CAR(SQ_TEXT, gsm7, 15),
    CAR(SQ_TEXT, channel, 16)};
#undef CAR

pp_err_t sq_apply_carrier(conn_t *c, const pp_carrier_t *k) {
  sqlite3_stmt *st = c->st[S_CAR_PUT];
  pp_seal_value_t v = sq_seal_text(PP_SEALED_CARRIERS_PASSWORD, k->password);
  static const int params[] = {5};
  unsigned char *buf;
  pp_err_t e = sq_seal_bind(c, st, NULL, k->name, &v, params, 1, &buf);
  if (e) return e;
  sq_bind_cols(st, carrier_cols + 1, SQ_NCOLS(carrier_cols) - 1, k);
  if (!k->concat[0]) sq_bind_text(st, 13, "udh"); /* the defaults of unset text */
  if (!k->gsm7[0]) sq_bind_text(st, 15, "unpacked");
  if (!k->channel[0]) sq_bind_text(st, 16, "smpp");
  return sq_step_write(c, st, buf, true, NULL);
}

/* A carrier's row, its password opened. */
static pp_err_t row_carrier(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg, (void)a;
  pp_carrier_t *k = row;
  sq_read_cols(st, carrier_cols, SQ_NCOLS(carrier_cols), k);
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at(PP_SEALED_CARRIERS_PASSWORD, NULL, k->name, &at);
  return e ? e : sq_col_open_copy(b->crypt, st, 5, &at, k->password, sizeof k->password);
}

static void row_route(sqlite3_stmt *st, void *row) {
  static const sq_col_t cols[] = {
      SQ_COL(SQ_I64, pp_route_rule_t, seq, 0), SQ_COL(SQ_TEXT, pp_route_rule_t, prefix, 1),
      SQ_COL(SQ_TEXT, pp_route_rule_t, carrier, 2), SQ_COL(SQ_INT, pp_route_rule_t, priority, 3),
      SQ_COL(SQ_I64, pp_route_rule_t, date_created, 4)};
  sq_read_cols(st, cols, SQ_NCOLS(cols), row);
}

pp_err_t sq_carrier_all(void *p, pp_arena_t *a, pp_carrier_t **rows, size_t *n) {
  return sq_read_all_open(p, S_CAR_ALL, a, sizeof(pp_carrier_t), row_carrier, (void **)rows, n);
}

pp_err_t sq_route_all(void *p, pp_arena_t *a, pp_route_rule_t **rows, size_t *n) {
  return sq_read_all(p, S_ROUTE_ALL, a, sizeof(pp_route_rule_t), row_route, (void **)rows, n);
}

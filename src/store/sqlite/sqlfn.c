/* sqlfn.c: the pp_* SQL user functions that seal and open values inside
 * SQL, and sq_register_crypt, which gives them to a connection. */
#include <sodium.h>

#include "core/log.h"
#include "store/sqlite/sqlite_int.h"
#include "store/verify_v1.h"

/* ---- encryption at rest: SQL functions --------------------------------- *
 * Every connection has them, so the SQL says where each value is sealed:
 *   pp_seal(v, account, table, column, row)  v sealed (a BLOB) for those
 *     coordinates; NULL, '' and a BLOB (sealed already) pass unchanged;
 *   pp_open(v, account, table, column, row)  the text back; NULL and TEXT
 *     (written before encryption) pass unchanged; a blob that does not open
 *     there is an error (never plaintext from elsewhere);
 *   pp_bidx(v)  the blind index of a phone number (a BLOB passes);
 *   pp_partkey(v)  the same with the former index function, for mo_parts;
 *   pp_verify_v1(v, account, table, column, row, root)  a value of Verify's
 *     former seal sealed with the account's key (the upgrade);
 *   pp_new_key(account, generation)  a new data key, wrapped;
 *   pp_master_id()  the master key's fingerprint. */

static const char *arg_text(sqlite3_value **v, int i) {
  const char *s = (const char *)sqlite3_value_text(v[i]);
  return s ? s : "";
}

static void fn_seal(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  int type = sqlite3_value_type(v[0]);
  if (PP_CRYPT_PLAINTEXT || type == SQLITE_NULL || type == SQLITE_BLOB ||
      sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  const char *plain = (const char *)sqlite3_value_text(v[0]);
  unsigned char *blob;
  size_t len;
  pp_err_t e = pp_crypt_seal(b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1),
                             arg_text(v, 2), arg_text(v, 3), arg_text(v, 4), plain,
                             (size_t)sqlite3_value_bytes(v[0]), &blob, &len);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, blob, (int)len, free);
}

/* A sealed value (v[2].v[3] of row v[4]) that did not open with `e`:
 * logged (unless crypt did) and set as the statement's error. */
static void open_failed(sqlite3_context *ctx, sqlite3_value **v, pp_err_t e) {
  if (e != PP_ERR_CORRUPT) /* which crypt logged */
    pp_log_error("sqlite", "a sealed %s.%s of %s did not open: %s", arg_text(v, 2), arg_text(v, 3),
                 arg_text(v, 4), pp_err_name(e));
  sqlite3_result_error(ctx, pp_err_name(e), -1);
}

static void fn_open(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  char *plain;
  size_t len;
  pp_err_t e = pp_crypt_open(
      b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1), arg_text(v, 2), arg_text(v, 3),
      arg_text(v, 4), sqlite3_value_blob(v[0]), (size_t)sqlite3_value_bytes(v[0]), &plain, &len);
  if (e) {
    open_failed(ctx, v, e);
    return;
  }
  sqlite3_result_text(ctx, plain, (int)len, free);
}

/* The statement's result: `blob` (n bytes) when e is PP_OK, else e's name
 * as its error. */
static void result_blob(sqlite3_context *ctx, pp_err_t e, const unsigned char *blob, size_t n) {
  if (e)
    sqlite3_result_error(ctx, pp_err_name(e), -1);
  else
    sqlite3_result_blob(ctx, blob, (int)n, SQLITE_TRANSIENT);
}

typedef pp_err_t (*index_fn)(pp_crypt_t *, void *, const void *, size_t,
                             unsigned char[PP_BLIND_INDEX_LEN]);

static void index_value(sqlite3_context *ctx, sqlite3_value **v, index_fn fn) {
  int type = sqlite3_value_type(v[0]);
  if (type == SQLITE_NULL || type == SQLITE_BLOB) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  unsigned char out[PP_BLIND_INDEX_LEN];
  result_blob(ctx,
              fn(b->crypt, sqlite3_context_db_handle(ctx), sqlite3_value_text(v[0]),
                 (size_t)sqlite3_value_bytes(v[0]), out),
              out, sizeof out);
}

static void fn_bidx(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  index_value(ctx, v, pp_crypt_bidx);
}

static void fn_partkey(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  index_value(ctx, v, pp_crypt_part_index);
}

/* pp_tokhash(token): the keyed hash an auth token is checked against;
 * NULL for NULL or ''. */
static void fn_tokhash(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) == SQLITE_NULL || sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_null(ctx);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  unsigned char out[PP_BLIND_INDEX_LEN];
  result_blob(ctx,
              pp_crypt_token_hash(b->crypt, sqlite3_context_db_handle(ctx),
                                  (const char *)sqlite3_value_text(v[0]), out),
              out, sizeof out);
}

static void fn_new_key(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  be_t *b = sqlite3_user_data(ctx);
  unsigned char wrapped[PP_DEK_WRAPPED_LEN];
  result_blob(
      ctx, pp_crypt_new_dek(b->crypt, arg_text(v, 0), (uint32_t)sqlite3_value_int64(v[1]), wrapped),
      wrapped, sizeof wrapped);
}

/* Seals `plain` for (account, table, column, row) as the statement's
 * result, or sets its error. */
static void result_sealed(sqlite3_context *ctx, sqlite3_value **v, const unsigned char *plain,
                          size_t len) {
  be_t *b = sqlite3_user_data(ctx);
  unsigned char *blob;
  size_t blen;
  pp_err_t e =
      pp_crypt_seal(b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1), arg_text(v, 2),
                    arg_text(v, 3), arg_text(v, 4), plain, len, &blob, &blen);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, blob, (int)blen, free);
}

/* The end of pp_verify_v1: `plain` (guarded memory, freed
 * here), opened with `e`, sealed as the result; or the failure logged and
 * set as the statement's error. */
static void resealed(sqlite3_context *ctx, sqlite3_value **v, pp_err_t e, unsigned char *plain,
                     size_t len) {
  if (e) {
    open_failed(ctx, v, e);
    return;
  }
  result_sealed(ctx, v, plain, len);
  pp_crypt_secret_free(plain);
}

/* pp_verify_v1(v, account, table, column, row, root): for the upgrade, a
 * value Verify sealed under its former system-wide key (format 1 under the
 * hex `root`, store/verify_v1.h) sealed again, for the same place, with the
 * account's data key; an empty value passes. */
static void fn_verify_v1(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) != SQLITE_BLOB || sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  unsigned char *root = sodium_malloc(PP_KEY_LEN), *plain = NULL;
  size_t rn = 0, len = 0;
  pp_err_t e = root ? PP_OK : PP_ERR_NOMEM;
  if (!e && (sqlite3_value_bytes(v[5]) != 2 * PP_KEY_LEN ||
             sodium_hex2bin(root, PP_KEY_LEN, (const char *)sqlite3_value_text(v[5]),
                            2 * PP_KEY_LEN, NULL, &rn, NULL) != 0 ||
             rn != PP_KEY_LEN))
    e = PP_ERR_INVALID_PARAM;
  if (!e)
    e = pp_verify_v1_open(root, arg_text(v, 1), arg_text(v, 2), arg_text(v, 3), arg_text(v, 4),
                          sqlite3_value_blob(v[0]), (size_t)sqlite3_value_bytes(v[0]), &plain,
                          &len);
  sodium_free(root);
  resealed(ctx, v, e, plain, len);
}

static void fn_master_id(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n, (void)v;
  be_t *b = sqlite3_user_data(ctx);
  sqlite3_result_text(ctx, pp_crypt_master_id(b->crypt), -1, SQLITE_TRANSIENT);
}

int sq_register_crypt(sqlite3 *db, be_t *b) {
  static const struct {
    const char *name;
    int nargs;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
    int flags;
  } fns[] = {
      {"pp_seal", 5, fn_seal, 0},
      {"pp_open", 5, fn_open, SQLITE_DETERMINISTIC},
      {"pp_bidx", 1, fn_bidx, SQLITE_DETERMINISTIC},
      {"pp_partkey", 1, fn_partkey, SQLITE_DETERMINISTIC},
      {"pp_new_key", 2, fn_new_key, 0},
      {"pp_master_id", 0, fn_master_id, SQLITE_DETERMINISTIC},
      {"pp_tokhash", 1, fn_tokhash, SQLITE_DETERMINISTIC},
      {"pp_verify_v1", 6, fn_verify_v1, 0},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    int rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs,
                                        SQLITE_UTF8 | SQLITE_DIRECTONLY | fns[i].flags, b,
                                        fns[i].fn, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

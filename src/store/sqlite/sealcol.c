/* sealcol.c: sealed and indexed columns around bind and row (store/seal.h
 * does the work; tables.def names the coordinates) for every statement of
 * the SQLite backend: a row's values sealed with one key lookup and bound,
 * an index computed and bound, a row's columns opened after it is read. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

pp_seal_value_t sq_seal_text(pp_sealed_id_t id, const char *s) {
  return (pp_seal_value_t){
      .id = id, .in_kind = s ? PP_SEAL_TEXT : PP_SEAL_NULL, .in = s, .in_len = s ? strlen(s) : 0};
}

void sq_bind_value(sqlite3_stmt *st, int i, pp_seal_kind_t kind, const void *v, size_t len) {
  if (kind == PP_SEAL_NULL || !v)
    sqlite3_bind_null(st, i);
  else if (kind == PP_SEAL_BLOB)
    sqlite3_bind_blob(st, i, v, (int)len, SQLITE_STATIC);
  else
    sqlite3_bind_text(st, i, v, (int)len, SQLITE_STATIC);
}

pp_seal_kind_t sq_col_kind(sqlite3_stmt *st, int i) {
  int type = sqlite3_column_type(st, i);
  return type == SQLITE_NULL ? PP_SEAL_NULL : type == SQLITE_BLOB ? PP_SEAL_BLOB : PP_SEAL_TEXT;
}

pp_err_t sq_bind_seal_row(conn_t *c, sqlite3_stmt *st, const pp_seal_at_t *at, pp_seal_value_t *v,
                          const int *params, size_t n, unsigned char **buf) {
  pp_err_t e = pp_seal_row(c->crypt_of, c->db, at, v, n, buf);
  for (size_t i = 0; !e && i < n; i++)
    sq_bind_value(st, params[i], v[i].kind, v[i].value, v[i].len);
  return e;
}

pp_err_t sq_seal_bind(conn_t *c, sqlite3_stmt *st, const char *account, const char *row,
                      pp_seal_value_t *v, const int *params, size_t n, unsigned char **buf) {
  pp_seal_at_t at;
  *buf = NULL;
  pp_err_t e = pp_seal_at(v[0].id, account, row, &at);
  if (!e) e = sq_bind_seal_row(c, st, &at, v, params, n, buf);
  if (e) sqlite3_clear_bindings(st);
  return e;
}

pp_err_t sq_step_write(conn_t *c, sqlite3_stmt *st, unsigned char *buf, bool insert, int64_t *seq) {
  int rc = sq_step_done(st);
  free(buf);
  if (insert && seq && rc == SQLITE_DONE) *seq = sqlite3_last_insert_rowid(c->db);
  return sq_result_of(c->db, rc, !insert);
}

pp_err_t sq_bind_index(conn_t *c, sqlite3_stmt *st, int i, pp_index_id_t id, const char *s,
                       unsigned char out[PP_BLIND_INDEX_LEN]) {
  pp_seal_kind_t kind;
  pp_err_t e = pp_seal_index(c->crypt_of, c->db, id, s ? PP_SEAL_TEXT : PP_SEAL_NULL, s,
                             s ? strlen(s) : 0, NULL, out, &kind);
  if (!e)
    sq_bind_value(st, i, kind, out, PP_BLIND_INDEX_LEN);
  else
    sqlite3_clear_bindings(st);
  return e;
}

pp_err_t sq_col_open(pp_crypt_t *crypt, sqlite3_stmt *st, int i, const pp_seal_at_t *at, char **out,
                     size_t *len) {
  pp_seal_kind_t kind = sq_col_kind(st, i);
  const void *v =
      kind == PP_SEAL_BLOB ? sqlite3_column_blob(st, i) : (const void *)sqlite3_column_text(st, i);
  return pp_seal_open(crypt, sqlite3_db_handle(st), at, kind, v,
                      (size_t)sqlite3_column_bytes(st, i), out, len);
}

pp_err_t sq_col_open_dup(pp_crypt_t *crypt, pp_arena_t *a, sqlite3_stmt *st, int i,
                         const pp_seal_at_t *at, const char **out) {
  char *plain;
  size_t len;
  pp_err_t e = sq_col_open(crypt, st, i, at, &plain, &len);
  *out = NULL;
  if (e || !plain) return e;
  *out = pp_arena_strndup(a, plain, len);
  free(plain);
  return *out ? PP_OK : PP_ERR_NOMEM;
}

pp_err_t sq_col_open_copy(pp_crypt_t *crypt, sqlite3_stmt *st, int i, const pp_seal_at_t *at,
                          char *dst, size_t size) {
  char *plain;
  size_t len;
  pp_err_t e = sq_col_open(crypt, st, i, at, &plain, &len);
  if (e) return e;
  snprintf(dst, size, "%s", plain ? plain : "");
  if (plain) sodium_memzero(plain, len);
  free(plain);
  return PP_OK;
}

pp_err_t sq_open_row(pp_crypt_t *crypt, sqlite3_stmt *st, const char *account, const char *row,
                     const sq_open_col_t *cols, size_t n) {
  for (size_t k = 0; k < n; k++) {
    pp_seal_at_t at;
    pp_err_t e = pp_seal_at(cols[k].id, account, row, &at);
    if (!e)
      e = cols[k].dup ? sq_col_open_dup(crypt, cols[k].arena, st, cols[k].col, &at, cols[k].dup)
                      : sq_col_open_copy(crypt, st, cols[k].col, &at, cols[k].dst, cols[k].size);
    if (e) return e;
  }
  return PP_OK;
}

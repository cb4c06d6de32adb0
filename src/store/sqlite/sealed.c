/* sealed.c: sealing and opening around bind and row for the SQLite
 * backend's statements (store/seal.h does the work; tables.def names the
 * coordinates). */
#include <stdlib.h>

#include "store/sqlite/sqlite_int.h"

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

pp_err_t sq_col_open_at(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, int i, const pp_seal_at_t *at,
                        const char **out) {
  pp_seal_kind_t kind = sq_col_kind(st, i);
  *out = NULL;
  if (kind == PP_SEAL_NULL) return PP_OK;
  const void *in =
      kind == PP_SEAL_BLOB ? sqlite3_column_blob(st, i) : (const void *)sqlite3_column_text(st, i);
  size_t in_len = (size_t)sqlite3_column_bytes(st, i);
  char *plain = NULL;
  size_t len = 0;
  pp_err_t e = pp_seal_open(c->crypt_of, c->db, at, kind, in ? in : "", in_len, &plain, &len);
  if (e) return e;
  *out = pp_arena_strndup(a, plain ? plain : "", len);
  free(plain);
  return *out ? PP_OK : PP_ERR_NOMEM;
}

pp_err_t sq_col_open_id(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, int i, pp_sealed_id_t id,
                        const char *account, const char *row, const char **out) {
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at(id, account, row, &at);
  return e ? e : sq_col_open_at(c, a, st, i, &at, out);
}

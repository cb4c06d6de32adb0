/* change.c: change requests (four eyes on carriers and routes): inserted or
 * decided with the write they ride on (writer thread), and the reads
 * (docs/internals/staff.md).  A carrier password asked for is sealed under
 * the system key, at the row's sid. */
#include <sodium.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define CR(kind, f, i) SQ_COL(kind, pp_change_t, f, i)
/* Every column but the sealed password (6). */
static const sq_col_t change_cols[] = {
    CR(SQ_I64, seq, 0),           CR(SQ_TEXT, sid, 1),          CR(SQ_TEXT, action, 2),
    CR(SQ_TEXT, carrier, 3),      CR(SQ_TEXT, prefix, 4),       CR(SQ_TEXT, params, 5),
    CR(SQ_TEXT, requested_by, 7), CR(SQ_TEXT, status, 8),       CR(SQ_TEXT, decided_by, 9),
    CR(SQ_I64, date_created, 10), CR(SQ_I64, date_expires, 11), CR(SQ_I64, date_decided, 12)};
#undef CR

pp_err_t sq_apply_change(conn_t *c, const pp_change_write_t *cw) {
  const pp_change_t *ch = cw->change;
  sqlite3_stmt *st;
  if (!cw->insert) {
    st = c->st[S_CHANGE_DECIDE];
    sq_bind_text(st, 1, ch->sid);
    sq_bind_text(st, 2, ch->status);
    sq_bind_text(st, 3, ch->decided_by);
    sqlite3_bind_int64(st, 4, ch->date_decided);
    pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
    return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
  }
  st = c->st[S_CHANGE_INS];
  pp_seal_value_t v = sq_seal_text(PP_SEALED_CHANGE_REQUESTS_PASSWORD, ch->password);
  static const int params[] = {6}; /* bound at its column's index, as the others */
  unsigned char *buf;
  pp_err_t e = sq_seal_bind(c, st, NULL, ch->sid, &v, params, 1, &buf);
  if (e) return e;
  sq_bind_cols(st, change_cols + 1, SQ_NCOLS(change_cols) - 1, ch);
  return sq_step_write(c, st, buf, true, NULL);
}

/* A row, its password opened. */
static pp_err_t row_change(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg, (void)a;
  pp_change_t *ch = row;
  memset(ch, 0, sizeof *ch);
  sq_read_cols(st, change_cols, SQ_NCOLS(change_cols), ch);
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at(PP_SEALED_CHANGE_REQUESTS_PASSWORD, NULL, ch->sid, &at);
  if (!e) e = sq_col_open_copy(b->crypt, st, 6, &at, ch->password, sizeof ch->password);
  ch->password_set = !e && ch->password[0];
  return e;
}

pp_err_t sq_change_get(void *p, const char *sid, pp_change_t *out) {
  return sq_get_one_open(p, S_CHANGE_GET, sid, NULL, row_change, NULL, sizeof *out, out);
}

pp_err_t sq_change_list(void *p, pp_arena_t *a, const char *status, pp_change_t **rows, size_t *n) {
  int which = !status                           ? S_CHANGE_ALL
              : strcmp(status, "pending") == 0  ? S_CHANGE_PENDING
              : strcmp(status, "approved") == 0 ? S_CHANGE_APPROVED
                                                : -1;
  if (which < 0) return PP_ERR_INVALID_PARAM;
  pp_err_t e = sq_read_all_open(p, which, a, sizeof(pp_change_t), row_change, (void **)rows, n);
  if (!e)
    for (size_t i = 0; i < *n; i++) sodium_memzero((*rows)[i].password, sizeof(*rows)[i].password);
  return e;
}

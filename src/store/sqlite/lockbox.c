/* lockbox.c: the lockbox's rows (docs/internals/lockbox.md): staff
 * members' access requests, each with its reason sealed under the
 * account's key, and each account's settings (its webhook URL sealed);
 * a notice to that URL is queued in the transaction of the change it
 * reports. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

#define LB(kind, f, i) SQ_COL(kind, pp_lockbox_request_t, f, i)
/* The plain columns of LB_COLS, each at its parameter of S_LB_INS (the
 * reason, column 4, is sealed). */
static const sq_col_t lb_cols[] = {LB(SQ_I64, seq, 0),          LB(SQ_TEXT, sid, 1),
                                   LB(SQ_TEXT, account_sid, 2), LB(SQ_TEXT, staff, 3),
                                   LB(SQ_INT, minutes, 5),      LB(SQ_TEXT, status, 6),
                                   LB(SQ_TEXT, answered_by, 7), LB(SQ_I64, date_created, 8),
                                   LB(SQ_I64, date_updated, 9), LB(SQ_I64, date_approved, 10),
                                   LB(SQ_I64, date_revoked, 11)};
#undef LB

/* The notice of `lw` to the account's WebhookUrl, when it has one. */
static pp_err_t notice(conn_t *c, const pp_lockbox_write_t *lw) {
  if (!lw->notice) return PP_OK;
  sqlite3_stmt *st = c->st[S_LB_URL];
  sq_bind_text(st, 1, lw->account_sid);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  char *url = NULL;
  size_t len = 0;
  if (rc == SQLITE_ROW) {
    pp_seal_at_t at;
    e = pp_seal_at(PP_SEALED_LOCKBOX_SETTINGS_WEBHOOK_URL, lw->account_sid, lw->account_sid, &at);
    if (!e) e = sq_col_open(c->crypt_of, st, 0, &at, &url, &len);
  } else if (rc != SQLITE_DONE) {
    e = sq_db_err(c->db, "lockbox settings");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e && url && len)
    e = sq_hook_queue_form(c, lw->account_sid, lw->account_sid, "lockbox", lw->event, url, len,
                           lw->notice, lw->now);
  if (url) sodium_memzero(url, len);
  free(url);
  return e;
}

/* Inserts request `q` (its reason sealed) or moves it from `if_status`. */
static pp_err_t write_request(conn_t *c, pp_lockbox_request_t *q, bool insert,
                              const char *if_status) {
  sqlite3_stmt *st = c->st[insert ? S_LB_INS : S_LB_SET];
  unsigned char *buf = NULL;
  pp_err_t e = PP_OK;
  if (insert) {
    pp_seal_value_t v = sq_seal_text(PP_SEALED_LOCKBOX_REQUESTS_REASON, q->reason);
    static const int params[] = {4};
    e = sq_seal_bind(c, st, q->account_sid, q->sid, &v, params, 1, &buf);
  } else {
    sq_bind_text(st, 12, if_status);
  }
  if (e) return e;
  sq_bind_cols(st, lb_cols + 1, SQ_NCOLS(lb_cols) - 1, q);
  e = sq_step_write(c, st, buf, insert, insert ? &q->seq : NULL);
  return !insert && e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
}

pp_err_t sq_apply_lockbox(conn_t *c, pp_write_t *w) {
  if (w->kind == PP_W_LOCKBOX_SETTINGS) {
    pp_lockbox_settings_t *ls = w->u.lockbox_settings;
    sqlite3_stmt *st = c->st[S_LB_SETTINGS_PUT];
    unsigned char *buf = NULL;
    pp_seal_value_t v = sq_seal_text(PP_SEALED_LOCKBOX_SETTINGS_WEBHOOK_URL, ls->webhook_url);
    static const int params[] = {2};
    pp_err_t e = sq_seal_bind(c, st, ls->account_sid, ls->account_sid, &v, params, 1, &buf);
    if (e) return e;
    sq_bind_text(st, 1, ls->account_sid);
    sqlite3_bind_int64(st, 3, ls->date_updated);
    return sq_step_write(c, st, buf, true, NULL);
  }
  pp_lockbox_write_t *lw = &w->u.lockbox;
  pp_err_t e = lw->request ? write_request(c, lw->request, lw->insert, lw->if_status) : PP_OK;
  return e ? e : notice(c, lw);
}

/* A request's row (LB_COLS), its reason opened. */
static pp_err_t row_request(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_lockbox_request_t *q = row;
  sq_read_cols(st, lb_cols, SQ_NCOLS(lb_cols), q);
  const sq_open_col_t col = {PP_SEALED_LOCKBOX_REQUESTS_REASON, 4, NULL, 0, a, &q->reason};
  return sq_open_row(b->crypt, st, q->account_sid, q->sid, &col, 1);
}

pp_err_t sq_lockbox_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_lockbox_request_t *out) {
  return sq_get_one_open(p, S_LB_GET, account_sid, sid, row_request, a, sizeof *out, out);
}

static void bind_filter(sqlite3_stmt *st, const void *arg) {
  const pp_lockbox_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":status", f->status);
  sq_bind_named_text(st, ":staff", f->staff);
}

pp_err_t sq_lockbox_list(void *p, pp_arena_t *a, const pp_lockbox_filter_t *f,
                         pp_lockbox_request_t **rows, size_t *n, bool *more) {
  sqlb_t q;
  sq_sqlb_start(&q, "SELECT " LB_COLS " FROM lockbox_requests WHERE 1");
  if (f->account_sid) sq_sqlb_add(&q, " AND account_sid = :account");
  if (f->status) sq_sqlb_add(&q, " AND status = :status");
  if (f->staff) sq_sqlb_add(&q, " AND staff = :staff");
  sq_page_clause(&q, &f->page);
  return sq_run_list_open(p, a, q.sql, bind_filter, f, &f->page, sizeof(pp_lockbox_request_t),
                          row_request, (void **)rows, n, more);
}

/* The settings row (S_LB_URL: webhook_url, date_updated, account_sid). */
static pp_err_t row_settings(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_lockbox_settings_t *ls = row;
  ls->date_updated = sqlite3_column_int64(st, 1);
  sq_col_copy(ls->account_sid, sizeof ls->account_sid, st, 2);
  const sq_open_col_t col = {
      PP_SEALED_LOCKBOX_SETTINGS_WEBHOOK_URL, 0, NULL, 0, a, &ls->webhook_url};
  return sq_open_row(b->crypt, st, ls->account_sid, ls->account_sid, &col, 1);
}

pp_err_t sq_lockbox_settings(void *p, pp_arena_t *a, const char *account_sid,
                             pp_lockbox_settings_t *out) {
  pp_err_t e = sq_get_one_open(p, S_LB_URL, account_sid, NULL, row_settings, a, sizeof *out, out);
  if (e == PP_ERR_NOT_FOUND) { /* no settings yet: no webhook */
    *out = (pp_lockbox_settings_t){.webhook_url = NULL};
    snprintf(out->account_sid, sizeof out->account_sid, "%s", account_sid);
    e = PP_OK;
  }
  return e;
}

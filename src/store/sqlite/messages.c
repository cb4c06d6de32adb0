/* messages.c: reads of messages, inbound parts, webhooks and alerts. */

#include <string.h>

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

/* A message's plain columns of fixed size (MSG_COLS). */
#define MSG(kind, f, i) SQ_COL(kind, pp_message_t, f, i)
static const sq_col_t message_cols[] = {
    MSG(SQ_I64, seq, 0),           MSG(SQ_TEXT, sid, 1),
    MSG(SQ_TEXT, account_sid, 2),  MSG(SQ_TEXT, messaging_service_sid, 3),
    MSG(SQ_INT, num_media, 12),    MSG(SQ_INT, num_segments, 13),
    MSG(SQ_INT, error_code, 14),   MSG(SQ_INT, validity_period, 15),
    MSG(SQ_I64, date_created, 16), MSG(SQ_I64, date_updated, 17),
    MSG(SQ_I64, date_sent, 18),    MSG(SQ_I64, send_at, 19)};
#undef MSG

/* A message's row (MSG_COLS), its five sealed columns opened. */
static pp_err_t row_message(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_message_t *m = row;
  sq_read_cols(st, message_cols, SQ_NCOLS(message_cols), m);
  m->error_message = sq_col_dup(a, st, 9);
  m->direction = sq_col_dup(a, st, 10);
  m->status = sq_col_dup(a, st, 11);
  const sq_open_col_t cols[] = {
      {PP_SEALED_MESSAGES_TO_ADDR, 4, NULL, 0, a, &m->to},
      {PP_SEALED_MESSAGES_FROM_ADDR, 5, NULL, 0, a, &m->from},
      {PP_SEALED_MESSAGES_BODY, 6, NULL, 0, a, &m->body},
      {PP_SEALED_MESSAGES_MEDIA_URLS, 7, NULL, 0, a, &m->media_urls},
      {PP_SEALED_MESSAGES_STATUS_CALLBACK, 8, NULL, 0, a, &m->status_callback}};
  pp_err_t e = sq_open_row(b->crypt, st, m->account_sid, m->sid, cols, 5);
  if (!e && !(m->to && m->from && m->body && m->media_urls && m->direction && m->status))
    e = PP_ERR_NOMEM;
  return e;
}

pp_err_t sq_message_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_message_t *out) {
  return sq_get_one_open(p, S_MSG_GET, account_sid, sid, row_message, a, sizeof *out, out);
}

pp_err_t sq_message_count(void *p, int64_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_MSG_COUNT];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else
    e = sq_db_err(c->db, "count");
  sqlite3_reset(st);
  sq_release(b, c);
  return e;
}

/* Every column of a counts row (S_COUNT_*), into an int64_t array with a
 * place for each (sq_counts checks). */
static void fill_counts(sqlite3_stmt *st, void *out) {
  int64_t *v = out;
  for (int i = 0; i < sqlite3_column_count(st); i++) v[i] = sqlite3_column_int64(st, i);
}

pp_err_t sq_counts(void *p, int what, const char *account_sid, int64_t *out, size_t n) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[what == 0 ? S_COUNT_ACCOUNT : S_COUNT_QUEUES];
  if ((size_t)sqlite3_column_count(st) != n) {
    sq_release(b, c);
    return PP_ERR_INTERNAL;
  }
  if (account_sid) sq_bind_text(st, 1, account_sid);
  return sq_first_row(b, c, st, fill_counts, out);
}

/* A message list's filter, the blind indexes of its To and From computed
 * before the query. */
/* The index `id` of the address `v`, when there is one, into `out`. */
static pp_err_t filter_index(be_t *b, pp_index_id_t id, const char *v,
                             unsigned char out[PP_BLIND_INDEX_LEN]) {
  pp_seal_kind_t kind;
  return v ? pp_seal_index(b->crypt, NULL, id, PP_SEAL_TEXT, v, strlen(v), NULL, out, &kind)
           : PP_OK;
}

pp_err_t sq_message_list(void *p, pp_arena_t *a, const pp_message_filter_t *f, pp_message_t **rows,
                         size_t *n, bool *more) {
  unsigned char to[PP_BLIND_INDEX_LEN], from[PP_BLIND_INDEX_LEN];
  pp_err_t e = filter_index(p, PP_INDEX_MESSAGES_TO_BIDX, f->to, to);
  if (!e) e = filter_index(p, PP_INDEX_MESSAGES_FROM_BIDX, f->from, from);
  if (e) return e;
  const sq_cond_t conds[] = {
      {true, "account_sid = :account", ":account", SQ_BY_TEXT, f->account_sid},
      {f->to, "to_bidx = :to", ":to", SQ_BY_INDEX, to},
      {f->from, "from_bidx = :from", ":from", SQ_BY_INDEX, from},
      {f->has_sent_from, "date_sent >= :sent_from AND date_sent > 0", ":sent_from", SQ_BY_INT,
       &f->sent_from},
      {f->has_sent_until, "date_sent < :sent_until AND date_sent > 0", ":sent_until", SQ_BY_INT,
       &f->sent_until}};
  return sq_list_where(p, a, "SELECT " MSG_COLS " FROM messages", conds, SQ_NCOLS(conds), &f->page,
                       sizeof **rows, row_message, (void **)rows, n, more);
}

pp_err_t sq_parts_awaiting(void *p, pp_arena_t *a, int64_t after_id, size_t limit,
                           pp_part_awaiting_t **rows, size_t *n) {
  be_t *b = p;
  *n = 0;
  *rows = pp_arena_alloc(a, (limit ? limit : 1) * sizeof **rows);
  if (!*rows) return PP_ERR_NOMEM;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_PARTS_AWAITING];
  sqlite3_bind_int64(st, 1, after_id);
  sqlite3_bind_int64(st, 2, (int64_t)limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
    pp_part_awaiting_t *r = &(*rows)[*n];
    r->id = sqlite3_column_int64(st, 0);
    r->carrier = sq_col_dup(a, st, 1);
    r->smsc_id = sq_col_dup(a, st, 2);
    const sq_open_col_t from = {PP_SEALED_MESSAGES_FROM_ADDR, 3, NULL, 0, a, &r->from};
    pp_err_t oe = sq_open_row(c->crypt_of, st, (const char *)sqlite3_column_text(st, 4),
                              (const char *)sqlite3_column_text(st, 5), &from, 1);
    if (!oe && (!r->carrier || !r->smsc_id || !r->from)) oe = PP_ERR_NOMEM;
    if (oe) {
      e = oe;
      break;
    }
    (*n)++;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = sq_db_err(c->db, "parts awaiting");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

pp_err_t sq_hook_next_due(void *p, int64_t *out_ms) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_HOOK_DUE];
  sqlite3_bind_int64(st, 1, pp_clock_now_us() / 1000);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW)
    *out_ms = sqlite3_column_int64(st, 0);
  else
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : sq_db_err(c->db, "webhook due");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

/* An alert's plain columns of fixed size (ALERT_COLS). */
#define AL(kind, f, i) SQ_COL(kind, pp_alert_t, f, i)
static const sq_col_t alert_cols[] = {AL(SQ_I64, seq, 0),          AL(SQ_TEXT, sid, 1),
                                      AL(SQ_TEXT, account_sid, 2), AL(SQ_INT, error_code, 3),
                                      AL(SQ_TEXT, log_level, 4),   AL(SQ_I64, date_created, 13)};
#undef AL

/* An alert's row (ALERT_COLS), its four sealed columns opened. */
static pp_err_t row_alert(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_alert_t *al = row;
  sq_read_cols(st, alert_cols, SQ_NCOLS(alert_cols), al);
  const struct {
    int col;
    const char **out;
  } clear[] = {{6, &al->request_method},
               {10, &al->response_headers},
               {11, &al->resource_sid},
               {12, &al->service_sid}};
  for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++) {
    *clear[i].out = sq_col_dup(a, st, clear[i].col);
    if (!*clear[i].out && sqlite3_column_type(st, clear[i].col) != SQLITE_NULL) return PP_ERR_NOMEM;
  }
  const sq_open_col_t cols[] = {
      {PP_SEALED_ALERTS_ALERT_TEXT, 5, NULL, 0, a, &al->alert_text},
      {PP_SEALED_ALERTS_REQUEST_URL, 7, NULL, 0, a, &al->request_url},
      {PP_SEALED_ALERTS_REQUEST_VARIABLES, 8, NULL, 0, a, &al->request_variables},
      {PP_SEALED_ALERTS_RESPONSE_BODY, 9, NULL, 0, a, &al->response_body}};
  return sq_open_row(b->crypt, st, al->account_sid, al->sid, cols, 4);
}

pp_err_t sq_alert_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                      pp_alert_t *out) {
  return sq_get_one_open(p, S_ALERT_GET, account_sid, sid, row_alert, a, sizeof *out, out);
}

pp_err_t sq_alert_list(void *p, pp_arena_t *a, const pp_alert_filter_t *f, pp_alert_t **rows,
                       size_t *n, bool *more) {
  const sq_cond_t conds[] = {
      {true, "account_sid = :account", ":account", SQ_BY_TEXT, f->account_sid},
      {f->log_level, "log_level = :level", ":level", SQ_BY_TEXT, f->log_level},
      {f->has_from, "date_created >= :from", ":from", SQ_BY_INT, &f->from},
      {f->has_until, "date_created < :until", ":until", SQ_BY_INT, &f->until}};
  return sq_list_where(p, a, "SELECT " ALERT_COLS " FROM alerts", conds, SQ_NCOLS(conds), &f->page,
                       sizeof **rows, row_alert, (void **)rows, n, more);
}

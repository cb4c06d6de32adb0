/* messages.c: reads of messages, inbound parts, webhooks and alerts. */

#include <string.h>

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

/* A message's row (MSG_COLS), its five sealed columns opened. */
static pp_err_t row_message(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_message_t *m = row;
  m->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(m->sid, sizeof m->sid, st, 1);
  sq_col_copy(m->account_sid, sizeof m->account_sid, st, 2);
  sq_col_copy(m->messaging_service_sid, sizeof m->messaging_service_sid, st, 3);
  m->error_message = sq_col_dup(a, st, 9);
  m->direction = sq_col_dup(a, st, 10);
  m->status = sq_col_dup(a, st, 11);
  m->num_media = sqlite3_column_int(st, 12);
  m->num_segments = sqlite3_column_int(st, 13);
  m->error_code = sqlite3_column_int(st, 14);
  m->validity_period = sqlite3_column_int(st, 15);
  m->date_created = sqlite3_column_int64(st, 16);
  m->date_updated = sqlite3_column_int64(st, 17);
  m->date_sent = sqlite3_column_int64(st, 18);
  m->send_at = sqlite3_column_int64(st, 19);
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
  pp_message_t m;
  pp_err_t e = sq_get_one_open(p, S_MSG_GET, account_sid, sid, row_message, a, &m);
  if (!e) *out = m;
  return e;
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

/* A message list's filter, the blind indexes of its To and From computed
 * before the query. */
typedef struct {
  const pp_message_filter_t *f;
  unsigned char to[PP_BLIND_INDEX_LEN], from[PP_BLIND_INDEX_LEN];
} msg_filter_t;

static void bind_message_filter(sqlite3_stmt *st, const void *arg) {
  const msg_filter_t *mf = arg;
  const pp_message_filter_t *f = mf->f;
  sq_bind_named_text(st, ":account", f->account_sid);
  int i = sqlite3_bind_parameter_index(st, ":to");
  if (i > 0) sqlite3_bind_blob(st, i, mf->to, sizeof mf->to, SQLITE_STATIC);
  if ((i = sqlite3_bind_parameter_index(st, ":from")) > 0)
    sqlite3_bind_blob(st, i, mf->from, sizeof mf->from, SQLITE_STATIC);
  sq_bind_named_int(st, ":sent_from", f->sent_from);
  sq_bind_named_int(st, ":sent_until", f->sent_until);
}

/* Index `id` of the address `v` into `out` and the clause `sql` added. */
static pp_err_t filter_index(be_t *b, sqlb_t *q, pp_index_id_t id, const char *v,
                             unsigned char out[PP_BLIND_INDEX_LEN], const char *sql) {
  pp_seal_kind_t kind;
  pp_err_t e = pp_seal_index(b->crypt, NULL, id, PP_SEAL_TEXT, v, strlen(v), NULL, out, &kind);
  if (!e) sq_sqlb_add(q, sql);
  return e;
}

pp_err_t sq_message_list(void *p, pp_arena_t *a, const pp_message_filter_t *f, pp_message_t **rows,
                         size_t *n, bool *more) {
  msg_filter_t mf = {.f = f};
  sqlb_t q;
  pp_err_t e = PP_OK;
  sq_sqlb_start(&q, "SELECT " MSG_COLS " FROM messages WHERE account_sid = :account");
  if (f->to) e = filter_index(p, &q, PP_INDEX_MESSAGES_TO_BIDX, f->to, mf.to, " AND to_bidx = :to");
  if (!e && f->from)
    e = filter_index(p, &q, PP_INDEX_MESSAGES_FROM_BIDX, f->from, mf.from,
                     " AND from_bidx = :from");
  if (e) return e;
  if (f->has_sent_from) sq_sqlb_add(&q, " AND date_sent >= :sent_from AND date_sent > 0");
  if (f->has_sent_until) sq_sqlb_add(&q, " AND date_sent < :sent_until AND date_sent > 0");
  sq_page_clause(&q, &f->page);
  return sq_run_list_open(p, a, q.sql, bind_message_filter, &mf, &f->page, sizeof(pp_message_t),
                          row_message, (void **)rows, n, more);
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

/* An alert's row (ALERT_COLS), its four sealed columns opened. */
static pp_err_t row_alert(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_alert_t *al = row;
  al->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(al->sid, sizeof al->sid, st, 1);
  sq_col_copy(al->account_sid, sizeof al->account_sid, st, 2);
  al->error_code = sqlite3_column_int(st, 3);
  sq_col_copy(al->log_level, sizeof al->log_level, st, 4);
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
  al->date_created = sqlite3_column_int64(st, 13);
  const sq_open_col_t cols[] = {
      {PP_SEALED_ALERTS_ALERT_TEXT, 5, NULL, 0, a, &al->alert_text},
      {PP_SEALED_ALERTS_REQUEST_URL, 7, NULL, 0, a, &al->request_url},
      {PP_SEALED_ALERTS_REQUEST_VARIABLES, 8, NULL, 0, a, &al->request_variables},
      {PP_SEALED_ALERTS_RESPONSE_BODY, 9, NULL, 0, a, &al->response_body}};
  return sq_open_row(b->crypt, st, al->account_sid, al->sid, cols, 4);
}

pp_err_t sq_alert_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                      pp_alert_t *out) {
  pp_alert_t al;
  pp_err_t e = sq_get_one_open(p, S_ALERT_GET, account_sid, sid, row_alert, a, &al);
  if (!e) *out = al;
  return e;
}

static void bind_alert_filter(sqlite3_stmt *st, const void *arg) {
  const pp_alert_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":level", f->log_level);
  sq_bind_named_int(st, ":from", f->from);
  sq_bind_named_int(st, ":until", f->until);
}

pp_err_t sq_alert_list(void *p, pp_arena_t *a, const pp_alert_filter_t *f, pp_alert_t **rows,
                       size_t *n, bool *more) {
  sqlb_t q;
  sq_sqlb_start(&q, "SELECT " ALERT_COLS " FROM alerts WHERE account_sid = :account");
  if (f->log_level) sq_sqlb_add(&q, " AND log_level = :level");
  if (f->has_from) sq_sqlb_add(&q, " AND date_created >= :from");
  if (f->has_until) sq_sqlb_add(&q, " AND date_created < :until");
  sq_page_clause(&q, &f->page);
  return sq_run_list_open(p, a, q.sql, bind_alert_filter, f, &f->page, sizeof(pp_alert_t),
                          row_alert, (void **)rows, n, more);
}

/* messages.c: reads of messages, inbound parts, webhooks and alerts. */

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

static bool row_message(pp_arena_t *a, sqlite3_stmt *st, pp_message_t *m) {
  m->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(m->sid, sizeof m->sid, st, 1);
  sq_col_copy(m->account_sid, sizeof m->account_sid, st, 2);
  sq_col_copy(m->messaging_service_sid, sizeof m->messaging_service_sid, st, 3);
  m->to = sq_col_dup(a, st, 4);
  m->from = sq_col_dup(a, st, 5);
  m->body = sq_col_dup(a, st, 6);
  m->media_urls = sq_col_dup(a, st, 7);
  m->status_callback = sq_col_dup(a, st, 8);
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
  return m->to && m->from && m->body && m->media_urls && m->direction && m->status;
}

static bool fill_message_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  return row_message(a, st, row);
}

/* A row read by sq_get_one with a filler that allocates from an arena. */
typedef struct {
  pp_arena_t *a;
  row_fill_fn fill;
  void *row;
  bool ok;
} arena_fill_t;

static void fill_arena(sqlite3_stmt *st, void *out) {
  arena_fill_t *f = out;
  f->ok = f->fill(f->a, st, f->row);
}

/* The row of statement `which` keyed by account and sid into `row` with
 * `fill`; PP_ERR_NOT_FOUND when none, PP_ERR_NOMEM when `a` ran out. */
static pp_err_t get_row(void *p, pp_arena_t *a, int which, const char *account_sid, const char *sid,
                        row_fill_fn fill, void *row) {
  arena_fill_t f = {a, fill, row, false};
  pp_err_t e = sq_get_one(p, which, account_sid, sid, fill_arena, &f);
  return !e && !f.ok ? PP_ERR_NOMEM : e;
}

pp_err_t sq_message_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_message_t *out) {
  pp_message_t m;
  pp_err_t e = get_row(p, a, S_MSG_GET, account_sid, sid, fill_message_row, &m);
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

static void bind_message_filter(sqlite3_stmt *st, const void *arg) {
  const pp_message_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":to", f->to);
  sq_bind_named_text(st, ":from", f->from);
  sq_bind_named_int(st, ":sent_from", f->sent_from);
  sq_bind_named_int(st, ":sent_until", f->sent_until);
}

pp_err_t sq_message_list(void *p, pp_arena_t *a, const pp_message_filter_t *f, pp_message_t **rows,
                         size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT " MSG_COLS " FROM messages WHERE account_sid = :account");
  if (f->to) sq_sqlb_add(&q, " AND to_bidx = pp_bidx(:to)");
  if (f->from) sq_sqlb_add(&q, " AND from_bidx = pp_bidx(:from)");
  if (f->has_sent_from) sq_sqlb_add(&q, " AND date_sent >= :sent_from AND date_sent > 0");
  if (f->has_sent_until) sq_sqlb_add(&q, " AND date_sent < :sent_until AND date_sent > 0");
  sq_page_clause(&q, &f->page);
  return sq_run_list(p, a, q.sql, bind_message_filter, f, &f->page, sizeof(pp_message_t),
                     fill_message_row, (void **)rows, n, more);
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
    pp_err_t oe = sq_col_open_id(c, a, st, 3, PP_SEALED_MESSAGES_FROM_ADDR,
                                 (const char *)sqlite3_column_text(st, 4),
                                 (const char *)sqlite3_column_text(st, 5), &r->from);
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

static bool row_alert(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_alert_t *al = row;
  al->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(al->sid, sizeof al->sid, st, 1);
  sq_col_copy(al->account_sid, sizeof al->account_sid, st, 2);
  al->error_code = sqlite3_column_int(st, 3);
  sq_col_copy(al->log_level, sizeof al->log_level, st, 4);
  const char **text[] = {&al->alert_text,        &al->request_method, &al->request_url,
                         &al->request_variables, &al->response_body,  &al->response_headers,
                         &al->resource_sid,      &al->service_sid};
  for (int i = 0; i < 8; i++) {
    *text[i] = sq_col_dup(a, st, 5 + i);
    if (!*text[i] && sqlite3_column_type(st, 5 + i) != SQLITE_NULL) return false;
  }
  al->date_created = sqlite3_column_int64(st, 13);
  return true;
}

pp_err_t sq_alert_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                      pp_alert_t *out) {
  pp_alert_t al;
  pp_err_t e = get_row(p, a, S_ALERT_GET, account_sid, sid, row_alert, &al);
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
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT " ALERT_COLS " FROM alerts WHERE account_sid = :account");
  if (f->log_level) sq_sqlb_add(&q, " AND log_level = :level");
  if (f->has_from) sq_sqlb_add(&q, " AND date_created >= :from");
  if (f->has_until) sq_sqlb_add(&q, " AND date_created < :until");
  sq_page_clause(&q, &f->page);
  return sq_run_list(p, a, q.sql, bind_alert_filter, f, &f->page, sizeof(pp_alert_t), row_alert,
                     (void **)rows, n, more);
}

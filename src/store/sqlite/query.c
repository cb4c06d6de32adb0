/* query.c: helpers every table file of the SQLite backend shares: binding,
 * columns, results of writes, one-row and list reads. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

void sq_bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

const char *sq_col_dup(pp_arena_t *a, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
  const char *s = (const char *)sqlite3_column_text(st, i);
  int n = sqlite3_column_bytes(st, i);
  return pp_arena_strndup(a, s ? s : "", (size_t)n);
}

void sq_col_copy(char *dst, size_t size, sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  snprintf(dst, size, "%s", s ? s : "");
}

int sq_step_done(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

pp_err_t sq_result_of(sqlite3 *db, int rc, int changes_expected) {
  if (rc == SQLITE_DONE) {
    if (changes_expected && sqlite3_changes(db) == 0) return PP_ERR_NOT_FOUND;
    return PP_OK;
  }
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return PP_ERR_CONFLICT;
  return sq_db_err(db, "write");
}

void sq_sqlb_add(sqlb_t *q, const char *s) {
  size_t n = strlen(s);
  if (q->len + n < sizeof q->sql) {
    memcpy(q->sql + q->len, s, n + 1);
    q->len += n;
  }
}

void sq_sqlb_start(sqlb_t *q, const char *s) {
  q->len = 0;
  q->sql[0] = '\0';
  sq_sqlb_add(q, s);
}

void sq_page_clause(sqlb_t *q, const pp_page_req_t *pg) {
  if (pg->after_seq > 0)
    sq_sqlb_add(q, " AND seq > :after ORDER BY seq ASC LIMIT :limit");
  else if (pg->before_seq > 0)
    sq_sqlb_add(q, " AND seq < :before ORDER BY seq DESC LIMIT :limit");
  else
    sq_sqlb_add(q, " ORDER BY seq DESC LIMIT :limit");
}

void sq_bind_named_text(sqlite3_stmt *st, const char *name, const char *v) {
  int i = sqlite3_bind_parameter_index(st, name);
  if (i > 0) sq_bind_text(st, i, v);
}

void sq_bind_named_int(sqlite3_stmt *st, const char *name, int64_t v) {
  int i = sqlite3_bind_parameter_index(st, name);
  if (i > 0) sqlite3_bind_int64(st, i, v);
}

static void bind_page(sqlite3_stmt *st, const pp_page_req_t *pg) {
  sq_bind_named_int(st, ":after", pg->after_seq);
  sq_bind_named_int(st, ":before", pg->before_seq);
  sq_bind_named_int(st, ":limit", (int64_t)pg->limit + 1);
}

/* Runs `sql` (prepared on a pooled connection, cached by SQLite's own
 * statement cache would be nicer; lists are not the hot path) and collects
 * rows of `size` bytes with `read`; a row it answers PP_ERR_NOT_FOUND for is
 * skipped.  Rows come back newest first. */
pp_err_t sq_run_list_read(be_t *b, pp_arena_t *a, const char *sql,
                          void (*binder)(sqlite3_stmt *, const void *), const void *arg,
                          const pp_page_req_t *pg, size_t size, row_read_fn read, const void *ctx,
                          void **rows_out, size_t *n_out, bool *more_out) {
  size_t limit = pg->limit < 1 ? 1 : pg->limit > 1000 ? 1000 : pg->limit;
  unsigned char *rows = pp_arena_alloc(a, size * (limit + 1));
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = NULL;
  pp_err_t e = PP_OK;
  size_t n = 0;
  if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
    e = sq_db_err(c->db, "prepare list");
  } else {
    binder(st, arg);
    bind_page(st, pg);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit + 1) {
      if ((e = read(c, a, st, ctx, rows + n * size)) == PP_ERR_NOT_FOUND) {
        e = PP_OK; /* the reader skips the row */
        continue;
      }
      if (e) break;
      n++;
    }
    if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE) e = sq_db_err(c->db, "list");
  }
  sqlite3_finalize(st);
  sq_release(b, c);
  if (e) return e;
  bool more = n > limit;
  if (more) n = limit;
  if (pg->after_seq > 0) { /* fetched ascending: turn newest first */
    unsigned char *tmp = pp_arena_alloc(a, size);
    if (!tmp) return PP_ERR_NOMEM;
    for (size_t i = 0; i < n / 2; i++) {
      memcpy(tmp, rows + i * size, size);
      memcpy(rows + i * size, rows + (n - 1 - i) * size, size);
      memcpy(rows + (n - 1 - i) * size, tmp, size);
    }
  }
  *rows_out = rows;
  *n_out = n;
  *more_out = more;
  return PP_OK;
}

/* An opening filler of sq_run_list_open as a row reader. */
typedef struct {
  row_open_fn open;
  be_t *b;
  const void *arg;
} open_ctx_t;

static pp_err_t read_opened(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, const void *ctx,
                            void *row) {
  (void)c;
  const open_ctx_t *o = ctx;
  return o->open(o->b, o->arg, a, st, row);
}

pp_err_t sq_run_list_open(be_t *b, pp_arena_t *a, const char *sql,
                          void (*binder)(sqlite3_stmt *, const void *), const void *arg,
                          const pp_page_req_t *pg, size_t size, row_open_fn open, void **rows_out,
                          size_t *n_out, bool *more_out) {
  open_ctx_t o = {open, b, arg};
  return sq_run_list_read(b, a, sql, binder, arg, pg, size, read_opened, &o, rows_out, n_out,
                          more_out);
}

/* The conditions of sq_list_where that apply, as its binder's argument. */
typedef struct {
  const sq_cond_t *conds;
  size_t n;
} where_t;

static void bind_where(sqlite3_stmt *st, const void *arg) {
  const where_t *w = arg;
  for (size_t i = 0; i < w->n; i++) {
    const sq_cond_t *k = &w->conds[i];
    int p = k->on ? sqlite3_bind_parameter_index(st, k->name) : 0;
    if (p <= 0) continue;
    if (k->by == SQ_BY_TEXT)
      sq_bind_text(st, p, k->v);
    else if (k->by == SQ_BY_INT)
      sqlite3_bind_int64(st, p, *(const int64_t *)k->v);
    else
      sqlite3_bind_blob(st, p, k->v, PP_BLIND_INDEX_LEN, SQLITE_STATIC);
  }
}

pp_err_t sq_list_where(be_t *b, pp_arena_t *a, const char *select, const sq_cond_t *conds,
                       size_t n_conds, const pp_page_req_t *pg, size_t size, row_open_fn open,
                       void **rows, size_t *n, bool *more) {
  where_t w = {conds, n_conds};
  sqlb_t q;
  sq_sqlb_start(&q, select);
  const char *join = " WHERE ";
  for (size_t i = 0; i < n_conds; i++) {
    if (!conds[i].on) continue;
    sq_sqlb_add(&q, join);
    sq_sqlb_add(&q, conds[i].sql);
    join = " AND ";
  }
  sq_page_clause(&q, pg);
  return sq_run_list_open(b, a, q.sql, bind_where, &w, pg, size, open, rows, n, more);
}

/* The keys of sq_list_in: the account and, when set, the parent row. */
typedef struct {
  const char *account_sid, *parent;
} in_filter_t;

static void bind_in_filter(sqlite3_stmt *st, const void *arg) {
  const in_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":parent", f->parent);
}

pp_err_t sq_list_in(be_t *b, pp_arena_t *a, const char *select, const char *parent_col,
                    const char *account_sid, const char *parent, const pp_page_req_t *pg,
                    size_t size, row_read_fn read, const void *ctx, void **rows, size_t *n,
                    bool *more) {
  in_filter_t f = {account_sid, parent};
  sqlb_t q;
  sq_sqlb_start(&q, select);
  sq_sqlb_add(&q, " WHERE account_sid = :account");
  if (parent_col) {
    sq_sqlb_add(&q, " AND ");
    sq_sqlb_add(&q, parent_col);
    sq_sqlb_add(&q, " = :parent");
  }
  sq_page_clause(&q, pg);
  return sq_run_list_read(b, a, q.sql, bind_in_filter, &f, pg, size, read, ctx, rows, n, more);
}

pp_err_t sq_list_in_open(be_t *b, pp_arena_t *a, const char *select, const char *parent_col,
                         const char *account_sid, const char *parent, const pp_page_req_t *pg,
                         size_t size, row_open_fn open, void **rows, size_t *n, bool *more) {
  open_ctx_t o = {open, b, NULL};
  return sq_list_in(b, a, select, parent_col, account_sid, parent, pg, size, read_opened, &o, rows,
                    n, more);
}

/* Reads a whole small table (or the rows of one key, ?1, when `key` is not
 * NULL) with a cached statement, growing the array. */
static pp_err_t read_all(be_t *b, int which, const char *key, pp_arena_t *a, size_t size,
                         void (*fill)(sqlite3_stmt *, void *), row_open_fn open, void **rows_out,
                         size_t *n_out) {
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[which];
  if (key) sq_bind_text(st, 1, key);
  size_t n = 0, cap = 16;
  unsigned char *rows = pp_arena_alloc(a, cap * size);
  pp_err_t e = rows ? PP_OK : PP_ERR_NOMEM;
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      unsigned char *more = pp_arena_alloc(a, 2 * cap * size);
      if (!more) {
        e = PP_ERR_NOMEM;
        break;
      }
      memcpy(more, rows, n * size);
      rows = more;
      cap *= 2;
    }
    if (!fill) {
      if ((e = open(b, NULL, a, st, rows + n * size))) break;
    } else {
      fill(st, rows + n * size);
    }
    n++;
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "read all");
  sqlite3_reset(st);
  if (key) sqlite3_clear_bindings(st);
  sq_release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

pp_err_t sq_read_all(be_t *b, int which, pp_arena_t *a, size_t size,
                     void (*fill)(sqlite3_stmt *, void *), void **rows_out, size_t *n_out) {
  return read_all(b, which, NULL, a, size, fill, NULL, rows_out, n_out);
}

pp_err_t sq_read_all_of(be_t *b, int which, const char *key, pp_arena_t *a, size_t size,
                        void (*fill)(sqlite3_stmt *, void *), void **rows_out, size_t *n_out) {
  return read_all(b, which, key, a, size, fill, NULL, rows_out, n_out);
}

pp_err_t sq_read_all_open(be_t *b, int which, pp_arena_t *a, size_t size, row_open_fn open,
                          void **rows_out, size_t *n_out) {
  return read_all(b, which, NULL, a, size, NULL, open, rows_out, n_out);
}

/* Steps a cached statement whose keys are already bound, for its first row. */
static pp_err_t first_row(be_t *b, conn_t *c, sqlite3_stmt *st,
                          void (*fill)(sqlite3_stmt *, void *), row_open_fn open, const void *arg,
                          pp_arena_t *a, void *out) {
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW && fill)
    fill(st, out);
  else if (rc == SQLITE_ROW)
    e = open(b, arg, a, st, out);
  else if (rc == SQLITE_DONE)
    e = PP_ERR_NOT_FOUND;
  else
    e = sq_db_err(c->db, "read");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

pp_err_t sq_first_row(be_t *b, conn_t *c, sqlite3_stmt *st, void (*fill)(sqlite3_stmt *, void *),
                      void *out) {
  return first_row(b, c, st, fill, NULL, NULL, NULL, out);
}

pp_err_t sq_first_row_open(be_t *b, conn_t *c, sqlite3_stmt *st, row_open_fn open, const void *arg,
                           pp_arena_t *a, void *out) {
  return first_row(b, c, st, NULL, open, arg, a, out);
}

/* The statement `which` keyed by k1 (and k2 unless NULL) on a pooled connection. */
static sqlite3_stmt *keyed(be_t *b, int which, const char *k1, const char *k2, conn_t **c) {
  *c = sq_acquire(b);
  sqlite3_stmt *st = (*c)->st[which];
  sq_bind_text(st, 1, k1);
  if (k2) sq_bind_text(st, 2, k2);
  return st;
}

_Static_assert(sizeof(pp_account_t) <= SQ_GET_MAX && sizeof(pp_key_t) <= SQ_GET_MAX &&
                   sizeof(pp_message_t) <= SQ_GET_MAX && sizeof(pp_alert_t) <= SQ_GET_MAX &&
                   sizeof(pp_service_t) <= SQ_GET_MAX && sizeof(pp_number_t) <= SQ_GET_MAX &&
                   sizeof(pp_staff_t) <= SQ_GET_MAX && sizeof(pp_lockbox_request_t) <= SQ_GET_MAX &&
                   sizeof(pp_lockbox_settings_t) <= SQ_GET_MAX && sizeof(pp_change_t) <= SQ_GET_MAX,
               "the rows sq_get_one reads fit its buffer");

/* The keyed first row read into a buffer of its own, copied to `out` only
 * when whole; the buffer is wiped, since a row may hold opened secrets. */
static pp_err_t get_one(be_t *b, int which, const char *k1, const char *k2,
                        void (*fill)(sqlite3_stmt *, void *), row_open_fn open, pp_arena_t *a,
                        size_t size, void *out) {
  _Alignas(max_align_t) unsigned char tmp[SQ_GET_MAX];
  if (size > sizeof tmp) return PP_ERR_INTERNAL;
  conn_t *c;
  sqlite3_stmt *st = keyed(b, which, k1, k2, &c);
  pp_err_t e = first_row(b, c, st, fill, open, NULL, a, tmp);
  if (!e) memcpy(out, tmp, size);
  sodium_memzero(tmp, size);
  return e;
}

pp_err_t sq_get_one(be_t *b, int which, const char *k1, const char *k2,
                    void (*fill)(sqlite3_stmt *, void *), size_t size, void *out) {
  return get_one(b, which, k1, k2, fill, NULL, NULL, size, out);
}

pp_err_t sq_get_one_open(be_t *b, int which, const char *k1, const char *k2, row_open_fn open,
                         pp_arena_t *a, size_t size, void *out) {
  return get_one(b, which, k1, k2, NULL, open, a, size, out);
}

void sq_fill_phone(sqlite3_stmt *st, void *out) {
  sq_col_copy(out, 20, st, 0);
}

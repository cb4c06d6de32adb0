/* audit.c: the audit log's rows in SQLite: the row primitives the
 * backend-neutral logic (store/audit_log_int.h) appends, checkpoints and
 * proves with, and the reads (entries, pages, scans, blast-radius
 * searches, checkpoints). */

#include <string.h>

#include "core/log.h"
#include "store/audit_log_int.h"
#include "store/sqlite/sqlite_int.h"

/* ---- audit log: the row primitives (store/audit_log_int.h) ---------------- */

/* A 32-byte hash from column i: false when the column holds anything else. */
static bool col_hash(sqlite3_stmt *st, int i, unsigned char out[PP_MERKLE_HASH_LEN]) {
  const void *h = sqlite3_column_blob(st, i);
  if (!h || sqlite3_column_bytes(st, i) != PP_MERKLE_HASH_LEN) return false;
  memcpy(out, h, PP_MERKLE_HASH_LEN);
  return true;
}

static pp_err_t rows_head_get(void *ctx, pp_audit_head_row_t *out) {
  conn_t *c = ctx;
  sqlite3_stmt *st = c->st[S_AUD_HEAD_GET];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) == SQLITE_ROW) {
    out->size = (uint64_t)sqlite3_column_int64(st, 0);
    if (!col_hash(st, 1, out->root)) memset(out->root, 0, PP_MERKLE_HASH_LEN);
    const void *blob = sqlite3_column_blob(st, 2);
    out->frontier_len = (size_t)sqlite3_column_bytes(st, 2);
    if (out->frontier_len <= sizeof out->frontier && out->frontier_len)
      memcpy(out->frontier, blob, out->frontier_len);
  } else {
    e = sq_db_err(c->db, "audit head");
  }
  sqlite3_reset(st);
  return e;
}

static pp_err_t rows_head_put(void *ctx, const pp_audit_head_row_t *h) {
  conn_t *c = ctx;
  sqlite3_stmt *st = c->st[S_AUD_HEAD_PUT];
  sqlite3_bind_int64(st, 1, (int64_t)h->size);
  sqlite3_bind_blob(st, 2, h->root, PP_MERKLE_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, h->frontier, (int)h->frontier_len, SQLITE_STATIC);
  return sq_result_of(c->db, sq_step_done(st), 1);
}

static pp_err_t rows_leaf_put(void *ctx, const pp_audit_entry_t *row) {
  conn_t *c = ctx;
  sqlite3_stmt *st = c->st[S_AUD_INS];
  sqlite3_bind_int64(st, 1, row->seq);
  sqlite3_bind_int64(st, 2, row->time_ms);
  const char *text[] = {row->event, row->principal,   row->session,
                        row->ip,    row->account_sid, row->outcome};
  for (int i = 0; i < 6; i++) sq_bind_text(st, 3 + i, text[i]);
  sqlite3_bind_blob(st, 9, row->leaf_hash, PP_MERKLE_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(st, 10, row->leaf, (int)row->leaf_len, SQLITE_STATIC);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 0);
  for (size_t i = 0; !e && i < row->nresources; i++) {
    st = c->st[S_AUD_RES_INS];
    sqlite3_bind_int64(st, 1, row->seq);
    sq_bind_text(st, 2, row->resources[i]);
    e = sq_result_of(c->db, sq_step_done(st), 0);
  }
  return e;
}

/* Reads a 32-byte hash with a cached one- or two-key statement. */
static pp_err_t read_hash(conn_t *c, int which, int64_t k1, int64_t k2, bool two,
                          unsigned char out[PP_MERKLE_HASH_LEN]) {
  sqlite3_stmt *st = c->st[which];
  sqlite3_bind_int64(st, 1, k1);
  if (two) sqlite3_bind_int64(st, 2, k2);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (rc == SQLITE_ROW) {
    e = PP_OK;
    if (!col_hash(st, 0, out)) { /* not a hash: the row was tampered with */
      pp_log_error("integrity", "a hash of the audit log (%lld, %lld) is damaged", (long long)k1,
                   (long long)k2);
      e = PP_ERR_CORRUPT;
    }
  } else if (rc != SQLITE_DONE) {
    e = sq_db_err(c->db, "audit hash");
  }
  sqlite3_reset(st);
  return e;
}

static pp_err_t rows_leaf_hash_get(void *ctx, uint64_t index,
                                   unsigned char out[PP_MERKLE_HASH_LEN]) {
  return read_hash(ctx, S_AUD_LEAF_HASH, (int64_t)index, 0, false, out);
}

static pp_err_t rows_node_put(void *ctx, unsigned level, uint64_t index,
                              const unsigned char hash[PP_MERKLE_HASH_LEN]) {
  conn_t *c = ctx;
  sqlite3_stmt *st = c->st[S_AUD_NODE_INS];
  sqlite3_bind_int(st, 1, (int)level);
  sqlite3_bind_int64(st, 2, (int64_t)index);
  sqlite3_bind_blob(st, 3, hash, PP_MERKLE_HASH_LEN, SQLITE_STATIC);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

static pp_err_t rows_node_get(void *ctx, unsigned level, uint64_t index,
                              unsigned char out[PP_MERKLE_HASH_LEN]) {
  return read_hash(ctx, S_AUD_NODE_GET, level, (int64_t)index, true, out);
}

static void row_checkpoint(sqlite3_stmt *st, pp_audit_checkpoint_t *cp) {
  memset(cp, 0, sizeof *cp);
  cp->seq = sqlite3_column_int64(st, 0);
  cp->tree_size = (uint64_t)sqlite3_column_int64(st, 1);
  col_hash(st, 2, cp->root);
  cp->time = sqlite3_column_int64(st, 3);
  sq_col_copy(cp->note, sizeof cp->note, st, 4);
}

static pp_err_t rows_checkpoint_last(void *ctx, pp_audit_checkpoint_t *out) {
  conn_t *c = ctx;
  sqlite3_stmt *st = c->st[S_AUD_CP_LAST];
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? PP_OK
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : sq_db_err(c->db, "last checkpoint");
  if (rc == SQLITE_ROW) row_checkpoint(st, out);
  sqlite3_reset(st);
  return e;
}

static pp_err_t rows_checkpoint_put(void *ctx, pp_audit_checkpoint_t *cp) {
  conn_t *c = ctx;
  sqlite3_stmt *st = c->st[S_AUD_CP_INS];
  sqlite3_bind_int64(st, 1, (int64_t)cp->tree_size);
  sqlite3_bind_blob(st, 2, cp->root, PP_MERKLE_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, cp->time);
  sq_bind_text(st, 4, cp->note);
  int rc = sq_step_done(st);
  if (rc == SQLITE_DONE) cp->seq = sqlite3_last_insert_rowid(c->db);
  return sq_result_of(c->db, rc, 0);
}

const pp_audit_rows_t sq_audit_rows = {
    .head_get = rows_head_get,
    .head_put = rows_head_put,
    .leaf_put = rows_leaf_put,
    .leaf_hash_get = rows_leaf_hash_get,
    .node_put = rows_node_put,
    .node_get = rows_node_get,
    .checkpoint_last = rows_checkpoint_last,
    .checkpoint_put = rows_checkpoint_put,
};

/* ---- audit log: reads ----------------------------------------------------- */

/* Text of a column, "" for NULL (a row tampered with must not look like an
 * allocation failure). */
static const char *col_text(pp_arena_t *a, sqlite3_stmt *st, int i) {
  const char *s = sq_col_dup(a, st, i);
  return s || sqlite3_column_type(st, i) != SQLITE_NULL ? s : "";
}

/* A row of AUD_COLS (or AUD_IDX_COLS: leaf and hash NULL). */
static bool row_audit(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_audit_entry_t *en = row;
  memset(en, 0, sizeof *en);
  en->seq = sqlite3_column_int64(st, 0);
  en->time_ms = sqlite3_column_int64(st, 1);
  const char **text[] = {&en->event, &en->principal,   &en->session,
                         &en->ip,    &en->account_sid, &en->outcome};
  for (int i = 0; i < 6; i++)
    if (!(*text[i] = col_text(a, st, 2 + i))) return false;
  en->leaf_hash_ok = col_hash(st, 8, en->leaf_hash);
  if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
    const void *leaf = sqlite3_column_blob(st, 9);
    size_t n = (size_t)sqlite3_column_bytes(st, 9);
    unsigned char *copy = pp_arena_alloc(a, n + 1);
    if (!copy) return false;
    if (n) memcpy(copy, leaf, n);
    copy[n] = '\0';
    en->leaf = copy;
    en->leaf_len = n;
  }
  return true;
}

/* Appends `sid` to an entry's resources (arena-grown, sorted by the query). */
static bool add_resource(pp_arena_t *a, pp_audit_entry_t *en, const char *sid) {
  size_t n = en->nresources;
  if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
    const char **more = pp_arena_alloc(a, (n ? 2 * n : 1) * sizeof *more);
    if (!more) return false;
    if (n) memcpy(more, en->resources, n * sizeof *more);
    en->resources = more;
  }
  char *copy = pp_arena_strdup(a, sid ? sid : "");
  if (!copy) return false;
  ((const char **)en->resources)[n] = copy;
  en->nresources = n + 1;
  return true;
}

/* Reads each entry's resources with one lookup per entry. */
static pp_err_t load_resources(conn_t *c, pp_arena_t *a, pp_audit_entry_t *rows, size_t n) {
  sqlite3_stmt *st = c->st[S_AUD_RES_GET];
  pp_err_t e = PP_OK;
  for (size_t i = 0; !e && i < n; i++) {
    sqlite3_bind_int64(st, 1, rows[i].seq);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      if (!add_resource(a, &rows[i], (const char *)sqlite3_column_text(st, 0))) {
        e = PP_ERR_NOMEM;
        break;
      }
    if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "audit resources");
    sqlite3_reset(st);
  }
  sqlite3_clear_bindings(st);
  return e;
}

/* A read transaction on a reader connection, so that what one call reads
 * (entries and their resources, a tree's hashes) agrees. */
static conn_t *read_begin(be_t *b) {
  conn_t *c = sq_acquire(b);
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  return c;
}

static void read_end(be_t *b, conn_t *c) {
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  sq_release(b, c);
}

/* Steps the bound statement `st` into (*rows)[*n...]: up to *cap entries,
 * or, with `grow`, every row (the array grown in the arena).  `what` names
 * the read in an error. */
static pp_err_t read_entries(conn_t *c, sqlite3_stmt *st, pp_arena_t *a, bool grow,
                             pp_audit_entry_t **rows, size_t *cap, size_t *n, const char *what) {
  int rc = SQLITE_DONE;
  pp_err_t e = PP_OK;
  while ((grow || *n < *cap) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    pp_audit_entry_t *r = grow ? pp_arena_grow(a, *rows, *n, cap, sizeof *r) : *rows;
    if (!r || !row_audit(a, st, &r[*n])) {
      e = PP_ERR_NOMEM;
      break;
    }
    *rows = r;
    (*n)++;
  }
  if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE) e = sq_db_err(c->db, what);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return e;
}

/* Starts a range read of up to `limit` rows of `size` bytes: room for
 * them in the arena (*rows), a reader connection (*c; in a read
 * transaction with `txn`) and statement `which` bound with the start and
 * the limit (*st). */
static pp_err_t range_begin(be_t *b, pp_arena_t *a, bool txn, int which, int64_t from, size_t limit,
                            size_t size, void **rows, conn_t **c, sqlite3_stmt **st) {
  if (limit == 0) return PP_ERR_INVALID_PARAM;
  if (!(*rows = pp_arena_alloc(a, limit * size))) return PP_ERR_NOMEM;
  *c = txn ? read_begin(b) : sq_acquire(b);
  *st = (*c)->st[which];
  sqlite3_bind_int64(*st, 1, from);
  sqlite3_bind_int64(*st, 2, (int64_t)limit);
  return PP_OK;
}

pp_err_t sq_audit_head(void *p, pp_audit_head_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  pp_audit_head_t h;
  pp_err_t e = pp_audit_log_head(&sq_audit_rows, c, &h);
  sq_release(b, c);
  if (!e) *out = h;
  return e;
}

pp_err_t sq_audit_get(void *p, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_AUD_GET];
  sqlite3_bind_int64(st, 1, seq);
  pp_audit_entry_t en;
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? (row_audit(a, st, &en) ? PP_OK : PP_ERR_NOMEM)
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : sq_db_err(c->db, "audit entry");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e) e = load_resources(c, a, &en, 1);
  sq_release(b, c);
  if (!e) *out = en;
  return e;
}

static pp_err_t open_audit(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)b, (void)arg;
  return row_audit(a, st, row) ? PP_OK : PP_ERR_NOMEM;
}

pp_err_t sq_audit_list(void *p, pp_arena_t *a, const pp_audit_filter_t *f, pp_audit_entry_t **rows,
                       size_t *n, bool *more) {
  const sq_cond_t conds[] = {
      {true, "account_sid = :account", ":account", SQ_BY_TEXT, f->account_sid},
      {f->event, "event = :event", ":event", SQ_BY_TEXT, f->event},
      {f->has_from, "time_ms >= :from", ":from", SQ_BY_INT, &f->from_ms},
      {f->has_until, "time_ms < :until", ":until", SQ_BY_INT, &f->until_ms}};
  pp_audit_entry_t *r;
  size_t cnt;
  bool m;
  pp_err_t e = sq_list_where(p, a, "SELECT " AUD_COLS " FROM audit_log", conds, SQ_NCOLS(conds),
                             &f->page, sizeof *r, open_audit, (void **)&r, &cnt, &m);
  if (e) return e;
  conn_t *c = sq_acquire(p);
  e = load_resources(c, a, r, cnt);
  sq_release(p, c);
  if (e) return e;
  *rows = r;
  *n = cnt;
  *more = m;
  return PP_OK;
}

pp_err_t sq_audit_scan(void *p, pp_arena_t *a, int64_t from_seq, size_t limit,
                       pp_audit_entry_t **rows_out, size_t *n_out) {
  be_t *b = p;
  pp_audit_entry_t *rows;
  conn_t *c;
  sqlite3_stmt *st;
  pp_err_t e =
      range_begin(b, a, true, S_AUD_SCAN, from_seq, limit, sizeof *rows, (void **)&rows, &c, &st);
  if (e) return e;
  size_t n = 0;
  int rc = SQLITE_DONE;
  e = read_entries(c, st, a, false, &rows, &limit, &n, "audit scan");
  if (!e && n) { /* the resources of the whole range, merged by seq */
    st = c->st[S_AUD_RES_RANGE];
    sqlite3_bind_int64(st, 1, rows[0].seq);
    sqlite3_bind_int64(st, 2, rows[n - 1].seq);
    size_t i = 0;
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      int64_t seq = sqlite3_column_int64(st, 0);
      while (i < n && rows[i].seq < seq) i++;
      if (i < n && rows[i].seq == seq &&
          !add_resource(a, &rows[i], (const char *)sqlite3_column_text(st, 1)))
        e = PP_ERR_NOMEM;
    }
    if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "audit scan resources");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  read_end(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

pp_err_t sq_audit_search(void *p, pp_arena_t *a, const pp_audit_query_t *q,
                         pp_audit_entry_t **rows_out, size_t *n_out) {
  be_t *b = p;
  int which = q->principal ? S_AUD_BY_PRINCIPAL : q->session ? S_AUD_BY_SESSION : S_AUD_BY_IP;
  const char *key = q->principal ? q->principal : q->session ? q->session : q->ip;
  size_t cap = 64, n = 0;
  pp_audit_entry_t *rows = pp_arena_alloc(a, cap * sizeof *rows);
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = read_begin(b);
  sqlite3_stmt *st = c->st[which];
  sq_bind_text(st, 1, key);
  sqlite3_bind_int64(st, 2, q->since_ms);
  sqlite3_bind_int64(st, 3, q->until_ms);
  sqlite3_bind_int64(st, 4, q->limit ? (int64_t)q->limit : -1);
  pp_err_t e = read_entries(c, st, a, true, &rows, &cap, &n, "audit search");
  if (!e) e = load_resources(c, a, rows, n);
  read_end(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

pp_err_t sq_audit_node(void *p, unsigned level, uint64_t index,
                       unsigned char out[PP_MERKLE_HASH_LEN]) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  pp_err_t e = rows_node_get(c, level, index, out);
  sq_release(b, c);
  return e;
}

/* Runs a tree computation over the committed leaves on one reader
 * connection, in one read transaction. */
static pp_err_t tree_op(be_t *b, bool proof, bool consistency, uint64_t m, uint64_t n,
                        unsigned char *root, pp_merkle_hash_t *out, size_t cap, size_t *count) {
  conn_t *c = read_begin(b);
  pp_err_t e = proof ? pp_audit_log_proof(&sq_audit_rows, c, consistency, m, n, out, cap, count)
                     : pp_audit_log_root(&sq_audit_rows, c, n, root);
  read_end(b, c);
  return e;
}

pp_err_t sq_audit_root(void *p, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]) {
  return tree_op(p, false, false, 0, size, out, NULL, 0, NULL);
}

pp_err_t sq_audit_proof(void *p, bool consistency, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                        size_t cap, size_t *count) {
  return tree_op(p, true, consistency, m, n, NULL, out, cap, count);
}

pp_err_t sq_audit_checkpoint_latest(void *p, pp_audit_checkpoint_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  pp_err_t e = rows_checkpoint_last(c, out);
  sq_release(b, c);
  return e;
}

pp_err_t sq_audit_checkpoint_list(void *p, pp_arena_t *a, int64_t after_seq, size_t limit,
                                  pp_audit_checkpoint_t **rows_out, size_t *n_out) {
  be_t *b = p;
  pp_audit_checkpoint_t *rows;
  conn_t *c;
  sqlite3_stmt *st;
  pp_err_t e = range_begin(b, a, false, S_AUD_CP_LIST, after_seq, limit, sizeof *rows,
                           (void **)&rows, &c, &st);
  if (e) return e;
  size_t n = 0;
  int rc = SQLITE_DONE;
  while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) row_checkpoint(st, &rows[n++]);
  e = n < limit && rc != SQLITE_DONE ? sq_db_err(c->db, "checkpoints") : PP_OK;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

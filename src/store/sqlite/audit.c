/* audit.c: the audit log in SQLite: the writer side (Merkle frontier,
 * append, checkpoints) and its reads and proofs. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

/* ---- audit log: the writer side ----------------------------------------- */

/* The frontier as stored in audit_head: the hash of each set bit of the
 * size, ascending.  Returns the length written into out (64 * 32 room). */
static size_t frontier_encode(const pp_merkle_frontier_t *f, unsigned char *out) {
  size_t n = 0;
  for (int i = 0; i < 64; i++)
    if ((f->size >> i) & 1) {
      memcpy(out + n, f->hashes[i], PP_MERKLE_HASH_LEN);
      n += PP_MERKLE_HASH_LEN;
    }
  return n;
}

static bool frontier_decode(pp_merkle_frontier_t *f, uint64_t size, const unsigned char *blob,
                            size_t len) {
  if (len != (size_t)__builtin_popcountll(size) * PP_MERKLE_HASH_LEN) return false;
  pp_merkle_frontier_init(f);
  size_t n = 0;
  for (int i = 0; i < 64; i++)
    if ((size >> i) & 1) {
      memcpy(f->hashes[i], blob + n, PP_MERKLE_HASH_LEN);
      n += PP_MERKLE_HASH_LEN;
    }
  f->size = size;
  return true;
}

/* Brings the in-memory frontier in line with audit_head, once per batch
 * (another process, such as pipit admin, may have appended). */
pp_err_t sq_aud_sync(be_t *b) {
  if (b->aud_synced) return PP_OK;
  conn_t *c = &b->writer;
  sqlite3_stmt *st = c->st[S_AUD_HEAD_GET];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) != SQLITE_ROW) {
    e = sq_db_err(c->db, "audit head");
  } else {
    uint64_t size = (uint64_t)sqlite3_column_int64(st, 0);
    const unsigned char *blob = sqlite3_column_blob(st, 2);
    size_t len = (size_t)sqlite3_column_bytes(st, 2);
    unsigned char mine[64 * PP_MERKLE_HASH_LEN];
    size_t mlen = frontier_encode(&b->aud, mine);
    bool same = size == b->aud.size && len == mlen && (!len || memcmp(blob, mine, len) == 0);
    if (!same && !frontier_decode(&b->aud, size, blob, len)) {
      pp_log_error("sqlite", "audit_head holds a malformed frontier (size %llu, %zu bytes)",
                   (unsigned long long)size, len);
      e = PP_ERR_STORE;
    }
  }
  sqlite3_reset(st);
  if (!e) {
    b->aud_begin = b->aud;
    b->aud_synced = true;
  }
  return e;
}

pp_err_t sq_aud_head_put(be_t *b) {
  conn_t *c = &b->writer;
  unsigned char blob[64 * PP_MERKLE_HASH_LEN], root[PP_MERKLE_HASH_LEN];
  size_t len = frontier_encode(&b->aud, blob);
  pp_merkle_frontier_root(&b->aud, root);
  sqlite3_stmt *st = c->st[S_AUD_HEAD_PUT];
  sqlite3_bind_int64(st, 1, (int64_t)b->aud.size);
  sqlite3_bind_blob(st, 2, root, sizeof root, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
  return sq_result_of(c->db, sq_step_done(st), 1);
}

static pp_err_t aud_insert_row(conn_t *c, const pp_audit_event_t *ev, const pp_buf_t *leaf,
                               const unsigned char hash[PP_MERKLE_HASH_LEN]) {
  sqlite3_stmt *st = c->st[S_AUD_INS];
  sqlite3_bind_int64(st, 1, ev->seq);
  sqlite3_bind_int64(st, 2, ev->time_ms);
  sq_bind_text(st, 3, pp_audit_kind_name(ev->kind));
  sq_bind_text(st, 4, ev->principal);
  sq_bind_text(st, 5, ev->session);
  sq_bind_text(st, 6, ev->ip);
  sq_bind_text(st, 7, ev->account_sid);
  sq_bind_text(st, 8, ev->outcome);
  sqlite3_bind_blob(st, 9, hash, PP_MERKLE_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(st, 10, leaf->data, (int)leaf->len, SQLITE_STATIC);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

/* Appends `ev` as the next leaf: the row, its resources, the subtree hashes
 * it completes (every PP_STORE_AUDIT_NODE_STRIDE-th level); the frontier
 * moves only when all of it is written. */
pp_err_t sq_aud_append(be_t *b, pp_audit_event_t *ev, pp_err_t result) {
  conn_t *c = &b->writer;
  pp_err_t e = sq_aud_sync(b);
  if (e) return e;
  if (ev->nresources > PP_AUDIT_MAX_RESOURCES || (ev->nresources && !ev->resources))
    return PP_ERR_INVALID_PARAM;
  if (!ev->outcome[0]) pp_audit_outcome(result, ev->outcome);
  if (!ev->time_ms) ev->time_ms = pp_clock_now_us() / 1000;
  ev->seq = (int64_t)b->aud.size;
  /* A leaf names each resource once. */
  const char **uniq = ev->nresources ? malloc(ev->nresources * sizeof *uniq) : NULL;
  if (ev->nresources && !uniq) return PP_ERR_NOMEM;
  size_t nu = 0;
  for (size_t i = 0; i < ev->nresources; i++) {
    const char *r = ev->resources[i];
    bool seen = !r;
    for (size_t j = 0; j < nu && !seen; j++) seen = strcmp(uniq[j], r) == 0;
    if (!seen) uniq[nu++] = r;
  }
  pp_audit_event_t leaf_ev = *ev;
  leaf_ev.resources = uniq;
  leaf_ev.nresources = nu;
  pp_buf_t leaf;
  pp_buf_init(&leaf, 0);
  e = pp_audit_leaf_encode(&leaf_ev, &leaf);
  unsigned char hash[PP_MERKLE_HASH_LEN];
  pp_merkle_frontier_t f = b->aud;
  pp_merkle_hash_t nodes[64];
  unsigned nn = 0;
  if (!e) {
    pp_merkle_leaf_hash(leaf.data, leaf.len, hash);
    e = pp_merkle_frontier_push(&f, hash, nodes, &nn);
  }
  if (!e) e = aud_insert_row(c, ev, &leaf, hash);
  for (size_t i = 0; !e && i < nu; i++) {
    sqlite3_stmt *st = c->st[S_AUD_RES_INS];
    sqlite3_bind_int64(st, 1, ev->seq);
    sq_bind_text(st, 2, uniq[i]);
    e = sq_result_of(c->db, sq_step_done(st), 0);
  }
  for (unsigned i = 0; !e && i < nn; i++) {
    unsigned level = i + 1;
    if (level % PP_STORE_AUDIT_NODE_STRIDE) continue;
    sqlite3_stmt *st = c->st[S_AUD_NODE_INS];
    sqlite3_bind_int(st, 1, (int)level);
    sqlite3_bind_int64(st, 2, (int64_t)((f.size >> level) - 1));
    sqlite3_bind_blob(st, 3, nodes[i], PP_MERKLE_HASH_LEN, SQLITE_STATIC);
    e = sq_result_of(c->db, sq_step_done(st), 0);
  }
  pp_buf_cleanup(&leaf);
  free(uniq);
  if (e) {
    ev->seq = -1;
    return e == PP_ERR_CONFLICT ? PP_ERR_STORE : e;
  }
  b->aud = f;
  b->aud_dirty = true;
  return PP_OK;
}

static void row_checkpoint(sqlite3_stmt *st, pp_audit_checkpoint_t *cp) {
  memset(cp, 0, sizeof *cp);
  cp->seq = sqlite3_column_int64(st, 0);
  cp->tree_size = (uint64_t)sqlite3_column_int64(st, 1);
  const void *root = sqlite3_column_blob(st, 2);
  if (root && sqlite3_column_bytes(st, 2) == PP_MERKLE_HASH_LEN)
    memcpy(cp->root, root, PP_MERKLE_HASH_LEN);
  cp->time = sqlite3_column_int64(st, 3);
  sq_col_copy(cp->note, sizeof cp->note, st, 4);
}

/* Signs the tree as the batch has it so far and keeps the checkpoint;
 * unless forced, only when it grew since the last one. */
pp_err_t sq_aud_checkpoint(be_t *b, pp_audit_checkpoint_req_t *cr) {
  conn_t *c = &b->writer;
  pp_err_t e = sq_aud_sync(b);
  if (e) return e;
  if (!cr->signer || !cr->origin) return PP_ERR_INVALID_PARAM;
  cr->skipped = false;
  if (!cr->force) {
    sqlite3_stmt *st = c->st[S_AUD_CP_LAST];
    int rc = sqlite3_step(st);
    bool have = rc == SQLITE_ROW;
    uint64_t last = have ? (uint64_t)sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_db_err(c->db, "last checkpoint");
    if ((have && last == b->aud.size) || (!have && b->aud.size == 0)) {
      cr->skipped = true;
      return PP_OK;
    }
  }
  pp_checkpoint_t cp;
  memset(&cp, 0, sizeof cp);
  if (snprintf(cp.origin, sizeof cp.origin, "%s", cr->origin) >= (int)sizeof cp.origin)
    return PP_ERR_INVALID_PARAM;
  cp.size = b->aud.size;
  pp_merkle_frontier_root(&b->aud, cp.root);
  cp.timestamp = cr->now;
  pp_audit_checkpoint_t *out = &cr->out;
  memset(out, 0, sizeof *out);
  size_t len = 0;
  e = pp_checkpoint_sign(cr->signer, &cp, out->note, sizeof out->note, &len);
  if (e) return e;
  sqlite3_stmt *st = c->st[S_AUD_CP_INS];
  sqlite3_bind_int64(st, 1, (int64_t)cp.size);
  sqlite3_bind_blob(st, 2, cp.root, sizeof cp.root, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, cp.timestamp);
  sq_bind_text(st, 4, out->note);
  int rc = sq_step_done(st);
  if (rc == SQLITE_DONE) out->seq = sqlite3_last_insert_rowid(c->db);
  out->tree_size = cp.size;
  memcpy(out->root, cp.root, sizeof out->root);
  out->time = cp.timestamp;
  return sq_result_of(c->db, rc, 0);
}

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
  const void *h = sqlite3_column_blob(st, 8);
  if (h && sqlite3_column_bytes(st, 8) == PP_MERKLE_HASH_LEN) {
    memcpy(en->leaf_hash, h, PP_MERKLE_HASH_LEN);
    en->leaf_hash_ok = true;
  }
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

static pp_err_t read_head(conn_t *c, pp_audit_head_t *out) {
  sqlite3_stmt *st = c->st[S_AUD_HEAD_GET];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) == SQLITE_ROW) {
    out->size = (uint64_t)sqlite3_column_int64(st, 0);
    const void *root = sqlite3_column_blob(st, 1);
    if (root && sqlite3_column_bytes(st, 1) == PP_MERKLE_HASH_LEN)
      memcpy(out->root, root, PP_MERKLE_HASH_LEN);
    else
      memset(out->root, 0, PP_MERKLE_HASH_LEN);
  } else {
    e = sq_db_err(c->db, "audit head");
  }
  sqlite3_reset(st);
  return e;
}

pp_err_t sq_audit_head(void *p, pp_audit_head_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  pp_audit_head_t h;
  pp_err_t e = read_head(c, &h);
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

static void bind_audit_filter(sqlite3_stmt *st, const void *arg) {
  const pp_audit_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":event", f->event);
  sq_bind_named_int(st, ":from", f->from_ms);
  sq_bind_named_int(st, ":until", f->until_ms);
}

pp_err_t sq_audit_list(void *p, pp_arena_t *a, const pp_audit_filter_t *f, pp_audit_entry_t **rows,
                       size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT " AUD_COLS " FROM audit_log WHERE account_sid = :account");
  if (f->event) sq_sqlb_add(&q, " AND event = :event");
  if (f->has_from) sq_sqlb_add(&q, " AND time_ms >= :from");
  if (f->has_until) sq_sqlb_add(&q, " AND time_ms < :until");
  sq_page_clause(&q, &f->page);
  pp_audit_entry_t *r;
  size_t cnt;
  bool m;
  pp_err_t e = sq_run_list(p, a, q.sql, bind_audit_filter, f, &f->page, sizeof(pp_audit_entry_t),
                           row_audit, (void **)&r, &cnt, &m);
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
  if (limit == 0) return PP_ERR_INVALID_PARAM;
  pp_audit_entry_t *rows = pp_arena_alloc(a, limit * sizeof *rows);
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = sq_acquire(b);
  /* One read transaction, so the entries and their resources agree. */
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  sqlite3_stmt *st = c->st[S_AUD_SCAN];
  sqlite3_bind_int64(st, 1, from_seq);
  sqlite3_bind_int64(st, 2, (int64_t)limit);
  size_t n = 0;
  int rc = SQLITE_DONE;
  pp_err_t e = PP_OK;
  while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!row_audit(a, st, &rows[n])) {
      e = PP_ERR_NOMEM;
      break;
    }
    n++;
  }
  if (!e && n < limit && rc != SQLITE_DONE) e = sq_db_err(c->db, "audit scan");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
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
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  sq_release(b, c);
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
  conn_t *c = sq_acquire(b);
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  sqlite3_stmt *st = c->st[which];
  sq_bind_text(st, 1, key);
  sqlite3_bind_int64(st, 2, q->since_ms);
  sqlite3_bind_int64(st, 3, q->until_ms);
  sqlite3_bind_int64(st, 4, q->limit ? (int64_t)q->limit : -1);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      pp_audit_entry_t *more = pp_arena_alloc(a, 2 * cap * sizeof *rows);
      if (!more) {
        e = PP_ERR_NOMEM;
        break;
      }
      memcpy(more, rows, n * sizeof *rows);
      rows = more;
      cap *= 2;
    }
    if (!row_audit(a, st, &rows[n])) {
      e = PP_ERR_NOMEM;
      break;
    }
    n++;
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "audit search");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e) e = load_resources(c, a, rows, n);
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  sq_release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
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
    const void *h = sqlite3_column_blob(st, 0);
    if (h && sqlite3_column_bytes(st, 0) == PP_MERKLE_HASH_LEN) {
      memcpy(out, h, PP_MERKLE_HASH_LEN);
      e = PP_OK;
    } else { /* not a hash: the row was tampered with */
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

pp_err_t sq_audit_node(void *p, unsigned level, uint64_t index,
                       unsigned char out[PP_MERKLE_HASH_LEN]) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  pp_err_t e = read_hash(c, S_AUD_NODE_GET, level, (int64_t)index, true, out);
  sq_release(b, c);
  return e;
}

/* The stored tree as a merkle.h source, on one reader connection. */
static pp_err_t src_leaf(void *ctx, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]) {
  pp_err_t e = read_hash(ctx, S_AUD_LEAF_HASH, (int64_t)index, 0, false, out);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_STORE : e; /* a leaf below the head is missing */
}

static bool src_node(void *ctx, unsigned level, uint64_t index,
                     unsigned char out[PP_MERKLE_HASH_LEN]) {
  return level % PP_STORE_AUDIT_NODE_STRIDE == 0 &&
         read_hash(ctx, S_AUD_NODE_GET, level, (int64_t)index, true, out) == PP_OK;
}

/* Runs a tree computation over the first `n` committed leaves. */
typedef enum { TREE_ROOT, TREE_INCLUSION, TREE_CONSISTENCY } tree_op_t;

static pp_err_t tree_op(be_t *b, tree_op_t op, uint64_t m, uint64_t n, unsigned char *root,
                        pp_merkle_hash_t *out, size_t cap, size_t *count) {
  conn_t *c = sq_acquire(b);
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  pp_audit_head_t h;
  pp_err_t e = read_head(c, &h);
  if (!e && n > h.size) e = PP_ERR_INVALID_PARAM;
  pp_merkle_source_t src = {src_leaf, src_node, c};
  if (!e) {
    if (op == TREE_ROOT)
      e = pp_merkle_root(&src, n, root);
    else if (op == TREE_INCLUSION)
      e = pp_merkle_inclusion_proof(&src, m, n, out, cap, count);
    else
      e = pp_merkle_consistency_proof(&src, m, n, out, cap, count);
  }
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  sq_release(b, c);
  return e;
}

pp_err_t sq_audit_root(void *p, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]) {
  return tree_op(p, TREE_ROOT, 0, size, out, NULL, 0, NULL);
}

pp_err_t sq_audit_proof(void *p, bool consistency, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                        size_t cap, size_t *count) {
  return tree_op(p, consistency ? TREE_CONSISTENCY : TREE_INCLUSION, m, n, NULL, out, cap, count);
}

static void fill_checkpoint(sqlite3_stmt *st, void *out) {
  row_checkpoint(st, out);
}

pp_err_t sq_audit_checkpoint_latest(void *p, pp_audit_checkpoint_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  return sq_first_row(b, c, c->st[S_AUD_CP_LAST], fill_checkpoint, out);
}

pp_err_t sq_audit_checkpoint_list(void *p, pp_arena_t *a, int64_t after_seq, size_t limit,
                                  pp_audit_checkpoint_t **rows_out, size_t *n_out) {
  be_t *b = p;
  if (limit == 0) return PP_ERR_INVALID_PARAM;
  pp_audit_checkpoint_t *rows = pp_arena_alloc(a, limit * sizeof *rows);
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_AUD_CP_LIST];
  sqlite3_bind_int64(st, 1, after_seq);
  sqlite3_bind_int64(st, 2, (int64_t)limit);
  size_t n = 0;
  int rc = SQLITE_DONE;
  while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) row_checkpoint(st, &rows[n++]);
  pp_err_t e = n < limit && rc != SQLITE_DONE ? sq_db_err(c->db, "checkpoints") : PP_OK;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

/* audit_log.c: the audit log's logic over a backend's row primitives
 * (audit_log_int.h, docs/internals/audit.md). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/audit_log_int.h"

/* ---- The head ------------------------------------------------------------ */

/* The frontier as the head stores it: the hash of each set bit of the
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

static bool frontier_decode(pp_merkle_frontier_t *f, const pp_audit_head_row_t *h) {
  if (h->frontier_len != (size_t)__builtin_popcountll(h->size) * PP_MERKLE_HASH_LEN) return false;
  pp_merkle_frontier_init(f);
  size_t n = 0;
  for (int i = 0; i < 64; i++)
    if ((h->size >> i) & 1) {
      memcpy(f->hashes[i], h->frontier + n, PP_MERKLE_HASH_LEN);
      n += PP_MERKLE_HASH_LEN;
    }
  f->size = h->size;
  return true;
}

void pp_audit_log_batch_begin(pp_audit_writer_t *w) {
  w->synced = w->dirty = false;
}

pp_err_t pp_audit_log_sync(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx) {
  if (w->synced) return PP_OK;
  pp_audit_head_row_t h;
  pp_err_t e = r->head_get(ctx, &h);
  if (e) return e;
  unsigned char mine[64 * PP_MERKLE_HASH_LEN];
  size_t mlen = frontier_encode(&w->f, mine);
  bool same = h.size == w->f.size && h.frontier_len == mlen &&
              (!mlen || memcmp(h.frontier, mine, mlen) == 0);
  if (!same && !frontier_decode(&w->f, &h)) {
    pp_log_error("store", "audit_head holds a malformed frontier (size %llu, %zu bytes)",
                 (unsigned long long)h.size, h.frontier_len);
    return PP_ERR_STORE;
  }
  w->begin = w->f;
  w->synced = true;
  return PP_OK;
}

pp_err_t pp_audit_log_batch_end(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx) {
  if (!w->dirty) return PP_OK;
  pp_audit_head_row_t h;
  h.size = w->f.size;
  h.frontier_len = frontier_encode(&w->f, h.frontier);
  pp_merkle_frontier_root(&w->f, h.root);
  return r->head_put(ctx, &h);
}

void pp_audit_log_batch_abort(pp_audit_writer_t *w) {
  if (w->synced) w->f = w->begin; /* nothing of the batch was kept */
}

/* ---- Appending ----------------------------------------------------------- */

/* Appends `ev` as the next leaf: the row, its resources, the subtree hashes
 * it completes (every PP_STORE_AUDIT_NODE_STRIDE-th level); the frontier
 * moves only when all of it is written. */
static pp_err_t append_one(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx,
                           pp_audit_event_t *ev, pp_err_t result) {
  if (ev->nresources > PP_AUDIT_MAX_RESOURCES || (ev->nresources && !ev->resources))
    return PP_ERR_INVALID_PARAM;
  if (!ev->outcome[0]) pp_audit_outcome(result, ev->outcome);
  if (!ev->time_ms) ev->time_ms = pp_clock_now_us() / 1000;
  ev->seq = (int64_t)w->f.size;
  /* A leaf names each resource once. */
  const char **uniq = ev->nresources ? malloc(ev->nresources * sizeof *uniq) : NULL;
  if (ev->nresources && !uniq) return PP_ERR_NOMEM;
  size_t nu = 0;
  for (size_t i = 0; i < ev->nresources; i++) {
    const char *res = ev->resources[i];
    bool seen = !res;
    for (size_t j = 0; j < nu && !seen; j++) seen = strcmp(uniq[j], res) == 0;
    if (!seen) uniq[nu++] = res;
  }
  pp_audit_event_t leaf_ev = *ev;
  leaf_ev.resources = uniq;
  leaf_ev.nresources = nu;
  pp_buf_t leaf;
  pp_buf_init(&leaf, 0);
  pp_err_t e = pp_audit_leaf_encode(&leaf_ev, &leaf);
  pp_audit_entry_t row = {
      .seq = ev->seq,
      .time_ms = ev->time_ms,
      .leaf = (const unsigned char *)leaf.data,
      .leaf_len = leaf.len,
      .leaf_hash_ok = true,
      .event = pp_audit_kind_name(ev->kind),
      .principal = ev->principal,
      .session = ev->session,
      .ip = ev->ip,
      .account_sid = ev->account_sid,
      .outcome = ev->outcome,
      .resources = uniq,
      .nresources = nu,
  };
  pp_merkle_frontier_t f = w->f;
  pp_merkle_hash_t nodes[64];
  unsigned nn = 0;
  if (!e) {
    pp_merkle_leaf_hash(leaf.data, leaf.len, row.leaf_hash);
    e = pp_merkle_frontier_push(&f, row.leaf_hash, nodes, &nn);
  }
  if (!e) e = r->leaf_put(ctx, &row);
  for (unsigned i = 0; !e && i < nn; i++) {
    unsigned level = i + 1;
    if (level % PP_STORE_AUDIT_NODE_STRIDE == 0)
      e = r->node_put(ctx, level, (f.size >> level) - 1, nodes[i]);
  }
  pp_buf_cleanup(&leaf);
  free(uniq);
  if (e) {
    ev->seq = -1;
    return e == PP_ERR_CONFLICT ? PP_ERR_STORE : e;
  }
  w->f = f;
  w->dirty = true;
  return PP_OK;
}

pp_err_t pp_audit_log_append(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx,
                             pp_write_t *wr, pp_err_t result) {
  if (!wr->audit) return PP_OK;
  pp_err_t e = pp_audit_log_sync(w, r, ctx);
  pp_merkle_frontier_t before = w->f; /* put back if the second event fails */
  if (!e) e = append_one(w, r, ctx, wr->audit, result);
  if (!e && wr->audit_also) {
    e = append_one(w, r, ctx, wr->audit_also, result);
    if (e) {
      w->f = before;
      wr->audit->seq = -1;
    }
  }
  return e;
}

/* ---- Checkpoints --------------------------------------------------------- */

pp_err_t pp_audit_log_checkpoint(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx,
                                 pp_audit_checkpoint_req_t *cr) {
  pp_err_t e = pp_audit_log_sync(w, r, ctx);
  if (e) return e;
  if (!cr->signer || !cr->origin) return PP_ERR_INVALID_PARAM;
  cr->skipped = false;
  if (!cr->force) {
    pp_audit_checkpoint_t last;
    e = r->checkpoint_last(ctx, &last);
    bool have = e == PP_OK;
    if (e && e != PP_ERR_NOT_FOUND) return e;
    if ((have && last.tree_size == w->f.size) || (!have && w->f.size == 0)) {
      cr->skipped = true;
      return PP_OK;
    }
  }
  pp_checkpoint_t cp;
  memset(&cp, 0, sizeof cp);
  if (snprintf(cp.origin, sizeof cp.origin, "%s", cr->origin) >= (int)sizeof cp.origin)
    return PP_ERR_INVALID_PARAM;
  cp.size = w->f.size;
  pp_merkle_frontier_root(&w->f, cp.root);
  cp.timestamp = cr->now;
  pp_audit_checkpoint_t *out = &cr->out;
  memset(out, 0, sizeof *out);
  size_t len = 0;
  e = pp_checkpoint_sign(cr->signer, &cp, out->note, sizeof out->note, &len);
  if (e) return e;
  out->tree_size = cp.size;
  memcpy(out->root, cp.root, sizeof out->root);
  out->time = cp.timestamp;
  return r->checkpoint_put(ctx, out);
}

/* ---- Reads --------------------------------------------------------------- */

pp_err_t pp_audit_log_head(const pp_audit_rows_t *r, void *ctx, pp_audit_head_t *out) {
  pp_audit_head_row_t h;
  pp_err_t e = r->head_get(ctx, &h);
  if (e) return e;
  out->size = h.size;
  memcpy(out->root, h.root, sizeof out->root);
  return PP_OK;
}

/* The stored tree as a merkle.h source. */
typedef struct {
  const pp_audit_rows_t *r;
  void *ctx;
} source_t;

static pp_err_t src_leaf(void *p, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]) {
  source_t *s = p;
  pp_err_t e = s->r->leaf_hash_get(s->ctx, index, out);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_STORE : e; /* a leaf below the head is missing */
}

static bool src_node(void *p, unsigned level, uint64_t index,
                     unsigned char out[PP_MERKLE_HASH_LEN]) {
  source_t *s = p;
  return level % PP_STORE_AUDIT_NODE_STRIDE == 0 &&
         s->r->node_get(s->ctx, level, index, out) == PP_OK;
}

/* The source over the first n leaves, after checking n against the head. */
static pp_err_t source_of(const pp_audit_rows_t *r, void *ctx, uint64_t n, source_t *s,
                          pp_merkle_source_t *src) {
  pp_audit_head_t h;
  pp_err_t e = pp_audit_log_head(r, ctx, &h);
  if (e) return e;
  if (n > h.size) return PP_ERR_INVALID_PARAM;
  *s = (source_t){r, ctx};
  *src = (pp_merkle_source_t){src_leaf, src_node, s};
  return PP_OK;
}

pp_err_t pp_audit_log_root(const pp_audit_rows_t *r, void *ctx, uint64_t n,
                           unsigned char out[PP_MERKLE_HASH_LEN]) {
  source_t s;
  pp_merkle_source_t src;
  pp_err_t e = source_of(r, ctx, n, &s, &src);
  return e ? e : pp_merkle_root(&src, n, out);
}

pp_err_t pp_audit_log_proof(const pp_audit_rows_t *r, void *ctx, bool consistency, uint64_t m,
                            uint64_t n, pp_merkle_hash_t *out, size_t cap, size_t *count) {
  source_t s;
  pp_merkle_source_t src;
  pp_err_t e = source_of(r, ctx, n, &s, &src);
  if (e) return e;
  return consistency ? pp_merkle_consistency_proof(&src, m, n, out, cap, count)
                     : pp_merkle_inclusion_proof(&src, m, n, out, cap, count);
}

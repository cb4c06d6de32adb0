/* The audit log's backend-neutral logic (store/audit_log_int.h) over an
 * in-memory backend: what a second backend would implement is only the
 * row primitives.  Leaves and their hashes, the subtree hashes kept (every
 * fourth level, each the root of its range), the head and its frontier
 * (picked up from another writer; a malformed one refused), the root and
 * proofs against merkle.h's verifiers, both-or-neither for a write's two
 * events, a batch that does not commit, and checkpoints (skipped when the
 * tree did not grow, signed otherwise). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/audit_log_int.h"

#define MAXN 600

typedef struct {
  pp_audit_head_row_t head;
  unsigned char leaf[MAXN][PP_MERKLE_HASH_LEN];
  size_t nleaves;
  struct {
    unsigned level;
    uint64_t index;
    pp_merkle_hash_t hash;
  } node[MAXN];
  size_t nnodes;
  pp_audit_checkpoint_t cp[8];
  size_t ncp;
  size_t nres;          /* resource rows */
  int fail_node_after;  /* node_put fails once this many more succeeded (-1: never) */
  int fail_leaf_at_seq; /* leaf_put of this seq fails (-1: never) */
} mem_t;

static pp_err_t head_get(void *ctx, pp_audit_head_row_t *out) {
  *out = ((mem_t *)ctx)->head;
  return PP_OK;
}
static pp_err_t head_put(void *ctx, const pp_audit_head_row_t *h) {
  ((mem_t *)ctx)->head = *h;
  return PP_OK;
}
static pp_err_t leaf_put(void *ctx, const pp_audit_entry_t *row) {
  mem_t *m = ctx;
  if (row->seq == m->fail_leaf_at_seq) return PP_ERR_CONFLICT;
  if ((size_t)row->seq != m->nleaves) return PP_ERR_CONFLICT; /* the primary key */
  /* The leaf bytes hash to the leaf hash; the index columns come from it. */
  unsigned char h[PP_MERKLE_HASH_LEN];
  pp_merkle_leaf_hash(row->leaf, row->leaf_len, h);
  CHECK(memcmp(h, row->leaf_hash, sizeof h) == 0);
  CHECK_EQ_STR(row->event, "content.read");
  memcpy(m->leaf[m->nleaves++], row->leaf_hash, PP_MERKLE_HASH_LEN);
  m->nres += row->nresources;
  return PP_OK;
}
static pp_err_t leaf_hash_get(void *ctx, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]) {
  mem_t *m = ctx;
  if (index >= m->nleaves) return PP_ERR_NOT_FOUND;
  memcpy(out, m->leaf[index], PP_MERKLE_HASH_LEN);
  return PP_OK;
}
static pp_err_t node_put(void *ctx, unsigned level, uint64_t index,
                         const unsigned char hash[PP_MERKLE_HASH_LEN]) {
  mem_t *m = ctx;
  if (m->fail_node_after == 0) return PP_ERR_STORE;
  if (m->fail_node_after > 0) m->fail_node_after--;
  m->node[m->nnodes].level = level;
  m->node[m->nnodes].index = index;
  memcpy(m->node[m->nnodes++].hash, hash, PP_MERKLE_HASH_LEN);
  return PP_OK;
}
static pp_err_t node_get(void *ctx, unsigned level, uint64_t index,
                         unsigned char out[PP_MERKLE_HASH_LEN]) {
  mem_t *m = ctx;
  for (size_t i = 0; i < m->nnodes; i++)
    if (m->node[i].level == level && m->node[i].index == index) {
      memcpy(out, m->node[i].hash, PP_MERKLE_HASH_LEN);
      return PP_OK;
    }
  return PP_ERR_NOT_FOUND;
}
static pp_err_t checkpoint_last(void *ctx, pp_audit_checkpoint_t *out) {
  mem_t *m = ctx;
  if (!m->ncp) return PP_ERR_NOT_FOUND;
  *out = m->cp[m->ncp - 1];
  return PP_OK;
}
static pp_err_t checkpoint_put(void *ctx, pp_audit_checkpoint_t *cp) {
  mem_t *m = ctx;
  cp->seq = (int64_t)m->ncp + 1;
  m->cp[m->ncp++] = *cp;
  return PP_OK;
}

static const pp_audit_rows_t rows = {head_get, head_put, leaf_put,        leaf_hash_get,
                                     node_put, node_get, checkpoint_last, checkpoint_put};

/* The leaf hashes alone, no stored nodes: the reference tree. */
static pp_err_t ref_leaf(void *ctx, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]) {
  return leaf_hash_get(ctx, index, out);
}

typedef struct {
  pp_audit_event_t ev;
  const char *res[3];
  char sid[PP_SID_SIZE];
  pp_write_t w;
} item_t;

static void make(item_t *it, int i) {
  memset(it, 0, sizeof *it);
  it->ev.kind = PP_AUDIT_CONTENT_READ;
  it->ev.principal_kind = PP_AUDIT_BY_KEY;
  snprintf(it->ev.principal, sizeof it->ev.principal, "SK%032x", i % 7);
  snprintf(it->ev.account_sid, sizeof it->ev.account_sid, "AC%032x", i % 5);
  it->ev.time_ms = 1000000 + i;
  snprintf(it->sid, sizeof it->sid, "SM%032x", i);
  it->res[0] = it->sid;
  it->res[1] = it->sid; /* repeated: kept once */
  it->res[2] = "carrier:a";
  it->ev.resources = it->res;
  it->ev.nresources = 3;
  it->w.kind = PP_W_AUDIT;
  it->w.audit = &it->ev;
}

/* Appends events first..first+n-1 in one batch through writer `w`. */
static void batch(pp_audit_writer_t *w, mem_t *m, int first, int n) {
  pp_audit_log_batch_begin(w);
  for (int i = first; i < first + n; i++) {
    item_t it;
    make(&it, i);
    CHECK_EQ_INT(pp_audit_log_append(w, &rows, m, &it.w, PP_OK), PP_OK);
    CHECK_EQ_INT((int)it.ev.seq, i);
    CHECK_EQ_STR(it.ev.outcome, "ok");
    /* The stored hash is that of the canonical leaf, resources once. */
    pp_audit_event_t leaf_ev = it.ev;
    leaf_ev.nresources = 2;
    leaf_ev.resources = (const char *[]){it.sid, "carrier:a"};
    pp_buf_t b;
    pp_buf_init(&b, 0);
    CHECK_EQ_INT(pp_audit_leaf_encode(&leaf_ev, &b), PP_OK);
    unsigned char h[PP_MERKLE_HASH_LEN];
    pp_merkle_leaf_hash(b.data, b.len, h);
    CHECK(memcmp(h, m->leaf[i], sizeof h) == 0);
    pp_buf_cleanup(&b);
  }
  CHECK_EQ_INT(pp_audit_log_batch_end(w, &rows, m), PP_OK);
}

static void check_tree(mem_t *m) {
  uint64_t n = m->nleaves;
  pp_merkle_source_t ref = {ref_leaf, NULL, m};
  unsigned char want[PP_MERKLE_HASH_LEN], got[PP_MERKLE_HASH_LEN];
  CHECK_EQ_INT(pp_merkle_root(&ref, n, want), PP_OK);
  CHECK_EQ_INT(pp_audit_log_root(&rows, m, n, got), PP_OK);
  CHECK(memcmp(want, got, sizeof want) == 0);
  /* The head: size, root, and a frontier of one hash per set bit. */
  pp_audit_head_t h;
  CHECK_EQ_INT(pp_audit_log_head(&rows, m, &h), PP_OK);
  CHECK_EQ_INT((int)h.size, (int)n);
  CHECK(memcmp(h.root, want, sizeof want) == 0);
  CHECK_EQ_INT((int)m->head.frontier_len, __builtin_popcountll(n) * PP_MERKLE_HASH_LEN);
  /* Subtree hashes: every fourth level, each complete one, each right. */
  size_t expect = 0;
  for (unsigned level = 4; level < 64 && (n >> level); level += 4) expect += n >> level;
  CHECK_EQ_INT((int)m->nnodes, (int)expect);
  for (size_t i = 0; i < m->nnodes; i++) {
    CHECK_EQ_INT((int)(m->node[i].level % PP_STORE_AUDIT_NODE_STRIDE), 0);
    /* The root of leaves [index << level, (index + 1) << level). */
    unsigned char sub[PP_MERKLE_HASH_LEN];
    uint64_t w = (uint64_t)1 << m->node[i].level, at = m->node[i].index * w;
    mem_t *part = malloc(sizeof *part);
    CHECK(part != NULL);
    part->nleaves = w;
    memcpy(part->leaf, m->leaf[at], w * PP_MERKLE_HASH_LEN);
    pp_merkle_source_t ps = {ref_leaf, NULL, part};
    CHECK_EQ_INT(pp_merkle_root(&ps, w, sub), PP_OK);
    CHECK(memcmp(sub, m->node[i].hash, sizeof sub) == 0);
    free(part);
  }
  /* Proofs from the stored hashes check against the root. */
  pp_merkle_hash_t proof[PP_MERKLE_MAX_PROOF];
  size_t count;
  for (uint64_t i = 0; i < n; i += 37) {
    CHECK_EQ_INT(pp_audit_log_proof(&rows, m, false, i, n, proof, PP_MERKLE_MAX_PROOF, &count),
                 PP_OK);
    CHECK(pp_merkle_verify_inclusion(i, n, m->leaf[i], proof, count, want));
    unsigned char old[PP_MERKLE_HASH_LEN];
    CHECK_EQ_INT(pp_audit_log_root(&rows, m, i + 1, old), PP_OK);
    CHECK_EQ_INT(pp_audit_log_proof(&rows, m, true, i + 1, n, proof, PP_MERKLE_MAX_PROOF, &count),
                 PP_OK);
    CHECK(pp_merkle_verify_consistency(i + 1, n, old, want, proof, count));
  }
  /* Past the head. */
  CHECK_EQ_INT(pp_audit_log_root(&rows, m, n + 1, got), PP_ERR_INVALID_PARAM);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  mem_t *m = calloc(1, sizeof *m);
  CHECK(m != NULL);
  m->fail_node_after = m->fail_leaf_at_seq = -1;
  pp_merkle_frontier_t empty;
  pp_merkle_frontier_init(&empty);
  pp_audit_head_row_t h0 = {.size = 0, .frontier_len = 0};
  pp_merkle_frontier_root(&empty, h0.root);
  m->head = h0;

  pp_audit_writer_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  batch(&a, m, 0, 100);
  check_tree(m);
  CHECK_EQ_INT((int)m->nres, 200);

  /* Another writer (another process) appends; the first picks it up. */
  batch(&b, m, 100, 157);
  batch(&a, m, 257, 142);
  check_tree(m);

  /* A node that cannot be written: the event fails, nothing moves. */
  pp_audit_log_batch_begin(&a);
  pp_merkle_frontier_t before = a.f;
  m->fail_node_after = 0;
  item_t it;
  make(&it, 399); /* leaf 399 completes a level-4 subtree (size 400) */
  CHECK_EQ_INT(pp_audit_log_append(&a, &rows, m, &it.w, PP_OK), PP_ERR_STORE);
  CHECK_EQ_INT((int)it.ev.seq, -1);
  CHECK(memcmp(&a.f, &before, sizeof before) == 0);
  m->fail_node_after = -1;
  m->nleaves = 399; /* the backend's savepoint undid the row */
  size_t nodes = m->nnodes;

  /* Both or neither: the second event fails, the first is put back too. */
  item_t also;
  make(&it, 399);
  make(&also, 400);
  it.w.audit_also = &also.ev;
  m->fail_leaf_at_seq = 400;
  CHECK_EQ_INT(pp_audit_log_append(&a, &rows, m, &it.w, PP_OK), PP_ERR_STORE);
  CHECK_EQ_INT((int)it.ev.seq, -1);
  CHECK_EQ_INT((int)also.ev.seq, -1);
  CHECK(memcmp(&a.f, &before, sizeof before) == 0);
  m->fail_leaf_at_seq = -1;
  m->nleaves = 399;
  m->nnodes = nodes;
  /* ... and both when both go in, with the write's outcome. */
  make(&it, 399);
  make(&also, 400);
  it.w.audit_also = &also.ev;
  CHECK_EQ_INT(pp_audit_log_append(&a, &rows, m, &it.w, PP_ERR_NOT_FOUND), PP_OK);
  CHECK_EQ_INT((int)it.ev.seq, 399);
  CHECK_EQ_INT((int)also.ev.seq, 400);
  CHECK_EQ_STR(also.ev.outcome, "not_found");
  CHECK_EQ_INT((int)a.f.size, 401);
  /* The batch does not commit: the frontier is as it began, the head as
   * it was. */
  pp_audit_log_batch_abort(&a);
  CHECK(memcmp(&a.f, &before, sizeof before) == 0);
  m->nleaves = 399;
  m->nnodes = nodes;
  check_tree(m);

  /* Checkpoints: signed over the frontier's root, skipped when the tree
   * did not grow unless forced. */
  pp_checkpoint_signer_t *signer = NULL;
  CHECK_EQ_INT(pp_checkpoint_signer_new("test/audit", &signer), PP_OK);
  pp_audit_checkpoint_req_t cr = {.signer = signer, .origin = "test/audit", .now = 1700000000};
  pp_audit_log_batch_begin(&a);
  CHECK_EQ_INT(pp_audit_log_checkpoint(&a, &rows, m, &cr), PP_OK);
  CHECK(!cr.skipped);
  CHECK_EQ_INT((int)cr.out.tree_size, 399);
  CHECK_EQ_INT((int)cr.out.seq, 1);
  CHECK(memcmp(cr.out.root, m->head.root, PP_MERKLE_HASH_LEN) == 0);
  pp_checkpoint_t opened;
  CHECK_EQ_INT(pp_checkpoint_open(pp_checkpoint_signer_verifier(signer), cr.out.note,
                                  strlen(cr.out.note), &opened),
               PP_OK);
  CHECK_EQ_INT((int)opened.size, 399);
  CHECK_EQ_INT(pp_audit_log_checkpoint(&a, &rows, m, &cr), PP_OK);
  CHECK(cr.skipped);
  cr.force = true;
  CHECK_EQ_INT(pp_audit_log_checkpoint(&a, &rows, m, &cr), PP_OK);
  CHECK(!cr.skipped);
  CHECK_EQ_INT((int)m->ncp, 2);
  CHECK_EQ_INT(pp_audit_log_batch_end(&a, &rows, m), PP_OK);
  pp_checkpoint_signer_free(signer);

  /* A head whose frontier does not match its size is refused. */
  pp_audit_writer_t c;
  memset(&c, 0, sizeof c);
  m->head.frontier_len -= PP_MERKLE_HASH_LEN;
  pp_audit_log_batch_begin(&c);
  CHECK_EQ_INT(pp_audit_log_sync(&c, &rows, m), PP_ERR_STORE);
  free(m);
  return 0;
}

/* audit_log_int.h (private to src/store and its backends): the audit log's
 * logic (docs/internals/audit.md) over a backend's row primitives.
 *
 * Every decision is here, once for every backend: the leaf and its hash,
 * the frontier and when it moves, which subtree hashes are kept (every
 * PP_STORE_AUDIT_NODE_STRIDE-th level), the encoding of the head, when and
 * what a checkpoint signs, the check of the in-memory frontier against the
 * stored head, and proofs over the stored hashes.  A backend implements
 * only pp_audit_rows_t: reads and writes of rows, each on the connection
 * `ctx` it passes in, inside whatever transaction it has open.
 *
 * Threading: a pp_audit_writer_t belongs to the backend's writer thread;
 * the reads take no state but the connection. */
#ifndef PP_STORE_AUDIT_LOG_INT_H
#define PP_STORE_AUDIT_LOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The stored head: the committed size, its root, and the frontier (for
 * each set bit of the size, ascending, the root of that perfect subtree;
 * frontier_len = popcount(size) * 32 when well formed). */
typedef struct {
  uint64_t size;
  unsigned char root[PP_MERKLE_HASH_LEN];
  unsigned char frontier[64 * PP_MERKLE_HASH_LEN];
  size_t frontier_len;
} pp_audit_head_row_t;

/* The rows of the audit log, as a backend keeps them (tables in
 * docs/internals/audit.md, "Tree storage").  Each returns PP_OK or the
 * backend's error (PP_ERR_STORE, PP_ERR_STORE_FULL, PP_ERR_CONFLICT for a
 * key that exists). */
typedef struct {
  /* The head row (it always exists once the schema does). */
  pp_err_t (*head_get)(void *ctx, pp_audit_head_row_t *out);
  pp_err_t (*head_put)(void *ctx, const pp_audit_head_row_t *h);
  /* One leaf: its row with the index columns, leaf hash and leaf bytes,
   * and one resource row per entry of row->resources (no repeats). */
  pp_err_t (*leaf_put)(void *ctx, const pp_audit_entry_t *row);
  /* The leaf hash of leaf `index`: PP_ERR_NOT_FOUND when there is no such
   * row, PP_ERR_CORRUPT when what is stored is not 32 bytes. */
  pp_err_t (*leaf_hash_get)(void *ctx, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]);
  /* The hash of the perfect subtree (level, index), as leaf_hash_get. */
  pp_err_t (*node_put)(void *ctx, unsigned level, uint64_t index,
                       const unsigned char hash[PP_MERKLE_HASH_LEN]);
  pp_err_t (*node_get)(void *ctx, unsigned level, uint64_t index,
                       unsigned char out[PP_MERKLE_HASH_LEN]);
  /* The newest checkpoint (PP_ERR_NOT_FOUND: none); keeping one sets
   * cp->seq to the store-assigned sequence. */
  pp_err_t (*checkpoint_last)(void *ctx, pp_audit_checkpoint_t *out);
  pp_err_t (*checkpoint_put)(void *ctx, pp_audit_checkpoint_t *cp);
} pp_audit_rows_t;

/* The writer's view of the tree.  `f` is the frontier after the last
 * append; `begin` the one the batch began with. */
typedef struct {
  pp_merkle_frontier_t f, begin;
  bool synced; /* f checked against the head in this batch */
  bool dirty;  /* the batch appended: the head must be written */
} pp_audit_writer_t;

/* pp_audit_log_batch_begin: a batch (one transaction) starts. */
void pp_audit_log_batch_begin(pp_audit_writer_t *w);

/* pp_audit_log_sync brings `f` in line with the stored head, once per batch
 * (another process, such as pipit admin, may have appended).  Errors:
 * those of head_get, PP_ERR_STORE for a malformed stored frontier. */
pp_err_t pp_audit_log_sync(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx);

/* pp_audit_log_append appends the events a write carries (wr->audit,
 * then wr->audit_also: both or neither), their outcome set from `result`
 * (the write's) where the caller left it empty.  Each event: the time
 * stamped (unless given), seq set to the tree size, repeated resources
 * dropped, the leaf encoded and hashed, its row, resources and the subtree
 * hashes it completes stored; the frontier moves only when all of that
 * succeeded.  On error no event has a seq (-1) and `f` is as before. */
pp_err_t pp_audit_log_append(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx,
                             pp_write_t *wr, pp_err_t result);

/* pp_audit_log_checkpoint signs the tree as the batch has it so far and keeps
 * the checkpoint (unless forced, only when the tree grew since the last
 * one: cr->skipped). */
pp_err_t pp_audit_log_checkpoint(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx,
                                 pp_audit_checkpoint_req_t *cr);

/* pp_audit_log_batch_end: before the commit, writes the head if the batch
 * appended (errors of head_put). */
pp_err_t pp_audit_log_batch_end(pp_audit_writer_t *w, const pp_audit_rows_t *r, void *ctx);

/* pp_audit_log_batch_abort: the batch did not commit; the frontier is put back
 * as it began. */
void pp_audit_log_batch_abort(pp_audit_writer_t *w);

/* ---- Reads (any connection, inside one read transaction) ------------- */

/* pp_audit_log_head: the committed size and root. */
pp_err_t pp_audit_log_head(const pp_audit_rows_t *r, void *ctx, pp_audit_head_t *out);

/* pp_audit_log_root: the root of the first n leaves; pp_audit_log_proof:
 * the inclusion proof of leaf m, or the consistency proof from size m, in
 * the tree of size n (merkle.h), from the stored leaf and subtree hashes.
 * PP_ERR_INVALID_PARAM when n is past the head; PP_ERR_STORE when a leaf
 * below it is missing; PP_ERR_CORRUPT when a stored hash is not one. */
pp_err_t pp_audit_log_root(const pp_audit_rows_t *r, void *ctx, uint64_t n,
                           unsigned char out[PP_MERKLE_HASH_LEN]);
pp_err_t pp_audit_log_proof(const pp_audit_rows_t *r, void *ctx, bool consistency, uint64_t m,
                            uint64_t n, pp_merkle_hash_t *out, size_t cap, size_t *count);

#endif

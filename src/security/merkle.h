/* merkle.h: the RFC 6962 / RFC 9162 Merkle tree hash over an append-only
 * list of leaves (the audit log, DESIGN.md rule 6): tree heads, inclusion
 * and consistency proofs with their verifiers, and a compact frontier that
 * appends a leaf and yields the new root in O(log n).
 *
 *   leaf hash  = SHA-256(0x00 || data)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two
 *                smaller than n
 *
 * Leaves are numbered from 0.  Proof generators read leaf hashes through a
 * pp_merkle_source_t, so the store can back them; they read every leaf of
 * the subtrees they hash (O(n)) unless the source also answers perfect
 * subtree hashes (`node`), in which case a proof costs O(log n) lookups.
 * Needs sodium_init() (SHA-256 is libsodium's crypto_hash_sha256). */
#ifndef PP_SECURITY_MERKLE_H
#define PP_SECURITY_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_MERKLE_HASH_LEN 32

/* The longest proof for any tree of at most 2^64 - 1 leaves. */
#define PP_MERKLE_MAX_PROOF 65

typedef unsigned char pp_merkle_hash_t[PP_MERKLE_HASH_LEN];

/* Where the leaf hashes come from. */
typedef struct {
  /* leaf writes the leaf hash (already SHA-256(0x00 || data)) of leaf
   * `index` into `out`.  Any error it returns is passed back unchanged by
   * the function that called it. */
  pp_err_t (*leaf)(void *ctx, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]);
  /* node, optional (NULL: never asked), writes the hash of the perfect
   * subtree of 2^level leaves that starts at leaf index << level and
   * returns true, or returns false when it does not know it (the caller
   * then computes it from its halves).  level is at least 1. */
  bool (*node)(void *ctx, unsigned level, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]);
  void *ctx;
} pp_merkle_source_t;

/* pp_merkle_leaf_hash writes SHA-256(0x00 || data) into `out`. */
void pp_merkle_leaf_hash(const void *data, size_t len, unsigned char out[PP_MERKLE_HASH_LEN]);

/* pp_merkle_node_hash writes SHA-256(0x01 || left || right) into `out`
 * (which may alias either input). */
void pp_merkle_node_hash(const unsigned char left[PP_MERKLE_HASH_LEN],
                         const unsigned char right[PP_MERKLE_HASH_LEN],
                         unsigned char out[PP_MERKLE_HASH_LEN]);

/* pp_merkle_root writes MTH of the first `n` leaves of `src` into `out`
 * (SHA-256("") when n is 0).  Errors: PP_ERR_INVALID_PARAM, or whatever
 * src->leaf returned. */
pp_err_t pp_merkle_root(const pp_merkle_source_t *src, uint64_t n,
                        unsigned char out[PP_MERKLE_HASH_LEN]);

/* pp_merkle_inclusion_proof writes the audit path PATH(m, D[n]) of RFC 9162
 * section 2.1.3.1 for leaf `m` (m < n) into `out` (room for `cap` hashes;
 * PP_MERKLE_MAX_PROOF always suffices), ordered from the leaf towards the
 * root, and the number of hashes into *count.  Errors: PP_ERR_INVALID_PARAM
 * (m >= n, cap too small), or whatever src->leaf returned. */
pp_err_t pp_merkle_inclusion_proof(const pp_merkle_source_t *src, uint64_t m, uint64_t n,
                                   pp_merkle_hash_t *out, size_t cap, size_t *count);

/* pp_merkle_verify_inclusion runs RFC 9162 section 2.1.3.2: does
 * `leaf_hash`, at index `m` of a tree of size `n`, with the `count` hashes
 * of `proof`, lead to `root`?  False for any malformed input. */
bool pp_merkle_verify_inclusion(uint64_t m, uint64_t n,
                                const unsigned char leaf_hash[PP_MERKLE_HASH_LEN],
                                const pp_merkle_hash_t *proof, size_t count,
                                const unsigned char root[PP_MERKLE_HASH_LEN]);

/* pp_merkle_consistency_proof writes PROOF(m, D[n]) of RFC 9162 section
 * 2.1.4.1 (empty when m == n or m == 0) into `out` (room for `cap` hashes)
 * and the number of hashes into *count.  Errors: PP_ERR_INVALID_PARAM
 * (m > n, cap too small), or whatever src->leaf returned. */
pp_err_t pp_merkle_consistency_proof(const pp_merkle_source_t *src, uint64_t m, uint64_t n,
                                     pp_merkle_hash_t *out, size_t cap, size_t *count);

/* pp_merkle_verify_consistency runs RFC 9162 section 2.1.4.2: is the tree
 * of size `m` with root `root_m` a prefix of the tree of size `n` with root
 * `root_n`, by the `count` hashes of `proof`?  When m == n the proof must be
 * empty and the roots equal; when m == 0 the proof must be empty (every
 * tree extends the empty one).  False for m > n or any malformed input. */
bool pp_merkle_verify_consistency(uint64_t m, uint64_t n,
                                  const unsigned char root_m[PP_MERKLE_HASH_LEN],
                                  const unsigned char root_n[PP_MERKLE_HASH_LEN],
                                  const pp_merkle_hash_t *proof, size_t count);

/* ---- Compact frontier -------------------------------------------------- */

/* The right edge of a tree of `size` leaves: for every bit i set in size,
 * hashes[i] is the root of the perfect subtree of 2^i leaves that covers
 * the leaves [size with bits 0..i cleared, that + 2^i).  Entries whose bit
 * is clear are meaningless.  Plain data: the store may persist `size` and
 * the popcount(size) live hashes, and rebuild it with
 * pp_merkle_frontier_load. */
typedef struct {
  uint64_t size;
  pp_merkle_hash_t hashes[64];
} pp_merkle_frontier_t;

/* pp_merkle_frontier_init makes `f` the frontier of the empty tree. */
void pp_merkle_frontier_init(pp_merkle_frontier_t *f);

/* pp_merkle_frontier_append adds one leaf given by its leaf hash, in
 * O(log n) node hashes.  Errors: PP_ERR_INVALID_PARAM when the tree already
 * holds 2^64 - 1 leaves. */
pp_err_t pp_merkle_frontier_append(pp_merkle_frontier_t *f,
                                   const unsigned char leaf_hash[PP_MERKLE_HASH_LEN]);

/* pp_merkle_frontier_push is pp_merkle_frontier_append that also reports
 * the perfect subtrees the new leaf completes, so a store can keep a node
 * cache (see pp_merkle_source_t.node) as it appends.  After it, for
 * i < *count, nodes[i] is the hash of the subtree of 2^(i+1) leaves that
 * ends with the new leaf (level i + 1, index (f->size >> (i + 1)) - 1);
 * *count is the number of trailing zero bits of the new size.  `nodes` has
 * room for 64 hashes.  Errors as pp_merkle_frontier_append; nothing is
 * written on error. */
pp_err_t pp_merkle_frontier_push(pp_merkle_frontier_t *f,
                                 const unsigned char leaf_hash[PP_MERKLE_HASH_LEN],
                                 pp_merkle_hash_t nodes[64], unsigned *count);

/* pp_merkle_frontier_root writes the root of the tree `f` describes (equal
 * to pp_merkle_root over the same leaves) into `out`, in O(log n). */
void pp_merkle_frontier_root(const pp_merkle_frontier_t *f, unsigned char out[PP_MERKLE_HASH_LEN]);

/* pp_merkle_frontier_load rebuilds into `f` the frontier of the first `n`
 * leaves of `src` (one perfect subtree hash per set bit of n).  Errors:
 * PP_ERR_INVALID_PARAM, or whatever src->leaf returned; `f` is written only
 * on success. */
pp_err_t pp_merkle_frontier_load(pp_merkle_frontier_t *f, const pp_merkle_source_t *src,
                                 uint64_t n);

#endif

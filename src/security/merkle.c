/* merkle.c: RFC 9162 Merkle tree hash, audit paths, consistency proofs,
 * their verifiers (section 2.1) and the compact frontier. */
#include "security/merkle.h"

#include <sodium.h>
#include <string.h>

_Static_assert(PP_MERKLE_HASH_LEN == crypto_hash_sha256_BYTES, "SHA-256 size");

void pp_merkle_leaf_hash(const void *data, size_t len, unsigned char out[PP_MERKLE_HASH_LEN]) {
  static const unsigned char prefix = 0x00;
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &prefix, 1);
  if (len) crypto_hash_sha256_update(&st, data, len);
  crypto_hash_sha256_final(&st, out);
}

void pp_merkle_node_hash(const unsigned char left[PP_MERKLE_HASH_LEN],
                         const unsigned char right[PP_MERKLE_HASH_LEN],
                         unsigned char out[PP_MERKLE_HASH_LEN]) {
  unsigned char buf[1 + 2 * PP_MERKLE_HASH_LEN];
  buf[0] = 0x01;
  memcpy(buf + 1, left, PP_MERKLE_HASH_LEN);
  memcpy(buf + 1 + PP_MERKLE_HASH_LEN, right, PP_MERKLE_HASH_LEN);
  crypto_hash_sha256(out, buf, sizeof buf);
}

static void empty_root(unsigned char out[PP_MERKLE_HASH_LEN]) {
  crypto_hash_sha256(out, NULL, 0);
}

/* split returns the largest power of two smaller than n (n >= 2). */
static uint64_t split(uint64_t n) {
  return 1ULL << (63 - __builtin_clzll(n - 1));
}

static bool is_pow2(uint64_t n) {
  return n && !(n & (n - 1));
}

static bool hash_eq(const unsigned char *a, const unsigned char *b) {
  return sodium_memcmp(a, b, PP_MERKLE_HASH_LEN) == 0;
}

/* mth writes MTH(D[lo:lo+n]) (n >= 1) into out.  Every left subtree met on
 * the way down is perfect and aligned, so the source's node cache applies
 * to it; the recursion is at most 64 deep. */
static pp_err_t mth(const pp_merkle_source_t *s, uint64_t lo, uint64_t n,
                    unsigned char out[PP_MERKLE_HASH_LEN]) {
  if (n == 1) return s->leaf(s->ctx, lo, out);
  if (s->node && is_pow2(n) && !(lo & (n - 1))) {
    unsigned level = (unsigned)__builtin_ctzll(n);
    if (s->node(s->ctx, level, lo >> level, out)) return PP_OK;
  }
  uint64_t k = split(n);
  unsigned char l[PP_MERKLE_HASH_LEN], r[PP_MERKLE_HASH_LEN];
  pp_err_t e = mth(s, lo, k, l);
  if (e == PP_OK) e = mth(s, lo + k, n - k, r);
  if (e == PP_OK) pp_merkle_node_hash(l, r, out);
  return e;
}

pp_err_t pp_merkle_root(const pp_merkle_source_t *src, uint64_t n,
                        unsigned char out[PP_MERKLE_HASH_LEN]) {
  if (!src || !src->leaf || !out) return PP_ERR_INVALID_PARAM;
  if (n == 0) {
    empty_root(out);
    return PP_OK;
  }
  unsigned char h[PP_MERKLE_HASH_LEN];
  pp_err_t e = mth(src, 0, n, h);
  if (e == PP_OK) memcpy(out, h, sizeof h);
  return e;
}

/* ---- Inclusion --------------------------------------------------------- */

/* The walk from the root down to leaf m of D[n] (RFC 9162 2.1.3.1): at each
 * level the proof gets the hash of the sibling subtree [sib_lo, sib_lo +
 * sib_n).  The proof lists these bottom-up, the walk finds them top-down. */
pp_err_t pp_merkle_inclusion_proof(const pp_merkle_source_t *src, uint64_t m, uint64_t n,
                                   pp_merkle_hash_t *out, size_t cap, size_t *count) {
  if (!src || !src->leaf || !count || m >= n) return PP_ERR_INVALID_PARAM;
  size_t depth = 0;
  for (uint64_t size = n, idx = m; size > 1; depth++) {
    uint64_t k = split(size);
    if (idx < k) {
      size = k;
    } else {
      idx -= k;
      size -= k;
    }
  }
  if (depth > cap || (depth && !out)) return PP_ERR_INVALID_PARAM;
  pp_merkle_hash_t tmp[PP_MERKLE_MAX_PROOF];
  uint64_t lo = 0, size = n, idx = m;
  for (size_t d = 0; size > 1; d++) {
    uint64_t k = split(size);
    pp_err_t e;
    if (idx < k) {
      e = mth(src, lo + k, size - k, tmp[depth - 1 - d]);
      size = k;
    } else {
      e = mth(src, lo, k, tmp[depth - 1 - d]);
      lo += k;
      idx -= k;
      size -= k;
    }
    if (e != PP_OK) return e;
  }
  if (depth) memcpy(out, tmp, depth * sizeof tmp[0]);
  *count = depth;
  return PP_OK;
}

/* RFC 9162 (2.1.3.2, 2.1.4.2): right-shift fn and sn equally until fn is
 * odd or 0. */
static void shift_to_odd(uint64_t *fn, uint64_t *sn) {
  while (!(*fn & 1) && *fn != 0) {
    *fn >>= 1;
    *sn >>= 1;
  }
}

/* RFC 9162's step over one proof node (2.1.3.2 step 4, 2.1.4.2 step 6):
 * true when the node goes on the left (fn odd, or fn == sn), false when on
 * the right; moves fn and sn on for the next node. */
static bool proof_node_on_left(uint64_t *fn, uint64_t *sn) {
  bool left = (*fn & 1) || *fn == *sn;
  if (left) shift_to_odd(fn, sn);
  *fn >>= 1;
  *sn >>= 1;
  return left;
}

bool pp_merkle_verify_inclusion(uint64_t m, uint64_t n,
                                const unsigned char leaf_hash[PP_MERKLE_HASH_LEN],
                                const pp_merkle_hash_t *proof, size_t count,
                                const unsigned char root[PP_MERKLE_HASH_LEN]) {
  if (!leaf_hash || !root || (count && !proof) || m >= n || count > PP_MERKLE_MAX_PROOF)
    return false;
  uint64_t fn = m, sn = n - 1;
  unsigned char r[PP_MERKLE_HASH_LEN];
  memcpy(r, leaf_hash, sizeof r);
  for (size_t i = 0; i < count; i++) {
    if (sn == 0) return false;
    if (proof_node_on_left(&fn, &sn))
      pp_merkle_node_hash(proof[i], r, r);
    else
      pp_merkle_node_hash(r, proof[i], r);
  }
  return sn == 0 && hash_eq(r, root);
}

/* ---- Consistency ------------------------------------------------------- */

/* SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1, unrolled: walking down, each
 * level appends the hash of the subtree not shared with the path to m's
 * root; the recursion appends after its sub-proof, so the list is built in
 * reverse.  When the walk ends on a subtree that is not the old root itself
 * (b false), that subtree's hash comes first. */
static size_t consistency_walk(const pp_merkle_source_t *src, uint64_t m, uint64_t n,
                               pp_merkle_hash_t *tmp, pp_err_t *err) {
  size_t d = 0;
  uint64_t lo = 0, size = n;
  bool b = true;
  *err = PP_OK;
  while (m != size) {
    uint64_t k = split(size);
    if (m <= k) {
      if (tmp && (*err = mth(src, lo + k, size - k, tmp[d])) != PP_OK) return 0;
      size = k;
    } else {
      if (tmp && (*err = mth(src, lo, k, tmp[d])) != PP_OK) return 0;
      lo += k;
      m -= k;
      size -= k;
      b = false;
    }
    d++;
  }
  if (!b) {
    if (tmp && (*err = mth(src, lo, size, tmp[d])) != PP_OK) return 0;
    d++;
  }
  return d;
}

pp_err_t pp_merkle_consistency_proof(const pp_merkle_source_t *src, uint64_t m, uint64_t n,
                                     pp_merkle_hash_t *out, size_t cap, size_t *count) {
  if (!src || !src->leaf || !count || m > n) return PP_ERR_INVALID_PARAM;
  if (m == 0 || m == n) {
    *count = 0;
    return PP_OK;
  }
  pp_err_t e;
  size_t len = consistency_walk(src, m, n, NULL, &e);
  if (len > cap || !out) return PP_ERR_INVALID_PARAM;
  pp_merkle_hash_t tmp[PP_MERKLE_MAX_PROOF];
  consistency_walk(src, m, n, tmp, &e);
  if (e != PP_OK) return e;
  for (size_t i = 0; i < len; i++) memcpy(out[i], tmp[len - 1 - i], PP_MERKLE_HASH_LEN);
  *count = len;
  return PP_OK;
}

bool pp_merkle_verify_consistency(uint64_t m, uint64_t n,
                                  const unsigned char root_m[PP_MERKLE_HASH_LEN],
                                  const unsigned char root_n[PP_MERKLE_HASH_LEN],
                                  const pp_merkle_hash_t *proof, size_t count) {
  if (m > n || (count && !proof) || count > PP_MERKLE_MAX_PROOF) return false;
  if (m == 0) return count == 0;
  if (!root_m || !root_n) return false;
  if (m == n) return count == 0 && hash_eq(root_m, root_n);
  if (count == 0) return false;
  /* When m is a power of two the old root is a node of the new tree and the
   * path starts from it (the RFC prepends first_hash). */
  size_t i = 0;
  const unsigned char *start = root_m;
  if (!is_pow2(m)) start = proof[i++];
  uint64_t fn = m - 1, sn = n - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  unsigned char fr[PP_MERKLE_HASH_LEN], sr[PP_MERKLE_HASH_LEN];
  memcpy(fr, start, sizeof fr);
  memcpy(sr, start, sizeof sr);
  for (; i < count; i++) {
    if (sn == 0) return false;
    if (proof_node_on_left(&fn, &sn)) {
      pp_merkle_node_hash(proof[i], fr, fr);
      pp_merkle_node_hash(proof[i], sr, sr);
    } else {
      pp_merkle_node_hash(sr, proof[i], sr);
    }
  }
  return sn == 0 && hash_eq(fr, root_m) && hash_eq(sr, root_n);
}

/* ---- Compact frontier -------------------------------------------------- */

void pp_merkle_frontier_init(pp_merkle_frontier_t *f) {
  memset(f, 0, sizeof *f);
}

pp_err_t pp_merkle_frontier_push(pp_merkle_frontier_t *f,
                                 const unsigned char leaf_hash[PP_MERKLE_HASH_LEN],
                                 pp_merkle_hash_t nodes[64], unsigned *count) {
  if (!f || !leaf_hash || f->size == UINT64_MAX) return PP_ERR_INVALID_PARAM;
  unsigned char carry[PP_MERKLE_HASH_LEN];
  memcpy(carry, leaf_hash, sizeof carry);
  unsigned i = 0;
  /* Adding one carries through the low set bits: each is a perfect subtree
   * that merges with the new right neighbour into one twice its size. */
  for (; (f->size >> i) & 1; i++) {
    pp_merkle_node_hash(f->hashes[i], carry, carry);
    if (nodes) memcpy(nodes[i], carry, sizeof carry);
  }
  memcpy(f->hashes[i], carry, sizeof carry);
  f->size++;
  if (count) *count = i;
  return PP_OK;
}

pp_err_t pp_merkle_frontier_append(pp_merkle_frontier_t *f,
                                   const unsigned char leaf_hash[PP_MERKLE_HASH_LEN]) {
  return pp_merkle_frontier_push(f, leaf_hash, NULL, NULL);
}

void pp_merkle_frontier_root(const pp_merkle_frontier_t *f, unsigned char out[PP_MERKLE_HASH_LEN]) {
  if (f->size == 0) {
    empty_root(out);
    return;
  }
  /* The smallest subtree is the rightmost; fold leftwards, as MTH's right
   * spine does. */
  unsigned i = (unsigned)__builtin_ctzll(f->size);
  unsigned char r[PP_MERKLE_HASH_LEN];
  memcpy(r, f->hashes[i], sizeof r);
  for (i++; i < 64; i++)
    if ((f->size >> i) & 1) pp_merkle_node_hash(f->hashes[i], r, r);
  memcpy(out, r, sizeof r);
}

pp_err_t pp_merkle_frontier_load(pp_merkle_frontier_t *f, const pp_merkle_source_t *src,
                                 uint64_t n) {
  if (!f || !src || !src->leaf) return PP_ERR_INVALID_PARAM;
  pp_merkle_frontier_t tmp;
  pp_merkle_frontier_init(&tmp);
  uint64_t lo = 0;
  for (int i = 63; i >= 0; i--) {
    if (!((n >> i) & 1)) continue;
    pp_err_t e = mth(src, lo, 1ULL << i, tmp.hashes[i]);
    if (e != PP_OK) return e;
    lo += 1ULL << i;
  }
  tmp.size = n;
  memcpy(f, &tmp, sizeof tmp);
  return PP_OK;
}

/* Merkle tree: the RFC 6962 reference vectors (google/certificate-
 * transparency, cpp/merkletree/merkle_tree_test.cc), every inclusion and
 * consistency proof for all sizes up to 64 against an independent naive
 * implementation, tamper rejection, node-cache sources and the frontier. */
#include <sodium.h>
#include <stdlib.h>

#include "check.h"
#include "security/merkle.h"

#define MAXN 64

/* ---- Leaves and a naive reference ------------------------------------- */

typedef struct {
  unsigned char data[MAXN + 8][20];
  size_t len[MAXN + 8];
  pp_merkle_hash_t leaf[MAXN + 8];
  int leaf_calls;
  int fail_at; /* -1: never */
} leaves_t;

static pp_err_t get_leaf(void *ctx, uint64_t i, unsigned char out[32]) {
  leaves_t *l = ctx;
  l->leaf_calls++;
  if ((int)i == l->fail_at) return PP_ERR_INTERNAL;
  memcpy(out, l->leaf[i], 32);
  return PP_OK;
}

/* Reference hashes written straight from RFC 9162 2.1.1, sharing nothing
 * with merkle.c. */
static void ref_leaf(const unsigned char *d, size_t n, unsigned char out[32]) {
  unsigned char buf[64];
  buf[0] = 0;
  memcpy(buf + 1, d, n);
  crypto_hash_sha256(out, buf, n + 1);
}

static void ref_node(const unsigned char *l, const unsigned char *r, unsigned char out[32]) {
  unsigned char buf[65];
  buf[0] = 1;
  memcpy(buf + 1, l, 32);
  memcpy(buf + 33, r, 32);
  crypto_hash_sha256(out, buf, 65);
}

static size_t ref_split(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

static void ref_mth(leaves_t *l, size_t lo, size_t n, unsigned char out[32]) {
  if (n == 0) {
    crypto_hash_sha256(out, NULL, 0);
    return;
  }
  if (n == 1) {
    ref_leaf(l->data[lo], l->len[lo], out);
    return;
  }
  size_t k = ref_split(n);
  unsigned char a[32], b[32];
  ref_mth(l, lo, k, a);
  ref_mth(l, lo + k, n - k, b);
  ref_node(a, b, out);
}

/* PATH(m, D[lo:lo+n]) appended to out, leaf first. */
static void ref_path(leaves_t *l, size_t m, size_t lo, size_t n, pp_merkle_hash_t *out,
                     size_t *cnt) {
  if (n <= 1) return;
  size_t k = ref_split(n);
  if (m < k) {
    ref_path(l, m, lo, k, out, cnt);
    ref_mth(l, lo + k, n - k, out[(*cnt)++]);
  } else {
    ref_path(l, m - k, lo + k, n - k, out, cnt);
    ref_mth(l, lo, k, out[(*cnt)++]);
  }
}

/* SUBPROOF(m, D[lo:lo+n], b) appended to out. */
static void ref_subproof(leaves_t *l, size_t m, size_t lo, size_t n, bool b, pp_merkle_hash_t *out,
                         size_t *cnt) {
  if (m == n) {
    if (!b) ref_mth(l, lo, n, out[(*cnt)++]);
    return;
  }
  size_t k = ref_split(n);
  if (m <= k) {
    ref_subproof(l, m, lo, k, b, out, cnt);
    ref_mth(l, lo + k, n - k, out[(*cnt)++]);
  } else {
    ref_subproof(l, m - k, lo + k, n - k, false, out, cnt);
    ref_mth(l, lo, k, out[(*cnt)++]);
  }
}

static void hex2bin(const char *hex, unsigned char *out, size_t n) {
  size_t got = 0;
  sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL);
}

static bool hash_is(const unsigned char *h, const char *hex) {
  unsigned char want[32];
  hex2bin(hex, want, 32);
  return memcmp(h, want, 32) == 0;
}

/* ---- The RFC 6962 reference tree --------------------------------------- */

static const char *KAT_INPUTS[8] = {"",
                                    "00",
                                    "10",
                                    "2021",
                                    "3031",
                                    "40414243",
                                    "5051525354555657",
                                    "606162636465666768696a6b6c6d6e6f"};

static const char *KAT_ROOTS[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

static const char *EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* Audit paths from the same file (leaf numbers there are 1-based; here the
 * index is 0-based). */
static const struct {
  uint64_t m, n;
  size_t len;
  const char *path[3];
} KAT_PATHS[] = {
    {0, 1, 0, {NULL, NULL, NULL}},
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", NULL, NULL}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct {
  uint64_t m, n;
  size_t len;
  const char *proof[3];
} KAT_PROOFS[] = {
    {1, 1, 0, {NULL, NULL, NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", NULL}},
};

static void kat_leaves(leaves_t *l) {
  memset(l, 0, sizeof *l);
  l->fail_at = -1;
  for (int i = 0; i < 8; i++) {
    size_t got = 0;
    sodium_hex2bin(l->data[i], sizeof l->data[i], KAT_INPUTS[i], strlen(KAT_INPUTS[i]), NULL, &got,
                   NULL);
    l->len[i] = got;
    pp_merkle_leaf_hash(l->data[i], l->len[i], l->leaf[i]);
  }
}

static void test_vectors(void) {
  leaves_t l;
  kat_leaves(&l);
  pp_merkle_source_t src = {get_leaf, NULL, &l};
  unsigned char root[32];
  CHECK_EQ_INT(pp_merkle_root(&src, 0, root), PP_OK);
  CHECK(hash_is(root, EMPTY_ROOT));
  pp_merkle_frontier_t f;
  pp_merkle_frontier_init(&f);
  pp_merkle_frontier_root(&f, root);
  CHECK(hash_is(root, EMPTY_ROOT));
  for (int n = 1; n <= 8; n++) {
    CHECK_EQ_INT(pp_merkle_root(&src, (uint64_t)n, root), PP_OK);
    CHECK(hash_is(root, KAT_ROOTS[n - 1]));
    CHECK_EQ_INT(pp_merkle_frontier_append(&f, l.leaf[n - 1]), PP_OK);
    pp_merkle_frontier_root(&f, root);
    CHECK(hash_is(root, KAT_ROOTS[n - 1]));
  }

  for (size_t i = 0; i < sizeof KAT_PATHS / sizeof KAT_PATHS[0]; i++) {
    pp_merkle_hash_t proof[PP_MERKLE_MAX_PROOF];
    size_t cnt = 99;
    CHECK_EQ_INT(pp_merkle_inclusion_proof(&src, KAT_PATHS[i].m, KAT_PATHS[i].n, proof,
                                           PP_MERKLE_MAX_PROOF, &cnt),
                 PP_OK);
    CHECK_EQ_INT(cnt, KAT_PATHS[i].len);
    for (size_t j = 0; j < cnt && j < 3; j++) CHECK(hash_is(proof[j], KAT_PATHS[i].path[j]));
    unsigned char r[32];
    hex2bin(KAT_ROOTS[KAT_PATHS[i].n - 1], r, 32);
    CHECK(pp_merkle_verify_inclusion(KAT_PATHS[i].m, KAT_PATHS[i].n, l.leaf[KAT_PATHS[i].m], proof,
                                     cnt, r));
  }

  for (size_t i = 0; i < sizeof KAT_PROOFS / sizeof KAT_PROOFS[0]; i++) {
    pp_merkle_hash_t proof[PP_MERKLE_MAX_PROOF];
    size_t cnt = 99;
    CHECK_EQ_INT(pp_merkle_consistency_proof(&src, KAT_PROOFS[i].m, KAT_PROOFS[i].n, proof,
                                             PP_MERKLE_MAX_PROOF, &cnt),
                 PP_OK);
    CHECK_EQ_INT(cnt, KAT_PROOFS[i].len);
    for (size_t j = 0; j < cnt && j < 3; j++) CHECK(hash_is(proof[j], KAT_PROOFS[i].proof[j]));
    unsigned char r1[32], r2[32];
    hex2bin(KAT_ROOTS[KAT_PROOFS[i].m - 1], r1, 32);
    hex2bin(KAT_ROOTS[KAT_PROOFS[i].n - 1], r2, 32);
    CHECK(pp_merkle_verify_consistency(KAT_PROOFS[i].m, KAT_PROOFS[i].n, r1, r2, proof, cnt));
  }
}

/* ---- Exhaustive cross-check up to 64 leaves ---------------------------- */

static void many_leaves(leaves_t *l) {
  memset(l, 0, sizeof *l);
  l->fail_at = -1;
  for (int i = 0; i < MAXN + 8; i++) {
    l->len[i] = (size_t)(i % 20);
    for (size_t j = 0; j < l->len[i]; j++) l->data[i][j] = (unsigned char)(i * 7 + j);
    pp_merkle_leaf_hash(l->data[i], l->len[i], l->leaf[i]);
  }
}

/* inclusion_accepts_tampered counts how many tampered variants of a good
 * proof are (wrongly) accepted. */
static int inclusion_accepts_tampered(uint64_t m, uint64_t n, const unsigned char *leaf,
                                      pp_merkle_hash_t *proof, size_t cnt,
                                      const unsigned char *root) {
  int bad = 0;
  unsigned char other[32];
  memcpy(other, leaf, 32);
  other[0] ^= 1;
  if (pp_merkle_verify_inclusion(m, n, other, proof, cnt, root)) bad++;
  memcpy(other, root, 32);
  other[31] ^= 0x80;
  if (pp_merkle_verify_inclusion(m, n, leaf, proof, cnt, other)) bad++;
  /* Wrong index or size, as certificate-transparency's verifier test does
   * (n + 1 is not among them: a proof can fit the next size too). */
  if (m > 0 && pp_merkle_verify_inclusion(m - 1, n, leaf, proof, cnt, root)) bad++;
  if (pp_merkle_verify_inclusion(m + 1, n, leaf, proof, cnt, root)) bad++;
  if (pp_merkle_verify_inclusion(m ^ 2, n, leaf, proof, cnt, root)) bad++;
  if (pp_merkle_verify_inclusion(m, n * 2, leaf, proof, cnt, root)) bad++;
  if (pp_merkle_verify_inclusion(m, n / 2, leaf, proof, cnt, root)) bad++;
  if (pp_merkle_verify_inclusion(n, n, leaf, proof, cnt, root)) bad++;
  for (size_t j = 0; j < cnt; j++)
    for (int bit = 0; bit < 256; bit += 37) {
      proof[j][bit / 8] ^= (unsigned char)(1u << (bit % 8));
      if (pp_merkle_verify_inclusion(m, n, leaf, proof, cnt, root)) bad++;
      proof[j][bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
  /* Extra hash at the end, one missing, one swapped with its neighbour. */
  memcpy(proof[cnt], root, 32);
  if (pp_merkle_verify_inclusion(m, n, leaf, proof, cnt + 1, root)) bad++;
  if (cnt && pp_merkle_verify_inclusion(m, n, leaf, proof, cnt - 1, root)) bad++;
  for (size_t j = 0; j + 1 < cnt; j++) {
    if (memcmp(proof[j], proof[j + 1], 32) == 0) continue;
    unsigned char t[32];
    memcpy(t, proof[j], 32);
    memcpy(proof[j], proof[j + 1], 32);
    memcpy(proof[j + 1], t, 32);
    if (pp_merkle_verify_inclusion(m, n, leaf, proof, cnt, root)) bad++;
    memcpy(proof[j + 1], proof[j], 32);
    memcpy(proof[j], t, 32);
  }
  return bad;
}

static int consistency_accepts_tampered(uint64_t m, uint64_t n, const unsigned char *r1,
                                        const unsigned char *r2, pp_merkle_hash_t *proof,
                                        size_t cnt) {
  int bad = 0;
  unsigned char other[32];
  memcpy(other, r1, 32);
  other[5] ^= 4;
  if (pp_merkle_verify_consistency(m, n, other, r2, proof, cnt)) bad++;
  memcpy(other, r2, 32);
  other[9] ^= 1;
  if (pp_merkle_verify_consistency(m, n, r1, other, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m, n, r2, r1, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m - 1, n, r1, r2, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m + 1, n, r1, r2, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m ^ 2, n, r1, r2, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m, n * 2, r1, r2, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m, n / 2, r1, r2, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(n, m, r2, r1, proof, cnt)) bad++;
  if (pp_merkle_verify_consistency(m, n, r1, r2, proof, 0)) bad++;
  for (size_t j = 0; j < cnt; j++)
    for (int bit = 0; bit < 256; bit += 41) {
      proof[j][bit / 8] ^= (unsigned char)(1u << (bit % 8));
      if (pp_merkle_verify_consistency(m, n, r1, r2, proof, cnt)) bad++;
      proof[j][bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
  memcpy(proof[cnt], proof[cnt - 1], 32);
  if (pp_merkle_verify_consistency(m, n, r1, r2, proof, cnt + 1)) bad++;
  if (pp_merkle_verify_consistency(m, n, r1, r2, proof, cnt - 1)) bad++;
  if (pp_merkle_verify_consistency(m, n, r1, r2, proof + 1, cnt - 1)) bad++;
  return bad;
}

static void test_exhaustive(void) {
  leaves_t *l = malloc(sizeof *l);
  many_leaves(l);
  pp_merkle_source_t src = {get_leaf, NULL, l};
  unsigned char roots[MAXN + 1][32];
  int root_mismatch = 0, frontier_mismatch = 0, load_mismatch = 0;
  pp_merkle_frontier_t f;
  pp_merkle_frontier_init(&f);
  for (uint64_t n = 0; n <= MAXN; n++) {
    unsigned char want[32], got[32];
    ref_mth(l, 0, n, want);
    CHECK_EQ_INT(pp_merkle_root(&src, n, roots[n]), PP_OK);
    if (memcmp(roots[n], want, 32) != 0) root_mismatch++;
    if (n > 0) pp_merkle_frontier_append(&f, l->leaf[n - 1]);
    CHECK_EQ_INT(f.size, n);
    pp_merkle_frontier_root(&f, got);
    if (memcmp(got, want, 32) != 0) frontier_mismatch++;
    pp_merkle_frontier_t g;
    CHECK_EQ_INT(pp_merkle_frontier_load(&g, &src, n), PP_OK);
    pp_merkle_frontier_root(&g, got);
    if (memcmp(got, want, 32) != 0 || g.size != n) load_mismatch++;
    for (int i = 0; i < 64; i++)
      if (((n >> i) & 1) && memcmp(g.hashes[i], f.hashes[i], 32) != 0) load_mismatch++;
  }
  CHECK_EQ_INT(root_mismatch, 0);
  CHECK_EQ_INT(frontier_mismatch, 0);
  CHECK_EQ_INT(load_mismatch, 0);

  int path_mismatch = 0, path_rejected = 0, path_tamper = 0;
  int cons_mismatch = 0, cons_rejected = 0, cons_tamper = 0, checked = 0;
  for (uint64_t n = 1; n <= MAXN; n++) {
    for (uint64_t m = 0; m < n; m++) {
      pp_merkle_hash_t proof[PP_MERKLE_MAX_PROOF + 1], want[PP_MERKLE_MAX_PROOF];
      size_t cnt = 0, wcnt = 0;
      CHECK_EQ_INT(pp_merkle_inclusion_proof(&src, m, n, proof, PP_MERKLE_MAX_PROOF, &cnt), PP_OK);
      ref_path(l, m, 0, n, want, &wcnt);
      if (cnt != wcnt || memcmp(proof, want, cnt * 32) != 0) path_mismatch++;
      if (!pp_merkle_verify_inclusion(m, n, l->leaf[m], proof, cnt, roots[n])) path_rejected++;
      path_tamper += inclusion_accepts_tampered(m, n, l->leaf[m], proof, cnt, roots[n]);
      checked++;
    }
    for (uint64_t m = 1; m <= n; m++) {
      pp_merkle_hash_t proof[PP_MERKLE_MAX_PROOF + 1], want[PP_MERKLE_MAX_PROOF];
      size_t cnt = 0, wcnt = 0;
      CHECK_EQ_INT(pp_merkle_consistency_proof(&src, m, n, proof, PP_MERKLE_MAX_PROOF, &cnt),
                   PP_OK);
      ref_subproof(l, m, 0, n, true, want, &wcnt);
      if (cnt != wcnt || memcmp(proof, want, cnt * 32) != 0) cons_mismatch++;
      if (!pp_merkle_verify_consistency(m, n, roots[m], roots[n], proof, cnt)) cons_rejected++;
      if (m < n) cons_tamper += consistency_accepts_tampered(m, n, roots[m], roots[n], proof, cnt);
      checked++;
    }
  }
  CHECK_EQ_INT(checked, 64 * 65);
  CHECK_EQ_INT(path_mismatch, 0);
  CHECK_EQ_INT(path_rejected, 0);
  CHECK_EQ_INT(path_tamper, 0);
  CHECK_EQ_INT(cons_mismatch, 0);
  CHECK_EQ_INT(cons_rejected, 0);
  CHECK_EQ_INT(cons_tamper, 0);
  free(l);
}

/* ---- Edge cases, errors, node caches, big frontiers -------------------- */

static void test_edges(void) {
  leaves_t *l = malloc(sizeof *l);
  many_leaves(l);
  pp_merkle_source_t src = {get_leaf, NULL, l};
  pp_merkle_hash_t proof[PP_MERKLE_MAX_PROOF];
  size_t cnt = 7;
  unsigned char r5[32], r8[32], empty[32];
  pp_merkle_root(&src, 5, r5);
  pp_merkle_root(&src, 8, r8);
  pp_merkle_root(&src, 0, empty);

  CHECK_EQ_INT(pp_merkle_inclusion_proof(&src, 5, 5, proof, PP_MERKLE_MAX_PROOF, &cnt),
               PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_merkle_inclusion_proof(&src, 0, 0, proof, PP_MERKLE_MAX_PROOF, &cnt),
               PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_merkle_inclusion_proof(&src, 0, 8, proof, 2, &cnt), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_merkle_consistency_proof(&src, 6, 5, proof, PP_MERKLE_MAX_PROOF, &cnt),
               PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_merkle_consistency_proof(&src, 3, 8, proof, 1, &cnt), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(cnt, 7); /* untouched on failure */
  CHECK_EQ_INT(pp_merkle_consistency_proof(&src, 0, 8, proof, 0, &cnt), PP_OK);
  CHECK_EQ_INT(cnt, 0);
  CHECK_EQ_INT(pp_merkle_consistency_proof(&src, 8, 8, NULL, 0, &cnt), PP_OK);
  CHECK_EQ_INT(cnt, 0);

  /* Verifier edge cases. */
  CHECK(pp_merkle_verify_consistency(0, 0, empty, empty, NULL, 0));
  CHECK(pp_merkle_verify_consistency(0, 5, empty, r5, NULL, 0));
  CHECK(!pp_merkle_verify_consistency(0, 5, empty, r5, proof, 1));
  CHECK(pp_merkle_verify_consistency(5, 5, r5, r5, NULL, 0));
  CHECK(!pp_merkle_verify_consistency(5, 5, r5, r8, NULL, 0));
  CHECK(!pp_merkle_verify_consistency(5, 5, r5, r5, proof, 1));
  CHECK(!pp_merkle_verify_consistency(8, 5, r8, r5, NULL, 0));
  CHECK(!pp_merkle_verify_consistency(5, 8, r5, r8, NULL, 0));
  CHECK(!pp_merkle_verify_inclusion(0, 0, l->leaf[0], NULL, 0, empty));
  CHECK(pp_merkle_verify_inclusion(0, 1, l->leaf[0], NULL, 0, l->leaf[0]));
  CHECK(!pp_merkle_verify_inclusion(0, 2, l->leaf[0], NULL, 0, l->leaf[0]));
  CHECK(!pp_merkle_verify_inclusion(0, 8, l->leaf[0], proof, PP_MERKLE_MAX_PROOF + 1, r8));

  /* A failing source: the error comes back unchanged. */
  l->fail_at = 5;
  unsigned char out[32];
  memset(out, 0xAA, 32);
  CHECK_EQ_INT(pp_merkle_root(&src, 8, out), PP_ERR_INTERNAL);
  CHECK(out[0] == 0xAA && out[31] == 0xAA);
  CHECK_EQ_INT(pp_merkle_root(&src, 5, out), PP_OK);
  CHECK_EQ_INT(pp_merkle_inclusion_proof(&src, 0, 8, proof, PP_MERKLE_MAX_PROOF, &cnt),
               PP_ERR_INTERNAL);
  CHECK_EQ_INT(pp_merkle_consistency_proof(&src, 3, 8, proof, PP_MERKLE_MAX_PROOF, &cnt),
               PP_ERR_INTERNAL);
  pp_merkle_frontier_t f;
  pp_merkle_frontier_init(&f);
  f.size = 12345;
  CHECK_EQ_INT(pp_merkle_frontier_load(&f, &src, 8), PP_ERR_INTERNAL);
  CHECK_EQ_INT(f.size, 12345);
  l->fail_at = -1;
  free(l);
}

/* A big tree (4099 leaves) with a node cache that knows every perfect
 * subtree: same answers, and far fewer leaf reads. */
#define BIG 4099
typedef struct {
  pp_merkle_hash_t *leaf;
  pp_merkle_hash_t *level[13]; /* level[k][i]: subtree of 2^k leaves at i << k */
  int leaf_calls, node_calls;
} big_t;

static pp_err_t big_leaf(void *ctx, uint64_t i, unsigned char out[32]) {
  big_t *b = ctx;
  b->leaf_calls++;
  memcpy(out, b->leaf[i], 32);
  return PP_OK;
}

static bool big_node(void *ctx, unsigned level, uint64_t i, unsigned char out[32]) {
  big_t *b = ctx;
  b->node_calls++;
  if (level >= 13 || ((i + 1) << level) > BIG) return false;
  memcpy(out, b->level[level][i], 32);
  return true;
}

static void test_big_and_cache(void) {
  big_t b = {0};
  b.leaf = malloc(BIG * sizeof *b.leaf);
  for (int i = 0; i < BIG; i++) {
    unsigned char d[4] = {(unsigned char)(i >> 8), (unsigned char)i, 0xfe, 0xed};
    pp_merkle_leaf_hash(d, sizeof d, b.leaf[i]);
  }
  b.level[0] = b.leaf;
  for (int k = 1; k < 13; k++) {
    size_t cnt = BIG >> k;
    b.level[k] = malloc((cnt ? cnt : 1) * sizeof(pp_merkle_hash_t));
    for (size_t i = 0; i < cnt; i++)
      pp_merkle_node_hash(b.level[k - 1][2 * i], b.level[k - 1][2 * i + 1], b.level[k][i]);
  }
  pp_merkle_source_t plain = {big_leaf, NULL, &b}, cached = {big_leaf, big_node, &b};

  pp_merkle_frontier_t f;
  pp_merkle_frontier_init(&f);
  int mismatches = 0;
  for (uint64_t n = 1; n <= BIG; n++) {
    pp_merkle_frontier_append(&f, b.leaf[n - 1]);
    if (n % 97 != 0 && n != BIG && n != 4096) continue;
    unsigned char a[32], c[32], fr[32];
    pp_merkle_root(&plain, n, a);
    pp_merkle_root(&cached, n, c);
    pp_merkle_frontier_root(&f, fr);
    if (memcmp(a, c, 32) || memcmp(a, fr, 32)) mismatches++;
  }
  CHECK_EQ_INT(mismatches, 0);

  unsigned char root[32], old[32];
  pp_merkle_root(&plain, BIG, root);
  pp_merkle_root(&plain, 1000, old);
  pp_merkle_hash_t p1[PP_MERKLE_MAX_PROOF], p2[PP_MERKLE_MAX_PROOF];
  size_t c1 = 0, c2 = 0;
  b.leaf_calls = 0;
  CHECK_EQ_INT(pp_merkle_inclusion_proof(&plain, 1234, BIG, p1, PP_MERKLE_MAX_PROOF, &c1), PP_OK);
  CHECK(b.leaf_calls >= BIG - 1); /* without a cache, every other leaf is read */
  b.leaf_calls = 0;
  CHECK_EQ_INT(pp_merkle_inclusion_proof(&cached, 1234, BIG, p2, PP_MERKLE_MAX_PROOF, &c2), PP_OK);
  CHECK(b.leaf_calls <= 13);
  CHECK(c1 == c2 && memcmp(p1, p2, c1 * 32) == 0);
  CHECK(pp_merkle_verify_inclusion(1234, BIG, b.leaf[1234], p1, c1, root));

  b.leaf_calls = 0;
  CHECK_EQ_INT(pp_merkle_consistency_proof(&cached, 1000, BIG, p2, PP_MERKLE_MAX_PROOF, &c2),
               PP_OK);
  CHECK(b.leaf_calls <= 26);
  CHECK_EQ_INT(pp_merkle_consistency_proof(&plain, 1000, BIG, p1, PP_MERKLE_MAX_PROOF, &c1), PP_OK);
  CHECK(c1 == c2 && memcmp(p1, p2, c1 * 32) == 0);
  CHECK(pp_merkle_verify_consistency(1000, BIG, old, root, p1, c1));

  pp_merkle_frontier_t g;
  b.leaf_calls = 0;
  CHECK_EQ_INT(pp_merkle_frontier_load(&g, &cached, BIG), PP_OK);
  CHECK(b.leaf_calls <= 13);
  unsigned char gr[32];
  pp_merkle_frontier_root(&g, gr);
  CHECK(memcmp(gr, root, 32) == 0);
  /* Appending to a loaded frontier continues the same tree. */
  unsigned char extra[32];
  pp_merkle_leaf_hash("more", 4, extra);
  pp_merkle_frontier_append(&g, extra);
  pp_merkle_frontier_append(&f, extra);
  unsigned char r1[32], r2[32];
  pp_merkle_frontier_root(&g, r1);
  pp_merkle_frontier_root(&f, r2);
  CHECK(memcmp(r1, r2, 32) == 0);

  /* The frontier refuses to overflow. */
  pp_merkle_frontier_t full;
  pp_merkle_frontier_init(&full);
  full.size = UINT64_MAX;
  CHECK_EQ_INT(pp_merkle_frontier_append(&full, extra), PP_ERR_INVALID_PARAM);
  full.size = UINT64_MAX - 1;
  CHECK_EQ_INT(pp_merkle_frontier_append(&full, extra), PP_OK);

  for (int k = 1; k < 13; k++) free(b.level[k]);
  free(b.leaf);
}

/* pp_merkle_frontier_push reports exactly the perfect subtrees each new
 * leaf completes, with the hashes the naive MTH gives them. */
static void test_push_nodes(void) {
  leaves_t *l = malloc(sizeof *l);
  many_leaves(l);
  pp_merkle_frontier_t f, g;
  pp_merkle_frontier_init(&f);
  pp_merkle_frontier_init(&g);
  int wrong = 0, reported = 0;
  for (uint64_t n = 1; n <= MAXN; n++) {
    pp_merkle_hash_t nodes[64];
    unsigned count = 99;
    CHECK_EQ_INT(pp_merkle_frontier_push(&f, l->leaf[n - 1], nodes, &count), PP_OK);
    CHECK_EQ_INT(pp_merkle_frontier_append(&g, l->leaf[n - 1]), PP_OK);
    CHECK(memcmp(&f, &g, sizeof f) == 0);
    if (count != (unsigned)__builtin_ctzll(n)) wrong++;
    for (unsigned i = 0; i < count; i++) {
      uint64_t width = 1ULL << (i + 1);
      unsigned char want[32];
      ref_mth(l, (size_t)(n - width), (size_t)width, want);
      if (memcmp(nodes[i], want, 32) != 0) wrong++;
      reported++;
    }
  }
  CHECK_EQ_INT(wrong, 0);
  CHECK_EQ_INT(reported, MAXN - 1); /* a tree of n leaves has n - 1 inner nodes */
  free(l);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  test_vectors();
  test_exhaustive();
  test_edges();
  test_big_and_cache();
  test_push_nodes();
  return check_report("security_merkle");
}

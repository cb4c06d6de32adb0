/* Envelope encryption: DEK wrap/unwrap and master rotation, field sealing
 * bound to account/table/column/row, tamper rejection, DEK rotation, blind
 * indexes and KDF sub-keys. */
#include <sodium.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "security/envelope.h"

static const char *ACC_A = "AC0123456789abcdef0123456789abcdef";
static const char *ACC_B = "ACfedcba9876543210fedcba9876543210";

static unsigned char *master_new(void) {
  unsigned char *k = sodium_malloc(PP_KEY_LEN);
  if (k) randombytes_buf(k, PP_KEY_LEN);
  return k;
}

static void test_wrap(void) {
  unsigned char *m1 = master_new(), *m2 = master_new();
  pp_dek_t *dek = NULL, *back = NULL;
  CHECK_EQ_INT(pp_dek_new(ACC_A, 1, &dek), PP_OK);
  CHECK_EQ_STR(pp_dek_account_sid(dek), ACC_A);
  CHECK_EQ_INT(pp_dek_generation(dek), 1);

  unsigned char w[PP_DEK_WRAPPED_LEN], w2[PP_DEK_WRAPPED_LEN];
  CHECK_EQ_INT(PP_DEK_WRAPPED_LEN, 73);
  CHECK_EQ_INT(pp_dek_wrap(m1, dek, w), PP_OK);
  CHECK_EQ_INT(w[0], PP_DEK_WRAP_VERSION);
  CHECK_EQ_INT(pp_dek_wrap(m1, dek, w2), PP_OK);
  CHECK(memcmp(w, w2, sizeof w) != 0); /* fresh nonce each time */

  /* The unwrapped key is the same key: a field sealed with one opens with
   * the other. */
  pp_field_t f = {"messages", "body", "SM0123456789abcdef0123456789abcdef"};
  unsigned char blob[64 + PP_SEAL_OVERHEAD], pt[64];
  size_t blen = 0, plen = 0;
  CHECK_EQ_INT(pp_seal(dek, &f, "hello", 5, blob, sizeof blob, &blen), PP_OK);
  CHECK_EQ_INT(pp_dek_unwrap(m1, ACC_A, 1, w2, sizeof w2, &back), PP_OK);
  CHECK_EQ_INT(pp_open(back, &f, blob, blen, pt, sizeof pt, &plen), PP_OK);
  CHECK(plen == 5 && memcmp(pt, "hello", 5) == 0);
  pp_dek_free(back);
  back = NULL;

  /* Wrong master key, account or generation. */
  CHECK_EQ_INT(pp_dek_unwrap(m2, ACC_A, 1, w, sizeof w, &back), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_dek_unwrap(m1, ACC_B, 1, w, sizeof w, &back), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_dek_unwrap(m1, ACC_A, 2, w, sizeof w, &back), PP_ERR_CORRUPT);
  /* Every single flipped bit, and the wrong length. */
  int accepted = 0;
  for (size_t i = 0; i < sizeof w; i++)
    for (int bit = 0; bit < 8; bit++) {
      w[i] ^= (unsigned char)(1u << bit);
      if (pp_dek_unwrap(m1, ACC_A, 1, w, sizeof w, &back) != PP_ERR_CORRUPT) accepted++;
      w[i] ^= (unsigned char)(1u << bit);
    }
  CHECK_EQ_INT(accepted, 0);
  CHECK_EQ_INT(pp_dek_unwrap(m1, ACC_A, 1, w, sizeof w - 1, &back), PP_ERR_CORRUPT);
  CHECK(back == NULL); /* never written on failure */
  CHECK_EQ_INT(pp_dek_unwrap(m1, "", 1, w, sizeof w, &back), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_dek_unwrap(NULL, ACC_A, 1, w, sizeof w, &back), PP_ERR_INVALID_PARAM);

  /* Master rotation: rewrap under m2; m2 opens it, m1 no longer does, and
   * the old blob still opens (the DEK itself did not change). */
  unsigned char rw[PP_DEK_WRAPPED_LEN];
  CHECK_EQ_INT(pp_dek_rewrap(m1, m2, ACC_A, 1, w, sizeof w, rw), PP_OK);
  CHECK_EQ_INT(pp_dek_unwrap(m1, ACC_A, 1, rw, sizeof rw, &back), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_dek_unwrap(m2, ACC_A, 1, rw, sizeof rw, &back), PP_OK);
  CHECK_EQ_INT(pp_open(back, &f, blob, blen, pt, sizeof pt, &plen), PP_OK);
  CHECK(plen == 5 && memcmp(pt, "hello", 5) == 0);
  pp_dek_free(back);
  /* Rewrap with the wrong old master fails and leaves the output alone. */
  unsigned char before[PP_DEK_WRAPPED_LEN];
  memcpy(before, rw, sizeof rw);
  CHECK_EQ_INT(pp_dek_rewrap(m1, m2, ACC_A, 1, rw, sizeof rw, rw), PP_ERR_CORRUPT);
  CHECK(memcmp(before, rw, sizeof rw) == 0);

  /* Account SID limits. */
  char long_sid[PP_AAD_PART_MAX + 2];
  memset(long_sid, 'A', sizeof long_sid - 1);
  long_sid[sizeof long_sid - 1] = 0;
  pp_dek_t *tmp = NULL;
  CHECK_EQ_INT(pp_dek_new(long_sid, 1, &tmp), PP_ERR_INVALID_PARAM);
  long_sid[PP_AAD_PART_MAX] = 0;
  CHECK_EQ_INT(pp_dek_new(long_sid, 1, &tmp), PP_OK);
  pp_dek_free(tmp);
  CHECK_EQ_INT(pp_dek_new(NULL, 1, &tmp), PP_ERR_INVALID_PARAM);
  pp_dek_free(NULL);

  pp_dek_free(dek);
  sodium_free(m1);
  sodium_free(m2);
}

static void test_seal(void) {
  pp_dek_t *a = NULL, *b = NULL;
  CHECK_EQ_INT(pp_dek_new(ACC_A, 7, &a), PP_OK);
  CHECK_EQ_INT(pp_dek_new(ACC_B, 7, &b), PP_OK);
  pp_field_t f = {"messages", "body", "SM00000000000000000000000000000001"};

  /* Round trips over a range of lengths. */
  size_t lens[] = {0, 1, 15, 16, 17, 160, 1600, 65536};
  unsigned char *pt = malloc(65536), *blob = malloc(65536 + PP_SEAL_OVERHEAD),
                *back = malloc(65536);
  randombytes_buf(pt, 65536);
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    size_t blen = 0, plen = 1;
    CHECK_EQ_INT(pp_seal(a, &f, pt, lens[i], blob, lens[i] + PP_SEAL_OVERHEAD, &blen), PP_OK);
    CHECK_EQ_INT(blen, pp_sealed_len(lens[i]));
    CHECK_EQ_INT(blen, lens[i] + 45);
    CHECK_EQ_INT(blob[0], PP_SEAL_VERSION);
    uint32_t gen = 0;
    CHECK_EQ_INT(pp_sealed_generation(blob, blen, &gen), PP_OK);
    CHECK_EQ_INT(gen, 7);
    CHECK_EQ_INT(pp_open(a, &f, blob, blen, back, 65536, &plen), PP_OK);
    CHECK(plen == lens[i] && memcmp(back, pt, plen) == 0);
  }
  free(pt);
  free(back);
  free(blob);

  const char *msg = "Your code is 123456";
  size_t mlen = strlen(msg);
  unsigned char s[128], out[128];
  size_t slen = 0, olen = 0;
  CHECK_EQ_INT(pp_seal(a, &f, msg, mlen, s, sizeof s, &slen), PP_OK);
  CHECK(memmem(s, slen, msg, mlen) == NULL); /* no clear text in the blob */

  /* Moved to another row, column, table or account: does not open. */
  pp_field_t other_row = {"messages", "body", "SM00000000000000000000000000000002"};
  pp_field_t other_col = {"messages", "to", f.row_id};
  pp_field_t other_tab = {"calls", "body", f.row_id};
  CHECK_EQ_INT(pp_open(a, &other_row, s, slen, out, sizeof out, &olen), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_open(a, &other_col, s, slen, out, sizeof out, &olen), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_open(a, &other_tab, s, slen, out, sizeof out, &olen), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_open(b, &f, s, slen, out, sizeof out, &olen), PP_ERR_CORRUPT);
  /* Swapping two rows' ciphertexts: each fails in the other's place. */
  unsigned char s2[128];
  size_t s2len = 0;
  CHECK_EQ_INT(pp_seal(a, &other_row, "other", 5, s2, sizeof s2, &s2len), PP_OK);
  CHECK_EQ_INT(pp_open(a, &f, s2, s2len, out, sizeof out, &olen), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_open(a, &other_row, s2, s2len, out, sizeof out, &olen), PP_OK);
  /* Length prefixes: ("ab","c") and ("a","bc") are different places. */
  pp_field_t p1 = {"ab", "c", "r"}, p2 = {"a", "bc", "r"};
  unsigned char s3[64];
  size_t s3len = 0;
  CHECK_EQ_INT(pp_seal(a, &p1, "x", 1, s3, sizeof s3, &s3len), PP_OK);
  CHECK_EQ_INT(pp_open(a, &p2, s3, s3len, out, sizeof out, &olen), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_open(a, &p1, s3, s3len, out, sizeof out, &olen), PP_OK);

  /* Every flipped bit of the blob (header, nonce, ciphertext, tag) fails,
   * and so do truncations. */
  int accepted = 0;
  for (size_t i = 0; i < slen; i++)
    for (int bit = 0; bit < 8; bit++) {
      s[i] ^= (unsigned char)(1u << bit);
      if (pp_open(a, &f, s, slen, out, sizeof out, &olen) == PP_OK) accepted++;
      s[i] ^= (unsigned char)(1u << bit);
    }
  CHECK_EQ_INT(accepted, 0);
  for (size_t n = 0; n < slen; n++)
    if (pp_open(a, &f, s, n, out, sizeof out, &olen) != PP_ERR_CORRUPT) accepted++;
  CHECK_EQ_INT(accepted, 0);
  CHECK_EQ_INT(pp_open(a, &f, s, slen, out, sizeof out, &olen), PP_OK);
  CHECK(olen == mlen && memcmp(out, msg, mlen) == 0);

  /* Buffers too small; missing or too long parts. */
  CHECK_EQ_INT(pp_open(a, &f, s, slen, out, mlen - 1, &olen), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_seal(a, &f, msg, mlen, s2, mlen + PP_SEAL_OVERHEAD - 1, &s2len),
               PP_ERR_INVALID_PARAM);
  pp_field_t no_row = {"messages", "body", NULL}, empty_col = {"messages", "", "r"};
  CHECK_EQ_INT(pp_seal(a, &no_row, "x", 1, s2, sizeof s2, &s2len), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_seal(a, &empty_col, "x", 1, s2, sizeof s2, &s2len), PP_ERR_INVALID_PARAM);
  char big[PP_AAD_PART_MAX + 2];
  memset(big, 'r', sizeof big - 1);
  big[sizeof big - 1] = 0;
  pp_field_t big_row = {"messages", "body", big};
  CHECK_EQ_INT(pp_seal(a, &big_row, "x", 1, s2, sizeof s2, &s2len), PP_ERR_INVALID_PARAM);
  big[PP_AAD_PART_MAX] = 0;
  CHECK_EQ_INT(pp_seal(a, &big_row, "x", 1, s2, sizeof s2, &s2len), PP_OK);
  CHECK_EQ_INT(pp_sealed_len(SIZE_MAX), 0);

  /* pp_open_secret: sodium_malloc'd and NUL-terminated. */
  unsigned char *sec = NULL;
  size_t seclen = 0;
  CHECK_EQ_INT(pp_open_secret(a, &f, s, slen, &sec, &seclen), PP_OK);
  CHECK(seclen == mlen);
  CHECK_EQ_STR((const char *)sec, msg);
  pp_secret_free(sec);
  sec = NULL;
  CHECK_EQ_INT(pp_open_secret(a, &other_row, s, slen, &sec, &seclen), PP_ERR_CORRUPT);
  CHECK(sec == NULL);
  pp_secret_free(NULL);

  pp_dek_free(a);
  pp_dek_free(b);
}

/* DEK rotation: a new generation re-seals fields; the old DEK no longer
 * opens them and the header says which generation to fetch. */
static void test_reseal(void) {
  pp_dek_t *g1 = NULL, *g2 = NULL, *other = NULL;
  CHECK_EQ_INT(pp_dek_new(ACC_A, 1, &g1), PP_OK);
  CHECK_EQ_INT(pp_dek_new(ACC_A, 2, &g2), PP_OK);
  CHECK_EQ_INT(pp_dek_new(ACC_B, 2, &other), PP_OK);
  pp_field_t f = {"messages", "to", "SM1"};
  unsigned char s1[64], s2[64], out[64];
  size_t l1 = 0, l2 = 0, ol = 0;
  CHECK_EQ_INT(pp_seal(g1, &f, "+15551234567", 12, s1, sizeof s1, &l1), PP_OK);
  CHECK_EQ_INT(pp_reseal(g1, g2, &f, s1, l1, s2, sizeof s2, &l2), PP_OK);
  CHECK_EQ_INT(l2, l1);
  uint32_t gen = 0;
  CHECK_EQ_INT(pp_sealed_generation(s2, l2, &gen), PP_OK);
  CHECK_EQ_INT(gen, 2);
  CHECK_EQ_INT(pp_open(g1, &f, s2, l2, out, sizeof out, &ol), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_open(g2, &f, s2, l2, out, sizeof out, &ol), PP_OK);
  CHECK(ol == 12 && memcmp(out, "+15551234567", 12) == 0);
  CHECK_EQ_INT(pp_open(g2, &f, s1, l1, out, sizeof out, &ol), PP_ERR_CORRUPT);
  CHECK_EQ_INT(pp_reseal(g1, other, &f, s1, l1, s2, sizeof s2, &l2), PP_ERR_INVALID_PARAM);
  /* Two DEKs of one account and generation with different bytes (a
   * mistaken re-key): the generation matches but the key does not. */
  pp_dek_t *g1b = NULL;
  CHECK_EQ_INT(pp_dek_new(ACC_A, 1, &g1b), PP_OK);
  CHECK_EQ_INT(pp_open(g1b, &f, s1, l1, out, sizeof out, &ol), PP_ERR_CORRUPT);
  pp_dek_free(g1b);
  pp_dek_free(g1);
  pp_dek_free(g2);
  pp_dek_free(other);
}

static void test_blind_index_and_kdf(void) {
  unsigned char *m1 = master_new(), *m2 = master_new();
  unsigned char *k1 = NULL, *k1b = NULL, *k2 = NULL, *ke = NULL, *ka = NULL, *kb = NULL,
                *ka2 = NULL;
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_PHONE, NULL, &k1), PP_OK);
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_PHONE, NULL, &k1b), PP_OK);
  CHECK_EQ_INT(pp_blind_index_key_new(m2, PP_BIDX_PHONE, NULL, &k2), PP_OK);
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_EMAIL, NULL, &ke), PP_OK);
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_PHONE, ACC_A, &ka), PP_OK);
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_PHONE, ACC_B, &kb), PP_OK);
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_PHONE, ACC_A, &ka2), PP_OK);
  CHECK(sodium_memcmp(k1, k1b, PP_KEY_LEN) == 0);
  CHECK(sodium_memcmp(k1, k2, PP_KEY_LEN) != 0);
  CHECK(sodium_memcmp(k1, ke, PP_KEY_LEN) != 0);
  CHECK(sodium_memcmp(k1, m1, PP_KEY_LEN) != 0);
  CHECK(sodium_memcmp(ka, ka2, PP_KEY_LEN) == 0);
  CHECK(sodium_memcmp(ka, kb, PP_KEY_LEN) != 0);
  CHECK(sodium_memcmp(ka, k1, PP_KEY_LEN) != 0);
  unsigned char *kx = NULL;
  CHECK_EQ_INT(pp_blind_index_key_new(m1, PP_BIDX_PHONE, "", &kx), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_blind_index_key_new(NULL, PP_BIDX_PHONE, NULL, &kx), PP_ERR_INVALID_PARAM);
  CHECK(kx == NULL);

  const char *phone = "+15551234567", *phone2 = "+15551234568";
  unsigned char a[32], b[32], c[32], d[32], e[32], fa[32], fb[32], fa2[32];
  CHECK_EQ_INT(pp_blind_index(k1, phone, strlen(phone), a), PP_OK);
  CHECK_EQ_INT(pp_blind_index(k1b, phone, strlen(phone), b), PP_OK);
  CHECK_EQ_INT(pp_blind_index(k2, phone, strlen(phone), c), PP_OK);
  CHECK_EQ_INT(pp_blind_index(k1, phone2, strlen(phone2), d), PP_OK);
  CHECK_EQ_INT(pp_blind_index(ke, phone, strlen(phone), e), PP_OK);
  CHECK_EQ_INT(pp_blind_index(ka, phone, strlen(phone), fa), PP_OK);
  CHECK_EQ_INT(pp_blind_index(kb, phone, strlen(phone), fb), PP_OK);
  CHECK_EQ_INT(pp_blind_index(ka2, phone, strlen(phone), fa2), PP_OK);
  CHECK(memcmp(a, b, 32) == 0);    /* deterministic per key */
  CHECK(memcmp(a, c, 32) != 0);    /* different across master keys */
  CHECK(memcmp(a, d, 32) != 0);    /* different across values */
  CHECK(memcmp(a, e, 32) != 0);    /* different across kinds */
  CHECK(memcmp(fa, fa2, 32) == 0); /* deterministic per account */
  CHECK(memcmp(fa, fb, 32) != 0);  /* not linkable across accounts */
  CHECK(memcmp(fa, a, 32) != 0);
  CHECK_EQ_INT(pp_blind_index(k1, NULL, 0, d), PP_OK);
  CHECK_EQ_INT(pp_blind_index(k1, NULL, 1, d), PP_ERR_INVALID_PARAM);

  /* The documented construction, computed here from libsodium directly:
   * key = crypto_kdf(master, id 1, "pp-bidx"), index = SipHash-2-4-128
   * under the key's first half, then under its second half; an account's
   * key = BLAKE2b-256(account SID) keyed with that key.  The former index
   * (pp_blind_index_v1) is keyed BLAKE2b-256. */
  unsigned char sub[32], acc[32], want[32];
  const unsigned char *ph = (const unsigned char *)phone;
  crypto_kdf_derive_from_key(sub, 32, PP_BIDX_PHONE, "pp-bidx", m1);
  crypto_shorthash_siphashx24(want, ph, strlen(phone), sub);
  crypto_shorthash_siphashx24(want + 16, ph, strlen(phone), sub + 16);
  CHECK(memcmp(a, want, 32) == 0);
  crypto_generichash(acc, 32, (const unsigned char *)ACC_A, strlen(ACC_A), sub, 32);
  crypto_shorthash_siphashx24(want, ph, strlen(phone), acc);
  crypto_shorthash_siphashx24(want + 16, ph, strlen(phone), acc + 16);
  CHECK(memcmp(fa, want, 32) == 0);
  unsigned char v1[32];
  CHECK_EQ_INT(pp_blind_index_v1(sub, phone, strlen(phone), v1), PP_OK);
  crypto_generichash(want, 32, ph, strlen(phone), sub, 32);
  CHECK(memcmp(v1, want, 32) == 0);
  CHECK(memcmp(v1, a, 32) != 0);

  /* KDF sub-keys and the master key id. */
  unsigned char x[32], y[32];
  CHECK_EQ_INT(pp_kdf_derive(m1, PP_KDF_CTX_LOG, 1, x, 32), PP_OK);
  CHECK_EQ_INT(pp_kdf_derive(m1, PP_KDF_CTX_LOG, 2, y, 32), PP_OK);
  CHECK(memcmp(x, y, 32) != 0);
  CHECK_EQ_INT(pp_kdf_derive(m1, PP_KDF_CTX_LOG, 1, y, 32), PP_OK);
  CHECK(memcmp(x, y, 32) == 0);
  CHECK_EQ_INT(pp_kdf_derive(m1, PP_KDF_CTX_LOG, 1, y, 15), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_kdf_derive(m1, PP_KDF_CTX_LOG, 1, y, 65), PP_ERR_INVALID_PARAM);
  char id1[17], id1b[17], id2[17];
  CHECK_EQ_INT(pp_master_key_id(m1, id1), PP_OK);
  CHECK_EQ_INT(pp_master_key_id(m1, id1b), PP_OK);
  CHECK_EQ_INT(pp_master_key_id(m2, id2), PP_OK);
  CHECK_EQ_INT(strlen(id1), 16);
  CHECK_EQ_STR(id1, id1b);
  CHECK(strcmp(id1, id2) != 0);

  pp_secret_free(k1);
  pp_secret_free(k1b);
  pp_secret_free(k2);
  pp_secret_free(ke);
  pp_secret_free(ka);
  pp_secret_free(kb);
  pp_secret_free(ka2);
  sodium_free(m1);
  sodium_free(m2);
}

/* Nonces come from a per-thread pool: 10,000 seals never repeat one, and a
 * forked child does not reuse the nonces its parent has still to use. */
static void test_nonces(void) {
  pp_dek_t *a = NULL;
  CHECK_EQ_INT(pp_dek_new(ACC_A, 1, &a), PP_OK);
  pp_field_t f = {"messages", "body", "SM00000000000000000000000000000001"};
  enum { N = 10000 };
  unsigned char(*nonces)[PP_NONCE_LEN] = malloc((size_t)N * PP_NONCE_LEN);
  unsigned char blob[64];
  size_t blen;
  for (int i = 0; i < N; i++) {
    CHECK_EQ_INT(pp_seal(a, &f, "x", 1, blob, sizeof blob, &blen), PP_OK);
    memcpy(nonces[i], blob + 5, PP_NONCE_LEN);
  }
  int repeats = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) repeats += memcmp(nonces[i], nonces[j], PP_NONCE_LEN) == 0;
  CHECK_EQ_INT(repeats, 0);
  free(nonces);

  int fds[2];
  CHECK_EQ_INT(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    unsigned char b[64];
    size_t n;
    if (pp_seal(a, &f, "x", 1, b, sizeof b, &n) != PP_OK) _exit(2);
    _exit(write(fds[1], b + 5, PP_NONCE_LEN) == PP_NONCE_LEN ? 0 : 3);
  }
  CHECK_EQ_INT(pp_seal(a, &f, "x", 1, blob, sizeof blob, &blen), PP_OK);
  unsigned char child[PP_NONCE_LEN];
  CHECK_EQ_INT(read(fds[0], child, sizeof child), PP_NONCE_LEN);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(memcmp(child, blob + 5, PP_NONCE_LEN) != 0);
  close(fds[0]);
  close(fds[1]);
  pp_dek_free(a);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  test_wrap();
  test_seal();
  test_reseal();
  test_blind_index_and_kdf();
  test_nonces();
  return check_report("security_envelope");
}

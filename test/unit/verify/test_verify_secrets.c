/* test_verify_secrets.c: code generation and keyed hashes, with
 * known-answer vectors for every hash that is stored (made with Python's
 * hashlib.blake2b, an implementation independent of libsodium), so that a
 * change of key derivation or hash fails here before it strands stored
 * hashes. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "verify/secrets.h"

static void hex(const unsigned char *h, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Hash key: crypto_kdf (BLAKE2b, key = the master, salt = sub-key id 1,
 * personal = "pp-vrfy") of 32 bytes of 7; then keyed BLAKE2b-256 of scope
 * || 0 || value.  Reference:
 *   hk = blake2b(b'', digest_size=32, key=bytes([7])*32,
 *                salt=struct.pack('<Q', 1), person=b'pp-vrfy')
 *   blake2b(scope + b'\0' + value, digest_size=32, key=hk) */
static void known_answers(const pp_verify_keys_t *k) {
  unsigned char h[PP_VERIFY_HASH_LEN];
  char x[2 * PP_VERIFY_HASH_LEN + 1];
  /* A verification's code (scope: its SID). */
  pp_verify_hash(k, "VE0123456789abcdef0123456789abcdef", "123456", h);
  hex(h, sizeof h, x);
  CHECK_EQ_STR(x, "79cd9c260c22be499efb915b4bf9eb7747b84867698d2325033c4a15e061b591");
  /* A rate limit's key (scope: the rate limit's SID). */
  pp_verify_hash(k, "RK0123456789abcdef0123456789abcdef", "+14155550123", h);
  hex(h, sizeof h, x);
  CHECK_EQ_STR(x, "14312a16b72cc068dd42b1eb46e4d9dd17bda60d28a99aba9d19b76e672102fc");
  /* A QR code's token: blake2b(token, digest_size=32), no key. */
  pp_verify_qr_hash("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", h);
  hex(h, sizeof h, x);
  CHECK_EQ_STR(x, "d7f3fd7fdcc9f16177046430cdabd6d0a4026cf9dba60070156fe4ace3a7bfad");
}

static void qr_tokens(void) {
  char t1[2 * PP_VERIFY_QR_TOKEN_LEN + 1], t2[sizeof t1];
  unsigned char h1[PP_VERIFY_HASH_LEN], h2[PP_VERIFY_HASH_LEN], again[PP_VERIFY_HASH_LEN];
  pp_verify_qr_token_new(t1, h1);
  pp_verify_qr_token_new(t2, h2);
  CHECK_EQ_INT(strlen(t1), 2 * PP_VERIFY_QR_TOKEN_LEN);
  CHECK(strspn(t1, "0123456789abcdef") == 2 * PP_VERIFY_QR_TOKEN_LEN);
  CHECK(strcmp(t1, t2) != 0);
  pp_verify_qr_hash(t1, again);
  CHECK(memcmp(h1, again, sizeof again) == 0);
  CHECK(memcmp(h1, h2, sizeof h2) != 0);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  unsigned char master[32], other[32];
  memset(master, 7, sizeof master);
  memset(other, 8, sizeof other);
  pp_verify_keys_t *k = NULL, *k2 = NULL;
  CHECK(pp_verify_keys_new(master, &k) == PP_OK);
  CHECK(pp_verify_keys_new(other, &k2) == PP_OK);

  char code[11];
  for (int d = 4; d <= 10; d++) {
    pp_verify_code_new(d, code);
    CHECK_EQ_INT(strlen(code), d);
    CHECK(strspn(code, "0123456789") == (size_t)d);
  }

  unsigned char h1[32], h2[32], h3[32], hs[64];
  pp_verify_hash(k, "VE1", "123456", h1);
  pp_verify_hash(k, "VE2", "123456", h2);
  pp_verify_hash(k2, "VE1", "123456", h3);
  CHECK(memcmp(h1, h2, 32) != 0); /* bound to the verification */
  CHECK(memcmp(h1, h3, 32) != 0); /* and to the install's key */
  memcpy(hs, h2, 32);
  memcpy(hs + 32, h1, 32);
  CHECK(pp_verify_hash_in(hs, 2, h1));
  CHECK(!pp_verify_hash_in(hs, 1, h1));
  CHECK(!pp_verify_hash_in(hs, 2, h3));

  known_answers(k);
  qr_tokens();

  pp_verify_keys_free(k);
  pp_verify_keys_free(k2);
  pp_verify_keys_free(NULL);
  return check_report("test_verify_secrets");
}

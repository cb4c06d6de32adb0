/* test_verify_secrets.c: code generation, keyed hashes and seals. */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "verify/secrets.h"

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

  pp_verify_place_t at = {"AC1", "verify_factors", "secret", "YF1"};
  pp_verify_place_t moved = {"AC1", "verify_factors", "secret", "YF2"};
  unsigned char blob[64];
  size_t n = 0;
  CHECK(pp_verify_seal(k, &at, "secret!", 7, blob, sizeof blob, &n) == PP_OK);
  CHECK_EQ_INT(n, 7 + PP_VERIFY_SEAL_OVERHEAD);
  CHECK(memmem(blob, n, "secret!", 7) == NULL);
  unsigned char *pt = NULL;
  size_t plen = 0;
  CHECK(pp_verify_open(k, &at, blob, n, &pt, &plen) == PP_OK);
  CHECK(plen == 7 && pt && strcmp((char *)pt, "secret!") == 0);
  pp_verify_secret_free(pt);
  CHECK(pp_verify_open(k, &moved, blob, n, &pt, &plen) == PP_ERR_BAD_REQUEST);
  CHECK(pp_verify_open(k2, &at, blob, n, &pt, &plen) == PP_ERR_BAD_REQUEST);
  blob[30] ^= 1;
  CHECK(pp_verify_open(k, &at, blob, n, &pt, &plen) == PP_ERR_BAD_REQUEST);
  CHECK(pp_verify_seal(k, &at, "x", 1, blob, 10, &n) == PP_ERR_INVALID_PARAM);
  pp_verify_keys_free(k);
  pp_verify_keys_free(k2);
  pp_verify_keys_free(NULL);
  return check_report("test_verify_secrets");
}

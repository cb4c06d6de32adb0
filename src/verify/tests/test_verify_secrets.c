/* test_verify_secrets.c: code generation and keyed hashes. */
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

  pp_verify_keys_free(k);
  pp_verify_keys_free(k2);
  pp_verify_keys_free(NULL);
  return check_report("test_verify_secrets");
}

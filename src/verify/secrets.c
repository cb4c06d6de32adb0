/* secrets.c: Verify's code hashing (see secrets.h). */
#include "verify/secrets.h"

#include <sodium.h>
#include <string.h>

#include "security/envelope.h"

struct pp_verify_keys {
  unsigned char hash_key[32];
};

pp_err_t pp_verify_keys_new(const unsigned char *master, pp_verify_keys_t **out) {
  if (!master || !out) return PP_ERR_INVALID_PARAM;
  pp_verify_keys_t *k = sodium_malloc(sizeof *k);
  if (!k) return PP_ERR_NOMEM;
  pp_err_t e = pp_kdf_derive(master, PP_KDF_CTX_VERIFY, 1, k->hash_key, sizeof k->hash_key);
  if (e) {
    sodium_free(k);
    return e;
  }
  sodium_mprotect_readonly(k);
  *out = k;
  return PP_OK;
}

void pp_verify_keys_free(pp_verify_keys_t *k) {
  if (k) sodium_free(k); /* sodium_free wipes */
}

void pp_verify_code_new(int digits, char out[11]) {
  if (digits < 4) digits = 4;
  if (digits > 10) digits = 10;
  for (int i = 0; i < digits; i++) out[i] = (char)('0' + randombytes_uniform(10));
  out[digits] = '\0';
}

void pp_verify_hash(const pp_verify_keys_t *k, const char *scope, const char *value,
                    unsigned char out[PP_VERIFY_HASH_LEN]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, k->hash_key, sizeof k->hash_key, PP_VERIFY_HASH_LEN);
  crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
  crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
  crypto_generichash_final(&st, out, PP_VERIFY_HASH_LEN);
  sodium_memzero(&st, sizeof st);
}

bool pp_verify_hash_in(const unsigned char *hashes, size_t n,
                       const unsigned char h[PP_VERIFY_HASH_LEN]) {
  int found = 0;
  for (size_t i = 0; i < n; i++)
    found |= sodium_memcmp(hashes + i * PP_VERIFY_HASH_LEN, h, PP_VERIFY_HASH_LEN) == 0;
  return found != 0;
}

void pp_verify_qr_token_new(char token[2 * PP_VERIFY_QR_TOKEN_LEN + 1],
                            unsigned char hash[PP_VERIFY_HASH_LEN]) {
  unsigned char tok[PP_VERIFY_QR_TOKEN_LEN];
  randombytes_buf(tok, sizeof tok);
  sodium_bin2hex(token, 2 * PP_VERIFY_QR_TOKEN_LEN + 1, tok, sizeof tok);
  sodium_memzero(tok, sizeof tok);
  pp_verify_qr_hash(token, hash);
}

void pp_verify_qr_hash(const char *token, unsigned char out[PP_VERIFY_HASH_LEN]) {
  crypto_generichash(out, PP_VERIFY_HASH_LEN, (const unsigned char *)token, strlen(token), NULL, 0);
}

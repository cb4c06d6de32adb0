/* secrets.c: Verify's code hashing and sealing (see secrets.h). */
#include "verify/secrets.h"

#include <sodium.h>
#include <string.h>

#include "security/envelope.h"

struct pp_verify_keys {
  unsigned char hash_key[32];
  unsigned char seal_key[32];
};

pp_err_t pp_verify_keys_new(const unsigned char *master, pp_verify_keys_t **out) {
  if (!master || !out) return PP_ERR_INVALID_PARAM;
  pp_verify_keys_t *k = sodium_malloc(sizeof *k);
  if (!k) return PP_ERR_NOMEM;
  pp_err_t e = pp_kdf_derive(master, PP_KDF_CTX_VERIFY, 1, k->hash_key, sizeof k->hash_key);
  if (!e) e = pp_kdf_derive(master, PP_KDF_CTX_VERIFY, 2, k->seal_key, sizeof k->seal_key);
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

/* "pipit-verify-v1" || (u8 len || part) for account, table, column, row. */
static bool build_aad(const pp_verify_place_t *at, unsigned char *aad, size_t cap, size_t *len) {
  static const char tag[] = "pipit-verify-v1";
  const char *parts[] = {at->account_sid, at->table, at->column, at->row_id};
  size_t o = sizeof tag - 1;
  if (o > cap) return false;
  memcpy(aad, tag, o);
  for (int i = 0; i < 4; i++) {
    size_t n = parts[i] ? strlen(parts[i]) : 0;
    if (n < 1 || n > 255 || o + 1 + n > cap) return false;
    aad[o++] = (unsigned char)n;
    memcpy(aad + o, parts[i], n);
    o += n;
  }
  *len = o;
  return true;
}

pp_err_t pp_verify_seal(const pp_verify_keys_t *k, const pp_verify_place_t *at, const void *pt,
                        size_t len, unsigned char *out, size_t cap, size_t *out_len) {
  unsigned char aad[16 + 4 * 256];
  size_t aad_len;
  if (!k || !at || (!pt && len) || !out || cap < len + PP_VERIFY_SEAL_OVERHEAD ||
      !build_aad(at, aad, sizeof aad, &aad_len))
    return PP_ERR_INVALID_PARAM;
  out[0] = 0x01;
  randombytes_buf(out + 1, 24);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + 25, &clen, pt, len, aad, aad_len, NULL, out + 1,
                                             k->seal_key);
  *out_len = 25 + (size_t)clen;
  return PP_OK;
}

pp_err_t pp_verify_open(const pp_verify_keys_t *k, const pp_verify_place_t *at,
                        const unsigned char *blob, size_t len, unsigned char **out,
                        size_t *out_len) {
  unsigned char aad[16 + 4 * 256];
  size_t aad_len;
  if (!k || !at || !out || !build_aad(at, aad, sizeof aad, &aad_len)) return PP_ERR_INVALID_PARAM;
  if (!blob || len < PP_VERIFY_SEAL_OVERHEAD || blob[0] != 0x01) return PP_ERR_BAD_REQUEST;
  size_t pt_cap = len - PP_VERIFY_SEAL_OVERHEAD;
  unsigned char *pt = sodium_malloc(pt_cap + 1);
  if (!pt) return PP_ERR_NOMEM;
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL, blob + 25, len - 25, aad, aad_len,
                                                 blob + 1, k->seal_key) != 0) {
    sodium_free(pt);
    return PP_ERR_BAD_REQUEST;
  }
  pt[plen] = '\0';
  *out = pt;
  *out_len = (size_t)plen;
  return PP_OK;
}

void pp_verify_secret_free(void *p) {
  if (p) sodium_free(p);
}

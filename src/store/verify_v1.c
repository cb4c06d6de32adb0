/* verify_v1.c: opening Verify's format-1 seals for the upgrade (see
 * verify_v1.h). */
#include "store/verify_v1.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "security/envelope.h"

#define V1_OVERHEAD (1 + 24 + 16)

/* "pipit-verify-v1" || (u8 len || part) for account, table, column, row. */
static bool build_aad(const char *const parts[4], unsigned char *aad, size_t cap, size_t *len) {
  static const char tag[] = "pipit-verify-v1";
  size_t o = sizeof tag - 1;
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

pp_err_t pp_verify_v1_open(const unsigned char *root, const char *account_sid, const char *table,
                           const char *column, const char *row, const unsigned char *blob,
                           size_t len, unsigned char **out, size_t *out_len) {
  const char *const parts[4] = {account_sid, table, column, row};
  unsigned char aad[16 + 4 * 256];
  size_t aad_len;
  if (!root || !out || !out_len || !build_aad(parts, aad, sizeof aad, &aad_len))
    return PP_ERR_INVALID_PARAM;
  if (!blob || len < V1_OVERHEAD || blob[0] != 0x01) return PP_ERR_BAD_REQUEST;
  unsigned char *key = sodium_malloc(PP_KEY_LEN);
  unsigned char *pt = sodium_malloc(len - V1_OVERHEAD + 1);
  pp_err_t e = key && pt ? PP_OK : PP_ERR_NOMEM;
  if (!e) e = pp_kdf_derive(root, PP_KDF_CTX_VERIFY, 2, key, PP_KEY_LEN);
  unsigned long long plen = 0;
  if (!e && crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL, blob + 25, len - 25, aad,
                                                       aad_len, blob + 1, key) != 0)
    e = PP_ERR_BAD_REQUEST;
  sodium_free(key);
  if (e) {
    sodium_free(pt);
    return e;
  }
  pt[plen] = '\0';
  *out = pt;
  *out_len = (size_t)plen;
  return PP_OK;
}

/* push.c: ES256 public keys, signatures and compact JWS for push factors. */
#include "verify/push.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

long pp_b64_decode(const char *s, unsigned char *out, size_t cap) {
  static const int variants[] = {
      sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
  size_t n = 0;
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
    if (sodium_base642bin(out, cap, s, strlen(s), NULL, &n, NULL, variants[i]) == 0) return (long)n;
  return -1;
}

/* The P-256 key in `spki`, or NULL. */
static EVP_PKEY *p256_key(const unsigned char *spki, size_t len) {
  if (!spki || len == 0 || len > PP_ES256_SPKI_MAX) return NULL;
  const unsigned char *p = spki;
  EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)len);
  if (!key) return NULL;
  char group[64] = "";
  size_t glen = 0;
  if (p != spki + len || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                      &glen) ||
      strcmp(group, "prime256v1") != 0) {
    EVP_PKEY_free(key);
    return NULL;
  }
  return key;
}

pp_err_t pp_es256_key_check(const unsigned char *spki, size_t len) {
  EVP_PKEY *key = p256_key(spki, len);
  if (!key) return PP_ERR_BAD_REQUEST;
  EVP_PKEY_free(key);
  return PP_OK;
}

/* A raw r || s signature (64 bytes) as DER into `der` (capacity 80). */
static size_t raw_to_der(const unsigned char *raw, unsigned char der[80]) {
  ECDSA_SIG *sig = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
  size_t n = 0;
  if (sig && r && s && ECDSA_SIG_set0(sig, r, s)) {
    r = s = NULL; /* owned by sig now */
    int len = i2d_ECDSA_SIG(sig, NULL);
    unsigned char *p = der;
    if (len > 0 && len <= 80 && i2d_ECDSA_SIG(sig, &p) == len) n = (size_t)len;
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return n;
}

bool pp_es256_verify(const unsigned char *spki, size_t len, const void *msg, size_t mlen,
                     const unsigned char *sig, size_t siglen) {
  unsigned char der[80];
  if (!sig || (!msg && mlen)) return false;
  if (siglen == 64) {
    if (!(siglen = raw_to_der(sig, der))) return false;
    sig = der;
  }
  EVP_PKEY *key = p256_key(spki, len);
  if (!key) return false;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
            EVP_DigestVerify(ctx, sig, siglen, msg, mlen) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

pp_err_t pp_jws_es256_verify(const unsigned char *spki, size_t len, const char *token,
                             char **payload) {
  if (!token || strlen(token) > 16384) return PP_ERR_BAD_REQUEST;
  const char *dot1 = strchr(token, '.');
  const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
  if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) return PP_ERR_BAD_REQUEST;
  size_t hlen = (size_t)(dot1 - token), plen = (size_t)(dot2 - dot1 - 1);
  char *part = malloc(strlen(token) + 1);
  unsigned char *bytes = malloc(strlen(token) + 1);
  pp_err_t e = (!part || !bytes) ? PP_ERR_NOMEM : PP_ERR_BAD_REQUEST;
  if (e == PP_ERR_NOMEM) goto out;
  /* Header: JSON naming ES256 (a full parse is the caller's business;
   * here the algorithm must be exactly ES256). */
  memcpy(part, token, hlen);
  part[hlen] = '\0';
  long n = pp_b64_decode(part, bytes, strlen(token));
  if (n <= 0) goto out;
  bytes[n] = '\0';
  const char *alg = strstr((char *)bytes, "\"alg\"");
  if (!alg) goto out;
  alg = strchr(alg + 5, ':');
  if (!alg) goto out;
  alg += 1 + strspn(alg + 1, " \t\r\n");
  if (strncmp(alg, "\"ES256\"", 7) != 0) goto out;
  /* Signature over "header.payload". */
  unsigned char sig[128];
  long slen = pp_b64_decode(dot2 + 1, sig, sizeof sig);
  if (slen <= 0 || !pp_es256_verify(spki, len, token, hlen + 1 + plen, sig, (size_t)slen)) goto out;
  memcpy(part, dot1 + 1, plen);
  part[plen] = '\0';
  n = pp_b64_decode(part, bytes, strlen(token));
  if (n < 0) goto out;
  bytes[n] = '\0';
  *payload = (char *)bytes;
  bytes = NULL;
  e = PP_OK;
out:
  free(part);
  free(bytes);
  return e;
}

pp_err_t pp_push_proof(const unsigned char *spki, size_t len, const char *factor_sid,
                       const char *payload) {
  unsigned char sig[128];
  long n = pp_b64_decode(payload, sig, sizeof sig);
  if (n <= 0 || !pp_es256_verify(spki, len, factor_sid, strlen(factor_sid), sig, (size_t)n))
    return PP_ERR_VERIFY_FACTOR_FAILED;
  return PP_OK;
}

pp_err_t pp_push_answer(const unsigned char *spki, size_t len, const char *jws,
                        const char *challenge_sid, const char **answer) {
  char *text = NULL;
  pp_err_t e = pp_jws_es256_verify(spki, len, jws, &text);
  if (e) return e == PP_ERR_NOMEM ? e : PP_ERR_VERIFY_CHALLENGE_FAILED;
  json_t *j = json_loads(text, 0, NULL);
  free(text);
  const char *sid = json_string_value(json_object_get(j, "sid"));
  const char *status = json_string_value(json_object_get(j, "status"));
  e = PP_ERR_VERIFY_CHALLENGE_FAILED;
  if (sid && status && strcmp(sid, challenge_sid) == 0) {
    if (strcmp(status, "approved") == 0 || strcmp(status, "denied") == 0) {
      *answer = strcmp(status, "approved") == 0 ? "approved" : "denied";
      e = PP_OK;
    }
  }
  json_decref(j);
  return e;
}

const char *pp_push_config_check(const char *platform, const char *token, const char *app_id,
                                 const char *sdk_version, bool create) {
  if (create && (!platform || !app_id || !sdk_version))
    return "push factors need Config.AppId, Config.NotificationPlatform and Config.SdkVersion";
  if (platform && strcmp(platform, "apn") != 0 && strcmp(platform, "fcm") != 0 &&
      strcmp(platform, "none") != 0)
    return "Config.NotificationPlatform: apn, fcm or none";
  if (platform && strcmp(platform, "none") != 0 && (!token || strlen(token) < 32))
    return "Config.NotificationToken (32 to 255 characters) is required for apn and fcm";
  return NULL;
}

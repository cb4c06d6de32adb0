/* test_verify_push.c: ES256 keys, signatures (DER and r || s) and compact
 * JWS, with RFC 7515 Appendix A.3 as the independent vector; a push
 * factor's proof and a device's answer to a challenge. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "verify/push.h"

/* RFC 7515 A.3: the JWK's public key as SubjectPublicKeyInfo, and the JWS. */
static const char rfc_spki[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEXH8UTNG72bfo"
    "cs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==";
static const char rfc_jws[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

static void rfc7515(void) {
  unsigned char spki[PP_ES256_SPKI_MAX];
  long n = pp_b64_decode(rfc_spki, spki, sizeof spki);
  CHECK_EQ_INT(n, 91);
  CHECK(pp_es256_key_check(spki, (size_t)n) == PP_OK);
  char *payload = NULL;
  CHECK(pp_jws_es256_verify(spki, (size_t)n, rfc_jws, &payload) == PP_OK);
  CHECK(payload && strstr(payload, "\"iss\":\"joe\"") != NULL);
  free(payload);
  /* One changed character of the payload or the signature fails. */
  char bad[sizeof rfc_jws];
  memcpy(bad, rfc_jws, sizeof rfc_jws);
  bad[30] = bad[30] == 'A' ? 'B' : 'A';
  CHECK(pp_jws_es256_verify(spki, (size_t)n, bad, &payload) == PP_ERR_BAD_REQUEST);
  memcpy(bad, rfc_jws, sizeof rfc_jws);
  bad[sizeof rfc_jws - 5] = bad[sizeof rfc_jws - 5] == 'A' ? 'B' : 'A';
  CHECK(pp_jws_es256_verify(spki, (size_t)n, bad, &payload) == PP_ERR_BAD_REQUEST);
  CHECK(pp_jws_es256_verify(spki, (size_t)n, "a.b", &payload) == PP_ERR_BAD_REQUEST);
  CHECK(pp_jws_es256_verify(spki, (size_t)n, "a.b.c.d", &payload) == PP_ERR_BAD_REQUEST);
  /* alg "none" (and anything else) is refused. */
  CHECK(pp_jws_es256_verify(spki, (size_t)n, "eyJhbGciOiJub25lIn0.e30.", &payload) ==
        PP_ERR_BAD_REQUEST);
}

/* A fresh key of `curve`: its SPKI into `spki`; the key is returned. */
static EVP_PKEY *fresh(const char *curve, unsigned char *spki, size_t *len) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
  unsigned char *p = spki;
  int n = k ? i2d_PUBKEY(k, &p) : -1;
  *len = n > 0 ? (size_t)n : 0;
  return k;
}

static size_t sign_der(EVP_PKEY *k, const char *msg, unsigned char *sig, size_t cap) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t n = cap;
  if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
      EVP_DigestSign(ctx, sig, &n, (const unsigned char *)msg, strlen(msg)) != 1)
    n = 0;
  EVP_MD_CTX_free(ctx);
  return n;
}

/* The DER signature `sig` (`slen` bytes) as the 64 bytes r || s. */
static bool der_to_raw(const unsigned char *sig, size_t slen, unsigned char raw[64]) {
  const unsigned char *p = sig;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
  bool ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) == 32 &&
            BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) == 32;
  ECDSA_SIG_free(es);
  return ok;
}

static void signatures(void) {
  unsigned char spki[256], other[256], sig[128];
  size_t len = 0, olen = 0;
  EVP_PKEY *k = fresh("P-256", spki, &len);
  EVP_PKEY *k2 = fresh("P-256", other, &olen);
  CHECK(k && k2 && len == 91);
  size_t slen = sign_der(k, "YF0123", sig, sizeof sig);
  CHECK(slen > 0);
  CHECK(pp_es256_verify(spki, len, "YF0123", 6, sig, slen));
  CHECK(!pp_es256_verify(spki, len, "YF0124", 6, sig, slen));
  CHECK(!pp_es256_verify(other, olen, "YF0123", 6, sig, slen));
  /* The same signature as r || s. */
  unsigned char raw[64];
  CHECK(der_to_raw(sig, slen, raw));
  CHECK(pp_es256_verify(spki, len, "YF0123", 6, raw, 64));
  raw[10] ^= 1;
  CHECK(!pp_es256_verify(spki, len, "YF0123", 6, raw, 64));
  CHECK(!pp_es256_verify(spki, len, "YF0123", 6, raw, 63));
  EVP_PKEY_free(k);
  EVP_PKEY_free(k2);

  /* Not P-256: refused as a key, and for signatures. */
  EVP_PKEY *k384 = fresh("P-384", spki, &len);
  CHECK(k384 && pp_es256_key_check(spki, len) == PP_ERR_BAD_REQUEST);
  slen = sign_der(k384, "x", sig, sizeof sig);
  CHECK(!pp_es256_verify(spki, len, "x", 1, sig, slen));
  EVP_PKEY_free(k384);
  CHECK(pp_es256_key_check((const unsigned char *)"junk", 4) == PP_ERR_BAD_REQUEST);
  CHECK(pp_es256_key_check(NULL, 0) == PP_ERR_BAD_REQUEST);
}

/* Base64 of `n` bytes into `out`: standard, or URL-safe without padding. */
static void b64(const unsigned char *in, size_t n, char *out, bool url) {
  int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  if (url) {
    while (len > 0 && out[len - 1] == '=') len--;
    out[len] = '\0';
    for (char *c = out; *c; c++) *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
  }
}

/* A compact JWS with `header` and `payload`, signed ES256 (r || s) by `k`. */
static void jws(EVP_PKEY *k, const char *header, const char *payload, char *out, size_t cap) {
  char h[256], p[512], input[800];
  unsigned char sig[128], raw[64];
  b64((const unsigned char *)header, strlen(header), h, true);
  b64((const unsigned char *)payload, strlen(payload), p, true);
  snprintf(input, sizeof input, "%s.%s", h, p);
  size_t slen = sign_der(k, input, sig, sizeof sig);
  CHECK(slen > 0 && der_to_raw(sig, slen, raw));
  char s64[128];
  b64(raw, sizeof raw, s64, true);
  snprintf(out, cap, "%s.%s", input, s64);
}

static void push_decisions(void) {
  unsigned char spki[256], other[256], sig[128];
  size_t len = 0, olen = 0;
  EVP_PKEY *k = fresh("P-256", spki, &len);
  EVP_PKEY *k2 = fresh("P-256", other, &olen);
  CHECK(k && k2);
  /* The factor's proof: a base64 signature of its SID. */
  char proof[256];
  size_t slen = sign_der(k, "YF0123", sig, sizeof sig);
  b64(sig, slen, proof, false);
  CHECK(pp_push_proof(spki, len, "YF0123", proof) == PP_OK);
  CHECK(pp_push_proof(spki, len, "YF0124", proof) == PP_ERR_VERIFY_FACTOR_FAILED);
  CHECK(pp_push_proof(other, olen, "YF0123", proof) == PP_ERR_VERIFY_FACTOR_FAILED);
  CHECK(pp_push_proof(spki, len, "YF0123", "!!") == PP_ERR_VERIFY_FACTOR_FAILED);
  /* A challenge's answer: a JWS naming the challenge and the status. */
  static const char es256[] = "{\"alg\":\"ES256\"}";
  char t[1024];
  const char *answer = NULL;
  jws(k, es256, "{\"sid\":\"YC1\",\"status\":\"approved\"}", t, sizeof t);
  CHECK(pp_push_answer(spki, len, t, "YC1", &answer) == PP_OK);
  CHECK_EQ_STR(answer, "approved");
  CHECK(pp_push_answer(spki, len, t, "YC2", &answer) == PP_ERR_VERIFY_CHALLENGE_FAILED);
  CHECK(pp_push_answer(other, olen, t, "YC1", &answer) == PP_ERR_VERIFY_CHALLENGE_FAILED);
  jws(k, es256, "{\"status\":\"denied\",\"sid\":\"YC1\"}", t, sizeof t);
  CHECK(pp_push_answer(spki, len, t, "YC1", &answer) == PP_OK);
  CHECK_EQ_STR(answer, "denied");
  answer = NULL;
  jws(k, es256, "{\"sid\":\"YC1\",\"status\":\"pending\"}", t, sizeof t);
  CHECK(pp_push_answer(spki, len, t, "YC1", &answer) == PP_ERR_VERIFY_CHALLENGE_FAILED);
  jws(k, es256, "{\"sid\":\"YC1\"}", t, sizeof t);
  CHECK(pp_push_answer(spki, len, t, "YC1", &answer) == PP_ERR_VERIFY_CHALLENGE_FAILED);
  jws(k, es256, "not json", t, sizeof t);
  CHECK(pp_push_answer(spki, len, t, "YC1", &answer) == PP_ERR_VERIFY_CHALLENGE_FAILED);
  jws(k, "{\"alg\":\"ES384\"}", "{\"sid\":\"YC1\",\"status\":\"approved\"}", t, sizeof t);
  CHECK(pp_push_answer(spki, len, t, "YC1", &answer) == PP_ERR_VERIFY_CHALLENGE_FAILED);
  CHECK(answer == NULL);
  EVP_PKEY_free(k);
  EVP_PKEY_free(k2);
}

static void config(void) {
  static const char tok[] = "0123456789abcdef0123456789abcdef"; /* 32 */
  CHECK(pp_push_config_check("apn", tok, "app", "1.0", true) == NULL);
  CHECK(pp_push_config_check("fcm", tok, "app", "1.0", true) == NULL);
  CHECK(pp_push_config_check("none", NULL, "app", "1.0", true) == NULL);
  /* Create needs the platform, the app and the SDK version. */
  CHECK(pp_push_config_check(NULL, tok, "app", "1.0", true) != NULL);
  CHECK(pp_push_config_check("none", NULL, NULL, "1.0", true) != NULL);
  CHECK(pp_push_config_check("none", NULL, "app", NULL, true) != NULL);
  /* ... an update keeps what it has. */
  CHECK(pp_push_config_check(NULL, NULL, NULL, NULL, false) == NULL);
  CHECK(pp_push_config_check("gcm", tok, "app", "1.0", false) != NULL);
  CHECK(pp_push_config_check("apn", NULL, "app", "1.0", false) != NULL);
  CHECK(pp_push_config_check("fcm", tok + 1, "app", "1.0", false) != NULL);
}

static void base64(void) {
  unsigned char out[16];
  CHECK_EQ_INT(pp_b64_decode("Zm9vYmE=", out, sizeof out), 5);
  CHECK_EQ_INT(pp_b64_decode("Zm9vYmE", out, sizeof out), 5);
  CHECK_EQ_INT(pp_b64_decode("-_8", out, sizeof out), 2);
  CHECK(out[0] == 0xfb && out[1] == 0xff);
  CHECK_EQ_INT(pp_b64_decode("+/8=", out, sizeof out), 2);
  CHECK_EQ_INT(pp_b64_decode("!!", out, sizeof out), -1);
}

int main(void) {
  rfc7515();
  signatures();
  base64();
  push_decisions();
  config();
  return check_report("test_verify_push");
}

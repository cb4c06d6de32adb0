/* test_verify_push.c: ES256 keys, signatures (DER and r || s) and compact
 * JWS, with RFC 7515 Appendix A.3 as the independent vector. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
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
  const unsigned char *p = sig;
  ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
  unsigned char raw[64];
  CHECK(es && BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) == 32 &&
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) == 32);
  ECDSA_SIG_free(es);
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
  return check_report("test_verify_push");
}

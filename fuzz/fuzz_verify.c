/* fuzz_verify.c: Verify's parsers of what a device or a customer sends
 * (src/verify/otp.h, push.h): a factor's Binding.Secret (base32), a push
 * factor's Binding.PublicKey (base64 DER), its signatures and its answers to
 * challenges (compact JWS).  The first byte picks the parser; the rest is
 * the input.
 *
 * Checked:
 *  - pp_base32_decode: what decodes encodes back to text that decodes to
 *    the same bytes, and never more bytes than fit;
 *  - pp_b64_decode: the same round trip through libsodium's URL-safe
 *    encoder;
 *  - pp_es256_key_check on raw DER: a key it accepts verifies no signature
 *    made of the input's bytes over a fixed message;
 *  - pp_jws_es256_verify and pp_es256_verify under a P-256 key made at
 *    start, whose private half is thrown away: nothing the fuzzer makes
 *    verifies (a success would be a forgery). */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "verify/otp.h"
#include "verify/push.h"

static unsigned char spki[PP_ES256_SPKI_MAX];
static size_t spki_len;

typedef long decode_fn(const char *s, unsigned char *out, size_t cap);

/* What `decode` accepts in s, encoded again (`encode` writes text[0..cap),
 * NUL-terminated), decodes to the same bytes. */
static void round_trip(const char *s, decode_fn *decode,
                       void (*encode)(const unsigned char *in, size_t n, char *text, size_t cap),
                       const char *what) {
  unsigned char out[256], again[256];
  long n = decode(s, out, sizeof out);
  if (n < 0) return;
  FUZZ_CHECK((size_t)n <= sizeof out, "fits");
  char text[512];
  encode(out, (size_t)n, text, sizeof text);
  long m = decode(text, again, sizeof again);
  FUZZ_CHECK(m == n && memcmp(out, again, (size_t)n) == 0, "%s round trip", what);
}

static void base32_encode(const unsigned char *in, size_t n, char *text, size_t cap) {
  size_t tl = pp_base32_encode(in, n, text, cap);
  FUZZ_CHECK(tl > 0 || n == 0, "encodes");
}

static void base64_encode(const unsigned char *in, size_t n, char *text, size_t cap) {
  sodium_bin2base64(text, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void base32(const char *s) {
  round_trip(s, pp_base32_decode, base32_encode, "base32");
}

static void base64(const char *s) {
  round_trip(s, pp_b64_decode, base64_encode, "base64");
}

static void key(const uint8_t *d, size_t n) {
  if (pp_es256_key_check(d, n) != PP_OK) return;
  FUZZ_CHECK(n <= PP_ES256_SPKI_MAX, "an accepted key fits");
  static const char msg[] = "YF00000000000000000000000000000000";
  FUZZ_CHECK(!pp_es256_verify(d, n, msg, sizeof msg - 1, d, n < 72 ? n : 72), "no forgery");
}

static void jws(const char *s, const uint8_t *d, size_t n) {
  char *payload = NULL;
  pp_err_t e = pp_jws_es256_verify(spki, spki_len, s, &payload);
  free(payload);
  FUZZ_CHECK(e != PP_OK, "no JWS verifies under a key whose private half is gone");
  FUZZ_CHECK(!pp_es256_verify(spki, spki_len, "m", 1, d, n), "no raw signature verifies");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!spki_len) {
    if (sodium_init() < 0) abort();
    EVP_PKEY *k = EVP_EC_gen("P-256");
    unsigned char *p = spki;
    int n = k ? i2d_PUBKEY(k, &p) : -1;
    EVP_PKEY_free(k);
    FUZZ_CHECK(n > 0 && (size_t)n <= sizeof spki && pp_es256_key_check(spki, (size_t)n) == PP_OK,
               "the key made at start");
    spki_len = (size_t)n;
  }
  if (size < 1 || size > 4096) return 0;
  char *s = malloc(size);
  memcpy(s, data + 1, size - 1);
  s[size - 1] = '\0';
  switch (data[0] % 4) {
    case 0:
      base32(s);
      break;
    case 1:
      base64(s);
      break;
    case 2:
      key(data + 1, size - 1);
      break;
    default:
      jws(s, data + 1, size - 1);
      break;
  }
  free(s);
  return 0;
}

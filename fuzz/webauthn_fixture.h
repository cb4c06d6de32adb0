/* webauthn_fixture.h: what fuzz_webauthn_cbor and fuzz_webauthn_json share:
 * a relying party (the RP ID and origin of the known-answer vectors in
 * test_security_webauthn.c, so that real responses in the seed corpora get
 * past the rpIdHash check), a fixed challenge, and one honest sign-in made
 * at start by an Ed25519 key from a fixed seed (so that seeds stay valid
 * across runs): its stored credential, client data, authenticator data and
 * signature. */
#ifndef PP_FUZZ_WEBAUTHN_FIXTURE_H
#define PP_FUZZ_WEBAUTHN_FIXTURE_H

#include <sodium.h>
#include <string.h>

#include "fuzz_check.h"
#include "security/webauthn.h"

static const pp_webauthn_rp_t FIX_RP = {"localhost", "http://localhost:5000"};
/* The challenge is 32 bytes of 0x42 ("QkJC..." in base64url). */
#define FIX_CHALLENGE_B64 "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI"
#define FIX_CLIENT_DATA(type)                                 \
  "{\"type\":\"" type "\",\"challenge\":\"" FIX_CHALLENGE_B64 \
  "\","                                                       \
  "\"origin\":\"http://localhost:5000\",\"crossOrigin\":false}"
static const char FIX_GET_JSON[] = FIX_CLIENT_DATA("webauthn.get");
static const char FIX_CREATE_JSON[] = FIX_CLIENT_DATA("webauthn.create");

typedef struct {
  uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN];
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  pp_webauthn_cred_t cred; /* the stored credential: EdDSA, sign count 0 */
  uint8_t ad[37];          /* rpIdHash, UP|UV, sign count 1 */
  char get_b64[512], create_b64[512], ad_b64[64], sig_b64[128];
} fixture_t;

static void fix_b64(const void *d, size_t n, char *out, size_t cap) {
  sodium_bin2base64(out, cap, d, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void fixture_init(fixture_t *f) {
  FUZZ_CHECK(sodium_init() >= 0, "sodium");
  uint8_t seed[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];
  memset(seed, 7, sizeof seed);
  crypto_sign_seed_keypair(f->pk, sk, seed);
  memset(f->challenge, 0x42, sizeof f->challenge);
  /* COSE_Key {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: pk} */
  static const uint8_t cose_head[] = {0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20};
  memset(&f->cred, 0, sizeof f->cred);
  f->cred.alg = PP_WEBAUTHN_EDDSA;
  memcpy(f->cred.cose_key, cose_head, sizeof cose_head);
  memcpy(f->cred.cose_key + sizeof cose_head, f->pk, sizeof f->pk);
  f->cred.cose_key_len = sizeof cose_head + sizeof f->pk;
  crypto_hash_sha256(f->ad, (const uint8_t *)FIX_RP.rp_id, strlen(FIX_RP.rp_id));
  const uint8_t tail[] = {0x05, 0, 0, 0, 1};
  memcpy(f->ad + 32, tail, sizeof tail);
  uint8_t msg[sizeof f->ad + crypto_hash_sha256_BYTES], sig[crypto_sign_BYTES];
  memcpy(msg, f->ad, sizeof f->ad);
  crypto_hash_sha256(msg + sizeof f->ad, (const uint8_t *)FIX_GET_JSON, strlen(FIX_GET_JSON));
  crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
  sodium_memzero(sk, sizeof sk);
  fix_b64(FIX_GET_JSON, strlen(FIX_GET_JSON), f->get_b64, sizeof f->get_b64);
  fix_b64(FIX_CREATE_JSON, strlen(FIX_CREATE_JSON), f->create_b64, sizeof f->create_b64);
  fix_b64(f->ad, sizeof f->ad, f->ad_b64, sizeof f->ad_b64);
  fix_b64(sig, sizeof sig, f->sig_b64, sizeof f->sig_b64);
  pp_webauthn_assertion_t out;
  FUZZ_CHECK(pp_webauthn_assert(&FIX_RP, f->challenge, &f->cred, f->get_b64, f->ad_b64, f->sig_b64,
                                true, &out) == PP_OK &&
                 out.sign_count == 1,
             "the fixture's sign-in verifies");
}

/* fix_b64_new: base64url of n bytes in a new buffer (the caller frees). */
static char *fix_b64_new(const uint8_t *d, size_t n) {
  size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *s = malloc(cap);
  FUZZ_CHECK(s != NULL, "malloc");
  fix_b64(d, n, s, cap);
  return s;
}

#endif

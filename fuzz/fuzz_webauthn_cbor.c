/* fuzz_webauthn_cbor.c: the CBOR side of a passkey response
 * (src/security/webauthn.h): the attestation object of a registration, the
 * authenticator data of a sign-in and the COSE key a registration stored.
 * The first byte picks which one the rest of the input is; everything else
 * is the honest fixture of webauthn_fixture.h.
 *
 * Checked:
 *  - pp_webauthn_register with the input as attestation object: only
 *    PP_OK, NOMEM or a refusal the attestation object can cause (never one
 *    about client data, signatures of a sign-in or sign counts); what it
 *    accepts is a credential of ES256 or EdDSA with an id of 1 to 1023
 *    bytes and a COSE key of 1 to 256 bytes, zero past both, and that
 *    credential verifies the fixture's sign-in only if its COSE key holds
 *    the fixture's public key;
 *  - pp_webauthn_assert with the input as authenticator data (the fixture's
 *    signature): nothing verifies but the fixture's own bytes;
 *  - pp_webauthn_assert with the input as the stored COSE key: it verifies
 *    the fixture's sign-in only if it holds the fixture's public key. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "webauthn_fixture.h"

static fixture_t fix;
static bool ready;

static bool holds_pk(const uint8_t *d, size_t n) {
  return memmem(d, n, fix.pk, sizeof fix.pk) != NULL;
}

/* The sign-in of the fixture against cred. */
static pp_err_t sign_in(const pp_webauthn_cred_t *cred, const char *ad_b64) {
  pp_webauthn_assertion_t out;
  return pp_webauthn_assert(&FIX_RP, fix.challenge, cred, fix.get_b64, ad_b64, fix.sig_b64, false,
                            &out);
}

static bool all_zero(const uint8_t *d, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (d[i]) return false;
  return true;
}

static void attestation_object(const uint8_t *d, size_t n) {
  char *obj = fix_b64_new(d, n);
  pp_webauthn_cred_t cred;
  pp_err_t e = pp_webauthn_register(&FIX_RP, fix.challenge, fix.create_b64, obj, false, &cred);
  free(obj);
  FUZZ_CHECK(e == PP_OK || e == PP_ERR_NOMEM || e == PP_ERR_WEBAUTHN_ENCODING ||
                 e == PP_ERR_WEBAUTHN_RP_ID || e == PP_ERR_WEBAUTHN_USER_PRESENT ||
                 e == PP_ERR_WEBAUTHN_ALGORITHM || e == PP_ERR_WEBAUTHN_ATTESTATION,
             "register: %s", pp_err_name(e));
  if (e != PP_OK) return;
  FUZZ_CHECK(cred.alg == PP_WEBAUTHN_ES256 || cred.alg == PP_WEBAUTHN_EDDSA, "alg");
  FUZZ_CHECK(cred.id_len >= 1 && cred.id_len <= PP_WEBAUTHN_CRED_ID_MAX, "id length");
  FUZZ_CHECK(cred.cose_key_len >= 1 && cred.cose_key_len <= PP_WEBAUTHN_COSE_KEY_MAX, "key");
  FUZZ_CHECK(
      all_zero(cred.id + cred.id_len, sizeof cred.id - cred.id_len) &&
          all_zero(cred.cose_key + cred.cose_key_len, sizeof cred.cose_key - cred.cose_key_len),
      "zero past the lengths");
  cred.sign_count = 0;
  e = sign_in(&cred, fix.ad_b64);
  FUZZ_CHECK(e != PP_OK || holds_pk(cred.cose_key, cred.cose_key_len), "a forged key verifies");
}

static void authenticator_data(const uint8_t *d, size_t n) {
  char *ad = fix_b64_new(d, n);
  pp_err_t e = sign_in(&fix.cred, ad);
  free(ad);
  FUZZ_CHECK(e == PP_OK || e == PP_ERR_NOMEM || e == PP_ERR_WEBAUTHN_ENCODING ||
                 e == PP_ERR_WEBAUTHN_RP_ID || e == PP_ERR_WEBAUTHN_USER_PRESENT ||
                 e == PP_ERR_WEBAUTHN_SIGNATURE || e == PP_ERR_WEBAUTHN_SIGN_COUNT,
             "assert: %s", pp_err_name(e));
  FUZZ_CHECK(e != PP_OK || (n == sizeof fix.ad && memcmp(d, fix.ad, n) == 0),
             "only the signed authenticator data verifies");
}

static void stored_key(const uint8_t *d, size_t n) {
  if (n < 1 || n - 1 > PP_WEBAUTHN_COSE_KEY_MAX) return;
  pp_webauthn_cred_t cred = fix.cred;
  cred.alg = d[0] & 1 ? PP_WEBAUTHN_ES256 : PP_WEBAUTHN_EDDSA;
  memset(cred.cose_key, 0, sizeof cred.cose_key);
  memcpy(cred.cose_key, d + 1, n - 1);
  cred.cose_key_len = n - 1;
  pp_err_t e = sign_in(&cred, fix.ad_b64);
  FUZZ_CHECK(e == PP_OK || e == PP_ERR_NOMEM || e == PP_ERR_WEBAUTHN_CREDENTIAL ||
                 e == PP_ERR_WEBAUTHN_SIGNATURE,
             "stored key: %s", pp_err_name(e));
  FUZZ_CHECK(e != PP_OK || holds_pk(d + 1, n - 1), "a forged key verifies");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static void (*const parse[])(const uint8_t *, size_t) = {attestation_object, authenticator_data,
                                                           stored_key};
  if (!ready) fixture_init(&fix), ready = true;
  if (size >= 1) parse[data[0] % 3](data + 1, size - 1);
  return 0;
}

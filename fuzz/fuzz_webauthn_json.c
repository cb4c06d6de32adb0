/* fuzz_webauthn_json.c: a passkey response's clientDataJSON
 * (src/security/webauthn.h), the input as it is, in the fixture's sign-in
 * (webauthn_fixture.h) and in a registration.
 *
 * Checked: pp_webauthn_assert's outcome is the one a reference reading of
 * the client data gives (jansson, then: type, challenge, origin and
 * crossOrigin must be present with the right JSON types, else ENCODING;
 * then TYPE unless type is "webauthn.get"; then CHALLENGE unless challenge
 * is exactly the base64url text of the fixture's challenge; then ORIGIN
 * unless origin is exactly the fixture's and crossOrigin is absent or
 * false), and past those checks PP_OK only for the bytes the fixture
 * signed, else SIGNATURE; pp_webauthn_register gives the same outcome with
 * "webauthn.create" in place of "webauthn.get" (the input holds no valid
 * attestation object, so ENCODING where the client data passes). */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "webauthn_fixture.h"

static fixture_t fix;
static bool ready;

static pp_err_t reference(const uint8_t *d, size_t n, const char *type) {
  json_t *cd = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES, NULL);
  json_t *t = json_object_get(cd, "type"), *c = json_object_get(cd, "challenge");
  json_t *o = json_object_get(cd, "origin"), *x = json_object_get(cd, "crossOrigin");
  pp_err_t e = PP_OK;
  if (!json_is_object(cd) || !json_is_string(t) || !json_is_string(c) || !json_is_string(o) ||
      (x && !json_is_boolean(x)))
    e = PP_ERR_WEBAUTHN_ENCODING;
  else if (strcmp(json_string_value(t), type) != 0)
    e = PP_ERR_WEBAUTHN_TYPE;
  else if (strcmp(json_string_value(c), FIX_CHALLENGE_B64) != 0)
    e = PP_ERR_WEBAUTHN_CHALLENGE;
  else if (strcmp(json_string_value(o), FIX_RP.origin) != 0 || json_is_true(x))
    e = PP_ERR_WEBAUTHN_ORIGIN;
  json_decref(cd);
  return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) fixture_init(&fix), ready = true;
  char *cdj = fix_b64_new(data, size);
  pp_webauthn_assertion_t out;
  pp_err_t got = pp_webauthn_assert(&FIX_RP, fix.challenge, &fix.cred, cdj, fix.ad_b64, fix.sig_b64,
                                    false, &out);
  pp_err_t want = reference(data, size, "webauthn.get");
  bool signed_bytes = size == strlen(FIX_GET_JSON) && memcmp(data, FIX_GET_JSON, size) == 0;
  if (want == PP_OK) want = signed_bytes ? PP_OK : PP_ERR_WEBAUTHN_SIGNATURE;
  FUZZ_CHECK(got == want || got == PP_ERR_NOMEM, "assert: %s, reference %s", pp_err_name(got),
             pp_err_name(want));

  pp_webauthn_cred_t cred;
  got = pp_webauthn_register(&FIX_RP, fix.challenge, cdj, fix.ad_b64, false, &cred);
  want = reference(data, size, "webauthn.create");
  if (want == PP_OK) want = PP_ERR_WEBAUTHN_ENCODING;
  FUZZ_CHECK(got == want || got == PP_ERR_NOMEM, "register: %s, reference %s", pp_err_name(got),
             pp_err_name(want));
  free(cdj);
  return 0;
}

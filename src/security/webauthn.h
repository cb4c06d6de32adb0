/* webauthn.h: the checks a WebAuthn Level 2 relying party makes on a
 * registration and on an authentication (W3C WebAuthn L2, sections 7.1 and
 * 7.2), for staff sign-in (DESIGN.md rule 1: staff sign in with an
 * origin-bound passkey and nothing else).
 *
 * Inputs are the base64url fields of the W3C PublicKeyCredential JSON
 * encoding, as the browser's toJSON() produces them, unpadded.  The caller
 * (the staff layer) owns the challenge: it makes 32 random bytes, keeps them
 * for at most two minutes, uses them once, and passes them here.  These
 * functions keep no state, allocate nothing that outlives the call, and are
 * safe to call from any thread.
 *
 * What is checked.  clientDataJSON: `type` ("webauthn.create" or
 * "webauthn.get"), `challenge` (constant-time against the caller's bytes),
 * `origin` (exactly rp->origin), and `crossOrigin` absent or false.
 * Authenticator data: rpIdHash = SHA-256(rp->rp_id), the user-present flag,
 * the user-verified flag, and for a registration the attested credential
 * data (AAGUID, credential id, COSE public key).  Attestation formats "none"
 * and "packed" (self attestation, or x5c with the certificate's key); the
 * COSE algorithms ES256 (-7) and EdDSA (-8).  The signature, over
 * authenticatorData || SHA-256(clientDataJSON).  Sign count: where either
 * the stored or the new count is non-zero, the new one must be greater;
 * otherwise PP_ERR_WEBAUTHN_SIGN_COUNT (the caller records it and refuses).
 *
 * Errors: each refusal is one PP_ERR_WEBAUTHN_* (core/err.h, class
 * SECURITY); pp_err_name() of it is the reason the caller writes to the
 * audit log.  PP_ERR_NOMEM where an allocation failed.  Out-parameters are
 * written only on success. */
#ifndef PP_SECURITY_WEBAUTHN_H
#define PP_SECURITY_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_WEBAUTHN_CHALLENGE_LEN 32
/* WebAuthn L2 caps a credential id at 1023 bytes. */
#define PP_WEBAUTHN_CRED_ID_MAX 1023
/* A COSE_Key for ES256 or EdDSA, as the authenticator encoded it. */
#define PP_WEBAUTHN_COSE_KEY_MAX 256

#define PP_WEBAUTHN_ES256 (-7)
#define PP_WEBAUTHN_EDDSA (-8)

/* The relying party: rp_id is the host of --public-url (no port), origin
 * that URL's origin ("https://host[:port]", no trailing slash).  Both are
 * borrowed for the call. */
typedef struct pp_webauthn_rp {
  const char *rp_id;
  const char *origin;
} pp_webauthn_rp_t;

/* A registered credential: what the caller stores after a registration and
 * passes back for each authentication.  Plain bytes, no pointers, so it can
 * be copied and stored as it is. */
typedef struct pp_webauthn_cred {
  uint8_t id[PP_WEBAUTHN_CRED_ID_MAX];
  size_t id_len;
  int alg; /* PP_WEBAUTHN_ES256 or PP_WEBAUTHN_EDDSA */
  uint8_t cose_key[PP_WEBAUTHN_COSE_KEY_MAX];
  size_t cose_key_len;
  uint32_t sign_count;
  uint8_t aaguid[16];
  bool user_verified; /* the UV flag of this registration */
} pp_webauthn_cred_t;

/* Check a registration (navigator.credentials.create): client_data_json and
 * attestation_object are the response's base64url fields.  user_verification
 * true requires the UV flag.  On success fills *out (bytes past id_len and
 * cose_key_len are zero); the caller then checks that out->id equals the
 * response's rawId and is not registered already (§7.1 step 22).  An x5c
 * attestation is checked for form (§8.2.1) and signature, not chained to a
 * trust anchor: it is worth no more than "none", which is accepted. */
pp_err_t pp_webauthn_register(const pp_webauthn_rp_t *rp,
                              const uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN],
                              const char *client_data_json, const char *attestation_object,
                              bool user_verification, pp_webauthn_cred_t *out);

/* The result of an authentication. */
typedef struct pp_webauthn_assertion {
  uint32_t sign_count; /* the authenticator's new count, to store */
  bool user_verified;  /* the UV flag */
} pp_webauthn_assertion_t;

/* Check an authentication (navigator.credentials.get) against the stored
 * credential `cred` (the caller found it by the response's rawId):
 * client_data_json, authenticator_data and signature are the response's
 * base64url fields.  user_verification true requires the UV flag.  On
 * success fills *out; the caller stores out->sign_count. */
pp_err_t pp_webauthn_assert(const pp_webauthn_rp_t *rp,
                            const uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN],
                            const pp_webauthn_cred_t *cred, const char *client_data_json,
                            const char *authenticator_data, const char *signature,
                            bool user_verification, pp_webauthn_assertion_t *out);

/* Decode unpadded base64url text into out (at most cap bytes); *out_len is
 * the decoded length.  PP_ERR_WEBAUTHN_ENCODING when the text is NULL, is
 * not base64url (padding, '+', '/', or non-zero trailing bits) or does not
 * fit; out's bytes may have been overwritten then, *out_len is not. */
pp_err_t pp_webauthn_b64url_decode(const char *text, uint8_t *out, size_t cap, size_t *out_len);

#endif

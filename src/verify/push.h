/* push.h: what a push factor (Verify Push) proves with: an ECDSA P-256
 * key pair on the device (ES256).  The server keeps the public key
 * (SubjectPublicKeyInfo, DER) and checks signatures made with the private
 * key, which never leaves the device; a factor's proof and a device's
 * answer to a challenge are decided here.  Over OpenSSL's libcrypto, and
 * jansson for the answer's payload. */
#ifndef PP_VERIFY_PUSH_H
#define PP_VERIFY_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define PP_ES256_SPKI_MAX 128 /* a P-256 SubjectPublicKeyInfo is 91 bytes */

/* pp_b64_decode decodes base64 in either alphabet (standard or URL-safe),
 * with or without padding, into `out` (capacity `cap`).  Returns the length,
 * or -1 when `s` is not base64 or does not fit. */
long pp_b64_decode(const char *s, unsigned char *out, size_t cap);

/* pp_es256_key_check tells whether `spki` (`len` bytes) is the DER
 * SubjectPublicKeyInfo of an EC key on P-256 (prime256v1).  Errors:
 * PP_ERR_BAD_REQUEST (anything else), PP_ERR_NOMEM. */
pp_err_t pp_es256_key_check(const unsigned char *spki, size_t len);

/* pp_es256_verify checks an ECDSA P-256 / SHA-256 signature `sig` (DER, or
 * the 64 bytes r || s that JWS uses) of `msg` under the public key `spki`.
 * False for a wrong signature and for any malformed input. */
bool pp_es256_verify(const unsigned char *spki, size_t len, const void *msg, size_t mlen,
                     const unsigned char *sig, size_t siglen);

/* pp_jws_es256_verify checks a compact JWS (header.payload.signature,
 * base64url) whose header says "alg":"ES256" and whose signature verifies
 * under `spki`, and returns its payload (a NUL-terminated malloc'd string
 * the caller frees) in *payload.  Errors: PP_ERR_BAD_REQUEST (malformed,
 * other alg, bad signature), PP_ERR_NOMEM.  The payload is not parsed. */
pp_err_t pp_jws_es256_verify(const unsigned char *spki, size_t len, const char *token,
                             char **payload);

/* pp_push_config_check decides whether a push factor may keep the
 * configuration (Config.*) `platform`, `token`, `app_id` and
 * `sdk_version` (NULL: not set), as Twilio requires: on `create` the
 * platform, app id and SDK version are set; the platform is "apn", "fcm"
 * or "none"; apn and fcm need a notification token of at least 32
 * characters.  Returns NULL when it may, else why not (static text, the
 * detail of a 60306). */
const char *pp_push_config_check(const char *platform, const char *token, const char *app_id,
                                 const char *sdk_version, bool create);

/* pp_push_proof checks a push factor's proof of possession: `payload`, a
 * base64 ES256 signature (DER, or r || s) of the factor's SID
 * `factor_sid` under its key `spki`.  Errors: PP_ERR_VERIFY_FACTOR_FAILED
 * (60311) for anything else. */
pp_err_t pp_push_proof(const unsigned char *spki, size_t len, const char *factor_sid,
                       const char *payload);

/* pp_push_answer checks a device's answer to challenge `challenge_sid`: a
 * compact JWS (pp_jws_es256_verify) under `spki` whose payload is a JSON
 * object with the challenge's "sid" and a "status", "approved" or
 * "denied", which goes to *answer (a static string).  Errors:
 * PP_ERR_VERIFY_CHALLENGE_FAILED (60324) for anything else (another
 * challenge, another status, a signature that does not verify),
 * PP_ERR_NOMEM. */
pp_err_t pp_push_answer(const unsigned char *spki, size_t len, const char *jws,
                        const char *challenge_sid, const char **answer);

#endif

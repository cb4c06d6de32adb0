/* sign.h: Twilio webhook signatures (the X-Twilio-Signature header), computed
 * and checked exactly as twilio-node's getExpectedTwilioSignature,
 * validateRequest and validateRequestWithBody do:
 *
 *   signature = base64(HMAC-SHA1(auth token, url || k1 || v1 || k2 || v2 ...))
 *
 * where the pairs are the POST parameters sorted by key, and the values of a
 * key given more than once sorted and deduplicated (both sorts in JavaScript's
 * order: UTF-16 code units).  For a JSON body the URL carries
 * "bodySHA256=<hex SHA-256 of the body>" and there are no parameters.
 * Nothing here logs; tokens are only passed to OpenSSL's HMAC. */
#ifndef PP_HOOK_SIGN_H
#define PP_HOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/form.h"

/* Base64 of a 20-byte HMAC-SHA1, and with its NUL. */
#define PP_HOOK_SIG_LEN 28
#define PP_HOOK_SIG_SIZE (PP_HOOK_SIG_LEN + 1)

/* Lowercase hex of a SHA-256, with its NUL. */
#define PP_HOOK_SHA256_HEX_SIZE 65

/* How many URL spellings pp_hook_validate tries. */
#define PP_HOOK_URL_VARIANTS 4

/* pp_hook_sign writes the signature Twilio sends for a request to `url` (as
 * configured, byte for byte: no normalization) with the `n` form parameters
 * `params` (names NUL-terminated, values value_len bytes) into `out`,
 * NUL-terminated.  `params` may be NULL when n is 0 and is not reordered.
 * Errors: PP_ERR_INVALID_PARAM (token or url NULL), PP_ERR_NOMEM,
 * PP_ERR_INTERNAL (OpenSSL failed).  `out` is written only on success. */
pp_err_t pp_hook_sign(const char *token, const char *url, const pp_param_t *params, size_t n,
                      char out[PP_HOOK_SIG_SIZE]);

/* pp_hook_body_sha256 writes the lowercase hex SHA-256 of `len` bytes of
 * `body` into `out` (twilio-node's getExpectedBodyHash).  Errors:
 * PP_ERR_INTERNAL (OpenSSL failed). */
pp_err_t pp_hook_body_sha256(const void *body, size_t len, char out[PP_HOOK_SHA256_HEX_SIZE]);

/* pp_hook_url_with_body_sha256 returns, in `a`, `url` with
 * "bodySHA256=<hex>" appended to its query ('?' or '&' as needed): the URL
 * to sign, with no parameters, for a request whose body is `len` bytes of
 * JSON.  Errors: PP_ERR_INVALID_PARAM (url NULL or with a '#' fragment),
 * PP_ERR_NOMEM, PP_ERR_INTERNAL.  *out is written only on success. */
pp_err_t pp_hook_url_with_body_sha256(pp_arena_t *a, const char *url, const void *body, size_t len,
                                      const char **out);

/* pp_hook_sig_equal compares two NUL-terminated signatures (or hashes) in
 * time that depends only on their lengths; false if either is NULL. */
bool pp_hook_sig_equal(const char *expected, const char *given);

/* pp_hook_url_variants writes into `out`, in `a`, the four spellings of
 * `url` that twilio-node's validateRequest signs in turn: as `new URL()`
 * normalizes it without any port; with its port, or ":443"/":80" when it has
 * none; and those two with the query rewritten by Node's legacy querystring
 * module.  Only http and https URLs are supported (see url.h).  Errors:
 * PP_ERR_INVALID_PARAM (not a URL Node would accept, or outside the
 * supported subset), PP_ERR_NOMEM. */
pp_err_t pp_hook_url_variants(pp_arena_t *a, const char *url,
                              const char *out[PP_HOOK_URL_VARIANTS]);

/* pp_hook_validate says whether `signature` is the signature of a request
 * to `url` with `params`, trying the URL variants of pp_hook_url_variants in
 * twilio-node's order, each compared in constant time.  False for NULL
 * arguments, an unparsable URL, or out of memory (it fails closed). */
bool pp_hook_validate(const char *token, const char *signature, const char *url,
                      const pp_param_t *params, size_t n);

/* pp_hook_validate_body says whether `hash_hex` is the hex SHA-256 of `len`
 * bytes of `body` (twilio-node's validateBody); constant time in the
 * comparison, false for NULL. */
bool pp_hook_validate_body(const void *body, size_t len, const char *hash_hex);

/* pp_hook_validate_with_body is twilio-node's validateRequestWithBody: the
 * signature of `url` with no parameters must match, and the first
 * "bodySHA256" query parameter of `url` (form-decoded; "" when absent) must
 * be the hex SHA-256 of the body.  False otherwise, as pp_hook_validate. */
bool pp_hook_validate_with_body(const char *token, const char *signature, const char *url,
                                const void *body, size_t len);

#endif

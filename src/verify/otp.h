/* otp.h: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, -SHA256 and
 * -SHA512, and the RFC 4648 base32 that authenticator apps exchange secrets
 * in, and the otpauth URI that carries a secret to them.  No clock, no
 * store, and no allocation but pp_otp_uri's escaping; pure functions but
 * pp_otp_secret_make's random bytes. */
#ifndef PP_VERIFY_OTP_H
#define PP_VERIFY_OTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PP_OTP_SHA1, PP_OTP_SHA256, PP_OTP_SHA512 } pp_otp_alg_t;

#define PP_OTP_MAX_DIGITS 10

/* pp_otp_alg_parse maps "sha1" / "sha256" / "sha512" (any case) to *out;
 * false for anything else. */
bool pp_otp_alg_parse(const char *s, pp_otp_alg_t *out);

/* pp_otp_alg_name returns "sha1", "sha256" or "sha512". */
const char *pp_otp_alg_name(pp_otp_alg_t alg);

#define PP_OTP_SECRET_MIN 10 /* bytes of a secret a client brings (RFC 4226: 128 bits at least) */
#define PP_OTP_SECRET_MAX 64

/* pp_otp_secret_len returns the length of a new secret for `alg`: the
 * hash's output, as RFC 6238's seeds (20, 32 or 64 bytes). */
size_t pp_otp_secret_len(pp_otp_alg_t alg);

/* pp_otp_secret_make writes a TOTP factor's secret into `out`: the bytes
 * of `given` (base32, as a client's Binding.Secret) when it is neither
 * NULL nor "", else pp_otp_secret_len(alg) bytes from libsodium's CSPRNG.
 * Returns its length, or -1 (and `out` wiped) when `given` is not base32
 * of PP_OTP_SECRET_MIN to PP_OTP_SECRET_MAX bytes.  The caller wipes
 * `out`. */
long pp_otp_secret_make(pp_otp_alg_t alg, const char *given, unsigned char out[PP_OTP_SECRET_MAX]);

/* pp_otp_uri writes the otpauth URI of a TOTP secret (`b32`, base32) into
 * `out` (capacity `cap`, NUL-terminated):
 *   otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER
 *     &algorithm=SHA1|SHA256|SHA512&digits=DIGITS&period=PERIOD
 * with `issuer` and `account` percent-encoded (RFC 3986's unreserved
 * characters kept).  Returns its length, or -1 when it does not fit or
 * memory runs out.  The secret is written only into `out`, which the
 * caller wipes. */
int pp_otp_uri(char *out, size_t cap, const char *issuer, const char *account, const char *b32,
               pp_otp_alg_t alg, int digits, int period);

/* pp_hotp writes the `digits`-digit (1..PP_OTP_MAX_DIGITS) HOTP value of
 * `key` (`key_len` bytes) at `counter`, zero-padded, with a NUL, into `out`
 * (PP_OTP_MAX_DIGITS + 1 bytes).  Returns false when HMAC fails or an
 * argument is out of range (then `out` is untouched). */
bool pp_hotp(pp_otp_alg_t alg, const unsigned char *key, size_t key_len, uint64_t counter,
             int digits, char out[PP_OTP_MAX_DIGITS + 1]);

/* pp_totp_counter returns the RFC 6238 time step of Unix time `t` for a
 * step of `step` seconds (T0 = 0); `t` before 1970 gives 0. */
uint64_t pp_totp_counter(int64_t t, int step);

/* pp_otp_code_ok tells whether `code` is exactly `digits` decimal digits,
 * the only shape a code can match in (its length is not secret). */
bool pp_otp_code_ok(const char *code, int digits);

/* pp_totp_match checks `code` against the `digits`-digit TOTP of `key`
 * (`key_len` bytes) at Unix time `now` for every time step (of `step`
 * seconds) from the current one minus `skew` to the current one plus
 * `skew`; each candidate is computed, compared in constant time and wiped.
 * Returns the newest matching step later than `last_counter` (the newest
 * step accepted before, or -1 for none), so that a code is accepted at most
 * once and no older code after a newer one.  Returns -1 when `code` is not
 * exactly `digits` decimal digits (nothing is computed then), when no step
 * matches, or when only steps at or before `last_counter` match (a
 * replay).  Callers that must open `key` first test pp_otp_code_ok
 * before. */
int64_t pp_totp_match(pp_otp_alg_t alg, const unsigned char *key, size_t key_len, int64_t now,
                      int step, int digits, int skew, int64_t last_counter, const char *code);

/* pp_otp_equal compares two NUL-terminated codes in time that depends only
 * on their lengths. */
bool pp_otp_equal(const char *a, const char *b);

/* pp_base32_encode writes RFC 4648 base32 of `n` bytes (upper case, no
 * padding) with a NUL into `out` (capacity `cap`, at least
 * (n * 8 + 4) / 5 + 1).  Returns the length written, 0 when `cap` is too
 * small. */
size_t pp_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap);

/* pp_base32_decode decodes `s` (either case; '=' padding, spaces and '-'
 * ignored) into `out` (capacity `cap`).  Returns the number of bytes, or
 * -1 on a character outside the alphabet or when `cap` is too small. */
long pp_base32_decode(const char *s, unsigned char *out, size_t cap);

#endif

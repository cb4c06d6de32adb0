/* secrets.h: how Verify keeps its secrets (DESIGN.md rule 4).
 *
 * One-time codes are kept only as keyed BLAKE2b-256 of (verification SID,
 * code) under Verify's hash key (crypto_kdf sub-key 1 of context
 * PP_KDF_CTX_VERIFY of the store's "verify" key), and compared in constant
 * time.  Keys of rate limits (phone numbers, IP addresses) are hashed the
 * same way.  The one-time QR code of a new TOTP factor is kept only as the
 * plain BLAKE2b-256 of its token (32 random bytes, 256 bits: no key needed).
 *
 * Values that must be read back (a TOTP factor's secret; the text of a
 * verification SMS until the carrier has accepted it) are not sealed here:
 * they are sealed with the account's data key (pp_store_seal,
 * pp_store_open_secret), so closing the account shreds them and an
 * account-key rotation seals them again.
 *
 * The key lives in sodium_malloc memory.  Needs sodium_init(). */
#ifndef PP_VERIFY_SECRETS_H
#define PP_VERIFY_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define PP_VERIFY_HASH_LEN 32

typedef struct pp_verify_keys pp_verify_keys_t;

/* pp_verify_keys_new derives the hash key from `master` (32 bytes: the
 * store's "verify" root key, pp_store_named_key, which a master-key
 * rotation does not change).  *out is freed with pp_verify_keys_free.
 * Errors: PP_ERR_INVALID_PARAM, PP_ERR_NOMEM. */
pp_err_t pp_verify_keys_new(const unsigned char *master, pp_verify_keys_t **out);

/* pp_verify_keys_free wipes and frees `k`; NULL is a no-op. */
void pp_verify_keys_free(pp_verify_keys_t *k);

/* pp_verify_code_new writes `digits` (4..10) uniformly random decimal
 * digits from libsodium's CSPRNG and a NUL into `out`. */
void pp_verify_code_new(int digits, char out[11]);

/* pp_verify_hash writes the keyed BLAKE2b-256 of `scope` || 0x00 || `value`
 * into `out`.  For codes the scope is the verification SID. */
void pp_verify_hash(const pp_verify_keys_t *k, const char *scope, const char *value,
                    unsigned char out[PP_VERIFY_HASH_LEN]);

/* pp_verify_hash_in tells whether `h` equals one of the `n` hashes packed in
 * `hashes`, comparing every one of them in constant time. */
bool pp_verify_hash_in(const unsigned char *hashes, size_t n,
                       const unsigned char h[PP_VERIFY_HASH_LEN]);

#define PP_VERIFY_QR_TOKEN_LEN 32 /* random bytes of a QR code's token */

/* pp_verify_qr_token_new writes a new QR code token (PP_VERIFY_QR_TOKEN_LEN
 * random bytes as lower-case hex, with a NUL) into `token`, and the hash
 * that is stored of it (pp_verify_qr_hash) into `hash`. */
void pp_verify_qr_token_new(char token[2 * PP_VERIFY_QR_TOKEN_LEN + 1],
                            unsigned char hash[PP_VERIFY_HASH_LEN]);

/* pp_verify_qr_hash writes the unkeyed BLAKE2b-256 of the text `token`
 * into `out`: what is stored of a QR code's token and what a fetch of the
 * code presents is compared with. */
void pp_verify_qr_hash(const char *token, unsigned char out[PP_VERIFY_HASH_LEN]);

#endif

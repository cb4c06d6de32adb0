/* secrets.h: how Verify keeps its secrets (DESIGN.md rule 4).
 *
 * Two sub-keys of the master key, derived with crypto_kdf under
 * PP_KDF_CTX_VERIFY: a hash key (id 1) and a sealing key (id 2).
 *
 *  - One-time codes are kept only as keyed BLAKE2b-256 of (verification
 *    SID, code) under the hash key, and compared in constant time.  Keys
 *    of rate limits (phone numbers, IP addresses) are hashed the same way.
 *  - Values that must be read back (a TOTP factor's secret; the text of a
 *    verification SMS until the carrier has accepted it) are sealed with
 *    XChaCha20-Poly1305 under the sealing key; the associated data binds the
 *    account, table, column and row, so a blob moved elsewhere does not
 *    open.
 *
 * The keys live in sodium_malloc memory.  Needs sodium_init(). */
#ifndef PP_VERIFY_SECRETS_H
#define PP_VERIFY_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define PP_VERIFY_HASH_LEN 32
/* Sealed blob: version (0x01) || nonce (24) || ciphertext || tag (16). */
#define PP_VERIFY_SEAL_OVERHEAD (1 + 24 + 16)

typedef struct pp_verify_keys pp_verify_keys_t;

/* pp_verify_keys_new derives the keys from `master` (32 bytes: the store's
 * "verify" root key, pp_store_named_key, which a master-key rotation does
 * not change).  *out is
 * freed with pp_verify_keys_free.  Errors: PP_ERR_INVALID_PARAM,
 * PP_ERR_NOMEM. */
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

/* Where a sealed value lives: the associated data of its seal. */
typedef struct {
  const char *account_sid, *table, *column, *row_id; /* each 1..255 bytes */
} pp_verify_place_t;

/* pp_verify_seal seals `len` bytes into `out` (capacity `cap`, at least
 * len + PP_VERIFY_SEAL_OVERHEAD) and sets *out_len.  Errors:
 * PP_ERR_INVALID_PARAM. */
pp_err_t pp_verify_seal(const pp_verify_keys_t *k, const pp_verify_place_t *at, const void *pt,
                        size_t len, unsigned char *out, size_t cap, size_t *out_len);

/* pp_verify_open opens `blob` sealed for `at` into a fresh sodium_malloc
 * buffer, NUL-terminated, that the caller frees with pp_verify_secret_free.
 * Errors: PP_ERR_INVALID_PARAM; PP_ERR_BAD_REQUEST (tampered, moved, other
 * key); PP_ERR_NOMEM. */
pp_err_t pp_verify_open(const pp_verify_keys_t *k, const pp_verify_place_t *at,
                        const unsigned char *blob, size_t len, unsigned char **out,
                        size_t *out_len);

/* pp_verify_secret_free wipes and frees what pp_verify_open returned. */
void pp_verify_secret_free(void *p);

#endif

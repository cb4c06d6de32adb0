/* verify_v1.h (private to src/store): opening what Verify sealed before its
 * secrets moved onto the accounts' data keys, for the schema step that
 * seals them again (docs/internals/at-rest.md, "Upgrading").
 *
 * Format 1: version (0x01) || nonce (24) || XChaCha20-Poly1305 ciphertext
 * || tag (16), under sub-key 2 of crypto_kdf context PP_KDF_CTX_VERIFY of
 * the store's "verify" key; associated data "pipit-verify-v1" and the
 * length-prefixed (u8) account SID, table, column and row. */
#ifndef PP_STORE_VERIFY_V1_H
#define PP_STORE_VERIFY_V1_H

#include <stddef.h>

#include "core/err.h"

/* pp_verify_v1_open opens `blob` (`len` bytes) sealed in format 1 under
 * the root `root` (32 bytes) for (account, table, column, row), each 1..255
 * bytes, into sodium_malloc memory, NUL-terminated (*out, *out_len), which
 * the caller frees with sodium_free.  Errors: PP_ERR_INVALID_PARAM;
 * PP_ERR_BAD_REQUEST (not format 1, altered, another place or key);
 * PP_ERR_NOMEM. */
pp_err_t pp_verify_v1_open(const unsigned char *root, const char *account_sid, const char *table,
                           const char *column, const char *row, const unsigned char *blob,
                           size_t len, unsigned char **out, size_t *out_len);

#endif

/* envelope.h: envelope encryption of customer content (DESIGN.md rule 2).
 *
 * Key hierarchy.  One master key (32 bytes, held by the process, never in
 * the database) wraps one data key (DEK) per account and generation with
 * XChaCha20-Poly1305-IETF.  A DEK seals individual fields; the associated
 * data of each sealed field binds the account, table, column and row, so a
 * ciphertext copied to another place does not open.  Sub-keys with other
 * purposes (blind indexes, key ids) are derived from the master key with
 * crypto_kdf, one context and id per purpose (see PP_KDF_*).
 *
 * Every function here needs sodium_init() to have succeeded.  Secret bytes
 * (master key, DEKs, index keys, opened plaintext in the _secret forms) live
 * in sodium_malloc memory and are wiped when freed.  A master key is always
 * PP_KEY_LEN bytes that the caller allocated with sodium_malloc and frees
 * with sodium_free (see pp_master_key_load in app/app.h).
 *
 * Errors.  PP_ERR_INVALID_PARAM: an argument is outside its contract (NULL,
 * too long, buffer too small).  PP_ERR_CORRUPT: the bytes given to
 * unwrap/open are malformed, tampered with, or belong to another account,
 * field, generation or key (an integrity failure, which the caller that
 * knows where the bytes came from logs).  PP_ERR_NOMEM: sodium_malloc
 * failed.  Out-parameters are written only on success. */
#ifndef PP_SECURITY_ENVELOPE_H
#define PP_SECURITY_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_KEY_LEN 32   /* master keys, DEKs and derived sub-keys */
#define PP_NONCE_LEN 24 /* XChaCha20 nonce */
#define PP_TAG_LEN 16   /* Poly1305 tag */

/* Longest account SID, table, column or row id bound into associated data. */
#define PP_AAD_PART_MAX 255

/* Wrapped DEK: version (0x01) || nonce (24) || ciphertext (32) || tag (16). */
#define PP_DEK_WRAP_VERSION 0x01
#define PP_DEK_WRAPPED_LEN (1 + PP_NONCE_LEN + PP_KEY_LEN + PP_TAG_LEN)

/* Sealed field: version (0x01) || generation (4, big-endian) || nonce (24)
 * || ciphertext (same length as the plaintext) || tag (16). */
#define PP_SEAL_VERSION 0x01
#define PP_SEAL_HEADER_LEN (1 + 4 + PP_NONCE_LEN)
#define PP_SEAL_OVERHEAD (PP_SEAL_HEADER_LEN + PP_TAG_LEN)

/* ---- Sub-keys derived from the master key ------------------------------ */

/* crypto_kdf contexts (exactly 8 bytes each, NUL included) and sub-key ids.
 * Append only: changing one changes every key derived from it. */
#define PP_KDF_CTX_BLIND_INDEX "pp-bidx" /* + NUL: blind index keys */
#define PP_KDF_CTX_KEY_ID "pp-mkid"      /* + NUL: master key fingerprint */
#define PP_KDF_CTX_LOG "pp-tlog"         /* + NUL: audit log signing seed */
#define PP_KDF_CTX_VERIFY "pp-vrfy"      /* + NUL: Verify code hash (1), former seal (2) keys */

/* Sub-key ids under PP_KDF_CTX_BLIND_INDEX: one index key per kind of value,
 * so equal bytes of different kinds never share an index entry. */
#define PP_BIDX_PHONE 1 /* E.164 phone numbers */
#define PP_BIDX_EMAIL 2 /* lower-cased e-mail addresses */

/* pp_kdf_derive writes `out_len` bytes (16..64) of the sub-key `id` under
 * `ctx` (an 8-byte context, normally a PP_KDF_CTX_* constant) of `master`
 * (PP_KEY_LEN bytes) into `out`, which the caller provides and should keep
 * in sodium_malloc memory.  Errors: PP_ERR_INVALID_PARAM. */
pp_err_t pp_kdf_derive(const unsigned char *master, const char ctx[8], uint64_t id,
                       unsigned char *out, size_t out_len);

/* pp_master_key_id writes a public fingerprint of `master` (the first 8
 * bytes of sub-key 1 under PP_KDF_CTX_KEY_ID, as 16 lowercase hex digits and
 * a NUL) into `out`.  It names a master key in the store and in logs (which
 * master wrapped this DEK?) without revealing it.  Errors:
 * PP_ERR_INVALID_PARAM. */
pp_err_t pp_master_key_id(const unsigned char *master, char out[17]);

/* ---- Data keys --------------------------------------------------------- */

/* A DEK: PP_KEY_LEN secret bytes, the account SID it belongs to and its
 * generation.  Opaque; the whole object lives in read-only sodium_malloc
 * memory. */
typedef struct pp_dek pp_dek_t;

/* pp_dek_new makes a fresh random DEK for `account_sid` (1..PP_AAD_PART_MAX
 * bytes) and `generation` (the caller's counter: the first key of an
 * account is 1, each re-key adds one).  *out is freed with pp_dek_free.
 * Errors: PP_ERR_INVALID_PARAM, PP_ERR_NOMEM. */
pp_err_t pp_dek_new(const char *account_sid, uint32_t generation, pp_dek_t **out);

/* pp_dek_free wipes and frees `dek`; NULL is a no-op. */
void pp_dek_free(pp_dek_t *dek);

/* pp_dek_account_sid returns the account SID the DEK belongs to (owned by
 * the DEK, valid until pp_dek_free). */
const char *pp_dek_account_sid(const pp_dek_t *dek);

/* pp_dek_generation returns the DEK's generation. */
uint32_t pp_dek_generation(const pp_dek_t *dek);

/* pp_dek_wrap encrypts `dek` under `master` into `out` (PP_DEK_WRAPPED_LEN
 * bytes, not secret: this is what the store keeps) with a fresh random
 * nonce.  The associated data is "pipit-dek-v1" || u8 len || account SID ||
 * u32be generation, so the wrapped key opens only for the same account and
 * generation.  Errors: PP_ERR_INVALID_PARAM. */
pp_err_t pp_dek_wrap(const unsigned char *master, const pp_dek_t *dek,
                     unsigned char out[PP_DEK_WRAPPED_LEN]);

/* pp_dek_unwrap opens `wrapped` (`len` bytes) with `master` for
 * `account_sid` and `generation` and returns the DEK in *out (freed with
 * pp_dek_free).  Errors: PP_ERR_INVALID_PARAM; PP_ERR_CORRUPT when
 * `wrapped` has the wrong length or version, was tampered with, or belongs
 * to another master key, account or generation; PP_ERR_NOMEM. */
pp_err_t pp_dek_unwrap(const unsigned char *master, const char *account_sid, uint32_t generation,
                       const unsigned char *wrapped, size_t len, pp_dek_t **out);

/* pp_dek_rewrap is master-key rotation for one DEK: it unwraps `wrapped`
 * with `old_master` and wraps the same DEK under `new_master` into `out`.
 * The DEK bytes, and so every field sealed with them, are unchanged; the
 * plaintext key exists only in sodium_malloc memory and is wiped.  Errors:
 * as pp_dek_unwrap. */
pp_err_t pp_dek_rewrap(const unsigned char *old_master, const unsigned char *new_master,
                       const char *account_sid, uint32_t generation, const unsigned char *wrapped,
                       size_t len, unsigned char out[PP_DEK_WRAPPED_LEN]);

/* ---- Sealed fields ----------------------------------------------------- */

/* Where a sealed value lives.  Each part is 1..PP_AAD_PART_MAX bytes; the
 * account comes from the DEK.  Example: {"messages", "body", "SM…"}. */
typedef struct {
  const char *table;
  const char *column;
  const char *row_id;
} pp_field_t;

/* pp_sealed_len returns the length of a sealed blob for a plaintext of
 * `plaintext_len` bytes (plaintext_len + PP_SEAL_OVERHEAD), or 0 if that
 * overflows. */
size_t pp_sealed_len(size_t plaintext_len);

/* pp_seal encrypts `len` bytes at `plaintext` with `dek` for `field` into
 * `out` (capacity `cap`, at least pp_sealed_len(len)) and writes the blob
 * length to *out_len.  The associated data is the blob header (version,
 * generation) || "pipit-field-v1" || u8 len || account SID || u8 len ||
 * table || u8 len || column || u8 len || row id.  The nonce is random.
 * `out` must not overlap `plaintext`.  Errors: PP_ERR_INVALID_PARAM. */
pp_err_t pp_seal(const pp_dek_t *dek, const pp_field_t *field, const void *plaintext, size_t len,
                 unsigned char *out, size_t cap, size_t *out_len);

/* pp_sealed_generation reads the DEK generation from the header of a
 * sealed blob, so the caller can fetch the right DEK before pp_open.  The
 * value is not authenticated until pp_open succeeds.  Errors:
 * PP_ERR_INVALID_PARAM; PP_ERR_CORRUPT (too short, unknown version). */
pp_err_t pp_sealed_generation(const unsigned char *blob, size_t len, uint32_t *out);

/* pp_open decrypts `blob` (`len` bytes) with `dek` for `field` into `out`
 * (capacity `cap`, at least len - PP_SEAL_OVERHEAD) and writes the
 * plaintext length to *out_len.  The caller owns `out` and should wipe it
 * when the plaintext is secret (or use pp_open_secret).  Errors:
 * PP_ERR_INVALID_PARAM; PP_ERR_CORRUPT when the blob is malformed, was
 * tampered with, or was sealed for another account, table, column, row or
 * generation, or with another key. */
pp_err_t pp_open(const pp_dek_t *dek, const pp_field_t *field, const unsigned char *blob,
                 size_t len, unsigned char *out, size_t cap, size_t *out_len);

/* pp_open_secret is pp_open into a fresh sodium_malloc buffer of
 * plaintext length + 1 that is NUL-terminated (handy for text).  The caller
 * frees *out with pp_secret_free, which wipes it.  Errors: as pp_open, and
 * PP_ERR_NOMEM. */
pp_err_t pp_open_secret(const pp_dek_t *dek, const pp_field_t *field, const unsigned char *blob,
                        size_t len, unsigned char **out, size_t *out_len);

/* pp_secret_free wipes and frees memory returned by pp_open_secret or
 * pp_blind_index_key_new; NULL is a no-op. */
void pp_secret_free(void *p);

/* pp_reseal is DEK rotation for one field: it opens `blob` with `old_dek`
 * and seals the plaintext again with `new_dek` for the same field into
 * `out` (capacity `cap`, at least `len`; `out` must not overlap `blob`).
 * The plaintext exists only in sodium_malloc memory and is wiped.  The two
 * DEKs must belong to the same account.  Errors: as pp_open and pp_seal,
 * and PP_ERR_NOMEM. */
pp_err_t pp_reseal(const pp_dek_t *old_dek, const pp_dek_t *new_dek, const pp_field_t *field,
                   const unsigned char *blob, size_t len, unsigned char *out, size_t cap,
                   size_t *out_len);

/* ---- Blind indexes ----------------------------------------------------- */

#define PP_BLIND_INDEX_LEN 32

/* pp_blind_index_key_new derives the index key for values of `kind`
 * (PP_BIDX_PHONE, PP_BIDX_EMAIL, …) from `master`.  With `account_sid`
 * NULL it is the global key: sub-key `kind` under PP_KDF_CTX_BLIND_INDEX.
 * With an account SID (1..PP_AAD_PART_MAX bytes) it is that account's key:
 * BLAKE2b-256 of the SID keyed with the global key, so equal values in two
 * accounts get unrelated indexes and a dump does not link them.  *out is
 * PP_KEY_LEN bytes of read-only sodium_malloc memory, freed with
 * pp_secret_free.  Errors: PP_ERR_INVALID_PARAM, PP_ERR_NOMEM. */
pp_err_t pp_blind_index_key_new(const unsigned char *master, uint64_t kind, const char *account_sid,
                                unsigned char **out);

/* pp_blind_index writes a keyed hash of `len` bytes at `value` under
 * `index_key` (PP_KEY_LEN bytes) into `out`: equal values give equal
 * indexes under one key, so the store can find rows by phone number
 * without keeping the number in clear.  Normalise the value first (E.164
 * for phone numbers).  The hash is SipHash-2-4 with 128-bit output
 * (libsodium's crypto_shorthash_siphashx24) under each half of the key,
 * one after the other: a PRF built for short inputs, 15 times cheaper
 * than keyed BLAKE2b on a phone number, so the hot path's indexes and
 * sign-in hash cost little.  Errors: PP_ERR_INVALID_PARAM. */
pp_err_t pp_blind_index(const unsigned char *index_key, const void *value, size_t len,
                        unsigned char out[PP_BLIND_INDEX_LEN]);

/* pp_blind_index_v1 is the former index, keyed BLAKE2b-256: kept for the
 * inbound parts waiting for their message (mo_parts), whose numbers are
 * stored only as this index and so cannot be indexed again.  Errors as
 * pp_blind_index. */
pp_err_t pp_blind_index_v1(const unsigned char *index_key, const void *value, size_t len,
                           unsigned char out[PP_BLIND_INDEX_LEN]);

#endif

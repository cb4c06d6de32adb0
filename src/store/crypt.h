/* crypt.h (private to src/store): encryption at rest for every backend
 * (DESIGN.md rule 2).  The store seals customer content field by field
 * with the account's data key (src/security/envelope.h): XChaCha20-Poly1305
 * with the account SID, table, column and row id as associated data, so a
 * ciphertext moved to another row, column or account does not open.  Phone
 * numbers needed for lookups are also kept as a blind index (keyed
 * SipHash, envelope.h's pp_blind_index, under one index key kept in the
 * store, so numbers can be matched across tables: inbound routing, sender
 * pools).
 *
 * Data keys live in the store (table account_keys), wrapped by the master
 * key, which never is.  A DEK is made when its account is (or, for an
 * account older than encryption, when the store opens).  Unwrapped DEKs
 * are cached (bounded); the cache is shared by every thread.  Keys of a
 * closed account are deleted: its content can no longer be read
 * (crypto-shredding). */
#ifndef PP_STORE_CRYPT_H
#define PP_STORE_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "security/envelope.h"

typedef struct pp_crypt pp_crypt_t;

/* PP_CRYPT_PLAINTEXT is 1 only in the build bench/at-rest.sh makes to
 * measure what encryption costs (CMake option PP_BENCH_PLAINTEXT): that
 * build keeps customer content in clear (seal and open pass values
 * through, a blind index is the value itself, zero-padded, as is a token's
 * hash) and refuses to open a store unless PIPIT_BENCH_PLAINTEXT=1 is set.
 * Every other build has it 0. */
#ifdef PP_BENCH_PLAINTEXT
#define PP_CRYPT_PLAINTEXT 1
#else
#define PP_CRYPT_PLAINTEXT 0
#endif

/* Reads the wrapped DEK of (account, generation) from the backend `be`
 * into `out` (PP_DEK_WRAPPED_LEN bytes), on the backend's connection `conn`
 * when not NULL (it may be inside a transaction that just made the key);
 * generation 0 asks for the newest, whose number goes to *gen_out.
 * PP_ERR_NOT_FOUND when there is none. */
typedef pp_err_t (*pp_crypt_load_fn)(void *be, void *conn, const char *account_sid,
                                     uint32_t generation, unsigned char out[PP_DEK_WRAPPED_LEN],
                                     uint32_t *gen_out);

/* The blind-index keys (phone numbers, auth tokens) are random keys kept in
 * the store sealed with the PP_CRYPT_SYSTEM data key, not derived from the
 * master key, so a master-key rotation leaves every index as it is.  Reads
 * the 64 hex digits of index key `name` ("phone", "token") from the backend
 * `be` (on `conn` when not NULL) into `hex`. */
typedef pp_err_t (*pp_crypt_index_fn)(void *be, void *conn, const char *name, char hex[65]);

/* pp_crypt_new copies `master` (PP_KEY_LEN bytes) into guarded memory.
 * Errors: PP_ERR_NOMEM, PP_ERR_INVALID_PARAM. */
pp_err_t pp_crypt_new(const unsigned char *master, pp_crypt_t **out);

/* pp_crypt_free wipes and frees everything; NULL is a no-op. */
void pp_crypt_free(pp_crypt_t *c);

/* Where the master keys come from, for a running process to follow a
 * master-key rotation made by another (pipit admin keys rotate-master):
 * writes the current master into `primary` and, while a rotation is under
 * way, the next one into `next` (*has_next).  PP_OK or an error. */
typedef pp_err_t (*pp_crypt_keys_fn)(void *arg, unsigned char primary[PP_KEY_LEN],
                                     unsigned char next[PP_KEY_LEN], bool *has_next);

/* pp_crypt_set_key_source: when a wrapped DEK opens with none of the
 * master keys held, they are read again from `fn` (at most once a second)
 * and the unwrap tried again. */
void pp_crypt_set_key_source(pp_crypt_t *c, pp_crypt_keys_fn fn, void *arg);

/* pp_crypt_set_next_master adds a second master key that unwraps too (a
 * rotation found half done). */
pp_err_t pp_crypt_set_next_master(pp_crypt_t *c, const unsigned char *next);

/* pp_crypt_rewrap unwraps `wrapped` (account, generation) with a master key
 * held and wraps the same DEK under `new_master` into `out`.  Errors as
 * pp_dek_unwrap. */
pp_err_t pp_crypt_rewrap(pp_crypt_t *c, const char *account_sid, uint32_t generation,
                         const unsigned char *wrapped, size_t len, const unsigned char *new_master,
                         unsigned char out[PP_DEK_WRAPPED_LEN]);

/* pp_crypt_set_loader tells the cache where wrapped DEKs come from; each
 * seal or open passes the connection it runs on, or NULL. */
void pp_crypt_set_loader(pp_crypt_t *c, pp_crypt_load_fn fn, pp_crypt_index_fn index, void *be);

/* pp_crypt_master_id: the master key's public fingerprint (16 hex). */
const char *pp_crypt_master_id(const pp_crypt_t *c);

/* pp_crypt_new_dek makes generation `generation` of `account_sid`'s DEK,
 * caches it and writes it wrapped into `wrapped`.  Errors as pp_dek_new. */
pp_err_t pp_crypt_new_dek(pp_crypt_t *c, const char *account_sid, uint32_t generation,
                          unsigned char wrapped[PP_DEK_WRAPPED_LEN]);

/* pp_crypt_forget drops an account's DEKs from the cache. */
void pp_crypt_forget(pp_crypt_t *c, const char *account_sid);

/* pp_crypt_seal seals `len` bytes for (account, table, column, row) with
 * the account's newest DEK into a malloc'd blob (*out, *out_len).  Errors:
 * PP_ERR_NOT_FOUND (the account has no key), PP_ERR_CORRUPT (its
 * wrapped key does not open with this master key; logged), PP_ERR_NOMEM. */
pp_err_t pp_crypt_seal(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                       const char *column, const char *row, const void *plain, size_t len,
                       unsigned char **out, size_t *out_len);

/* One field of a row for pp_crypt_seal_fields: `len` bytes at `plain`
 * sealed for column `column` into `out` (capacity `cap`, at least
 * pp_sealed_len(len)); the blob's length goes to out_len. */
typedef struct {
  const char *column;
  const void *plain;
  size_t len;
  unsigned char *out;
  size_t cap, out_len;
} pp_crypt_field_t;

/* pp_crypt_seal_fields seals `n` fields of one row (account, table, row)
 * with the account's newest DEK, looked up once, into the callers'
 * buffers: the hot path's way to seal a new message.  Errors as
 * pp_crypt_seal, and PP_ERR_INVALID_PARAM for a buffer too small; on an
 * error no out_len is to be trusted. */
pp_err_t pp_crypt_seal_fields(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                              const char *row, pp_crypt_field_t *f, size_t n);

/* pp_crypt_open opens a blob sealed by pp_crypt_seal for the same
 * coordinates into a malloc'd, NUL-terminated plaintext.  Errors as
 * pp_crypt_seal; PP_ERR_CORRUPT (logged) also for a blob that was altered
 * or belongs elsewhere. */
pp_err_t pp_crypt_open(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                       const char *column, const char *row, const unsigned char *blob, size_t len,
                       char **out, size_t *out_len);

/* pp_crypt_open_secret is pp_crypt_open into guarded memory (sodium_malloc:
 * locked, guard pages), for secrets (TOTP seeds, verification texts): the
 * caller frees *out with pp_crypt_secret_free, on the same thread, which
 * wipes it.  Errors as pp_crypt_open. */
pp_err_t pp_crypt_open_secret(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                              const char *column, const char *row, const unsigned char *blob,
                              size_t len, unsigned char **out, size_t *out_len);

/* pp_crypt_secret_free wipes and releases what pp_crypt_open_secret
 * returned; NULL is a no-op. */
void pp_crypt_secret_free(void *p);

/* pp_crypt_bidx writes the blind index of a phone number (or any value
 * matched across accounts) into `out`.  Errors: those of loading the index
 * key (first use). */
pp_err_t pp_crypt_bidx(pp_crypt_t *c, void *conn, const void *value, size_t len,
                       unsigned char out[PP_BLIND_INDEX_LEN]);

/* pp_crypt_part_index is pp_crypt_bidx with the former index function
 * (pp_blind_index_v1), for the numbers of inbound parts (mo_parts), which
 * are kept only as that index.  Errors as pp_crypt_bidx. */
pp_err_t pp_crypt_part_index(pp_crypt_t *c, void *conn, const void *value, size_t len,
                             unsigned char out[PP_BLIND_INDEX_LEN]);

/* pp_crypt_token_hash writes the keyed hash an auth token is checked
 * against (so signing in opens no token). */
pp_err_t pp_crypt_token_hash(pp_crypt_t *c, void *conn, const char *token,
                             unsigned char out[PP_BLIND_INDEX_LEN]);

/* Values that belong to the installation rather than an account (carrier
 * passwords) are sealed as account PP_CRYPT_SYSTEM, whose DEK the store
 * makes when it first opens. */
#define PP_CRYPT_SYSTEM "system"

#endif

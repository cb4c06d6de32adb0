/* envelope.c: master key → per-account DEK wrapping, field sealing with
 * associated data that binds account/table/column/row, blind indexes and
 * crypto_kdf sub-keys (see envelope.h and docs/internals/security.md). */
#include "security/envelope.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

_Static_assert(PP_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(PP_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(PP_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag size");
_Static_assert(PP_KEY_LEN == crypto_kdf_KEYBYTES, "kdf key size");
_Static_assert(crypto_kdf_CONTEXTBYTES == 8, "kdf context size");
_Static_assert(sizeof PP_KDF_CTX_BLIND_INDEX == 8, "context is 8 bytes with the NUL");
_Static_assert(sizeof PP_KDF_CTX_KEY_ID == 8, "context is 8 bytes with the NUL");
_Static_assert(sizeof PP_KDF_CTX_LOG == 8, "context is 8 bytes with the NUL");

struct pp_dek {
  unsigned char key[PP_KEY_LEN];
  uint32_t generation;
  char account_sid[PP_AAD_PART_MAX + 1];
};

static const char DEK_LABEL[] = "pipit-dek-v1";     /* without the NUL */
static const char FIELD_LABEL[] = "pipit-field-v1"; /* without the NUL */

/* Longest associated data: a label, a header and four length-prefixed parts. */
#define AAD_MAX (PP_SEAL_HEADER_LEN + sizeof FIELD_LABEL + 4 * (1 + PP_AAD_PART_MAX))

/* Nonces come from a per-thread pool of CSPRNG bytes refilled 256 bytes
 * at a time, so a seal makes no getrandom(2) call of its own (it was one
 * per field on the Messages.create path).  A nonce is public and needs
 * only to be unique, but a forked child must not replay its parent's pool:
 * every fork bumps fork_gen, and a pool made before it is refilled. */
#define NONCE_POOL 256
static unsigned fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void on_fork_child(void) {
  __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}
static void fork_hook(void) {
  pthread_atfork(NULL, NULL, on_fork_child);
}

static void nonce_fill(unsigned char nonce[PP_NONCE_LEN]) {
  static __thread unsigned char pool[NONCE_POOL];
  static __thread size_t used = NONCE_POOL;
  static __thread unsigned gen;
  pthread_once(&fork_once, fork_hook);
  unsigned now = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
  if (used + PP_NONCE_LEN > NONCE_POOL || gen != now) {
    randombytes_buf(pool, sizeof pool);
    used = 0;
    gen = now;
  }
  memcpy(nonce, pool + used, PP_NONCE_LEN);
  sodium_memzero(pool + used, PP_NONCE_LEN); /* each pool byte is used once */
  used += PP_NONCE_LEN;
}

/* part_len returns the length of an associated-data part, or 0 when it is
 * NULL, empty or longer than PP_AAD_PART_MAX. */
static size_t part_len(const char *s) {
  if (!s) return 0;
  size_t n = strnlen(s, PP_AAD_PART_MAX + 1);
  return n > PP_AAD_PART_MAX ? 0 : n;
}

/* put_part appends u8 length || bytes; the caller checked the length. */
static void put_part(unsigned char *ad, size_t *pos, const char *s, size_t n) {
  ad[(*pos)++] = (unsigned char)n;
  memcpy(ad + *pos, s, n);
  *pos += n;
}

static void put_u32be(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static uint32_t get_u32be(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- Sub-keys ---------------------------------------------------------- */

pp_err_t pp_kdf_derive(const unsigned char *master, const char ctx[8], uint64_t id,
                       unsigned char *out, size_t out_len) {
  if (!master || !ctx || !out || out_len < crypto_kdf_BYTES_MIN || out_len > crypto_kdf_BYTES_MAX)
    return PP_ERR_INVALID_PARAM;
  if (crypto_kdf_derive_from_key(out, out_len, id, ctx, master) != 0) return PP_ERR_INTERNAL;
  return PP_OK;
}

pp_err_t pp_master_key_id(const unsigned char *master, char out[17]) {
  if (!out) return PP_ERR_INVALID_PARAM;
  unsigned char sub[crypto_kdf_BYTES_MIN];
  pp_err_t e = pp_kdf_derive(master, PP_KDF_CTX_KEY_ID, 1, sub, sizeof sub);
  if (e != PP_OK) return e;
  sodium_bin2hex(out, 17, sub, 8);
  sodium_memzero(sub, sizeof sub);
  return PP_OK;
}

/* ---- Data keys --------------------------------------------------------- */

/* dek_alloc returns a writable, zeroed DEK for the account, or NULL. */
static pp_dek_t *dek_alloc(const char *account_sid, size_t sid_len, uint32_t generation) {
  pp_dek_t *d = sodium_malloc(sizeof *d);
  if (!d) return NULL;
  memset(d, 0, sizeof *d);
  memcpy(d->account_sid, account_sid, sid_len);
  d->generation = generation;
  return d;
}

pp_err_t pp_dek_new(const char *account_sid, uint32_t generation, pp_dek_t **out) {
  size_t n = part_len(account_sid);
  if (!n || !out) return PP_ERR_INVALID_PARAM;
  pp_dek_t *d = dek_alloc(account_sid, n, generation);
  if (!d) return PP_ERR_NOMEM;
  crypto_aead_xchacha20poly1305_ietf_keygen(d->key);
  sodium_mprotect_readonly(d);
  *out = d;
  return PP_OK;
}

void pp_dek_free(pp_dek_t *dek) {
  if (dek) sodium_free(dek); /* makes it writable, wipes, unmaps */
}

const char *pp_dek_account_sid(const pp_dek_t *dek) {
  return dek->account_sid;
}

uint32_t pp_dek_generation(const pp_dek_t *dek) {
  return dek->generation;
}

/* dek_aad builds "pipit-dek-v1" || u8 len || account SID || u32be gen. */
static size_t dek_aad(unsigned char *ad, const char *sid, size_t sid_len, uint32_t generation) {
  size_t pos = sizeof DEK_LABEL - 1;
  memcpy(ad, DEK_LABEL, pos);
  put_part(ad, &pos, sid, sid_len);
  put_u32be(ad + pos, generation);
  return pos + 4;
}

pp_err_t pp_dek_wrap(const unsigned char *master, const pp_dek_t *dek,
                     unsigned char out[PP_DEK_WRAPPED_LEN]) {
  if (!master || !dek || !out) return PP_ERR_INVALID_PARAM;
  unsigned char ad[sizeof DEK_LABEL + 1 + PP_AAD_PART_MAX + 4];
  size_t adlen = dek_aad(ad, dek->account_sid, strlen(dek->account_sid), dek->generation);
  out[0] = PP_DEK_WRAP_VERSION;
  unsigned char *nonce = out + 1;
  nonce_fill(nonce);
  unsigned long long clen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + PP_NONCE_LEN, &clen, dek->key,
                                                 PP_KEY_LEN, ad, adlen, NULL, nonce, master) != 0 ||
      clen != PP_KEY_LEN + PP_TAG_LEN)
    return PP_ERR_INTERNAL;
  return PP_OK;
}

pp_err_t pp_dek_unwrap(const unsigned char *master, const char *account_sid, uint32_t generation,
                       const unsigned char *wrapped, size_t len, pp_dek_t **out) {
  size_t n = part_len(account_sid);
  if (!master || !n || !wrapped || !out) return PP_ERR_INVALID_PARAM;
  if (len != PP_DEK_WRAPPED_LEN || wrapped[0] != PP_DEK_WRAP_VERSION) return PP_ERR_CORRUPT;
  unsigned char ad[sizeof DEK_LABEL + 1 + PP_AAD_PART_MAX + 4];
  size_t adlen = dek_aad(ad, account_sid, n, generation);
  pp_dek_t *d = dek_alloc(account_sid, n, generation);
  if (!d) return PP_ERR_NOMEM;
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(d->key, &plen, NULL, wrapped + 1 + PP_NONCE_LEN,
                                                 PP_KEY_LEN + PP_TAG_LEN, ad, adlen, wrapped + 1,
                                                 master) != 0 ||
      plen != PP_KEY_LEN) {
    sodium_free(d);
    return PP_ERR_CORRUPT;
  }
  sodium_mprotect_readonly(d);
  *out = d;
  return PP_OK;
}

pp_err_t pp_dek_rewrap(const unsigned char *old_master, const unsigned char *new_master,
                       const char *account_sid, uint32_t generation, const unsigned char *wrapped,
                       size_t len, unsigned char out[PP_DEK_WRAPPED_LEN]) {
  if (!new_master || !out) return PP_ERR_INVALID_PARAM;
  pp_dek_t *d = NULL;
  pp_err_t e = pp_dek_unwrap(old_master, account_sid, generation, wrapped, len, &d);
  if (e != PP_OK) return e;
  e = pp_dek_wrap(new_master, d, out);
  pp_dek_free(d);
  return e;
}

/* ---- Sealed fields ----------------------------------------------------- */

size_t pp_sealed_len(size_t plaintext_len) {
  if (plaintext_len > SIZE_MAX - PP_SEAL_OVERHEAD ||
      plaintext_len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
    return 0;
  return plaintext_len + PP_SEAL_OVERHEAD;
}

/* field_aad builds header || "pipit-field-v1" || the four parts; 0 when a
 * part is missing or too long. */
static size_t field_aad(unsigned char *ad, const unsigned char header[5], const pp_dek_t *dek,
                        const pp_field_t *f) {
  const char *parts[4] = {dek->account_sid, f->table, f->column, f->row_id};
  size_t lens[4];
  for (int i = 0; i < 4; i++)
    if (!(lens[i] = part_len(parts[i]))) return 0;
  size_t pos = 0;
  memcpy(ad, header, 5);
  pos += 5;
  memcpy(ad + pos, FIELD_LABEL, sizeof FIELD_LABEL - 1);
  pos += sizeof FIELD_LABEL - 1;
  for (int i = 0; i < 4; i++) put_part(ad, &pos, parts[i], lens[i]);
  return pos;
}

pp_err_t pp_seal(const pp_dek_t *dek, const pp_field_t *field, const void *plaintext, size_t len,
                 unsigned char *out, size_t cap, size_t *out_len) {
  if (!dek || !field || (!plaintext && len) || !out || !out_len) return PP_ERR_INVALID_PARAM;
  size_t need = pp_sealed_len(len);
  if (!need || cap < need) return PP_ERR_INVALID_PARAM;
  unsigned char header[5];
  header[0] = PP_SEAL_VERSION;
  put_u32be(header + 1, dek->generation);
  unsigned char ad[AAD_MAX];
  size_t adlen = field_aad(ad, header, dek, field);
  if (!adlen) return PP_ERR_INVALID_PARAM;
  memcpy(out, header, 5);
  unsigned char *nonce = out + 5;
  nonce_fill(nonce);
  unsigned long long clen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + PP_SEAL_HEADER_LEN, &clen, plaintext, len,
                                                 ad, adlen, NULL, nonce, dek->key) != 0 ||
      clen != len + PP_TAG_LEN)
    return PP_ERR_INTERNAL;
  *out_len = need;
  return PP_OK;
}

pp_err_t pp_sealed_generation(const unsigned char *blob, size_t len, uint32_t *out) {
  if (!blob || !out) return PP_ERR_INVALID_PARAM;
  if (len < PP_SEAL_OVERHEAD || blob[0] != PP_SEAL_VERSION) return PP_ERR_CORRUPT;
  *out = get_u32be(blob + 1);
  return PP_OK;
}

pp_err_t pp_open(const pp_dek_t *dek, const pp_field_t *field, const unsigned char *blob,
                 size_t len, unsigned char *out, size_t cap, size_t *out_len) {
  if (!dek || !field || !blob || !out || !out_len) return PP_ERR_INVALID_PARAM;
  uint32_t gen;
  pp_err_t e = pp_sealed_generation(blob, len, &gen);
  if (e != PP_OK) return e;
  if (gen != dek->generation) return PP_ERR_CORRUPT;
  size_t plen = len - PP_SEAL_OVERHEAD;
  if (cap < plen) return PP_ERR_INVALID_PARAM;
  unsigned char ad[AAD_MAX];
  size_t adlen = field_aad(ad, blob, dek, field);
  if (!adlen) return PP_ERR_INVALID_PARAM;
  unsigned long long got = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &got, NULL, blob + PP_SEAL_HEADER_LEN,
                                                 len - PP_SEAL_HEADER_LEN, ad, adlen, blob + 5,
                                                 dek->key) != 0 ||
      got != plen)
    return PP_ERR_CORRUPT;
  *out_len = plen;
  return PP_OK;
}

pp_err_t pp_open_secret(const pp_dek_t *dek, const pp_field_t *field, const unsigned char *blob,
                        size_t len, unsigned char **out, size_t *out_len) {
  if (!blob || !out || !out_len) return PP_ERR_INVALID_PARAM;
  if (len < PP_SEAL_OVERHEAD) return PP_ERR_CORRUPT;
  size_t plen = len - PP_SEAL_OVERHEAD;
  unsigned char *p = sodium_malloc(plen + 1);
  if (!p) return PP_ERR_NOMEM;
  size_t got = 0;
  pp_err_t e = pp_open(dek, field, blob, len, p, plen, &got);
  if (e != PP_OK) {
    sodium_free(p);
    return e;
  }
  p[got] = 0;
  *out = p;
  *out_len = got;
  return PP_OK;
}

void pp_secret_free(void *p) {
  if (p) sodium_free(p);
}

pp_err_t pp_reseal(const pp_dek_t *old_dek, const pp_dek_t *new_dek, const pp_field_t *field,
                   const unsigned char *blob, size_t len, unsigned char *out, size_t cap,
                   size_t *out_len) {
  if (!old_dek || !new_dek || !out || !out_len) return PP_ERR_INVALID_PARAM;
  if (strcmp(old_dek->account_sid, new_dek->account_sid) != 0) return PP_ERR_INVALID_PARAM;
  unsigned char *p = NULL;
  size_t plen = 0;
  pp_err_t e = pp_open_secret(old_dek, field, blob, len, &p, &plen);
  if (e != PP_OK) return e;
  e = pp_seal(new_dek, field, p, plen, out, cap, out_len);
  sodium_free(p);
  return e;
}

/* ---- Blind indexes ----------------------------------------------------- */

pp_err_t pp_blind_index_key_new(const unsigned char *master, uint64_t kind, const char *account_sid,
                                unsigned char **out) {
  size_t n = account_sid ? part_len(account_sid) : 0;
  if (!master || !out || (account_sid && !n)) return PP_ERR_INVALID_PARAM;
  unsigned char *k = sodium_malloc(PP_KEY_LEN);
  if (!k) return PP_ERR_NOMEM;
  pp_err_t e = pp_kdf_derive(master, PP_KDF_CTX_BLIND_INDEX, kind, k, PP_KEY_LEN);
  if (e == PP_OK && account_sid) {
    unsigned char acc[PP_KEY_LEN];
    if (crypto_generichash(acc, sizeof acc, (const unsigned char *)account_sid, n, k, PP_KEY_LEN) !=
        0)
      e = PP_ERR_INTERNAL;
    memcpy(k, acc, PP_KEY_LEN);
    sodium_memzero(acc, sizeof acc);
  }
  if (e != PP_OK) {
    sodium_free(k);
    return e;
  }
  sodium_mprotect_readonly(k);
  *out = k;
  return PP_OK;
}

_Static_assert(PP_BLIND_INDEX_LEN == 2 * crypto_shorthash_siphashx24_BYTES, "two halves");
_Static_assert(PP_KEY_LEN == 2 * crypto_shorthash_siphashx24_KEYBYTES, "a key per half");

pp_err_t pp_blind_index(const unsigned char *index_key, const void *value, size_t len,
                        unsigned char out[PP_BLIND_INDEX_LEN]) {
  if (!index_key || (!value && len) || !out) return PP_ERR_INVALID_PARAM;
  static const unsigned char none = 0;
  const unsigned char *in = len ? value : &none;
  if (crypto_shorthash_siphashx24(out, in, len, index_key) != 0 ||
      crypto_shorthash_siphashx24(out + crypto_shorthash_siphashx24_BYTES, in, len,
                                  index_key + crypto_shorthash_siphashx24_KEYBYTES) != 0)
    return PP_ERR_INTERNAL;
  return PP_OK;
}

pp_err_t pp_blind_index_v1(const unsigned char *index_key, const void *value, size_t len,
                           unsigned char out[PP_BLIND_INDEX_LEN]) {
  if (!index_key || (!value && len) || !out) return PP_ERR_INVALID_PARAM;
  if (crypto_generichash(out, PP_BLIND_INDEX_LEN, value, len, index_key, PP_KEY_LEN) != 0)
    return PP_ERR_INTERNAL;
  return PP_OK;
}

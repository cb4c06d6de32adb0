/* crypt.c: encryption at rest for the store (see crypt.h). */
#include "store/crypt.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/store.h"

#define CACHE_SIZE 1024 /* unwrapped DEKs kept; each costs a few guarded pages */

typedef struct {
  char account[40];
  uint32_t generation; /* 0: empty slot */
  bool newest;         /* the account's current generation */
  int64_t at;          /* monotonic seconds when cached */
  pp_dek_t *dek;
} slot_t;

static int64_t mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

struct pp_crypt {
  unsigned char *master; /* sodium_malloc, PP_KEY_LEN */
  unsigned char *next;   /* sodium_malloc, PP_KEY_LEN: a rotation's new key, or NULL */
  pp_crypt_keys_fn keys;
  void *keys_arg;
  int64_t keys_read_at; /* monotonic seconds of the last reread */
  unsigned char *bidx;  /* sodium_malloc, PP_KEY_LEN: the phone index key, once loaded */
  unsigned char *tokx;  /* sodium_malloc, PP_KEY_LEN: the auth token hash key, once loaded */
  pp_crypt_index_fn load_index;
  char master_id[17];
  pp_crypt_load_fn load;
  void *load_be;
  pthread_mutex_t mu;        /* the masters, the index keys */
  pthread_rwlock_t cache_mu; /* the cache: seals and opens share it, changes take it alone */
  slot_t cache[CACHE_SIZE];
};

pp_err_t pp_crypt_new(const unsigned char *master, pp_crypt_t **out) {
  if (PP_CRYPT_PLAINTEXT) {
    const char *ok = getenv("PIPIT_BENCH_PLAINTEXT");
    if (!ok || strcmp(ok, "1") != 0) {
      pp_log_error("store",
                   "this build keeps content in clear (PP_BENCH_PLAINTEXT, for "
                   "bench/at-rest.sh); set PIPIT_BENCH_PLAINTEXT=1 to run it anyway");
      return PP_ERR_INVALID_PARAM;
    }
  }
  char id[sizeof((pp_crypt_t *)0)->master_id];
  pp_err_t e = pp_master_key_id(master, id);
  if (e) return e;
  pp_crypt_t *c = calloc(1, sizeof *c);
  if (!c) return PP_ERR_NOMEM;
  c->master = sodium_malloc(PP_KEY_LEN);
  if (!c->master) {
    free(c);
    return PP_ERR_NOMEM;
  }
  memcpy(c->master, master, PP_KEY_LEN);
  memcpy(c->master_id, id, sizeof id);
  pthread_mutex_init(&c->mu, NULL);
  pthread_rwlock_init(&c->cache_mu, NULL);
  *out = c;
  return PP_OK;
}

void pp_crypt_free(pp_crypt_t *c) {
  if (!c) return;
  for (size_t i = 0; i < CACHE_SIZE; i++) pp_dek_free(c->cache[i].dek);
  sodium_free(c->bidx);
  sodium_free(c->tokx);
  sodium_free(c->master);
  sodium_free(c->next);
  pthread_mutex_destroy(&c->mu);
  pthread_rwlock_destroy(&c->cache_mu);
  free(c);
}

void pp_crypt_set_key_source(pp_crypt_t *c, pp_crypt_keys_fn fn, void *arg) {
  c->keys = fn;
  c->keys_arg = arg;
}

pp_err_t pp_crypt_set_next_master(pp_crypt_t *c, const unsigned char *next) {
  pthread_mutex_lock(&c->mu);
  if (!c->next) c->next = sodium_malloc(PP_KEY_LEN);
  if (c->next) memcpy(c->next, next, PP_KEY_LEN);
  pthread_mutex_unlock(&c->mu);
  return c->next ? PP_OK : PP_ERR_NOMEM;
}

/* Unwraps with the master key, else the next one; on failure rereads the
 * keys from the source (at most once a second) and tries again.  A key that
 * opens with none is PP_ERR_CORRUPT, logged here. */
static pp_err_t unwrap_any(pp_crypt_t *c, const char *account, uint32_t gen,
                           const unsigned char *wrapped, size_t len, pp_dek_t **out) {
  pp_err_t e = PP_ERR_CORRUPT;
  for (int round = 0; round < 2; round++) {
    pthread_mutex_lock(&c->mu);
    e = pp_dek_unwrap(c->master, account, gen, wrapped, len, out);
    if (e == PP_ERR_CORRUPT && c->next) e = pp_dek_unwrap(c->next, account, gen, wrapped, len, out);
    pthread_mutex_unlock(&c->mu);
    if (e != PP_ERR_CORRUPT || round || !c->keys) break;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned char *primary = sodium_malloc(PP_KEY_LEN), *next = sodium_malloc(PP_KEY_LEN);
    bool has_next = false;
    pp_err_t ke = PP_ERR_NOMEM;
    pthread_mutex_lock(&c->mu);
    bool due = ts.tv_sec > c->keys_read_at;
    if (due) c->keys_read_at = ts.tv_sec;
    pthread_mutex_unlock(&c->mu);
    if (due && primary && next) ke = c->keys(c->keys_arg, primary, next, &has_next);
    if (!ke) {
      pthread_mutex_lock(&c->mu);
      memcpy(c->master, primary, PP_KEY_LEN);
      pp_master_key_id(primary, c->master_id);
      pthread_mutex_unlock(&c->mu);
      if (has_next) pp_crypt_set_next_master(c, next);
    }
    sodium_free(primary);
    sodium_free(next);
    if (ke) break;
  }
  if (e == PP_ERR_CORRUPT)
    pp_log_error("integrity",
                 "the data key of %s (generation %u) did not open with the master "
                 "key held: altered, or wrapped by another key",
                 account, (unsigned)gen);
  return e;
}

pp_err_t pp_crypt_rewrap(pp_crypt_t *c, const char *account_sid, uint32_t generation,
                         const unsigned char *wrapped, size_t len, const unsigned char *new_master,
                         unsigned char out[PP_DEK_WRAPPED_LEN]) {
  pp_dek_t *dek;
  pp_err_t e = unwrap_any(c, account_sid, generation, wrapped, len, &dek);
  if (e) return e;
  e = pp_dek_wrap(new_master, dek, out);
  pp_dek_free(dek);
  return e;
}

void pp_crypt_set_loader(pp_crypt_t *c, pp_crypt_load_fn fn, pp_crypt_index_fn index, void *be) {
  c->load = fn;
  c->load_index = index;
  c->load_be = be;
}

/* The index key `name` in *slot, loaded on first use. */
static pp_err_t index_key(pp_crypt_t *c, void *conn, const char *name, unsigned char **slot) {
  pthread_mutex_lock(&c->mu);
  bool have = *slot != NULL;
  pthread_mutex_unlock(&c->mu);
  if (have) return PP_OK;
  if (!c->load_index) return PP_ERR_INTERNAL;
  char hex[65];
  pp_err_t e = c->load_index(c->load_be, conn, name, hex);
  unsigned char *key = e ? NULL : sodium_malloc(PP_KEY_LEN);
  size_t n = 0;
  if (!e && !key) e = PP_ERR_NOMEM;
  if (!e && (sodium_hex2bin(key, PP_KEY_LEN, hex, 64, NULL, &n, NULL) != 0 || n != PP_KEY_LEN)) {
    pp_log_error("integrity", "the %s index key in the store is not 64 hex digits", name);
    e = PP_ERR_CORRUPT;
  }
  sodium_memzero(hex, sizeof hex);
  if (e) {
    sodium_free(key);
    return e;
  }
  pthread_mutex_lock(&c->mu);
  if (*slot)
    sodium_free(key); /* another thread was first */
  else
    *slot = key;
  pthread_mutex_unlock(&c->mu);
  return PP_OK;
}

const char *pp_crypt_master_id(const pp_crypt_t *c) {
  return c->master_id;
}

static size_t slot_of(const char *account, uint32_t generation) {
  uint64_t h = 1469598103934665603ULL;
  for (const unsigned char *p = (const unsigned char *)account; *p; p++)
    h = (h ^ *p) * 1099511628211ULL;
  return (size_t)((h ^ generation) % CACHE_SIZE);
}

/* Puts `dek` in the cache (taking it); the slot's old key is freed. */
static void cache_put(pp_crypt_t *c, pp_dek_t *dek, bool newest) {
  const char *account = pp_dek_account_sid(dek);
  uint32_t gen = pp_dek_generation(dek);
  pthread_rwlock_wrlock(&c->cache_mu);
  slot_t *s = &c->cache[slot_of(account, newest ? 0 : gen)];
  pp_dek_free(s->dek);
  snprintf(s->account, sizeof s->account, "%s", account);
  s->generation = gen;
  s->newest = newest;
  s->at = mono_s();
  s->dek = dek;
  pthread_rwlock_unlock(&c->cache_mu);
}

/* Runs `fn` with the DEK of (account, generation; 0: newest) under the
 * cache lock, loading and unwrapping it first when it is not cached. */
typedef pp_err_t (*with_dek_fn)(const pp_dek_t *dek, void *arg);

static pp_err_t with_dek(pp_crypt_t *c, void *conn, const char *account, uint32_t generation,
                         with_dek_fn fn, void *arg) {
  for (int round = 0; round < 2; round++) {
    pthread_rwlock_rdlock(&c->cache_mu);
    slot_t *s = &c->cache[slot_of(account, generation)];
    if (s->dek && strcmp(s->account, account) == 0 &&
        (generation ? s->generation == generation
                    : s->newest && mono_s() - s->at <= PP_STORE_KEY_REFRESH_S)) {
      pp_err_t e = fn(s->dek, arg);
      pthread_rwlock_unlock(&c->cache_mu);
      return e;
    }
    pthread_rwlock_unlock(&c->cache_mu);
    if (round || !c->load) break;
    unsigned char wrapped[PP_DEK_WRAPPED_LEN];
    uint32_t gen = generation;
    pp_err_t e = c->load(c->load_be, conn, account, generation, wrapped, &gen);
    if (e) return e;
    pp_dek_t *dek;
    e = unwrap_any(c, account, gen, wrapped, sizeof wrapped, &dek);
    if (e) return e;
    cache_put(c, dek, generation == 0);
  }
  return PP_ERR_INTERNAL;
}

pp_err_t pp_crypt_new_dek(pp_crypt_t *c, const char *account_sid, uint32_t generation,
                          unsigned char wrapped[PP_DEK_WRAPPED_LEN]) {
  pp_dek_t *dek, *copy;
  pp_err_t e = pp_dek_new(account_sid, generation, &dek);
  if (e) return e;
  e = pp_dek_wrap(c->master, dek, wrapped);
  /* Cached as the newest and under its own generation. */
  if (!e) e = pp_dek_unwrap(c->master, account_sid, generation, wrapped, PP_DEK_WRAPPED_LEN, &copy);
  if (e) {
    pp_dek_free(dek);
    return e;
  }
  cache_put(c, dek, true);
  cache_put(c, copy, false);
  return PP_OK;
}

void pp_crypt_forget(pp_crypt_t *c, const char *account_sid) {
  pthread_rwlock_wrlock(&c->cache_mu);
  for (size_t i = 0; i < CACHE_SIZE; i++)
    if (c->cache[i].dek && strcmp(c->cache[i].account, account_sid) == 0) {
      pp_dek_free(c->cache[i].dek);
      memset(&c->cache[i], 0, sizeof c->cache[i]);
    }
  pthread_rwlock_unlock(&c->cache_mu);
}

/* Logs a sealed value that does not open: the one place that knows where
 * it is. */
static void not_opened(const char *account, const pp_field_t *f) {
  pp_log_error("integrity",
               "a sealed %s.%s of %s (account %s) did not open: altered, moved "
               "or sealed with another key",
               f->table, f->column, f->row_id, account);
}

/* The argument of do_seal_fields and do_open: fields of one row.  To
 * open, the one field's `plain` is the sealed blob and `out` receives the
 * opened bytes. */
typedef struct {
  const char *table, *row;
  pp_crypt_field_t *f;
  size_t n;
} fields_arg_t;

static pp_err_t do_open(const pp_dek_t *dek, void *arg) {
  fields_arg_t *a = arg;
  pp_crypt_field_t *f = a->f;
  pp_field_t field = {a->table, f->column, a->row};
  pp_err_t e = pp_open(dek, &field, f->plain, f->len, f->out, f->cap, &f->out_len);
  if (e == PP_ERR_CORRUPT) not_opened(pp_dek_account_sid(dek), &field);
  return e;
}

static pp_err_t do_seal_fields(const pp_dek_t *dek, void *arg) {
  fields_arg_t *a = arg;
  for (size_t i = 0; i < a->n; i++) {
    pp_crypt_field_t *f = &a->f[i];
    pp_field_t field = {a->table, f->column, a->row};
    pp_err_t e = pp_seal(dek, &field, f->plain, f->len, f->out, f->cap, &f->out_len);
    if (e) return e;
  }
  return PP_OK;
}

pp_err_t pp_crypt_seal_fields(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                              const char *row, pp_crypt_field_t *f, size_t n) {
  fields_arg_t a = {table, row, f, n};
  return n ? with_dek(c, conn, account_sid, 0, do_seal_fields, &a) : PP_OK;
}

pp_err_t pp_crypt_seal(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                       const char *column, const char *row, const void *plain, size_t len,
                       unsigned char **out, size_t *out_len) {
  size_t cap = pp_sealed_len(len);
  pp_crypt_field_t f = {column, plain, len, cap ? malloc(cap) : NULL, cap, 0};
  if (!f.out) return PP_ERR_NOMEM;
  pp_err_t e = pp_crypt_seal_fields(c, conn, account_sid, table, row, &f, 1);
  if (e) {
    free(f.out);
    return e;
  }
  *out = f.out;
  *out_len = f.out_len;
  return PP_OK;
}

/* Opens `blob` into a NUL-terminated buffer from `alloc` (*out, freed with
 * `release` on failure). */
static pp_err_t open_with(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                          const char *column, const char *row, const unsigned char *blob,
                          size_t len, void *(*alloc)(size_t), void (*release)(void *),
                          unsigned char **out, size_t *out_len) {
  uint32_t gen;
  pp_field_t field = {table, column, row};
  pp_err_t e = pp_sealed_generation(blob, len, &gen);
  if (!e && gen == 0) e = PP_ERR_CORRUPT;
  if (e) {
    if (e == PP_ERR_CORRUPT) not_opened(account_sid, &field);
    return e;
  }
  pp_crypt_field_t f = {column, blob, len, alloc(len + 1), len + 1, 0};
  fields_arg_t a = {table, row, &f, 1};
  if (!f.out) return PP_ERR_NOMEM;
  e = with_dek(c, conn, account_sid, gen, do_open, &a);
  if (e) {
    release(f.out);
    return e;
  }
  f.out[f.out_len] = '\0';
  *out = f.out;
  *out_len = f.out_len;
  return PP_OK;
}

pp_err_t pp_crypt_open(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                       const char *column, const char *row, const unsigned char *blob, size_t len,
                       char **out, size_t *out_len) {
  unsigned char *buf;
  pp_err_t e =
      open_with(c, conn, account_sid, table, column, row, blob, len, malloc, free, &buf, out_len);
  if (!e) *out = (char *)buf;
  return e;
}

/* Opened secrets go to guarded memory.  sodium_malloc maps pages, guards
 * and locks them, and sodium_free unmaps them: each changes the page
 * tables, whose TLB flush interrupts every other core (a tenth of a TOTP
 * check's CPU).  So each thread keeps one guarded buffer of SECRET_SCRATCH
 * bytes for the secret it has open (a TOTP seed, a verification text);
 * a second one open at once, or a larger one, gets its own sodium_malloc.
 * pp_crypt_secret_free wipes the buffer; the thread's exit frees it. */
#define SECRET_SCRATCH 2048
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static __thread unsigned char *scratch;
static __thread bool scratch_busy;
static void scratch_gone(void *p) {
  sodium_free(p);
}
static void scratch_init(void) {
  pthread_key_create(&scratch_key, scratch_gone);
}

static void *secret_alloc(size_t n) {
  if (n <= SECRET_SCRATCH && !scratch_busy) {
    if (!scratch) {
      pthread_once(&scratch_once, scratch_init);
      scratch = sodium_malloc(SECRET_SCRATCH);
      if (scratch) pthread_setspecific(scratch_key, scratch);
    }
    if (scratch) {
      scratch_busy = true;
      return scratch;
    }
  }
  return sodium_malloc(n);
}

void pp_crypt_secret_free(void *p) {
  if (!p) return;
  if (p == scratch) {
    sodium_memzero(scratch, SECRET_SCRATCH);
    scratch_busy = false;
    return;
  }
  sodium_free(p);
}

pp_err_t pp_crypt_open_secret(pp_crypt_t *c, void *conn, const char *account_sid, const char *table,
                              const char *column, const char *row, const unsigned char *blob,
                              size_t len, unsigned char **out, size_t *out_len) {
  return open_with(c, conn, account_sid, table, column, row, blob, len, secret_alloc,
                   pp_crypt_secret_free, out, out_len);
}

/* The plaintext bench build's stand-in for a keyed hash: the value. */
static pp_err_t plain_index(const void *value, size_t len, unsigned char out[PP_BLIND_INDEX_LEN]) {
  memset(out, 0, PP_BLIND_INDEX_LEN);
  memcpy(out, value, len < PP_BLIND_INDEX_LEN ? len : PP_BLIND_INDEX_LEN);
  return PP_OK;
}

pp_err_t pp_crypt_bidx(pp_crypt_t *c, void *conn, const void *value, size_t len,
                       unsigned char out[PP_BLIND_INDEX_LEN]) {
  if (PP_CRYPT_PLAINTEXT) return plain_index(value, len, out);
  pp_err_t e = index_key(c, conn, "phone", &c->bidx);
  return e ? e : pp_blind_index(c->bidx, value, len, out);
}

pp_err_t pp_crypt_part_index(pp_crypt_t *c, void *conn, const void *value, size_t len,
                             unsigned char out[PP_BLIND_INDEX_LEN]) {
  if (PP_CRYPT_PLAINTEXT) return plain_index(value, len, out);
  pp_err_t e = index_key(c, conn, "phone", &c->bidx);
  return e ? e : pp_blind_index_v1(c->bidx, value, len, out);
}

pp_err_t pp_crypt_token_hash(pp_crypt_t *c, void *conn, const char *token,
                             unsigned char out[PP_BLIND_INDEX_LEN]) {
  if (PP_CRYPT_PLAINTEXT) return plain_index(token, strlen(token), out);
  pp_err_t e = index_key(c, conn, "token", &c->tokx);
  return e ? e : pp_blind_index(c->tokx, token, strlen(token), out);
}

/* store.c: backend selection and the group-commit writer shared by every
 * backend. */
#include "store/store.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/thread.h"
#include "store/backend.h"
#include "store/crypt.h"

#define MAX_BATCH 4096

struct pp_store {
  const pp_store_backend_t *be_ops;
  void *be;
  pp_crypt_t *crypt;
  pthread_t writer;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pp_write_t *head, *tail; /* FIFO */
  bool closing;
  pp_store_stats_t stats;
  _Atomic bool full; /* writes fail for want of space (writer thread sets it) */
};

/* ---- sealing on the caller's thread ------------------------------------ */

/* A message's sealed fields and their bytes, one allocation (freed by the
 * writer thread: one cross-thread free per message, not one per field). */
typedef struct {
  pp_message_sealed_t ms;
  unsigned char bytes[];
} sealed_block_t;

static void scratch_free(pp_write_t *w) {
  if (!w->scratch) return;
  free(w->scratch);
  w->scratch = NULL;
  w->u.message->sealed = NULL;
}

/* A new message's fields sealed before the write is queued; on any failure
 * nothing is (the backend then seals what it is given). */
static void preseal(pp_store_t *s, pp_write_t *w) {
  w->scratch = NULL;
  if (PP_CRYPT_PLAINTEXT || w->kind != PP_W_MESSAGE_INSERT || w->u.message->sealed) return;
  pp_message_t *m = w->u.message;
  struct {
    const char *column, *v;
  } in[] = {{"to_addr", m->to},
            {"from_addr", m->from},
            {"body", m->body},
            {"media_urls", m->media_urls},
            {"status_callback", m->status_callback}};
  enum { N = sizeof in / sizeof in[0] };
  pp_crypt_field_t f[N];
  size_t n = 0, total = 0;
  for (size_t i = 0; i < N; i++)
    if (in[i].v && *in[i].v) {
      f[n] = (pp_crypt_field_t){in[i].column, in[i].v, strlen(in[i].v), NULL, 0, 0};
      f[n].cap = pp_sealed_len(f[n].len);
      total += f[n++].cap;
    }
  sealed_block_t *b = malloc(sizeof *b + total);
  if (!b) return;
  memset(&b->ms, 0, sizeof b->ms);
  unsigned char *p = b->bytes;
  for (size_t i = 0; i < n; i++) {
    f[i].out = p;
    p += f[i].cap;
  }
  if (pp_crypt_seal_fields(s->crypt, NULL, m->account_sid, "messages", m->sid, f, n) ||
      pp_crypt_bidx(s->crypt, NULL, m->to, strlen(m->to), b->ms.to_bidx) ||
      pp_crypt_bidx(s->crypt, NULL, m->from, strlen(m->from), b->ms.from_bidx)) {
    free(b);
    return;
  }
  pp_blob_t *slot[] = {&b->ms.to, &b->ms.from, &b->ms.body, &b->ms.media_urls,
                       &b->ms.status_callback};
  for (size_t i = 0, j = 0; i < N && j < n; i++)
    if (in[i].v && *in[i].v) {
      *slot[i] = (pp_blob_t){f[j].out, f[j].out_len};
      j++;
    }
  w->scratch = b;
  m->sealed = &b->ms;
}

/* Writer thread: one line when writes start failing for want of space and
 * one when a batch changes rows again, not one per write. */
static void note_space(pp_store_t *s, bool full, bool wrote) {
  bool was = atomic_load(&s->full);
  if (full && !was) {
    atomic_store(&s->full, true);
    pp_log_error("store",
                 "writes are failing: out of disk space; API writes answer 503 and "
                 "delivery receipts wait unanswered until space returns");
  } else if (!full && wrote && was) {
    atomic_store(&s->full, false);
    pp_log_info("store", "writes succeed again: disk space is back");
  }
}

static void *writer_main(void *arg) {
  pp_store_t *s = arg;
  pp_write_t **batch = malloc(MAX_BATCH * sizeof *batch);
  for (;;) {
    pthread_mutex_lock(&s->mu);
    while (!s->head && !s->closing) pthread_cond_wait(&s->cv, &s->mu);
    if (!s->head && s->closing) {
      pthread_mutex_unlock(&s->mu);
      break;
    }
    size_t n = 0;
    while (s->head && n < MAX_BATCH && batch) {
      batch[n++] = s->head;
      s->head = s->head->next;
    }
    if (!s->head) s->tail = NULL;
    pthread_mutex_unlock(&s->mu);
    if (!batch) { /* could not allocate the batch array: fail one at a time */
      pthread_mutex_lock(&s->mu);
      pp_write_t *w = s->head;
      if (w) s->head = w->next;
      if (!s->head) s->tail = NULL;
      pthread_mutex_unlock(&s->mu);
      if (w) {
        w->result = PP_ERR_NOMEM;
        scratch_free(w);
        w->done(w);
      }
      continue;
    }
    bool changed = false;
    pp_err_t e = s->be_ops->apply(s->be, batch, n, &changed);
    bool full = e == PP_ERR_STORE_FULL;
    if (e && !full) pp_log_error("store", "batch of %zu writes failed: %s", n, pp_err_name(e));
    for (size_t i = 0; i < n; i++) {
      if (e) batch[i]->result = e;
      full = full || batch[i]->result == PP_ERR_STORE_FULL;
    }
    note_space(s, full, changed);
    __atomic_add_fetch(&s->stats.batches, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->stats.writes, n, __ATOMIC_RELAXED);
    if (n > s->stats.max_batch) s->stats.max_batch = n;
    for (size_t i = 0; i < n; i++) {
      scratch_free(batch[i]);
      batch[i]->done(batch[i]);
    }
  }
  free(batch);
  return NULL;
}

pp_err_t pp_store_open(const char *url, const unsigned char *master, pp_store_t **out) {
  const pp_store_backend_t *ops = &pp_store_sqlite;
  const char *target = url;
  if (strncmp(url, "sqlite:", 7) == 0) {
    target = url + 7;
  } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
    pp_log_error("store", "the PostgreSQL backend is not built yet");
    return PP_ERR_INVALID_PARAM;
  }
  pp_store_t *s = calloc(1, sizeof *s);
  if (!s) return PP_ERR_NOMEM;
  s->be_ops = ops;
  pp_err_t e = pp_crypt_new(master, &s->crypt);
  if (e) {
    free(s);
    return e;
  }
  e = ops->open(target, s->crypt, &s->be);
  if (e) {
    pp_crypt_free(s->crypt);
    free(s);
    return e;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
    ops->close(s->be);
    pp_crypt_free(s->crypt);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    return PP_ERR_INTERNAL;
  }
  *out = s;
  return PP_OK;
}

void pp_store_set_key_source(pp_store_t *s, pp_store_keys_fn fn, void *arg) {
  pp_crypt_set_key_source(s->crypt, fn, arg);
  unsigned char *primary = sodium_malloc(32), *next = sodium_malloc(32);
  bool has_next = false;
  if (primary && next && fn(arg, primary, next, &has_next) == PP_OK && has_next)
    pp_crypt_set_next_master(s->crypt, next);
  sodium_free(primary);
  sodium_free(next);
}

void pp_store_free(pp_store_t *s) {
  if (!s) return;
  pp_thread_stop(s->writer, &s->mu, &s->cv, &s->closing);
  s->be_ops->close(s->be);
  pp_crypt_free(s->crypt);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

pp_err_t pp_store_submit(pp_store_t *s, pp_write_t *w) {
  w->next = NULL;
  w->result = PP_ERR_INTERNAL;
  preseal(s, w);
  pthread_mutex_lock(&s->mu);
  if (s->closing) {
    pthread_mutex_unlock(&s->mu);
    scratch_free(w);
    return PP_ERR_CLOSED;
  }
  if (s->tail)
    s->tail->next = w;
  else
    s->head = w;
  s->tail = w;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return PP_OK;
}

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t left;
} waiter_t;

static void wake_waiter(pp_write_t *w) {
  waiter_t *wt = w->arg;
  pthread_mutex_lock(&wt->mu);
  if (--wt->left == 0) pthread_cond_signal(&wt->cv);
  pthread_mutex_unlock(&wt->mu);
}

pp_err_t pp_store_write_all(pp_store_t *s, pp_write_t *const *ws, size_t n) {
  waiter_t wt = {.left = n};
  pthread_mutex_init(&wt.mu, NULL);
  pthread_cond_init(&wt.cv, NULL);
  pp_err_t e = PP_OK;
  for (size_t i = 0; i < n; i++) {
    ws[i]->done = wake_waiter;
    ws[i]->arg = &wt;
    e = pp_store_submit(s, ws[i]);
    if (e) { /* the rest are not queued: only wait for those before */
      pthread_mutex_lock(&wt.mu);
      wt.left -= n - i;
      pthread_mutex_unlock(&wt.mu);
      break;
    }
  }
  pthread_mutex_lock(&wt.mu);
  while (wt.left) pthread_cond_wait(&wt.cv, &wt.mu);
  pthread_mutex_unlock(&wt.mu);
  pthread_mutex_destroy(&wt.mu);
  pthread_cond_destroy(&wt.cv);
  return e;
}

pp_err_t pp_store_write(pp_store_t *s, pp_write_t *w) {
  pp_err_t e = pp_store_write_all(s, &w, 1);
  return e ? e : w->result;
}

pp_err_t pp_store_account_get(pp_store_t *s, const char *sid, pp_account_t *out) {
  return s->be_ops->account_get(s->be, sid, out);
}
pp_err_t pp_store_account_list(pp_store_t *s, pp_arena_t *a, const pp_account_filter_t *f,
                               pp_account_t **rows, size_t *n, bool *more) {
  return s->be_ops->account_list(s->be, a, f, rows, n, more);
}
pp_err_t pp_store_key_get(pp_store_t *s, const char *sid, pp_key_t *out) {
  return s->be_ops->key_get(s->be, sid, out);
}
pp_err_t pp_store_key_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                           const pp_page_req_t *p, pp_key_t **rows, size_t *n, bool *more) {
  return s->be_ops->key_list(s->be, a, account_sid, p, rows, n, more);
}
pp_err_t pp_store_message_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *sid, pp_message_t *out) {
  return s->be_ops->message_get(s->be, a, account_sid, sid, out);
}
pp_err_t pp_store_message_list(pp_store_t *s, pp_arena_t *a, const pp_message_filter_t *f,
                               pp_message_t **rows, size_t *n, bool *more) {
  return s->be_ops->message_list(s->be, a, f, rows, n, more);
}
pp_err_t pp_store_message_count(pp_store_t *s, int64_t *out) {
  return s->be_ops->message_count(s->be, out);
}

pp_err_t pp_store_number_get(pp_store_t *s, pp_arena_t *a, const char *account_sid, const char *sid,
                             pp_number_t *out) {
  return s->be_ops->number_get(s->be, a, account_sid, sid, NULL, out);
}
pp_err_t pp_store_number_find(pp_store_t *s, pp_arena_t *a, const char *phone_number,
                              pp_number_t *out) {
  return s->be_ops->number_get(s->be, a, NULL, NULL, phone_number, out);
}
pp_err_t pp_store_number_list(pp_store_t *s, pp_arena_t *a, const pp_number_filter_t *f,
                              pp_number_t **rows, size_t *n, bool *more) {
  return s->be_ops->number_list(s->be, a, f, rows, n, more);
}

pp_err_t pp_store_carrier_all(pp_store_t *s, pp_arena_t *a, pp_carrier_t **rows, size_t *n) {
  return s->be_ops->carrier_all(s->be, a, rows, n);
}
pp_err_t pp_store_route_all(pp_store_t *s, pp_arena_t *a, pp_route_rule_t **rows, size_t *n) {
  return s->be_ops->route_all(s->be, a, rows, n);
}

pp_err_t pp_store_sender_allowed(pp_store_t *s, const char *account_sid, const char *sender) {
  return s->be_ops->sender_allowed(s->be, account_sid, sender);
}

pp_err_t pp_store_parts_awaiting(pp_store_t *s, pp_arena_t *a, int64_t after_id, size_t limit,
                                 pp_part_awaiting_t **rows, size_t *n) {
  return s->be_ops->parts_awaiting(s->be, a, after_id, limit, rows, n);
}

pp_err_t pp_store_offer_get(pp_store_t *s, const char *phone_number, pp_number_offer_t *out) {
  return s->be_ops->offer_get(s->be, phone_number, out);
}

pp_err_t pp_store_offer_all(pp_store_t *s, pp_arena_t *a, pp_number_offer_t **rows, size_t *n) {
  return s->be_ops->offer_all(s->be, a, rows, n);
}

pp_err_t pp_store_staff_get(pp_store_t *s, const char *name, pp_staff_t *out) {
  return s->be_ops->staff_get(s->be, name, out);
}
pp_err_t pp_store_staff_list(pp_store_t *s, pp_arena_t *a, pp_staff_t **rows, size_t *n) {
  return s->be_ops->staff_list(s->be, a, rows, n);
}
pp_err_t pp_store_staff_creds(pp_store_t *s, pp_arena_t *a, const char *staff,
                              pp_staff_cred_t **rows, size_t *n) {
  return s->be_ops->staff_creds(s->be, a, staff, rows, n);
}
pp_err_t pp_store_staff_cred_get(pp_store_t *s, const uint8_t *id, size_t id_len,
                                 pp_staff_cred_t *out) {
  if (id_len == 0 || id_len > PP_WEBAUTHN_CRED_ID_MAX) return PP_ERR_NOT_FOUND;
  return s->be_ops->staff_cred_get(s->be, id, id_len, out);
}
pp_err_t pp_store_staff_token_get(pp_store_t *s, const uint8_t hash[PP_STAFF_HASH_LEN],
                                  pp_staff_token_t *out) {
  return s->be_ops->staff_token_get(s->be, hash, out);
}

pp_err_t pp_store_change_get(pp_store_t *s, const char *sid, pp_change_t *out) {
  return s->be_ops->change_get(s->be, sid, out);
}
pp_err_t pp_store_change_list(pp_store_t *s, pp_arena_t *a, const char *status, pp_change_t **rows,
                              size_t *n) {
  return s->be_ops->change_list(s->be, a, status, rows, n);
}

pp_err_t pp_store_hook_next_due(pp_store_t *s, int64_t *out_ms) {
  return s->be_ops->hook_next_due(s->be, out_ms);
}
pp_err_t pp_store_alert_get(pp_store_t *s, pp_arena_t *a, const char *account_sid, const char *sid,
                            pp_alert_t *out) {
  return s->be_ops->alert_get(s->be, a, account_sid, sid, out);
}
pp_err_t pp_store_alert_list(pp_store_t *s, pp_arena_t *a, const pp_alert_filter_t *f,
                             pp_alert_t **rows, size_t *n, bool *more) {
  return s->be_ops->alert_list(s->be, a, f, rows, n, more);
}
pp_err_t pp_store_service_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *sid, pp_service_t *out) {
  return s->be_ops->service_get(s->be, a, account_sid, sid, out);
}
pp_err_t pp_store_service_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                               const pp_page_req_t *p, pp_service_t **rows, size_t *n, bool *more) {
  return s->be_ops->service_list(s->be, a, account_sid, p, rows, n, more);
}
pp_err_t pp_store_service_number_get(pp_store_t *s, const char *account_sid,
                                     const char *service_sid, const char *sid,
                                     pp_service_number_t *out) {
  return s->be_ops->service_number_get(s->be, account_sid, service_sid, sid, out);
}
pp_err_t pp_store_service_number_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                      const char *service_sid, const pp_page_req_t *p,
                                      pp_service_number_t **rows, size_t *n, bool *more) {
  return s->be_ops->service_number_list(s->be, a, account_sid, service_sid, p, rows, n, more);
}

pp_err_t pp_store_audit_head(pp_store_t *s, pp_audit_head_t *out) {
  return s->be_ops->audit_head(s->be, out);
}
pp_err_t pp_store_audit_get(pp_store_t *s, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out) {
  return s->be_ops->audit_get(s->be, a, seq, out);
}
pp_err_t pp_store_audit_list(pp_store_t *s, pp_arena_t *a, const pp_audit_filter_t *f,
                             pp_audit_entry_t **rows, size_t *n, bool *more) {
  return s->be_ops->audit_list(s->be, a, f, rows, n, more);
}
pp_err_t pp_store_audit_scan(pp_store_t *s, pp_arena_t *a, int64_t from_seq, size_t limit,
                             pp_audit_entry_t **rows, size_t *n) {
  return s->be_ops->audit_scan(s->be, a, from_seq, limit, rows, n);
}
pp_err_t pp_store_audit_search(pp_store_t *s, pp_arena_t *a, const pp_audit_query_t *q,
                               pp_audit_entry_t **rows, size_t *n) {
  int set = !!q->principal + !!q->session + !!q->ip;
  if (set != 1 || q->since_ms > q->until_ms) return PP_ERR_INVALID_PARAM;
  return s->be_ops->audit_search(s->be, a, q, rows, n);
}
pp_err_t pp_store_audit_node(pp_store_t *s, unsigned level, uint64_t index,
                             unsigned char out[PP_MERKLE_HASH_LEN]) {
  return s->be_ops->audit_node(s->be, level, index, out);
}
pp_err_t pp_store_audit_root(pp_store_t *s, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]) {
  return s->be_ops->audit_root(s->be, size, out);
}
pp_err_t pp_store_audit_inclusion(pp_store_t *s, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                                  size_t cap, size_t *count) {
  return s->be_ops->audit_proof(s->be, false, m, n, out, cap, count);
}
pp_err_t pp_store_audit_consistency(pp_store_t *s, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                                    size_t cap, size_t *count) {
  return s->be_ops->audit_proof(s->be, true, m, n, out, cap, count);
}
pp_err_t pp_store_audit_checkpoint_latest(pp_store_t *s, pp_audit_checkpoint_t *out) {
  return s->be_ops->audit_checkpoint_latest(s->be, out);
}
pp_err_t pp_store_audit_checkpoint_list(pp_store_t *s, pp_arena_t *a, int64_t after_seq,
                                        size_t limit, pp_audit_checkpoint_t **rows, size_t *n) {
  return s->be_ops->audit_checkpoint_list(s->be, a, after_seq, limit, rows, n);
}

/* 64-bit FNV-1a, so every backend picks the same sender for a recipient. */
static int64_t recipient_hash(const char *to) {
  uint64_t h = 14695981039346656037ULL;
  for (const unsigned char *p = (const unsigned char *)to; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return (int64_t)(h & (uint64_t)INT64_MAX);
}

pp_err_t pp_store_service_sender(pp_store_t *s, const char *account_sid, const char *service_sid,
                                 const char *to, bool sticky, char out[20]) {
  return s->be_ops->service_sender(s->be, account_sid, service_sid, to, recipient_hash(to), sticky,
                                   out);
}

pp_err_t pp_store_account_auth(pp_store_t *s, const char *sid, const char *token, pp_account_t *out,
                               int *which) {
  unsigned char stored[2][32], given[32];
  *which = 0;
  pp_err_t e = s->be_ops->account_auth(s->be, sid, out, stored);
  if (e) return e;
  if (!token || !*token) return PP_OK;
  e = pp_crypt_token_hash(s->crypt, NULL, token, given);
  if (e) return e;
  static const unsigned char none[32];
  if (sodium_memcmp(given, stored[0], 32) == 0)
    *which = 1;
  else if (sodium_memcmp(stored[1], none, 32) != 0 && sodium_memcmp(given, stored[1], 32) == 0)
    *which = 2;
  sodium_memzero(given, sizeof given);
  return PP_OK;
}

pp_err_t pp_store_number_owner(pp_store_t *s, pp_arena_t *a, const char *phone_number,
                               char account_sid[PP_SID_SIZE], const char **status_callback) {
  return s->be_ops->number_owner(s->be, a, phone_number, account_sid, status_callback);
}

pp_err_t pp_store_named_key(pp_store_t *s, const char *name, unsigned char out[32]) {
  char hex[65];
  pp_err_t e = s->be_ops->named_key(s->be, name, hex);
  size_t n = 0;
  if (!e && (sodium_hex2bin(out, 32, hex, 64, NULL, &n, NULL) != 0 || n != 32)) e = PP_ERR_STORE;
  sodium_memzero(hex, sizeof hex);
  return e;
}

/* A data key missing for an account the caller holds (the layers above
 * seal and open only for accounts that are not closed, whose keys are
 * there): as an altered one, PP_ERR_CORRUPT, logged. */
static pp_err_t key_missing(pp_err_t e, const char *account_sid) {
  if (e != PP_ERR_NOT_FOUND) return e;
  pp_log_error("integrity", "account %s has no data key in the store", account_sid);
  return PP_ERR_CORRUPT;
}

pp_err_t pp_store_seal(pp_store_t *s, const char *account_sid, const char *table,
                       const char *column, const char *row, const void *plain, size_t len,
                       unsigned char **out, size_t *out_len) {
  return key_missing(
      pp_crypt_seal(s->crypt, NULL, account_sid, table, column, row, plain, len, out, out_len),
      account_sid);
}

pp_err_t pp_store_open_secret(pp_store_t *s, const char *account_sid, const char *table,
                              const char *column, const char *row, const unsigned char *blob,
                              size_t len, unsigned char **out, size_t *out_len) {
  return key_missing(pp_crypt_open_secret(s->crypt, NULL, account_sid, table, column, row, blob,
                                          len, out, out_len),
                     account_sid);
}

void pp_store_secret_free(void *p) {
  pp_crypt_secret_free(p);
}

void pp_store_stats(pp_store_t *s, pp_store_stats_t *out) {
  out->batches = __atomic_load_n(&s->stats.batches, __ATOMIC_RELAXED);
  out->writes = __atomic_load_n(&s->stats.writes, __ATOMIC_RELAXED);
  out->max_batch = s->stats.max_batch;
  out->full = atomic_load(&s->full);
}

/* ---- Verify ------------------------------------------------------------- */

pp_err_t pp_store_verify_service_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                     const char *sid, pp_verify_service_t *out) {
  return s->be_ops->verify_service_get(s->be, a, account_sid, sid, out);
}
pp_err_t pp_store_verify_service_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                      const pp_page_req_t *p, pp_verify_service_t **rows, size_t *n,
                                      bool *more) {
  return s->be_ops->verify_service_list(s->be, a, account_sid, p, rows, n, more);
}
pp_err_t pp_store_verification_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                   const char *service_sid, const char *sid, const char *to,
                                   pp_verification_t *out) {
  return s->be_ops->verification_get(s->be, a, account_sid, service_sid, sid, to, out);
}
pp_err_t pp_store_verify_sender(pp_store_t *s, const char *account_sid, char out[20]) {
  return s->be_ops->verify_sender(s->be, account_sid, out);
}
pp_err_t pp_store_rate_limit_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                 const char *service_sid, const char *sid, pp_rate_limit_t *out) {
  return s->be_ops->rate_limit_get(s->be, a, account_sid, service_sid, sid, out);
}
pp_err_t pp_store_rate_limit_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                  const char *service_sid, const pp_page_req_t *p,
                                  pp_rate_limit_t **rows, size_t *n, bool *more) {
  return s->be_ops->rate_limit_list(s->be, a, account_sid, service_sid, p, rows, n, more);
}
pp_err_t pp_store_rate_bucket_get(pp_store_t *s, const char *account_sid,
                                  const char *rate_limit_sid, const char *sid,
                                  pp_rate_bucket_t *out) {
  return s->be_ops->rate_bucket_get(s->be, account_sid, rate_limit_sid, sid, out);
}
pp_err_t pp_store_rate_bucket_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                   const char *rate_limit_sid, const pp_page_req_t *p,
                                   pp_rate_bucket_t **rows, size_t *n, bool *more) {
  return s->be_ops->rate_bucket_list(s->be, a, account_sid, rate_limit_sid, p, rows, n, more);
}
pp_err_t pp_store_entity_get(pp_store_t *s, const char *account_sid, const char *service_sid,
                             const char *identity, pp_verify_entity_t *out) {
  return s->be_ops->entity_get(s->be, account_sid, service_sid, identity, out);
}
pp_err_t pp_store_entity_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *service_sid, const pp_page_req_t *p,
                              pp_verify_entity_t **rows, size_t *n, bool *more) {
  return s->be_ops->entity_list(s->be, a, account_sid, service_sid, p, rows, n, more);
}
pp_err_t pp_store_factor_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                             const char *entity_sid, const char *sid, pp_verify_factor_t *out) {
  return s->be_ops->factor_get(s->be, a, account_sid, entity_sid, sid, out);
}
pp_err_t pp_store_factor_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *entity_sid, const pp_page_req_t *p,
                              pp_verify_factor_t **rows, size_t *n, bool *more) {
  return s->be_ops->factor_list(s->be, a, account_sid, entity_sid, p, rows, n, more);
}
pp_err_t pp_store_challenge_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                const char *entity_sid, const char *sid,
                                pp_verify_challenge_t *out) {
  return s->be_ops->challenge_get(s->be, a, account_sid, entity_sid, sid, out);
}
pp_err_t pp_store_challenge_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                 const char *entity_sid, const pp_page_req_t *p,
                                 pp_verify_challenge_t **rows, size_t *n, bool *more) {
  return s->be_ops->challenge_list(s->be, a, account_sid, entity_sid, p, rows, n, more);
}
pp_err_t pp_store_verify_webhook_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                     const char *service_sid, const char *sid,
                                     pp_verify_webhook_t *out) {
  return s->be_ops->verify_webhook_get(s->be, a, account_sid, service_sid, sid, out);
}
pp_err_t pp_store_lockbox_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                              const char *sid, pp_lockbox_request_t *out) {
  return s->be_ops->lockbox_get(s->be, a, account_sid, sid, out);
}
pp_err_t pp_store_lockbox_list(pp_store_t *s, pp_arena_t *a, const pp_lockbox_filter_t *f,
                               pp_lockbox_request_t **rows, size_t *n, bool *more) {
  return s->be_ops->lockbox_list(s->be, a, f, rows, n, more);
}
pp_err_t pp_store_lockbox_settings(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                   pp_lockbox_settings_t *out) {
  return s->be_ops->lockbox_settings(s->be, a, account_sid, out);
}
pp_err_t pp_store_verify_webhook_list(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                                      const char *service_sid, const pp_page_req_t *p,
                                      pp_verify_webhook_t **rows, size_t *n, bool *more) {
  return s->be_ops->verify_webhook_list(s->be, a, account_sid, service_sid, p, rows, n, more);
}

pp_err_t pp_store_account_counts(pp_store_t *s, const char *account_sid, pp_account_counts_t *out) {
  int64_t n[3] = {0};
  pp_err_t e = s->be_ops->counts(s->be, 0, account_sid, n, 3);
  *out = (pp_account_counts_t){n[0], n[1], n[2]};
  return e;
}

pp_err_t pp_store_queue_depths(pp_store_t *s, pp_queue_depths_t *out) {
  int64_t n[2] = {0};
  pp_err_t e = s->be_ops->counts(s->be, 1, NULL, n, 2);
  *out = (pp_queue_depths_t){n[0], n[1]};
  return e;
}

/* store.c: backend selection and the group-commit writer shared by every
 * backend. */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define MAX_BATCH 4096

struct pp_store {
  const pp_store_backend_t *be_ops;
  void *be;
  pthread_t writer;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pp_write_t *head, *tail; /* FIFO */
  bool closing;
  pp_store_stats_t stats;
};

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
        w->done(w);
      }
      continue;
    }
    pp_err_t e = s->be_ops->apply(s->be, batch, n);
    if (e) {
      pp_log_error("store", "batch of %zu writes failed: %s", n, pp_err_name(e));
      for (size_t i = 0; i < n; i++) batch[i]->result = e;
    }
    __atomic_add_fetch(&s->stats.batches, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->stats.writes, n, __ATOMIC_RELAXED);
    if (n > s->stats.max_batch) s->stats.max_batch = n;
    for (size_t i = 0; i < n; i++) batch[i]->done(batch[i]);
  }
  free(batch);
  return NULL;
}

pp_err_t pp_store_open(const char *url, pp_store_t **out) {
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
  pp_err_t e = ops->open(target, &s->be);
  if (e) {
    free(s);
    return e;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
    ops->close(s->be);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    return PP_ERR_INTERNAL;
  }
  *out = s;
  return PP_OK;
}

void pp_store_free(pp_store_t *s) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->closing = true;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->writer, NULL);
  s->be_ops->close(s->be);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

pp_err_t pp_store_submit(pp_store_t *s, pp_write_t *w) {
  w->next = NULL;
  w->result = PP_ERR_INTERNAL;
  pthread_mutex_lock(&s->mu);
  if (s->closing) {
    pthread_mutex_unlock(&s->mu);
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
  bool done;
} waiter_t;

static void wake_waiter(pp_write_t *w) {
  waiter_t *wt = w->arg;
  pthread_mutex_lock(&wt->mu);
  wt->done = true;
  pthread_cond_signal(&wt->cv);
  pthread_mutex_unlock(&wt->mu);
}

pp_err_t pp_store_write(pp_store_t *s, pp_write_t *w) {
  waiter_t wt = {.done = false};
  pthread_mutex_init(&wt.mu, NULL);
  pthread_cond_init(&wt.cv, NULL);
  w->done = wake_waiter;
  w->arg = &wt;
  pp_err_t e = pp_store_submit(s, w);
  if (!e) {
    pthread_mutex_lock(&wt.mu);
    while (!wt.done) pthread_cond_wait(&wt.cv, &wt.mu);
    pthread_mutex_unlock(&wt.mu);
    e = w->result;
  }
  pthread_mutex_destroy(&wt.mu);
  pthread_cond_destroy(&wt.cv);
  return e;
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

pp_err_t pp_store_number_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                             const char *sid, pp_number_t *out) {
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

pp_err_t pp_store_hook_next_due(pp_store_t *s, int64_t *out_ms) {
  return s->be_ops->hook_next_due(s->be, out_ms);
}
pp_err_t pp_store_alert_get(pp_store_t *s, pp_arena_t *a, const char *account_sid,
                            const char *sid, pp_alert_t *out) {
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
                               const pp_page_req_t *p, pp_service_t **rows, size_t *n,
                               bool *more) {
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
pp_err_t pp_store_audit_consistency(pp_store_t *s, uint64_t m, uint64_t n,
                                    pp_merkle_hash_t *out, size_t cap, size_t *count) {
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
  return s->be_ops->service_sender(s->be, account_sid, service_sid, to, recipient_hash(to),
                                   sticky, out);
}

void pp_store_stats(pp_store_t *s, pp_store_stats_t *out) {
  out->batches = __atomic_load_n(&s->stats.batches, __ATOMIC_RELAXED);
  out->writes = __atomic_load_n(&s->stats.writes, __ATOMIC_RELAXED);
  out->max_batch = s->stats.max_batch;
}

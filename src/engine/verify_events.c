/* verify_events.c: the Verify webhook delivery loop (see verify_events.h). */
#include "engine/verify_events.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/form.h"
#include "core/log.h"
#include "hook/addr.h"
#include "hook/sign.h"
#include "security/audit.h"
#include "verify/events.h"

#define CLAIM_MAX 16
#define LEASE_S 60
#define BACKOFF_MAX_S 600
#define SWEEP_S 1 /* how often waiting periods are looked at */
#define SWEEP_MAX 64

struct pp_verify_events {
  pp_verify_events_opts_t o;
  pp_hook_allow_t allow;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
  int64_t swept; /* when the last sweep ran */
};

pp_err_t pp_verify_event_signature(const char *auth_token, const char *url, const char *body,
                                   char out[29]) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_form_t f;
  pp_form_init(&f);
  pp_err_t e = pp_form_parse(&f, &a, body, strlen(body));
  if (!e) e = pp_hook_sign(auth_token, url, f.items, f.n, out);
  pp_arena_cleanup(&a);
  return e;
}

/* Every connection, redirects included: an address that is not allowed
 * gets no socket (the same policy as the webhook dispatcher). */
static curl_socket_t open_allowed(void *arg, curlsocktype purpose, struct curl_sockaddr *sa) {
  (void)purpose;
  if (!pp_hook_addr_allowed(arg, &sa->addr, sa->addrlen, NULL)) return CURL_SOCKET_BAD;
  return socket(sa->family, sa->socktype, sa->protocol);
}

static size_t discard(char *p, size_t size, size_t n, void *arg) {
  (void)p;
  (void)arg;
  return size * n;
}

/* Posts one event; true when the receiver answered 2xx. */
static bool post(pp_verify_events_t *v, const pp_verify_event_t *ev) {
  pp_account_t acc;
  if (pp_store_account_get(v->o.store, ev->account_sid, &acc) != PP_OK) return false;
  char sig[29];
  pp_err_t e = pp_verify_event_signature(acc.auth_token, ev->url, ev->body, sig);
  sodium_memzero(&acc, sizeof acc);
  if (e) return false;
  CURL *c = curl_easy_init();
  if (!c) return false;
  char header[64];
  snprintf(header, sizeof header, "X-Twilio-Signature: %s", sig);
  struct curl_slist *h = curl_slist_append(NULL, header);
  h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
  curl_easy_setopt(c, CURLOPT_URL, ev->url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, ev->body);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "Pipit-Verify/1");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)v->o.timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_allowed);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &v->allow);
  long status = 0;
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return rc == CURLE_OK && status >= 200 && status < 300;
}

/* Claims due events and delivers them; returns how many it claimed. */
static size_t round_of(pp_verify_events_t *v) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  int64_t now = pp_clock_now();
  pp_write_t w = {.kind = PP_W_VERIFY_EVENT_CLAIM};
  w.u.event_claim =
      (pp_event_claim_t){.now = now, .lease_until = now + LEASE_S, .limit = CLAIM_MAX, .arena = &a};
  size_t n = 0;
  if (pp_store_write(v->o.store, &w) == PP_OK) {
    n = w.u.event_claim.n;
    for (size_t i = 0; i < n; i++) {
      const pp_verify_event_t *ev = &w.u.event_claim.rows[i];
      bool ok = post(v, ev);
      now = pp_clock_now();
      pp_write_t res = {.kind = PP_W_VERIFY_EVENT_RESULT};
      res.u.event_result.seq = ev->seq;
      if (!ok && now - ev->created < (int64_t)v->o.max_age_s) {
        int shift = ev->attempts > 10 ? 10 : ev->attempts - 1;
        int64_t delay = (int64_t)1 << (shift < 0 ? 0 : shift);
        res.u.event_result.retry = true;
        res.u.event_result.next_attempt = now + (delay > BACKOFF_MAX_S ? BACKOFF_MAX_S : delay);
      } else if (!ok) {
        pp_log_warn("verify", "dropped a webhook event after %d attempts", ev->attempts);
      }
      pp_store_write(v->o.store, &res);
    }
  }
  pp_arena_cleanup(&a);
  return n;
}

/* Factor `f`'s waiting period is over (DESIGN.md rule 5): it becomes
 * verified in a write that queues factor.verified to the service's
 * webhooks and records verify.factor_verified by the system.  A factor
 * approved, denied or canceled since it was read is left alone. */
static void activate(pp_verify_events_t *v, const pp_verify_factor_t *f, int64_t now) {
  const char *kv[] = {"entity_identity", f->identity,    "factor_sid",           f->sid,
                      "factor_type",     f->factor_type, "factor_friendly_name", f->friendly_name};
  pp_buf_t body;
  pp_buf_init(&body, 16384);
  pp_verify_event_form(&body, "factor.verified", f->account_sid, f->service_sid, kv, 4, now);
  if (pp_buf_status(&body)) {
    pp_buf_cleanup(&body);
    return;
  }
  const char *res[] = {f->sid, f->entity_sid, f->service_sid};
  pp_audit_event_t ev = {.kind = PP_AUDIT_FACTOR_VERIFIED,
                         .principal_kind = PP_AUDIT_BY_SYSTEM,
                         .request = "verify waiting period over",
                         .resources = res,
                         .nresources = 3};
  snprintf(ev.principal, sizeof ev.principal, "pipit");
  snprintf(ev.account_sid, sizeof ev.account_sid, "%s", f->account_sid);
  pp_write_t w = {.kind = PP_W_FACTOR_ACTIVATE, .audit = &ev};
  w.u.factor_activate = (pp_factor_activate_t){f->account_sid,    f->sid,    f->service_sid,
                                               "factor.verified", body.data, now};
  pp_err_t e = pp_store_write(v->o.store, &w);
  if (e && e != PP_ERR_NOT_FOUND)
    pp_log_warn("verify", "could not end the waiting period of %s: %s", f->sid, pp_err_name(e));
  pp_buf_cleanup(&body);
}

/* Ends the waiting periods that are over, at most once every SWEEP_S. */
static void sweep(pp_verify_events_t *v) {
  int64_t now = pp_clock_now();
  if (now - v->swept < SWEEP_S) return;
  v->swept = now;
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_write_t w = {.kind = PP_W_FACTOR_DUE};
  w.u.factor_due = (pp_factor_due_t){.now = now, .limit = SWEEP_MAX, .arena = &a};
  if (pp_store_write(v->o.store, &w) == PP_OK)
    for (size_t i = 0; i < w.u.factor_due.n; i++) activate(v, &w.u.factor_due.rows[i], now);
  pp_arena_cleanup(&a);
}

static void *loop(void *arg) {
  pp_verify_events_t *v = arg;
  for (;;) {
    pthread_mutex_lock(&v->mu);
    bool stop = v->stop;
    pthread_mutex_unlock(&v->mu);
    if (stop) break;
    sweep(v);
    if (round_of(v) > 0) continue;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(v->o.poll_ms % 1000) * 1000000L;
    until.tv_sec += v->o.poll_ms / 1000 + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&v->mu);
    if (!v->stop) pthread_cond_timedwait(&v->cv, &v->mu, &until);
    pthread_mutex_unlock(&v->mu);
  }
  return NULL;
}

pp_err_t pp_verify_events_start(const pp_verify_events_opts_t *opts, pp_verify_events_t **out) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return PP_ERR_INTERNAL;
  pp_verify_events_t *v = calloc(1, sizeof *v);
  if (!v) return PP_ERR_NOMEM;
  v->o = *opts;
  if (pp_hook_allow_parse(opts->allow, &v->allow, NULL) != PP_OK) {
    free(v);
    return PP_ERR_INVALID_PARAM;
  }
  if (!v->o.poll_ms) v->o.poll_ms = 200;
  if (!v->o.timeout_ms) v->o.timeout_ms = 15000;
  if (!v->o.max_age_s) v->o.max_age_s = 86400;
  pthread_mutex_init(&v->mu, NULL);
  pthread_cond_init(&v->cv, NULL);
  if (pthread_create(&v->thread, NULL, loop, v) != 0) {
    pthread_mutex_destroy(&v->mu);
    pthread_cond_destroy(&v->cv);
    free(v);
    return PP_ERR_INTERNAL;
  }
  *out = v;
  return PP_OK;
}

void pp_verify_events_stop(pp_verify_events_t *v) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  v->stop = true;
  pthread_cond_signal(&v->cv);
  pthread_mutex_unlock(&v->mu);
  pthread_join(v->thread, NULL);
  pthread_mutex_destroy(&v->mu);
  pthread_cond_destroy(&v->cv);
  free(v);
  curl_global_cleanup();
}

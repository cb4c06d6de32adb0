/* verify_sweep.c: the end of Verify's waiting periods (see verify_sweep.h). */
#include "engine/verify_sweep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "security/audit.h"
#include "verify/events.h"

#define SWEEP_MAX 64 /* factors ended per round */

struct pp_sweep {
  pp_store_t *store;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
};

/* Factor `f`'s waiting period is over: it becomes verified in a write that
 * queues factor.verified to the service's webhooks and records
 * verify.factor_verified by the system.  A factor approved, denied or
 * canceled since it was read is left alone (the write finds nothing). */
static void activate(pp_store_t *store, const pp_verify_factor_t *f, int64_t now) {
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
  pp_err_t e = pp_store_write(store, &w);
  if (e && e != PP_ERR_NOT_FOUND && e != PP_ERR_STORE_FULL) /* full: the store logs it once */
    pp_log_warn("verify", "could not end the waiting period of %s: %s", f->sid, pp_err_name(e));
  pp_buf_cleanup(&body);
}

/* One round: the factors whose waiting period is over, each ended. */
static void sweep(pp_store_t *store) {
  int64_t now = pp_clock_now();
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_write_t w = {.kind = PP_W_FACTOR_DUE};
  w.u.factor_due = (pp_factor_due_t){.now = now, .limit = SWEEP_MAX, .arena = &a};
  if (pp_store_write(store, &w) == PP_OK)
    for (size_t i = 0; i < w.u.factor_due.n; i++) activate(store, &w.u.factor_due.rows[i], now);
  pp_arena_cleanup(&a);
}

static void *loop(void *arg) {
  pp_sweep_t *v = arg;
  pthread_mutex_lock(&v->mu);
  while (!v->stop) {
    pthread_mutex_unlock(&v->mu);
    sweep(v->store);
    pthread_mutex_lock(&v->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    while (!v->stop && pthread_cond_timedwait(&v->cv, &v->mu, &until) == 0) {
    }
  }
  pthread_mutex_unlock(&v->mu);
  return NULL;
}

pp_err_t pp_sweep_start(pp_store_t *store, pp_sweep_t **out) {
  pp_sweep_t *v = calloc(1, sizeof *v);
  if (!v) return PP_ERR_NOMEM;
  v->store = store;
  if (!pp_thread_start(&v->thread, &v->mu, &v->cv, loop, v)) {
    free(v);
    return PP_ERR_INTERNAL;
  }
  *out = v;
  return PP_OK;
}

void pp_sweep_stop(pp_sweep_t *v) {
  if (!v) return;
  pp_thread_stop(v->thread, &v->mu, &v->cv, &v->stop);
  pthread_mutex_destroy(&v->mu);
  pthread_cond_destroy(&v->cv);
  free(v);
}

/* guard.c: the sign-in guard.  Refused credentials are counted per
 * (client address, claimed principal) and per address, in memory, in a
 * fixed table: the first few failures of a window go to the audit log as
 * they happen, the rest as one auth.failures event with their count; and a
 * client that keeps failing is refused for a while (429, 20429) before its
 * credentials are even looked at.  docs/internals/api.md, "Sign-in guard". */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/guard_int.h"
#include "core/clock.h"

#define SLOTS 4096      /* fixed: spoofed principals evict, never grow */
#define WAYS 8          /* a key lives in one of 8 consecutive slots */
#define PAIR_RECORD 3   /* failures of a pair's window recorded one by one */
#define ADDR_RECORD 30  /* ... of an address's window, over all principals */
#define ALL_RECORD 1000 /* ... of a window, over all addresses */
#define PAIR_FREE 10    /* failures in a row before a pair is refused */
#define ADDR_FREE 1000  /* failures of an address's window before it is */
#define PENALTY_MAX_MS (900 * 1000)
#define ADDR_ANY "*" /* the principal of an address's own slot */
#define MAX_OUT 8    /* aggregate events one call may emit */

typedef struct {
  uint64_t key; /* keyed hash of address and principal; 0: free */
  char ip[PP_AUDIT_IP_SIZE];
  char principal[PP_AUDIT_PRINCIPAL_SIZE]; /* as the failure event names it; ADDR_ANY */
  char principal_account[PP_SID_SIZE];
  char account[PP_SID_SIZE];
  pp_audit_principal_t principal_kind;
  int64_t window_ms;                          /* start of the current window */
  int64_t last_ms;                            /* last failure or refusal */
  int64_t penalty_ms;                         /* refused until then */
  uint32_t recorded;                          /* failures of this window recorded one by one */
  uint32_t failures;                          /* failures of this window */
  uint32_t streak;                            /* failures since the last success or quiet window */
  uint32_t pending_failures, pending_refused; /* counted, not yet in the log */
  int64_t pending_since;
} slot_t;

struct pp_api_guard {
  pthread_mutex_t mu;
  _Atomic int live;           /* slots in use: 0 keeps the success path lock-free */
  _Atomic int64_t next_sweep; /* ms */
  int64_t window_ms;
  unsigned char hkey[crypto_shorthash_KEYBYTES];
  int64_t all_window_ms; /* the global budget's window */
  uint32_t all_recorded;
  slot_t all; /* what no budget was left for: principal "", address "" */
  slot_t slots[SLOTS];
};

/* Aggregates made under the lock, appended after it. */
typedef struct {
  pp_audit_event_t ev[MAX_OUT];
  char res[MAX_OUT][3][48];
  const char *resv[MAX_OUT][3];
  size_t n;
} out_t;

pp_err_t pp_api_guard_new(int window_s, pp_api_guard_t **out) {
  if (window_s < 1) return PP_ERR_INVALID_PARAM;
  pp_api_guard_t *g = calloc(1, sizeof *g);
  if (!g) return PP_ERR_NOMEM;
  pthread_mutex_init(&g->mu, NULL);
  g->window_ms = (int64_t)window_s * 1000;
  randombytes_buf(g->hkey, sizeof g->hkey);
  *out = g;
  return PP_OK;
}

static int64_t now_ms(void) {
  return pp_clock_now_us() / 1000;
}

static uint64_t key_of(const pp_api_guard_t *g, const char *ip, const char *principal) {
  unsigned char buf[PP_AUDIT_IP_SIZE + PP_AUDIT_PRINCIPAL_SIZE + 2];
  size_t a = strlen(ip), b = strlen(principal);
  memcpy(buf, ip, a + 1);
  memcpy(buf + a + 1, principal, b + 1);
  uint64_t h;
  crypto_shorthash((unsigned char *)&h, buf, a + b + 2, g->hkey);
  return h ? h : 1;
}

/* Turns a slot's pending counts into an event in `o` (or, when `o` is full
 * or `fold` is given, adds them to `fold`'s). */
static void flush(slot_t *s, out_t *o, slot_t *fold) {
  if (!s->pending_failures && !s->pending_refused) return;
  if (fold || o->n == MAX_OUT) {
    slot_t *into = fold ? fold : s;
    if (into == s) return; /* kept for the next call */
    if (!into->pending_failures && !into->pending_refused) into->pending_since = s->pending_since;
    into->pending_failures += s->pending_failures;
    into->pending_refused += s->pending_refused;
    s->pending_failures = s->pending_refused = 0;
    return;
  }
  size_t i = o->n++;
  pp_audit_event_t *ev = &o->ev[i];
  memset(ev, 0, sizeof *ev);
  ev->kind = PP_AUDIT_AUTH_FAILURES;
  ev->principal_kind = s->principal_kind;
  snprintf(ev->principal, sizeof ev->principal, "%s",
           strcmp(s->principal, ADDR_ANY) == 0 ? "" : s->principal);
  memcpy(ev->principal_account, s->principal_account, sizeof ev->principal_account);
  memcpy(ev->account_sid, s->account, sizeof ev->account_sid);
  memcpy(ev->ip, s->ip, sizeof ev->ip);
  snprintf(ev->outcome, sizeof ev->outcome, "%s", s->pending_failures ? "auth" : "auth_rate");
  snprintf(o->res[i][0], sizeof o->res[i][0], "failures:%u", s->pending_failures);
  snprintf(o->res[i][1], sizeof o->res[i][1], "refused:%u", s->pending_refused);
  snprintf(o->res[i][2], sizeof o->res[i][2], "since:%lld", (long long)s->pending_since);
  for (int k = 0; k < 3; k++) o->resv[i][k] = o->res[i][k];
  ev->resources = o->resv[i];
  ev->nresources = 3;
  s->pending_failures = s->pending_refused = 0;
}

/* Whether the global budget allows one more event this window. */
static bool all_budget(pp_api_guard_t *g, int64_t now) {
  if (now - g->all_window_ms >= g->window_ms) g->all_window_ms = now, g->all_recorded = 0;
  if (g->all_recorded >= ALL_RECORD) return false;
  g->all_recorded++;
  return true;
}

/* Flushes `s` under the address budget `addr` (NULL: `s` is an address's
 * own slot) and the global one. */
static void flush_budgeted(pp_api_guard_t *g, slot_t *s, slot_t *addr, out_t *o, int64_t now) {
  if (!s->pending_failures && !s->pending_refused) return;
  bool room = addr ? addr->recorded < ADDR_RECORD : true;
  if (room && all_budget(g, now)) {
    if (addr) addr->recorded++;
    flush(s, o, NULL);
  } else {
    flush(s, o, room ? &g->all : addr);
  }
}

static bool idle(const pp_api_guard_t *g, const slot_t *s, int64_t now) {
  return now - s->window_ms >= g->window_ms && now >= s->penalty_ms && !s->pending_failures &&
         !s->pending_refused;
}

static void clear(pp_api_guard_t *g, slot_t *s) {
  memset(s, 0, sizeof *s);
  atomic_fetch_sub(&g->live, 1);
}

/* Every second at most: closed windows go to the log, idle slots free. */
static void sweep(pp_api_guard_t *g, int64_t now, out_t *o) {
  int64_t due = atomic_load_explicit(&g->next_sweep, memory_order_relaxed);
  if (now < due) return;
  atomic_store_explicit(&g->next_sweep, now + 1000, memory_order_relaxed);
  for (size_t i = 0; i < SLOTS && o->n < MAX_OUT - 1; i++) {
    slot_t *s = &g->slots[i];
    if (!s->key || now - s->window_ms < g->window_ms) continue;
    flush_budgeted(g, s, NULL, o, now);
    if (now - s->last_ms >= g->window_ms) s->streak = 0; /* a quiet window forgives */
    if (idle(g, s, now)) clear(g, s);
  }
  if (now - g->all.window_ms >= g->window_ms) {
    g->all.window_ms = now;
    flush(&g->all, o, NULL);
  }
}

static slot_t *find(pp_api_guard_t *g, uint64_t key, const char *ip, const char *principal) {
  for (size_t w = 0; w < WAYS; w++) {
    slot_t *s = &g->slots[(key + w) % SLOTS];
    if (s->key == key && strcmp(s->ip, ip) == 0 && strcmp(s->principal, principal) == 0) return s;
  }
  return NULL;
}

/* The slot for the key, taking a free one, else the least recently used
 * (one not refusing first; never `keep`), whose pending counts go to the
 * log's overflow. */
static slot_t *take(pp_api_guard_t *g, uint64_t key, const char *ip, const char *principal,
                    const slot_t *keep, int64_t now, out_t *o) {
  slot_t *s = find(g, key, ip, principal), *victim = NULL;
  if (s) return s;
  for (size_t w = 0; w < WAYS; w++) {
    slot_t *c = &g->slots[(key + w) % SLOTS];
    if (c == keep) continue;
    if (!c->key) {
      victim = c;
      break;
    }
    bool c_refusing = now < c->penalty_ms;
    bool v_refusing = victim && now < victim->penalty_ms;
    if (!victim || (v_refusing && !c_refusing) ||
        (v_refusing == c_refusing && c->last_ms < victim->last_ms))
      victim = c;
  }
  if (victim->key) {
    flush(victim, o, &g->all);
    clear(g, victim);
  }
  memset(victim, 0, sizeof *victim);
  victim->key = key;
  snprintf(victim->ip, sizeof victim->ip, "%s", ip);
  snprintf(victim->principal, sizeof victim->principal, "%s", principal);
  victim->window_ms = now;
  atomic_fetch_add(&g->live, 1);
  return victim;
}

static void emit(pp_api_req_t *r, out_t *o) {
  for (size_t i = 0; i < o->n; i++) pp_api_audit_emit(r->api->store, &o->ev[i]);
}

/* The principal a request's failure would name (audit.c: a SID or
 * "operator", else ""). */
static const char *claimed(const char *user) {
  if (user &&
      (strcmp(user, PP_OPERATOR_USER) == 0 || pp_sid_valid(user, "AC") || pp_sid_valid(user, "SK")))
    return user;
  return "";
}

int64_t pp_api_guard_penalty_ms(uint32_t over) {
  int64_t ms = 1000;
  for (uint32_t i = 1; i < over && ms < PENALTY_MAX_MS; i++) ms *= 2;
  return ms < PENALTY_MAX_MS ? ms : PENALTY_MAX_MS;
}

/* Counts a refusal in `s`, whose window it may close. */
static void count_refusal(pp_api_guard_t *g, slot_t *s, slot_t *addr, out_t *o, int64_t now) {
  if (now - s->window_ms >= g->window_ms) {
    flush_budgeted(g, s, addr, o, now);
    s->window_ms = now;
  }
  if (!s->pending_failures && !s->pending_refused) s->pending_since = now;
  s->pending_refused++;
  s->last_ms = now;
}

pp_err_t pp_api_guard_check(pp_api_req_t *r, const char *user) {
  pp_api_guard_t *g = r->api->guard;
  if (!g || atomic_load_explicit(&g->live, memory_order_acquire) == 0) return PP_OK;
  const char *ip = r->audit.ip, *p = claimed(user);
  int64_t now = now_ms();
  out_t o = {.n = 0};
  pp_err_t e = PP_OK;
  pthread_mutex_lock(&g->mu);
  sweep(g, now, &o);
  slot_t *addr = find(g, key_of(g, ip, ADDR_ANY), ip, ADDR_ANY);
  slot_t *pair = find(g, key_of(g, ip, p), ip, p);
  if (pair && now < pair->penalty_ms) {
    count_refusal(g, pair, addr, &o, now);
    e = PP_ERR_AUTH_RATE;
  } else if (addr && now < addr->penalty_ms) {
    count_refusal(g, addr, NULL, &o, now);
    e = PP_ERR_AUTH_RATE;
  }
  pthread_mutex_unlock(&g->mu);
  emit(r, &o);
  return e;
}

void pp_api_guard_passed(pp_api_req_t *r, const char *user) {
  pp_api_guard_t *g = r->api->guard;
  if (!g || atomic_load_explicit(&g->live, memory_order_acquire) == 0) return;
  const char *ip = r->audit.ip, *p = claimed(user);
  int64_t now = now_ms();
  out_t o = {.n = 0};
  pthread_mutex_lock(&g->mu);
  sweep(g, now, &o);
  slot_t *pair = find(g, key_of(g, ip, p), ip, p);
  if (pair) {
    flush_budgeted(g, pair, find(g, key_of(g, ip, ADDR_ANY), ip, ADDR_ANY), &o, now);
    if (!pair->pending_failures && !pair->pending_refused) clear(g, pair);
  }
  pthread_mutex_unlock(&g->mu);
  emit(r, &o);
}

/* Counts a failure in `s` (a pair, with its address's slot `addr`, or an
 * address's own slot, `addr` NULL), whose window it may close. */
static void count_failure(pp_api_guard_t *g, slot_t *s, slot_t *addr, out_t *o, int64_t now) {
  if (now - s->window_ms >= g->window_ms) {
    flush_budgeted(g, s, addr, o, now);
    s->window_ms = now;
    s->recorded = s->failures = 0;
    if (now - s->last_ms >= g->window_ms) s->streak = 0;
  }
  s->failures++;
  s->streak++;
  s->last_ms = now;
}

bool pp_api_guard_failed(pp_api_req_t *r, const pp_audit_event_t *ev) {
  pp_api_guard_t *g = r->api->guard;
  if (!g) return true;
  const char *ip = r->audit.ip;
  int64_t now = now_ms();
  out_t o = {.n = 0};
  pthread_mutex_lock(&g->mu);
  sweep(g, now, &o);
  slot_t *addr = take(g, key_of(g, ip, ADDR_ANY), ip, ADDR_ANY, NULL, now, &o);
  slot_t *pair = take(g, key_of(g, ip, ev->principal), ip, ev->principal, addr, now, &o);
  count_failure(g, addr, NULL, &o, now);
  count_failure(g, pair, addr, &o, now);
  pair->principal_kind = ev->principal_kind;
  memcpy(pair->principal_account, ev->principal_account, sizeof pair->principal_account);
  memcpy(pair->account, ev->account_sid, sizeof pair->account);
  if (pair->streak > PAIR_FREE)
    pair->penalty_ms = now + pp_api_guard_penalty_ms(pair->streak - PAIR_FREE);
  if (addr->failures > ADDR_FREE)
    addr->penalty_ms = now + pp_api_guard_penalty_ms(addr->failures - ADDR_FREE);
  bool record = pair->recorded < PAIR_RECORD && addr->recorded < ADDR_RECORD && all_budget(g, now);
  if (record) {
    pair->recorded++;
    addr->recorded++;
  } else { /* counted where the budget ran out: the pair, its address, or all */
    slot_t *into = pair->recorded >= PAIR_RECORD   ? pair
                   : addr->recorded >= ADDR_RECORD ? addr
                                                   : &g->all;
    if (!into->pending_failures && !into->pending_refused) into->pending_since = now;
    into->pending_failures++;
  }
  pthread_mutex_unlock(&g->mu);
  emit(r, &o);
  return record;
}

void pp_api_guard_stop(pp_api_t *api) {
  pp_api_guard_t *g = api->guard;
  if (!g) return;
  api->guard = NULL;
  for (size_t i = 0; i <= SLOTS; i++) {
    slot_t *s = i < SLOTS ? &g->slots[i] : &g->all;
    out_t o = {.n = 0};
    flush(s, &o, NULL);
    for (size_t k = 0; k < o.n; k++) pp_api_audit_emit(api->store, &o.ev[k]);
  }
  pthread_mutex_destroy(&g->mu);
  sodium_memzero(g->hkey, sizeof g->hkey);
  free(g);
}

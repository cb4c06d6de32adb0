/* engine.c: the delivery engine (see engine.h).  One thread claims, routes
 * and submits through each carrier's channel (channel/channel.h); the
 * channel's threads report results, receipts and inbound messages through
 * callbacks, which queue store writes.  A receipt or inbound message is
 * acknowledged only once committed: the write's done callback (store
 * writer thread) gives the channel its answer (pp_channel_ack), so
 * receipts share the store's group commit. */
#include "engine/engine.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel/channel.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/segments.h"
#include "core/thread.h"
#include "engine/engine_int.h"

#define CLAIM_MAX 256
#define HASH_SIZE 4096
#define PARK_RETRY_MS 500 /* how often writes held for want of space are tried again */

/* A write that failed for want of space (PP_ERR_STORE_FULL), held for the
 * engine thread to queue again (see park). */
typedef struct parked {
  pp_write_t *w;
  struct parked *next;
} parked_t;

typedef struct carrier {
  pp_engine_t *eng;
  bool stopping; /* under the engine's park_mu: its receipts are not held any more */
  pp_carrier_t cfg;
  pp_channel_t *ch;
  _Atomic int bound; /* links up now (on_health) */
  bool seen;         /* refresh mark */
  struct carrier *next;
} carrier_t;

typedef struct inflight {
  int64_t seq;
  char carrier[64];
  int nparts, answered, ok;
  pp_channel_outcome_t failure; /* of the first part not sent (SENT: none yet) */
  int code;                     /* its error code */
  int attempts;
  pp_engine_t *eng;
  pp_write_t w;
  parked_t park;
  struct inflight *next;
  pp_part_ref_t parts[]; /* nparts */
} inflight_t;

/* A receipt or inbound message on its way to the store.  It owns every
 * string its write points to; it is answered (ack) when the write is done.
 * The channel it answers outlives it: the channel's stop waits for every
 * deferred answer. */
typedef struct {
  pp_engine_t *eng;
  carrier_t *car; /* outlives a deferred write: its channel's stop waits for the answer */
  pp_channel_ack_t ack;
  pp_write_t w;
  parked_t park;
  char carrier[64];
  char smsc_id[sizeof((pp_part_ref_t *)0)->smsc_id];
  pp_message_t m;
  char from[32], to[32];
  char *text; /* malloc'd */
} dwrite_t;

struct pp_engine {
  pp_engine_opts_t o;
  pthread_t thread;
  pthread_mutex_t mu; /* stop flag, condvar */
  pthread_cond_t cv;
  bool stopping;
  carrier_t *carriers; /* changed by the engine thread only, under carriers_mu (callbacks
                          hold their own pointer; pp_engine_carrier_links reads it) */
  pthread_mutex_t carriers_mu;
  pp_route_rule_t *routes;
  size_t nroutes;
  pthread_mutex_t fly_mu; /* inflight table */
  inflight_t *fly[HASH_SIZE];
  _Atomic int nfly;
  _Atomic unsigned id_collisions; /* SMSC message ids given again while still awaited */
  _Atomic int writes_pending;     /* async store writes not yet done (parked ones too) */
  pthread_mutex_t park_mu;        /* the parked writes */
  parked_t *park_head, **park_tail;
  bool park_closed; /* the engine stops: nothing is held any more */
};

static int64_t now_ms(void) {
  return pp_clock_now_us() / 1000;
}

/* ---- inflight table ----------------------------------------------------- */

static void fly_put(pp_engine_t *e, inflight_t *f) {
  pthread_mutex_lock(&e->fly_mu);
  inflight_t **b = &e->fly[(uint64_t)f->seq % HASH_SIZE];
  f->next = *b;
  *b = f;
  atomic_fetch_add(&e->nfly, 1);
  pthread_mutex_unlock(&e->fly_mu);
}

/* ---- writes held while the store has no space --------------------------- *
 * A write that fails with PP_ERR_STORE_FULL is held and queued again every
 * PARK_RETRY_MS by the engine thread, oldest first, until it succeeds.  A
 * receipt or inbound message stays unanswered meanwhile (its ack), so the
 * peer (an SMSC) stops sending when its window is full and keeps what it has,
 * instead of giving up after refusals; a submit's outcome is recorded
 * before the receipts that follow it. */

/* Store writer thread: holds `w` (p is its link).  False when nothing may be
 * held any more (the engine or the receipt's carrier stops): the caller
 * finishes the write as failed. */
static bool park(pp_engine_t *e, parked_t *p, pp_write_t *w, const carrier_t *car) {
  pthread_mutex_lock(&e->park_mu);
  bool ok = !e->park_closed && !(car && car->stopping);
  if (ok) {
    p->w = w;
    p->next = NULL;
    *e->park_tail = p;
    e->park_tail = &p->next;
  }
  pthread_mutex_unlock(&e->park_mu);
  return ok;
}

static void dwrite_done(pp_write_t *w);

/* Takes the held writes that `pick` selects (all of them when NULL) off the
 * list, oldest first. */
static parked_t *unpark(pp_engine_t *e, const carrier_t *pick) {
  parked_t *out = NULL, **tail = &out;
  pthread_mutex_lock(&e->park_mu);
  for (parked_t **pp = &e->park_head; *pp;) {
    parked_t *p = *pp;
    if (pick && !(p->w->done == dwrite_done && ((dwrite_t *)p->w->arg)->car == pick)) {
      pp = &p->next;
      continue;
    }
    *pp = p->next;
    p->next = NULL;
    *tail = p;
    tail = &p->next;
  }
  e->park_tail = &e->park_head;
  while (*e->park_tail) e->park_tail = &(*e->park_tail)->next;
  pthread_mutex_unlock(&e->park_mu);
  return out;
}

/* Queues the held writes again, or (`fail`, or the store closing) finishes
 * them as failed: a receipt is answered PP_ERR_CLOSED (its peer delivers it
 * again later), a submit's outcome is left to its lease. */
static void requeue(pp_engine_t *e, parked_t *list, bool fail) {
  while (list) {
    parked_t *p = list;
    list = p->next;
    pp_write_t *w = p->w;
    if (fail || pp_store_submit(e->o.store, w) != PP_OK) {
      w->result = PP_ERR_CLOSED;
      w->done(w);
    }
  }
}

static void write_done(pp_write_t *w) {
  inflight_t *f = w->arg;
  pp_engine_t *e = f->eng;
  if (w->result == PP_ERR_STORE_FULL && park(e, &f->park, w, NULL)) return;
  if (!w->result && w->kind == PP_W_SUBMITTED && w->u.submitted.collisions > 0) {
    /* Both messages wait for a receipt; one for that id goes to the newest. */
    unsigned n = atomic_fetch_add(&e->id_collisions, (unsigned)w->u.submitted.collisions) +
                 (unsigned)w->u.submitted.collisions;
    pp_log_warn("engine",
                "carrier %s: message %lld got %d message id(s) the SMSC had given to a message "
                "still waiting for its receipt (%u such collisions since start)",
                f->carrier, (long long)f->seq, w->u.submitted.collisions, n);
  }
  /* Not recorded when the engine stopped (CLOSED): the lease will expire. */
  if (w->result && w->result != PP_ERR_NOT_FOUND && w->result != PP_ERR_CLOSED)
    pp_log_warn("engine", "message %lld: recording the submit failed: %s", (long long)f->seq,
                pp_err_name(w->result));
  free(f);
  atomic_fetch_sub(&e->writes_pending, 1);
}

/* Every part answered: record the outcome (asynchronously). */
static void finish(pp_engine_t *e, inflight_t *f) {
  int64_t now = pp_clock_now();
  pp_write_t *w = &f->w;
  memset(w, 0, sizeof *w);
  if (f->ok == f->nparts) {
    w->kind = PP_W_SUBMITTED;
    w->u.submitted = (pp_submitted_t){f->seq, now, f->carrier, f->parts, (size_t)f->nparts, 0};
  } else if (f->failure == PP_CHANNEL_RETRY && f->attempts < 10) {
    int delay = 1 << (f->attempts < 6 ? f->attempts : 6); /* 2 s .. 64 s */
    w->kind = PP_W_DELIVERY_RETRY;
    w->u.retry = (pp_retry_t){f->seq, now + delay};
  } else {
    w->kind = PP_W_DELIVERY_FAIL;
    w->u.fail =
        (pp_fail_t){f->seq, now, "failed", f->code, "The carrier did not accept the message"};
  }
  w->done = write_done;
  w->arg = f;
  atomic_fetch_add(&e->writes_pending, 1);
  if (pp_store_submit(e->o.store, w) != PP_OK) { /* closing: the lease will expire */
    free(f);
    atomic_fetch_sub(&e->writes_pending, 1);
  }
}

/* A channel thread (or the engine's, inside submit): one part's result. */
static void on_result(void *arg, const pp_channel_result_t *r) {
  pp_engine_t *e = ((carrier_t *)arg)->eng;
  int64_t seq = r->seq;
  int part = r->part;
  pthread_mutex_lock(&e->fly_mu);
  inflight_t **p = &e->fly[(uint64_t)seq % HASH_SIZE];
  while (*p && (*p)->seq != seq) p = &(*p)->next;
  inflight_t *f = *p;
  if (!f || part < 0 || part >= f->nparts) {
    pthread_mutex_unlock(&e->fly_mu);
    return;
  }
  if (r->outcome == PP_CHANNEL_SENT) {
    snprintf(f->parts[part].smsc_id, sizeof f->parts[part].smsc_id, "%s", r->id);
    f->ok++;
  } else if (f->failure == PP_CHANNEL_SENT) {
    f->failure = r->outcome;
    f->code = r->code;
  }
  bool done = ++f->answered == f->nparts;
  if (done) {
    *p = f->next;
    atomic_fetch_sub(&e->nfly, 1);
  }
  pthread_mutex_unlock(&e->fly_mu);
  if (done) finish(e, f);
}

/* ---- channel callbacks --------------------------------------------------- */

/* Engine thread, inside a channel's submit: the message goes as `nparts`
 * parts; its inflight entry is made before the first part goes out. */
static pp_err_t on_parts(void *arg, const pp_channel_msg_t *m, size_t nparts) {
  carrier_t *c = arg;
  const pp_outbound_t *o = m->arg;
  inflight_t *f = calloc(1, sizeof *f + nparts * sizeof f->parts[0]);
  if (!f) return PP_ERR_NOMEM;
  f->seq = m->seq;
  f->eng = c->eng;
  f->nparts = (int)nparts;
  f->attempts = o->attempts;
  snprintf(f->carrier, sizeof f->carrier, "%s", c->cfg.name);
  for (size_t i = 0; i < nparts; i++) {
    f->parts[i].part = (int)i + 1;
    f->parts[i].parts = (int)nparts;
  }
  fly_put(c->eng, f);
  return PP_OK;
}

static void on_health(void *arg, bool up) {
  carrier_t *c = arg;
  atomic_fetch_add(&c->bound, up ? 1 : -1);
}

static void dwrite_free(dwrite_t *d) {
  free(d->text);
  free(d);
}

/* The outcome to answer with for a write's result; logged unless the peer
 * is only asked to deliver it again later. */
static pp_err_t dwrite_result(const dwrite_t *d, pp_err_t e) {
  if (e && e != PP_ERR_STORE_FULL && e != PP_ERR_CLOSED)
    pp_log_warn("engine", "carrier %s: %s not recorded: %s", d->carrier,
                d->w.kind == PP_W_RECEIPT ? "receipt" : "inbound message", pp_err_name(e));
  return e;
}

/* Store writer thread: the write is committed (or failed); answer. */
static void dwrite_done(pp_write_t *w) {
  dwrite_t *d = w->arg;
  pp_engine_t *e = d->eng;
  if (w->result == PP_ERR_STORE_FULL && park(e, &d->park, w, d->car)) return;
  pp_err_t r = dwrite_result(d, w->result);
  pp_channel_ack_t ack = d->ack;
  dwrite_free(d);
  pp_channel_ack(&ack, r); /* the channel may free its link after this */
  atomic_fetch_sub(&e->writes_pending, 1);
}

/* Gives `ack` (when there is one) outcome `r`, and returns `r`. */
static pp_err_t answer(const pp_channel_ack_t *ack, pp_err_t r) {
  if (ack) pp_channel_ack(ack, r);
  return r;
}

/* Queues d's write and answers `ack` from its done callback; without an
 * ack (the channel owes too many answers) waits for the commit instead and
 * returns the outcome.  Takes d. */
static pp_err_t dwrite_commit(dwrite_t *d, const pp_channel_ack_t *ack) {
  pp_engine_t *e = d->eng;
  if (!ack) {
    pp_err_t r = dwrite_result(d, pp_store_write(e->o.store, &d->w));
    dwrite_free(d);
    return r;
  }
  d->ack = *ack;
  d->w.done = dwrite_done;
  d->w.arg = d;
  atomic_fetch_add(&e->writes_pending, 1);
  pp_err_t err = pp_store_submit(e->o.store, &d->w);
  if (err) { /* the store is closing */
    pp_err_t r = dwrite_result(d, err);
    dwrite_free(d);
    atomic_fetch_sub(&e->writes_pending, 1);
    return answer(ack, r);
  }
  return PP_OK;
}

/* The write that records final receipt `r` for the part carrier `c`
 * knows as r->id, or NULL (no memory).  The caller queues it. */
static dwrite_t *receipt_write(carrier_t *c, const pp_channel_receipt_t *r) {
  dwrite_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->eng = c->eng;
  d->car = c;
  snprintf(d->carrier, sizeof d->carrier, "%s", c->cfg.name);
  snprintf(d->smsc_id, sizeof d->smsc_id, "%s", r->id);
  d->w.kind = PP_W_RECEIPT;
  d->w.u.receipt = (pp_receipt_t){d->carrier,
                                  d->smsc_id,
                                  r->state,
                                  r->code,
                                  pp_clock_now(),
                                  0,
                                  c->eng->o.early_receipt_ttl_s,
                                  c->eng->o.early_receipts_max};
  return d;
}

/* Store writer thread: a receipt learnt from a query is recorded (held
 * while the store is full, like any receipt); nobody waits for it. */
static void query_write_done(pp_write_t *w) {
  dwrite_t *d = w->arg;
  pp_engine_t *e = d->eng;
  if (w->result == PP_ERR_STORE_FULL && park(e, &d->park, w, NULL)) return;
  if (w->result && w->result != PP_ERR_CLOSED)
    pp_log_warn("engine", "carrier %s: a queried receipt was not recorded: %s", d->carrier,
                pp_err_name(w->result));
  dwrite_free(d);
  atomic_fetch_sub(&e->writes_pending, 1);
}

/* A channel thread: a final receipt. */
static pp_err_t on_receipt(void *arg, const pp_channel_receipt_t *r, const pp_channel_ack_t *ack) {
  carrier_t *c = arg;
  dwrite_t *d = receipt_write(c, r);
  if (!d) return answer(ack, PP_ERR_NOMEM);
  if (!r->queried) return dwrite_commit(d, ack);
  d->w.done = query_write_done;
  d->w.arg = d;
  atomic_fetch_add(&c->eng->writes_pending, 1);
  if (pp_store_submit(c->eng->o.store, &d->w) != PP_OK) { /* closing */
    dwrite_free(d);
    atomic_fetch_sub(&c->eng->writes_pending, 1);
  }
  return PP_OK;
}

/* ---- reconciliation after a full disk ---------------------------------- *
 * When the store writes again after failing for want of space, every part
 * of a `sent` message still waiting for its receipt is asked about through
 * its channel's query (its SMSC may have dropped a receipt it could not
 * hand over meanwhile), and a final state is recorded as its receipt would
 * have been (on_receipt, queried). */

static carrier_t *carrier_named(pp_engine_t *e, const char *name);

/* Engine thread: asks about the next parts waiting for a receipt after
 * `after` (a part id).  Returns where to go on from, or -1 when every part
 * has been asked about.  A part whose carrier is not bound is skipped. */
static int64_t reconcile(pp_engine_t *e, int64_t after) {
  enum { BATCH = 64 };
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_part_awaiting_t *rows;
  size_t n = 0;
  if (pp_store_parts_awaiting(e->o.store, &a, after, BATCH, &rows, &n) != PP_OK) {
    pp_arena_cleanup(&a);
    return after; /* again next time */
  }
  int64_t cursor = after;
  for (size_t i = 0; i < n; i++) {
    carrier_t *c = carrier_named(e, rows[i].carrier);
    if (c && atomic_load(&c->bound) > 0) {
      pp_err_t err = c->ch->ops->query(c->ch, rows[i].smsc_id, rows[i].from);
      if (err == PP_ERR_AGAIN || err == PP_ERR_NOMEM) break; /* this one again later */
    }
    cursor = rows[i].id;
  }
  bool done = n < BATCH && (n == 0 || cursor == rows[n - 1].id);
  pp_arena_cleanup(&a);
  return done ? -1 : cursor;
}

/* A channel thread: stores an inbound message, or (m->total) one part of
 * it, which the store keeps until the set is complete.  Takes m->text. */
static pp_err_t on_inbound(void *arg, pp_channel_inbound_t *in, const pp_channel_ack_t *ack) {
  carrier_t *c = arg;
  char *text = in->text;
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_number_t num;
  pp_err_t e = pp_store_number_find(c->eng->o.store, &a, in->to, &num);
  pp_arena_cleanup(&a);
  if (e) {
    free(text);
    if (e == PP_ERR_NOT_FOUND) {
      pp_log_warn("engine", "carrier %s: inbound message to %s, which no account owns", c->cfg.name,
                  in->to);
      return answer(ack, PP_OK);
    }
    return answer(ack, PP_ERR_STORE);
  }
  dwrite_t *d = calloc(1, sizeof *d);
  if (!d) {
    free(text);
    return answer(ack, PP_ERR_NOMEM);
  }
  d->eng = c->eng;
  d->car = c;
  d->text = text;
  snprintf(d->carrier, sizeof d->carrier, "%s", c->cfg.name);
  snprintf(d->from, sizeof d->from, "%s", in->from);
  snprintf(d->to, sizeof d->to, "%s", in->to);
  pp_message_t *m = &d->m;
  pp_sid_new(m->sid, "SM");
  memcpy(m->account_sid, num.account_sid, sizeof m->account_sid);
  m->to = d->to;
  m->from = d->from;
  m->body = d->text;
  m->media_urls = "";
  m->direction = "inbound";
  m->status = "received";
  m->validity_period = 0;
  m->date_created = m->date_updated = m->date_sent = pp_clock_now();
  if (in->total) {
    m->num_segments = in->total;
    d->w.kind = PP_W_MO_PART;
    d->w.u.mo_part = (pp_mo_part_t){.src = d->from,
                                    .dst = d->to,
                                    .ref = in->ref,
                                    .total = in->total,
                                    .part = in->part,
                                    .text = d->text,
                                    .now = m->date_created,
                                    .message = m};
    return dwrite_commit(d, ack);
  }
  pp_segments_t seg;
  pp_segments_count(d->text, strlen(d->text), &seg);
  m->num_segments = (int)seg.segments;
  d->w.kind = PP_W_MESSAGE_INSERT;
  d->w.u.message = m;
  return dwrite_commit(d, ack);
}

/* ---- carriers and routes ------------------------------------------------- */

/* The channel's stop also waits until its deferred answers have been given
 * (their writes are done), so no done callback meets a freed channel; the
 * callbacks never touch the carrier.  A carrier whose channel did not start
 * has none (ch NULL) and is never up. */
static void carrier_stop(carrier_t *c) {
  pp_engine_t *e = c->eng;
  pthread_mutex_lock(&e->park_mu);
  c->stopping = true;
  pthread_mutex_unlock(&e->park_mu);
  requeue(e, unpark(e, c), true); /* its held receipts are answered: the stop waits for that */
  if (c->ch) c->ch->ops->stop(c->ch);
  sodium_memzero(c->cfg.password, sizeof c->cfg.password);
  free(c);
}

/* The channel operations carrier `c` goes through (NULL: an unknown kind). */
static const pp_channel_ops_t *channel_ops(const pp_engine_t *e, const pp_carrier_t *c) {
  return e->o.channel ? e->o.channel : pp_channel_find(pp_channel_kind(c));
}

static carrier_t *carrier_start(pp_engine_t *e, const pp_carrier_t *cfg) {
  const char *kind = pp_channel_kind(cfg);
  const pp_channel_ops_t *ops = channel_ops(e, cfg);
  carrier_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->eng = e;
  c->cfg = *cfg;
  pp_channel_config_t cc = {.carrier = cfg, .keepalive_ms = e->o.enquire_link_ms};
  pp_channel_callbacks_t cb = {on_parts, on_result, on_receipt, on_inbound, on_health, c};
  pp_err_t err = ops ? ops->start(&cc, &cb, &c->ch) : PP_ERR_INVALID_PARAM;
  if (err) { /* kept, never up, so that this is logged once per change */
    pp_log_warn("engine", "carrier %s: its %s channel did not start: %s", cfg->name, kind,
                pp_err_name(err));
    c->ch = NULL;
  }
  return c;
}

/* Whether carrier `a`'s channel may carry on for `b`, the carrier read
 * again: the same kind, whose settings compare equal (the kind decides
 * which count).  A kind nobody knows starts nothing either way. */
static bool same_config(const pp_engine_t *e, const pp_carrier_t *a, const pp_carrier_t *b) {
  if (strcmp(pp_channel_kind(a), pp_channel_kind(b)) != 0) return false;
  const pp_channel_ops_t *ops = channel_ops(e, b);
  return !ops || ops->same_config(a, b);
}

static void refresh(pp_engine_t *e) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_carrier_t *cs;
  pp_route_rule_t *rs;
  size_t nc, nr;
  if (pp_store_carrier_all(e->o.store, &a, &cs, &nc) ||
      pp_store_route_all(e->o.store, &a, &rs, &nr)) {
    pp_arena_cleanup(&a);
    return;
  }
  for (carrier_t *c = e->carriers; c; c = c->next) c->seen = false;
  for (size_t i = 0; i < nc; i++) {
    carrier_t **pc = &e->carriers;
    while (*pc && strcmp((*pc)->cfg.name, cs[i].name)) pc = &(*pc)->next;
    if (*pc && same_config(e, &(*pc)->cfg, &cs[i])) {
      (*pc)->seen = true;
      continue;
    }
    if (*pc) { /* changed: its channel again, with the new settings */
      carrier_t *old = *pc;
      pthread_mutex_lock(&e->carriers_mu);
      *pc = old->next;
      pthread_mutex_unlock(&e->carriers_mu);
      carrier_stop(old);
    }
    carrier_t *c = carrier_start(e, &cs[i]);
    if (c) {
      c->seen = true;
      pthread_mutex_lock(&e->carriers_mu);
      c->next = e->carriers;
      e->carriers = c;
      pthread_mutex_unlock(&e->carriers_mu);
    }
  }
  for (carrier_t **pc = &e->carriers; *pc;) {
    if ((*pc)->seen) {
      pc = &(*pc)->next;
      continue;
    }
    carrier_t *gone = *pc;
    pthread_mutex_lock(&e->carriers_mu);
    *pc = gone->next;
    pthread_mutex_unlock(&e->carriers_mu);
    pp_log_info("engine", "carrier %s removed", gone->cfg.name);
    carrier_stop(gone);
  }
  pp_route_rule_t *copy = nr ? malloc(nr * sizeof *copy) : NULL;
  if (nr && !copy) {
    pp_arena_cleanup(&a);
    return;
  }
  if (nr) memcpy(copy, rs, nr * sizeof *copy);
  free(e->routes);
  e->routes = copy;
  e->nroutes = nr;
  for (size_t i = 0; i < nc; i++) sodium_memzero(cs[i].password, sizeof cs[i].password);
  pp_arena_cleanup(&a);
}

static carrier_t *carrier_named(pp_engine_t *e, const char *name) {
  for (carrier_t *c = e->carriers; c; c = c->next)
    if (!strcmp(c->cfg.name, name)) return c;
  return NULL;
}

int pp_engine_route_pick(const pp_route_rule_t *rules, size_t n, const char *to,
                         bool (*up)(void *arg, const char *carrier), void *arg, bool *any_rule) {
  *any_rule = false;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(to, rules[i].prefix, strlen(rules[i].prefix)) != 0) continue;
    *any_rule = true;
    if (up(arg, rules[i].carrier)) return (int)i;
  }
  return -1;
}

int pp_engine_carrier_links(pp_engine_t *e, const char *name) {
  pthread_mutex_lock(&e->carriers_mu);
  carrier_t *c = carrier_named(e, name);
  int links = c ? atomic_load(&c->bound) : -1;
  pthread_mutex_unlock(&e->carriers_mu);
  return links;
}

static bool carrier_up(void *arg, const char *name) {
  carrier_t *c = carrier_named(arg, name);
  return c && atomic_load(&c->bound) > 0;
}

/* The bound carrier for `to`, or NULL; *any_rule tells whether a rule
 * matched at all (a route whose carriers are all down waits). */
static carrier_t *route(pp_engine_t *e, const char *to, bool *any_rule) {
  int i = pp_engine_route_pick(e->routes, e->nroutes, to, carrier_up, e, any_rule);
  return i < 0 ? NULL : carrier_named(e, e->routes[i].carrier);
}

/* ---- dispatch ------------------------------------------------------------ */

static void write_sync_fail(pp_engine_t *e, int64_t seq, pp_err_t why) {
  pp_write_t w = {.kind = PP_W_DELIVERY_FAIL};
  w.u.fail =
      (pp_fail_t){seq, pp_clock_now(), "failed", pp_err_twilio_code(why), pp_err_format(why)};
  pp_store_write(e->o.store, &w);
}

static void write_sync_retry(pp_engine_t *e, int64_t seq, int64_t at) {
  pp_write_t w = {.kind = PP_W_DELIVERY_RETRY};
  w.u.retry = (pp_retry_t){seq, at};
  pp_store_write(e->o.store, &w);
}

static void dispatch_body(pp_engine_t *e, const pp_outbound_t *o, const char *body, int64_t now);

static void dispatch(pp_engine_t *e, const pp_outbound_t *o) {
  int64_t now = pp_clock_now();
  if (o->validity_period > 0 && now > o->date_created + o->validity_period) {
    write_sync_fail(e, o->seq, PP_ERR_DELIVERY_EXPIRED);
    return;
  }
  /* A verification message goes out with the text sealed for it; the
   * stored body has the code masked (docs/internals/verify.md). */
  const char *body = o->body;
  unsigned char *opened = NULL;
  if (o->sealed_body) {
    size_t olen = 0;
    if (pp_store_open_secret(e->o.store, o->account_sid, "messages", "sealed_body", o->sid,
                             o->sealed_body, o->sealed_body_len, &opened, &olen) != PP_OK) {
      write_sync_fail(e, o->seq, PP_ERR_DELIVERY_UNOPENED);
      return;
    }
    body = (const char *)opened;
  }
  dispatch_body(e, o, body, now);
  pp_store_secret_free(opened);
}

/* Routes and submits outbound message `o` with the text `body`. */
static void dispatch_body(pp_engine_t *e, const pp_outbound_t *o, const char *body, int64_t now) {
  bool any_rule;
  carrier_t *c = route(e, o->to, &any_rule);
  if (!c) {
    if (any_rule)
      write_sync_retry(e, o->seq, now + 2); /* its carriers are down: wait */
    else
      write_sync_fail(e, o->seq, PP_ERR_DELIVERY_NO_ROUTE);
    return;
  }
  pp_channel_msg_t m = {o->seq, o->to, o->from, body, (void *)o};
  pp_err_t err = c->ch->ops->submit(c->ch, &m);
  if (err == PP_ERR_BAD_REQUEST)
    write_sync_fail(e, o->seq, PP_ERR_DELIVERY_ENCODE);
  else if (err)
    write_sync_retry(e, o->seq, now + 1);
}

static int capacity(pp_engine_t *e) {
  int cap = 0;
  for (carrier_t *c = e->carriers; c; c = c->next)
    if (atomic_load(&c->bound) > 0) cap += c->ch->window;
  cap -= atomic_load(&e->nfly);
  return cap < 0 ? 0 : cap > CLAIM_MAX ? CLAIM_MAX : cap;
}

static void *engine_main(void *arg) {
  pp_engine_t *e = arg;
  int64_t next_refresh = 0, next_requeue = 0;
  int64_t recon = -1; /* the reconciliation's cursor; -1: none under way */
  bool was_full = false;
  for (;;) {
    pthread_mutex_lock(&e->mu);
    bool stop = e->stopping;
    pthread_mutex_unlock(&e->mu);
    if (stop) break;
    if (now_ms() >= next_refresh) {
      refresh(e);
      next_refresh = now_ms() + e->o.refresh_ms;
    }
    if (now_ms() >= next_requeue) {
      requeue(e, unpark(e, NULL), false);
      next_requeue = now_ms() + PARK_RETRY_MS;
    }
    pp_store_stats_t st;
    pp_store_stats(e->o.store, &st);
    if (was_full && !st.full) {
      pp_log_info("engine",
                  "the store writes again: asking the SMSCs about the parts still "
                  "waiting for a receipt");
      recon = 0;
    }
    was_full = st.full;
    if (recon >= 0 && !st.full) recon = reconcile(e, recon);
    /* No claims while writes are held: a submit's outcome waiting for space
     * goes first, or a lease that ran out meanwhile would send it again. */
    pthread_mutex_lock(&e->park_mu);
    bool held = e->park_head != NULL;
    pthread_mutex_unlock(&e->park_mu);
    int limit = held ? 0 : capacity(e);
    size_t got = 0;
    if (limit > 0) {
      pp_arena_t a;
      pp_arena_init(&a, 0);
      int64_t now = pp_clock_now();
      pp_write_t w = {.kind = PP_W_CLAIM};
      w.u.claim = (pp_claim_t){now, now + e->o.lease_s, (size_t)limit, &a, NULL, 0};
      if (pp_store_write(e->o.store, &w) == PP_OK) {
        got = w.u.claim.n;
        for (size_t i = 0; i < got; i++) dispatch(e, &w.u.claim.rows[i]);
      }
      pp_arena_cleanup(&a);
    }
    if (got < (size_t)limit || limit == 0) {
      pthread_mutex_lock(&e->mu);
      if (!e->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)e->o.poll_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
      }
      pthread_mutex_unlock(&e->mu);
    }
  }
  return NULL;
}

pp_err_t pp_engine_start(const pp_engine_opts_t *opts, pp_engine_t **out) {
  pp_engine_t *e = calloc(1, sizeof *e);
  if (!e) return PP_ERR_NOMEM;
  e->o = *opts;
  if (!e->o.poll_ms) e->o.poll_ms = 20;
  if (!e->o.refresh_ms) e->o.refresh_ms = 2000;
  if (!e->o.lease_s) e->o.lease_s = 120;
  if (!e->o.enquire_link_ms) e->o.enquire_link_ms = 30000;
  pthread_mutex_init(&e->fly_mu, NULL);
  pthread_mutex_init(&e->park_mu, NULL);
  pthread_mutex_init(&e->carriers_mu, NULL);
  e->park_tail = &e->park_head;
  if (!pp_thread_start(&e->thread, &e->mu, &e->cv, engine_main, e)) {
    free(e);
    return PP_ERR_INTERNAL;
  }
  *out = e;
  return PP_OK;
}

void pp_engine_stop(pp_engine_t *e) {
  if (!e) return;
  pp_thread_stop(e->thread, &e->mu, &e->cv, &e->stopping);
  pthread_mutex_lock(&e->park_mu);
  e->park_closed = true;
  pthread_mutex_unlock(&e->park_mu);
  requeue(e, unpark(e, NULL), true);
  while (e->carriers) { /* stopping reports unanswered submits: they retry */
    carrier_t *c = e->carriers;
    pthread_mutex_lock(&e->carriers_mu);
    e->carriers = c->next;
    pthread_mutex_unlock(&e->carriers_mu);
    carrier_stop(c);
  }
  while (atomic_load(&e->writes_pending) > 0) nanosleep(&(struct timespec){0, 1000000}, NULL);
  for (size_t i = 0; i < HASH_SIZE; i++)
    while (e->fly[i]) {
      inflight_t *f = e->fly[i];
      e->fly[i] = f->next;
      free(f);
    }
  free(e->routes);
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->fly_mu);
  pthread_mutex_destroy(&e->park_mu);
  pthread_mutex_destroy(&e->carriers_mu);
  free(e);
}

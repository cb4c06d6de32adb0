/* engine.c: the delivery engine (see engine.h).  One thread claims and
 * dispatches; SMPP session threads report submit results and deliver_sm
 * through callbacks, which queue store writes.  A receipt or inbound
 * message is acknowledged only once committed: on_deliver defers the
 * deliver_sm_resp and the write's done callback (store writer thread) gives
 * it, so receipts share the store's group commit. */
#include "engine/engine.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel/smpp/dlr.h"
#include "channel/smpp/gsm7.h"
#include "channel/smpp/segment.h"
#include "channel/smpp/session.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/segments.h"

#define CLAIM_MAX 256
#define HASH_SIZE 4096
#define MAX_PARTS 64 /* 1,600 characters of UCS-2 need 48 */
#define MO_PARTS_MAX 16
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
  pp_smpp_session_t **sess;
  int nsess;
  _Atomic unsigned rr;
  _Atomic int bound; /* sessions bound now */
  bool seen;         /* refresh mark */
  struct carrier *next;
} carrier_t;

typedef struct inflight {
  int64_t seq;
  char carrier[64];
  int nparts, answered, ok;
  uint32_t failure; /* the first non-OK status */
  int attempts;
  pp_engine_t *eng;
  pp_write_t w;
  parked_t park;
  struct inflight *next;
  pp_part_ref_t parts[]; /* nparts */
} inflight_t;

/* A receipt or inbound message on its way to the store.  It owns every
 * string its write points to; its deliver_sm is answered when the write is
 * done.  The session it names outlives it: pp_smpp_session_stop waits for
 * every deferred answer. */
typedef struct {
  pp_engine_t *eng;
  carrier_t *car; /* outlives a deferred write: its sessions' stop waits for the answer */
  pp_smpp_deliver_ctx_t ctx;
  pp_write_t w;
  parked_t park;
  char carrier[64];
  char smsc_id[PP_SMPP_DLR_ID_MAX + 2];
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
  carrier_t *carriers; /* engine thread only (callbacks hold their own pointer) */
  pp_route_rule_t *routes;
  size_t nroutes;
  pthread_mutex_t fly_mu; /* inflight table */
  inflight_t *fly[HASH_SIZE];
  _Atomic int nfly;
  _Atomic unsigned id_collisions; /* SMSC message ids given again while still awaited */
  _Atomic int writes_pending; /* async store writes not yet done (parked ones too) */
  pthread_mutex_t park_mu;    /* the parked writes */
  parked_t *park_head, **park_tail;
  bool park_closed;   /* the engine stops: nothing is held any more */
  pp_smpp_pdu_t *pdu; /* engine thread's submit buffer (66 KiB) */
  pp_smpp_part_t parts[MAX_PARTS];
  uint8_t payload[8192]; /* a whole message for message_payload (1,600 chars) */
  uint8_t packed[8192];  /* the same, packed, for carriers that want packed GSM-7 */
};

static int64_t now_ms(void) { return pp_clock_now_us() / 1000; }

/* The carrier wants GSM-7 text (data_coding 0) with its septets packed. */
static bool gsm7_packed(const pp_carrier_t *cfg) { return strcmp(cfg->gsm7, "packed") == 0; }

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
 * receipt or inbound message keeps its deliver_sm unanswered meanwhile, so
 * the SMSC stops sending when its window is full and keeps what it has,
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
 * them as failed: a receipt is answered ESME_RX_T_APPN, a submit's outcome
 * is left to its lease. */
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

/* Twilio error codes for an SMSC's refusal of a submit_sm. */
static int submit_error_code(uint32_t status) {
  switch (status) {
  case PP_ESME_RINVDSTADR: return 30005; /* unknown destination handset */
  case PP_ESME_RINVSRCADR: return 21212;
  default: return 30008;
  }
}

static bool transient(uint32_t status) {
  return status >= PP_SMPP_STATUS_NO_ANSWER || status == PP_ESME_RTHROTTLED ||
         status == PP_ESME_RMSGQFUL || status == PP_ESME_RSYSERR;
}

/* Every part answered: record the outcome (asynchronously). */
static void finish(pp_engine_t *e, inflight_t *f) {
  int64_t now = pp_clock_now();
  pp_write_t *w = &f->w;
  memset(w, 0, sizeof *w);
  if (f->ok == f->nparts) {
    w->kind = PP_W_SUBMITTED;
    w->u.submitted = (pp_submitted_t){f->seq, now, f->carrier, f->parts, (size_t)f->nparts, 0};
  } else if (transient(f->failure) && f->attempts < 10) {
    int delay = 1 << (f->attempts < 6 ? f->attempts : 6); /* 2 s .. 64 s */
    w->kind = PP_W_DELIVERY_RETRY;
    w->u.retry = (pp_retry_t){f->seq, now + delay};
  } else {
    w->kind = PP_W_DELIVERY_FAIL;
    w->u.fail = (pp_fail_t){f->seq, now, "failed", submit_error_code(f->failure),
                            "The carrier did not accept the message"};
  }
  w->done = write_done;
  w->arg = f;
  atomic_fetch_add(&e->writes_pending, 1);
  if (pp_store_submit(e->o.store, w) != PP_OK) { /* closing: the lease will expire */
    free(f);
    atomic_fetch_sub(&e->writes_pending, 1);
  }
}

static void part_answered(pp_engine_t *e, uint64_t tag, uint32_t status, const char *msgid) {
  int64_t seq = (int64_t)(tag >> 8);
  int part = (int)(tag & 0xff);
  pthread_mutex_lock(&e->fly_mu);
  inflight_t **p = &e->fly[(uint64_t)seq % HASH_SIZE];
  while (*p && (*p)->seq != seq) p = &(*p)->next;
  inflight_t *f = *p;
  if (!f || part >= f->nparts) {
    pthread_mutex_unlock(&e->fly_mu);
    return;
  }
  if (status == PP_ESME_ROK && msgid && *msgid) {
    snprintf(f->parts[part].smsc_id, sizeof f->parts[part].smsc_id, "%s", msgid);
    f->ok++;
  } else if (!f->failure) {
    f->failure = status == PP_ESME_ROK ? PP_SMPP_STATUS_BAD_RESP : status;
  }
  bool done = ++f->answered == f->nparts;
  if (done) {
    *p = f->next;
    atomic_fetch_sub(&e->nfly, 1);
  }
  pthread_mutex_unlock(&e->fly_mu);
  if (done) finish(e, f);
}

/* ---- session callbacks --------------------------------------------------- */

static void on_submit_resp(void *arg, uint64_t tag, uint32_t status, const char *message_id) {
  carrier_t *c = arg;
  part_answered(c->eng, tag, status, message_id);
}

static void on_state(void *arg, bool bound) {
  carrier_t *c = arg;
  atomic_fetch_add(&c->bound, bound ? 1 : -1);
  pp_log_info("engine", "carrier %s: a bind is %s", c->cfg.name, bound ? "up" : "down");
}

/* "+15551234567" from an SMPP address. */
static void e164_of(const char *addr, uint8_t ton, char *out, size_t cap) {
  bool digits = *addr != '\0';
  for (const char *p = addr; *p; p++)
    if (*p < '0' || *p > '9') digits = false;
  if (addr[0] != '+' && (ton == 1 || digits))
    snprintf(out, cap, "+%s", addr);
  else
    snprintf(out, cap, "%s", addr);
}

static int receipt_error(pp_smpp_dlr_state_t s) {
  switch (s) {
  case PP_SMPP_DLR_UNDELIVERABLE: return 30003; /* unreachable destination handset */
  case PP_SMPP_DLR_REJECTED: return 30007;      /* filtered by the carrier */
  case PP_SMPP_DLR_EXPIRED: return 30003;
  default: return 30008;
  }
}

static void dwrite_free(dwrite_t *d) {
  free(d->text);
  free(d);
}

/* The deliver_sm_resp status for a write's result. */
static uint32_t dwrite_status(const dwrite_t *d, pp_err_t e) {
  if (!e) return PP_ESME_ROK;
  if (e == PP_ERR_STORE_FULL || e == PP_ERR_CLOSED)
    return PP_ESME_RX_T_APPN; /* temporary: the SMSC delivers it again later */
  pp_log_warn("engine", "carrier %s: %s not recorded: %s", d->carrier,
              d->w.kind == PP_W_RECEIPT ? "receipt" : "inbound message", pp_err_name(e));
  return PP_ESME_RSYSERR; /* the SMSC sends it again */
}

/* Store writer thread: the write is committed (or failed); answer. */
static void dwrite_done(pp_write_t *w) {
  dwrite_t *d = w->arg;
  pp_engine_t *e = d->eng;
  if (w->result == PP_ERR_STORE_FULL && park(e, &d->park, w, d->car)) return;
  uint32_t st = dwrite_status(d, w->result);
  pp_smpp_deliver_ctx_t ctx = d->ctx;
  dwrite_free(d);
  pp_smpp_session_deliver_resp(&ctx, st); /* the session may be freed after this */
  atomic_fetch_sub(&e->writes_pending, 1);
}

/* Queues d's write and defers the answer to its done callback; without a
 * handle (too many answers outstanding) waits for the commit instead.
 * Takes d. */
static uint32_t dwrite_commit(dwrite_t *d, const pp_smpp_deliver_ctx_t *ctx) {
  pp_engine_t *e = d->eng;
  if (!ctx) {
    uint32_t st = dwrite_status(d, pp_store_write(e->o.store, &d->w));
    dwrite_free(d);
    return st;
  }
  d->ctx = *ctx;
  d->w.done = dwrite_done;
  d->w.arg = d;
  atomic_fetch_add(&e->writes_pending, 1);
  pp_err_t err = pp_store_submit(e->o.store, &d->w);
  if (err) { /* the store is closing */
    uint32_t st = dwrite_status(d, err);
    dwrite_free(d);
    atomic_fetch_sub(&e->writes_pending, 1);
    return st;
  }
  return PP_SMPP_DELIVER_DEFER;
}

static bool final_state(pp_smpp_dlr_state_t s) {
  return s == PP_SMPP_DLR_DELIVERED || s == PP_SMPP_DLR_UNDELIVERABLE ||
         s == PP_SMPP_DLR_REJECTED || s == PP_SMPP_DLR_EXPIRED || s == PP_SMPP_DLR_DELETED;
}

/* The write that records final receipt `state` for the part carrier `c`
 * knows as `id`, or NULL (no memory).  The caller queues it. */
static dwrite_t *receipt_write(carrier_t *c, const char *id, pp_smpp_dlr_state_t state) {
  dwrite_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->eng = c->eng;
  d->car = c;
  snprintf(d->carrier, sizeof d->carrier, "%s", c->cfg.name);
  snprintf(d->smsc_id, sizeof d->smsc_id, "%s", id);
  d->w.kind = PP_W_RECEIPT;
  d->w.u.receipt = (pp_receipt_t){d->carrier,
                                  d->smsc_id,
                                  (pp_dlr_state_t)state,
                                  state == PP_SMPP_DLR_DELIVERED ? 0 : receipt_error(state),
                                  pp_clock_now(),
                                  0,
                                  c->eng->o.early_receipt_ttl_s,
                                  c->eng->o.early_receipts_max};
  return d;
}

static uint32_t handle_receipt(carrier_t *c, const pp_smpp_pdu_t *pdu, const uint8_t *sm,
                               size_t len, const pp_smpp_deliver_ctx_t *ctx) {
  char id[PP_SMPP_DLR_ID_MAX + 2] = "";
  pp_smpp_dlr_t dlr;
  bool have_text = pp_smpp_dlr_parse((const char *)sm, len, &dlr) == PP_OK;
  /* A carrier that packs GSM-7 may pack its receipt text too (most send it
   * as plain ASCII, which is tried first). */
  uint8_t sep[PP_SMPP_SM_MAX * 8 / 7 + 2];
  char unpacked[3 * sizeof sep + 1];
  size_t nsep, ulen;
  if (!have_text && gsm7_packed(&c->cfg) &&
      pdu->body.deliver_sm.data_coding == PP_SMPP_DC_DEFAULT &&
      pp_smpp_ud_unpack(sm, len, 0, sep, sizeof sep, &nsep) == PP_OK &&
      pp_gsm7_to_utf8(sep, nsep, unpacked, sizeof unpacked, &ulen) == PP_OK)
    have_text = pp_smpp_dlr_parse(unpacked, ulen, &dlr) == PP_OK;
  if (pp_smpp_get_receipted_message_id(pdu, id, sizeof id) != PP_OK || !id[0]) {
    if (!have_text || !(dlr.fields & PP_SMPP_DLR_F_ID)) return PP_ESME_ROK; /* nothing to match */
    snprintf(id, sizeof id, "%s", dlr.id);
  }
  uint8_t ms;
  pp_smpp_dlr_state_t state = pp_smpp_get_message_state(pdu, &ms) == PP_OK
                                  ? pp_smpp_dlr_state_from_message_state(ms)
                                  : (have_text ? dlr.state : PP_SMPP_DLR_NONE);
  if (!final_state(state)) return PP_ESME_ROK; /* not final: nothing changes */
  dwrite_t *d = receipt_write(c, id, state);
  if (!d) return PP_ESME_RSYSERR;
  return dwrite_commit(d, ctx);
}

/* ---- reconciliation after a full disk ---------------------------------- *
 * When the store writes again after failing for want of space, every part
 * of a `sent` message still waiting for its receipt is asked about with a
 * query_sm (its SMSC may have dropped a receipt it could not hand over
 * meanwhile), and a final state is recorded as its receipt would have been. */

/* Store writer thread: a receipt learnt from a query_sm is recorded (held
 * while the store is full, like any receipt); no SMSC waits for it. */
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

/* Session thread: the answer to a query_sm; `tag` is the SMSC id asked
 * about (malloc'd, freed here). */
static void on_query_resp(void *arg, uint64_t tag, uint32_t status, uint8_t message_state) {
  carrier_t *c = arg;
  char *id = (char *)(uintptr_t)tag;
  pp_smpp_dlr_state_t state = pp_smpp_dlr_state_from_message_state(message_state);
  dwrite_t *d = status == PP_ESME_ROK && final_state(state) ? receipt_write(c, id, state) : NULL;
  free(id);
  if (!d) return;
  d->w.done = query_write_done;
  d->w.arg = d;
  atomic_fetch_add(&c->eng->writes_pending, 1);
  if (pp_store_submit(c->eng->o.store, &d->w) != PP_OK) { /* closing */
    dwrite_free(d);
    atomic_fetch_sub(&c->eng->writes_pending, 1);
  }
}

static carrier_t *carrier_named(pp_engine_t *e, const char *name);
static void fill_addr(char *out, size_t cap, uint8_t *ton, uint8_t *npi, const char *addr);

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
      pp_smpp_pdu_t *pdu = e->pdu;
      pp_smpp_pdu_init(pdu, PP_SMPP_QUERY_SM, 0);
      __typeof__(pdu->body.query_sm) *q = &pdu->body.query_sm;
      snprintf(q->message_id, sizeof q->message_id, "%s", rows[i].smsc_id);
      fill_addr(q->source_addr, sizeof q->source_addr, &q->source_addr_ton, &q->source_addr_npi,
                rows[i].from);
      char *id = strdup(rows[i].smsc_id);
      unsigned k = atomic_fetch_add(&c->rr, 1) % (unsigned)c->nsess;
      pp_err_t err =
          id ? pp_smpp_session_submit(c->sess[k], pdu, (uint64_t)(uintptr_t)id) : PP_ERR_NOMEM;
      if (err) free(id);
      if (err == PP_ERR_AGAIN || err == PP_ERR_NOMEM) break; /* this one again later */
    }
    cursor = rows[i].id;
  }
  bool done = n < BATCH && (n == 0 || cursor == rows[n - 1].id);
  pp_arena_cleanup(&a);
  return done ? -1 : cursor;
}

/* Stores an inbound message, or (udh->concat) one part of it, which the
 * store keeps until the set is complete.  Takes `text` (malloc'd). */
static uint32_t store_inbound(carrier_t *c, const char *from, const char *to, char *text,
                              const pp_smpp_udh_t *udh, const pp_smpp_deliver_ctx_t *ctx) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_number_t num;
  pp_err_t e = pp_store_number_find(c->eng->o.store, &a, to, &num);
  pp_arena_cleanup(&a);
  if (e) {
    free(text);
    if (e == PP_ERR_NOT_FOUND) {
      pp_log_warn("engine", "carrier %s: inbound message to %s, which no account owns",
                  c->cfg.name, to);
      return PP_ESME_ROK;
    }
    return PP_ESME_RSYSERR;
  }
  dwrite_t *d = calloc(1, sizeof *d);
  if (!d) {
    free(text);
    return PP_ESME_RSYSERR;
  }
  d->eng = c->eng;
  d->car = c;
  d->text = text;
  snprintf(d->carrier, sizeof d->carrier, "%s", c->cfg.name);
  snprintf(d->from, sizeof d->from, "%s", from);
  snprintf(d->to, sizeof d->to, "%s", to);
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
  if (udh->concat) {
    m->num_segments = (int)udh->total;
    d->w.kind = PP_W_MO_PART;
    d->w.u.mo_part = (pp_mo_part_t){.src = d->from, .dst = d->to, .ref = (int)udh->ref,
                                    .total = (int)udh->total, .part = (int)udh->seq,
                                    .text = d->text, .now = m->date_created, .message = m};
    return dwrite_commit(d, ctx);
  }
  pp_segments_t seg;
  pp_segments_count(d->text, strlen(d->text), &seg);
  m->num_segments = (int)seg.segments;
  d->w.kind = PP_W_MESSAGE_INSERT;
  d->w.u.message = m;
  return dwrite_commit(d, ctx);
}

static uint32_t on_deliver(void *arg, const pp_smpp_pdu_t *pdu, const pp_smpp_deliver_ctx_t *ctx) {
  carrier_t *c = arg;
  if (pdu->h.command_id != PP_SMPP_DELIVER_SM) return PP_ESME_ROK;
  const __typeof__(pdu->body.deliver_sm) *d = &pdu->body.deliver_sm;
  const uint8_t *sm = d->short_message;
  size_t len = d->sm_length;
  const uint8_t *payload;
  size_t plen;
  if (len == 0 && pp_smpp_get_message_payload(pdu, &payload, &plen) == PP_OK) {
    sm = payload;
    len = plen;
  }
  if (d->esm_class & 0x04) return handle_receipt(c, pdu, sm, len, ctx);

  pp_smpp_udh_t udh = {0};
  if ((d->esm_class & PP_SMPP_ESM_UDHI) && pp_smpp_udh_parse(sm, len, &udh) != PP_OK)
    return PP_ESME_ROK; /* malformed UDH: acknowledged and dropped */
  char from[32], to[32];
  e164_of(d->source_addr, d->source_addr_ton, from, sizeof from);
  e164_of(d->destination_addr, d->dest_addr_ton, to, sizeof to);
  const uint8_t *ud = sm + udh.udh_len;
  size_t ud_len = len - udh.udh_len;
  uint8_t *septets = NULL;
  if (gsm7_packed(&c->cfg) && d->data_coding == PP_SMPP_DC_DEFAULT) {
    size_t scap = ud_len * 8 / 7 + 1;
    if (!(septets = malloc(scap))) return PP_ESME_RSYSERR;
    if (pp_smpp_ud_unpack(sm, len, udh.udh_len, septets, scap, &ud_len) != PP_OK) {
      free(septets);
      return PP_ESME_ROK; /* cannot happen: the UDH was parsed within len */
    }
    ud = septets;
  }
  size_t cap = 3 * ud_len + 4, tlen = 0;
  char *text = malloc(cap);
  pp_err_t dec = text ? pp_smpp_text_to_utf8(d->data_coding, ud, ud_len, text, cap, &tlen)
                      : PP_ERR_NOMEM;
  free(septets);
  if (dec != PP_OK) {
    free(text);
    return dec == PP_ERR_NOMEM ? PP_ESME_RSYSERR : PP_ESME_ROK; /* a coding we cannot read */
  }
  uint16_t sar_ref;
  uint8_t sar_total, sar_seq;
  if (!udh.concat && pp_smpp_get_sar_msg_ref_num(pdu, &sar_ref) == PP_OK &&
      pp_smpp_get_sar_total_segments(pdu, &sar_total) == PP_OK &&
      pp_smpp_get_sar_segment_seqnum(pdu, &sar_seq) == PP_OK) {
    udh.concat = true; /* the same reassembly, from the sar_* TLVs */
    udh.ref = sar_ref;
    udh.total = sar_total;
    udh.seq = sar_seq;
  }
  if (udh.concat && (udh.total < 2 || udh.total > MO_PARTS_MAX || udh.seq < 1 ||
                     udh.seq > udh.total))
    udh.concat = false; /* not a usable part: taken as a message of its own */
  return store_inbound(c, from, to, text, &udh, ctx);
}

/* ---- carriers and routes ------------------------------------------------- */

/* Each session's stop also waits until its deferred deliver answers have
 * been given (their writes are done), so no done callback meets a freed
 * session; the callbacks never touch the carrier. */
static void carrier_stop(carrier_t *c) {
  pp_engine_t *e = c->eng;
  pthread_mutex_lock(&e->park_mu);
  c->stopping = true;
  pthread_mutex_unlock(&e->park_mu);
  requeue(e, unpark(e, c), true); /* its held receipts are answered: the stop waits for that */
  for (int i = 0; i < c->nsess; i++) pp_smpp_session_stop(c->sess[i]);
  free(c->sess);
  sodium_memzero(c->cfg.password, sizeof c->cfg.password);
  free(c);
}

static carrier_t *carrier_start(pp_engine_t *e, const pp_carrier_t *cfg) {
  carrier_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->eng = e;
  c->cfg = *cfg;
  int n = cfg->binds < 1 ? 1 : cfg->binds > 16 ? 16 : cfg->binds;
  c->sess = calloc((size_t)n, sizeof *c->sess);
  if (!c->sess) {
    free(c);
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    pp_smpp_session_opts_t so = {
        .name = cfg->name,
        .host = cfg->host,
        .port = (uint16_t)cfg->port,
        .bind_mode = strcmp(cfg->bind_mode, "tx+rx") == 0 ? PP_SMPP_BIND_TX_RX : PP_SMPP_BIND_TRX,
        .system_id = cfg->system_id,
        .password = cfg->password,
        .system_type = cfg->system_type,
        .window = cfg->window > 0 ? (unsigned)cfg->window : 50,
        .tps = cfg->mps > 0 ? (unsigned)(cfg->mps + n - 1) / (unsigned)n : 0,
        .enquire_link_ms = e->o.enquire_link_ms,
        .on_submit_resp = on_submit_resp,
        .on_query_resp = on_query_resp,
        .on_deliver = on_deliver,
        .on_state = on_state,
        .arg = c,
    };
    if (pp_smpp_session_start(&so, &c->sess[c->nsess]) == PP_OK) c->nsess++;
  }
  pp_log_info("engine", "carrier %s: %d bind(s) to %s:%d", cfg->name, c->nsess, cfg->host,
              cfg->port);
  return c;
}

static bool same_config(const pp_carrier_t *a, const pp_carrier_t *b) {
  return !strcmp(a->host, b->host) && a->port == b->port && !strcmp(a->system_id, b->system_id) &&
         !strcmp(a->password, b->password) && !strcmp(a->system_type, b->system_type) &&
         !strcmp(a->bind_mode, b->bind_mode) && a->window == b->window && a->mps == b->mps &&
         a->binds == b->binds && !strcmp(a->concat, b->concat) && a->payload == b->payload &&
         !strcmp(a->gsm7, b->gsm7);
}

static void refresh(pp_engine_t *e) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_carrier_t *cs;
  pp_route_rule_t *rs;
  size_t nc, nr;
  if (pp_store_carrier_all(e->o.store, &a, &cs, &nc) || pp_store_route_all(e->o.store, &a, &rs, &nr)) {
    pp_arena_cleanup(&a);
    return;
  }
  for (carrier_t *c = e->carriers; c; c = c->next) c->seen = false;
  for (size_t i = 0; i < nc; i++) {
    carrier_t **pc = &e->carriers;
    while (*pc && strcmp((*pc)->cfg.name, cs[i].name)) pc = &(*pc)->next;
    if (*pc && same_config(&(*pc)->cfg, &cs[i])) {
      (*pc)->seen = true;
      continue;
    }
    if (*pc) { /* changed: rebind with the new settings */
      carrier_t *old = *pc;
      *pc = old->next;
      carrier_stop(old);
    }
    carrier_t *c = carrier_start(e, &cs[i]);
    if (c) {
      c->seen = true;
      c->next = e->carriers;
      e->carriers = c;
    }
  }
  for (carrier_t **pc = &e->carriers; *pc;) {
    if ((*pc)->seen) {
      pc = &(*pc)->next;
      continue;
    }
    carrier_t *gone = *pc;
    *pc = gone->next;
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

/* The bound carrier for `to`, or NULL; *any_rule tells whether a rule
 * matched at all (a route whose carriers are all down waits). */
static carrier_t *route(pp_engine_t *e, const char *to, bool *any_rule) {
  *any_rule = false;
  for (size_t i = 0; i < e->nroutes; i++) {
    const pp_route_rule_t *r = &e->routes[i];
    if (strncmp(to, r->prefix, strlen(r->prefix)) != 0) continue;
    *any_rule = true;
    carrier_t *c = carrier_named(e, r->carrier);
    if (c && atomic_load(&c->bound) > 0) return c;
  }
  return NULL;
}

/* ---- dispatch ------------------------------------------------------------ */

static void write_sync_fail(pp_engine_t *e, int64_t seq, int code, const char *msg) {
  pp_write_t w = {.kind = PP_W_DELIVERY_FAIL};
  w.u.fail = (pp_fail_t){seq, pp_clock_now(), "failed", code, msg};
  pp_store_write(e->o.store, &w);
}

static void write_sync_retry(pp_engine_t *e, int64_t seq, int64_t at) {
  pp_write_t w = {.kind = PP_W_DELIVERY_RETRY};
  w.u.retry = (pp_retry_t){seq, at};
  pp_store_write(e->o.store, &w);
}

static void fill_addr(char *out, size_t cap, uint8_t *ton, uint8_t *npi, const char *addr) {
  if (addr[0] == '+') {
    snprintf(out, cap, "%s", addr + 1);
    *ton = 1;
    *npi = 1;
  } else {
    snprintf(out, cap, "%s", addr);
    *ton = 5; /* alphanumeric */
    *npi = 0;
  }
}

static void dispatch_body(pp_engine_t *e, const pp_outbound_t *o, const char *body,
                          int64_t now);

static void dispatch(pp_engine_t *e, const pp_outbound_t *o) {
  int64_t now = pp_clock_now();
  if (o->validity_period > 0 && now > o->date_created + o->validity_period) {
    write_sync_fail(e, o->seq, 30001, "The message expired before it could be sent");
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
      write_sync_fail(e, o->seq, 30008, "The verification message could not be opened");
      return;
    }
    body = (const char *)opened;
  }
  dispatch_body(e, o, body, now);
  pp_store_secret_free(opened);
}

/* Routes and submits outbound message `o` with the text `body`. */
static void dispatch_body(pp_engine_t *e, const pp_outbound_t *o, const char *body,
                          int64_t now) {
  bool any_rule;
  carrier_t *c = route(e, o->to, &any_rule);
  if (!c) {
    if (any_rule)
      write_sync_retry(e, o->seq, now + 2); /* its carriers are down: wait */
    else
      write_sync_fail(e, o->seq, 21612, "No route to the destination");
    return;
  }
  /* Per carrier: long messages as UDH or SAR parts, or whole in one
   * message_payload TLV. */
  pp_smpp_segment_opts_t so = {
      .concat = strcmp(c->cfg.concat, "sar") == 0 ? PP_SMPP_CONCAT_SAR : PP_SMPP_CONCAT_UDH,
      .ref = (uint16_t)(o->seq & (strcmp(c->cfg.concat, "sar") == 0 ? 0xffff : 0xff))};
  size_t nparts = 0, plen = 0;
  uint8_t dc = PP_SMPP_DC_DEFAULT;
  size_t blen = strlen(body);
  bool payload = c->cfg.payload != 0;
  pp_err_t enc =
      payload ? (pp_gsm7_representable(body, blen)
                     ? pp_gsm7_from_utf8(body, blen, e->payload, sizeof e->payload, &plen)
                     : (dc = PP_SMPP_DC_UCS2,
                        pp_ucs2_from_utf8(body, blen, e->payload, sizeof e->payload, &plen)))
              : pp_smpp_segment(body, blen, &so, e->parts, MAX_PARTS, &nparts);
  if (payload && enc == PP_OK) nparts = 1;
  /* Packed GSM-7 where the carrier wants it: each part's septets after its
   * UDH and fill bits, or the whole message_payload. */
  const uint8_t *pl = e->payload;
  if (enc == PP_OK && gsm7_packed(&c->cfg)) {
    if (payload && dc == PP_SMPP_DC_DEFAULT) {
      enc = pp_gsm7_pack(e->payload, plen, 0, e->packed, sizeof e->packed, &plen);
      pl = e->packed;
    }
    for (size_t i = 0; !payload && enc == PP_OK && i < nparts; i++)
      enc = pp_smpp_part_pack(&e->parts[i]);
  }
  if (enc != PP_OK || nparts == 0) {
    write_sync_fail(e, o->seq, 30008, "The message could not be encoded");
    return;
  }
  inflight_t *f = calloc(1, sizeof *f + nparts * sizeof f->parts[0]);
  if (!f) {
    write_sync_retry(e, o->seq, now + 1);
    return;
  }
  f->seq = o->seq;
  f->eng = e;
  f->nparts = (int)nparts;
  f->attempts = o->attempts;
  snprintf(f->carrier, sizeof f->carrier, "%s", c->cfg.name);
  for (size_t i = 0; i < nparts; i++) {
    f->parts[i].part = (int)i + 1;
    f->parts[i].parts = (int)nparts;
  }
  fly_put(e, f);
  for (size_t i = 0; i < nparts; i++) {
    pp_smpp_pdu_t *pdu = e->pdu;
    pp_smpp_pdu_init(pdu, PP_SMPP_SUBMIT_SM, 0);
    __typeof__(pdu->body.submit_sm) *s = &pdu->body.submit_sm;
    fill_addr(s->source_addr, sizeof s->source_addr, &s->source_addr_ton, &s->source_addr_npi,
              o->from);
    fill_addr(s->destination_addr, sizeof s->destination_addr, &s->dest_addr_ton,
              &s->dest_addr_npi, o->to);
    s->registered_delivery = 1;
    uint64_t tag = ((uint64_t)o->seq << 8) | i;
    pp_err_t err;
    if (payload) {
      s->data_coding = dc;
      s->sm_length = 0;
      err = pp_smpp_add_message_payload(pdu, pl, plen);
    } else {
      err = pp_smpp_part_apply(&e->parts[i], pdu);
    }
    if (!err) {
      unsigned k = atomic_fetch_add(&c->rr, 1) % (unsigned)c->nsess;
      err = pp_smpp_session_submit(c->sess[k], pdu, tag);
    }
    if (err) part_answered(e, tag, PP_SMPP_STATUS_NOT_SENT, NULL);
  }
}

static int capacity(pp_engine_t *e) {
  int cap = 0;
  for (carrier_t *c = e->carriers; c; c = c->next)
    if (atomic_load(&c->bound) > 0) cap += (c->cfg.window > 0 ? c->cfg.window : 50) * c->nsess * 4;
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
  e->pdu = malloc(sizeof *e->pdu);
  if (!e->pdu) {
    free(e);
    return PP_ERR_NOMEM;
  }
  pthread_mutex_init(&e->mu, NULL);
  pthread_cond_init(&e->cv, NULL);
  pthread_mutex_init(&e->fly_mu, NULL);
  pthread_mutex_init(&e->park_mu, NULL);
  e->park_tail = &e->park_head;
  if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
    free(e->pdu);
    free(e);
    return PP_ERR_INTERNAL;
  }
  *out = e;
  return PP_OK;
}

void pp_engine_stop(pp_engine_t *e) {
  if (!e) return;
  pthread_mutex_lock(&e->mu);
  e->stopping = true;
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
  pthread_join(e->thread, NULL);
  pthread_mutex_lock(&e->park_mu);
  e->park_closed = true;
  pthread_mutex_unlock(&e->park_mu);
  requeue(e, unpark(e, NULL), true);
  while (e->carriers) { /* stopping reports unanswered submits: they retry */
    carrier_t *c = e->carriers;
    e->carriers = c->next;
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
  free(e->pdu);
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->fly_mu);
  pthread_mutex_destroy(&e->park_mu);
  free(e);
}

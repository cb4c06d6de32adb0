/* session.c: the SMPP ESME session: bind, submit window, throttling,
 * enquire_link, deliver_sm answers, reconnects; one thread and one epoll
 * loop per session. */
#include "channel/smpp/session.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "channel/smpp/loop.h"
#include "channel/smpp/obuf.h"
#include "core/log.h"

#define MOD "smpp"

#define IN_CAP (2u * PP_SMPP_MAX_PDU_LEN) /* read buffer per connection */
#define OUT_SOFT (256u * 1024u)           /* stop adding submits above this */
#define OUT_HARD (16u * 1024u * 1024u)    /* give up on a peer that does not read */
#define POP_BATCH 64                      /* submits taken from the queue per lock */
#define SEQ_MASK 0x7FFFFFFFu

/* A submit: its encoded bytes (sequence_number patched when sent). */
typedef struct {
  uint64_t tag;
  uint8_t *pdu;
  uint32_t len;
  uint32_t throttles;
} item_t;

/* One place of the window.  A submit's sequence number carries its slot
 * index in the low bits, so a response finds its slot at once. */
typedef struct {
  item_t it;
  uint32_t seq;
  bool used;
  int64_t sent_ms;
} slot_t;

/* A deferred deliver answer, queued by pp_smpp_session_deliver_resp. */
typedef struct {
  uint32_t command_id, seq, gen, conn, status;
} answer_t;

/* Output bytes waiting for the socket: p[off .. len). */
typedef pp_smpp_obuf_t obuf_t;

enum { C_CLOSED, C_CONNECTING, C_BINDING, C_BOUND, C_UNBINDING };
enum { R_TX = 1, R_RX = 2 };

typedef struct {
  int fd;
  int state;
  unsigned role;     /* R_TX, R_RX or both */
  uint32_t gen;      /* this connection's number (0 while closed) */
  int64_t since_ms;  /* entered C_CONNECTING / request sent for C_BINDING */
  uint32_t bind_seq; /* outstanding control requests (0: none) */
  uint32_t enq_seq, unbind_seq;
  int64_t enq_sent_ms;
  int64_t last_rx_ms;
  bool want_out;          /* EPOLLOUT is registered */
  bool close_after_flush; /* unbind answered or fatal framing error */
  bool rx_dead;           /* input can no longer be framed; ignore it */
  bool draining;          /* a write failed: reading what the peer sent first */
  uint8_t *in;
  size_t in_len;
  obuf_t out;
} conn_t;

/* Counters, written by the session thread, read by anyone. */
/* clang-format off */
#define STATS_FIELDS(X)                                                              \
  X(connects) X(binds) X(bind_failures) X(disconnects) X(submits_sent) X(submits_ok) \
  X(submits_failed) X(throttled) X(timeouts) X(no_answer) X(not_sent)                \
  X(enquire_sent) X(enquire_answered) X(enquire_received) X(delivers)                \
  X(delivers_deferred) X(deferred_dropped) X(nacks_sent)                             \
  X(reconnect_ceiling_ms) X(throttle_pause_ms) X(bound)
/* clang-format on */

typedef struct {
#define STATS_DECL_(f) _Atomic uint64_t f;
  STATS_FIELDS(STATS_DECL_)
#undef STATS_DECL_
} astats_t;

#define STAT_ADD(s, f, n) atomic_fetch_add_explicit(&(s)->st.f, (uint64_t)(n), memory_order_relaxed)
#define STAT_SET(s, f, v) atomic_store_explicit(&(s)->st.f, (uint64_t)(v), memory_order_relaxed)

struct pp_smpp_session {
  /* Configuration (copied strings). */
  pp_smpp_session_opts_t o;
  char name[32], host[256], system_id[16], password[9], system_type[13], address_range[41];

  /* Shared with submitters, under mu. */
  pthread_mutex_t mu;
  item_t *q;
  size_t q_cap, q_head, q_len;
  bool closed;       /* stop has begun: no more submits */
  bool wake_pending; /* the eventfd has been written since the thread last looked */
  answer_t *ans;     /* deferred answers given, not yet written */
  size_t ans_len, ans_cap;
  unsigned deferred;     /* DEFER returned (or about to be), answer not yet given */
  pthread_cond_t ans_cv; /* signalled when `deferred` drops to 0 */
  _Atomic bool stop_req;
  int efd;

  pthread_t thread;
  astats_t st;

  /* Session thread only. */
  int ep;
  conn_t conn[2];
  int n_conn;
  slot_t *win;
  uint32_t win_n, slot_bits, ctl_slot;
  uint32_t *free_slots, n_free;
  int64_t win_deadline; /* no submit times out before this */
  item_t *retry;        /* throttled submits to resend first: a ring of win_n */
  size_t retry_head, retry_len;
  uint32_t gen;
  uint32_t conn_gen;   /* the last connection number handed out */
  answer_t *ans_spare; /* swapped with ans to write answers outside mu */
  size_t ans_spare_cap;
  bool bound, stopping, unbind_sent;
  int64_t stop_drain_until, stop_deadline;
  int64_t reconnect_at;
  unsigned attempt;
  int64_t pause_until;
  unsigned throttle_ms;
  double tokens;
  int64_t tok_ms;
  int64_t wait_until; /* set by pump: when sending may resume (0: not waiting on time) */
  uint64_t rng;
  pp_smpp_pdu_t *rx, *tx;
};

/* ---- Small helpers ----------------------------------------------------- */

static uint64_t rng_next(uint64_t *x) { /* xorshift64* */
  *x ^= *x >> 12;
  *x ^= *x << 25;
  *x ^= *x >> 27;
  return *x * 0x2545F4914F6CDD1DULL;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *pp_smpp_session_status_name(uint32_t status) {
  switch (status) {
    case PP_SMPP_STATUS_NO_ANSWER:
      return "NO_ANSWER";
    case PP_SMPP_STATUS_TIMEOUT:
      return "TIMEOUT";
    case PP_SMPP_STATUS_NOT_SENT:
      return "NOT_SENT";
    case PP_SMPP_STATUS_BAD_RESP:
      return "BAD_RESP";
    case PP_SMPP_STATUS_CONNECT_FAILED:
      return "CONNECT_FAILED";
    case PP_SMPP_DELIVER_DEFER:
      return "DELIVER_DEFER";
    default:
      return pp_smpp_status_name(status);
  }
}

/* Makes room for `n` more octets; false when out of memory or over the cap. */
static bool obuf_reserve(obuf_t *b, size_t n) {
  return pp_smpp_obuf_reserve(b, n, 16384, OUT_HARD);
}

static size_t obuf_pending(const obuf_t *b) {
  return pp_smpp_obuf_pending(b);
}

/* ---- Shared queue ------------------------------------------------------ */

pp_err_t pp_smpp_session_submit(pp_smpp_session_t *s, const pp_smpp_pdu_t *submit_sm,
                                uint64_t tag) {
  if (!s || !submit_sm ||
      !(submit_sm->h.command_id == PP_SMPP_SUBMIT_SM ||
        (submit_sm->h.command_id == PP_SMPP_QUERY_SM && s->o.on_query_resp)))
    return PP_ERR_INVALID_PARAM;
  size_t len = 0;
  pp_err_t e = pp_smpp_pdu_encoded_len(submit_sm, &len);
  if (e != PP_OK) return e;
  uint8_t *bytes = malloc(len);
  if (!bytes) return PP_ERR_NOMEM;
  size_t got = 0;
  e = pp_smpp_pdu_encode(submit_sm, bytes, len, &got);
  if (e != PP_OK) {
    free(bytes);
    return e;
  }
  put32(bytes + 8, 0); /* command_status: a request carries none */
  pthread_mutex_lock(&s->mu);
  if (s->closed || s->q_len == s->q_cap) {
    e = s->closed ? PP_ERR_CLOSED : PP_ERR_AGAIN;
    pthread_mutex_unlock(&s->mu);
    free(bytes);
    return e;
  }
  item_t *it = &s->q[(s->q_head + s->q_len) % s->q_cap];
  *it = (item_t){.tag = tag, .pdu = bytes, .len = (uint32_t)got, .throttles = 0};
  s->q_len++;
  bool wake = !s->wake_pending;
  s->wake_pending = true;
  pthread_mutex_unlock(&s->mu);
  if (wake) {
    pp_smpp_wake(s->efd);
  }
  return PP_OK;
}

/* Takes up to `max` queued submits (oldest first). */
static size_t queue_pop(pp_smpp_session_t *s, item_t *out, size_t max) {
  pthread_mutex_lock(&s->mu);
  size_t n = s->q_len < max ? s->q_len : max;
  for (size_t i = 0; i < n; i++) {
    out[i] = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
  }
  s->q_len -= n;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* ---- Reporting ---------------------------------------------------------- */

/* Reports the outcome of one submit (or query_sm: `state` is the
 * message_state of its answer) and frees its bytes. */
static void report(pp_smpp_session_t *s, item_t *it, uint32_t status, const char *message_id,
                   uint8_t state) {
  bool query = get32(it->pdu + 4) == PP_SMPP_QUERY_SM;
  switch (status) {
    case PP_ESME_ROK:
      STAT_ADD(s, submits_ok, 1);
      break;
    case PP_SMPP_STATUS_NO_ANSWER:
      STAT_ADD(s, no_answer, 1);
      break;
    case PP_SMPP_STATUS_TIMEOUT:
      STAT_ADD(s, timeouts, 1);
      break;
    case PP_SMPP_STATUS_NOT_SENT:
      STAT_ADD(s, not_sent, 1);
      break;
    default:
      STAT_ADD(s, submits_failed, 1);
      break;
  }
  free(it->pdu);
  it->pdu = NULL;
  if (query)
    s->o.on_query_resp(s->o.arg, it->tag, status, state);
  else
    s->o.on_submit_resp(s->o.arg, it->tag, status, message_id ? message_id : "");
}

static void retry_push_back(pp_smpp_session_t *s, item_t it) {
  s->retry[(s->retry_head + s->retry_len) % s->win_n] = it;
  s->retry_len++;
}

static void retry_push_front(pp_smpp_session_t *s, item_t it) {
  s->retry_head = (s->retry_head + s->win_n - 1) % s->win_n;
  s->retry[s->retry_head] = it;
  s->retry_len++;
}

static item_t retry_pop(pp_smpp_session_t *s) {
  item_t it = s->retry[s->retry_head];
  s->retry_head = (s->retry_head + 1) % s->win_n;
  s->retry_len--;
  return it;
}

static void slot_release(pp_smpp_session_t *s, uint32_t i) {
  s->win[i].used = false;
  s->win[i].it.pdu = NULL;
  s->free_slots[s->n_free++] = i;
}

/* Reports every outstanding submit with `status`. */
static void window_fail_all(pp_smpp_session_t *s, uint32_t status) {
  for (uint32_t i = 0; i < s->win_n; i++) {
    if (!s->win[i].used) continue;
    item_t it = s->win[i].it;
    slot_release(s, i);
    report(s, &it, status, "", 0);
  }
  s->win_deadline = INT64_MAX;
}

/* A fresh sequence number whose low bits are `slot`. */
static uint32_t next_seq(pp_smpp_session_t *s, uint32_t slot) {
  for (;;) {
    uint32_t seq = ((s->gen++ << s->slot_bits) | slot) & SEQ_MASK;
    if (seq) return seq;
  }
}

/* ---- Connections ------------------------------------------------------- */

static void conn_close(pp_smpp_session_t *s, conn_t *c) {
  (void)s;
  if (c->fd >= 0) close(c->fd); /* also leaves the epoll set */
  c->fd = -1;
  c->gen = 0; /* deferred answers for it are dropped from now on */
  c->state = C_CLOSED;
  c->bind_seq = c->enq_seq = c->unbind_seq = 0;
  c->want_out = c->close_after_flush = c->rx_dead = c->draining = false;
  c->in_len = 0;
  c->out.off = c->out.len = 0;
}

static void set_bound(pp_smpp_session_t *s, bool bound) {
  if (s->bound == bound) return;
  s->bound = bound;
  STAT_SET(s, bound, bound ? 1 : 0);
  if (s->o.on_state) s->o.on_state(s->o.arg, bound);
}

/* Closes every connection of the session, reports the outstanding submits
 * as not answered and, unless stopping, schedules the reconnect. */
static void session_drop(pp_smpp_session_t *s, const char *why) {
  bool any = false;
  for (int i = 0; i < s->n_conn; i++) {
    if (s->conn[i].state != C_CLOSED) any = true;
    conn_close(s, &s->conn[i]);
  }
  if (any) STAT_ADD(s, disconnects, 1);
  if (any && !s->stopping) pp_log_info(MOD, "%s: disconnected: %s", s->name, why);
  window_fail_all(s, PP_SMPP_STATUS_NO_ANSWER);
  set_bound(s, false);
  if (s->stopping) return;
  /* Exponential backoff with full jitter: a delay drawn from [0, ceiling]. */
  unsigned shift = s->attempt < 20 ? s->attempt : 20;
  uint64_t ceiling = (uint64_t)s->o.reconnect_min_ms << shift;
  if (ceiling > s->o.reconnect_max_ms) ceiling = s->o.reconnect_max_ms;
  uint64_t delay = rng_next(&s->rng) % (ceiling + 1);
  if (s->attempt < 64) s->attempt++;
  s->reconnect_at = pp_smpp_now_ms() + (int64_t)delay;
  STAT_SET(s, reconnect_ceiling_ms, ceiling);
  pp_log_info(MOD, "%s: reconnecting in %llu ms", s->name, (unsigned long long)delay);
}

static void bind_failed(pp_smpp_session_t *s, uint32_t status, const char *why) {
  STAT_ADD(s, bind_failures, 1);
  pp_log_warn(MOD, "%s: bind failed: %s (%s)", s->name, pp_smpp_session_status_name(status), why);
  if (s->o.on_bind_error) s->o.on_bind_error(s->o.arg, status);
  session_drop(s, why);
}

static void conn_want_out(pp_smpp_session_t *s, conn_t *c, bool want) {
  if (c->want_out == want || c->fd < 0) return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0u),
                           .data.u32 = (uint32_t)(c - s->conn)};
  if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->want_out = want;
}

/* Encodes `pdu` onto the connection's output.  False when out of memory or
 * the peer has not read for too long. */
static bool conn_send(pp_smpp_session_t *s, conn_t *c, const pp_smpp_pdu_t *pdu) {
  (void)s;
  return pp_smpp_obuf_put_pdu(&c->out, pdu, 16384, OUT_HARD) == PP_OK;
}

static int conn_read(pp_smpp_session_t *s, conn_t *c, int64_t now);

/* Writes what the socket takes.  Returns -1 when the session was dropped. */
static int conn_flush(pp_smpp_session_t *s, conn_t *c) {
  int r = pp_smpp_obuf_send(&c->out, c->fd);
  if (r == 0) {
    conn_want_out(s, c, true);
    return 0;
  }
  if (r < 0) {
    int err = errno;
    /* The peer is gone, but what it sent before it went (submit_sm_resp
     * among it) may still wait in the socket after a reset: read it first,
     * or accepted submits would be reported unanswered and sent twice. */
    if (!c->draining && c->fd >= 0) {
      c->draining = true;
      c->out.off = c->out.len = 0;                          /* nothing more can be written */
      if (conn_read(s, c, pp_smpp_now_ms()) < 0) return -1; /* it dropped the session */
    }
    session_drop(s, strerror(err));
    return -1;
  }
  conn_want_out(s, c, false);
  if (c->close_after_flush) {
    session_drop(s, "closed after the last answer");
    return -1;
  }
  return 0;
}

static void send_bind(pp_smpp_session_t *s, conn_t *c, int64_t now) {
  uint32_t id = c->role == (R_TX | R_RX) ? PP_SMPP_BIND_TRANSCEIVER
                : c->role == R_TX        ? PP_SMPP_BIND_TRANSMITTER
                                         : PP_SMPP_BIND_RECEIVER;
  pp_smpp_pdu_t *p = s->tx;
  c->bind_seq = next_seq(s, s->ctl_slot);
  pp_smpp_pdu_init(p, id, c->bind_seq);
#define FILL_BIND_(m)                                                           \
  do {                                                                          \
    memcpy(p->body.m.system_id, s->system_id, sizeof s->system_id);             \
    memcpy(p->body.m.password, s->password, sizeof s->password);                \
    memcpy(p->body.m.system_type, s->system_type, sizeof s->system_type);       \
    memcpy(p->body.m.address_range, s->address_range, sizeof s->address_range); \
    p->body.m.interface_version = s->o.interface_version;                       \
    p->body.m.addr_ton = s->o.addr_ton;                                         \
    p->body.m.addr_npi = s->o.addr_npi;                                         \
  } while (0)
  if (id == PP_SMPP_BIND_TRANSCEIVER)
    FILL_BIND_(bind_transceiver);
  else if (id == PP_SMPP_BIND_TRANSMITTER)
    FILL_BIND_(bind_transmitter);
  else
    FILL_BIND_(bind_receiver);
#undef FILL_BIND_
  c->state = C_BINDING;
  c->since_ms = now;
  if (!conn_send(s, c, p)) c->close_after_flush = true;
}

/* Starts the TCP connections.  Returns -1 when the session was dropped. */
static int session_connect(pp_smpp_session_t *s, int64_t now) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)s->o.port);
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(s->host, port, &hints, &ai);
  if (gai != 0 || !ai) {
    if (ai) freeaddrinfo(ai);
    STAT_ADD(s, bind_failures, 1);
    pp_log_warn(MOD, "%s: cannot resolve %s: %s", s->name, s->host, gai_strerror(gai));
    if (s->o.on_bind_error) s->o.on_bind_error(s->o.arg, PP_SMPP_STATUS_CONNECT_FAILED);
    session_drop(s, "address lookup failed");
    return -1;
  }
  for (int i = 0; i < s->n_conn; i++) {
    conn_t *c = &s->conn[i];
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (c->fd >= 0) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = c->fd < 0 ? -1 : connect(c->fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && (c->fd < 0 || errno != EINPROGRESS)) {
      int err = errno;
      freeaddrinfo(ai);
      STAT_ADD(s, bind_failures, 1);
      pp_log_warn(MOD, "%s: connect to %s:%u: %s", s->name, s->host, (unsigned)s->o.port,
                  strerror(err));
      if (s->o.on_bind_error) s->o.on_bind_error(s->o.arg, PP_SMPP_STATUS_CONNECT_FAILED);
      session_drop(s, strerror(err));
      return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->want_out = true;
    if (++s->conn_gen == 0) s->conn_gen = 1;
    c->gen = s->conn_gen;
    c->state = C_CONNECTING;
    c->since_ms = now;
    c->last_rx_ms = now;
  }
  freeaddrinfo(ai);
  return 0;
}

/* ---- Sending submits ---------------------------------------------------- */

static conn_t *tx_conn(pp_smpp_session_t *s) {
  return &s->conn[0];
}

static void throttle_hit(pp_smpp_session_t *s, int64_t now) {
  if (now < s->pause_until) return; /* the same episode */
  unsigned b = s->throttle_ms ? s->throttle_ms * 2 : s->o.throttle_min_ms;
  if (b > s->o.throttle_max_ms) b = s->o.throttle_max_ms;
  s->throttle_ms = b;
  s->pause_until = now + b;
  STAT_SET(s, throttle_pause_ms, b);
  pp_log_info(MOD, "%s: throttled by the SMSC: pausing %u ms", s->name, b);
}

static void throttle_ok(pp_smpp_session_t *s, int64_t now) {
  if (!s->throttle_ms || now < s->pause_until) return;
  s->throttle_ms /= 2;
  if (s->throttle_ms < s->o.throttle_min_ms) s->throttle_ms = 0;
  STAT_SET(s, throttle_pause_ms, s->throttle_ms);
}

/* Puts one submit on the wire.  False when out of memory (the item stays
 * with the caller). */
static bool send_submit(pp_smpp_session_t *s, conn_t *c, item_t *it, int64_t now) {
  if (!obuf_reserve(&c->out, it->len)) return false;
  uint32_t slot = s->free_slots[--s->n_free];
  uint32_t seq = next_seq(s, slot);
  put32(it->pdu + 12, seq);
  memcpy(c->out.p + c->out.len, it->pdu, it->len);
  c->out.len += it->len;
  s->win[slot] = (slot_t){.it = *it, .seq = seq, .used = true, .sent_ms = now};
  if (s->win_deadline == INT64_MAX) s->win_deadline = now + s->o.resp_timeout_ms;
  if (s->o.tps) s->tokens -= 1.0;
  STAT_ADD(s, submits_sent, 1);
  return true;
}

/* Sends as many submits as the window, the pause, the token bucket and the
 * output buffer allow.  Sets s->wait_until when only time holds it back. */
static void pump(pp_smpp_session_t *s, int64_t now) {
  s->wait_until = 0;
  if (!s->bound || s->stopping) return;
  conn_t *c = tx_conn(s);
  while (s->n_free > 0) {
    if (now < s->pause_until) {
      s->wait_until = s->pause_until;
      return;
    }
    if (obuf_pending(&c->out) > OUT_SOFT) return; /* EPOLLOUT resumes */
    size_t allow = s->n_free;
    if (s->o.tps) {
      double add = (double)(now - s->tok_ms) * s->o.tps / 1000.0;
      s->tok_ms = now;
      s->tokens += add;
      if (s->tokens > s->o.tps_burst) s->tokens = s->o.tps_burst;
      if (s->tokens < 1.0) {
        s->wait_until = now + 1 + (int64_t)((1.0 - s->tokens) * 1000.0 / s->o.tps);
        return;
      }
      if ((double)allow > s->tokens) allow = (size_t)s->tokens;
    }
    if (s->retry_len) {
      item_t it = retry_pop(s);
      if (!send_submit(s, c, &it, now)) {
        retry_push_front(s, it);
        s->wait_until = now + 100;
        return;
      }
      continue;
    }
    item_t batch[POP_BATCH];
    size_t n = queue_pop(s, batch, allow < POP_BATCH ? allow : POP_BATCH);
    if (n == 0) return;
    for (size_t i = 0; i < n; i++) {
      if (!send_submit(s, c, &batch[i], now)) {
        /* Out of memory: keep the rest, in order, for the next round. */
        for (size_t j = n; j > i; j--) retry_push_front(s, batch[j - 1]);
        s->wait_until = now + 100;
        return;
      }
    }
  }
}

/* ---- Deferred deliver answers --------------------------------------------- */

/* Takes one place for a deferred answer before on_deliver runs (it may be
 * answered before the callback returns).  False when deliver_defer_max are
 * outstanding. */
static bool defer_reserve(pp_smpp_session_t *s) {
  pthread_mutex_lock(&s->mu);
  bool ok = s->deferred < s->o.deliver_defer_max;
  if (ok) s->deferred++;
  pthread_mutex_unlock(&s->mu);
  return ok;
}

/* Gives back a place for a deferred answer (mu held). */
static void defer_release_locked(pp_smpp_session_t *s) {
  if (--s->deferred == 0) pthread_cond_broadcast(&s->ans_cv);
}

/* Gives back a place on_deliver did not use. */
static void defer_release(pp_smpp_session_t *s) {
  pthread_mutex_lock(&s->mu);
  defer_release_locked(s);
  pthread_mutex_unlock(&s->mu);
}

void pp_smpp_session_deliver_resp(const pp_smpp_deliver_ctx_t *ctx, uint32_t command_status) {
  if (!ctx || !ctx->session) return;
  pp_smpp_session_t *s = ctx->session;
  /* Everything under mu, the eventfd write and the signal included: once
   * `deferred` is 0 and mu released, a stop may free the session. */
  pthread_mutex_lock(&s->mu);
  if (s->deferred == 0) { /* answered twice, or never deferred */
    pp_log_error(MOD, "%s: a deliver answer that nobody owed (ignored)", s->name);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  bool queued = false;
  if (s->ans_len == s->ans_cap) {
    size_t cap = s->ans_cap ? s->ans_cap * 2 : 64;
    answer_t *a = realloc(s->ans, cap * sizeof *a);
    if (a) {
      s->ans = a;
      s->ans_cap = cap;
    }
  }
  if (s->ans_len < s->ans_cap) {
    s->ans[s->ans_len++] = (answer_t){.command_id = ctx->command_id,
                                      .seq = ctx->sequence_number,
                                      .gen = ctx->conn_gen,
                                      .conn = ctx->conn,
                                      .status = command_status};
    queued = true;
  } else {
    STAT_ADD(s, deferred_dropped, 1); /* out of memory: as if the connection were gone */
  }
  if (queued && !s->wake_pending) {
    s->wake_pending = true;
    pp_smpp_wake(s->efd);
  }
  defer_release_locked(s);
  pthread_mutex_unlock(&s->mu);
}

/* Writes the deferred answers given since the last turn, each on its
 * connection if that is still the one the request came on. */
static void answers_send(pp_smpp_session_t *s) {
  pthread_mutex_lock(&s->mu);
  if (s->ans_len == 0) {
    pthread_mutex_unlock(&s->mu);
    return;
  }
  answer_t *a = s->ans;
  size_t n = s->ans_len, cap = s->ans_cap;
  s->ans = s->ans_spare;
  s->ans_cap = s->ans_spare_cap;
  s->ans_len = 0;
  pthread_mutex_unlock(&s->mu);
  unsigned dropped = 0;
  for (size_t i = 0; i < n; i++) {
    conn_t *c = a[i].conn < (uint32_t)s->n_conn ? &s->conn[a[i].conn] : NULL;
    if (!c || c->fd < 0 || c->gen != a[i].gen || c->rx_dead) {
      dropped++;
      continue;
    }
    pp_smpp_pdu_init(s->tx, a[i].command_id | PP_SMPP_RESP_BIT, a[i].seq);
    s->tx->h.command_status = a[i].status;
    if (!conn_send(s, c, s->tx)) c->close_after_flush = true;
  }
  if (dropped) {
    STAT_ADD(s, deferred_dropped, dropped);
    pp_log_info(MOD, "%s: %u deferred deliver answer(s) dropped: their connection closed", s->name,
                dropped);
  }
  s->ans_spare = a;
  s->ans_spare_cap = cap;
}

/* Deferred answers outstanding or not yet written. */
static bool answers_pending(pp_smpp_session_t *s) {
  pthread_mutex_lock(&s->mu);
  bool any = s->deferred > 0 || s->ans_len > 0;
  pthread_mutex_unlock(&s->mu);
  return any;
}

/* ---- Receiving ---------------------------------------------------------- */

static void send_nack(pp_smpp_session_t *s, conn_t *c, uint32_t status, uint32_t seq) {
  pp_smpp_pdu_init(s->tx, PP_SMPP_GENERIC_NACK, seq);
  s->tx->h.command_status = status;
  STAT_ADD(s, nacks_sent, 1);
  if (!conn_send(s, c, s->tx)) c->close_after_flush = true;
}

static void send_resp(pp_smpp_session_t *s, conn_t *c, const pp_smpp_pdu_t *req, uint32_t status) {
  pp_smpp_pdu_init_resp(s->tx, req, status);
  if (!conn_send(s, c, s->tx)) c->close_after_flush = true;
}

static bool all_bound(pp_smpp_session_t *s) {
  for (int i = 0; i < s->n_conn; i++)
    if (s->conn[i].state != C_BOUND) return false;
  return true;
}

static void handle_submit_resp(pp_smpp_session_t *s, uint32_t slot, const pp_smpp_pdu_t *p,
                               bool malformed, int64_t now) {
  item_t it = s->win[slot].it;
  slot_release(s, slot);
  uint32_t st = p->h.command_status;
  if (st == PP_ESME_RTHROTTLED || st == PP_ESME_RMSGQFUL) {
    STAT_ADD(s, throttled, 1);
    throttle_hit(s, now);
    it.throttles++;
    if (s->o.throttle_retries_max && it.throttles > s->o.throttle_retries_max)
      report(s, &it, st, "", 0);
    else
      retry_push_back(s, it);
    return;
  }
  const char *mid = "";
  uint8_t state = 0;
  if (st == PP_ESME_ROK) {
    throttle_ok(s, now);
    uint32_t want = get32(it.pdu + 4) | 0x80000000u; /* the request's response */
    if (malformed || p->h.command_id != want)
      st = PP_SMPP_STATUS_BAD_RESP;
    else if (want == PP_SMPP_SUBMIT_SM_RESP)
      mid = p->body.submit_sm_resp.message_id;
    else
      state = p->body.query_sm_resp.message_state;
  }
  report(s, &it, st, mid, state);
}

/* A response (or generic_nack).  Returns -1 when the session was dropped. */
static int handle_resp(pp_smpp_session_t *s, conn_t *c, const pp_smpp_pdu_t *p, bool malformed,
                       int64_t now) {
  uint32_t seq = p->h.sequence_number, st = p->h.command_status;
  uint32_t slot = seq & ((1u << s->slot_bits) - 1);
  if ((c->role & R_TX) && slot < s->win_n && s->win[slot].used && s->win[slot].seq == seq) {
    handle_submit_resp(s, slot, p, malformed, now);
    return 0;
  }
  if (seq && seq == c->bind_seq) {
    c->bind_seq = 0;
    if (st != PP_ESME_ROK) {
      bind_failed(s, st, pp_smpp_status_text(st));
      return -1;
    }
    c->state = C_BOUND;
    if (all_bound(s)) {
      s->attempt = 0;
      STAT_ADD(s, binds, 1);
      pp_log_info(MOD, "%s: bound to %s:%u as %s (%s)", s->name, s->host, (unsigned)s->o.port,
                  s->system_id, s->n_conn == 2 ? "transmitter + receiver" : "transceiver");
      set_bound(s, true);
    }
    return 0;
  }
  if (seq && seq == c->enq_seq) {
    c->enq_seq = 0;
    STAT_ADD(s, enquire_answered, 1);
    return 0;
  }
  if (seq && seq == c->unbind_seq) {
    c->unbind_seq = 0; /* stop_step sees every unbind answered */
    return 0;
  }
  /* A late answer to a timed-out request, or a stray one: ignore it. */
  return 0;
}

/* A PDU that did not decode.  Returns -1 when the session was dropped. */
static int handle_bad(pp_smpp_session_t *s, conn_t *c, pp_err_t e, const pp_smpp_diag_t *d,
                      int64_t now) {
  uint32_t seq = d->have_header ? d->header.sequence_number : 0;
  uint32_t cmd = d->have_header ? d->header.command_id : 0;
  pp_log_warn(MOD, "%s: bad PDU from the SMSC: %s", s->name, d->reason);
  if (e == PP_ERR_TOO_BIG) {
    send_nack(s, c, PP_ESME_RINVCMDLEN, seq);
    c->close_after_flush = true;
    c->rx_dead = true;
    return 0;
  }
  if (e == PP_ERR_INVALID_PARAM) {
    send_nack(s, c, PP_ESME_RINVCMDID, seq);
    return 0;
  }
  pp_smpp_pdu_init(s->rx, cmd, seq);
  s->rx->h = d->header;
  if (cmd & PP_SMPP_RESP_BIT) /* read what the header says; the body is lost */
    return handle_resp(s, c, s->rx, true, now);
  STAT_ADD(s, nacks_sent, 1);
  send_resp(s, c, s->rx, d->status);
  return 0;
}

/* One whole PDU.  Returns -1 when the session was dropped. */
static int handle_pdu(pp_smpp_session_t *s, conn_t *c, const uint8_t *buf, size_t len,
                      int64_t now) {
  pp_smpp_diag_t d;
  pp_err_t e = pp_smpp_pdu_decode_diag(buf, len, s->rx, &d);
  c->last_rx_ms = now;
  if (e != PP_OK) return handle_bad(s, c, e, &d, now);
  pp_smpp_pdu_t *p = s->rx;
  uint32_t id = p->h.command_id;
  if (id & PP_SMPP_RESP_BIT) return handle_resp(s, c, p, false, now);
  switch (id) {
    case PP_SMPP_ENQUIRE_LINK:
      STAT_ADD(s, enquire_received, 1);
      send_resp(s, c, p, PP_ESME_ROK);
      return 0;
    case PP_SMPP_DELIVER_SM:
    case PP_SMPP_DATA_SM: {
      if (c->state != C_BOUND || !(c->role & R_RX)) {
        send_resp(s, c, p, PP_ESME_RINVBNDSTS);
        return 0;
      }
      STAT_ADD(s, delivers, 1);
      if (!s->o.on_deliver) {
        send_resp(s, c, p, PP_ESME_RX_T_APPN);
        return 0;
      }
      pp_smpp_deliver_ctx_t ctx = {.session = s,
                                   .command_id = id,
                                   .sequence_number = p->h.sequence_number,
                                   .conn_gen = c->gen,
                                   .conn = (uint32_t)(c - s->conn)};
      bool may_defer = defer_reserve(s);
      uint32_t st = s->o.on_deliver(s->o.arg, p, may_defer ? &ctx : NULL);
      if (st == PP_SMPP_DELIVER_DEFER && may_defer) {
        STAT_ADD(s, delivers_deferred, 1);
        return 0; /* answered through pp_smpp_session_deliver_resp */
      }
      if (may_defer) defer_release(s);
      if (st == PP_SMPP_DELIVER_DEFER) {
        pp_log_warn(MOD, "%s: on_deliver deferred without a handle: answering ESME_RX_T_APPN",
                    s->name);
        st = PP_ESME_RX_T_APPN;
      }
      send_resp(s, c, p, st);
      return 0;
    }
    case PP_SMPP_UNBIND:
      pp_log_info(MOD, "%s: the SMSC unbound", s->name);
      send_resp(s, c, p, PP_ESME_ROK);
      c->close_after_flush = true;
      return 0;
    case PP_SMPP_OUTBIND:
    case PP_SMPP_ALERT_NOTIFICATION:
      return 0; /* no response is defined */
    default:
      STAT_ADD(s, nacks_sent, 1);
      send_resp(s, c, p, PP_ESME_RINVCMDID);
      return 0;
  }
}

/* Reads and handles what the socket has.  Returns -1 when dropped. */
static int conn_read(pp_smpp_session_t *s, conn_t *c, int64_t now) {
  for (int round = 0; round < 8; round++) {
    size_t space = IN_CAP - c->in_len;
    ssize_t n = recv(c->fd, c->in + c->in_len, space, 0);
    if (n == 0) {
      session_drop(s, "the SMSC closed the connection");
      return -1;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      session_drop(s, strerror(errno));
      return -1;
    }
    if (c->rx_dead) continue; /* discard until the close */
    c->in_len += (size_t)n;
    size_t pos = 0;
    for (;;) {
      size_t need = 0;
      pp_err_t e = pp_smpp_frame_len(c->in + pos, c->in_len - pos, &need);
      if (e == PP_ERR_AGAIN) break;
      if (e != PP_OK) {
        uint32_t seq = c->in_len - pos >= 16 ? get32(c->in + pos + 12) : 0;
        pp_log_warn(MOD, "%s: unframeable input from the SMSC (command_length %u)", s->name,
                    (unsigned)get32(c->in + pos));
        send_nack(s, c, PP_ESME_RINVCMDLEN, seq);
        c->close_after_flush = true;
        c->rx_dead = true;
        pos = c->in_len;
        break;
      }
      if (c->in_len - pos < need) break;
      if (handle_pdu(s, c, c->in + pos, need, now) < 0) return -1;
      pos += need;
    }
    if (pos) {
      memmove(c->in, c->in + pos, c->in_len - pos);
      c->in_len -= pos;
    }
    if ((size_t)n < space) return 0; /* drained */
  }
  return 0;
}

/* ---- Timers -------------------------------------------------------------- */

/* Connect, bind and enquire_link deadlines, submit timeouts.  Returns -1
 * when the session was dropped. */
static int run_timers(pp_smpp_session_t *s, int64_t now) {
  for (int i = 0; i < s->n_conn; i++) {
    conn_t *c = &s->conn[i];
    if (c->state == C_CONNECTING && now - c->since_ms >= s->o.connect_timeout_ms) {
      bind_failed(s, PP_SMPP_STATUS_CONNECT_FAILED, "connect timed out");
      return -1;
    }
    if (c->state == C_BINDING && now - c->since_ms >= s->o.resp_timeout_ms) {
      bind_failed(s, PP_SMPP_STATUS_TIMEOUT, "no bind_resp");
      return -1;
    }
    if (c->state != C_BOUND) continue;
    if (c->enq_seq && now - c->enq_sent_ms >= s->o.resp_timeout_ms) {
      pp_log_warn(MOD, "%s: enquire_link unanswered for %u ms", s->name, s->o.resp_timeout_ms);
      session_drop(s, "enquire_link unanswered");
      return -1;
    }
    if (!c->enq_seq && !s->stopping && now - c->last_rx_ms >= s->o.enquire_link_ms) {
      c->enq_seq = next_seq(s, s->ctl_slot);
      c->enq_sent_ms = now;
      pp_smpp_pdu_init(s->tx, PP_SMPP_ENQUIRE_LINK, c->enq_seq);
      if (!conn_send(s, c, s->tx)) c->close_after_flush = true;
      STAT_ADD(s, enquire_sent, 1);
    }
  }
  if (now >= s->win_deadline) {
    int64_t next = INT64_MAX;
    unsigned expired = 0;
    for (uint32_t i = 0; i < s->win_n; i++) {
      if (!s->win[i].used) continue;
      int64_t due = s->win[i].sent_ms + s->o.resp_timeout_ms;
      if (due <= now) {
        item_t it = s->win[i].it;
        slot_release(s, i);
        expired++;
        report(s, &it, PP_SMPP_STATUS_TIMEOUT, "", 0);
      } else if (due < next) {
        next = due;
      }
    }
    s->win_deadline = next;
    if (expired)
      pp_log_warn(MOD, "%s: %u submit_sm unanswered for %u ms", s->name, expired,
                  s->o.resp_timeout_ms);
  }
  return 0;
}

static int64_t next_deadline(pp_smpp_session_t *s) {
  int64_t t = INT64_MAX;
#define AT_(x)          \
  do {                  \
    int64_t v_ = (x);   \
    if (v_ < t) t = v_; \
  } while (0)
  bool connected = false;
  for (int i = 0; i < s->n_conn; i++) {
    conn_t *c = &s->conn[i];
    if (c->state != C_CLOSED) connected = true;
    if (c->state == C_CONNECTING) AT_(c->since_ms + s->o.connect_timeout_ms);
    if (c->state == C_BINDING) AT_(c->since_ms + s->o.resp_timeout_ms);
    if (c->state == C_BOUND)
      AT_(c->enq_seq ? c->enq_sent_ms + s->o.resp_timeout_ms
                     : c->last_rx_ms + s->o.enquire_link_ms);
  }
  if (!connected && !s->stopping) AT_(s->reconnect_at);
  AT_(s->win_deadline);
  if (s->wait_until) AT_(s->wait_until);
  if (s->stopping) AT_(s->unbind_sent ? s->stop_deadline : s->stop_drain_until);
#undef AT_
  return t;
}

/* ---- The loop ------------------------------------------------------------ */

static bool any_open(pp_smpp_session_t *s) {
  for (int i = 0; i < s->n_conn; i++)
    if (s->conn[i].state != C_CLOSED) return true;
  return false;
}

/* One step of a stop.  Returns true when the loop should end. */
static bool stop_step(pp_smpp_session_t *s, int64_t now) {
  if (!s->stopping) {
    s->stopping = true;
    s->stop_drain_until = now + s->o.stop_timeout_ms / 2;
    s->stop_deadline = now + s->o.stop_timeout_ms;
  }
  if (!s->bound) return true; /* connecting or binding: just close */
  if (!s->unbind_sent) {
    if ((s->n_free < s->win_n || answers_pending(s)) && now < s->stop_drain_until)
      return false; /* let answers come, and give the deferred ones */
    s->unbind_sent = true;
    for (int i = 0; i < s->n_conn; i++) {
      conn_t *c = &s->conn[i];
      if (c->state != C_BOUND) continue;
      c->unbind_seq = next_seq(s, s->ctl_slot);
      pp_smpp_pdu_init(s->tx, PP_SMPP_UNBIND, c->unbind_seq);
      if (conn_send(s, c, s->tx))
        c->state = C_UNBINDING;
      else
        c->unbind_seq = 0;
    }
  }
  for (int i = 0; i < s->n_conn; i++)
    if (s->conn[i].unbind_seq) return now >= s->stop_deadline;
  return true;
}

static void *session_main(void *arg) {
  pp_smpp_session_t *s = arg;
  struct epoll_event evs[8];
  s->reconnect_at = pp_smpp_now_ms();
  for (;;) {
    int64_t now = pp_smpp_now_ms();
    answers_send(s);
    if (atomic_load(&s->stop_req) && stop_step(s, now)) break;
    if (!s->stopping && !any_open(s) && now >= s->reconnect_at) {
      session_connect(s, now);
    }
    run_timers(s, now);
    pump(s, now);
    for (int i = 0; i < s->n_conn; i++) {
      conn_t *c = &s->conn[i];
      if (c->fd >= 0 && c->state != C_CONNECTING && (obuf_pending(&c->out) || c->close_after_flush))
        if (conn_flush(s, c) < 0) break;
    }
    int64_t t = next_deadline(s);
    now = pp_smpp_now_ms();
    int timeout = t == INT64_MAX ? -1 : t <= now ? 0 : (t - now > 60000 ? 60000 : (int)(t - now));
    int n = epoll_wait(s->ep, evs, 8, timeout);
    now = pp_smpp_now_ms();
    for (int k = 0; k < n; k++) {
      uint32_t who = evs[k].data.u32;
      if (who == 2) {
        uint64_t v;
        ssize_t r = read(s->efd, &v, sizeof v);
        (void)r;
        pthread_mutex_lock(&s->mu);
        s->wake_pending = false;
        pthread_mutex_unlock(&s->mu);
        continue;
      }
      conn_t *c = &s->conn[who];
      if (c->fd < 0) continue; /* closed earlier in this batch */
      if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err || (evs[k].events & (EPOLLERR | EPOLLHUP))) {
          bind_failed(s, PP_SMPP_STATUS_CONNECT_FAILED, strerror(err ? err : ECONNREFUSED));
          continue;
        }
        STAT_ADD(s, connects, 1);
        send_bind(s, c, now);
        conn_flush(s, c);
        continue;
      }
      if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        if (conn_read(s, c, now) < 0) continue;
      if (c->fd >= 0 && (evs[k].events & EPOLLOUT)) conn_flush(s, c);
    }
  }
  /* Closing: everything still held is reported. */
  session_drop(s, "stopped");
  while (s->retry_len) {
    item_t it = retry_pop(s);
    report(s, &it, PP_SMPP_STATUS_NOT_SENT, "", 0);
  }
  for (;;) {
    item_t batch[POP_BATCH];
    size_t n = queue_pop(s, batch, POP_BATCH);
    if (n == 0) break;
    for (size_t i = 0; i < n; i++) report(s, &batch[i], PP_SMPP_STATUS_NOT_SENT, "", 0);
  }
  return NULL;
}

/* ---- Lifecycle ------------------------------------------------------------ */

static bool copy_str(char *dst, size_t cap, const char *src) {
  if (!src) src = "";
  size_t n = strlen(src);
  if (n >= cap) return false;
  memcpy(dst, src, n + 1);
  return true;
}

static void session_free(pp_smpp_session_t *s) {
  for (int i = 0; i < 2; i++) {
    if (s->conn[i].fd >= 0) close(s->conn[i].fd);
    free(s->conn[i].in);
    free(s->conn[i].out.p);
  }
  if (s->ep >= 0) close(s->ep);
  if (s->efd >= 0) close(s->efd);
  free(s->q);
  free(s->ans);
  free(s->ans_spare);
  free(s->win);
  free(s->free_slots);
  free(s->retry);
  free(s->rx);
  free(s->tx);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->ans_cv);
  explicit_bzero(s->password, sizeof s->password);
  free(s);
}

pp_err_t pp_smpp_session_start(const pp_smpp_session_opts_t *opts, pp_smpp_session_t **out) {
  if (!opts || !out || !opts->host || !opts->host[0] || !opts->port || !opts->system_id ||
      !opts->system_id[0] || !opts->on_submit_resp || opts->window > 65535)
    return PP_ERR_INVALID_PARAM;
  pp_smpp_session_t *s = calloc(1, sizeof *s);
  if (!s) return PP_ERR_NOMEM;
  s->ep = s->efd = -1;
  s->conn[0].fd = s->conn[1].fd = -1;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->ans_cv, NULL);
  s->o = *opts;
  if (!copy_str(s->name, sizeof s->name, opts->name ? opts->name : opts->system_id) ||
      !copy_str(s->host, sizeof s->host, opts->host) ||
      !copy_str(s->system_id, sizeof s->system_id, opts->system_id) ||
      !copy_str(s->password, sizeof s->password, opts->password) ||
      !copy_str(s->system_type, sizeof s->system_type, opts->system_type) ||
      !copy_str(s->address_range, sizeof s->address_range, opts->address_range)) {
    session_free(s);
    return PP_ERR_INVALID_PARAM;
  }
  /* The copy must not keep the caller's pointers. */
  s->o.name = s->o.host = s->o.system_id = s->o.password = NULL;
  s->o.system_type = s->o.address_range = NULL;
#define DEF_(f, v) \
  if (!s->o.f) s->o.f = (v)
  DEF_(interface_version, 0x34);
  DEF_(window, 50);
  DEF_(queue_cap, 1024);
  DEF_(tps_burst, s->o.tps / 50 > 1 ? s->o.tps / 50 : 1);
  DEF_(enquire_link_ms, 30000);
  DEF_(resp_timeout_ms, 30000);
  DEF_(connect_timeout_ms, 10000);
  DEF_(reconnect_min_ms, 100);
  DEF_(reconnect_max_ms, 30000);
  DEF_(throttle_min_ms, 100);
  DEF_(throttle_max_ms, 10000);
  DEF_(stop_timeout_ms, 2000);
  DEF_(deliver_defer_max, 10000);
#undef DEF_
  if (s->o.reconnect_max_ms < s->o.reconnect_min_ms) s->o.reconnect_max_ms = s->o.reconnect_min_ms;
  if (s->o.throttle_max_ms < s->o.throttle_min_ms) s->o.throttle_max_ms = s->o.throttle_min_ms;

  s->n_conn = s->o.bind_mode == PP_SMPP_BIND_TX_RX ? 2 : 1;
  s->conn[0].role = s->n_conn == 2 ? R_TX : (R_TX | R_RX);
  s->conn[1].role = R_RX;
  s->win_n = s->o.window;
  while ((1u << s->slot_bits) < s->win_n + 1) s->slot_bits++;
  s->ctl_slot = (1u << s->slot_bits) - 1; /* never a submit's slot */
  s->win_deadline = INT64_MAX;
  s->q_cap = s->o.queue_cap;
  s->q = calloc(s->q_cap, sizeof *s->q);
  s->win = calloc(s->win_n, sizeof *s->win);
  s->free_slots = calloc(s->win_n, sizeof *s->free_slots);
  s->retry = calloc(s->win_n, sizeof *s->retry);
  s->rx = malloc(sizeof *s->rx);
  s->tx = malloc(sizeof *s->tx);
  bool ok = s->q && s->win && s->free_slots && s->retry && s->rx && s->tx;
  for (int i = 0; i < s->n_conn && ok; i++) ok = (s->conn[i].in = malloc(IN_CAP)) != NULL;
  if (!ok) {
    session_free(s);
    return PP_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < s->win_n; i++) s->free_slots[i] = s->win_n - 1 - i;
  s->n_free = s->win_n;
  if (getrandom(&s->rng, sizeof s->rng, 0) != (ssize_t)sizeof s->rng || !s->rng)
    s->rng = (uint64_t)pp_smpp_now_ms() * 0x9E3779B97F4A7C15ULL | 1;
  s->gen = (uint32_t)rng_next(&s->rng);
  s->tok_ms = pp_smpp_now_ms();
  s->tokens = s->o.tps_burst;

  s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  s->ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 2};
  if (s->efd < 0 || s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ev) != 0) {
    session_free(s);
    return PP_ERR_IO;
  }
  if (pthread_create(&s->thread, NULL, session_main, s) != 0) {
    session_free(s);
    return PP_ERR_IO;
  }
  *out = s;
  return PP_OK;
}

void pp_smpp_session_stop(pp_smpp_session_t *s) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->closed = true;
  pthread_mutex_unlock(&s->mu);
  atomic_store(&s->stop_req, true);
  pp_smpp_wake(s->efd);
  pthread_join(s->thread, NULL);
  /* A deferred answer may still come (it is dropped): wait for every one,
   * so that none meets a freed session. */
  pthread_mutex_lock(&s->mu);
  while (s->deferred > 0) pthread_cond_wait(&s->ans_cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  session_free(s);
}

void pp_smpp_session_stats(pp_smpp_session_t *s, pp_smpp_session_stats_t *out) {
  memset(out, 0, sizeof *out);
#define STATS_COPY_(f) out->f = atomic_load_explicit(&s->st.f, memory_order_relaxed);
  STATS_FIELDS(STATS_COPY_)
#undef STATS_COPY_
}

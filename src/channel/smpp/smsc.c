/* smsc.c: the development SMSC: listener, binds, submit_sm answers,
 * scheduled delivery receipts, injected MO messages; one epoll thread.
 * Output is batched: each connection's answers of one loop turn go out in
 * one send. */
#include "channel/smpp/smsc.h"

#include <errno.h>
#include <inttypes.h>
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

#include "channel/smpp/dlr.h"
#include "channel/smpp/loop.h"
#include "channel/smpp/obuf.h"
#include "channel/smpp/segment.h"
#include "channel/smpp/smpp_pdu.h"
#include "core/log.h"

#define MOD "smsc"

#define IN_CAP (2u * PP_SMPP_MAX_PDU_LEN)
#define OUT_SOFT (1024u * 1024u)       /* stop adding deliver_sm above this */
#define OUT_HARD (64u * 1024u * 1024u) /* close a peer that does not read */
#define MAX_MO_PARTS 10
#define MAX_ATTEMPTS 5
#define RETRY_MS 1000
#define SEQ_MASK 0x7FFFFFFFu

enum { K_RECEIPT = 1, K_MO = 2 };
enum { R_TX = 1, R_RX = 2 };

/* A deliver_sm to send: a receipt or one part of an MO. */
typedef struct {
  int64_t due_ms;
  uint8_t kind, attempts, state;
  uint8_t src_ton, src_npi, dst_ton, dst_npi;
  char src[21], dst[21];
  char id[24];          /* receipt: the message id */
  char text[24];        /* receipt: the first 20 characters, ASCII */
  int64_t submit_t;     /* receipt: Unix seconds of the submit */
  pp_smpp_part_t *part; /* MO: the part (heap) */
} ditem_t;

/* A double-ended queue of items. */
typedef struct {
  ditem_t *a;
  size_t head, len, alloc;
} deque_t;

typedef struct {
  ditem_t it;
  uint32_t seq;
  bool used;
} dslot_t;

typedef pp_smpp_obuf_t obuf_t;

typedef struct sconn {
  int fd;
  unsigned role; /* 0 until bound */
  bool closing;  /* close once the output is written */
  bool dead;     /* closed: freed at the end of the loop turn */
  bool want_out, dirty, rx_dead;
  int64_t last_rx_ms, enq_sent_ms;
  uint32_t enq_seq;
  uint8_t *in;
  size_t in_len;
  obuf_t out;
  uint32_t gen;
  dslot_t *dw;
  uint32_t *dfree, n_dfree;
  struct sconn *next_dirty, *next_dead;
} sconn_t;

/* clang-format off */
#define SMSC_STATS(X)                                                                  \
  X(connections) X(binds) X(bind_failures) X(unbinds) X(submits) X(submits_throttled) \
  X(submits_held) X(submits_rejected) X(receipts_sent) X(receipts_acked) X(mo_sent)   \
  X(mo_acked) X(deliver_errors) X(dropped) X(enquire_links) X(enquire_sent)           \
  X(enquire_answered) X(nacks) X(open_connections) X(pending)
/* clang-format on */

typedef struct {
#define DECL_(f) _Atomic uint64_t f;
  SMSC_STATS(DECL_)
#undef DECL_
} astats_t;

#define STAT_ADD(s, f, n) atomic_fetch_add_explicit(&(s)->st.f, (uint64_t)(n), memory_order_relaxed)
#define STAT_SUB(s, f, n) atomic_fetch_sub_explicit(&(s)->st.f, (uint64_t)(n), memory_order_relaxed)

struct pp_smsc {
  pp_smsc_opts_t o;
  char host[64], system_id[16], password[9];
  uint16_t port;
  int lfd, efd, ep;
  pthread_t thread;
  _Atomic bool stop;
  _Atomic unsigned throttle_left;
  _Atomic bool silent;
  astats_t st;

  /* Under mu: the ring of submits and the MO inbox. */
  pthread_mutex_t mu;
  pp_smsc_message_t *ring;
  size_t ring_next; /* total written; slot = ring_next % ring_size */
  deque_t inbox;
  bool closed;
  _Atomic uint64_t pending_n; /* items queued anywhere (for max_pending) */
  _Atomic unsigned mo_ref;

  /* Server thread only. */
  sconn_t **conns;
  size_t n_conns;
  sconn_t *dirty;
  sconn_t *dead; /* closed in this loop turn, freed at its end */
  size_t rr;
  unsigned dw_n, dw_bits;
  deque_t ready, later, sched;
  pp_smpp_pdu_t *rx, *tx;
  uint64_t next_id;
  uint64_t rng;
  int64_t next_enq_scan;
};

/* ---- Helpers ---------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *x) {
  *x ^= *x >> 12;
  *x ^= *x << 25;
  *x ^= *x >> 27;
  return *x * 0x2545F4914F6CDD1DULL;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t obuf_pending(const obuf_t *b) {
  return pp_smpp_obuf_pending(b);
}

static bool dq_grow(deque_t *d) {
  size_t na = d->alloc ? d->alloc * 2 : 256;
  ditem_t *a = malloc(na * sizeof *a);
  if (!a) return false;
  for (size_t i = 0; i < d->len; i++) a[i] = d->a[(d->head + i) % d->alloc];
  free(d->a);
  d->a = a;
  d->head = 0;
  d->alloc = na;
  return true;
}

static bool dq_push_back(deque_t *d, const ditem_t *it) {
  if (d->len == d->alloc && !dq_grow(d)) return false;
  d->a[(d->head + d->len) % d->alloc] = *it;
  d->len++;
  return true;
}

static bool dq_push_front(deque_t *d, const ditem_t *it) {
  if (d->len == d->alloc && !dq_grow(d)) return false;
  d->head = (d->head + d->alloc - 1) % d->alloc;
  d->a[d->head] = *it;
  d->len++;
  return true;
}

static ditem_t *dq_front(deque_t *d) {
  return d->len ? &d->a[d->head] : NULL;
}

static ditem_t dq_pop(deque_t *d) {
  ditem_t it = d->a[d->head];
  d->head = (d->head + 1) % d->alloc;
  d->len--;
  return it;
}

static void dq_free(deque_t *d) {
  while (d->len) {
    ditem_t it = dq_pop(d);
    free(it.part);
  }
  free(d->a);
  d->a = NULL;
  d->alloc = 0;
}

static void item_drop(pp_smsc_t *s, ditem_t *it) {
  free(it->part);
  it->part = NULL;
  atomic_fetch_sub(&s->pending_n, 1);
  STAT_SUB(s, pending, 1);
}

/* ---- Connections ------------------------------------------------------------- */

static void mark_dirty(pp_smsc_t *s, sconn_t *c) {
  if (c->dirty || c->dead) return;
  c->dirty = true;
  c->next_dirty = s->dirty;
  s->dirty = c;
}

static void conn_close(pp_smsc_t *s, sconn_t *c) {
  if (c->dead) return;
  c->dead = true;
  close(c->fd);
  c->fd = -1;
  /* Unanswered deliver_sm go to the front of the queue for the next bind. */
  for (unsigned i = 0; i < s->dw_n; i++) {
    if (!c->dw[i].used) continue;
    c->dw[i].used = false;
    if (!dq_push_front(&s->ready, &c->dw[i].it)) {
      STAT_ADD(s, dropped, 1);
      item_drop(s, &c->dw[i].it);
    }
  }
  for (size_t i = 0; i < s->n_conns; i++) {
    if (s->conns[i] == c) {
      s->conns[i] = s->conns[--s->n_conns];
      break;
    }
  }
  c->next_dead = s->dead;
  s->dead = c;
  STAT_SUB(s, open_connections, 1);
}

static void conn_free(sconn_t *c) {
  free(c->in);
  free(c->out.p);
  free(c->dw);
  free(c->dfree);
  free(c);
}

static void conn_want_out(pp_smsc_t *s, sconn_t *c, bool want) {
  if (c->want_out == want) return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0u), .data.ptr = c};
  if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->want_out = want;
}

static void conn_flush(pp_smsc_t *s, sconn_t *c) {
  int r = pp_smpp_obuf_send(&c->out, c->fd);
  if (r == 0) {
    conn_want_out(s, c, true);
    return;
  }
  if (r < 0) {
    conn_close(s, c);
    return;
  }
  conn_want_out(s, c, false);
  if (c->closing) conn_close(s, c);
}

/* Encodes `pdu` onto the connection's output. */
static void conn_send(pp_smsc_t *s, sconn_t *c, const pp_smpp_pdu_t *pdu) {
  pp_err_t e = pp_smpp_obuf_put_pdu(&c->out, pdu, 65536, OUT_HARD);
  if (e != PP_OK) {
    pp_log_warn(MOD, "cannot queue %s: %s; closing the connection",
                pp_smpp_command_name(pdu->h.command_id), pp_err_name(e));
    c->closing = true;
  }
  mark_dirty(s, c);
}

static void send_resp(pp_smsc_t *s, sconn_t *c, const pp_smpp_pdu_t *req, uint32_t status) {
  pp_smpp_pdu_init_resp(s->tx, req, status);
  conn_send(s, c, s->tx);
}

static void send_nack(pp_smsc_t *s, sconn_t *c, uint32_t status, uint32_t seq) {
  pp_smpp_pdu_init(s->tx, PP_SMPP_GENERIC_NACK, seq);
  s->tx->h.command_status = status;
  STAT_ADD(s, nacks, 1);
  conn_send(s, c, s->tx);
}

static uint32_t next_seq(pp_smsc_t *s, sconn_t *c, uint32_t slot) {
  for (;;) {
    uint32_t seq = ((c->gen++ << s->dw_bits) | slot) & SEQ_MASK;
    if (seq) return seq;
  }
}

/* ---- Submits ----------------------------------------------------------------- */

/* Decodes the text of a submit into out (NUL-terminated); false when the
 * data_coding is not text. */
static bool decode_text(const pp_smpp_pdu_t *p, char *out, size_t cap) {
  const pp_smpp_submit_sm_t *sm = &p->body.submit_sm;
  const uint8_t *t = sm->short_message;
  size_t n = sm->sm_length;
  const uint8_t *pl = NULL;
  size_t pln = 0;
  if (n == 0 && pp_smpp_get_message_payload(p, &pl, &pln) == PP_OK) {
    t = pl;
    n = pln;
  }
  if (sm->esm_class & PP_SMPP_ESM_UDHI) {
    pp_smpp_udh_t u;
    if (pp_smpp_udh_parse(t, n, &u) == PP_OK && u.udh_len <= n) {
      t += u.udh_len;
      n -= u.udh_len;
    }
  }
  size_t max_in = (cap - 4) / 3;
  if (n > max_in) n = max_in & ~(size_t)1; /* even, for UCS-2 */
  size_t got = 0;
  out[0] = '\0';
  return pp_smpp_text_to_utf8(sm->data_coding, t, n, out, cap, &got) == PP_OK;
}

/* The first 20 characters of UTF-8 `text`, non-ASCII ones as '?'. */
static void receipt_text(const char *text, char *out, size_t cap) {
  size_t o = 0, chars = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p && chars < 20 && o + 1 < cap;) {
    if (*p < 0x80) {
      out[o++] = (*p >= 0x20 && *p < 0x7F) ? (char)*p : '?';
      p++;
    } else {
      out[o++] = '?';
      p++;
      while ((*p & 0xC0) == 0x80) p++;
    }
    chars++;
  }
  out[o] = '\0';
}

static bool throttle_take(pp_smsc_t *s) {
  unsigned v = atomic_load(&s->throttle_left);
  while (v > 0)
    if (atomic_compare_exchange_weak(&s->throttle_left, &v, v - 1)) return true;
  return false;
}

static void handle_submit(pp_smsc_t *s, sconn_t *c, const pp_smpp_pdu_t *p, int64_t now) {
  if (!(c->role & R_TX)) {
    STAT_ADD(s, submits_rejected, 1);
    send_resp(s, c, p, PP_ESME_RINVBNDSTS);
    return;
  }
  if (atomic_load_explicit(&s->silent, memory_order_relaxed)) {
    STAT_ADD(s, submits_held, 1);
    return;
  }
  if (throttle_take(s)) {
    STAT_ADD(s, submits_throttled, 1);
    send_resp(s, c, p, PP_ESME_RTHROTTLED);
    return;
  }
  const pp_smpp_submit_sm_t *sm = &p->body.submit_sm;
  char id[24];
  snprintf(id, sizeof id, "%" PRIx64, s->next_id++);
  pp_smpp_pdu_init_resp(s->tx, p, PP_ESME_ROK);
  memcpy(s->tx->body.submit_sm_resp.message_id, id, strlen(id) + 1);
  conn_send(s, c, s->tx);
  STAT_ADD(s, submits, 1);

  int64_t t = time(NULL);
  pthread_mutex_lock(&s->mu);
  pp_smsc_message_t *m = &s->ring[s->ring_next % s->o.ring_size];
  s->ring_next++;
  m->time = t;
  memcpy(m->message_id, id, sizeof id);
  memcpy(m->source_addr, sm->source_addr, sizeof m->source_addr);
  memcpy(m->destination_addr, sm->destination_addr, sizeof m->destination_addr);
  m->data_coding = sm->data_coding;
  m->esm_class = sm->esm_class;
  m->registered_delivery = sm->registered_delivery;
  m->binary = !decode_text(p, m->text, sizeof m->text);
  char rtext[24];
  receipt_text(m->text, rtext, sizeof rtext);
  pthread_mutex_unlock(&s->mu);

  unsigned rd = sm->registered_delivery & 0x03;
  if (!rd) return;
  bool fail = s->o.dlr_fail_percent && rng_next(&s->rng) % 100 < s->o.dlr_fail_percent;
  if (rd == 2 && !fail) return; /* receipt on failure only */
  if (atomic_load(&s->pending_n) >= s->o.max_pending) {
    STAT_ADD(s, dropped, 1);
    return;
  }
  ditem_t it = {.due_ms = now + s->o.dlr_delay_ms,
                .kind = K_RECEIPT,
                .state = fail ? PP_SMPP_DLR_UNDELIVERABLE : PP_SMPP_DLR_DELIVERED,
                .src_ton = sm->dest_addr_ton,
                .src_npi = sm->dest_addr_npi,
                .dst_ton = sm->source_addr_ton,
                .dst_npi = sm->source_addr_npi,
                .submit_t = t};
  memcpy(it.src, sm->destination_addr, sizeof it.src);
  memcpy(it.dst, sm->source_addr, sizeof it.dst);
  memcpy(it.id, id, sizeof id);
  memcpy(it.text, rtext, sizeof rtext);
  if (!dq_push_back(&s->sched, &it)) {
    STAT_ADD(s, dropped, 1);
    return;
  }
  atomic_fetch_add(&s->pending_n, 1);
  STAT_ADD(s, pending, 1);
}

/* ---- Binds and the rest ------------------------------------------------------- */

static void handle_bind(pp_smsc_t *s, sconn_t *c, const pp_smpp_pdu_t *p) {
  uint32_t id = p->h.command_id;
  /* The three bind bodies are the same fields: read them through one member
   * (a common initial sequence of the union, C11 6.5.2.3). */
  const pp_smpp_bind_transmitter_t *b = &p->body.bind_transmitter;
  if (c->role) {
    send_resp(s, c, p, PP_ESME_RALYBND);
    return;
  }
  uint32_t st = strcmp(b->system_id, s->system_id) != 0 ? PP_ESME_RINVSYSID
                : strcmp(b->password, s->password) != 0 ? PP_ESME_RINVPASWD
                                                        : PP_ESME_ROK;
  pp_smpp_pdu_init_resp(s->tx, p, st);
  const char *what = id == PP_SMPP_BIND_TRANSCEIVER ? "transceiver"
                     : id == PP_SMPP_BIND_RECEIVER  ? "receiver"
                                                    : "transmitter";
  if (st != PP_ESME_ROK) {
    STAT_ADD(s, bind_failures, 1);
    pp_log_warn(MOD, "%s bind refused for system_id '%s': %s", what, b->system_id,
                pp_smpp_status_name(st));
    c->closing = true;
    conn_send(s, c, s->tx);
    return;
  }
  /* Likewise the three bind_*_resp bodies. */
  memcpy(s->tx->body.bind_transmitter_resp.system_id, "pipit-smsc", sizeof "pipit-smsc");
  if (b->interface_version >= 0x34) pp_smpp_add_sc_interface_version(s->tx, 0x34);
  c->role = id == PP_SMPP_BIND_TRANSCEIVER ? (R_TX | R_RX)
            : id == PP_SMPP_BIND_RECEIVER  ? R_RX
                                           : R_TX;
  STAT_ADD(s, binds, 1);
  pp_log_info(MOD, "%s bound as system_id '%s'", what, b->system_id);
  conn_send(s, c, s->tx);
}

static void handle_deliver_resp(pp_smsc_t *s, sconn_t *c, const pp_smpp_pdu_t *p, int64_t now) {
  uint32_t seq = p->h.sequence_number;
  uint32_t slot = seq & ((1u << s->dw_bits) - 1);
  if (seq && seq == c->enq_seq) {
    c->enq_seq = 0;
    STAT_ADD(s, enquire_answered, 1);
    return;
  }
  if (slot >= s->dw_n || !c->dw[slot].used || c->dw[slot].seq != seq) return; /* stray */
  ditem_t it = c->dw[slot].it;
  c->dw[slot].used = false;
  c->dfree[c->n_dfree++] = slot;
  if (p->h.command_status == PP_ESME_ROK) {
    if (it.kind == K_RECEIPT)
      STAT_ADD(s, receipts_acked, 1);
    else
      STAT_ADD(s, mo_acked, 1);
    item_drop(s, &it);
    return;
  }
  STAT_ADD(s, deliver_errors, 1);
  if (++it.attempts >= MAX_ATTEMPTS) {
    pp_log_warn(MOD, "deliver_sm refused %d times (%s): dropped", MAX_ATTEMPTS,
                pp_smpp_status_name(p->h.command_status));
    STAT_ADD(s, dropped, 1);
    item_drop(s, &it);
    return;
  }
  it.due_ms = now + RETRY_MS;
  if (!dq_push_back(&s->later, &it)) {
    STAT_ADD(s, dropped, 1);
    item_drop(s, &it);
  }
}

static void handle_pdu(pp_smsc_t *s, sconn_t *c, const uint8_t *buf, size_t len, int64_t now) {
  pp_smpp_diag_t d;
  pp_err_t e = pp_smpp_pdu_decode_diag(buf, len, s->rx, &d);
  c->last_rx_ms = now;
  if (e != PP_OK) {
    uint32_t seq = d.have_header ? d.header.sequence_number : 0;
    if (e == PP_ERR_TOO_BIG) {
      send_nack(s, c, PP_ESME_RINVCMDLEN, seq);
      c->closing = c->rx_dead = true;
    } else if (e == PP_ERR_INVALID_PARAM) {
      send_nack(s, c, PP_ESME_RINVCMDID, seq);
    } else if (!(d.header.command_id & PP_SMPP_RESP_BIT)) {
      pp_smpp_pdu_init(s->rx, d.header.command_id, seq);
      STAT_ADD(s, nacks, 1);
      send_resp(s, c, s->rx, d.status);
    }
    return;
  }
  const pp_smpp_pdu_t *p = s->rx;
  uint32_t id = p->h.command_id;
  switch (id) {
    case PP_SMPP_BIND_TRANSMITTER:
    case PP_SMPP_BIND_RECEIVER:
    case PP_SMPP_BIND_TRANSCEIVER:
      handle_bind(s, c, p);
      return;
    case PP_SMPP_ENQUIRE_LINK:
      STAT_ADD(s, enquire_links, 1);
      send_resp(s, c, p, PP_ESME_ROK);
      return;
    case PP_SMPP_UNBIND:
      STAT_ADD(s, unbinds, 1);
      send_resp(s, c, p, PP_ESME_ROK);
      c->closing = true;
      c->role = 0;
      return;
    case PP_SMPP_DELIVER_SM_RESP:
    case PP_SMPP_GENERIC_NACK:
    case PP_SMPP_ENQUIRE_LINK_RESP:
      handle_deliver_resp(s, c, p, now);
      return;
    default:
      break;
  }
  if (id & PP_SMPP_RESP_BIT) return; /* stray response */
  if (!c->role) {
    send_resp(s, c, p, PP_ESME_RINVBNDSTS);
    return;
  }
  switch (id) {
    case PP_SMPP_SUBMIT_SM:
      handle_submit(s, c, p, now);
      return;
    case PP_SMPP_QUERY_SM:
      send_resp(s, c, p, PP_ESME_RQUERYFAIL);
      return;
    case PP_SMPP_CANCEL_SM:
      send_resp(s, c, p, PP_ESME_RCANCELFAIL);
      return;
    case PP_SMPP_REPLACE_SM:
      send_resp(s, c, p, PP_ESME_RREPLACEFAIL);
      return;
    case PP_SMPP_OUTBIND:
    case PP_SMPP_ALERT_NOTIFICATION:
      return;
    default:
      send_resp(s, c, p, PP_ESME_RINVCMDID);
      return;
  }
}

static void conn_read(pp_smsc_t *s, sconn_t *c, int64_t now) {
  for (int round = 0; round < 8 && !c->dead; round++) {
    size_t space = IN_CAP - c->in_len;
    ssize_t n = recv(c->fd, c->in + c->in_len, space, 0);
    if (n == 0) {
      conn_close(s, c);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) conn_close(s, c);
      return;
    }
    if (c->rx_dead) continue;
    c->in_len += (size_t)n;
    size_t pos = 0;
    while (!c->rx_dead) {
      size_t need = 0;
      pp_err_t e = pp_smpp_frame_len(c->in + pos, c->in_len - pos, &need);
      if (e == PP_ERR_AGAIN) break;
      if (e != PP_OK) {
        uint32_t seq = c->in_len - pos >= 16 ? get32(c->in + pos + 12) : 0;
        send_nack(s, c, PP_ESME_RINVCMDLEN, seq);
        c->closing = c->rx_dead = true;
        pos = c->in_len;
        break;
      }
      if (c->in_len - pos < need) break;
      handle_pdu(s, c, c->in + pos, need, now);
      pos += need;
    }
    if (c->rx_dead) pos = c->in_len;
    if (pos) {
      memmove(c->in, c->in + pos, c->in_len - pos);
      c->in_len -= pos;
    }
    if ((size_t)n < space) return;
  }
}

static void do_accept(pp_smsc_t *s, int64_t now) {
  for (;;) {
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or a transient error: the next event retries */
    if (s->n_conns >= s->o.max_conns) {
      pp_log_warn(MOD, "connection limit (%u) reached: refusing one", s->o.max_conns);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sconn_t *c = calloc(1, sizeof *c);
    if (c) {
      c->fd = fd;
      c->in = malloc(IN_CAP);
      c->dw = calloc(s->dw_n, sizeof *c->dw);
      c->dfree = calloc(s->dw_n, sizeof *c->dfree);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (!c || !c->in || !c->dw || !c->dfree || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
      if (c) conn_free(c);
      close(fd);
      continue;
    }
    for (unsigned i = 0; i < s->dw_n; i++) c->dfree[i] = s->dw_n - 1 - i;
    c->n_dfree = s->dw_n;
    c->gen = (uint32_t)rng_next(&s->rng);
    c->last_rx_ms = now;
    s->conns[s->n_conns++] = c;
    STAT_ADD(s, connections, 1);
    STAT_ADD(s, open_connections, 1);
  }
}

/* ---- Receipts and MO out ------------------------------------------------------ */

static void fmt_date(int64_t t, char out[13]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  unsigned v[5] = {(unsigned)tm.tm_year % 100u, (unsigned)tm.tm_mon % 12u + 1u,
                   (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u,
                   (unsigned)tm.tm_min % 60u};
  for (int i = 0; i < 5; i++) {
    out[2 * i] = (char)('0' + v[i] / 10);
    out[2 * i + 1] = (char)('0' + v[i] % 10);
  }
  out[10] = '\0';
}

/* A receiver-capable bind with room, round robin; NULL when none. */
static sconn_t *pick_receiver(pp_smsc_t *s) {
  for (size_t i = 0; i < s->n_conns; i++) {
    sconn_t *c = s->conns[(s->rr + i) % s->n_conns];
    if ((c->role & R_RX) && !c->closing && c->n_dfree && obuf_pending(&c->out) < OUT_SOFT) {
      s->rr = (s->rr + i + 1) % s->n_conns;
      return c;
    }
  }
  return NULL;
}

static void send_deliver(pp_smsc_t *s, sconn_t *c, ditem_t *it) {
  uint32_t slot = c->dfree[--c->n_dfree];
  uint32_t seq = next_seq(s, c, slot);
  pp_smpp_pdu_t *p = s->tx;
  pp_smpp_pdu_init(p, PP_SMPP_DELIVER_SM, seq);
  pp_smpp_deliver_sm_t *d = &p->body.deliver_sm;
  d->source_addr_ton = it->src_ton;
  d->source_addr_npi = it->src_npi;
  memcpy(d->source_addr, it->src, sizeof d->source_addr);
  d->dest_addr_ton = it->dst_ton;
  d->dest_addr_npi = it->dst_npi;
  memcpy(d->destination_addr, it->dst, sizeof d->destination_addr);
  if (it->kind == K_RECEIPT) {
    pp_smpp_dlr_t r;
    memset(&r, 0, sizeof r);
    r.fields = PP_SMPP_DLR_F_ID | PP_SMPP_DLR_F_SUB | PP_SMPP_DLR_F_DLVRD |
               PP_SMPP_DLR_F_SUBMIT_DATE | PP_SMPP_DLR_F_DONE_DATE | PP_SMPP_DLR_F_STAT |
               PP_SMPP_DLR_F_ERR | PP_SMPP_DLR_F_TEXT;
    snprintf(r.id, sizeof r.id, "%s", it->id);
    r.sub = 1;
    r.dlvrd = it->state == PP_SMPP_DLR_DELIVERED ? 1 : 0;
    fmt_date(it->submit_t, r.submit_date);
    fmt_date(it->submit_t + s->o.dlr_delay_ms / 1000, r.done_date);
    r.state = (pp_smpp_dlr_state_t)it->state;
    snprintf(r.err, sizeof r.err, "%s", it->state == PP_SMPP_DLR_DELIVERED ? "000" : "001");
    r.text = it->text;
    r.text_len = strlen(it->text);
    char txt[PP_SMPP_SM_MAX + 1];
    if (pp_smpp_dlr_format(&r, txt, sizeof txt) != PP_OK) txt[0] = '\0';
    d->esm_class = PP_SMPP_ESM_RECEIPT;
    d->data_coding = PP_SMPP_DC_DEFAULT;
    d->sm_length = (uint8_t)strlen(txt);
    memcpy(d->short_message, txt, d->sm_length);
    pp_smpp_add_receipted_message_id(p, it->id);
    pp_smpp_add_message_state(p, pp_smpp_dlr_state_message_state((pp_smpp_dlr_state_t)it->state));
    STAT_ADD(s, receipts_sent, 1);
  } else {
    pp_smpp_part_apply(it->part, p);
    STAT_ADD(s, mo_sent, 1);
  }
  c->dw[slot] = (dslot_t){.it = *it, .seq = seq, .used = true};
  conn_send(s, c, p);
}

/* Sends every due item a bind can take.  Returns true when items are due but
 * no bind has room (the loop then waits for an event, not a time). */
static bool deliver_due(pp_smsc_t *s, int64_t now) {
  for (;;) {
    deque_t *d = NULL;
    ditem_t *f;
    if (s->ready.len)
      d = &s->ready;
    else if ((f = dq_front(&s->later)) && f->due_ms <= now)
      d = &s->later;
    else if ((f = dq_front(&s->sched)) && f->due_ms <= now)
      d = &s->sched;
    if (!d) return false;
    sconn_t *c = pick_receiver(s);
    if (!c) return true;
    ditem_t it = dq_pop(d);
    send_deliver(s, c, &it);
  }
}

static void enquire_idle(pp_smsc_t *s, int64_t now) {
  if (!s->o.enquire_link_ms || now < s->next_enq_scan) return;
  s->next_enq_scan = now + (s->o.enquire_link_ms / 4 ? s->o.enquire_link_ms / 4 : 1);
  for (size_t i = 0; i < s->n_conns; i++) {
    sconn_t *c = s->conns[i];
    if (!c->role || c->closing || c->enq_seq) continue;
    if (now - c->last_rx_ms < s->o.enquire_link_ms) continue;
    c->enq_seq = next_seq(s, c, (1u << s->dw_bits) - 1);
    c->enq_sent_ms = now;
    pp_smpp_pdu_init(s->tx, PP_SMPP_ENQUIRE_LINK, c->enq_seq);
    STAT_ADD(s, enquire_sent, 1);
    conn_send(s, c, s->tx);
  }
}

/* ---- The loop -------------------------------------------------------------------- */

static void drain_inbox(pp_smsc_t *s) {
  pthread_mutex_lock(&s->mu);
  while (s->inbox.len) {
    ditem_t it = dq_pop(&s->inbox);
    if (!dq_push_back(&s->ready, &it)) {
      STAT_ADD(s, dropped, 1);
      item_drop(s, &it);
    }
  }
  pthread_mutex_unlock(&s->mu);
}

static void *smsc_main(void *arg) {
  pp_smsc_t *s = arg;
  struct epoll_event evs[64];
  int timeout = -1;
  while (!atomic_load(&s->stop)) {
    int n = epoll_wait(s->ep, evs, 64, timeout);
    int64_t now = pp_smpp_now_ms();
    for (int k = 0; k < n; k++) {
      void *who = evs[k].data.ptr;
      if (who == &s->lfd) {
        do_accept(s, now);
      } else if (who == &s->efd) {
        uint64_t v;
        ssize_t r = read(s->efd, &v, sizeof v);
        (void)r;
        drain_inbox(s);
      } else {
        sconn_t *c = who;
        if (c->dead) continue;
        if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(s, c, now);
        if (!c->dead && (evs[k].events & EPOLLOUT)) conn_flush(s, c);
      }
    }
    bool blocked = deliver_due(s, now);
    enquire_idle(s, now);
    while (s->dirty) {
      sconn_t *c = s->dirty;
      s->dirty = c->next_dirty;
      c->dirty = false;
      if (!c->dead) conn_flush(s, c);
    }
    /* Items unsent on connections that just closed are due now. */
    if (!blocked && s->ready.len && s->dead) blocked = deliver_due(s, now);
    while (s->dirty) {
      sconn_t *c = s->dirty;
      s->dirty = c->next_dirty;
      c->dirty = false;
      if (!c->dead) conn_flush(s, c);
    }
    while (s->dead) {
      sconn_t *c = s->dead;
      s->dead = c->next_dead;
      conn_free(c);
    }

    int64_t t = INT64_MAX;
    if (!blocked) {
      ditem_t *f;
      if ((f = dq_front(&s->later)) && f->due_ms < t) t = f->due_ms;
      if ((f = dq_front(&s->sched)) && f->due_ms < t) t = f->due_ms;
    }
    if (s->o.enquire_link_ms && s->n_conns && s->next_enq_scan < t) t = s->next_enq_scan;
    now = pp_smpp_now_ms();
    timeout = t == INT64_MAX ? -1 : t <= now ? 0 : (t - now > 60000 ? 60000 : (int)(t - now));
  }
  return NULL;
}

/* ---- API --------------------------------------------------------------------------- */

static void smsc_free(pp_smsc_t *s) {
  for (size_t i = 0; i < s->n_conns; i++) {
    sconn_t *c = s->conns[i];
    close(c->fd);
    for (unsigned j = 0; j < s->dw_n; j++)
      if (c->dw[j].used) free(c->dw[j].it.part);
    conn_free(c);
  }
  while (s->dead) {
    sconn_t *c = s->dead;
    s->dead = c->next_dead;
    conn_free(c);
  }
  if (s->lfd >= 0) close(s->lfd);
  if (s->efd >= 0) close(s->efd);
  if (s->ep >= 0) close(s->ep);
  dq_free(&s->ready);
  dq_free(&s->later);
  dq_free(&s->sched);
  dq_free(&s->inbox);
  free(s->conns);
  free(s->ring);
  free(s->rx);
  free(s->tx);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static bool copy_str(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) return false;
  memcpy(dst, src, n + 1);
  return true;
}

static pp_err_t smsc_listen(pp_smsc_t *s) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)s->o.port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC,
                           .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  if (getaddrinfo(s->host, port, &hints, &ai) != 0 || !ai) return PP_ERR_INVALID_PARAM;
  s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  bool ok = s->lfd >= 0 && setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(s->lfd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(s->lfd, 1024) == 0;
  int err = errno;
  freeaddrinfo(ai);
  if (!ok) {
    pp_log_error(MOD, "cannot listen on %s:%u: %s", s->host, (unsigned)s->o.port, strerror(err));
    return PP_ERR_IO;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) != 0) return PP_ERR_IO;
  if (ss.ss_family == AF_INET6)
    s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  else
    s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return PP_OK;
}

pp_err_t pp_smsc_start(const pp_smsc_opts_t *opts, pp_smsc_t **out) {
  if (!opts || !out || !opts->system_id || !opts->system_id[0] || opts->dlr_fail_percent > 100 ||
      opts->deliver_window > 4095)
    return PP_ERR_INVALID_PARAM;
  pp_smsc_t *s = calloc(1, sizeof *s);
  if (!s) return PP_ERR_NOMEM;
  s->lfd = s->efd = s->ep = -1;
  pthread_mutex_init(&s->mu, NULL);
  s->o = *opts;
  if (!copy_str(s->host, sizeof s->host, opts->host ? opts->host : "127.0.0.1") ||
      !copy_str(s->system_id, sizeof s->system_id, opts->system_id) ||
      !copy_str(s->password, sizeof s->password, opts->password ? opts->password : "")) {
    smsc_free(s);
    return PP_ERR_INVALID_PARAM;
  }
  s->o.host = s->o.system_id = s->o.password = NULL;
  if (!s->o.ring_size) s->o.ring_size = 1000;
  if (!s->o.max_conns) s->o.max_conns = 256;
  if (!s->o.max_pending) s->o.max_pending = 1000000;
  if (!s->o.deliver_window) s->o.deliver_window = 100;
  s->dw_n = s->o.deliver_window;
  while ((1u << s->dw_bits) < s->dw_n + 1) s->dw_bits++;
  s->ring = calloc(s->o.ring_size, sizeof *s->ring);
  s->conns = calloc(s->o.max_conns, sizeof *s->conns);
  s->rx = malloc(sizeof *s->rx);
  s->tx = malloc(sizeof *s->tx);
  if (!s->ring || !s->conns || !s->rx || !s->tx) {
    smsc_free(s);
    return PP_ERR_NOMEM;
  }
  if (getrandom(&s->rng, sizeof s->rng, 0) != (ssize_t)sizeof s->rng || !s->rng)
    s->rng = (uint64_t)pp_smpp_now_ms() * 0x9E3779B97F4A7C15ULL | 1;
  /* Ids differ across restarts: the start time in the high bits. */
  s->next_id = ((uint64_t)time(NULL) << 20) + 1;
  atomic_store(&s->mo_ref, (unsigned)rng_next(&s->rng));

  pp_err_t e = smsc_listen(s);
  if (e != PP_OK) {
    smsc_free(s);
    return e;
  }
  s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  s->ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event le = {.events = EPOLLIN, .data.ptr = &s->lfd};
  struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &s->efd};
  if (s->efd < 0 || s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &le) != 0 ||
      epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ee) != 0 ||
      pthread_create(&s->thread, NULL, smsc_main, s) != 0) {
    smsc_free(s);
    return PP_ERR_IO;
  }
  *out = s;
  return PP_OK;
}

uint16_t pp_smsc_port(const pp_smsc_t *s) {
  return s->port;
}

void pp_smsc_stop(pp_smsc_t *s) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->closed = true;
  pthread_mutex_unlock(&s->mu);
  atomic_store(&s->stop, true);
  pp_smpp_wake(s->efd);
  pthread_join(s->thread, NULL);
  smsc_free(s);
}

/* Fills TON/NPI and the address; false when it does not fit. */
static bool mo_addr(const char *in, char out[21], uint8_t *ton, uint8_t *npi) {
  if (!in) return false;
  const char *a = in[0] == '+' ? in + 1 : in;
  size_t n = strlen(a);
  if (n == 0 || n > 20) return false;
  bool digits = true;
  for (size_t i = 0; i < n; i++)
    if (a[i] < '0' || a[i] > '9') digits = false;
  *ton = digits ? 1 : 5;
  *npi = digits ? 1 : 0;
  memcpy(out, a, n + 1);
  return true;
}

pp_err_t pp_smsc_inject_mo(pp_smsc_t *s, const char *from, const char *to, const char *text) {
  ditem_t base = {.kind = K_MO};
  if (!text || !mo_addr(from, base.src, &base.src_ton, &base.src_npi) ||
      !mo_addr(to, base.dst, &base.dst_ton, &base.dst_npi))
    return PP_ERR_INVALID_PARAM;
  pp_smpp_part_t *parts = malloc(MAX_MO_PARTS * sizeof *parts);
  if (!parts) return PP_ERR_NOMEM;
  pp_smpp_segment_opts_t so = {.concat = PP_SMPP_CONCAT_UDH,
                               .ref = (uint16_t)atomic_fetch_add(&s->mo_ref, 1)};
  size_t n = 0;
  pp_err_t e = pp_smpp_segment(text, strlen(text), &so, parts, MAX_MO_PARTS, &n);
  if (e != PP_OK) {
    free(parts);
    return e == PP_ERR_TOO_BIG ? PP_ERR_TOO_BIG : PP_ERR_INVALID_PARAM;
  }
  ditem_t items[MAX_MO_PARTS];
  for (size_t i = 0; i < n; i++) {
    items[i] = base;
    items[i].part = malloc(sizeof *items[i].part);
    if (!items[i].part) {
      for (size_t j = 0; j < i; j++) free(items[j].part);
      free(parts);
      return PP_ERR_NOMEM;
    }
    *items[i].part = parts[i];
  }
  free(parts);
  pthread_mutex_lock(&s->mu);
  e = s->closed                                           ? PP_ERR_CLOSED
      : atomic_load(&s->pending_n) + n > s->o.max_pending ? PP_ERR_AGAIN
                                                          : PP_OK;
  size_t pushed = 0;
  while (e == PP_OK && pushed < n)
    if (dq_push_back(&s->inbox, &items[pushed]))
      pushed++;
    else
      e = PP_ERR_NOMEM;
  if (e != PP_OK) { /* take back what went in */
    while (pushed--) s->inbox.len--;
  } else {
    atomic_fetch_add(&s->pending_n, n);
    STAT_ADD(s, pending, n);
  }
  pthread_mutex_unlock(&s->mu);
  if (e != PP_OK) {
    for (size_t i = 0; i < n; i++) free(items[i].part);
    return e;
  }
  pp_smpp_wake(s->efd);
  return PP_OK;
}

void pp_smsc_throttle_next(pp_smsc_t *s, unsigned k) {
  atomic_store(&s->throttle_left, k);
}

void pp_smsc_set_silent(pp_smsc_t *s, bool silent) {
  atomic_store(&s->silent, silent);
}

void pp_smsc_stats(pp_smsc_t *s, pp_smsc_stats_t *out) {
  memset(out, 0, sizeof *out);
#define COPY_(f) out->f = atomic_load_explicit(&s->st.f, memory_order_relaxed);
  SMSC_STATS(COPY_)
#undef COPY_
}

uint64_t pp_smsc_messages(pp_smsc_t *s, pp_smsc_message_t *out, size_t max, size_t *n) {
  pthread_mutex_lock(&s->mu);
  size_t have = s->ring_next < s->o.ring_size ? (size_t)s->ring_next : s->o.ring_size;
  size_t k = have < max ? have : max;
  for (size_t i = 0; i < k; i++) out[i] = s->ring[(s->ring_next - k + i) % s->o.ring_size];
  uint64_t total = s->ring_next;
  pthread_mutex_unlock(&s->mu);
  *n = k;
  return total;
}

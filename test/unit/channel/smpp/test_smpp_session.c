/* The ESME session against the in-tree development SMSC (and, for the
 * protocol corners, a scripted peer) on 127.0.0.1 with ephemeral ports.
 * Run one case: test_smpp_session <case>; no argument runs them all.  Every
 * wait is on a condition with a deadline. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "channel/smpp/dlr.h"
#include "channel/smpp/segment.h"
#include "channel/smpp/session.h"
#include "channel/smpp/smsc.h"
#include "check.h"
#include "smpp_wire.h"

#define SYSID "pipit"
#define PASSWD "pw123"

/* ---- What the callbacks saw --------------------------------------------- */

#define MAX_TAGS 4096
#define MAX_MO 16
#define IDLEN 65 /* a message_id with its NUL */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* submits, by tag */
  int reports[MAX_TAGS];
  uint32_t status[MAX_TAGS];
  char mid[MAX_TAGS][IDLEN];
  uint64_t n_reports, n_ok, n_no_answer, n_timeout, n_not_sent, n_other, n_dup;
  /* receipts */
  uint64_t n_receipts, n_delivrd, n_undeliv, n_receipt_bad;
  char (*rid)[IDLEN]; /* receipted ids in arrival order */
  /* MO: whole texts after reassembly */
  char mo[MAX_MO][1600];
  int n_mo;
  char parts[8][800];
  int parts_have, parts_total;
  /* on_deliver answers this many with ESME_RX_T_APPN first */
  int refuse_delivers;
  uint64_t n_refused, n_data_sm;
  /* defer: on_deliver defers every answer it may and keeps the handle */
  bool defer;
  pp_smpp_deliver_ctx_t *held;
  size_t n_held;
  uint64_t n_no_handle; /* delivers it had to answer at once (no handle) */
  /* state */
  bool bound;
  int n_up, n_down;
  uint32_t bind_err[256];
  int n_bind_err;
  /* query_sm answers (on_query_resp) */
  int n_query;
  uint32_t query_status;
  uint64_t query_tag;
} harness_t;

static harness_t *harness_new(void) {
  harness_t *h = calloc(1, sizeof *h);
  pthread_mutex_init(&h->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&h->cv, &ca);
  pthread_condattr_destroy(&ca);
  h->rid = calloc(MAX_TAGS, sizeof *h->rid);
  h->held = calloc(MAX_TAGS, sizeof *h->held);
  return h;
}

static void harness_free(harness_t *h) {
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->cv);
  free(h->rid);
  free(h->held);
  free(h);
}

/* Waits (mutex held) for a signal or `ms`, whichever comes first. */
static void timed_wait(harness_t *h, int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_nsec += (long)ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  pthread_cond_timedwait(&h->cv, &h->mu, &ts);
}

/* Waits until `cond` holds (evaluated with the harness locked; it may also
 * read SMSC or session counters, hence the 10 ms re-check) or `ms` pass,
 * then CHECKs it. */
#define WAIT_CHECK(h, ms, cond)                                                                \
  do {                                                                                         \
    int64_t dl_ = pp_smpp_now_ms() + (ms);                                                     \
    pthread_mutex_lock(&(h)->mu);                                                              \
    while (!(cond) && pp_smpp_now_ms() < dl_) timed_wait((h), 10);                             \
    bool ok_ = (cond);                                                                         \
    pthread_mutex_unlock(&(h)->mu);                                                            \
    if (!ok_) fprintf(stderr, "%s:%d: timed out waiting for %s\n", __FILE__, __LINE__, #cond); \
    CHECK(ok_);                                                                                \
  } while (0)

static void on_submit_resp(void *arg, uint64_t tag, uint32_t st, const char *mid) {
  harness_t *h = arg;
  pthread_mutex_lock(&h->mu);
  if (tag < MAX_TAGS) {
    if (h->reports[tag]++) h->n_dup++;
    h->status[tag] = st;
    snprintf(h->mid[tag], sizeof h->mid[tag], "%s", mid);
  }
  h->n_reports++;
  if (st == PP_ESME_ROK)
    h->n_ok++;
  else if (st == PP_SMPP_STATUS_NO_ANSWER)
    h->n_no_answer++;
  else if (st == PP_SMPP_STATUS_TIMEOUT)
    h->n_timeout++;
  else if (st == PP_SMPP_STATUS_NOT_SENT)
    h->n_not_sent++;
  else
    h->n_other++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

/* Text of a deliver_sm part after its UDH, as UTF-8. */
static void part_text(const pp_smpp_pdu_t *p, char *out, size_t cap, pp_smpp_udh_t *udh) {
  const pp_smpp_deliver_sm_t *d = &p->body.deliver_sm;
  memset(udh, 0, sizeof *udh);
  size_t off = 0;
  if ((d->esm_class & PP_SMPP_ESM_UDHI) &&
      pp_smpp_udh_parse(d->short_message, d->sm_length, udh) == PP_OK)
    off = udh->udh_len;
  size_t n = 0;
  if (pp_smpp_text_to_utf8(d->data_coding, d->short_message + off, d->sm_length - off, out, cap,
                           &n) != PP_OK)
    out[0] = '\0';
}

static uint32_t on_deliver(void *arg, const pp_smpp_pdu_t *p, const pp_smpp_deliver_ctx_t *ctx) {
  harness_t *h = arg;
  pthread_mutex_lock(&h->mu);
  uint32_t answer = PP_ESME_ROK;
  if (h->defer && ctx && h->n_held < MAX_TAGS) {
    h->held[h->n_held++] = *ctx;
    answer = PP_SMPP_DELIVER_DEFER;
  } else if (h->defer) {
    h->n_no_handle++;
  }
  if (h->refuse_delivers > 0) {
    h->refuse_delivers--;
    h->n_refused++;
    pthread_mutex_unlock(&h->mu);
    return PP_ESME_RX_T_APPN;
  }
  if (p->h.command_id == PP_SMPP_DATA_SM) {
    h->n_data_sm++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return answer;
  }
  const pp_smpp_deliver_sm_t *d = &p->body.deliver_sm;
  if ((d->esm_class & PP_SMPP_ESM_TYPE_MASK) == PP_SMPP_ESM_RECEIPT) {
    pp_smpp_dlr_t r;
    char tlv_id[65] = "";
    uint8_t ms = 0;
    bool ok = pp_smpp_dlr_parse((const char *)d->short_message, d->sm_length, &r) == PP_OK &&
              pp_smpp_get_receipted_message_id(p, tlv_id, sizeof tlv_id) == PP_OK &&
              pp_smpp_get_message_state(p, &ms) == PP_OK && strcmp(tlv_id, r.id) == 0 &&
              pp_smpp_dlr_state_from_message_state(ms) == r.state;
    if (!ok) h->n_receipt_bad++;
    if (h->n_receipts < MAX_TAGS) snprintf(h->rid[h->n_receipts], IDLEN, "%s", tlv_id);
    h->n_receipts++;
    if (r.state == PP_SMPP_DLR_DELIVERED) h->n_delivrd++;
    if (r.state == PP_SMPP_DLR_UNDELIVERABLE) h->n_undeliv++;
  } else {
    pp_smpp_udh_t u;
    char text[800];
    part_text(p, text, sizeof text, &u);
    if (!u.concat) {
      if (h->n_mo < MAX_MO) snprintf(h->mo[h->n_mo++], sizeof h->mo[0], "%s", text);
    } else if (u.total <= 8) {
      snprintf(h->parts[u.seq - 1], sizeof h->parts[0], "%s", text);
      h->parts_total = u.total;
      if (++h->parts_have == u.total && h->n_mo < MAX_MO) {
        char *m = h->mo[h->n_mo++];
        m[0] = '\0';
        for (int i = 0; i < u.total; i++) strncat(m, h->parts[i], sizeof h->mo[0] - strlen(m) - 1);
        h->parts_have = 0;
      }
    }
  }
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  return answer;
}

static void on_state(void *arg, bool bound) {
  harness_t *h = arg;
  pthread_mutex_lock(&h->mu);
  h->bound = bound;
  if (bound)
    h->n_up++;
  else
    h->n_down++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static void on_bind_error(void *arg, uint32_t st) {
  harness_t *h = arg;
  pthread_mutex_lock(&h->mu);
  if (h->n_bind_err < 256) h->bind_err[h->n_bind_err] = st;
  h->n_bind_err++;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

/* ---- Set-up ---------------------------------------------------------------- */

static pp_smsc_t *smsc_up(pp_smsc_opts_t *o) {
  return smsc_up_as(o, SYSID, PASSWD, "test_smpp_session");
}

static pp_smpp_session_opts_t sess_opts(harness_t *h, uint16_t port) {
  pp_smpp_session_opts_t o = {.name = "test",
                              .host = "127.0.0.1",
                              .port = port,
                              .system_id = SYSID,
                              .password = PASSWD,
                              .reconnect_min_ms = 20,
                              .reconnect_max_ms = 500,
                              .throttle_min_ms = 20,
                              .on_submit_resp = on_submit_resp,
                              .on_deliver = on_deliver,
                              .on_state = on_state,
                              .on_bind_error = on_bind_error,
                              .arg = h};
  return o;
}

static pp_smpp_session_t *sess_up(pp_smpp_session_opts_t *o) {
  pp_smpp_session_t *s = NULL;
  pp_err_t e = pp_smpp_session_start(o, &s);
  CHECK_EQ_INT(e, PP_OK);
  if (e != PP_OK) exit(check_report("test_smpp_session"));
  return s;
}

static pp_smpp_session_stats_t sess_st(pp_smpp_session_t *s) {
  pp_smpp_session_stats_t st;
  pp_smpp_session_stats(s, &st);
  return st;
}

/* One case's world: the harness, the development SMSC (started from `mo`,
 * which keeps the defaults smsc_up fills in), session options pointing at it,
 * and the session once started. */
typedef struct {
  harness_t *h;
  pp_smsc_opts_t mo;
  pp_smsc_t *m;
  pp_smpp_session_opts_t so;
  pp_smpp_session_t *s;
} rig_t;

static rig_t rig_smsc(pp_smsc_opts_t mo) {
  rig_t r = {.h = harness_new(), .mo = mo};
  r.m = smsc_up(&r.mo);
  r.so = sess_opts(r.h, pp_smsc_port(r.m));
  return r;
}

/* Starts the session from r->so. */
static void rig_session(rig_t *r) {
  r->s = sess_up(&r->so);
}

/* Starts the session and waits for (and CHECKs) its bind. */
static void rig_bind(rig_t *r) {
  rig_session(r);
  WAIT_CHECK(r->h, 5000, r->h->bound);
}

/* Stops the session (every submit reported before it returns). */
static void rig_stop(rig_t *r) {
  pp_smpp_session_stop(r->s);
  r->s = NULL;
}

/* Stops the session if it runs, then the SMSC, and frees the harness. */
static void rig_down(rig_t *r) {
  rig_stop(r);
  pp_smsc_stop(r->m);
  harness_free(r->h);
}

/* Builds a submit_sm of one part of `text` into the heap PDU `p`. */
static void make_submit(pp_smpp_pdu_t *p, const char *to, const char *text, uint8_t rd) {
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 0);
  pp_smpp_submit_sm_t *b = &p->body.submit_sm;
  snprintf(b->source_addr, sizeof b->source_addr, "15550001111");
  b->source_addr_ton = b->source_addr_npi = 1;
  snprintf(b->destination_addr, sizeof b->destination_addr, "%s", to);
  b->dest_addr_ton = b->dest_addr_npi = 1;
  b->registered_delivery = rd;
  pp_smpp_part_t part;
  size_t n = 0;
  CHECK_EQ_INT(pp_smpp_segment(text, strlen(text), NULL, &part, 1, &n), PP_OK);
  CHECK_EQ_INT(pp_smpp_part_apply(&part, p), PP_OK);
}

/* Submits, waiting for room while the queue is full. */
static void submit_wait(harness_t *h, pp_smpp_session_t *s, const pp_smpp_pdu_t *p, uint64_t tag) {
  int64_t dl = pp_smpp_now_ms() + 10000;
  for (;;) {
    pp_err_t e = pp_smpp_session_submit(s, p, tag);
    if (e == PP_OK) return;
    CHECK_EQ_INT(e, PP_ERR_AGAIN);
    if (e != PP_ERR_AGAIN || pp_smpp_now_ms() > dl) return;
    pthread_mutex_lock(&h->mu);
    timed_wait(h, 5); /* a report frees room in the queue */
    pthread_mutex_unlock(&h->mu);
  }
}

static void submit_n(harness_t *h, pp_smpp_session_t *s, uint64_t first, int n, uint8_t rd) {
  pp_smpp_pdu_t *p = malloc(sizeof *p);
  for (int i = 0; i < n; i++) {
    char to[21], text[40];
    snprintf(to, sizeof to, "1555%07d", (int)(first + (uint64_t)i));
    snprintf(text, sizeof text, "message %d", (int)(first + (uint64_t)i));
    make_submit(p, to, text, rd);
    submit_wait(h, s, p, first + (uint64_t)i);
  }
  free(p);
}

/* Gives deferred deliver answers from its own thread, after `delay_ms`. */
typedef struct {
  pp_smpp_deliver_ctx_t *ctx;
  size_t n;
  uint32_t status;
  unsigned delay_ms;
  _Atomic size_t given; /* calls begun */
  pthread_t th;
} answerer_t;

static void *answer_main(void *arg) {
  answerer_t *a = arg;
  if (a->delay_ms)
    nanosleep(&(struct timespec){a->delay_ms / 1000, (long)(a->delay_ms % 1000) * 1000000L}, NULL);
  for (size_t i = 0; i < a->n; i++) {
    atomic_fetch_add(&a->given, 1);
    pp_smpp_session_deliver_resp(&a->ctx[i], a->status);
  }
  return NULL;
}

/* Takes the handles held so far (in a shuffled order when `shuffle`) and
 * starts a thread that answers them. */
static answerer_t *answer_held(harness_t *h, uint32_t status, unsigned delay_ms, bool shuffle) {
  answerer_t *a = calloc(1, sizeof *a);
  pthread_mutex_lock(&h->mu);
  a->n = h->n_held;
  a->ctx = malloc((a->n ? a->n : 1) * sizeof *a->ctx);
  memcpy(a->ctx, h->held, a->n * sizeof *a->ctx);
  h->n_held = 0;
  pthread_mutex_unlock(&h->mu);
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (size_t i = a->n; shuffle && i > 1; i--) { /* Fisher-Yates */
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t j = (size_t)(x % i);
    pp_smpp_deliver_ctx_t t = a->ctx[i - 1];
    a->ctx[i - 1] = a->ctx[j];
    a->ctx[j] = t;
  }
  a->status = status;
  a->delay_ms = delay_ms;
  pthread_create(&a->th, NULL, answer_main, a);
  return a;
}

static void answer_join(answerer_t *a) {
  pthread_join(a->th, NULL);
  free(a->ctx);
  free(a);
}

/* ---- Cases ------------------------------------------------------------------- */

static void t_bind(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  rig_bind(&r);
  CHECK_EQ_INT(smsc_st(r.m).binds, 1);
  CHECK_EQ_INT(sess_st(r.s).bound, 1);
  rig_stop(&r);
  CHECK(!r.h->bound);
  CHECK_EQ_INT(r.h->n_down, 1);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).unbinds == 1 && smsc_st(r.m).open_connections == 0);
  rig_down(&r);
}

static int cmp_mid(const void *a, const void *b) {
  return strcmp(a, b);
}

static void t_submits(void) {
  enum { N = 1000 };
  rig_t r = rig_smsc((pp_smsc_opts_t){.dlr_delay_ms = 20, .dlr_fail_percent = 5});
  rig_bind(&r);
  submit_n(r.h, r.s, 0, N, 1);
  WAIT_CHECK(r.h, 20000, r.h->n_reports == N);
  CHECK_EQ_INT(r.h->n_ok, N);
  CHECK_EQ_INT(r.h->n_dup, 0);
  WAIT_CHECK(r.h, 20000, r.h->n_receipts == N);
  CHECK_EQ_INT(r.h->n_receipt_bad, 0);
  CHECK_EQ_INT(r.h->n_delivrd + r.h->n_undeliv, N);
  CHECK(r.h->n_undeliv > 0 && r.h->n_undeliv < N / 5); /* about 5% */
  /* Every receipt names exactly one submitted message. */
  static char ids[N][IDLEN];
  for (int i = 0; i < N; i++) memcpy(ids[i], r.h->mid[i], IDLEN);
  qsort(ids, N, IDLEN, cmp_mid);
  int unique = 1, matched = 0;
  for (int i = 1; i < N; i++) unique += strcmp(ids[i - 1], ids[i]) != 0;
  CHECK_EQ_INT(unique, N);
  for (int i = 0; i < N; i++) matched += bsearch(r.h->rid[i], ids, N, IDLEN, cmp_mid) != NULL;
  CHECK_EQ_INT(matched, N);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).receipts_acked == N);
  pp_smsc_stats_t st = smsc_st(r.m);
  CHECK_EQ_INT(st.submits, N);
  CHECK_EQ_INT(st.receipts_sent, N);
  CHECK_EQ_INT(sess_st(r.s).delivers, N);
  rig_down(&r);
}

/* Deferred deliver answers: given from another thread in another order,
 * dropped after a reconnect, awaited by stop, bounded. */
static void t_defer(void) {
  enum { N = 300, M = 20, K = 10 };
  rig_t r = rig_smsc((pp_smsc_opts_t){.deliver_window = 1000});
  uint16_t port = r.so.port;
  rig_bind(&r);
  pthread_mutex_lock(&r.h->mu);
  r.h->defer = true;
  pthread_mutex_unlock(&r.h->mu);

  /* Every receipt deferred: none acknowledged until answered. */
  submit_n(r.h, r.s, 0, N, 1);
  WAIT_CHECK(r.h, 10000, r.h->n_held == N);
  CHECK_EQ_INT(r.h->n_receipts, N);
  /* counted by the session thread after the callback returned */
  WAIT_CHECK(r.h, 5000, sess_st(r.s).delivers_deferred == N);
  CHECK_EQ_INT(smsc_st(r.m).receipts_acked, 0);
  /* Answered from another thread, shuffled: every one reaches the SMSC. */
  answerer_t *a = answer_held(r.h, PP_ESME_ROK, 0, true);
  answer_join(a);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).receipts_acked == N);
  pp_smsc_stats_t st = smsc_st(r.m);
  CHECK_EQ_INT(st.receipts_sent, N); /* none sent twice */
  CHECK_EQ_INT(st.deliver_errors, 0);
  CHECK_EQ_INT(sess_st(r.s).deferred_dropped, 0);

  /* Held across a reconnect: the answers are dropped, nothing breaks. */
  submit_n(r.h, r.s, N, M, 1);
  WAIT_CHECK(r.h, 5000, r.h->n_held == M);
  pp_smsc_stop(r.m);
  WAIT_CHECK(r.h, 5000, !r.h->bound);
  r.mo.port = port;
  r.m = smsc_up(&r.mo);
  WAIT_CHECK(r.h, 10000, r.h->n_up == 2);
  a = answer_held(r.h, PP_ESME_ROK, 0, true);
  answer_join(a);
  WAIT_CHECK(r.h, 5000, sess_st(r.s).deferred_dropped == M);
  /* The new connection works, deferred answers included. */
  submit_n(r.h, r.s, N + M, K, 1);
  WAIT_CHECK(r.h, 5000, r.h->n_held == K);
  a = answer_held(r.h, PP_ESME_ROK, 0, false);
  answer_join(a);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).receipts_acked == K);

  /* Answers given while stop drains are written before the unbind. */
  submit_n(r.h, r.s, N + M + K, K, 1);
  WAIT_CHECK(r.h, 5000, r.h->n_held == K);
  a = answer_held(r.h, PP_ESME_ROK, 50, true);
  rig_stop(&r);
  CHECK_EQ_INT(atomic_load(&a->given), K);
  answer_join(a);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).receipts_acked == 2 * K && smsc_st(r.m).unbinds == 1);

  /* The bound: beyond deliver_defer_max outstanding, on_deliver gets no
   * handle and answers at once. */
  r.so.deliver_defer_max = 5;
  r.so.stop_timeout_ms = 100;
  pthread_mutex_lock(&r.h->mu);
  r.h->n_no_handle = 0;
  pthread_mutex_unlock(&r.h->mu);
  r.s = sess_up(&r.so);
  WAIT_CHECK(r.h, 5000, r.h->n_up == 3);
  submit_n(r.h, r.s, N + M + 2 * K, K, 1);
  WAIT_CHECK(r.h, 5000, r.h->n_held == 5 && r.h->n_no_handle == K - 5);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).receipts_acked == 2 * K + (K - 5));
  a = answer_held(r.h, PP_ESME_ROK, 0, true);
  answer_join(a);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).receipts_acked == 3 * K);
  CHECK_EQ_INT(smsc_st(r.m).deliver_errors, 0);

  /* Answers owed after the drain (50 ms here): stop waits for them (the
   * session is not freed under them), and they are dropped. */
  submit_n(r.h, r.s, N + M + 3 * K, K, 1);
  WAIT_CHECK(r.h, 5000, r.h->n_held == 5 && smsc_st(r.m).receipts_acked == 3 * K + (K - 5));
  a = answer_held(r.h, PP_ESME_ROK, 300, true);
  rig_stop(&r);
  CHECK_EQ_INT(atomic_load(&a->given), 5);
  answer_join(a);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).unbinds == 2);
  CHECK_EQ_INT(smsc_st(r.m).receipts_acked, 3 * K + (K - 5));
  rig_down(&r);
}

static const pp_smsc_message_t *find_msg(const pp_smsc_message_t *ms, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ms[i].message_id, id) == 0) return &ms[i];
  return NULL;
}

static void t_text(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  rig_session(&r);
  const char *gsm = "Hello {world} @ £5 ~ €10 [ok] ^_^ \\o/ Üñìöé Ä ß: all GSM-7";
  const char *ucs = "Привет, мир! 👋 日本語 and ASCII";
  pp_smpp_pdu_t *p = malloc(sizeof *p);
  make_submit(p, "15557654321", gsm, 0);
  CHECK_EQ_INT(p->body.submit_sm.data_coding, PP_SMPP_DC_DEFAULT);
  submit_wait(r.h, r.s, p, 1);
  make_submit(p, "15557654322", ucs, 0);
  CHECK_EQ_INT(p->body.submit_sm.data_coding, PP_SMPP_DC_UCS2);
  submit_wait(r.h, r.s, p, 2);
  free(p);
  WAIT_CHECK(r.h, 5000, r.h->n_reports == 2);
  CHECK_EQ_INT(r.h->n_ok, 2);
  pp_smsc_message_t *ms = calloc(8, sizeof *ms);
  size_t n = 0;
  CHECK_EQ_INT(pp_smsc_messages(r.m, ms, 8, &n), 2);
  CHECK_EQ_INT(n, 2);
  const pp_smsc_message_t *a = find_msg(ms, n, r.h->mid[1]), *b = find_msg(ms, n, r.h->mid[2]);
  CHECK(a && b);
  if (a && b) {
    CHECK_EQ_STR(a->text, gsm);
    CHECK_EQ_INT(a->data_coding, 0);
    CHECK_EQ_STR(a->destination_addr, "15557654321");
    CHECK_EQ_STR(a->source_addr, "15550001111");
    CHECK_EQ_STR(b->text, ucs);
    CHECK_EQ_INT(b->data_coding, 8);
    CHECK(!a->binary && !b->binary);
  }
  free(ms);
  rig_down(&r);
}

static void t_throttle(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  rig_bind(&r);
  pp_smsc_throttle_next(r.m, 5);
  submit_n(r.h, r.s, 0, 20, 0);
  WAIT_CHECK(r.h, 10000, r.h->n_reports == 20);
  CHECK_EQ_INT(r.h->n_ok, 20); /* throttling is never reported as a failure */
  CHECK_EQ_INT(r.h->n_dup, 0);
  pp_smpp_session_stats_t ss = sess_st(r.s);
  CHECK_EQ_INT(ss.throttled, 5);
  CHECK_EQ_INT(ss.submits_sent, 25);
  pp_smsc_stats_t st = smsc_st(r.m);
  CHECK_EQ_INT(st.submits, 20);
  CHECK_EQ_INT(st.submits_throttled, 5);
  /* A longer episode: the pause grows, then everything still goes. */
  pp_smsc_throttle_next(r.m, 30);
  submit_n(r.h, r.s, 100, 10, 0);
  WAIT_CHECK(r.h, 15000, r.h->n_reports == 30);
  CHECK_EQ_INT(r.h->n_ok, 30);
  CHECK_EQ_INT(smsc_st(r.m).submits_throttled, 35);
  /* grown, then halved by the accepted resends (counted after their report) */
  WAIT_CHECK(r.h, 5000, sess_st(r.s).throttle_pause_ms <= 80);
  rig_down(&r);
}

static void t_restart(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  uint16_t port = r.so.port;
  rig_bind(&r);
  submit_n(r.h, r.s, 0, 100, 0);
  WAIT_CHECK(r.h, 5000, r.h->n_ok == 100);
  /* Submits the SMSC reads but never answers, then the SMSC dies. */
  pp_smsc_set_silent(r.m, true);
  submit_n(r.h, r.s, 100, 50, 0);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).submits_held == 50);
  pp_smsc_stop(r.m);
  WAIT_CHECK(r.h, 5000, r.h->n_reports == 150 && !r.h->bound);
  CHECK_EQ_INT(r.h->n_no_answer, 50);
  for (int i = 100; i < 150; i++) CHECK_EQ_INT(r.h->status[i], PP_SMPP_STATUS_NO_ANSWER);
  /* Submits made while it is down wait in the queue. */
  submit_n(r.h, r.s, 200, 100, 0);
  r.mo.port = port;
  r.m = smsc_up(&r.mo);
  WAIT_CHECK(r.h, 10000, r.h->n_up == 2);
  WAIT_CHECK(r.h, 10000, r.h->n_reports == 250);
  CHECK_EQ_INT(r.h->n_ok, 200);
  CHECK_EQ_INT(r.h->n_dup, 0);
  CHECK_EQ_INT(smsc_st(r.m).submits, 100);
  CHECK_EQ_INT(sess_st(r.s).binds, 2);
  rig_down(&r);
}

static void t_enquire(void) {
  /* Ours: enquire_link every 50 ms of silence, answered by the SMSC. */
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  r.so.enquire_link_ms = 50;
  rig_session(&r);
  WAIT_CHECK(r.h, 5000, sess_st(r.s).enquire_answered >= 3 && smsc_st(r.m).enquire_links >= 3);
  CHECK_EQ_INT(sess_st(r.s).binds, 1);
  rig_stop(&r);
  pp_smsc_stop(r.m);
  /* Theirs: the SMSC asks every 30 ms, the session answers. */
  pp_smsc_opts_t mo2 = {.enquire_link_ms = 30};
  r.m = smsc_up(&mo2);
  pp_smpp_session_opts_t so2 = sess_opts(r.h, pp_smsc_port(r.m));
  r.s = sess_up(&so2);
  WAIT_CHECK(r.h, 5000, sess_st(r.s).enquire_received >= 3 && smsc_st(r.m).enquire_answered >= 3);
  rig_down(&r);
}

static void t_badpass(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){.password = "secret"});
  r.so.password = "wrong";
  r.so.reconnect_max_ms = 2000;
  rig_session(&r);
  WAIT_CHECK(r.h, 10000, r.h->n_bind_err >= 6); /* the 6th comes after the 5th backoff */
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(r.h->bind_err[i], PP_ESME_RINVPASWD);
  pp_smpp_session_stats_t ss = sess_st(r.s);
  CHECK(ss.reconnect_ceiling_ms >= 320); /* 20 ms doubled per failure */
  CHECK(ss.reconnect_ceiling_ms <= 2000);
  CHECK_EQ_INT(ss.bound, 0);
  CHECK_EQ_INT(ss.binds, 0);
  CHECK_EQ_INT(r.h->n_up, 0);
  CHECK(smsc_st(r.m).bind_failures >= 5);
  CHECK_EQ_INT(smsc_st(r.m).binds, 0);
  /* Submits wait; stop reports them as never sent. */
  submit_n(r.h, r.s, 0, 3, 0);
  rig_stop(&r);
  CHECK_EQ_INT(r.h->n_not_sent, 3);
  /* A wrong system_id is told apart. */
  pthread_mutex_lock(&r.h->mu);
  r.h->n_bind_err = 0;
  pthread_mutex_unlock(&r.h->mu);
  r.so.password = "secret";
  r.so.system_id = "nobody";
  r.s = sess_up(&r.so);
  WAIT_CHECK(r.h, 5000, r.h->n_bind_err >= 1);
  CHECK_EQ_INT(r.h->bind_err[0], PP_ESME_RINVSYSID);
  rig_stop(&r);
  pp_smsc_stop(r.m);
  /* Nobody listening: connect failures, retried. */
  pthread_mutex_lock(&r.h->mu);
  r.h->n_bind_err = 0;
  pthread_mutex_unlock(&r.h->mu);
  pp_smpp_session_opts_t so2 = sess_opts(r.h, r.so.port);
  r.s = sess_up(&so2);
  WAIT_CHECK(r.h, 5000, r.h->n_bind_err >= 2);
  CHECK_EQ_INT(r.h->bind_err[0], PP_SMPP_STATUS_CONNECT_FAILED);
  rig_stop(&r);
  harness_free(r.h);
}

static void t_mo(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  /* Injected before anyone binds: waits for a receiver. */
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "+15551230000", "15550001111", "Early bird"), PP_OK);
  r.h->refuse_delivers = 1; /* the first is refused once: sent again */
  rig_session(&r);
  WAIT_CHECK(r.h, 10000, r.h->n_mo == 1);
  CHECK_EQ_STR(r.h->mo[0], "Early bird");
  CHECK_EQ_INT(r.h->n_refused, 1);
  const char *ucs = "Привет 👋 from a phone";
  char longtext[400];
  for (int i = 0; i < 300; i++) longtext[i] = (char)('a' + i % 26);
  longtext[300] = '\0';
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "15551230001", "15550001111", "Hi {there} €"), PP_OK);
  WAIT_CHECK(r.h, 5000, r.h->n_mo == 2);
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "15551230002", "15550001111", ucs), PP_OK);
  WAIT_CHECK(r.h, 5000, r.h->n_mo == 3);
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "Alpha", "15550001111", longtext), PP_OK);
  WAIT_CHECK(r.h, 5000, r.h->n_mo == 4);
  CHECK_EQ_STR(r.h->mo[1], "Hi {there} €");
  CHECK_EQ_STR(r.h->mo[2], ucs);
  CHECK_EQ_STR(r.h->mo[3], longtext);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).mo_acked == 5); /* 1 + 1 + 1 + 2 parts */
  CHECK_EQ_INT(smsc_st(r.m).deliver_errors, 1);
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "", "1", "x"), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "123456789012345678901", "1", "x"), PP_ERR_INVALID_PARAM);
  rig_down(&r);
}

static void t_timeout(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  r.so.resp_timeout_ms = 200;
  rig_bind(&r);
  pp_smsc_set_silent(r.m, true);
  submit_n(r.h, r.s, 0, 3, 0);
  WAIT_CHECK(r.h, 5000, r.h->n_reports == 3);
  CHECK_EQ_INT(r.h->n_timeout, 3);
  CHECK(r.h->bound); /* the link itself is fine */
  pp_smsc_set_silent(r.m, false);
  submit_n(r.h, r.s, 3, 1, 0);
  WAIT_CHECK(r.h, 5000, r.h->n_reports == 4);
  CHECK_EQ_INT(r.h->status[3], PP_ESME_ROK);
  CHECK_EQ_INT(sess_st(r.s).binds, 1);
  rig_down(&r);
}

static void on_query_resp(void *arg, uint64_t tag, uint32_t st, uint8_t state) {
  harness_t *h = arg;
  (void)state;
  pthread_mutex_lock(&h->mu);
  h->n_query++;
  h->query_status = st;
  h->query_tag = tag;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

/* A query_sm goes out like a submit and is reported to on_query_resp, never
 * to on_submit_resp (the in-tree SMSC answers ESME_RQUERYFAIL); a session
 * without on_query_resp refuses it. */
static void t_query(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  pp_smpp_pdu_t *q = malloc(sizeof *q);
  CHECK(q != NULL);
  pp_smpp_pdu_init(q, PP_SMPP_QUERY_SM, 0);
  snprintf(q->body.query_sm.message_id, sizeof q->body.query_sm.message_id, "abc123");
  snprintf(q->body.query_sm.source_addr, sizeof q->body.query_sm.source_addr, "15550001111");
  r.so.on_query_resp = on_query_resp;
  rig_bind(&r);
  CHECK_EQ_INT(pp_smpp_session_submit(r.s, q, 77), PP_OK);
  submit_n(r.h, r.s, 0, 1, 0);
  WAIT_CHECK(r.h, 5000, r.h->n_query == 1 && r.h->n_reports == 1);
  CHECK_EQ_INT(r.h->query_status, PP_ESME_RQUERYFAIL);
  CHECK_EQ_INT(r.h->query_tag, 77);
  CHECK_EQ_INT(r.h->status[0], PP_ESME_ROK);
  rig_stop(&r);
  r.so.on_query_resp = NULL;
  r.s = sess_up(&r.so);
  CHECK_EQ_INT(pp_smpp_session_submit(r.s, q, 78), PP_ERR_INVALID_PARAM);
  rig_stop(&r);
  CHECK_EQ_INT(r.h->n_query, 1);
  free(q);
  rig_down(&r);
}

static void t_stop(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  r.so.window = 2;
  r.so.stop_timeout_ms = 400;
  rig_bind(&r);
  pp_smsc_set_silent(r.m, true);
  submit_n(r.h, r.s, 0, 10, 0);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).submits_held == 2);
  rig_stop(&r);
  /* Everything is reported before stop returns. */
  CHECK_EQ_INT(r.h->n_reports, 10);
  CHECK_EQ_INT(r.h->n_no_answer, 2);
  CHECK_EQ_INT(r.h->n_not_sent, 8);
  CHECK_EQ_INT(r.h->n_dup, 0);
  CHECK_EQ_INT(r.h->n_down, 1);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).unbinds == 1);
  rig_down(&r);
}

static void t_tps(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  r.so.tps = 200; /* burst 4 */
  rig_bind(&r);
  int64_t t0 = pp_smpp_now_ms();
  submit_n(r.h, r.s, 0, 100, 0);
  WAIT_CHECK(r.h, 10000, r.h->n_reports == 100);
  int64_t took = pp_smpp_now_ms() - t0;
  /* 96 tokens at 200/s take 480 ms: a lower bound, whatever the machine. */
  CHECK(took >= 400);
  CHECK_EQ_INT(r.h->n_ok, 100);
  rig_down(&r);
}

static void t_txrx(void) {
  rig_t r = rig_smsc((pp_smsc_opts_t){0});
  r.so.bind_mode = PP_SMPP_BIND_TX_RX;
  rig_bind(&r);
  CHECK_EQ_INT(smsc_st(r.m).binds, 2);
  CHECK_EQ_INT(r.h->n_up, 1);
  submit_n(r.h, r.s, 0, 100, 1);
  WAIT_CHECK(r.h, 10000, r.h->n_ok == 100 && r.h->n_receipts == 100);
  CHECK_EQ_INT(r.h->n_receipt_bad, 0);
  CHECK_EQ_INT(pp_smsc_inject_mo(r.m, "15551230001", "15550001111", "to the receiver"), PP_OK);
  WAIT_CHECK(r.h, 5000, r.h->n_mo == 1);
  rig_stop(&r);
  WAIT_CHECK(r.h, 5000, smsc_st(r.m).unbinds == 2);
  rig_down(&r);
}

/* ---- A scripted peer, for the protocol corners ------------------------------------ */

static int listen_any(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 8) == 0);
  getsockname(fd, (struct sockaddr *)&a, &al);
  *port = ntohs(a.sin_port);
  return fd;
}

static int accept_within(int lfd, int ms) {
  if (!wire_readable(lfd, ms)) return -1;
  return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* Accepts the session, checks its bind_transceiver and answers it. */
static int peer_accept_bind(int lfd, pp_smpp_pdu_t *p) {
  int fd = accept_within(lfd, 5000);
  CHECK(fd >= 0);
  if (fd < 0) return -1;
  CHECK(wire_read(fd, p));
  CHECK_EQ_INT(p->h.command_id, PP_SMPP_BIND_TRANSCEIVER);
  CHECK_EQ_STR(p->body.bind_transceiver.system_id, SYSID);
  CHECK_EQ_STR(p->body.bind_transceiver.password, PASSWD);
  CHECK_EQ_INT(p->body.bind_transceiver.interface_version, 0x34);
  pp_smpp_pdu_init_resp(p, p, PP_ESME_ROK);
  snprintf(p->body.bind_transceiver_resp.system_id, 16, "peer");
  wire_send(fd, p);
  return fd;
}

static void *stop_thread(void *s) {
  pp_smpp_session_stop(s);
  return NULL;
}

static void t_peer(void) {
  harness_t *h = harness_new();
  uint16_t port = 0;
  int lfd = listen_any(&port);
  pp_smpp_pdu_t *p = malloc(sizeof *p), *q = malloc(sizeof *q);
  pp_smpp_session_opts_t so = sess_opts(h, port);
  so.stop_timeout_ms = 3000;
  pp_smpp_session_t *s = sess_up(&so);
  int fd = peer_accept_bind(lfd, p);
  WAIT_CHECK(h, 5000, h->bound);

  /* enquire_link is answered. */
  pp_smpp_pdu_init(p, PP_SMPP_ENQUIRE_LINK, 1001);
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  CHECK_EQ_INT(q->h.sequence_number, 1001);

  /* An unknown command: generic_nack ESME_RINVCMDID with its sequence. */
  static const uint8_t unknown[] = {0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0x03, 0xEA};
  wire_raw(fd, unknown, sizeof unknown);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_GENERIC_NACK);
  CHECK_EQ_INT(q->h.command_status, PP_ESME_RINVCMDID);
  CHECK_EQ_INT(q->h.sequence_number, 1002);

  /* A deliver_sm cut short: its _resp with the decoder's status. */
  static const uint8_t cut[] = {0, 0, 0, 19, 0,    0,    0,   5,   0,  0,
                                0, 0, 0, 0,  0x03, 0xEB, 'a', 'b', 'c'};
  wire_raw(fd, cut, sizeof cut);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_DELIVER_SM_RESP);
  CHECK(q->h.command_status != PP_ESME_ROK);
  CHECK_EQ_INT(q->h.sequence_number, 1003);

  /* deliver_sm is answered with what on_deliver returns. */
  pthread_mutex_lock(&h->mu);
  h->refuse_delivers = 1;
  pthread_mutex_unlock(&h->mu);
  pp_smpp_pdu_init(p, PP_SMPP_DELIVER_SM, 1004);
  snprintf(p->body.deliver_sm.source_addr, 21, "15551112222");
  snprintf(p->body.deliver_sm.destination_addr, 21, "15553334444");
  memcpy(p->body.deliver_sm.short_message, "hello", 5);
  p->body.deliver_sm.sm_length = 5;
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_DELIVER_SM_RESP);
  CHECK_EQ_INT(q->h.command_status, PP_ESME_RX_T_APPN);
  p->h.sequence_number = 1005;
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_status, PP_ESME_ROK);
  CHECK_EQ_INT(q->h.sequence_number, 1005);
  WAIT_CHECK(h, 2000, h->n_mo == 1);
  CHECK_EQ_STR(h->mo[0], "hello");

  /* data_sm goes to on_deliver too, and gets a data_sm_resp. */
  pp_smpp_pdu_init(p, PP_SMPP_DATA_SM, 1010);
  snprintf(p->body.data_sm.source_addr, 65, "15551112222");
  CHECK_EQ_INT(pp_smpp_add_message_payload(p, "payload", 7), PP_OK);
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_DATA_SM_RESP);
  CHECK_EQ_INT(q->h.command_status, PP_ESME_ROK);
  CHECK_EQ_INT(q->h.sequence_number, 1010);
  WAIT_CHECK(h, 2000, h->n_data_sm == 1);

  /* A deferred answer comes later, from another thread, as the request's
   * _resp with the status given. */
  pthread_mutex_lock(&h->mu);
  h->defer = true;
  pthread_mutex_unlock(&h->mu);
  p->h.sequence_number = 1011;
  wire_send(fd, p);
  WAIT_CHECK(h, 2000, h->n_held == 1);
  /* Nothing yet: an enquire_link sent after it is answered first. */
  pp_smpp_pdu_init(p, PP_SMPP_ENQUIRE_LINK, 1012);
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  CHECK_EQ_INT(q->h.sequence_number, 1012);
  pthread_mutex_lock(&h->mu);
  h->defer = false;
  pthread_mutex_unlock(&h->mu);
  answer_join(answer_held(h, PP_ESME_RSYSERR, 0, false));
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_DATA_SM_RESP);
  CHECK_EQ_INT(q->h.command_status, PP_ESME_RSYSERR);
  CHECK_EQ_INT(q->h.sequence_number, 1011);

  /* A refused submit is reported with the SMSC's status. */
  submit_n(h, s, 0, 1, 0);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_SUBMIT_SM);
  CHECK_EQ_STR(q->body.submit_sm.destination_addr, "15550000000");
  pp_smpp_pdu_init_resp(p, q, PP_ESME_RINVDSTADR);
  wire_send(fd, p);
  WAIT_CHECK(h, 2000, h->n_reports == 1);
  CHECK_EQ_INT(h->status[0], PP_ESME_RINVDSTADR);

  /* Throttled: sent again with a new sequence number, then accepted. */
  submit_n(h, s, 1, 1, 0);
  CHECK(wire_read(fd, q));
  uint32_t seq1 = q->h.sequence_number;
  pp_smpp_pdu_init_resp(p, q, PP_ESME_RTHROTTLED);
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_SUBMIT_SM);
  CHECK(q->h.sequence_number != seq1);
  CHECK_EQ_STR(q->body.submit_sm.destination_addr, "15550000001");
  pp_smpp_pdu_init_resp(p, q, PP_ESME_ROK);
  snprintf(p->body.submit_sm_resp.message_id, 65, "abc123");
  /* a stray response first: ignored */
  pp_smpp_pdu_init(q, PP_SMPP_SUBMIT_SM_RESP, 77777);
  wire_send(fd, q);
  wire_send(fd, p);
  WAIT_CHECK(h, 2000, h->n_reports == 2);
  CHECK_EQ_INT(h->status[1], PP_ESME_ROK);
  CHECK_EQ_STR(h->mid[1], "abc123");
  CHECK_EQ_INT(h->n_dup, 0);

  /* The peer unbinds: answered, closed, and the session comes back. */
  pp_smpp_pdu_init(p, PP_SMPP_UNBIND, 1006);
  wire_send(fd, p);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_UNBIND_RESP);
  CHECK_EQ_INT(q->h.sequence_number, 1006);
  uint8_t b;
  CHECK(wire_readable(fd, 5000) && recv(fd, &b, 1, 0) == 0); /* closed by the session */
  close(fd);
  fd = peer_accept_bind(lfd, p);
  WAIT_CHECK(h, 5000, h->n_up == 2);

  /* An unframeable length: generic_nack ESME_RINVCMDLEN, then close. */
  static const uint8_t bad_len[] = {0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9};
  wire_raw(fd, bad_len, sizeof bad_len);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_GENERIC_NACK);
  CHECK_EQ_INT(q->h.command_status, PP_ESME_RINVCMDLEN);
  CHECK(wire_readable(fd, 5000) && recv(fd, &b, 1, 0) == 0);
  close(fd);
  fd = peer_accept_bind(lfd, p);
  WAIT_CHECK(h, 5000, h->n_up == 3);

  /* stop: the session unbinds and waits for the answer. */
  pthread_t th;
  pthread_create(&th, NULL, stop_thread, s);
  CHECK(wire_read(fd, q));
  CHECK_EQ_INT(q->h.command_id, PP_SMPP_UNBIND);
  pp_smpp_pdu_init_resp(p, q, PP_ESME_ROK);
  wire_send(fd, p);
  pthread_join(th, NULL);
  CHECK_EQ_INT(h->n_reports, 2);
  close(fd);
  close(lfd);
  free(p);
  free(q);
  harness_free(h);
}

static void t_start_errors(void) {
  pp_smpp_session_t *s = NULL;
  pp_smpp_session_opts_t o = {.host = "127.0.0.1", .port = 1, .system_id = "x"};
  CHECK_EQ_INT(pp_smpp_session_start(&o, &s), PP_ERR_INVALID_PARAM); /* no callback */
  o.on_submit_resp = on_submit_resp;
  o.password = "123456789";
  CHECK_EQ_INT(pp_smpp_session_start(&o, &s), PP_ERR_INVALID_PARAM);
  o.password = "";
  o.system_id = "1234567890123456";
  CHECK_EQ_INT(pp_smpp_session_start(&o, &s), PP_ERR_INVALID_PARAM);
  CHECK(s == NULL);
  pp_smpp_session_stop(NULL);
  CHECK_EQ_STR(pp_smpp_session_status_name(PP_SMPP_STATUS_NO_ANSWER), "NO_ANSWER");
  CHECK_EQ_STR(pp_smpp_session_status_name(PP_ESME_RTHROTTLED), "ESME_RTHROTTLED");
}

static const struct {
  const char *name;
  void (*fn)(void);
} cases[] = {{"bind", t_bind},         {"submits", t_submits}, {"text", t_text},
             {"throttle", t_throttle}, {"restart", t_restart}, {"enquire", t_enquire},
             {"peer", t_peer},         {"badpass", t_badpass}, {"mo", t_mo},
             {"timeout", t_timeout},   {"stop", t_stop},       {"tps", t_tps},
             {"txrx", t_txrx},         {"defer", t_defer},     {"query", t_query}};

int main(int argc, char **argv) {
  t_start_errors();
  bool ran = false;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
    int64_t t0 = pp_smpp_now_ms();
    cases[i].fn();
    fprintf(stderr, "case %s: %lld ms\n", cases[i].name, (long long)(pp_smpp_now_ms() - t0));
    ran = true;
  }
  if (!ran) {
    fprintf(stderr, "unknown case '%s'\n", argv[1]);
    return 2;
  }
  return check_report("test_smpp_session");
}

/* The delivery engine through the channel interface, with a fake channel in
 * place of SMPP and a real SQLite store: routing (longest prefix, failover
 * past a carrier whose links are down or whose channel did not start, no
 * route), a message split into
 * parts, a part refused for good, receipts answered only once committed,
 * an inbound message to a number nobody owns, and a carrier whose settings
 * change getting a new channel (only then).  Before that, without the
 * engine: the kinds a carrier may name, the kind it names, and the SMPP
 * channel's comparison of settings.  Waits are bounded polls. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel/channel.h"
#include "channel/smpp/channel.h"
#include "check.h"
#include "core/clock.h"
#include "core/ids.h"
#include "engine/engine.h"
#include "store/store.h"

static const unsigned char test_master[32] = {7, 1};

/* ---- the fake channel ---------------------------------------------------- *
 * Its links are up when the carrier's port is 1; it does not start when
 * the port is 3; the port is the one setting it compares.  A body goes in parts of
 * ten characters; each part is taken at once with the id
 * "<carrier>-<seq>-<part>", except that a body starting with "refuse" has
 * its first part refused (30005).  Every submit and answer is recorded. */

typedef struct {
  pp_channel_t base;
  pp_channel_callbacks_t cb;
  char name[64];
  int started; /* 1 for the first channel started, 2 for the next, ... */
} fake_t;

#define MAX_EVENTS 64
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char carrier[64], to[32];
  size_t nparts;
} submits[MAX_EVENTS];
static int nsubmits;
static pp_err_t acks[MAX_EVENTS];
static int nacks;
static fake_t *fakes[8];
static int nfakes, nstarted;
static const pp_channel_ops_t fake_ops;

static pp_err_t fake_start(const pp_channel_config_t *cfg, const pp_channel_callbacks_t *cb,
                           pp_channel_t **out) {
  if (cfg->carrier->port == 3) return PP_ERR_INVALID_PARAM;
  fake_t *f = calloc(1, sizeof *f);
  if (!f) return PP_ERR_NOMEM;
  f->base.ops = &fake_ops;
  f->base.window = 8;
  f->cb = *cb;
  snprintf(f->name, sizeof f->name, "%s", cfg->carrier->name);
  pthread_mutex_lock(&mu);
  f->started = ++nstarted;
  fakes[nfakes++] = f;
  pthread_mutex_unlock(&mu);
  if (cfg->carrier->port == 1) cb->on_health(cb->arg, true);
  *out = &f->base;
  return PP_OK;
}

static pp_err_t fake_submit(pp_channel_t *ch, const pp_channel_msg_t *m) {
  fake_t *f = (fake_t *)ch;
  size_t len = strlen(m->body), nparts = len ? (len + 9) / 10 : 1;
  pp_err_t err = f->cb.on_parts(f->cb.arg, m, nparts);
  if (err) return err;
  pthread_mutex_lock(&mu);
  if (nsubmits < MAX_EVENTS) {
    snprintf(submits[nsubmits].carrier, sizeof submits[0].carrier, "%s", f->name);
    snprintf(submits[nsubmits].to, sizeof submits[0].to, "%s", m->to);
    submits[nsubmits++].nparts = nparts;
  }
  pthread_mutex_unlock(&mu);
  for (size_t i = 0; i < nparts; i++) {
    char id[96];
    snprintf(id, sizeof id, "%s-%lld-%zu", f->name, (long long)m->seq, i);
    pp_channel_result_t r = {m->seq, (int)i, PP_CHANNEL_SENT, 0, id};
    if (i == 0 && strncmp(m->body, "refuse", 6) == 0)
      r = (pp_channel_result_t){m->seq, 0, PP_CHANNEL_FAILED, 30005, ""};
    f->cb.on_result(f->cb.arg, &r);
  }
  return PP_OK;
}

static pp_err_t fake_query(pp_channel_t *ch, const char *id, const char *from) {
  (void)ch, (void)id, (void)from;
  return PP_ERR_CLOSED;
}

static void fake_ack(const pp_channel_ack_t *ack, pp_err_t result) {
  (void)ack;
  pthread_mutex_lock(&mu);
  if (nacks < MAX_EVENTS) acks[nacks++] = result;
  pthread_mutex_unlock(&mu);
}

static void fake_stop(pp_channel_t *ch) {
  pthread_mutex_lock(&mu);
  for (int i = 0; i < nfakes; i++)
    if (fakes[i] == (fake_t *)ch) fakes[i] = fakes[--nfakes];
  pthread_mutex_unlock(&mu);
  free(ch);
}

static bool fake_same_config(const pp_carrier_t *a, const pp_carrier_t *b) {
  return a->port == b->port;
}

static const pp_channel_ops_t fake_ops = {"fake",   fake_start, fake_submit,     fake_query,
                                          fake_ack, fake_stop,  fake_same_config};

static fake_t *fake_named(const char *name) {
  fake_t *f = NULL;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < nfakes; i++)
    if (!strcmp(fakes[i]->name, name)) f = fakes[i];
  pthread_mutex_unlock(&mu);
  return f;
}

/* ---- the store ----------------------------------------------------------- */

static pp_store_t *store;
static char account[PP_SID_SIZE];

/* Applies one write to the store, which must take it. */
static void store_put(pp_write_t w) {
  CHECK_EQ_INT(pp_store_write(store, &w), PP_OK);
}

static void put_carrier_at(const char *name, const char *host, int port) {
  pp_carrier_t c = {.port = port};
  snprintf(c.name, sizeof c.name, "%s", name);
  snprintf(c.host, sizeof c.host, "%s", host);
  snprintf(c.system_id, sizeof c.system_id, "sys");
  snprintf(c.bind_mode, sizeof c.bind_mode, "trx");
  snprintf(c.concat, sizeof c.concat, "udh");
  snprintf(c.gsm7, sizeof c.gsm7, "unpacked");
  store_put((pp_write_t){.kind = PP_W_CARRIER_PUT, .u.carrier = &c});
}

static void put_carrier(const char *name, int port) {
  put_carrier_at(name, "127.0.0.1", port);
}

static void put_route(const char *prefix, const char *carrier, int priority) {
  pp_route_rule_t r = {.priority = priority};
  snprintf(r.prefix, sizeof r.prefix, "%s", prefix);
  snprintf(r.carrier, sizeof r.carrier, "%s", carrier);
  store_put((pp_write_t){.kind = PP_W_ROUTE_PUT, .u.route = &r});
}

/* Queues a message; its sid in `sid`. */
static void queue_message(const char *to, const char *body, char sid[PP_SID_SIZE]) {
  pp_message_t m;
  memset(&m, 0, sizeof m);
  pp_sid_new(m.sid, "SM");
  memcpy(m.account_sid, account, sizeof m.account_sid);
  m.to = to;
  m.from = "+15550000000";
  m.body = body;
  m.media_urls = "";
  m.direction = "outbound-api";
  m.status = "queued";
  m.num_segments = 1;
  m.date_created = m.date_updated = pp_clock_now();
  store_put((pp_write_t){.kind = PP_W_MESSAGE_INSERT, .u.message = &m});
  memcpy(sid, m.sid, PP_SID_SIZE);
}

/* Waits (at most 10 s) until message `sid` has status `status`; then
 * returns its error code (-1: it never got there). */
static int wait_status(const char *sid, const char *status) {
  for (int i = 0; i < 1000; i++) {
    pp_arena_t a;
    pp_arena_init(&a, 0);
    pp_message_t m;
    int code = -1;
    if (pp_store_message_get(store, &a, account, sid, &m) == PP_OK && !strcmp(m.status, status))
      code = m.error_code;
    pp_arena_cleanup(&a);
    if (code >= 0) return code;
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  fprintf(stderr, "message %s never became %s\n", sid, status);
  return -1;
}

/* The carrier a submit to `to` went through ("" when none did). */
static const char *carrier_of(const char *to, size_t *nparts) {
  const char *c = "";
  pthread_mutex_lock(&mu);
  for (int i = 0; i < nsubmits; i++)
    if (!strcmp(submits[i].to, to)) {
      c = submits[i].carrier;
      if (nparts) *nparts = submits[i].nparts;
    }
  pthread_mutex_unlock(&mu);
  return c;
}

static int acks_ok(void) {
  int n = 0;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < nacks; i++) n += acks[i] == PP_OK;
  pthread_mutex_unlock(&mu);
  return n;
}

/* A receipt for `id` through carrier `name`'s callbacks, answered later. */
static void receipt(const char *name, const char *id, pp_dlr_state_t state, int code) {
  fake_t *f = fake_named(name);
  CHECK(f != NULL);
  if (!f) return;
  pp_channel_receipt_t r = {id, state, code, false};
  pp_channel_ack_t ack = {.ch = &f->base};
  f->cb.on_receipt(f->cb.arg, &r, &ack);
}

/* The kinds a carrier may name, and the one it names (stored with it). */
static void test_kinds(void) {
  CHECK(pp_channel_find("smpp") == &pp_smpp_channel_ops);
  CHECK(pp_channel_find("nonsense") == NULL);
  CHECK(pp_channel_find("") == NULL);
  CHECK_EQ_STR(pp_channel_kind_at(0), "smpp");
  CHECK(pp_channel_kind_at(1) == NULL);
  pp_carrier_t c;
  memset(&c, 0, sizeof c);
  CHECK_EQ_STR(pp_channel_kind(&c), "smpp"); /* none named: the first */
  snprintf(c.channel, sizeof c.channel, "email");
  CHECK_EQ_STR(pp_channel_kind(&c), "email");

  /* The store keeps it: "smpp" for a carrier written without one. */
  put_carrier("kinds", 2);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_carrier_t *cs;
  size_t n = 0;
  CHECK_EQ_INT(pp_store_carrier_all(store, &a, &cs, &n), PP_OK);
  CHECK_EQ_INT(n, 1);
  if (n == 1) CHECK_EQ_STR(cs[0].channel, "smpp");
  c = cs[0];
  snprintf(c.channel, sizeof c.channel, "other");
  store_put((pp_write_t){.kind = PP_W_CARRIER_PUT, .u.carrier = &c});
  CHECK_EQ_INT(pp_store_carrier_all(store, &a, &cs, &n), PP_OK);
  if (n == 1) CHECK_EQ_STR(pp_channel_kind(&cs[0]), "other");
  pp_arena_cleanup(&a);
  store_put((pp_write_t){.kind = PP_W_CARRIER_DELETE, .u.name = "kinds"});
}

/* The SMPP channel's comparison: every setting it reads counts, and
 * nothing else does. */
static void test_smpp_same_config(void) {
  bool (*same)(const pp_carrier_t *, const pp_carrier_t *) = pp_smpp_channel_ops.same_config;
  CHECK(same != NULL);
  if (!same) return;
  pp_carrier_t a;
  memset(&a, 0, sizeof a);
  snprintf(a.name, sizeof a.name, "c");
  snprintf(a.channel, sizeof a.channel, "smpp");
  snprintf(a.host, sizeof a.host, "smsc.example");
  a.port = 2775;
  snprintf(a.system_id, sizeof a.system_id, "sys");
  snprintf(a.password, sizeof a.password, "pw");
  snprintf(a.bind_mode, sizeof a.bind_mode, "trx");
  snprintf(a.concat, sizeof a.concat, "udh");
  snprintf(a.gsm7, sizeof a.gsm7, "unpacked");
  a.window = 50, a.binds = 1;
  pp_carrier_t b = a;
  CHECK(same(&a, &b));
  b.seq = 9, b.date_created = 1, b.date_updated = 2; /* not settings */
  CHECK(same(&a, &b));
#define DIFFERS(stmt)     \
  do {                    \
    b = a;                \
    stmt;                 \
    CHECK(!same(&a, &b)); \
  } while (0)
  DIFFERS(b.host[0] = 'x');
  DIFFERS(b.port = 2776);
  DIFFERS(b.system_id[0] = 'x');
  DIFFERS(b.password[0] = 'x');
  DIFFERS(snprintf(b.system_type, sizeof b.system_type, "vma"));
  DIFFERS(snprintf(b.bind_mode, sizeof b.bind_mode, "tx+rx"));
  DIFFERS(b.window = 7);
  DIFFERS(b.mps = 100);
  DIFFERS(b.binds = 2);
  DIFFERS(snprintf(b.concat, sizeof b.concat, "sar"));
  DIFFERS(b.payload = 1);
  DIFFERS(snprintf(b.gsm7, sizeof b.gsm7, "packed"));
#undef DIFFERS
}

/* The order in which carrier `name`'s channel started (0: it has none). */
static int started(const char *name) {
  int n = 0;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < nfakes; i++)
    if (!strcmp(fakes[i]->name, name)) n = fakes[i]->started;
  pthread_mutex_unlock(&mu);
  return n;
}

/* Waits (at most 10 s) until carrier `name` has a channel started after
 * the one that was `old`; true when it has. */
static bool wait_new_channel(const char *name, int old) {
  for (int i = 0; i < 1000; i++) {
    if (started(name) > old) return true;
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  fprintf(stderr, "carrier %s never got a new channel\n", name);
  return false;
}

int main(void) {
  CHECK(sodium_init() >= 0);
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/pp-engine-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  CHECK_EQ_INT(pp_store_open(dir, test_master, &store), PP_OK);

  pp_account_t acc = {.status = "active", .auth_token = "0123456789abcdef0123456789abcdef"};
  pp_sid_new(account, "AC");
  memcpy(acc.sid, account, sizeof acc.sid);
  memcpy(acc.owner_sid, account, sizeof acc.owner_sid);
  store_put((pp_write_t){.kind = PP_W_ACCOUNT_INSERT, .u.account = &acc});

  test_kinds();
  test_smpp_same_config();

  put_carrier("a", 1);
  put_carrier("b", 1);
  put_carrier("down", 2);   /* never up */
  put_carrier("broken", 3); /* its channel does not start */
  put_route("+1", "a", 1);
  put_route("+44", "b", 1);
  put_route("+4420", "a", 1);
  put_route("+33", "down", 1);
  put_route("+33", "b", 2);
  put_route("+49", "broken", 1);
  put_route("+49", "b", 2);

  char us[PP_SID_SIZE], uk[PP_SID_SIZE], london[PP_SID_SIZE], fr[PP_SID_SIZE], jp[PP_SID_SIZE],
      refused[PP_SID_SIZE], de[PP_SID_SIZE];
  queue_message("+15551230001", "hello", us);
  queue_message("+447700900001", "twenty-five characters..", uk); /* 3 parts */
  queue_message("+442071234567", "hi London", london);
  queue_message("+33612345678", "bonjour", fr);
  queue_message("+81312345678", "no route", jp);
  queue_message("+15551230002", "refused by the carrier", refused);
  queue_message("+4915112345678", "hallo", de);

  pp_engine_opts_t o = {.store = store, .poll_ms = 5, .refresh_ms = 20, .channel = &fake_ops};
  pp_engine_t *e = NULL;
  CHECK_EQ_INT(pp_engine_start(&o, &e), PP_OK);

  CHECK_EQ_INT(wait_status(us, "sent"), 0);
  CHECK_EQ_INT(wait_status(uk, "sent"), 0);
  CHECK_EQ_INT(wait_status(london, "sent"), 0);
  CHECK_EQ_INT(wait_status(fr, "sent"), 0);
  CHECK_EQ_INT(wait_status(de, "sent"), 0);
  CHECK_EQ_INT(wait_status(jp, "failed"), 21612);
  CHECK_EQ_INT(wait_status(refused, "failed"), 30005);
  size_t nparts = 0;
  CHECK_EQ_STR(carrier_of("+15551230001", NULL), "a");
  CHECK_EQ_STR(carrier_of("+447700900001", &nparts), "b");
  CHECK_EQ_INT(nparts, 3);
  CHECK_EQ_STR(carrier_of("+442071234567", NULL), "a");  /* the longest prefix */
  CHECK_EQ_STR(carrier_of("+33612345678", NULL), "b");   /* "down" is passed over */
  CHECK_EQ_STR(carrier_of("+4915112345678", NULL), "b"); /* "broken" too */
  CHECK_EQ_STR(carrier_of("+81312345678", NULL), "");

  /* Receipts name the parts by the ids the channel gave; each is answered
   * once committed.  The message is delivered when every part is. */
  char id[96];
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_message_t m;
  CHECK_EQ_INT(pp_store_message_get(store, &a, account, uk, &m), PP_OK);
  for (int i = 0; i < 3; i++) {
    snprintf(id, sizeof id, "b-%lld-%d", (long long)m.seq, i);
    receipt("b", id, PP_DLR_DELIVERED, 0);
  }
  CHECK_EQ_INT(wait_status(uk, "delivered"), 0);
  CHECK_EQ_INT(pp_store_message_get(store, &a, account, us, &m), PP_OK);
  snprintf(id, sizeof id, "a-%lld-0", (long long)m.seq);
  receipt("a", id, PP_DLR_UNDELIVERABLE, 30003);
  CHECK_EQ_INT(wait_status(us, "undelivered"), 30003);
  pp_arena_cleanup(&a);
  for (int i = 0; i < 1000 && acks_ok() < 4; i++) nanosleep(&(struct timespec){0, 10000000}, NULL);
  CHECK_EQ_INT(acks_ok(), 4);

  /* An inbound message to a number nobody owns is answered (and dropped). */
  fake_t *fa = fake_named("a");
  CHECK(fa != NULL);
  if (fa) {
    pp_channel_inbound_t in = {"+15559998888", "+15550001111", strdup("hi"), 0, 0, 0};
    pp_channel_ack_t ack = {.ch = &fa->base};
    fa->cb.on_inbound(fa->cb.arg, &in, &ack);
    CHECK_EQ_INT(acks_ok(), 5);
  }

  /* A change the channel does not compare ("a"'s host) keeps its channel;
   * one it does ("down"'s port) gets a new one, here up.  The engine reads
   * every carrier in one pass, so once "down" has its new channel it has
   * read "a"'s change too. */
  int a_before = started("a"), down_before = started("down");
  CHECK(a_before > 0 && down_before > 0);
  put_carrier_at("a", "10.0.0.1", 1);
  put_carrier("down", 1);
  CHECK(wait_new_channel("down", down_before));
  CHECK_EQ_INT(started("a"), a_before);
  char fr2[PP_SID_SIZE];
  queue_message("+33612345679", "bonjour encore", fr2);
  CHECK_EQ_INT(wait_status(fr2, "sent"), 0);
  CHECK_EQ_STR(carrier_of("+33612345679", NULL), "down"); /* up now: first again */

  pp_engine_stop(e);
  CHECK_EQ_INT(nfakes, 0); /* every channel stopped */
  pp_store_free(store);
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK_EQ_INT(system(cmd), 0);
  return check_report("engine_channel");
}

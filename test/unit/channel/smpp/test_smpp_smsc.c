/* The development SMSC driven by a raw SMPP client on 127.0.0.1: binds and
 * credentials, submit answers and the ring of submits, receipts (format,
 * outcome, resend after an error or a lost connection), MO injection,
 * malformed input, throttling and silence.  Run one case with
 * test_smpp_smsc <case>; no argument runs them all. */
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "channel/smpp/dlr.h"
#include "channel/smpp/segment.h"
#include "channel/smpp/smpp_pdu.h"
#include "channel/smpp/smsc.h"
#include "check.h"
#include "smpp_wire.h"

#define SYSID "esme1"
#define PASSWD "secret"

static pp_smpp_pdu_t *P, *Q; /* heap PDUs for the cases */

static pp_smsc_t *up(pp_smsc_opts_t *o) {
  return smsc_up_as(o, SYSID, PASSWD, "test_smpp_smsc");
}

/* Waits for a counter condition with a deadline (the SMSC has no callbacks). */
#define WAIT_CHECK(ms, cond)                                                                      \
  do {                                                                                            \
    int64_t dl_ = pp_smpp_now_ms() + (ms);                                                        \
    while (!(cond) && pp_smpp_now_ms() < dl_) {                                                   \
      struct pollfd none_;                                                                        \
      poll(&none_, 0, 2);                                                                         \
    }                                                                                             \
    if (!(cond)) fprintf(stderr, "%s:%d: timed out waiting for %s\n", __FILE__, __LINE__, #cond); \
    CHECK(cond);                                                                                  \
  } while (0)

static int dial(pp_smsc_t *m) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(pp_smsc_port(m)),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
  return fd;
}

static bool at_eof(int fd) {
  uint8_t b;
  return wire_readable(fd, 5000) && recv(fd, &b, 1, 0) == 0;
}

static size_t enc(const pp_smpp_pdu_t *p, uint8_t *buf, size_t cap) {
  size_t n = 0;
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, cap, &n), PP_OK);
  return n;
}

/* Sends a bind and returns the answer's status. */
static uint32_t bind_as(int fd, uint32_t cmd, const char *sysid, const char *pw, uint32_t seq) {
  pp_smpp_pdu_init(P, cmd, seq);
  pp_smpp_bind_transmitter_t *b = &P->body.bind_transmitter; /* same fields for all three */
  snprintf(b->system_id, sizeof b->system_id, "%s", sysid);
  snprintf(b->password, sizeof b->password, "%s", pw);
  b->interface_version = 0x34;
  wire_send(fd, P);
  if (!wire_read(fd, Q)) return 0xFFFFFFFF;
  CHECK_EQ_INT(Q->h.command_id, cmd | PP_SMPP_RESP_BIT);
  CHECK_EQ_INT(Q->h.sequence_number, seq);
  return Q->h.command_status;
}

/* Dials m and binds as a transceiver (sequence 1), checking that the bind
 * succeeded; returns the socket. */
static int dial_bound(pp_smsc_t *m) {
  int fd = dial(m);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_TRANSCEIVER, SYSID, PASSWD, 1), PP_ESME_ROK);
  return fd;
}

static void make_submit(pp_smpp_pdu_t *p, uint32_t seq, const char *to, const char *text,
                        uint8_t rd_flag) {
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, seq);
  pp_smpp_submit_sm_t *s = &p->body.submit_sm;
  snprintf(s->source_addr, sizeof s->source_addr, "15550001111");
  s->source_addr_ton = 1;
  s->source_addr_npi = 1;
  snprintf(s->destination_addr, sizeof s->destination_addr, "%s", to);
  s->dest_addr_ton = 1;
  s->dest_addr_npi = 1;
  s->registered_delivery = rd_flag;
  pp_smpp_part_t part;
  size_t n = 0;
  CHECK_EQ_INT(pp_smpp_segment(text, strlen(text), NULL, &part, 1, &n), PP_OK);
  pp_smpp_part_apply(&part, p);
}

/* Submits one message and returns its id (static buffer). */
static const char *submit1(int fd, uint32_t seq, const char *to, const char *text, uint8_t rdf) {
  static char id[65];
  make_submit(P, seq, to, text, rdf);
  wire_send(fd, P);
  id[0] = '\0';
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_SUBMIT_SM_RESP);
  CHECK_EQ_INT(Q->h.sequence_number, seq);
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_ROK);
  snprintf(id, sizeof id, "%s", Q->body.submit_sm_resp.message_id);
  return id;
}

/* ---- Cases ------------------------------------------------------------------- */

static void t_binds(void) {
  pp_smsc_opts_t o = {0};
  pp_smsc_t *m = up(&o);

  int fd = dial(m);
  make_submit(P, 7, "1555", "too early", 0);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_SUBMIT_SM_RESP);
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_RINVBNDSTS);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_TRANSCEIVER, "nobody", PASSWD, 1), PP_ESME_RINVSYSID);
  CHECK(at_eof(fd));
  close(fd);

  fd = dial(m);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_TRANSCEIVER, SYSID, "wrong", 1), PP_ESME_RINVPASWD);
  CHECK(at_eof(fd));
  close(fd);

  fd = dial(m);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_TRANSMITTER, SYSID, PASSWD, 2), PP_ESME_ROK);
  CHECK_EQ_STR(Q->body.bind_transmitter_resp.system_id, "pipit-smsc");
  uint8_t v = 0;
  CHECK_EQ_INT(pp_smpp_get_sc_interface_version(Q, &v), PP_OK);
  CHECK_EQ_INT(v, 0x34);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_TRANSMITTER, SYSID, PASSWD, 3), PP_ESME_RALYBND);
  pp_smpp_pdu_init(P, PP_SMPP_ENQUIRE_LINK, 4);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  CHECK_EQ_INT(Q->h.sequence_number, 4);
  pp_smpp_pdu_init(P, PP_SMPP_UNBIND, 5);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_UNBIND_RESP);
  CHECK(at_eof(fd));
  close(fd);

  fd = dial(m);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_RECEIVER, SYSID, PASSWD, 1), PP_ESME_ROK);
  make_submit(P, 2, "1555", "receivers do not submit", 0);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_RINVBNDSTS);
  close(fd);

  WAIT_CHECK(2000, smsc_st(m).open_connections == 0);
  pp_smsc_stats_t s = smsc_st(m);
  CHECK_EQ_INT(s.connections, 4);
  CHECK_EQ_INT(s.binds, 2);
  CHECK_EQ_INT(s.bind_failures, 2);
  CHECK_EQ_INT(s.unbinds, 1);
  CHECK_EQ_INT(s.enquire_links, 1);
  CHECK_EQ_INT(s.submits, 0);

  /* Start errors. */
  pp_smsc_t *x = NULL;
  pp_smsc_opts_t bad = {.system_id = SYSID, .host = "localhost"};
  CHECK_EQ_INT(pp_smsc_start(&bad, &x), PP_ERR_INVALID_PARAM);
  bad.host = "127.0.0.1";
  bad.dlr_fail_percent = 101;
  CHECK_EQ_INT(pp_smsc_start(&bad, &x), PP_ERR_INVALID_PARAM);
  bad.dlr_fail_percent = 0;
  bad.password = "123456789";
  CHECK_EQ_INT(pp_smsc_start(&bad, &x), PP_ERR_INVALID_PARAM);
  bad.password = NULL;
  bad.port = pp_smsc_port(m);
  CHECK_EQ_INT(pp_smsc_start(&bad, &x), PP_ERR_IO); /* in use */
  CHECK(x == NULL);
  pp_smsc_stop(NULL);
  pp_smsc_stop(m);
}

static void t_submits(void) {
  pp_smsc_opts_t o = {.ring_size = 8};
  pp_smsc_t *m = up(&o);
  int fd = dial_bound(m);

  /* Ten submits in one write: ten answers, ids counting up in hex. */
  static uint8_t buf[16384];
  size_t len = 0;
  for (int i = 0; i < 10; i++) {
    char text[16];
    snprintf(text, sizeof text, "text %d", i);
    make_submit(P, 100 + (uint32_t)i, "15559990000", text, 0);
    len += enc(P, buf + len, sizeof buf - len);
  }
  wire_raw(fd, buf, len);
  unsigned long long prev = 0;
  for (int i = 0; i < 10; i++) {
    CHECK(wire_read(fd, Q));
    CHECK_EQ_INT(Q->h.sequence_number, 100 + i);
    CHECK_EQ_INT(Q->h.command_status, PP_ESME_ROK);
    char *end = NULL;
    unsigned long long id = strtoull(Q->body.submit_sm_resp.message_id, &end, 16);
    CHECK(end && *end == '\0' && id > 0);
    if (i) CHECK_EQ_INT(id, prev + 1);
    prev = id;
  }
  pp_smsc_message_t *ms = calloc(8, sizeof *ms);
  size_t n = 0;
  CHECK_EQ_INT(pp_smsc_messages(m, ms, 4, &n), 10);
  CHECK_EQ_INT(n, 4);
  CHECK_EQ_STR(ms[0].text, "text 6");
  CHECK_EQ_STR(ms[3].text, "text 9");
  CHECK_EQ_STR(ms[3].destination_addr, "15559990000");

  /* Text in message_payload; text after a UDH; binary. */
  make_submit(P, 200, "1", "", 0);
  P->body.submit_sm.sm_length = 0;
  CHECK_EQ_INT(pp_smpp_add_message_payload(P, "from the payload", 16), PP_OK);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q) && Q->h.command_status == PP_ESME_ROK);
  pp_smpp_pdu_init(P, PP_SMPP_SUBMIT_SM, 201);
  static const uint8_t udh_text[] = {5, 0, 3, 9, 2, 1, 'p', 'a', 'r', 't'};
  P->body.submit_sm.esm_class = PP_SMPP_ESM_UDHI;
  memcpy(P->body.submit_sm.short_message, udh_text, sizeof udh_text);
  P->body.submit_sm.sm_length = sizeof udh_text;
  wire_send(fd, P);
  CHECK(wire_read(fd, Q) && Q->h.command_status == PP_ESME_ROK);
  pp_smpp_pdu_init(P, PP_SMPP_SUBMIT_SM, 202);
  P->body.submit_sm.data_coding = PP_SMPP_DC_BINARY;
  P->body.submit_sm.sm_length = 3;
  wire_send(fd, P);
  CHECK(wire_read(fd, Q) && Q->h.command_status == PP_ESME_ROK);
  CHECK_EQ_INT(pp_smsc_messages(m, ms, 8, &n), 13);
  CHECK_EQ_INT(n, 8); /* the ring keeps 8 */
  CHECK_EQ_STR(ms[5].text, "from the payload");
  CHECK_EQ_STR(ms[6].text, "part");
  CHECK(ms[7].binary);
  CHECK_EQ_STR(ms[7].text, "");
  CHECK_EQ_INT(smsc_st(m).submits, 13);
  free(ms);
  close(fd);
  pp_smsc_stop(m);
}

/* Reads the next deliver_sm and checks it is a receipt for `id`. */
static void expect_receipt(int fd, const char *id, pp_smpp_dlr_state_t state, const char *text) {
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_DELIVER_SM);
  pp_smpp_deliver_sm_t *d = &Q->body.deliver_sm;
  CHECK_EQ_INT(d->esm_class, PP_SMPP_ESM_RECEIPT);
  CHECK_EQ_STR(d->source_addr, "15552223333"); /* the submit's destination */
  CHECK_EQ_STR(d->destination_addr, "15550001111");
  pp_smpp_dlr_t r;
  CHECK_EQ_INT(pp_smpp_dlr_parse((const char *)d->short_message, d->sm_length, &r), PP_OK);
  CHECK_EQ_STR(r.id, id);
  CHECK_EQ_INT(r.state, state);
  CHECK_EQ_INT(r.sub, 1);
  CHECK_EQ_INT(r.dlvrd, state == PP_SMPP_DLR_DELIVERED ? 1 : 0);
  CHECK(r.fields & PP_SMPP_DLR_F_SUBMIT_DATE);
  CHECK(r.fields & PP_SMPP_DLR_F_DONE_DATE);
  CHECK(r.text_len == strlen(text) && memcmp(r.text, text, r.text_len) == 0);
  char rid[65];
  uint8_t ms = 0;
  CHECK_EQ_INT(pp_smpp_get_receipted_message_id(Q, rid, sizeof rid), PP_OK);
  CHECK_EQ_STR(rid, id);
  CHECK_EQ_INT(pp_smpp_get_message_state(Q, &ms), PP_OK);
  CHECK_EQ_INT(ms, pp_smpp_dlr_state_message_state(state));
}

static void ack(int fd, uint32_t status) {
  pp_smpp_pdu_init_resp(P, Q, status);
  wire_send(fd, P);
}

static void t_receipts(void) {
  pp_smsc_opts_t o = {.dlr_fail_percent = 100, .dlr_delay_ms = 10};
  pp_smsc_t *m = up(&o);
  int fd = dial_bound(m);
  char id[65];
  snprintf(id, sizeof id, "%s", submit1(fd, 2, "15552223333", "Ünïcode receipt text here", 1));
  /* The text is cut to 20 characters, non-ASCII as '?'. */
  expect_receipt(fd, id, PP_SMPP_DLR_UNDELIVERABLE, "?n?code receipt text");
  ack(fd, PP_ESME_RX_T_APPN); /* refused: comes again a second later */
  expect_receipt(fd, id, PP_SMPP_DLR_UNDELIVERABLE, "?n?code receipt text");
  ack(fd, PP_ESME_ROK);
  WAIT_CHECK(2000, smsc_st(m).receipts_acked == 1);
  pp_smsc_stats_t s = smsc_st(m);
  CHECK_EQ_INT(s.receipts_sent, 2);
  CHECK_EQ_INT(s.deliver_errors, 1);

  /* Unanswered when the connection closes: sent again on the next bind. */
  snprintf(id, sizeof id, "%s", submit1(fd, 3, "15552223333", "again", 1));
  expect_receipt(fd, id, PP_SMPP_DLR_UNDELIVERABLE, "again");
  close(fd);
  fd = dial(m);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_RECEIVER, SYSID, PASSWD, 1), PP_ESME_ROK);
  expect_receipt(fd, id, PP_SMPP_DLR_UNDELIVERABLE, "again");
  ack(fd, PP_ESME_ROK);
  WAIT_CHECK(2000, smsc_st(m).receipts_acked == 2 && smsc_st(m).pending == 0);
  close(fd);
  pp_smsc_stop(m);

  /* registered_delivery: 0 none, 2 on failure only, 1 always. */
  pp_smsc_opts_t o2 = {0};
  m = up(&o2);
  fd = dial_bound(m);
  submit1(fd, 2, "15552223333", "none", 0);
  submit1(fd, 3, "15552223333", "failures only", 2);
  snprintf(id, sizeof id, "%s", submit1(fd, 4, "15552223333", "always", 1));
  expect_receipt(fd, id, PP_SMPP_DLR_DELIVERED, "always"); /* the first receipt is this one */
  ack(fd, PP_ESME_ROK);
  WAIT_CHECK(2000, smsc_st(m).receipts_acked == 1);
  CHECK_EQ_INT(smsc_st(m).receipts_sent, 1);
  close(fd);
  pp_smsc_stop(m);
}

static void t_mo(void) {
  pp_smsc_opts_t o = {0};
  pp_smsc_t *m = up(&o);
  CHECK_EQ_INT(pp_smsc_inject_mo(m, "+15551230000", "15550001111", "Hi @ home"), PP_OK);
  CHECK_EQ_INT(pp_smsc_inject_mo(m, "Alpha", "15550001111", "Привет"), PP_OK);
  char big[1700];
  memset(big, 'a', 1601);
  big[1601] = '\0';
  CHECK_EQ_INT(pp_smsc_inject_mo(m, "1", "2", big), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_smsc_inject_mo(m, "1", "2", NULL), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_smsc_inject_mo(m, "1", "+", "x"), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(smsc_st(m).pending, 2);

  /* A transmitter gets none; the receiver gets both, in order. */
  int tx = dial(m);
  CHECK_EQ_INT(bind_as(tx, PP_SMPP_BIND_TRANSMITTER, SYSID, PASSWD, 1), PP_ESME_ROK);
  int fd = dial(m);
  CHECK_EQ_INT(bind_as(fd, PP_SMPP_BIND_RECEIVER, SYSID, PASSWD, 1), PP_ESME_ROK);
  CHECK(wire_read(fd, Q));
  pp_smpp_deliver_sm_t *d = &Q->body.deliver_sm;
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_DELIVER_SM);
  CHECK_EQ_INT(d->esm_class, 0);
  CHECK_EQ_STR(d->source_addr, "15551230000");
  CHECK_EQ_INT(d->source_addr_ton, 1);
  CHECK_EQ_INT(d->source_addr_npi, 1);
  CHECK_EQ_STR(d->destination_addr, "15550001111");
  CHECK_EQ_INT(d->data_coding, PP_SMPP_DC_DEFAULT);
  char text[800];
  size_t n = 0;
  CHECK_EQ_INT(
      pp_smpp_text_to_utf8(d->data_coding, d->short_message, d->sm_length, text, sizeof text, &n),
      PP_OK);
  CHECK_EQ_STR(text, "Hi @ home");
  ack(fd, PP_ESME_ROK);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_STR(d->source_addr, "Alpha");
  CHECK_EQ_INT(d->source_addr_ton, 5);
  CHECK_EQ_INT(d->data_coding, PP_SMPP_DC_UCS2);
  CHECK_EQ_INT(
      pp_smpp_text_to_utf8(d->data_coding, d->short_message, d->sm_length, text, sizeof text, &n),
      PP_OK);
  CHECK_EQ_STR(text, "Привет");
  ack(fd, PP_ESME_ROK);
  WAIT_CHECK(2000, smsc_st(m).mo_acked == 2 && smsc_st(m).pending == 0);
  /* Nothing reached the transmitter: an enquire_link is the next thing it reads. */
  pp_smpp_pdu_init(P, PP_SMPP_ENQUIRE_LINK, 9);
  wire_send(tx, P);
  CHECK(wire_read(tx, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  close(tx);
  close(fd);
  pp_smsc_stop(m);
}

static void t_malformed(void) {
  pp_smsc_opts_t o = {0};
  pp_smsc_t *m = up(&o);
  int fd = dial_bound(m);
  static const uint8_t unknown[] = {0, 0, 0, 16, 0, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0, 2};
  wire_raw(fd, unknown, sizeof unknown); /* submit_multi: not supported */
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_GENERIC_NACK);
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_RINVCMDID);
  CHECK_EQ_INT(Q->h.sequence_number, 2);
  static const uint8_t cut[] = {0, 0, 0, 20, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 1, '1'};
  wire_raw(fd, cut, sizeof cut); /* submit_sm whose source_addr never ends */
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_SUBMIT_SM_RESP);
  CHECK(Q->h.command_status != PP_ESME_ROK);
  CHECK_EQ_INT(Q->h.sequence_number, 3);
  pp_smpp_pdu_init(P, PP_SMPP_QUERY_SM, 4);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_QUERY_SM_RESP);
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_RQUERYFAIL);
  static const uint8_t short_len[] = {0, 0, 0, 10, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 5};
  wire_raw(fd, short_len, sizeof short_len);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_GENERIC_NACK);
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_RINVCMDLEN);
  CHECK(at_eof(fd));
  close(fd);
  fd = dial(m);
  static const uint8_t huge[] = {0, 1, 0x11, 0x70, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 6};
  wire_raw(fd, huge, sizeof huge); /* 70000 octets */
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_GENERIC_NACK);
  CHECK_EQ_INT(Q->h.command_status, PP_ESME_RINVCMDLEN);
  CHECK(at_eof(fd));
  close(fd);
  WAIT_CHECK(2000, smsc_st(m).open_connections == 0);
  CHECK(smsc_st(m).nacks >= 3);
  pp_smsc_stop(m);
}

static void t_throttle(void) {
  pp_smsc_opts_t o = {0};
  pp_smsc_t *m = up(&o);
  int fd = dial_bound(m);
  pp_smsc_throttle_next(m, 3);
  for (uint32_t i = 0; i < 5; i++) {
    make_submit(P, 10 + i, "1555", "t", 0);
    wire_send(fd, P);
    CHECK(wire_read(fd, Q));
    CHECK_EQ_INT(Q->h.command_status, i < 3 ? PP_ESME_RTHROTTLED : PP_ESME_ROK);
  }
  /* Silent: the submit is read, not answered; the enquire_link after it is. */
  pp_smsc_set_silent(m, true);
  make_submit(P, 20, "1555", "into the void", 0);
  wire_send(fd, P);
  pp_smpp_pdu_init(P, PP_SMPP_ENQUIRE_LINK, 21);
  wire_send(fd, P);
  CHECK(wire_read(fd, Q));
  CHECK_EQ_INT(Q->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  pp_smsc_set_silent(m, false);
  pp_smsc_stats_t s = smsc_st(m);
  CHECK_EQ_INT(s.submits_throttled, 3);
  CHECK_EQ_INT(s.submits, 2);
  CHECK_EQ_INT(s.submits_held, 1);
  close(fd);
  pp_smsc_stop(m);
}

static const struct {
  const char *name;
  void (*fn)(void);
} cases[] = {{"binds", t_binds}, {"submits", t_submits},     {"receipts", t_receipts},
             {"mo", t_mo},       {"malformed", t_malformed}, {"throttle", t_throttle}};

int main(int argc, char **argv) {
  P = malloc(sizeof *P);
  Q = malloc(sizeof *Q);
  bool ran = false;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
    cases[i].fn();
    ran = true;
  }
  free(P);
  free(Q);
  if (!ran) {
    fprintf(stderr, "unknown case '%s'\n", argv[1]);
    return 2;
  }
  return check_report("test_smpp_smsc");
}

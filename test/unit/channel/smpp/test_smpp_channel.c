/* SMPP through the channel interface (channel.h) against the in-tree
 * development SMSC on 127.0.0.1: a link comes up, a long message goes as
 * two UDH parts that the SMSC reassembles, each part's result carries the
 * SMSC's id, the receipts come back under those ids and are answered only
 * through pp_channel_ack (a refusal makes the SMSC send one again), a
 * handset message arrives decoded, a body over 64 parts is refused before
 * anything is sent, and stop reports the link down.  Every wait is on a
 * condition with a deadline. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel/smpp/channel.h"
#include "channel/smpp/smsc.h"
#include "check.h"

#define MAX 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int up, parts_calls;
static size_t nparts;
static const pp_channel_msg_t *parts_msg;
static pp_channel_result_t results[MAX];
static char result_ids[MAX][66];
static int nresults;
static char receipt_ids[MAX][66];
static pp_channel_receipt_t receipts[MAX];
static pp_channel_ack_t acks[MAX];
static int nreceipts;
static char mo_from[32], mo_to[32], mo_text[64];
static int nmo, mo_total;
static pp_channel_ack_t mo_ack;

static pp_err_t on_parts(void *arg, const pp_channel_msg_t *m, size_t n) {
  (void)arg;
  pthread_mutex_lock(&mu);
  parts_calls++;
  parts_msg = m;
  nparts = n;
  pthread_mutex_unlock(&mu);
  return PP_OK;
}

static void on_result(void *arg, const pp_channel_result_t *r) {
  (void)arg;
  pthread_mutex_lock(&mu);
  if (nresults < MAX) {
    results[nresults] = *r;
    snprintf(result_ids[nresults], sizeof result_ids[0], "%s", r->id);
    nresults++;
  }
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

/* Keeps every receipt's ack: the test answers from its own thread. */
static pp_err_t on_receipt(void *arg, const pp_channel_receipt_t *r, const pp_channel_ack_t *ack) {
  (void)arg;
  CHECK(ack != NULL);
  pthread_mutex_lock(&mu);
  if (nreceipts < MAX && ack) {
    receipts[nreceipts] = *r;
    snprintf(receipt_ids[nreceipts], sizeof receipt_ids[0], "%s", r->id);
    acks[nreceipts] = *ack;
    nreceipts++;
  }
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return PP_OK;
}

static pp_err_t on_inbound(void *arg, pp_channel_inbound_t *m, const pp_channel_ack_t *ack) {
  (void)arg;
  pthread_mutex_lock(&mu);
  snprintf(mo_from, sizeof mo_from, "%s", m->from);
  snprintf(mo_to, sizeof mo_to, "%s", m->to);
  snprintf(mo_text, sizeof mo_text, "%s", m->text);
  mo_total = m->total;
  nmo++;
  if (ack) mo_ack = *ack;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  free(m->text);
  return PP_OK;
}

static void on_health(void *arg, bool link_up) {
  (void)arg;
  pthread_mutex_lock(&mu);
  up += link_up ? 1 : -1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

/* Waits at most 10 s for `cond` (read under mu). */
#define WAIT(cond)                                                  \
  do {                                                              \
    struct timespec dl;                                             \
    clock_gettime(CLOCK_REALTIME, &dl);                             \
    dl.tv_sec += 10;                                                \
    pthread_mutex_lock(&mu);                                        \
    while (!(cond) && pthread_cond_timedwait(&cv, &mu, &dl) == 0) { \
    }                                                               \
    bool ok_ = (cond);                                              \
    pthread_mutex_unlock(&mu);                                      \
    CHECK(ok_);                                                     \
  } while (0)

/* Waits at most 10 s for the SMSC counter at offset `off` to reach `n`. */
static bool smsc_reaches(pp_smsc_t *m, size_t off, uint64_t n) {
  for (int i = 0; i < 1000; i++) {
    pp_smsc_stats_t st;
    pp_smsc_stats(m, &st);
    if (*(uint64_t *)((char *)&st + off) >= n) return true;
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  }
  return false;
}
#define SMSC_REACHES(m, field, n) CHECK(smsc_reaches(m, offsetof(pp_smsc_stats_t, field), n))

int main(void) {
  pp_smsc_opts_t so = {.system_id = "pipit", .password = "pw123"};
  pp_smsc_t *smsc = NULL;
  CHECK_EQ_INT(pp_smsc_start(&so, &smsc), PP_OK);
  if (!smsc) return check_report("smpp_channel");

  pp_carrier_t car = {.port = pp_smsc_port(smsc), .window = 10, .binds = 1};
  snprintf(car.name, sizeof car.name, "dev");
  snprintf(car.host, sizeof car.host, "127.0.0.1");
  snprintf(car.system_id, sizeof car.system_id, "pipit");
  snprintf(car.password, sizeof car.password, "pw123");
  snprintf(car.bind_mode, sizeof car.bind_mode, "trx");
  snprintf(car.concat, sizeof car.concat, "udh");
  snprintf(car.gsm7, sizeof car.gsm7, "unpacked");
  pp_channel_config_t cfg = {.carrier = &car};
  pp_channel_callbacks_t cb = {on_parts, on_result, on_receipt, on_inbound, on_health, NULL};
  const pp_channel_ops_t *ops = pp_channel_find("smpp");
  CHECK(ops == &pp_smpp_channel_ops);
  pp_channel_t *ch = NULL;
  CHECK_EQ_INT(ops->start(&cfg, &cb, &ch), PP_OK);
  if (!ch) return check_report("smpp_channel");
  CHECK_EQ_INT(ch->window, 10 * 1 * 4);
  WAIT(up == 1);

  /* 200 GSM-7 characters: two parts, each answered with the SMSC's id. */
  char body[201];
  for (int i = 0; i < 200; i++) body[i] = (char)('a' + i % 26);
  body[200] = '\0';
  pp_channel_msg_t msg = {4242, "+15551234567", "+15550000000", body, NULL};
  CHECK_EQ_INT(ops->submit(ch, &msg), PP_OK);
  CHECK_EQ_INT(parts_calls, 1);
  CHECK(parts_msg == &msg);
  CHECK_EQ_INT(nparts, 2);
  WAIT(nresults == 2);
  for (int i = 0; i < 2 && i < nresults; i++) {
    CHECK_EQ_INT(results[i].seq, 4242);
    CHECK_EQ_INT(results[i].outcome, PP_CHANNEL_SENT);
    CHECK(result_ids[i][0] != '\0');
  }
  CHECK(results[0].part != results[1].part);
  pp_smsc_message_t sent[2];
  size_t nsent = 0;
  CHECK_EQ_INT(pp_smsc_messages(smsc, sent, 2, &nsent), 2);
  CHECK_EQ_INT(nsent, 2);
  char joined[2 * PP_SMSC_TEXT_MAX];
  snprintf(joined, sizeof joined, "%s%s", sent[0].text, sent[1].text);
  CHECK_EQ_STR(joined, body);
  CHECK_EQ_STR(sent[0].destination_addr, "15551234567");
  CHECK_EQ_INT(sent[0].esm_class & 0x40, 0x40); /* UDH */

  /* Their receipts, under the ids the results gave.  The first answer is a
   * refusal (the store is closing): the SMSC sends that one again. */
  WAIT(nreceipts == 2);
  for (int i = 0; i < 2 && i < nreceipts; i++) {
    CHECK(!strcmp(receipt_ids[i], result_ids[0]) || !strcmp(receipt_ids[i], result_ids[1]));
    CHECK_EQ_INT(receipts[i].state, PP_DLR_DELIVERED);
    CHECK_EQ_INT(receipts[i].code, 0);
    CHECK(!receipts[i].queried);
  }
  pp_smsc_stats_t st;
  pp_smsc_stats(smsc, &st);
  CHECK_EQ_INT(st.receipts_acked, 0); /* nothing is answered before the ack */
  pp_channel_ack(&acks[0], PP_ERR_CLOSED);
  pp_channel_ack(&acks[1], PP_OK);
  SMSC_REACHES(smsc, deliver_errors, 1);
  SMSC_REACHES(smsc, receipts_acked, 1);
  WAIT(nreceipts == 3);
  pp_channel_ack(&acks[2], PP_OK);
  SMSC_REACHES(smsc, receipts_acked, 2);

  /* A handset message, decoded, its addresses in E.164. */
  CHECK_EQ_INT(pp_smsc_inject_mo(smsc, "+15550001111", "+15552223333", "héllo"), PP_OK);
  WAIT(nmo == 1);
  CHECK_EQ_STR(mo_from, "+15550001111");
  CHECK_EQ_STR(mo_to, "+15552223333");
  CHECK_EQ_STR(mo_text, "héllo");
  CHECK_EQ_INT(mo_total, 0);
  pp_channel_ack(&mo_ack, PP_OK);
  SMSC_REACHES(smsc, mo_acked, 1);

  /* More than 64 parts: refused before on_parts, nothing sent. */
  size_t big = 64 * 153 + 10;
  char *huge = malloc(big + 1);
  CHECK(huge != NULL);
  if (huge) {
    memset(huge, 'x', big);
    huge[big] = '\0';
    pp_channel_msg_t hm = {4243, "+15551234567", "+15550000000", huge, NULL};
    CHECK_EQ_INT(ops->submit(ch, &hm), PP_ERR_BAD_REQUEST);
    CHECK_EQ_INT(parts_calls, 1);
    free(huge);
  }

  ops->stop(ch);
  CHECK_EQ_INT(up, 0);
  CHECK_EQ_INT(nresults, 2);
  pp_smsc_stop(smsc);
  return check_report("smpp_channel");
}

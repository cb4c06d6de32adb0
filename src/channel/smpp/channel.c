/* channel.c (smpp): SMPP 3.4 behind the channel interface (see channel.h):
 * segmentation and GSM-7 / UCS-2 encoding, submit_sm and query_sm
 * building, and the reading of receipts and handset messages out of
 * deliver_sm.  The engine thread submits; the session threads report. */
#include "channel/smpp/channel.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel/smpp/dlr.h"
#include "channel/smpp/gsm7.h"
#include "channel/smpp/segment.h"
#include "channel/smpp/session.h"
#include "core/log.h"

#define MAX_PARTS 64 /* 1,600 characters of UCS-2 need 48 */
#define MO_PARTS_MAX 16

typedef struct {
  pp_channel_t base;
  pp_channel_callbacks_t cb;
  pp_carrier_t cfg;
  pp_smpp_session_t **sess;
  int nsess;
  _Atomic unsigned rr;
  /* The submitting thread's buffers. */
  pp_smpp_pdu_t *pdu; /* 66 KiB */
  pp_smpp_part_t parts[MAX_PARTS];
  uint8_t payload[8192]; /* a whole message for message_payload (1,600 chars) */
  uint8_t packed[8192];  /* the same, packed, for carriers that want packed GSM-7 */
} smpp_channel_t;

_Static_assert(sizeof(pp_smpp_deliver_ctx_t) <= sizeof(((pp_channel_ack_t *)0)->opaque),
               "a deliver context fits in an ack");

/* The carrier wants GSM-7 text (data_coding 0) with its septets packed. */
static bool gsm7_packed(const pp_carrier_t *cfg) {
  return strcmp(cfg->gsm7, "packed") == 0;
}

/* ---- submits and their results ------------------------------------------ */

/* Twilio error codes for an SMSC's refusal of a submit_sm. */
static int submit_error_code(uint32_t status) {
  switch (status) {
    case PP_ESME_RINVDSTADR:
      return pp_err_twilio_code(PP_ERR_DELIVERY_UNKNOWN_HANDSET);
    case PP_ESME_RINVSRCADR:
      return pp_err_twilio_code(PP_ERR_DELIVERY_SENDER_REFUSED);
    default:
      return pp_err_twilio_code(PP_ERR_DELIVERY_REFUSED);
  }
}

static bool transient(uint32_t status) {
  return status >= PP_SMPP_STATUS_NO_ANSWER || status == PP_ESME_RTHROTTLED ||
         status == PP_ESME_RMSGQFUL || status == PP_ESME_RSYSERR;
}

/* Reports the result of the part tagged `tag` (seq << 8 | part). */
static void report(smpp_channel_t *c, uint64_t tag, uint32_t status, const char *msgid) {
  pp_channel_result_t r = {.seq = (int64_t)(tag >> 8), .part = (int)(tag & 0xff), .id = ""};
  if (status == PP_ESME_ROK && msgid && *msgid) {
    r.outcome = PP_CHANNEL_SENT;
    r.id = msgid;
  } else {
    if (status == PP_ESME_ROK) status = PP_SMPP_STATUS_BAD_RESP; /* no id to match receipts */
    r.outcome = transient(status) ? PP_CHANNEL_RETRY : PP_CHANNEL_FAILED;
    r.code = submit_error_code(status);
  }
  c->cb.on_result(c->cb.arg, &r);
}

static void on_submit_resp(void *arg, uint64_t tag, uint32_t status, const char *message_id) {
  report(arg, tag, status, message_id);
}

static void on_state(void *arg, bool bound) {
  smpp_channel_t *c = arg;
  pp_log_info("engine", "carrier %s: a bind is %s", c->cfg.name, bound ? "up" : "down");
  c->cb.on_health(c->cb.arg, bound);
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

/* Engine thread: per carrier, long messages as UDH or SAR parts, or whole
 * in one message_payload TLV; each part to a bind chosen round robin. */
static pp_err_t smpp_submit(pp_channel_t *ch, const pp_channel_msg_t *m) {
  smpp_channel_t *c = (smpp_channel_t *)ch;
  const char *body = m->body;
  bool sar = strcmp(c->cfg.concat, "sar") == 0;
  pp_smpp_segment_opts_t so = {.concat = sar ? PP_SMPP_CONCAT_SAR : PP_SMPP_CONCAT_UDH,
                               .ref = (uint16_t)(m->seq & (sar ? 0xffff : 0xff))};
  size_t nparts = 0, plen = 0;
  uint8_t dc = PP_SMPP_DC_DEFAULT;
  size_t blen = strlen(body);
  bool payload = c->cfg.payload != 0;
  pp_err_t enc = payload
                     ? (pp_gsm7_representable(body, blen)
                            ? pp_gsm7_from_utf8(body, blen, c->payload, sizeof c->payload, &plen)
                            : (dc = PP_SMPP_DC_UCS2,
                               pp_ucs2_from_utf8(body, blen, c->payload, sizeof c->payload, &plen)))
                     : pp_smpp_segment(body, blen, &so, c->parts, MAX_PARTS, &nparts);
  if (payload && enc == PP_OK) nparts = 1;
  /* Packed GSM-7 where the carrier wants it: each part's septets after its
   * UDH and fill bits, or the whole message_payload. */
  const uint8_t *pl = c->payload;
  if (enc == PP_OK && gsm7_packed(&c->cfg)) {
    if (payload && dc == PP_SMPP_DC_DEFAULT) {
      enc = pp_gsm7_pack(c->payload, plen, 0, c->packed, sizeof c->packed, &plen);
      pl = c->packed;
    }
    for (size_t i = 0; !payload && enc == PP_OK && i < nparts; i++)
      enc = pp_smpp_part_pack(&c->parts[i]);
  }
  if (enc != PP_OK || nparts == 0) return PP_ERR_BAD_REQUEST;
  pp_err_t err = c->cb.on_parts(c->cb.arg, m, nparts);
  if (err) return err;
  for (size_t i = 0; i < nparts; i++) {
    pp_smpp_pdu_t *pdu = c->pdu;
    pp_smpp_pdu_init(pdu, PP_SMPP_SUBMIT_SM, 0);
    __typeof__(pdu->body.submit_sm) *s = &pdu->body.submit_sm;
    fill_addr(s->source_addr, sizeof s->source_addr, &s->source_addr_ton, &s->source_addr_npi,
              m->from);
    fill_addr(s->destination_addr, sizeof s->destination_addr, &s->dest_addr_ton, &s->dest_addr_npi,
              m->to);
    s->registered_delivery = 1;
    uint64_t tag = ((uint64_t)m->seq << 8) | i;
    if (payload) {
      s->data_coding = dc;
      s->sm_length = 0;
      err = pp_smpp_add_message_payload(pdu, pl, plen);
    } else {
      err = pp_smpp_part_apply(&c->parts[i], pdu);
    }
    if (!err) {
      unsigned k = atomic_fetch_add(&c->rr, 1) % (unsigned)c->nsess;
      err = pp_smpp_session_submit(c->sess[k], pdu, tag);
    }
    if (err) report(c, tag, PP_SMPP_STATUS_NOT_SENT, NULL);
  }
  return PP_OK;
}

/* ---- receipts ------------------------------------------------------------ */

static int receipt_error(pp_smpp_dlr_state_t s) {
  switch (s) {
    case PP_SMPP_DLR_UNDELIVERABLE:
      return pp_err_twilio_code(PP_ERR_DELIVERY_UNREACHABLE);
    case PP_SMPP_DLR_REJECTED:
      return pp_err_twilio_code(PP_ERR_DELIVERY_FILTERED);
    case PP_SMPP_DLR_EXPIRED:
      return pp_err_twilio_code(PP_ERR_DELIVERY_UNREACHABLE);
    default:
      return pp_err_twilio_code(PP_ERR_DELIVERY_UNKNOWN);
  }
}

static bool final_state(pp_smpp_dlr_state_t s) {
  return s == PP_SMPP_DLR_DELIVERED || s == PP_SMPP_DLR_UNDELIVERABLE ||
         s == PP_SMPP_DLR_REJECTED || s == PP_SMPP_DLR_EXPIRED || s == PP_SMPP_DLR_DELETED;
}

/* The deliver_sm_resp status for an outcome the engine gave. */
static uint32_t deliver_status(pp_err_t e) {
  if (!e) return PP_ESME_ROK;
  if (e == PP_ERR_STORE_FULL || e == PP_ERR_CLOSED)
    return PP_ESME_RX_T_APPN; /* temporary: the SMSC delivers it again later */
  return PP_ESME_RSYSERR;     /* the SMSC sends it again */
}

/* Hands a final receipt to the engine: deferred when the session gave a
 * handle (`ack`), else answered with the outcome. */
static uint32_t give_receipt(smpp_channel_t *c, const char *id, pp_smpp_dlr_state_t state,
                             const pp_channel_ack_t *ack) {
  pp_channel_receipt_t r = {id, (pp_dlr_state_t)state,
                            state == PP_SMPP_DLR_DELIVERED ? 0 : receipt_error(state), false};
  pp_err_t err = c->cb.on_receipt(c->cb.arg, &r, ack);
  return ack ? PP_SMPP_DELIVER_DEFER : deliver_status(err);
}

static uint32_t handle_receipt(smpp_channel_t *c, const pp_smpp_pdu_t *pdu, const uint8_t *sm,
                               size_t len, const pp_channel_ack_t *ack) {
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
  return give_receipt(c, id, state, ack);
}

/* ---- reconciliation: query_sm ------------------------------------------- */

/* Session thread: the answer to a query_sm; `tag` is the SMSC id asked
 * about (malloc'd, freed here).  A final state is a receipt nobody waits
 * for. */
static void on_query_resp(void *arg, uint64_t tag, uint32_t status, uint8_t message_state) {
  smpp_channel_t *c = arg;
  char *id = (char *)(uintptr_t)tag;
  pp_smpp_dlr_state_t state = pp_smpp_dlr_state_from_message_state(message_state);
  if (status == PP_ESME_ROK && final_state(state)) {
    pp_channel_receipt_t r = {id, (pp_dlr_state_t)state,
                              state == PP_SMPP_DLR_DELIVERED ? 0 : receipt_error(state), true};
    c->cb.on_receipt(c->cb.arg, &r, NULL);
  }
  free(id);
}

/* Engine thread: a query_sm (message_id, and the message's From as
 * source_addr) through a bind's window like a submit. */
static pp_err_t smpp_query(pp_channel_t *ch, const char *id, const char *from) {
  smpp_channel_t *c = (smpp_channel_t *)ch;
  if (c->nsess == 0) return PP_ERR_CLOSED;
  pp_smpp_pdu_t *pdu = c->pdu;
  pp_smpp_pdu_init(pdu, PP_SMPP_QUERY_SM, 0);
  __typeof__(pdu->body.query_sm) *q = &pdu->body.query_sm;
  snprintf(q->message_id, sizeof q->message_id, "%s", id);
  fill_addr(q->source_addr, sizeof q->source_addr, &q->source_addr_ton, &q->source_addr_npi, from);
  char *tag = strdup(id);
  if (!tag) return PP_ERR_NOMEM;
  unsigned k = atomic_fetch_add(&c->rr, 1) % (unsigned)c->nsess;
  pp_err_t err = pp_smpp_session_submit(c->sess[k], pdu, (uint64_t)(uintptr_t)tag);
  if (err) free(tag);
  return err;
}

/* ---- handset messages ---------------------------------------------------- */

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

/* A handset message (or one part of it): decoded (GSM-7, Latin-1, UCS-2;
 * unpacked first on a packed carrier), its concatenation from the UDH or
 * the sar_* TLVs, handed to the engine. */
static uint32_t handle_mo(smpp_channel_t *c, const pp_smpp_pdu_t *pdu, const uint8_t *sm,
                          size_t len, const pp_channel_ack_t *ack) {
  const __typeof__(pdu->body.deliver_sm) *d = &pdu->body.deliver_sm;
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
  pp_err_t dec =
      text ? pp_smpp_text_to_utf8(d->data_coding, ud, ud_len, text, cap, &tlen) : PP_ERR_NOMEM;
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
  if (udh.concat &&
      (udh.total < 2 || udh.total > MO_PARTS_MAX || udh.seq < 1 || udh.seq > udh.total))
    udh.concat = false; /* not a usable part: taken as a message of its own */
  pp_channel_inbound_t m = {from, to, text, 0, 0, 0};
  if (udh.concat) {
    m.ref = (int)udh.ref;
    m.total = (int)udh.total;
    m.part = (int)udh.seq;
  }
  pp_err_t err = c->cb.on_inbound(c->cb.arg, &m, ack);
  return ack ? PP_SMPP_DELIVER_DEFER : deliver_status(err);
}

/* Session thread: a receipt (esm_class & 0x04) or a handset message.  With
 * a handle the engine answers through smpp_ack once it has recorded it. */
static uint32_t on_deliver(void *arg, const pp_smpp_pdu_t *pdu, const pp_smpp_deliver_ctx_t *ctx) {
  smpp_channel_t *c = arg;
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
  pp_channel_ack_t ack = {.ch = &c->base};
  if (ctx) memcpy(ack.opaque, ctx, sizeof *ctx);
  if (d->esm_class & 0x04) return handle_receipt(c, pdu, sm, len, ctx ? &ack : NULL);
  return handle_mo(c, pdu, sm, len, ctx ? &ack : NULL);
}

/* Any thread: the deferred deliver_sm_resp. */
static void smpp_ack(const pp_channel_ack_t *ack, pp_err_t result) {
  pp_smpp_deliver_ctx_t ctx;
  memcpy(&ctx, ack->opaque, sizeof ctx);
  pp_smpp_session_deliver_resp(&ctx, deliver_status(result)); /* may free the session after */
}

/* ---- start and stop ------------------------------------------------------ */

/* Each session's stop reports its unanswered submits and waits until its
 * deferred deliver answers have been given. */
static void smpp_stop(pp_channel_t *ch) {
  smpp_channel_t *c = (smpp_channel_t *)ch;
  if (!c) return;
  for (int i = 0; i < c->nsess; i++) pp_smpp_session_stop(c->sess[i]);
  free(c->sess);
  free(c->pdu);
  sodium_memzero(c->cfg.password, sizeof c->cfg.password);
  free(c);
}

static pp_err_t smpp_start(const pp_channel_config_t *cc, const pp_channel_callbacks_t *cb,
                           pp_channel_t **out) {
  const pp_carrier_t *cfg = cc->carrier;
  smpp_channel_t *c = calloc(1, sizeof *c);
  if (!c) return PP_ERR_NOMEM;
  c->base.ops = &pp_smpp_channel_ops;
  c->cb = *cb;
  c->cfg = *cfg;
  int n = cfg->binds < 1 ? 1 : cfg->binds > 16 ? 16 : cfg->binds;
  c->sess = calloc((size_t)n, sizeof *c->sess);
  c->pdu = malloc(sizeof *c->pdu);
  if (!c->sess || !c->pdu) {
    smpp_stop(&c->base);
    return PP_ERR_NOMEM;
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
        .enquire_link_ms = cc->keepalive_ms ? cc->keepalive_ms : 30000,
        .on_submit_resp = on_submit_resp,
        .on_query_resp = on_query_resp,
        .on_deliver = on_deliver,
        .on_state = on_state,
        .arg = c,
    };
    if (pp_smpp_session_start(&so, &c->sess[c->nsess]) == PP_OK) c->nsess++;
  }
  c->base.window = (cfg->window > 0 ? cfg->window : 50) * c->nsess * 4;
  pp_log_info("engine", "carrier %s: %d bind(s) to %s:%d", cfg->name, c->nsess, cfg->host,
              cfg->port);
  *out = &c->base;
  return PP_OK;
}

/* The settings smpp_start and smpp_submit read (channel.h lists them). */
static bool smpp_same_config(const pp_carrier_t *a, const pp_carrier_t *b) {
  return !strcmp(a->host, b->host) && a->port == b->port && !strcmp(a->system_id, b->system_id) &&
         !strcmp(a->password, b->password) && !strcmp(a->system_type, b->system_type) &&
         !strcmp(a->bind_mode, b->bind_mode) && a->window == b->window && a->mps == b->mps &&
         a->binds == b->binds && !strcmp(a->concat, b->concat) && a->payload == b->payload &&
         !strcmp(a->gsm7, b->gsm7);
}

const pp_channel_ops_t pp_smpp_channel_ops = {
    .kind = "smpp",
    .start = smpp_start,
    .submit = smpp_submit,
    .query = smpp_query,
    .ack = smpp_ack,
    .stop = smpp_stop,
    .same_config = smpp_same_config,
};

/* SMPP PDU codec: known bytes from the SMPP 3.4 spec, round trips of every
 * PDU in the table, malformed input, framing, TLV accessors and the dump. */
#include <stdlib.h>

#include "channel/smpp/smpp_pdu.h"
#include "check.h"

/* Hex to bytes; spaces, newlines and '|' (field separators) are ignored. */
static size_t unhex(const char *s, uint8_t *out) {
  size_t n = 0;
  int hi = -1;
  for (; *s; s++) {
    int v;
    if (*s >= '0' && *s <= '9')
      v = *s - '0';
    else if (*s >= 'a' && *s <= 'f')
      v = *s - 'a' + 10;
    else if (*s >= 'A' && *s <= 'F')
      v = *s - 'A' + 10;
    else
      continue;
    if (hi < 0)
      hi = v;
    else
      out[n++] = (uint8_t)(hi << 4 | v), hi = -1;
  }
  return n;
}

/* Appends ASCII text as bytes (for the long fields of the vectors). */
static size_t put_text(uint8_t *out, const char *s, int nul) {
  size_t n = strlen(s);
  memcpy(out, s, n);
  if (nul) out[n++] = 0;
  return n;
}

static pp_smpp_pdu_t *new_pdu(void) {
  pp_smpp_pdu_t *p = malloc(sizeof *p);
  if (!p) abort();
  memset(p, 0xEE, sizeof *p); /* garbage: the code must not rely on zeroed memory */
  return p;
}

static uint8_t buf[PP_SMPP_MAX_PDU_LEN + 64], buf2[PP_SMPP_MAX_PDU_LEN + 64];

/* Encodes p, checks the bytes equal want[0..n), decodes them back and checks
 * the result equals p. */
static void check_vector(const char *what, const pp_smpp_pdu_t *p, const uint8_t *want, size_t n) {
  size_t len = 0;
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_OK);
  CHECK_EQ_INT(len, n);
  if (len != n || memcmp(buf, want, n) != 0) {
    fprintf(stderr, "  %s: encoded bytes differ from the vector\n", what);
    CHECK(0);
  }
  pp_smpp_pdu_t *d = new_pdu();
  CHECK_EQ_INT(pp_smpp_pdu_decode(want, n, d), PP_OK);
  CHECK_EQ_INT(d->h.command_length, n);
  CHECK(pp_smpp_pdu_equal(p, d));
  free(d);
}

static void test_vectors(void) {
  uint8_t v[512];
  size_t n;
  pp_smpp_pdu_t *p = new_pdu();

  /* enquire_link (4.11.1): header only, sequence_number 1. */
  n = unhex("00000010 | 00000015 | 00000000 | 00000001", v);
  pp_smpp_pdu_init(p, PP_SMPP_ENQUIRE_LINK, 1);
  check_vector("enquire_link", p, v, n);
  n = unhex("00000010 | 80000015 | 00000000 | 00000001", v);
  pp_smpp_pdu_init(p, PP_SMPP_ENQUIRE_LINK_RESP, 1);
  check_vector("enquire_link_resp", p, v, n);

  /* bind_transceiver (4.1.5): system_id "pipit", password "secret",
   * system_type "", interface_version 0x34, addr_ton 0, addr_npi 0,
   * address_range "".  Body 18 octets, command_length 34. */
  n = unhex(
      "00000022 | 00000009 | 00000000 | 00000002"
      "| 7069706974 00"   /* system_id "pipit" */
      "| 736563726574 00" /* password "secret" */
      "| 00"              /* system_type "" */
      "| 34 | 00 | 00"    /* interface_version, addr_ton, addr_npi */
      "| 00",             /* address_range "" */
      v);
  CHECK_EQ_INT(n, 34);
  pp_smpp_pdu_init(p, PP_SMPP_BIND_TRANSCEIVER, 2);
  strcpy(p->body.bind_transceiver.system_id, "pipit");
  strcpy(p->body.bind_transceiver.password, "secret");
  p->body.bind_transceiver.interface_version = 0x34;
  check_vector("bind_transceiver", p, v, n);

  /* bind_transceiver_resp (4.1.6) with sc_interface_version 0x34. */
  n = unhex(
      "0000001A | 80000009 | 00000000 | 00000002"
      "| 534D5343 00"   /* system_id "SMSC" */
      "| 0210 0001 34", /* sc_interface_version */
      v);
  pp_smpp_pdu_init(p, PP_SMPP_BIND_TRANSCEIVER_RESP, 2);
  strcpy(p->body.bind_transceiver_resp.system_id, "SMSC");
  CHECK_EQ_INT(pp_smpp_add_sc_interface_version(p, 0x34), PP_OK);
  check_vector("bind_transceiver_resp", p, v, n);

  /* submit_sm (4.4.1): from alphanumeric "Pipit" (TON 5, NPI 0) to
   * +447700900123 (TON 1, NPI 1), registered_delivery 1, "Hello".  Body 39
   * octets, command_length 55. */
  n = unhex(
      "00000037 | 00000004 | 00000000 | 00000003"
      "| 00"                                    /* service_type "" */
      "| 05 | 00 | 5069706974 00"               /* source TON, NPI, "Pipit" */
      "| 01 | 01 | 343437373030393030313233 00" /* dest "447700900123" */
      "| 00 | 00 | 00"                          /* esm_class, protocol_id, priority_flag */
      "| 00 | 00"                               /* schedule_delivery_time, validity_period */
      "| 01 | 00 | 00 | 00"                     /* registered_delivery, replace, dc, default id */
      "| 05 | 48656C6C6F",                      /* sm_length, "Hello" */
      v);
  CHECK_EQ_INT(n, 55);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 3);
  pp_smpp_submit_sm_t *sm = &p->body.submit_sm;
  sm->source_addr_ton = 5;
  strcpy(sm->source_addr, "Pipit");
  sm->dest_addr_ton = 1;
  sm->dest_addr_npi = 1;
  strcpy(sm->destination_addr, "447700900123");
  sm->registered_delivery = 1;
  sm->sm_length = 5;
  memcpy(sm->short_message, "Hello", 5);
  check_vector("submit_sm", p, v, n);

  /* submit_sm_resp (4.4.2), message_id "0123456789", and the spec's rule
   * that an error response has no body. */
  n = unhex("0000001B | 80000004 | 00000000 | 00000003 | 30313233343536373839 00", v);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM_RESP, 3);
  strcpy(p->body.submit_sm_resp.message_id, "0123456789");
  check_vector("submit_sm_resp", p, v, n);
  n = unhex("00000010 | 80000004 | 00000058 | 00000003", v);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM_RESP, 3);
  p->h.command_status = PP_ESME_RTHROTTLED;
  check_vector("submit_sm_resp error", p, v, n);

  /* deliver_sm (4.6.1) carrying a delivery receipt (esm_class 0x04) with
   * receipted_message_id and message_state TLVs; sequence_number 0x01020304
   * to check the byte order.  Mandatory body 141 octets, TLVs 20. */
  static const char receipt[] =
      "id:0123456789 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 "
      "stat:DELIVRD err:000 text:Hello";
  CHECK_EQ_INT(strlen(receipt), 107);
  n = unhex(
      "000000B1 | 00000005 | 00000000 | 01020304"
      "| 00"                                    /* service_type */
      "| 01 | 01 | 343437373030393030313233 00" /* source: the handset */
      "| 05 | 00 | 5069706974 00"               /* destination "Pipit" */
      "| 04 | 00 | 00"                          /* esm_class: receipt */
      "| 00 | 00 | 00 | 00 | 00 | 00"           /* times, reg, replace, dc, default */
      "| 6B",                                   /* sm_length 107 */
      v);
  n += put_text(v + n, receipt, 0);
  n += unhex(
      "001E 000B 30313233343536373839 00" /* receipted_message_id */
      "0427 0001 02",                     /* message_state DELIVERED */
      v + n);
  CHECK_EQ_INT(n, 0xB1);
  pp_smpp_pdu_init(p, PP_SMPP_DELIVER_SM, 0x01020304);
  pp_smpp_deliver_sm_t *dm = &p->body.deliver_sm;
  dm->source_addr_ton = 1;
  dm->source_addr_npi = 1;
  strcpy(dm->source_addr, "447700900123");
  dm->dest_addr_ton = 5;
  strcpy(dm->destination_addr, "Pipit");
  dm->esm_class = PP_SMPP_ESM_RECEIPT;
  dm->sm_length = 107;
  memcpy(dm->short_message, receipt, 107);
  CHECK_EQ_INT(pp_smpp_add_receipted_message_id(p, "0123456789"), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_message_state(p, 2), PP_OK);
  check_vector("deliver_sm receipt", p, v, n);

  /* Its typed TLV accessors. */
  pp_smpp_pdu_t *d = new_pdu();
  CHECK_EQ_INT(pp_smpp_pdu_decode(v, n, d), PP_OK);
  char id[65];
  uint8_t state = 0;
  CHECK_EQ_INT(pp_smpp_get_receipted_message_id(d, id, sizeof id), PP_OK);
  CHECK_EQ_STR(id, "0123456789");
  CHECK_EQ_INT(pp_smpp_get_message_state(d, &state), PP_OK);
  CHECK_EQ_INT(state, 2);
  CHECK_EQ_INT(d->h.sequence_number, 0x01020304);
  CHECK_EQ_INT(d->body.deliver_sm.esm_class, 4);
  CHECK(memcmp(d->body.deliver_sm.short_message, receipt, 107) == 0);
  free(d);

  /* generic_nack (4.3.1) for an unknown command. */
  n = unhex("00000010 | 80000000 | 00000003 | 00000009", v);
  pp_smpp_pdu_init(p, PP_SMPP_GENERIC_NACK, 9);
  p->h.command_status = PP_ESME_RINVCMDID;
  check_vector("generic_nack", p, v, n);
  free(p);
}

/* ---- Round trip of every PDU in the table ---- */

static void fill_str(char *s, size_t max, size_t len, unsigned k) {
  for (size_t i = 0; i < len; i++) s[i] = (char)('A' + (i + k) % 26);
  s[len] = '\0';
  (void)max;
}

/* variant 0: every field empty; 1: every field at its maximum; 2: as 1 with
 * TLVs; 3: an error status (responses), short fields. */
static void fill(pp_smpp_pdu_t *p, uint32_t id, int variant) {
  pp_smpp_pdu_init(p, id, 0x7FFFFFF0u + (uint32_t)variant);
  if (variant == 3 && (id & PP_SMPP_RESP_BIT)) p->h.command_status = PP_ESME_RSYSERR;
  unsigned k = 0;
  (void)k;
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) \
  case cid: {                                      \
    pp_smpp_##lower##_t *b = &p->body.lower;       \
    (void)b;                                       \
    fields                                         \
    break;                                         \
  }
#define SMPP_INT(name, octets) \
  b->name = (PP_SMPP_UINT##octets)(variant ? 0xA5C3E1F7u + k++ : 0);
#define SMPP_CSTR(name, max, bad_status, secret) \
  fill_str(b->name, max, variant == 0 ? 0 : variant == 3 ? 3 : max - 1, k++);
#define SMPP_OSTR(name, length_field, max)                       \
  b->length_field = variant == 0 ? 0 : variant == 3 ? 1 : max; \
  memset(b->name, 0x80 + variant, b->length_field);
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  if (variant == 2) {
    static uint8_t payload[300];
    memset(payload, 0x41, sizeof payload);
    CHECK_EQ_INT(pp_smpp_add_message_payload(p, payload, sizeof payload), PP_OK);
    CHECK_EQ_INT(pp_smpp_add_sar_msg_ref_num(p, 0xBEEF), PP_OK);
    CHECK_EQ_INT(pp_smpp_add_sar_total_segments(p, 3), PP_OK);
    CHECK_EQ_INT(pp_smpp_add_sar_segment_seqnum(p, 2), PP_OK);
    CHECK_EQ_INT(pp_smpp_add_user_message_reference(p, 0x1234), PP_OK);
    CHECK_EQ_INT(pp_smpp_add_receipted_message_id(p, "ABCDEF"), PP_OK);
    CHECK_EQ_INT(pp_smpp_tlv_add(p, 0x1401, "vendor", 6), PP_OK);
    CHECK_EQ_INT(pp_smpp_tlv_add(p, 0x1402, NULL, 0), PP_OK);
  }
}

static const uint32_t all_ids[] = {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, id, flags, fields) id,
#define SMPP_INT(name, octets)
#define SMPP_CSTR(name, max, bad_status, secret)
#define SMPP_OSTR(name, length_field, max)
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
};

static void test_round_trip(void) {
  size_t count = sizeof all_ids / sizeof all_ids[0];
  CHECK_EQ_INT(count, 25); /* every PDU of the table */
  pp_smpp_pdu_t *p = new_pdu(), *d = new_pdu();
  for (size_t i = 0; i < count; i++) {
    uint32_t id = all_ids[i];
    CHECK(pp_smpp_command_known(id));
    CHECK(pp_smpp_command_name(id)[0] != '\0');
    for (int variant = 0; variant < 4; variant++) {
      fill(p, id, variant);
      size_t len = 0, len2 = 0, want = 0;
      CHECK_EQ_INT(pp_smpp_pdu_encoded_len(p, &want), PP_OK);
      CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_OK);
      CHECK_EQ_INT(len, want);
      memset(d, 0xEE, sizeof *d);
      pp_err_t e = pp_smpp_pdu_decode(buf, len, d);
      CHECK_EQ_INT(e, PP_OK);
      if (e != PP_OK || !pp_smpp_pdu_equal(p, d)) {
        fprintf(stderr, "  round trip of %s variant %d differs\n", pp_smpp_command_name(id),
                variant);
        CHECK(0);
        continue;
      }
      /* Decoding is canonical: re-encoding gives the same bytes. */
      CHECK_EQ_INT(pp_smpp_pdu_encode(d, buf2, sizeof buf2, &len2), PP_OK);
      CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
      /* Exactly the right cap works; one less does not and writes nothing. */
      CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf2, len, &len2), PP_OK);
      memset(buf2, 0x33, len);
      CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf2, len - 1, &len2), PP_ERR_TOO_BIG);
      CHECK_EQ_INT(buf2[0], 0x33);
      /* Every shorter prefix, framed as a PDU of that length, is rejected
       * (variant 1 has no TLVs, so every cut is inside a mandatory field). */
      if (variant == 1) {
        for (size_t cut = PP_SMPP_HEADER_LEN; cut < len; cut++) {
          memcpy(buf2, buf, cut);
          buf2[0] = (uint8_t)(cut >> 24), buf2[1] = (uint8_t)(cut >> 16);
          buf2[2] = (uint8_t)(cut >> 8), buf2[3] = (uint8_t)cut;
          CHECK_EQ_INT(pp_smpp_pdu_decode(buf2, cut, d), PP_ERR_BAD_REQUEST);
        }
      }
    }
  }
  free(p);
  free(d);
}

/* ---- Malformed input ---- */

static size_t submit_vector(uint8_t *v) {
  return unhex(
      "00000037 00000004 00000000 00000003 00 05 00 5069706974 00"
      "01 01 343437373030393030313233 00 000000 00 00 01000000 05 48656C6C6F",
      v);
}

static void set_len(uint8_t *v, uint32_t n) {
  v[0] = (uint8_t)(n >> 24), v[1] = (uint8_t)(n >> 16), v[2] = (uint8_t)(n >> 8), v[3] = (uint8_t)n;
}

/* Appends `count` octets of `byte` at v[*n]. */
static void put(uint8_t *v, size_t *n, int byte, size_t count) {
  memset(v + *n, byte, count);
  *n += count;
}

/* The submit_sm vector with the TLV bytes `hex` after it, its length set;
 * returns the length. */
static size_t submit_tlvs(uint8_t *v, const char *hex) {
  size_t n = submit_vector(v);
  n += unhex(hex, v + n);
  set_len(v, (uint32_t)n);
  return n;
}

static void expect(const uint8_t *v, size_t n, pp_err_t e, uint32_t status, const char *what) {
  pp_smpp_pdu_t *d = new_pdu();
  pp_smpp_diag_t diag;
  pp_err_t got = pp_smpp_pdu_decode_diag(v, n, d, &diag);
  if (got != e || diag.status != status)
    fprintf(stderr, "  %s: got %s/%s (%s), expected %s/%s\n", what, pp_err_name(got),
            pp_smpp_status_name(diag.status), diag.reason, pp_err_name(e),
            pp_smpp_status_name(status));
  CHECK_EQ_INT(got, e);
  CHECK_EQ_INT(diag.status, status);
  if (got != PP_OK) {
    CHECK(diag.reason[0] != '\0');
    /* Nothing written on failure. */
    CHECK_EQ_INT(d->h.command_id, 0xEEEEEEEEu);
    CHECK_EQ_INT(d->n_tlv, (size_t)0xEEEEEEEEEEEEEEEEull);
  }
  free(d);
}

static void test_malformed(void) {
  uint8_t v[1024];
  size_t n = submit_vector(v);
  expect(v, n, PP_OK, PP_ESME_ROK, "valid submit_sm");

  /* Truncated: fewer octets than command_length. */
  for (size_t cut = 0; cut < n; cut++)
    expect(v, cut, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "truncated");
  /* Overlong: more octets than command_length. */
  v[n] = 0;
  expect(v, n + 1, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "trailing octet");
  /* command_length below a header, and over the cap. */
  set_len(v, 15);
  expect(v, 15, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "command_length 15");
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "command_length 15, 55 octets");
  set_len(v, 0);
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "command_length 0");
  set_len(v, PP_SMPP_MAX_PDU_LEN + 1);
  expect(v, n, PP_ERR_TOO_BIG, PP_ESME_RINVCMDLEN, "command_length over the cap");
  set_len(v, 0xFFFFFFFFu);
  expect(v, n, PP_ERR_TOO_BIG, PP_ESME_RINVCMDLEN, "command_length 4 GiB");
  set_len(v, (uint32_t)n);

  /* The header is reported even when the body is bad, for generic_nack. */
  {
    pp_smpp_pdu_t *d = new_pdu();
    pp_smpp_diag_t diag;
    uint8_t u[32];
    size_t un = unhex("00000010 00000077 00000000 0000002A", u);
    CHECK_EQ_INT(pp_smpp_pdu_decode_diag(u, un, d, &diag), PP_ERR_INVALID_PARAM);
    CHECK_EQ_INT(diag.status, PP_ESME_RINVCMDID);
    CHECK(diag.have_header);
    CHECK_EQ_INT(diag.header.sequence_number, 42);
    CHECK_EQ_INT(diag.header.command_id, 0x77);
    /* submit_multi is in SMPP 3.4 but not supported: unknown here. */
    un = unhex("00000010 00000021 00000000 00000001", u);
    CHECK_EQ_INT(pp_smpp_pdu_decode(u, un, d), PP_ERR_INVALID_PARAM);
    free(d);
  }

  /* Unterminated C-Octet Strings: the status names the field. */
  uint8_t b[256];
  size_t bn = unhex("00000000 00000009 00000000 00000001", b);
  put(b, &bn, 'x', 16); /* system_id: 16 octets, no NUL */
  put(b, &bn, 0, 20);
  set_len(b, (uint32_t)bn);
  expect(b, bn, PP_ERR_BAD_REQUEST, PP_ESME_RINVSYSID, "system_id without NUL");
  /* 15 octets + NUL is the maximum and fine. */
  b[16 + 15] = 0;
  expect(b, bn - 1, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "length mismatch");
  set_len(b, (uint32_t)bn);
  expect(b, bn, PP_ERR_BAD_REQUEST, PP_ESME_RINVOPTPARSTREAM, "trailing zeros");
  /* system_id of 15 characters and its NUL, password 9 octets without NUL. */
  bn = 16 + 16;
  put(b, &bn, 'p', 9);
  put(b, &bn, 0, 5);
  set_len(b, (uint32_t)bn);
  expect(b, bn, PP_ERR_BAD_REQUEST, PP_ESME_RINVPASWD, "password without NUL");
  /* A string running into the end of the PDU is a length error. */
  bn = 16 + 16 + 3;
  set_len(b, (uint32_t)bn);
  expect(b, bn, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "password cut by the end");

  /* source_addr and destination_addr of submit_sm: 21 octets max. */
  n = unhex("00000000 00000004 00000000 00000003 00 05 00", v);
  put(v, &n, '1', 21);
  put(v, &n, 0, 40);
  set_len(v, (uint32_t)n);
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVSRCADR, "source_addr of 21 digits");

  /* sm_length over 254, and overrunning the PDU. */
  n = submit_vector(v);
  v[n - 6] = 0xFF;
  memset(v + n, 'x', 300);
  set_len(v, (uint32_t)n + 250);
  expect(v, n + 250, PP_ERR_BAD_REQUEST, PP_ESME_RINVMSGLEN, "sm_length 255");
  v[n - 6] = 6;
  set_len(v, (uint32_t)n);
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVMSGLEN, "sm_length overruns");

  /* TLVs: overrunning length, a stray partial header, zero-length values,
   * too many. */
  n = submit_tlvs(v, "0424 000A 414243");
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVOPTPARSTREAM, "TLV overrun");
  n = submit_tlvs(v, "0424 00");
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVOPTPARSTREAM, "partial TLV header");
  n = submit_tlvs(v, "1400 0000 0427 0001 02");
  expect(v, n, PP_OK, PP_ESME_ROK, "empty TLV then message_state");
  n = submit_vector(v);
  for (int i = 0; i < PP_SMPP_MAX_TLVS; i++) n += unhex("1400 0000", v + n);
  set_len(v, (uint32_t)n);
  expect(v, n, PP_OK, PP_ESME_ROK, "64 TLVs");
  n += unhex("1400 0000", v + n);
  set_len(v, (uint32_t)n);
  expect(v, n, PP_ERR_TOO_BIG, PP_ESME_RINVOPTPARSTREAM, "65 TLVs");
  /* Bytes after the body of a body-less PDU must be TLVs. */
  n = unhex("00000013 00000015 00000000 00000001 000000", v);
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVOPTPARSTREAM, "enquire_link with junk");

  /* Responses: an error may come without a body; success may not. */
  n = unhex("00000010 80000009 0000000E 00000001", v);
  expect(v, n, PP_OK, PP_ESME_ROK, "bind_transceiver_resp error without body");
  n = unhex("00000010 80000009 00000000 00000001", v);
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "bind_transceiver_resp OK without body");
  n = unhex("00000010 80000004 00000000 00000001", v);
  expect(v, n, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "submit_sm_resp OK without body");
}

static void test_encode_errors(void) {
  pp_smpp_pdu_t *p = new_pdu();
  size_t len;
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 1);
  memset(p->body.submit_sm.source_addr, 'a', sizeof p->body.submit_sm.source_addr);
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_ERR_INVALID_PARAM);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 1);
  p->body.submit_sm.sm_length = 255;
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_ERR_INVALID_PARAM);
  pp_smpp_pdu_init(p, 0x12345, 1);
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_ERR_INVALID_PARAM);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 1);
  p->n_tlv = 1;
  p->tlv[0] = (pp_smpp_tlv_t){.tag = 1, .len = 10, .off = 0};
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_ERR_INVALID_PARAM);

  /* The largest PDU: message_payload filling the cap exactly. */
  pp_smpp_pdu_init(p, PP_SMPP_DATA_SM, 1);
  size_t base;
  CHECK_EQ_INT(pp_smpp_pdu_encoded_len(p, &base), PP_OK);
  static uint8_t big[PP_SMPP_MAX_PDU_LEN];
  memset(big, 0x42, sizeof big);
  size_t room = PP_SMPP_MAX_PDU_LEN - base - 4;
  CHECK_EQ_INT(pp_smpp_add_message_payload(p, big, room), PP_OK);
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_OK);
  CHECK_EQ_INT(len, PP_SMPP_MAX_PDU_LEN);
  pp_smpp_pdu_t *d = new_pdu();
  CHECK_EQ_INT(pp_smpp_pdu_decode(buf, len, d), PP_OK);
  CHECK(pp_smpp_pdu_equal(p, d));
  const uint8_t *pv;
  size_t pl;
  CHECK_EQ_INT(pp_smpp_get_message_payload(d, &pv, &pl), PP_OK);
  CHECK_EQ_INT(pl, room);
  CHECK(pv[0] == 0x42 && pv[pl - 1] == 0x42);
  /* One more octet is over the cap. */
  CHECK_EQ_INT(pp_smpp_tlv_add(p, 0x1400, NULL, 0), PP_OK);
  CHECK_EQ_INT(pp_smpp_pdu_encoded_len(p, &len), PP_ERR_TOO_BIG);
  free(d);
  free(p);
}

/* ---- Framing ---- */

static void test_frame(void) {
  uint8_t v[512] = {0};
  size_t need = 0;
  CHECK_EQ_INT(pp_smpp_frame_len(v, 0, &need), PP_ERR_AGAIN);
  CHECK_EQ_INT(need, 4);
  size_t a = submit_vector(v);
  size_t b = unhex("00000010 00000015 00000000 00000007", v + a);
  size_t c = unhex("00000010 80000015 00000000 00000008", v + a + b);
  size_t total = a + b + c;
  for (size_t have = 1; have < 4; have++)
    CHECK_EQ_INT(pp_smpp_frame_len(v, have, &need), PP_ERR_AGAIN);
  CHECK_EQ_INT(pp_smpp_frame_len(v, 4, &need), PP_OK);
  CHECK_EQ_INT(need, a);
  /* A stream reader splits the three PDUs. */
  size_t pos = 0, pdus = 0;
  pp_smpp_pdu_t *d = new_pdu();
  while (pos < total) {
    CHECK_EQ_INT(pp_smpp_frame_len(v + pos, total - pos, &need), PP_OK);
    CHECK(need <= total - pos);
    CHECK_EQ_INT(pp_smpp_pdu_decode(v + pos, need, d), PP_OK);
    pos += need;
    pdus++;
  }
  CHECK_EQ_INT(pdus, 3);
  CHECK_EQ_INT(d->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  free(d);
  set_len(v, 15);
  CHECK_EQ_INT(pp_smpp_frame_len(v, 16, &need), PP_ERR_BAD_REQUEST);
  set_len(v, PP_SMPP_MAX_PDU_LEN);
  CHECK_EQ_INT(pp_smpp_frame_len(v, 16, &need), PP_OK);
  CHECK_EQ_INT(need, PP_SMPP_MAX_PDU_LEN);
  set_len(v, PP_SMPP_MAX_PDU_LEN + 1);
  CHECK_EQ_INT(pp_smpp_frame_len(v, 16, &need), PP_ERR_TOO_BIG);
  set_len(v, 0x80000000u);
  CHECK_EQ_INT(pp_smpp_frame_len(v, 4, &need), PP_ERR_TOO_BIG);
}

/* ---- TLV accessors ---- */

static void test_tlvs(void) {
  pp_smpp_pdu_t *p = new_pdu();
  pp_smpp_pdu_init(p, PP_SMPP_DELIVER_SM, 1);
  uint8_t u8;
  uint16_t u16;
  char s[65];
  const uint8_t *ov;
  size_t ol;
  CHECK_EQ_INT(pp_smpp_get_message_state(p, &u8), PP_ERR_NOT_FOUND);
  CHECK_EQ_INT(pp_smpp_get_receipted_message_id(p, s, sizeof s), PP_ERR_NOT_FOUND);
  CHECK_EQ_INT(pp_smpp_get_network_error(p, &u8, &u16), PP_ERR_NOT_FOUND);

  /* receipted_message_id without its NUL, as some SMSCs send it. */
  CHECK_EQ_INT(pp_smpp_tlv_add(p, PP_SMPP_TLV_RECEIPTED_MESSAGE_ID, "abc123", 6), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_receipted_message_id(p, s, sizeof s), PP_OK);
  CHECK_EQ_STR(s, "abc123");
  CHECK_EQ_INT(pp_smpp_get_receipted_message_id(p, s, 6), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_smpp_get_receipted_message_id(p, s, 7), PP_OK);
  /* Wrong sizes. */
  CHECK_EQ_INT(pp_smpp_tlv_add(p, PP_SMPP_TLV_MESSAGE_STATE, "\x02\x00", 2), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_message_state(p, &u8), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_tlv_add(p, PP_SMPP_TLV_NETWORK_ERROR_CODE, "\x03\x00", 2), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_network_error(p, &u8, &u16), PP_ERR_BAD_REQUEST);
  char long_id[80];
  memset(long_id, '9', sizeof long_id);
  CHECK_EQ_INT(pp_smpp_tlv_add(p, PP_SMPP_TLV_ADDITIONAL_STATUS_INFO_TEXT, long_id, 80), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_additional_status_info_text(p, s, sizeof s), PP_ERR_TOO_BIG);
  long_id[79] = '\0';
  CHECK_EQ_INT(pp_smpp_add_receipted_message_id(p, long_id), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_smpp_add_network_error_code(p, "ab", 2), PP_ERR_INVALID_PARAM);

  pp_smpp_pdu_init(p, PP_SMPP_DELIVER_SM, 1);
  CHECK_EQ_INT(pp_smpp_add_network_error_code(p, "\x03\x01\x0b", 3), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_network_error(p, &u8, &u16), PP_OK);
  CHECK_EQ_INT(u8, 3);
  CHECK_EQ_INT(u16, 0x010B);
  CHECK_EQ_INT(pp_smpp_add_sar_msg_ref_num(p, 0xABCD), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_sar_total_segments(p, 3), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_sar_segment_seqnum(p, 2), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_user_message_reference(p, 0x0102), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_message_payload(p, "hello", 5), PP_OK);
  size_t len;
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, buf, sizeof buf, &len), PP_OK);
  pp_smpp_pdu_t *d = new_pdu();
  CHECK_EQ_INT(pp_smpp_pdu_decode(buf, len, d), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_sar_msg_ref_num(d, &u16), PP_OK);
  CHECK_EQ_INT(u16, 0xABCD);
  CHECK_EQ_INT(pp_smpp_get_sar_total_segments(d, &u8), PP_OK);
  CHECK_EQ_INT(u8, 3);
  CHECK_EQ_INT(pp_smpp_get_sar_segment_seqnum(d, &u8), PP_OK);
  CHECK_EQ_INT(u8, 2);
  CHECK_EQ_INT(pp_smpp_get_user_message_reference(d, &u16), PP_OK);
  CHECK_EQ_INT(u16, 0x0102);
  CHECK_EQ_INT(pp_smpp_get_message_payload(d, &ov, &ol), PP_OK);
  CHECK(ol == 5 && memcmp(ov, "hello", 5) == 0);
  CHECK_EQ_INT(d->n_tlv, 6);
  CHECK(pp_smpp_tlv_find(d, 0x9999) == NULL);
  CHECK_EQ_STR(pp_smpp_tlv_name(0x0424), "message_payload");
  CHECK(pp_smpp_tlv_name(0x9999) == NULL);

  /* The TLV list is bounded. */
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 1);
  for (int i = 0; i < PP_SMPP_MAX_TLVS; i++) CHECK_EQ_INT(pp_smpp_tlv_add(p, 1, "", 0), PP_OK);
  CHECK_EQ_INT(pp_smpp_tlv_add(p, 1, "", 0), PP_ERR_TOO_BIG);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 1);
  CHECK_EQ_INT(pp_smpp_tlv_add(p, 1, buf, 0x10000), PP_ERR_TOO_BIG);
  free(d);
  free(p);
}

/* ---- Names, init_resp, dump ---- */

static void test_misc(void) {
  CHECK_EQ_STR(pp_smpp_status_name(PP_ESME_RINVCMDID), "ESME_RINVCMDID");
  CHECK_EQ_STR(pp_smpp_status_name(0x58), "ESME_RTHROTTLED");
  CHECK_EQ_STR(pp_smpp_status_name(0x12345), "");
  CHECK_EQ_STR(pp_smpp_status_text(0x14), "Message queue full");
  CHECK_EQ_STR(pp_smpp_command_name(0x80000004), "submit_sm_resp");
  CHECK_EQ_STR(pp_smpp_command_name(0x21), "");
  CHECK(!pp_smpp_command_known(0x21));

  pp_smpp_pdu_t *req = new_pdu(), *resp = new_pdu();
  pp_smpp_pdu_init(req, PP_SMPP_SUBMIT_SM, 77);
  pp_smpp_pdu_init_resp(resp, req, PP_ESME_RMSGQFUL);
  CHECK_EQ_INT(resp->h.command_id, PP_SMPP_SUBMIT_SM_RESP);
  CHECK_EQ_INT(resp->h.sequence_number, 77);
  CHECK_EQ_INT(resp->h.command_status, PP_ESME_RMSGQFUL);
  pp_smpp_pdu_init(req, PP_SMPP_OUTBIND, 5);
  pp_smpp_pdu_init_resp(resp, req, PP_ESME_RINVCMDID);
  CHECK_EQ_INT(resp->h.command_id, PP_SMPP_GENERIC_NACK);
  /* In place. */
  pp_smpp_pdu_init(req, PP_SMPP_ENQUIRE_LINK, 6);
  pp_smpp_pdu_init_resp(req, req, 0);
  CHECK_EQ_INT(req->h.command_id, PP_SMPP_ENQUIRE_LINK_RESP);
  CHECK_EQ_INT(req->h.sequence_number, 6);

  /* The dump shows addresses and ids but no content and no password. */
  char out[1024];
  pp_smpp_pdu_init(req, PP_SMPP_BIND_TRANSCEIVER, 1);
  strcpy(req->body.bind_transceiver.system_id, "pipit");
  strcpy(req->body.bind_transceiver.password, "hunter2");
  size_t n = pp_smpp_pdu_dump(req, out, sizeof out);
  CHECK_EQ_INT(n, strlen(out));
  CHECK(strstr(out, "bind_transceiver seq=1") == out);
  CHECK(strstr(out, "system_id=\"pipit\"") != NULL);
  CHECK(strstr(out, "hunter2") == NULL);
  CHECK(strstr(out, "password=***") != NULL);

  pp_smpp_pdu_init(req, PP_SMPP_DELIVER_SM, 2);
  strcpy(req->body.deliver_sm.source_addr, "44\"7700");
  req->body.deliver_sm.sm_length = 22;
  memcpy(req->body.deliver_sm.short_message, "Your code is 123456 ok", 22);
  CHECK_EQ_INT(pp_smpp_add_message_payload(req, "code 987654", 11), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_receipted_message_id(req, "M-1"), PP_OK);
  CHECK_EQ_INT(pp_smpp_add_message_state(req, 2), PP_OK);
  CHECK_EQ_INT(pp_smpp_tlv_add(req, 0x1501, "secret 555", 10), PP_OK);
  pp_smpp_pdu_dump(req, out, sizeof out);
  CHECK(strstr(out, "123456") == NULL);
  CHECK(strstr(out, "987654") == NULL);
  CHECK(strstr(out, "555") == NULL);
  CHECK(strstr(out, "short_message=<22 octets>") != NULL);
  CHECK(strstr(out, "message_payload=<11 octets>") != NULL);
  CHECK(strstr(out, "receipted_message_id=\"M-1\"") != NULL);
  CHECK(strstr(out, "message_state=2") != NULL);
  CHECK(strstr(out, "tlv_0x1501=<10 octets>") != NULL);
  CHECK(strstr(out, "source_addr=\"44\\x227700\"") != NULL);

  pp_smpp_pdu_init(resp, PP_SMPP_SUBMIT_SM_RESP, 3);
  resp->h.command_status = PP_ESME_RTHROTTLED;
  pp_smpp_pdu_dump(resp, out, sizeof out);
  CHECK_EQ_STR(out, "submit_sm_resp seq=3 status=ESME_RTHROTTLED message_id=\"\"");

  /* Truncation: NUL-terminated, marked, never past cap. */
  memset(out, 'Z', sizeof out);
  n = pp_smpp_pdu_dump(req, out, 20);
  CHECK_EQ_INT(n, 19);
  CHECK_EQ_INT(out[19], '\0');
  CHECK(strcmp(out + 16, "...") == 0);
  CHECK_EQ_INT(out[20], 'Z');
  CHECK_EQ_INT(pp_smpp_pdu_dump(req, out, 1), 0);
  CHECK_EQ_INT(out[0], '\0');
  CHECK_EQ_INT(pp_smpp_pdu_dump(req, NULL, 0), 0);
  free(req);
  free(resp);
}

int main(void) {
  test_vectors();
  test_round_trip();
  test_malformed();
  test_encode_errors();
  test_frame();
  test_tlvs();
  test_misc();
  return check_report("smpp_pdu");
}

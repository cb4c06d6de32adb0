/* fuzz_smpp_pdu.c: the SMPP codec (src/channel/smpp/) on arbitrary bytes, as
 * a session applies it to what an SMSC or ESME sends.
 *
 * Checked:
 *  - pp_smpp_frame_len agrees with pp_smpp_pdu_decode about the length;
 *  - a failed decode gives a non-OK command_status and a reason, and leaves
 *    the output untouched;
 *  - a decoded PDU re-encodes to the same bytes, and those decode to an
 *    equal PDU (exceptions: an error response received without a body is
 *    encoded with its empty fields; a submit_sm_resp error whose only body is
 *    an empty message_id is encoded without one);
 *  - the dump is NUL-terminated within any cap and never longer;
 *  - the typed TLV getters answer within their contract;
 *  - the receipt parser on the raw bytes and on any short_message: fields
 *    within their sizes, text inside the input, format -> parse keeps them;
 *  - GSM-7 / UCS-2 decoding gives valid UTF-8, which splits into parts that
 *    agree with core's segment counter and reassemble to the same text;
 *  - 7-bit packing round-trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel/smpp/dlr.h"
#include "channel/smpp/gsm7.h"
#include "channel/smpp/segment.h"
#include "channel/smpp/smpp_pdu.h"
#include "core/segments.h"
#include "dlr_check.h"
#include "fuzz_check.h"

static pp_smpp_pdu_t pdu, again;
static uint8_t wire[PP_SMPP_MAX_PDU_LEN];
static pp_smpp_part_t parts[PP_SMPP_MAX_PARTS];

static bool valid_utf8(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t at = i;
    unsigned cp = pp_utf8_next(s, n, &i);
    if (cp == 0xFFFD && !(i - at == 3 && (unsigned char)s[at] == 0xEF &&
                          (unsigned char)s[at + 1] == 0xBF && (unsigned char)s[at + 2] == 0xBD))
      return false;
  }
  return true;
}

/* Decodes text bytes as `dc` says, then splits and reassembles the UTF-8. */
static void check_text(uint8_t dc, const uint8_t *t, size_t n) {
  size_t cap = 3 * n + 4, len;
  char *u = malloc(cap);
  if (!u) abort();
  pp_err_t e = pp_smpp_text_to_utf8(dc, t, n, u, cap, &len);
  if (e == PP_OK) {
    FUZZ_CHECK(len < cap && u[len] == '\0', "not NUL-terminated");
    FUZZ_CHECK(valid_utf8(u, len), "invalid UTF-8 from data_coding %u", dc);
    size_t np = 0;
    pp_err_t se = pp_smpp_segment(u, len, NULL, parts, PP_SMPP_MAX_PARTS, &np);
    pp_segments_t c;
    pp_segments_count(u, len, &c);
    if (se == PP_OK) {
      FUZZ_CHECK(np == (c.segments ? c.segments : 1), "%zu parts, counter says %zu", np,
                 c.segments);
      char *back = malloc(cap);
      if (!back) abort();
      size_t bl = 0;
      for (size_t i = 0; i < np; i++) {
        size_t skip = np > 1 ? PP_SMPP_UDH_CONCAT_LEN : 0, got;
        FUZZ_CHECK(parts[i].sm_length >= skip, "part shorter than its UDH");
        FUZZ_CHECK(
            pp_smpp_text_to_utf8(parts[i].data_coding, parts[i].short_message + skip,
                                 parts[i].sm_length - skip, back + bl, cap - bl, &got) == PP_OK,
            "part %zu does not decode", i);
        bl += got;
      }
      FUZZ_CHECK(bl == len && memcmp(back, u, len) == 0, "parts do not reassemble");
      free(back);
    } else {
      FUZZ_CHECK(se == PP_ERR_TOO_BIG && c.segments > PP_SMPP_MAX_PARTS, "segment error %d",
                 (int)se);
    }
  } else {
    FUZZ_CHECK(e == PP_ERR_INVALID_PARAM, "text error %d", (int)e);
  }
  free(u);
}

static void check_pdu(const uint8_t *data, size_t size) {
  memset(&pdu, 0xA5, offsetof(pp_smpp_pdu_t, tlv_data));
  pp_smpp_diag_t diag;
  pp_err_t e = pp_smpp_pdu_decode_diag(data, size, &pdu, &diag);
  size_t need = 0;
  pp_err_t fe = pp_smpp_frame_len(data, size, &need);

  if (e != PP_OK) {
    FUZZ_CHECK(e == PP_ERR_BAD_REQUEST || e == PP_ERR_TOO_BIG || e == PP_ERR_INVALID_PARAM,
               "decode error %d", (int)e);
    FUZZ_CHECK(diag.status != PP_ESME_ROK && diag.reason[0], "no status or reason");
    FUZZ_CHECK(pdu.h.command_id == 0xA5A5A5A5u, "output written on failure");
    FUZZ_CHECK(diag.have_header == (size >= PP_SMPP_HEADER_LEN), "have_header");
    if (e == PP_ERR_INVALID_PARAM)
      FUZZ_CHECK(!pp_smpp_command_known(diag.header.command_id) && fe == PP_OK && need == size,
                 "INVALID_PARAM for a known command or a bad frame");
    return;
  }
  FUZZ_CHECK(diag.status == PP_ESME_ROK, "status after success");
  FUZZ_CHECK(fe == PP_OK && need == size, "frame_len %d need %zu for a %zu-octet PDU", (int)fe,
             need, size);
  FUZZ_CHECK(pdu.h.command_length == size, "command_length");
  FUZZ_CHECK(pp_smpp_command_known(pdu.h.command_id), "unknown command decoded");
  FUZZ_CHECK(pdu.n_tlv <= PP_SMPP_MAX_TLVS && pdu.tlv_used <= PP_SMPP_TLV_DATA_MAX, "TLVs");
  FUZZ_CHECK(pp_smpp_pdu_equal(&pdu, &pdu), "not equal to itself");

  size_t len = 0;
  e = pp_smpp_pdu_encode(&pdu, wire, sizeof wire, &len);
  FUZZ_CHECK(e == PP_OK, "re-encode failed: %d", (int)e);
  bool no_body = pdu.h.command_id == PP_SMPP_SUBMIT_SM_RESP && pdu.h.command_status != 0 &&
                 pdu.n_tlv == 0 && pdu.body.submit_sm_resp.message_id[0] == '\0';
  /* Decoding accepts any error response without a body; encoding writes the
   * empty fields, except for submit_sm_resp (4.4.2). */
  bool lenient = size == PP_SMPP_HEADER_LEN && (pdu.h.command_id & PP_SMPP_RESP_BIT) &&
                 pdu.h.command_status != 0;
  if (no_body)
    FUZZ_CHECK(len == PP_SMPP_HEADER_LEN && memcmp(wire + 4, data + 4, 12) == 0,
               "error submit_sm_resp not bodiless");
  else if (lenient)
    FUZZ_CHECK(len >= PP_SMPP_HEADER_LEN && memcmp(wire + 4, data + 4, 12) == 0,
               "bodiless error response: header differs");
  else
    FUZZ_CHECK(len == size && memcmp(wire, data, size) == 0, "re-encoding differs");
  memset(&again, 0x5A, offsetof(pp_smpp_pdu_t, tlv_data));
  FUZZ_CHECK(pp_smpp_pdu_decode(wire, len, &again) == PP_OK, "re-decode failed");
  FUZZ_CHECK(pp_smpp_pdu_equal(&pdu, &again), "round trip differs");

  char dump[2048];
  size_t caps[] = {0, 1, 2, 5, 17, 64, sizeof dump};
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    memset(dump, 'Z', sizeof dump);
    size_t n = pp_smpp_pdu_dump(&pdu, caps[i] ? dump : NULL, caps[i]);
    if (caps[i] == 0) {
      FUZZ_CHECK(n == 0, "dump into nothing");
      continue;
    }
    FUZZ_CHECK(n < caps[i] && dump[n] == '\0' && strlen(dump) == n, "dump length");
    if (caps[i] < sizeof dump) FUZZ_CHECK(dump[caps[i]] == 'Z', "dump past its cap");
  }

  /* Typed getters. */
  uint8_t u8;
  uint16_t u16;
  char s[300];
  const uint8_t *ov;
  size_t ol;
#define OK_OR(e_)                                                                       \
  FUZZ_CHECK((e_) == PP_OK || (e_) == PP_ERR_NOT_FOUND || (e_) == PP_ERR_BAD_REQUEST || \
                 (e_) == PP_ERR_TOO_BIG,                                                \
             "getter error %d", (int)(e_))
  pp_err_t ge;
  ge = pp_smpp_get_receipted_message_id(&pdu, s, 65);
  OK_OR(ge);
  if (ge == PP_OK) FUZZ_CHECK(strlen(s) < 65, "receipted_message_id");
  ge = pp_smpp_get_message_state(&pdu, &u8);
  OK_OR(ge);
  if (ge == PP_OK) (void)pp_smpp_dlr_state_from_message_state(u8);
  ge = pp_smpp_get_network_error(&pdu, &u8, &u16);
  OK_OR(ge);
  ge = pp_smpp_get_sar_msg_ref_num(&pdu, &u16);
  OK_OR(ge);
  ge = pp_smpp_get_sar_total_segments(&pdu, &u8);
  OK_OR(ge);
  ge = pp_smpp_get_sar_segment_seqnum(&pdu, &u8);
  OK_OR(ge);
  ge = pp_smpp_get_user_message_reference(&pdu, &u16);
  OK_OR(ge);
  ge = pp_smpp_get_additional_status_info_text(&pdu, s, sizeof s);
  OK_OR(ge);
  ge = pp_smpp_get_message_payload(&pdu, &ov, &ol);
  OK_OR(ge);
  if (ge == PP_OK) {
    FUZZ_CHECK(ov >= pdu.tlv_data && ov + ol <= pdu.tlv_data + pdu.tlv_used, "payload bounds");
    check_dlr((const char *)ov, ol);
  }
#undef OK_OR

  /* Message content: receipt text, UDH, text decoding. */
  const uint8_t *sm = NULL;
  size_t sm_len = 0;
  uint8_t dc = 0, esm = 0;
  if (pdu.h.command_id == PP_SMPP_SUBMIT_SM) {
    const pp_smpp_submit_sm_t *b = &pdu.body.submit_sm;
    sm = b->short_message, sm_len = b->sm_length, dc = b->data_coding, esm = b->esm_class;
  } else if (pdu.h.command_id == PP_SMPP_DELIVER_SM) {
    const pp_smpp_deliver_sm_t *b = &pdu.body.deliver_sm;
    sm = b->short_message, sm_len = b->sm_length, dc = b->data_coding, esm = b->esm_class;
  }
  if (sm) {
    check_dlr((const char *)sm, sm_len);
    size_t skip = 0;
    if (esm & PP_SMPP_ESM_UDHI) {
      pp_smpp_udh_t u;
      if (pp_smpp_udh_parse(sm, sm_len, &u) == PP_OK) {
        FUZZ_CHECK(u.udh_len >= 1 && u.udh_len <= sm_len, "udh_len");
        if (u.concat) FUZZ_CHECK(u.seq >= 1 && u.seq <= u.total, "concat numbering");
        skip = u.udh_len;
      }
    }
    check_text(dc, sm + skip, sm_len - skip);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_pdu(data, size);
  /* The same bytes as receipt text, and as text in each coding. */
  check_dlr((const char *)data, size);
  if (size <= 4096) {
    check_text(PP_SMPP_DC_DEFAULT, data, size);
    check_text(PP_SMPP_DC_UCS2, data, size);
    check_text(PP_SMPP_DC_LATIN1, data, size);
  }
  /* 7-bit packing. */
  if (size >= 1 && size <= 2048) {
    unsigned fill = data[0] % 7;
    size_t n = size - 1;
    uint8_t *sep = malloc(n + 1), *packed = malloc(n + 2), *back = malloc(n + 2);
    if (!sep || !packed || !back) abort();
    for (size_t i = 0; i < n; i++) sep[i] = data[i + 1] & 0x7F;
    size_t pl = 0, bn = 0;
    FUZZ_CHECK(pp_gsm7_pack(sep, n, fill, packed, n + 2, &pl) == PP_OK, "pack");
    FUZZ_CHECK(pl == (fill + 7 * n + 7) / 8, "packed length");
    FUZZ_CHECK(pp_gsm7_unpack(packed, pl, fill, n, back, n + 1, &bn) == PP_OK && bn == n &&
                   memcmp(back, sep, n) == 0,
               "unpack differs");
    FUZZ_CHECK(pp_gsm7_unpack(packed, pl, fill, PP_GSM7_ALL, back, n + 2, &bn) == PP_OK,
               "unpack all");
    if (n == 0 || sep[n - 1] != 0x0D)
      FUZZ_CHECK(bn == n && memcmp(back, sep, n) == 0, "unpack all differs");
    free(sep);
    free(packed);
    free(back);
  }
  return 0;
}

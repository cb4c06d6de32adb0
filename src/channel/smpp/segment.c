/* segment.c: message body -> SMPP parts; inbound UDH and text decoding. */
#include "channel/smpp/segment.h"

#include <string.h>

#include "channel/smpp/gsm7.h"
#include "core/segments.h"

/* Starts part `i` of `total`: header fields and, for UDH, the header. */
static void part_begin(pp_smpp_part_t *p, bool gsm7, const pp_smpp_segment_opts_t *o, size_t i,
                       size_t total) {
  memset(p, 0, sizeof *p);
  p->data_coding = gsm7 ? PP_SMPP_DC_DEFAULT : PP_SMPP_DC_UCS2;
  if (total < 2) return;
  if (o->concat == PP_SMPP_CONCAT_UDH) {
    p->esm_class = PP_SMPP_ESM_UDHI;
    const uint8_t udh[PP_SMPP_UDH_CONCAT_LEN] = {
        0x05, 0x00, 0x03, (uint8_t)o->ref, (uint8_t)total, (uint8_t)(i + 1)};
    memcpy(p->short_message, udh, sizeof udh);
    p->sm_length = sizeof udh;
  } else {
    p->sar_msg_ref_num = o->ref;
    p->sar_total_segments = (uint8_t)total;
    p->sar_segment_seqnum = (uint8_t)(i + 1);
  }
}

pp_err_t pp_smpp_segment(const char *utf8, size_t len, const pp_smpp_segment_opts_t *opts,
                         pp_smpp_part_t *parts, size_t max_parts, size_t *n_out) {
  static const pp_smpp_segment_opts_t defaults = {PP_SMPP_CONCAT_UDH, 0, false};
  const pp_smpp_segment_opts_t *o = opts ? opts : &defaults;

  pp_segments_t count;
  pp_segments_count(utf8, len, &count);
  bool gsm7 = count.gsm7 && !o->force_ucs2;
  size_t units = 0, total;
  if (gsm7) {
    units = count.units;
    total = units <= PP_SMPP_GSM7_SINGLE ? 1 : count.segments;
  } else {
    /* UTF-16 units; pp_segments_count gives them only for non-GSM text. */
    for (size_t i = 0; i < len;) units += pp_utf8_next(utf8, len, &i) >= 0x10000 ? 2 : 1;
    if (units <= PP_SMPP_UCS2_SINGLE) {
      total = 1;
    } else if (!count.gsm7) {
      total = count.segments;
    } else { /* forced UCS-2: count the split here */
      total = 1;
      size_t used = 0;
      for (size_t i = 0; i < len;) {
        size_t w = pp_utf8_next(utf8, len, &i) >= 0x10000 ? 2 : 1;
        if (used + w > PP_SMPP_UCS2_PART) total++, used = 0;
        used += w;
      }
    }
  }
  if (total == 0) total = 1; /* empty body: one empty part */
  if (total > max_parts || total > PP_SMPP_MAX_PARTS) return PP_ERR_TOO_BIG;

  size_t limit = total == 1 ? (gsm7 ? PP_SMPP_GSM7_SINGLE : PP_SMPP_UCS2_SINGLE)
                            : (gsm7 ? PP_SMPP_GSM7_PART : PP_SMPP_UCS2_PART);
  size_t n = 0, used = 0;
  part_begin(&parts[0], gsm7, o, 0, total);
  for (size_t i = 0; i < len;) {
    size_t at = i;
    unsigned cp = pp_utf8_next(utf8, len, &i);
    uint8_t b[4];
    size_t w, octets;
    if (gsm7) {
      /* This character's own bytes: valid UTF-8 (U+FFFD is not GSM-7). */
      if (pp_gsm7_from_utf8(utf8 + at, i - at, b, sizeof b, &octets) != PP_OK)
        return PP_ERR_INTERNAL;
      w = octets;
    } else if (cp >= 0x10000) {
      unsigned hi = 0xD800 | ((cp - 0x10000) >> 10), lo = 0xDC00 | ((cp - 0x10000) & 0x3FF);
      b[0] = (uint8_t)(hi >> 8), b[1] = (uint8_t)hi, b[2] = (uint8_t)(lo >> 8), b[3] = (uint8_t)lo;
      w = 2, octets = 4;
    } else {
      b[0] = (uint8_t)(cp >> 8), b[1] = (uint8_t)cp;
      w = 1, octets = 2;
    }
    if (used + w > limit) {
      if (++n >= total) return PP_ERR_INTERNAL;
      part_begin(&parts[n], gsm7, o, n, total);
      used = 0;
    }
    pp_smpp_part_t *p = &parts[n];
    memcpy(p->short_message + p->sm_length, b, octets);
    p->sm_length = (uint8_t)(p->sm_length + octets);
    used += w;
  }
  if (n + 1 != total) return PP_ERR_INTERNAL;
  *n_out = total;
  return PP_OK;
}

pp_err_t pp_smpp_part_apply(const pp_smpp_part_t *part, pp_smpp_pdu_t *pdu) {
  switch (pdu->h.command_id) {
#define APPLY_SM_(s)                                            \
  (s)->data_coding = part->data_coding;                         \
  (s)->esm_class = (uint8_t)((s)->esm_class | part->esm_class); \
  (s)->sm_length = part->sm_length;                             \
  memcpy((s)->short_message, part->short_message, part->sm_length);
    case PP_SMPP_SUBMIT_SM:
      APPLY_SM_(&pdu->body.submit_sm)
      break;
    case PP_SMPP_DELIVER_SM:
      APPLY_SM_(&pdu->body.deliver_sm)
      break;
#undef APPLY_SM_
    case PP_SMPP_REPLACE_SM:
      pdu->body.replace_sm.sm_length = part->sm_length;
      memcpy(pdu->body.replace_sm.short_message, part->short_message, part->sm_length);
      break;
    default:
      return PP_ERR_INVALID_PARAM;
  }
  if (part->sar_total_segments) {
    pp_err_t e;
    if ((e = pp_smpp_add_sar_msg_ref_num(pdu, part->sar_msg_ref_num)) != PP_OK ||
        (e = pp_smpp_add_sar_total_segments(pdu, part->sar_total_segments)) != PP_OK ||
        (e = pp_smpp_add_sar_segment_seqnum(pdu, part->sar_segment_seqnum)) != PP_OK)
      return e;
  }
  return PP_OK;
}

/* Fill bits before the septets that follow a UDH of `udh_len` octets. */
static unsigned fill_after(size_t udh_len) {
  return udh_len ? pp_gsm7_fill_bits(udh_len) : 0;
}

pp_err_t pp_smpp_part_pack(pp_smpp_part_t *part) {
  if (part->data_coding != PP_SMPP_DC_DEFAULT) return PP_OK;
  size_t udh_len = 0;
  if (part->esm_class & PP_SMPP_ESM_UDHI) {
    if (part->sm_length < 1 || (size_t)part->short_message[0] + 1 > part->sm_length)
      return PP_ERR_INVALID_PARAM;
    udh_len = (size_t)part->short_message[0] + 1;
  }
  uint8_t packed[PP_SMPP_SM_MAX];
  size_t n;
  pp_err_t e = pp_gsm7_pack(part->short_message + udh_len, part->sm_length - udh_len,
                            fill_after(udh_len), packed, sizeof packed - udh_len, &n);
  if (e) return e == PP_ERR_TOO_BIG ? PP_ERR_INVALID_PARAM : e; /* packing never grows */
  memcpy(part->short_message + udh_len, packed, n);
  part->sm_length = (uint8_t)(udh_len + n);
  return PP_OK;
}

pp_err_t pp_smpp_ud_unpack(const uint8_t *sm, size_t len, size_t udh_len, uint8_t *out, size_t cap,
                           size_t *out_n) {
  if (udh_len > len) return PP_ERR_BAD_REQUEST;
  return pp_gsm7_unpack(sm + udh_len, len - udh_len, fill_after(udh_len), PP_GSM7_ALL, out, cap,
                        out_n);
}

pp_err_t pp_smpp_udh_parse(const uint8_t *sm, size_t len, pp_smpp_udh_t *out) {
  if (len < 1 || (size_t)sm[0] + 1 > len) return PP_ERR_BAD_REQUEST;
  pp_smpp_udh_t u = {.udh_len = (size_t)sm[0] + 1};
  for (size_t i = 1; i < u.udh_len;) {
    if (u.udh_len - i < 2) return PP_ERR_BAD_REQUEST;
    uint8_t iei = sm[i], iel = sm[i + 1];
    const uint8_t *v = sm + i + 2;
    if (u.udh_len - i - 2 < iel) return PP_ERR_BAD_REQUEST;
    if ((iei == 0x00 && iel == 3) || (iei == 0x08 && iel == 4)) {
      uint16_t ref = iei == 0x00 ? v[0] : (uint16_t)(v[0] << 8 | v[1]);
      uint8_t total = v[iel - 2], seq = v[iel - 1];
      if (total != 0 && seq != 0 && seq <= total) {
        u.concat = true;
        u.ref = ref;
        u.total = total;
        u.seq = seq;
      }
    }
    i += 2 + (size_t)iel;
  }
  *out = u;
  return PP_OK;
}

pp_err_t pp_smpp_text_to_utf8(uint8_t data_coding, const uint8_t *text, size_t len, char *out,
                              size_t cap, size_t *out_len) {
  switch (data_coding) {
    case PP_SMPP_DC_DEFAULT:
      return pp_gsm7_to_utf8(text, len, out, cap, out_len);
    case PP_SMPP_DC_UCS2:
      return pp_ucs2_to_utf8(text, len, out, cap, out_len);
    case PP_SMPP_DC_IA5:
    case PP_SMPP_DC_LATIN1: {
      /* IA5 is 7-bit ASCII; a stray high octet is read as Latin-1. */
      size_t o = 0;
      for (size_t i = 0; i < len; i++) {
        unsigned c = text[i];
        size_t need = c < 0x80 ? 1 : 2;
        if (cap - o < need + 1) return PP_ERR_TOO_BIG;
        if (c < 0x80) {
          out[o++] = (char)c;
        } else {
          out[o++] = (char)(0xC0 | c >> 6);
          out[o++] = (char)(0x80 | (c & 0x3F));
        }
      }
      if (cap - o < 1) return PP_ERR_TOO_BIG;
      out[o] = '\0';
      *out_len = o;
      return PP_OK;
    }
    default:
      return PP_ERR_INVALID_PARAM;
  }
}

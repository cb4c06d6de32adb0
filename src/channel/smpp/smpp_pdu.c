/* smpp_pdu.c: decode, encode, compare and dump of SMPP 3.4 PDUs, generated
 * from the table in smpp_pdu.def. */
#include "channel/smpp/smpp_pdu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Tables ------------------------------------------------------------ */

/* One switch case of a walk over a PDU body: `p` points at b->lower (`qual`
 * is const or empty) for the field macros in `fields`, and `end` closes the
 * case (a return or break).  Each walk below defines SMPP_PDU with it. */
#define BODY_CASE_(lower, cid, qual, fields, end) \
  case cid: {                                     \
    qual pp_smpp_##lower##_t *p = &b->lower;      \
    (void)p;                                      \
    fields end;                                   \
  }

const char *pp_smpp_status_name(uint32_t status) {
  switch (status) {
#define STATUS_NAME_(name, value, text) \
  case value:                           \
    return #name;
    PP_SMPP_STATUS_TABLE(STATUS_NAME_)
#undef STATUS_NAME_
  }
  return "";
}

const char *pp_smpp_status_text(uint32_t status) {
  switch (status) {
#define STATUS_TEXT_(name, value, text) \
  case value:                           \
    return text;
    PP_SMPP_STATUS_TABLE(STATUS_TEXT_)
#undef STATUS_TEXT_
  }
  return "";
}

const char *pp_smpp_command_name(uint32_t command_id) {
  switch (command_id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, id, flags, fields) \
  case id:                                        \
    return #lower;
#define SMPP_INT(name, octets)
#define SMPP_CSTR(name, max, bad_status, secret)
#define SMPP_OSTR(name, length_field, max)
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return "";
}

bool pp_smpp_command_known(uint32_t command_id) {
  return pp_smpp_command_name(command_id)[0] != '\0';
}

static unsigned command_flags(uint32_t command_id) {
  switch (command_id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, id, flags, fields) \
  case id:                                        \
    return flags;
#define SMPP_INT(name, octets)
#define SMPP_CSTR(name, max, bad_status, secret)
#define SMPP_OSTR(name, length_field, max)
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return 0;
}

const char *pp_smpp_tlv_name(uint16_t tag) {
  switch (tag) {
/* clang-format off */
#define SMPP_TLV_INT(UPPER, lower, tag, octets) \
  case tag:                                     \
    return #lower;
#define SMPP_TLV_CSTR(UPPER, lower, tag, max) \
  case tag:                                   \
    return #lower;
#define SMPP_TLV_OSTR(UPPER, lower, tag, min, max) \
  case tag:                                        \
    return #lower;
#define SMPP_TLV_NAME(UPPER, lower, tag) \
  case tag:                              \
    return #lower;
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return NULL;
}

/* ---- Init ------------------------------------------------------------------ */

void pp_smpp_pdu_init(pp_smpp_pdu_t *pdu, uint32_t command_id, uint32_t sequence_number) {
  memset(&pdu->h, 0, sizeof pdu->h);
  memset(&pdu->body, 0, sizeof pdu->body);
  pdu->h.command_id = command_id;
  pdu->h.sequence_number = sequence_number;
  pdu->n_tlv = 0;
  pdu->tlv_used = 0;
}

void pp_smpp_pdu_init_resp(pp_smpp_pdu_t *resp, const pp_smpp_pdu_t *req, uint32_t status) {
  uint32_t id = req->h.command_id | PP_SMPP_RESP_BIT;
  if ((req->h.command_id & PP_SMPP_RESP_BIT) || !pp_smpp_command_known(id))
    id = PP_SMPP_GENERIC_NACK;
  uint32_t seq = req->h.sequence_number; /* resp may alias req */
  pp_smpp_pdu_init(resp, id, seq);
  resp->h.command_status = status;
}

/* ---- Framing ----------------------------------------------------------- */

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

pp_err_t pp_smpp_frame_len(const uint8_t *buf, size_t have, size_t *need) {
  if (have < 4) {
    *need = 4;
    return PP_ERR_AGAIN;
  }
  uint32_t len = get32(buf);
  if (len < PP_SMPP_HEADER_LEN) return PP_ERR_BAD_REQUEST;
  if (len > PP_SMPP_MAX_PDU_LEN) return PP_ERR_TOO_BIG;
  *need = len;
  return PP_OK;
}

/* ---- Decode ---------------------------------------------------------------- */

typedef struct {
  const uint8_t *p;
  size_t len, pos;
  pp_smpp_diag_t *diag; /* never NULL inside decode */
} rd_t;

static pp_err_t fail(rd_t *r, pp_err_t e, uint32_t status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static pp_err_t fail(rd_t *r, pp_err_t e, uint32_t status, const char *fmt, ...) {
  r->diag->status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->diag->reason, sizeof r->diag->reason, fmt, ap);
  va_end(ap);
  return e;
}

static pp_err_t rd_int(rd_t *r, const char *name, unsigned octets, uint32_t *v) {
  if (r->len - r->pos < octets)
    return fail(r, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "the PDU ends inside %s", name);
  uint32_t x = 0;
  for (unsigned i = 0; i < octets; i++) x = x << 8 | r->p[r->pos + i];
  r->pos += octets;
  *v = x;
  return PP_OK;
}

static pp_err_t rd_cstr(rd_t *r, const char *name, char *dst, size_t max, uint32_t bad_status) {
  size_t left = r->len - r->pos, span = left < max ? left : max;
  const uint8_t *s = r->p + r->pos;
  const uint8_t *nul = memchr(s, 0, span);
  if (!nul) {
    if (left < max)
      return fail(r, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "the PDU ends inside %s (no NUL)",
                  name);
    return fail(r, PP_ERR_BAD_REQUEST, bad_status, "%s has no NUL within %zu octets", name, max);
  }
  size_t n = (size_t)(nul - s);
  memcpy(dst, s, n); /* the rest of dst is already zero */
  r->pos += n + 1;
  return PP_OK;
}

static pp_err_t rd_ostr(rd_t *r, const char *name, uint8_t *dst, size_t n, size_t max) {
  if (n > max)
    return fail(r, PP_ERR_BAD_REQUEST, PP_ESME_RINVMSGLEN, "%s length %zu is over %zu", name, n,
                max);
  if (r->len - r->pos < n)
    return fail(r, PP_ERR_BAD_REQUEST, PP_ESME_RINVMSGLEN, "%s length %zu overruns the PDU", name,
                n);
  memcpy(dst, r->p + r->pos, n);
  r->pos += n;
  return PP_OK;
}

/* Decodes the mandatory fields of command `id` into *b (zeroed by the
 * caller).  PP_ERR_INVALID_PARAM for an unknown id. */
static pp_err_t decode_body(rd_t *r, uint32_t id, pp_smpp_body_t *b) {
  pp_err_t e = PP_OK;
  uint32_t v = 0;
  (void)v;
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) BODY_CASE_(lower, cid, , fields, return PP_OK)
#define SMPP_INT(name, octets)                                            \
  if ((e = rd_int(r, #name, octets, &v)) != PP_OK) return e;              \
  p->name = (PP_SMPP_UINT##octets)v;
#define SMPP_CSTR(name, max, bad_status, secret) \
  if ((e = rd_cstr(r, #name, p->name, max, bad_status)) != PP_OK) return e;
#define SMPP_OSTR(name, length_field, max) \
  if ((e = rd_ostr(r, #name, p->name, p->length_field, max)) != PP_OK) return e;
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return fail(r, PP_ERR_INVALID_PARAM, PP_ESME_RINVCMDID, "unknown command_id 0x%08x",
              (unsigned)id);
}

/* Checks that r->p[r->pos ..] is a whole number of TLVs; counts them. */
static pp_err_t scan_tlvs(rd_t *r, size_t *count) {
  size_t pos = r->pos, n = 0;
  while (pos < r->len) {
    if (r->len - pos < 4)
      return fail(r, PP_ERR_BAD_REQUEST, PP_ESME_RINVOPTPARSTREAM,
                  "%zu stray octets after the last optional parameter", r->len - pos);
    unsigned tag = (unsigned)r->p[pos] << 8 | r->p[pos + 1];
    size_t vlen = (size_t)r->p[pos + 2] << 8 | r->p[pos + 3];
    if (r->len - pos - 4 < vlen)
      return fail(r, PP_ERR_BAD_REQUEST, PP_ESME_RINVOPTPARSTREAM,
                  "optional parameter 0x%04x length %zu overruns the PDU", tag, vlen);
    if (++n > PP_SMPP_MAX_TLVS)
      return fail(r, PP_ERR_TOO_BIG, PP_ESME_RINVOPTPARSTREAM, "more than %d optional parameters",
                  PP_SMPP_MAX_TLVS);
    pos += 4 + vlen;
  }
  *count = n;
  return PP_OK;
}

pp_err_t pp_smpp_pdu_decode_diag(const uint8_t *buf, size_t len, pp_smpp_pdu_t *out,
                                 pp_smpp_diag_t *diag) {
  pp_smpp_diag_t scratch;
  if (!diag) diag = &scratch;
  memset(diag, 0, sizeof *diag);
  rd_t r = {.p = buf, .len = len, .pos = 0, .diag = diag};

  if (len < PP_SMPP_HEADER_LEN)
    return fail(&r, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN,
                "%zu octets is shorter than a PDU header", len);
  pp_smpp_header_t h = {get32(buf), get32(buf + 4), get32(buf + 8), get32(buf + 12)};
  diag->have_header = true;
  diag->header = h;
  if (h.command_length > PP_SMPP_MAX_PDU_LEN)
    return fail(&r, PP_ERR_TOO_BIG, PP_ESME_RINVCMDLEN, "command_length %u is over the %d cap",
                (unsigned)h.command_length, PP_SMPP_MAX_PDU_LEN);
  if (h.command_length < PP_SMPP_HEADER_LEN)
    return fail(&r, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN,
                "command_length %u is shorter than a header", (unsigned)h.command_length);
  if (h.command_length != len)
    return fail(&r, PP_ERR_BAD_REQUEST, PP_ESME_RINVCMDLEN, "command_length %u but %zu octets",
                (unsigned)h.command_length, len);
  r.pos = PP_SMPP_HEADER_LEN;

  pp_smpp_body_t body;
  memset(&body, 0, sizeof body);
  pp_err_t e;
  if (!pp_smpp_command_known(h.command_id)) {
    return fail(&r, PP_ERR_INVALID_PARAM, PP_ESME_RINVCMDID, "unknown command_id 0x%08x",
                (unsigned)h.command_id);
  } else if ((h.command_id & PP_SMPP_RESP_BIT) && h.command_status != 0 &&
             len == PP_SMPP_HEADER_LEN) {
    /* An error response without a body: fields stay empty. */
  } else if ((e = decode_body(&r, h.command_id, &body)) != PP_OK) {
    return e;
  }
  size_t n_tlv = 0;
  if ((e = scan_tlvs(&r, &n_tlv)) != PP_OK) return e;

  /* Valid: commit. */
  out->h = h;
  out->body = body;
  out->n_tlv = n_tlv;
  size_t pos = r.pos, used = 0;
  for (size_t i = 0; i < n_tlv; i++) {
    pp_smpp_tlv_t *t = &out->tlv[i];
    t->tag = (uint16_t)(buf[pos] << 8 | buf[pos + 1]);
    t->len = (uint16_t)(buf[pos + 2] << 8 | buf[pos + 3]);
    t->off = (uint32_t)used;
    memcpy(out->tlv_data + used, buf + pos + 4, t->len);
    used += t->len;
    pos += 4 + (size_t)t->len;
  }
  out->tlv_used = used;
  diag->status = PP_ESME_ROK;
  return PP_OK;
}

pp_err_t pp_smpp_pdu_decode(const uint8_t *buf, size_t len, pp_smpp_pdu_t *out) {
  return pp_smpp_pdu_decode_diag(buf, len, out, NULL);
}

/* ---- Encode ------------------------------------------------------------ */

/* True when every mandatory field of the body is empty or zero. */
static bool body_empty(uint32_t id, const pp_smpp_body_t *b) {
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) BODY_CASE_(lower, cid, const, fields, return true)
#define SMPP_INT(name, octets) \
  if (p->name != 0) return false;
#define SMPP_CSTR(name, max, bad_status, secret) \
  if (p->name[0] != '\0') return false;
#define SMPP_OSTR(name, length_field, max)
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return false;
}

static bool omit_body(const pp_smpp_pdu_t *pdu) {
  return (command_flags(pdu->h.command_id) & PP_SMPP_F_NO_BODY_ON_ERROR) &&
         pdu->h.command_status != 0 && pdu->n_tlv == 0 && body_empty(pdu->h.command_id, &pdu->body);
}

/* The length of the mandatory body; PP_ERR_INVALID_PARAM when a field is not
 * encodable or the id unknown. */
static pp_err_t body_len(uint32_t id, const pp_smpp_body_t *b, size_t *len) {
  size_t n = 0, k;
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) \
  BODY_CASE_(lower, cid, const, (void)k; fields, *len = n; return PP_OK)
#define SMPP_INT(name, octets) n += octets;
#define SMPP_CSTR(name, max, bad_status, secret)      \
  if ((k = strnlen(p->name, max)) >= max) return PP_ERR_INVALID_PARAM; \
  n += k + 1;
#define SMPP_OSTR(name, length_field, max)              \
  if (p->length_field > max) return PP_ERR_INVALID_PARAM; \
  n += p->length_field;
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return PP_ERR_INVALID_PARAM;
}

pp_err_t pp_smpp_pdu_encoded_len(const pp_smpp_pdu_t *pdu, size_t *len_out) {
  size_t n = 0;
  pp_err_t e = body_len(pdu->h.command_id, &pdu->body, &n);
  if (e != PP_OK) return e;
  if (omit_body(pdu)) n = 0;
  n += PP_SMPP_HEADER_LEN;
  if (pdu->n_tlv > PP_SMPP_MAX_TLVS || pdu->tlv_used > PP_SMPP_TLV_DATA_MAX)
    return PP_ERR_INVALID_PARAM;
  for (size_t i = 0; i < pdu->n_tlv; i++) {
    const pp_smpp_tlv_t *t = &pdu->tlv[i];
    if (t->off > pdu->tlv_used || pdu->tlv_used - t->off < t->len) return PP_ERR_INVALID_PARAM;
    n += 4 + (size_t)t->len;
  }
  if (n > PP_SMPP_MAX_PDU_LEN) return PP_ERR_TOO_BIG;
  *len_out = n;
  return PP_OK;
}

static void encode_body(uint32_t id, const pp_smpp_body_t *b, uint8_t *buf, size_t *pos) {
  size_t o = *pos, k;
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) \
  BODY_CASE_(lower, cid, const, (void)k; fields, break)
#define SMPP_INT(name, octets)                                    \
  for (int sh = 8 * (octets - 1); sh >= 0; sh -= 8) buf[o++] = (uint8_t)(p->name >> sh);
#define SMPP_CSTR(name, max, bad_status, secret) \
  k = strnlen(p->name, max);                     \
  memcpy(buf + o, p->name, k);                   \
  o += k;                                        \
  buf[o++] = 0;
#define SMPP_OSTR(name, length_field, max)   \
  memcpy(buf + o, p->name, p->length_field); \
  o += p->length_field;
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  *pos = o;
}

pp_err_t pp_smpp_pdu_encode(const pp_smpp_pdu_t *pdu, uint8_t *buf, size_t cap, size_t *len_out) {
  size_t n;
  pp_err_t e = pp_smpp_pdu_encoded_len(pdu, &n);
  if (e != PP_OK) return e;
  if (n > cap) return PP_ERR_TOO_BIG;
  put32(buf, (uint32_t)n);
  put32(buf + 4, pdu->h.command_id);
  put32(buf + 8, pdu->h.command_status);
  put32(buf + 12, pdu->h.sequence_number);
  size_t o = PP_SMPP_HEADER_LEN;
  if (!omit_body(pdu)) encode_body(pdu->h.command_id, &pdu->body, buf, &o);
  for (size_t i = 0; i < pdu->n_tlv; i++) {
    const pp_smpp_tlv_t *t = &pdu->tlv[i];
    buf[o++] = (uint8_t)(t->tag >> 8);
    buf[o++] = (uint8_t)t->tag;
    buf[o++] = (uint8_t)(t->len >> 8);
    buf[o++] = (uint8_t)t->len;
    memcpy(buf + o, pdu->tlv_data + t->off, t->len);
    o += t->len;
  }
  *len_out = o;
  return PP_OK;
}

/* ---- Compare ----------------------------------------------------------- */

static bool body_equal(uint32_t id, const pp_smpp_body_t *ba, const pp_smpp_body_t *bb) {
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) \
  case cid: {                                      \
    const pp_smpp_##lower##_t *a = &ba->lower;     \
    const pp_smpp_##lower##_t *b = &bb->lower;     \
    (void)a;                                       \
    (void)b;                                       \
    fields                                         \
    return true;                                   \
  }
#define SMPP_INT(name, octets) \
  if (a->name != b->name) return false;
#define SMPP_CSTR(name, max, bad_status, secret) \
  if (strncmp(a->name, b->name, max) != 0) return false;
#define SMPP_OSTR(name, length_field, max)                                    \
  if (a->length_field > max || memcmp(a->name, b->name, a->length_field) != 0) \
    return false;
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return false;
}

bool pp_smpp_pdu_equal(const pp_smpp_pdu_t *a, const pp_smpp_pdu_t *b) {
  if (a->h.command_id != b->h.command_id || a->h.command_status != b->h.command_status ||
      a->h.sequence_number != b->h.sequence_number || a->n_tlv != b->n_tlv)
    return false;
  if (!body_equal(a->h.command_id, &a->body, &b->body)) return false;
  for (size_t i = 0; i < a->n_tlv && i < PP_SMPP_MAX_TLVS; i++) {
    const pp_smpp_tlv_t *x = &a->tlv[i], *y = &b->tlv[i];
    if (x->tag != y->tag || x->len != y->len ||
        memcmp(a->tlv_data + x->off, b->tlv_data + y->off, x->len) != 0)
      return false;
  }
  return true;
}

/* ---- Dump -------------------------------------------------------------- */

typedef struct {
  char *out;
  size_t cap, len;
  bool full;
} wr_t;

static void wr(wr_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void wr(wr_t *w, const char *fmt, ...) {
  if (w->full || w->cap == 0) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->out + w->len, w->cap - w->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= w->cap - w->len) {
    w->full = true;
    w->len = w->cap - 1;
    /* Mark the cut with "..." where there is room. */
    for (size_t i = 0; i < 3 && i < w->len; i++) w->out[w->len - 1 - i] = '.';
    w->out[w->len] = '\0';
    return;
  }
  w->len += (size_t)n;
}

/* Writes s (at most max octets, up to its NUL) quoted and escaped. */
static void wr_str(wr_t *w, const char *s, size_t max) {
  wr(w, "\"");
  for (size_t i = 0; i < max && s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
      wr(w, "%c", c);
    else
      wr(w, "\\x%02x", c);
  }
  wr(w, "\"");
}

static void dump_body(wr_t *w, uint32_t id, const pp_smpp_body_t *b) {
  switch (id) {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, cid, flags, fields) BODY_CASE_(lower, cid, const, fields, break)
#define SMPP_INT(name, octets) wr(w, " " #name "=%lu", (unsigned long)p->name);
#define SMPP_CSTR(name, max, bad_status, secret) \
  if (secret) {                                  \
    wr(w, " " #name "=***");                     \
  } else {                                       \
    wr(w, " " #name "=");                        \
    wr_str(w, p->name, max);                     \
  }
#define SMPP_OSTR(name, length_field, max) \
  wr(w, " " #name "=<%u octets>", (unsigned)p->length_field);
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
}

/* How the dump shows a TLV value: 1 integer, 2 string, 0 length only. */
static int tlv_shown(uint16_t tag, size_t *width) {
  switch (tag) {
/* clang-format off */
#define SMPP_TLV_INT(UPPER, lower, tag, octets) \
  case tag:                                     \
    *width = octets;                            \
    return 1;
#define SMPP_TLV_CSTR(UPPER, lower, tag, max) \
  case tag:                                   \
    *width = max;                             \
    return 2;
#include "channel/smpp/smpp_pdu.def"
    /* clang-format on */
  }
  return 0;
}

size_t pp_smpp_pdu_dump(const pp_smpp_pdu_t *pdu, char *out, size_t cap) {
  wr_t w = {.out = out, .cap = cap, .len = 0, .full = false};
  if (cap) out[0] = '\0';
  const char *name = pp_smpp_command_name(pdu->h.command_id);
  if (name[0])
    wr(&w, "%s", name);
  else
    wr(&w, "command_0x%08x", (unsigned)pdu->h.command_id);
  wr(&w, " seq=%lu", (unsigned long)pdu->h.sequence_number);
  if (pdu->h.command_status || (pdu->h.command_id & PP_SMPP_RESP_BIT)) {
    const char *sn = pp_smpp_status_name(pdu->h.command_status);
    if (sn[0])
      wr(&w, " status=%s", sn);
    else
      wr(&w, " status=0x%08x", (unsigned)pdu->h.command_status);
  }
  dump_body(&w, pdu->h.command_id, &pdu->body);
  for (size_t i = 0; i < pdu->n_tlv && i < PP_SMPP_MAX_TLVS; i++) {
    const pp_smpp_tlv_t *t = &pdu->tlv[i];
    const char *tn = pp_smpp_tlv_name(t->tag);
    if (tn)
      wr(&w, " %s", tn);
    else
      wr(&w, " tlv_0x%04x", t->tag);
    size_t width = 0;
    int how = tlv_shown(t->tag, &width);
    const uint8_t *v = pdu->tlv_data + t->off;
    if (how == 1 && t->len == width) {
      unsigned long x = 0;
      for (size_t k = 0; k < t->len; k++) x = x << 8 | v[k];
      wr(&w, "=%lu", x);
    } else if (how == 2 && t->len <= width) {
      char s[257];
      memcpy(s, v, t->len);
      s[t->len] = '\0';
      wr(&w, "=");
      wr_str(&w, s, t->len);
    } else {
      wr(&w, "=<%u octets>", (unsigned)t->len);
    }
  }
  return w.len;
}

/* ---- TLVs -------------------------------------------------------------- */

const pp_smpp_tlv_t *pp_smpp_tlv_find(const pp_smpp_pdu_t *pdu, uint16_t tag) {
  for (size_t i = 0; i < pdu->n_tlv && i < PP_SMPP_MAX_TLVS; i++)
    if (pdu->tlv[i].tag == tag) return &pdu->tlv[i];
  return NULL;
}

pp_err_t pp_smpp_tlv_add(pp_smpp_pdu_t *pdu, uint16_t tag, const void *value, size_t len) {
  if (len > 0xFFFF || pdu->n_tlv >= PP_SMPP_MAX_TLVS || PP_SMPP_TLV_DATA_MAX - pdu->tlv_used < len)
    return PP_ERR_TOO_BIG;
  pp_smpp_tlv_t *t = &pdu->tlv[pdu->n_tlv++];
  t->tag = tag;
  t->len = (uint16_t)len;
  t->off = (uint32_t)pdu->tlv_used;
  if (len) memcpy(pdu->tlv_data + pdu->tlv_used, value, len);
  pdu->tlv_used += len;
  return PP_OK;
}

static pp_err_t get_uint(const pp_smpp_pdu_t *pdu, uint16_t tag, size_t octets, uint32_t *out) {
  const pp_smpp_tlv_t *t = pp_smpp_tlv_find(pdu, tag);
  if (!t) return PP_ERR_NOT_FOUND;
  if (t->len != octets) return PP_ERR_BAD_REQUEST;
  uint32_t x = 0;
  for (size_t k = 0; k < octets; k++) x = x << 8 | pdu->tlv_data[t->off + k];
  *out = x;
  return PP_OK;
}

static pp_err_t add_uint(pp_smpp_pdu_t *pdu, uint16_t tag, size_t octets, uint32_t v) {
  uint8_t b[4];
  for (size_t k = 0; k < octets; k++) b[k] = (uint8_t)(v >> (8 * (octets - 1 - k)));
  return pp_smpp_tlv_add(pdu, tag, b, octets);
}

static pp_err_t get_cstr(const pp_smpp_pdu_t *pdu, uint16_t tag, size_t max, char *out,
                         size_t cap) {
  const pp_smpp_tlv_t *t = pp_smpp_tlv_find(pdu, tag);
  if (!t) return PP_ERR_NOT_FOUND;
  const uint8_t *v = pdu->tlv_data + t->off;
  const uint8_t *nul = memchr(v, 0, t->len);
  size_t n = nul ? (size_t)(nul - v) : t->len;
  /* With its NUL the string may take `max` octets. */
  if (n + 1 > max) return PP_ERR_BAD_REQUEST;
  if (n + 1 > cap) return PP_ERR_TOO_BIG;
  memcpy(out, v, n);
  out[n] = '\0';
  return PP_OK;
}

static pp_err_t add_cstr(pp_smpp_pdu_t *pdu, uint16_t tag, size_t max, const char *s) {
  size_t n = strnlen(s, max);
  if (n + 1 > max) return PP_ERR_INVALID_PARAM;
  return pp_smpp_tlv_add(pdu, tag, s, n + 1);
}

static pp_err_t get_ostr(const pp_smpp_pdu_t *pdu, uint16_t tag, size_t min, size_t max,
                         const uint8_t **value, size_t *len) {
  const pp_smpp_tlv_t *t = pp_smpp_tlv_find(pdu, tag);
  if (!t) return PP_ERR_NOT_FOUND;
  if (t->len < min || t->len > max) return PP_ERR_BAD_REQUEST;
  *value = pdu->tlv_data + t->off;
  *len = t->len;
  return PP_OK;
}

static pp_err_t add_ostr(pp_smpp_pdu_t *pdu, uint16_t tag, size_t min, size_t max,
                         const void *value, size_t len) {
  if (len < min || len > max) return PP_ERR_INVALID_PARAM;
  return pp_smpp_tlv_add(pdu, tag, value, len);
}

/* clang-format off */
#define SMPP_TLV_INT(UPPER, lower, tag, octets)                                           \
  pp_err_t pp_smpp_get_##lower(const pp_smpp_pdu_t *pdu, PP_SMPP_UINT##octets *out) {     \
    uint32_t v;                                                                           \
    pp_err_t e = get_uint(pdu, tag, octets, &v);                                          \
    if (e == PP_OK) *out = (PP_SMPP_UINT##octets)v;                                       \
    return e;                                                                             \
  }                                                                                       \
  pp_err_t pp_smpp_add_##lower(pp_smpp_pdu_t *pdu, PP_SMPP_UINT##octets value) {          \
    return add_uint(pdu, tag, octets, value);                                             \
  }
#define SMPP_TLV_CSTR(UPPER, lower, tag, max)                                             \
  pp_err_t pp_smpp_get_##lower(const pp_smpp_pdu_t *pdu, char *out, size_t cap) {         \
    return get_cstr(pdu, tag, max, out, cap);                                             \
  }                                                                                       \
  pp_err_t pp_smpp_add_##lower(pp_smpp_pdu_t *pdu, const char *value) {                   \
    return add_cstr(pdu, tag, max, value);                                                \
  }
#define SMPP_TLV_OSTR(UPPER, lower, tag, min, max)                                        \
  pp_err_t pp_smpp_get_##lower(const pp_smpp_pdu_t *pdu, const uint8_t **value,           \
                               size_t *len) {                                             \
    return get_ostr(pdu, tag, min, max, value, len);                                      \
  }                                                                                       \
  pp_err_t pp_smpp_add_##lower(pp_smpp_pdu_t *pdu, const void *value, size_t len) {       \
    return add_ostr(pdu, tag, min, max, value, len);                                      \
  }
#include "channel/smpp/smpp_pdu.def"
/* clang-format on */

pp_err_t pp_smpp_get_network_error(const pp_smpp_pdu_t *pdu, uint8_t *type, uint16_t *code) {
  const uint8_t *v;
  size_t n;
  pp_err_t e = pp_smpp_get_network_error_code(pdu, &v, &n);
  if (e != PP_OK) return e;
  *type = v[0];
  *code = (uint16_t)(v[1] << 8 | v[2]);
  return PP_OK;
}

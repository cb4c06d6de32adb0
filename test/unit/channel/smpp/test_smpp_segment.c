/* Segmentation: part counts and boundaries for GSM-7 and UCS-2, UDH and SAR,
 * reassembly to the original text, agreement with core's segment counter;
 * UDH parsing and text decoding of inbound parts. */
#include <stdlib.h>

#include "channel/smpp/gsm7.h"
#include "channel/smpp/segment.h"
#include "check.h"
#include "core/segments.h"

static char *repeat(const char *unit, size_t n) {
  size_t l = strlen(unit);
  char *s = malloc(l * n + 1);
  if (!s) abort();
  for (size_t i = 0; i < n; i++) memcpy(s + i * l, unit, l);
  s[l * n] = '\0';
  return s;
}

static pp_smpp_part_t parts[PP_SMPP_MAX_PARTS];

/* Reassembles parts[0..n) into out (as a receiving handset would) and checks
 * each part's framing: UDH or SAR values, sizes within the limits, and the
 * concatenation numbering. */
static void reassemble(size_t n, const pp_smpp_segment_opts_t *o, char *out, size_t cap) {
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    const pp_smpp_part_t *p = &parts[i];
    size_t skip = 0;
    if (n > 1 && (!o || o->concat == PP_SMPP_CONCAT_UDH)) {
      CHECK_EQ_INT(p->esm_class, PP_SMPP_ESM_UDHI);
      pp_smpp_udh_t u;
      CHECK_EQ_INT(pp_smpp_udh_parse(p->short_message, p->sm_length, &u), PP_OK);
      CHECK_EQ_INT(u.udh_len, 6);
      CHECK(u.concat);
      CHECK_EQ_INT(u.total, n);
      CHECK_EQ_INT(u.seq, i + 1);
      CHECK_EQ_INT(u.ref, o ? (o->ref & 0xFF) : 0);
      CHECK_EQ_INT(p->sar_total_segments, 0);
      skip = u.udh_len;
    } else if (n > 1) {
      CHECK_EQ_INT(p->esm_class, 0);
      CHECK_EQ_INT(p->sar_msg_ref_num, o->ref);
      CHECK_EQ_INT(p->sar_total_segments, n);
      CHECK_EQ_INT(p->sar_segment_seqnum, i + 1);
    } else {
      CHECK_EQ_INT(p->esm_class, 0);
      CHECK_EQ_INT(p->sar_total_segments, 0);
    }
    size_t payload = p->sm_length - skip;
    if (p->data_coding == PP_SMPP_DC_UCS2) {
      CHECK(payload % 2 == 0);
      CHECK(payload <= 2 * (n > 1 ? PP_SMPP_UCS2_PART : PP_SMPP_UCS2_SINGLE));
      /* Never ends on a high surrogate. */
      if (payload >= 2)
        CHECK(!(p->short_message[p->sm_length - 2] >= 0xD8 &&
                p->short_message[p->sm_length - 2] <= 0xDB));
    } else {
      CHECK_EQ_INT(p->data_coding, PP_SMPP_DC_DEFAULT);
      CHECK(payload <= (n > 1 ? PP_SMPP_GSM7_PART : PP_SMPP_GSM7_SINGLE));
      /* Never ends on an escape. */
      if (payload >= 1) CHECK(p->short_message[p->sm_length - 1] != 0x1B);
    }
    size_t got;
    CHECK_EQ_INT(pp_smpp_text_to_utf8(p->data_coding, p->short_message + skip, payload, out + len,
                                      cap - len, &got),
                 PP_OK);
    len += got;
  }
}

/* Splits s, checks the part count (against core's counter too) and that the
 * parts reassemble to s. */
static void check_split(const char *s, const pp_smpp_segment_opts_t *o, size_t want_parts,
                        int want_gsm) {
  size_t n = 0;
  pp_err_t e = pp_smpp_segment(s, strlen(s), o, parts, PP_SMPP_MAX_PARTS, &n);
  CHECK_EQ_INT(e, PP_OK);
  if (e != PP_OK) return;
  if (n != want_parts)
    fprintf(stderr, "  %zu-byte text: %zu parts, expected %zu\n", strlen(s), n, want_parts);
  CHECK_EQ_INT(n, want_parts);
  CHECK_EQ_INT(parts[0].data_coding, want_gsm ? PP_SMPP_DC_DEFAULT : PP_SMPP_DC_UCS2);
  pp_segments_t c;
  pp_segments_count(s, strlen(s), &c);
  if (!(o && o->force_ucs2) && c.segments) CHECK_EQ_INT(n, c.segments);
  size_t cap = 3 * strlen(s) + 16;
  char *back = malloc(cap);
  if (!back) abort();
  reassemble(n, o, back, cap);
  CHECK_EQ_STR(back, s);
  free(back);
}

/* `count` copies of `unit` split into `parts` parts, GSM-7 or not; where
 * `first_len` is not -1, the first part's sm_length is that. */
typedef struct {
  const char *unit;
  size_t count, parts;
  int gsm;
  int first_len;
} repeat_case_t;

static void check_repeats(const repeat_case_t *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char *t = repeat(c[i].unit, c[i].count);
    check_split(t, NULL, c[i].parts, c[i].gsm);
    if (c[i].first_len >= 0) CHECK_EQ_INT(parts[0].sm_length, c[i].first_len);
    free(t);
  }
}

static void test_gsm7(void) {
  /* The brief's case: 400 GSM characters take 3 parts, 153 + 153 + 94. */
  char *s = malloc(401);
  for (int i = 0; i < 400; i++) s[i] = "Pipit says hello, world! 0123456789"[i % 35];
  s[400] = '\0';
  pp_smpp_segment_opts_t o = {PP_SMPP_CONCAT_UDH, 0x1A7, false};
  check_split(s, &o, 3, 1);
  CHECK_EQ_INT(parts[0].sm_length, 6 + 153);
  CHECK_EQ_INT(parts[1].sm_length, 6 + 153);
  CHECK_EQ_INT(parts[2].sm_length, 6 + 94);
  const uint8_t udh2[] = {0x05, 0x00, 0x03, 0xA7, 0x03, 0x02};
  CHECK(memcmp(parts[1].short_message, udh2, 6) == 0);
  CHECK(memcmp(parts[1].short_message + 6, s + 153, 153) == 0); /* ASCII maps 1:1 here */
  free(s);

  /* Boundaries: 160 in one part without UDH; 161 in two; 306 in two; 307 in
   * three.  Extension characters count two septets; 80 euro signs fit one part. */
  static const repeat_case_t cases[] = {
      {"a", 1, 1, 1, 1},      {"a", 160, 1, 1, 160}, {"a", 161, 2, 1, -1},
      {"a", 306, 2, 1, -1},   {"a", 307, 3, 1, -1},  {"a", 1530, 10, 1, -1},
      {"a", 1531, 11, 1, -1}, {"€", 80, 1, 1, 160},  {"€", 81, 2, 1, -1}};
  check_repeats(cases, sizeof cases / sizeof cases[0]);
  /* An escape pair is never split: 152 'a' then '{' moves the pair. */
  char *a152 = repeat("a", 152);
  char t[400];
  snprintf(t, sizeof t, "%s{%s", a152, "bbbbbbbbbbbbbbbbbbbb");
  check_split(t, NULL, 2, 1);
  CHECK_EQ_INT(parts[0].sm_length, 6 + 152);
  CHECK_EQ_INT(parts[1].short_message[6], 0x1B);
  CHECK_EQ_INT(parts[1].short_message[7], 0x28);
  /* 153 'a' then '{': part one full, the pair opens part two. */
  snprintf(t, sizeof t, "%sa{%s", a152, "cccccccccc");
  check_split(t, NULL, 2, 1);
  CHECK_EQ_INT(parts[0].sm_length, 6 + 153);
  free(a152);
  /* Basic-table letters outside ASCII stay GSM-7. */
  check_split("Ünïcödé? No: Üñíçødé — wait, the dash is not GSM.", NULL, 1, 0);
  check_split("Ø Å Æ ß É Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ¤ ¡ ¿ § £ ¥ è é ù ì ò Ç", NULL, 1, 1);
}

static void test_ucs2(void) {
  /* 70 UTF-16 units in one part, else 67 per part; emoji are surrogate
   * pairs, two units each. */
  static const repeat_case_t cases[] = {{"ж", 70, 1, 0, 140}, {"ж", 71, 2, 0, 6 + 134},
                                        {"ж", 134, 2, 0, -1}, {"ж", 135, 3, 0, -1},
                                        {"😀", 35, 1, 0, 140}, {"😀", 36, 2, 0, -1}};
  check_repeats(cases, sizeof cases / sizeof cases[0]);
  /* "ab" + 40 emoji: part one takes "ab" + 32 emoji (66 units); the 33rd
   * would split its pair at unit 67, so it opens part two. */
  char *e40 = repeat("😀", 40);
  char t[512];
  snprintf(t, sizeof t, "ab%s", e40);
  check_split(t, NULL, 2, 0);
  CHECK_EQ_INT(parts[0].sm_length, 6 + 132);
  CHECK_EQ_INT(parts[1].sm_length, 6 + 32); /* 8 emoji */
  CHECK_EQ_INT(parts[1].short_message[6], 0xD8);
  free(e40);
  /* One emoji in otherwise GSM text makes the whole message UCS-2. */
  char *a100 = repeat("a", 100);
  snprintf(t, sizeof t, "%s🙂", a100);
  check_split(t, NULL, 2, 0);
  free(a100);
  /* Invalid UTF-8 becomes U+FFFD. */
  size_t n;
  CHECK_EQ_INT(pp_smpp_segment("a\xff", 2, NULL, parts, 4, &n), PP_OK);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(parts[0].data_coding, PP_SMPP_DC_UCS2);
  const uint8_t fffd[] = {0x00, 0x61, 0xFF, 0xFD};
  CHECK(parts[0].sm_length == 4 && memcmp(parts[0].short_message, fffd, 4) == 0);
}

static void test_options(void) {
  /* SAR: no UDH, the values per part. */
  char *s = repeat("0123456789", 40);
  pp_smpp_segment_opts_t sar = {PP_SMPP_CONCAT_SAR, 0xBEEF, false};
  check_split(s, &sar, 3, 1);
  CHECK_EQ_INT(parts[0].sm_length, 153);
  CHECK_EQ_INT(parts[2].sm_length, 94);
  /* Forced UCS-2. */
  pp_smpp_segment_opts_t ucs = {PP_SMPP_CONCAT_UDH, 9, true};
  check_split("hello", &ucs, 1, 0);
  CHECK_EQ_INT(parts[0].sm_length, 10);
  check_split(s, &ucs, 6, 0); /* 400 units / 67 */
  /* Too few parts allowed. */
  size_t n = 77;
  CHECK_EQ_INT(pp_smpp_segment(s, strlen(s), NULL, parts, 2, &n), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(n, 77);
  CHECK_EQ_INT(pp_smpp_segment(s, strlen(s), NULL, parts, 0, &n), PP_ERR_TOO_BIG);
  /* More than 255 parts cannot be numbered in a UDH. */
  char *huge = repeat("a", 153 * 255 + 1);
  CHECK_EQ_INT(pp_smpp_segment(huge, strlen(huge), NULL, parts, PP_SMPP_MAX_PARTS, &n),
               PP_ERR_TOO_BIG);
  huge[153 * 255] = '\0';
  CHECK_EQ_INT(pp_smpp_segment(huge, strlen(huge), NULL, parts, PP_SMPP_MAX_PARTS, &n), PP_OK);
  CHECK_EQ_INT(n, 255);
  free(huge);
  /* Empty body: one empty part. */
  CHECK_EQ_INT(pp_smpp_segment("", 0, NULL, parts, 1, &n), PP_OK);
  CHECK_EQ_INT(n, 1);
  CHECK_EQ_INT(parts[0].sm_length, 0);
  CHECK_EQ_INT(parts[0].esm_class, 0);

  /* Applying SAR parts to a submit_sm adds the TLVs. */
  CHECK_EQ_INT(pp_smpp_segment(s, strlen(s), &sar, parts, PP_SMPP_MAX_PARTS, &n), PP_OK);
  pp_smpp_pdu_t *p = malloc(sizeof *p), *d = malloc(sizeof *d);
  pp_smpp_pdu_init(p, PP_SMPP_SUBMIT_SM, 1);
  p->body.submit_sm.esm_class = 0x03; /* messaging mode bits are kept */
  CHECK_EQ_INT(pp_smpp_part_apply(&parts[1], p), PP_OK);
  CHECK_EQ_INT(p->body.submit_sm.esm_class, 0x03);
  static uint8_t wire[PP_SMPP_MAX_PDU_LEN];
  size_t len;
  CHECK_EQ_INT(pp_smpp_pdu_encode(p, wire, sizeof wire, &len), PP_OK);
  CHECK_EQ_INT(pp_smpp_pdu_decode(wire, len, d), PP_OK);
  uint16_t ref;
  uint8_t total, seq;
  CHECK_EQ_INT(pp_smpp_get_sar_msg_ref_num(d, &ref), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_sar_total_segments(d, &total), PP_OK);
  CHECK_EQ_INT(pp_smpp_get_sar_segment_seqnum(d, &seq), PP_OK);
  CHECK(ref == 0xBEEF && total == 3 && seq == 2);
  CHECK_EQ_INT(d->body.submit_sm.sm_length, 153);
  CHECK(memcmp(d->body.submit_sm.short_message, s + 153, 153) == 0);
  /* UDH parts set UDHI and no TLVs. */
  CHECK_EQ_INT(pp_smpp_segment(s, strlen(s), NULL, parts, PP_SMPP_MAX_PARTS, &n), PP_OK);
  pp_smpp_pdu_init(p, PP_SMPP_DELIVER_SM, 1);
  CHECK_EQ_INT(pp_smpp_part_apply(&parts[0], p), PP_OK);
  CHECK_EQ_INT(p->body.deliver_sm.esm_class, PP_SMPP_ESM_UDHI);
  CHECK_EQ_INT(p->n_tlv, 0);
  pp_smpp_pdu_init(p, PP_SMPP_REPLACE_SM, 1);
  CHECK_EQ_INT(pp_smpp_part_apply(&parts[0], p), PP_OK);
  CHECK_EQ_INT(p->body.replace_sm.sm_length, 159);
  pp_smpp_pdu_init(p, PP_SMPP_DATA_SM, 1);
  CHECK_EQ_INT(pp_smpp_part_apply(&parts[0], p), PP_ERR_INVALID_PARAM);
  free(p);
  free(d);
  free(s);
}

/* Part counts agree with core's counter on mixed texts of many lengths. */
static void test_agreement(void) {
  const char *units[] = {"a", "€", "ж", "😀", "a€", "aж", "{a", "ab😀", "\xff", "é"};
  for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
    for (size_t k = 0; k < 400; k += 7) {
      char *s = repeat(units[u], k);
      size_t n;
      pp_segments_t c;
      pp_segments_count(s, strlen(s), &c);
      CHECK_EQ_INT(pp_smpp_segment(s, strlen(s), NULL, parts, PP_SMPP_MAX_PARTS, &n), PP_OK);
      CHECK_EQ_INT(n, c.segments ? c.segments : 1);
      free(s);
    }
}

static void test_udh_and_text(void) {
  pp_smpp_udh_t u;
  /* 16-bit reference (IEI 0x08), after an unrelated element. */
  const uint8_t udh16[] = {0x09, 0x24, 0x01, 0x00, 0x08, 0x04, 0x12, 0x34, 0x05, 0x02, 'h', 'i'};
  CHECK_EQ_INT(pp_smpp_udh_parse(udh16, sizeof udh16, &u), PP_OK);
  CHECK(u.concat && u.ref == 0x1234 && u.total == 5 && u.seq == 2 && u.udh_len == 10);
  /* No concatenation element; an invalid one (seq > total) is ignored. */
  const uint8_t ports[] = {0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0};
  CHECK_EQ_INT(pp_smpp_udh_parse(ports, sizeof ports, &u), PP_OK);
  CHECK(!u.concat && u.udh_len == 7);
  const uint8_t badseq[] = {0x05, 0x00, 0x03, 0x01, 0x02, 0x03};
  CHECK_EQ_INT(pp_smpp_udh_parse(badseq, sizeof badseq, &u), PP_OK);
  CHECK(!u.concat);
  /* Overruns. */
  const uint8_t over[] = {0x07, 0x00, 0x03, 0x01, 0x02, 0x01};
  CHECK_EQ_INT(pp_smpp_udh_parse(over, sizeof over, &u), PP_ERR_BAD_REQUEST);
  const uint8_t ie_over[] = {0x03, 0x00, 0x03, 0x01};
  CHECK_EQ_INT(pp_smpp_udh_parse(ie_over, sizeof ie_over, &u), PP_ERR_BAD_REQUEST);
  const uint8_t ie_half[] = {0x01, 0x00};
  CHECK_EQ_INT(pp_smpp_udh_parse(ie_half, sizeof ie_half, &u), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_udh_parse(ie_half, 0, &u), PP_ERR_BAD_REQUEST);
  const uint8_t empty[] = {0x00};
  CHECK_EQ_INT(pp_smpp_udh_parse(empty, 1, &u), PP_OK);
  CHECK_EQ_INT(u.udh_len, 1);

  char out[64];
  size_t n;
  const uint8_t latin1[] = {'c', 'a', 'f', 0xE9};
  CHECK_EQ_INT(pp_smpp_text_to_utf8(PP_SMPP_DC_LATIN1, latin1, 4, out, sizeof out, &n), PP_OK);
  CHECK_EQ_STR(out, "café");
  CHECK_EQ_INT(pp_smpp_text_to_utf8(PP_SMPP_DC_IA5, (const uint8_t *)"abc", 3, out, 4, &n), PP_OK);
  CHECK_EQ_STR(out, "abc");
  CHECK_EQ_INT(pp_smpp_text_to_utf8(PP_SMPP_DC_IA5, (const uint8_t *)"abc", 3, out, 3, &n),
               PP_ERR_TOO_BIG);
  const uint8_t gsm[] = {0x00, 0x1B, 0x65};
  CHECK_EQ_INT(pp_smpp_text_to_utf8(PP_SMPP_DC_DEFAULT, gsm, 3, out, sizeof out, &n), PP_OK);
  CHECK_EQ_STR(out, "@€");
  CHECK_EQ_INT(pp_smpp_text_to_utf8(PP_SMPP_DC_BINARY, gsm, 3, out, sizeof out, &n),
               PP_ERR_INVALID_PARAM);
}

/* Packed GSM-7 parts: 23.038 6.1.2.1.1 packing after the UDH and its fill
 * bits; every part unpacks (pp_gsm7_unpack, and pp_smpp_ud_unpack as the
 * engine reads inbound parts) to the septets it had. */
static void test_pack(void) {
  /* "hellohello" packed from bit 0: the 23.038 example's octets. */
  size_t n;
  CHECK_EQ_INT(pp_smpp_segment("hellohello", 10, NULL, parts, 1, &n), PP_OK);
  CHECK_EQ_INT(pp_smpp_part_pack(&parts[0]), PP_OK);
  const uint8_t hello[] = {0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37};
  CHECK_EQ_INT(parts[0].sm_length, sizeof hello);
  CHECK(memcmp(parts[0].short_message, hello, sizeof hello) == 0);

  /* 160 septets in one part: 140 octets. */
  char *a160 = repeat("a", 160);
  CHECK_EQ_INT(pp_smpp_segment(a160, 160, NULL, parts, 1, &n), PP_OK);
  CHECK_EQ_INT(pp_smpp_part_pack(&parts[0]), PP_OK);
  CHECK_EQ_INT(parts[0].sm_length, 140);
  free(a160);

  /* Three UDH parts: 153 septets take 134 octets after the 6-octet UDH and
   * one fill bit, 140 in all; the UDH is untouched. */
  char *s = malloc(401);
  for (int i = 0; i < 400; i++) s[i] = "Pipit {packs} €uro text 0123456789 @_$"[i % 38];
  s[400] = '\0';
  pp_smpp_segment_opts_t o = {PP_SMPP_CONCAT_UDH, 0x42, false};
  CHECK_EQ_INT(pp_smpp_segment(s, strlen(s), &o, parts, PP_SMPP_MAX_PARTS, &n), PP_OK);
  pp_smpp_part_t plain[8];
  CHECK(n > 2 && n <= 8);
  memcpy(plain, parts, n * sizeof parts[0]);
  CHECK_EQ_INT(pp_gsm7_fill_bits(6), 1);
  for (size_t i = 0; i < n; i++) {
    size_t septets = plain[i].sm_length - 6u;
    CHECK_EQ_INT(pp_smpp_part_pack(&parts[i]), PP_OK);
    CHECK(memcmp(parts[i].short_message, plain[i].short_message, 6) == 0);
    CHECK_EQ_INT(parts[i].sm_length, 6 + (1 + 7 * septets + 7) / 8);
    if (septets == 153) CHECK_EQ_INT(parts[i].sm_length, 140);
    CHECK_EQ_INT(parts[i].esm_class, PP_SMPP_ESM_UDHI);
    CHECK_EQ_INT(parts[i].data_coding, PP_SMPP_DC_DEFAULT);
    /* The first fill bit is zero, and the first septet starts at bit 1. */
    CHECK_EQ_INT(parts[i].short_message[6] & 1, 0);
    CHECK_EQ_INT((parts[i].short_message[6] >> 1) & 0x7F, plain[i].short_message[6]);
    uint8_t back[200];
    size_t got;
    CHECK_EQ_INT(pp_gsm7_unpack(parts[i].short_message + 6, parts[i].sm_length - 6u, 1, septets,
                                back, sizeof back, &got),
                 PP_OK);
    CHECK_EQ_INT(got, septets);
    CHECK(memcmp(back, plain[i].short_message + 6, septets) == 0);
    CHECK_EQ_INT(
        pp_smpp_ud_unpack(parts[i].short_message, parts[i].sm_length, 6, back, sizeof back, &got),
        PP_OK);
    CHECK_EQ_INT(got, septets);
    CHECK(memcmp(back, plain[i].short_message + 6, septets) == 0);
  }
  free(s);

  /* Seven septets leave 7 spare bits, which hold a CR that unpacking
   * drops.  A 7-octet UDH ends on a septet boundary (56 bits): no fill. */
  CHECK_EQ_INT(pp_smpp_segment("Hello!!", 7, NULL, parts, 1, &n), PP_OK);
  CHECK_EQ_INT(pp_smpp_part_pack(&parts[0]), PP_OK);
  CHECK_EQ_INT(parts[0].sm_length, 7);
  CHECK_EQ_INT(parts[0].short_message[6] >> 1, 0x0D);
  uint8_t sep[16];
  size_t got;
  CHECK_EQ_INT(pp_smpp_ud_unpack(parts[0].short_message, 7, 0, sep, sizeof sep, &got), PP_OK);
  CHECK_EQ_INT(got, 7);
  CHECK(memcmp(sep, "Hello!!", 7) == 0);
  CHECK_EQ_INT(pp_gsm7_fill_bits(7), 0);
  pp_smpp_part_t udh7 = {.data_coding = PP_SMPP_DC_DEFAULT,
                         .esm_class = PP_SMPP_ESM_UDHI,
                         .sm_length = 9,
                         .short_message = {0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 'h', 'i'}};
  CHECK_EQ_INT(pp_smpp_part_pack(&udh7), PP_OK);
  CHECK_EQ_INT(udh7.sm_length, 7 + 2);
  CHECK_EQ_INT(pp_smpp_ud_unpack(udh7.short_message, udh7.sm_length, 7, sep, sizeof sep, &got),
               PP_OK);
  CHECK(got == 2 && sep[0] == 'h' && sep[1] == 'i');

  /* UCS-2 parts are not touched; malformed parts are refused unchanged. */
  CHECK_EQ_INT(pp_smpp_segment("ж", strlen("ж"), NULL, parts, 1, &n), PP_OK);
  pp_smpp_part_t before = parts[0];
  CHECK_EQ_INT(pp_smpp_part_pack(&parts[0]), PP_OK);
  CHECK(memcmp(&before, &parts[0], sizeof before) == 0);
  pp_smpp_part_t bad = {.data_coding = 0,
                        .esm_class = PP_SMPP_ESM_UDHI,
                        .sm_length = 3,
                        .short_message = {0x05, 0x00, 0x03}};
  before = bad;
  CHECK_EQ_INT(pp_smpp_part_pack(&bad), PP_ERR_INVALID_PARAM);
  CHECK(memcmp(&before, &bad, sizeof bad) == 0);
  bad = (pp_smpp_part_t){.data_coding = 0, .sm_length = 2, .short_message = {'a', 0x80}};
  CHECK_EQ_INT(pp_smpp_part_pack(&bad), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(bad.sm_length, 2);
  CHECK_EQ_INT(pp_smpp_ud_unpack(hello, 3, 4, sep, sizeof sep, &got), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_ud_unpack(hello, sizeof hello, 0, sep, 3, &got), PP_ERR_TOO_BIG);
}

int main(void) {
  test_gsm7();
  test_ucs2();
  test_options();
  test_agreement();
  test_udh_and_text();
  test_pack();
  return check_report("smpp_segment");
}

/* GSM 03.38 septets both ways (every basic and extension character), 7-bit
 * packing, and UCS-2 <-> UTF-8. */
#include <stdint.h>
#include <stdlib.h>

#include "channel/smpp/gsm7.h"
#include "check.h"
#include "core/segments.h"

static size_t utf8_of(unsigned cp, char *o) {
  if (cp < 0x80) return o[0] = (char)cp, 1;
  if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Checks UTF-8 `s` <-> septets `want` both ways. */
static void both_ways(const char *s, const uint8_t *want, size_t n) {
  uint8_t sep[512];
  size_t len = 0;
  CHECK_EQ_INT(pp_gsm7_from_utf8(s, strlen(s), sep, sizeof sep, &len), PP_OK);
  CHECK_EQ_INT(len, n);
  if (len != n || memcmp(sep, want, n) != 0) {
    fprintf(stderr, "  \"%s\": septets differ\n", s);
    CHECK(0);
  }
  char back[1024];
  size_t bl = 0;
  CHECK_EQ_INT(pp_gsm7_to_utf8(want, n, back, sizeof back, &bl), PP_OK);
  CHECK_EQ_STR(back, s);
  CHECK_EQ_INT(bl, strlen(s));
  CHECK(pp_gsm7_representable(s, strlen(s)));
}

static void test_basic_table(void) {
  /* The whole basic table in septet order (0x1B, the escape, left out). */
  static const char *const table[128] = {
      "@", "£", "$",  "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø",  "ø", "\r", "Å", "å",
      "Δ", "_", "Φ",  "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ",  NULL, "Æ", "æ",  "ß", "É",
      " ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*",  "+",  ",", "-",  ".", "/",
      "0", "1", "2",  "3", "4", "5", "6", "7", "8", "9", ":",  ";",  "<", "=",  ">", "?",
      "¡", "A", "B",  "C", "D", "E", "F", "G", "H", "I", "J",  "K",  "L", "M",  "N", "O",
      "P", "Q", "R",  "S", "T", "U", "V", "W", "X", "Y", "Z",  "Ä",  "Ö", "Ñ",  "Ü", "§",
      "¿", "a", "b",  "c", "d", "e", "f", "g", "h", "i", "j",  "k",  "l", "m",  "n", "o",
      "p", "q", "r",  "s", "t", "u", "v", "w", "x", "y", "z",  "ä",  "ö", "ñ",  "ü", "à",
  };
  for (unsigned i = 0; i < 128; i++) {
    if (!table[i]) continue;
    uint8_t sep = (uint8_t)i;
    both_ways(table[i], &sep, 1);
  }
  /* The whole table as one string. */
  char all[512] = "";
  uint8_t want[128];
  size_t n = 0;
  for (unsigned i = 0; i < 128; i++)
    if (table[i]) strcat(all, table[i]), want[n++] = (uint8_t)i;
  both_ways(all, want, n);
}

static void test_extension_table(void) {
  static const struct {
    const char *s;
    uint8_t code;
  } ext[] = {{"\f", 0x0A}, {"^", 0x14}, {"{", 0x28}, {"}", 0x29}, {"\\", 0x2F},
             {"[", 0x3C},  {"~", 0x3D}, {"]", 0x3E}, {"|", 0x40}, {"€", 0x65}};
  char all[64] = "";
  uint8_t want[32];
  size_t n = 0;
  for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    uint8_t pair[2] = {0x1B, ext[i].code};
    both_ways(ext[i].s, pair, 2);
    strcat(all, ext[i].s);
    want[n++] = 0x1B;
    want[n++] = ext[i].code;
  }
  both_ways(all, want, n);
  /* Mixed with basic characters. */
  const uint8_t mixed[] = {0x48, 0x69, 0x20, 0x1B, 0x65, 0x35, 0x20, 0x1B, 0x28, 0x78, 0x1B, 0x29};
  both_ways("Hi €5 {x}", mixed, sizeof mixed);
}

/* The septet tables agree with core's pp_segments_septets on every code point. */
static void test_agrees_with_core(void) {
  size_t mismatches = 0, gsm = 0;
  for (unsigned cp = 0; cp <= 0x10FFFF; cp++) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    char u[4];
    size_t ul = utf8_of(cp, u);
    uint8_t sep[4];
    size_t n = 0;
    pp_err_t e = pp_gsm7_from_utf8(u, ul, sep, sizeof sep, &n);
    int w = pp_segments_septets(cp);
    if (w == 0 ? e != PP_ERR_INVALID_PARAM : (e != PP_OK || n != (size_t)w)) mismatches++;
    if (w) gsm++;
    if ((w != 0) != pp_gsm7_representable(u, ul)) mismatches++;
  }
  CHECK_EQ_INT(mismatches, 0);
  CHECK_EQ_INT(gsm, 127 + 10);
}

static void test_unrepresentable(void) {
  uint8_t sep[16];
  size_t n = 99;
  const char *bad[] = {"`", "ç", "😀", "Ä\xff", "\xc3", "\x80", "a\x01", "€\xe2\x82"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK_EQ_INT(pp_gsm7_from_utf8(bad[i], strlen(bad[i]), sep, sizeof sep, &n),
                 PP_ERR_INVALID_PARAM);
    CHECK(!pp_gsm7_representable(bad[i], strlen(bad[i])));
  }
  CHECK_EQ_INT(n, 99); /* untouched */
  CHECK(pp_gsm7_representable("", 0));
  /* cap: two septets need two octets. */
  CHECK_EQ_INT(pp_gsm7_from_utf8("a€", 4, sep, 2, &n), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_gsm7_from_utf8("a€", 4, sep, 3, &n), PP_OK);
  CHECK_EQ_INT(n, 3);
}

/* `len` octets of `in` decode (OK) to the UTF-8 text `want`. */
typedef struct {
  uint8_t in[4];
  size_t len;
  const char *want;
} decode_case_t;

static void check_decodes(pp_err_t (*decode)(const uint8_t *, size_t, char *, size_t, size_t *),
                          const decode_case_t *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char out[64];
    size_t on;
    CHECK_EQ_INT(decode(c[i].in, c[i].len, out, sizeof out, &on), PP_OK);
    CHECK_EQ_STR(out, c[i].want);
  }
}

static void test_decode_leniency(void) {
  char out[64];
  size_t n;
  /* A lone escape, an escaped escape, an unknown escape, high bits. */
  static const decode_case_t cases[] = {{{0x41, 0x1B}, 2, "A "},
                                        {{0x1B, 0x1B, 0x41}, 3, " A"},
                                        {{0x1B, 0x41, 0x1B, 0x00}, 4, "A@"},
                                        {{0xC1, 0x80}, 2, "A@"}};
  check_decodes(pp_gsm7_to_utf8, cases, sizeof cases / sizeof cases[0]);
  /* Output cap counts the NUL. */
  const uint8_t euro[] = {0x1B, 0x65};
  CHECK_EQ_INT(pp_gsm7_to_utf8(euro, 2, out, 3, &n), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_gsm7_to_utf8(euro, 2, out, 4, &n), PP_OK);
  CHECK_EQ_STR(out, "€");
  CHECK_EQ_INT(pp_gsm7_to_utf8(euro, 0, out, 1, &n), PP_OK);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_INT(pp_gsm7_to_utf8(euro, 0, out, 0, &n), PP_ERR_TOO_BIG);
}

static void test_packing(void) {
  uint8_t sep[64], packed[64], back[64];
  size_t n, pl, bn;
  /* 23.038's example: "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37. */
  CHECK_EQ_INT(pp_gsm7_from_utf8("hellohello", 10, sep, sizeof sep, &n), PP_OK);
  CHECK_EQ_INT(pp_gsm7_pack(sep, n, 0, packed, sizeof packed, &pl), PP_OK);
  const uint8_t hello[] = {0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37};
  CHECK_EQ_INT(pl, 9);
  CHECK(memcmp(packed, hello, 9) == 0);
  CHECK_EQ_INT(pp_gsm7_unpack(hello, 9, 0, PP_GSM7_ALL, back, sizeof back, &bn), PP_OK);
  CHECK_EQ_INT(bn, 10);
  CHECK(memcmp(back, sep, 10) == 0);
  /* 8 septets fill 7 octets exactly: "12345678" -> 31 D9 8C 56 B3 DD 70. */
  CHECK_EQ_INT(pp_gsm7_from_utf8("12345678", 8, sep, sizeof sep, &n), PP_OK);
  CHECK_EQ_INT(pp_gsm7_pack(sep, n, 0, packed, sizeof packed, &pl), PP_OK);
  const uint8_t digits[] = {0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x70};
  CHECK_EQ_INT(pl, 7);
  CHECK(memcmp(packed, digits, 7) == 0);
  /* 7 septets leave 7 spare bits: they hold a CR, which unpacking drops. */
  CHECK_EQ_INT(pp_gsm7_pack(sep, 7, 0, packed, sizeof packed, &pl), PP_OK);
  CHECK_EQ_INT(pl, 7);
  CHECK_EQ_INT(packed[6] >> 1, 0x0D);
  CHECK_EQ_INT(pp_gsm7_unpack(packed, 7, 0, PP_GSM7_ALL, back, sizeof back, &bn), PP_OK);
  CHECK_EQ_INT(bn, 7);
  CHECK(memcmp(back, sep, 7) == 0);
  CHECK_EQ_INT(pp_gsm7_unpack(packed, 7, 0, 8, back, sizeof back, &bn), PP_OK);
  CHECK_EQ_INT(back[7], 0x0D);
  CHECK_EQ_INT(pp_gsm7_unpack(packed, 7, 0, 9, back, sizeof back, &bn), PP_ERR_BAD_REQUEST);

  /* After a 6-octet UDH: one fill bit.  Round trips for every fill and
   * length, with explicit counts. */
  CHECK_EQ_INT(pp_gsm7_fill_bits(6), 1);
  CHECK_EQ_INT(pp_gsm7_fill_bits(7), 0);
  CHECK_EQ_INT(pp_gsm7_fill_bits(0), 0);
  CHECK_EQ_INT(pp_gsm7_fill_bits(1), 6);
  for (unsigned fill = 0; fill <= 6; fill++)
    for (size_t len = 0; len <= 40; len++) {
      for (size_t i = 0; i < len; i++) sep[i] = (uint8_t)((i * 37 + fill * 11 + 5) & 0x7F);
      CHECK_EQ_INT(pp_gsm7_pack(sep, len, fill, packed, sizeof packed, &pl), PP_OK);
      CHECK_EQ_INT(pl, (fill + 7 * len + 7) / 8);
      CHECK_EQ_INT(packed[0] & ((1u << fill) - 1), 0); /* fill bits are zero */
      CHECK_EQ_INT(pp_gsm7_unpack(packed, pl, fill, len, back, sizeof back, &bn), PP_OK);
      CHECK(bn == len && memcmp(back, sep, len) == 0);
      /* PP_GSM7_ALL recovers the count unless the text ends in a CR. */
      if (len > 0 && sep[len - 1] == 0x0D) continue;
      CHECK_EQ_INT(pp_gsm7_unpack(packed, pl, fill, PP_GSM7_ALL, back, sizeof back, &bn), PP_OK);
      CHECK(bn == len && memcmp(back, sep, len) == 0);
    }
  CHECK_EQ_INT(pp_gsm7_pack(sep, 2, 7, packed, sizeof packed, &pl), PP_ERR_INVALID_PARAM);
  sep[0] = 0x80;
  CHECK_EQ_INT(pp_gsm7_pack(sep, 1, 0, packed, sizeof packed, &pl), PP_ERR_INVALID_PARAM);
  sep[0] = 1;
  CHECK_EQ_INT(pp_gsm7_pack(sep, 10, 0, packed, 8, &pl), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_gsm7_unpack(hello, 9, 0, PP_GSM7_ALL, back, 9, &bn), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_gsm7_unpack(hello, 0, 3, PP_GSM7_ALL, back, 9, &bn), PP_OK);
  CHECK_EQ_INT(bn, 0);
}

static void test_ucs2(void) {
  uint8_t u[64];
  size_t n;
  /* é € 😀 (U+1F600 as the pair D83D DE00) A */
  const char *s = "é€😀A";
  CHECK_EQ_INT(pp_ucs2_from_utf8(s, strlen(s), u, sizeof u, &n), PP_OK);
  const uint8_t want[] = {0x00, 0xE9, 0x20, 0xAC, 0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x41};
  CHECK_EQ_INT(n, sizeof want);
  CHECK(memcmp(u, want, sizeof want) == 0);
  char out[64];
  size_t on;
  CHECK_EQ_INT(pp_ucs2_to_utf8(want, sizeof want, out, sizeof out, &on), PP_OK);
  CHECK_EQ_STR(out, s);
  CHECK_EQ_INT(on, strlen(s));
  /* Largest code point. */
  CHECK_EQ_INT(pp_ucs2_from_utf8("\xf4\x8f\xbf\xbf", 4, u, sizeof u, &n), PP_OK);
  CHECK(n == 4 && u[0] == 0xDB && u[1] == 0xFF && u[2] == 0xDF && u[3] == 0xFF);
  /* Invalid UTF-8 becomes U+FFFD. */
  CHECK_EQ_INT(pp_ucs2_from_utf8("a\xff", 2, u, sizeof u, &n), PP_OK);
  CHECK(n == 4 && u[2] == 0xFF && u[3] == 0xFD);
  /* cap: a surrogate pair is never half-written. */
  CHECK_EQ_INT(pp_ucs2_from_utf8("😀", 4, u, 3, &n), PP_ERR_TOO_BIG);
  /* Lenient decoding: lone surrogates and an odd octet become U+FFFD. */
  static const decode_case_t lenient[] = {{{0xD8, 0x3D, 0x00, 0x41},
                                           4,
                                           "\xef\xbf\xbd"
                                           "A"},
                                          {{0xDE, 0x00}, 2, "\xef\xbf\xbd"},
                                          {{0x00, 0x41, 0xD8, 0x3D}, 4, "A\xef\xbf\xbd"},
                                          {{0x00, 0x41, 0x00}, 3, "A\xef\xbf\xbd"}};
  check_decodes(pp_ucs2_to_utf8, lenient, sizeof lenient / sizeof lenient[0]);
  /* A NUL code unit stays in the output, counted. */
  const uint8_t nul[] = {0x00, 0x00, 0x00, 0x42};
  CHECK_EQ_INT(pp_ucs2_to_utf8(nul, 4, out, sizeof out, &on), PP_OK);
  CHECK_EQ_INT(on, 2);
  CHECK_EQ_INT(pp_ucs2_to_utf8(want, sizeof want, out, strlen(s), &on), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(pp_ucs2_to_utf8(want, sizeof want, out, strlen(s) + 1, &on), PP_OK);
  /* Every BMP code point and a sample of the rest round-trip. */
  size_t bad = 0;
  for (unsigned cp = 1; cp <= 0x10FFFF; cp += cp < 0x10000 ? 1 : 97) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    char c[4];
    size_t cl = utf8_of(cp, c);
    if (pp_ucs2_from_utf8(c, cl, u, sizeof u, &n) != PP_OK ||
        pp_ucs2_to_utf8(u, n, out, sizeof out, &on) != PP_OK || on != cl || memcmp(out, c, cl) != 0)
      bad++;
  }
  CHECK_EQ_INT(bad, 0);
}

int main(void) {
  test_basic_table();
  test_extension_table();
  test_agrees_with_core();
  test_unrepresentable();
  test_decode_leniency();
  test_packing();
  test_ucs2();
  return check_report("smpp_gsm7");
}

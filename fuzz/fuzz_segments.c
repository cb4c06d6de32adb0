/* fuzz_segments.c: pp_segments_count / pp_utf8_next (src/core/segments.h)
 * and pp_json_escape and the pp_jw writer (src/core/json.h) on arbitrary
 * bytes: a message Body goes through both.
 *
 * Checked against a reference UTF-8 decoder written here (Unicode Table 3-7
 * well-formed sequences; anything else is U+FFFD for one byte):
 *  - pp_utf8_next decodes the same code points and advances the same way;
 *  - segments == 0 iff len == 0; chars, gsm7 and units as the reference
 *    computes them; segments within the bounds the unit count allows and
 *    equal to a reference greedy split;
 *  - pp_json_escape output starts and ends with '"', is valid UTF-8, has no
 *    raw control characters, and jansson decodes it to exactly the input with
 *    invalid bytes replaced by U+FFFD (input cut at its first NUL, since the
 *    function takes a C string);
 *  - an object written with pp_jw_* around the same string parses back. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/segments.h"
#include "fuzz_check.h"

/* Length of the well-formed UTF-8 sequence at s (left bytes remain), with its
 * code point in *cp; 0 when ill-formed. */
static size_t ref_utf8(const unsigned char *s, size_t left, unsigned *cp) {
  unsigned c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  unsigned lo = 0x80, hi = 0xBF;
  size_t n;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c == 0xE0)
    n = 3, lo = 0xA0;
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
    n = 3;
  else if (c == 0xED)
    n = 3, hi = 0x9F;
  else if (c == 0xF0)
    n = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3)
    n = 4;
  else if (c == 0xF4)
    n = 4, hi = 0x8F;
  else
    return 0;
  if (left < n || s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < n; k++)
    if ((s[k] & 0xC0) != 0x80) return 0;
  unsigned v = c & (n == 2 ? 0x1Fu : n == 3 ? 0x0Fu : 0x07u);
  for (size_t k = 1; k < n; k++) v = (v << 6) | (s[k] & 0x3Fu);
  *cp = v;
  return n;
}

static void check_segments(const unsigned char *s, size_t len) {
  pp_segments_t sg;
  pp_segments_count((const char *)s, len, &sg);
  FUZZ_CHECK((sg.segments == 0) == (len == 0), "%zu segments for %zu bytes", sg.segments, len);

  size_t chars = 0, septets = 0, utf16 = 0, twos = 0;
  bool gsm7 = true;
  for (size_t i = 0; i < len;) {
    unsigned cp;
    size_t n = ref_utf8(s + i, len - i, &cp);
    if (n == 0) cp = 0xFFFD, n = 1;
    size_t j = i;
    unsigned got = pp_utf8_next((const char *)s, len, &j);
    FUZZ_CHECK(got == cp && j == i + n,
               "pp_utf8_next at %zu: U+%04X advancing %zu, expected U+%04X advancing %zu", i, got,
               j - i, cp, n);
    i += n;
    chars++;
    int w = pp_segments_septets(cp);
    FUZZ_CHECK(w >= 0 && w <= 2, "septets %d", w);
    if (w == 0) gsm7 = false;
    septets += (size_t)w;
    utf16 += cp >= 0x10000 ? 2 : 1;
  }
  FUZZ_CHECK(sg.chars == chars, "chars %zu, expected %zu", sg.chars, chars);
  FUZZ_CHECK(sg.gsm7 == gsm7, "gsm7 %d, expected %d", sg.gsm7, gsm7);
  size_t units = gsm7 ? septets : utf16;
  FUZZ_CHECK(sg.units == units, "units %zu, expected %zu", sg.units, units);
  FUZZ_CHECK(units >= chars && units <= 2 * chars, "units %zu for %zu chars", units, chars);
  if (len == 0) return;

  size_t single = gsm7 ? 160 : 70, part = gsm7 ? 153 : 67;
  size_t expect = 1;
  if (units > single) {
    /* Greedy split, a two-unit character never straddling parts. */
    size_t used = 0;
    for (size_t i = 0; i < len;) {
      unsigned cp;
      size_t n = ref_utf8(s + i, len - i, &cp);
      if (n == 0) cp = 0xFFFD, n = 1;
      i += n;
      size_t w = gsm7 ? (size_t)pp_segments_septets(cp) : (cp >= 0x10000 ? 2u : 1u);
      if (w == 2) twos++;
      if (used + w > part) expect++, used = 0;
      used += w;
    }
    size_t lo = (units + part - 1) / part, hi = (units + part - 2) / (part - 1);
    FUZZ_CHECK(expect >= lo && expect <= hi, "reference split %zu outside [%zu, %zu]", expect, lo,
               hi);
    if (twos == 0) FUZZ_CHECK(expect == lo, "no pairs, yet %zu parts not %zu", expect, lo);
  }
  FUZZ_CHECK(sg.segments == expect, "%zu segments for %zu units (gsm7 %d), expected %zu",
             sg.segments, units, gsm7, expect);
}

/* The input (a C string) as pp_json_escape should carry it: valid sequences
 * kept, each invalid byte as U+FFFD. */
static size_t expected_text(const unsigned char *s, size_t len, unsigned char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    unsigned cp;
    size_t n = ref_utf8(s + i, len - i, &cp);
    if (n == 0) {
      out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
      i++;
    } else {
      memcpy(out + o, s + i, n);
      o += n;
      i += n;
    }
  }
  return o;
}

static void check_json(const unsigned char *s, size_t len) {
  unsigned char *expect = malloc(3 * len + 1);
  if (!expect) abort();
  size_t elen = expected_text(s, len, expect);

  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_json_escape(&b, (const char *)s);
  FUZZ_CHECK(!b.failed, "buffer failed");
  FUZZ_CHECK(b.len >= 2 && b.data[0] == '"' && b.data[b.len - 1] == '"', "not a quoted string");
  FUZZ_CHECK(b.data[b.len] == '\0' && strlen(b.data) == b.len, "NUL inside the output");
  const unsigned char *o = (const unsigned char *)b.data;
  for (size_t i = 0; i < b.len;) {
    unsigned cp;
    size_t n = ref_utf8(o + i, b.len - i, &cp);
    FUZZ_CHECK(n != 0, "invalid UTF-8 in the output at byte %zu (0x%02x)", i, o[i]);
    FUZZ_CHECK(cp >= 0x20 && cp != 0x7f, "raw control character U+%04X at %zu", cp, i);
    i += n;
  }
  json_error_t err;
  json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY, &err);
  FUZZ_CHECK(j != NULL, "jansson rejects the output: %s", err.text);
  FUZZ_CHECK(json_is_string(j), "not a JSON string");
  FUZZ_CHECK(json_string_length(j) == elen && memcmp(json_string_value(j), expect, elen) == 0,
             "decodes to %zu bytes, expected %zu", json_string_length(j), elen);
  json_decref(j);
  pp_buf_cleanup(&b);

  /* The writer, as a response is built. */
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, (const char *)s, (const char *)s);
  pp_jw_kstr(&w, "body", (const char *)s);
  pp_jw_key(&w, "list");
  pp_jw_arr_begin(&w);
  pp_jw_str(&w, (const char *)s);
  pp_jw_str(&w, NULL);
  pp_jw_int(&w, (int64_t)len);
  pp_jw_arr_end(&w);
  pp_jw_knull(&w, "price");
  pp_jw_obj_end(&w);
  FUZZ_CHECK(!b.failed, "writer buffer failed");
  j = json_loadb(b.data, b.len, 0, &err);
  FUZZ_CHECK(j != NULL, "jansson rejects the writer's object: %s: %s", err.text, b.data);
  json_t *body = json_object_get(j, "body");
  FUZZ_CHECK(json_is_string(body) && json_string_length(body) == elen &&
                 memcmp(json_string_value(body), expect, elen) == 0,
             "body member differs");
  json_t *list = json_object_get(j, "list");
  FUZZ_CHECK(json_is_array(list) && json_array_size(list) == 3 &&
                 json_is_string(json_array_get(list, 0)) && json_is_null(json_array_get(list, 1)) &&
                 json_integer_value(json_array_get(list, 2)) == (json_int_t)len,
             "list member differs");
  FUZZ_CHECK(json_is_null(json_object_get(j, "price")), "price not null");
  json_decref(j);
  pp_buf_cleanup(&b);
  free(expect);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_segments(data, size);
  unsigned char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  check_json(s, strlen((const char *)s));
  free(s);
  return 0;
}

/* fuzz_form.c: pp_url_decode and pp_form_parse (src/core/form.h) on arbitrary
 * bytes, as the server applies them to request bodies and query strings.
 *
 * Checked against a reference decoder written here:
 *  - pp_url_decode: decoded length <= input length, NUL written after it, the
 *    bytes equal the reference decoding (with and without '+' as space);
 *  - pp_form_parse: the result and the pairs kept equal a reference walk of
 *    the non-empty '&'-separated pieces: for each piece, PP_ERR_TOO_BIG once
 *    PP_FORM_MAX_PARAMS pairs are held (checked first), then
 *    PP_ERR_INVALID_PARAM if the decoded name or value contains a NUL byte
 *    (that pair is not added, the ones before it stay, and `refused` is its
 *    decoded name cut at its first NUL); each name and value equal to the
 *    reference decoding, names and values free of NUL, NUL-terminated,
 *    value_len == strlen(value);
 *  - lookups (get, count, nth) agree with a linear scan;
 *  - parsing the same bytes again into the same form appends (grow path);
 *  - pp_form_add then finds the added pair. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/form.h"
#include "fuzz_check.h"

static int ref_hex(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (unsigned char)(c | 0x20);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Reference: "%XY" with two hex digits is one byte, anything else literal. */
static size_t ref_decode(char *out, const char *s, size_t len, int plus) {
  size_t o = 0, i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%' && len - i >= 3 && ref_hex((unsigned char)s[i + 1]) >= 0 &&
        ref_hex((unsigned char)s[i + 2]) >= 0) {
      out[o++] = (char)(ref_hex((unsigned char)s[i + 1]) * 16 + ref_hex((unsigned char)s[i + 2]));
      i += 3;
    } else {
      out[o++] = (plus && c == '+') ? ' ' : (char)c;
      i++;
    }
  }
  return o;
}

/* Names looked up the way the API handlers do. */
static const char *const lookups[] = {"To",       "From", "Body", "MediaUrl", "StatusCallback",
                                      "PageSize", "",     "="};

static void check_lookup(const pp_form_t *f, const char *name) {
  size_t count = 0;
  const char *first = NULL;
  for (size_t k = 0; k < f->n; k++) {
    if (strcmp(f->items[k].name, name) != 0) continue;
    if (!first) first = f->items[k].value;
    FUZZ_CHECK(pp_form_nth(f, name, count) == f->items[k].value, "nth(%s, %zu) is not item %zu",
               name, count, k);
    count++;
  }
  FUZZ_CHECK(pp_form_get(f, name) == first, "get(%s) is not the first match", name);
  FUZZ_CHECK(pp_form_count(f, name) == count, "count(%s) = %zu, expected %zu", name,
             pp_form_count(f, name), count);
  FUZZ_CHECK(pp_form_nth(f, name, count) == NULL, "nth(%s, count) not NULL", name);
}

/* Checks f->items[from..] against the pieces of s, in order, until either
 * runs out; returns the index after the last item checked. */
static size_t check_pairs(const pp_form_t *f, size_t from, const char *s, size_t len,
                          char *scratch) {
  size_t k = from, i = 0;
  while (i < len && k < f->n) {
    const char *piece = s + i;
    const char *amp = memchr(piece, '&', len - i);
    size_t plen = amp ? (size_t)(amp - piece) : len - i;
    i += plen + 1;
    if (plen == 0) continue;
    const char *eq = memchr(piece, '=', plen);
    size_t nlen = eq ? (size_t)(eq - piece) : plen;
    const pp_param_t *p = &f->items[k];

    size_t dn = ref_decode(scratch, piece, nlen, 1);
    FUZZ_CHECK(memcmp(p->name, scratch, dn) == 0 && p->name[dn] == '\0',
               "item %zu: name differs from the reference decoding", k);
    FUZZ_CHECK(strlen(p->name) == dn, "item %zu: name with a NUL byte kept", k);

    size_t vraw = eq ? plen - nlen - 1 : 0;
    size_t dv = ref_decode(scratch, eq ? eq + 1 : piece, vraw, 1);
    FUZZ_CHECK(p->value_len == dv, "item %zu: value_len %zu, expected %zu", k, p->value_len, dv);
    FUZZ_CHECK(p->value_len <= vraw, "item %zu: decoded value longer than raw", k);
    FUZZ_CHECK(memcmp(p->value, scratch, dv) == 0,
               "item %zu: value differs from the reference decoding", k);
    FUZZ_CHECK(p->value[p->value_len] == '\0', "item %zu: value not NUL-terminated", k);
    FUZZ_CHECK(strlen(p->value) == p->value_len, "item %zu: value with a NUL byte kept", k);
    k++;
  }
  return k;
}

static size_t count_pieces(const char *s, size_t len) {
  size_t n = 0, i = 0;
  while (i < len) {
    const char *amp = memchr(s + i, '&', len - i);
    size_t plen = amp ? (size_t)(amp - (s + i)) : len - i;
    if (plen) n++;
    i += plen + 1;
  }
  return n;
}

/* Reference for pp_form_parse's outcome on a form already holding `have`
 * pairs: per non-empty piece, first the capacity check, then the name and
 * the value are decoded and must not contain NUL.  Returns the expected
 * error and sets *n to the expected pair count afterwards; on
 * PP_ERR_INVALID_PARAM, `refused` (size len + 1) gets the refused name as
 * C would read it (cut at its first NUL). */
static pp_err_t ref_parse(const char *s, size_t len, size_t have, size_t *n, char *scratch,
                          char *refused) {
  size_t i = 0;
  *n = have;
  while (i < len) {
    const char *piece = s + i;
    const char *amp = memchr(piece, '&', len - i);
    size_t plen = amp ? (size_t)(amp - piece) : len - i;
    i += plen + 1;
    if (plen == 0) continue;
    if (*n >= PP_FORM_MAX_PARAMS) return PP_ERR_TOO_BIG;
    const char *eq = memchr(piece, '=', plen);
    size_t nlen = eq ? (size_t)(eq - piece) : plen;
    size_t dn = ref_decode(refused, piece, nlen, 1);
    refused[dn] = '\0';
    bool nul = memchr(refused, '\0', dn) != NULL;
    if (eq) {
      size_t dv = ref_decode(scratch, eq + 1, plen - nlen - 1, 1);
      nul = nul || memchr(scratch, '\0', dv) != NULL;
    }
    if (nul) return PP_ERR_INVALID_PARAM;
    (*n)++;
  }
  return PP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  char *out = malloc(size + 1), *ref = malloc(size + 1), *refused = malloc(size + 1);
  if (!out || !ref || !refused) abort();

  /* pp_url_decode, both modes ('+' as space for forms; without, as a plain
   * percent-decoder). */
  for (int plus = 0; plus <= 1; plus++) {
    memset(out, 0x55, size + 1);
    size_t n = pp_url_decode(out, s, size, plus);
    FUZZ_CHECK(n <= size, "decoded %zu bytes from %zu", n, size);
    FUZZ_CHECK(out[n] == '\0', "no NUL after the decoded bytes");
    size_t m = ref_decode(ref, s, size, plus);
    FUZZ_CHECK(n == m && memcmp(out, ref, n) == 0,
               "pp_url_decode(plus=%d) differs from the reference (%zu vs %zu bytes)", plus, n, m);
    if (!memchr(s, '%', size)) FUZZ_CHECK(n == size, "no escape, yet length changed");
  }

  /* pp_form_parse into an arena, as for a request body. */
  pp_arena_t *arena = malloc(sizeof *arena);
  if (!arena) abort();
  pp_arena_init(arena, 0);
  pp_form_t f;
  pp_form_init(&f);
  size_t pieces = count_pieces(s, size), want_n;
  pp_err_t want = ref_parse(s, size, 0, &want_n, ref, refused);
  pp_err_t e = pp_form_parse(&f, arena, s, size);
  FUZZ_CHECK(e == want && f.n == want_n,
             "error %d with %zu pairs kept, expected error %d with %zu (%zu pieces)", (int)e, f.n,
             (int)want, want_n, pieces);
  if (want == PP_ERR_INVALID_PARAM)
    FUZZ_CHECK(f.refused && strcmp(f.refused, refused) == 0,
               "refused pair named \"%s\", expected \"%s\"", f.refused ? f.refused : "(null)",
               refused);
  if (want == PP_OK) FUZZ_CHECK(f.n == pieces, "%zu pairs for %zu pieces", f.n, pieces);
  if (want == PP_ERR_TOO_BIG)
    FUZZ_CHECK(f.n == PP_FORM_MAX_PARAMS, "%zu pairs kept past the limit", f.n);
  FUZZ_CHECK(f.n <= f.cap && f.cap <= PP_FORM_MAX_PARAMS, "n %zu cap %zu", f.n, f.cap);
  FUZZ_CHECK(check_pairs(&f, 0, s, size, ref) == f.n, "pairs unchecked");

  for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) check_lookup(&f, lookups[i]);
  if (f.n) {
    FUZZ_CHECK(pp_form_get(&f, f.items[0].name) == f.items[0].value,
               "get(first name) is not the first value");
    check_lookup(&f, f.items[f.n - 1].name);
  }

  /* The same bytes again into the same form: pairs are appended. */
  if (e == PP_OK) {
    size_t before = f.n;
    want = ref_parse(s, size, before, &want_n, ref, refused);
    pp_err_t e2 = pp_form_parse(&f, arena, s, size);
    FUZZ_CHECK(e2 == want && f.n == want_n,
               "second parse: error %d, %zu pairs, expected error %d, %zu pairs", (int)e2, f.n,
               (int)want, want_n);
    if (2 * pieces <= PP_FORM_MAX_PARAMS)
      FUZZ_CHECK(e2 == PP_OK && f.n == 2 * pieces, "second parse: error %d, %zu pairs", (int)e2,
                 f.n);
    FUZZ_CHECK(check_pairs(&f, 0, s, size, ref) == before, "first copy changed");
    FUZZ_CHECK(check_pairs(&f, before, s, size, ref) == f.n, "second copy differs");
  }

  /* pp_form_add with the decoded input as name and value. */
  if (f.n < PP_FORM_MAX_PARAMS) {
    size_t n = pp_url_decode(out, s, size, 1);
    (void)n;
    size_t had = pp_form_count(&f, out);
    FUZZ_CHECK(pp_form_add(&f, arena, out, out) == PP_OK, "pp_form_add failed");
    FUZZ_CHECK(pp_form_count(&f, out) == had + 1, "added pair not counted");
    const char *v = pp_form_nth(&f, out, had);
    FUZZ_CHECK(v && strcmp(v, out) == 0, "added pair not found");
    FUZZ_CHECK(f.items[f.n - 1].value_len == strlen(out), "added value_len wrong");
  }

  pp_arena_cleanup(arena);
  free(arena);
  free(out);
  free(ref);
  free(refused);
  return 0;
}

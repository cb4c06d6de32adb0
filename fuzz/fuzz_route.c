/* fuzz_route.c: pp_http_route_match (src/http/http.h) with every method on
 * arbitrary NUL-terminated paths, and the address checks of src/core/phone.h
 * on the same strings.  The server routes on the raw path as sent (up to
 * '?'; "%2F" is not a separator), so the raw input is the case that matters;
 * the input percent-decoded (pp_url_decode without '+') is matched as well,
 * to give the matcher bytes such as '/', '{' or NUL inside segments.
 *
 * Checked against a reference matcher written here (split on '/', "{}"
 * captures the non-empty middle of a segment between the pattern's literal
 * prefix and suffix):
 *  - the result is the first route whose pattern and method match, -2 when
 *    only the pattern matches, -1 otherwise;
 *  - a match has its method, one non-empty capture without '/' per "{}", and
 *    substituting the captures into the pattern gives back the path;
 *  - a path either matches some pattern for every method or for none;
 *  - pp_phone_is_e164 and pp_phone_is_alnum_sender agree with references. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/form.h"
#include "core/phone.h"
#include "fuzz_check.h"
#include "http/http.h"

static const pp_method_t methods[] = {PP_GET, PP_POST, PP_DELETE, PP_METHOD_OTHER};

/* Next '/'-separated segment of s (which starts after a '/'). */
static size_t seg_len(const char *s) {
  const char *e = strchr(s, '/');
  return e ? (size_t)(e - s) : strlen(s);
}

/* Does path match pattern?  Captures (pointers into path, lengths) out. */
static bool ref_match(const char *pat, const char *path, const char *cap[3], size_t caplen[3],
                      int *ncap) {
  *ncap = 0;
  if (pat[0] != '/' || path[0] != '/') return false;
  const char *p = pat + 1, *s = path + 1;
  for (;;) {
    size_t pl = seg_len(p), sl = seg_len(s);
    const char *open = memchr(p, '{', pl);
    if (!open) {
      if (pl != sl || strncmp(p, s, pl) != 0) return false;
    } else {
      size_t pre = (size_t)(open - p), suf = pl - pre - 2;
      if (sl <= pre + suf || strncmp(p, s, pre) != 0 ||
          strncmp(p + pl - suf, s + sl - suf, suf) != 0)
        return false;
      if (*ncap == 3) return false;
      cap[*ncap] = s + pre;
      caplen[*ncap] = sl - pre - suf;
      (*ncap)++;
    }
    bool pend = p[pl] == '\0', send = s[sl] == '\0';
    if (pend || send) return pend && send;
    p += pl + 1, s += sl + 1;
  }
}

static void check_route(const char *path) {
  int seen_any = -1;
  for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
    pp_method_t m = methods[mi];
    int expect = -1;
    const char *rcap[3] = {0};
    size_t rlen[3] = {0};
    int rn = 0;
    for (size_t i = 0; i < pp_http_routes_count; i++) {
      const char *c[3];
      size_t l[3];
      int n;
      if (!ref_match(pp_http_routes[i].pattern, path, c, l, &n)) continue;
      if (pp_http_routes[i].method != m) {
        expect = -2;
        continue;
      }
      expect = (int)i;
      memcpy(rcap, c, sizeof c), memcpy(rlen, l, sizeof l), rn = n;
      break;
    }

    pp_arena_t *a = malloc(sizeof *a);
    if (!a) abort();
    pp_arena_init(a, 0);
    const char *params[3] = {NULL, NULL, NULL};
    int r = pp_http_route_match(m, path, a, params);
    FUZZ_CHECK(r == expect, "method %d, path \"%s\": route %d, expected %d", (int)m, path, r,
               expect);
    if (r >= 0) {
      FUZZ_CHECK(pp_http_routes[r].method == m, "route %d has another method", r);
      for (int k = 0; k < 3; k++) {
        if (k < rn) {
          FUZZ_CHECK(params[k] && strlen(params[k]) == rlen[k] &&
                         memcmp(params[k], rcap[k], rlen[k]) == 0 && rlen[k] > 0 &&
                         !memchr(params[k], '/', rlen[k]),
                     "capture %d of \"%s\" differs", k, path);
        } else {
          FUZZ_CHECK(params[k] == NULL, "capture %d set for a pattern with %d", k, rn);
        }
      }
      /* Substitute the captures back into the pattern. */
      char *rebuilt = malloc(strlen(path) + strlen(pp_http_routes[r].pattern) + 1);
      if (!rebuilt) abort();
      size_t o = 0;
      int k = 0;
      for (const char *p = pp_http_routes[r].pattern; *p; p++) {
        if (p[0] == '{' && p[1] == '}') {
          memcpy(rebuilt + o, params[k], strlen(params[k]));
          o += strlen(params[k++]);
          p++;
        } else {
          rebuilt[o++] = *p;
        }
      }
      rebuilt[o] = '\0';
      FUZZ_CHECK(strcmp(rebuilt, path) == 0, "route %d rebuilds \"%s\" as \"%s\"", r, path,
                 rebuilt);
      free(rebuilt);
    }
    pp_arena_cleanup(a);
    free(a);
    int any = r != -1;
    if (seen_any >= 0)
      FUZZ_CHECK(any == seen_any, "\"%s\" matches a pattern for some methods only", path);
    seen_any = any;
  }
}

static bool ref_e164(const char *s) {
  size_t n = strlen(s);
  if (n < 3 || n > 16 || s[0] != '+' || s[1] == '0') return false;
  for (size_t i = 1; i < n; i++)
    if (!(s[i] >= '0' && s[i] <= '9')) return false;
  return true;
}

static bool ref_alnum(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 11) return false;
  return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ") == n &&
         strpbrk(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != NULL;
}

static void check_phone(const char *s) {
  FUZZ_CHECK(pp_phone_is_e164(s) == ref_e164(s), "pp_phone_is_e164(\"%s\") = %d", s,
             pp_phone_is_e164(s));
  FUZZ_CHECK(pp_phone_is_alnum_sender(s) == ref_alnum(s), "pp_phone_is_alnum_sender(\"%s\") = %d",
             s, pp_phone_is_alnum_sender(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *raw = malloc(size + 1), *dec = malloc(size + 1);
  if (!raw || !dec) abort();
  memcpy(raw, data, size);
  raw[size] = '\0';
  /* Not what the server does (it routes on the raw path): a second input
   * for the matcher, the path part (up to '?') percent-decoded. */
  const char *q = strchr(raw, '?');
  pp_url_decode(dec, raw, q ? (size_t)(q - raw) : strlen(raw), 0);

  check_route(raw);
  check_route(dec);
  check_phone(raw);
  check_phone(dec);
  FUZZ_CHECK(!pp_phone_is_e164(NULL) && !pp_phone_is_alnum_sender(NULL), "NULL accepted");

  free(raw);
  free(dec);
  return 0;
}

/* fuzz_http.c: the HTTP request-head parser and chunked decoder
 * (src/http/parse.h) on arbitrary bytes, as they arrive from a socket.
 *
 * Checked:
 *  - the head parser gives the same outcome and head length whether the
 *    bytes come at once, one at a time, or in two pieces split where the
 *    first input byte says;
 *  - its outcome is one of OK, AGAIN, 400, 414, 431, 505;
 *  - an accepted head: ends in CRLF CRLF within max_head, its method is a
 *    token, its target a path of visible ASCII within max_target, its
 *    version 1.0 or 1.1, each field name a token and each value free of
 *    control characters (tab aside) and of surrounding whitespace; at most
 *    one Content-Length, all digits, equal to content_length; chunked only
 *    with exactly one Transfer-Encoding "chunked" and no Content-Length;
 *    HTTP/1.1 with exactly one Host;
 *  - the chunked decoder (run over the bytes after an accepted head, or over
 *    the whole input) gives the same outcome, consumption and output whole
 *    and a byte at a time, in place; its output never exceeds the cap nor
 *    the input consumed, and equals a reference decoding of the chunks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_check.h"
#include "http/parse.h"

static const pp_http_limits_t lim = {.max_target = 512, .max_head = 2048};

static bool tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool named(const pp_http_header_t *f, const char *n) {
  return f->name_len == strlen(n) && strncasecmp(f->name, n, f->name_len) == 0;
}

static void check_head(const uint8_t *d, size_t n, const pp_http_head_t *h) {
  FUZZ_CHECK(h->head_len >= 4 && h->head_len <= n && h->head_len <= lim.max_head, "%zu",
             h->head_len);
  FUZZ_CHECK(memcmp(d + h->head_len - 4, "\r\n\r\n", 4) == 0, "end");
  FUZZ_CHECK(h->method_len > 0, "method");
  for (size_t i = 0; i < h->method_len; i++) FUZZ_CHECK(tchar((uint8_t)h->method[i]), "method");
  FUZZ_CHECK(h->target_len > 0 && h->target_len <= lim.max_target && h->target[0] == '/', "t");
  for (size_t i = 0; i < h->target_len; i++)
    FUZZ_CHECK(h->target[i] > ' ' && h->target[i] < 0x7f, "target byte %zu", i);
  FUZZ_CHECK(h->minor == 0 || h->minor == 1, "minor %d", h->minor);
  int ncl = 0, nte = 0, nhost = 0;
  for (size_t k = 0; k < h->nheaders; k++) {
    const pp_http_header_t *f = &h->headers[k];
    FUZZ_CHECK(f->name_len > 0, "name");
    for (size_t i = 0; i < f->name_len; i++) FUZZ_CHECK(tchar((uint8_t)f->name[i]), "name");
    FUZZ_CHECK(f->value_len == 0 ||
                   (f->value[0] != ' ' && f->value[0] != '\t' &&
                    f->value[f->value_len - 1] != ' ' && f->value[f->value_len - 1] != '\t'),
               "value not trimmed");
    for (size_t i = 0; i < f->value_len; i++) {
      uint8_t c = (uint8_t)f->value[i];
      FUZZ_CHECK(c == '\t' || (c >= ' ' && c != 0x7f), "control byte in a value");
    }
    if (named(f, "content-length")) {
      ncl++;
      uint64_t v = 0;
      for (size_t i = 0; i < f->value_len; i++) {
        FUZZ_CHECK(f->value[i] >= '0' && f->value[i] <= '9', "length digit");
        v = v * 10 + (uint64_t)(f->value[i] - '0');
      }
      FUZZ_CHECK(f->value_len > 0 && v == h->content_length, "length value");
    }
    if (named(f, "transfer-encoding")) {
      nte++;
      FUZZ_CHECK(f->value_len == 7 && strncasecmp(f->value, "chunked", 7) == 0, "te value");
    }
    if (named(f, "host")) nhost++;
  }
  FUZZ_CHECK(ncl <= 1 && nte <= 1 && !(ncl && nte), "framing cl %d te %d", ncl, nte);
  FUZZ_CHECK(h->chunked == (nte == 1), "chunked");
  FUZZ_CHECK(h->minor == 0 ? nhost <= 1 && !nte : nhost == 1, "host %d", nhost);
}

/* Reference: decode well-formed chunks from the start of s. */
static size_t ref_chunks(const uint8_t *s, size_t n, uint8_t *out) {
  size_t i = 0, o = 0;
  for (;;) {
    uint64_t size = 0;
    while (i < n && strchr("0123456789abcdefABCDEF", s[i]) && s[i])
      size = size * 16 + (uint64_t)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10), i++;
    while (i < n && s[i] != '\r') i++; /* the extension */
    i += 2;
    if (size == 0 || i + size > n) return o;
    memcpy(out + o, s + i, size);
    o += size, i += size + 2;
  }
}

static void check_chunked(const uint8_t *d, size_t n) {
  const uint64_t cap = 1000;
  uint8_t *a = malloc(n + 1), *b = malloc(n + 1), *r = malloc(n + 1);
  memcpy(a, d, n);
  memcpy(b, d, n);
  pp_http_chunked_t c;
  pp_http_chunked_init(&c, cap);
  size_t used = 0, produced = 0;
  pp_err_t whole = pp_http_chunked_decode(&c, (char *)a, n, (char *)a, &used, &produced);
  FUZZ_CHECK(whole == PP_OK || whole == PP_ERR_AGAIN || whole == PP_ERR_BAD_REQUEST ||
                 whole == PP_ERR_TOO_BIG,
             "%s", pp_err_name(whole));
  FUZZ_CHECK(used <= n && produced <= used && produced <= cap, "sizes");
  if (whole == PP_ERR_AGAIN) FUZZ_CHECK(used == n, "AGAIN leaves input");
  pp_http_chunked_init(&c, cap);
  size_t o = 0, k = 0;
  pp_err_t step = PP_ERR_AGAIN;
  for (; k < n && step == PP_ERR_AGAIN; k++) {
    size_t u = 0, p = 0;
    step = pp_http_chunked_decode(&c, (char *)b + k, 1, (char *)b + o, &u, &p);
    FUZZ_CHECK(u == 1, "one byte consumed");
    o += p;
  }
  FUZZ_CHECK(step == whole, "%s vs %s", pp_err_name(step), pp_err_name(whole));
  if (whole == PP_OK) {
    FUZZ_CHECK(k == used && o == produced && memcmp(a, b, o) == 0, "byte-wise result");
    size_t rn = ref_chunks(d, n, r);
    FUZZ_CHECK(rn == produced && memcmp(r, a, rn) == 0, "reference %zu vs %zu", rn, produced);
  }
  free(a);
  free(b);
  free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t split = data[0];
  const uint8_t *d = data + 1;
  size_t n = size - 1;
  pp_http_scan_t s1 = {0}, s2 = {0}, s3 = {0};
  pp_http_head_t h1, h2, h3;
  pp_err_t whole = pp_http_parse_head(&s1, (const char *)d, n, &lim, &h1, NULL);
  FUZZ_CHECK(whole == PP_OK || whole == PP_ERR_AGAIN || whole == PP_ERR_BAD_REQUEST ||
                 whole == PP_ERR_HTTP_URI_TOO_LONG || whole == PP_ERR_HTTP_HEADERS_TOO_LARGE ||
                 whole == PP_ERR_HTTP_VERSION,
             "%s", pp_err_name(whole));
  pp_err_t step = PP_ERR_AGAIN;
  for (size_t k = 1; k <= n && step == PP_ERR_AGAIN; k++)
    step = pp_http_parse_head(&s2, (const char *)d, k, &lim, &h2, NULL);
  if (n == 0) step = whole;
  FUZZ_CHECK(step == whole, "bytewise %s vs %s", pp_err_name(step), pp_err_name(whole));
  pp_err_t two = PP_ERR_AGAIN;
  if (split < n) two = pp_http_parse_head(&s3, (const char *)d, split, &lim, &h3, NULL);
  if (two == PP_ERR_AGAIN) two = pp_http_parse_head(&s3, (const char *)d, n, &lim, &h3, NULL);
  /* A prefix refused or complete is so exactly as bytewise. */
  FUZZ_CHECK(two == whole, "split %s vs %s", pp_err_name(two), pp_err_name(whole));
  if (whole == PP_OK) {
    check_head(d, n, &h1);
    FUZZ_CHECK(h2.head_len == h1.head_len && h2.nheaders == h1.nheaders, "bytewise head");
    check_chunked(d + h1.head_len, n - h1.head_len);
  } else {
    check_chunked(d, n);
  }
  return 0;
}

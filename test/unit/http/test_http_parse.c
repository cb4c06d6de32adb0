/* test_http_parse.c: the strict request-head parser and chunked decoder:
 * every ambiguous framing refused, limits answered with their status, and
 * the same result whether the bytes come at once or one at a time. */
#include <stdlib.h>

#include "check.h"
#include "http/parse.h"

static const pp_http_limits_t lim = {.max_target = 64, .max_head = 256};

/* Parses `s` whole, then again a byte at a time; both must agree. */
static pp_err_t parse(const char *s, pp_http_head_t *h) {
  size_t n = strlen(s);
  pp_http_scan_t sc = {0};
  pp_err_t whole = pp_http_parse_head(&sc, s, n, &lim, h, NULL);
  pp_http_scan_t sc2 = {0};
  pp_http_head_t h2;
  pp_err_t step = PP_ERR_AGAIN;
  for (size_t k = 1; k <= n && step == PP_ERR_AGAIN; k++)
    step = pp_http_parse_head(&sc2, s, k, &lim, &h2, NULL);
  CHECK_EQ_INT(step, whole);
  if (!whole && !step) CHECK_EQ_INT(h2.head_len, h->head_len);
  return whole;
}

static void test_heads(void) {
  pp_http_head_t h;
  CHECK_EQ_INT(parse("GET /a?b=c HTTP/1.1\r\nHost: x\r\nUser-Agent:  t  \r\n\r\nNEXT", &h), PP_OK);
  CHECK(h.method_len == 3 && memcmp(h.method, "GET", 3) == 0);
  CHECK(h.target_len == 6 && memcmp(h.target, "/a?b=c", 6) == 0);
  CHECK_EQ_INT(h.minor, 1);
  CHECK(h.keep_alive);
  CHECK_EQ_INT(h.head_len, strlen("GET /a?b=c HTTP/1.1\r\nHost: x\r\nUser-Agent:  t  \r\n\r\n"));
  const pp_http_header_t *ua = pp_http_header_find(&h, "user-agent");
  CHECK(ua && ua->value_len == 1 && ua->value[0] == 't');

  CHECK_EQ_INT(parse("GET / HTTP/1.0\r\n\r\n", &h), PP_OK);
  CHECK(!h.keep_alive);
  CHECK_EQ_INT(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h), PP_OK);
  CHECK(h.keep_alive);
  CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", &h), PP_OK);
  CHECK(!h.keep_alive);
  CHECK_EQ_INT(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
                     "Expect: 100-continue\r\n\r\n",
                     &h),
               PP_OK);
  CHECK(h.content_length == 12 && !h.chunked && h.expect_continue);
  CHECK_EQ_INT(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", &h),
               PP_OK);
  CHECK(h.chunked);
  CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: x\r\n", &h), PP_ERR_AGAIN);
}

static void test_refused(void) {
  pp_http_head_t h;
  static const char *const bad[] = {
      /* smuggling: every framing with two readings */
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n"),
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 1\r\n\r\n",
      /* malformed lines */
      "GET /\r\n\r\n",                   /* HTTP/0.9 */
      "GET / HTTP/1.1\nHost: x\r\n\r\n", /* bare LF */
      "GET / HTTP/1.1\r\nHost: x\nA: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nA\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n", /* no Host */
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
      "GET / http/1.1\r\nHost: x\r\n\r\n",
      "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    pp_err_t e = parse(bad[k], &h);
    if (e != PP_ERR_BAD_REQUEST) fprintf(stderr, "case %zu: %s\n", k, pp_err_name(e));
    CHECK_EQ_INT(e, PP_ERR_BAD_REQUEST);
  }
  char nul[] = "GET / HTTP/1.1\r\nHost: x\r\nA: b?c\r\n\r\n";
  nul[strlen("GET / HTTP/1.1\r\nHost: x\r\nA: b")] = '\0';
  pp_http_scan_t sc = {0};
  CHECK_EQ_INT(pp_http_parse_head(&sc, nul, sizeof nul - 1, &lim, &h, NULL), PP_ERR_BAD_REQUEST);

  CHECK_EQ_INT(parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n", &h), PP_ERR_HTTP_VERSION);
  CHECK_EQ_INT(parse("GET / HTTP/1.2\r\nHost: x\r\n\r\n", &h), PP_ERR_HTTP_VERSION);
  char line[512];
  snprintf(line, sizeof line, "GET /%0100d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
  CHECK_EQ_INT(parse(line, &h), PP_ERR_HTTP_URI_TOO_LONG);
  snprintf(line, sizeof line, "GET /%0200d", 0); /* line not ended yet */
  CHECK_EQ_INT(parse(line, &h), PP_ERR_HTTP_URI_TOO_LONG);
  snprintf(line, sizeof line, "GET / HTTP/1.1\r\nHost: x\r\nA: %0300d", 0);
  CHECK_EQ_INT(parse(line, &h), PP_ERR_HTTP_HEADERS_TOO_LARGE);
  pp_http_limits_t big = {.max_target = 64, .max_head = 4096};
  char many[4096] = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int k = 0; k < PP_HTTP_MAX_HEADERS; k++) strcat(many, "A: b\r\n");
  strcat(many, "\r\n");
  sc = (pp_http_scan_t){0};
  CHECK_EQ_INT(pp_http_parse_head(&sc, many, strlen(many), &big, &h, NULL),
               PP_ERR_HTTP_HEADERS_TOO_LARGE);
}

/* Decodes `s` whole and a byte at a time (in place); returns the outcome
 * and the decoded body in out. */
static pp_err_t chunked(const char *s, uint64_t cap, char *out, size_t *out_len, size_t *used) {
  size_t n = strlen(s);
  char *a = strdup(s), *b = strdup(s);
  pp_http_chunked_t c;
  pp_http_chunked_init(&c, cap);
  size_t produced = 0;
  pp_err_t whole = pp_http_chunked_decode(&c, a, n, a, used, &produced);
  memcpy(out, a, produced);
  *out_len = produced;
  pp_http_chunked_init(&c, cap);
  size_t o = 0, u = 0, k = 0;
  pp_err_t step = PP_ERR_AGAIN;
  for (; k < n && step == PP_ERR_AGAIN; k++) {
    size_t p = 0;
    step = pp_http_chunked_decode(&c, b + k, 1, b + o, &u, &p);
    o += p;
  }
  CHECK_EQ_INT(step, whole);
  if (whole == PP_OK) CHECK(o == produced && memcmp(b, out, o) == 0 && k == *used);
  free(a);
  free(b);
  return whole;
}

static void test_chunked(void) {
  char out[256];
  size_t n, used;
  CHECK_EQ_INT(chunked("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nGET", 100, out, &n, &used),
               PP_OK);
  CHECK(n == 11 && memcmp(out, "hello world", 11) == 0);
  CHECK_EQ_INT(used, strlen("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"));
  CHECK_EQ_INT(chunked("A\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n", 100, out, &n, &used), PP_OK);
  CHECK_EQ_INT(n, 10);
  CHECK_EQ_INT(chunked("5\r\nhel", 100, out, &n, &used), PP_ERR_AGAIN);
  CHECK_EQ_INT(chunked("ffffffffffffffff\r\n", 1 << 20, out, &n, &used), PP_ERR_TOO_BIG);
  CHECK_EQ_INT(chunked("65\r\n", 100, out, &n, &used), PP_ERR_TOO_BIG);
  static const char *const bad[] = {
      "10000000000000000\r\n",
      "zz\r\n",
      "\r\n",
      "-1\r\n",
      " 5\r\n",
      "5 \r\nhello\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "5\r\nhelloX\r\n",
      "5\r\nhello\r\r",
      "0\r\nX\n",
      "0\r\n\r\r",
      "5;a\x01\r\n",
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    pp_err_t e = chunked(bad[k], 100, out, &n, &used);
    if (e != PP_ERR_BAD_REQUEST) fprintf(stderr, "chunk case %zu: %s\n", k, pp_err_name(e));
    CHECK_EQ_INT(e, PP_ERR_BAD_REQUEST);
  }
}

int main(void) {
  test_heads();
  test_refused();
  test_chunked();
  return check_report("http_parse");
}

/* parse.c: the strict HTTP/1.1 request-head parser and chunked decoder
 * (parse.h). */
#include "http/parse.h"

#include <string.h>
#include <strings.h>

#include "core/form.h"

#define MAX_METHOD 32
#define LINE_SLACK 64         /* method, spaces and version around the target */
#define MAX_CHUNK_LINE 4096   /* one chunk-size line or trailer field */
#define MAX_CHUNK_EXTRA 16384 /* all chunk extensions and trailers of a body */

static bool is_tchar(unsigned char ch) {
  if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) return true;
  return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* A byte a field value (or chunk extension, trailer) may hold. */
static bool is_field_char(unsigned char ch) {
  return ch == '\t' || (ch >= ' ' && ch != 0x7f);
}

static bool is_ows(char ch) {
  return ch == ' ' || ch == '\t';
}

static pp_err_t bad(const char **why, const char *what) {
  if (why) *why = what;
  return PP_ERR_BAD_REQUEST;
}

/* The request line buf[0..n), n the offset of its LF; or, when !complete,
 * the first n bytes of a line already longer than any valid one with a
 * target within the limit, which can only be 414 or 400 (the same verdict
 * as once the line is complete). */
static pp_err_t request_line(const char *buf, size_t n, bool complete, const pp_http_limits_t *lim,
                             pp_http_head_t *out, const char **why) {
  size_t i = 0;
  while (i < n && is_tchar((unsigned char)buf[i])) i++;
  if (i == 0 || i > MAX_METHOD || i >= n || buf[i] != ' ')
    return bad(why, "malformed request line");
  out->method = buf;
  out->method_len = i;
  size_t t = ++i;
  while (i < n && buf[i] > ' ' && buf[i] < 0x7f) i++;
  if (i - t > lim->max_target) return PP_ERR_HTTP_URI_TOO_LONG;
  if (i == t || i >= n || buf[i] != ' ') return bad(why, "malformed request line");
  if (buf[t] != '/') return bad(why, "the request target must be a path");
  out->target = buf + t;
  out->target_len = i - t;
  const char *v = buf + i + 1;
  if (!complete || n - (i + 1) != 9 || v[8] != '\r')
    return bad(why, "the request line does not end in HTTP/1.x CRLF");
  if (memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
      v[7] > '9')
    return bad(why, "malformed HTTP version");
  if (v[5] != '1' || v[7] > '1') return PP_ERR_HTTP_VERSION;
  out->minor = v[7] - '0';
  return PP_OK;
}

static bool token_is(const char *p, size_t n, const char *word) {
  return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* Reads Connection's comma-separated options. */
static void connection_options(const pp_http_header_t *f, bool *close, bool *keep) {
  const char *p = f->value, *end = f->value + f->value_len;
  while (p < end) {
    while (p < end && (is_ows(*p) || *p == ',')) p++;
    const char *w = p;
    while (p < end && *p != ',' && !is_ows(*p)) p++;
    if (token_is(w, (size_t)(p - w), "close")) *close = true;
    if (token_is(w, (size_t)(p - w), "keep-alive")) *keep = true;
  }
}

/* Decides the body's framing from the fields (RFC 9112 section 6.3). */
static pp_err_t framing(pp_http_head_t *out, const char **why) {
  int ncl = 0, nte = 0, nhost = 0;
  bool close = false, keep = false;
  for (size_t k = 0; k < out->nheaders; k++) {
    const pp_http_header_t *f = &out->headers[k];
    if (token_is(f->name, f->name_len, "content-length")) {
      if (++ncl > 1) return bad(why, "more than one Content-Length");
      if (f->value_len == 0 || f->value_len > 18) return bad(why, "invalid Content-Length");
      uint64_t v = 0;
      for (size_t i = 0; i < f->value_len; i++) {
        char ch = f->value[i];
        if (ch < '0' || ch > '9') return bad(why, "invalid Content-Length");
        v = v * 10 + (uint64_t)(ch - '0');
      }
      out->content_length = v;
    } else if (token_is(f->name, f->name_len, "transfer-encoding")) {
      if (++nte > 1) return bad(why, "more than one Transfer-Encoding");
      if (!token_is(f->value, f->value_len, "chunked"))
        return bad(why, "Transfer-Encoding other than chunked");
      out->chunked = true;
    } else if (token_is(f->name, f->name_len, "host")) {
      nhost++;
    } else if (token_is(f->name, f->name_len, "connection")) {
      connection_options(f, &close, &keep);
    } else if (token_is(f->name, f->name_len, "expect")) {
      out->expect_continue = token_is(f->value, f->value_len, "100-continue");
    }
  }
  if (ncl && nte) return bad(why, "both Content-Length and Transfer-Encoding");
  if (nte && out->minor == 0) return bad(why, "Transfer-Encoding in HTTP/1.0");
  if (nhost > 1 || (nhost == 0 && out->minor == 1)) return bad(why, "HTTP/1.1 needs one Host");
  out->keep_alive = !close && (out->minor == 1 || keep);
  if (out->minor == 0) out->expect_continue = false;
  return PP_OK;
}

/* The header fields in buf[from..to), each line ending in CRLF. */
static pp_err_t fields(const char *buf, size_t from, size_t to, pp_http_head_t *out,
                       const char **why) {
  size_t i = from;
  while (i < to) {
    const char *line = buf + i;
    const char *lf = memchr(line, '\n', to - i);
    if (!lf) return bad(why, "malformed header field");
    size_t n = (size_t)(lf - line);
    if (n == 0 || line[n - 1] != '\r') return bad(why, "a header line does not end in CRLF");
    n--;
    if (is_ows(line[0])) return bad(why, "folded header line");
    size_t c = 0;
    while (c < n && is_tchar((unsigned char)line[c])) c++;
    if (c == 0 || c >= n || line[c] != ':') return bad(why, "malformed header field");
    size_t v = c + 1, e = n;
    for (size_t k = v; k < n; k++)
      if (!is_field_char((unsigned char)line[k])) return bad(why, "control character in a header");
    while (v < e && is_ows(line[v])) v++;
    while (e > v && is_ows(line[e - 1])) e--;
    if (out->nheaders == PP_HTTP_MAX_HEADERS) return PP_ERR_HTTP_HEADERS_TOO_LARGE;
    out->headers[out->nheaders++] =
        (pp_http_header_t){.name = line, .name_len = c, .value = line + v, .value_len = e - v};
    i += (size_t)(lf - line) + 1;
  }
  return PP_OK;
}

pp_err_t pp_http_parse_head(pp_http_scan_t *s, const char *buf, size_t len,
                            const pp_http_limits_t *lim, pp_http_head_t *out, const char **why) {
  if (!s->line_done) {
    const char *nl = s->scanned < len ? memchr(buf + s->scanned, '\n', len - s->scanned) : NULL;
    memset(out, 0, sizeof *out);
    if (!nl) {
      s->scanned = len;
      if (len > lim->max_target + LINE_SLACK) return request_line(buf, len, false, lim, out, why);
      if (len > lim->max_head) return PP_ERR_HTTP_HEADERS_TOO_LARGE;
      return PP_ERR_AGAIN;
    }
    pp_err_t e = request_line(buf, (size_t)(nl - buf), true, lim, out, why);
    if (e) return e;
    s->line_done = true;
    s->line_end = (size_t)(nl - buf);
    s->scanned = s->line_end;
  }
  size_t from = s->scanned < s->line_end + 2 ? s->line_end : s->scanned - 2;
  const char *end = len > from ? memmem(buf + from, len - from, "\n\r\n", 3) : NULL;
  if (!end) {
    s->scanned = len;
    if (len > lim->max_head) return PP_ERR_HTTP_HEADERS_TOO_LARGE;
    return PP_ERR_AGAIN;
  }
  size_t head_len = (size_t)(end - buf) + 3;
  if (head_len > lim->max_head) return PP_ERR_HTTP_HEADERS_TOO_LARGE;
  out->nheaders = 0;
  pp_err_t e = fields(buf, s->line_end + 1, head_len - 2, out, why);
  if (!e) e = framing(out, why);
  if (e) return e;
  out->head_len = head_len;
  return PP_OK;
}

const pp_http_header_t *pp_http_header_find(const pp_http_head_t *h, const char *name) {
  for (size_t k = 0; k < h->nheaders; k++)
    if (token_is(h->headers[k].name, h->headers[k].name_len, name)) return &h->headers[k];
  return NULL;
}

enum {
  C_SIZE,
  C_EXT,
  C_SIZE_LF,
  C_DATA,
  C_DATA_CR,
  C_DATA_LF,
  C_TRAILER,
  C_TRAILER_LF,
  C_END_LF,
  C_DONE
};

void pp_http_chunked_init(pp_http_chunked_t *c, uint64_t cap) {
  memset(c, 0, sizeof *c);
  c->state = C_SIZE;
  c->cap = cap;
}

pp_err_t pp_http_chunked_decode(pp_http_chunked_t *c, const char *in, size_t len, char *out,
                                size_t *used, size_t *produced) {
  size_t i = 0, o = 0;
  pp_err_t e = PP_ERR_AGAIN;
  while (i < len && e == PP_ERR_AGAIN) {
    char ch = in[i];
    switch (c->state) {
      case C_SIZE: {
        int v = pp_hex_digit(ch);
        if (v >= 0) {
          if (++c->digits > 16) e = PP_ERR_BAD_REQUEST;
          c->left = c->left << 4 | (uint64_t)v;
        } else if (c->digits && (ch == ';' || ch == '\r')) {
          c->state = ch == ';' ? C_EXT : C_SIZE_LF;
        } else {
          e = PP_ERR_BAD_REQUEST;
        }
        i++;
        break;
      }
      case C_EXT:
      case C_TRAILER:
        if (ch == '\r') {
          c->state = c->state == C_EXT ? C_SIZE_LF : c->line ? C_TRAILER_LF : C_END_LF;
        } else if (!is_field_char((unsigned char)ch) || ++c->line > MAX_CHUNK_LINE ||
                   ++c->ext > MAX_CHUNK_EXTRA) {
          e = PP_ERR_BAD_REQUEST;
        }
        i++;
        break;
      case C_SIZE_LF:
        if (ch != '\n') {
          e = PP_ERR_BAD_REQUEST;
        } else if (c->left == 0) {
          c->state = C_TRAILER;
          c->line = 0;
        } else if (c->left > c->cap - c->total) {
          e = PP_ERR_TOO_BIG;
        } else {
          c->state = C_DATA;
        }
        i++;
        break;
      case C_DATA: {
        size_t n = len - i;
        if (n > c->left) n = (size_t)c->left;
        memmove(out + o, in + i, n);
        i += n, o += n;
        c->left -= n;
        c->total += n;
        if (c->left == 0) c->state = C_DATA_CR;
        break;
      }
      case C_DATA_CR:
      case C_DATA_LF:
        if (ch != (c->state == C_DATA_CR ? '\r' : '\n')) e = PP_ERR_BAD_REQUEST;
        if (c->state == C_DATA_LF) c->digits = 0, c->line = 0;
        c->state = c->state == C_DATA_CR ? C_DATA_LF : C_SIZE;
        i++;
        break;
      case C_TRAILER_LF:
      case C_END_LF:
        if (ch != '\n') e = PP_ERR_BAD_REQUEST;
        if (c->state == C_END_LF) e = e ? e : PP_OK;
        c->state = c->state == C_END_LF ? C_DONE : C_TRAILER;
        c->line = 0;
        i++;
        break;
      case C_DONE:
        e = PP_OK;
        break;
    }
  }
  if (c->state == C_DONE && e == PP_ERR_AGAIN) e = PP_OK;
  *used = i;
  *produced = o;
  return e;
}

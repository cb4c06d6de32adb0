/* json.c: streaming JSON writer. */
#include "core/json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pp_jw_init(pp_jw_t *w, pp_buf_t *b) {
  w->b = b;
  w->depth = 0;
  w->need_comma[0] = false;
}

static void sep(pp_jw_t *w) {
  if (w->need_comma[w->depth]) pp_buf_putc(w->b, ',');
  w->need_comma[w->depth] = true;
}

static void open(pp_jw_t *w, char c) {
  pp_buf_putc(w->b, c);
  if (w->depth < 31) w->depth++;
  w->need_comma[w->depth] = false;
}

static void close_(pp_jw_t *w, char c) {
  pp_buf_putc(w->b, c);
  if (w->depth > 0) w->depth--;
}

void pp_jw_obj_begin(pp_jw_t *w) {
  sep(w);
  open(w, '{');
}
void pp_jw_obj_end(pp_jw_t *w) {
  close_(w, '}');
}
void pp_jw_arr_begin(pp_jw_t *w) {
  sep(w);
  open(w, '[');
}
void pp_jw_arr_end(pp_jw_t *w) {
  close_(w, ']');
}

void pp_jw_key(pp_jw_t *w, const char *key) {
  sep(w);
  pp_json_escape(w->b, key);
  pp_buf_putc(w->b, ':');
  w->need_comma[w->depth] = false; /* the value follows without a comma */
}

/* After a value inside an object the next key needs a comma: sep() sets it. */
void pp_jw_str(pp_jw_t *w, const char *s) {
  sep(w);
  if (s)
    pp_json_escape(w->b, s);
  else
    pp_buf_puts(w->b, "null");
}
void pp_jw_int(pp_jw_t *w, int64_t v) {
  sep(w);
  pp_buf_printf(w->b, "%" PRId64, v);
}
void pp_jw_bool(pp_jw_t *w, bool v) {
  sep(w);
  pp_buf_puts(w->b, v ? "true" : "false");
}
void pp_jw_null(pp_jw_t *w) {
  sep(w);
  pp_buf_puts(w->b, "null");
}
void pp_jw_kstr(pp_jw_t *w, const char *k, const char *s) {
  pp_jw_key(w, k);
  pp_jw_str(w, s);
}
void pp_jw_kint(pp_jw_t *w, const char *k, int64_t v) {
  pp_jw_key(w, k);
  pp_jw_int(w, v);
}
void pp_jw_knull(pp_jw_t *w, const char *k) {
  pp_jw_key(w, k);
  pp_jw_null(w);
}
void pp_jw_kbool(pp_jw_t *w, const char *k, bool v) {
  pp_jw_key(w, k);
  pp_jw_bool(w, v);
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;
    if (c == 0xED && p[1] >= 0xA0) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;
    if (c == 0xF4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

void pp_json_escape(pp_buf_t *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  pp_buf_putc(b, '"');
  const unsigned char *run = p;
  while (*p) {
    unsigned char c = *p;
    size_t n = 1;
    const char *esc = NULL;
    char u[7];
    if (c == '"')
      esc = "\\\"";
    else if (c == '\\')
      esc = "\\\\";
    else if (c == '\n')
      esc = "\\n";
    else if (c == '\r')
      esc = "\\r";
    else if (c == '\t')
      esc = "\\t";
    else if (c < 0x20 || c == 0x7f) {
      u[0] = '\\';
      u[1] = 'u';
      u[2] = '0';
      u[3] = '0';
      u[4] = hex[c >> 4];
      u[5] = hex[c & 15];
      u[6] = 0;
      esc = u;
    } else if (c >= 0x80) {
      n = utf8_len(p);
      if (n == 0) {
        esc = "\\ufffd"; /* invalid byte: replacement character */
        n = 1;
      }
    }
    if (esc) {
      pp_buf_append(b, run, (size_t)(p - run));
      pp_buf_puts(b, esc);
      p += n;
      run = p;
    } else {
      p += n;
    }
  }
  pp_buf_append(b, run, (size_t)(p - run));
  pp_buf_putc(b, '"');
}

void pp_jw_rawf(pp_jw_t *w, const char *fmt, ...) {
  sep(w);
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    w->b->failed = true;
    return;
  }
  pp_buf_append(w->b, tmp, (size_t)n);
}

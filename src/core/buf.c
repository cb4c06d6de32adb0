/* buf.c: growable capped buffer. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pp_buf_init(pp_buf_t *b, size_t cap) {
  b->data = NULL;
  b->len = b->alloc = 0;
  b->cap = cap ? cap : (size_t)16 << 20;
  b->failed = false;
  b->over_cap = false;
}

void pp_buf_cleanup(pp_buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->alloc = 0;
}

static bool reserve(pp_buf_t *b, size_t extra) {
  if (b->failed) return false;
  if (extra > b->cap || b->len > b->cap - extra) {
    b->failed = true;
    b->over_cap = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->alloc) return true;
  size_t n = b->alloc ? b->alloc : 256;
  while (n < need) n *= 2;
  char *p = realloc(b->data, n);
  if (!p) {
    b->failed = true;
    return false;
  }
  b->data = p;
  b->alloc = n;
  return true;
}

void pp_buf_append(pp_buf_t *b, const void *p, size_t n) {
  if (!reserve(b, n)) return;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void pp_buf_puts(pp_buf_t *b, const char *s) {
  pp_buf_append(b, s, strlen(s));
}

void pp_buf_putc(pp_buf_t *b, char c) {
  pp_buf_append(b, &c, 1);
}

void pp_buf_printf(pp_buf_t *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
    return;
  }
  if ((size_t)n < sizeof tmp) {
    pp_buf_append(b, tmp, (size_t)n);
    return;
  }
  if (!reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void pp_buf_url_encode(pp_buf_t *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      pp_buf_putc(b, (char)c);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      pp_buf_append(b, e, 3);
    }
  }
}

char *pp_buf_steal(pp_buf_t *b, size_t *len_out) {
  if (b->failed) return NULL;
  if (!b->data && !reserve(b, 0)) return NULL;
  if (!b->data) {
    b->data = malloc(1);
    if (!b->data) return NULL;
    b->data[0] = '\0';
  }
  char *p = b->data;
  if (len_out) *len_out = b->len;
  b->data = NULL;
  b->len = b->alloc = 0;
  return p;
}

pp_err_t pp_buf_status(const pp_buf_t *b) {
  if (!b->failed) return PP_OK;
  return b->over_cap ? PP_ERR_TOO_BIG : PP_ERR_NOMEM;
}

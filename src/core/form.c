/* form.c: form/query decoding. */
#include "core/form.h"

#include <string.h>

void pp_form_init(pp_form_t *f) {
  f->items = NULL;
  f->n = f->cap = 0;
  f->refused = NULL;
}

int pp_hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t pp_url_decode(char *out, const char *s, size_t len, int plus_is_space) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    int h, l;
    if (c == '+' && plus_is_space) {
      out[o++] = ' ';
    } else if (c == '%' && i + 2 < len && (h = pp_hex_digit(s[i + 1])) >= 0 &&
               (l = pp_hex_digit(s[i + 2])) >= 0) {
      out[o++] = (char)(h * 16 + l);
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  out[o] = '\0';
  return o;
}

static pp_err_t grow(pp_form_t *f, pp_arena_t *arena) {
  if (f->n < f->cap) return PP_OK;
  if (f->n >= PP_FORM_MAX_PARAMS) return PP_ERR_TOO_BIG;
  size_t cap = f->cap ? f->cap * 2 : 16;
  if (cap > PP_FORM_MAX_PARAMS) cap = PP_FORM_MAX_PARAMS;
  pp_param_t *items = pp_arena_alloc(arena, cap * sizeof *items);
  if (!items) return PP_ERR_NOMEM;
  if (f->n) memcpy(items, f->items, f->n * sizeof *items);
  f->items = items;
  f->cap = cap;
  return PP_OK;
}

pp_err_t pp_form_parse(pp_form_t *f, pp_arena_t *arena, const char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    while (i < len && s[i] != '&') i++;
    size_t end = i++;
    if (end == start) continue;
    size_t eq = start;
    while (eq < end && s[eq] != '=') eq++;
    pp_err_t e = grow(f, arena);
    if (e) return e;
    char *name = pp_arena_alloc(arena, eq - start + 1);
    size_t vlen = eq < end ? end - eq - 1 : 0;
    char *value = pp_arena_alloc(arena, vlen + 1);
    if (!name || !value) return PP_ERR_NOMEM;
    size_t nl = pp_url_decode(name, s + start, eq - start, 1);
    size_t dl = pp_url_decode(value, s + eq + 1, vlen, 1);
    if (memchr(name, '\0', nl) || memchr(value, '\0', dl)) {
      f->refused = name; /* "To%00x" is not "To", nor "abc%00def" "abc" */
      return PP_ERR_INVALID_PARAM;
    }
    f->items[f->n++] = (pp_param_t){name, value, dl};
  }
  return PP_OK;
}

pp_err_t pp_form_add(pp_form_t *f, pp_arena_t *arena, const char *name, const char *value) {
  pp_err_t e = grow(f, arena);
  if (e) return e;
  char *n = pp_arena_strdup(arena, name), *v = pp_arena_strdup(arena, value);
  if (!n || !v) return PP_ERR_NOMEM;
  f->items[f->n++] = (pp_param_t){n, v, strlen(v)};
  return PP_OK;
}

const char *pp_form_nth(const pp_form_t *f, const char *name, size_t i) {
  for (size_t k = 0; k < f->n; k++)
    if (strcmp(f->items[k].name, name) == 0 && i-- == 0) return f->items[k].value;
  return NULL;
}

const char *pp_form_get(const pp_form_t *f, const char *name) {
  return pp_form_nth(f, name, 0);
}

size_t pp_form_count(const pp_form_t *f, const char *name) {
  size_t c = 0;
  for (size_t k = 0; k < f->n; k++)
    if (strcmp(f->items[k].name, name) == 0) c++;
  return c;
}

/* arena.c: chunked bump allocator. */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pp_arena_chunk {
  pp_arena_chunk_t *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
};

#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

void pp_arena_init(pp_arena_t *a, size_t cap) {
  a->head = NULL;
  a->used = 0;
  a->cap = cap ? cap : (size_t)64 << 20;
  a->first_used = 0;
}

void pp_arena_cleanup(pp_arena_t *a) {
  pp_arena_chunk_t *c = a->head;
  while (c) {
    pp_arena_chunk_t *next = c->next;
    free(c);
    c = next;
  }
  a->head = NULL;
  a->used = 0;
  a->first_used = 0;
}

void *pp_arena_alloc(pp_arena_t *a, size_t n) {
  size_t need = ALIGN16(n ? n : 1);
  if (need < n || a->used + need > a->cap) return NULL;
  /* The inline chunk first; its start is aligned by rounding the offset. */
  uintptr_t base = (uintptr_t)a->first;
  size_t off = ALIGN16(base + a->first_used) - base;
  if (!a->head && off + need <= sizeof a->first) {
    a->first_used = off + need;
    a->used += need;
    return a->first + off;
  }
  pp_arena_chunk_t *c = a->head;
  if (!c || c->size - c->used < need) {
    size_t size = need > 8192 ? need : 8192;
    c = malloc(sizeof *c + size);
    if (!c) return NULL;
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += need;
  a->used += need;
  return p;
}

char *pp_arena_strndup(pp_arena_t *a, const char *s, size_t n) {
  char *p = pp_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *pp_arena_strdup(pp_arena_t *a, const char *s) {
  return s ? pp_arena_strndup(a, s, strlen(s)) : NULL;
}

void *pp_arena_grow(pp_arena_t *a, void *old, size_t n, size_t *cap, size_t size) {
  if (n < *cap) return old;
  size_t more = *cap ? 2 * *cap : 8;
  if (!size || more > SIZE_MAX / size) return NULL;
  void *p = pp_arena_alloc(a, more * size);
  if (!p) return NULL;
  if (n) memcpy(p, old, n * size);
  *cap = more;
  return p;
}

char *pp_arena_printf(pp_arena_t *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *p = pp_arena_alloc(a, (size_t)n + 1);
  if (!p) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

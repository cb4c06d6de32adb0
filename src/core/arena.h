/* arena.h: a per-request bump allocator.  Everything allocated from an arena
 * is freed at once by pp_arena_cleanup; nothing is freed singly. */
#ifndef PP_CORE_ARENA_H
#define PP_CORE_ARENA_H

#include <stddef.h>

typedef struct pp_arena_chunk pp_arena_chunk_t;

typedef struct {
  pp_arena_chunk_t *head;
  size_t used;      /* bytes handed out, all chunks */
  size_t cap;       /* refuse allocations past this many bytes (0: 64 MiB) */
  char first[2048]; /* inline first chunk: small requests never call malloc */
  size_t first_used;
} pp_arena_t;

/* pp_arena_init prepares caller-provided storage; `cap` bounds the total. */
void pp_arena_init(pp_arena_t *a, size_t cap);

/* pp_arena_cleanup frees every chunk; the arena may be initialised again. */
void pp_arena_cleanup(pp_arena_t *a);

/* pp_arena_alloc returns `n` bytes aligned to 16, or NULL when out of memory
 * or past the cap. */
void *pp_arena_alloc(pp_arena_t *a, size_t n);

/* pp_arena_strndup copies `n` bytes of `s` and a NUL; NULL on failure. */
char *pp_arena_strndup(pp_arena_t *a, const char *s, size_t n);

/* pp_arena_strdup copies a NUL-terminated string; NULL in gives NULL out. */
char *pp_arena_strdup(pp_arena_t *a, const char *s);

/* pp_arena_grow: an array of `size`-byte elements holding `n` of `*cap`,
 * with room for one more: `old` itself when n < *cap, else its `n`
 * elements copied into a block of twice *cap (8 when *cap is 0), *cap
 * updated.  NULL when out of memory (old and *cap unchanged). */
void *pp_arena_grow(pp_arena_t *a, void *old, size_t n, size_t *cap, size_t size);

/* pp_arena_printf formats into the arena; NULL on failure. */
char *pp_arena_printf(pp_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* buf.h: a growable byte buffer with a size cap, and helpers to append text.
 * An append that fails (out of memory or over the cap) marks the buffer
 * failed; later appends are no-ops, so callers check once at the end. */
#ifndef PP_CORE_BUF_H
#define PP_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

typedef struct {
  char *data; /* heap (malloc); NUL-terminated while not failed */
  size_t len, alloc, cap;
  bool failed;
  bool over_cap; /* the failure was the cap, not memory */
} pp_buf_t;

/* pp_buf_init prepares caller storage; `cap` bounds len (0: 16 MiB). */
void pp_buf_init(pp_buf_t *b, size_t cap);

/* pp_buf_cleanup frees the data. */
void pp_buf_cleanup(pp_buf_t *b);

/* pp_buf_steal hands the malloc'd data (NUL-terminated) to the caller, who
 * frees it with free(); the buffer is left empty.  NULL if failed. */
char *pp_buf_steal(pp_buf_t *b, size_t *len_out);

void pp_buf_append(pp_buf_t *b, const void *p, size_t n);
void pp_buf_puts(pp_buf_t *b, const char *s);
void pp_buf_putc(pp_buf_t *b, char c);
void pp_buf_printf(pp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pp_buf_url_encode appends `s` percent-encoded for a query string
 * (unreserved characters kept, space as %20). */
void pp_buf_url_encode(pp_buf_t *b, const char *s);

/* pp_buf_status returns PP_OK, or PP_ERR_NOMEM / PP_ERR_TOO_BIG. */
pp_err_t pp_buf_status(const pp_buf_t *b);

#endif

/* obuf.h: the output buffer of an SMPP connection (session and dev SMSC):
 * bytes appended at `len`, written from `off`, compacted before growing. */
#ifndef PP_CHANNEL_SMPP_OBUF_H
#define PP_CHANNEL_SMPP_OBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint8_t *p; /* malloc'd; the owner frees it */
  size_t off, len, alloc;
} pp_smpp_obuf_t;

/* pp_smpp_obuf_reserve makes room for `n` more bytes at b->len, first
 * allocating `first` bytes; false when out of memory or when the buffer
 * would pass `hard` (a peer that does not read). */
static inline bool pp_smpp_obuf_reserve(pp_smpp_obuf_t *b, size_t n, size_t first, size_t hard) {
  if (b->off && b->off == b->len) b->off = b->len = 0;
  if (b->alloc - b->len >= n) return true;
  if (b->off) { /* compact first */
    memmove(b->p, b->p + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->alloc - b->len >= n) return true;
  }
  if (b->len + n > hard) return false;
  size_t want = b->alloc ? b->alloc : first;
  while (want < b->len + n) want *= 2;
  uint8_t *p = realloc(b->p, want);
  if (!p) return false;
  b->p = p;
  b->alloc = want;
  return true;
}

/* pp_smpp_obuf_pending returns the bytes not yet written. */
static inline size_t pp_smpp_obuf_pending(const pp_smpp_obuf_t *b) { return b->len - b->off; }

#endif

/* obuf.h: the output buffer of an SMPP connection (session and dev SMSC):
 * bytes appended at `len`, written from `off`, compacted before growing. */
#ifndef PP_CHANNEL_SMPP_OBUF_H
#define PP_CHANNEL_SMPP_OBUF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "channel/smpp/smpp_pdu.h"

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
static inline size_t pp_smpp_obuf_pending(const pp_smpp_obuf_t *b) {
  return b->len - b->off;
}

/* pp_smpp_obuf_put_pdu encodes `pdu` at the end of the buffer.  Returns
 * PP_OK; PP_ERR_NOMEM when it cannot grow (or would pass `hard`); the
 * encoder's error otherwise.  Nothing is appended on failure. */
static inline pp_err_t pp_smpp_obuf_put_pdu(pp_smpp_obuf_t *b, const pp_smpp_pdu_t *pdu,
                                            size_t first, size_t hard) {
  size_t n = 0;
  if (!pp_smpp_obuf_reserve(b, 1024, first, hard)) return PP_ERR_NOMEM;
  pp_err_t e = pp_smpp_pdu_encode(pdu, b->p + b->len, b->alloc - b->len, &n);
  if (e == PP_ERR_TOO_BIG) { /* larger than the room left: ask its size */
    if ((e = pp_smpp_pdu_encoded_len(pdu, &n)) != PP_OK) return e;
    if (!pp_smpp_obuf_reserve(b, n, first, hard)) return PP_ERR_NOMEM;
    e = pp_smpp_pdu_encode(pdu, b->p + b->len, b->alloc - b->len, &n);
  }
  if (e == PP_OK) b->len += n;
  return e;
}

/* pp_smpp_obuf_send writes what socket `fd` takes.  Returns 1 when all was
 * written (the buffer is then empty), 0 when the socket would block, -1 on
 * an error (errno says which; EIO for a zero-length write). */
static inline int pp_smpp_obuf_send(pp_smpp_obuf_t *b, int fd) {
  while (pp_smpp_obuf_pending(b)) {
    ssize_t n = send(fd, b->p + b->off, pp_smpp_obuf_pending(b), MSG_NOSIGNAL);
    if (n > 0) {
      b->off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n == 0) errno = EIO;
    return -1;
  }
  b->off = b->len = 0;
  return 1;
}

#endif

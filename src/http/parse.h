/* parse.h: Pipit's strict HTTP/1.1 request parser: the request head
 * (request line and header fields) and the chunked body decoder.  Pure
 * functions over caller memory; no allocation, no I/O.  Framing follows
 * RFC 9112 section 6.3 with every ambiguity refused: a request the parser
 * accepts has exactly one reading. */
#ifndef PP_HTTP_PARSE_H
#define PP_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_HTTP_MAX_HEADERS 64

/* One header field: name and value point into the parsed buffer; the value
 * has its surrounding whitespace trimmed.  Neither is NUL-terminated. */
typedef struct {
  const char *name, *value;
  size_t name_len, value_len;
} pp_http_header_t;

/* Sizes past which a head is refused. */
typedef struct {
  size_t max_target; /* request target (path and query): 414 past it */
  size_t max_head;   /* request line and header fields: 431 past it */
} pp_http_limits_t;

/* A parsed request head.  Pointers are into the parsed buffer. */
typedef struct {
  const char *method, *target;
  size_t method_len, target_len;
  int minor; /* HTTP/1.<minor>: 0 or 1 */
  pp_http_header_t headers[PP_HTTP_MAX_HEADERS];
  size_t nheaders;
  size_t head_len;         /* bytes through the blank line */
  bool chunked;            /* Transfer-Encoding: chunked */
  uint64_t content_length; /* 0 without Content-Length */
  bool keep_alive;         /* the connection may serve another request */
  bool expect_continue;    /* Expect: 100-continue */
} pp_http_head_t;

/* Progress of pp_http_parse_head over a growing buffer; zero it for each
 * new request. */
typedef struct {
  size_t scanned;  /* bytes already searched for the end of the head */
  size_t line_end; /* offset of the request line's LF, once line_done */
  bool line_done;  /* the request line was complete and valid */
} pp_http_scan_t;

/* pp_http_parse_head parses the request head at the start of buf[0..len).
 * Call it again with the same `s` as the buffer grows (the bytes already
 * seen must not change); the work is linear in len over all calls.
 * Returns PP_OK with *out filled once the head is complete, PP_ERR_AGAIN
 * when more bytes are needed, or the answer to give and then close:
 * PP_ERR_BAD_REQUEST (malformed, HTTP/0.9, ambiguous framing: two
 * Content-Lengths, Content-Length with Transfer-Encoding, any
 * Transfer-Encoding but "chunked", a missing or repeated Host in HTTP/1.1;
 * *why, if not NULL, names the fault), PP_ERR_HTTP_URI_TOO_LONG,
 * PP_ERR_HTTP_HEADERS_TOO_LARGE, PP_ERR_HTTP_VERSION (HTTP/2 and up). */
pp_err_t pp_http_parse_head(pp_http_scan_t *s, const char *buf, size_t len,
                            const pp_http_limits_t *lim, pp_http_head_t *out, const char **why);

/* pp_http_header_find returns the first header called `name` (ASCII
 * case-insensitive), or NULL. */
const pp_http_header_t *pp_http_header_find(const pp_http_head_t *h, const char *name);

/* The chunked decoder's state; pp_http_chunked_init before the body. */
typedef struct {
  int state;
  uint64_t left;  /* bytes left in the current chunk */
  uint64_t total; /* decoded bytes so far */
  uint64_t cap;   /* more decoded bytes than this: PP_ERR_TOO_BIG */
  size_t line;    /* length of the current size or trailer line */
  size_t ext;     /* bytes of chunk extensions and trailers so far */
  int digits;
} pp_http_chunked_t;

void pp_http_chunked_init(pp_http_chunked_t *c, uint64_t cap);

/* pp_http_chunked_decode decodes in[0..len) and writes the chunk data to
 * `out`, which may be `in` itself or any memory at or before it (the
 * output never overtakes the input).  *used is the input consumed,
 * *produced the bytes written.  Returns PP_OK once the last chunk and the
 * trailer section are consumed (bytes after them, a pipelined request, are
 * not), PP_ERR_AGAIN when all of `in` was consumed and more is needed,
 * PP_ERR_TOO_BIG when the body outgrows the cap, PP_ERR_BAD_REQUEST for a
 * malformed chunk size, extension, line end or trailer. */
pp_err_t pp_http_chunked_decode(pp_http_chunked_t *c, const char *in, size_t len, char *out,
                                size_t *used, size_t *produced);

#endif

/* http.h: Pipit's HTTP front end: its own HTTP/1.1 server (parse.h) on
 * epoll worker threads, Basic auth, routing to src/api handlers, Twilio's
 * JSON error shape, /healthz and /metrics.  A request whose handler waits
 * for a durable write is suspended (not blocking a thread) and resumed when
 * the write commits. */
#ifndef PP_HTTP_HTTP_H
#define PP_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/err.h"

typedef struct pp_http pp_http_t;

typedef struct {
  const char *host;      /* numeric IPv4 or IPv6 address */
  int port;              /* 0: any free port (see pp_http_port) */
  int threads;           /* worker threads, each with its epoll set */
  size_t body_cap;       /* larger request bodies get 413 */
  int fixed_201;         /* benchmark only: answer every request with a fixed 201 */
  long max_conns;        /* open connections at most; 0 or more than fits: from
                            RLIMIT_NOFILE, less room for the store, binds, webhooks */
  int max_per_addr;      /* open connections from one address at most (0: 256) */
  int header_timeout_ms; /* a request head must arrive within this (0: 10000) */
  /* When set, every request goes to `handler` (on the connection's thread,
   * with r->state = handler_arg, the query and a form body decoded, and no
   * routes, /healthz, credentials or audit): the development SMSC's
   * control API.  Its errors are answered in Twilio's shape; its own
   * answers are r->status and r->body as it set them. */
  pp_api_handler_fn handler;
  void *handler_arg;
} pp_http_opts_t;

/* pp_http_start binds and starts serving `api` (NULL with opts->handler).  On success *out owns the
 * server; stop it with pp_http_stop.  Errors: PP_ERR_IO (cannot bind),
 * PP_ERR_INVALID_PARAM (host not numeric), PP_ERR_NOMEM.  A connection past
 * a limit is answered 503 (total) or 429 (per address) and closed. */
pp_err_t pp_http_start(const pp_http_opts_t *opts, pp_api_t *api, pp_http_t **out);

/* pp_http_port returns the bound port. */
int pp_http_port(const pp_http_t *h);

/* pp_http_stop stops accepting, answers 503 with Connection: close to
 * any new request on an open connection, waits for requests in flight
 * (including suspended ones, whose writes the store still completes; call
 * it before closing the store), closes every connection and frees `h`. */
void pp_http_stop(pp_http_t *h);

/* pp_http_error_json appends Twilio's error body for `e` (with the optional
 * context `detail` in the message) to `b`. */
void pp_http_error_json(pp_buf_t *b, pp_err_t e, const char *detail);

/* ---- routing (router.c) ---------------------------------------------- */

typedef struct {
  pp_method_t method;
  const char *pattern; /* "/2010-04-01/Accounts/{}/Messages/{}.json" */
  pp_api_handler_fn handler;
  const char *name;   /* metrics label */
  bool operator_only; /* /admin/v1: the operator credential, and only it */
} pp_http_route_t;

/* pp_http_route_match finds the route for `method` and `path`, filling captures
 * (arena copies) into params.  Returns the route index, -1 for no path
 * match, -2 when the path matches but not the method. */
int pp_http_route_match(pp_method_t method, const char *path, pp_arena_t *a, const char *params[3]);

/* pp_http_route_staff tells whether route `i` is a staff route: its
 * pattern is under /staff/.  Such a request carries no Basic credentials;
 * its handler finds the staff session or runs the ceremony itself
 * (api/staff.c, staff/staff.h), and its 401 offers no Basic challenge. */
bool pp_http_route_staff(int i);

/* The table, for metrics labels. */
extern const pp_http_route_t pp_http_routes[];
extern const size_t pp_http_routes_count;

/* ---- metrics (metrics.c) ---------------------------------------------- */

/* pp_metrics_observe counts one request: route index (-1: unmatched),
 * HTTP status and latency in microseconds.  Lock-free. */
void pp_metrics_observe(int route, int status, int64_t micros);

/* pp_metrics_render appends the Prometheus text exposition to `b`. */
void pp_metrics_render(pp_buf_t *b);

#endif

/* server.c: Pipit's HTTP/1.1 server.  Worker threads, each with its own
 * epoll set, serve keep-alive connections (accepted by worker 0 and handed
 * out in turn) with pipelined requests answered in order; per-address and
 * total connection limits, header and idle timeouts; a request whose
 * handler waits for a durable write is suspended (no thread blocks) and
 * continued on its connection's thread; a stop refuses new requests with
 * 503 and waits for the suspended ones.  Every error goes out in Twilio's
 * JSON shape. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "http/http.h"
#include "http/parse.h"

#define MAX_TARGET 8192
#define MAX_HEAD 16384 /* request line and header fields */
/* The parser's verdict on a long unfinished request line needs the head
 * limit past the target limit (parse.c, LINE_SLACK). */
_Static_assert(MAX_HEAD > MAX_TARGET + 64, "head limit within the target limit");
#define IN_FIRST 4096     /* a connection's first input buffer */
#define IN_KEEP 65536     /* a larger one is freed between requests */
#define CHUNK_SLACK 16384 /* chunked framing held beside the decoded body */
#define IDLE_MS 60000     /* keep-alive idle, body and write progress */
#define LINGER_MS 2000    /* reading what a client still sends after a close */
#define ADDR_BUCKETS 4096

typedef struct worker worker_t;
typedef struct conn conn_t;

/* Connections open from one client address. */
typedef struct addr_count {
  unsigned char key[16];
  int count;
  struct addr_count *next;
} addr_count_t;

struct pp_http {
  pp_api_t *api;
  pp_http_opts_t opts;
  int port;
  int nworkers;
  worker_t *workers;
  _Atomic bool stopping;
  _Atomic long conns; /* open connections, all workers */
  long max_conns;
  pthread_mutex_t addr_mu;
  addr_count_t *addrs[ADDR_BUCKETS];
};

struct worker {
  pp_http_t *h;
  pthread_t thread;
  int ep, lfd, efd; /* lfd: the listener, on worker 0 only (else -1) */
  bool listening;   /* lfd is in the epoll set */
  unsigned next;    /* worker 0: the worker the next connection goes to */
  int64_t relisten; /* ms: put lfd back after running out of descriptors */
  int64_t warned;   /* ms: when that was last logged */
  bool stop_seen;
  conn_t *conns;     /* every open connection of this worker */
  conn_t *closed;    /* closed in this round of events, freed after it */
  int64_t hard_stop; /* ms: stopping, past this only waiting requests stay */
  long inflight;     /* connections with a request being handled */
  pthread_mutex_t mu;
  conn_t *ready;    /* woken requests, pushed by the store's writer thread */
  conn_t *incoming; /* connections worker 0 accepted for this one */
};

/* What a connection needs once a client has sent something: kept apart so
 * that a connection that never sends a byte costs little memory. */
typedef struct {
  pp_http_head_t head;
  pp_api_req_t req;
  char out[1024]; /* the answer's head */
} exchange_t;

struct conn {
  int fd;
  worker_t *w;
  conn_t *prev, *next, *ready_next;
  unsigned char key[16]; /* the peer address, for the per-address limit */
  char ip[PP_AUDIT_IP_SIZE];
  exchange_t *x; /* allocated when the first byte comes */
  /* Input: the request being read sits at the start of `in`. */
  char *in;
  size_t in_len, in_cap;
  pp_http_scan_t scan;
  bool have_head;
  pp_http_chunked_t chunk;
  size_t body_end; /* chunked: end of the decoded body */
  size_t body_pos; /* chunked: end of the input decoded */
  size_t next_off; /* where the next pipelined request starts */
  /* Output: a head and a body (borrowed from req.body), sent by writev. */
  size_t out_len, out_off;
  const char *body;
  size_t body_len, body_off;
  pp_buf_t err;     /* the body of a refusal sent before any request */
  bool sending;     /* output is pending */
  bool close_after; /* close once it is sent */
  bool lingering;   /* shut down for writing, discarding input */
  bool can_read, can_write;
  bool hup;         /* the peer's FIN (or an error) was reported: read to the end */
  bool in_request;  /* req holds a request being handled */
  bool waiting;     /* its handler waits for a write */
  bool closed;      /* on the worker's closed list: ignore its events */
  int64_t deadline; /* ms (monotonic); 0: none */
  int route;
  int64_t t0;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pp_http_error_json(pp_buf_t *b, pp_err_t e, const char *detail) {
  int status = pp_err_http_status(e);
  int code = pp_err_twilio_code(e);
  if (!code) code = status;
  char msg[1024];
  pp_err_message(e, detail, msg, sizeof msg);
  pp_jw_t w;
  pp_jw_init(&w, b);
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "code", code);
  pp_jw_kstr(&w, "message", msg);
  pp_jw_key(&w, "more_info");
  pp_jw_rawf(&w, "\"https://www.twilio.com/docs/errors/%d\"", code);
  pp_jw_kint(&w, "status", status);
  pp_jw_obj_end(&w);
}

/* ---- responses ---------------------------------------------------------- */

static const char *reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

/* The Date field, formatted once a second per thread. */
static const char *http_date(void) {
  static _Thread_local char buf[40];
  static _Thread_local time_t last;
  time_t t = time(NULL);
  if (t != last) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    last = t;
  }
  return buf;
}

/* What every HTML answer (the staff pages) carries: scripts, styles and
 * fetches from this origin only, nothing else loaded, forms posted only
 * here, never framed, no Referer (an enrolment link holds a token), and no
 * sniffing a type other than the one sent. */
#define HTML_HEADERS                                                                   \
  "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; " \
  "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "          \
  "frame-ancestors 'none'\r\n"                                                         \
  "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n"

/* Writes a response head into `out` (cap 1024); returns its length. */
static size_t render_head(char *out, int status, const char *ctype, size_t len, bool close,
                          bool keep_alive_10, const char *set_cookie, bool basic) {
  int n =
      snprintf(out, 1024, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, reason(status), http_date());
  if (status != 204 && status != 100)
    n += snprintf(out + n, (size_t)(1024 - n), "Content-Length: %zu\r\n", len);
  if (len) n += snprintf(out + n, (size_t)(1024 - n), "Content-Type: %s\r\n", ctype);
  if (len && strcmp(ctype, "application/json") != 0)
    n += snprintf(out + n, (size_t)(1024 - n), "Cache-Control: no-store\r\n");
  if (len && strncmp(ctype, "text/html", 9) == 0)
    n += snprintf(out + n, (size_t)(1024 - n), "%s", HTML_HEADERS);
  if (status == 401 && basic)
    n += snprintf(out + n, (size_t)(1024 - n), "WWW-Authenticate: Basic realm=\"Pipit API\"\r\n");
  if (set_cookie) n += snprintf(out + n, (size_t)(1024 - n), "Set-Cookie: %s\r\n", set_cookie);
  if (close)
    n += snprintf(out + n, (size_t)(1024 - n), "Connection: close\r\n");
  else if (keep_alive_10)
    n += snprintf(out + n, (size_t)(1024 - n), "Connection: keep-alive\r\n");
  n += snprintf(out + n, (size_t)(1024 - n), "\r\n");
  return (size_t)n;
}

/* Queues a response on `c`: the body is borrowed until it is sent. */
static void respond(conn_t *c, int status, const char *body, size_t len, const char *ctype,
                    bool close) {
  pp_http_t *h = c->w->h;
  if (atomic_load_explicit(&h->stopping, memory_order_relaxed)) close = true;
  if (c->have_head && !c->x->head.keep_alive) close = true;
  bool ka10 = c->have_head && c->x->head.minor == 0;
  bool head_only =
      c->have_head && c->x->head.method_len == 4 && memcmp(c->x->head.method, "HEAD", 4) == 0;
  /* A staff route's answer: its cookie.  Neither a staff route nor
   * /admin/v1 (a staff session too) offers a Basic challenge: a browser
   * would show a password dialog, and staff have no password. */
  bool staff = pp_http_route_staff(c->route);
  bool basic = !staff && !(c->route >= 0 && pp_http_routes[c->route].operator_only);
  const char *cookie = staff && c->in_request ? c->x->req.set_cookie : NULL;
  c->out_len = render_head(c->x->out, status, ctype, len, close, ka10, cookie, basic);
  c->out_off = 0;
  c->body = head_only ? NULL : body;
  c->body_len = head_only || status == 204 ? 0 : len;
  c->body_off = 0;
  c->sending = true;
  c->close_after = close;
  pp_metrics_observe(c->route, status, pp_clock_now_us() - c->t0);
}

/* Answers a fault of the request's framing or head, a stop or a timeout
 * with Twilio's error shape and closes: nothing after it on the connection
 * can be trusted. */
static void refuse(conn_t *c, pp_err_t e, const char *why) {
  pp_buf_cleanup(&c->err);
  pp_buf_init(&c->err, 0);
  pp_http_error_json(&c->err, e, why);
  c->route = -1;
  c->t0 = pp_clock_now_us();
  respond(c, pp_err_http_status(e), c->err.data, c->err.len, "application/json", true);
}

/* Sends the outcome of a handler or continuation. */
static void finish(conn_t *c, pp_err_t e) {
  pp_api_req_t *r = &c->x->req;
  if (e) {
    if (e == PP_ERR_INTERNAL || e == PP_ERR_STORE || e == PP_ERR_NOMEM || e == PP_ERR_IO)
      pp_log_error("http", "%.*s %s: %s", (int)c->x->head.method_len, c->x->head.method,
                   r->path ? r->path : "?", pp_err_name(e));
    pp_buf_cleanup(&r->body);
    pp_buf_init(&r->body, 0);
    pp_http_error_json(&r->body, e, r->err_detail);
    respond(c, pp_err_http_status(e), r->body.data, r->body.len, "application/json", false);
    return;
  }
  respond(c, r->status, r->body.data, r->body.len,
          r->content_type ? r->content_type : "application/json", false);
}

/* Wakes worker `w` (its eventfd). */
static void signal_worker(worker_t *w) {
  uint64_t one = 1;
  ssize_t n = write(w->efd, &one, sizeof one);
  (void)n; /* a full counter already wakes the worker */
}

/* Pushes `c` onto worker `w`'s list `*head` (of `w`, under w->mu), linked
 * through `*link` (a field of `c`), and wakes the worker when the list was
 * empty (it drains the whole list when woken). */
static void push_to_worker(worker_t *w, conn_t **head, conn_t **link, conn_t *c) {
  pthread_mutex_lock(&w->mu);
  bool first = *head == NULL;
  *link = *head;
  *head = c;
  pthread_mutex_unlock(&w->mu);
  if (first) signal_worker(w);
}

/* Called by the store's writer thread once the request's write committed:
 * hands the request back to its connection's worker. */
static void wake(pp_api_req_t *r) {
  conn_t *c = r->transport;
  worker_t *w = c->w;
  push_to_worker(w, &w->ready, &c->ready_next, c);
}

/* Handles a handler's or continuation's outcome: PP_ERR_AGAIN waits for
 * wake(), which comes on the worker's own loop, never inside this call. */
static void settle(conn_t *c, pp_err_t e) {
  if (e == PP_ERR_AGAIN)
    c->waiting = true;
  else
    finish(c, e);
}

/* Runs a handler.  A request the audit log must record and whose handler
 * wrote nothing waits for its event likewise (so does a refused sign-in:
 * see refused). */
static void run(conn_t *c, pp_api_handler_fn fn) {
  pp_err_t e = fn(&c->x->req);
  if (e != PP_ERR_AGAIN) e = pp_api_audit_after(&c->x->req, e);
  settle(c, e);
}

/* The "handler" of a request whose credentials were refused: its error,
 * once the audit log has the failure. */
static pp_err_t refused(pp_api_req_t *r) {
  return r->audit.answer;
}

static pp_method_t method_of(const pp_http_head_t *hd) {
  const char *m = hd->method;
  size_t n = hd->method_len;
  if ((n == 3 && memcmp(m, "GET", 3) == 0) || (n == 4 && memcmp(m, "HEAD", 4) == 0)) return PP_GET;
  if (n == 4 && memcmp(m, "POST", 4) == 0) return PP_POST;
  if (n == 6 && memcmp(m, "DELETE", 6) == 0) return PP_DELETE;
  return PP_METHOD_OTHER;
}

/* A header's value, NUL-terminated in place by dispatch, or NULL. */
static char *header(conn_t *c, const char *name) {
  const pp_http_header_t *f = pp_http_header_find(&c->x->head, name);
  return f ? (char *)f->value : NULL;
}

/* Decoded credentials live in one sodium_malloc'd scratch buffer per HTTP
 * thread, allocated once (sodium_malloc maps guard pages; doing it per
 * request cost a TLB shootdown each) and wiped after every request. */
#define AUTH_SCRATCH 1100
static _Thread_local char *auth_scratch;

/* Decodes "Authorization: Basic b64" into user and pass inside the scratch
 * buffer, which the caller wipes with sodium_memzero(buf, AUTH_SCRATCH).
 * The encoded credential is wiped from the input buffer.  Returns the
 * buffer, or NULL when there are no usable credentials. */
static char *basic_auth(conn_t *c, const char **user, const char **pass) {
  char *h = header(c, "Authorization");
  if (!h) return NULL;
  size_t whole = strlen(h);
  char *buf = NULL;
  if (strncasecmp(h, "Basic ", 6) == 0) {
    const char *p = h + 6;
    while (*p == ' ') p++;
    size_t n = strlen(p);
    if (n && n < AUTH_SCRATCH && (auth_scratch || (auth_scratch = sodium_malloc(AUTH_SCRATCH))))
      buf = auth_scratch;
    size_t len = 0;
    if (buf && sodium_base642bin((unsigned char *)buf, AUTH_SCRATCH - 1, p, n, NULL, &len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0) {
      buf[len] = '\0';
      char *colon = memchr(buf, ':', len);
      if (colon && strlen(buf) == len) {
        *colon = '\0';
        *user = buf;
        *pass = colon + 1;
      } else {
        sodium_memzero(buf, AUTH_SCRATCH);
        buf = NULL;
      }
    } else if (buf) {
      sodium_memzero(buf, AUTH_SCRATCH);
      buf = NULL;
    }
  }
  sodium_memzero(h, whole);
  return buf;
}

/* The path the audit log keeps: the route's pattern with each capture
 * that is a SID (two capitals and 32 hex digits) filled in, and any other
 * ("{}": an entity's identity, a phone number given for a verification)
 * left out, as the log is not sealed and these are customer content. */
static const char *audit_path(pp_arena_t *a, const char *pattern, const char *const params[3]) {
  pp_buf_t b;
  pp_buf_init(&b, 512);
  size_t k = 0;
  for (const char *p = pattern; *p; p++) {
    if (p[0] == '{' && p[1] == '}') {
      const char *v = k < 3 ? params[k++] : NULL;
      bool sid = v && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' &&
                 pp_sid_valid(v, v); /* its own two capitals as the prefix */
      pp_buf_puts(&b, sid ? v : "{}");
      p++;
    } else {
      pp_buf_putc(&b, *p);
    }
  }
  const char *out = pp_buf_status(&b) ? NULL : pp_arena_strdup(a, b.data);
  pp_buf_cleanup(&b);
  return out;
}

/* What the audit log records of the request: the peer address of the
 * socket (never X-Forwarded-For, which any client can send), the
 * User-Agent and the request line without the query, its captures that
 * are not SIDs left out (audit_path). */
static void audit_context(conn_t *c) {
  pp_api_audit_ctx_t *x = &c->x->req.audit;
  memcpy(x->ip, c->ip, sizeof x->ip);
  x->user_agent = header(c, "User-Agent");
  const char *path =
      audit_path(&c->x->req.arena, pp_http_routes[c->route].pattern, c->x->req.params);
  x->request = path ? pp_arena_printf(&c->x->req.arena, "%s %s", c->x->head.method, path) : NULL;
}

/* Terminates the method, target and header values in place (the byte
 * after each is a space, CR or whitespace the parser already read). */
static void terminate_strings(conn_t *c) {
  pp_http_head_t *hd = &c->x->head;
  ((char *)hd->method)[hd->method_len] = '\0';
  ((char *)hd->target)[hd->target_len] = '\0';
  for (size_t k = 0; k < hd->nheaders; k++)
    ((char *)hd->headers[k].value)[hd->headers[k].value_len] = '\0';
}

/* Handles a complete request whose body is body[0..len). */
static void dispatch(conn_t *c, const char *body, size_t len) {
  pp_http_t *h = c->w->h;
  pp_api_req_t *r = &c->x->req;
  pp_api_req_init(r, h->api);
  r->transport = c;
  r->wake = wake;
  c->in_request = true;
  c->w->inflight++;
  c->route = -1;
  c->t0 = pp_clock_now_us();
  c->deadline = 0;
  terminate_strings(c);
  if (h->opts.fixed_201) {
    pp_buf_puts(&r->body, "{\"status\":\"queued\"}");
    r->status = 201;
    finish(c, PP_OK);
    return;
  }
  r->method = method_of(&c->x->head);
  /* Routes match the path as sent: "%2F" is not a separator, and SIDs need
   * no decoding.  The query is decoded as a form. */
  char *uri = (char *)c->x->head.target;
  char *q = strchr(uri, '?');
  if (q) *q++ = '\0';
  r->path = uri;
  pp_err_t e = PP_OK;
  if (q) e = pp_form_parse(&r->query, &r->arena, q, strlen(q));
  if (e) {
    finish(c, pp_api_form_error(r, &r->query, e));
    return;
  }

  if (r->method == PP_POST && len) {
    const char *ct = header(c, "Content-Type");
    if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
      e = pp_form_parse(&r->form, &r->arena, body, len);
      if (e) {
        finish(c, pp_api_form_error(r, &r->form, e));
        return;
      }
    }
  }

  if (h->opts.handler) {
    r->state = h->opts.handler_arg;
    settle(c, h->opts.handler(r));
    return;
  }
  if (strcmp(uri, "/healthz") == 0) {
    pp_buf_puts(&r->body, "{\"status\":\"ok\"}");
    finish(c, PP_OK);
    return;
  }
  if (strcmp(uri, "/metrics") == 0) {
    pp_metrics_render(&r->body);
    r->content_type = "text/plain; version=0.0.4";
    finish(c, PP_OK);
    return;
  }

  c->route = pp_http_route_match(r->method, uri, &r->arena, r->params);
  if (c->route == -1) {
    finish(c, pp_api_fail(r, PP_ERR_NOT_FOUND, uri));
    return;
  }
  if (c->route == -2) {
    c->route = -1;
    finish(c, PP_ERR_METHOD);
    return;
  }

  audit_context(c);
  if (pp_http_route_staff(c->route)) { /* the handler decides who it is */
    r->raw_body = body;
    r->raw_body_len = len;
    r->cookie = header(c, "Cookie");
    r->csrf_header = header(c, "X-CSRF-Token");
    run(c, pp_http_routes[c->route].handler);
    return;
  }
  const char *user = NULL, *pass = NULL;
  char *secret = basic_auth(c, &user, &pass);
  bool admin = pp_http_routes[c->route].operator_only;
  if (admin) { /* a staff session (the operator token is retired) */
    r->cookie = header(c, "Cookie");
    r->csrf_header = header(c, "X-CSRF-Token");
    e = pp_api_admin_authenticate(r, user);
  } else {
    e = pp_api_authenticate(r, user, pass);
  }
  if (secret) sodium_memzero(secret, AUTH_SCRATCH);
  if (!e) e = pp_api_authorize(r, admin);
  if (e) {
    r->audit.answer = e;
    run(c, refused);
    return;
  }
  run(c, admin ? pp_api_admin_handler(r, pp_http_routes[c->route].handler)
               : pp_http_routes[c->route].handler);
}

/* ---- connections -------------------------------------------------------- */

static size_t addr_bucket(const unsigned char key[16]) {
  uint32_t x = 2166136261u;
  for (int i = 0; i < 16; i++) x = (x ^ key[i]) * 16777619u;
  return x % ADDR_BUCKETS;
}

/* Counts one more connection from `key`; false when it already has its
 * share (or no memory to count it). */
static bool addr_take(pp_http_t *h, const unsigned char key[16]) {
  pthread_mutex_lock(&h->addr_mu);
  addr_count_t **slot = &h->addrs[addr_bucket(key)], *a = *slot;
  while (a && memcmp(a->key, key, 16) != 0) a = a->next;
  bool ok = false;
  if (a) {
    ok = a->count < h->opts.max_per_addr;
    if (ok) a->count++;
  } else if ((a = malloc(sizeof *a))) {
    memcpy(a->key, key, 16);
    a->count = 1;
    a->next = *slot;
    *slot = a;
    ok = true;
  }
  pthread_mutex_unlock(&h->addr_mu);
  return ok;
}

static void addr_give(pp_http_t *h, const unsigned char key[16]) {
  pthread_mutex_lock(&h->addr_mu);
  addr_count_t **p = &h->addrs[addr_bucket(key)];
  while (*p && memcmp((*p)->key, key, 16) != 0) p = &(*p)->next;
  addr_count_t *a = *p;
  if (a && --a->count == 0) {
    *p = a->next;
    free(a);
  }
  pthread_mutex_unlock(&h->addr_mu);
}

static void conn_close(conn_t *c) {
  worker_t *w = c->w;
  if (c->in_request) {
    pp_api_req_cleanup(&c->x->req);
    w->inflight--;
  }
  pp_buf_cleanup(&c->err);
  addr_give(w->h, c->key); /* before the close, which the client may see */
  atomic_fetch_sub(&w->h->conns, 1);
  close(c->fd);
  if (c->prev)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c->in);
  c->in = NULL;
  free(c->x);
  c->x = NULL;
  c->closed = true; /* an event of this round may still name it */
  c->next = w->closed;
  w->closed = c;
}

/* The request is answered: drop it and move a pipelined one to the front. */
static void request_done(conn_t *c) {
  if (c->in_request) {
    pp_api_req_cleanup(&c->x->req);
    c->in_request = false;
    c->w->inflight--;
  }
  size_t rest = c->in_len - c->next_off;
  if (rest) memmove(c->in, c->in + c->next_off, rest);
  c->in_len = rest;
  c->next_off = 0;
  c->have_head = false;
  c->scan = (pp_http_scan_t){0};
  if (c->in_cap > IN_KEEP && rest == 0) { /* a large body came: give it back */
    free(c->in);
    c->in = NULL;
    c->in_cap = 0;
  }
  c->deadline =
      now_ms() + (c->in_len ? (int64_t)c->w->h->opts.header_timeout_ms : (int64_t)IDLE_MS);
}

static const pp_http_limits_t limits = {.max_target = MAX_TARGET, .max_head = MAX_HEAD};

/* Moves the request at the front of the input on; false when it needs more
 * input.  It may queue output or leave the request waiting. */
static bool step(conn_t *c) {
  pp_http_t *h = c->w->h;
  if (!c->have_head) {
    if (c->in_len == 0) return false;
    const char *why = NULL;
    pp_err_t e = pp_http_parse_head(&c->scan, c->in, c->in_len, &limits, &c->x->head, &why);
    if (e == PP_ERR_AGAIN) return false;
    if (e) {
      refuse(c, e, why);
      return true;
    }
    c->have_head = true;
    if (atomic_load_explicit(&h->stopping, memory_order_relaxed)) {
      refuse(c, PP_ERR_CLOSED, NULL);
      return true;
    }
    if (!c->x->head.chunked && c->x->head.content_length > h->opts.body_cap) {
      refuse(c, PP_ERR_TOO_BIG, NULL);
      return true;
    }
    c->deadline = now_ms() + IDLE_MS;
    c->body_pos = c->body_end = c->x->head.head_len;
    if (c->x->head.chunked) pp_http_chunked_init(&c->chunk, h->opts.body_cap);
    bool body_due =
        c->x->head.chunked || c->in_len < c->x->head.head_len + c->x->head.content_length;
    if (c->x->head.expect_continue && body_due) {
      c->out_len = (size_t)snprintf(c->x->out, sizeof c->x->out, "HTTP/1.1 100 Continue\r\n\r\n");
      c->out_off = 0;
      c->body = NULL;
      c->body_len = c->body_off = 0;
      c->sending = true;
      c->close_after = false;
      return true;
    }
  }
  size_t body_len;
  if (c->x->head.chunked) {
    size_t used = 0, produced = 0;
    pp_err_t e = pp_http_chunked_decode(&c->chunk, c->in + c->body_pos, c->in_len - c->body_pos,
                                        c->in + c->body_end, &used, &produced);
    c->body_end += produced;
    c->body_pos += used;
    if (e == PP_ERR_AGAIN) { /* keep the input compact: drop the framing read */
      c->in_len = c->body_end;
      c->body_pos = c->body_end;
      return false;
    }
    if (e) {
      refuse(c, e, e == PP_ERR_BAD_REQUEST ? "malformed chunked body" : NULL);
      return true;
    }
    body_len = c->body_end - c->x->head.head_len;
    c->next_off = c->body_pos;
  } else {
    if (c->in_len < c->x->head.head_len + c->x->head.content_length) return false;
    body_len = (size_t)c->x->head.content_length;
    c->next_off = c->x->head.head_len + body_len;
  }
  dispatch(c, c->in + c->x->head.head_len, body_len);
  return true;
}

/* Makes room to read into; false when the input is at its limit (the
 * parser or decoder has answered before that can matter). */
static bool in_room(conn_t *c) {
  if (c->in_len < c->in_cap) return true;
  pp_http_t *h = c->w->h;
  size_t limit = MAX_HEAD + 1;
  if (c->have_head)
    limit = c->x->head.head_len + (c->x->head.chunked ? h->opts.body_cap + CHUNK_SLACK
                                                      : (size_t)c->x->head.content_length);
  if (c->in_cap >= limit) return false;
  size_t cap = c->in_cap ? c->in_cap * 2 : IN_FIRST;
  if (c->have_head && !c->x->head.chunked && cap < limit && limit - c->in_cap <= 1 << 20)
    cap = limit; /* the whole body at once */
  if (cap > limit) cap = limit;
  /* The parsed head points into the buffer: keep its offsets across the move. */
  pp_http_head_t *hd = c->have_head ? &c->x->head : NULL;
  size_t off[2 + 2 * PP_HTTP_MAX_HEADERS] = {0}, k = 0;
  if (hd) {
    off[k++] = (size_t)(hd->method - c->in);
    off[k++] = (size_t)(hd->target - c->in);
    for (size_t i = 0; i < hd->nheaders; i++) {
      off[k++] = (size_t)(hd->headers[i].name - c->in);
      off[k++] = (size_t)(hd->headers[i].value - c->in);
    }
  }
  char *p = realloc(c->in, cap);
  if (!p) return false;
  c->in = p;
  c->in_cap = cap;
  if (hd) {
    k = 0;
    hd->method = p + off[k++];
    hd->target = p + off[k++];
    for (size_t i = 0; i < hd->nheaders; i++) {
      hd->headers[i].name = p + off[k++];
      hd->headers[i].value = p + off[k++];
    }
  }
  return true;
}

typedef enum { IO_OK, IO_WAIT, IO_CLOSED } io_t;

/* Sends pending output. */
static io_t flush(conn_t *c) {
  while (c->out_off < c->out_len || c->body_off < c->body_len) {
    struct iovec v[2];
    int n = 0;
    if (c->out_off < c->out_len)
      v[n++] = (struct iovec){c->x->out + c->out_off, c->out_len - c->out_off};
    if (c->body_off < c->body_len)
      v[n++] = (struct iovec){(void *)(c->body + c->body_off), c->body_len - c->body_off};
    struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)n};
    ssize_t k = sendmsg(c->fd, &m, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c->can_write = false;
      c->deadline = now_ms() + IDLE_MS;
      return IO_WAIT;
    }
    if (k < 0) return IO_CLOSED;
    size_t left = (size_t)k, a = c->out_len - c->out_off;
    if (left >= a) {
      c->out_off = c->out_len;
      c->body_off += left - a;
    } else {
      c->out_off += left;
    }
  }
  c->sending = false;
  return IO_OK;
}

/* Reads what is there.  IO_OK: read some; IO_WAIT: nothing now, or no room. */
static io_t fill(conn_t *c) {
  if (!c->x && !(c->x = calloc(1, sizeof *c->x))) return IO_CLOSED;
  if (!in_room(c)) return IO_WAIT;
  size_t space = c->in_cap - c->in_len;
  ssize_t n;
  do n = recv(c->fd, c->in + c->in_len, space, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0) return IO_CLOSED;
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return IO_CLOSED;
    c->can_read = false;
    return IO_WAIT;
  }
  /* A short read drained the socket: with edge triggering, more data makes
   * a new event.  Not so a FIN that came with the data: once one was
   * reported, read on until recv says so. */
  if ((size_t)n < space && !c->hup) c->can_read = false;
  if (c->in_len == 0 && !c->have_head)
    c->deadline = now_ms() + c->w->h->opts.header_timeout_ms;
  else if (c->have_head)
    c->deadline = now_ms() + IDLE_MS;
  c->in_len += (size_t)n;
  return IO_OK;
}

/* After a closing answer: stop writing and read (and drop) what the
 * client still sends, so that closing does not reset the connection
 * under the answer. */
static void linger_start(conn_t *c) {
  shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  c->in_len = 0;
  c->deadline = now_ms() + LINGER_MS;
}

/* Moves a connection as far as it can go without blocking. */
static void conn_run(conn_t *c) {
  for (;;) {
    if (c->sending) {
      if (!c->can_write) return;
      io_t r = flush(c);
      if (r == IO_CLOSED) goto gone;
      if (r == IO_WAIT) return;
      if (c->in_request) request_done(c);
      if (c->close_after) linger_start(c);
      continue;
    }
    if (c->lingering) {
      char sink[4096];
      ssize_t n;
      while ((n = recv(c->fd, sink, sizeof sink, 0)) > 0) {
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) goto gone;
      c->can_read = false;
      return;
    }
    if (c->waiting) return;
    if (step(c)) continue;
    if (!c->can_read) return;
    io_t r = fill(c);
    if (r == IO_CLOSED) goto gone;
    if (r == IO_WAIT && c->can_read) { /* no room: the head or body is at its cap */
      refuse(c, c->have_head ? PP_ERR_TOO_BIG : PP_ERR_HTTP_HEADERS_TOO_LARGE, NULL);
    }
  }
gone: /* never while waiting: a waiting connection neither reads nor writes */
  conn_close(c);
}

/* Answers a connection refused at accept with `e` and closes it. */
static void turn_away(int fd, pp_err_t e) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_http_error_json(&b, e, NULL);
  char head[1024];
  size_t n =
      render_head(head, pp_err_http_status(e), "application/json", b.len, true, false, NULL, true);
  struct iovec v[2] = {{head, n}, {b.data, b.len}};
  struct msghdr m = {.msg_iov = v, .msg_iovlen = b.data ? 2 : 1};
  ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)k; /* best effort: the connection closes either way */
  pp_buf_cleanup(&b);
  shutdown(fd, SHUT_WR);
  close(fd);
}

/* The key the per-address limit counts under (an IPv4 address, or an IPv6
 * /64, which one client usually holds whole) and the peer's address text. */
static void addr_key(const struct sockaddr_storage *ss, unsigned char key[16], char *ip) {
  memset(key, 0, 16);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    key[10] = key[11] = 0xff; /* as an IPv4-mapped IPv6 address */
    memcpy(key + 12, &a->sin_addr, 4);
    inet_ntop(AF_INET, &a->sin_addr, ip, PP_AUDIT_IP_SIZE);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    memcpy(key, &a->sin6_addr, 8); /* a /64: one client's share of IPv6 */
    inet_ntop(AF_INET6, &a->sin6_addr, ip, PP_AUDIT_IP_SIZE);
  }
}

/* Makes `c`, accepted for `w`, one of its connections. */
static void adopt(worker_t *w, conn_t *c) {
  pp_http_t *h = w->h;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
  if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
    addr_give(h, c->key);
    atomic_fetch_sub(&h->conns, 1);
    turn_away(c->fd, PP_ERR_HTTP_BUSY);
    pp_buf_cleanup(&c->err);
    free(c);
    return;
  }
  c->prev = NULL;
  c->next = w->conns;
  if (w->conns) w->conns->prev = c;
  w->conns = c;
}

/* Takes the connections waiting on the listener. */
static void accept_some(worker_t *w) {
  pp_http_t *h = w->h;
  for (int k = 0; k < 64; k++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(w->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Out of descriptors: leave the backlog alone for a moment rather
         * than spin on it. */
        int64_t now = now_ms();
        epoll_ctl(w->ep, EPOLL_CTL_DEL, w->lfd, NULL);
        w->listening = false;
        w->relisten = now + 100;
        if (now >= w->warned + 10000) { /* one line, not one per attempt */
          pp_log_warn("http", "cannot accept: %s (see ulimit -n)", strerror(errno));
          w->warned = now;
        }
      }
      return;
    }
    unsigned char key[16];
    char ip[PP_AUDIT_IP_SIZE] = "";
    addr_key(&ss, key, ip);
    if (atomic_fetch_add(&h->conns, 1) >= h->max_conns) {
      atomic_fetch_sub(&h->conns, 1);
      turn_away(fd, PP_ERR_HTTP_BUSY);
      continue;
    }
    if (!addr_take(h, key)) {
      atomic_fetch_sub(&h->conns, 1);
      turn_away(fd, PP_ERR_HTTP_CONN_LIMIT);
      continue;
    }
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
      addr_give(h, key);
      atomic_fetch_sub(&h->conns, 1);
      turn_away(fd, PP_ERR_HTTP_BUSY);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    memcpy(c->key, key, 16);
    memcpy(c->ip, ip, sizeof c->ip);
    pp_buf_init(&c->err, 0);
    c->route = -1;
    c->deadline = now_ms() + h->opts.header_timeout_ms;
    /* Connections go to the workers in turn. */
    worker_t *to = &h->workers[w->next++ % (unsigned)h->nworkers];
    c->w = to;
    if (to == w) {
      adopt(w, c);
      continue;
    }
    push_to_worker(to, &to->incoming, &c->next, c);
  }
}

/* Continues the requests the store's writer woke. */
static void run_woken(worker_t *w) {
  uint64_t n;
  ssize_t k = read(w->efd, &n, sizeof n);
  (void)k;
  pthread_mutex_lock(&w->mu);
  conn_t *c = w->ready, *in = w->incoming;
  w->ready = NULL;
  w->incoming = NULL;
  pthread_mutex_unlock(&w->mu);
  while (in) {
    conn_t *next = in->next;
    adopt(w, in);
    in = next;
  }
  while (c) {
    conn_t *next = c->ready_next;
    c->waiting = false;
    settle(c, c->x->req.cont(&c->x->req));
    conn_run(c);
    c = next;
  }
}

/* Closes connections past their deadline: one that sent part of a request
 * hears 408 first. */
static void sweep(worker_t *w, int64_t now) {
  pp_http_t *h = w->h;
  bool stopping = w->stop_seen;
  for (conn_t *c = w->conns, *next; c; c = next) {
    next = c->next;
    if (c->waiting) continue;
    if (stopping && now >= w->hard_stop) { /* a client too slow to read its answer */
      conn_close(c);
      continue;
    }
    /* Stopping: once nothing is in flight, idle connections go and any
     * request still being read is refused. */
    if (stopping && w->inflight == 0 && !c->sending && !c->lingering) {
      if (c->in_len == 0) {
        conn_close(c);
      } else {
        refuse(c, PP_ERR_CLOSED, NULL);
        conn_run(c);
      }
      continue;
    }
    if (!c->deadline || now < c->deadline) continue;
    if (c->lingering || c->sending || c->in_len == 0 || c->in_request) {
      conn_close(c);
    } else {
      refuse(c, PP_ERR_HTTP_TIMEOUT, NULL);
      c->deadline = now + LINGER_MS;
      conn_run(c);
    }
  }
  if (!w->listening && !stopping && w->relisten && now >= w->relisten) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->lfd};
    w->listening = epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &ev) == 0;
    w->relisten = w->listening ? 0 : now + 100;
  }
  (void)h;
}

/* Frees the connections closed in this round of events. */
static void reap(worker_t *w) {
  while (w->closed) {
    conn_t *c = w->closed;
    w->closed = c->next;
    free(c);
  }
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  pp_http_t *h = w->h;
  int tick = h->opts.header_timeout_ms / 4;
  if (tick > 250) tick = 250;
  if (tick < 10) tick = 10;
  int64_t next_sweep = now_ms() + tick;
  struct epoll_event evs[128];
  for (;;) {
    if (atomic_load(&h->stopping) && !w->stop_seen) {
      w->stop_seen = true;
      if (w->listening) epoll_ctl(w->ep, EPOLL_CTL_DEL, w->lfd, NULL);
      w->listening = false;
      if (w->lfd >= 0) close(w->lfd);
      w->lfd = -1;
      w->hard_stop = now_ms() + 10000;
      next_sweep = 0;
    }
    int64_t now = now_ms();
    if (now >= next_sweep) {
      sweep(w, now);
      next_sweep = now + (w->stop_seen ? 20 : tick);
    }
    if (w->stop_seen && !w->conns) break;
    int n = epoll_wait(w->ep, evs, 128, (int)(next_sweep - now > 0 ? next_sweep - now : 0));
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      if (p == &w->lfd) {
        if (!w->stop_seen) accept_some(w);
      } else if (p == &w->efd) {
        run_woken(w);
      } else {
        conn_t *c = p;
        if (c->closed) continue;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->can_read = true;
        if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hup = true;
        if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c->can_write = true;
        conn_run(c);
      }
    }
    reap(w);
  }
  reap(w);
  return NULL;
}

/* ---- the server --------------------------------------------------------- */

/* The listening socket on `ss`. */
static int listen_on(const struct sockaddr_storage *ss, socklen_t len) {
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 1024) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* The connection limit from the descriptor limit, keeping room for the
 * store, the SMPP binds, the webhook dispatcher and the rest. */
static long default_max_conns(void) {
  struct rlimit rl;
  long nofile =
      getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 1024;
  long reserve = nofile / 8;
  if (reserve < 256) reserve = 256;
  if (reserve > 4096) reserve = 4096;
  return nofile - reserve > 16 ? nofile - reserve : 16;
}

static void workers_free(pp_http_t *h, int n) {
  for (int i = 0; i < n; i++) {
    worker_t *w = &h->workers[i];
    if (w->lfd >= 0) close(w->lfd);
    close(w->ep);
    close(w->efd);
    pthread_mutex_destroy(&w->mu);
  }
  free(h->workers);
  pthread_mutex_destroy(&h->addr_mu);
  free(h);
}

pp_err_t pp_http_start(const pp_http_opts_t *opts, pp_api_t *api, pp_http_t **out) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t slen;
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, opts->host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)opts->port);
    slen = sizeof *in4;
  } else if (inet_pton(AF_INET6, opts->host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)opts->port);
    slen = sizeof *in6;
  } else {
    pp_log_error("http", "listen address must be numeric: %s", opts->host);
    return PP_ERR_INVALID_PARAM;
  }
  pp_http_t *h = calloc(1, sizeof *h);
  int nw = opts->threads > 0 ? opts->threads : 1;
  if (!h || !(h->workers = calloc((size_t)nw, sizeof *h->workers))) {
    free(h);
    return PP_ERR_NOMEM;
  }
  h->api = api;
  h->opts = *opts;
  if (h->opts.header_timeout_ms <= 0) h->opts.header_timeout_ms = 10000;
  if (h->opts.max_per_addr <= 0) h->opts.max_per_addr = 256;
  long fit = default_max_conns();
  h->max_conns = opts->max_conns > 0 && opts->max_conns < fit ? opts->max_conns : fit;
  if (opts->max_conns > fit)
    pp_log_warn("http",
                "--http-max-connections %ld is more than the descriptor limit allows; "
                "using %ld (raise ulimit -n)",
                opts->max_conns, fit);
  pthread_mutex_init(&h->addr_mu, NULL);
  int made = 0;
  pp_err_t e = PP_OK;
  for (; made < nw; made++) {
    worker_t *w = &h->workers[made];
    w->h = h;
    pthread_mutex_init(&w->mu, NULL);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->lfd = made == 0 ? listen_on(&ss, slen) : -1;
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &w->lfd};
    struct epoll_event eev = {.events = EPOLLIN, .data.ptr = &w->efd};
    if ((made == 0 && w->lfd < 0) || w->ep < 0 || w->efd < 0 ||
        epoll_ctl(w->ep, EPOLL_CTL_ADD, w->efd, &eev) != 0 ||
        (made == 0 && epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &lev) != 0)) {
      e = PP_ERR_IO;
      made++;
      break;
    }
    w->listening = made == 0;
  }
  if (!e) {
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(h->workers[0].lfd, (struct sockaddr *)&bound, &blen);
    h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
  }
  if (e) {
    pp_log_error("http", "cannot listen on %s:%d: %s", opts->host, opts->port, strerror(errno));
    workers_free(h, made);
    return e;
  }
  h->nworkers = nw;
  for (int i = 0; i < nw; i++) {
    if (pthread_create(&h->workers[i].thread, NULL, worker_main, &h->workers[i]) != 0) {
      atomic_store(&h->stopping, true);
      for (int k = 0; k < i; k++) {
        signal_worker(&h->workers[k]);
        pthread_join(h->workers[k].thread, NULL);
      }
      workers_free(h, nw);
      return PP_ERR_NOMEM;
    }
  }
  for (int i = 0; i < nw; i++) { /* named for profiles and top -H */
    char name[16];
    snprintf(name, sizeof name, "http-%d", i);
    pthread_setname_np(h->workers[i].thread, name);
  }
  *out = h;
  return PP_OK;
}

int pp_http_port(const pp_http_t *h) {
  return h->port;
}

void pp_http_stop(pp_http_t *h) {
  if (!h) return;
  /* Each worker stops accepting, answers 503 to new requests, lets the
   * waiting ones finish (the store is still open, so their writes commit
   * and wake them) and returns once its connections are closed. */
  atomic_store(&h->stopping, true);
  for (int i = 0; i < h->nworkers; i++) signal_worker(&h->workers[i]);
  for (int i = 0; i < h->nworkers; i++) pthread_join(h->workers[i].thread, NULL);
  /* Connections handed to a worker that had already finished. */
  for (int i = 0; i < h->nworkers; i++)
    while (h->workers[i].incoming) {
      conn_t *c = h->workers[i].incoming;
      h->workers[i].incoming = c->next;
      close(c->fd);
      pp_buf_cleanup(&c->err);
      free(c);
    }
  for (size_t b = 0; b < ADDR_BUCKETS; b++)
    while (h->addrs[b]) {
      addr_count_t *a = h->addrs[b];
      h->addrs[b] = a->next;
      free(a);
    }
  workers_free(h, h->nworkers);
}

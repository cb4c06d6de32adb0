/* server.c: libmicrohttpd glue: request lifecycle, body cap, Basic auth,
 * dispatch, suspension while a durable write commits, error rendering. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/log.h"
#include "http/http.h"

struct pp_http {
  struct MHD_Daemon *d;
  _Atomic int pending; /* requests waiting for a write */
  pp_api_t *api;
  pp_http_opts_t opts;
  int port;
};

typedef enum { ST_NEW, ST_BODY, ST_WAITING, ST_READY } state_t;

/* One per request: created by the URI callback, freed when MHD reports the
 * request completed. */
typedef struct {
  pp_api_req_t req;
  struct MHD_Connection *conn;
  pp_http_t *h;
  char *raw_uri;
  pp_buf_t upload;
  bool too_big;
  bool queued; /* a response is queued */
  state_t state;
  pthread_mutex_t mu; /* guards state/suspended between MHD and the writer */
  bool suspended;
  int route;
  int64_t t0;
} ctx_t;

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

static enum MHD_Result send_body(ctx_t *c, int status, pp_buf_t *body, const char *ctype) {
  size_t len = 0;
  char *data = pp_buf_steal(body, &len);
  struct MHD_Response *resp;
  if (data)
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
  else
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    free(data);
    return MHD_NO;
  }
  if (len) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  if (len && strcmp(ctype, "application/json") != 0)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (status == 401)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Basic realm=\"Pipit API\"");
  enum MHD_Result r = MHD_queue_response(c->conn, (unsigned)status, resp);
  c->queued = true;
  MHD_destroy_response(resp);
  pp_metrics_observe(c->route, status, pp_clock_now_us() - c->t0);
  return r;
}

static enum MHD_Result send_error(ctx_t *c, pp_err_t e) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  if (e == PP_ERR_INTERNAL || e == PP_ERR_STORE || e == PP_ERR_NOMEM || e == PP_ERR_IO)
    pp_log_error("http", "%s %s: %s", c->req.method == PP_GET ? "GET" : "POST",
                 c->req.path ? c->req.path : "?", pp_err_name(e));
  pp_http_error_json(&b, e, c->req.err_detail);
  enum MHD_Result r = send_body(c, pp_err_http_status(e), &b, "application/json");
  pp_buf_cleanup(&b);
  return r;
}

/* Sends the outcome of a handler or continuation. */
static enum MHD_Result finish(ctx_t *c, pp_err_t e) {
  if (e) return send_error(c, e);
  if (c->req.status == 204) pp_buf_cleanup(&c->req.body), pp_buf_init(&c->req.body, 0);
  return send_body(c, c->req.status, &c->req.body,
                   c->req.content_type ? c->req.content_type : "application/json");
}

static void wake(pp_api_req_t *r) {
  ctx_t *c = r->transport;
  struct MHD_Connection *conn = c->conn;
  pthread_mutex_lock(&c->mu);
  c->state = ST_READY;
  bool resume = c->suspended;
  c->suspended = false;
  pthread_mutex_unlock(&c->mu);
  /* After the unlock: a suspended request cannot complete (and be freed)
   * before this resume. */
  if (resume) {
    atomic_fetch_sub(&c->h->pending, 1); /* the write is done: shutdown may go on */
    MHD_resume_connection(conn);
  }
}

/* Runs a handler; on PP_ERR_AGAIN suspends until wake(), unless the write
 * already committed.  A request the audit log must record and whose
 * handler wrote nothing waits for its event likewise (so does a refused
 * sign-in: see refused). */
static enum MHD_Result run(ctx_t *c, pp_api_handler_fn fn) {
  pp_err_t e = fn(&c->req);
  if (e != PP_ERR_AGAIN) e = pp_api_audit_after(&c->req, e);
  if (e != PP_ERR_AGAIN) return finish(c, e);
  pthread_mutex_lock(&c->mu);
  if (c->state == ST_READY) {
    pthread_mutex_unlock(&c->mu);
    return finish(c, c->req.cont(&c->req));
  }
  atomic_fetch_add(&c->h->pending, 1);
  c->state = ST_WAITING;
  c->suspended = true;
  MHD_suspend_connection(c->conn);
  pthread_mutex_unlock(&c->mu);
  return MHD_YES;
}

/* The "handler" of a request whose credentials were refused: its error,
 * once the audit log has the failure. */
static pp_err_t refused(pp_api_req_t *r) { return r->audit.answer; }

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn) {
  pp_http_t *h = cls;
  ctx_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pp_api_req_init(&c->req, h->api);
  c->req.transport = c;
  c->req.wake = wake;
  c->h = h;
  c->conn = conn;
  c->route = -1;
  c->t0 = pp_clock_now_us();
  c->raw_uri = pp_arena_strdup(&c->req.arena, uri);
  pp_buf_init(&c->upload, h->opts.body_cap);
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)conn, (void)toe;
  ctx_t *c = *con_cls;
  if (!c) return;
  /* A request still waiting for its write cannot be freed under the writer:
   * MHD does not complete a suspended connection, so state is not WAITING. */
  pp_buf_cleanup(&c->upload);
  pp_api_req_cleanup(&c->req);
  pthread_mutex_destroy(&c->mu);
  free(c);
  *con_cls = NULL;
}

static pp_method_t method_of(const char *m) {
  if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) return PP_GET;
  if (strcmp(m, "POST") == 0) return PP_POST;
  if (strcmp(m, "DELETE") == 0) return PP_DELETE;
  return PP_METHOD_OTHER;
}

/* Decoded credentials live in one sodium_malloc'd scratch buffer per HTTP
 * thread, allocated once (sodium_malloc maps guard pages; doing it per
 * request cost a TLB shootdown each) and wiped after every request. */
#define AUTH_SCRATCH 1100
static _Thread_local char *auth_scratch;

/* Decodes "Authorization: Basic b64" into user and pass inside the scratch
 * buffer, which the caller wipes with sodium_memzero(buf, AUTH_SCRATCH).
 * Returns the buffer, or NULL when there are no usable credentials. */
static char *basic_auth(struct MHD_Connection *conn, const char **user, const char **pass) {
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
  if (!h || strncasecmp(h, "Basic ", 6) != 0) return NULL;
  h += 6;
  while (*h == ' ') h++;
  size_t n = strlen(h);
  if (n == 0 || n >= AUTH_SCRATCH) return NULL;
  if (!auth_scratch && !(auth_scratch = sodium_malloc(AUTH_SCRATCH))) return NULL;
  char *buf = auth_scratch;
  size_t len = 0;
  if (sodium_base642bin((unsigned char *)buf, AUTH_SCRATCH - 1, h, n, NULL, &len, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    sodium_memzero(buf, AUTH_SCRATCH);
    return NULL;
  }
  buf[len] = '\0';
  char *colon = memchr(buf, ':', len);
  if (!colon || strlen(buf) != len) {
    sodium_memzero(buf, AUTH_SCRATCH);
    return NULL;
  }
  *colon = '\0';
  *user = buf;
  *pass = colon + 1;
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
static void audit_context(ctx_t *c, const char *method) {
  pp_api_audit_ctx_t *x = &c->req.audit;
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, x->ip, sizeof x->ip);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, x->ip, sizeof x->ip);
  x->user_agent = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "User-Agent");
  const char *path = audit_path(&c->req.arena, pp_routes[c->route].pattern, c->req.params);
  x->request = path ? pp_arena_printf(&c->req.arena, "%s %s", method, path) : NULL;
}

static enum MHD_Result dispatch(ctx_t *c, const char *method) {
  pp_api_req_t *r = &c->req;
  pp_http_t *h = c->h;
  if (c->too_big) return send_error(c, PP_ERR_TOO_BIG);
  if (h->opts.fixed_201) {
    pp_buf_puts(&r->body, "{\"status\":\"queued\"}");
    r->status = 201;
    return finish(c, PP_OK);
  }
  r->method = method_of(method);
  /* Split the raw URI into path and query; decode each. */
  const char *uri = c->raw_uri ? c->raw_uri : "/";
  const char *q = strchr(uri, '?');
  size_t plen = q ? (size_t)(q - uri) : strlen(uri);
  /* Routes match the path as sent: "%2F" is not a separator, and SIDs need no
   * decoding. */
  char *path = pp_arena_strndup(&r->arena, uri, plen);
  if (!path) return send_error(c, PP_ERR_NOMEM);
  r->path = path;
  pp_err_t e = PP_OK;
  if (q) e = pp_form_parse(&r->query, &r->arena, q + 1, strlen(q + 1));
  if (e) return send_error(c, pp_api_form_error(r, &r->query, e));

  if (strcmp(path, "/healthz") == 0) {
    pp_buf_puts(&r->body, "{\"status\":\"ok\"}");
    return finish(c, PP_OK);
  }
  if (strcmp(path, "/metrics") == 0) {
    pp_metrics_render(&r->body);
    return send_body(c, 200, &r->body, "text/plain; version=0.0.4");
  }

  if (r->method == PP_POST && c->upload.len) {
    const char *ct = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Type");
    if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
      e = pp_form_parse(&r->form, &r->arena, c->upload.data, c->upload.len);
      if (e) return send_error(c, pp_api_form_error(r, &r->form, e));
    }
  }

  c->route = pp_route_match(r->method, path, &r->arena, r->params);
  if (c->route == -1) return send_error(c, pp_api_fail(r, PP_ERR_NOT_FOUND, path));
  if (c->route == -2) return send_error(c, PP_ERR_METHOD);

  audit_context(c, method);
  const char *user = NULL, *pass = NULL;
  char *secret = basic_auth(c->conn, &user, &pass);
  e = pp_api_authenticate(r, user, pass);
  if (secret) sodium_memzero(secret, AUTH_SCRATCH);
  if (!e) e = pp_api_authorize(r, pp_routes[c->route].operator_only);
  if (e) {
    r->audit.answer = e;
    return run(c, refused);
  }
  return run(c, pp_routes[c->route].handler);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls) {
  (void)cls, (void)url, (void)version, (void)conn;
  ctx_t *c = *con_cls;
  if (!c) return MHD_NO; /* the URI callback could not allocate */
  switch (c->state) {
  case ST_NEW: {
    c->state = ST_BODY;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > c->h->opts.body_cap) {
      c->too_big = true;
      return send_error(c, PP_ERR_TOO_BIG); /* MHD closes rather than read the body */
    }
    return MHD_YES;
  }
  case ST_BODY:
    if (c->queued) { /* the 413 went out early: drop whatever follows */
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (*upload_data_size) {
      if (!c->too_big) {
        pp_buf_append(&c->upload, upload_data, *upload_data_size);
        if (c->upload.failed) {
          c->too_big = true;
          pp_buf_cleanup(&c->upload);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    return dispatch(c, method);
  case ST_READY:
    return finish(c, c->req.cont(&c->req));
  case ST_WAITING:
    return MHD_YES; /* spurious call while suspended */
  }
  return MHD_NO;
}

pp_err_t pp_http_start(const pp_http_opts_t *opts, pp_api_t *api, pp_http_t **out) {
  pp_http_t *h = calloc(1, sizeof *h);
  if (!h) return PP_ERR_NOMEM;
  h->api = api;
  h->opts = *opts;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ITC |
                   MHD_USE_ERROR_LOG;
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, opts->host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)opts->port);
  } else if (inet_pton(AF_INET6, opts->host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)opts->port);
    flags |= MHD_USE_IPv6;
  } else {
    pp_log_error("http", "listen address must be numeric: %s", opts->host);
    free(h);
    return PP_ERR_INVALID_PARAM;
  }
  h->d = MHD_start_daemon(
      flags, (uint16_t)opts->port, NULL, NULL, access_handler, h, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opts->threads,
      MHD_OPTION_URI_LOG_CALLBACK, uri_logger, h, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)20000, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
  if (!h->d) {
    pp_log_error("http", "cannot listen on %s:%d", opts->host, opts->port);
    free(h);
    return PP_ERR_IO;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_LISTEN_FD);
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  h->port = opts->port;
  if (info && getsockname(info->listen_fd, (struct sockaddr *)&bound, &blen) == 0)
    h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
  *out = h;
  return PP_OK;
}

int pp_http_port(const pp_http_t *h) { return h->port; }

void pp_http_stop(pp_http_t *h) {
  if (!h) return;
  /* Stop accepting, then let every suspended request finish: the store is
   * still open, so their writes commit and wake them. */
  MHD_quiesce_daemon(h->d);
  for (int i = 0; i < 10000 && atomic_load(&h->pending) > 0; i++)
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  MHD_stop_daemon(h->d);
  free(h);
}

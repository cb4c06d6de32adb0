/* smsc.c: `pipit smsc`: the development SMSC in the foreground, with an
 * optional HTTP control API (GET /stats, GET /messages, POST /mo). */
#include "channel/smpp/smsc.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/form.h"
#include "core/json.h"
#include "core/log.h"

#define BODY_CAP (64 * 1024) /* POST /mo bodies */
#define MESSAGES_MAX 1000    /* GET /messages returns at most this many */

static void smsc_usage(FILE *f) {
  fputs(
      "usage: pipit smsc [--listen HOST:PORT] [--system-id ID] [--password PW]\n"
      "                  [--dlr-delay-ms N] [--dlr-fail-percent P] [--control HOST:PORT]\n"
      "Runs a development SMSC (SMPP 3.4 server) in the foreground until SIGINT/SIGTERM.\n"
      "  --listen            SMPP address (default 127.0.0.1:2775; port 0 picks one)\n"
      "  --system-id         the system_id binds must use (default pipit)\n"
      "  --password          the password binds must use (default pipit)\n"
      "  --dlr-delay-ms      delay before a delivery receipt (default 1000)\n"
      "  --dlr-fail-percent  share of receipts that say UNDELIV (default 0)\n"
      "  --control           serve GET /stats, GET /messages and POST /mo (From, To,\n"
      "                      Body) over HTTP on this address\n",
      f);
}

/* Splits "HOST:PORT" or "[v6]:PORT" into host and port (0..65535). */
static bool parse_hostport(const char *s, char *host, size_t cap, uint16_t *port) {
  const char *colon;
  size_t hl;
  if (s[0] == '[') {
    const char *end = strchr(s, ']');
    if (!end || end[1] != ':') return false;
    hl = (size_t)(end - s - 1);
    if (hl == 0 || hl >= cap) return false;
    memcpy(host, s + 1, hl);
    colon = end + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return false;
    hl = (size_t)(colon - s);
    if (hl == 0 || hl >= cap) return false;
    memcpy(host, s, hl);
  }
  host[hl] = '\0';
  char *end = NULL;
  unsigned long p = strtoul(colon + 1, &end, 10);
  if (!colon[1] || *end || p > 65535) return false;
  *port = (uint16_t)p;
  return true;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out) {
  char *end = NULL;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || v > max) return false;
  *out = (unsigned)v;
  return true;
}

/* ---- Control API ------------------------------------------------------------ */

typedef struct {
  pp_buf_t body;
} req_t;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, pp_buf_t *b) {
  size_t len = 0;
  char *data = pp_buf_steal(b, &len);
  struct MHD_Response *r =
      data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
           : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  if (!r) {
    free(data);
    return MHD_NO;
  }
  if (!data) status = MHD_HTTP_INTERNAL_SERVER_ERROR;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  enum MHD_Result res = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return res;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "status", status);
  pp_jw_kstr(&w, "message", msg);
  pp_jw_obj_end(&w);
  return reply(conn, status, &b);
}

static enum MHD_Result get_stats(pp_smsc_t *m, struct MHD_Connection *conn) {
  pp_smsc_stats_t s;
  pp_smsc_stats(m, &s);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  const struct {
    const char *k;
    uint64_t v;
  } kv[] = {{"connections", s.connections},
            {"open_connections", s.open_connections},
            {"binds", s.binds},
            {"bind_failures", s.bind_failures},
            {"unbinds", s.unbinds},
            {"submits", s.submits},
            {"submits_throttled", s.submits_throttled},
            {"submits_held", s.submits_held},
            {"submits_rejected", s.submits_rejected},
            {"receipts_sent", s.receipts_sent},
            {"receipts_acked", s.receipts_acked},
            {"mo_sent", s.mo_sent},
            {"mo_acked", s.mo_acked},
            {"deliver_errors", s.deliver_errors},
            {"dropped", s.dropped},
            {"pending", s.pending},
            {"enquire_links", s.enquire_links},
            {"enquire_sent", s.enquire_sent},
            {"enquire_answered", s.enquire_answered},
            {"nacks", s.nacks}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) pp_jw_kint(&w, kv[i].k, (int64_t)kv[i].v);
  pp_jw_obj_end(&w);
  return reply(conn, MHD_HTTP_OK, &b);
}

static enum MHD_Result get_messages(pp_smsc_t *m, struct MHD_Connection *conn) {
  pp_smsc_message_t *ms = calloc(MESSAGES_MAX, sizeof *ms);
  if (!ms) return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
  size_t n = 0;
  uint64_t total = pp_smsc_messages(m, ms, MESSAGES_MAX, &n);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "total", (int64_t)total);
  pp_jw_key(&w, "messages");
  pp_jw_arr_begin(&w);
  for (size_t i = n; i-- > 0;) { /* newest first */
    const pp_smsc_message_t *x = &ms[i];
    pp_jw_obj_begin(&w);
    pp_jw_kint(&w, "time", x->time);
    pp_jw_kstr(&w, "message_id", x->message_id);
    pp_jw_kstr(&w, "source_addr", x->source_addr);
    pp_jw_kstr(&w, "destination_addr", x->destination_addr);
    pp_jw_kint(&w, "data_coding", x->data_coding);
    pp_jw_kint(&w, "esm_class", x->esm_class);
    pp_jw_kint(&w, "registered_delivery", x->registered_delivery);
    pp_jw_key(&w, "text");
    if (x->binary)
      pp_jw_null(&w);
    else
      pp_jw_str(&w, x->text);
    pp_jw_obj_end(&w);
  }
  pp_jw_arr_end(&w);
  pp_jw_obj_end(&w);
  free(ms);
  return reply(conn, MHD_HTTP_OK, &b);
}

static enum MHD_Result post_mo(pp_smsc_t *m, struct MHD_Connection *conn, req_t *r) {
  pp_arena_t *arena = malloc(sizeof *arena);
  if (!arena) return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
  pp_arena_init(arena, 4 * BODY_CAP);
  pp_form_t form;
  pp_form_init(&form);
  enum MHD_Result res;
  const char *data = r->body.data ? r->body.data : "";
  if (pp_form_parse(&form, arena, data, r->body.len) != PP_OK) {
    res = reply_error(conn, MHD_HTTP_BAD_REQUEST, "the form does not parse");
    goto out;
  }
  const char *from = pp_form_get(&form, "From"), *to = pp_form_get(&form, "To");
  const char *body = pp_form_get(&form, "Body");
  if (!from || !to || !body) {
    res = reply_error(conn, MHD_HTTP_BAD_REQUEST, "From, To and Body are required");
    goto out;
  }
  pp_err_t e = pp_smsc_inject_mo(m, from, to, body);
  if (e == PP_OK) {
    pp_buf_t b;
    pp_buf_init(&b, 0);
    pp_jw_t w;
    pp_jw_init(&w, &b);
    pp_jw_obj_begin(&w);
    pp_jw_kstr(&w, "status", "queued");
    pp_jw_kstr(&w, "from", from);
    pp_jw_kstr(&w, "to", to);
    pp_jw_obj_end(&w);
    res = reply(conn, MHD_HTTP_CREATED, &b);
  } else if (e == PP_ERR_AGAIN) {
    res = reply_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "too many messages pending");
  } else if (e == PP_ERR_TOO_BIG) {
    res = reply_error(conn, MHD_HTTP_BAD_REQUEST, "Body needs more than 10 parts");
  } else if (e == PP_ERR_INVALID_PARAM) {
    res = reply_error(conn, MHD_HTTP_BAD_REQUEST, "From and To take 1 to 20 characters");
  } else {
    res = reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, pp_err_name(e));
  }
out:
  pp_arena_cleanup(arena);
  free(arena);
  return res;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  pp_smsc_t *m = cls;
  req_t *r = *con_cls;
  if (!r) {
    r = calloc(1, sizeof *r);
    if (!r) return MHD_NO;
    pp_buf_init(&r->body, BODY_CAP);
    *con_cls = r;
    return MHD_YES;
  }
  if (*upload_size) {
    pp_buf_append(&r->body, upload_data, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
  if (strcmp(url, "/stats") == 0) {
    if (!get) return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
    return get_stats(m, conn);
  }
  if (strcmp(url, "/messages") == 0) {
    if (!get) return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
    return get_messages(m, conn);
  }
  if (strcmp(url, "/mo") == 0) {
    if (!post) return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST");
    if (pp_buf_status(&r->body) != PP_OK)
      return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
    return post_mo(m, conn, r);
  }
  return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found: /stats, /messages, /mo");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  req_t *r = *con_cls;
  if (!r) return;
  pp_buf_cleanup(&r->body);
  free(r);
  *con_cls = NULL;
}

/* Starts the control server; NULL on failure (logged).  *port_out is the
 * port bound. */
static struct MHD_Daemon *control_start(pp_smsc_t *m, const char *host, uint16_t port,
                                        uint16_t *port_out) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    flags |= MHD_USE_IPv6;
  } else {
    pp_log_error("smsc", "--control wants a numeric address, not '%s'", host);
    return NULL;
  }
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
  if (!d) {
    pp_log_error("smsc", "cannot serve the control API on %s:%u", host, (unsigned)port);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  *port_out = info ? info->port : port;
  return d;
}

/* ---- The command -------------------------------------------------------------- */

int pp_cmd_smsc(int argc, char **argv) {
  char host[64] = "127.0.0.1", chost[64] = "";
  uint16_t port = 2775, cport = 0;
  const char *system_id = "pipit", *password = "pipit";
  unsigned delay = 1000, fail = 0;
  bool control = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      smsc_usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "pipit smsc: unexpected argument '%s'\n", a);
      smsc_usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    bool ok = true;
    if (strcmp(a, "--listen") == 0)
      ok = parse_hostport(v, host, sizeof host, &port);
    else if (strcmp(a, "--control") == 0)
      ok = control = parse_hostport(v, chost, sizeof chost, &cport);
    else if (strcmp(a, "--system-id") == 0)
      system_id = v;
    else if (strcmp(a, "--password") == 0)
      password = v;
    else if (strcmp(a, "--dlr-delay-ms") == 0)
      ok = parse_uint(v, 86400000u, &delay);
    else if (strcmp(a, "--dlr-fail-percent") == 0)
      ok = parse_uint(v, 100, &fail);
    else {
      fprintf(stderr, "pipit smsc: unknown option '%s'\n", a);
      smsc_usage(stderr);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "pipit smsc: bad value for %s\n", a);
      return 2;
    }
  }
  if (!system_id[0] || strlen(system_id) > 15 || strlen(password) > 8) {
    fprintf(stderr, "pipit smsc: --system-id takes 1 to 15 characters, --password up to 8\n");
    return 2;
  }

  /* Block the stop signals before any thread starts, so every thread
   * inherits the mask and only sigwait below receives them. */
  sigset_t stop_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
  signal(SIGPIPE, SIG_IGN);

  pp_smsc_opts_t o = {.host = host,
                      .port = port,
                      .system_id = system_id,
                      .password = password,
                      .dlr_delay_ms = delay,
                      .dlr_fail_percent = fail};
  pp_smsc_t *m = NULL;
  pp_err_t e = pp_smsc_start(&o, &m);
  if (e != PP_OK) {
    fprintf(stderr, "pipit smsc: cannot start on %s:%u: %s\n", host, (unsigned)port,
            pp_err_name(e));
    return 1;
  }
  struct MHD_Daemon *d = NULL;
  if (control) {
    uint16_t bound = 0;
    d = control_start(m, chost, cport, &bound);
    if (!d) {
      pp_smsc_stop(m);
      return 1;
    }
    fprintf(stderr, "smsc control on http://%s%s%s:%u\n", strchr(chost, ':') ? "[" : "", chost,
            strchr(chost, ':') ? "]" : "", (unsigned)bound);
  }
  fprintf(stderr, "smsc listening on %s%s%s:%u\n", strchr(host, ':') ? "[" : "", host,
          strchr(host, ':') ? "]" : "", (unsigned)pp_smsc_port(m));

  int sig = 0;
  while (sigwait(&stop_set, &sig) != 0) {
  }
  pp_log_info("smsc", "stopping (signal %d)", sig);
  if (d) MHD_stop_daemon(d);
  pp_smsc_stop(m);
  return 0;
}

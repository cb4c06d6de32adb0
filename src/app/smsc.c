/* smsc.c: `pipit smsc`: the development SMSC in the foreground, with an
 * optional HTTP control API (GET /stats, GET /messages, POST /mo). */
#include "channel/smpp/smsc.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/buf.h"
#include "core/form.h"
#include "core/json.h"
#include "core/log.h"
#include "http/http.h"

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

/* Answers `status` with {"status", "message"}. */
static pp_err_t answer_error(pp_api_req_t *r, int status, const char *msg) {
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "status", status);
  pp_jw_kstr(&w, "message", msg);
  pp_jw_obj_end(&w);
  r->status = status;
  return PP_OK;
}

static pp_err_t get_stats(pp_smsc_t *m, pp_api_req_t *r) {
  pp_smsc_stats_t s;
  pp_smsc_stats(m, &s);
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
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
  return PP_OK;
}

static pp_err_t get_messages(pp_smsc_t *m, pp_api_req_t *r) {
  pp_smsc_message_t *ms = calloc(MESSAGES_MAX, sizeof *ms);
  if (!ms) return PP_ERR_NOMEM;
  size_t n = 0;
  uint64_t total = pp_smsc_messages(m, ms, MESSAGES_MAX, &n);
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
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
  return PP_OK;
}

static pp_err_t post_mo(pp_smsc_t *m, pp_api_req_t *r) {
  const char *from = pp_form_get(&r->form, "From"), *to = pp_form_get(&r->form, "To");
  const char *body = pp_form_get(&r->form, "Body");
  if (!from || !to || !body) return answer_error(r, 400, "From, To and Body are required");
  pp_err_t e = pp_smsc_inject_mo(m, from, to, body);
  if (e == PP_ERR_AGAIN) return answer_error(r, 503, "too many messages pending");
  if (e == PP_ERR_TOO_BIG) return answer_error(r, 400, "Body needs more than 10 parts");
  if (e == PP_ERR_INVALID_PARAM) return answer_error(r, 400, "From and To take 1 to 20 characters");
  if (e) return answer_error(r, 500, pp_err_name(e));
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "status", "queued");
  pp_jw_kstr(&w, "from", from);
  pp_jw_kstr(&w, "to", to);
  pp_jw_obj_end(&w);
  r->status = 201;
  return PP_OK;
}

/* Every control request (the HTTP server's handler; r->state is the SMSC). */
static pp_err_t control(pp_api_req_t *r) {
  pp_smsc_t *m = r->state;
  bool get = r->method == PP_GET, post = r->method == PP_POST;
  if (strcmp(r->path, "/stats") == 0)
    return get ? get_stats(m, r) : answer_error(r, 405, "use GET");
  if (strcmp(r->path, "/messages") == 0)
    return get ? get_messages(m, r) : answer_error(r, 405, "use GET");
  if (strcmp(r->path, "/mo") == 0) return post ? post_mo(m, r) : answer_error(r, 405, "use POST");
  return answer_error(r, 404, "not found: /stats, /messages, /mo");
}

/* Starts the control server (Pipit's HTTP server, one thread); NULL on
 * failure (logged). */
static pp_http_t *control_start(pp_smsc_t *m, const char *host, uint16_t port) {
  pp_http_opts_t o = {.host = host,
                      .port = port,
                      .threads = 1,
                      .body_cap = BODY_CAP,
                      .max_conns = 64,
                      .max_per_addr = 64,
                      .handler = control,
                      .handler_arg = m};
  pp_http_t *h = NULL;
  if (pp_http_start(&o, NULL, &h) != PP_OK) {
    pp_log_error("smsc", "cannot serve the control API on %s:%u", host, (unsigned)port);
    return NULL;
  }
  return h;
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

  /* Before any thread starts: only sigwait below receives the stop signals. */
  sigset_t stop_set;
  pp_process_block_stop_signals(&stop_set);

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
  pp_http_t *d = NULL;
  if (control) {
    d = control_start(m, chost, cport);
    if (!d) {
      pp_smsc_stop(m);
      return 1;
    }
    fprintf(stderr, "smsc control on http://%s%s%s:%u\n", strchr(chost, ':') ? "[" : "", chost,
            strchr(chost, ':') ? "]" : "", (unsigned)pp_http_port(d));
  }
  fprintf(stderr, "smsc listening on %s%s%s:%u\n", strchr(host, ':') ? "[" : "", host,
          strchr(host, ':') ? "]" : "", (unsigned)pp_smsc_port(m));

  int sig = 0;
  while (sigwait(&stop_set, &sig) != 0) {
  }
  pp_log_info("smsc", "stopping (signal %d)", sig);
  pp_http_stop(d);
  pp_smsc_stop(m);
  return 0;
}

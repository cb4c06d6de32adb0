/* webhooks.c: the webhook dispatcher (see webhooks.h).  One thread runs a
 * libcurl multi handle: it claims due requests, builds and signs each one,
 * and turns each finished transfer into one store write whose done
 * callback frees the request. */
#include "engine/webhooks.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/form.h"
#include "core/log.h"
#include "core/phone.h"
#include "core/segments.h"
#include "engine/engine_int.h"
#include "hook/addr.h"
#include "hook/sign.h"
#include "hook/twiml.h"

#define RESPONSE_CAP (64 * 1024) /* bytes of an answer kept (TwiML, alerts) */
#define ALERT_BODY_MAX 2048      /* bytes of an answer kept in an alert */
#define MAX_REDIRECTS 10         /* <Redirect> hops from one inbound message */
#define REPLY_WINDOW_S 30        /* reply loop guard, as Twilio's 14107: */
#define REPLY_MAX 15             /*   at most 15 replies in 30 s between two numbers */

struct pp_webhooks {
  pp_webhooks_opts_t o;
  pp_hook_allow_t allow;
  CURLM *multi;
  pthread_t thread;
  _Atomic bool stopping;
  _Atomic int writes_pending;
  int running;     /* transfers in the multi handle */
  struct req *fly; /* ... and their requests */
};

typedef struct req {
  pp_webhooks_t *hk;
  pp_arena_t arena;
  pp_hook_t hook; /* url in the arena */
  pp_message_t msg;
  CURL *easy;
  struct curl_slist *headers;
  const char *url;  /* as requested (GET: with the parameters) */
  const char *body; /* POST body, "" for GET */
  pp_buf_t resp;
  bool refused; /* a connection to an address that is not allowed was refused */
  char refused_addr[64];
  char errbuf[CURL_ERROR_SIZE];
  pp_write_t w;
  pp_alert_t alert, reply_alert;
  struct req *prev, *next; /* in flight: the dispatcher's list */
} req_t;

static int64_t now_ms(void) {
  return pp_clock_now_us() / 1000;
}

static void req_free(req_t *q) {
  if (q->easy) curl_easy_cleanup(q->easy);
  curl_slist_free_all(q->headers);
  pp_buf_cleanup(&q->resp);
  pp_arena_cleanup(&q->arena);
  free(q);
}

/* ---- outcomes ------------------------------------------------------------ */

static void result_done(pp_write_t *w) {
  req_t *q = w->arg;
  pp_webhooks_t *hk = q->hk;
  /* A full disk is logged once by the store (the lease makes it retry). */
  if (w->result && w->result != PP_ERR_NOT_FOUND && w->result != PP_ERR_STORE_FULL)
    pp_log_warn("webhooks", "request %lld: recording its outcome failed: %s",
                (long long)q->hook.seq, pp_err_name(w->result));
  req_free(q);
  atomic_fetch_sub(&hk->writes_pending, 1);
}

/* Queues q's outcome write; takes q. */
static void submit_result(req_t *q) {
  pp_webhooks_t *hk = q->hk;
  q->w.kind = PP_W_HOOK_RESULT;
  q->w.done = result_done;
  q->w.arg = q;
  atomic_fetch_add(&hk->writes_pending, 1);
  if (pp_store_submit(hk->o.store, &q->w) != PP_OK) { /* closing: the lease runs out */
    req_free(q);
    atomic_fetch_sub(&hk->writes_pending, 1);
  }
}

/* Fills `al` for error `e` with `detail`; the request and, when there was
 * one, the answer go with it.  Returns al. */
static pp_alert_t *make_alert(req_t *q, pp_alert_t *al, pp_err_t e, const char *detail,
                              long status) {
  memset(al, 0, sizeof *al);
  pp_sid_new(al->sid, "NO");
  memcpy(al->account_sid, q->hook.account_sid, sizeof al->account_sid);
  al->error_code = pp_err_twilio_code(e);
  snprintf(al->log_level, sizeof al->log_level, "%s",
           e == PP_ERR_TWIML_SCHEMA ? "warning" : "error");
  char text[600];
  pp_err_message(e, detail, text, sizeof text);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  /* Twilio's alert_text is a query string of the facts. */
  pp_buf_puts(&b, "Msg=");
  pp_buf_url_encode(&b, text);
  if (status > 0) pp_buf_printf(&b, "&statusCode=%ld", status);
  pp_buf_puts(&b, "&url=");
  pp_buf_url_encode(&b, q->hook.url);
  al->alert_text = pp_arena_strdup(&q->arena, pp_buf_status(&b) ? text : b.data);
  pp_buf_cleanup(&b);
  al->request_method = q->hook.method;
  al->request_url = q->hook.url;
  al->request_variables = q->body && *q->body ? q->body : NULL;
  if (status > 0) {
    size_t n = q->resp.len < ALERT_BODY_MAX ? q->resp.len : ALERT_BODY_MAX;
    al->response_body = pp_arena_strndup(&q->arena, q->resp.data ? q->resp.data : "", n);
  }
  al->resource_sid = q->hook.message_sid;
  al->service_sid = q->msg.messaging_service_sid[0] ? q->msg.messaging_service_sid : NULL;
  al->date_created = pp_clock_now();
  return al;
}

/* The request's alert: error `e` with `detail`. */
static void set_alert(req_t *q, pp_err_t e, const char *detail, long status) {
  q->w.u.hook_result.alert = make_alert(q, &q->alert, e, detail, status);
}

uint64_t pp_webhooks_retry_delay_ms(unsigned backoff_ms, unsigned backoff_max_ms, int attempts) {
  unsigned shift = attempts > 20 ? 20 : attempts < 1 ? 0 : (unsigned)attempts - 1;
  uint64_t delay = (uint64_t)backoff_ms << shift;
  if (delay > backoff_max_ms) delay = backoff_max_ms;
  return delay * 3 / 4 + randombytes_uniform((uint32_t)(delay / 2 + 1)); /* +-25% */
}

/* Transient failure: try again later, unless the retry period is over. */
static void retry_or_drop(req_t *q, pp_err_t e, const char *detail, long status) {
  pp_webhooks_t *hk = q->hk;
  pp_hook_result_t *hr = &q->w.u.hook_result;
  int64_t now = now_ms();
  uint64_t delay =
      pp_webhooks_retry_delay_ms(hk->o.backoff_ms, hk->o.backoff_max_ms, q->hook.attempts);
  bool expired = now + (int64_t)delay > q->hook.created_ms + (int64_t)hk->o.max_age_s * 1000;
  hr->outcome = expired ? PP_HOOK_DROP : PP_HOOK_RETRY;
  hr->next_attempt_ms = now + (int64_t)delay;
  /* An alert for the first failure and for giving up, not for every try. */
  if (q->hook.attempts == 1 || expired) set_alert(q, e, detail, status);
  pp_log_info("webhooks", "%s request %lld (%s) attempt %d failed: %s; %s", q->hook.kind,
              (long long)q->hook.seq, q->hook.message_sid, q->hook.attempts, detail,
              expired ? "giving up" : "will retry");
}

static void drop(req_t *q, pp_err_t e, const char *detail, long status) {
  q->w.u.hook_result.outcome = PP_HOOK_DROP;
  set_alert(q, e, detail, status);
  pp_log_info("webhooks", "%s request %lld (%s) dropped: %s", q->hook.kind, (long long)q->hook.seq,
              q->hook.message_sid, detail);
}

/* ---- TwiML replies -------------------------------------------------------- */

/* A relative `ref` resolved against the request URL (absolute ones as they
 * are); NULL when it is neither. */
const char *pp_webhooks_resolve_url(pp_arena_t *a, const char *base, const char *ref) {
  if (!ref || !*ref) return NULL;
  if (strncmp(ref, "http://", 7) == 0 || strncmp(ref, "https://", 8) == 0) return ref;
  const char *scheme_end = strstr(base, "://");
  if (!scheme_end) return NULL;
  const char *host = scheme_end + 3; /* the origin ends at its path, query or fragment */
  size_t origin = (size_t)(host - base) + strcspn(host, "/?#");
  if (ref[0] == '/') return pp_arena_printf(a, "%.*s%s", (int)origin, base, ref);
  const char *end = strpbrk(base + origin, "?#");
  size_t upto = end ? (size_t)(end - base) : strlen(base);
  while (upto > origin && base[upto - 1] != '/') upto--;
  if (upto == origin) return pp_arena_printf(a, "%.*s/%s", (int)origin, base, ref);
  return pp_arena_printf(a, "%.*s%s", (int)upto, base, ref);
}

/* The <Media> URLs newline-separated, as messages keep them. */
static const char *join_media(req_t *q, const pp_twiml_verb_t *v) {
  const char *out = "";
  for (size_t i = 0; out && i < v->n_media; i++)
    out = pp_arena_printf(&q->arena, "%s%s%s", out, i ? "\n" : "", v->media[i]);
  return out ? out : "";
}

/* An inbound request was answered 2xx: its TwiML's <Message>s become
 * outbound-reply messages, its <Redirect> a follow-up request. */
static void take_twiml(req_t *q, long status) {
  pp_hook_result_t *hr = &q->w.u.hook_result;
  hr->outcome = PP_HOOK_DONE;
  if (strcmp(q->hook.kind, "inbound") != 0) return;
  if (q->resp.len == 0) return; /* nothing to say, nothing to send */
  char *ct = NULL, why[PP_TWIML_WHY_SIZE] = "";
  curl_easy_getinfo(q->easy, CURLINFO_CONTENT_TYPE, &ct);
  pp_twiml_ct_t kind;
  pp_twiml_t doc;
  pp_err_t e = pp_twiml_content_type(ct, &kind);
  if (e) {
    set_alert(q, e, ct ? ct : "(none)", status); /* not TwiML: nothing is sent */
    return;
  }
  e = kind == PP_TWIML_CT_XML
          ? pp_twiml_parse(q->resp.data, q->resp.len, &q->arena, &doc, why)
          : pp_twiml_parse_text(q->resp.data, q->resp.len, &q->arena, &doc, why);
  if (e) {
    set_alert(q, e, why, status);
    return;
  }
  if (doc.warning) set_alert(q, doc.warning, doc.warning_detail, status);
  size_t nmsg = 0;
  for (size_t i = 0; i < doc.n; i++) nmsg += doc.verbs[i].kind == PP_TWIML_MESSAGE;
  pp_message_t *replies = nmsg ? pp_arena_alloc(&q->arena, nmsg * sizeof *replies) : NULL;
  if (nmsg && !replies) return;
  const char *me = q->msg.to, *them = q->msg.from;
  /* The loop guard is counted in the store's transaction, so replies to
   * requests answered at the same time are all counted. */
  hr->reply_max = REPLY_MAX;
  hr->reply_since = pp_clock_now() - REPLY_WINDOW_S;
  hr->reply_alert =
      make_alert(q, &q->reply_alert, PP_ERR_REPLY_RATE, "replies between these numbers", status);
  size_t k = 0;
  int64_t now = pp_clock_now();
  for (size_t i = 0; i < doc.n; i++) {
    const pp_twiml_verb_t *v = &doc.verbs[i];
    if (v->kind == PP_TWIML_REDIRECT && !hr->redirect_url) {
      if (q->hook.redirects >= MAX_REDIRECTS) continue;
      hr->redirect_url = pp_webhooks_resolve_url(&q->arena, q->hook.url, v->url);
      hr->redirect_method = v->method == PP_TWIML_GET ? "GET" : "POST";
      continue;
    }
    if (v->kind != PP_TWIML_MESSAGE || k >= nmsg) continue;
    pp_message_t *m = &replies[k];
    memset(m, 0, sizeof *m);
    const char *to = v->to && *v->to ? v->to : them, *from = v->from && *v->from ? v->from : me;
    if (!pp_phone_is_e164(to) || (!pp_phone_is_e164(from) && !pp_phone_is_alnum_sender(from)))
      continue; /* Twilio answers these with 21211/21212 alerts */
    pp_sid_new(m->sid, v->n_media ? "MM" : "SM");
    memcpy(m->account_sid, q->hook.account_sid, sizeof m->account_sid);
    memcpy(m->messaging_service_sid, q->msg.messaging_service_sid, sizeof m->messaging_service_sid);
    m->to = to;
    m->from = from;
    m->body = v->body ? v->body : "";
    m->media_urls = join_media(q, v);
    m->num_media = (int)v->n_media;
    m->status_callback =
        pp_webhooks_resolve_url(&q->arena, q->hook.url, v->action ? v->action : v->status_callback);
    m->direction = "outbound-reply";
    m->status = "queued";
    pp_segments_t seg;
    pp_segments_count(m->body, strlen(m->body), &seg);
    m->num_segments = (int)seg.segments;
    m->validity_period = 36000;
    m->date_created = m->date_updated = now;
    k++;
  }
  hr->replies = replies;
  hr->nreplies = k;
}

/* ---- finished transfers ---------------------------------------------------- */

static void finished(req_t *q, CURLcode rc) {
  long status = 0;
  curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
  char detail[CURL_ERROR_SIZE + 64];
  snprintf(detail, sizeof detail, "%s", q->errbuf[0] ? q->errbuf : curl_easy_strerror(rc));
  if (q->refused) {
    drop(q, PP_ERR_HOOK_ADDR_REFUSED, q->refused_addr, 0);
  } else if (rc != CURLE_OK) {
    pp_err_t e = PP_ERR_HOOK_CONNECT;
    switch (rc) {
      case CURLE_COULDNT_RESOLVE_HOST:
        e = PP_ERR_HOOK_HOST;
        break;
      case CURLE_TOO_MANY_REDIRECTS:
        e = PP_ERR_HOOK_REDIRECTS;
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE:
        e = PP_ERR_HOOK_CERT;
        break;
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
        e = PP_ERR_HOOK_RETRIEVAL;
        break;
      case CURLE_WEIRD_SERVER_REPLY:
      case CURLE_RECV_ERROR:
        e = PP_ERR_HOOK_PROTOCOL;
        break;
      default:
        break;
    }
    if (e == PP_ERR_HOOK_RETRIEVAL || e == PP_ERR_HOOK_REDIRECTS)
      drop(q, e, detail, 0);
    else
      retry_or_drop(q, e, detail, 0);
  } else if (status >= 200 && status < 300) {
    take_twiml(q, status);
  } else if (status == 429 || status >= 500) {
    snprintf(detail, sizeof detail, "the server answered %ld", status);
    retry_or_drop(q, PP_ERR_HOOK_RETRIEVAL, detail, status);
  } else {
    snprintf(detail, sizeof detail, "the server answered %ld", status);
    drop(q, PP_ERR_HOOK_RETRIEVAL, detail, status);
  }
  submit_result(q);
}

/* ---- building a request ------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *arg) {
  req_t *q = arg;
  size_t len = size * n;
  if (q->resp.len < RESPONSE_CAP) {
    size_t keep = RESPONSE_CAP - q->resp.len < len ? RESPONSE_CAP - q->resp.len : len;
    pp_buf_append(&q->resp, p, keep);
  }
  return len; /* the rest is read and dropped */
}

/* Every connection, redirects included, goes through here: an address
 * that is not allowed gets no socket. */
static curl_socket_t on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a) {
  req_t *q = arg;
  (void)purpose;
  const char *why = NULL;
  if (!pp_hook_addr_allowed(&q->hk->allow, &a->addr, a->addrlen, &why)) {
    char ip[INET6_ADDRSTRLEN] = "?";
    const void *bytes = a->family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)&a->addr)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)&a->addr)->sin_addr;
    inet_ntop(a->family, bytes, ip, sizeof ip);
    q->refused = true;
    snprintf(q->refused_addr, sizeof q->refused_addr, "%s (%s)", ip, why ? why : "private");
    return CURL_SOCKET_BAD;
  }
  return socket(a->family, a->socktype, a->protocol);
}

static bool add_param(pp_arena_t *a, pp_param_t *ps, size_t *n, const char *name,
                      const char *value) {
  if (!value) return true;
  ps[*n].name = name;
  ps[*n].value = pp_arena_strdup(a, value);
  ps[*n].value_len = strlen(value);
  return ps[(*n)++].value != NULL;
}

/* Twilio's parameters for the request. */
static size_t build_params(req_t *q, pp_param_t *ps) {
  pp_arena_t *a = &q->arena;
  const pp_message_t *m = &q->msg;
  const char *svc = m->messaging_service_sid[0] ? m->messaging_service_sid : NULL;
  size_t n = 0;
  bool ok = true;
  if (strcmp(q->hook.kind, "inbound") == 0) {
    char num[16];
    ok &= add_param(a, ps, &n, "ToCountry", "");
    ok &= add_param(a, ps, &n, "ToState", "");
    ok &= add_param(a, ps, &n, "SmsMessageSid", m->sid);
    snprintf(num, sizeof num, "%d", m->num_media);
    ok &= add_param(a, ps, &n, "NumMedia", num);
    ok &= add_param(a, ps, &n, "ToCity", "");
    ok &= add_param(a, ps, &n, "FromZip", "");
    ok &= add_param(a, ps, &n, "SmsSid", m->sid);
    ok &= add_param(a, ps, &n, "FromState", "");
    ok &= add_param(a, ps, &n, "SmsStatus", "received");
    ok &= add_param(a, ps, &n, "FromCity", "");
    ok &= add_param(a, ps, &n, "Body", m->body);
    ok &= add_param(a, ps, &n, "FromCountry", "");
    ok &= add_param(a, ps, &n, "To", m->to);
    ok &= add_param(a, ps, &n, "MessagingServiceSid", svc);
    ok &= add_param(a, ps, &n, "ToZip", "");
    snprintf(num, sizeof num, "%d", m->num_segments);
    ok &= add_param(a, ps, &n, "NumSegments", num);
    ok &= add_param(a, ps, &n, "MessageSid", m->sid);
    ok &= add_param(a, ps, &n, "AccountSid", m->account_sid);
    ok &= add_param(a, ps, &n, "From", m->from);
    ok &= add_param(a, ps, &n, "ApiVersion", "2010-04-01");
  } else {
    ok &= add_param(a, ps, &n, "MessagingServiceSid", svc);
    if (q->hook.error_code) {
      char code[16];
      snprintf(code, sizeof code, "%d", q->hook.error_code);
      ok &= add_param(a, ps, &n, "ErrorCode", code);
      ok &= add_param(a, ps, &n, "ErrorMessage", m->error_message);
    }
    ok &= add_param(a, ps, &n, "SmsSid", m->sid);
    ok &= add_param(a, ps, &n, "SmsStatus", q->hook.event);
    ok &= add_param(a, ps, &n, "MessageStatus", q->hook.event);
    ok &= add_param(a, ps, &n, "To", m->to);
    ok &= add_param(a, ps, &n, "MessageSid", m->sid);
    ok &= add_param(a, ps, &n, "AccountSid", m->account_sid);
    ok &= add_param(a, ps, &n, "From", m->from);
    ok &= add_param(a, ps, &n, "ApiVersion", "2010-04-01");
    if (strcmp(q->hook.event, "delivered") == 0) {
      time_t t = (time_t)(q->hook.created_ms / 1000);
      struct tm tm;
      char done[64];
      gmtime_r(&t, &tm); /* YYMMDDhhmm, as a receipt's "done date" */
      snprintf(done, sizeof done, "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min);
      ok &= add_param(a, ps, &n, "RawDlrDoneDate", done);
    }
  }
  return ok ? n : 0;
}

/* Whether the store queued the request's form whole: a Verify event
 * (docs/internals/verify.md) or a lockbox notice (lockbox.md); a
 * message's is built from the message when it is sent. */
static bool carries_form(const req_t *q) {
  return strcmp(q->hook.kind, "verify") == 0 || strcmp(q->hook.kind, "lockbox") == 0;
}

/* The form a request posts: a message's parameters into `ps` (with the
 * URL and body in q), or the one the store queued (carries_form).
 * Returns the parameters and their count in *n (0: out of memory). */
static const pp_param_t *request_params(req_t *q, pp_param_t ps[32], bool get, size_t *n) {
  if (carries_form(q)) {
    pp_form_t f;
    pp_form_init(&f);
    q->url = q->hook.url;
    q->body = q->hook.body;
    *n = q->body && pp_form_parse(&f, &q->arena, q->body, strlen(q->body)) == PP_OK ? f.n : 0;
    return f.items;
  }
  *n = build_params(q, ps);
  pp_buf_t form;
  pp_buf_init(&form, 0);
  for (size_t i = 0; i < *n; i++) {
    if (i) pp_buf_putc(&form, '&');
    pp_buf_url_encode(&form, ps[i].name);
    pp_buf_putc(&form, '=');
    pp_buf_url_encode(&form, ps[i].value);
  }
  if (get) {
    q->url = pp_arena_printf(&q->arena, "%s%c%s", q->hook.url, strchr(q->hook.url, '?') ? '&' : '?',
                             form.data ? form.data : "");
    q->body = "";
  } else {
    q->url = q->hook.url;
    q->body = pp_arena_strdup(&q->arena, form.data ? form.data : "");
  }
  pp_buf_cleanup(&form);
  return ps;
}

/* Reads what the request reports and starts its transfer; on failure the
 * outcome is recorded at once.  Takes q. */
static void start(pp_webhooks_t *hk, req_t *q) {
  pp_hook_result_t *hr = &q->w.u.hook_result;
  hr->seq = q->hook.seq;
  /* A Verify event or a lockbox notice carries its form; a message's is
   * read now. */
  pp_err_t e = carries_form(q) ? PP_OK
                               : pp_store_message_get(hk->o.store, &q->arena, q->hook.account_sid,
                                                      q->hook.message_sid, &q->msg);
  if (e == PP_ERR_NOT_FOUND) { /* deleted since: nothing to report */
    hr->outcome = PP_HOOK_DROP;
    submit_result(q);
    return;
  }
  pp_account_t acc;
  if (!e) e = pp_store_account_get(hk->o.store, q->hook.account_sid, &acc);
  if (e) {
    sodium_memzero(&acc, sizeof acc);
    if (e == PP_ERR_NOT_FOUND) {
      hr->outcome = PP_HOOK_DROP;
      submit_result(q);
    } else {
      req_free(q); /* the lease runs out; it is claimed again */
    }
    return;
  }
  pp_param_t ps[32];
  size_t n;
  bool get = strcasecmp(q->hook.method, "GET") == 0;
  const pp_param_t *params = request_params(q, ps, get, &n);
  char sig[PP_HOOK_SIG_SIZE];
  e = (!n || !q->url || !q->body)
          ? PP_ERR_NOMEM
          : pp_hook_sign(acc.auth_token, q->url, get ? NULL : params, get ? 0 : n, sig);
  sodium_memzero(&acc, sizeof acc);
  if (e) {
    req_free(q);
    return;
  }
  char h_sig[64], h_tok[80];
  snprintf(h_sig, sizeof h_sig, "X-Twilio-Signature: %s", sig);
  snprintf(h_tok, sizeof h_tok, "I-Twilio-Idempotency-Token: %s", q->hook.token);
  struct curl_slist *hs = NULL;
  const char *lines[] = {h_sig,
                         h_tok,
                         "User-Agent: TwilioProxy/1.1",
                         "Accept: */*",
                         "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                         "Expect:"};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    struct curl_slist *next = curl_slist_append(hs, lines[i]);
    if (!next) break;
    hs = next;
  }
  q->headers = hs;
  CURL *c = q->easy = curl_easy_init();
  if (!c || !hs) {
    req_free(q);
    return;
  }
  curl_easy_setopt(c, CURLOPT_URL, q->url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  if (get)
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  else
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)hk->o.timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, q);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, q->errbuf);
  curl_easy_setopt(c, CURLOPT_PRIVATE, q);
  if (curl_multi_add_handle(hk->multi, c) != CURLM_OK) {
    req_free(q);
    return;
  }
  hk->running++;
  q->next = hk->fly;
  if (hk->fly) hk->fly->prev = q;
  hk->fly = q;
}

/* ---- the thread ------------------------------------------------------------ */

/* Claims up to `room` due requests and starts them. */
static void claim(pp_webhooks_t *hk, int room) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  int64_t now = now_ms();
  pp_write_t w = {.kind = PP_W_HOOK_CLAIM};
  w.u.hook_claim =
      (pp_hook_claim_t){now, now + (int64_t)hk->o.lease_s * 1000, (size_t)room, &a, NULL, 0};
  if (pp_store_write(hk->o.store, &w) == PP_OK) {
    for (size_t i = 0; i < w.u.hook_claim.n; i++) {
      req_t *q = calloc(1, sizeof *q);
      if (!q) break; /* the rest wait for their leases */
      q->hk = hk;
      pp_arena_init(&q->arena, 0);
      pp_buf_init(&q->resp, RESPONSE_CAP + 1);
      q->hook = w.u.hook_claim.rows[i];
      const char *body = q->hook.body;
      q->hook.url = pp_arena_strdup(&q->arena, q->hook.url);
      q->hook.body = body ? pp_arena_strdup(&q->arena, body) : NULL;
      if (!q->hook.url || (body && !q->hook.body)) {
        req_free(q);
        continue;
      }
      start(hk, q);
    }
  }
  pp_arena_cleanup(&a);
}

static void *hooks_main(void *arg) {
  pp_webhooks_t *hk = arg;
  int64_t next_look = 0;
  while (!atomic_load(&hk->stopping)) {
    int room = (int)hk->o.concurrency - hk->running;
    int64_t now = now_ms();
    if (room > 0 && now >= next_look) {
      int64_t due;
      pp_err_t e = pp_store_hook_next_due(hk->o.store, &due);
      if (e == PP_OK && due <= now) {
        claim(hk, room);
        next_look = now + 5; /* blocked ones (ordering) wait a little */
      } else {
        next_look = now + hk->o.poll_ms;
        if (e == PP_OK && due < next_look) next_look = due;
      }
    }
    int still;
    curl_multi_perform(hk->multi, &still);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(hk->multi, &left))) {
      if (msg->msg != CURLMSG_DONE) continue;
      req_t *q = NULL;
      CURL *easy = msg->easy_handle;
      CURLcode rc = msg->data.result;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&q);
      curl_multi_remove_handle(hk->multi, easy);
      hk->running--;
      if (q->prev)
        q->prev->next = q->next;
      else
        hk->fly = q->next;
      if (q->next) q->next->prev = q->prev;
      finished(q, rc);
    }
    int64_t wait = next_look - now_ms();
    if (wait < 1) wait = 1;
    if (wait > (int64_t)hk->o.poll_ms) wait = hk->o.poll_ms;
    curl_multi_poll(hk->multi, NULL, 0, (int)wait, NULL);
  }
  return NULL;
}

static void defaults(pp_webhooks_opts_t *o) {
  if (!o->timeout_ms) o->timeout_ms = 15000;
  if (!o->max_age_s) o->max_age_s = 86400;
  if (!o->backoff_ms) o->backoff_ms = 1000;
  if (!o->backoff_max_ms) o->backoff_max_ms = 600000;
  if (!o->per_host) o->per_host = 8;
  if (!o->concurrency) o->concurrency = 64;
  if (!o->poll_ms) o->poll_ms = 50;
  if (!o->lease_s) o->lease_s = 60;
}

static void curl_init_once(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

pp_err_t pp_webhooks_start(const pp_webhooks_opts_t *opts, pp_webhooks_t **out) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, curl_init_once);
  pp_webhooks_t *hk = calloc(1, sizeof *hk);
  if (!hk) return PP_ERR_NOMEM;
  hk->o = *opts;
  defaults(&hk->o);
  char why[PP_HOOK_WHY_SIZE];
  pp_err_t e = pp_hook_allow_parse(opts->allow, &hk->allow, why);
  if (e) {
    pp_log_error("webhooks", "--webhook-allow: %s", why);
    free(hk);
    return e;
  }
  hk->multi = curl_multi_init();
  if (!hk->multi) {
    free(hk);
    return PP_ERR_INTERNAL;
  }
  curl_multi_setopt(hk->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)hk->o.per_host);
  if (pthread_create(&hk->thread, NULL, hooks_main, hk) != 0) {
    curl_multi_cleanup(hk->multi);
    free(hk);
    return PP_ERR_INTERNAL;
  }
  *out = hk;
  return PP_OK;
}

void pp_webhooks_stop(pp_webhooks_t *hk) {
  if (!hk) return;
  atomic_store(&hk->stopping, true);
  curl_multi_wakeup(hk->multi);
  pthread_join(hk->thread, NULL);
  /* Transfers still running are abandoned: their leases run out. */
  while (hk->fly) {
    req_t *q = hk->fly;
    hk->fly = q->next;
    curl_multi_remove_handle(hk->multi, q->easy);
    req_free(q);
  }
  while (atomic_load(&hk->writes_pending) > 0) nanosleep(&(struct timespec){0, 1000000}, NULL);
  curl_multi_cleanup(hk->multi);
  free(hk);
}

/* messages.c: the 2010-04-01 Message resource: create (committed before the
 * 201 leaves; From may come from a Messaging Service's pool), fetch, list
 * with keyset paging, update (redact, cancel) and delete. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/phone.h"
#include "core/segments.h"

#define BODY_MAX_CHARS 1600
#define MEDIA_MAX 10

_Static_assert(offsetof(pp_message_t, seq) == 0, "a listed row starts with its seq");
static void render_message(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_message_t *m = row;
  pp_api_audit_touch(r, m->sid);
  char sent[PP_RFC2822_SIZE];
  if (m->date_sent) pp_rfc2822(m->date_sent, sent);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "body", m->body);
  pp_jw_key(w, "num_segments");
  pp_jw_rawf(w, "\"%d\"", m->num_segments);
  pp_jw_kstr(w, "direction", m->direction);
  pp_jw_kstr(w, "from", m->from[0] ? m->from : NULL);
  pp_jw_kstr(w, "to", m->to);
  pp_api_krfc2822(w, "date_updated", m->date_updated);
  pp_jw_knull(w, "price");
  pp_jw_kstr(w, "error_message", m->error_message);
  pp_jw_key(w, "uri");
  pp_jw_rawf(w, "\"/2010-04-01/Accounts/%s/Messages/%s.json\"", m->account_sid, m->sid);
  pp_jw_kstr(w, "account_sid", m->account_sid);
  pp_jw_key(w, "num_media");
  pp_jw_rawf(w, "\"%d\"", m->num_media);
  pp_jw_kstr(w, "status", m->status);
  pp_jw_kstr(w, "messaging_service_sid",
             m->messaging_service_sid[0] ? m->messaging_service_sid : NULL);
  pp_jw_kstr(w, "sid", m->sid);
  pp_jw_kstr(w, "date_sent", m->date_sent ? sent : NULL);
  pp_api_krfc2822(w, "date_created", m->date_created);
  if (m->error_code)
    pp_jw_kint(w, "error_code", m->error_code);
  else
    pp_jw_knull(w, "error_code");
  pp_jw_kstr(w, "price_unit", "USD");
  pp_jw_kstr(w, "api_version", "2010-04-01");
  pp_jw_key(w, "subresource_uris");
  pp_jw_rawf(w,
             "{\"media\":\"/2010-04-01/Accounts/%s/Messages/%s/Media.json\","
             "\"feedback\":\"/2010-04-01/Accounts/%s/Messages/%s/Feedback.json\"}",
             m->account_sid, m->sid, m->account_sid, m->sid);
  pp_jw_obj_end(w);
}

/* ---- create ----------------------------------------------------------- */

/* `From` (E.164 or alphanumeric, checked already) must be a number the
 * account owns (21606 otherwise) or an alphanumeric sender ID allowed to
 * it (21212 otherwise).  A number's StatusCallback is given back. */
static pp_err_t sender_check(pp_api_req_t *r, const char *account_sid, const char *from,
                             const char **status_callback) {
  pp_err_t e;
  if (pp_phone_is_e164(from)) {
    char owner[PP_SID_SIZE];
    const char *cb = NULL;
    e = pp_store_number_owner(r->api->store, &r->arena, from, owner, &cb);
    if (e == PP_OK && strcmp(owner, account_sid) != 0) e = PP_ERR_NOT_FOUND;
    if (e == PP_OK && cb && *cb)
      *status_callback = cb; /* the number's, when the message has none */
    return e == PP_ERR_NOT_FOUND ? pp_api_fail(r, PP_ERR_FROM_NOT_OWNED, from) : e;
  }
  e = pp_store_sender_allowed(r->api->store, account_sid, from);
  return e == PP_ERR_NOT_FOUND ? pp_api_fail(r, PP_ERR_FROM_INVALID, from) : e;
}

typedef struct {
  pp_message_t m;
} create_state_t;

static pp_err_t create_done(pp_api_req_t *r) {
  create_state_t *st = r->state;
  if (r->write.result != PP_OK) return r->write.result;
  return pp_api_respond(r, 201, render_message, &st->m);
}

pp_err_t pp_api_message_create(pp_api_req_t *r) {
  pp_account_t acc;
  pp_err_t e = pp_api_path_account(r, &acc);
  if (e) return e;
  const char *to = pp_api_param(r, "To");
  const char *from = pp_api_param(r, "From");
  const char *svc = pp_api_param(r, "MessagingServiceSid");
  const char *body = pp_api_param(r, "Body");
  const char *cb = pp_api_param(r, "StatusCallback");
  const char *validity = pp_api_param(r, "ValidityPeriod");
  const char *sched = pp_api_param(r, "ScheduleType");
  const char *send_at = pp_api_param(r, "SendAt");
  size_t nmedia = pp_form_count(&r->form, "MediaUrl");

  if (!to || !*to) return pp_api_fail(r, PP_ERR_TO_MISSING, NULL);
  if (!pp_phone_is_e164(to)) return pp_api_fail(r, PP_ERR_TO_INVALID, to);
  if (from && !*from) from = NULL;
  if (svc && !*svc) svc = NULL;
  if (!from && !svc) return pp_api_fail(r, PP_ERR_FROM_MISSING, NULL);
  if (svc && !pp_sid_valid(svc, "MG")) return pp_api_fail(r, PP_ERR_SERVICE_INVALID, svc);
  if (from && !pp_phone_is_e164(from) && !pp_phone_is_alnum_sender(from))
    return pp_api_fail(r, PP_ERR_FROM_INVALID, from);
  if ((!body || !*body) && nmedia == 0) return pp_api_fail(r, PP_ERR_BODY_MISSING, NULL);
  if (!body) body = "";
  size_t body_len = strlen(body);
  pp_segments_t seg;
  pp_segments_count(body, body_len, &seg);
  if (seg.chars > BODY_MAX_CHARS) return pp_api_fail(r, PP_ERR_BODY_TOO_LONG, NULL);
  if (nmedia > MEDIA_MAX) return pp_api_fail(r, PP_ERR_MEDIA_URL, "at most 10 MediaUrl");

  pp_buf_t media;
  pp_buf_init(&media, 64 * 1024);
  for (size_t i = 0; i < nmedia; i++) {
    const char *u = pp_form_nth(&r->form, "MediaUrl", i);
    if (!pp_api_url_ok(u)) {
      pp_buf_cleanup(&media);
      return pp_api_fail(r, PP_ERR_MEDIA_URL, u);
    }
    if (i) pp_buf_putc(&media, '\n');
    pp_buf_puts(&media, u);
  }
  char *media_urls = pp_buf_status(&media)
                         ? NULL
                         : pp_arena_strndup(&r->arena, media.data ? media.data : "", media.len);
  pp_buf_cleanup(&media);
  if (!media_urls) return PP_ERR_NOMEM;

  if (cb && *cb && !pp_api_url_ok(cb)) return pp_api_fail(r, PP_ERR_STATUS_CALLBACK, cb);
  /* A Messaging Service of the path's account lends its defaults and, when
   * there is no From, a sender from its pool. */
  pp_service_t service;
  memset(&service, 0, sizeof service);
  if (svc) {
    e = pp_store_service_get(r->api->store, &r->arena, acc.sid, svc, &service);
    if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, PP_ERR_SERVICE_NOT_FOUND, svc);
    if (e) return e;
  }
  int64_t vp = svc ? service.validity_period : 36000;
  if (validity) {
    char *end;
    long v = strtol(validity, &end, 10);
    if (!*validity || *end || v < 1 || v > 36000)
      return pp_api_fail(r, PP_ERR_VALIDITY, "must be from 1 to 36000 seconds");
    vp = v;
  }
  int64_t now = pp_clock_now(), at = 0;
  if (sched && *sched) {
    if (strcmp(sched, "fixed") != 0)
      return pp_api_fail(r, PP_ERR_INVALID_PARAM, "ScheduleType must be fixed");
    if (!send_at || !*send_at) return pp_api_fail(r, PP_ERR_SEND_AT_MISSING, NULL);
    if (!pp_parse_iso8601(send_at, &at) && !pp_parse_rfc2822(send_at, &at))
      return pp_api_fail(r, PP_ERR_SEND_AT_RANGE, NULL);
    if (at - now < 900 || at - now > 35 * 86400) return pp_api_fail(r, PP_ERR_SEND_AT_RANGE, NULL);
    if (!svc) return pp_api_fail(r, PP_ERR_SCHEDULE_SERVICE, NULL);
  }

  const char *number_cb = NULL;
  if (from && (e = sender_check(r, acc.sid, from, &number_cb))) return e;
  const char *sender = from;
  if (!sender) {
    char picked[20];
    e = pp_store_service_sender(r->api->store, acc.sid, svc, to, service.sticky_sender, picked);
    if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, PP_ERR_SERVICE_NO_SENDERS, svc);
    if (e) return e;
    if (!(sender = pp_arena_strdup(&r->arena, picked))) return PP_ERR_NOMEM;
  }
  if ((!cb || !*cb) && svc) cb = service.status_callback;

  create_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_message_t *m = &st->m;
  pp_sid_new(m->sid, nmedia ? "MM" : "SM");
  memcpy(m->account_sid, acc.sid, sizeof m->account_sid);
  if (svc) snprintf(m->messaging_service_sid, sizeof m->messaging_service_sid, "%s", svc);
  m->to = to;
  m->from = sender;
  m->body = body;
  m->media_urls = media_urls;
  m->status_callback = cb && *cb ? cb : number_cb;
  m->direction = "outbound-api";
  m->status = at ? "scheduled" : (svc && !from ? "accepted" : "queued");
  m->num_media = (int)nmedia;
  m->num_segments = (int)seg.segments;
  m->validity_period = (int)vp;
  m->date_created = m->date_updated = now;
  m->send_at = at;
  r->state = st;
  r->write.kind = PP_W_MESSAGE_INSERT;
  r->write.u.message = m;
  pp_api_audit_touch(r, m->sid);
  return pp_api_submit(r, create_done);
}

/* ---- fetch / update / delete ------------------------------------------ */

static pp_err_t load(pp_api_req_t *r, pp_message_t *m) {
  pp_account_t acc;
  pp_err_t e = pp_api_path_account(r, &acc);
  if (e) return e;
  e = pp_store_message_get(r->api->store, &r->arena, acc.sid, r->params[1], m);
  return pp_api_found(r, e);
}

pp_err_t pp_api_message_fetch(pp_api_req_t *r) {
  pp_message_t m;
  pp_err_t e = load(r, &m);
  return e ? e : pp_api_respond(r, 200, render_message, &m);
}

static pp_err_t update_done(pp_api_req_t *r) {
  pp_err_t e = r->write.result;
  if (e == PP_ERR_NOT_FOUND) {
    /* Either gone, or the status condition failed. */
    pp_message_t m;
    e = load(r, &m);
    if (e) return e;
    return pp_api_fail(r, PP_ERR_NOT_CANCELABLE, NULL);
  }
  if (e) return e;
  return pp_api_message_fetch(r);
}

pp_err_t pp_api_message_update(pp_api_req_t *r) {
  pp_message_t m;
  pp_err_t e = load(r, &m);
  if (e) return e;
  const char *body = pp_form_get(&r->form, "Body");
  const char *status = pp_form_get(&r->form, "Status");
  if (body && *body)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                       "Body can only be set to the empty string (redaction)");
  if (status && strcmp(status, "canceled") != 0) return pp_api_fail(r, PP_ERR_MSG_STATUS, status);
  if (!body && !status) return pp_api_respond(r, 200, render_message, &m);
  if (status && strcmp(m.status, "scheduled") != 0)
    return pp_api_fail(r, PP_ERR_NOT_CANCELABLE, NULL);
  r->write.kind = PP_W_MESSAGE_PATCH;
  r->write.u.patch = (pp_message_patch_t){
      .account_sid = pp_arena_strdup(&r->arena, m.account_sid),
      .sid = pp_arena_strdup(&r->arena, m.sid),
      .body = body ? "" : NULL,
      .status = status ? "canceled" : NULL,
      .if_status = status ? "scheduled" : NULL,
      .date_updated = pp_clock_now(),
  };
  if (!r->write.u.patch.account_sid || !r->write.u.patch.sid) return PP_ERR_NOMEM;
  pp_api_audit_touch(r, m.sid);
  return pp_api_submit(r, update_done);
}

pp_err_t pp_api_message_delete(pp_api_req_t *r) {
  return pp_api_delete_in_account(r, PP_W_MESSAGE_DELETE);
}

/* ---- list ------------------------------------------------------------- */

/* DateSent filters: a date (YYYY-MM-DD) or an ISO 8601 date-time. */
static bool parse_when(const char *s, int64_t *t, bool *date_only) {
  *date_only = strlen(s) == 10;
  return pp_parse_iso8601(s, t) || pp_parse_rfc2822(s, t);
}

pp_err_t pp_api_message_list(pp_api_req_t *r) {
  pp_account_t acc;
  pp_api_page_t pg;
  pp_err_t e = pp_api_path_account_page(r, &acc, &pg);
  if (e) return e;
  pp_message_filter_t f = {.account_sid = acc.sid, .page = pg.req};
  f.to = pp_form_get(&r->query, "To");
  f.from = pp_form_get(&r->query, "From");
  static const char *const names[] = {"To", "From", "DateSent", "DateSent<", "DateSent>"};
  for (size_t i = 2; i < 5; i++) {
    const char *v = pp_form_get(&r->query, names[i]);
    if (!v) continue;
    int64_t t;
    bool day;
    if (!parse_when(v, &t, &day))
      return pp_api_fail(r, PP_ERR_INVALID_PARAM, "DateSent must be a date (YYYY-MM-DD)");
    if (i == 2) { /* that day (or from that instant to the end of its day) */
      f.sent_from = t;
      f.sent_until = t - ((t % 86400) + 86400) % 86400 + 86400;
      f.has_sent_from = f.has_sent_until = true;
    } else if (i == 3) { /* on or before */
      f.sent_until = day ? t + 86400 : t + 1;
      f.has_sent_until = true;
    } else { /* on or after */
      f.sent_from = t;
      f.has_sent_from = true;
    }
  }
  char *filter_q = pp_api_filter_query(r, names, 5);
  if (!filter_q) return PP_ERR_NOMEM;

  pp_message_t *rows;
  size_t n;
  bool more;
  e = pp_store_message_list(r->api->store, &r->arena, &f, &rows, &n, &more);
  if (e) return e;
  return pp_api_list_respond(
      r, "messages", pp_arena_printf(&r->arena, "/2010-04-01/Accounts/%s/Messages.json", acc.sid),
      filter_q, &pg, rows, sizeof *rows, n, more, render_message);
}

/* lockbox.c: the lockbox's owner side, /lockbox/v1 (docs/internals/lockbox.md):
 * an account's access requests and its answers to them, the reads staff
 * made under its grants (from the audit log), and where it is told of
 * each.  The account's own credentials only: an API key gets 403
 * (pp_api_need_account_credential), as on /audit/v1.  The decisions are
 * staff/lockbox.h's. */
#include "staff/lockbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"

/* A request's times as the decisions see them. */
static pp_lockbox_times_t times_of(const pp_api_req_t *r, const pp_lockbox_request_t *q) {
  pp_lockbox_times_t t = {
      .date_created = q->date_created,
      .date_approved = q->date_approved,
      .minutes = q->minutes,
      .minute_s = r->api->lockbox_minute_s > 0 ? r->api->lockbox_minute_s : PP_LOCKBOX_MINUTE_S};
  if (!pp_lockbox_status_parse(q->status, &t.status)) t.status = PP_LOCKBOX_EXPIRED;
  return t;
}

/* An access request as the owner (and the staff member) sees it: its status
 * as of now, and when it ends (a pending one by itself after 12 hours, an
 * approved one when its minutes are up). */
static void render_request(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_lockbox_request_t *q = row;
  pp_lockbox_times_t t = times_of(r, q);
  pp_lockbox_status_t seen = pp_lockbox_status_at(&t, pp_clock_now());
  int64_t ends = t.status == PP_LOCKBOX_PENDING    ? q->date_created + PP_LOCKBOX_PENDING_S
                 : t.status == PP_LOCKBOX_APPROVED ? pp_lockbox_grant_end(&t)
                                                   : 0;
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", q->sid);
  pp_jw_kstr(w, "account_sid", q->account_sid);
  pp_jw_kstr(w, "staff", q->staff);
  pp_jw_kstr(w, "reason", q->reason);
  pp_jw_kint(w, "minutes", q->minutes);
  pp_jw_kstr(w, "status", pp_lockbox_status_name(seen));
  if (q->answered_by[0])
    pp_jw_kstr(w, "answered_by", q->answered_by);
  else
    pp_jw_knull(w, "answered_by");
  pp_api_kiso8601_or_null(w, "date_created", q->date_created);
  pp_api_kiso8601_or_null(w, "date_updated", q->date_updated);
  pp_api_kiso8601_or_null(w, "date_approved", q->date_approved);
  pp_api_kiso8601_or_null(w, "date_revoked", q->date_revoked);
  pp_api_kiso8601_or_null(w, "date_expires", ends);
  pp_jw_kstr(
      w, "url",
      pp_arena_printf(&r->arena, "%s/lockbox/v1/AccessRequests/%s", r->api->public_url, q->sid));
  pp_jw_obj_end(w);
}

/* The owner's list requests: its own credential, then the page asked for. */
static pp_err_t owner_page(pp_api_req_t *r, pp_api_page_t *pg) {
  pp_err_t e = pp_api_need_account_credential(r);
  return e ? e : pp_api_page_parse(r, pg);
}

pp_err_t pp_lockbox_request_page(pp_api_req_t *r, pp_lockbox_filter_t *f, const pp_api_page_t *pg,
                                 const char *path, const char *filters) {
  pp_lockbox_request_t *rows;
  size_t n;
  bool more;
  f->page = pg->req;
  pp_err_t e = pp_store_lockbox_list(r->api->store, &r->arena, f, &rows, &n, &more);
  if (e) return e;
  return pp_api_meta_list_respond(r, "access_requests",
                                  pp_arena_printf(&r->arena, "%s%s", r->api->public_url, path),
                                  filters, pg, rows, sizeof *rows, n, more, render_request);
}

pp_err_t pp_lockbox_request_list(pp_api_req_t *r) {
  pp_api_page_t pg;
  pp_err_t e = owner_page(r, &pg);
  if (e) return e;
  pp_lockbox_filter_t f = {.account_sid = r->principal.account_sid};
  return pp_lockbox_request_page(r, &f, &pg, "/lockbox/v1/AccessRequests", "");
}

/* Request r->params[0] of the credential's own account. */
static pp_err_t load_request(pp_api_req_t *r, pp_lockbox_request_t *q) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (!e && !pp_sid_valid(r->params[0], "LR")) e = PP_ERR_NOT_FOUND;
  if (!e)
    e = pp_store_lockbox_get(r->api->store, &r->arena, r->principal.account_sid, r->params[0], q);
  return pp_api_found(r, e);
}

pp_err_t pp_lockbox_request_fetch(pp_api_req_t *r) {
  pp_lockbox_request_t q;
  pp_err_t e = load_request(r, &q);
  return e ? e : pp_api_respond(r, 200, render_request, &q);
}

/* ---- Notices ---------------------------------------------------------- */

/* Appends "&name=value" (the first without "&"), URL-encoded. */
static void form_add(pp_buf_t *b, const char *name, const char *value) {
  if (b->len) pp_buf_putc(b, '&');
  pp_buf_url_encode(b, name);
  pp_buf_putc(b, '=');
  pp_buf_url_encode(b, value ? value : "");
}

char *pp_lockbox_notice(pp_api_req_t *r, const char *event, const pp_lockbox_request_t *q,
                        const char *status, const char *read_request, const char *resources) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  char minutes[16], ts[PP_ISO8601_SIZE];
  snprintf(minutes, sizeof minutes, "%d", q->minutes);
  pp_iso8601(pp_clock_now(), ts);
  form_add(&b, "AccountSid", q->account_sid);
  form_add(&b, "AccessRequestSid", q->sid);
  form_add(&b, "EventType", event);
  form_add(&b, "Staff", q->staff);
  form_add(&b, "Reason", q->reason);
  form_add(&b, "Minutes", minutes);
  form_add(&b, "Status", status);
  form_add(&b, "Timestamp", ts);
  if (read_request) form_add(&b, "Request", read_request);
  if (resources) form_add(&b, "ResourceSids", resources);
  char *out = pp_buf_status(&b) ? NULL : pp_arena_strndup(&r->arena, b.data ? b.data : "", b.len);
  pp_buf_cleanup(&b);
  return out;
}

/* ---- The owner's answer ------------------------------------------------- */

/* After the answer's write: the request as it is now, or 409 when it was
 * answered meanwhile. */
static pp_err_t answered(pp_api_req_t *r) {
  pp_lockbox_request_t *q = r->state;
  if (r->write.result == PP_ERR_CONFLICT)
    return pp_api_fail(r, PP_ERR_LOCKBOX_STATUS, "it was answered meanwhile");
  return r->write.result ? r->write.result : pp_api_respond(r, 200, render_request, q);
}

/* POST /lockbox/v1/AccessRequests/{Sid}: Status=approved|denied|revoked.
 * Approval starts the grant's clock, revocation ends it at once. */
pp_err_t pp_lockbox_request_answer(pp_api_req_t *r) {
  pp_lockbox_request_t *q = pp_arena_alloc(&r->arena, sizeof *q);
  if (!q) return PP_ERR_NOMEM;
  pp_err_t e = load_request(r, q);
  if (e) return e;
  pp_lockbox_status_t to;
  const char *status = pp_api_param(r, "Status");
  if (!status) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Status");
  if (!pp_lockbox_status_parse(status, &to) ||
      (to != PP_LOCKBOX_APPROVED && to != PP_LOCKBOX_DENIED && to != PP_LOCKBOX_REVOKED))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "Status must be approved, denied or revoked");
  int64_t now = pp_clock_now();
  pp_lockbox_times_t t = times_of(r, q);
  pp_lockbox_status_t seen = pp_lockbox_status_at(&t, now);
  if ((e = pp_lockbox_transition(seen, to))) return pp_api_fail(r, e, pp_lockbox_status_name(seen));
  char *was = pp_arena_strdup(&r->arena, q->status);
  if (!was) return PP_ERR_NOMEM;
  snprintf(q->status, sizeof q->status, "%s", pp_lockbox_status_name(to));
  snprintf(q->answered_by, sizeof q->answered_by, "%s", r->principal.account_sid);
  q->date_updated = now;
  if (to == PP_LOCKBOX_APPROVED) q->date_approved = now;
  if (to == PP_LOCKBOX_REVOKED) q->date_revoked = now;
  static const char *const events[] = {[PP_LOCKBOX_APPROVED] = "request.approved",
                                       [PP_LOCKBOX_DENIED] = "request.denied",
                                       [PP_LOCKBOX_REVOKED] = "request.revoked"};
  static const pp_audit_kind_t kinds[] = {[PP_LOCKBOX_APPROVED] = PP_AUDIT_LOCKBOX_APPROVE,
                                          [PP_LOCKBOX_DENIED] = PP_AUDIT_LOCKBOX_DENY,
                                          [PP_LOCKBOX_REVOKED] = PP_AUDIT_LOCKBOX_REVOKE};
  char *notice = pp_lockbox_notice(r, events[to], q, q->status, NULL, NULL);
  if (!notice) return PP_ERR_NOMEM;
  r->write.kind = PP_W_LOCKBOX;
  r->write.u.lockbox = (pp_lockbox_write_t){q, q->account_sid, false, was, events[to], notice, now};
  pp_api_audit_attach(r, kinds[to], q->account_sid, (const char *[]){q->sid}, 1);
  r->state = q;
  return pp_api_submit(r, answered);
}

/* ---- Settings --------------------------------------------------------- */

static void render_settings(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_lockbox_settings_t *ls = row;
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "account_sid", ls->account_sid);
  if (ls->webhook_url)
    pp_jw_kstr(w, "webhook_url", ls->webhook_url);
  else
    pp_jw_knull(w, "webhook_url");
  pp_api_kiso8601_or_null(w, "date_updated", ls->date_updated);
  pp_jw_kstr(w, "url", pp_arena_printf(&r->arena, "%s/lockbox/v1/Settings", r->api->public_url));
  pp_jw_obj_end(w);
}

pp_err_t pp_lockbox_settings_fetch(pp_api_req_t *r) {
  pp_lockbox_settings_t ls;
  pp_err_t e = pp_api_need_account_credential(r);
  if (!e) e = pp_store_lockbox_settings(r->api->store, &r->arena, r->principal.account_sid, &ls);
  return e ? e : pp_api_respond(r, 200, render_settings, &ls);
}

static pp_err_t settings_put(pp_api_req_t *r) {
  return r->write.result ? r->write.result
                         : pp_api_respond(r, 200, render_settings, r->write.u.lockbox_settings);
}

/* POST /lockbox/v1/Settings: WebhookUrl (a URL Pipit calls back, or "" for
 * none). */
pp_err_t pp_lockbox_settings_update(pp_api_req_t *r) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  const char *url = pp_api_param(r, "WebhookUrl");
  if (!url) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "WebhookUrl");
  if (*url && !pp_api_url_ok(url)) return pp_api_fail(r, PP_ERR_URL_INVALID, "WebhookUrl");
  pp_lockbox_settings_t *ls = pp_arena_alloc(&r->arena, sizeof *ls);
  if (!ls) return PP_ERR_NOMEM;
  memset(ls, 0, sizeof *ls);
  snprintf(ls->account_sid, sizeof ls->account_sid, "%s", r->principal.account_sid);
  ls->webhook_url = *url ? url : NULL;
  ls->date_updated = pp_clock_now();
  r->write.kind = PP_W_LOCKBOX_SETTINGS;
  r->write.u.lockbox_settings = ls;
  pp_api_audit_attach(r, PP_AUDIT_LOCKBOX_SETTINGS, NULL, NULL, 0);
  return pp_api_submit(r, settings_put);
}

/* ---- The access log ----------------------------------------------------- */

/* The request an entry names (its first LR… resource), read once per page. */
static const pp_lockbox_request_t *named_request(pp_api_req_t *r, const pp_audit_event_t *ev,
                                                 pp_lockbox_request_t *cache, size_t *ncache) {
  for (size_t i = 0; i < ev->nresources; i++) {
    if (!pp_sid_valid(ev->resources[i], "LR")) continue;
    for (size_t k = 0; k < *ncache; k++)
      if (strcmp(cache[k].sid, ev->resources[i]) == 0) return &cache[k];
    if (*ncache < 16 && pp_store_lockbox_get(r->api->store, &r->arena, ev->account_sid,
                                             ev->resources[i], &cache[*ncache]) == PP_OK)
      return &cache[(*ncache)++];
    return NULL;
  }
  return NULL;
}

static void render_read(pp_api_req_t *r, pp_jw_t *w, const pp_audit_event_t *ev,
                        const pp_lockbox_request_t *q) {
  pp_jw_obj_begin(w);
  pp_jw_kint(w, "sequence", ev->seq);
  pp_jw_kstr(w, "account_sid", ev->account_sid);
  pp_jw_kstr(w, "staff", ev->principal);
  pp_api_kiso8601_or_null(w, "date", ev->time_ms / 1000);
  pp_jw_kint(w, "time_ms", ev->time_ms);
  if (q) {
    pp_jw_kstr(w, "access_request_sid", q->sid);
    pp_jw_kstr(w, "reason", q->reason);
  } else {
    pp_jw_knull(w, "access_request_sid");
    pp_jw_knull(w, "reason");
  }
  pp_jw_kstr(w, "request", ev->request);
  pp_jw_key(w, "resource_sids");
  pp_jw_arr_begin(w);
  for (size_t i = 0; i < ev->nresources; i++)
    if (!pp_sid_valid(ev->resources[i], "LR")) pp_jw_str(w, ev->resources[i]);
  pp_jw_arr_end(w);
  pp_jw_kstr(w, "outcome", ev->outcome);
  pp_jw_kstr(w, "source_ip_address", ev->ip);
  pp_jw_kstr(
      w, "audit_url",
      pp_arena_printf(&r->arena, "%s/audit/v1/Events/%" PRId64, r->api->public_url, ev->seq));
  pp_jw_obj_end(w);
}

/* GET /lockbox/v1/AccessLog: every read staff made, or tried, in the
 * account (lockbox.read events), newest first: who, when, why (the
 * request's reason), which request, what was read, and the outcome. */
pp_err_t pp_lockbox_access_log(pp_api_req_t *r) {
  pp_api_page_t pg;
  pp_err_t e = owner_page(r, &pg);
  if (e) return e;
  pp_audit_filter_t f = {.account_sid = r->principal.account_sid,
                         .event = pp_audit_kind_name(PP_AUDIT_LOCKBOX_READ),
                         .page = pg.req};
  pp_audit_entry_t *rows = NULL;
  size_t n = 0;
  bool more = false;
  if ((e = pp_api_audit_page(r, &f, &rows, &n, &more))) return e;
  char *url = pp_arena_printf(&r->arena, "%s/lockbox/v1/AccessLog", r->api->public_url);
  if (!url) return PP_ERR_NOMEM;
  pp_lockbox_request_t cache[16];
  size_t ncache = 0;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, "access_log");
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    pp_audit_event_t ev;
    if ((e = pp_api_audit_decode(r, &rows[i], &ev))) return e;
    render_read(r, &w, &ev, named_request(r, &ev, cache, &ncache));
  }
  pp_jw_arr_end(&w);
  pp_api_meta_envelope(r, &w, "access_log", url, "", &pg, n, more, n ? rows[0].seq + 1 : 0,
                       n ? rows[n - 1].seq + 1 : 0);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* alerts.c: /monitor/v1/Alerts: what went wrong with the account's webhooks
 * (and, later, other asynchronous work), readable by the account itself.
 * The list carries no request or response details, as Twilio's; an
 * instance carries both. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"

static void render_alert(pp_api_req_t *r, pp_jw_t *w, const pp_alert_t *al, bool instance) {
  char created[PP_ISO8601_SIZE], code[16];
  pp_iso8601(al->date_created, created);
  snprintf(code, sizeof code, "%d", al->error_code);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "account_sid", al->account_sid);
  pp_jw_kstr(w, "alert_text", al->alert_text);
  pp_jw_kstr(w, "api_version", "2010-04-01");
  pp_jw_kstr(w, "date_created", created);
  pp_jw_kstr(w, "date_generated", created);
  pp_jw_kstr(w, "date_updated", created);
  pp_jw_kstr(w, "error_code", code);
  pp_jw_kstr(w, "log_level", al->log_level);
  pp_jw_key(w, "more_info");
  pp_jw_rawf(w, "\"https://www.twilio.com/docs/errors/%d\"", al->error_code);
  pp_jw_kstr(w, "request_method", al->request_method);
  pp_jw_kstr(w, "request_url", al->request_url);
  if (instance) {
    pp_jw_kstr(w, "request_variables", al->request_variables);
    pp_jw_kstr(w, "response_body", al->response_body);
    pp_jw_kstr(w, "response_headers", al->response_headers);
    pp_jw_kstr(w, "request_headers", NULL);
  }
  pp_jw_kstr(w, "resource_sid", al->resource_sid);
  pp_jw_kstr(w, "service_sid", al->service_sid);
  pp_jw_kstr(w, "sid", al->sid);
  pp_jw_key(w, "url");
  pp_jw_rawf(w, "\"%s/monitor/v1/Alerts/%s\"", r->api->public_url, al->sid);
  pp_jw_obj_end(w);
}

_Static_assert(offsetof(pp_alert_t, seq) == 0, "a listed row starts with its seq");
/* An alert as listed, and as fetched (with its request and response). */
static void render_listed_alert(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  render_alert(r, w, row, false);
}

static void render_alert_instance(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  render_alert(r, w, row, true);
}

pp_err_t pp_api_alert_fetch(pp_api_req_t *r) {
  pp_alert_t al;
  if (!pp_sid_valid(r->params[0], "NO")) return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  pp_err_t e =
      pp_store_alert_get(r->api->store, &r->arena, r->principal.account_sid, r->params[0], &al);
  if ((e = pp_api_found(r, e))) return e;
  return pp_api_respond(r, 200, render_alert_instance, &al);
}

/* StartDate / EndDate: ISO 8601 (a bare date is its midnight, UTC). */
static pp_err_t date_param(pp_api_req_t *r, const char *name, bool *has, int64_t *out) {
  const char *v = pp_api_param(r, name);
  *has = v && *v;
  if (*has && !pp_parse_iso8601(v, out)) return pp_api_fail(r, PP_ERR_INVALID_PARAM, name);
  return PP_OK;
}

pp_err_t pp_api_alert_list(pp_api_req_t *r) {
  pp_api_page_t pg;
  pp_err_t e = pp_api_page_parse(r, &pg);
  if (e) return e;
  pp_alert_filter_t f = {.account_sid = r->principal.account_sid, .page = pg.req};
  const char *level = pp_api_param(r, "LogLevel");
  f.log_level = level && *level ? level : NULL;
  if ((e = date_param(r, "StartDate", &f.has_from, &f.from))) return e;
  if ((e = date_param(r, "EndDate", &f.has_until, &f.until))) return e;
  pp_alert_t *rows;
  size_t n;
  bool more;
  e = pp_store_alert_list(r->api->store, &r->arena, &f, &rows, &n, &more);
  if (e) return e;
  static const char *const names[] = {"LogLevel", "StartDate", "EndDate"};
  return pp_api_meta_list_respond(
      r, "alerts", pp_arena_printf(&r->arena, "%s/monitor/v1/Alerts", r->api->public_url),
      pp_api_filter_query(r, names, 3), &pg, rows, sizeof *rows, n, more, render_listed_alert);
}

/* services.c: Messaging Services (messaging/v1/Services): the settings
 * messages sent through a service share, and its sender pool
 * (Services/{ServiceSid}/PhoneNumbers), always in the credential's account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"

#define VALIDITY_MAX 36000

/* ---- rendering ---------------------------------------------------------- */

static char *service_url(pp_api_req_t *r, const char *sid) {
  return pp_arena_printf(&r->arena, "%s/messaging/v1/Services/%s", r->api->public_url, sid);
}

_Static_assert(offsetof(pp_service_t, seq) == 0, "a listed row starts with its seq");
static void render_service(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_service_t *sv = row;
  static const char *const links[][2] = {
      {"phone_numbers", "PhoneNumbers"},
      {"short_codes", "ShortCodes"},
      {"alpha_senders", "AlphaSenders"},
      {"messages", "Messages"},
      {"us_app_to_person", "Compliance/Usa2p"},
      {"us_app_to_person_usecases", "Compliance/Usa2p/Usecases"},
      {"channel_senders", "ChannelSenders"},
      {"destination_alpha_senders", "DestinationAlphaSenders"},
  };
  const char *url = service_url(r, sv->sid);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "account_sid", sv->account_sid);
  pp_jw_kstr(w, "sid", sv->sid);
  pp_api_kdates_iso8601(w, sv->date_created, sv->date_updated);
  pp_jw_kstr(w, "friendly_name", sv->friendly_name);
  pp_jw_kstr(w, "inbound_request_url", sv->inbound_request_url);
  pp_jw_kstr(w, "inbound_method", sv->inbound_method);
  pp_jw_kstr(w, "fallback_url", sv->fallback_url);
  pp_jw_kstr(w, "fallback_method", sv->fallback_method);
  pp_jw_kstr(w, "status_callback", sv->status_callback);
  pp_jw_kbool(w, "sticky_sender", sv->sticky_sender);
  pp_jw_kbool(w, "mms_converter", sv->mms_converter);
  pp_jw_kbool(w, "smart_encoding", sv->smart_encoding);
  pp_jw_kstr(w, "scan_message_content", sv->scan_message_content);
  pp_jw_kbool(w, "fallback_to_long_code", sv->fallback_to_long_code);
  pp_jw_kbool(w, "area_code_geomatch", sv->area_code_geomatch);
  pp_jw_kint(w, "validity_period", sv->validity_period);
  pp_jw_kbool(w, "synchronous_validation", sv->synchronous_validation);
  pp_jw_kstr(w, "usecase", sv->usecase);
  pp_jw_kbool(w, "us_app_to_person_registered", false);
  pp_jw_kbool(w, "use_inbound_webhook_on_number", sv->use_inbound_webhook_on_number);
  pp_jw_key(w, "links");
  pp_jw_obj_begin(w);
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    pp_jw_kstr(w, links[i][0], url ? pp_arena_printf(&r->arena, "%s/%s", url, links[i][1]) : NULL);
  pp_jw_obj_end(w);
  pp_jw_kstr(w, "url", url);
  pp_jw_obj_end(w);
}

/* The ISO 3166 country of an E.164 number, for calling codes of one country
 * (and +1, which Pipit reports as US); no entry is a prefix of another.
 * NULL when the code is not in the table (the field is nullable). */
static const char *country_of(const char *e164) {
  static const char *const table[][2] = {
      {"+353", "IE"}, {"+351", "PT"}, {"+358", "FI"}, {"+972", "IL"}, {"+971", "AE"},
      {"+852", "HK"}, {"+886", "TW"}, {"+1", "US"},   {"+20", "EG"},  {"+27", "ZA"},
      {"+30", "GR"},  {"+31", "NL"},  {"+32", "BE"},  {"+33", "FR"},  {"+34", "ES"},
      {"+36", "HU"},  {"+39", "IT"},  {"+40", "RO"},  {"+41", "CH"},  {"+43", "AT"},
      {"+44", "GB"},  {"+45", "DK"},  {"+46", "SE"},  {"+47", "NO"},  {"+48", "PL"},
      {"+49", "DE"},  {"+51", "PE"},  {"+52", "MX"},  {"+54", "AR"},  {"+55", "BR"},
      {"+56", "CL"},  {"+57", "CO"},  {"+60", "MY"},  {"+61", "AU"},  {"+62", "ID"},
      {"+63", "PH"},  {"+64", "NZ"},  {"+65", "SG"},  {"+66", "TH"},  {"+81", "JP"},
      {"+82", "KR"},  {"+84", "VN"},  {"+86", "CN"},  {"+90", "TR"},  {"+91", "IN"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strncmp(e164, table[i][0], strlen(table[i][0])) == 0) return table[i][1];
  return NULL;
}

_Static_assert(offsetof(pp_service_number_t, seq) == 0, "a listed row starts with its seq");
static void render_service_number(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_service_number_t *sn = row;
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", sn->sid);
  pp_jw_kstr(w, "account_sid", sn->account_sid);
  pp_jw_kstr(w, "service_sid", sn->service_sid);
  pp_api_kdates_iso8601(w, sn->date_created, sn->date_updated);
  pp_jw_kstr(w, "phone_number", sn->phone_number);
  pp_jw_kstr(w, "country_code", country_of(sn->phone_number));
  pp_jw_key(w, "capabilities");
  pp_jw_arr_begin(w);
  pp_jw_str(w, "SMS"); /* Pipit's numbers send and receive SMS only */
  pp_jw_arr_end(w);
  pp_jw_kstr(w, "url",
             pp_arena_printf(&r->arena, "%s/messaging/v1/Services/%s/PhoneNumbers/%s",
                             r->api->public_url, sn->service_sid, sn->sid));
  pp_jw_obj_end(w);
}

/* ---- form ---------------------------------------------------------------- */

static bool one_of(const char *v, const char *const *allowed, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v, allowed[i]) == 0) return true;
  return false;
}

/* Applies the settable fields of the form to `sv`; shared by create and
 * update.  Strings are form values, which outlive the write. */
static pp_err_t apply_form(pp_api_req_t *r, pp_service_t *sv, bool create) {
  static const pp_api_field_t
      urls[] = {{"InboundRequestUrl", offsetof(pp_service_t, inbound_request_url)},
                {"FallbackUrl", offsetof(pp_service_t, fallback_url)},
                {"StatusCallback", offsetof(pp_service_t, status_callback)}},
      methods[] = {{"InboundMethod", offsetof(pp_service_t, inbound_method)},
                   {"FallbackMethod", offsetof(pp_service_t, fallback_method)}},
      flags[] = {
          {"StickySender", offsetof(pp_service_t, sticky_sender)},
          {"MmsConverter", offsetof(pp_service_t, mms_converter)},
          {"SmartEncoding", offsetof(pp_service_t, smart_encoding)},
          {"FallbackToLongCode", offsetof(pp_service_t, fallback_to_long_code)},
          {"AreaCodeGeomatch", offsetof(pp_service_t, area_code_geomatch)},
          {"SynchronousValidation", offsetof(pp_service_t, synchronous_validation)},
          {"UseInboundWebhookOnNumber", offsetof(pp_service_t, use_inbound_webhook_on_number)}};
  static const char *const scans[] = {"inherit", "enable", "disable"};
  static const char *const usecases[] = {"notifications", "marketing", "verification",
                                         "discussion",    "poll",      "undeclared"};
  const char *name = pp_form_get(&r->form, "FriendlyName");
  if (create && (!name || !*name)) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FriendlyName");
  if (name) {
    if (!*name) return pp_api_fail(r, PP_ERR_INVALID_PARAM, "FriendlyName must not be empty");
    if (strlen(name) >= sizeof sv->friendly_name)
      return pp_api_fail(r, PP_ERR_FRIENDLY_NAME, "at most 64 characters");
    snprintf(sv->friendly_name, sizeof sv->friendly_name, "%s", name);
  }
  pp_err_t e = pp_api_form_urls(r, sv, urls, sizeof urls / sizeof urls[0]);
  if (!e) e = pp_api_form_methods(r, sv, methods, sizeof methods / sizeof methods[0]);
  if (!e) e = pp_api_form_flags(r, sv, flags, sizeof flags / sizeof flags[0], PP_ERR_INVALID_PARAM);
  if (e) return e;
  const char *scan = pp_form_get(&r->form, "ScanMessageContent");
  if (scan) {
    if (!one_of(scan, scans, 3))
      return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                         "ScanMessageContent must be inherit, enable or disable");
    snprintf(sv->scan_message_content, sizeof sv->scan_message_content, "%s", scan);
  }
  const char *usecase = pp_form_get(&r->form, "Usecase");
  if (usecase) {
    if (!one_of(usecase, usecases, 6)) return pp_api_fail(r, PP_ERR_USECASE, usecase);
    snprintf(sv->usecase, sizeof sv->usecase, "%s", usecase);
  }
  const char *validity = pp_form_get(&r->form, "ValidityPeriod");
  if (validity) {
    char *end;
    long v = strtol(validity, &end, 10);
    if (!*validity || *end || v < 1 || v > VALIDITY_MAX)
      return pp_api_fail(r, PP_ERR_VALIDITY, "must be from 1 to 36000 seconds");
    sv->validity_period = (int)v;
  }
  return PP_OK;
}

/* ---- Services ------------------------------------------------------------ */

static pp_err_t service_written(pp_api_req_t *r) {
  pp_err_t e = r->write.result;
  if ((e = pp_api_found(r, e))) return e;
  return pp_api_respond(r, r->write.kind == PP_W_SERVICE_INSERT ? 201 : 200, render_service,
                        r->state);
}

pp_err_t pp_api_service_create(pp_api_req_t *r) {
  pp_service_t *sv = pp_arena_alloc(&r->arena, sizeof *sv);
  if (!sv) return PP_ERR_NOMEM;
  /* Twilio's defaults for a service created through the API. */
  *sv = (pp_service_t){
      .inbound_method = "POST",
      .fallback_method = "POST",
      .scan_message_content = "inherit",
      .usecase = "undeclared",
      .sticky_sender = true,
      .mms_converter = true,
      .smart_encoding = true,
      .fallback_to_long_code = true,
      .area_code_geomatch = true,
      .synchronous_validation = true,
      .validity_period = VALIDITY_MAX,
  };
  pp_err_t e = apply_form(r, sv, true);
  if (e) return e;
  pp_sid_new(sv->sid, "MG");
  memcpy(sv->account_sid, r->principal.account_sid, sizeof sv->account_sid);
  sv->date_created = sv->date_updated = pp_clock_now();
  r->state = sv;
  r->write.kind = PP_W_SERVICE_INSERT;
  r->write.u.service = sv;
  return pp_api_submit_event(r, PP_AUDIT_SERVICE_CREATE, NULL, sv->sid, service_written);
}

/* Reads service r->params[0] of the credential's account; 404 otherwise. */
static pp_err_t load_service(pp_api_req_t *r, pp_service_t *sv) {
  pp_err_t e =
      pp_store_service_get(r->api->store, &r->arena, r->principal.account_sid, r->params[0], sv);
  return pp_api_found(r, e);
}

pp_err_t pp_api_service_fetch(pp_api_req_t *r) {
  pp_service_t sv;
  pp_err_t e = load_service(r, &sv);
  return e ? e : pp_api_respond(r, 200, render_service, &sv);
}

pp_err_t pp_api_service_update(pp_api_req_t *r) {
  pp_service_t *sv = pp_arena_alloc(&r->arena, sizeof *sv);
  if (!sv) return PP_ERR_NOMEM;
  pp_err_t e = load_service(r, sv);
  if (e) return e;
  if ((e = apply_form(r, sv, false))) return e;
  sv->date_updated = pp_clock_now();
  r->state = sv;
  r->write.kind = PP_W_SERVICE_UPDATE;
  r->write.u.service = sv;
  return pp_api_submit_event(r, PP_AUDIT_SERVICE_UPDATE, NULL, sv->sid, service_written);
}

pp_err_t pp_api_service_delete(pp_api_req_t *r) {
  r->write.kind = PP_W_SERVICE_DELETE;
  r->write.u.ref = (pp_ref_t){r->principal.account_sid, r->params[0]};
  return pp_api_submit_event(r, PP_AUDIT_SERVICE_DELETE, NULL, r->params[0], pp_api_deleted);
}

pp_err_t pp_api_service_list(pp_api_req_t *r) {
  pp_api_page_t pg;
  pp_err_t e = pp_api_page_parse(r, &pg);
  if (e) return e;
  pp_service_t *rows;
  size_t n;
  bool more;
  e = pp_store_service_list(r->api->store, &r->arena, r->principal.account_sid, &pg.req, &rows, &n,
                            &more);
  if (e) return e;
  return pp_api_meta_list_respond(
      r, "services", pp_arena_printf(&r->arena, "%s/messaging/v1/Services", r->api->public_url), "",
      &pg, rows, sizeof *rows, n, more, render_service);
}

/* ---- the sender pool --------------------------------------------------- */

/* Submits write `kind` of service number `sn` (in the arena: the write
 * outlives this call) with audit event `ev` naming the service and the
 * number, no account; `done` answers once the write is applied. Sets
 * neither r->state nor any field of `sn`. */
static pp_err_t submit_service_number(pp_api_req_t *r, pp_write_kind_t kind, pp_audit_kind_t ev,
                                      pp_service_number_t *sn, pp_api_handler_fn done) {
  r->write.kind = kind;
  r->write.u.service_number = sn;
  pp_api_audit_attach(r, ev, NULL, (const char *[]){sn->service_sid, sn->sid}, 2);
  return pp_api_submit(r, done);
}

static pp_err_t service_number_added(pp_api_req_t *r) {
  pp_service_number_t *sn = r->state;
  pp_err_t e = r->write.result;
  if (e == PP_ERR_CONFLICT) return pp_api_fail(r, PP_ERR_SENDER_IN_SERVICE, sn->phone_number);
  if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, PP_ERR_SENDER_INVALID, sn->sid);
  if (e) return e;
  return pp_api_respond(r, 201, render_service_number, sn);
}

pp_err_t pp_api_service_number_create(pp_api_req_t *r) {
  pp_service_t sv;
  pp_err_t e = load_service(r, &sv);
  if (e) return e;
  const char *pn = pp_form_get(&r->form, "PhoneNumberSid");
  if (!pn || !*pn) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "PhoneNumberSid");
  if (!pp_sid_valid(pn, "PN")) return pp_api_fail(r, PP_ERR_SENDER_INVALID, pn);
  pp_number_t num;
  e = pp_store_number_get(r->api->store, &r->arena, sv.account_sid, pn, &num);
  if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, PP_ERR_SENDER_INVALID, pn);
  if (e) return e;
  pp_service_number_t *sn = pp_arena_alloc(&r->arena, sizeof *sn);
  if (!sn) return PP_ERR_NOMEM;
  memset(sn, 0, sizeof *sn);
  memcpy(sn->sid, num.sid, sizeof sn->sid);
  memcpy(sn->service_sid, sv.sid, sizeof sn->service_sid);
  memcpy(sn->account_sid, sv.account_sid, sizeof sn->account_sid);
  memcpy(sn->phone_number, num.phone_number, sizeof sn->phone_number);
  sn->date_created = sn->date_updated = pp_clock_now();
  r->state = sn;
  return submit_service_number(r, PP_W_SERVICE_NUMBER_INSERT, PP_AUDIT_SERVICE_NUMBER_ADD, sn,
                               service_number_added);
}

pp_err_t pp_api_service_number_fetch(pp_api_req_t *r) {
  pp_service_number_t sn;
  pp_err_t e = pp_store_service_number_get(r->api->store, r->principal.account_sid, r->params[0],
                                           r->params[1], &sn);
  if ((e = pp_api_found(r, e))) return e;
  return pp_api_respond(r, 200, render_service_number, &sn);
}

pp_err_t pp_api_service_number_delete(pp_api_req_t *r) {
  pp_service_number_t *sn = pp_arena_alloc(&r->arena, sizeof *sn);
  if (!sn) return PP_ERR_NOMEM;
  memset(sn, 0, sizeof *sn);
  snprintf(sn->sid, sizeof sn->sid, "%s", r->params[1]);
  snprintf(sn->service_sid, sizeof sn->service_sid, "%s", r->params[0]);
  memcpy(sn->account_sid, r->principal.account_sid, sizeof sn->account_sid);
  return submit_service_number(r, PP_W_SERVICE_NUMBER_DELETE, PP_AUDIT_SERVICE_NUMBER_REMOVE, sn,
                               pp_api_deleted);
}

pp_err_t pp_api_service_number_list(pp_api_req_t *r) {
  pp_service_t sv;
  pp_err_t e = load_service(r, &sv);
  if (e) return e;
  pp_api_page_t pg;
  if ((e = pp_api_page_parse(r, &pg))) return e;
  pp_service_number_t *rows;
  size_t n;
  bool more;
  e = pp_store_service_number_list(r->api->store, &r->arena, sv.account_sid, sv.sid, &pg.req, &rows,
                                   &n, &more);
  if (e) return e;
  return pp_api_meta_list_respond(
      r, "phone_numbers",
      pp_arena_printf(&r->arena, "%s/messaging/v1/Services/%s/PhoneNumbers", r->api->public_url,
                      sv.sid),
      "", &pg, rows, sizeof *rows, n, more, render_service_number);
}

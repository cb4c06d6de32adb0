/* numbers.c: the 2010-04-01 IncomingPhoneNumber resource: the numbers an
 * account owns, with where its inbound SMS and status callbacks go. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/phone.h"

_Static_assert(offsetof(pp_number_t, seq) == 0, "a listed row starts with its seq");
static void render_number(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_number_t *n = row;
  pp_api_audit_touch(r, n->sid);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "account_sid", n->account_sid);
  pp_jw_knull(w, "address_sid");
  pp_jw_kstr(w, "address_requirements", "none");
  pp_jw_kstr(w, "api_version", "2010-04-01");
  pp_jw_kbool(w, "beta", false);
  pp_jw_key(w, "capabilities");
  pp_jw_rawf(w, "{\"voice\":false,\"sms\":true,\"mms\":false,\"fax\":false}");
  pp_api_kdates_rfc2822(w, n->date_created, n->date_updated);
  pp_jw_kstr(w, "friendly_name", n->friendly_name);
  pp_jw_knull(w, "identity_sid");
  pp_jw_kstr(w, "phone_number", n->phone_number);
  pp_jw_kstr(w, "origin", "twilio");
  pp_jw_kstr(w, "sid", n->sid);
  pp_jw_knull(w, "sms_application_sid");
  pp_jw_kstr(w, "sms_fallback_method", n->sms_fallback_method);
  pp_jw_kstr(w, "sms_fallback_url", n->sms_fallback_url ? n->sms_fallback_url : "");
  pp_jw_kstr(w, "sms_method", n->sms_method);
  pp_jw_kstr(w, "sms_url", n->sms_url ? n->sms_url : "");
  pp_jw_kstr(w, "status_callback", n->status_callback ? n->status_callback : "");
  pp_jw_kstr(w, "status_callback_method", n->status_callback_method);
  pp_jw_knull(w, "trunk_sid");
  pp_jw_key(w, "uri");
  pp_jw_rawf(w, "\"/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json\"", n->account_sid, n->sid);
  pp_jw_kstr(w, "voice_receive_mode", "voice");
  pp_jw_knull(w, "voice_application_sid");
  pp_jw_kbool(w, "voice_caller_id_lookup", false);
  pp_jw_kstr(w, "voice_fallback_method", "POST");
  pp_jw_kstr(w, "voice_fallback_url", "");
  pp_jw_kstr(w, "voice_method", "POST");
  pp_jw_kstr(w, "voice_url", "");
  pp_jw_kstr(w, "emergency_status", "Inactive");
  pp_jw_knull(w, "emergency_address_sid");
  pp_jw_kstr(w, "emergency_address_status", "unregistered");
  pp_jw_knull(w, "bundle_sid");
  pp_jw_kstr(w, "status", "in-use");
  pp_jw_kstr(w, "type", "local");
  pp_jw_obj_end(w);
}

/* Applies the settable fields of the form to `n`; shared by create and
 * update.  Strings are arena copies or form values (both outlive the write). */
static pp_err_t apply_form(pp_api_req_t *r, pp_number_t *n) {
  static const pp_api_field_t urls[] = {
      {"SmsUrl", offsetof(pp_number_t, sms_url)},
      {"SmsFallbackUrl", offsetof(pp_number_t, sms_fallback_url)},
      {"StatusCallback", offsetof(pp_number_t, status_callback)},
  };
  static const pp_api_field_t methods[] = {
      {"SmsMethod", offsetof(pp_number_t, sms_method)},
      {"SmsFallbackMethod", offsetof(pp_number_t, sms_fallback_method)},
      {"StatusCallbackMethod", offsetof(pp_number_t, status_callback_method)},
  };
  const char *name = pp_form_get(&r->form, "FriendlyName");
  if (name) {
    if (strlen(name) >= sizeof n->friendly_name)
      return pp_api_fail(r, PP_ERR_FRIENDLY_NAME, "at most 64 characters");
    snprintf(n->friendly_name, sizeof n->friendly_name, "%s", name);
  }
  pp_err_t e = pp_api_form_urls(r, n, urls, sizeof urls / sizeof urls[0]);
  return e ? e : pp_api_form_methods(r, n, methods, sizeof methods / sizeof methods[0]);
}

static pp_err_t number_written(pp_api_req_t *r) {
  pp_number_t *n = r->state;
  pp_err_t e = r->write.result;
  if (e == PP_ERR_CONFLICT) return pp_api_fail(r, PP_ERR_NUMBER_TAKEN, n->phone_number);
  if ((e = pp_api_found(r, e))) return e;
  return pp_api_respond(r, r->write.kind == PP_W_NUMBER_INSERT ? 201 : 200, render_number, n);
}

/* Whether the operator made `phone` available to `acc`: to it, to its main
 * account, or to any account (pipit admin number add). */
static pp_err_t offered(pp_api_req_t *r, const pp_account_t *acc, const char *phone) {
  pp_number_offer_t o;
  pp_err_t e = pp_store_offer_get(r->api->store, phone, &o);
  if (e) return e;
  if (o.account_sid[0] && strcmp(o.account_sid, acc->sid) != 0 &&
      strcmp(o.account_sid, acc->owner_sid) != 0)
    return PP_ERR_NOT_FOUND;
  return PP_OK;
}

pp_err_t pp_api_number_create(pp_api_req_t *r) {
  pp_account_t acc;
  pp_err_t e = pp_api_path_account(r, &acc);
  if (e) return e;
  const char *phone = pp_form_get(&r->form, "PhoneNumber");
  if (!phone || !pp_phone_is_e164(phone))
    return pp_api_fail(r, PP_ERR_NUMBER_INVALID, phone ? phone : "(missing)");
  pp_number_t *n = pp_arena_alloc(&r->arena, sizeof *n);
  if (!n) return PP_ERR_NOMEM;
  memset(n, 0, sizeof *n);
  pp_sid_new(n->sid, "PN");
  memcpy(n->account_sid, acc.sid, sizeof n->account_sid);
  snprintf(n->phone_number, sizeof n->phone_number, "%s", phone);
  snprintf(n->friendly_name, sizeof n->friendly_name, "%s", phone);
  memcpy(n->sms_method, "POST", 5);
  memcpy(n->sms_fallback_method, "POST", 5);
  memcpy(n->status_callback_method, "POST", 5);
  if ((e = apply_form(r, n))) return e;
  /* One answer whether the number is unknown, offered to another account
   * or held by one (number_written answers a taken one alike): nothing
   * says who has it. */
  if ((e = offered(r, &acc, phone)) == PP_ERR_NOT_FOUND)
    return pp_api_fail(r, PP_ERR_NUMBER_TAKEN, phone);
  if (e) return e;
  n->date_created = n->date_updated = pp_clock_now();
  r->state = n;
  r->write.kind = PP_W_NUMBER_INSERT;
  r->write.u.number = n;
  return pp_api_submit_event(r, PP_AUDIT_NUMBER_CREATE, n->account_sid, n->sid, number_written);
}

static pp_err_t load(pp_api_req_t *r, pp_number_t *n) {
  pp_account_t acc;
  pp_err_t e = pp_api_path_account(r, &acc);
  if (e) return e;
  e = pp_store_number_get(r->api->store, &r->arena, acc.sid, r->params[1], n);
  return pp_api_found(r, e);
}

pp_err_t pp_api_number_fetch(pp_api_req_t *r) {
  pp_number_t n;
  pp_err_t e = load(r, &n);
  return e ? e : pp_api_respond(r, 200, render_number, &n);
}

pp_err_t pp_api_number_update(pp_api_req_t *r) {
  pp_number_t *n = pp_arena_alloc(&r->arena, sizeof *n);
  if (!n) return PP_ERR_NOMEM;
  pp_err_t e = load(r, n);
  if (e) return e;
  if ((e = apply_form(r, n))) return e;
  n->date_updated = pp_clock_now();
  r->state = n;
  r->write.kind = PP_W_NUMBER_UPDATE;
  r->write.u.number = n;
  return pp_api_submit_event(r, PP_AUDIT_NUMBER_UPDATE, n->account_sid, n->sid, number_written);
}

pp_err_t pp_api_number_delete(pp_api_req_t *r) {
  return pp_api_delete_in_account(r, PP_W_NUMBER_DELETE);
}

pp_err_t pp_api_number_list(pp_api_req_t *r) {
  pp_account_t acc;
  pp_api_page_t pg;
  pp_err_t e = pp_api_path_account_page(r, &acc, &pg);
  if (e) return e;
  pp_number_filter_t f = {.account_sid = acc.sid, .page = pg.req};
  f.phone_number = pp_form_get(&r->query, "PhoneNumber");
  f.friendly_name = pp_form_get(&r->query, "FriendlyName");
  pp_number_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_number_list(r->api->store, &r->arena, &f, &rows, &n, &more))) return e;
  static const char *const names[] = {"PhoneNumber", "FriendlyName"};
  return pp_api_list_respond(
      r, "incoming_phone_numbers",
      pp_arena_printf(&r->arena, "/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json", acc.sid),
      pp_api_filter_query(r, names, 2), &pg, rows, sizeof *rows, n, more, render_number);
}

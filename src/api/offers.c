/* offers.c: /admin/v1/PhoneNumbers, the numbers the operator makes available
 * to accounts (as `pipit admin number` does): only these can be taken with
 * IncomingPhoneNumbers.create.  Operator only; which account holds a number
 * is customer data and is not shown here. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/phone.h"

void pp_offer_ref(const char *phone, char out[PP_AUDIT_RESOURCE_MAX + 1]) {
  size_t n = strlen(phone);
  snprintf(out, PP_AUDIT_RESOURCE_MAX + 1, "number:%.2s...%s", phone, n > 6 ? phone + n - 4 : "");
}

static void render_offer(pp_api_req_t *r, pp_jw_t *w, const pp_number_offer_t *o) {
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "phone_number", o->phone_number);
  pp_jw_kstr(w, "account_sid", o->account_sid[0] ? o->account_sid : NULL);
  pp_api_kiso8601(w, "date_created", o->date_created);
  pp_jw_key(w, "url");
  pp_jw_rawf(w, "\"%s/admin/v1/PhoneNumbers/%%2B%s\"", r->api->public_url, o->phone_number + 1);
  pp_jw_obj_end(w);
}

pp_err_t pp_api_offer_list(pp_api_req_t *r) {
  pp_number_offer_t *rows;
  size_t n;
  pp_err_t e = pp_store_offer_all(r->api->store, &r->arena, &rows, &n);
  if (e) return e;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, "phone_numbers");
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) render_offer(r, &w, &rows[i]);
  pp_jw_arr_end(&w);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

static pp_err_t offer_written(pp_api_req_t *r) {
  if (r->write.result) return r->write.result;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render_offer(r, &w, r->write.u.offer);
  r->status = 201;
  return pp_buf_status(&r->body);
}

/* Queues the offer write `kind` of `o`, recorded as `audit`. */
static pp_err_t submit_offer(pp_api_req_t *r, pp_write_kind_t kind, pp_number_offer_t *o,
                             pp_audit_kind_t audit, pp_api_handler_fn cont) {
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  pp_offer_ref(o->phone_number, ref);
  const char *res = ref;
  r->write.kind = kind;
  r->write.u.offer = o;
  pp_api_audit_attach(r, audit, o->account_sid[0] ? o->account_sid : NULL, &res, 1);
  return pp_api_submit(r, cont);
}

pp_err_t pp_api_offer_create(pp_api_req_t *r) {
  const char *phone = pp_form_get(&r->form, "PhoneNumber");
  const char *account = pp_form_get(&r->form, "AccountSid");
  if (!phone || !pp_phone_is_e164(phone))
    return pp_api_fail(r, PP_ERR_NUMBER_INVALID, phone ? phone : "(missing)");
  if (account && *account) {
    pp_account_t acc;
    int which;
    pp_err_t e = pp_sid_valid(account, "AC")
                     ? pp_store_account_auth(r->api->store, account, NULL, &acc, &which)
                     : PP_ERR_NOT_FOUND;
    if (e == PP_ERR_NOT_FOUND)
      return pp_api_fail(r, PP_ERR_INVALID_PARAM, "AccountSid is not an account");
    if (e) return e;
  }
  pp_number_offer_t *o = pp_arena_alloc(&r->arena, sizeof *o);
  if (!o) return PP_ERR_NOMEM;
  memset(o, 0, sizeof *o);
  snprintf(o->phone_number, sizeof o->phone_number, "%s", phone);
  snprintf(o->account_sid, sizeof o->account_sid, "%s", account ? account : "");
  o->date_created = pp_clock_now();
  return submit_offer(r, PP_W_OFFER_PUT, o, PP_AUDIT_NUMBER_OFFER, offer_written);
}

pp_err_t pp_api_offer_delete(pp_api_req_t *r) {
  const char *phone = pp_api_capture(r, 0);
  if (!phone || !pp_phone_is_e164(phone)) return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  pp_number_offer_t *o = pp_arena_alloc(&r->arena, sizeof *o);
  if (!o) return PP_ERR_NOMEM;
  memset(o, 0, sizeof *o);
  snprintf(o->phone_number, sizeof o->phone_number, "%s", phone);
  return submit_offer(r, PP_W_OFFER_DELETE, o, PP_AUDIT_NUMBER_WITHDRAW, pp_api_deleted);
}

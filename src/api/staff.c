/* staff.c: /staff/webauthn/{register,login}/{begin,finish} and
 * /staff/logout: the staff sign-in ceremonies over HTTP, with the W3C
 * PublicKeyCredential JSON encoding (docs/internals/staff.md).  The
 * decisions are src/staff's; this file reads the JSON, writes the change
 * with its audit event, and renders the options, the cookie and errors. */
#include "staff/staff.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"

#define TIMEOUT_MS (PP_STAFF_CHALLENGE_TTL_S * 1000)

/* A ceremony in flight: in the request's arena. */
typedef struct {
  pp_staff_ceremony_t cx;
  pp_err_t refusal;   /* PP_OK: the ceremony passed */
  json_t *body;       /* the request's JSON, freed by the last step */
  pp_staff_who_t who; /* the signed-in member (uv, logout) */
} flight_t;

static int64_t now_s(void) {
  return pp_clock_now();
}

/* The request's JSON object, or NULL (then *e says why). */
static json_t *json_body(pp_api_req_t *r, pp_err_t *e) {
  json_t *j =
      r->raw_body ? json_loadb(r->raw_body, r->raw_body_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
  if (!json_is_object(j)) {
    json_decref(j);
    *e = pp_api_fail(r, PP_ERR_BAD_REQUEST, "the body is not a JSON object");
    return NULL;
  }
  return j;
}

static const char *jstr(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static flight_t *flight_new(pp_api_req_t *r, json_t *body);

/* A ceremony step's start: the JSON body and the flight (NULL and *e when
 * there is none). */
static flight_t *start(pp_api_req_t *r, pp_err_t *e) {
  json_t *j = json_body(r, e);
  if (!j) return NULL;
  flight_t *f = flight_new(r, j);
  if (!f) *e = PP_ERR_NOMEM;
  return f;
}

static flight_t *flight_new(pp_api_req_t *r, json_t *body) {
  flight_t *f = pp_arena_alloc(&r->arena, sizeof *f);
  if (!f) {
    json_decref(body);
    return NULL;
  }
  memset(f, 0, sizeof *f);
  f->body = body;
  r->state = f;
  return f;
}

static void flight_end(pp_api_req_t *r) {
  flight_t *f = r->state;
  if (!f) return;
  json_decref(f->body);
  f->body = NULL;
  sodium_memzero(f->cx.session, sizeof f->cx.session);
  sodium_memzero(f->who.text, sizeof f->who.text);
}

/* The request's staff session, its CSRF token checked (the X-CSRF-Token
 * header, else the csrf_token form field), into f->who; the member is then
 * the principal of the step's event. */
static pp_err_t member_of(pp_api_req_t *r, flight_t *f) {
  pp_err_t e = pp_staff_resolve(r->api->store, r->cookie, now_s(), &f->who);
  if (e) return e;
  f->cx.staff = f->who.staff;
  f->cx.known = true;
  const char *given = r->csrf_header ? r->csrf_header : pp_api_param(r, PP_STAFF_CSRF_FIELD);
  return pp_staff_csrf_check(f->who.text, given);
}

/* pp_api_submit's result `e`: unless queued, no continuation will end the
 * flight, so it ends here. */
static pp_err_t queued(pp_api_req_t *r, pp_err_t e) {
  if (e != PP_ERR_AGAIN) flight_end(r);
  return e;
}

static void b64url(pp_api_req_t *r, pp_jw_t *w, const uint8_t *p, size_t n) {
  size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *s = pp_arena_alloc(&r->arena, cap);
  if (!s) {
    pp_jw_null(w);
    return;
  }
  sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  pp_jw_str(w, s);
}

/* excludeCredentials / allowCredentials: the member's passkeys. */
static void cred_list(pp_api_req_t *r, pp_jw_t *w, const char *key, const pp_staff_ceremony_t *cx) {
  pp_jw_key(w, key);
  pp_jw_arr_begin(w);
  for (size_t i = 0; i < cx->ncreds; i++) {
    pp_jw_obj_begin(w);
    pp_jw_kstr(w, "type", "public-key");
    pp_jw_key(w, "id");
    b64url(r, w, cx->creds[i].cred.id, cx->creds[i].cred.id_len);
    pp_jw_obj_end(w);
  }
  pp_jw_arr_end(w);
}

/* The relying party of this installation: the host and origin of
 * --public-url. */
static pp_err_t rp_of(pp_api_req_t *r, char rp_id[256], char origin[256]) {
  if (pp_staff_rp_from_url(r->api->public_url, rp_id, origin) != PP_OK) return PP_ERR_INTERNAL;
  return PP_OK;
}

/* Writes the ceremony's change (or the event alone when there is none)
 * with its event: `kind` by the member when known, the refusal as the
 * outcome.  `cont` answers once it is durable. */
static pp_err_t submit(pp_api_req_t *r, flight_t *f, pp_audit_kind_t kind, pp_api_handler_fn cont) {
  pp_staff_ceremony_t *cx = &f->cx;
  const pp_staff_change_t *ch = &cx->change;
  bool change = ch->put || ch->take[0] || ch->take[1] || ch->cred_add || ch->count || ch->end ||
                ch->remove || ch->add || ch->uv_session;
  char res[PP_AUDIT_RESOURCE_MAX + 1] = "";
  const char *rp = res;
  if (cx->known) {
    r->principal.kind = PP_PRINCIPAL_STAFF;
    snprintf(r->principal.staff, sizeof r->principal.staff, "%s", cx->staff.name);
    snprintf(res, sizeof res, "staff:%s", cx->staff.name);
  }
  memset(&r->write, 0, sizeof r->write);
  r->write.kind = change ? PP_W_STAFF : PP_W_AUDIT;
  r->write.u.staff = &cx->change;
  pp_api_audit_attach(r, kind, NULL, &rp, cx->known ? 1 : 0);
  if (f->refusal) pp_audit_outcome(f->refusal, r->audit.event.outcome);
  return queued(r, pp_api_submit(r, cont));
}

/* A begin step: its challenge stored (no audit event: a challenge handed
 * out is none), then `cont` answers with the options. */
static pp_err_t store_challenge(pp_api_req_t *r, flight_t *f, pp_api_handler_fn cont) {
  memset(&r->write, 0, sizeof r->write);
  r->write.kind = PP_W_STAFF;
  r->write.u.staff = &f->cx.change;
  r->audit.recorded = true;
  return queued(r, pp_api_submit(r, cont));
}

/* What a finish step answers once its change is written: the refusal, or
 * the write's failure (a challenge or token spent meanwhile: a replay). */
static pp_err_t outcome(pp_api_req_t *r) {
  flight_t *f = r->state;
  if (f->refusal) return f->refusal;
  if (r->write.result == PP_ERR_CONFLICT) return PP_ERR_WEBAUTHN_CHALLENGE;
  return r->write.result;
}

/* A refusal's answer once it is recorded. */
static pp_err_t refused(pp_api_req_t *r) {
  pp_err_t e = outcome(r);
  flight_end(r);
  return e;
}

/* ---- Registration -------------------------------------------------------- */

/* Once a begin step's challenge is stored: opens the answer
 * {"publicKey":{ and gives the RP id. */
static pp_err_t options_open(pp_api_req_t *r, pp_jw_t *w, char rp_id[256]) {
  char origin[256];
  pp_err_t e = r->write.result;
  if (!e) e = rp_of(r, rp_id, origin);
  flight_end(r);
  if (e) return e;
  pp_jw_init(w, &r->body);
  pp_jw_obj_begin(w);
  pp_jw_key(w, "publicKey");
  pp_jw_obj_begin(w);
  return PP_OK;
}

/* Closes what options_open opened: the answer is ready. */
static pp_err_t options_close(pp_api_req_t *r, pp_jw_t *w) {
  pp_jw_obj_end(w);
  pp_jw_obj_end(w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

static pp_err_t register_options(pp_api_req_t *r) {
  pp_staff_ceremony_t *cx = &((flight_t *)r->state)->cx;
  char rp_id[256];
  pp_jw_t w;
  pp_err_t e = options_open(r, &w, rp_id);
  if (e) return e;
  pp_jw_key(&w, "rp");
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "id", rp_id);
  pp_jw_kstr(&w, "name", "Pipit");
  pp_jw_obj_end(&w);
  pp_jw_key(&w, "user");
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, "id");
  b64url(r, &w, cx->staff.user_id, sizeof cx->staff.user_id);
  pp_jw_kstr(&w, "name", cx->staff.name);
  pp_jw_kstr(&w, "displayName", cx->staff.name);
  pp_jw_obj_end(&w);
  pp_jw_key(&w, "challenge");
  b64url(r, &w, cx->challenge, sizeof cx->challenge);
  pp_jw_key(&w, "pubKeyCredParams");
  pp_jw_arr_begin(&w);
  static const int algs[] = {PP_WEBAUTHN_ES256, PP_WEBAUTHN_EDDSA};
  for (size_t i = 0; i < 2; i++) {
    pp_jw_obj_begin(&w);
    pp_jw_kstr(&w, "type", "public-key");
    pp_jw_kint(&w, "alg", algs[i]);
    pp_jw_obj_end(&w);
  }
  pp_jw_arr_end(&w);
  pp_jw_kint(&w, "timeout", TIMEOUT_MS);
  cred_list(r, &w, "excludeCredentials", cx);
  pp_jw_key(&w, "authenticatorSelection");
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "residentKey", "preferred");
  pp_jw_kbool(&w, "requireResidentKey", false);
  pp_jw_kstr(&w, "userVerification", "required");
  pp_jw_obj_end(&w);
  pp_jw_kstr(&w, "attestation", "none");
  return options_close(r, &w);
}

pp_err_t pp_api_staff_register_begin(pp_api_req_t *r) {
  pp_err_t e = PP_OK;
  flight_t *f = start(r, &e);
  if (!f) return e;
  e = pp_staff_register_begin(r->api->store, &r->arena, jstr(f->body, "token"), now_s(), &f->cx);
  if (e == PP_ERR_STAFF_ENROL_TOKEN) { /* recorded, with nothing to change */
    f->refusal = e;
    memset(&f->cx.change, 0, sizeof f->cx.change);
    return submit(r, f, PP_AUDIT_STAFF_PASSKEY, refused);
  }
  if (e) {
    flight_end(r);
    return e;
  }
  return store_challenge(r, f, register_options);
}

static pp_err_t registered(pp_api_req_t *r) {
  pp_err_t e = outcome(r);
  flight_end(r);
  if (e) return e;
  r->status = 201;
  pp_buf_puts(&r->body, "{\"registered\":true}");
  return pp_buf_status(&r->body);
}

/* The credential object of a finish body and its response, or a refusal. */
static pp_err_t credential_of(json_t *j, json_t **resp) {
  json_t *cred = json_object_get(j, "credential");
  const char *type = json_string_value(json_object_get(cred, "type"));
  *resp = json_object_get(cred, "response");
  if (!json_is_object(cred) || !json_is_object(*resp)) return PP_ERR_WEBAUTHN_ENCODING;
  if (!type || strcmp(type, "public-key") != 0) return PP_ERR_WEBAUTHN_TYPE;
  return PP_OK;
}

/* The credential's rawId (its id when rawId is absent). */
static const char *raw_id_of(json_t *body) {
  json_t *cred = json_object_get(body, "credential");
  const char *raw_id = jstr(cred, "rawId");
  return raw_id ? raw_id : jstr(cred, "id");
}

/* Checks the body's credential response for a finish step (the RP and
 * the response object given) into f->cx. */
typedef pp_err_t (*check_fn)(pp_api_req_t *r, flight_t *f, const pp_webauthn_rp_t *rp,
                             json_t *resp);

/* A finish step: the credential checked by `check`, then its change (on a
 * refusal only the spent challenge) written with its event of `kind`;
 * `cont` answers. */
static pp_err_t finish_step(pp_api_req_t *r, check_fn check, pp_audit_kind_t kind,
                            pp_api_handler_fn cont) {
  pp_err_t e = PP_OK;
  json_t *resp = NULL;
  char rp_id[256], origin[256];
  flight_t *f = start(r, &e);
  if (!f) return e;
  pp_webauthn_rp_t rp = {.rp_id = rp_id, .origin = origin};
  e = rp_of(r, rp_id, origin);
  if (!e && !(e = credential_of(f->body, &resp))) e = check(r, f, &rp, resp);
  if (e == PP_ERR_STORE || e == PP_ERR_NOMEM || e == PP_ERR_INTERNAL) {
    flight_end(r);
    return e;
  }
  f->refusal = e;
  return submit(r, f, kind, cont);
}

static pp_err_t check_registration(pp_api_req_t *r, flight_t *f, const pp_webauthn_rp_t *rp,
                                   json_t *resp) {
  return pp_staff_register_finish(r->api->store, rp, jstr(f->body, "token"), raw_id_of(f->body),
                                  jstr(resp, "clientDataJSON"), jstr(resp, "attestationObject"),
                                  now_s(), &f->cx);
}

pp_err_t pp_api_staff_register_finish(pp_api_req_t *r) {
  return finish_step(r, check_registration, PP_AUDIT_STAFF_PASSKEY, registered);
}

/* ---- Sign-in ------------------------------------------------------------- */

static pp_err_t login_options(pp_api_req_t *r) {
  pp_staff_ceremony_t *cx = &((flight_t *)r->state)->cx;
  char rp_id[256];
  pp_jw_t w;
  pp_err_t e = options_open(r, &w, rp_id);
  if (e) return e;
  pp_jw_key(&w, "challenge");
  b64url(r, &w, cx->challenge, sizeof cx->challenge);
  pp_jw_kstr(&w, "rpId", rp_id);
  cred_list(r, &w, "allowCredentials", cx);
  pp_jw_kstr(&w, "userVerification", "required");
  pp_jw_kint(&w, "timeout", TIMEOUT_MS);
  return options_close(r, &w);
}

pp_err_t pp_api_staff_login_begin(pp_api_req_t *r) {
  pp_err_t e = PP_OK;
  flight_t *f = start(r, &e);
  if (!f) return e;
  e = pp_staff_login_begin(r->api->store, &r->arena, jstr(f->body, "name"), now_s(), &f->cx);
  if (e) {
    flight_end(r);
    return e;
  }
  if (!f->cx.known) {
    r->audit.recorded = true; /* a challenge handed out is no event */
    return login_options(r);
  }
  return store_challenge(r, f, login_options);
}

static pp_err_t signed_in(pp_api_req_t *r) {
  flight_t *f = r->state;
  pp_err_t e = outcome(r);
  char csrf[PP_STAFF_TEXT_SIZE];
  if (!e && !pp_staff_csrf(f->cx.session, csrf)) e = PP_ERR_INTERNAL;
  if (e) {
    flight_end(r);
    return e;
  }
  int64_t ttl = f->cx.token.expires - f->cx.token.created;
  char cookie[160];
  pp_staff_set_cookie(f->cx.session, ttl, cookie);
  r->set_cookie = pp_arena_strdup(&r->arena, cookie);
  sodium_memzero(cookie, sizeof cookie);
  flight_end(r);
  if (!r->set_cookie) return PP_ERR_NOMEM;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "name", f->cx.staff.name);
  pp_jw_kstr(&w, "role", f->cx.staff.role);
  pp_jw_kstr(&w, "csrf_token", csrf);
  pp_jw_kint(&w, "expires_in", ttl);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* The AuthenticationResponseJSON of a finish body's credential. */
static pp_staff_assertion_t assertion_of(json_t *body, json_t *resp) {
  return (pp_staff_assertion_t){.raw_id = raw_id_of(body),
                                .client_data_json = jstr(resp, "clientDataJSON"),
                                .authenticator_data = jstr(resp, "authenticatorData"),
                                .signature = jstr(resp, "signature")};
}

static pp_err_t check_assertion(pp_api_req_t *r, flight_t *f, const pp_webauthn_rp_t *rp,
                                json_t *resp) {
  pp_staff_assertion_t as = assertion_of(f->body, resp);
  return pp_staff_login_finish(r->api->store, rp, &as, now_s(), r->api->staff_session_s, &f->cx);
}

pp_err_t pp_api_staff_login_finish(pp_api_req_t *r) {
  return finish_step(r, check_assertion, PP_AUDIT_STAFF_SIGN_IN, signed_in);
}

/* ---- Sign-out ------------------------------------------------------------ */

static pp_err_t signed_out(pp_api_req_t *r) {
  pp_err_t e = outcome(r);
  flight_end(r);
  if (e == PP_ERR_NOT_FOUND) e = PP_ERR_STAFF_SESSION; /* ended meanwhile */
  if (e) return e;
  char cookie[160];
  pp_staff_set_cookie(NULL, 0, cookie);
  r->set_cookie = pp_arena_strdup(&r->arena, cookie);
  r->status = 204;
  return r->set_cookie ? PP_OK : PP_ERR_NOMEM;
}

pp_err_t pp_api_staff_logout(pp_api_req_t *r) {
  flight_t *f = flight_new(r, NULL);
  if (!f) return PP_ERR_NOMEM;
  pp_err_t e = member_of(r, f);
  if (e == PP_ERR_STORE) {
    flight_end(r);
    return e;
  }
  if (!e) f->cx.change.end = f->who.session.hash;
  f->refusal = e;
  return submit(r, f, PP_AUDIT_STAFF_SIGN_OUT, signed_out);
}

/* ---- Fresh user verification for an action ------------------------------ */

pp_err_t pp_api_staff_uv_begin(pp_api_req_t *r) {
  pp_err_t e = PP_OK;
  flight_t *f = start(r, &e);
  if (!f) return e;
  if (!(e = member_of(r, f)))
    e = pp_staff_uv_begin(r->api->store, &f->who, jstr(f->body, "action"), now_s(), &f->cx);
  if (e == PP_ERR_STAFF_SESSION || e == PP_ERR_STAFF_CSRF) { /* recorded */
    memset(&f->cx.change, 0, sizeof f->cx.change);
    f->refusal = e;
    return submit(r, f, PP_AUDIT_STAFF_UV, refused);
  }
  if (e) {
    flight_end(r);
    return e == PP_ERR_INVALID_PARAM ? pp_api_fail(r, e, "action") : e;
  }
  return store_challenge(r, f, login_options);
}

static pp_err_t check_uv(pp_api_req_t *r, flight_t *f, const pp_webauthn_rp_t *rp, json_t *resp) {
  pp_err_t e = member_of(r, f);
  if (e) return e;
  pp_staff_assertion_t as = assertion_of(f->body, resp);
  return pp_staff_uv_finish(r->api->store, rp, &f->who, jstr(f->body, "action"), &as, now_s(),
                            &f->cx);
}

static pp_err_t verified(pp_api_req_t *r) {
  flight_t *f = r->state;
  pp_err_t e = outcome(r);
  char action[PP_STAFF_ACTION_SIZE] = "";
  if (!e) snprintf(action, sizeof action, "%s", f->cx.change.uv_action); /* the body's */
  flight_end(r);
  if (e) return e;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "action", action);
  pp_jw_kint(&w, "expires_in", PP_STAFF_UV_TTL_S);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

pp_err_t pp_api_staff_uv_finish(pp_api_req_t *r) {
  return finish_step(r, check_uv, PP_AUDIT_STAFF_UV, verified);
}

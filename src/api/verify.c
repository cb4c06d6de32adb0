/* verify.c: Verify v2 services, verifications (SMS one-time codes) and
 * their checks, and the services' rate limits with their buckets, always
 * in the credential's account.  Codes are made from libsodium's CSPRNG,
 * kept only as keyed hashes, and sent in a message whose stored body has
 * the code masked; the real text travels sealed to the delivery engine
 * (docs/internals/verify.md). */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/verify_int.h"
#include "core/clock.h"
#include "core/phone.h"
#include "core/segments.h"
#include "verify/events.h"
#include "verify/factor.h"
#include "verify/geo.h"
#include "verify/verification.h"

/* The fraud guard (docs/internals/verify.md): a prefix is the country code
 * and the next PREFIX_DIGITS digits; the baseline weighs each finished
 * bucket with FRAUD_ALPHA (about the last ten buckets count). */
#define PREFIX_DIGITS 4
#define FRAUD_ALPHA 0.1

/* ---- shared helpers ------------------------------------------------------ */

pp_err_t pp_api_verify_load_service(pp_api_req_t *r, pp_verify_service_t *out) {
  pp_err_t e = pp_store_verify_service_get(r->api->store, &r->arena, r->principal.account_sid,
                                           r->params[0], out);
  return pp_api_found(r, e);
}

pp_err_t pp_api_verify_int_param(pp_api_req_t *r, const char *name, long lo, long hi, pp_err_t bad,
                                 int *out) {
  const char *v = pp_form_get(&r->form, name);
  if (!v) return PP_OK;
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < lo || n > hi)
    return pp_api_fail(r, bad,
                       pp_arena_printf(&r->arena, "%s must be from %ld to %ld", name, lo, hi));
  *out = (int)n;
  return PP_OK;
}

char *pp_api_verify_url(pp_api_req_t *r, const char *fmt, ...) {
  char tail[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tail, sizeof tail, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tail) return NULL;
  return pp_arena_printf(&r->arena, "%s/verify/v2/Services%s", r->api->public_url, tail);
}

void pp_api_verify_kdates(pp_jw_t *w, int64_t created, int64_t updated) {
  pp_api_kiso8601_or_null(w, "date_created", created);
  pp_api_kiso8601_or_null(w, "date_updated", updated);
}

void pp_api_verify_klinks(pp_api_req_t *r, pp_jw_t *w, const char *url,
                          const char *const (*links)[2], size_t n) {
  pp_jw_kstr(w, "url", url);
  pp_jw_key(w, "links");
  pp_jw_obj_begin(w);
  for (size_t i = 0; i < n; i++)
    pp_jw_kstr(w, links[i][0], url ? pp_arena_printf(&r->arena, "%s/%s", url, links[i][1]) : NULL);
  pp_jw_obj_end(w);
}

void pp_api_verify_kraw(pp_jw_t *w, const char *key, const char *json) {
  pp_jw_key(w, key);
  if (json)
    pp_jw_rawf(w, "%s", json);
  else
    pp_jw_null(w);
}

pp_err_t pp_api_verify_delete(pp_api_req_t *r, pp_write_kind_t kind, const char *sid) {
  char *copy = pp_arena_strdup(&r->arena, sid);
  if (!copy) return PP_ERR_NOMEM;
  r->write.kind = kind;
  r->write.u.ref = (pp_ref_t){r->principal.account_sid, copy};
  return pp_api_submit(r, pp_api_deleted);
}

/* ---- Services ------------------------------------------------------------ */

_Static_assert(offsetof(pp_verify_service_t, seq) == 0, "a listed row starts with its seq");
static void render_service(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_verify_service_t *sv = row;
  pp_api_audit_touch(r, sv->sid); /* read under a lockbox grant: named in its event */
  static const char *const links[][2] = {
      {"verification_checks", "VerificationCheck"},
      {"verifications", "Verifications"},
      {"access_tokens", "AccessTokens"},
      {"rate_limits", "RateLimits"},
      {"messaging_configurations", "MessagingConfigurations"},
      {"entities", "Entities"},
      {"webhooks", "Webhooks"},
  };
  const char *url = pp_api_verify_url(r, "/%s", sv->sid);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", sv->sid);
  pp_jw_kstr(w, "account_sid", sv->account_sid);
  pp_jw_kstr(w, "friendly_name", sv->friendly_name);
  pp_jw_kint(w, "code_length", sv->code_length);
  pp_jw_kbool(w, "lookup_enabled", sv->lookup_enabled);
  pp_jw_kbool(w, "psd2_enabled", sv->psd2_enabled);
  pp_jw_kbool(w, "skip_sms_to_landlines", sv->skip_sms_to_landlines);
  pp_jw_kbool(w, "dtmf_input_required", sv->dtmf_input_required);
  pp_jw_kstr(w, "tts_name", sv->tts_name);
  pp_jw_kbool(w, "do_not_share_warning_enabled", sv->do_not_share_warning_enabled);
  pp_jw_kbool(w, "custom_code_enabled", sv->custom_code_enabled);
  pp_jw_key(w, "push");
  pp_jw_obj_begin(w);
  pp_jw_kbool(w, "include_date", sv->push_include_date);
  pp_jw_kstr(w, "apn_credential_sid", sv->push_apn_credential_sid);
  pp_jw_kstr(w, "fcm_credential_sid", sv->push_fcm_credential_sid);
  pp_jw_obj_end(w);
  pp_jw_key(w, "totp");
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "issuer", sv->totp_issuer ? sv->totp_issuer : sv->friendly_name);
  pp_jw_kint(w, "time_step", sv->totp_time_step);
  pp_jw_kint(w, "code_length", sv->totp_code_length);
  pp_jw_kint(w, "skew", sv->totp_skew);
  pp_jw_obj_end(w);
  pp_jw_kstr(w, "default_template_sid", sv->default_template_sid);
  pp_jw_key(w, "whatsapp");
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "msg_service_sid", sv->whatsapp_msg_service_sid);
  pp_jw_kstr(w, "from", sv->whatsapp_from);
  pp_jw_obj_end(w);
  pp_jw_knull(w, "passkeys");
  pp_jw_kbool(w, "verify_event_subscription_enabled", sv->verify_event_subscription_enabled);
  pp_api_verify_kdates(w, sv->date_created, sv->date_updated);
  pp_api_verify_klinks(r, w, url, links, sizeof links / sizeof links[0]);
  pp_jw_obj_end(w);
}

/* A form string into an optional setting: "" clears it. */
static pp_err_t opt_text(pp_api_req_t *r, const char *name, size_t max, const char **field) {
  const char *v = pp_form_get(&r->form, name);
  if (!v) return PP_OK;
  if (strlen(v) > max)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM,
                       pp_arena_printf(&r->arena, "%s is longer than %zu characters", name, max));
  *field = *v ? v : NULL;
  return PP_OK;
}

/* Pipit.AllowedCountryCodes: country codes (E.164 CC, "+" optional)
 * separated by commas, kept as "1,44"; "" allows every country. */
static pp_err_t country_codes(pp_api_req_t *r, pp_verify_service_t *sv) {
  const char *v = pp_form_get(&r->form, "Pipit.AllowedCountryCodes");
  if (!v) return PP_OK;
  if (strlen(v) > 255)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM,
                       "Pipit.AllowedCountryCodes is longer than 255 characters");
  char out[256];
  const char *bad;
  size_t len;
  if (!pp_verify_geo_parse(v, out, sizeof out, &bad, &len))
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM,
                       pp_arena_printf(&r->arena,
                                       "Pipit.AllowedCountryCodes: '%.*s' is not a country "
                                       "code",
                                       (int)len, bad));
  if (!*out) {
    sv->allowed_country_codes = NULL;
    return PP_OK;
  }
  sv->allowed_country_codes = pp_arena_strdup(&r->arena, out);
  return sv->allowed_country_codes ? PP_OK : PP_ERR_NOMEM;
}

/* Applies the settable fields of the form to `sv` (create and update). */
static pp_err_t service_form(pp_api_req_t *r, pp_verify_service_t *sv, bool create) {
  static const pp_api_field_t flags[] = {
      {"LookupEnabled", offsetof(pp_verify_service_t, lookup_enabled)},
      {"Psd2Enabled", offsetof(pp_verify_service_t, psd2_enabled)},
      {"SkipSmsToLandlines", offsetof(pp_verify_service_t, skip_sms_to_landlines)},
      {"DtmfInputRequired", offsetof(pp_verify_service_t, dtmf_input_required)},
      {"DoNotShareWarningEnabled", offsetof(pp_verify_service_t, do_not_share_warning_enabled)},
      {"CustomCodeEnabled", offsetof(pp_verify_service_t, custom_code_enabled)},
      {"Push.IncludeDate", offsetof(pp_verify_service_t, push_include_date)},
      {"VerifyEventSubscriptionEnabled",
       offsetof(pp_verify_service_t, verify_event_subscription_enabled)},
      /* Pipit's own: Twilio switches Fraud Guard per service in its
       * Console, not in the API. */
      {"Pipit.FraudGuard", offsetof(pp_verify_service_t, fraud_guard)},
  };
  static const pp_api_field_t texts[] = {
      {"TtsName", offsetof(pp_verify_service_t, tts_name)},
      {"Push.ApnCredentialSid", offsetof(pp_verify_service_t, push_apn_credential_sid)},
      {"Push.FcmCredentialSid", offsetof(pp_verify_service_t, push_fcm_credential_sid)},
      {"DefaultTemplateSid", offsetof(pp_verify_service_t, default_template_sid)},
      {"Whatsapp.MsgServiceSid", offsetof(pp_verify_service_t, whatsapp_msg_service_sid)},
      {"Whatsapp.From", offsetof(pp_verify_service_t, whatsapp_from)},
      {"Totp.Issuer", offsetof(pp_verify_service_t, totp_issuer)},
  };
  const char *name = pp_form_get(&r->form, "FriendlyName");
  if (create && (!name || !*name)) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FriendlyName");
  if (name) {
    if (!*name || strlen(name) >= sizeof sv->friendly_name)
      return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "FriendlyName must be 1 to 64 characters");
    snprintf(sv->friendly_name, sizeof sv->friendly_name, "%s", name);
  }
  pp_err_t e;
  if ((e = pp_api_form_flags(r, sv, flags, sizeof flags / sizeof flags[0], PP_ERR_VERIFY_PARAM)))
    return e;
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    if ((e = opt_text(r, texts[i].param, 255, (const char **)((char *)sv + texts[i].off))))
      return e;
  if ((e = pp_api_verify_int_param(r, "CodeLength", PP_VERIFY_CODE_MIN, PP_VERIFY_CODE_MAX,
                                   PP_ERR_VERIFY_PARAM, &sv->code_length)) ||
      (e = pp_api_verify_int_param(r, "Totp.TimeStep", PP_VERIFY_TOTP_STEP_MIN,
                                   PP_VERIFY_TOTP_STEP_MAX, PP_ERR_VERIFY_PARAM,
                                   &sv->totp_time_step)) ||
      (e = pp_api_verify_int_param(r, "Totp.CodeLength", PP_VERIFY_TOTP_DIGITS_MIN,
                                   PP_VERIFY_TOTP_DIGITS_MAX, PP_ERR_VERIFY_PARAM,
                                   &sv->totp_code_length)) ||
      (e = pp_api_verify_int_param(r, "Totp.Skew", 0, PP_VERIFY_TOTP_SKEW_MAX, PP_ERR_VERIFY_PARAM,
                                   &sv->totp_skew)) ||
      /* Pipit's own setting (DESIGN.md rule 5). */
      (e = pp_api_verify_int_param(r, "Pipit.EnrollmentWait", PP_VERIFY_ENROLL_WAIT_MIN,
                                   PP_VERIFY_ENROLL_WAIT_MAX, PP_ERR_VERIFY_PARAM,
                                   &sv->enrollment_wait)))
    return e;
  return country_codes(r, sv);
}

/* Answers the write of row r->state (a create's or an update's): 404 with
 * the path when the row is gone, the write's error, or the row rendered by
 * `render`, 201 when the write was `insert`, 200 otherwise. */
static pp_err_t written(pp_api_req_t *r, pp_write_kind_t insert, pp_api_render_fn *render) {
  pp_err_t e = pp_api_found(r, r->write.result);
  return e ? e : pp_api_respond(r, r->write.kind == insert ? 201 : 200, render, r->state);
}

static pp_err_t service_written(pp_api_req_t *r) {
  return written(r, PP_W_VERIFY_SERVICE_INSERT, render_service);
}

pp_err_t pp_api_verify_service_create(pp_api_req_t *r) {
  pp_verify_service_t *sv = pp_arena_alloc(&r->arena, sizeof *sv);
  if (!sv) return PP_ERR_NOMEM;
  /* Twilio's defaults. */
  *sv = (pp_verify_service_t){.code_length = 6,
                              .dtmf_input_required = true,
                              .totp_time_step = 30,
                              .totp_code_length = 6,
                              .totp_skew = 1,
                              .enrollment_wait = 86400,
                              .fraud_guard = true};
  pp_err_t e = service_form(r, sv, true);
  if (e) return e;
  pp_sid_new(sv->sid, "VA");
  memcpy(sv->account_sid, r->principal.account_sid, sizeof sv->account_sid);
  sv->date_created = sv->date_updated = pp_clock_now();
  r->state = sv;
  r->write.kind = PP_W_VERIFY_SERVICE_INSERT;
  r->write.u.verify_service = sv;
  return pp_api_submit_event(r, PP_AUDIT_VERIFY_SERVICE_CREATE, NULL, sv->sid, service_written);
}

pp_err_t pp_api_verify_service_fetch(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  return e ? e : pp_api_respond(r, 200, render_service, &sv);
}

pp_err_t pp_api_verify_service_update(pp_api_req_t *r) {
  pp_verify_service_t *sv = pp_arena_alloc(&r->arena, sizeof *sv);
  if (!sv) return PP_ERR_NOMEM;
  pp_err_t e = pp_api_verify_load_service(r, sv);
  if (e || (e = service_form(r, sv, false))) return e;
  sv->date_updated = pp_clock_now();
  r->state = sv;
  r->write.kind = PP_W_VERIFY_SERVICE_UPDATE;
  r->write.u.verify_service = sv;
  return pp_api_submit_event(r, PP_AUDIT_VERIFY_SERVICE_UPDATE, NULL, sv->sid, service_written);
}

pp_err_t pp_api_verify_service_delete(pp_api_req_t *r) {
  /* Its entities, factors and challenges go with it (named by the
   * service: their own events named them when they were made). */
  pp_api_audit_attach(r, PP_AUDIT_VERIFY_SERVICE_DELETE, NULL, &r->params[0], 1);
  return pp_api_verify_delete(r, PP_W_VERIFY_SERVICE_DELETE, r->params[0]);
}

pp_err_t pp_api_verify_service_list(pp_api_req_t *r) {
  pp_api_page_t pg;
  pp_err_t e = pp_api_page_parse(r, &pg);
  if (e) return e;
  pp_verify_service_t *rows;
  size_t n;
  bool more;
  e = pp_store_verify_service_list(r->api->store, &r->arena, r->principal.account_sid, &pg.req,
                                   &rows, &n, &more);
  if (e) return e;
  return pp_api_meta_list_respond(r, "services", pp_api_verify_url(r, "%s", ""), "", &pg, rows,
                                  sizeof *rows, n, more, render_service);
}

/* ---- Verifications -------------------------------------------------------- */

/* The status a client sees now (verification.h). */
static const char *status_now(const pp_verification_t *v) {
  return pp_verify_status_now(v->status, v->expires_at, pp_clock_now());
}

static void render_verification_fields(pp_api_req_t *r, pp_jw_t *w, const pp_verification_t *v) {
  const char *status = status_now(v);
  pp_jw_kstr(w, "sid", v->sid);
  pp_jw_kstr(w, "service_sid", v->service_sid);
  pp_jw_kstr(w, "account_sid", v->account_sid);
  pp_jw_kstr(w, "to", v->to);
  pp_jw_kstr(w, "channel", v->channel);
  pp_jw_kstr(w, "status", status);
  pp_jw_kbool(w, "valid", strcmp(status, "approved") == 0);
  pp_jw_knull(w, "amount");
  pp_jw_knull(w, "payee");
  pp_api_verify_kdates(w, v->date_created, v->date_updated);
  (void)r;
}

static void render_verification(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_verification_t *v = row;
  pp_jw_obj_begin(w);
  render_verification_fields(r, w, v);
  pp_jw_key(w, "lookup");
  pp_jw_rawf(w, "{}");
  pp_api_verify_kraw(w, "send_code_attempts", v->send_attempts ? v->send_attempts : "[]");
  pp_jw_knull(w, "sna");
  pp_jw_kstr(w, "url", pp_api_verify_url(r, "/%s/Verifications/%s", v->service_sid, v->sid));
  pp_jw_obj_end(w);
}

static void render_check(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  pp_jw_obj_begin(w);
  render_verification_fields(r, w, row);
  pp_jw_key(w, "sna_attempts_error_codes");
  pp_jw_rawf(w, "[]");
  pp_jw_obj_end(w);
}

/* Appends {"attempt_sid","channel","time"} to the JSON array `prev`. */
static char *attempts_add(pp_api_req_t *r, const char *prev, const char *channel, int64_t now) {
  char attempt[PP_SID_SIZE], when[PP_ISO8601_SIZE];
  pp_sid_new(attempt, "VL");
  pp_iso8601(now, when);
  size_t plen = prev ? strlen(prev) : 0;
  bool empty = plen < 3; /* "[]" */
  return pp_arena_printf(
      &r->arena, "%.*s%s{\"attempt_sid\":\"%s\",\"channel\":\"%s\",\"time\":\"%s\"}]",
      empty ? 1 : (int)plen - 1, empty ? "[" : prev, empty ? "" : ",", attempt, channel, when);
}

/* Turns the RateLimits parameter ({"unique_name": "key", ...}) into one hit
 * per bucket of each named rate limit of the service.  Unknown names are
 * 60200.  Keys are kept only as keyed hashes. */
static pp_err_t rate_hits(pp_api_req_t *r, const pp_verify_service_t *sv, pp_rate_hit_t **out,
                          size_t *nout) {
  *out = NULL;
  *nout = 0;
  const char *param = pp_form_get(&r->form, "RateLimits");
  if (!param || !*param) return PP_OK;
  json_error_t jerr;
  json_t *obj = json_loads(param, 0, &jerr);
  if (!obj || !json_is_object(obj)) {
    json_decref(obj);
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "RateLimits must be a JSON object");
  }
  pp_api_page_t all = {.req = {.limit = 1000}};
  pp_rate_limit_t *limits;
  size_t nl;
  bool more;
  pp_err_t e = pp_store_rate_limit_list(r->api->store, &r->arena, sv->account_sid, sv->sid,
                                        &all.req, &limits, &nl, &more);
  size_t cap = 0, n = 0;
  pp_rate_hit_t *hits = NULL;
  const char *name;
  json_t *val;
  json_object_foreach(obj, name, val) {
    if (e) break;
    size_t i = 0;
    while (i < nl && strcmp(limits[i].unique_name, name) != 0) i++;
    if (i == nl) {
      e = pp_api_fail(r, PP_ERR_VERIFY_PARAM,
                      pp_arena_printf(&r->arena, "RateLimits: no rate limit named %s", name));
      break;
    }
    char num[32];
    const char *key = json_is_string(val) ? json_string_value(val) : NULL;
    if (json_is_integer(val)) {
      snprintf(num, sizeof num, "%lld", (long long)json_integer_value(val));
      key = num;
    }
    if (!key) {
      e = pp_api_fail(r, PP_ERR_VERIFY_PARAM, "RateLimits values must be strings or integers");
      break;
    }
    pp_rate_bucket_t *buckets;
    size_t nb;
    if ((e = pp_store_rate_bucket_list(r->api->store, &r->arena, sv->account_sid, limits[i].sid,
                                       &all.req, &buckets, &nb, &more)))
      break;
    if (n + nb > cap) {
      size_t ncap = (n + nb) * 2;
      pp_rate_hit_t *grown = pp_arena_alloc(&r->arena, ncap * sizeof *grown);
      if (!grown) {
        e = PP_ERR_NOMEM;
        break;
      }
      if (n) memcpy(grown, hits, n * sizeof *hits);
      hits = grown;
      cap = ncap;
    }
    for (size_t b = 0; b < nb; b++, n++) {
      memcpy(hits[n].bucket_sid, buckets[b].sid, sizeof hits[n].bucket_sid);
      pp_verify_hash(r->api->verify_keys, limits[i].sid, key, hits[n].key_hash);
      hits[n].max = buckets[b].max;
      hits[n].interval = buckets[b].interval;
    }
  }
  json_decref(obj);
  if (e) return e;
  *out = hits;
  *nout = n;
  return PP_OK;
}

typedef struct {
  pp_verification_t v;
  pp_message_t m;
  pp_fraud_check_t fraud;
  pp_alert_t alert;
  char prefix[16];
  char service_sid[PP_SID_SIZE]; /* the write reads it after the handler returned */
} send_state_t;

/* Sets up the fraud guard's check of a send to `to` in st->fraud, with
 * the alert it raises when it refuses one.  A service with the guard off
 * is counted all the same (its baseline is ready when it is turned on). */
static pp_err_t fraud_check(pp_api_req_t *r, const pp_verify_service_t *sv, const char *to,
                            send_state_t *st, int64_t now) {
  pp_api_fraud_t o = r->api->fraud;
  if (o.bucket_s <= 0)
    o = (pp_api_fraud_t){.bucket_s = 3600, .floor = 20, .multiple = 5, .block_s = 43200};
  if (!pp_phone_prefix(to, PREFIX_DIGITS, st->prefix, sizeof st->prefix)) return PP_ERR_INTERNAL;
  memcpy(st->service_sid, sv->sid, sizeof st->service_sid);
  pp_alert_t *al = &st->alert;
  pp_sid_new(al->sid, "NO");
  memcpy(al->account_sid, sv->account_sid, sizeof al->account_sid);
  al->error_code = pp_err_twilio_code(PP_ERR_VERIFY_FRAUD_BLOCKED);
  snprintf(al->log_level, sizeof al->log_level, "error");
  char text[300];
  pp_err_message(PP_ERR_VERIFY_FRAUD_BLOCKED,
                 pp_arena_printf(&r->arena,
                                 "Fraud Guard found SMS to the prefix %s far above its "
                                 "baseline and blocked it",
                                 st->prefix),
                 text, sizeof text);
  /* Twilio's alert_text is a query string of the facts. */
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_buf_puts(&b, "Msg=");
  pp_buf_url_encode(&b, text);
  pp_buf_puts(&b, "&prefix=");
  pp_buf_url_encode(&b, st->prefix);
  pp_buf_puts(&b, "&channel=sms");
  al->alert_text = pp_buf_status(&b) ? NULL : pp_arena_strdup(&r->arena, b.data);
  pp_buf_cleanup(&b);
  al->request_method = "POST";
  al->request_url = pp_api_verify_url(r, "/%s/Verifications", sv->sid);
  al->resource_sid = st->service_sid;
  al->service_sid = st->service_sid;
  al->date_created = now;
  if (!al->alert_text || !al->request_url) return PP_ERR_NOMEM;
  st->fraud = (pp_fraud_check_t){.service_sid = st->service_sid,
                                 .prefix = st->prefix,
                                 .bucket_s = o.bucket_s,
                                 .alpha = FRAUD_ALPHA,
                                 .multiple = o.multiple,
                                 .floor = o.floor,
                                 .block_s = o.block_s,
                                 .enforce = sv->fraud_guard,
                                 .alert = al};
  return PP_OK;
}

static pp_err_t verification_sent(pp_api_req_t *r) {
  send_state_t *st = r->state;
  pp_err_t e = r->write.result;
  if (!e && st->fraud.refused) {
    char until[PP_ISO8601_SIZE];
    pp_iso8601(st->fraud.blocked_until, until);
    return pp_api_fail(
        r, PP_ERR_VERIFY_FRAUD_BLOCKED,
        pp_arena_printf(&r->arena, "Fraud Guard blocked SMS to the prefix %s until %s", st->prefix,
                        until));
  }
  /* A conflict is a concurrent send to the same verification. */
  if (e == PP_ERR_CONFLICT || e == PP_ERR_VERIFY_CONCURRENT)
    return pp_api_fail(r, PP_ERR_VERIFY_CONCURRENT, st->v.to);
  if (e) return e;
  return pp_api_respond(r, 201, render_verification, &st->v);
}

/* What a create asks for: the form's To, Channel and CustomCode (NULL when
 * not given). */
typedef struct {
  const char *to, *channel, *custom;
} send_req_t;

/* Parses the form of a create for service `sv` into *q, refusing what the
 * service's rules refuse before anything is counted or written: a channel
 * other than sms (60223 for Twilio's others), a `To` that is not E.164
 * with a whole country code, a country outside the geo permissions
 * (60605), a CustomCode the service does not allow or that is not 4 to 10
 * digits. */
static pp_err_t send_parse(pp_api_req_t *r, const pp_verify_service_t *sv, send_req_t *q) {
  q->to = pp_form_get(&r->form, "To");
  q->channel = pp_form_get(&r->form, "Channel");
  q->custom = pp_form_get(&r->form, "CustomCode");
  if (q->custom && !*q->custom) q->custom = NULL;
  if (!q->to || !*q->to) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "To");
  if (!q->channel || !*q->channel) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Channel");
  static const char *const later[] = {"call", "email", "whatsapp", "sna", "rcs", "auto"};
  for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
    if (strcmp(q->channel, later[i]) == 0)
      return pp_api_fail(
          r, PP_ERR_VERIFY_CHANNEL,
          pp_arena_printf(&r->arena, "%s (Pipit sends codes by sms only)", q->channel));
  if (strcmp(q->channel, "sms") != 0)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "Channel must be sms, call, email or whatsapp");
  /* E.164 with a whole country code: the geo permissions and the fraud
   * guard's prefix need it. */
  int cc = pp_phone_country_code_len(q->to);
  if (!cc) return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "To must be E.164");
  if (!pp_verify_geo_allowed(sv->allowed_country_codes, q->to))
    return pp_api_fail(r, PP_ERR_VERIFY_GEO_BLOCKED,
                       pp_arena_printf(&r->arena,
                                       "the country code +%.*s is not in the service's geo "
                                       "permissions",
                                       cc, q->to + 1));
  if (q->custom && !sv->custom_code_enabled)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "CustomCode is not enabled for this service");
  if (q->custom && !pp_verify_code_ok(q->custom))
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "CustomCode must be 4 to 10 digits");
  return PP_OK;
}

/* Decides the send at `now` into st->v (verification.h,
 * pp_verify_send_decide): a pending verification to the same number is
 * sent again (a new code; every code it sent stays valid), up to
 * PP_VERIFY_MAX_SENDS sends (60203); otherwise a new one is made.  The
 * code (`custom`, or a new one of the service's length) goes into `code`
 * and its hash into the row; *resend tells which. */
static pp_err_t send_decide(pp_api_req_t *r, const pp_verify_service_t *sv, const send_req_t *q,
                            int64_t now, send_state_t *st, bool *resend, char code[11]) {
  pp_verification_t *v = &st->v;
  pp_err_t e =
      pp_store_verification_get(r->api->store, &r->arena, sv->account_sid, sv->sid, NULL, q->to, v);
  if (e && e != PP_ERR_NOT_FOUND) return e;
  if ((e = pp_verify_send_decide(e ? NULL : pp_verify_status_now(v->status, v->expires_at, now),
                                 v->sends, PP_VERIFY_MAX_SENDS, resend)))
    return pp_api_fail(r, e, NULL);
  int prev_sends = *resend ? v->sends : 0;
  if (!*resend) {
    memset(v, 0, sizeof *v);
    pp_sid_new(v->sid, "VE");
    memcpy(v->service_sid, sv->sid, sizeof v->service_sid);
    memcpy(v->account_sid, sv->account_sid, sizeof v->account_sid);
    snprintf(v->to, sizeof v->to, "%s", q->to);
    snprintf(v->channel, sizeof v->channel, "%s", q->channel);
    snprintf(v->status, sizeof v->status, "pending");
    v->expires_at = now + PP_VERIFY_TTL;
    v->date_created = now;
  }
  if (q->custom)
    snprintf(code, 11, "%s", q->custom);
  else
    pp_verify_code_new(sv->code_length, code);
  pp_verify_hash(r->api->verify_keys, v->sid, code, v->code_hashes[prev_sends]);
  v->sends = prev_sends + 1;
  v->date_updated = now;
  v->send_attempts = attempts_add(r, *resend ? v->send_attempts : NULL, q->channel, now);
  return v->send_attempts ? PP_OK : PP_ERR_NOMEM;
}

/* Builds st->m, the SMS of `code` from `from`, queued at `now`: its stored
 * body has the code masked; the real text is sealed with the account's
 * key into *sealed (arena), and every plaintext copy is wiped. */
static pp_err_t send_message(pp_api_req_t *r, const pp_verify_service_t *sv, const char *from,
                             const char *code, int64_t now, send_state_t *st,
                             unsigned char **sealed, size_t *sealed_len) {
  pp_message_t *m = &st->m;
  pp_sid_new(m->sid, "SM");
  char text[256], shown[256];
  bool warn = sv->do_not_share_warning_enabled;
  int tlen = pp_verify_sms_text(text, sizeof text, sv->friendly_name, warn, code, false);
  pp_verify_sms_text(shown, sizeof shown, sv->friendly_name, warn, code, true);
  unsigned char *blob = NULL;
  *sealed = NULL;
  pp_err_t e = (tlen < 0 || (size_t)tlen >= sizeof text)
                   ? PP_ERR_NOMEM
                   : pp_store_seal(r->api->store, sv->account_sid, "messages", "sealed_body",
                                   m->sid, text, (size_t)tlen, &blob, sealed_len);
  sodium_memzero(text, sizeof text);
  if (!e && !(*sealed = pp_arena_alloc(&r->arena, *sealed_len))) e = PP_ERR_NOMEM;
  if (!e) memcpy(*sealed, blob, *sealed_len);
  free(blob);
  if (e) return e;
  pp_segments_t seg;
  pp_segments_count(shown, strlen(shown), &seg);
  memcpy(m->account_sid, sv->account_sid, sizeof m->account_sid);
  m->to = st->v.to;
  if (!(m->from = pp_arena_strdup(&r->arena, from)) ||
      !(m->body = pp_arena_strdup(&r->arena, shown)))
    return PP_ERR_NOMEM;
  m->media_urls = "";
  m->direction = "outbound-api";
  m->status = "queued";
  m->num_segments = (int)seg.segments;
  m->validity_period = PP_VERIFY_TTL; /* a code is no use after its verification */
  m->date_created = m->date_updated = now;
  return PP_OK;
}

/* Parses (send_parse), decides (send_decide, with the rate limits' hits
 * and the fraud guard's check that the store decides in the send's
 * transaction), builds the message (send_message), and renders the
 * verification once the write committed (verification_sent). */
pp_err_t pp_api_verification_create(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e) return e;
  if (!r->api->verify_keys) return PP_ERR_INTERNAL;
  send_req_t q;
  if ((e = send_parse(r, &sv, &q))) return e;
  pp_rate_hit_t *hits;
  size_t nhits;
  if ((e = rate_hits(r, &sv, &hits, &nhits))) return e;
  char from[20];
  e = pp_store_verify_sender(r->api->store, sv.account_sid, from);
  if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, PP_ERR_VERIFY_NO_SENDER, NULL);
  if (e) return e;

  send_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  int64_t now = pp_clock_now();
  if ((e = fraud_check(r, &sv, q.to, st, now))) return e;
  bool resend = false;
  char code[11];
  unsigned char *sealed = NULL;
  size_t sealed_len = 0;
  e = send_decide(r, &sv, &q, now, st, &resend, code);
  if (!e) e = send_message(r, &sv, from, code, now, st, &sealed, &sealed_len);
  sodium_memzero(code, sizeof code);
  if (e) return e;

  r->state = st;
  r->write.kind = PP_W_VERIFY_SEND;
  r->write.u.verify_send = (pp_verify_send_t){.v = &st->v,
                                              .is_new = !resend,
                                              .prev_sends = st->v.sends - 1,
                                              .max_pending = PP_VERIFY_PENDING_PER_TO,
                                              .hits = hits,
                                              .nhits = nhits,
                                              .message = &st->m,
                                              .message_sealed = sealed,
                                              .message_sealed_len = sealed_len,
                                              .now = now,
                                              .fraud = &st->fraud};
  return pp_api_submit(r, verification_sent);
}

/* Reads verification r->params[1] of service r->params[0]. */
static pp_err_t load_verification(pp_api_req_t *r, pp_verification_t *v) {
  pp_err_t e = pp_store_verification_get(r->api->store, &r->arena, r->principal.account_sid,
                                         r->params[0], r->params[1], NULL, v);
  return pp_api_found(r, e);
}

pp_err_t pp_api_verification_fetch(pp_api_req_t *r) {
  pp_verification_t v;
  pp_err_t e = load_verification(r, &v);
  return e ? e : pp_api_respond(r, 200, render_verification, &v);
}

static pp_err_t verification_updated(pp_api_req_t *r) {
  pp_err_t e = r->write.result;
  if (e == PP_ERR_CONFLICT) return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  if (e) return e;
  return pp_api_verification_fetch(r);
}

pp_err_t pp_api_verification_update(pp_api_req_t *r) {
  pp_verification_t v;
  pp_err_t e = load_verification(r, &v);
  if (e) return e;
  const char *status = pp_form_get(&r->form, "Status");
  if (!status || !*status) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Status");
  if (strcmp(status, "canceled") != 0 && strcmp(status, "approved") != 0)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "Status must be canceled or approved");
  if (strcmp(status_now(&v), "pending") != 0) return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  r->write.kind = PP_W_VERIFY_SET;
  r->write.u.verify_set =
      (pp_verify_set_t){.account_sid = r->principal.account_sid,
                        .sid = r->params[1],
                        .status = strcmp(status, "approved") == 0 ? "approved" : "canceled",
                        .checks = v.checks,
                        .if_checks = -1,
                        .now = pp_clock_now()};
  return pp_api_submit(r, verification_updated);
}

typedef struct {
  pp_verification_t v;
  unsigned char hash[PP_VERIFY_HASH_LEN];
  char sid[PP_SID_SIZE];
  int rounds;
} check_state_t;

/* Decides a check of st->v against st->hash and fills r->write; or fails
 * (20404 for a verification that is not pending, 60202 once its checks
 * are used up). */
static pp_err_t check_decide(pp_api_req_t *r, check_state_t *st) {
  pp_verification_t *v = &st->v;
  pp_verify_check_t c;
  pp_err_t e = pp_verify_check_decide(status_now(v), v->checks, PP_VERIFY_MAX_CHECKS,
                                      v->code_hashes[0], v->sends, st->hash, &c);
  if (e) return pp_api_fail(r, e, e == PP_ERR_NOT_FOUND ? r->path : NULL);
  memset(&r->write, 0, sizeof r->write);
  r->write.kind = PP_W_VERIFY_SET;
  r->write.u.verify_set = (pp_verify_set_t){.account_sid = r->principal.account_sid,
                                            .sid = st->sid,
                                            .status = c.status,
                                            .checks = c.checks,
                                            .if_checks = v->checks,
                                            .now = pp_clock_now()};
  snprintf(v->status, sizeof v->status, "%s", c.status);
  v->checks = c.checks;
  v->date_updated = r->write.u.verify_set.now;
  return PP_OK;
}

static pp_err_t check_done(pp_api_req_t *r) {
  check_state_t *st = r->state;
  pp_err_t e = r->write.result;
  /* Another check of the same verification committed first: decide again
   * on what it left (rare, so waiting here for the commit is fine). */
  while (e == PP_ERR_CONFLICT && ++st->rounds < 8) {
    e = pp_store_verification_get(r->api->store, &r->arena, r->principal.account_sid, r->params[0],
                                  st->sid, NULL, &st->v);
    if ((e = pp_api_found(r, e)) || (e = check_decide(r, st))) return e;
    e = pp_store_write(r->api->store, &r->write);
  }
  if (e == PP_ERR_CONFLICT) return pp_api_fail(r, PP_ERR_VERIFY_CONCURRENT, st->v.to);
  if (e) return e;
  return pp_api_respond(r, 200, render_check, &st->v);
}

pp_err_t pp_api_verification_check(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e) return e;
  if (!r->api->verify_keys) return PP_ERR_INTERNAL;
  const char *code = pp_form_get(&r->form, "Code");
  const char *to = pp_form_get(&r->form, "To");
  const char *vsid = pp_form_get(&r->form, "VerificationSid");
  if (!code || !*code) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Code");
  if ((!to || !*to) && (!vsid || !*vsid))
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "either To or VerificationSid is required");
  check_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  e = pp_store_verification_get(r->api->store, &r->arena, sv.account_sid, sv.sid,
                                vsid && *vsid ? vsid : NULL, vsid && *vsid ? NULL : to, &st->v);
  if ((e = pp_api_found(r, e))) return e;
  memcpy(st->sid, st->v.sid, sizeof st->sid);
  pp_verify_hash(r->api->verify_keys, st->v.sid, code, st->hash);
  if ((e = check_decide(r, st))) return e;
  r->state = st;
  return pp_api_submit(r, check_done);
}

/* ---- Rate limits and buckets --------------------------------------------- */

_Static_assert(offsetof(pp_rate_limit_t, seq) == 0, "a listed row starts with its seq");
static void render_rate_limit(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_rate_limit_t *rl = row;
  const char *url = pp_api_verify_url(r, "/%s/RateLimits/%s", rl->service_sid, rl->sid);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", rl->sid);
  pp_jw_kstr(w, "service_sid", rl->service_sid);
  pp_jw_kstr(w, "account_sid", rl->account_sid);
  pp_jw_kstr(w, "unique_name", rl->unique_name);
  pp_jw_kstr(w, "description", rl->description);
  pp_api_verify_kdates(w, rl->date_created, rl->date_updated);
  static const char *const links[][2] = {{"buckets", "Buckets"}};
  pp_api_verify_klinks(r, w, url, links, 1);
  pp_jw_obj_end(w);
}

_Static_assert(offsetof(pp_rate_bucket_t, seq) == 0, "a listed row starts with its seq");
static void render_bucket(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_rate_bucket_t *b = row;
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", b->sid);
  pp_jw_kstr(w, "rate_limit_sid", b->rate_limit_sid);
  pp_jw_kstr(w, "service_sid", b->service_sid);
  pp_jw_kstr(w, "account_sid", b->account_sid);
  pp_jw_kint(w, "max", b->max);
  pp_jw_kint(w, "interval", b->interval);
  pp_api_verify_kdates(w, b->date_created, b->date_updated);
  pp_jw_kstr(w, "url",
             pp_api_verify_url(r, "/%s/RateLimits/%s/Buckets/%s", b->service_sid, b->rate_limit_sid,
                               b->sid));
  pp_jw_obj_end(w);
}

static pp_err_t rate_limit_written(pp_api_req_t *r) {
  if (r->write.result == PP_ERR_CONFLICT)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "UniqueName is taken in this service");
  return written(r, PP_W_RATE_LIMIT_INSERT, render_rate_limit);
}

pp_err_t pp_api_rate_limit_create(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e) return e;
  const char *name = pp_form_get(&r->form, "UniqueName");
  if (!name || !*name) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "UniqueName");
  pp_rate_limit_t *rl = pp_arena_alloc(&r->arena, sizeof *rl);
  if (!rl) return PP_ERR_NOMEM;
  memset(rl, 0, sizeof *rl);
  if (strlen(name) >= sizeof rl->unique_name)
    return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "UniqueName is longer than 64 characters");
  if ((e = opt_text(r, "Description", 255, &rl->description))) return e;
  pp_sid_new(rl->sid, "RK");
  memcpy(rl->service_sid, sv.sid, sizeof rl->service_sid);
  memcpy(rl->account_sid, sv.account_sid, sizeof rl->account_sid);
  snprintf(rl->unique_name, sizeof rl->unique_name, "%s", name);
  rl->date_created = rl->date_updated = pp_clock_now();
  r->state = rl;
  r->write.kind = PP_W_RATE_LIMIT_INSERT;
  r->write.u.rate_limit = rl;
  return pp_api_submit(r, rate_limit_written);
}

static pp_err_t load_rate_limit(pp_api_req_t *r, const char *sid, pp_rate_limit_t *out) {
  pp_err_t e = pp_store_rate_limit_get(r->api->store, &r->arena, r->principal.account_sid,
                                       r->params[0], sid, out);
  return pp_api_found(r, e);
}

pp_err_t pp_api_rate_limit_fetch(pp_api_req_t *r) {
  pp_rate_limit_t rl;
  pp_err_t e = load_rate_limit(r, r->params[1], &rl);
  return e ? e : pp_api_respond(r, 200, render_rate_limit, &rl);
}

pp_err_t pp_api_rate_limit_update(pp_api_req_t *r) {
  pp_rate_limit_t *rl = pp_arena_alloc(&r->arena, sizeof *rl);
  if (!rl) return PP_ERR_NOMEM;
  pp_err_t e = load_rate_limit(r, r->params[1], rl);
  if (e || (e = opt_text(r, "Description", 255, &rl->description))) return e;
  rl->date_updated = pp_clock_now();
  r->state = rl;
  r->write.kind = PP_W_RATE_LIMIT_UPDATE;
  r->write.u.rate_limit = rl;
  return pp_api_submit(r, rate_limit_written);
}

pp_err_t pp_api_rate_limit_delete(pp_api_req_t *r) {
  pp_rate_limit_t rl;
  pp_err_t e = load_rate_limit(r, r->params[1], &rl);
  if (e) return e;
  return pp_api_verify_delete(r, PP_W_RATE_LIMIT_DELETE, rl.sid);
}

pp_err_t pp_api_rate_limit_list(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_api_page_t pg;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e || (e = pp_api_page_parse(r, &pg))) return e;
  pp_rate_limit_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_rate_limit_list(r->api->store, &r->arena, sv.account_sid, sv.sid, &pg.req,
                                    &rows, &n, &more)))
    return e;
  return pp_api_meta_list_respond(r, "rate_limits", pp_api_verify_url(r, "/%s/RateLimits", sv.sid),
                                  "", &pg, rows, sizeof *rows, n, more, render_rate_limit);
}

static pp_err_t bucket_written(pp_api_req_t *r) {
  if (r->write.result == PP_ERR_CONFLICT) return PP_ERR_VERIFY_BUCKET_INTERVAL;
  return written(r, PP_W_RATE_BUCKET_INSERT, render_bucket);
}

/* Max and Interval from the form (both required on create). */
static pp_err_t bucket_form(pp_api_req_t *r, pp_rate_bucket_t *b, bool create) {
  if (create && !pp_form_get(&r->form, "Max")) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Max");
  if (create && !pp_form_get(&r->form, "Interval"))
    return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Interval");
  pp_err_t e = pp_api_verify_int_param(r, "Max", 1, 1000000, PP_ERR_VERIFY_PARAM, &b->max);
  if (!e) e = pp_api_verify_int_param(r, "Interval", 1, 86400, PP_ERR_VERIFY_PARAM, &b->interval);
  return e;
}

pp_err_t pp_api_rate_bucket_create(pp_api_req_t *r) {
  pp_rate_limit_t rl;
  pp_err_t e = load_rate_limit(r, r->params[1], &rl);
  if (e) return e;
  pp_rate_bucket_t *b = pp_arena_alloc(&r->arena, sizeof *b);
  if (!b) return PP_ERR_NOMEM;
  memset(b, 0, sizeof *b);
  if ((e = bucket_form(r, b, true))) return e;
  pp_sid_new(b->sid, "BL");
  memcpy(b->rate_limit_sid, rl.sid, sizeof b->rate_limit_sid);
  memcpy(b->service_sid, rl.service_sid, sizeof b->service_sid);
  memcpy(b->account_sid, rl.account_sid, sizeof b->account_sid);
  b->date_created = b->date_updated = pp_clock_now();
  r->state = b;
  r->write.kind = PP_W_RATE_BUCKET_INSERT;
  r->write.u.rate_bucket = b;
  return pp_api_submit(r, bucket_written);
}

static pp_err_t load_bucket(pp_api_req_t *r, pp_rate_bucket_t *b) {
  pp_rate_limit_t rl;
  pp_err_t e = load_rate_limit(r, r->params[1], &rl);
  if (e) return e;
  e = pp_store_rate_bucket_get(r->api->store, r->principal.account_sid, rl.sid, r->params[2], b);
  return pp_api_found(r, e);
}

pp_err_t pp_api_rate_bucket_fetch(pp_api_req_t *r) {
  pp_rate_bucket_t b;
  pp_err_t e = load_bucket(r, &b);
  return e ? e : pp_api_respond(r, 200, render_bucket, &b);
}

pp_err_t pp_api_rate_bucket_update(pp_api_req_t *r) {
  pp_rate_bucket_t *b = pp_arena_alloc(&r->arena, sizeof *b);
  if (!b) return PP_ERR_NOMEM;
  pp_err_t e = load_bucket(r, b);
  if (e || (e = bucket_form(r, b, false))) return e;
  b->date_updated = pp_clock_now();
  r->state = b;
  r->write.kind = PP_W_RATE_BUCKET_UPDATE;
  r->write.u.rate_bucket = b;
  return pp_api_submit(r, bucket_written);
}

pp_err_t pp_api_rate_bucket_delete(pp_api_req_t *r) {
  pp_rate_bucket_t b;
  pp_err_t e = load_bucket(r, &b);
  if (e) return e;
  return pp_api_verify_delete(r, PP_W_RATE_BUCKET_DELETE, b.sid);
}

pp_err_t pp_api_rate_bucket_list(pp_api_req_t *r) {
  pp_rate_limit_t rl;
  pp_api_page_t pg;
  pp_err_t e = load_rate_limit(r, r->params[1], &rl);
  if (e || (e = pp_api_page_parse(r, &pg))) return e;
  pp_rate_bucket_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_rate_bucket_list(r->api->store, &r->arena, rl.account_sid, rl.sid, &pg.req,
                                     &rows, &n, &more)))
    return e;
  return pp_api_meta_list_respond(
      r, "buckets", pp_api_verify_url(r, "/%s/RateLimits/%s/Buckets", rl.service_sid, rl.sid), "",
      &pg, rows, sizeof *rows, n, more, render_bucket);
}

/* ---- Webhooks ------------------------------------------------------------- */

_Static_assert(offsetof(pp_verify_webhook_t, seq) == 0, "a listed row starts with its seq");
static void render_webhook(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_verify_webhook_t *wh = row;
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", wh->sid);
  pp_jw_kstr(w, "service_sid", wh->service_sid);
  pp_jw_kstr(w, "account_sid", wh->account_sid);
  pp_jw_kstr(w, "friendly_name", wh->friendly_name);
  pp_jw_key(w, "event_types");
  pp_jw_arr_begin(w);
  for (const char *p = wh->event_types; p && *p;) {
    size_t n = strcspn(p, ",");
    pp_jw_str(w, pp_arena_strndup(&r->arena, p, n));
    p += n + (p[n] == ',');
  }
  pp_jw_arr_end(w);
  pp_jw_kstr(w, "status", wh->status);
  pp_jw_kstr(w, "version", wh->version);
  pp_jw_kstr(w, "webhook_url", wh->webhook_url);
  pp_jw_kstr(w, "webhook_method", "POST");
  pp_api_verify_kdates(w, wh->date_created, wh->date_updated);
  pp_jw_kstr(w, "url", pp_api_verify_url(r, "/%s/Webhooks/%s", wh->service_sid, wh->sid));
  pp_jw_obj_end(w);
}

/* The form's settings into `wh` (create: FriendlyName, EventTypes and
 * WebhookUrl required). */
static pp_err_t webhook_form(pp_api_req_t *r, pp_verify_webhook_t *wh, bool create) {
  const char *name = pp_form_get(&r->form, "FriendlyName");
  const char *url = pp_form_get(&r->form, "WebhookUrl");
  const char *status = pp_form_get(&r->form, "Status");
  const char *version = pp_form_get(&r->form, "Version");
  size_t nt = pp_form_count(&r->form, "EventTypes");
  if (create && (!name || !*name)) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FriendlyName");
  if (create && nt == 0) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "EventTypes");
  if (create && (!url || !*url)) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "WebhookUrl");
  if (name) {
    if (!*name || strlen(name) >= sizeof wh->friendly_name)
      return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "FriendlyName must be 1 to 64 characters");
    snprintf(wh->friendly_name, sizeof wh->friendly_name, "%s", name);
  }
  if (url) {
    if (!pp_api_url_ok(url)) return pp_api_fail(r, PP_ERR_URL_INVALID, url);
    wh->webhook_url = url;
  }
  if (nt) {
    pp_buf_t b;
    pp_buf_init(&b, 4096);
    for (size_t i = 0; i < nt; i++) {
      const char *t = pp_form_nth(&r->form, "EventTypes", i);
      if (!pp_verify_event_type_known(t)) {
        pp_buf_cleanup(&b);
        return pp_api_fail(r, PP_ERR_VERIFY_PARAM,
                           pp_arena_printf(&r->arena, "EventTypes: unknown type %s", t));
      }
      if (i) pp_buf_putc(&b, ',');
      pp_buf_puts(&b, t);
    }
    wh->event_types = pp_buf_status(&b) ? NULL : pp_arena_strdup(&r->arena, b.data);
    pp_buf_cleanup(&b);
    if (!wh->event_types) return PP_ERR_NOMEM;
  }
  if (status) {
    if (strcmp(status, "enabled") != 0 && strcmp(status, "disabled") != 0)
      return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "Status must be enabled or disabled");
    snprintf(wh->status, sizeof wh->status, "%s", status);
  }
  if (version) {
    if (strcmp(version, "v1") != 0 && strcmp(version, "v2") != 0)
      return pp_api_fail(r, PP_ERR_VERIFY_PARAM, "Version must be v1 or v2");
    snprintf(wh->version, sizeof wh->version, "%s", version);
  }
  return PP_OK;
}

static pp_err_t webhook_written(pp_api_req_t *r) {
  return written(r, PP_W_VERIFY_WEBHOOK_INSERT, render_webhook);
}

pp_err_t pp_api_verify_webhook_create(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e) return e;
  pp_verify_webhook_t *wh = pp_arena_alloc(&r->arena, sizeof *wh);
  if (!wh) return PP_ERR_NOMEM;
  *wh = (pp_verify_webhook_t){.status = "enabled", .version = "v2"};
  if ((e = webhook_form(r, wh, true))) return e;
  pp_sid_new(wh->sid, "YW");
  memcpy(wh->service_sid, sv.sid, sizeof wh->service_sid);
  memcpy(wh->account_sid, sv.account_sid, sizeof wh->account_sid);
  wh->date_created = wh->date_updated = pp_clock_now();
  r->state = wh;
  r->write.kind = PP_W_VERIFY_WEBHOOK_INSERT;
  r->write.u.verify_webhook = wh;
  return pp_api_submit(r, webhook_written);
}

static pp_err_t load_webhook(pp_api_req_t *r, pp_verify_webhook_t *wh) {
  pp_err_t e = pp_store_verify_webhook_get(r->api->store, &r->arena, r->principal.account_sid,
                                           r->params[0], r->params[1], wh);
  return pp_api_found(r, e);
}

pp_err_t pp_api_verify_webhook_fetch(pp_api_req_t *r) {
  pp_verify_webhook_t wh;
  pp_err_t e = load_webhook(r, &wh);
  return e ? e : pp_api_respond(r, 200, render_webhook, &wh);
}

pp_err_t pp_api_verify_webhook_update(pp_api_req_t *r) {
  pp_verify_webhook_t *wh = pp_arena_alloc(&r->arena, sizeof *wh);
  if (!wh) return PP_ERR_NOMEM;
  pp_err_t e = load_webhook(r, wh);
  if (e || (e = webhook_form(r, wh, false))) return e;
  wh->date_updated = pp_clock_now();
  r->state = wh;
  r->write.kind = PP_W_VERIFY_WEBHOOK_UPDATE;
  r->write.u.verify_webhook = wh;
  return pp_api_submit(r, webhook_written);
}

pp_err_t pp_api_verify_webhook_delete(pp_api_req_t *r) {
  pp_verify_webhook_t wh;
  pp_err_t e = load_webhook(r, &wh);
  return e ? e : pp_api_verify_delete(r, PP_W_VERIFY_WEBHOOK_DELETE, wh.sid);
}

pp_err_t pp_api_verify_webhook_list(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_api_page_t pg;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e || (e = pp_api_page_parse(r, &pg))) return e;
  pp_verify_webhook_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_verify_webhook_list(r->api->store, &r->arena, sv.account_sid, sv.sid, &pg.req,
                                        &rows, &n, &more)))
    return e;
  return pp_api_meta_list_respond(r, "webhooks", pp_api_verify_url(r, "/%s/Webhooks", sv.sid), "",
                                  &pg, rows, sizeof *rows, n, more, render_webhook);
}

/* verify_factors.c: Verify v2 entities, factors and their challenges, in
 * the credential's account.  TOTP: the secret is returned once, when the
 * factor is created, and kept sealed; codes are checked in constant time,
 * each time step is accepted at most once, and five wrong codes in a row
 * lock the factor.  Push: the device's ES256 public key is kept; the
 * factor is verified by a signature of its SID and a challenge answered by
 * a JWS naming the challenge and the device's answer
 * (docs/internals/verify.md). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/verify_int.h"
#include "core/clock.h"
#include "core/log.h"
#include "verify/events.h"
#include "verify/factor.h"
#include "verify/otp.h"
#include "verify/push.h"
#include "verify/qr.h"

/* ---- Entities ------------------------------------------------------------ */

/* The store holds every Identity that factor.h allows. */
_Static_assert(sizeof(((pp_verify_entity_t *)0)->identity) == PP_VERIFY_IDENTITY_MAX + 1,
               "entity identity length");

_Static_assert(offsetof(pp_verify_entity_t, seq) == 0, "a listed row starts with its seq");
static void render_entity(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_verify_entity_t *en = row;
  const char *url = pp_api_verify_url(r, "/%s/Entities/%s", en->service_sid, en->identity);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", en->sid);
  pp_jw_kstr(w, "identity", en->identity);
  pp_jw_kstr(w, "account_sid", en->account_sid);
  pp_jw_kstr(w, "service_sid", en->service_sid);
  pp_api_verify_kdates(w, en->date_created, en->date_updated);
  static const char *const links[][2] = {
      {"factors", "Factors"}, {"new_factors", "Factors"}, {"challenges", "Challenges"}};
  pp_api_verify_klinks(r, w, url, links, 3);
  pp_jw_obj_end(w);
}

static pp_err_t entity_written(pp_api_req_t *r) {
  pp_err_t e = r->write.result;
  if (e == PP_ERR_CONFLICT)
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "an entity with this Identity exists");
  if (e) return e;
  return pp_api_respond(r, 201, render_entity, r->state);
}

pp_err_t pp_api_entity_create(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e) return e;
  const char *id = pp_form_get(&r->form, "Identity");
  if (!id || !*id) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "Identity");
  if (!pp_verify_identity_ok(id)) return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Identity");
  pp_verify_entity_t *en = pp_arena_alloc(&r->arena, sizeof *en);
  if (!en) return PP_ERR_NOMEM;
  memset(en, 0, sizeof *en);
  pp_sid_new(en->sid, "YE");
  memcpy(en->service_sid, sv.sid, sizeof en->service_sid);
  memcpy(en->account_sid, sv.account_sid, sizeof en->account_sid);
  snprintf(en->identity, sizeof en->identity, "%s", id);
  en->date_created = en->date_updated = pp_clock_now();
  r->state = en;
  r->write.kind = PP_W_ENTITY_INSERT;
  r->write.u.entity = en;
  pp_api_audit_attach(r, PP_AUDIT_VERIFY_ENTITY_CREATE, en->account_sid,
                      (const char *[]){en->sid, en->service_sid}, 2);
  return pp_api_submit(r, entity_written);
}

/* Reads the entity of identity r->params[1] in service r->params[0]. */
static pp_err_t load_entity(pp_api_req_t *r, pp_verify_entity_t *en) {
  pp_err_t e =
      pp_store_entity_get(r->api->store, r->principal.account_sid, r->params[0], r->params[1], en);
  return pp_api_found(r, e);
}

pp_err_t pp_api_entity_fetch(pp_api_req_t *r) {
  pp_verify_entity_t en;
  pp_err_t e = load_entity(r, &en);
  return e ? e : pp_api_respond(r, 200, render_entity, &en);
}

pp_err_t pp_api_entity_delete(pp_api_req_t *r) {
  pp_verify_entity_t en;
  pp_err_t e = load_entity(r, &en);
  if (e) return e;
  /* Its factors go with it: the event names them. */
  pp_page_req_t all = {.limit = 1000};
  pp_verify_factor_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_factor_list(r->api->store, &r->arena, en.account_sid, en.sid, &all, &rows, &n,
                                &more)))
    return e;
  const char **sids = pp_arena_alloc(&r->arena, (n + 2) * sizeof *sids);
  if (!sids) return PP_ERR_NOMEM;
  sids[0] = en.sid;
  sids[1] = en.service_sid;
  for (size_t i = 0; i < n; i++) sids[i + 2] = rows[i].sid;
  pp_api_audit_attach(r, PP_AUDIT_VERIFY_ENTITY_DELETE, en.account_sid, sids, n + 2);
  return pp_api_verify_delete(r, PP_W_ENTITY_DELETE, en.sid);
}

pp_err_t pp_api_entity_list(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_api_page_t pg;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e || (e = pp_api_page_parse(r, &pg))) return e;
  pp_verify_entity_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_entity_list(r->api->store, &r->arena, sv.account_sid, sv.sid, &pg.req, &rows,
                                &n, &more)))
    return e;
  return pp_api_meta_list_respond(r, "entities", pp_api_verify_url(r, "/%s/Entities", sv.sid), "",
                                  &pg, rows, sizeof *rows, n, more, render_entity);
}

/* ---- Factors --------------------------------------------------------------- */

static const char *factor_event(pp_api_req_t *r, const char *type, const pp_verify_factor_t *f);

/* The audit event of the request's change to factor `f`, naming it, its
 * entity and its service (docs/internals/audit.md). */
static void audit_factor(pp_api_req_t *r, pp_audit_kind_t kind, const pp_verify_factor_t *f) {
  pp_api_audit_attach(r, kind, f->account_sid,
                      (const char *[]){f->sid, f->entity_sid, f->service_sid}, 3);
}

static bool is_push(const pp_verify_factor_t *f) {
  return strcmp(f->factor_type, "push") == 0;
}

/* The status a client sees now (factor.h). */
static const char *factor_status(const pp_verify_factor_t *f) {
  return pp_verify_factor_status(f->status, f->activate_at, pp_clock_now());
}

_Static_assert(offsetof(pp_verify_factor_t, seq) == 0, "a listed row starts with its seq");
/* The factor as fetched: no secret. `binding` (JSON) and `qr_url` (Pipit's
 * pipit_qr_code_url) only in the answer to its creation. */
static void render_factor_with(pp_api_req_t *r, pp_jw_t *w, const pp_verify_factor_t *f,
                               const char *binding, const char *qr_url) {
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", f->sid);
  pp_jw_kstr(w, "account_sid", f->account_sid);
  pp_jw_kstr(w, "service_sid", f->service_sid);
  pp_jw_kstr(w, "entity_sid", f->entity_sid);
  pp_jw_kstr(w, "identity", f->identity);
  if (binding) {
    pp_api_verify_kraw(w, "binding", binding);
    pp_jw_knull(w, "options");
  }
  pp_api_verify_kdates(w, f->date_created, f->date_updated);
  pp_jw_kstr(w, "friendly_name", f->friendly_name);
  pp_jw_kstr(w, "status", factor_status(f));
  pp_jw_kstr(w, "factor_type", f->factor_type);
  if (is_push(f)) {
    pp_api_verify_kraw(w, "config", f->push_config ? f->push_config : "{}");
  } else {
    pp_jw_key(w, "config");
    pp_jw_obj_begin(w);
    pp_jw_kstr(w, "alg", f->alg);
    pp_jw_kint(w, "skew", f->skew);
    pp_jw_kint(w, "code_length", f->code_length);
    pp_jw_kint(w, "time_step", f->time_step);
    pp_jw_obj_end(w);
  }
  pp_api_verify_kraw(w, "metadata", f->metadata);
  pp_jw_kstr(
      w, "url",
      pp_api_verify_url(r, "/%s/Entities/%s/Factors/%s", f->service_sid, f->identity, f->sid));
  if (qr_url) pp_jw_kstr(w, "pipit_qr_code_url", qr_url);
  pp_jw_obj_end(w);
}

static void render_factor(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  render_factor_with(r, w, row, NULL, NULL);
}

/* Config.* of a push factor: the form's values over the stored ones, kept
 * as a JSON object (sdk_version, app_id, notification_platform,
 * notification_token).  `create` requires what Twilio requires. */
static pp_err_t push_config(pp_api_req_t *r, pp_verify_factor_t *f, bool create) {
  static const char *const keys[][2] = {{"Config.SdkVersion", "sdk_version"},
                                        {"Config.AppId", "app_id"},
                                        {"Config.NotificationPlatform", "notification_platform"},
                                        {"Config.NotificationToken", "notification_token"}};
  json_t *cfg = f->push_config ? json_loads(f->push_config, 0, NULL) : json_object();
  if (!cfg) return PP_ERR_NOMEM;
  pp_err_t e = PP_OK;
  for (size_t i = 0; i < 4 && !e; i++) {
    const char *v = pp_form_get(&r->form, keys[i][0]);
    if (!v && !json_object_get(cfg, keys[i][1])) json_object_set_new(cfg, keys[i][1], json_null());
    if (!v) continue;
    if (strlen(v) > 255)
      e = pp_api_fail(r, PP_ERR_VERIFY_REQUEST, keys[i][0]);
    else
      json_object_set_new(cfg, keys[i][1], json_string(v));
  }
  const char *why =
      pp_push_config_check(json_string_value(json_object_get(cfg, "notification_platform")),
                           json_string_value(json_object_get(cfg, "notification_token")),
                           json_string_value(json_object_get(cfg, "app_id")),
                           json_string_value(json_object_get(cfg, "sdk_version")), create);
  if (!e && why) e = pp_api_fail(r, PP_ERR_VERIFY_REQUEST, why);
  char *text = e ? NULL : json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(cfg);
  if (e) return e;
  f->push_config = text ? pp_arena_strdup(&r->arena, text) : NULL;
  free(text);
  return f->push_config ? PP_OK : PP_ERR_NOMEM;
}

/* Config.* of the form into `f` (create and update). */
static pp_err_t factor_config(pp_api_req_t *r, pp_verify_factor_t *f) {
  if (is_push(f)) {
    const char *name = pp_form_get(&r->form, "FriendlyName");
    if (name && (!*name || strlen(name) >= sizeof f->friendly_name))
      return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "FriendlyName must be 1 to 64 characters");
    if (name) snprintf(f->friendly_name, sizeof f->friendly_name, "%s", name);
    return push_config(r, f, false);
  }
  const char *alg = pp_form_get(&r->form, "Config.Alg");
  pp_otp_alg_t a;
  if (alg) {
    if (!pp_otp_alg_parse(alg, &a))
      return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Config.Alg must be sha1, sha256 or sha512");
    snprintf(f->alg, sizeof f->alg, "%s", pp_otp_alg_name(a));
  }
  pp_err_t e =
      pp_api_verify_int_param(r, "Config.TimeStep", PP_VERIFY_TOTP_STEP_MIN,
                              PP_VERIFY_TOTP_STEP_MAX, PP_ERR_VERIFY_REQUEST, &f->time_step);
  if (!e)
    e = pp_api_verify_int_param(r, "Config.Skew", 0, PP_VERIFY_TOTP_SKEW_MAX, PP_ERR_VERIFY_REQUEST,
                                &f->skew);
  if (!e)
    e = pp_api_verify_int_param(r, "Config.CodeLength", PP_VERIFY_TOTP_DIGITS_MIN,
                                PP_VERIFY_TOTP_DIGITS_MAX, PP_ERR_VERIFY_REQUEST, &f->code_length);
  const char *name = pp_form_get(&r->form, "FriendlyName");
  if (!e && name) {
    if (!*name || strlen(name) >= sizeof f->friendly_name)
      return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "FriendlyName must be 1 to 64 characters");
    snprintf(f->friendly_name, sizeof f->friendly_name, "%s", name);
  }
  return e;
}

/* Where a factor's secret is sealed: account, table, column, row. */
#define SECRET_PLACE(f) (f)->account_sid, "verify_factors", "secret", (f)->sid

typedef struct {
  pp_verify_entity_t entity;
  pp_verify_factor_t factor;
  char binding[512]; /* the one answer that holds the secret; wiped after */
  char qr_token[2 * PP_VERIFY_QR_TOKEN_LEN + 1]; /* TOTP: the QR code's token */
  unsigned char qr_hash[PP_VERIFY_QR_HASH_LEN];  /* ... and its hash, stored */
  char *qr_url;                                  /* ... and its URL (arena) */
} factor_new_t;

/* The store keeps what secrets.h makes of a QR code's token. */
_Static_assert(PP_VERIFY_QR_HASH_LEN == PP_VERIFY_HASH_LEN, "QR token hash length");

static pp_err_t factor_created(pp_api_req_t *r) {
  factor_new_t *st = r->state;
  pp_err_t e = r->write.result;
  if (!e) {
    pp_jw_t w;
    pp_jw_init(&w, &r->body);
    render_factor_with(r, &w, &st->factor, st->binding, st->qr_url);
    r->status = 201;
    e = pp_buf_status(&r->body);
  }
  sodium_memzero(st->binding, sizeof st->binding);
  sodium_memzero(st->qr_token, sizeof st->qr_token);
  if (st->qr_url) sodium_memzero(st->qr_url, strlen(st->qr_url));
  return e;
}

/* The otpauth URI of TOTP factor `f` of service `sv` whose secret is `b32`
 * (base32) into `out`: its length, or -1 when it does not fit (or out of
 * memory).  The creation's binding.uri and the QR code hold the same. */
static int otpauth_uri(const pp_verify_service_t *sv, const pp_verify_factor_t *f, const char *b32,
                       char *out, size_t size) {
  pp_otp_alg_t alg = PP_OTP_SHA1;
  pp_otp_alg_parse(f->alg, &alg);
  return pp_otp_uri(out, size, sv->totp_issuer ? sv->totp_issuer : sv->friendly_name,
                    f->friendly_name, b32, alg, f->code_length, f->time_step);
}

/* A TOTP factor's secret: Binding.Secret (base32) or fresh random bytes,
 * as long as the hash's output (RFC 6238's seeds); sealed into the factor,
 * and the binding answered once: {"secret", "uri": otpauth://totp/...}. */
static pp_err_t totp_binding(pp_api_req_t *r, const pp_verify_service_t *sv, factor_new_t *st) {
  pp_verify_factor_t *f = &st->factor;
  pp_otp_alg_t alg = PP_OTP_SHA1;
  pp_otp_alg_parse(f->alg, &alg);
  unsigned char secret[PP_OTP_SECRET_MAX];
  long slen = pp_otp_secret_make(alg, pp_form_get(&r->form, "Binding.Secret"), secret);
  if (slen < 0)
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Binding.Secret must be base32 of 10 to 64 bytes");
  unsigned char *blob = NULL;
  size_t blen = 0;
  pp_err_t e = pp_store_seal(r->api->store, SECRET_PLACE(f), secret, (size_t)slen, &blob, &blen);
  if (!e && blen > sizeof f->secret_sealed) e = PP_ERR_INTERNAL;
  if (!e) {
    memcpy(f->secret_sealed, blob, blen);
    f->secret_sealed_len = blen;
  }
  free(blob);
  char b32[128], uri[448];
  pp_base32_encode(secret, (size_t)slen, b32, sizeof b32);
  sodium_memzero(secret, sizeof secret);
  int n = e ? -1 : otpauth_uri(sv, f, b32, uri, sizeof uri);
  if (n >= 0)
    n = snprintf(st->binding, sizeof st->binding, "{\"secret\":\"%s\",\"uri\":\"%s\"}", b32, uri);
  sodium_memzero(b32, sizeof b32);
  sodium_memzero(uri, sizeof uri);
  if (e) return e;
  if (n < 0 || (size_t)n >= sizeof st->binding) {
    sodium_memzero(st->binding, sizeof st->binding);
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "FriendlyName or issuer too long for a URI");
  }
  return PP_OK;
}

/* A push factor's binding: Binding.Alg ES256 and Binding.PublicKey, the
 * base64 DER SubjectPublicKeyInfo of the device's P-256 key. */
static pp_err_t push_binding(pp_api_req_t *r, factor_new_t *st) {
  pp_verify_factor_t *f = &st->factor;
  const char *alg = pp_form_get(&r->form, "Binding.Alg");
  const char *key = pp_form_get(&r->form, "Binding.PublicKey");
  if (!alg || strcmp(alg, "ES256") != 0)
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Binding.Alg must be ES256");
  long n = key ? pp_b64_decode(key, f->public_key, sizeof f->public_key) : -1;
  if (n <= 0 || pp_es256_key_check(f->public_key, (size_t)n) != PP_OK)
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST,
                       "Binding.PublicKey must be a P-256 public key (base64 DER)");
  f->public_key_len = (size_t)n;
  pp_err_t e = push_config(r, f, true);
  if (e) return e;
  int len =
      snprintf(st->binding, sizeof st->binding, "{\"public_key\":\"%s\",\"alg\":\"ES256\"}", key);
  return len > 0 && (size_t)len < sizeof st->binding ? PP_OK : PP_ERR_VERIFY_REQUEST;
}

pp_err_t pp_api_factor_create(pp_api_req_t *r) {
  pp_verify_service_t sv;
  pp_err_t e = pp_api_verify_load_service(r, &sv);
  if (e) return e;
  if (!r->api->verify_keys) return PP_ERR_INTERNAL;
  if (!pp_verify_identity_ok(r->params[1]))
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Identity");
  const char *type = pp_form_get(&r->form, "FactorType");
  const char *name = pp_form_get(&r->form, "FriendlyName");
  if (!name || !*name) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FriendlyName");
  if (!type || !*type) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FactorType");
  if (strcmp(type, "totp") != 0 && strcmp(type, "push") != 0)
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST,
                       "FactorType: Pipit creates totp and push factors (passkeys are not built)");
  factor_new_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_verify_factor_t *f = &st->factor;
  snprintf(f->factor_type, sizeof f->factor_type, "%s", type);
  if (!is_push(f)) {
    snprintf(f->alg, sizeof f->alg, "sha1");
    f->time_step = sv.totp_time_step;
    f->skew = sv.totp_skew;
    f->code_length = sv.totp_code_length;
  } else {
    snprintf(f->alg, sizeof f->alg, "ES256");
  }
  if (!is_push(f) && (e = factor_config(r, f))) return e;
  snprintf(f->friendly_name, sizeof f->friendly_name, "%.64s", name);
  if (strlen(name) >= sizeof f->friendly_name)
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "FriendlyName must be 1 to 64 characters");
  const char *meta = pp_form_get(&r->form, "Metadata");
  if (meta && *meta) {
    json_t *j = json_loads(meta, 0, NULL);
    bool ok = j && json_is_object(j);
    json_decref(j);
    if (!ok) return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Metadata must be a JSON object");
    f->metadata = meta;
  }
  /* The entity, made with its first factor: read first, so that the audit
   * event names the entity the factor joins. */
  pp_verify_entity_t *en = &st->entity;
  e = pp_store_entity_get(r->api->store, sv.account_sid, sv.sid, r->params[1], en);
  if (e && e != PP_ERR_NOT_FOUND) return e;
  bool new_entity = e == PP_ERR_NOT_FOUND;
  if (new_entity) {
    memset(en, 0, sizeof *en);
    pp_sid_new(en->sid, "YE");
    memcpy(en->service_sid, sv.sid, sizeof en->service_sid);
    memcpy(en->account_sid, sv.account_sid, sizeof en->account_sid);
    snprintf(en->identity, sizeof en->identity, "%s", r->params[1]);
    en->date_created = en->date_updated = pp_clock_now();
  }
  memcpy(f->entity_sid, en->sid, sizeof f->entity_sid);
  pp_sid_new(f->sid, "YF");
  memcpy(f->service_sid, sv.sid, sizeof f->service_sid);
  memcpy(f->account_sid, sv.account_sid, sizeof f->account_sid);
  memcpy(f->identity, en->identity, sizeof f->identity);
  snprintf(f->status, sizeof f->status, "unverified");
  f->date_created = f->date_updated = pp_clock_now();
  if ((e = is_push(f) ? push_binding(r, st) : totp_binding(r, &sv, st))) return e;
  r->state = st;
  r->write.kind = PP_W_FACTOR_INSERT;
  const char *event = factor_event(r, "factor.created", f);
  if (!event) return PP_ERR_NOMEM;
  r->write.u.factor_insert = (pp_factor_insert_t){en, f, "factor.created", event, NULL, 0};
  if (!is_push(f)) {
    /* The one-time QR code: a random token, its hash stored with the
     * factor; the URL with the token is answered once, here. */
    pp_verify_qr_token_new(st->qr_token, st->qr_hash);
    st->qr_url = pp_arena_printf(
        &r->arena, "%s/verify/v2/Services/%s/Entities/%s/Factors/%s/QrCode?Token=%s",
        r->api->public_url, f->service_sid, f->identity, f->sid, st->qr_token);
    if (!st->qr_url) return PP_ERR_NOMEM;
    r->write.u.factor_insert.qr_hash = st->qr_hash;
    r->write.u.factor_insert.qr_expires = f->date_created + PP_VERIFY_QR_TTL;
  }
  audit_factor(r, PP_AUDIT_FACTOR_REGISTERED, f);
  if (new_entity && (e = pp_api_audit_attach_also(r, PP_AUDIT_VERIFY_ENTITY_CREATE, en->account_sid,
                                                  (const char *[]){en->sid, en->service_sid}, 2)))
    return e;
  return pp_api_submit(r, factor_created);
}

/* Reads factor `sid` of the entity r->params[1] of service r->params[0]. */
static pp_err_t load_factor(pp_api_req_t *r, const char *sid, pp_verify_factor_t *f) {
  pp_verify_entity_t en;
  pp_err_t e = load_entity(r, &en);
  if (e) return e;
  e = pp_store_factor_get(r->api->store, &r->arena, r->principal.account_sid, en.sid, sid, f);
  return pp_api_found(r, e);
}

pp_err_t pp_api_factor_fetch(pp_api_req_t *r) {
  pp_verify_factor_t f;
  pp_err_t e = load_factor(r, r->params[2], &f);
  return e ? e : pp_api_respond(r, 200, render_factor, &f);
}

pp_err_t pp_api_factor_delete(pp_api_req_t *r) {
  /* In the arena: the write (and its event) outlive this call. */
  pp_verify_factor_t *f = pp_arena_alloc(&r->arena, sizeof *f);
  if (!f) return PP_ERR_NOMEM;
  pp_err_t e = load_factor(r, r->params[2], f);
  if (e) return e;
  /* A factor waiting for approval (DESIGN.md rule 5) deleted is the
   * enrollment canceled: the same event, in the log and to the webhooks. */
  audit_factor(r, PP_AUDIT_FACTOR_DELETED, f);
  const char *body = factor_event(r, "factor.deleted", f);
  if (!body) return PP_ERR_NOMEM;
  r->write.kind = PP_W_FACTOR_DELETE;
  r->write.u.factor_delete = (pp_factor_delete_t){r->principal.account_sid, f->sid, f->service_sid,
                                                  "factor.deleted",         body,   pp_clock_now()};
  return pp_api_submit(r, pp_api_deleted);
}

/* ---- The one-time QR code of a new TOTP factor ------------------------------ */

typedef struct {
  pp_verify_factor_t factor;
  pp_verify_service_t service;
  unsigned char hash[PP_VERIFY_QR_HASH_LEN];
} qr_t;

/* The token was taken (it matched, in time, for a new factor): the PNG of
 * the factor's otpauth URI, made from its sealed secret. */
static pp_err_t qr_taken(pp_api_req_t *r) {
  qr_t *st = r->state;
  pp_err_t e = r->write.result;
  if ((e = pp_api_found(r, e))) return e;
  pp_verify_factor_t *f = &st->factor;
  unsigned char *secret = NULL;
  size_t slen = 0;
  if ((e = pp_store_open_secret(r->api->store, SECRET_PLACE(f), f->secret_sealed,
                                f->secret_sealed_len, &secret, &slen)))
    return e == PP_ERR_NOMEM || e == PP_ERR_CORRUPT ? e : PP_ERR_INTERNAL;
  char b32[128], uri[448];
  pp_base32_encode(secret, slen, b32, sizeof b32);
  pp_store_secret_free(secret);
  int n = otpauth_uri(&st->service, f, b32, uri, sizeof uri);
  sodium_memzero(b32, sizeof b32);
  unsigned char *png = NULL;
  size_t len = 0;
  e = n < 0 ? PP_ERR_NOMEM : pp_qr_png(uri, &png, &len);
  sodium_memzero(uri, sizeof uri);
  if (e) return e;
  pp_buf_append(&r->body, png, len);
  pp_qr_free(png);
  r->status = 200;
  r->content_type = "image/png";
  return pp_buf_status(&r->body);
}

pp_err_t pp_api_factor_qr(pp_api_req_t *r) {
  qr_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_err_t e = load_factor(r, r->params[2], &st->factor);
  if (e) return e;
  /* Anything but the token of a new TOTP factor, in time: not found. */
  const char *token = pp_form_get(&r->query, "Token");
  if (!token || strlen(token) != 2 * PP_VERIFY_QR_TOKEN_LEN || is_push(&st->factor))
    return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  if (!r->api->verify_keys) return PP_ERR_INTERNAL;
  if ((e = pp_api_verify_load_service(r, &st->service))) return e;
  pp_verify_qr_hash(token, st->hash);
  r->state = st;
  r->write.kind = PP_W_FACTOR_QR_TAKE;
  r->write.u.factor_qr =
      (pp_factor_qr_t){r->principal.account_sid, st->factor.sid, st->hash, pp_clock_now()};
  return pp_api_submit(r, qr_taken);
}

pp_err_t pp_api_factor_list(pp_api_req_t *r) {
  pp_verify_entity_t en;
  pp_api_page_t pg;
  pp_err_t e = load_entity(r, &en);
  if (e || (e = pp_api_page_parse(r, &pg))) return e;
  pp_verify_factor_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_factor_list(r->api->store, &r->arena, en.account_sid, en.sid, &pg.req, &rows,
                                &n, &more)))
    return e;
  return pp_api_meta_list_respond(
      r, "factors", pp_api_verify_url(r, "/%s/Entities/%s/Factors", en.service_sid, en.identity),
      "", &pg, rows, sizeof *rows, n, more, render_factor);
}

/* Checks TOTP `code` against factor `f` at the clock's time (otp.h,
 * pp_totp_match): the accepted time step, or -1.  PP_ERR_CORRUPT when the
 * secret was altered or moved, PP_ERR_INTERNAL when it does not open
 * otherwise (both logged). */
static pp_err_t totp_match(pp_api_req_t *r, const pp_verify_factor_t *f, const char *code,
                           int64_t *step) {
  unsigned char *secret = NULL;
  size_t slen = 0;
  pp_err_t e = pp_store_open_secret(r->api->store, SECRET_PLACE(f), f->secret_sealed,
                                    f->secret_sealed_len, &secret, &slen);
  if (e && e != PP_ERR_NOMEM) {
    /* Altered, moved, or its account's key is gone: the store's fault. */
    pp_log_error("verify", "the secret of factor %s did not open: %s", f->sid, pp_err_name(e));
    return e == PP_ERR_CORRUPT ? e : PP_ERR_INTERNAL;
  }
  if (e) return e;
  pp_otp_alg_t alg = PP_OTP_SHA1;
  pp_otp_alg_parse(f->alg, &alg);
  *step = pp_totp_match(alg, secret, slen, pp_clock_now(), f->time_step, f->code_length, f->skew,
                        f->last_counter, code);
  pp_store_secret_free(secret);
  return PP_OK;
}

/* The state of one code given for a factor, with the challenge it answers
 * (or NULL). */
typedef struct {
  pp_verify_factor_t factor;
  pp_verify_challenge_t challenge;
  bool has_challenge;
  bool proven; /* the factor's own proof (no challenge) was right */
} attempt_t;

/* A push factor's proof (push.h): for the factor's own verification, a
 * signature of its SID (pp_push_proof, 60311 otherwise); for a challenge,
 * the device's JWS answer (pp_push_answer: approved or denied into
 * *answer, 60324 otherwise). */
static pp_err_t push_check(attempt_t *st, const char *payload, const char **answer) {
  pp_verify_factor_t *f = &st->factor;
  if (!st->has_challenge) return pp_push_proof(f->public_key, f->public_key_len, f->sid, payload);
  return pp_push_answer(f->public_key, f->public_key_len, payload, st->challenge.sid, answer);
}

/* Decides the proof `code` (a TOTP code, or a push factor's signature) for
 * st->factor and fills r->write; 60310 when the factor is locked.  On a
 * match the factor is proven (st->proven: enroll_or_verify decides what
 * that does) or the challenge approved (or, for push, denied when the
 * device says so); a wrong TOTP code counts as a failure. */
static pp_err_t attempt_decide(pp_api_req_t *r, attempt_t *st, const char *code,
                               bool challenge_insert) {
  pp_verify_factor_t *f = &st->factor;
  if (pp_verify_factor_locked(f->failures)) return PP_ERR_VERIFY_FACTOR_ATTEMPTS;
  int64_t step = -1;
  const char *answer = "approved";
  bool ok;
  if (is_push(f)) {
    if (challenge_insert)
      return pp_api_fail(r, PP_ERR_VERIFY_REQUEST,
                         "AuthPayload: a push challenge is answered by the device (update)");
    pp_err_t e = push_check(st, code, &answer);
    if (e) return e;
    ok = true;
  } else {
    if (pp_otp_code_ok(code, f->code_length)) {
      pp_err_t e = totp_match(r, f, code, &step);
      if (e) return e;
    }
    ok = step >= 0;
  }
  int64_t now = pp_clock_now();
  pp_factor_attempt_t *fa = &r->write.u.factor_attempt;
  memset(&r->write, 0, sizeof r->write);
  r->write.kind = PP_W_FACTOR_ATTEMPT;
  *fa = (pp_factor_attempt_t){.account_sid = r->principal.account_sid,
                              .sid = f->sid,
                              .if_last_counter = f->last_counter,
                              .if_failures = f->failures,
                              .challenge = st->has_challenge ? &st->challenge : NULL,
                              .challenge_insert = challenge_insert,
                              .now = now};
  pp_verify_proof_count(ok, step, &f->last_counter, &f->failures);
  fa->last_counter = f->last_counter;
  fa->failures = f->failures;
  st->proven = ok && !st->has_challenge;
  f->date_updated = now;
  if (st->has_challenge && ok) {
    snprintf(st->challenge.status, sizeof st->challenge.status, "%s", answer);
    snprintf(st->challenge.responded_reason, sizeof st->challenge.responded_reason, "none");
    st->challenge.date_responded = now;
  }
  st->challenge.date_updated = now;
  return PP_OK;
}

/* ---- DESIGN.md rule 5: a new factor of an entity that has one --------------- */

/* A Verify event (form-encoded, in the arena): uuid, type, the account and
 * service, then the `n` name/value pairs of `kv`, then created_date. */
static const char *event_body(pp_api_req_t *r, const char *type, const char *service_sid,
                              const char *const *kv, size_t n) {
  pp_buf_t b;
  pp_buf_init(&b, 16384);
  pp_verify_event_form(&b, type, r->principal.account_sid, service_sid, kv, n, pp_clock_now());
  char *out = pp_buf_status(&b) ? NULL : pp_arena_strdup(&r->arena, b.data);
  pp_buf_cleanup(&b);
  return out;
}

/* The event about factor `f`. */
static const char *factor_event(pp_api_req_t *r, const char *type, const pp_verify_factor_t *f) {
  char activation[PP_ISO8601_SIZE] = "";
  if (f->activate_at) pp_iso8601(f->activate_at, activation);
  const char *kv[] = {"entity_identity",
                      f->identity,
                      "factor_sid",
                      f->sid,
                      "factor_type",
                      f->factor_type,
                      "factor_friendly_name",
                      f->friendly_name,
                      "factor_activation_date",
                      activation};
  return event_body(r, type, f->service_sid, kv, f->activate_at ? 5 : 4);
}

/* A new pending challenge of factor `f` into `ch`. */
static void challenge_new(const pp_verify_factor_t *f, int64_t now, int64_t expires,
                          pp_verify_challenge_t *ch) {
  memset(ch, 0, sizeof *ch);
  pp_sid_new(ch->sid, "YC");
  memcpy(ch->factor_sid, f->sid, sizeof ch->factor_sid);
  memcpy(ch->entity_sid, f->entity_sid, sizeof ch->entity_sid);
  memcpy(ch->service_sid, f->service_sid, sizeof ch->service_sid);
  memcpy(ch->account_sid, f->account_sid, sizeof ch->account_sid);
  memcpy(ch->identity, f->identity, sizeof ch->identity);
  snprintf(ch->status, sizeof ch->status, "pending");
  snprintf(ch->responded_reason, sizeof ch->responded_reason, "none");
  snprintf(ch->factor_type, sizeof ch->factor_type, "%s", f->factor_type);
  ch->date_created = ch->date_updated = now;
  ch->expiration_date = expires;
}

/* The enrollment challenge that asks factor `g` to approve new factor `f`:
 * pending until `until` (the end of the waiting period). */
static pp_err_t enroll_challenge(pp_api_req_t *r, const pp_verify_factor_t *g,
                                 const pp_verify_factor_t *f, int64_t now, int64_t until,
                                 pp_verify_challenge_t *ch) {
  challenge_new(g, now, until, ch);
  memcpy(ch->enroll_factor_sid, f->sid, sizeof ch->enroll_factor_sid);
  char when[PP_ISO8601_SIZE], *text = NULL, *hidden = NULL;
  pp_iso8601(now, when);
  json_t *d = json_pack("{s:s+,s:s,s:[{s:s,s:s},{s:s,s:s}]}", "message",
                        "Approve a new factor for this account: ", f->friendly_name, "date", when,
                        "fields", "label", "New factor", "value", f->friendly_name, "label", "Type",
                        "value", f->factor_type);
  json_t *h = json_pack("{s:s}", "pipit_new_factor_sid", f->sid);
  if (d) text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (h) hidden = json_dumps(h, JSON_COMPACT);
  json_decref(d);
  json_decref(h);
  ch->details = text ? pp_arena_strdup(&r->arena, text) : NULL;
  ch->hidden_details = hidden ? pp_arena_strdup(&r->arena, hidden) : NULL;
  free(text);
  free(hidden);
  return ch->details && ch->hidden_details ? PP_OK : PP_ERR_NOMEM;
}

/* A factor's possession was just proven (st->proven; r->write records
 * the proof): rule 5's transition (factor.h, pp_verify_enroll_next) over
 * the entity's other verified factors.  A first factor is verified
 * (factor.verified).  A later one waits for one of them to approve it, or
 * for the service's waiting period to end, while each of them gets a
 * challenge that asks and every webhook of the service is told
 * (factor.enrollment_pending); approval, denial or a deletion of the
 * factor in the meantime decide.  A factor already waiting, or verified,
 * stays as it is. */
static pp_err_t enroll_or_verify(pp_api_req_t *r, attempt_t *st) {
  pp_factor_attempt_t *fa = &r->write.u.factor_attempt;
  pp_verify_factor_t *f = &st->factor;
  if (!st->proven) return PP_OK;
  pp_enroll_state_t state = pp_verify_enroll_state(f->status, f->activate_at);
  pp_verify_factor_t *rows = NULL;
  size_t n = 0, k = 0;
  pp_err_t e;
  if (state == PP_ENROLL_NEW) {
    pp_page_req_t all = {.limit = 1000};
    bool more;
    if ((e = pp_store_factor_list(r->api->store, &r->arena, f->account_sid, f->entity_sid, &all,
                                  &rows, &n, &more)))
      return e;
    for (size_t i = 0; i < n; i++)
      if (strcmp(rows[i].sid, f->sid) != 0 && strcmp(factor_status(&rows[i]), "verified") == 0)
        rows[k++] = rows[i];
  }
  pp_enroll_action_t act = pp_verify_enroll_next(state, PP_ENROLL_PROVEN, k);
  if (act == PP_ENROLL_STAY) return PP_OK;
  fa->service_sid = f->service_sid;
  fa->event_type = pp_verify_enroll_event(act);
  if (act == PP_ENROLL_VERIFY) {
    fa->status = "verified";
    snprintf(f->status, sizeof f->status, "verified");
    fa->event_body = factor_event(r, fa->event_type, f);
    audit_factor(r, PP_AUDIT_FACTOR_VERIFIED, f);
    return fa->event_body ? PP_OK : PP_ERR_NOMEM;
  }
  pp_verify_service_t sv;
  if ((e = pp_api_verify_load_service(r, &sv))) return e;
  int64_t now = fa->now;
  fa->activate_at = f->activate_at = now + sv.enrollment_wait;
  fa->enroll = pp_arena_alloc(&r->arena, k * sizeof *fa->enroll);
  if (!fa->enroll) return PP_ERR_NOMEM;
  for (size_t i = 0; i < k; i++)
    if ((e = enroll_challenge(r, &rows[i], f, now, f->activate_at, &fa->enroll[i]))) return e;
  fa->nenroll = k;
  fa->event_body = factor_event(r, fa->event_type, f);
  /* The audit log: the enrollment challenges, the factors they ask, and the
   * new factor with its entity and service. */
  const char **sids = pp_arena_alloc(&r->arena, (2 * k + 3) * sizeof *sids);
  if (!sids) return PP_ERR_NOMEM;
  for (size_t i = 0; i < k; i++) {
    sids[2 * i] = fa->enroll[i].sid;
    sids[2 * i + 1] = fa->enroll[i].factor_sid;
  }
  sids[2 * k] = f->sid;
  sids[2 * k + 1] = f->entity_sid;
  sids[2 * k + 2] = f->service_sid;
  pp_api_audit_attach(r, PP_AUDIT_CHALLENGE_CREATED, f->account_sid, sids, 2 * k + 3);
  return fa->event_body ? PP_OK : PP_ERR_NOMEM;
}

/* A challenge was just answered (r->write records it): an enrollment
 * challenge decides its new factor (approved: verified; denied: deleted);
 * the service's webhooks hear of it. */
static pp_err_t challenge_answered(pp_api_req_t *r, attempt_t *st) {
  pp_factor_attempt_t *fa = &r->write.u.factor_attempt;
  pp_verify_challenge_t *ch = &st->challenge;
  bool approved = strcmp(ch->status, "approved") == 0;
  const char *sids[] = {ch->sid, ch->factor_sid, ch->entity_sid, ch->service_sid};
  if (fa->challenge_insert) {
    /* Made by this request: recorded as made, then as answered. */
    pp_api_audit_attach(r, PP_AUDIT_CHALLENGE_CREATED, ch->account_sid, sids, 4);
    pp_err_t e = approved ? pp_api_audit_attach_also(r, PP_AUDIT_CHALLENGE_APPROVED,
                                                     ch->account_sid, sids, 4)
                          : PP_OK;
    if (e) return e;
  } else if (approved || strcmp(ch->status, "denied") == 0) {
    pp_api_audit_attach(r, approved ? PP_AUDIT_CHALLENGE_APPROVED : PP_AUDIT_CHALLENGE_DENIED,
                        ch->account_sid, sids, 4);
  }
  if (!approved && strcmp(ch->status, "denied") != 0) return PP_OK;
  fa->service_sid = ch->service_sid;
  if (ch->enroll_factor_sid[0] && !fa->challenge_insert) {
    pp_verify_factor_t nf;
    pp_err_t e = pp_store_factor_get(r->api->store, &r->arena, ch->account_sid, ch->entity_sid,
                                     ch->enroll_factor_sid, &nf);
    pp_enroll_action_t act =
        e ? PP_ENROLL_STAY
          : pp_verify_enroll_next(pp_verify_enroll_state(nf.status, nf.activate_at),
                                  approved ? PP_ENROLL_APPROVED : PP_ENROLL_DENIED, 0);
    if (act != PP_ENROLL_STAY) {
      fa->enroll_factor_sid = ch->enroll_factor_sid;
      fa->enroll_outcome = act == PP_ENROLL_VERIFY ? "verify" : "delete";
      nf.activate_at = 0;
      fa->event_type = pp_verify_enroll_event(act);
      fa->event_body = factor_event(r, fa->event_type, &nf);
      if (!fa->event_body) return PP_ERR_NOMEM;
      /* The new factor's fate, in the audit log with the answer. */
      return pp_api_audit_attach_also(
          r, act == PP_ENROLL_VERIFY ? PP_AUDIT_FACTOR_VERIFIED : PP_AUDIT_FACTOR_DELETED,
          nf.account_sid, (const char *[]){nf.sid, nf.entity_sid, nf.service_sid}, 3);
    }
    if (e && e != PP_ERR_NOT_FOUND) return e;
  }
  const char *kv[] = {"entity_identity",  ch->identity,    "factor_sid",    ch->factor_sid,
                      "factor_type",      ch->factor_type, "challenge_sid", ch->sid,
                      "challenge_status", ch->status};
  fa->event_type = approved ? "challenge.approved" : "challenge.denied";
  fa->event_body = event_body(r, fa->event_type, ch->service_sid, kv, 5);
  return fa->event_body ? PP_OK : PP_ERR_NOMEM;
}

static pp_err_t factor_attempted(pp_api_req_t *r) {
  attempt_t *st = r->state;
  pp_err_t e = r->write.result;
  /* Another code for this factor was taken first: this one counts as not
   * accepted (a code is used at most once); answer with the factor now. */
  if (e == PP_ERR_CONFLICT) {
    if ((e = load_factor(r, r->params[2], &st->factor))) return e;
  } else if (e) {
    return e;
  }
  return pp_api_respond(r, 200, render_factor, &st->factor);
}

pp_err_t pp_api_factor_update(pp_api_req_t *r) {
  attempt_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_err_t e = load_factor(r, r->params[2], &st->factor);
  if (e) return e;
  const char *payload = pp_form_get(&r->form, "AuthPayload");
  r->state = st;
  if (payload) {
    if (!r->api->verify_keys) return PP_ERR_INTERNAL;
    if ((e = attempt_decide(r, st, payload, false)) || (e = enroll_or_verify(r, st))) return e;
    return pp_api_submit(r, factor_attempted);
  }
  if ((e = factor_config(r, &st->factor))) return e;
  st->factor.date_updated = pp_clock_now();
  r->write.kind = PP_W_FACTOR_UPDATE;
  r->write.u.factor = &st->factor;
  return pp_api_submit(r, factor_attempted);
}

/* ---- Challenges ------------------------------------------------------------ */

/* The status a client sees now (factor.h). */
static const char *challenge_status(const pp_verify_challenge_t *ch) {
  return pp_verify_challenge_status(ch->status, ch->expiration_date, pp_clock_now());
}

_Static_assert(offsetof(pp_verify_challenge_t, seq) == 0, "a listed row starts with its seq");
static void render_challenge(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  const pp_verify_challenge_t *ch = row;
  const char *url =
      pp_api_verify_url(r, "/%s/Entities/%s/Challenges/%s", ch->service_sid, ch->identity, ch->sid);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", ch->sid);
  pp_jw_kstr(w, "account_sid", ch->account_sid);
  pp_jw_kstr(w, "service_sid", ch->service_sid);
  pp_jw_kstr(w, "entity_sid", ch->entity_sid);
  pp_jw_kstr(w, "identity", ch->identity);
  pp_jw_kstr(w, "factor_sid", ch->factor_sid);
  pp_api_verify_kdates(w, ch->date_created, ch->date_updated);
  pp_api_kiso8601_or_null(w, "date_responded", ch->date_responded);
  pp_api_kiso8601_or_null(w, "expiration_date", ch->expiration_date);
  pp_jw_kstr(w, "status", challenge_status(ch));
  pp_jw_kstr(w, "responded_reason", ch->responded_reason);
  pp_api_verify_kraw(w, "details", ch->details);
  pp_api_verify_kraw(w, "hidden_details", ch->hidden_details);
  pp_api_verify_kraw(w, "metadata", ch->metadata);
  pp_jw_kstr(w, "factor_type", ch->factor_type);
  static const char *const links[][2] = {{"notifications", "Notifications"}};
  pp_api_verify_klinks(r, w, url, links, 1);
  pp_jw_obj_end(w);
}

static pp_err_t challenge_written(pp_api_req_t *r) {
  attempt_t *st = r->state;
  pp_err_t e = r->write.result;
  if (e == PP_ERR_CONFLICT && r->write.kind == PP_W_FACTOR_ATTEMPT &&
      r->write.u.factor_attempt.challenge_insert) {
    /* The code raced another use of the factor: record the challenge as
     * pending, unanswered. */
    snprintf(st->challenge.status, sizeof st->challenge.status, "pending");
    snprintf(st->challenge.responded_reason, sizeof st->challenge.responded_reason, "none");
    st->challenge.date_responded = 0;
    pp_write_t w = {.kind = PP_W_CHALLENGE_INSERT,
                    .u.challenge_insert = {&st->challenge, NULL, NULL}};
    /* The audit event of the failed write recorded a conflict: this one
     * records the challenge made. */
    pp_audit_event_t ev = r->audit.event;
    ev.kind = PP_AUDIT_CHALLENGE_CREATED;
    ev.outcome[0] = '\0';
    ev.time_ms = ev.seq = 0;
    w.audit = &ev;
    e = pp_store_write(r->api->store, &w);
  } else if (e == PP_ERR_CONFLICT) {
    e = pp_store_challenge_get(r->api->store, &r->arena, r->principal.account_sid,
                               st->challenge.entity_sid, st->challenge.sid, &st->challenge);
  }
  if (e) return e;
  bool created =
      r->write.kind == PP_W_CHALLENGE_INSERT ||
      (r->write.kind == PP_W_FACTOR_ATTEMPT && r->write.u.factor_attempt.challenge_insert);
  return pp_api_respond(r, created ? 201 : 200, render_challenge, &st->challenge);
}

/* Details.Message / Details.Fields into the challenge's details JSON. */
static pp_err_t challenge_details(pp_api_req_t *r, pp_verify_challenge_t *ch) {
  const char *msg = pp_form_get(&r->form, "Details.Message");
  size_t nf = pp_form_count(&r->form, "Details.Fields");
  const char *hidden = pp_form_get(&r->form, "HiddenDetails");
  if (hidden && *hidden) {
    json_t *j = json_loads(hidden, 0, NULL);
    bool ok = j && json_is_object(j);
    json_decref(j);
    if (!ok) return pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "HiddenDetails must be a JSON object");
    ch->hidden_details = hidden;
  }
  if (!msg && nf == 0) return PP_OK;
  char when[PP_ISO8601_SIZE];
  pp_iso8601(ch->date_created, when);
  json_t *d = json_object(), *fields = json_array();
  json_object_set_new(d, "message", msg ? json_string(msg) : json_null());
  json_object_set_new(d, "date", json_string(when));
  pp_err_t e = PP_OK;
  for (size_t i = 0; i < nf && !e; i++) {
    json_t *fj = json_loads(pp_form_nth(&r->form, "Details.Fields", i), 0, NULL);
    if (!fj || !json_is_object(fj)) {
      json_decref(fj);
      e = pp_api_fail(r, PP_ERR_VERIFY_REQUEST, "Details.Fields must be JSON objects");
    } else {
      json_array_append_new(fields, fj);
    }
  }
  json_object_set_new(d, "fields", fields);
  char *text = e ? NULL : json_dumps(d, JSON_COMPACT);
  json_decref(d);
  if (e) return e;
  ch->details = text ? pp_arena_strdup(&r->arena, text) : NULL;
  free(text);
  return ch->details ? PP_OK : PP_ERR_NOMEM;
}

pp_err_t pp_api_challenge_create(pp_api_req_t *r) {
  attempt_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  const char *fsid = pp_form_get(&r->form, "FactorSid");
  if (!fsid || !*fsid) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "FactorSid");
  pp_err_t e = load_factor(r, fsid, &st->factor);
  if (e) return e;
  pp_verify_factor_t *f = &st->factor;
  if (strcmp(factor_status(f), "verified") != 0) return PP_ERR_VERIFY_FACTOR_UNVERIFIED;
  pp_verify_challenge_t *ch = &st->challenge;
  st->has_challenge = true;
  int64_t now = pp_clock_now();
  const char *exp = pp_form_get(&r->form, "ExpirationDate");
  int64_t asked, until;
  bool given = exp && *exp;
  if ((given && !pp_parse_iso8601(exp, &asked)) ||
      !pp_verify_challenge_expiry(now, given ? &asked : NULL, &until))
    return pp_api_fail(r, PP_ERR_VERIFY_REQUEST,
                       "ExpirationDate must be in the next 60 minutes (ISO 8601)");
  challenge_new(f, now, until, ch);
  if ((e = challenge_details(r, ch))) return e;
  r->state = st;
  const char *payload = pp_form_get(&r->form, "AuthPayload");
  if (payload && *payload) {
    if (!r->api->verify_keys) return PP_ERR_INTERNAL;
    if ((e = attempt_decide(r, st, payload, true)) || (e = challenge_answered(r, st))) return e;
    return pp_api_submit(r, challenge_written);
  }
  r->write.kind = PP_W_CHALLENGE_INSERT;
  r->write.u.challenge_insert = (pp_challenge_insert_t){ch, NULL, NULL};
  if (is_push(f)) {
    /* Pipit's challenge.pending: the app learns that its device has a
     * challenge to answer (Twilio would push it to the device). */
    char expires[PP_ISO8601_SIZE];
    pp_iso8601(ch->expiration_date, expires);
    const char *kv[] = {"entity_identity",
                        ch->identity,
                        "factor_sid",
                        ch->factor_sid,
                        "factor_type",
                        ch->factor_type,
                        "challenge_sid",
                        ch->sid,
                        "challenge_status",
                        ch->status,
                        "challenge_expiration_date",
                        expires};
    const char *body = event_body(r, "challenge.pending", ch->service_sid, kv, 6);
    if (!body) return PP_ERR_NOMEM;
    r->write.u.challenge_insert.event_type = "challenge.pending";
    r->write.u.challenge_insert.event_body = body;
  }
  pp_api_audit_attach(r, PP_AUDIT_CHALLENGE_CREATED, ch->account_sid,
                      (const char *[]){ch->sid, ch->factor_sid, ch->entity_sid, ch->service_sid},
                      4);
  return pp_api_submit(r, challenge_written);
}

/* Reads challenge `sid` of the entity of the path into st->challenge. */
static pp_err_t load_challenge(pp_api_req_t *r, pp_verify_challenge_t *ch) {
  pp_verify_entity_t en;
  pp_err_t e = load_entity(r, &en);
  if (e) return e;
  e = pp_store_challenge_get(r->api->store, &r->arena, r->principal.account_sid, en.sid,
                             r->params[2], ch);
  return pp_api_found(r, e);
}

pp_err_t pp_api_challenge_fetch(pp_api_req_t *r) {
  pp_verify_challenge_t ch;
  pp_err_t e = load_challenge(r, &ch);
  return e ? e : pp_api_respond(r, 200, render_challenge, &ch);
}

pp_err_t pp_api_challenge_update(pp_api_req_t *r) {
  attempt_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_err_t e = load_challenge(r, &st->challenge);
  if (e) return e;
  st->has_challenge = true;
  const char *payload = pp_form_get(&r->form, "AuthPayload");
  if (!payload || !*payload) return pp_api_respond(r, 200, render_challenge, &st->challenge);
  if ((e = pp_verify_challenge_answerable(challenge_status(&st->challenge))))
    return e == PP_ERR_VERIFY_REQUEST ? pp_api_fail(r, e, "the challenge was answered already") : e;
  e = pp_store_factor_get(r->api->store, &r->arena, r->principal.account_sid,
                          st->challenge.entity_sid, st->challenge.factor_sid, &st->factor);
  if ((e = pp_api_found(r, e))) return e;
  if (!r->api->verify_keys) return PP_ERR_INTERNAL;
  r->state = st;
  if ((e = attempt_decide(r, st, payload, false)) || (e = challenge_answered(r, st))) return e;
  return pp_api_submit(r, challenge_written);
}

pp_err_t pp_api_challenge_list(pp_api_req_t *r) {
  pp_verify_entity_t en;
  pp_api_page_t pg;
  pp_err_t e = load_entity(r, &en);
  if (e || (e = pp_api_page_parse(r, &pg))) return e;
  pp_verify_challenge_t *rows;
  size_t n;
  bool more;
  if ((e = pp_store_challenge_list(r->api->store, &r->arena, en.account_sid, en.sid, &pg.req, &rows,
                                   &n, &more)))
    return e;
  return pp_api_meta_list_respond(
      r, "challenges",
      pp_api_verify_url(r, "/%s/Entities/%s/Challenges", en.service_sid, en.identity), "", &pg,
      rows, sizeof *rows, n, more, render_challenge);
}

/* ceremony.c: WebAuthn registration and sign-in for staff over the store
 * and security/webauthn.h: which challenge, which member, which passkey,
 * and the one change each step writes.  security/webauthn.c checks the
 * response itself (type, challenge, origin, rpIdHash, flags, signature,
 * sign count). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "staff/staff.h"

#define CLIENT_DATA_MAX 4096

static void clear(pp_staff_ceremony_t *cx, int64_t now) {
  memset(cx, 0, sizeof *cx);
  cx->change.now = now;
}

/* The challenge a clientDataJSON (base64url) echoes, as its 32 bytes; false
 * when it names none that could be ours.  Only to find the stored
 * challenge: webauthn.c checks the response against the stored one. */
static bool client_challenge(const char *client_data_json, uint8_t out[PP_WEBAUTHN_CHALLENGE_LEN]) {
  uint8_t *buf = client_data_json ? malloc(CLIENT_DATA_MAX) : NULL;
  size_t len = 0, n = 0;
  bool ok = false;
  if (buf && sodium_base642bin(buf, CLIENT_DATA_MAX, client_data_json, strlen(client_data_json),
                               NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0) {
    json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
    const char *c = j ? json_string_value(json_object_get(j, "challenge")) : NULL;
    ok = c &&
         sodium_base642bin(out, PP_WEBAUTHN_CHALLENGE_LEN, c, strlen(c), NULL, &n, NULL,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
         n == PP_WEBAUTHN_CHALLENGE_LEN;
    json_decref(j);
  }
  free(buf);
  return ok;
}

/* Finds the stored challenge a response echoes into *t (its bytes into
 * cx->challenge) and checks it is a live one of `purpose`.  Once found,
 * the change spends it whatever follows (take[1]). */
static pp_err_t find_challenge(pp_store_t *s, const char *client_data_json, const char *purpose,
                               pp_staff_ceremony_t *cx, pp_staff_token_t *t) {
  if (!client_challenge(client_data_json, cx->challenge)) return PP_ERR_WEBAUTHN_CHALLENGE;
  crypto_hash_sha256(cx->take[1], cx->challenge, sizeof cx->challenge);
  pp_err_t e = pp_store_staff_token_get(s, cx->take[1], t);
  if (e == PP_ERR_NOT_FOUND) return PP_ERR_WEBAUTHN_CHALLENGE;
  if (e) return e;
  cx->change.take[1] = cx->take[1];
  cx->change.take_kind[1] = PP_STAFF_TOKEN_CHALLENGE;
  return pp_staff_challenge_check(t, purpose, NULL, cx->change.now);
}

/* A finish step's outcome: on a refusal the change keeps only the spent
 * challenge (take[1]), so a refused response cannot be tried again and
 * nothing else changes. */
static pp_err_t decided(pp_staff_ceremony_t *cx, pp_err_t e) {
  if (e) {
    const uint8_t *spent = cx->change.take[1];
    int64_t now = cx->change.now;
    memset(&cx->change, 0, sizeof cx->change);
    cx->change.now = now;
    cx->change.take[1] = spent;
    cx->change.take_kind[1] = PP_STAFF_TOKEN_CHALLENGE;
  }
  return e;
}

/* The member of a live enrolment token (its hash into cx->take[0]). */
static pp_err_t enrolment_of(pp_store_t *s, const char *token, pp_staff_ceremony_t *cx) {
  pp_staff_token_t t;
  if (!pp_staff_secret_hash(token, cx->take[0])) return PP_ERR_STAFF_ENROL_TOKEN;
  pp_err_t e = pp_store_staff_token_get(s, cx->take[0], &t);
  if (!e && (t.kind != PP_STAFF_TOKEN_ENROL || cx->change.now >= t.expires)) e = PP_ERR_NOT_FOUND;
  if (!e) e = pp_store_staff_get(s, t.staff, &cx->staff);
  if (e == PP_ERR_NOT_FOUND) return PP_ERR_STAFF_ENROL_TOKEN;
  if (!e) cx->known = true;
  return e;
}

/* A begin step's challenge for the known member and their passkeys. */
static pp_err_t begin(pp_store_t *s, pp_arena_t *a, const char *purpose, pp_staff_ceremony_t *cx) {
  pp_staff_challenge(cx->staff.name, purpose, NULL, cx->change.now, cx->challenge, &cx->token);
  cx->change.put = &cx->token;
  return pp_store_staff_creds(s, a, cx->staff.name, &cx->creds, &cx->ncreds);
}

pp_err_t pp_staff_register_begin(pp_store_t *s, pp_arena_t *a, const char *token, int64_t now,
                                 pp_staff_ceremony_t *cx) {
  clear(cx, now);
  pp_err_t e = enrolment_of(s, token, cx);
  return e ? e : begin(s, a, "register", cx);
}

static pp_err_t register_check(pp_store_t *s, const pp_webauthn_rp_t *rp, const char *token,
                               const char *raw_id, const char *client_data_json,
                               const char *attestation_object, int64_t now,
                               pp_staff_ceremony_t *cx) {
  pp_staff_token_t t;
  pp_err_t e = enrolment_of(s, token, cx);
  pp_err_t c = find_challenge(s, client_data_json, "register", cx, &t);
  if (e) return e;
  if (!c && strcmp(t.staff, cx->staff.name) != 0) c = PP_ERR_WEBAUTHN_CHALLENGE;
  if (c) return c;
  e = pp_webauthn_register(rp, cx->challenge, client_data_json, attestation_object, true,
                           &cx->cred.cred);
  if (e) return e;
  /* The attested credential is the one the response names (§7.1 step 22),
   * and no member has it yet. */
  uint8_t id[PP_WEBAUTHN_CRED_ID_MAX];
  size_t id_len = 0;
  if (pp_webauthn_b64url_decode(raw_id, id, sizeof id, &id_len) != PP_OK ||
      id_len != cx->cred.cred.id_len || sodium_memcmp(id, cx->cred.cred.id, id_len) != 0)
    return PP_ERR_WEBAUTHN_CREDENTIAL;
  pp_staff_cred_t other;
  e = pp_store_staff_cred_get(s, id, id_len, &other);
  if (e != PP_ERR_NOT_FOUND) return e ? e : PP_ERR_STAFF_PASSKEY_TAKEN;
  snprintf(cx->cred.staff, sizeof cx->cred.staff, "%s", cx->staff.name);
  cx->cred.date_created = cx->cred.last_used = now;
  cx->change.take[0] = cx->take[0];
  cx->change.take_kind[0] = PP_STAFF_TOKEN_ENROL;
  cx->change.cred_add = &cx->cred;
  cx->user_verified = cx->cred.cred.user_verified;
  return PP_OK;
}

pp_err_t pp_staff_register_finish(pp_store_t *s, const pp_webauthn_rp_t *rp, const char *token,
                                  const char *raw_id, const char *client_data_json,
                                  const char *attestation_object, int64_t now,
                                  pp_staff_ceremony_t *cx) {
  clear(cx, now);
  return decided(
      cx, register_check(s, rp, token, raw_id, client_data_json, attestation_object, now, cx));
}

pp_err_t pp_staff_login_begin(pp_store_t *s, pp_arena_t *a, const char *name, int64_t now,
                              pp_staff_ceremony_t *cx) {
  clear(cx, now);
  pp_err_t e = pp_staff_name_ok(name) ? pp_store_staff_get(s, name, &cx->staff) : PP_ERR_NOT_FOUND;
  if (e == PP_ERR_NOT_FOUND) { /* the same answer, with nothing behind it */
    randombytes_buf(cx->challenge, sizeof cx->challenge);
    return PP_OK;
  }
  if (e) return e;
  cx->known = true;
  return begin(s, a, "login", cx);
}

/* Checks an assertion `r` with the challenge `purpose` names: the passkey
 * of its rawId is registered, belongs to the member the challenge was made
 * for, and signed it with user verification.  On success the change spends
 * the challenge and stores the new sign count (if unchanged meanwhile). */
static pp_err_t assertion(pp_store_t *s, const pp_webauthn_rp_t *rp, const char *purpose,
                          const char *action, const pp_staff_assertion_t *r,
                          pp_staff_ceremony_t *cx) {
  pp_staff_token_t t;
  pp_err_t c = find_challenge(s, r->client_data_json, purpose, cx, &t);
  if (!c && action && strcmp(t.action, action) != 0) c = PP_ERR_WEBAUTHN_CHALLENGE;
  if (c && c != PP_ERR_WEBAUTHN_CHALLENGE) return c;
  uint8_t id[PP_WEBAUTHN_CRED_ID_MAX];
  size_t id_len = 0;
  pp_err_t e = pp_webauthn_b64url_decode(r->raw_id, id, sizeof id, &id_len) == PP_OK
                   ? pp_store_staff_cred_get(s, id, id_len, &cx->cred)
                   : PP_ERR_NOT_FOUND;
  if (e == PP_ERR_NOT_FOUND) e = PP_ERR_WEBAUTHN_CREDENTIAL;
  if (!e && pp_store_staff_get(s, cx->cred.staff, &cx->staff) == PP_OK) cx->known = true;
  if (e) return c ? c : e;
  if (c) return c;
  if (strcmp(t.staff, cx->cred.staff) != 0) return PP_ERR_WEBAUTHN_CREDENTIAL;
  pp_webauthn_assertion_t as;
  e = pp_webauthn_assert(rp, cx->challenge, &cx->cred.cred, r->client_data_json,
                         r->authenticator_data, r->signature, true, &as);
  if (e) return e;
  cx->change.if_sign_count = cx->cred.cred.sign_count;
  cx->cred.cred.sign_count = as.sign_count;
  cx->change.count = &cx->cred;
  cx->user_verified = as.user_verified;
  return PP_OK;
}

static pp_err_t login_check(pp_store_t *s, const pp_webauthn_rp_t *rp,
                            const pp_staff_assertion_t *r, int64_t session_ttl_s,
                            pp_staff_ceremony_t *cx) {
  pp_err_t e = assertion(s, rp, "login", NULL, r, cx);
  if (e) return e;
  pp_staff_session(cx->staff.name, cx->cred.cred.id, cx->cred.cred.id_len, cx->change.now,
                   session_ttl_s, &cx->token, cx->session);
  cx->change.put = &cx->token;
  return PP_OK;
}

pp_err_t pp_staff_login_finish(pp_store_t *s, const pp_webauthn_rp_t *rp,
                               const pp_staff_assertion_t *r, int64_t now, int64_t session_ttl_s,
                               pp_staff_ceremony_t *cx) {
  clear(cx, now);
  return decided(cx, login_check(s, rp, r, session_ttl_s, cx));
}

bool pp_staff_action_ok(const char *action) {
  size_t n = action ? strlen(action) : 0;
  if (n == 0 || n >= PP_STAFF_ACTION_SIZE) return false;
  return strspn(action, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

pp_err_t pp_staff_uv_begin(pp_store_t *s, const pp_staff_who_t *who, const char *action,
                           int64_t now, pp_staff_ceremony_t *cx) {
  clear(cx, now);
  if (!pp_staff_action_ok(action)) return PP_ERR_INVALID_PARAM;
  cx->staff = who->staff;
  cx->known = true;
  pp_staff_challenge(who->staff.name, "uv", action, now, cx->challenge, &cx->token);
  cx->change.put = &cx->token;
  /* Only the session's own passkey may confirm. */
  pp_err_t e =
      pp_store_staff_cred_get(s, who->session.cred_id, who->session.cred_id_len, &cx->cred);
  if (e == PP_ERR_NOT_FOUND) return PP_ERR_STAFF_SESSION;
  if (e) return e;
  cx->creds = &cx->cred;
  cx->ncreds = 1;
  return PP_OK;
}

static pp_err_t uv_check(pp_store_t *s, const pp_webauthn_rp_t *rp, const pp_staff_who_t *who,
                         const char *action, const pp_staff_assertion_t *r,
                         pp_staff_ceremony_t *cx) {
  if (!pp_staff_action_ok(action)) return PP_ERR_INVALID_PARAM;
  pp_err_t e = assertion(s, rp, "uv", action, r, cx);
  if (!e && (strcmp(cx->cred.staff, who->staff.name) != 0 ||
             cx->cred.cred.id_len != who->session.cred_id_len ||
             memcmp(cx->cred.cred.id, who->session.cred_id, who->session.cred_id_len) != 0))
    e = PP_ERR_WEBAUTHN_CREDENTIAL; /* another passkey than the session's */
  if (e) return e;
  memcpy(cx->take[0], who->session.hash, sizeof cx->take[0]);
  cx->change.uv_session = cx->take[0];
  cx->change.uv_action = action;
  return PP_OK;
}

pp_err_t pp_staff_uv_finish(pp_store_t *s, const pp_webauthn_rp_t *rp, const pp_staff_who_t *who,
                            const char *action, const pp_staff_assertion_t *r, int64_t now,
                            pp_staff_ceremony_t *cx) {
  clear(cx, now);
  cx->staff = who->staff;
  cx->known = true;
  return decided(cx, uv_check(s, rp, who, action, r, cx));
}

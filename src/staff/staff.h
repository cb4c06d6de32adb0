/* staff.h: staff principals (issue 13; docs/internals/staff.md): the
 * decisions about enrolment tokens, WebAuthn challenges, sessions, their
 * CSRF tokens and fresh user verification, as functions over plain values,
 * and the ceremonies over the store and security/webauthn.h.
 *
 * Secrets.  Every token (enrolment, session) and challenge is 32 random
 * bytes; the client sees it as unpadded base64url (43 characters); the
 * store keeps only its SHA-256 (pp_staff_token_t.hash).  Comparisons of
 * secrets are constant-time.  Nothing here logs.  All functions are safe
 * on any thread. */
#ifndef PP_STAFF_STAFF_H
#define PP_STAFF_STAFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "security/webauthn.h"
#include "store/store.h"

#define PP_STAFF_ENROL_TTL_S 900     /* an enrolment link: 15 minutes */
#define PP_STAFF_CHALLENGE_TTL_S 120 /* a challenge: 2 minutes */
#define PP_STAFF_SESSION_TTL_S 3600  /* a session: 1 hour */
#define PP_STAFF_UV_TTL_S 300        /* a user-verified assertion counts 5 minutes */
#define PP_STAFF_SECRET_LEN 32
#define PP_STAFF_TEXT_SIZE 44 /* 43 base64url characters and the NUL */
#define PP_STAFF_COOKIE "__Host-pipit-staff"
#define PP_STAFF_CSRF_HEADER "X-CSRF-Token"
#define PP_STAFF_CSRF_FIELD "csrf_token"

/* pp_staff_name_ok: 1 to 57 of A-Z a-z 0-9 . _ - (the principal is
 * "staff:NAME" in the audit log).  pp_staff_role_ok: "operator" or
 * "support". */
bool pp_staff_name_ok(const char *name);
bool pp_staff_role_ok(const char *role);

/* pp_staff_secret_new makes 32 random bytes into `bytes` (may be NULL),
 * their base64url text into `text` and their SHA-256 into `hash`. */
void pp_staff_secret_new(uint8_t bytes[PP_STAFF_SECRET_LEN], char text[PP_STAFF_TEXT_SIZE],
                         uint8_t hash[PP_STAFF_HASH_LEN]);

/* pp_staff_secret_hash decodes `text` (43 base64url characters, exactly 32
 * bytes) and writes the SHA-256 of the bytes into `hash`; false when
 * `text` is anything else (hash untouched). */
bool pp_staff_secret_hash(const char *text, uint8_t hash[PP_STAFF_HASH_LEN]);

/* pp_staff_enrolment fills a new member `m` (name, role, a random user
 * handle, now) and its enrolment token row `t`, valid 15 minutes from
 * `now`; `text` is the token for the link, shown once.  Errors:
 * PP_ERR_INVALID_PARAM (a bad name or role). */
pp_err_t pp_staff_enrolment(const char *name, const char *role, int64_t now, pp_staff_t *m,
                            pp_staff_token_t *t, char text[PP_STAFF_TEXT_SIZE]);

/* pp_staff_challenge fills a challenge row for `staff`, `purpose`
 * ("register", "login" or "uv") and, for "uv", `action`; the 32 bytes for
 * the ceremony go into `challenge`. */
void pp_staff_challenge(const char *staff, const char *purpose, const char *action, int64_t now,
                        uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN], pp_staff_token_t *t);

/* pp_staff_challenge_check: PP_OK when the stored row `t` is a challenge
 * for `purpose` (and `action` when not NULL) that has not expired at
 * `now`; PP_ERR_WEBAUTHN_CHALLENGE otherwise. */
pp_err_t pp_staff_challenge_check(const pp_staff_token_t *t, const char *purpose,
                                  const char *action, int64_t now);

/* pp_staff_session fills a session row for `staff` opened with passkey
 * `cred_id`, lasting ttl_s (0: one hour) from `now`; `text` is the cookie
 * value, shown once. */
void pp_staff_session(const char *staff, const uint8_t *cred_id, size_t cred_id_len, int64_t now,
                      int64_t ttl_s, pp_staff_token_t *t, char text[PP_STAFF_TEXT_SIZE]);

/* pp_staff_session_check: PP_OK when `t` is a session that has not
 * expired at `now`, PP_ERR_STAFF_SESSION otherwise. */
pp_err_t pp_staff_session_check(const pp_staff_token_t *t, int64_t now);

/* pp_staff_csrf writes the session's CSRF token: HMAC-SHA-256 keyed with
 * the session secret (the cookie's 32 bytes) over a fixed label, base64url.
 * Only the holder of the cookie can make it, and it says nothing about
 * the cookie.  false when `session_text` is not a token. */
bool pp_staff_csrf(const char *session_text, char out[PP_STAFF_TEXT_SIZE]);

/* pp_staff_csrf_check: PP_OK when `given` (the X-CSRF-Token header, else
 * the csrf_token form field) is the session's CSRF token, compared in
 * constant time; PP_ERR_STAFF_CSRF otherwise (NULL included). */
pp_err_t pp_staff_csrf_check(const char *session_text, const char *given);

/* pp_staff_uv_check: PP_OK when session `t` holds a user-verified
 * assertion made for `action` less than 5 minutes before `now`;
 * PP_ERR_STAFF_UV_STALE otherwise. */
pp_err_t pp_staff_uv_check(const pp_staff_token_t *t, const char *action, int64_t now);

/* pp_staff_cookie_find finds the value of the cookie named PP_STAFF_COOKIE
 * in a Cookie header (`header`, `len` bytes, not NUL-terminated; RFC 6265
 * "name=value; name=value") into `out`: true when it is there and its value
 * is 43 base64url characters.  Outside bytes: fuzz/fuzz_staff_cookie.c. */
bool pp_staff_cookie_find(const char *header, size_t len, char out[PP_STAFF_TEXT_SIZE]);

/* pp_staff_set_cookie writes the Set-Cookie value for session `text`
 * (NULL: one that clears it) lasting max_age_s: "__Host-pipit-staff=...;
 * Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=N". */
void pp_staff_set_cookie(const char *text, int64_t max_age_s, char out[160]);

/* pp_staff_rp_from_url derives the relying party from the public URL
 * ("https://host[:port][/path]"): rp_id the host without port, origin
 * "scheme://host[:port]".  PP_ERR_INVALID_PARAM for anything else (no
 * scheme http/https, no host, a user part, an IPv6 literal). */
pp_err_t pp_staff_rp_from_url(const char *url, char rp_id[256], char origin[256]);

/* ---- A request's staff session (for the HTTP handlers) ---------------- */

/* Who a staff request comes from. */
typedef struct {
  pp_staff_t staff;
  pp_staff_token_t session;
  char text[PP_STAFF_TEXT_SIZE]; /* the cookie value (a secret: wipe after use) */
} pp_staff_who_t;

/* pp_staff_resolve finds the staff session of a request from its Cookie
 * header (NULL: none): the session exists, has not expired at `now`, its
 * member is still there (staff remove deletes their sessions) and so is the
 * passkey it was opened with.
 * PP_ERR_STAFF_SESSION otherwise; PP_ERR_STORE when the store failed.
 * For a state-changing request, then call pp_staff_csrf_check(out->text,
 * the X-CSRF-Token header or the csrf_token form field); for an action
 * marked UV, pp_staff_uv_check(&out->session, action, now); for
 * operator-only reads, compare out->staff.role. */
pp_err_t pp_staff_resolve(pp_store_t *s, const char *cookie_header, int64_t now,
                          pp_staff_who_t *out);

/* ---- Ceremonies (ceremony.c) ------------------------------------------ */

/* What a ceremony step decided: the member, the change to write (with its
 * parts pointing into this struct), and for a begin step the challenge and
 * the member's passkeys (for excludeCredentials / allowCredentials, in the
 * arena given). */
typedef struct {
  pp_staff_t staff;
  bool known; /* staff is filled (a refusal may not know who) */
  uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN];
  pp_staff_cred_t *creds;
  size_t ncreds;
  pp_staff_change_t change;
  pp_staff_token_t token; /* what change.put inserts */
  pp_staff_cred_t cred;   /* change.cred_add or change.count */
  uint8_t take[2][PP_STAFF_HASH_LEN];
  char session[PP_STAFF_TEXT_SIZE]; /* login: the new session's cookie value */
  bool user_verified;
} pp_staff_ceremony_t;

/* pp_staff_register_begin: `token` must be a live enrolment token; makes a
 * "register" challenge for its member (cx->change puts it) and lists their
 * passkeys.  Errors: PP_ERR_STAFF_ENROL_TOKEN, PP_ERR_STORE, PP_ERR_NOMEM. */
pp_err_t pp_staff_register_begin(pp_store_t *s, pp_arena_t *a, const char *token, int64_t now,
                                 pp_staff_ceremony_t *cx);

/* pp_staff_register_finish checks a registration response (its rawId,
 * clientDataJSON and attestationObject, base64url) for the member of the
 * enrolment `token` against their "register" challenge (found by the
 * challenge in clientDataJSON) with pp_webauthn_register.  Success: the
 * change takes the token and the challenge and adds the passkey.  Refusal:
 * the error (PP_ERR_STAFF_ENROL_TOKEN, PP_ERR_WEBAUTHN_*) and a change that
 * still spends the challenge (change.take[0]) when one was found, so it
 * cannot be tried twice; cx->known says whether the member is known.  The
 * attested credential must be the rawId (PP_ERR_WEBAUTHN_CREDENTIAL) and
 * belong to no member yet (PP_ERR_STAFF_PASSKEY_TAKEN). */
pp_err_t pp_staff_register_finish(pp_store_t *s, const pp_webauthn_rp_t *rp, const char *token,
                                  const char *raw_id, const char *client_data_json,
                                  const char *attestation_object, int64_t now,
                                  pp_staff_ceremony_t *cx);

/* pp_staff_login_begin makes a "login" challenge for member `name` and
 * lists their passkeys.  For a name that is not a member it still answers
 * (a challenge nobody stores, no passkeys), so names cannot be probed;
 * cx->known is false then and change is empty. */
pp_err_t pp_staff_login_begin(pp_store_t *s, pp_arena_t *a, const char *name, int64_t now,
                              pp_staff_ceremony_t *cx);

/* An authentication response's base64url fields (AuthenticationResponseJSON:
 * rawId, response.clientDataJSON, .authenticatorData, .signature). */
typedef struct {
  const char *raw_id, *client_data_json, *authenticator_data, *signature;
} pp_staff_assertion_t;

/* pp_staff_login_finish checks an authentication response `r` against the
 * "login" challenge it echoes: the passkey of its rawId is registered and
 * belongs to the member the challenge was made for, and pp_webauthn_assert
 * passes (user verification required).  Success: the change spends the
 * challenge, stores the new sign count (if unchanged meanwhile) and opens a
 * session (cx->session, lasting session_ttl_s, 0: 1 hour).  Refusal: as
 * pp_staff_register_finish; a sign count that did not grow is
 * PP_ERR_WEBAUTHN_SIGN_COUNT. */
pp_err_t pp_staff_login_finish(pp_store_t *s, const pp_webauthn_rp_t *rp,
                               const pp_staff_assertion_t *r, int64_t now, int64_t session_ttl_s,
                               pp_staff_ceremony_t *cx);

/* ---- Fresh user verification for one action (UV) ---------------------- */

/* pp_staff_action_ok: an action name, 1 to 63 of a-z 0-9 . _ -
 * ("route.change", "lockbox.request"). */
bool pp_staff_action_ok(const char *action);

/* pp_staff_uv_begin makes a "uv" challenge for `action` for the signed-in
 * member `who` (resolved and CSRF-checked by the caller); cx->creds is the
 * session's own passkey, the only one that may answer.  Errors:
 * PP_ERR_INVALID_PARAM (a bad action name), PP_ERR_STAFF_SESSION (the
 * session's passkey is gone), PP_ERR_STORE. */
pp_err_t pp_staff_uv_begin(pp_store_t *s, const pp_staff_who_t *who, const char *action,
                           int64_t now, pp_staff_ceremony_t *cx);

/* pp_staff_uv_finish checks an assertion made with the session's passkey
 * for the "uv" challenge of `action`, user verified.  Success: the change
 * spends the challenge, stores the sign count and records on the session a
 * user-verified assertion for `action` at `now`, which pp_staff_uv_check
 * then accepts for 5 minutes.  Refusal: as pp_staff_login_finish. */
pp_err_t pp_staff_uv_finish(pp_store_t *s, const pp_webauthn_rp_t *rp, const pp_staff_who_t *who,
                            const char *action, const pp_staff_assertion_t *r, int64_t now,
                            pp_staff_ceremony_t *cx);

/* ---- Four eyes: change requests (change.c) ---------------------------- */

#define PP_CHANGE_TTL_S 86400 /* a change request waits 24 hours at most */
/* The fresh user verification a change request needs (pp_staff_uv_check). */
#define PP_CHANGE_UV_CARRIER "carrier.change"
#define PP_CHANGE_UV_ROUTE "route.change"
#define PP_CHANGE_UV_DECIDE "change.decide"

/* pp_change_action_ok: one of "carrier.create", "carrier.update",
 * "carrier.delete", "route.create", "route.delete".
 * pp_change_uv_action: the UV action asking for `action` needs
 * (PP_CHANGE_UV_CARRIER or PP_CHANGE_UV_ROUTE), NULL for another. */
bool pp_change_action_ok(const char *action);
const char *pp_change_uv_action(const char *action);

/* pp_change_new fills a new change request `out` for `action` asked by
 * `requested_by` ("staff:NAME" or "cli:USER") at `now`: a random sid
 * "CR" + 32 hex, "pending", expiring 24 hours on.  Errors:
 * PP_ERR_INVALID_PARAM (an unknown action, an empty requester). */
pp_err_t pp_change_new(const char *action, const char *requested_by, int64_t now, pp_change_t *out);

/* pp_change_status_at: the request's status as seen at `now`: its stored
 * status, except "expired" for one still pending at or past date_expires. */
const char *pp_change_status_at(const pp_change_t *c, int64_t now);

/* pp_change_may_request: PP_OK when member `m` may ask for a change (role
 * operator), PP_ERR_STAFF_ROLE otherwise. */
pp_err_t pp_change_may_request(const pp_staff_t *m);

/* pp_change_decide decides request `c` for member `m` at `now`, with
 * `status` "approved" or "rejected": on PP_OK, `c` carries the decision
 * (status, decided_by "staff:NAME", date_decided now), ready for the
 * store's conditional write.  Refusals, in this order:
 * PP_ERR_INVALID_PARAM (another status), PP_ERR_STAFF_ROLE (not an
 * operator), PP_ERR_CHANGE_OWN (the requester themself: four eyes mean
 * two people), PP_ERR_CHANGE_DECIDED (no longer pending),
 * PP_ERR_CHANGE_EXPIRED (pending past its 24 hours).  `c` is untouched on
 * a refusal. */
pp_err_t pp_change_decide(pp_change_t *c, const pp_staff_t *m, const char *status, int64_t now);

/* pp_change_host fills `out` for a change made on the host (the
 * break-glass `pipit admin carrier|route`): asked and applied by `who`
 * ("cli:USER") at `now`, status "approved", for the installation's
 * changelog.  Errors: as pp_change_new. */
pp_err_t pp_change_host(const char *action, const char *who, int64_t now, pp_change_t *out);

#endif

/* staff.c: the staff layer's decisions over plain values: names and roles,
 * secrets and their hashes, challenges, sessions, CSRF tokens, fresh user
 * verification, the session cookie and the relying party. */
#include "staff/staff.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool pp_staff_name_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n >= PP_STAFF_NAME_SIZE) return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  }
  return true;
}

bool pp_staff_role_ok(const char *role) {
  return role && (strcmp(role, "operator") == 0 || strcmp(role, "support") == 0);
}

static void b64url(const uint8_t *p, size_t n, char *out, size_t cap) {
  sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void pp_staff_secret_new(uint8_t bytes[PP_STAFF_SECRET_LEN], char text[PP_STAFF_TEXT_SIZE],
                         uint8_t hash[PP_STAFF_HASH_LEN]) {
  uint8_t b[PP_STAFF_SECRET_LEN];
  randombytes_buf(b, sizeof b);
  b64url(b, sizeof b, text, PP_STAFF_TEXT_SIZE);
  crypto_hash_sha256(hash, b, sizeof b);
  if (bytes) memcpy(bytes, b, sizeof b);
  sodium_memzero(b, sizeof b);
}

/* Decodes exactly 32 bytes from 43 base64url characters. */
static bool secret_bytes(const char *text, uint8_t out[PP_STAFF_SECRET_LEN]) {
  size_t len = 0;
  if (!text || strlen(text) != PP_STAFF_TEXT_SIZE - 1) return false;
  if (sodium_base642bin(out, PP_STAFF_SECRET_LEN, text, PP_STAFF_TEXT_SIZE - 1, NULL, &len, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return false;
  return len == PP_STAFF_SECRET_LEN;
}

bool pp_staff_secret_hash(const char *text, uint8_t hash[PP_STAFF_HASH_LEN]) {
  uint8_t b[PP_STAFF_SECRET_LEN];
  if (!secret_bytes(text, b)) return false;
  crypto_hash_sha256(hash, b, sizeof b);
  sodium_memzero(b, sizeof b);
  return true;
}

pp_err_t pp_staff_enrolment(const char *name, const char *role, int64_t now, pp_staff_t *m,
                            pp_staff_token_t *t, char text[PP_STAFF_TEXT_SIZE]) {
  if (!pp_staff_name_ok(name) || !pp_staff_role_ok(role)) return PP_ERR_INVALID_PARAM;
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", name);
  snprintf(m->role, sizeof m->role, "%s", role);
  randombytes_buf(m->user_id, sizeof m->user_id);
  m->date_created = now;
  memset(t, 0, sizeof *t);
  pp_staff_secret_new(NULL, text, t->hash);
  t->kind = PP_STAFF_TOKEN_ENROL;
  snprintf(t->staff, sizeof t->staff, "%s", name);
  snprintf(t->purpose, sizeof t->purpose, "enrol");
  t->created = now;
  t->expires = now + PP_STAFF_ENROL_TTL_S;
  return PP_OK;
}

void pp_staff_challenge(const char *staff, const char *purpose, const char *action, int64_t now,
                        uint8_t challenge[PP_WEBAUTHN_CHALLENGE_LEN], pp_staff_token_t *t) {
  char text[PP_STAFF_TEXT_SIZE];
  memset(t, 0, sizeof *t);
  pp_staff_secret_new(challenge, text, t->hash);
  t->kind = PP_STAFF_TOKEN_CHALLENGE;
  snprintf(t->staff, sizeof t->staff, "%s", staff);
  snprintf(t->purpose, sizeof t->purpose, "%s", purpose);
  snprintf(t->action, sizeof t->action, "%s", action ? action : "");
  t->created = now;
  t->expires = now + PP_STAFF_CHALLENGE_TTL_S;
}

pp_err_t pp_staff_challenge_check(const pp_staff_token_t *t, const char *purpose,
                                  const char *action, int64_t now) {
  if (t->kind != PP_STAFF_TOKEN_CHALLENGE || strcmp(t->purpose, purpose) != 0 || now >= t->expires)
    return PP_ERR_WEBAUTHN_CHALLENGE;
  if (action && strcmp(t->action, action) != 0) return PP_ERR_WEBAUTHN_CHALLENGE;
  return PP_OK;
}

void pp_staff_session(const char *staff, const uint8_t *cred_id, size_t cred_id_len, int64_t now,
                      int64_t ttl_s, pp_staff_token_t *t, char text[PP_STAFF_TEXT_SIZE]) {
  memset(t, 0, sizeof *t);
  pp_staff_secret_new(NULL, text, t->hash);
  t->kind = PP_STAFF_TOKEN_SESSION;
  snprintf(t->staff, sizeof t->staff, "%s", staff);
  snprintf(t->purpose, sizeof t->purpose, "session");
  if (cred_id_len > sizeof t->cred_id) cred_id_len = sizeof t->cred_id;
  memcpy(t->cred_id, cred_id, cred_id_len);
  t->cred_id_len = cred_id_len;
  t->created = now;
  t->expires = now + (ttl_s > 0 ? ttl_s : PP_STAFF_SESSION_TTL_S);
}

pp_err_t pp_staff_session_check(const pp_staff_token_t *t, int64_t now) {
  if (t->kind != PP_STAFF_TOKEN_SESSION || now >= t->expires) return PP_ERR_STAFF_SESSION;
  return PP_OK;
}

static const char csrf_label[] = "pipit staff csrf v1";

bool pp_staff_csrf(const char *session_text, char out[PP_STAFF_TEXT_SIZE]) {
  uint8_t key[PP_STAFF_SECRET_LEN], mac[crypto_auth_hmacsha256_BYTES];
  if (!secret_bytes(session_text, key)) return false;
  crypto_auth_hmacsha256(mac, (const uint8_t *)csrf_label, sizeof csrf_label - 1, key);
  b64url(mac, sizeof mac, out, PP_STAFF_TEXT_SIZE);
  sodium_memzero(key, sizeof key);
  sodium_memzero(mac, sizeof mac);
  return true;
}

pp_err_t pp_staff_csrf_check(const char *session_text, const char *given) {
  char want[PP_STAFF_TEXT_SIZE];
  if (!given || strlen(given) != PP_STAFF_TEXT_SIZE - 1 || !pp_staff_csrf(session_text, want))
    return PP_ERR_STAFF_CSRF;
  int same = sodium_memcmp(want, given, PP_STAFF_TEXT_SIZE - 1);
  sodium_memzero(want, sizeof want);
  return same == 0 ? PP_OK : PP_ERR_STAFF_CSRF;
}

pp_err_t pp_staff_uv_check(const pp_staff_token_t *t, const char *action, int64_t now) {
  if (!action || !*action || t->kind != PP_STAFF_TOKEN_SESSION || strcmp(t->action, action) != 0)
    return PP_ERR_STAFF_UV_STALE;
  if (t->uv_at <= 0 || now < t->uv_at || now - t->uv_at >= PP_STAFF_UV_TTL_S)
    return PP_ERR_STAFF_UV_STALE;
  return PP_OK;
}

static bool b64url_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool pp_staff_cookie_find(const char *header, size_t len, char out[PP_STAFF_TEXT_SIZE]) {
  static const char name[] = PP_STAFF_COOKIE;
  const size_t nl = sizeof name - 1;
  size_t i = 0;
  while (i < len) {
    while (i < len && (header[i] == ' ' || header[i] == '\t' || header[i] == ';')) i++;
    size_t start = i;
    while (i < len && header[i] != ';') i++;
    /* One cookie: header[start, i). */
    size_t n = i - start;
    const char *c = header + start;
    if (n > nl && memcmp(c, name, nl) == 0 && c[nl] == '=') {
      const char *v = c + nl + 1;
      size_t vl = n - nl - 1;
      while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
      if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') v++, vl -= 2;
      if (vl != PP_STAFF_TEXT_SIZE - 1) return false;
      for (size_t k = 0; k < vl; k++)
        if (!b64url_char(v[k])) return false;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return true;
    }
  }
  return false;
}

void pp_staff_set_cookie(const char *text, int64_t max_age_s, char out[160]) {
  snprintf(out, 160, "%s=%s; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=%lld",
           PP_STAFF_COOKIE, text ? text : "", text ? (long long)max_age_s : 0LL);
}

pp_err_t pp_staff_rp_from_url(const char *url, char rp_id[256], char origin[256]) {
  size_t scheme;
  if (!url) return PP_ERR_INVALID_PARAM;
  if (strncmp(url, "https://", 8) == 0)
    scheme = 8;
  else if (strncmp(url, "http://", 7) == 0)
    scheme = 7;
  else
    return PP_ERR_INVALID_PARAM;
  const char *host = url + scheme;
  size_t auth = strcspn(host, "/?#");
  if (auth == 0 || auth >= 200 || memchr(host, '@', auth) || host[0] == '[')
    return PP_ERR_INVALID_PARAM;
  const char *colon = memchr(host, ':', auth);
  size_t hl = colon ? (size_t)(colon - host) : auth;
  if (hl == 0) return PP_ERR_INVALID_PARAM;
  for (size_t i = 0; i < auth; i++) {
    char c = host[i];
    if (!(b64url_char(c) || c == '.' || c == ':') || c == '_') return PP_ERR_INVALID_PARAM;
  }
  if (colon) {
    size_t pl = auth - hl - 1;
    if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") < pl) return PP_ERR_INVALID_PARAM;
  }
  /* The origin: scheme, host in lower case, port; the RP id: the host. */
  size_t n = 0;
  memcpy(origin, url, scheme);
  n = scheme;
  for (size_t i = 0; i < auth; i++) {
    char c = host[i];
    origin[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  origin[n] = '\0';
  memcpy(rp_id, origin + scheme, hl);
  rp_id[hl] = '\0';
  return PP_OK;
}

pp_err_t pp_staff_resolve(pp_store_t *s, const char *cookie_header, int64_t now,
                          pp_staff_who_t *out) {
  pp_staff_who_t w;
  memset(&w, 0, sizeof w);
  uint8_t hash[PP_STAFF_HASH_LEN];
  if (!cookie_header || !pp_staff_cookie_find(cookie_header, strlen(cookie_header), w.text) ||
      !pp_staff_secret_hash(w.text, hash)) {
    sodium_memzero(&w, sizeof w);
    return PP_ERR_STAFF_SESSION;
  }
  pp_err_t e = pp_store_staff_token_get(s, hash, &w.session);
  if (!e) e = pp_staff_session_check(&w.session, now);
  if (!e) e = pp_store_staff_get(s, w.session.staff, &w.staff);
  if (!e) { /* bound to its passkey: it ends with it */
    pp_staff_cred_t k;
    e = pp_store_staff_cred_get(s, w.session.cred_id, w.session.cred_id_len, &k);
    if (!e && strcmp(k.staff, w.staff.name) != 0) e = PP_ERR_NOT_FOUND;
  }
  if (e == PP_ERR_NOT_FOUND) e = PP_ERR_STAFF_SESSION;
  if (!e) *out = w;
  sodium_memzero(&w, sizeof w);
  return e;
}

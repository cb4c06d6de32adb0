/* The staff layer's decisions over plain values (src/staff/staff.h):
 * names and roles, secrets and their hashes, enrolment, challenges bound to
 * purpose and expiry, sessions and their expiry, the CSRF token, fresh user
 * verification, the cookie parser and the relying party from the URL. */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "staff/staff.h"

static void names_and_roles(void) {
  CHECK(pp_staff_name_ok("alice"));
  CHECK(pp_staff_name_ok("a.b_c-D9"));
  CHECK(!pp_staff_name_ok(""));
  CHECK(!pp_staff_name_ok(NULL));
  CHECK(!pp_staff_name_ok("al ice"));
  CHECK(!pp_staff_name_ok("al:ice"));
  char long_name[80];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[57] = '\0';
  CHECK(pp_staff_name_ok(long_name));
  long_name[57] = 'a';
  long_name[58] = '\0';
  CHECK(!pp_staff_name_ok(long_name));
  CHECK(pp_staff_role_ok("operator"));
  CHECK(pp_staff_role_ok("support"));
  CHECK(!pp_staff_role_ok("admin"));
  CHECK(!pp_staff_role_ok(NULL));
  CHECK(pp_staff_action_ok("route.change"));
  CHECK(pp_staff_action_ok("lockbox.request"));
  CHECK(!pp_staff_action_ok("Route.change"));
  CHECK(!pp_staff_action_ok(""));
  CHECK(!pp_staff_action_ok(NULL));
  CHECK(!pp_staff_action_ok("a b"));
}

static void secrets(void) {
  uint8_t bytes[32], hash[32], again[32], want[32];
  char text[PP_STAFF_TEXT_SIZE], other[PP_STAFF_TEXT_SIZE];
  pp_staff_secret_new(bytes, text, hash);
  CHECK_EQ_INT(strlen(text), 43);
  crypto_hash_sha256(want, bytes, sizeof bytes);
  CHECK(memcmp(hash, want, 32) == 0); /* the hash of the bytes, not of the text */
  CHECK(pp_staff_secret_hash(text, again));
  CHECK(memcmp(hash, again, 32) == 0);
  pp_staff_secret_new(NULL, other, again);
  CHECK(strcmp(text, other) != 0);
  CHECK(memcmp(hash, again, 32) != 0);
  CHECK(!pp_staff_secret_hash("short", again));
  CHECK(!pp_staff_secret_hash(NULL, again));
  char bad[PP_STAFF_TEXT_SIZE];
  memcpy(bad, text, sizeof bad);
  bad[5] = '+'; /* standard base64, not base64url */
  CHECK(!pp_staff_secret_hash(bad, again));
}

static void enrolment(void) {
  pp_staff_t m;
  pp_staff_token_t t;
  char text[PP_STAFF_TEXT_SIZE];
  CHECK_EQ_INT(pp_staff_enrolment("alice", "operator", 1000, &m, &t, text), PP_OK);
  CHECK_EQ_STR(m.name, "alice");
  CHECK_EQ_STR(m.role, "operator");
  CHECK_EQ_INT(t.kind, PP_STAFF_TOKEN_ENROL);
  CHECK_EQ_INT(t.expires, 1000 + 15 * 60);
  uint8_t h[32];
  CHECK(pp_staff_secret_hash(text, h));
  CHECK(memcmp(h, t.hash, 32) == 0); /* the row keeps only the hash */
  static const uint8_t zero[16];
  CHECK(memcmp(m.user_id, zero, 16) != 0);
  CHECK_EQ_INT(pp_staff_enrolment("bad name", "operator", 1000, &m, &t, text),
               PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_enrolment("bob", "root", 1000, &m, &t, text), PP_ERR_INVALID_PARAM);
}

static void challenges(void) {
  uint8_t c[32], h[32];
  pp_staff_token_t t;
  pp_staff_challenge("alice", "login", NULL, 5000, c, &t);
  crypto_hash_sha256(h, c, 32);
  CHECK(memcmp(h, t.hash, 32) == 0);
  CHECK_EQ_INT(t.expires, 5000 + 120);
  CHECK_EQ_INT(pp_staff_challenge_check(&t, "login", NULL, 5000), PP_OK);
  CHECK_EQ_INT(pp_staff_challenge_check(&t, "login", NULL, 5119), PP_OK);
  CHECK_EQ_INT(pp_staff_challenge_check(&t, "login", NULL, 5120), PP_ERR_WEBAUTHN_CHALLENGE);
  CHECK_EQ_INT(pp_staff_challenge_check(&t, "register", NULL, 5000), PP_ERR_WEBAUTHN_CHALLENGE);
  pp_staff_challenge("alice", "uv", "route.change", 5000, c, &t);
  CHECK_EQ_INT(pp_staff_challenge_check(&t, "uv", "route.change", 5000), PP_OK);
  CHECK_EQ_INT(pp_staff_challenge_check(&t, "uv", "lockbox.request", 5000),
               PP_ERR_WEBAUTHN_CHALLENGE);
  pp_staff_token_t s;
  char text[PP_STAFF_TEXT_SIZE];
  pp_staff_session("alice", c, 8, 5000, 0, &s, text);
  CHECK_EQ_INT(pp_staff_challenge_check(&s, "login", NULL, 5000), PP_ERR_WEBAUTHN_CHALLENGE);
}

static void sessions(void) {
  uint8_t id[3] = {1, 2, 3};
  pp_staff_token_t s;
  char text[PP_STAFF_TEXT_SIZE];
  pp_staff_session("alice", id, 3, 100, 0, &s, text);
  CHECK_EQ_INT(s.expires, 100 + 3600);
  CHECK_EQ_INT(s.cred_id_len, 3);
  CHECK(memcmp(s.cred_id, id, 3) == 0);
  CHECK_EQ_INT(pp_staff_session_check(&s, 3699), PP_OK);
  CHECK_EQ_INT(pp_staff_session_check(&s, 3700), PP_ERR_STAFF_SESSION);
  pp_staff_session("alice", id, 3, 100, 5, &s, text);
  CHECK_EQ_INT(pp_staff_session_check(&s, 105), PP_ERR_STAFF_SESSION);

  /* CSRF: tied to the session, constant-time compared. */
  char csrf[PP_STAFF_TEXT_SIZE], again[PP_STAFF_TEXT_SIZE], other_text[PP_STAFF_TEXT_SIZE];
  CHECK(pp_staff_csrf(text, csrf));
  CHECK(pp_staff_csrf(text, again));
  CHECK_EQ_STR(csrf, again);
  CHECK(strcmp(csrf, text) != 0);
  CHECK_EQ_INT(pp_staff_csrf_check(text, csrf), PP_OK);
  CHECK_EQ_INT(pp_staff_csrf_check(text, NULL), PP_ERR_STAFF_CSRF);
  CHECK_EQ_INT(pp_staff_csrf_check(text, ""), PP_ERR_STAFF_CSRF);
  CHECK_EQ_INT(pp_staff_csrf_check(text, text), PP_ERR_STAFF_CSRF);
  pp_staff_token_t s2;
  pp_staff_session("alice", id, 3, 100, 0, &s2, other_text);
  CHECK_EQ_INT(pp_staff_csrf_check(other_text, csrf), PP_ERR_STAFF_CSRF);
  csrf[10] ^= 1;
  CHECK_EQ_INT(pp_staff_csrf_check(text, csrf), PP_ERR_STAFF_CSRF);

  /* Fresh user verification: for that action, under 5 minutes. */
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "route.change", 200), PP_ERR_STAFF_UV_STALE);
  snprintf(s2.action, sizeof s2.action, "route.change");
  s2.uv_at = 200;
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "route.change", 200), PP_OK);
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "route.change", 499), PP_OK);
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "route.change", 500), PP_ERR_STAFF_UV_STALE);
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "route.change", 199), PP_ERR_STAFF_UV_STALE);
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "lockbox.request", 300), PP_ERR_STAFF_UV_STALE);
  CHECK_EQ_INT(pp_staff_uv_check(&s2, "", 300), PP_ERR_STAFF_UV_STALE);
}

static void cookies(void) {
  char out[PP_STAFF_TEXT_SIZE];
  const char *v = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123";
  char h[256];
  snprintf(h, sizeof h, "__Host-pipit-staff=%s", v);
  CHECK(pp_staff_cookie_find(h, strlen(h), out));
  CHECK_EQ_STR(out, v);
  snprintf(h, sizeof h, "a=b; other=1;  __Host-pipit-staff=%s ; z=2", v);
  CHECK(pp_staff_cookie_find(h, strlen(h), out));
  CHECK_EQ_STR(out, v);
  snprintf(h, sizeof h, "__Host-pipit-staff=\"%s\"", v);
  CHECK(pp_staff_cookie_find(h, strlen(h), out));
  snprintf(h, sizeof h, "x__Host-pipit-staff=%s", v); /* another cookie's name */
  CHECK(!pp_staff_cookie_find(h, strlen(h), out));
  snprintf(h, sizeof h, "__Host-pipit-staff=%.42s", v); /* too short */
  CHECK(!pp_staff_cookie_find(h, strlen(h), out));
  snprintf(h, sizeof h, "__Host-pipit-staff=%.42s!", v); /* not base64url */
  CHECK(!pp_staff_cookie_find(h, strlen(h), out));
  snprintf(h, sizeof h, "__Host-pipit-staff=%s", v);
  CHECK(!pp_staff_cookie_find(h, strlen(h) - 1, out)); /* the length is honoured */
  CHECK(!pp_staff_cookie_find("", 0, out));
  char set[160];
  pp_staff_set_cookie(v, 3600, set);
  snprintf(h, sizeof h,
           "__Host-pipit-staff=%s; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600", v);
  CHECK_EQ_STR(set, h);
  pp_staff_set_cookie(NULL, 0, set);
  CHECK_EQ_STR(set, "__Host-pipit-staff=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

static void relying_party(void) {
  char id[256], origin[256];
  CHECK_EQ_INT(pp_staff_rp_from_url("https://Pipit.Example.com/base", id, origin), PP_OK);
  CHECK_EQ_STR(id, "pipit.example.com");
  CHECK_EQ_STR(origin, "https://pipit.example.com");
  CHECK_EQ_INT(pp_staff_rp_from_url("http://localhost:8080", id, origin), PP_OK);
  CHECK_EQ_STR(id, "localhost");
  CHECK_EQ_STR(origin, "http://localhost:8080");
  CHECK_EQ_INT(pp_staff_rp_from_url("ftp://x", id, origin), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_rp_from_url("https://", id, origin), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_rp_from_url("https://u@host", id, origin), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_rp_from_url("https://host:", id, origin), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_rp_from_url("https://host:80a", id, origin), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_rp_from_url("https://[::1]:80", id, origin), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_staff_rp_from_url(NULL, id, origin), PP_ERR_INVALID_PARAM);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  names_and_roles();
  secrets();
  enrolment();
  challenges();
  sessions();
  cookies();
  relying_party();
  return check_report("staff_rules");
}

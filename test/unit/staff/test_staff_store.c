/* Staff rows in a real SQLite store (PP_W_STAFF and the pp_store_staff_*
 * reads) and pp_staff_resolve over them: a token is taken once and only
 * while live, a sign count moves only from the value read, removing a
 * member ends their sessions, and only hashes are stored. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "staff/staff.h"

static const unsigned char test_master[32] = {3, 1, 4, 1, 5, 9, 2, 6};
static pp_store_t *store;

static pp_err_t apply(pp_staff_change_t *ch) {
  pp_write_t w = {.kind = PP_W_STAFF, .u.staff = ch};
  return pp_store_write(store, &w);
}

static void add_member(const char *name, char enrol_text[PP_STAFF_TEXT_SIZE], int64_t now) {
  pp_staff_t m;
  pp_staff_token_t t;
  CHECK_EQ_INT(pp_staff_enrolment(name, "operator", now, &m, &t, enrol_text), PP_OK);
  pp_staff_change_t ch = {.add = &m, .put = &t, .now = now};
  CHECK_EQ_INT(apply(&ch), PP_OK);
  CHECK_EQ_INT(apply(&ch), PP_ERR_CONFLICT); /* the name is taken */
}

/* Registers a passkey with id {n, n, n} for `name`. */
static void add_cred(const char *name, uint8_t n, int64_t now) {
  pp_staff_cred_t k;
  memset(&k, 0, sizeof k);
  snprintf(k.staff, sizeof k.staff, "%s", name);
  memset(k.cred.id, n, 3);
  k.cred.id_len = 3;
  k.cred.alg = PP_WEBAUTHN_ES256;
  k.cred.cose_key_len = 77;
  memset(k.cred.cose_key, 0xa5, 77);
  k.cred.sign_count = 5;
  k.date_created = k.last_used = now;
  pp_staff_change_t ch = {.cred_add = &k, .now = now};
  CHECK_EQ_INT(apply(&ch), PP_OK);
  CHECK_EQ_INT(apply(&ch), PP_ERR_CONFLICT); /* that id is registered */
}

int main(void) {
  if (sodium_init() < 0) return 1;
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/pp-staff-%d", (int)getpid());
  CHECK_EQ_INT(pp_store_open(dir, test_master, &store), PP_OK);
  const int64_t now = 1700000000;

  char enrol[PP_STAFF_TEXT_SIZE];
  add_member("alice", enrol, now);
  pp_staff_t m;
  CHECK_EQ_INT(pp_store_staff_get(store, "alice", &m), PP_OK);
  CHECK_EQ_STR(m.role, "operator");
  CHECK_EQ_INT(pp_store_staff_get(store, "nobody", &m), PP_ERR_NOT_FOUND);

  /* The enrolment token: found by its hash, taken once, only while live. */
  uint8_t eh[32];
  CHECK(pp_staff_secret_hash(enrol, eh));
  pp_staff_token_t t;
  CHECK_EQ_INT(pp_store_staff_token_get(store, eh, &t), PP_OK);
  CHECK_EQ_INT(t.kind, PP_STAFF_TOKEN_ENROL);
  CHECK_EQ_STR(t.staff, "alice");
  pp_staff_change_t late = {
      .take = {eh}, .take_kind = {PP_STAFF_TOKEN_ENROL}, .now = now + PP_STAFF_ENROL_TTL_S};
  CHECK_EQ_INT(apply(&late), PP_ERR_CONFLICT); /* expired */
  pp_staff_change_t wrong = {.take = {eh}, .take_kind = {PP_STAFF_TOKEN_SESSION}, .now = now};
  CHECK_EQ_INT(apply(&wrong), PP_ERR_CONFLICT); /* not a session */
  pp_staff_change_t take = {.take = {eh}, .take_kind = {PP_STAFF_TOKEN_ENROL}, .now = now + 1};
  CHECK_EQ_INT(apply(&take), PP_OK);
  CHECK_EQ_INT(apply(&take), PP_ERR_CONFLICT); /* single use */

  /* Passkeys and sign counts. */
  add_cred("alice", 7, now);
  add_cred("alice", 8, now);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_staff_cred_t *creds;
  size_t n;
  CHECK_EQ_INT(pp_store_staff_creds(store, &a, "alice", &creds, &n), PP_OK);
  CHECK_EQ_INT(n, 2);
  CHECK(n == 2 && creds[0].cred.id[0] == 7 && creds[1].cred.id[0] == 8);
  CHECK(n == 2 && creds[0].cred.cose_key_len == 77 && creds[0].cred.cose_key[76] == 0xa5);
  pp_staff_cred_t k;
  uint8_t id7[3] = {7, 7, 7};
  CHECK_EQ_INT(pp_store_staff_cred_get(store, id7, 3, &k), PP_OK);
  CHECK_EQ_INT(k.cred.sign_count, 5);
  k.cred.sign_count = 9;
  pp_staff_change_t count = {.count = &k, .if_sign_count = 4, .now = now};
  CHECK_EQ_INT(apply(&count), PP_ERR_CONFLICT); /* moved meanwhile */
  count.if_sign_count = 5;
  CHECK_EQ_INT(apply(&count), PP_OK);
  CHECK_EQ_INT(pp_store_staff_cred_get(store, id7, 3, &k), PP_OK);
  CHECK_EQ_INT(k.cred.sign_count, 9);

  /* A challenge and a session in one change, all or nothing. */
  uint8_t c[32];
  pp_staff_token_t ct;
  pp_staff_challenge("alice", "login", NULL, now, c, &ct);
  pp_staff_change_t put = {.put = &ct, .now = now};
  CHECK_EQ_INT(apply(&put), PP_OK);
  pp_staff_token_t st;
  char session[PP_STAFF_TEXT_SIZE];
  pp_staff_session("alice", id7, 3, now, 0, &st, session);
  pp_staff_change_t login = {.take = {NULL, ct.hash},
                             .take_kind = {0, PP_STAFF_TOKEN_CHALLENGE},
                             .put = &st,
                             .now = now + 1};
  CHECK_EQ_INT(apply(&login), PP_OK);
  CHECK_EQ_INT(apply(&login), PP_ERR_CONFLICT); /* the challenge is spent: nothing is put */

  /* Resolving the cookie. */
  char cookie[128];
  snprintf(cookie, sizeof cookie, "theme=dark; %s=%s", PP_STAFF_COOKIE, session);
  pp_staff_who_t who;
  CHECK_EQ_INT(pp_staff_resolve(store, cookie, now + 2, &who), PP_OK);
  CHECK_EQ_STR(who.staff.name, "alice");
  CHECK_EQ_INT(who.session.cred_id_len, 3);
  CHECK_EQ_INT(pp_staff_csrf_check(who.text, "x"), PP_ERR_STAFF_CSRF);
  CHECK_EQ_INT(pp_staff_resolve(store, cookie, now + PP_STAFF_SESSION_TTL_S, &who),
               PP_ERR_STAFF_SESSION); /* expired */
  CHECK_EQ_INT(pp_staff_resolve(store, NULL, now, &who), PP_ERR_STAFF_SESSION);
  CHECK_EQ_INT(pp_staff_resolve(store, "a=b", now, &who), PP_ERR_STAFF_SESSION);
  /* A session opened with a passkey nobody has is no session. */
  pp_staff_token_t orphan;
  char orphan_text[PP_STAFF_TEXT_SIZE], orphan_cookie[128];
  uint8_t gone[3] = {9, 9, 9};
  pp_staff_session("alice", gone, 3, now, 0, &orphan, orphan_text);
  pp_staff_change_t put_orphan = {.put = &orphan, .now = now};
  CHECK_EQ_INT(apply(&put_orphan), PP_OK);
  snprintf(orphan_cookie, sizeof orphan_cookie, "%s=%s", PP_STAFF_COOKIE, orphan_text);
  CHECK_EQ_INT(pp_staff_resolve(store, orphan_cookie, now + 2, &who), PP_ERR_STAFF_SESSION);

  /* A fresh user-verified assertion recorded on the session. */
  pp_staff_change_t uv = {.uv_session = st.hash, .uv_action = "route.change", .now = now + 10};
  CHECK_EQ_INT(apply(&uv), PP_OK);
  CHECK_EQ_INT(pp_staff_resolve(store, cookie, now + 11, &who), PP_OK);
  CHECK_EQ_INT(pp_staff_uv_check(&who.session, "route.change", now + 11), PP_OK);
  CHECK_EQ_INT(pp_staff_uv_check(&who.session, "route.change", now + 10 + 300),
               PP_ERR_STAFF_UV_STALE);

  /* Removing the member ends the session at once and drops the passkeys. */
  pp_staff_change_t rm = {.remove = "alice", .now = now};
  CHECK_EQ_INT(apply(&rm), PP_OK);
  CHECK_EQ_INT(apply(&rm), PP_ERR_NOT_FOUND);
  CHECK_EQ_INT(pp_staff_resolve(store, cookie, now + 3, &who), PP_ERR_STAFF_SESSION);
  CHECK_EQ_INT(pp_store_staff_cred_get(store, id7, 3, &k), PP_ERR_NOT_FOUND);
  CHECK_EQ_INT(pp_store_staff_token_get(store, st.hash, &t), PP_ERR_NOT_FOUND);

  /* Logging out: the session of that hash goes; a second time finds none. */
  char enrol2[PP_STAFF_TEXT_SIZE];
  add_member("bob", enrol2, now);
  pp_staff_session("bob", id7, 3, now, 0, &st, session);
  pp_staff_change_t open = {.put = &st, .now = now};
  CHECK_EQ_INT(apply(&open), PP_OK);
  pp_staff_change_t out = {.end = st.hash, .now = now};
  CHECK_EQ_INT(apply(&out), PP_OK);
  CHECK_EQ_INT(apply(&out), PP_ERR_NOT_FOUND);
  pp_staff_t *all;
  CHECK_EQ_INT(pp_store_staff_list(store, &a, &all, &n), PP_OK);
  CHECK(n == 1 && strcmp(all[0].name, "bob") == 0);

  pp_arena_cleanup(&a);
  pp_store_free(store);

  /* Only hashes on disk: the secrets' text appears nowhere in the file. */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "grep -rqa -- '%s' %s", session, dir);
  CHECK(system(cmd) != 0);
  snprintf(cmd, sizeof cmd, "grep -rqa -- '%s' %s", enrol2, dir);
  CHECK(system(cmd) != 0);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("staff_store");
}

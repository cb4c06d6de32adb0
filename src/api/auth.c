/* auth.c: HTTP Basic credentials to a principal, which routes it may use,
 * and which accounts it may act on.  Secrets are compared in constant time
 * and wiped. */
#include <sodium.h>
#include <string.h>

#include "api/api.h"

void pp_api_key_hash(const char *secret, unsigned char out[32]) {
  crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

/* The check itself; `claimed` gets the account of the credential named
 * (the AC… user, or the account of an existing SK… key). */
static pp_err_t check(pp_api_req_t *r, const char *user, const char *pass,
                      char claimed[PP_SID_SIZE]) {
  pp_account_t acc;
  pp_principal_t *p = &r->principal;
  memset(p, 0, sizeof *p);
  if (!user || !pass) return PP_ERR_AUTH;
  if (pp_sid_valid(user, "AC")) snprintf(claimed, PP_SID_SIZE, "%s", user);
  if (strcmp(user, PP_OPERATOR_USER) == 0) return PP_ERR_OPERATOR_TOKEN_GONE; /* retired */
  if (pp_sid_valid(user, "AC")) {
    int which = 0;
    if (pp_store_account_auth(r->api->store, user, pass, &acc, &which) != PP_OK || !which)
      return PP_ERR_AUTH;
    p->kind = PP_PRINCIPAL_ACCOUNT;
  } else if (pp_sid_valid(user, "SK")) {
    pp_key_t key;
    unsigned char h[32];
    if (pp_store_key_get(r->api->store, user, &key) != PP_OK) return PP_ERR_AUTH;
    memcpy(claimed, key.account_sid, PP_SID_SIZE);
    pp_api_key_hash(pass, h);
    bool ok = sodium_memcmp(h, key.secret_hash, sizeof h) == 0;
    sodium_memzero(h, sizeof h);
    if (!ok) return PP_ERR_AUTH;
    int which; /* the account without opening its tokens */
    if (pp_store_account_auth(r->api->store, key.account_sid, NULL, &acc, &which) != PP_OK)
      return PP_ERR_AUTH;
    p->kind = PP_PRINCIPAL_KEY;
    memcpy(p->key_sid, key.sid, sizeof p->key_sid);
  } else {
    return PP_ERR_AUTH;
  }
  if (strcmp(acc.status, "closed") == 0) {
    memset(p, 0, sizeof *p);
    return PP_ERR_AUTH;
  }
  if (strcmp(acc.status, "active") != 0) {
    memset(p, 0, sizeof *p);
    return PP_ERR_ACCOUNT_INACTIVE;
  }
  memcpy(p->account_sid, acc.sid, sizeof p->account_sid);
  p->is_main = strcmp(acc.owner_sid, acc.sid) == 0;
  p->account = acc; /* tokens already wiped above */
  return PP_OK;
}

pp_err_t pp_api_authenticate(pp_api_req_t *r, const char *user, const char *pass) {
  char claimed[PP_SID_SIZE] = "";
  memset(&r->principal, 0, sizeof r->principal);
  pp_err_t e = pp_api_guard_check(r, user);
  if (e) return e; /* refused before the credentials are looked at */
  e = check(r, user, pass, claimed);
  pp_api_audit_sign_in(r, user, pass, claimed[0] ? claimed : NULL, e);
  return e;
}

pp_err_t pp_api_authorize(pp_api_req_t *r, bool operator_route) {
  bool staff = r->principal.kind == PP_PRINCIPAL_STAFF;
  if (operator_route && !staff)
    return pp_api_fail(r, PP_ERR_FORBIDDEN, "only a staff session may use /admin/v1");
  if (!operator_route && staff) {
    memset(&r->principal, 0, sizeof r->principal);
    return PP_ERR_AUTH; /* as for an unknown credential */
  }
  return PP_OK;
}

pp_err_t pp_api_need_account_credential(pp_api_req_t *r) {
  return r->principal.kind == PP_PRINCIPAL_ACCOUNT ? PP_OK
                                                   : pp_api_fail(r, PP_ERR_KEY_FORBIDDEN, NULL);
}

pp_err_t pp_api_account_access(pp_api_req_t *r, const char *sid, pp_account_t *out) {
  pp_account_t acc;
  const char *mine = r->principal.account_sid;
  if (!pp_sid_valid(sid, "AC")) return PP_ERR_NOT_FOUND;
  if (r->principal.kind != PP_PRINCIPAL_ACCOUNT && r->principal.kind != PP_PRINCIPAL_KEY)
    return PP_ERR_NOT_FOUND;    /* the operator (or nobody) owns no account */
  if (strcmp(sid, mine) == 0) { /* the common case: read once, at sign-in */
    *out = r->principal.account;
    return PP_OK;
  }
  int which; /* the account without opening its tokens (a closed one's no longer open) */
  pp_err_t e = pp_store_account_auth(r->api->store, sid, NULL, &acc, &which);
  if (e) return e == PP_ERR_NOT_FOUND ? PP_ERR_NOT_FOUND : e;
  bool own = strcmp(acc.sid, mine) == 0;
  bool child = r->principal.is_main && strcmp(acc.owner_sid, mine) == 0;
  if (!own && !child) return PP_ERR_NOT_FOUND;
  if (child) memcpy(r->audit.other_account, acc.sid, sizeof r->audit.other_account);
  *out = acc;
  return PP_OK;
}

pp_err_t pp_api_path_account(pp_api_req_t *r, pp_account_t *out) {
  pp_err_t e = pp_api_account_access(r, r->params[0], out);
  return pp_api_found(r, e);
}

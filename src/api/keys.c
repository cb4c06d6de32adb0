/* keys.c: the 2010-04-01 Key resource (API keys).  The secret is returned by
 * create only; the store keeps a hash. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"

static void render_key(pp_api_req_t *r, pp_jw_t *w, const pp_key_t *k, const char *secret) {
  pp_api_audit_touch(r, k->sid);
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", k->sid);
  pp_jw_kstr(w, "friendly_name", k->friendly_name);
  pp_api_kdates_rfc2822(w, k->date_created, k->date_updated);
  if (secret) pp_jw_kstr(w, "secret", secret);
  pp_jw_obj_end(w);
}

_Static_assert(offsetof(pp_key_t, seq) == 0, "a listed row starts with its seq");
static void render_listed_key(pp_api_req_t *r, pp_jw_t *w, const void *row) {
  render_key(r, w, row, NULL);
}

static pp_err_t respond_key(pp_api_req_t *r, int status, const pp_key_t *k, const char *secret) {
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render_key(r, &w, k, secret);
  r->status = status;
  return pp_buf_status(&r->body);
}

/* The path's account, reachable by the principal with account credentials. */
static pp_err_t key_account(pp_api_req_t *r, pp_account_t *acc) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  e = pp_api_account_access(r, r->params[0], acc);
  return pp_api_found(r, e);
}

static pp_err_t load(pp_api_req_t *r, pp_key_t *k) {
  pp_account_t acc;
  pp_err_t e = key_account(r, &acc);
  if (e) return e;
  e = pp_sid_valid(r->params[1], "SK") ? pp_store_key_get(r->api->store, r->params[1], k)
                                       : PP_ERR_NOT_FOUND;
  if (!e && strcmp(k->account_sid, acc.sid) != 0) e = PP_ERR_NOT_FOUND;
  return pp_api_found(r, e);
}

typedef struct {
  pp_key_t key;
  char secret[33];
  int status;
} key_state_t;

static pp_err_t key_written(pp_api_req_t *r) {
  key_state_t *st = r->state;
  pp_err_t e = r->write.result;
  if (e == PP_ERR_NOT_FOUND) e = pp_api_fail(r, e, r->path);
  if (!e) e = respond_key(r, st->status, &st->key, st->secret[0] ? st->secret : NULL);
  sodium_memzero(st->secret, sizeof st->secret);
  return e;
}

static key_state_t *new_state(pp_api_req_t *r) {
  key_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (st) memset(st, 0, sizeof *st);
  r->state = st;
  return st;
}

/* A 32-character alphanumeric secret, as Twilio's look. */
static void new_secret(char out[33]) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 32; i++) out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  out[32] = '\0';
}

pp_err_t pp_api_key_create(pp_api_req_t *r) {
  pp_account_t acc;
  pp_err_t e = key_account(r, &acc);
  if (e) return e;
  const char *name = pp_api_param(r, "FriendlyName");
  key_state_t *st = new_state(r);
  if (!st) return PP_ERR_NOMEM;
  if (name && strlen(name) >= sizeof st->key.friendly_name)
    return pp_api_fail(r, PP_ERR_FRIENDLY_NAME, "at most 64 characters");
  pp_sid_new(st->key.sid, "SK");
  memcpy(st->key.account_sid, acc.sid, sizeof st->key.account_sid);
  snprintf(st->key.friendly_name, sizeof st->key.friendly_name, "%s", name ? name : "");
  new_secret(st->secret);
  pp_api_key_hash(st->secret, st->key.secret_hash);
  st->key.date_created = st->key.date_updated = pp_clock_now();
  st->status = 201;
  r->write.kind = PP_W_KEY_INSERT;
  r->write.u.key = &st->key;
  return pp_api_submit_event(r, PP_AUDIT_KEY_CREATE, acc.sid, st->key.sid, key_written);
}

pp_err_t pp_api_key_fetch(pp_api_req_t *r) {
  pp_key_t k;
  pp_err_t e = load(r, &k);
  return e ? e : respond_key(r, 200, &k, NULL);
}

pp_err_t pp_api_key_update(pp_api_req_t *r) {
  key_state_t *st = new_state(r);
  if (!st) return PP_ERR_NOMEM;
  pp_err_t e = load(r, &st->key);
  if (e) return e;
  const char *name = pp_form_get(&r->form, "FriendlyName");
  if (!name) return respond_key(r, 200, &st->key, NULL);
  if (strlen(name) >= sizeof st->key.friendly_name)
    return pp_api_fail(r, PP_ERR_FRIENDLY_NAME, "at most 64 characters");
  snprintf(st->key.friendly_name, sizeof st->key.friendly_name, "%s", name);
  st->key.date_updated = pp_clock_now();
  st->status = 200;
  r->write.kind = PP_W_KEY_UPDATE;
  r->write.u.key = &st->key;
  return pp_api_submit_event(r, PP_AUDIT_KEY_UPDATE, st->key.account_sid, st->key.sid, key_written);
}

pp_err_t pp_api_key_delete(pp_api_req_t *r) {
  key_state_t *st = new_state(r);
  if (!st) return PP_ERR_NOMEM;
  pp_err_t e = load(r, &st->key);
  if (e) return e;
  r->write.kind = PP_W_KEY_DELETE;
  r->write.u.ref = (pp_ref_t){st->key.account_sid, st->key.sid};
  return pp_api_submit_event(r, PP_AUDIT_KEY_DELETE, st->key.account_sid, st->key.sid,
                             pp_api_deleted);
}

pp_err_t pp_api_key_list(pp_api_req_t *r) {
  pp_account_t acc;
  pp_api_page_t pg;
  pp_err_t e = pp_api_need_account_credential(r);
  if (!e) e = pp_api_path_account_page(r, &acc, &pg);
  if (e) return e;
  pp_key_t *rows;
  size_t n;
  bool more;
  e = pp_store_key_list(r->api->store, &r->arena, acc.sid, &pg.req, &rows, &n, &more);
  if (e) return e;
  return pp_api_list_respond(
      r, "keys", pp_arena_printf(&r->arena, "/2010-04-01/Accounts/%s/Keys.json", acc.sid), "", &pg,
      rows, sizeof *rows, n, more, render_listed_key);
}

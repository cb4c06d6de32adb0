/* accounts.c: the 2010-04-01 Account resource (own account and subaccounts)
 * and the accounts/v1 auth-token rotation (secondary token, promote).  An
 * auth token appears in a response only when it is created. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"

/* Writes one account; `token` is the auth token to show (only on creation),
 * or NULL. */
static void render_account(pp_jw_t *w, const pp_account_t *a, const char *token) {
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "auth_token", token);
  pp_api_kdates_rfc2822(w, a->date_created, a->date_updated);
  pp_jw_kstr(w, "friendly_name", a->friendly_name);
  pp_jw_kstr(w, "owner_account_sid", a->owner_sid);
  pp_jw_kstr(w, "sid", a->sid);
  pp_jw_kstr(w, "status", a->status);
  pp_jw_key(w, "subresource_uris");
  pp_jw_obj_begin(w);
  static const char *subs[][2] = {{"messages", "Messages"},
                                  {"keys", "Keys"},
                                  {"incoming_phone_numbers", "IncomingPhoneNumbers"},
                                  {"calls", "Calls"}};
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    pp_jw_key(w, subs[i][0]);
    pp_jw_rawf(w, "\"/2010-04-01/Accounts/%s/%s.json\"", a->sid, subs[i][1]);
  }
  pp_jw_obj_end(w);
  pp_jw_kstr(w, "type", "Full");
  pp_jw_key(w, "uri");
  pp_jw_rawf(w, "\"/2010-04-01/Accounts/%s.json\"", a->sid);
  pp_jw_obj_end(w);
}

static pp_err_t respond_account(pp_api_req_t *r, int status, const pp_account_t *a,
                                const char *token) {
  pp_api_audit_touch(r, a->sid);
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render_account(&w, a, token);
  r->status = status;
  return pp_buf_status(&r->body);
}

/* Every Account and AuthTokens request needs the account's own credentials,
 * not an API key (Twilio: standard keys cannot use the Accounts and Keys
 * resources), whether it reads or changes. */
static pp_err_t access(pp_api_req_t *r, const char *sid, pp_account_t *a) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  e = pp_api_account_access(r, sid, a);
  return pp_api_found(r, e);
}

pp_err_t pp_api_account_fetch(pp_api_req_t *r) {
  pp_account_t a;
  pp_err_t e = access(r, r->params[0], &a);
  return e ? e : respond_account(r, 200, &a, NULL);
}

typedef struct {
  pp_account_t acc;
  char token[PP_TOKEN_SIZE]; /* shown once in the response */
  int status;
} acc_state_t;

static pp_err_t account_written(pp_api_req_t *r) {
  acc_state_t *st = r->state;
  pp_err_t e = r->write.result;
  if (!e) e = respond_account(r, st->status, &st->acc, st->token[0] ? st->token : NULL);
  sodium_memzero(st, sizeof *st);
  return e;
}

/* Queues write `kind` of st->acc (create or update), recorded as `event`
 * about the account itself; account_written answers `status`. */
static pp_err_t submit_account(pp_api_req_t *r, acc_state_t *st, int status, pp_write_kind_t kind,
                               pp_audit_kind_t event) {
  st->status = status;
  r->state = st;
  r->write.kind = kind;
  r->write.u.account = &st->acc;
  return pp_api_submit_event(r, event, st->acc.sid, st->acc.sid, account_written);
}

pp_err_t pp_api_account_create(pp_api_req_t *r) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  if (!r->principal.is_main) return pp_api_fail(r, PP_ERR_SUBACCOUNT_CREATE, NULL);
  const char *name = pp_api_param(r, "FriendlyName");
  acc_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_account_t *a = &st->acc;
  int64_t now = pp_clock_now();
  if (name && strlen(name) >= sizeof a->friendly_name)
    return pp_api_fail(r, PP_ERR_FRIENDLY_NAME, "at most 64 characters");
  pp_sid_new(a->sid, "AC");
  memcpy(a->owner_sid, r->principal.account_sid, sizeof a->owner_sid);
  if (name && *name) {
    snprintf(a->friendly_name, sizeof a->friendly_name, "%s", name);
  } else {
    char iso[PP_ISO8601_SIZE];
    pp_iso8601(now, iso);
    snprintf(a->friendly_name, sizeof a->friendly_name, "SubAccount Created at %.10s %.5s", iso,
             iso + 11);
  }
  snprintf(a->status, sizeof a->status, "active");
  pp_hex_random(a->auth_token, 16);
  memcpy(st->token, a->auth_token, sizeof st->token);
  a->date_created = a->date_updated = now;
  return submit_account(r, st, 201, PP_W_ACCOUNT_INSERT, PP_AUDIT_ACCOUNT_CREATE);
}

pp_err_t pp_api_account_update(pp_api_req_t *r) {
  acc_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  pp_err_t e = access(r, r->params[0], &st->acc); /* an account credential */
  if (e) return e;
  const char *name = pp_form_get(&r->form, "FriendlyName");
  const char *status = pp_form_get(&r->form, "Status");
  /* Before the tokens are read: a closed account's keys are gone. */
  if (strcmp(st->acc.status, "closed") == 0 && (name || status))
    return pp_api_fail(r, PP_ERR_ACCOUNT_CLOSED, NULL);
  /* Re-read with the tokens: the update writes the whole row. */
  e = pp_store_account_get(r->api->store, st->acc.sid, &st->acc);
  if (e) return e;
  pp_account_t *a = &st->acc;
  if (name && strlen(name) >= sizeof a->friendly_name)
    e = pp_api_fail(r, PP_ERR_FRIENDLY_NAME, "at most 64 characters");
  else if (status && strcmp(status, "active") && strcmp(status, "suspended") &&
           strcmp(status, "closed"))
    e = pp_api_fail(r, PP_ERR_ACCOUNT_STATUS, status);
  else if (status && strcmp(a->owner_sid, a->sid) == 0)
    e = pp_api_fail(r, PP_ERR_MAIN_ACCOUNT, NULL);
  else if (status && strcmp(a->sid, r->principal.account_sid) == 0)
    e = pp_api_fail(r, PP_ERR_FORBIDDEN, "a subaccount's status is changed by its parent");
  if (e) {
    sodium_memzero(st, sizeof *st);
    return e;
  }
  pp_audit_kind_t kind = PP_AUDIT_ACCOUNT_UPDATE;
  if (status && strcmp(status, a->status) != 0)
    kind = strcmp(status, "closed") == 0      ? PP_AUDIT_ACCOUNT_CLOSE
           : strcmp(status, "suspended") == 0 ? PP_AUDIT_ACCOUNT_SUSPEND
                                              : PP_AUDIT_ACCOUNT_ACTIVATE;
  if (name) snprintf(a->friendly_name, sizeof a->friendly_name, "%s", name);
  if (status) snprintf(a->status, sizeof a->status, "%s", status);
  a->date_updated = pp_clock_now();
  return submit_account(r, st, 200, PP_W_ACCOUNT_UPDATE, kind);
}

pp_err_t pp_api_account_list(pp_api_req_t *r) {
  pp_api_page_t pg;
  pp_err_t e = pp_api_need_account_credential(r);
  if (!e) e = pp_api_page_parse(r, &pg);
  if (e) return e;
  pp_account_filter_t f = {.owner_sid = r->principal.account_sid, .page = pg.req};
  f.friendly_name = pp_form_get(&r->query, "FriendlyName");
  f.status = pp_form_get(&r->query, "Status");
  pp_account_t *rows;
  size_t n;
  bool more;
  e = pp_store_account_list(r->api->store, &r->arena, &f, &rows, &n, &more);
  if (e) return e;
  static const char *const names[] = {"FriendlyName", "Status"};
  char *filters = pp_api_filter_query(r, names, 2);
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, "accounts");
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) {
    /* A subaccount's credentials see only itself, never its parent. */
    if (!r->principal.is_main && strcmp(rows[i].sid, r->principal.account_sid) != 0) continue;
    render_account(&w, &rows[i], NULL);
  }
  pp_jw_arr_end(&w);
  for (size_t i = 0; i < n; i++) {
    sodium_memzero(rows[i].auth_token, sizeof rows[i].auth_token);
    sodium_memzero(rows[i].secondary_token, sizeof rows[i].secondary_token);
  }
  if (!filters) return PP_ERR_NOMEM;
  pp_api_list_envelope(r, &w, "/2010-04-01/Accounts.json", filters, &pg, n, more,
                       n ? rows[0].seq : 0, n ? rows[n - 1].seq : 0);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* ---- accounts/v1 AuthTokens --------------------------------------------- */

typedef enum { TOK_CREATE, TOK_DELETE, TOK_PROMOTE } tok_op_t;

static pp_err_t token_written(pp_api_req_t *r) {
  acc_state_t *st = r->state;
  pp_err_t e = r->write.result;
  if (!e && st->status == 204) {
    r->status = 204;
  } else if (!e) {
    char created[PP_ISO8601_SIZE], updated[PP_ISO8601_SIZE];
    pp_iso8601(st->status == 201 ? st->acc.secondary_created : st->acc.date_updated, created);
    pp_iso8601(st->acc.date_updated, updated);
    pp_jw_t w;
    pp_jw_init(&w, &r->body);
    pp_jw_obj_begin(&w);
    pp_jw_kstr(&w, "account_sid", st->acc.sid);
    pp_jw_kstr(&w, "date_created", created);
    pp_jw_kstr(&w, "date_updated", updated);
    if (st->status == 201) {
      pp_jw_kstr(&w, "secondary_auth_token", st->token);
      pp_jw_kstr(
          &w, "url",
          pp_arena_printf(&r->arena, "%s/accounts/v1/AuthTokens/Secondary", r->api->public_url));
    } else {
      pp_jw_knull(&w, "auth_token");
      pp_jw_kstr(&w, "url",
                 pp_arena_printf(&r->arena, "%s/accounts/v1/AuthTokens", r->api->public_url));
    }
    pp_jw_obj_end(&w);
    r->status = st->status;
    e = pp_buf_status(&r->body);
  }
  sodium_memzero(st, sizeof *st);
  return e;
}

static pp_err_t token_op(pp_api_req_t *r, tok_op_t op) {
  pp_err_t e = pp_api_need_account_credential(r);
  if (e) return e;
  acc_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (!st) return PP_ERR_NOMEM;
  memset(st, 0, sizeof *st);
  e = pp_store_account_get(r->api->store, r->principal.account_sid, &st->acc);
  if (e) return e;
  pp_account_t *a = &st->acc;
  int64_t now = pp_clock_now();
  if (op == TOK_CREATE) {
    pp_hex_random(a->secondary_token, 16);
    memcpy(st->token, a->secondary_token, sizeof st->token);
    a->secondary_created = now;
    st->status = 201;
  } else if (!a->secondary_token[0]) {
    sodium_memzero(st, sizeof *st);
    return pp_api_fail(r, PP_ERR_NO_SECONDARY, r->path);
  } else if (op == TOK_DELETE) {
    sodium_memzero(a->secondary_token, sizeof a->secondary_token);
    a->secondary_created = 0;
    st->status = 204;
  } else {
    memcpy(a->auth_token, a->secondary_token, sizeof a->auth_token);
    sodium_memzero(a->secondary_token, sizeof a->secondary_token);
    a->secondary_created = 0;
    st->status = 200;
  }
  a->date_updated = now;
  r->state = st;
  r->write.kind = PP_W_ACCOUNT_UPDATE;
  r->write.u.account = a;
  static const pp_audit_kind_t kinds[] = {PP_AUDIT_TOKEN_SECONDARY_CREATE,
                                          PP_AUDIT_TOKEN_SECONDARY_DELETE, PP_AUDIT_TOKEN_PROMOTE};
  pp_api_audit_attach(r, kinds[op], a->sid, NULL, 0);
  return pp_api_submit(r, token_written);
}

pp_err_t pp_api_token_secondary_create(pp_api_req_t *r) {
  return token_op(r, TOK_CREATE);
}
pp_err_t pp_api_token_secondary_delete(pp_api_req_t *r) {
  return token_op(r, TOK_DELETE);
}
pp_err_t pp_api_token_promote(pp_api_req_t *r) {
  return token_op(r, TOK_PROMOTE);
}

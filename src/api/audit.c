/* audit.c: what the API records in the audit log (docs/internals/audit.md):
 * session ids, sign-ins, the events handlers attach to their writes, reads
 * in another account than the credential's own, and operator requests. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"

#define SESSION_SLOTS 4096 /* direct mapped; a collision only records again */
#define SESSION_RENEW_S 3600
#define SESSION_KEY_LEN 32
#define SESSION_ID_LEN 16

struct pp_api_audit {
  unsigned char *key; /* sodium_malloc'd: keys the session hash */
  pthread_mutex_t mu;
  struct {
    unsigned char id[SESSION_ID_LEN];
    int64_t recorded; /* when its last auth.success was recorded */
  } slots[SESSION_SLOTS];
  pp_checkpoint_verifier_t verifier;
  char origin[PP_LOG_NAME_MAX + 1];
};

pp_err_t pp_api_audit_new(const pp_checkpoint_verifier_t *v, const char *origin,
                          pp_api_audit_t **out) {
  if (!v || !origin || strlen(origin) > PP_LOG_NAME_MAX) return PP_ERR_INVALID_PARAM;
  pp_api_audit_t *au = calloc(1, sizeof *au);
  if (!au) return PP_ERR_NOMEM;
  au->key = sodium_malloc(SESSION_KEY_LEN);
  if (!au->key) {
    free(au);
    return PP_ERR_NOMEM;
  }
  randombytes_buf(au->key, SESSION_KEY_LEN);
  sodium_mprotect_readonly(au->key);
  pthread_mutex_init(&au->mu, NULL);
  au->verifier = *v;
  snprintf(au->origin, sizeof au->origin, "%s", origin);
  *out = au;
  return PP_OK;
}

void pp_api_audit_free(pp_api_audit_t *au) {
  if (!au) return;
  sodium_free(au->key);
  pthread_mutex_destroy(&au->mu);
  free(au);
}

const pp_checkpoint_verifier_t *pp_api_audit_verifier(const pp_api_audit_t *au) {
  return &au->verifier;
}

const char *pp_api_audit_origin(const pp_api_audit_t *au) {
  return au->origin;
}

/* ---- Events ------------------------------------------------------------ */

static void add_resource(pp_api_req_t *r, const char *sid) {
  pp_api_audit_ctx_t *x = &r->audit;
  if (!sid || !*sid || strlen(sid) > PP_AUDIT_RESOURCE_MAX) return;
  for (size_t i = 0; i < x->nresources; i++)
    if (strcmp(x->resources[i], sid) == 0) return;
  if (x->nresources == PP_AUDIT_MAX_RESOURCES) return;
  if (x->nresources == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 16;
    const char **more = pp_arena_alloc(&r->arena, cap * sizeof *more);
    if (!more) return;
    if (x->nresources) memcpy(more, x->resources, x->nresources * sizeof *more);
    x->resources = more;
    x->cap = cap;
  }
  const char *copy = pp_arena_strdup(&r->arena, sid);
  if (copy) x->resources[x->nresources++] = copy;
}

void pp_api_audit_touch(pp_api_req_t *r, const char *sid) {
  if (r->audit.other_account[0]) add_resource(r, sid);
}

/* An event about the request: who, from where, what it touched. */
static void fill(pp_api_req_t *r, pp_audit_event_t *ev, pp_audit_kind_t kind,
                 const char *account_sid) {
  const pp_principal_t *p = &r->principal;
  memset(ev, 0, sizeof *ev);
  ev->kind = kind;
  switch (p->kind) {
    case PP_PRINCIPAL_ACCOUNT:
      ev->principal_kind = PP_AUDIT_BY_ACCOUNT;
      snprintf(ev->principal, sizeof ev->principal, "%s", p->account_sid);
      break;
    case PP_PRINCIPAL_KEY:
      ev->principal_kind = PP_AUDIT_BY_KEY;
      snprintf(ev->principal, sizeof ev->principal, "%s", p->key_sid);
      break;
    case PP_PRINCIPAL_OPERATOR:
      ev->principal_kind = PP_AUDIT_BY_OPERATOR;
      snprintf(ev->principal, sizeof ev->principal, PP_OPERATOR_USER);
      break;
    case PP_PRINCIPAL_NONE:
      ev->principal_kind = PP_AUDIT_BY_NONE;
      break;
    case PP_PRINCIPAL_STAFF:
      ev->principal_kind = PP_AUDIT_BY_STAFF;
      snprintf(ev->principal, sizeof ev->principal, "staff:%s", p->staff);
      break;
  }
  memcpy(ev->principal_account, p->account_sid, sizeof ev->principal_account);
  snprintf(ev->account_sid, sizeof ev->account_sid, "%s",
           account_sid ? account_sid : p->account_sid);
  memcpy(ev->ip, r->audit.ip, sizeof ev->ip);
  memcpy(ev->session, r->audit.session, sizeof ev->session);
  ev->user_agent = r->audit.user_agent;
  ev->request = r->audit.request;
  ev->resources = r->audit.resources;
  ev->nresources = r->audit.nresources;
}

void pp_api_audit_name(pp_api_req_t *r, const char *sid) {
  add_resource(r, sid);
}

void pp_api_audit_attach(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                         const char *const *sids, size_t n) {
  for (size_t i = 0; i < n; i++) add_resource(r, sids[i]);
  fill(r, &r->audit.event, kind, account_sid);
  r->write.audit = &r->audit.event;
  r->audit.recorded = true;
}

pp_err_t pp_api_audit_attach_also(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                                  const char *const *sids, size_t n) {
  if (!r->write.audit || n > PP_AUDIT_MAX_RESOURCES) return PP_ERR_INVALID_PARAM;
  const char **res = n ? pp_arena_alloc(&r->arena, n * sizeof *res) : NULL;
  if (n && !res) return PP_ERR_NOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!sids[i] || !*sids[i] || strlen(sids[i]) > PP_AUDIT_RESOURCE_MAX) continue;
    if (!(res[k++] = pp_arena_strdup(&r->arena, sids[i]))) return PP_ERR_NOMEM;
  }
  fill(r, &r->audit.also, kind, account_sid);
  r->audit.also.resources = res;
  r->audit.also.nresources = k;
  r->write.audit_also = &r->audit.also;
  return PP_OK;
}

/* An event queued on its own: a copy of everything it points to, freed when
 * its write is done. */
typedef struct {
  pp_write_t w;
  pp_audit_event_t ev;
  char user_agent[PP_AUDIT_UA_MAX + 1];
  char request[PP_AUDIT_REQUEST_MAX + 1];
  const char **resources; /* one block with their text */
} loose_t;

static void loose_done(pp_write_t *w) {
  loose_t *l = w->arg;
  if (w->result)
    pp_log_error("audit", "could not append %s: %s", pp_audit_kind_name(l->ev.kind),
                 pp_err_name(w->result));
  free(l->resources);
  free(l);
}

pp_err_t pp_api_audit_emit(pp_store_t *store, const pp_audit_event_t *ev) {
  loose_t *l = calloc(1, sizeof *l);
  if (!l) return PP_ERR_NOMEM;
  l->ev = *ev;
  if (ev->user_agent) {
    snprintf(l->user_agent, sizeof l->user_agent, "%s", ev->user_agent);
    l->ev.user_agent = l->user_agent;
  }
  if (ev->request) {
    snprintf(l->request, sizeof l->request, "%s", ev->request);
    l->ev.request = l->request;
  }
  size_t n = ev->nresources > PP_AUDIT_MAX_RESOURCES ? PP_AUDIT_MAX_RESOURCES : ev->nresources;
  if (n) {
    size_t text = 0;
    for (size_t i = 0; i < n; i++) text += strlen(ev->resources[i]) + 1;
    l->resources = malloc(n * sizeof *l->resources + text);
    if (!l->resources) {
      free(l);
      return PP_ERR_NOMEM;
    }
    char *p = (char *)(l->resources + n);
    for (size_t i = 0; i < n; i++) {
      size_t len = strlen(ev->resources[i]) + 1;
      memcpy(p, ev->resources[i], len);
      l->resources[i] = p;
      p += len;
    }
  }
  l->ev.resources = l->resources;
  l->ev.nresources = n;
  l->w.kind = PP_W_AUDIT;
  l->w.audit = &l->ev;
  l->w.done = loose_done;
  l->w.arg = l;
  pp_err_t e = pp_store_submit(store, &l->w);
  if (e) {
    free(l->resources);
    free(l);
  }
  return e;
}

pp_err_t pp_api_audit_record(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                             const char *const *sids, size_t n, pp_err_t outcome) {
  for (size_t i = 0; i < n; i++) add_resource(r, sids[i]);
  pp_audit_event_t ev;
  fill(r, &ev, kind, account_sid);
  pp_audit_outcome(outcome, ev.outcome);
  r->audit.recorded = true;
  return pp_api_audit_emit(r->api->store, &ev);
}

void pp_api_audit_default(pp_api_req_t *r) {
  if (r->write.audit || r->audit.recorded) return;
  if (r->audit.other_account[0])
    pp_api_audit_attach(r, PP_AUDIT_CONTENT_WRITE, r->audit.other_account, NULL, 0);
  else if (r->principal.kind == PP_PRINCIPAL_OPERATOR || r->principal.kind == PP_PRINCIPAL_STAFF)
    pp_api_audit_attach(r, PP_AUDIT_OPERATOR_REQUEST, NULL, NULL, 0);
}

static pp_err_t after_done(pp_api_req_t *r) {
  if (r->write.result) {
    pp_log_error("audit", "%s not recorded (%s): the answer is withheld",
                 r->audit.request ? r->audit.request : "a request", pp_err_name(r->write.result));
    return PP_ERR_STORE;
  }
  return r->audit.answer;
}

/* Makes the request's event now, to be written by pp_api_audit_after. */
static void hold(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid) {
  fill(r, &r->audit.event, kind, account_sid);
  r->audit.held = true;
}

pp_err_t pp_api_audit_after(pp_api_req_t *r, pp_err_t e) {
  if (r->audit.recorded) return e;
  if (r->audit.held)
    ; /* made already */
  else if (r->audit.other_account[0])
    hold(r, PP_AUDIT_CONTENT_READ, r->audit.other_account);
  else if (r->principal.kind == PP_PRINCIPAL_OPERATOR || r->principal.kind == PP_PRINCIPAL_STAFF)
    hold(r, PP_AUDIT_OPERATOR_REQUEST, NULL);
  else
    return e;
  if (!r->audit.event.outcome[0]) pp_audit_outcome(e, r->audit.event.outcome);
  memset(&r->write, 0, sizeof r->write);
  r->write.kind = PP_W_AUDIT;
  r->write.audit = &r->audit.event;
  r->audit.recorded = true;
  r->audit.answer = e;
  pp_err_t q = pp_api_submit(r, after_done);
  return q == PP_ERR_AGAIN ? q : PP_ERR_STORE;
}

void pp_api_audit_refuse_operator(pp_api_req_t *r) {
  hold(r, PP_AUDIT_OPERATOR_REQUEST, NULL);
}

/* ---- Sign-ins ------------------------------------------------------------ */

/* The session id: BLAKE2b-128, keyed with the per-process key, of the Basic
 * user name, password and peer address (each with its NUL).  The same
 * credential from the same address is one session for the life of the
 * process; the id says nothing about the secret without the key. */
static void session_id(const pp_api_audit_t *au, const char *user, const char *pass, const char *ip,
                       unsigned char id[SESSION_ID_LEN]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, au ? au->key : NULL, au ? SESSION_KEY_LEN : 0, SESSION_ID_LEN);
  const char *parts[] = {user ? user : "", pass ? pass : "", ip};
  for (int i = 0; i < 3; i++)
    crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
  crypto_generichash_final(&st, id, SESSION_ID_LEN);
  sodium_memzero(&st, sizeof st);
}

/* Whether to record a sign-in of session `id` now: not seen, or its last
 * recorded sign-in is an hour old. */
static bool session_due(pp_api_audit_t *au, const unsigned char id[SESSION_ID_LEN], int64_t now) {
  if (!au) return true;
  uint32_t h;
  memcpy(&h, id, sizeof h);
  size_t i = h % SESSION_SLOTS;
  pthread_mutex_lock(&au->mu);
  bool due = memcmp(au->slots[i].id, id, SESSION_ID_LEN) != 0 ||
             now - au->slots[i].recorded >= SESSION_RENEW_S;
  if (due) {
    memcpy(au->slots[i].id, id, SESSION_ID_LEN);
    au->slots[i].recorded = now;
  }
  pthread_mutex_unlock(&au->mu);
  return due;
}

void pp_api_audit_sign_in(pp_api_req_t *r, const char *user, const char *pass,
                          const char *claimed_account, pp_err_t e) {
  unsigned char id[SESSION_ID_LEN];
  session_id(r->api->audit, user, pass, r->audit.ip, id);
  sodium_bin2hex(r->audit.session, sizeof r->audit.session, id, sizeof id);
  if (e == PP_OK) {
    pp_api_guard_passed(r, user);
    /* The operator's every request is recorded as operator.request. */
    if (r->principal.kind == PP_PRINCIPAL_OPERATOR ||
        !session_due(r->api->audit, id, pp_clock_now()))
      return;
    pp_audit_event_t ev;
    fill(r, &ev, PP_AUDIT_AUTH_SUCCESS, NULL);
    ev.nresources = 0;
    snprintf(ev.outcome, sizeof ev.outcome, "ok");
    pp_api_audit_emit(r->api->store, &ev);
    return;
  }
  /* A failure names who was claimed, if the user name is a credential's
   * name; anything else might be a password typed in the wrong box. */
  hold(r, PP_AUDIT_AUTH_FAILURE, claimed_account ? claimed_account : "");
  pp_audit_event_t ev = r->audit.event;
  ev.nresources = 0;
  ev.principal_kind = PP_AUDIT_BY_NONE;
  ev.principal[0] = ev.principal_account[0] = '\0';
  if (user && strcmp(user, PP_OPERATOR_USER) == 0) {
    ev.principal_kind = PP_AUDIT_BY_OPERATOR;
    snprintf(ev.principal, sizeof ev.principal, PP_OPERATOR_USER);
  } else if (user && (pp_sid_valid(user, "AC") || pp_sid_valid(user, "SK"))) {
    ev.principal_kind = user[0] == 'A' ? PP_AUDIT_BY_ACCOUNT : PP_AUDIT_BY_KEY;
    snprintf(ev.principal, sizeof ev.principal, "%s", user);
    snprintf(ev.principal_account, sizeof ev.principal_account, "%s",
             claimed_account ? claimed_account : "");
  }
  pp_audit_outcome(e, ev.outcome);
  r->audit.event = ev; /* written before the error is answered */
  if (!pp_api_guard_failed(r, &ev)) r->audit.held = false; /* counted instead */
}

/* changes.c: /admin/v1 for staff sessions, and four eyes on the
 * installation's traffic (docs/internals/staff.md).  /admin/v1 answers only
 * to a signed-in staff member with the operator role (the operator token
 * is retired: it gets PP_ERR_OPERATOR_TOKEN_GONE).  A write there to a
 * carrier or a route is not applied: it becomes a change request, which a
 * second operator approves or rejects at /staff/api/ChangeRequests/{Sid};
 * approval runs the very handler the request was made to (carriers.c),
 * with the form it was made with, and the write it submits also marks the
 * request approved, in one transaction.  Approved changes, and those made
 * on the host, are the installation's changelog at
 * /audit/v1/Installation/Changes, which every account reads.  The
 * decisions are src/staff/change.c's. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "staff/staff.h"

/* ---- Who: a staff session ------------------------------------------------ */

/* Resolves the request's staff session into the principal and r->staff;
 * `changes` (a state-changing request) also needs its CSRF token.  The
 * cookie's value is wiped once checked: only the session row is kept. */
static pp_err_t staff_of(pp_api_req_t *r, bool changes) {
  pp_staff_who_t *who = pp_arena_alloc(&r->arena, sizeof *who);
  if (!who) return PP_ERR_NOMEM;
  pp_err_t e = pp_staff_resolve(r->api->store, r->cookie, pp_clock_now(), who);
  if (!e) {
    r->principal.kind = PP_PRINCIPAL_STAFF;
    snprintf(r->principal.staff, sizeof r->principal.staff, "%s", who->staff.name);
    r->staff = who;
    if (changes) {
      const char *given = r->csrf_header ? r->csrf_header : pp_api_param(r, PP_STAFF_CSRF_FIELD);
      e = pp_staff_csrf_check(who->text, given);
    }
  }
  sodium_memzero(who->text, sizeof who->text);
  return e;
}

pp_err_t pp_api_admin_authenticate(pp_api_req_t *r, const char *basic_user) {
  memset(&r->principal, 0, sizeof r->principal);
  if (basic_user && strcmp(basic_user, PP_OPERATOR_USER) == 0) {
    r->principal.kind = PP_PRINCIPAL_OPERATOR; /* the refusal names who tried */
    pp_api_audit_refuse_operator(r);
    memset(&r->principal, 0, sizeof r->principal);
    return PP_ERR_OPERATOR_TOKEN_GONE;
  }
  pp_err_t e = staff_of(r, r->method != PP_GET);
  if (e == PP_ERR_STAFF_SESSION && basic_user)
    return pp_api_fail(r, PP_ERR_FORBIDDEN, "only a staff session may use /admin/v1");
  if (e) return e;
  return strcmp(r->staff->staff.role, "operator") == 0 ? PP_OK : PP_ERR_STAFF_ROLE;
}

/* ---- The change requests' routes ---------------------------------------- */

/* The /admin/v1 writes that are change requests: the handler, its action,
 * and which path captures name the carrier and the prefix (-1: the form's
 * Name; -1 for prefix: the form's Prefix, or none). */
typedef struct {
  pp_api_handler_fn handler;
  const char *action;
  int carrier_at, prefix_at;
} change_route_t;

static const change_route_t change_routes[] = {
    {pp_api_carrier_create, "carrier.create", -1, -2},
    {pp_api_carrier_update, "carrier.update", 0, -2},
    {pp_api_carrier_delete, "carrier.delete", 0, -2},
    {pp_api_carrier_route_create, "route.create", 0, -1},
    {pp_api_carrier_route_delete, "route.delete", 0, 1},
};
#define N_CHANGE_ROUTES (sizeof change_routes / sizeof change_routes[0])

static const change_route_t *route_of_action(const char *action) {
  for (size_t i = 0; i < N_CHANGE_ROUTES; i++)
    if (strcmp(change_routes[i].action, action) == 0) return &change_routes[i];
  return NULL;
}

static pp_err_t change_create(pp_api_req_t *r);

pp_api_handler_fn pp_api_admin_handler(pp_api_req_t *r, pp_api_handler_fn h) {
  for (size_t i = 0; i < N_CHANGE_ROUTES; i++)
    if (change_routes[i].handler == h) {
      r->state = (void *)&change_routes[i];
      return change_create;
    }
  return h;
}

/* ---- Rendering ----------------------------------------------------------- */

static void kstr_or_null(pp_jw_t *w, const char *key, const char *v) {
  if (v && *v)
    pp_jw_kstr(w, key, v);
  else
    pp_jw_knull(w, key);
}

/* The stored parameters as a JSON object (never a password: it is not
 * among them). */
static void render_params(pp_api_req_t *r, pp_jw_t *w, const char *params) {
  pp_form_t f;
  pp_form_init(&f);
  pp_jw_key(w, "parameters");
  pp_jw_obj_begin(w);
  if (*params && pp_form_parse(&f, &r->arena, params, strlen(params)) == PP_OK)
    for (size_t i = 0; i < f.n; i++) pp_jw_kstr(w, f.items[i].name, f.items[i].value);
  pp_jw_obj_end(w);
}

/* What every view of a change shows: what it changes, who asked, who
 * decided.  `staff_view`: the request as staff see it (status, expiry,
 * its URL); otherwise the changelog's entry. */
static void render_change(pp_api_req_t *r, pp_jw_t *w, const pp_change_t *c, bool staff_view) {
  int64_t now = pp_clock_now();
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "sid", c->sid);
  pp_jw_kstr(w, "action", c->action);
  pp_jw_kstr(w, "carrier", c->carrier);
  kstr_or_null(w, "prefix", c->prefix);
  render_params(r, w, c->params);
  pp_jw_kbool(w, "password_set", c->password_set || c->password[0] != '\0');
  pp_jw_kstr(w, "requested_by", c->requested_by);
  pp_api_kiso8601(w, "date_requested", c->date_created);
  if (staff_view) {
    pp_jw_kstr(w, "status", pp_change_status_at(c, now));
    kstr_or_null(w, "decided_by", c->decided_by);
    pp_api_kiso8601_or_null(w, "date_decided", c->date_decided);
    pp_api_kiso8601(w, "date_expires", c->date_expires);
    pp_jw_kstr(
        w, "url",
        pp_arena_printf(&r->arena, "%s/staff/api/ChangeRequests/%s", r->api->public_url, c->sid));
  } else {
    pp_jw_kstr(w, "approved_by", c->decided_by);
    pp_api_kiso8601(w, "date_approved", c->date_decided);
  }
  pp_jw_obj_end(w);
}

static pp_err_t respond_change(pp_api_req_t *r, int status, const pp_change_t *c) {
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render_change(r, &w, c, true);
  r->status = status;
  return pp_buf_status(&r->body);
}

/* The v1 list envelope of one page holding `n` rows. */
static pp_err_t respond_changes(pp_api_req_t *r, const char *key, const pp_change_t *rows, size_t n,
                                bool staff_view) {
  char *url = pp_arena_printf(&r->arena, "%s%s", r->api->public_url, r->path);
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, key);
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) render_change(r, &w, &rows[i], staff_view);
  pp_jw_arr_end(&w);
  pp_jw_key(&w, "meta");
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "page", 0);
  pp_jw_kint(&w, "page_size", (int64_t)n);
  pp_jw_kstr(&w, "first_page_url", url);
  pp_jw_knull(&w, "previous_page_url");
  pp_jw_kstr(&w, "url", url);
  pp_jw_knull(&w, "next_page_url");
  pp_jw_kstr(&w, "key", key);
  pp_jw_obj_end(&w);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* ---- Asking -------------------------------------------------------------- */

/* The request's form as stored: every pair but the password and the CSRF
 * token, URL-encoded. */
static pp_err_t params_of(pp_api_req_t *r, char out[PP_CHANGE_PARAMS_SIZE]) {
  pp_buf_t b;
  pp_buf_init(&b, PP_CHANGE_PARAMS_SIZE);
  for (size_t i = 0; i < r->form.n; i++) {
    const pp_param_t *p = &r->form.items[i];
    if (strcmp(p->name, "Password") == 0 || strcmp(p->name, PP_STAFF_CSRF_FIELD) == 0) continue;
    if (b.len) pp_buf_putc(&b, '&');
    pp_buf_url_encode(&b, p->name);
    pp_buf_putc(&b, '=');
    pp_buf_url_encode(&b, p->value);
  }
  pp_err_t e =
      b.over_cap || b.len >= PP_CHANGE_PARAMS_SIZE ? PP_ERR_INVALID_PARAM : pp_buf_status(&b);
  if (!e) memcpy(out, b.len ? b.data : "", b.len + 1);
  pp_buf_cleanup(&b);
  return e == PP_ERR_INVALID_PARAM ? pp_api_fail(r, e, "the parameters are too long") : e;
}

/* The resource names of change `c` in the audit log: the request, and the
 * carrier or route it is about. */
static void change_refs(const pp_change_t *c, char refs[2][PP_AUDIT_RESOURCE_MAX + 1]) {
  snprintf(refs[0], sizeof refs[0], "change:%s", c->sid);
  if (c->prefix[0]) {
    pp_route_rule_t rt;
    memset(&rt, 0, sizeof rt);
    snprintf(rt.prefix, sizeof rt.prefix, "%s", c->prefix);
    snprintf(rt.carrier, sizeof rt.carrier, "%s", c->carrier);
    pp_route_ref(&rt, refs[1]);
  } else {
    pp_carrier_ref(c->carrier, refs[1]);
  }
}

/* Writes change `cw` alone with event `kind` naming it; `cont` answers. */
static pp_err_t submit_change(pp_api_req_t *r, pp_change_write_t *cw, pp_audit_kind_t kind,
                              pp_api_handler_fn cont) {
  char refs[2][PP_AUDIT_RESOURCE_MAX + 1];
  change_refs(cw->change, refs);
  const char *sids[2] = {refs[0], refs[1]};
  r->write.kind = PP_W_CHANGE;
  r->write.change = cw;
  r->state = cw;
  pp_api_audit_attach(r, kind, NULL, sids, 2);
  return pp_api_submit(r, cont);
}

static pp_err_t change_written(pp_api_req_t *r) {
  pp_change_write_t *cw = r->state;
  pp_change_t *c = (pp_change_t *)cw->change;
  pp_err_t e = r->write.result;
  if (e == PP_ERR_CONFLICT) /* decided or expired meanwhile */
    e = pp_api_fail(r, PP_ERR_CHANGE_DECIDED, c->sid);
  else if (!e)
    e = respond_change(r, cw->insert ? 202 : 200, c); /* shows password_set, not the password */
  sodium_memzero(c->password, sizeof c->password);
  return e;
}

/* A capture of the path, or a form parameter, into dst (an error when it
 * is missing or too long). */
static pp_err_t copy_part(pp_api_req_t *r, int at, const char *param, char *dst, size_t size) {
  const char *v = at >= 0 ? pp_api_capture(r, at) : pp_form_get(&r->form, param);
  if (!v || !*v)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                       pp_arena_printf(&r->arena, "%s is required", param));
  if (strlen(v) >= size)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                       pp_arena_printf(&r->arena, "%s is too long", param));
  memcpy(dst, v, strlen(v) + 1);
  return PP_OK;
}

/* The handler `cr` runs on the request as asked, up to the write it would
 * submit (r->dry_run): its own checks answer a bad request now (400, 404)
 * rather than at approval.  A removal must name a carrier or route that
 * exists now. */
static pp_err_t dry_run(pp_api_req_t *r, const change_route_t *cr, const pp_change_t *c) {
  r->dry_run = true;
  r->dry_reached = false;
  pp_err_t e = cr->handler(r);
  r->dry_run = false;
  memset(&r->write, 0, sizeof r->write); /* what it prepared, event included */
  memset(&r->audit.event, 0, sizeof r->audit.event);
  r->audit.nresources = 0;
  r->audit.recorded = r->audit.held = false;
  r->state = (void *)cr;
  if (e) return e;
  if (!r->dry_reached) return PP_ERR_INTERNAL;
  pp_carrier_t *old = NULL;
  if (strcmp(c->action, "carrier.delete") == 0) {
    e = pp_carrier_lookup(r->api->store, &r->arena, c->carrier, &old);
    if (!e) sodium_memzero(old->password, sizeof old->password);
  } else if (strcmp(c->action, "route.delete") == 0) {
    pp_route_rule_t *rows;
    size_t n;
    e = pp_store_route_all(r->api->store, &r->arena, &rows, &n);
    bool found = false;
    for (size_t i = 0; !e && i < n; i++)
      found |= !strcmp(rows[i].prefix, c->prefix) && !strcmp(rows[i].carrier, c->carrier);
    if (!e && !found) e = PP_ERR_NOT_FOUND;
  }
  return e == PP_ERR_NOT_FOUND ? pp_api_fail(r, e, r->path) : e;
}

/* POST/DELETE to a carrier or route of /admin/v1 from a staff session: the
 * change is stored as a request (UV for carrier.change or route.change)
 * and answered 202 with it; nothing else changes. */
static pp_err_t change_create(pp_api_req_t *r) {
  const change_route_t *cr = r->state;
  int64_t now = pp_clock_now();
  pp_err_t e = pp_change_may_request(&r->staff->staff);
  if (!e) e = pp_staff_uv_check(&r->staff->session, pp_change_uv_action(cr->action), now);
  if (e) return e;
  pp_change_t *c = pp_arena_alloc(&r->arena, sizeof *c);
  pp_change_write_t *cw = pp_arena_alloc(&r->arena, sizeof *cw);
  if (!c || !cw) return PP_ERR_NOMEM;
  char who[PP_CHANGE_WHO_SIZE];
  snprintf(who, sizeof who, "staff:%s", r->principal.staff);
  if ((e = pp_change_new(cr->action, who, now, c))) return e;
  if ((e = copy_part(r, cr->carrier_at, "Name", c->carrier, sizeof c->carrier))) return e;
  if (cr->prefix_at != -2 &&
      (e = copy_part(r, cr->prefix_at, "Prefix", c->prefix, sizeof c->prefix)))
    return e;
  if ((e = params_of(r, c->params))) return e;
  const char *pw = pp_form_get(&r->form, "Password");
  if (pw) { /* the carrier table's own rule for it */
    const pp_carrier_opt_t *o = pp_carrier_opt_by_param("Password");
    pp_carrier_t tmp;
    char why[128];
    memset(&tmp, 0, sizeof tmp);
    e = pp_carrier_opt_set(o, &tmp, pw, why, sizeof why);
    if (!e) memcpy(c->password, tmp.password, sizeof c->password);
    sodium_memzero(tmp.password, sizeof tmp.password);
    if (e)
      return pp_api_fail(r, PP_ERR_INVALID_PARAM, pp_arena_printf(&r->arena, "Password %s", why));
  }
  if ((e = dry_run(r, cr, c))) return e;
  cw->change = c;
  cw->insert = true;
  pp_log_info("admin", "%s asked for %s of %s (%s): needs a second operator", who, cr->action,
              c->carrier, c->sid);
  e = submit_change(r, cw, PP_AUDIT_CHANGE_REQUEST, change_written);
  if (e != PP_ERR_AGAIN) sodium_memzero(c->password, sizeof c->password);
  return e;
}

/* ---- /staff/api/ChangeRequests ------------------------------------------ */

pp_err_t pp_api_change_list(pp_api_req_t *r) {
  pp_err_t e = staff_of(r, false);
  if (e) return e;
  const char *status = pp_form_get(&r->query, "Status");
  if (status && strcmp(status, "pending") != 0 && strcmp(status, "approved") != 0)
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "Status must be pending or approved");
  pp_change_t *rows;
  size_t n;
  e = pp_store_change_list(r->api->store, &r->arena, status, &rows, &n);
  return e ? e : respond_changes(r, "change_requests", rows, n, true);
}

/* The change request of the path (capture 0), password wiped unless
 * `keep_password`. */
static pp_err_t path_change(pp_api_req_t *r, pp_change_t **out, bool keep_password) {
  const char *sid = r->params[0];
  pp_change_t *c = pp_arena_alloc(&r->arena, sizeof *c);
  if (!c) return PP_ERR_NOMEM;
  pp_err_t e =
      pp_sid_valid(sid, "CR") ? pp_store_change_get(r->api->store, sid, c) : PP_ERR_NOT_FOUND;
  if (e) return pp_api_found(r, e);
  if (!keep_password) sodium_memzero(c->password, sizeof c->password);
  *out = c;
  return PP_OK;
}

pp_err_t pp_api_change_fetch(pp_api_req_t *r) {
  pp_err_t e = staff_of(r, false);
  pp_change_t *c = NULL;
  if (!e) e = path_change(r, &c, false);
  return e ? e : respond_change(r, 200, c);
}

/* What an approval's continuation needs: the applying handler's own state
 * and continuation, and the request. */
typedef struct {
  void *state;
  pp_api_handler_fn cont;
  pp_change_t *c;
} approval_t;

/* Once the approved change is written: the handler's own continuation
 * (which answers a failure its way), then the request as approved. */
static pp_err_t approved(pp_api_req_t *r) {
  approval_t *a = r->state;
  sodium_memzero(a->c->password, sizeof a->c->password);
  r->state = a->state;
  bool conflict = r->write.result == PP_ERR_CONFLICT;
  pp_err_t e = a->cont(r); /* wipes what the handler held */
  if (conflict)            /* decided or expired meanwhile: nothing was applied */
    return pp_api_fail(r, PP_ERR_CHANGE_DECIDED, a->c->sid);
  if (e) return e;
  pp_log_info("admin", "%s approved %s (%s of %s, asked by %s)", a->c->decided_by, a->c->sid,
              a->c->action, a->c->carrier, a->c->requested_by);
  /* The request, approved, with what applying it answered (the carrier or
   * route as written, none for a removal). */
  int applied_status = r->status;
  char *applied = r->body.len ? pp_arena_strdup(&r->arena, r->body.data) : NULL;
  r->body.len = 0;
  if (r->body.data) r->body.data[0] = '\0';
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, "change_request");
  render_change(r, &w, a->c, true);
  pp_jw_key(&w, "applied");
  pp_jw_obj_begin(&w);
  pp_jw_kint(&w, "status", applied_status);
  pp_jw_key(&w, "resource");
  if (applied)
    pp_jw_rawf(&w, "%s", applied);
  else
    pp_jw_null(&w);
  pp_jw_obj_end(&w);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

/* Applies approved change `c`: its form again (and its password), its
 * path captures, and the handler it was asked of, whose write also marks
 * it approved (cw). */
static pp_err_t apply(pp_api_req_t *r, pp_change_t *c, pp_change_write_t *cw) {
  const change_route_t *cr = route_of_action(c->action);
  if (!cr) return PP_ERR_INTERNAL;
  pp_form_init(&r->form);
  pp_err_t e =
      c->params[0] ? pp_form_parse(&r->form, &r->arena, c->params, strlen(c->params)) : PP_OK;
  if (!e && c->password[0]) e = pp_form_add(&r->form, &r->arena, "Password", c->password);
  if (e) return e;
  /* The captures as a path would carry them (%-encoded). */
  const char *parts[2] = {c->carrier, c->prefix};
  int at[2] = {cr->carrier_at, cr->prefix_at};
  memset(r->params, 0, sizeof r->params);
  for (int i = 0; i < 2; i++) {
    if (at[i] < 0) continue;
    pp_buf_t b;
    pp_buf_init(&b, 256);
    pp_buf_url_encode(&b, parts[i]);
    r->params[at[i]] = pp_buf_status(&b) ? NULL : pp_arena_strdup(&r->arena, b.data);
    pp_buf_cleanup(&b);
    if (!r->params[at[i]]) return PP_ERR_NOMEM;
  }
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  snprintf(ref, sizeof ref, "change:%s", c->sid);
  pp_api_audit_name(r, ref); /* the handler's event names the request too */
  memset(&r->write, 0, sizeof r->write);
  r->write.change = cw;
  r->state = NULL;
  e = cr->handler(r);
  /* The handler copied the password (or refused): the form's copy goes. */
  const char *pw = pp_form_get(&r->form, "Password");
  if (pw) sodium_memzero((char *)pw, strlen(pw));
  if (e != PP_ERR_AGAIN) return e; /* refused before any write: still pending */
  approval_t *a = pp_arena_alloc(&r->arena, sizeof *a);
  if (!a) return PP_ERR_NOMEM; /* not reached in practice: queued already */
  a->state = r->state;
  a->cont = r->cont;
  a->c = c;
  r->state = a;
  r->cont = approved; /* wake comes later, on this request's own loop */
  return PP_ERR_AGAIN;
}

pp_err_t pp_api_change_decide(pp_api_req_t *r) {
  int64_t now = pp_clock_now();
  pp_err_t e = staff_of(r, true);
  if (!e) e = pp_staff_uv_check(&r->staff->session, PP_CHANGE_UV_DECIDE, now);
  pp_change_t *c = NULL;
  if (!e) e = path_change(r, &c, true);
  if (e) return e;
  const char *status = pp_api_param(r, "Status");
  e = pp_change_decide(c, &r->staff->staff, status, now);
  if (e) {
    sodium_memzero(c->password, sizeof c->password);
    char refs[2][PP_AUDIT_RESOURCE_MAX + 1];
    change_refs(c, refs);
    const char *sids[2] = {refs[0], refs[1]};
    pp_api_audit_record(r, PP_AUDIT_CHANGE_DECIDE, NULL, sids, 2, e);
    if (e == PP_ERR_INVALID_PARAM) return pp_api_fail(r, e, "Status must be approved or rejected");
    if (e == PP_ERR_CHANGE_DECIDED) return pp_api_fail(r, e, c->status);
    return e;
  }
  pp_change_write_t *cw = pp_arena_alloc(&r->arena, sizeof *cw);
  if (!cw) return PP_ERR_NOMEM;
  cw->change = c;
  cw->insert = false;
  e = strcmp(c->status, "rejected") == 0
          ? submit_change(r, cw, PP_AUDIT_CHANGE_DECIDE, change_written) /* wipes it */
          : apply(r, c, cw);
  if (e != PP_ERR_AGAIN) sodium_memzero(c->password, sizeof c->password);
  return e;
}

/* ---- /audit/v1/Installation/Changes ------------------------------------- */

pp_err_t pp_api_installation_changes(pp_api_req_t *r) {
  pp_change_t *rows;
  size_t n;
  pp_err_t e = pp_store_change_list(r->api->store, &r->arena, "approved", &rows, &n);
  return e ? e : respond_changes(r, "changes", rows, n, false);
}

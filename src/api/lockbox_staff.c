/* lockbox_staff.c: the lockbox's staff side, /staff/api (docs/internals/lockbox.md):
 * a staff member asks for access to an account (a fresh user-verified
 * assertion for "lockbox.request" needed), and reads its messages, numbers
 * and Verify services only while the account's owner has approved a
 * request of theirs that is still running (DESIGN.md rule 3).  The reads
 * are the customer API's own handlers, run with the account as principal;
 * each is an audit event (lockbox.read) naming the request and what was
 * read, and a notice to the owner.  Without a grant: 403, 20403. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "staff/lockbox.h"
#include "staff/staff.h"

#define UV_ACTION "lockbox.request"

/* The request's staff member (its session from the Cookie header) as the
 * principal; PP_ERR_STAFF_SESSION (401) without one.  With `change`, the
 * session's CSRF token too (403). */
static pp_err_t staff_of(pp_api_req_t *r, bool change, pp_staff_who_t *who) {
  pp_err_t e = pp_staff_resolve(r->api->store, r->cookie, pp_clock_now(), who);
  if (!e) {
    r->principal.kind = PP_PRINCIPAL_STAFF;
    snprintf(r->principal.staff, sizeof r->principal.staff, "%s", who->staff.name);
  }
  if (!e && change)
    e = pp_staff_csrf_check(who->text,
                            r->csrf_header ? r->csrf_header : pp_api_param(r, PP_STAFF_CSRF_FIELD));
  sodium_memzero(who->text, sizeof who->text);
  return e;
}

/* The audit principal of a staff member: "staff:NAME". */
static void staff_ref(const pp_api_req_t *r, char out[PP_AUDIT_PRINCIPAL_SIZE]) {
  snprintf(out, PP_AUDIT_PRINCIPAL_SIZE, "staff:%s", r->principal.staff);
}

static pp_err_t created(pp_api_req_t *r) {
  if (r->write.result) return r->write.result;
  r->params[0] = r->write.u.lockbox.request->sid;
  r->principal.kind = PP_PRINCIPAL_ACCOUNT; /* rendered as its owner sees it */
  snprintf(r->principal.account_sid, sizeof r->principal.account_sid, "%s",
           r->write.u.lockbox.request->account_sid);
  r->principal.account = (pp_account_t){.seq = 0};
  pp_err_t e = pp_lockbox_request_fetch(r);
  if (!e) r->status = 201;
  return e;
}

/* POST /staff/api/AccessRequests: AccountSid, Reason, Minutes (1..240).
 * UV: a user-verified assertion for "lockbox.request" of the last 5
 * minutes.  201 with the request, pending; the owner is told. */
pp_err_t pp_lockbox_staff_request_create(pp_api_req_t *r) {
  pp_staff_who_t who;
  pp_err_t e = staff_of(r, true, &who);
  if (!e) e = pp_staff_uv_check(&who.session, UV_ACTION, pp_clock_now());
  if (e) { /* a known member's refusal (CSRF, UV) is recorded */
    if (r->principal.kind == PP_PRINCIPAL_STAFF)
      pp_api_audit_record(r, PP_AUDIT_LOCKBOX_REQUEST, "", NULL, 0, e);
    return e;
  }
  const char *account = pp_api_param(r, "AccountSid");
  if (!account) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "AccountSid");
  pp_account_t acc;
  if (!pp_sid_valid(account, "AC") ||
      (e = pp_store_account_get(r->api->store, account, &acc)) == PP_ERR_NOT_FOUND)
    return pp_api_fail(r, PP_ERR_NOT_FOUND, account);
  sodium_memzero(&acc, sizeof acc);
  if (e) return e;
  int minutes;
  const char *why;
  if ((e = pp_lockbox_check_request(pp_api_param(r, "Reason"), pp_api_param(r, "Minutes"), &minutes,
                                    &why)))
    return pp_api_fail(r, e, why);
  pp_lockbox_request_t *q = pp_arena_alloc(&r->arena, sizeof *q);
  if (!q) return PP_ERR_NOMEM;
  memset(q, 0, sizeof *q);
  pp_sid_new(q->sid, "LR");
  snprintf(q->account_sid, sizeof q->account_sid, "%s", account);
  staff_ref(r, q->staff);
  q->reason = pp_api_param(r, "Reason");
  q->minutes = minutes;
  snprintf(q->status, sizeof q->status, "pending");
  q->date_created = q->date_updated = pp_clock_now();
  char *notice = pp_lockbox_notice(r, "request.created", q, "pending", NULL, NULL);
  if (!notice) return PP_ERR_NOMEM;
  r->write.kind = PP_W_LOCKBOX;
  r->write.u.lockbox = (pp_lockbox_write_t){q,      q->account_sid, true, NULL, "request.created",
                                            notice, q->date_created};
  pp_api_audit_attach(r, PP_AUDIT_LOCKBOX_REQUEST, q->account_sid, (const char *[]){q->sid}, 1);
  return pp_api_submit(r, created);
}

/* GET /staff/api/AccessRequests?AccountSid=AC…: the member's own requests
 * in that account, newest first (their status as seen now), so they can
 * follow an answer.  Nothing of the account's content. */
pp_err_t pp_lockbox_staff_request_list(pp_api_req_t *r) {
  pp_staff_who_t who;
  pp_api_page_t pg;
  pp_err_t e = staff_of(r, false, &who);
  if (!e) e = pp_api_page_parse(r, &pg);
  if (e) return e;
  const char *account = pp_form_get(&r->query, "AccountSid");
  if (!account) return pp_api_fail(r, PP_ERR_PARAM_MISSING, "AccountSid");
  if (!pp_sid_valid(account, "AC"))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "AccountSid must be an account SID");
  char staff[PP_AUDIT_PRINCIPAL_SIZE];
  staff_ref(r, staff);
  pp_lockbox_filter_t f = {.account_sid = account, .staff = staff};
  static const char *const names[] = {"AccountSid"};
  const char *filters = pp_api_filter_query(r, names, 1);
  return filters ? pp_lockbox_request_page(r, &f, &pg, "/staff/api/AccessRequests", filters)
                 : PP_ERR_NOMEM;
}

/* ---- Reads under a grant ---------------------------------------------- */

/* The staff member's running grant in `account` into *q: an approved
 * request of theirs whose minutes are not up.  PP_ERR_LOCKBOX_NO_GRANT
 * when there is none. */
static pp_err_t grant_of(pp_api_req_t *r, const char *account, pp_lockbox_request_t *q) {
  char staff[PP_AUDIT_PRINCIPAL_SIZE];
  staff_ref(r, staff);
  pp_lockbox_filter_t f = {
      .account_sid = account, .status = "approved", .staff = staff, .page = {.limit = 100}};
  pp_lockbox_request_t *rows;
  size_t n;
  bool more;
  pp_err_t e = pp_store_lockbox_list(r->api->store, &r->arena, &f, &rows, &n, &more);
  if (e) return e;
  int64_t now = pp_clock_now();
  int minute_s = r->api->lockbox_minute_s > 0 ? r->api->lockbox_minute_s : PP_LOCKBOX_MINUTE_S;
  for (size_t i = 0; i < n; i++) {
    pp_lockbox_times_t t = {PP_LOCKBOX_APPROVED, rows[i].date_created, rows[i].date_approved,
                            rows[i].minutes, minute_s};
    if (pp_lockbox_grant_active(&t, now)) {
      *q = rows[i];
      return PP_OK;
    }
  }
  return PP_ERR_LOCKBOX_NO_GRANT;
}

/* What a read keeps while its event is written. */
typedef struct {
  pp_lockbox_request_t grant;
  pp_err_t answer;
} read_t;

static pp_err_t read_done(pp_api_req_t *r) {
  read_t *rd = r->state;
  if (r->write.result) return PP_ERR_STORE; /* no read without its event */
  return rd->answer;
}

/* Runs the customer handler `inner` for the account of the path under the
 * staff member's grant: r->params[0] is the AccountSid; `shift` drops it
 * for handlers whose paths carry no account (Verify).  The read, its
 * outcome and every SID it showed go to the audit log (lockbox.read,
 * naming the request first) before the answer, and to the owner. */
static pp_err_t under_grant(pp_api_req_t *r, pp_api_handler_fn inner, bool shift) {
  pp_staff_who_t who;
  pp_err_t e = staff_of(r, false, &who);
  if (e) return e;
  const char *account = r->params[0];
  read_t *rd = pp_arena_alloc(&r->arena, sizeof *rd);
  if (!rd) return PP_ERR_NOMEM;
  memset(rd, 0, sizeof *rd);
  e = pp_sid_valid(account, "AC") ? grant_of(r, account, &rd->grant) : PP_ERR_LOCKBOX_NO_GRANT;
  if (e) {
    pp_api_audit_record(r, PP_AUDIT_LOCKBOX_READ, pp_sid_valid(account, "AC") ? account : "", NULL,
                        0, e);
    return pp_api_fail(r, e, pp_sid_valid(account, "AC") ? account : "that account");
  }
  pp_principal_t staff = r->principal;
  pp_account_t acc;
  if ((e = pp_store_account_get(r->api->store, account, &acc))) return e;
  sodium_memzero(acc.auth_token, sizeof acc.auth_token);
  sodium_memzero(acc.secondary_token, sizeof acc.secondary_token);
  memset(&r->principal, 0, sizeof r->principal);
  r->principal.kind = PP_PRINCIPAL_ACCOUNT;
  r->principal.account = acc;
  r->principal.is_main = strcmp(acc.owner_sid, acc.sid) == 0;
  snprintf(r->principal.account_sid, sizeof r->principal.account_sid, "%s", acc.sid);
  /* Every SID the handler shows is noted (pp_api_audit_touch), the
   * request first. */
  snprintf(r->audit.other_account, sizeof r->audit.other_account, "%s", acc.sid);
  pp_api_audit_touch(r, rd->grant.sid);
  if (shift) r->params[0] = r->params[1], r->params[1] = r->params[2], r->params[2] = NULL;
  rd->answer = inner(r);
  if (rd->answer == PP_ERR_AGAIN) rd->answer = PP_ERR_INTERNAL; /* reads never wait */
  r->principal = staff;
  pp_buf_t sids;
  pp_buf_init(&sids, 0);
  for (size_t i = 1; i < r->audit.nresources; i++) {
    if (i > 1) pp_buf_putc(&sids, ',');
    pp_buf_append(&sids, r->audit.resources[i], strlen(r->audit.resources[i]));
  }
  char *list = pp_buf_status(&sids)
                   ? NULL
                   : pp_arena_strndup(&r->arena, sids.data ? sids.data : "", sids.len);
  pp_buf_cleanup(&sids);
  char *notice = rd->answer
                     ? NULL
                     : pp_lockbox_notice(r, "read", &rd->grant, "approved", r->audit.request, list);
  if (!rd->answer && !notice) return PP_ERR_NOMEM;
  memset(&r->write, 0, sizeof r->write);
  r->write.kind = PP_W_LOCKBOX;
  r->write.u.lockbox =
      (pp_lockbox_write_t){NULL, acc.sid, false, NULL, "read", notice, pp_clock_now()};
  pp_api_audit_attach(r, PP_AUDIT_LOCKBOX_READ, acc.sid, NULL, 0);
  pp_audit_outcome(rd->answer, r->audit.event.outcome);
  r->state = rd;
  return pp_api_submit(r, read_done);
}

/* The reads a grant allows: each the customer API's own handler, run
 * under_grant (`shift`: a Verify path, which carries no account). */
#define UNDER_GRANT(name, handler, shift)  \
  pp_err_t name(pp_api_req_t *r) {         \
    return under_grant(r, handler, shift); \
  }
UNDER_GRANT(pp_lockbox_staff_messages, pp_api_message_list, false)
UNDER_GRANT(pp_lockbox_staff_message, pp_api_message_fetch, false)
UNDER_GRANT(pp_lockbox_staff_numbers, pp_api_number_list, false)
UNDER_GRANT(pp_lockbox_staff_number, pp_api_number_fetch, false)
UNDER_GRANT(pp_lockbox_staff_verify_services, pp_api_verify_service_list, true)
UNDER_GRANT(pp_lockbox_staff_verify_service, pp_api_verify_service_fetch, true)
#undef UNDER_GRANT

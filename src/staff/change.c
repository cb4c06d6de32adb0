/* change.c: four eyes on the installation's traffic: the decisions about a
 * change request (who may ask, who may decide, expiry, the transitions),
 * as functions over plain values (docs/internals/staff.md). */
#include <stdio.h>
#include <string.h>

#include "core/ids.h"
#include "staff/staff.h"

static const char *const actions[] = {"carrier.create", "carrier.update", "carrier.delete",
                                      "route.create", "route.delete"};

bool pp_change_action_ok(const char *action) {
  for (size_t i = 0; action && i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp(action, actions[i]) == 0) return true;
  return false;
}

const char *pp_change_uv_action(const char *action) {
  if (!pp_change_action_ok(action)) return NULL;
  return strncmp(action, "carrier.", 8) == 0 ? PP_CHANGE_UV_CARRIER : PP_CHANGE_UV_ROUTE;
}

pp_err_t pp_change_new(const char *action, const char *requested_by, int64_t now,
                       pp_change_t *out) {
  if (!pp_change_action_ok(action) || !requested_by || !requested_by[0] ||
      strlen(requested_by) >= sizeof out->requested_by)
    return PP_ERR_INVALID_PARAM;
  memset(out, 0, sizeof *out);
  pp_sid_new(out->sid, "CR");
  snprintf(out->action, sizeof out->action, "%s", action);
  snprintf(out->requested_by, sizeof out->requested_by, "%s", requested_by);
  snprintf(out->status, sizeof out->status, "pending");
  out->date_created = now;
  out->date_expires = now + PP_CHANGE_TTL_S;
  return PP_OK;
}

const char *pp_change_status_at(const pp_change_t *c, int64_t now) {
  if (strcmp(c->status, "pending") == 0 && now >= c->date_expires) return "expired";
  return c->status;
}

pp_err_t pp_change_may_request(const pp_staff_t *m) {
  return strcmp(m->role, "operator") == 0 ? PP_OK : PP_ERR_STAFF_ROLE;
}

pp_err_t pp_change_decide(pp_change_t *c, const pp_staff_t *m, const char *status, int64_t now) {
  if (!status || (strcmp(status, "approved") != 0 && strcmp(status, "rejected") != 0))
    return PP_ERR_INVALID_PARAM;
  if (pp_change_may_request(m)) return PP_ERR_STAFF_ROLE;
  char who[PP_CHANGE_WHO_SIZE];
  snprintf(who, sizeof who, "staff:%s", m->name);
  if (strcmp(who, c->requested_by) == 0) return PP_ERR_CHANGE_OWN;
  const char *now_status = pp_change_status_at(c, now);
  if (strcmp(now_status, "expired") == 0) return PP_ERR_CHANGE_EXPIRED;
  if (strcmp(now_status, "pending") != 0) return PP_ERR_CHANGE_DECIDED;
  snprintf(c->status, sizeof c->status, "%s", status);
  memcpy(c->decided_by, who, sizeof c->decided_by);
  c->date_decided = now;
  return PP_OK;
}

pp_err_t pp_change_host(const char *action, const char *who, int64_t now, pp_change_t *out) {
  pp_err_t e = pp_change_new(action, who, now, out);
  if (e) return e;
  snprintf(out->status, sizeof out->status, "approved");
  snprintf(out->decided_by, sizeof out->decided_by, "%s", who);
  out->date_decided = now;
  return PP_OK;
}

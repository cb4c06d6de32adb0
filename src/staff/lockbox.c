/* lockbox.c: the lockbox's decisions over plain values (lockbox.h). */
#include "staff/lockbox.h"

#include <string.h>

static const char *const names[PP_LOCKBOX__STATUS_COUNT] = {"pending", "approved", "denied",
                                                            "revoked", "expired"};

const char *pp_lockbox_status_name(pp_lockbox_status_t s) {
  return (unsigned)s < PP_LOCKBOX__STATUS_COUNT ? names[s] : "?";
}

bool pp_lockbox_status_parse(const char *name, pp_lockbox_status_t *out) {
  for (int i = 0; name && i < PP_LOCKBOX__STATUS_COUNT; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (pp_lockbox_status_t)i;
      return true;
    }
  return false;
}

pp_err_t pp_lockbox_check_request(const char *reason, const char *minutes, int *out_minutes,
                                  const char **why) {
  bool blank = true;
  for (const char *p = reason; p && *p; p++) blank &= *p == ' ' || *p == '\t';
  if (blank) {
    *why = "Reason";
    return PP_ERR_PARAM_MISSING;
  }
  size_t len = strlen(reason);
  bool clean = len <= PP_LOCKBOX_REASON_MAX;
  for (size_t i = 0; clean && i < len; i++)
    clean = (unsigned char)reason[i] >= 0x20 && reason[i] != 0x7f;
  if (!clean) {
    *why = "Reason must be at most 1024 characters without control characters";
    return PP_ERR_INVALID_PARAM;
  }
  if (!minutes || !*minutes) {
    *why = "Minutes";
    return PP_ERR_PARAM_MISSING;
  }
  int m = 0;
  for (const char *p = minutes; *p; p++) {
    if (*p < '0' || *p > '9' || m > PP_LOCKBOX_MINUTES_MAX) {
      m = -1;
      break;
    }
    m = m * 10 + (*p - '0');
  }
  if (m < 1 || m > PP_LOCKBOX_MINUTES_MAX) {
    *why = "Minutes must be an integer from 1 to 240";
    return PP_ERR_INVALID_PARAM;
  }
  *out_minutes = m;
  return PP_OK;
}

int64_t pp_lockbox_grant_end(const pp_lockbox_times_t *t) {
  return t->date_approved + (int64_t)t->minutes * t->minute_s;
}

pp_lockbox_status_t pp_lockbox_status_at(const pp_lockbox_times_t *t, int64_t now) {
  if (t->status == PP_LOCKBOX_PENDING && now - t->date_created >= PP_LOCKBOX_PENDING_S)
    return PP_LOCKBOX_EXPIRED;
  if (t->status == PP_LOCKBOX_APPROVED && now >= pp_lockbox_grant_end(t)) return PP_LOCKBOX_EXPIRED;
  return t->status;
}

bool pp_lockbox_grant_active(const pp_lockbox_times_t *t, int64_t now) {
  return t->status == PP_LOCKBOX_APPROVED && t->date_approved > 0 && t->date_approved <= now &&
         now < pp_lockbox_grant_end(t);
}

pp_err_t pp_lockbox_transition(pp_lockbox_status_t from, pp_lockbox_status_t to) {
  bool ok =
      (from == PP_LOCKBOX_PENDING && (to == PP_LOCKBOX_APPROVED || to == PP_LOCKBOX_DENIED)) ||
      (from == PP_LOCKBOX_APPROVED && to == PP_LOCKBOX_REVOKED);
  return ok ? PP_OK : PP_ERR_LOCKBOX_STATUS;
}

/* events.c: the form of a Verify webhook event (see events.h). */
#include "verify/events.h"

#include <string.h>

#include "core/clock.h"
#include "core/ids.h"

bool pp_verify_event_type_known(const char *type) {
  static const char *const types[] = {"*",
                                      "factor.deleted",
                                      "factor.created",
                                      "factor.verified",
                                      "challenge.approved",
                                      "challenge.denied",
                                      "factor.enrollment_pending",
                                      "challenge.pending"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(type, types[i]) == 0) return true;
  return false;
}

bool pp_verify_event_subscribed(const char *event_types, const char *type) {
  size_t n = strlen(type);
  for (const char *p = event_types;; p++) {
    size_t k = strcspn(p, ",");
    if ((k == 1 && *p == '*') || (k == n && strncmp(p, type, n) == 0)) return true;
    p += k;
    if (!*p) return false;
  }
}

void pp_verify_event_form(pp_buf_t *out, const char *type, const char *account_sid,
                          const char *service_sid, const char *const *kv, size_t n, int64_t now) {
  char uuid[33], when[PP_ISO8601_SIZE];
  pp_hex_random(uuid, 16);
  pp_iso8601(now, when);
  const char *head[] = {"uuid",        uuid,        "type",        type,
                        "account_sid", account_sid, "service_sid", service_sid};
  for (size_t i = 0; i < 8 + 2 * n + 2; i += 2) {
    const char *k = i < 8 ? head[i] : i < 8 + 2 * n ? kv[i - 8] : "created_date";
    const char *v = i < 8 ? head[i + 1] : i < 8 + 2 * n ? kv[i - 7] : when;
    if (i) pp_buf_putc(out, '&');
    pp_buf_url_encode(out, k);
    pp_buf_putc(out, '=');
    pp_buf_url_encode(out, v ? v : "");
  }
}

/* geo.c: Verify's geo permissions (see geo.h). */
#include "verify/geo.h"

#include <stdio.h>
#include <string.h>

#include "core/phone.h"

bool pp_verify_geo_parse(const char *in, char *out, size_t cap, const char **bad, size_t *bad_len) {
  *bad = NULL;
  *bad_len = 0;
  if (!cap || strlen(in) >= cap) return false;
  size_t n = 0;
  out[0] = '\0';
  for (const char *p = in; *p;) {
    size_t len = strcspn(p, ",");
    const char *item = p;
    p += len + (p[len] == ',');
    while (len && *item == ' ') item++, len--;
    while (len && item[len - 1] == ' ') len--;
    if (len && *item == '+') item++, len--;
    char probe[16];
    bool ok = len >= 1 && len <= 3 && strspn(item, "0123456789") >= len;
    if (ok) {
      snprintf(probe, sizeof probe, "+%.*s0000000", (int)len, item);
      ok = pp_phone_country_code_len(probe) == (int)len;
    }
    if (!ok) {
      *bad = item;
      *bad_len = len;
      return false;
    }
    n += (size_t)snprintf(out + n, cap - n, "%s%.*s", n ? "," : "", (int)len, item);
  }
  return true;
}

bool pp_verify_geo_allowed(const char *allowed, const char *to) {
  const char *p = allowed;
  if (!p || !*p) return true;
  size_t cc = (size_t)pp_phone_country_code_len(to);
  while (cc && *p) {
    size_t len = strcspn(p, ",");
    if (len == cc && strncmp(p, to + 1, cc) == 0) return true;
    p += len + (p[len] == ',');
  }
  return false;
}

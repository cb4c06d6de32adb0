/* fuzz_staff_cookie.c: pp_staff_cookie_find (src/staff/staff.h) on arbitrary
 * bytes (a request's Cookie header), against a small reference written
 * apart; and pp_staff_csrf_check and pp_staff_rp_from_url on the same bytes.
 *
 * Checked:
 *  - the parser reads only the `len` bytes given (the input is copied to a
 *    buffer of exactly that size, so ASan sees any read past it);
 *  - it finds the value exactly when the reference does: the first cookie
 *    (split at ';', leading blanks dropped) named __Host-pipit-staff, its
 *    value with trailing blanks and one pair of quotes dropped, and only if
 *    that is 43 base64url characters;
 *  - neither the session nor the input is taken as its CSRF token;
 *  - a relying party derived from the bytes as a URL has an RP id without
 *    ':', '/' or upper case, and an origin that is the scheme, that id and
 *    at most a port. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "staff/staff.h"

static bool ref_b64url(const char *v, size_t n) {
  if (n != 43) return false;
  for (size_t i = 0; i < n; i++)
    if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", v[i]) ||
        v[i] == '\0')
      return false;
  return true;
}

/* The reference: 1 found (value in out), 0 not. */
static int reference(const char *h, size_t len, char *out) {
  static const char name[] = "__Host-pipit-staff=";
  size_t at = 0;
  while (at <= len) {
    size_t end = at;
    while (end < len && h[end] != ';') end++;
    size_t b = at;
    while (b < end && (h[b] == ' ' || h[b] == '\t')) b++;
    if (end - b >= sizeof name - 1 && memcmp(h + b, name, sizeof name - 1) == 0) {
      const char *v = h + b + sizeof name - 1;
      size_t n = (size_t)(h + end - v);
      while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
      if (n >= 2 && v[0] == '"' && v[n - 1] == '"') v++, n -= 2;
      if (!ref_b64url(v, n)) return 0;
      memcpy(out, v, n);
      out[n] = '\0';
      return 1;
    }
    at = end + 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *h = malloc(size ? size : 1);
  if (!h) return 0;
  memcpy(h, data, size);
  char got[PP_STAFF_TEXT_SIZE], want[PP_STAFF_TEXT_SIZE];
  bool found = pp_staff_cookie_find(h, size, got);
  int ref = reference(h, size, want);
  FUZZ_CHECK(found == (ref == 1), "found %d, reference %d", found, ref);
  if (found) FUZZ_CHECK(strcmp(got, want) == 0, "value %s, reference %s", got, want);
  free(h);

  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  if (found) { /* a CSRF token is never the session itself nor the input */
    FUZZ_CHECK(pp_staff_csrf_check(got, got) == PP_ERR_STAFF_CSRF, "session as its CSRF token");
    FUZZ_CHECK(pp_staff_csrf_check(got, s) == PP_ERR_STAFF_CSRF, "a CSRF token from the input");
  }
  char rp[256], origin[256];
  if (pp_staff_rp_from_url(s, rp, origin) == PP_OK) {
    FUZZ_CHECK(*rp && !strpbrk(rp, ":/@ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "rp id %s", rp);
    const char *o = strncmp(origin, "https://", 8) == 0 ? origin + 8 : origin + 7;
    FUZZ_CHECK(strncmp(origin, "http", 4) == 0 && strncmp(o, rp, strlen(rp)) == 0,
               "origin %s for %s", origin, rp);
    const char *port = o + strlen(rp);
    FUZZ_CHECK(
        *port == '\0' || (*port == ':' && strspn(port + 1, "0123456789") == strlen(port + 1)),
        "origin %s", origin);
  }
  free(s);
  return 0;
}

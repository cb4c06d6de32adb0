/* phone.c: address syntax checks. */
#include "core/phone.h"

#include <string.h>

bool pp_phone_is_e164(const char *s) {
  if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9') return false;
  size_t n = 0;
  for (const char *p = s + 1; *p; p++, n++)
    if (*p < '0' || *p > '9') return false;
  return n >= 2 && n <= 15;
}

bool pp_phone_is_alnum_sender(const char *s) {
  if (!s) return false;
  size_t n = strlen(s);
  if (n < 1 || n > 11) return false;
  bool letter = false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
      letter = true;
    else if (!((c >= '0' && c <= '9') || c == ' '))
      return false;
  }
  return letter;
}

/* Two-digit country codes (ITU-T E.164 assigned list), as 10 * first digit +
 * second; the one-digit codes are 1 (NANP) and 7 (Russia, Kazakhstan). */
static const unsigned char two_digit[] = {
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98};

int pp_phone_country_code_len(const char *e164) {
  if (!pp_phone_is_e164(e164)) return 0;
  int d1 = e164[1] - '0', d2 = e164[2] - '0';
  if (d1 == 1 || d1 == 7) return 1;
  for (size_t i = 0; i < sizeof two_digit; i++)
    if (two_digit[i] == d1 * 10 + d2) return 2;
  return e164[3] ? 3 : 0; /* "+21" alone has no whole three-digit code */
}

size_t pp_phone_prefix(const char *e164, int extra, char *out, size_t cap) {
  int cc = pp_phone_country_code_len(e164);
  size_t n = 0;
  if (cc) {
    size_t digits = strlen(e164) - 1;
    n = 1 + (size_t)cc + (size_t)(extra > 0 ? extra : 0);
    if (n > digits + 1) n = digits + 1;
  }
  if (n == 0 || n >= cap) {
    if (cap) out[0] = '\0';
    return 0;
  }
  memcpy(out, e164, n);
  out[n] = '\0';
  return n;
}

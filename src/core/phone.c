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

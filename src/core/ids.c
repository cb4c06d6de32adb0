/* ids.c: SIDs and random hex. */
#include "core/ids.h"

#include <sodium.h>
#include <string.h>

void pp_hex_random(char *out, size_t nbytes) {
  unsigned char raw[64];
  while (nbytes > 0) {
    size_t n = nbytes > sizeof raw ? sizeof raw : nbytes;
    randombytes_buf(raw, n);
    sodium_bin2hex(out, 2 * n + 1, raw, n);
    out += 2 * n;
    nbytes -= n;
  }
  sodium_memzero(raw, sizeof raw);
}

void pp_sid_new(char out[PP_SID_SIZE], const char prefix[2]) {
  out[0] = prefix[0];
  out[1] = prefix[1];
  pp_hex_random(out + 2, 16);
}

bool pp_sid_valid(const char *s, const char prefix[2]) {
  if (!s || s[0] != prefix[0] || s[1] != prefix[1]) return false;
  for (int i = 2; i < PP_SID_LEN; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return s[PP_SID_LEN] == '\0';
}

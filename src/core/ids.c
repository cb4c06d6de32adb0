/* ids.c: SIDs and random hex. */
#include "core/ids.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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
  /* 48 bits of milliseconds, then 80 random bits: new SIDs sort after old
   * ones, so the store's SID index grows at its right edge (random keys
   * cost a page read per insert once the index outgrows the cache), and
   * 80 bits still cannot be guessed. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  static const char hex[] = "0123456789abcdef";
  out[0] = prefix[0];
  out[1] = prefix[1];
  for (int i = 0; i < 12; i++) out[2 + i] = hex[(ms >> (44 - 4 * i)) & 15];
  pp_hex_random(out + 14, 10);
}

bool pp_sid_valid(const char *s, const char prefix[2]) {
  if (!s || s[0] != prefix[0] || s[1] != prefix[1]) return false;
  for (int i = 2; i < PP_SID_LEN; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return s[PP_SID_LEN] == '\0';
}

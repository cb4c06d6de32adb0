/* SIDs: prefix, length, hex alphabet, uniqueness; validation. */
#include <sodium.h>

#include "check.h"
#include "core/ids.h"

int main(void) {
  if (sodium_init() < 0) return 1;
  char a[PP_SID_SIZE], b[PP_SID_SIZE];
  pp_sid_new(a, "SM");
  pp_sid_new(b, "SM");
  CHECK_EQ_INT(strlen(a), 34);
  CHECK(a[0] == 'S' && a[1] == 'M');
  for (int i = 2; i < 34; i++) CHECK(strchr("0123456789abcdef", a[i]) != NULL);
  CHECK(strcmp(a, b) != 0);
  CHECK(pp_sid_valid(a, "SM"));
  CHECK(!pp_sid_valid(a, "AC"));
  CHECK(pp_sid_valid("ACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AC"));
  CHECK(!pp_sid_valid("AC0123", "AC"));
  CHECK(!pp_sid_valid("AC0123456789abcdef0123456789abcdefX", "AC"));
  CHECK(!pp_sid_valid("AC0123456789abcdef0123456789abcdeg", "AC"));
  CHECK(!pp_sid_valid(NULL, "AC"));
  char hex[65];
  pp_hex_random(hex, 32);
  CHECK_EQ_INT(strlen(hex), 64);
  /* 1000 SIDs, no repeats among neighbours (128 random bits each). */
  char prev[PP_SID_SIZE] = "";
  int repeats = 0;
  for (int i = 0; i < 1000; i++) {
    pp_sid_new(a, "MM");
    if (strcmp(a, prev) == 0) repeats++;
    memcpy(prev, a, sizeof prev);
  }
  CHECK_EQ_INT(repeats, 0);
  return check_report("core_ids");
}

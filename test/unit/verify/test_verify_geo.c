/* test_verify_geo.c: geo permissions: the list's normalization and the
 * decision for a number. */
#include <string.h>

#include "check.h"
#include "verify/geo.h"

static void parse(void) {
  char out[64];
  const char *bad;
  size_t len;
  CHECK(pp_verify_geo_parse("1,44", out, sizeof out, &bad, &len));
  CHECK_EQ_STR(out, "1,44");
  CHECK(pp_verify_geo_parse(" +1 , +44,353,7", out, sizeof out, &bad, &len));
  CHECK_EQ_STR(out, "1,44,353,7");
  CHECK(pp_verify_geo_parse("", out, sizeof out, &bad, &len));
  CHECK_EQ_STR(out, "");
  /* Not whole country codes: "4" is the start of 44, "441" too long. */
  CHECK(!pp_verify_geo_parse("1,4", out, sizeof out, &bad, &len));
  CHECK(bad && len == 1 && strncmp(bad, "4", len) == 0);
  CHECK(!pp_verify_geo_parse("441", out, sizeof out, &bad, &len));
  CHECK(bad && len == 3 && strncmp(bad, "441", len) == 0);
  CHECK(!pp_verify_geo_parse("1, +x4 ", out, sizeof out, &bad, &len));
  CHECK(bad && len == 2 && strncmp(bad, "x4", len) == 0);
  CHECK(!pp_verify_geo_parse("1,,44", out, sizeof out, &bad, &len));
  CHECK_EQ_INT(len, 0);
  CHECK(!pp_verify_geo_parse("1,44", out, 4, &bad, &len));
  CHECK(bad == NULL);
}

static void allowed(void) {
  CHECK(pp_verify_geo_allowed(NULL, "+447700900123"));
  CHECK(pp_verify_geo_allowed("", "+447700900123"));
  CHECK(pp_verify_geo_allowed("1,44", "+447700900123"));
  CHECK(pp_verify_geo_allowed("1,44", "+14155550123"));
  CHECK(!pp_verify_geo_allowed("1,44", "+33612345678"));
  CHECK(!pp_verify_geo_allowed("44", "+4915112345678"));
  CHECK(pp_verify_geo_allowed("353", "+353861234567"));
  CHECK(!pp_verify_geo_allowed("35", "+353861234567"));
  CHECK(!pp_verify_geo_allowed("1", "14155550123"));
}

int main(void) {
  parse();
  allowed();
  return check_report("test_verify_geo");
}

/* E.164 country codes and the destination prefixes the fraud guard counts. */
#include "check.h"
#include "core/phone.h"

static const char *prefix(const char *n, int extra) {
  static char out[16];
  pp_phone_prefix(n, extra, out, sizeof out);
  return out;
}

int main(void) {
  CHECK(pp_phone_is_e164("+14155550123"));
  CHECK(!pp_phone_is_e164("14155550123"));
  /* One-digit codes: NANP and 7. */
  CHECK_EQ_INT(pp_phone_country_code_len("+14155550123"), 1);
  CHECK_EQ_INT(pp_phone_country_code_len("+79161234567"), 1);
  /* Two-digit codes. */
  CHECK_EQ_INT(pp_phone_country_code_len("+447700900123"), 2);
  CHECK_EQ_INT(pp_phone_country_code_len("+33612345678"), 2);
  CHECK_EQ_INT(pp_phone_country_code_len("+8613812345678"), 2);
  CHECK_EQ_INT(pp_phone_country_code_len("+201001234567"), 2);
  CHECK_EQ_INT(pp_phone_country_code_len("+981234567890"), 2);
  /* Three-digit codes: their zone has no two-digit code there. */
  CHECK_EQ_INT(pp_phone_country_code_len("+353861234567"), 3);
  CHECK_EQ_INT(pp_phone_country_code_len("+2348012345678"), 3);
  CHECK_EQ_INT(pp_phone_country_code_len("+880171234567"), 3);
  CHECK_EQ_INT(pp_phone_country_code_len("+9715012345678"), 3);
  CHECK_EQ_INT(pp_phone_country_code_len("+4231234567"), 3); /* Liechtenstein */
  /* Not E.164, or too short to hold its whole code. */
  CHECK_EQ_INT(pp_phone_country_code_len("+21"), 0);
  CHECK_EQ_INT(pp_phone_country_code_len("+0123456"), 0);
  CHECK_EQ_INT(pp_phone_country_code_len("4155550123"), 0);
  CHECK_EQ_INT(pp_phone_country_code_len(""), 0);
  CHECK_EQ_INT(pp_phone_country_code_len(NULL), 0);

  /* Prefixes: the country code and the next four digits. */
  CHECK_EQ_STR(prefix("+14155550123", 4), "+14155");
  CHECK_EQ_STR(prefix("+447700900123", 4), "+447700");
  CHECK_EQ_STR(prefix("+353861234567", 4), "+3538612");
  CHECK_EQ_STR(prefix("+4412", 4), "+4412"); /* shorter than a prefix: all of it */
  CHECK_EQ_STR(prefix("+14155550123", 0), "+1");
  CHECK_EQ_STR(prefix("+21", 4), "");
  char small[4];
  CHECK_EQ_INT(pp_phone_prefix("+14155550123", 4, small, sizeof small), 0);
  CHECK_EQ_STR(small, "");
  CHECK_EQ_INT(pp_phone_prefix("+14155550123", 4, small, 0), 0);
  return check_report("core_phone");
}

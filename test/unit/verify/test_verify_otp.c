/* test_verify_otp.c: HOTP and TOTP against the RFC test vectors; base32. */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "verify/otp.h"

static void hotp_rfc4226(void) {
  /* RFC 4226 Appendix D. */
  static const char *const want[] = {"755224", "287082", "359152", "969429", "338314",
                                     "254676", "287922", "162583", "399871", "520489"};
  const unsigned char *key = (const unsigned char *)"12345678901234567890";
  for (uint64_t c = 0; c < 10; c++) {
    char got[PP_OTP_MAX_DIGITS + 1] = "";
    CHECK(pp_hotp(PP_OTP_SHA1, key, 20, c, 6, got));
    CHECK_EQ_STR(got, want[c]);
  }
}

static void totp_rfc6238(void) {
  /* RFC 6238 Appendix B: each algorithm with its own seed, 8 digits, 30 s. */
  static const struct {
    int64_t t;
    const char *sha1, *sha256, *sha512;
  } v[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  const unsigned char *s1 = (const unsigned char *)"12345678901234567890";
  const unsigned char *s256 = (const unsigned char *)"12345678901234567890123456789012";
  const unsigned char *s512 =
      (const unsigned char *)"1234567890123456789012345678901234567890123456789012345678901234";
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    uint64_t c = pp_totp_counter(v[i].t, 30);
    char got[PP_OTP_MAX_DIGITS + 1];
    CHECK(pp_hotp(PP_OTP_SHA1, s1, 20, c, 8, got));
    CHECK_EQ_STR(got, v[i].sha1);
    CHECK(pp_hotp(PP_OTP_SHA256, s256, 32, c, 8, got));
    CHECK_EQ_STR(got, v[i].sha256);
    CHECK(pp_hotp(PP_OTP_SHA512, s512, 64, c, 8, got));
    CHECK_EQ_STR(got, v[i].sha512);
  }
}

static void totp_match(void) {
  /* RFC 4226's key, 6 digits, 30 s steps: the code of step c is RFC 4226
   * Appendix D's value c (755224, 287082, 359152, 969429, 338314). */
  const unsigned char *k = (const unsigned char *)"12345678901234567890";
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 0, -1, "359152"), 2);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 89, 30, 6, 0, -1, "359152"), 2);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 90, 30, 6, 0, -1, "359152"), -1);
  /* The skew: one step either side, not two. */
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 1, -1, "287082"), 1);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 1, -1, "969429"), 3);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 1, -1, "338314"), -1);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 2, -1, "338314"), 4);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 2, -1, "755224"), 0);
  /* Steps before 1970 are not computed. */
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 0, 30, 6, 1, -1, "755224"), 0);
  /* Replay: a step at or before the last accepted one is refused. */
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 1, 2, "969429"), 3);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 1, 3, "969429"), -1);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 1, 2, "287082"), -1);
  /* The newest match wins: with one digit steps 1 and 2 both give "2". */
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 1, 1, -1, "2"), 2);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 1, 1, 1, "2"), 2);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 1, 1, 2, "2"), -1);
  /* RFC 6238 Appendix B, SHA256 with its seed, 8 digits. */
  CHECK_EQ_INT(
      pp_totp_match(PP_OTP_SHA256, (const unsigned char *)"12345678901234567890123456789012", 32,
                    1111111109, 30, 8, 1, -1, "68084774"),
      1111111109 / 30);
  /* Only exactly `digits` decimal digits are compared. */
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 0, -1, "35915"), -1);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 0, -1, "3591520"), -1);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 0, -1, "35915a"), -1);
  CHECK_EQ_INT(pp_totp_match(PP_OTP_SHA1, k, 20, 60, 30, 6, 0, -1, ""), -1);
  CHECK(pp_otp_code_ok("012345", 6));
  CHECK(!pp_otp_code_ok("01234", 6) && !pp_otp_code_ok("01234 ", 6) && !pp_otp_code_ok("", 0));
}

static void ranges_and_names(void) {
  char got[PP_OTP_MAX_DIGITS + 1] = "x";
  CHECK(!pp_hotp(PP_OTP_SHA1, (const unsigned char *)"k", 1, 0, 0, got));
  CHECK(!pp_hotp(PP_OTP_SHA1, (const unsigned char *)"k", 1, 0, 11, got));
  CHECK_EQ_STR(got, "x");
  pp_otp_alg_t a;
  CHECK(pp_otp_alg_parse("SHA256", &a) && a == PP_OTP_SHA256);
  CHECK(!pp_otp_alg_parse("md5", &a));
  CHECK_EQ_STR(pp_otp_alg_name(PP_OTP_SHA512), "sha512");
  CHECK_EQ_INT(pp_totp_counter(-5, 30), 0);
  CHECK(pp_otp_equal("123456", "123456"));
  CHECK(!pp_otp_equal("123456", "123457"));
  CHECK(!pp_otp_equal("123456", "1234567"));
}

static void uri(void) {
  char out[256];
  int n = pp_otp_uri(out, sizeof out, "Acme Inc", "alice@example.com",
                     "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", PP_OTP_SHA1, 6, 30);
  CHECK_EQ_STR(out,
               "otpauth://totp/Acme%20Inc:alice%40example.com?secret="
               "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Inc&algorithm=SHA1&digits=6&"
               "period=30");
  CHECK_EQ_INT(n, strlen(out));
  pp_otp_uri(out, sizeof out, "a-b_c.d~e", "x:y/z", "MZXW6", PP_OTP_SHA512, 8, 60);
  CHECK_EQ_STR(out,
               "otpauth://totp/a-b_c.d~e:x%3Ay%2Fz?secret=MZXW6&issuer=a-b_c.d~e&algorithm=SHA512&"
               "digits=8&period=60");
  pp_otp_uri(out, sizeof out, "", "n", "MZXW6", PP_OTP_SHA256, 6, 20);
  CHECK_EQ_STR(out, "otpauth://totp/:n?secret=MZXW6&issuer=&algorithm=SHA256&digits=6&period=20");
  CHECK_EQ_INT(pp_otp_uri(out, 40, "Acme", "alice", "MZXW6", PP_OTP_SHA1, 6, 30), -1);
  CHECK_EQ_INT(pp_otp_secret_len(PP_OTP_SHA1), 20);
  CHECK_EQ_INT(pp_otp_secret_len(PP_OTP_SHA256), 32);
  CHECK_EQ_INT(pp_otp_secret_len(PP_OTP_SHA512), 64);
}

static void secrets(void) {
  unsigned char a[PP_OTP_SECRET_MAX], b[PP_OTP_SECRET_MAX];
  /* A client's: RFC 4226's key in base32, any case, with spaces. */
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, "GEZDGNBVGY3TQOJQ gezdgnbvgy3tqojq", a), 20);
  CHECK(memcmp(a, "12345678901234567890", 20) == 0);
  /* 10 bytes at the least, 64 at the most, base32 only. */
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, "GEZDGNBVGY3TQOJQ", a), 10);
  memset(a, 1, sizeof a);
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, "GEZDGNBVGY3TQOI", a), -1);
  CHECK(a[0] == 0 && a[PP_OTP_SECRET_MAX - 1] == 0);
  char big[128];
  memset(big, 'A', 104); /* 65 bytes */
  big[104] = '\0';
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, big, a), -1);
  big[103] = '\0'; /* 64 bytes (and 3 bits) */
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, big, a), 64);
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, "GEZDGNBVGY3TQOJQ1", a), -1);
  /* None given: the hash's length, random. */
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA1, NULL, a), 20);
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA256, "", a), 32);
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA512, NULL, a), 64);
  CHECK_EQ_INT(pp_otp_secret_make(PP_OTP_SHA512, NULL, b), 64);
  CHECK(memcmp(a, b, 64) != 0);
}

static void base32(void) {
  /* RFC 4648 section 10 (without padding). */
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const out[] = {"", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
  for (int i = 0; i < 7; i++) {
    char enc[32];
    size_t n = strlen(in[i]);
    CHECK(pp_base32_encode((const unsigned char *)in[i], n, enc, sizeof enc) == strlen(out[i]));
    CHECK_EQ_STR(enc, out[i]);
    unsigned char dec[32];
    CHECK_EQ_INT(pp_base32_decode(out[i], dec, sizeof dec), (long)n);
    CHECK(memcmp(dec, in[i], n) == 0);
  }
  unsigned char dec[8];
  CHECK_EQ_INT(pp_base32_decode("mzxw6===", dec, sizeof dec), 3);
  CHECK_EQ_INT(pp_base32_decode("MZ1W", dec, sizeof dec), -1);
  char small[4];
  CHECK_EQ_INT(pp_base32_encode((const unsigned char *)"foobar", 6, small, sizeof small), 0);
}

int main(void) {
  CHECK(sodium_init() >= 0);
  hotp_rfc4226();
  totp_rfc6238();
  totp_match();
  ranges_and_names();
  base32();
  uri();
  secrets();
  return check_report("test_verify_otp");
}

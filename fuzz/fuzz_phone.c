/* fuzz_phone.c: pp_phone_is_e164, pp_phone_country_code_len and
 * pp_phone_prefix (src/core/phone.h) on arbitrary bytes (a Verification's
 * `To`), and pp_baseline_advance / pp_baseline_limit (src/core/baseline.h)
 * driven by the same bytes.
 *
 * Checked:
 *  - a country code length is 1 to 3, only for E.164 input that holds the
 *    whole code; an E.164 number without one is "+" and two digits;
 *  - the code depends on the leading digits only: every longer or shorter
 *    E.164 cut of the number that still holds the code has the same one;
 *  - the prefix is the input's first min(1 + code + extra, length) bytes,
 *    NUL-terminated, and "" with 0 when it does not fit or there is no code;
 *  - the baseline's mean stays finite, never negative, never above the
 *    largest count folded in; the limit is at least the floor and at least
 *    multiple x mean; the bucket never goes back. */
#include <stdint.h>
#include <string.h>

#include "core/baseline.h"
#include "core/phone.h"
#include "fuzz_check.h"

static void check_phone(const char *s, size_t len) {
  int cc = pp_phone_country_code_len(s);
  bool e164 = pp_phone_is_e164(s);
  FUZZ_CHECK(cc >= 0 && cc <= 3, "code length %d", cc);
  if (cc) FUZZ_CHECK(e164 && len >= (size_t)cc + 1, "code %d for a %zu-byte input", cc, len);
  if (e164 && !cc) FUZZ_CHECK(len == 3, "E.164 without a code: %zu bytes", len);
  if (cc) {
    char cut[32];
    for (size_t n = cc == 1 ? 3 : (size_t)cc + 1; n <= len; n++) {
      memcpy(cut, s, n);
      cut[n] = '\0';
      FUZZ_CHECK(pp_phone_country_code_len(cut) == cc, "cut to %zu changes the code", n);
    }
  }
  for (int extra = 0; extra < 16; extra++) {
    char out[20];
    for (size_t cap = 0; cap <= sizeof out; cap += 5) {
      memset(out, 'x', sizeof out);
      size_t n = pp_phone_prefix(s, extra, out, cap);
      size_t want = cc ? (size_t)cc + 1 + (size_t)extra : 0;
      if (want > len) want = len;
      if (want >= cap) want = 0;
      FUZZ_CHECK(n == want, "prefix %zu, expected %zu (extra %d, cap %zu)", n, want, extra, cap);
      if (cap) FUZZ_CHECK(out[n] == '\0' && memcmp(out, s, n) == 0, "prefix bytes");
    }
  }
}

static void check_baseline(const uint8_t *d, size_t n) {
  pp_baseline_t b = {.bucket = d[0]};
  double alpha = (d[1] % 100 + 1) / 100.0, multiple = d[2] % 20 + 1;
  int64_t floor = d[3], max_count = 0;
  for (size_t i = 4; i + 1 < n; i += 2) {
    int64_t before = b.bucket;
    b.count = d[i + 1] * 1000;
    if (b.count > max_count) max_count = b.count;
    /* A gap of 0 stays, 1..200 moves on, the rest jumps far ahead or back. */
    int64_t gap = d[i] < 201 ? d[i] : (d[i] < 250 ? (int64_t)d[i] << 24 : -(int64_t)d[i]);
    pp_baseline_advance(&b, b.bucket + gap, alpha);
    FUZZ_CHECK(b.bucket == (gap > 0 ? before + gap : before), "bucket moved wrongly");
    FUZZ_CHECK(b.mean >= 0 && b.mean <= (double)max_count + 1e-6, "mean %g (max %lld)", b.mean,
               (long long)max_count);
    int64_t lim = pp_baseline_limit(&b, multiple, floor);
    FUZZ_CHECK(lim >= floor && (double)lim >= multiple * b.mean - 1e-6, "limit %lld",
               (long long)lim);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char s[24];
  size_t len = size < sizeof s - 1 ? size : sizeof s - 1;
  memcpy(s, data, len);
  s[len] = '\0';
  check_phone(s, strlen(s));
  if (size >= 6) check_baseline(data, size);
  return 0;
}

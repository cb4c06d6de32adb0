/* fuzz_lockbox.c: the lockbox's request check (src/staff/lockbox.h) on
 * arbitrary bytes, the Reason and Minutes a staff member sends, against a
 * small reference written apart; and its time decisions on times taken
 * from the same bytes.
 *
 * The input is split at its first NUL: the Reason before, Minutes after
 * (each copied to a buffer of its size and a NUL).  Checked:
 *  - the check accepts exactly when the reference does: a Reason of 1 to
 *    1024 bytes, none below 0x20 or 0x7f, not only blanks; Minutes only
 *    ASCII digits whose value is 1..240 (leading zeros allowed);
 *  - on acceptance the minutes are that value; on refusal they are
 *    untouched and the reason names a parameter;
 *  - a grant is active only when its request is seen approved, never
 *    before its approval or from its end on, and a seen status allows
 *    exactly the moves the rules list. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "staff/lockbox.h"

static bool ref_reason(const char *s, size_t n) {
  bool blank = true;
  if (n == 0 || n > PP_LOCKBOX_REASON_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return false;
    blank &= c == ' ';
  }
  return !blank;
}

static int ref_minutes(const char *s, size_t n) {
  long v = 0;
  if (n == 0) return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    if (v <= 1000) v = v * 10 + (s[i] - '0');
  }
  return v >= 1 && v <= PP_LOCKBOX_MINUTES_MAX ? (int)v : -1;
}

static char *copy(const uint8_t *p, size_t n) {
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

static int64_t take(const uint8_t *p, size_t n, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && at + i < n; i++) v = v << 8 | p[at + i];
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t rn = nul ? (size_t)(nul - data) : size;
  size_t mn = nul ? size - rn - 1 : 0;
  char *reason = copy(data, rn), *minutes = nul ? copy(nul + 1, mn) : NULL;
  if (!reason || (nul && !minutes)) {
    free(reason);
    free(minutes);
    return 0;
  }
  int m = -7;
  const char *why = NULL;
  pp_err_t e = pp_lockbox_check_request(reason, minutes, &m, &why);
  /* A NUL in the Minutes part ends it, as it ends any C string. */
  int want = minutes ? ref_minutes(minutes, strlen(minutes)) : -1;
  bool ok = ref_reason(reason, rn) && want > 0;
  FUZZ_CHECK((e == PP_OK) == ok, "accepted %d, reference %d (minutes %d)", e == PP_OK, ok, want);
  if (ok) FUZZ_CHECK(m == want, "minutes %d, reference %d", m, want);
  if (!ok) FUZZ_CHECK(m == -7 && why && *why, "a refusal changed the minutes or named nothing");

  /* The time decisions on times from the bytes. */
  pp_lockbox_times_t t = {.status = (pp_lockbox_status_t)(take(data, size, 0) % 6),
                          .date_created = take(data, size, 4),
                          .date_approved = take(data, size, 8),
                          .minutes = (int)(take(data, size, 12) % 300),
                          .minute_s = 1 + (int)(take(data, size, 16) % 120)};
  int64_t now = take(data, size, 20);
  pp_lockbox_status_t seen = pp_lockbox_status_at(&t, now);
  if (pp_lockbox_grant_active(&t, now)) {
    FUZZ_CHECK(seen == PP_LOCKBOX_APPROVED, "active but seen %d", seen);
    FUZZ_CHECK(now >= t.date_approved && now < pp_lockbox_grant_end(&t), "active out of time");
  }
  for (int to = 0; to < PP_LOCKBOX__STATUS_COUNT; to++) {
    bool allowed = pp_lockbox_transition(seen, (pp_lockbox_status_t)to) == PP_OK;
    bool listed =
        (seen == PP_LOCKBOX_PENDING && (to == PP_LOCKBOX_APPROVED || to == PP_LOCKBOX_DENIED)) ||
        (seen == PP_LOCKBOX_APPROVED && to == PP_LOCKBOX_REVOKED);
    FUZZ_CHECK(allowed == listed, "move %d to %d", seen, to);
  }
  free(reason);
  free(minutes);
  return 0;
}

/* Segment counting: GSM-7 basic and extension tables, UCS-2, surrogates. */
#include <stdlib.h>

#include "check.h"
#include "core/segments.h"

static size_t segs(const char *s) {
  pp_segments_t r;
  pp_segments_count(s, strlen(s), &r);
  return r.segments;
}

static char *repeat(const char *unit, size_t n) {
  size_t l = strlen(unit);
  char *s = malloc(l * n + 1);
  for (size_t i = 0; i < n; i++) memcpy(s + i * l, unit, l);
  s[l * n] = '\0';
  return s;
}

static void check_repeat(const char *unit, size_t n, size_t expect, int gsm7) {
  char *s = repeat(unit, n);
  pp_segments_t r;
  pp_segments_count(s, strlen(s), &r);
  if (r.segments != expect || r.gsm7 != gsm7)
    fprintf(stderr, "  %zu x \"%s\": %zu segments (gsm7=%d), expected %zu (gsm7=%d)\n", n, unit,
            r.segments, r.gsm7, expect, gsm7);
  CHECK_EQ_INT(r.segments, expect);
  CHECK_EQ_INT(r.gsm7, gsm7);
  free(s);
}

int main(void) {
  CHECK_EQ_INT(segs(""), 0);
  CHECK_EQ_INT(segs("hello"), 1);
  /* GSM-7 basic: 160 in one, then 153 per part. */
  check_repeat("a", 160, 1, 1);
  check_repeat("a", 161, 2, 1);
  check_repeat("a", 306, 2, 1);
  check_repeat("a", 307, 3, 1);
  /* Characters of the basic table outside ASCII stay GSM-7. */
  check_repeat("\xc3\xa9", 160, 1, 1);     /* é */
  check_repeat("\xce\x94", 161, 2, 1);     /* Δ */
  check_repeat("\xc3\x9f", 153 * 3, 3, 1); /* ß */
  /* Extension table: two septets each. */
  check_repeat("\xe2\x82\xac", 80, 1, 1); /* € x80 = 160 septets */
  check_repeat("\xe2\x82\xac", 81, 2, 1); /* 162 septets */
  check_repeat("[", 80, 1, 1);
  check_repeat("{", 81, 2, 1);
  /* An escape pair is never split: 152 'a' then '^' fills part one to 152,
   * the pair moves to part two. */
  {
    char *a = repeat("a", 152), *s = malloc(200);
    snprintf(s, 200, "%s^%s", a, "bbbbbbbbbb");
    pp_segments_t r;
    pp_segments_count(s, strlen(s), &r);
    CHECK_EQ_INT(r.units, 152 + 2 + 10);
    CHECK_EQ_INT(r.segments, 2);
    free(a);
    free(s);
  }
  /* UCS-2: 70 in one, then 67 per part. */
  check_repeat("\xd0\xb6", 70, 1, 0); /* ж */
  check_repeat("\xd0\xb6", 71, 2, 0);
  check_repeat("\xd0\xb6", 134, 2, 0);
  check_repeat("\xd0\xb6", 135, 3, 0);
  /* One non-GSM character makes the whole message UCS-2. */
  {
    char *s = repeat("a", 70);
    char buf[128];
    snprintf(buf, sizeof buf, "%s\xd0\xb6", s);
    CHECK_EQ_INT(segs(buf), 2);
    free(s);
  }
  /* Emoji are surrogate pairs: two UTF-16 units. */
  check_repeat("\xf0\x9f\x98\x80", 35, 1, 0); /* 70 units */
  check_repeat("\xf0\x9f\x98\x80", 36, 2, 0); /* 72 units */
  {
    /* 66 'ж' then an emoji: 68 units > 67 in part one, the pair moves. */
    char *a = repeat("\xd0\xb6", 66);
    char buf[400];
    snprintf(buf, sizeof buf, "%s\xf0\x9f\x98\x80\xd0\xb6\xd0\xb6\xd0\xb6", a);
    pp_segments_t r;
    pp_segments_count(buf, strlen(buf), &r);
    CHECK_EQ_INT(r.units, 66 + 2 + 3);
    CHECK_EQ_INT(r.segments, 2);
    free(a);
  }
  /* Invalid UTF-8 counts as U+FFFD (UCS-2). */
  CHECK_EQ_INT(segs("\xff"), 1);
  {
    pp_segments_t r;
    pp_segments_count("\xff", 1, &r);
    CHECK_EQ_INT(r.gsm7, 0);
    CHECK_EQ_INT(r.chars, 1);
  }
  CHECK_EQ_INT(pp_segments_septets('@'), 1);
  CHECK_EQ_INT(pp_segments_septets(0x20AC), 2);
  CHECK_EQ_INT(pp_segments_septets('`'), 0);
  CHECK_EQ_INT(pp_segments_septets(0x00A0), 0); /* the escape slot is no character */
  return check_report("core_segments");
}

/* clock.h: wall-clock time in one place (so tests can move it), and the
 * date formats of the Twilio APIs. */
#ifndef PP_CORE_CLOCK_H
#define PP_CORE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* pp_clock_now returns Unix seconds, plus the test offset if one is set. */
int64_t pp_clock_now(void);

/* pp_clock_now_us returns Unix microseconds (same offset). */
int64_t pp_clock_now_us(void);

/* pp_clock_set_offset shifts pp_clock_now by `seconds` (tests only; set from
 * PIPIT_TEST_CLOCK_OFFSET by the app). */
void pp_clock_set_offset(int64_t seconds);

#define PP_RFC2822_SIZE 64
/* pp_rfc2822 formats `t` as "Wed, 25 Nov 2026 13:27:49 +0000". */
void pp_rfc2822(int64_t t, char out[PP_RFC2822_SIZE]);

#define PP_ISO8601_SIZE 64
/* pp_iso8601 formats `t` as "2026-11-25T13:27:49Z". */
void pp_iso8601(int64_t t, char out[PP_ISO8601_SIZE]);

/* pp_parse_rfc2822 parses "Wed, 25 Nov 2026 13:27:49 +0000" (day name
 * optional, any numeric zone).  Returns false on malformed input. */
bool pp_parse_rfc2822(const char *s, int64_t *out);

/* pp_parse_iso8601 parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" and a bare
 * date "YYYY-MM-DD" (midnight UTC).  Returns false on malformed input. */
bool pp_parse_iso8601(const char *s, int64_t *out);

/* pp_days_from_civil returns days since 1970-01-01 for a proleptic
 * Gregorian date. */
int64_t pp_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif

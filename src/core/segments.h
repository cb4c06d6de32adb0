/* segments.h: how many SMS segments a UTF-8 body takes, as carriers and
 * Twilio count them: GSM 03.38 (extension table characters take two septets)
 * 160 in one segment or 153 per part; otherwise UCS-2/UTF-16 70 in one
 * segment or 67 code units per part.  A part never splits an escape pair or
 * a surrogate pair. */
#ifndef PP_CORE_SEGMENTS_H
#define PP_CORE_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  bool gsm7;       /* every character is in the GSM 03.38 table */
  size_t units;    /* septets (GSM-7) or UTF-16 code units (UCS-2) */
  size_t chars;    /* Unicode code points */
  size_t segments; /* 0 for an empty body */
} pp_segments_t;

/* pp_segments_count analyses `len` bytes of UTF-8; invalid bytes count as
 * U+FFFD.  Always succeeds. */
void pp_segments_count(const char *utf8, size_t len, pp_segments_t *out);

/* pp_segments_septets returns 1 for a basic-table code point, 2 for an
 * extension-table one, 0 for one outside GSM 03.38. */
int pp_segments_septets(unsigned cp);

/* pp_utf8_next decodes one code point at s[*i] (len bytes in all), advancing
 * *i; invalid sequences yield U+FFFD and advance one byte. */
unsigned pp_utf8_next(const char *s, size_t len, size_t *i);

#endif

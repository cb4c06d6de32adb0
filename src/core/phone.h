/* phone.h: address syntax: E.164 numbers and alphanumeric sender IDs. */
#ifndef PP_CORE_PHONE_H
#define PP_CORE_PHONE_H

#include <stdbool.h>
#include <stddef.h>

/* pp_phone_is_e164 tells whether `s` is "+" followed by 2 to 15 digits, the
 * first not 0 (ITU-T E.164). */
bool pp_phone_is_e164(const char *s);

/* pp_phone_is_alnum_sender tells whether `s` is an alphanumeric sender ID:
 * 1 to 11 characters of A-Z, a-z, 0-9 and space, with at least one letter. */
bool pp_phone_is_alnum_sender(const char *s);

/* pp_phone_country_code_len gives the number of digits of the E.164
 * country code (ITU-T E.164 Annex, 1 to 3 digits) at the start of `e164`
 * ("+" and digits, as pp_phone_is_e164 accepts), or 0 when `e164` is not
 * such a number.  Assigned one- and two-digit codes are listed; every other
 * code is three digits. */
int pp_phone_country_code_len(const char *e164);

/* pp_phone_prefix writes the country code of `e164` and up to `extra` of
 * the digits that follow it, with the "+", into `out` (`cap` bytes):
 * "+14155" for "+14155550123" and extra 4.  Returns the prefix's length,
 * or 0 (and writes "") when `e164` is not E.164 or `cap` is too small. */
size_t pp_phone_prefix(const char *e164, int extra, char *out, size_t cap);

#endif

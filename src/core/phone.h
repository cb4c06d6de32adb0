/* phone.h: address syntax: E.164 numbers and alphanumeric sender IDs. */
#ifndef PP_CORE_PHONE_H
#define PP_CORE_PHONE_H

#include <stdbool.h>

/* pp_phone_is_e164 tells whether `s` is "+" followed by 2 to 15 digits, the
 * first not 0 (ITU-T E.164). */
bool pp_phone_is_e164(const char *s);

/* pp_phone_is_alnum_sender tells whether `s` is an alphanumeric sender ID:
 * 1 to 11 characters of A-Z, a-z, 0-9 and space, with at least one letter. */
bool pp_phone_is_alnum_sender(const char *s);

#endif

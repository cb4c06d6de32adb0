/* geo.h: Verify's geo permissions (docs/internals/verify.md, "The fraud
 * guard (SMS pumping) and geo permissions"): a service's list of E.164
 * country codes, kept as "1,44", and whether a code may go to a number.
 * Pure functions over plain values: no store, no allocation. */
#ifndef PP_VERIFY_GEO_H
#define PP_VERIFY_GEO_H

#include <stdbool.h>
#include <stddef.h>

/* pp_verify_geo_parse normalizes a Pipit.AllowedCountryCodes value: country
 * codes separated by commas, each with an optional "+" and spaces around
 * it, each a whole assigned-length code (core/phone.h: "4" and "441" are
 * not).  Writes them as "1,44" with a NUL into `out` (capacity `cap`; ""
 * when `in` names none, which allows every country) and returns true.  On
 * an item that is not a country code returns false with that item, spaces
 * and "+" stripped, in *bad (a pointer into `in`) and *bad_len.  `in`
 * longer than `cap` - 1 characters is refused with *bad = NULL. */
bool pp_verify_geo_parse(const char *in, char *out, size_t cap, const char **bad, size_t *bad_len);

/* pp_verify_geo_allowed tells whether the normalized list `allowed` (NULL
 * or "": every country) lets a code go to E.164 number `to`: its country
 * code is one of the list's.  A `to` without a whole country code is not
 * allowed by a list. */
bool pp_verify_geo_allowed(const char *allowed, const char *to);

#endif

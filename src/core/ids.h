/* ids.h: Twilio-style SIDs (two-letter prefix + 32 lowercase hex) and random
 * secrets, from libsodium's CSPRNG. */
#ifndef PP_CORE_IDS_H
#define PP_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define PP_SID_LEN 34
#define PP_SID_SIZE 35 /* with the NUL */

/* pp_sid_new writes prefix (2 chars) + 32 hex digits + NUL into out: 12 of
 * milliseconds since 1970 (so SIDs sort by creation) and 20 random. */
void pp_sid_new(char out[PP_SID_SIZE], const char prefix[2]);

/* pp_sid_valid tells whether `s` is `prefix` + exactly 32 hex digits (either
 * case), as the OpenAPI patterns say. */
bool pp_sid_valid(const char *s, const char prefix[2]);

/* pp_hex_random writes `nbytes` random bytes as 2*nbytes lowercase hex + NUL
 * into out (size at least 2*nbytes+1). */
void pp_hex_random(char *out, size_t nbytes);

#endif

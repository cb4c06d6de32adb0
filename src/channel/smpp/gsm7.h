/* gsm7.h: SMS text encodings: the GSM 03.38 (3GPP TS 23.038) default
 * alphabet with its extension table, as unpacked septets (one octet each, the
 * way SMPP carries data_coding 0) and packed 7-bit; and UCS-2 as UTF-16BE
 * with surrogate pairs (data_coding 8).  Which characters are GSM-7 and how
 * many septets they take is decided by pp_segments_septets (core/segments.h);
 * this module adds the septet values.
 *
 * Encoding from UTF-8 is strict (a character outside the alphabet is an
 * error); decoding to UTF-8 is lenient (what a handset would display), since
 * inbound text from a carrier must not be dropped.  Output to UTF-8 is always
 * valid UTF-8 and NUL-terminated.  Nothing here allocates. */
#ifndef PP_CHANNEL_SMPP_GSM7_H
#define PP_CHANNEL_SMPP_GSM7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_GSM7_ESC 0x1B

/* pp_gsm7_representable tells whether every character of `len` bytes of
 * UTF-8 is in the GSM 03.38 default alphabet or its extension table.
 * Invalid UTF-8 is not representable. */
bool pp_gsm7_representable(const char *utf8, size_t len);

/* pp_gsm7_from_utf8 converts `len` bytes of UTF-8 into unpacked septets, one
 * per octet in out[0 .. *out_len), an extension character as 0x1B followed by
 * its code.  Returns PP_OK; PP_ERR_INVALID_PARAM when a character is not
 * representable (or the UTF-8 invalid); PP_ERR_TOO_BIG when `cap` is too small
 * (2 * len always suffices).  *out_len is written only on success. */
pp_err_t pp_gsm7_from_utf8(const char *utf8, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* pp_gsm7_to_utf8 converts `n` unpacked septets to UTF-8 in out, followed by
 * a NUL (not counted in *out_len).  Per 23.038: an escape followed by a code
 * outside the extension table shows that code's basic character; a final
 * lone escape, or an escape followed by another, shows a space; the high bit
 * of each octet is ignored.  Returns PP_OK, or PP_ERR_TOO_BIG when `cap` is
 * too small (3 * n + 1 always suffices). */
pp_err_t pp_gsm7_to_utf8(const uint8_t *septets, size_t n, char *out, size_t cap, size_t *out_len);

/* pp_gsm7_fill_bits returns the fill bits that align septets after a user
 * data header of `udh_octets` octets (UDHL included): 1 for the 6-octet
 * concatenation header. */
unsigned pp_gsm7_fill_bits(size_t udh_octets);

/* pp_gsm7_pack packs `n` septets (values < 0x80) into octets, least
 * significant bit first (23.038 6.1.2.1.1), after `fill` zero bits (0..6).
 * When the last octet would end with 7 spare bits they hold a CR, as 23.038
 * 6.1.2.3.1 asks.  *out_len is ceil((fill + 7n) / 8).  Returns PP_OK;
 * PP_ERR_INVALID_PARAM for fill > 6 or a septet >= 0x80; PP_ERR_TOO_BIG when
 * `cap` is too small.  *out_len is written only on success. */
pp_err_t pp_gsm7_pack(const uint8_t *septets, size_t n, unsigned fill, uint8_t *out, size_t cap,
                      size_t *out_len);

/* Pass as `n` to pp_gsm7_unpack: take every whole septet in the octets. */
#define PP_GSM7_ALL ((size_t)-1)

/* pp_gsm7_unpack unpacks septets from `len` packed octets after `fill` bits
 * into out (one septet per octet).  With n == PP_GSM7_ALL it takes every
 * whole septet, dropping a final CR that fills exactly the 7 spare bits of
 * the last octet (the padding pp_gsm7_pack adds; a text whose own last
 * character is such a CR loses it, so pass n when the count is known, as it
 * is from TP-UDL); otherwise exactly n.  Returns PP_OK with the
 * count in *out_n; PP_ERR_INVALID_PARAM for fill > 6; PP_ERR_BAD_REQUEST when
 * n septets do not fit in the octets; PP_ERR_TOO_BIG when `cap` is too
 * small. */
pp_err_t pp_gsm7_unpack(const uint8_t *packed, size_t len, unsigned fill, size_t n, uint8_t *out,
                        size_t cap, size_t *out_n);

/* pp_ucs2_from_utf8 converts `len` bytes of UTF-8 to UTF-16BE (code points
 * above U+FFFF as surrogate pairs) in out[0 .. *out_len).  Invalid UTF-8
 * becomes U+FFFD, as the segment counter counts it.  Returns PP_OK, or
 * PP_ERR_TOO_BIG when `cap` is too small (2 * len always suffices). */
pp_err_t pp_ucs2_from_utf8(const char *utf8, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* pp_ucs2_to_utf8 converts `len` octets of UTF-16BE to UTF-8 in out,
 * followed by a NUL (not counted in *out_len).  An unpaired surrogate or an
 * odd final octet becomes U+FFFD.  Returns PP_OK, or PP_ERR_TOO_BIG when
 * `cap` is too small (3 * (len / 2) + 4 always suffices). */
pp_err_t pp_ucs2_to_utf8(const uint8_t *ucs2, size_t len, char *out, size_t cap, size_t *out_len);

#endif

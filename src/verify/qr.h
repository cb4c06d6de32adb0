/* qr.h: a QR code of a text (an otpauth:// URI) as a PNG image, for the
 * one-time QR code of a new TOTP factor (docs/internals/verify.md).
 * libqrencode makes the symbol, libpng writes it: 8-bit grey, 8 pixels a
 * module, a quiet zone of 4 modules.  Needs nothing but core. */
#ifndef PP_VERIFY_QR_H
#define PP_VERIFY_QR_H

#include <stddef.h>

#include "core/err.h"

/* The longest text accepted (bytes): a version 40 symbol at level M holds
 * 2331 bytes; an otpauth URI is far shorter. */
#define PP_QR_TEXT_MAX 2048

/* pp_qr_png encodes `text` (NUL-terminated, at most PP_QR_TEXT_MAX bytes)
 * at error correction level M in byte mode, and writes the PNG into a
 * sodium_malloc'd buffer, *png (*len bytes), which the caller frees with
 * pp_qr_free (it wipes: the image holds the text).  The symbol and the
 * rows are wiped (libpng's and zlib's own buffers are not).  Errors: PP_ERR_INVALID_PARAM (empty or
 * too long), PP_ERR_NOMEM, PP_ERR_INTERNAL (libqrencode or libpng failed). */
pp_err_t pp_qr_png(const char *text, unsigned char **png, size_t *len);

/* pp_qr_free wipes and frees a buffer of pp_qr_png; NULL is a no-op. */
void pp_qr_free(unsigned char *png);

#endif

/* qr.c: a QR code as a PNG (see qr.h). */
#include "verify/qr.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MODULE_PX 8
#define QUIET 4
#define PNG_MAX ((size_t)1 << 22) /* a version 40 symbol is far smaller */

/* The PNG under construction: a sodium_malloc'd buffer that doubles. */
typedef struct {
  unsigned char *data;
  size_t len, cap;
  int failed;
} out_t;

static void out_write(png_structp p, png_bytep bytes, png_size_t n) {
  out_t *o = png_get_io_ptr(p);
  if (o->failed) return;
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + n) cap *= 2;
    unsigned char *more = cap <= PNG_MAX ? sodium_malloc(cap) : NULL;
    if (!more) {
      o->failed = 1;
      return;
    }
    if (o->len) memcpy(more, o->data, o->len);
    sodium_free(o->data); /* wipes */
    o->data = more;
    o->cap = cap;
  }
  memcpy(o->data + o->len, bytes, n);
  o->len += n;
}

static void out_flush(png_structp p) {
  (void)p;
}

/* libpng reports errors by longjmp to the setjmp in pp_qr_png. */
static pp_err_t write_png(const QRcode *q, out_t *o, unsigned char *row) {
  png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = p ? png_create_info_struct(p) : NULL;
  if (!info) {
    png_destroy_write_struct(&p, NULL);
    return PP_ERR_NOMEM;
  }
  if (setjmp(png_jmpbuf(p))) {
    png_destroy_write_struct(&p, &info);
    return PP_ERR_INTERNAL;
  }
  size_t side = ((size_t)q->width + 2 * QUIET) * MODULE_PX;
  png_set_write_fn(p, o, out_write, out_flush);
  png_set_IHDR(p, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(p, info);
  for (size_t y = 0; y < side; y++) {
    long my = (long)(y / MODULE_PX) - QUIET;
    for (size_t x = 0; x < side; x++) {
      long mx = (long)(x / MODULE_PX) - QUIET;
      int dark =
          my >= 0 && mx >= 0 && my < q->width && mx < q->width && (q->data[my * q->width + mx] & 1);
      row[x] = dark ? 0 : 255;
    }
    png_write_row(p, row);
  }
  png_write_end(p, info);
  png_destroy_write_struct(&p, &info);
  return o->failed ? PP_ERR_NOMEM : PP_OK;
}

pp_err_t pp_qr_png(const char *text, unsigned char **png, size_t *len) {
  size_t n = text ? strlen(text) : 0;
  if (n == 0 || n > PP_QR_TEXT_MAX) return PP_ERR_INVALID_PARAM;
  QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
  if (!q) return errno == ENOMEM ? PP_ERR_NOMEM : PP_ERR_INTERNAL;
  size_t side = ((size_t)q->width + 2 * QUIET) * MODULE_PX;
  unsigned char *row = malloc(side);
  out_t o = {0};
  pp_err_t e = row ? write_png(q, &o, row) : PP_ERR_NOMEM;
  if (row) sodium_memzero(row, side); /* the image encodes the text */
  free(row);
  sodium_memzero(q->data, (size_t)q->width * (size_t)q->width);
  QRcode_free(q);
  if (e) {
    sodium_free(o.data);
    return e;
  }
  *png = o.data;
  *len = o.len;
  return PP_OK;
}

void pp_qr_free(unsigned char *png) {
  sodium_free(png);
}

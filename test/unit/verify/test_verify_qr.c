/* test_verify_qr.c: the PNG of a QR code read back with libpng: its
 * signature, size (the symbol's width plus the quiet zone, 8 pixels a
 * module), and the modules, which must be the symbol libqrencode makes of
 * the same text.  (The integration suite decodes it with an independent
 * reader, npm jsQR.) */
#include <png.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "verify/qr.h"

static void round_trip(const char *text) {
  unsigned char *png = NULL;
  size_t len = 0;
  CHECK_EQ_INT(pp_qr_png(text, &png, &len), PP_OK);
  CHECK(len > 8 && png_sig_cmp(png, 0, 8) == 0);
  QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
  CHECK(q != NULL);
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  CHECK(png_image_begin_read_from_memory(&img, png, len));
  img.format = PNG_FORMAT_GRAY;
  unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
  CHECK(px && png_image_finish_read(&img, NULL, px, 0, NULL));
  CHECK_EQ_INT(img.width, (unsigned)(q->width + 8) * 8);
  CHECK_EQ_INT(img.height, img.width);
  int bad = 0;
  for (int y = 0; y < q->width + 8; y++)
    for (int x = 0; x < q->width + 8; x++) {
      /* The centre pixel of each module. */
      int dark = px[(size_t)(y * 8 + 4) * img.width + (size_t)(x * 8 + 4)] < 128;
      int want = y >= 4 && x >= 4 && y < q->width + 4 && x < q->width + 4 &&
                 (q->data[(y - 4) * q->width + (x - 4)] & 1);
      bad += dark != want;
    }
  CHECK_EQ_INT(bad, 0);
  free(px);
  QRcode_free(q);
  pp_qr_free(png);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  round_trip(
      "otpauth://totp/Acme:phone?secret=JBSWY3DPEHPK3PXP&issuer=Acme&algorithm=SHA1"
      "&digits=6&period=30");
  round_trip("x");
  unsigned char *png = NULL;
  size_t len = 0;
  CHECK_EQ_INT(pp_qr_png("", &png, &len), PP_ERR_INVALID_PARAM);
  char *long_text = malloc(PP_QR_TEXT_MAX + 2);
  memset(long_text, 'a', PP_QR_TEXT_MAX + 1);
  long_text[PP_QR_TEXT_MAX + 1] = '\0';
  CHECK_EQ_INT(pp_qr_png(long_text, &png, &len), PP_ERR_INVALID_PARAM);
  free(long_text);
  pp_qr_free(NULL);
  return check_report("verify_qr");
}

/* gsm7.c: GSM 03.38 septets (unpacked and packed) and UCS-2 <-> UTF-8. */
#include "channel/smpp/gsm7.h"

#include <string.h>

#include "core/segments.h"

/* Septet value -> Unicode code point, 3GPP TS 23.038 6.2.1.  Slot 0x1B is
 * the escape to the extension table, never a character. */
static const uint16_t basic[128] = {
    /* 0x00 */ 0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    /* 0x08 */ 0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
    /* 0x10 */ 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    /* 0x18 */ 0x03A3, 0x0398, 0x039E, 0x0000, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
    /* 0x20 */ 0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
    /* 0x28 */ 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    /* 0x30 */ 0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
    /* 0x38 */ 0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
    /* 0x40 */ 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    /* 0x48 */ 0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
    /* 0x50 */ 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    /* 0x58 */ 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    /* 0x60 */ 0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
    /* 0x68 */ 0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
    /* 0x70 */ 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    /* 0x78 */ 0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension table, 23.038 6.2.1.1: code after 0x1B -> code point. */
static const struct {
  uint8_t code;
  uint16_t cp;
} ext[] = {
    {0x0A, 0x000C}, /* form feed */
    {0x14, 0x005E}, /* ^ */
    {0x28, 0x007B}, /* { */
    {0x29, 0x007D}, /* } */
    {0x2F, 0x005C}, /* \ */
    {0x3C, 0x005B}, /* [ */
    {0x3D, 0x007E}, /* ~ */
    {0x3E, 0x005D}, /* ] */
    {0x40, 0x007C}, /* | */
    {0x65, 0x20AC}, /* euro sign */
};
#define N_EXT (sizeof ext / sizeof ext[0])

/* Septets for code point cp: 1 (out[0]) or 2 (ESC, out[1]); 0 when none. */
static int encode_cp(unsigned cp, uint8_t *out) {
  int w = pp_segments_septets(cp);
  if (w == 1) {
    for (unsigned i = 0; i < 128; i++)
      if (i != PP_GSM7_ESC && basic[i] == cp) {
        out[0] = (uint8_t)i;
        return 1;
      }
  } else if (w == 2) {
    for (size_t i = 0; i < N_EXT; i++)
      if (ext[i].cp == cp) {
        out[0] = PP_GSM7_ESC;
        out[1] = ext[i].code;
        return 2;
      }
  }
  return 0;
}

bool pp_gsm7_representable(const char *utf8, size_t len) {
  /* Invalid UTF-8 comes back as U+FFFD, which is not GSM-7 either. */
  for (size_t i = 0; i < len;)
    if (pp_segments_septets(pp_utf8_next(utf8, len, &i)) == 0) return false;
  return true;
}

/* Encodes each code point of utf8 with `enc` (which writes up to 4 octets
 * and returns how many, 0 when the code point has none) into out[0..cap):
 * PP_ERR_INVALID_PARAM for a code point without octets, PP_ERR_TOO_BIG when
 * one does not fit whole. */
static pp_err_t from_utf8(const char *utf8, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                          int (*enc)(unsigned cp, uint8_t *b)) {
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    uint8_t b[4];
    int w = enc(pp_utf8_next(utf8, len, &i), b);
    if (w == 0) return PP_ERR_INVALID_PARAM;
    if (cap - o < (size_t)w) return PP_ERR_TOO_BIG;
    memcpy(out + o, b, (size_t)w);
    o += (size_t)w;
  }
  *out_len = o;
  return PP_OK;
}

pp_err_t pp_gsm7_from_utf8(const char *utf8, size_t len, uint8_t *out, size_t cap,
                           size_t *out_len) {
  return from_utf8(utf8, len, out, cap, out_len, encode_cp);
}

/* Appends cp as UTF-8; false when it does not fit with room for a NUL. */
static bool put_utf8(char *out, size_t cap, size_t *o, unsigned cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (uint8_t)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (uint8_t)(0xC0 | cp >> 6);
    b[1] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (uint8_t)(0xE0 | cp >> 12);
    b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (uint8_t)(0xF0 | cp >> 18);
    b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (cap < 1 || cap - 1 - *o < n) return false;
  for (size_t k = 0; k < n; k++) out[(*o)++] = (char)b[k];
  return true;
}

pp_err_t pp_gsm7_to_utf8(const uint8_t *septets, size_t n, char *out, size_t cap, size_t *out_len) {
  size_t o = 0;
  if (cap == 0) return PP_ERR_TOO_BIG;
  for (size_t i = 0; i < n; i++) {
    unsigned s = septets[i] & 0x7F, cp;
    if (s != PP_GSM7_ESC) {
      cp = basic[s];
    } else if (i + 1 == n) {
      cp = ' ';
    } else {
      unsigned c = septets[++i] & 0x7F;
      cp = c == PP_GSM7_ESC ? ' ' : basic[c];
      for (size_t k = 0; k < N_EXT; k++)
        if (ext[k].code == c) cp = ext[k].cp;
    }
    if (!put_utf8(out, cap, &o, cp)) return PP_ERR_TOO_BIG;
  }
  out[o] = '\0';
  *out_len = o;
  return PP_OK;
}

unsigned pp_gsm7_fill_bits(size_t udh_octets) {
  return (unsigned)((7 - (udh_octets * 8) % 7) % 7);
}

pp_err_t pp_gsm7_pack(const uint8_t *septets, size_t n, unsigned fill, uint8_t *out, size_t cap,
                      size_t *out_len) {
  if (fill > 6) return PP_ERR_INVALID_PARAM;
  for (size_t i = 0; i < n; i++)
    if (septets[i] & 0x80) return PP_ERR_INVALID_PARAM;
  size_t bits = fill + 7 * n, len = (bits + 7) / 8;
  if (len > cap) return PP_ERR_TOO_BIG;
  for (size_t k = 0; k < len; k++) out[k] = 0;
  size_t bit = fill;
  for (size_t i = 0; i < n; i++, bit += 7) {
    unsigned v = (unsigned)septets[i] << (bit % 8);
    out[bit / 8] |= (uint8_t)v;
    if ((bit % 8) > 1) out[bit / 8 + 1] |= (uint8_t)(v >> 8);
  }
  if (len * 8 - bits == 7) out[len - 1] |= (uint8_t)(0x0D << 1); /* CR padding */
  *out_len = len;
  return PP_OK;
}

pp_err_t pp_gsm7_unpack(const uint8_t *packed, size_t len, unsigned fill, size_t n, uint8_t *out,
                        size_t cap, size_t *out_n) {
  if (fill > 6) return PP_ERR_INVALID_PARAM;
  size_t avail = len * 8 < fill ? 0 : (len * 8 - fill) / 7;
  bool all = n == PP_GSM7_ALL;
  if (all)
    n = avail;
  else if (n > avail)
    return PP_ERR_BAD_REQUEST;
  if (n > cap) return PP_ERR_TOO_BIG;
  size_t bit = fill;
  for (size_t i = 0; i < n; i++, bit += 7) {
    unsigned v = packed[bit / 8] >> (bit % 8);
    if ((bit % 8) > 1) v |= (unsigned)packed[bit / 8 + 1] << (8 - bit % 8);
    out[i] = (uint8_t)(v & 0x7F);
  }
  /* A CR in exactly the 7 spare bits of the last octet is padding. */
  if (all && n > 0 && fill + 7 * n == 8 * len && out[n - 1] == 0x0D) n--;
  *out_n = n;
  return PP_OK;
}

/* UTF-16BE octets for cp: 2, or 4 for a surrogate pair. */
static int ucs2_cp(unsigned cp, uint8_t *b) {
  if (cp < 0x10000) {
    b[0] = (uint8_t)(cp >> 8);
    b[1] = (uint8_t)cp;
    return 2;
  }
  unsigned hi = 0xD800 | ((cp - 0x10000) >> 10), lo = 0xDC00 | ((cp - 0x10000) & 0x3FF);
  b[0] = (uint8_t)(hi >> 8);
  b[1] = (uint8_t)hi;
  b[2] = (uint8_t)(lo >> 8);
  b[3] = (uint8_t)lo;
  return 4;
}

pp_err_t pp_ucs2_from_utf8(const char *utf8, size_t len, uint8_t *out, size_t cap,
                           size_t *out_len) {
  return from_utf8(utf8, len, out, cap, out_len, ucs2_cp);
}

pp_err_t pp_ucs2_to_utf8(const uint8_t *ucs2, size_t len, char *out, size_t cap, size_t *out_len) {
  size_t o = 0;
  if (cap == 0) return PP_ERR_TOO_BIG;
  size_t i = 0;
  for (; i + 1 < len; i += 2) {
    unsigned u = (unsigned)ucs2[i] << 8 | ucs2[i + 1], cp = u;
    if (u >= 0xD800 && u <= 0xDBFF) {
      unsigned lo = i + 3 < len ? ((unsigned)ucs2[i + 2] << 8 | ucs2[i + 3]) : 0;
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      } else {
        cp = 0xFFFD;
      }
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      cp = 0xFFFD;
    }
    if (!put_utf8(out, cap, &o, cp)) return PP_ERR_TOO_BIG;
  }
  if (i < len && !put_utf8(out, cap, &o, 0xFFFD)) return PP_ERR_TOO_BIG;
  out[o] = '\0';
  *out_len = o;
  return PP_OK;
}

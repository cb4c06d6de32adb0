/* segments.c: GSM 03.38 / UCS-2 segment counting. */
#include "core/segments.h"

/* GSM 03.38 basic table as Unicode code points, in table order. */
static const unsigned short gsm_basic[128] = {
    '@',    0x00A3, '$',    0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, '\n',   0x00D8,
    0x00F8, '\r',   0x00C5, 0x00E5, 0x0394, '_',    0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, ' ',    '!',    '"',    '#',
    0x00A4, '%',    '&',    '\'',   '(',    ')',    '*',    '+',    ',',    '-',    '.',    '/',
    '0',    '1',    '2',    '3',    '4',    '5',    '6',    '7',    '8',    '9',    ':',    ';',
    '<',    '=',    '>',    '?',    0x00A1, 'A',    'B',    'C',    'D',    'E',    'F',    'G',
    'H',    'I',    'J',    'K',    'L',    'M',    'N',    'O',    'P',    'Q',    'R',    'S',
    'T',    'U',    'V',    'W',    'X',    'Y',    'Z',    0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 'a',    'b',    'c',    'd',    'e',    'f',    'g',    'h',    'i',    'j',    'k',
    'l',    'm',    'n',    'o',    'p',    'q',    'r',    's',    't',    'u',    'v',    'w',
    'x',    'y',    'z',    0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0};

/* The extension table (after the 0x1B escape). */
static const unsigned short gsm_ext[] = {0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC};

int pp_segments_septets(unsigned cp) {
  /* 0x00A0 in slot 27 is the escape, not a character. */
  for (int i = 0; i < 128; i++)
    if (i != 27 && gsm_basic[i] == cp) return 1;
  for (size_t i = 0; i < sizeof gsm_ext / sizeof gsm_ext[0]; i++)
    if (gsm_ext[i] == cp) return 2;
  return 0;
}

unsigned pp_utf8_next(const char *s, size_t len, size_t *i) {
  const unsigned char *p = (const unsigned char *)s + *i;
  size_t left = len - *i;
  unsigned c = p[0];
  if (c < 0x80) {
    *i += 1;
    return c;
  }
  size_t n = 0;
  unsigned cp = 0, min = 0;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, cp = c & 0x07, min = 0x10000;
  if (n == 0 || n > left) goto bad;
  for (size_t k = 1; k < n; k++) {
    if ((p[k] & 0xC0) != 0x80) goto bad;
    cp = (cp << 6) | (p[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
  *i += n;
  return cp;
bad:
  *i += 1;
  return 0xFFFD;
}

void pp_segments_count(const char *s, size_t len, pp_segments_t *out) {
  out->gsm7 = true;
  out->chars = 0;
  size_t septets = 0, utf16 = 0;
  for (size_t i = 0; i < len;) {
    unsigned cp = pp_utf8_next(s, len, &i);
    out->chars++;
    int w = pp_segments_septets(cp);
    if (w == 0) out->gsm7 = false;
    septets += (size_t)w;
    utf16 += cp >= 0x10000 ? 2 : 1;
  }
  out->units = out->gsm7 ? septets : utf16;
  if (out->units == 0) {
    out->segments = 0;
    return;
  }
  size_t single = out->gsm7 ? 160 : 70, part = out->gsm7 ? 153 : 67;
  if (out->units <= single) {
    out->segments = 1;
    return;
  }
  /* Walk again, filling parts without splitting a two-unit character. */
  size_t parts = 1, used = 0;
  for (size_t i = 0; i < len;) {
    unsigned cp = pp_utf8_next(s, len, &i);
    size_t w = out->gsm7 ? (size_t)pp_segments_septets(cp) : (cp >= 0x10000 ? 2u : 1u);
    if (used + w > part) {
      parts++;
      used = 0;
    }
    used += w;
  }
  out->segments = parts;
}

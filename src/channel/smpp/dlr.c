/* dlr.c: delivery receipt text and message_state. */
#include "channel/smpp/dlr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- States ------------------------------------------------------------ */

static const struct {
  const char *word;
  pp_smpp_dlr_state_t state;
} stats[] = {
    {"DELIVRD", PP_SMPP_DLR_DELIVERED},
    {"EXPIRED", PP_SMPP_DLR_EXPIRED},
    {"DELETED", PP_SMPP_DLR_DELETED},
    {"UNDELIV", PP_SMPP_DLR_UNDELIVERABLE},
    {"ACCEPTD", PP_SMPP_DLR_ACCEPTED},
    {"UNKNOWN", PP_SMPP_DLR_UNKNOWN},
    {"REJECTD", PP_SMPP_DLR_REJECTED},
    {"ENROUTE", PP_SMPP_DLR_ENROUTE},
    /* Words some SMSCs send instead. */
    {"DELIVERED", PP_SMPP_DLR_DELIVERED},
    {"UNDELIVERABLE", PP_SMPP_DLR_UNDELIVERABLE},
    {"UNDELIVERED", PP_SMPP_DLR_UNDELIVERABLE},
    {"FAILED", PP_SMPP_DLR_UNDELIVERABLE},
    {"ACCEPTED", PP_SMPP_DLR_ACCEPTED},
    {"REJECTED", PP_SMPP_DLR_REJECTED},
};

pp_smpp_dlr_state_t pp_smpp_dlr_state_from_stat(const char *stat, size_t len) {
  if (len == 0) return PP_SMPP_DLR_NONE;
  for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
    if (strlen(stats[i].word) == len && strncasecmp(stats[i].word, stat, len) == 0)
      return stats[i].state;
  return PP_SMPP_DLR_UNKNOWN;
}

pp_smpp_dlr_state_t pp_smpp_dlr_state_from_message_state(uint8_t v) {
  if (v == 0) return PP_SMPP_DLR_ENROUTE;
  if (v <= 8) return (pp_smpp_dlr_state_t)v;
  if (v == 9) return PP_SMPP_DLR_UNDELIVERABLE;
  return PP_SMPP_DLR_UNKNOWN;
}

uint8_t pp_smpp_dlr_state_message_state(pp_smpp_dlr_state_t s) {
  if (s >= PP_SMPP_DLR_ENROUTE && s <= PP_SMPP_DLR_REJECTED) return (uint8_t)s;
  return 7;
}

const char *pp_smpp_dlr_state_stat(pp_smpp_dlr_state_t s) {
  for (size_t i = 0; i < 8; i++)
    if (stats[i].state == s) return stats[i].word;
  return "";
}

bool pp_smpp_dlr_state_final(pp_smpp_dlr_state_t s) {
  return s != PP_SMPP_DLR_NONE && s != PP_SMPP_DLR_ENROUTE;
}

/* ---- Parse ------------------------------------------------------------- */

typedef enum { K_ID, K_SUB, K_DLVRD, K_SUBMIT, K_DONE, K_STAT, K_ERR, K_TEXT } field_t;

/* Keys as they appear before the ':'; longer spellings first. */
static const struct {
  const char *name;
  field_t key;
} keys[] = {
    {"submit date", K_SUBMIT},
    {"submit_date", K_SUBMIT},
    {"done date", K_DONE},
    {"done_date", K_DONE},
    {"dlvrd", K_DLVRD},
    {"stat", K_STAT},
    {"text", K_TEXT},
    {"sub", K_SUB},
    {"err", K_ERR},
    {"id", K_ID},
};

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned mp = m > 2 ? m - 3 : m + 9; /* March = 0 */
  unsigned doy = (153 * mp + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static unsigned two(const char *s) {
  return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

/* YYMMDDhhmm or YYMMDDhhmmss -> seconds since 1970 (UTC); false if invalid. */
static bool parse_date(const char *v, size_t n, char raw[13], int64_t *t) {
  if (n != 10 && n != 12) return false;
  for (size_t i = 0; i < n; i++)
    if (v[i] < '0' || v[i] > '9') return false;
  unsigned yy = two(v), mo = two(v + 2), dd = two(v + 4), hh = two(v + 6), mi = two(v + 8);
  unsigned ss = n == 12 ? two(v + 10) : 0;
  static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int year = 2000 + (int)yy;
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  if (mo < 1 || mo > 12 || dd < 1 || dd > mdays[mo - 1] || (mo == 2 && dd == 29 && !leap) ||
      hh > 23 || mi > 59 || ss > 59)
    return false;
  memcpy(raw, v, n);
  raw[n] = '\0';
  *t = days_from_civil(year, mo, dd) * 86400 + hh * 3600 + mi * 60 + ss;
  return true;
}

static bool parse_count(const char *v, size_t n, unsigned *out) {
  if (n == 0 || n > 9) return false;
  unsigned x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    x = x * 10 + (unsigned)(v[i] - '0');
  }
  *out = x;
  return true;
}

static void copy_cut(char *dst, size_t size, const char *v, size_t n) {
  if (n > size - 1) n = size - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

pp_err_t pp_smpp_dlr_parse(const char *s, size_t len, pp_smpp_dlr_t *out) {
  pp_smpp_dlr_t d;
  memset(&d, 0, sizeof d);
  size_t i = 0;
  while (i < len) {
    while (i < len && is_space(s[i])) i++;
    if (i == len) break;
    /* A known key followed by ':'? */
    int k = -1;
    size_t vpos = 0;
    for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++) {
      size_t kl = strlen(keys[j].name);
      if (len - i > kl && s[i + kl] == ':' && strncasecmp(s + i, keys[j].name, kl) == 0) {
        k = (int)keys[j].key;
        vpos = i + kl + 1;
        break;
      }
    }
    if (k < 0) { /* not a field: skip the word */
      while (i < len && !is_space(s[i])) i++;
      continue;
    }
    if (k == K_TEXT) {
      d.fields |= PP_SMPP_DLR_F_TEXT;
      d.text = s + vpos;
      d.text_len = len - vpos;
      break;
    }
    /* "key: value" with a space: take the next word unless it is a field. */
    size_t v = vpos;
    if (v < len && is_space(s[v])) {
      size_t w = v;
      while (w < len && (s[w] == ' ' || s[w] == '\t')) w++;
      size_t e = w;
      while (e < len && !is_space(s[e]) && s[e] != ':') e++;
      if (e > w && (e == len || s[e] != ':')) v = w;
    }
    size_t end = v;
    while (end < len && !is_space(s[end])) end++;
    const char *val = s + v;
    size_t n = end - v;
    i = end;
    switch ((field_t)k) {
      case K_ID:
        if (n > PP_SMPP_DLR_ID_MAX) return PP_ERR_BAD_REQUEST;
        if (n == 0) break;
        copy_cut(d.id, sizeof d.id, val, n);
        d.fields |= PP_SMPP_DLR_F_ID;
        break;
      case K_SUB:
        if (parse_count(val, n, &d.sub)) d.fields |= PP_SMPP_DLR_F_SUB;
        break;
      case K_DLVRD:
        if (parse_count(val, n, &d.dlvrd)) d.fields |= PP_SMPP_DLR_F_DLVRD;
        break;
      case K_SUBMIT:
        if (parse_date(val, n, d.submit_date, &d.submit_time))
          d.fields |= PP_SMPP_DLR_F_SUBMIT_DATE;
        break;
      case K_DONE:
        if (parse_date(val, n, d.done_date, &d.done_time)) d.fields |= PP_SMPP_DLR_F_DONE_DATE;
        break;
      case K_STAT:
        copy_cut(d.stat, sizeof d.stat, val, n);
        d.state = pp_smpp_dlr_state_from_stat(val, n);
        d.fields |= PP_SMPP_DLR_F_STAT;
        break;
      case K_ERR:
        copy_cut(d.err, sizeof d.err, val, n);
        d.fields |= PP_SMPP_DLR_F_ERR;
        break;
      case K_TEXT:
        break;
    }
  }
  if (d.fields == 0) return PP_ERR_BAD_REQUEST;
  *out = d;
  return PP_OK;
}

/* ---- Format ------------------------------------------------------------ */

typedef struct {
  char *out;
  size_t cap, len;
  bool ok;
} put_t;

static void put(put_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends one field, space-separated from the one before. */
static void put(put_t *p, const char *fmt, ...) {
  if (!p->ok) return;
  if (p->len > 0) {
    if (p->cap - p->len < 2) {
      p->ok = false;
      return;
    }
    p->out[p->len++] = ' ';
  }
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(p->out + p->len, p->cap - p->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= p->cap - p->len)
    p->ok = false;
  else
    p->len += (size_t)n;
}

pp_err_t pp_smpp_dlr_format(const pp_smpp_dlr_t *d, char *out, size_t cap) {
  put_t p = {.out = out, .cap = cap, .len = 0, .ok = cap > 0};
  if (d->fields & PP_SMPP_DLR_F_ID) put(&p, "id:%s", d->id);
  if (d->fields & PP_SMPP_DLR_F_SUB) put(&p, "sub:%03u", d->sub);
  if (d->fields & PP_SMPP_DLR_F_DLVRD) put(&p, "dlvrd:%03u", d->dlvrd);
  if (d->fields & PP_SMPP_DLR_F_SUBMIT_DATE) put(&p, "submit date:%s", d->submit_date);
  if (d->fields & PP_SMPP_DLR_F_DONE_DATE) put(&p, "done date:%s", d->done_date);
  if (d->fields & PP_SMPP_DLR_F_STAT)
    put(&p, "stat:%s", d->stat[0] ? d->stat : pp_smpp_dlr_state_stat(d->state));
  if (d->fields & PP_SMPP_DLR_F_ERR) put(&p, "err:%s", d->err);
  if (d->fields & PP_SMPP_DLR_F_TEXT) {
    size_t n = d->text ? d->text_len : 0;
    if (n > 20) {
      n = 20; /* back off to a character boundary */
      while (n > 0 && ((unsigned char)d->text[n] & 0xC0) == 0x80) n--;
    }
    put(&p, "text:%.*s", (int)n, n ? d->text : "");
  }
  if (!p.ok) {
    if (cap) out[0] = '\0';
    return PP_ERR_TOO_BIG;
  }
  if (p.len == 0) out[0] = '\0';
  return PP_OK;
}

/* clock.c: clock and date formats (no locale, no timezone database). */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t offset;

void pp_clock_set_offset(int64_t seconds) {
  atomic_store(&offset, seconds);
}

int64_t pp_clock_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec + atomic_load(&offset);
}

int64_t pp_clock_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ((int64_t)ts.tv_sec + atomic_load(&offset)) * 1000000 + ts.tv_nsec / 1000;
}

static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void pp_rfc2822(int64_t t, char out[PP_RFC2822_SIZE]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  snprintf(out, PP_RFC2822_SIZE, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void pp_iso8601(int64_t t, char out[PP_ISO8601_SIZE]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  snprintf(out, PP_ISO8601_SIZE, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Howard Hinnant's days_from_civil algorithm. */
int64_t pp_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static int month_days(int64_t y, unsigned m) {
  static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return md[m - 1];
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return true;
}

/* Instants of years 1 to 9999 only: what pp_rfc2822 writes and both parsers
 * read back. */
static bool in_range(int64_t t) {
  return t >= pp_days_from_civil(1, 1, 1) * 86400 &&
         t <= pp_days_from_civil(9999, 12, 31) * 86400 + 86399;
}

static bool civil(int y, int mo, int d, int h, int mi, int s, int64_t *out) {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, (unsigned)mo) ||
      h > 23 || mi > 59 || s > 60)
    return false;
  *out = pp_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
  return true;
}

/* The end of a parse: nothing may follow at `p`; the instant of the
 * fields, less `zone` seconds, into *out when it is valid and in range. */
static bool finish(const char *p, int y, int mo, int d, int h, int mi, int sec, int zone,
                   int64_t *out) {
  int64_t t;
  if (*p != '\0' || !civil(y, mo, d, h, mi, sec, &t) || !in_range(t - zone)) return false;
  *out = t - zone;
  return true;
}

bool pp_parse_iso8601(const char *s, int64_t *out) {
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, sec = 0, zone = 0;
  if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
    return false;
  if (*p == '\0') return civil(y, mo, d, 0, 0, 0, out);
  if (*p != 'T' && *p != 't' && *p != ' ') return false;
  p++;
  if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) return false;
  if (*p == ':') {
    p++;
    if (!digits(&p, 2, &sec)) return false;
    if (*p == '.') {
      p++;
      if (*p < '0' || *p > '9') return false;
      while (*p >= '0' && *p <= '9') p++;
    }
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, zh, zm;
    if (!digits(&p, 2, &zh)) return false;
    if (*p == ':') p++;
    if (!digits(&p, 2, &zm) || zh > 23 || zm > 59) return false;
    zone = sign * (zh * 3600 + zm * 60);
  } else {
    return false;
  }
  return finish(p, y, mo, d, h, mi, sec, zone, out);
}

bool pp_parse_rfc2822(const char *s, int64_t *out) {
  const char *p = s;
  if (strlen(p) > 4 && p[3] == ',') {
    p += 4;
    while (*p == ' ') p++;
  }
  int d, y, h, mi, sec = 0, mo = 0;
  const char *q = p;
  if (!digits(&q, 2, &d)) {
    q = p;
    if (!digits(&q, 1, &d)) return false;
  }
  p = q;
  if (*p++ != ' ') return false;
  for (int i = 0; i < 12; i++)
    if (strncmp(p, months[i], 3) == 0) mo = i + 1;
  if (!mo) return false;
  p += 3;
  if (*p++ != ' ' || !digits(&p, 4, &y) || *p++ != ' ' || !digits(&p, 2, &h) || *p++ != ':' ||
      !digits(&p, 2, &mi))
    return false;
  if (*p == ':') {
    p++;
    if (!digits(&p, 2, &sec)) return false;
  }
  if (*p++ != ' ') return false;
  int zone = 0;
  if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, zh, zm;
    if (!digits(&p, 2, &zh) || !digits(&p, 2, &zm)) return false;
    zone = sign * (zh * 3600 + zm * 60);
  } else if (strcmp(p, "GMT") == 0 || strcmp(p, "UT") == 0) {
    p += strlen(p);
  } else {
    return false;
  }
  return finish(p, y, mo, d, h, mi, sec, zone, out);
}

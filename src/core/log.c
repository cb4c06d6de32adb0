/* log.c: stderr logger. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static pp_log_level_t min_level = PP_LOG_INFO;
static const char *names[] = {"debug", "info", "warn", "error"};

void pp_log_set_level(pp_log_level_t level) {
  min_level = level;
}

void pp_log(pp_log_level_t level, const char *module, const char *fmt, ...) {
  if (level < min_level) return;
  char line[1024];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n =
      snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
               names[level], module);
  if (n < 0) return;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  fwrite(line, 1, len, stderr);
}

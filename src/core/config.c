/* config.c: settings. */
#include "core/config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

void pp_config_defaults(pp_config_t *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
  c->listen_port = 8080;
  snprintf(c->data_dir, sizeof c->data_dir, "./pipit-data");
  c->http_threads = 2;
  c->body_cap = 1 << 20;
  c->http_max_per_address = 256;
  c->http_header_timeout_ms = 10000;
  c->log_level = PP_LOG_INFO;
  c->enquire_link_ms = 30000;
  c->early_receipt_ttl_s = 3600;
  c->early_receipts_max = 10000;
  c->webhook_timeout_ms = 15000;
  c->webhook_backoff_ms = 1000;
  c->webhook_retry_s = 86400;
  c->audit_checkpoint_s = 60;
  snprintf(c->audit_origin, sizeof c->audit_origin, "pipit/audit");
  c->fraud_bucket_s = 3600;
  c->fraud_floor = 20;
  c->fraud_multiple = 5;
  c->fraud_block_s = 43200;
  c->auth_guard_window_s = 60;
  c->staff_session_s = 3600;
}

static int copy(char *dst, size_t size, const char *v) {
  size_t n = strlen(v);
  if (n >= size) return -1;
  memcpy(dst, v, n + 1);
  return 0;
}

static int parse_long(const char *v, long lo, long hi, long *out) {
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < lo || n > hi) return -1;
  *out = n;
  return 0;
}

/* The whole-number settings kept in an int: name, range, field. */
static const struct {
  const char *name;
  long lo, hi;
  size_t off;
} int_settings[] = {
    {"http-threads", 1, 64, offsetof(pp_config_t, http_threads)},
    {"http-max-per-address", 1, 1L << 24, offsetof(pp_config_t, http_max_per_address)},
    {"http-header-timeout-ms", 10, 600000, offsetof(pp_config_t, http_header_timeout_ms)},
    {"enquire-link-ms", 100, 3600000, offsetof(pp_config_t, enquire_link_ms)},
    {"early-receipt-ttl-s", 1, 7 * 86400, offsetof(pp_config_t, early_receipt_ttl_s)},
    {"early-receipts-max", 1, 10000000, offsetof(pp_config_t, early_receipts_max)},
    {"webhook-timeout-ms", 100, 600000, offsetof(pp_config_t, webhook_timeout_ms)},
    {"webhook-backoff-ms", 10, 3600000, offsetof(pp_config_t, webhook_backoff_ms)},
    {"webhook-retry-s", 1, 30 * 86400, offsetof(pp_config_t, webhook_retry_s)},
    {"audit-checkpoint-s", 0, 86400, offsetof(pp_config_t, audit_checkpoint_s)},
    {"fraud-guard-bucket-s", 60, 86400, offsetof(pp_config_t, fraud_bucket_s)},
    {"fraud-guard-floor", 1, 1000000, offsetof(pp_config_t, fraud_floor)},
    {"fraud-guard-multiple", 2, 1000, offsetof(pp_config_t, fraud_multiple)},
    {"fraud-guard-block-s", 0, 30 * 86400, offsetof(pp_config_t, fraud_block_s)},
    {"allow-core-dumps", 0, 1, offsetof(pp_config_t, allow_core_dumps)},
    {"auth-guard-window-s", 1, 86400, offsetof(pp_config_t, auth_guard_window_s)},
    {"staff-session-s", 1, 86400, offsetof(pp_config_t, staff_session_s)},
};

pp_err_t pp_config_set(pp_config_t *c, const char *name, const char *v, char *why) {
  long n;
  int bad = 0;
  size_t at = 0, nints = sizeof int_settings / sizeof int_settings[0];
  while (at < nints && strcmp(name, int_settings[at].name) != 0) at++;
  if (at < nints) {
    bad = parse_long(v, int_settings[at].lo, int_settings[at].hi, &n);
    if (!bad) *(int *)(void *)((char *)c + int_settings[at].off) = (int)n;
  } else if (strcmp(name, "listen") == 0) {
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof c->listen_host ||
        parse_long(colon + 1, 0, 65535, &n)) {
      bad = 1;
    } else {
      memcpy(c->listen_host, v, (size_t)(colon - v));
      c->listen_host[colon - v] = '\0';
      c->listen_port = (int)n;
    }
  } else if (strcmp(name, "public-url") == 0) {
    bad = copy(c->public_url, sizeof c->public_url, v) ||
          (strncmp(v, "http://", 7) && strncmp(v, "https://", 8));
    size_t l = strlen(c->public_url);
    while (!bad && l > 0 && c->public_url[l - 1] == '/') c->public_url[--l] = '\0';
  } else if (strcmp(name, "data") == 0) {
    bad = copy(c->data_dir, sizeof c->data_dir, v) || !*v;
  } else if (strcmp(name, "store") == 0) {
    bad = copy(c->store_url, sizeof c->store_url, v);
  } else if (strcmp(name, "body-cap") == 0) {
    bad = parse_long(v, 1024, 64L << 20, &n);
    if (!bad) c->body_cap = n;
  } else if (strcmp(name, "http-max-connections") == 0) {
    bad = parse_long(v, 0, 1L << 24, &n);
    if (!bad) c->http_max_connections = n;
  } else if (strcmp(name, "webhook-allow") == 0) {
    bad = copy(c->webhook_allow, sizeof c->webhook_allow, v); /* checked when used */
  } else if (strcmp(name, "audit-origin") == 0) {
    /* A checkpoint key name: printable ASCII, no space, no '+'. */
    bad = copy(c->audit_origin, sizeof c->audit_origin, v) || !*v;
    for (const char *p = v; !bad && *p; p++) bad = *p <= ' ' || *p > '~' || *p == '+';
  } else if (strcmp(name, "audit-key-file") == 0) {
    bad = copy(c->audit_key_file, sizeof c->audit_key_file, v);
  } else if (strcmp(name, "log-level") == 0) {
    static const char *lv[] = {"debug", "info", "warn", "error"};
    bad = 1;
    for (int i = 0; i < 4; i++)
      if (strcmp(v, lv[i]) == 0) c->log_level = i, bad = 0;
  } else {
    if (why) snprintf(why, 128, "unknown setting '%.60s'", name);
    return PP_ERR_INVALID_PARAM;
  }
  if (bad) {
    if (why) snprintf(why, 128, "bad value for '%.60s'", name);
    return PP_ERR_INVALID_PARAM;
  }
  return PP_OK;
}

pp_err_t pp_config_load_file(pp_config_t *c, const char *path, char *why) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (why) snprintf(why, 128, "cannot read %.100s", path);
    return PP_ERR_IO;
  }
  char line[1024];
  pp_err_t e = PP_OK;
  while (!e && fgets(line, sizeof line, f)) {
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '#' || *p == '\0') continue;
    char *eq = strchr(p, '=');
    if (!eq) {
      if (why) snprintf(why, 128, "line without '=' in %.80s", path);
      e = PP_ERR_INVALID_PARAM;
      break;
    }
    char *k_end = eq;
    while (k_end > p && isspace((unsigned char)k_end[-1])) k_end--;
    *k_end = '\0';
    char *v = eq + 1;
    while (isspace((unsigned char)*v)) v++;
    size_t l = strlen(v);
    while (l > 0 && isspace((unsigned char)v[l - 1])) v[--l] = '\0';
    e = pp_config_set(c, p, v, why);
  }
  fclose(f);
  return e;
}

pp_err_t pp_config_load_env(pp_config_t *c, char *why) {
  static const char *map[][2] = {{"PIPIT_LISTEN", "listen"},
                                 {"PIPIT_PUBLIC_URL", "public-url"},
                                 {"PIPIT_DATA", "data"},
                                 {"PIPIT_STORE", "store"},
                                 {"PIPIT_HTTP_THREADS", "http-threads"},
                                 {"PIPIT_BODY_CAP", "body-cap"},
                                 {"PIPIT_HTTP_MAX_CONNECTIONS", "http-max-connections"},
                                 {"PIPIT_HTTP_MAX_PER_ADDRESS", "http-max-per-address"},
                                 {"PIPIT_HTTP_HEADER_TIMEOUT_MS", "http-header-timeout-ms"},
                                 {"PIPIT_LOG_LEVEL", "log-level"},
                                 {"PIPIT_ENQUIRE_LINK_MS", "enquire-link-ms"},
                                 {"PIPIT_EARLY_RECEIPT_TTL_S", "early-receipt-ttl-s"},
                                 {"PIPIT_EARLY_RECEIPTS_MAX", "early-receipts-max"},
                                 {"PIPIT_WEBHOOK_ALLOW", "webhook-allow"},
                                 {"PIPIT_WEBHOOK_TIMEOUT_MS", "webhook-timeout-ms"},
                                 {"PIPIT_WEBHOOK_BACKOFF_MS", "webhook-backoff-ms"},
                                 {"PIPIT_WEBHOOK_RETRY_S", "webhook-retry-s"},
                                 {"PIPIT_AUDIT_CHECKPOINT_S", "audit-checkpoint-s"},
                                 {"PIPIT_AUDIT_ORIGIN", "audit-origin"},
                                 {"PIPIT_AUDIT_KEY_FILE", "audit-key-file"},
                                 {"PIPIT_FRAUD_GUARD_BUCKET_S", "fraud-guard-bucket-s"},
                                 {"PIPIT_FRAUD_GUARD_FLOOR", "fraud-guard-floor"},
                                 {"PIPIT_FRAUD_GUARD_MULTIPLE", "fraud-guard-multiple"},
                                 {"PIPIT_FRAUD_GUARD_BLOCK_S", "fraud-guard-block-s"},
                                 {"PIPIT_ALLOW_CORE_DUMPS", "allow-core-dumps"},
                                 {"PIPIT_AUTH_GUARD_WINDOW_S", "auth-guard-window-s"}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    const char *v = getenv(map[i][0]);
    if (v && *v) {
      pp_err_t e = pp_config_set(c, map[i][1], v, why);
      if (e) return e;
    }
  }
  return PP_OK;
}

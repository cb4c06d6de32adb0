/* config.h: serve settings from defaults, a config file, PIPIT_* environment
 * variables and command-line flags, in rising precedence. */
#ifndef PP_CORE_CONFIG_H
#define PP_CORE_CONFIG_H

#include "core/err.h"

typedef struct {
  char listen_host[64];
  int listen_port;
  char public_url[256]; /* no trailing slash */
  char data_dir[512];
  char store_url[512];        /* empty: sqlite in data_dir */
  int http_threads;           /* HTTP worker threads */
  long body_cap;              /* request body cap in bytes */
  long http_max_connections;  /* open HTTP connections at most (0: from ulimit -n) */
  int http_max_per_address;   /* open HTTP connections from one address: 256 */
  int http_header_timeout_ms; /* a request head must arrive within this: 10000 */
  int log_level;              /* pp_log_level_t */
  int enquire_link_ms;        /* SMPP keep-alive interval for carrier binds */
  int early_receipt_ttl_s;    /* receipts ahead of their submit wait this long: 3600 */
  int early_receipts_max;     /* and at most this many of them are kept: 10000 */
  char webhook_allow[512];    /* CIDRs webhooks may reach although private ("" none) */
  int webhook_timeout_ms;     /* per webhook request: 15000 */
  int webhook_backoff_ms;     /* first retry after about this: 1000 */
  int webhook_retry_s;        /* keep retrying this long after the change: 86400 */
  int audit_checkpoint_s; /* sign an audit checkpoint this often when the log grew: 60 (0: never) */
  char audit_origin[256]; /* the audit log's name in its checkpoints: "pipit/audit" */
  char audit_key_file[512]; /* 64 hex: the checkpoint key's seed ("": from the master key) */
  /* Verify's fraud guard (docs/internals/verify.md). */
  int fraud_bucket_s;      /* sends are counted per prefix in buckets this long: 3600 */
  int fraud_floor;         /* a bucket may always hold this many sends to a prefix: 20 */
  int fraud_multiple;      /* ... or this many times the prefix's learned baseline: 5 */
  int fraud_block_s;       /* a prefix found far above its baseline is blocked this long: 43200 */
  int allow_core_dumps;    /* 1: serve may dump core (debugging; a core holds secrets): 0 */
  int auth_guard_window_s; /* the sign-in guard's window (docs/internals/api.md): 60 */
  int staff_session_s;     /* a staff session lasts this long: 3600 */
} pp_config_t;

/* pp_config_defaults fills the embedded defaults (127.0.0.1:8080,
 * ./pipit-data). */
void pp_config_defaults(pp_config_t *c);

/* pp_config_set applies one setting by name ("listen", "public-url", "data",
 * "store", "http-threads", "body-cap", "http-max-connections",
 * "http-max-per-address", "http-header-timeout-ms", "log-level", "enquire-link-ms",
 * "early-receipt-ttl-s", "early-receipts-max",
 * "webhook-allow", "webhook-timeout-ms", "webhook-backoff-ms",
 * "webhook-retry-s", "audit-checkpoint-s", "audit-origin",
 * "audit-key-file", "fraud-guard-bucket-s", "fraud-guard-floor",
 * "fraud-guard-multiple", "fraud-guard-block-s", "allow-core-dumps" (0 or 1),
 * "auth-guard-window-s", "staff-session-s").  Returns
 * PP_ERR_INVALID_PARAM for an unknown name or a malformed value; `why` (if not
 * NULL, size 128) says which. */
pp_err_t pp_config_set(pp_config_t *c, const char *name, const char *value, char *why);

/* pp_config_load_file applies "name = value" lines from `path` ('#'
 * comments).  Errors as pp_config_set, or PP_ERR_IO if unreadable. */
pp_err_t pp_config_load_file(pp_config_t *c, const char *path, char *why);

/* pp_config_load_env applies PIPIT_LISTEN, PIPIT_PUBLIC_URL, PIPIT_DATA,
 * PIPIT_STORE, PIPIT_HTTP_THREADS, PIPIT_BODY_CAP, PIPIT_HTTP_MAX_CONNECTIONS,
 * PIPIT_HTTP_MAX_PER_ADDRESS, PIPIT_HTTP_HEADER_TIMEOUT_MS, PIPIT_LOG_LEVEL,
 * PIPIT_ENQUIRE_LINK_MS, PIPIT_EARLY_RECEIPT_TTL_S, PIPIT_EARLY_RECEIPTS_MAX,
 * PIPIT_WEBHOOK_ALLOW, PIPIT_WEBHOOK_TIMEOUT_MS,
 * PIPIT_WEBHOOK_BACKOFF_MS, PIPIT_WEBHOOK_RETRY_S, PIPIT_AUDIT_CHECKPOINT_S,
 * PIPIT_AUDIT_ORIGIN, PIPIT_AUDIT_KEY_FILE, PIPIT_FRAUD_GUARD_BUCKET_S,
 * PIPIT_FRAUD_GUARD_FLOOR, PIPIT_FRAUD_GUARD_MULTIPLE,
 * PIPIT_FRAUD_GUARD_BLOCK_S, PIPIT_ALLOW_CORE_DUMPS, PIPIT_AUTH_GUARD_WINDOW_S. */
pp_err_t pp_config_load_env(pp_config_t *c, char *why);

#endif

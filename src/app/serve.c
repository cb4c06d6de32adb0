/* serve.c: `pipit serve`: settings, master key, store, HTTP, signals. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "engine/engine.h"
#include "engine/verify_sweep.h"
#include "engine/webhooks.h"
#include "http/http.h"
#include "store/store.h"
#include "verify/secrets.h"

/* Reads 64 hex digits from `path` into key; PP_ERR_NOT_FOUND when there is
 * no such file, PP_ERR_BAD_REQUEST when it is malformed. */
static pp_err_t read_key_file(const char *path, unsigned char key[32]) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno == ENOENT ? PP_ERR_NOT_FOUND : PP_ERR_IO;
  char hex[65];
  ssize_t r = read(fd, hex, 64);
  close(fd);
  size_t n = 0;
  bool ok = r == 64 && sodium_hex2bin(key, 32, hex, 64, NULL, &n, NULL) == 0 && n == 32;
  sodium_memzero(hex, sizeof hex);
  return ok ? PP_OK : PP_ERR_BAD_REQUEST;
}

pp_err_t pp_master_keys_read(void *arg, unsigned char primary[32], unsigned char next[32],
                             bool *has_next) {
  const char *dir = arg;
  char path[1024];
  *has_next = false;
  const char *env = getenv("PIPIT_MASTER_KEY");
  if (env && *env) {
    size_t n = 0;
    if (sodium_hex2bin(primary, 32, env, strlen(env), NULL, &n, NULL) != 0 || n != 32)
      return PP_ERR_BAD_REQUEST;
  } else {
    snprintf(path, sizeof path, "%s/master.key", dir);
    if (read_key_file(path, primary) != PP_OK) return PP_ERR_IO;
  }
  snprintf(path, sizeof path, "%s/master.key.next", dir);
  *has_next = read_key_file(path, next) == PP_OK;
  return PP_OK;
}

unsigned char *pp_master_key_load(const char *dir) {
  unsigned char *key = sodium_malloc(32);
  if (!key) return NULL;
  const char *env = getenv("PIPIT_MASTER_KEY");
  if (env && *env) {
    size_t n = 0;
    if (sodium_hex2bin(key, 32, env, strlen(env), NULL, &n, NULL) != 0 || n != 32) {
      pp_log_error("serve", "PIPIT_MASTER_KEY must be 64 hex digits");
      sodium_free(key);
      return NULL;
    }
    return key;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/master.key", dir);
  mkdir(dir, 0700);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    char hex[65];
    ssize_t r = read(fd, hex, 64);
    close(fd);
    size_t n = 0;
    if (r == 64 && sodium_hex2bin(key, 32, hex, 64, NULL, &n, NULL) == 0 && n == 32) {
      sodium_memzero(hex, sizeof hex);
      return key;
    }
    sodium_memzero(hex, sizeof hex);
    pp_log_error("serve", "%s is malformed", path);
    sodium_free(key);
    return NULL;
  }
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    pp_log_error("serve", "cannot create %s: %s", path, strerror(errno));
    sodium_free(key);
    return NULL;
  }
  char hex[66];
  randombytes_buf(key, 32);
  sodium_bin2hex(hex, sizeof hex, key, 32);
  hex[64] = '\n';
  ssize_t w = write(fd, hex, 65);
  int ok = w == 65 && fsync(fd) == 0;
  close(fd);
  sodium_memzero(hex, sizeof hex);
  if (!ok) {
    pp_log_error("serve", "cannot write %s", path);
    sodium_free(key);
    return NULL;
  }
  pp_log_info("serve", "generated a new master key in %s", path);
  return key;
}

static void serve_usage(FILE *f) {
  fputs(
      "usage: pipit serve [--config FILE] [--listen HOST:PORT] [--public-url URL]\n"
      "                   [--data DIR] [--store URL] [--http-threads N]\n"
      "                   [--body-cap BYTES] [--log-level debug|info|warn|error]\n"
      "                   [--http-max-connections N] [--http-max-per-address N]\n"
      "                   [--http-header-timeout-ms N]\n"
      "                   [--enquire-link-ms N] [--webhook-allow CIDR[,CIDR...]]\n"
      "                   [--early-receipt-ttl-s N] [--early-receipts-max N]\n"
      "                   [--webhook-timeout-ms N] [--webhook-backoff-ms N]\n"
      "                   [--webhook-retry-s N] [--audit-checkpoint-s N]\n"
      "                   [--audit-origin NAME] [--audit-key-file FILE]\n"
      "                   [--fraud-guard-bucket-s N] [--fraud-guard-floor N]\n"
      "                   [--fraud-guard-multiple N] [--fraud-guard-block-s N]\n"
      "                   [--allow-core-dumps 0|1] [--auth-guard-window-s N]\n"
      "                   [--staff-session-s N]\n"
      "HTTP connections: at most --http-max-per-address (256) from one address and\n"
      "--http-max-connections in all (default: the open-file limit, raised to its hard\n"
      "limit at start, less room for the store, carriers and webhooks); a request\n"
      "head must arrive within --http-header-timeout-ms (10000).\n"
      "Webhooks to private, loopback and link-local addresses are refused unless\n"
      "--webhook-allow lists them (for development and tests).\n"
      "Delivery receipts that arrive before their submit is recorded wait\n"
      "--early-receipt-ttl-s seconds (3600); at most --early-receipts-max (10000)\n"
      "of them are kept, the newest.\n"
      "The audit log is checkpointed every --audit-checkpoint-s seconds (60) when it\n"
      "grew, signed with a key derived from the master key unless --audit-key-file\n"
      "holds its seed; DIR/audit-checkpoint and DIR/audit-key.pub are kept current.\n"
      "Verify's fraud guard counts SMS sends per service and destination prefix in\n"
      "buckets of --fraud-guard-bucket-s seconds (3600) and refuses a send (60410)\n"
      "once the bucket holds --fraud-guard-floor (20) or --fraud-guard-multiple (5)\n"
      "times the prefix's learned baseline, whichever is more; the prefix is then\n"
      "blocked for --fraud-guard-block-s seconds (43200).\n"
      "pipit never dumps core (a core would hold credentials, keys and message\n"
      "bodies) unless --allow-core-dumps 1 is given, for debugging; then ulimit -c\n"
      "and the kernel's core_pattern decide.  The data folder is made 0700 and the\n"
      "files in it 0600 at start.\n"
      "Wrong credentials are counted per client address and claimed principal in\n"
      "windows of --auth-guard-window-s seconds (60): a few are recorded in the\n"
      "audit log one by one, the rest as counts; a client that keeps failing gets\n"
      "429 (20429) for a while, the real owner elsewhere is not locked out.\n"
      "Settings also come from PIPIT_* environment variables and the config file;\n"
      "flags win over the environment, which wins over the file.\n",
      f);
}

/* Applies "--name value" pairs from argv; also finds --config first. */
static int parse_flags(pp_config_t *c, int argc, char **argv, int pass_config) {
  char why[128];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0) {
      serve_usage(stdout);
      exit(0);
    }
    if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
      fprintf(stderr, "pipit serve: unexpected argument '%s'\n", a);
      return -1;
    }
    const char *v = argv[++i];
    if (strcmp(a, "--config") == 0) {
      if (pass_config && pp_config_load_file(c, v, why)) {
        fprintf(stderr, "pipit serve: %s\n", why);
        return -1;
      }
      continue;
    }
    if (pass_config) continue;
    if (pp_config_set(c, a + 2, v, why)) {
      fprintf(stderr, "pipit serve: %s\n", why);
      return -1;
    }
  }
  return 0;
}

/* Raises the soft open-file limit to the hard one: each HTTP connection,
 * carrier bind, webhook and the store take a descriptor, and the HTTP
 * connection limit is sized from this (docs/internals/http.md). */
static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = was;
  }
  pp_log_info("serve", "open-file limit %llu", (unsigned long long)rl.rlim_cur);
}

/* Writes what the sign-in guard still counts, stops the checkpointer (which
 * signs a last checkpoint: the store must still be open) and frees the
 * audit log's key. */
/* The operator token is retired (issue 13): a data folder that still has
 * its hash is told once that it is no longer read. */
static void warn_operator_token(const char *data_dir) {
  char path[1100];
  struct stat st;
  if (snprintf(path, sizeof path, "%s/operator-token.hash", data_dir) < (int)sizeof path &&
      stat(path, &st) == 0)
    pp_log_info("serve",
                "%s is no longer read: the operator token was retired; /admin/v1 answers only "
                "to a staff session or to pipit admin on the host",
                path);
}

static void audit_down(pp_audit_ticker_t *ticker, pp_api_t *api, pp_checkpoint_signer_t *signer) {
  pp_api_guard_stop(api);
  pp_audit_ticker_stop(ticker);
  pp_api_audit_free(api->audit);
  api->audit = NULL;
  pp_checkpoint_signer_free(signer);
}

/* The API's view of the engine's carriers (pp_api_t.carrier_links). */
static int carrier_links(void *arg, const char *name) {
  return pp_engine_carrier_links(arg, name);
}

int pp_cmd_serve(int argc, char **argv) {
  pp_config_t cfg;
  char why[128];
  pp_config_defaults(&cfg);
  if (parse_flags(&cfg, argc, argv, 1)) return 2;
  if (pp_config_load_env(&cfg, why)) {
    fprintf(stderr, "pipit serve: %s\n", why);
    return 2;
  }
  if (parse_flags(&cfg, argc, argv, 0)) return 2;
  pp_log_set_level((pp_log_level_t)cfg.log_level);
  if (cfg.allow_core_dumps) {
    pp_process_allow_core_dumps();
    pp_log_warn("serve",
                "core dumps are allowed (allow-core-dumps): a core holds credentials, "
                "keys and message bodies; keep it only for debugging");
  }
  const char *off = getenv("PIPIT_TEST_CLOCK_OFFSET");
  if (off && *off) pp_clock_set_offset(strtoll(off, NULL, 10));

  /* Before any thread starts: only sigwait below receives the stop signals. */
  sigset_t stop_set;
  pp_process_block_stop_signals(&stop_set);
  raise_nofile();

  if (pp_data_dir_secure(cfg.data_dir)) return 1;
  unsigned char *mk = pp_master_key_load(cfg.data_dir);
  if (!mk) return 1;
  char store_url[600];
  if (cfg.store_url[0])
    snprintf(store_url, sizeof store_url, "%s", cfg.store_url);
  else
    snprintf(store_url, sizeof store_url, "sqlite:%s", cfg.data_dir);
  /* Every part is declared here, NULL until started, so that one unwind
   * (at `down`) serves a failed start and the stop alike. */
  pp_store_t *store = NULL;
  pp_api_t api = {0};
  pp_checkpoint_signer_t *signer = NULL;
  pp_audit_ticker_t *ticker = NULL;
  pp_verify_keys_t *verify_keys = NULL;
  pp_engine_t *engine = NULL;
  pp_webhooks_t *hooks = NULL;
  pp_sweep_t *sweep = NULL;
  pp_http_t *http = NULL;
  int rc = 1;
  pp_err_t e = pp_store_open(store_url, mk, &store);
  if (e) {
    pp_log_error("serve", "cannot open the store: %s", pp_err_name(e));
    goto down;
  }
  pp_store_set_key_source(store, pp_master_keys_read, cfg.data_dir);

  api.store = store;
  unsigned char *audit_root = sodium_malloc(32);
  e = audit_root ? pp_store_named_key(store, "audit", audit_root) : PP_ERR_NOMEM;
  if (!e) e = pp_audit_signer_load(audit_root, cfg.audit_key_file, cfg.audit_origin, &signer);
  sodium_free(audit_root);
  if (!e) e = pp_api_audit_new(pp_checkpoint_signer_verifier(signer), cfg.audit_origin, &api.audit);
  if (!e) e = pp_audit_publish_key(cfg.data_dir, signer);
  if (!e)
    e = pp_audit_ticker_start(store, signer, cfg.audit_origin, cfg.data_dir, cfg.audit_checkpoint_s,
                              &ticker);
  if (e) {
    pp_log_error("serve", "cannot set up the audit log: %s", pp_err_name(e));
    goto down;
  }

  unsigned char *verify_root = sodium_malloc(32);
  e = verify_root ? pp_store_named_key(store, "verify", verify_root) : PP_ERR_NOMEM;
  if (!e) e = pp_verify_keys_new(verify_root, &verify_keys);
  sodium_free(verify_root);
  if (e) {
    pp_log_error("serve", "cannot derive the Verify keys: %s", pp_err_name(e));
    goto down;
  }
  api.verify_keys = verify_keys;
  api.fraud = (pp_api_fraud_t){.bucket_s = cfg.fraud_bucket_s,
                               .floor = cfg.fraud_floor,
                               .multiple = cfg.fraud_multiple,
                               .block_s = cfg.fraud_block_s};
  warn_operator_token(cfg.data_dir);
  /* Tests only: a lockbox grant's minute in fewer seconds, so that its end
   * is seen without waiting minutes (docs/internals/lockbox.md). */
  const char *minute = getenv("PIPIT_TEST_LOCKBOX_MINUTE_S");
  if (minute && *minute) {
    api.lockbox_minute_s = (int)strtol(minute, NULL, 10);
    pp_log_warn("serve", "PIPIT_TEST_LOCKBOX_MINUTE_S: a lockbox grant minute lasts %d s (tests)",
                api.lockbox_minute_s);
  }
  e = pp_api_guard_new(cfg.auth_guard_window_s, &api.guard);
  if (e) {
    pp_log_error("serve", "cannot set up the sign-in guard: %s", pp_err_name(e));
    goto down;
  }
  if (cfg.public_url[0]) snprintf(api.public_url, sizeof api.public_url, "%s", cfg.public_url);
  api.staff_session_s = cfg.staff_session_s;

  pp_engine_opts_t eo = {.store = store,
                         .enquire_link_ms = (unsigned)cfg.enquire_link_ms,
                         .early_receipt_ttl_s = (unsigned)cfg.early_receipt_ttl_s,
                         .early_receipts_max = (unsigned)cfg.early_receipts_max};
  e = pp_engine_start(&eo, &engine);
  if (e) {
    pp_log_error("serve", "cannot start the delivery engine: %s", pp_err_name(e));
    goto down;
  }
  api.carrier_links = carrier_links;
  api.carrier_links_arg = engine;

  pp_webhooks_opts_t wo = {.store = store,
                           .allow = cfg.webhook_allow,
                           .timeout_ms = (unsigned)cfg.webhook_timeout_ms,
                           .backoff_ms = (unsigned)cfg.webhook_backoff_ms,
                           .max_age_s = (unsigned)cfg.webhook_retry_s};
  e = pp_webhooks_start(&wo, &hooks);
  if (e) {
    pp_log_error("serve", "cannot start the webhook dispatcher: %s%s", pp_err_name(e),
                 e == PP_ERR_INVALID_PARAM ? " (--webhook-allow takes CIDR[,CIDR...])" : "");
    goto down;
  }

  e = pp_sweep_start(store, &sweep);
  if (e) {
    pp_log_error("serve", "cannot start Verify's waiting-period sweep: %s", pp_err_name(e));
    goto down;
  }

  pp_http_opts_t ho = {.host = cfg.listen_host,
                       .port = cfg.listen_port,
                       .threads = cfg.http_threads,
                       .body_cap = (size_t)cfg.body_cap,
                       .fixed_201 = getenv("PIPIT_BENCH_FIXED_201") != NULL,
                       .max_conns = cfg.http_max_connections,
                       .max_per_addr = cfg.http_max_per_address,
                       .header_timeout_ms = cfg.http_header_timeout_ms};
  if (pp_http_start(&ho, &api, &http)) goto down;
  int port = pp_http_port(http);
  if (!api.public_url[0])
    snprintf(api.public_url, sizeof api.public_url, "http://%s:%d", cfg.listen_host, port);
  pp_log_info("serve", "listening on http://%s:%d (data %s)", cfg.listen_host, port, cfg.data_dir);

  int sig = 0;
  while (sigwait(&stop_set, &sig) != 0) {
  }
  pp_log_info("serve", "shutting down");
  rc = 0;

down:
  /* In the reverse order of the start; each stop takes a part that never
   * started (NULL). */
  pp_http_stop(http);
  pp_sweep_stop(sweep);
  pp_webhooks_stop(hooks);
  pp_engine_stop(engine);
  audit_down(ticker, &api, signer);
  pp_store_free(store);
  pp_verify_keys_free(verify_keys);
  sodium_free(mk);
  if (rc == 0) pp_log_info("serve", "stopped");
  return rc;
}

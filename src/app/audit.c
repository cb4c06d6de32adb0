/* audit.c: what pipit serve and pipit admin share about the audit log (the
 * checkpoint key, signing and publishing checkpoints, the periodic
 * checkpointer, the CLI's own events), and `pipit audit` with its
 * checkpoint, proof and key commands (verify: audit_verify.c; blast radius:
 * audit_blast.c).  See docs/internals/audit.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "security/envelope.h"

/* ---- The checkpoint key -------------------------------------------------- */

pp_err_t pp_audit_signer_load(const unsigned char *root, const char *key_file, const char *origin,
                              pp_checkpoint_signer_t **out) {
  unsigned char *seed = sodium_malloc(PP_LOG_SEED_LEN);
  if (!seed) return PP_ERR_NOMEM;
  pp_err_t e = PP_OK;
  if (key_file && *key_file) {
    char hex[2 * PP_LOG_SEED_LEN + 2];
    FILE *f = fopen(key_file, "r");
    size_t n = f ? fread(hex, 1, sizeof hex - 1, f) : 0;
    if (f) fclose(f);
    hex[n] = '\0';
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r')) hex[--n] = '\0';
    size_t len = 0;
    if (n != 2 * PP_LOG_SEED_LEN ||
        sodium_hex2bin(seed, PP_LOG_SEED_LEN, hex, n, NULL, &len, NULL) != 0 ||
        len != PP_LOG_SEED_LEN) {
      pp_log_error("audit", "%s must hold the checkpoint key's seed as 64 hex digits", key_file);
      e = PP_ERR_INVALID_PARAM;
    }
    sodium_memzero(hex, sizeof hex);
  } else if (root) {
    e = pp_kdf_derive(root, PP_KDF_CTX_LOG, 1, seed, PP_LOG_SEED_LEN);
  } else {
    e = PP_ERR_INVALID_PARAM;
  }
  if (!e) e = pp_checkpoint_signer_from_seed(origin, seed, out);
  sodium_free(seed);
  return e;
}

/* Replaces DATA/name with `text`: written beside it, synced, renamed. */
static pp_err_t publish(const char *data_dir, const char *name, const char *text) {
  char path[1100], tmp[1110];
  if (snprintf(path, sizeof path, "%s/%s", data_dir, name) >= (int)sizeof path)
    return PP_ERR_INVALID_PARAM;
  snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    pp_log_error("audit", "cannot write %s: %s", tmp, strerror(errno));
    return PP_ERR_IO;
  }
  size_t len = strlen(text);
  bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    pp_log_error("audit", "cannot write %s", path);
    unlink(tmp);
    return PP_ERR_IO;
  }
  return PP_OK;
}

pp_err_t pp_audit_publish_key(const char *data_dir, const pp_checkpoint_signer_t *signer) {
  char vkey[PP_LOG_VKEY_MAX + 1];
  pp_err_t e =
      pp_checkpoint_verifier_format(pp_checkpoint_signer_verifier(signer), vkey, sizeof vkey - 1);
  if (e) return e;
  strcat(vkey, "\n");
  return publish(data_dir, PP_AUDIT_KEY_FILE, vkey);
}

pp_err_t pp_audit_checkpoint_now(pp_store_t *s, const pp_checkpoint_signer_t *signer,
                                 const char *origin, const char *data_dir, bool force,
                                 pp_audit_checkpoint_req_t *out) {
  memset(out, 0, sizeof *out);
  out->signer = signer;
  out->origin = origin;
  out->now = pp_clock_now();
  out->force = force;
  pp_write_t w = {.kind = PP_W_AUDIT_CHECKPOINT, .u.checkpoint = out};
  pp_err_t e = pp_store_write(s, &w);
  if (e || out->skipped || !data_dir) return e;
  return publish(data_dir, PP_AUDIT_CHECKPOINT_FILE, out->out.note);
}

/* ---- The periodic checkpointer ------------------------------------------- */

struct pp_audit_ticker {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
  pp_store_t *store;
  const pp_checkpoint_signer_t *signer;
  char origin[PP_LOG_NAME_MAX + 1];
  char data_dir[512];
  int interval_s;
};

static void tick(pp_audit_ticker_t *t) {
  pp_audit_checkpoint_req_t cr;
  pp_err_t e = pp_audit_checkpoint_now(t->store, t->signer, t->origin, t->data_dir, false, &cr);
  if (e)
    pp_log_error("audit", "checkpoint failed: %s", pp_err_name(e));
  else if (!cr.skipped)
    pp_log_debug("audit", "checkpoint at tree size %" PRIu64, cr.out.tree_size);
}

static void *ticker_main(void *arg) {
  pp_audit_ticker_t *t = arg;
  pthread_mutex_lock(&t->mu);
  while (!t->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += t->interval_s;
    while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT) {
    }
    if (t->stop) break;
    pthread_mutex_unlock(&t->mu);
    tick(t);
    pthread_mutex_lock(&t->mu);
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

pp_err_t pp_audit_ticker_start(pp_store_t *s, const pp_checkpoint_signer_t *signer,
                               const char *origin, const char *data_dir, int interval_s,
                               pp_audit_ticker_t **out) {
  pp_audit_ticker_t *t = calloc(1, sizeof *t);
  if (!t) return PP_ERR_NOMEM;
  t->store = s;
  t->signer = signer;
  snprintf(t->origin, sizeof t->origin, "%s", origin);
  snprintf(t->data_dir, sizeof t->data_dir, "%s", data_dir);
  t->interval_s = interval_s;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  if (interval_s > 0 && pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    return PP_ERR_INTERNAL;
  }
  *out = t;
  return PP_OK;
}

void pp_audit_ticker_stop(pp_audit_ticker_t *t) {
  if (!t) return;
  if (t->interval_s > 0) {
    pp_thread_stop(t->thread, &t->mu, &t->cv, &t->stop);
  }
  tick(t); /* the last word: the log as it is at shutdown */
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t);
}

/* ---- Events of the command line ------------------------------------------ */

void pp_audit_cli_event(pp_audit_event_t *ev, pp_audit_kind_t kind, const char *account_sid,
                        const char *request, const char *const *resources, size_t n) {
  static char session[PP_AUDIT_SESSION_SIZE];
  if (!session[0]) pp_hex_random(session, 16); /* one per process */
  memset(ev, 0, sizeof *ev);
  ev->kind = kind;
  ev->principal_kind = PP_AUDIT_BY_CLI;
  const struct passwd *pw = getpwuid(geteuid());
  if (pw && pw->pw_name)
    snprintf(ev->principal, sizeof ev->principal, "cli:%.50s", pw->pw_name);
  else
    snprintf(ev->principal, sizeof ev->principal, "cli:%u", (unsigned)geteuid());
  snprintf(ev->account_sid, sizeof ev->account_sid, "%s", account_sid ? account_sid : "");
  memcpy(ev->session, session, sizeof ev->session);
  ev->user_agent = "pipit-cli";
  ev->request = request;
  ev->resources = resources;
  ev->nresources = n;
}

/* ---- pipit audit ----------------------------------------------------------- */

static void audit_usage(FILE *f) {
  fputs(
      "usage: pipit audit [--data DIR | --store URL] [--origin NAME] [--key-file FILE]\n"
      "                   COMMAND\n"
      "  verify [--checkpoint FILE] [--key VKEY]\n"
      "        recompute the whole tree from the stored entries; exit 1 and name the\n"
      "        first altered, deleted, reordered or truncated entry by position.\n"
      "        --checkpoint: a checkpoint kept outside (catches a cut-off tail)\n"
      "  checkpoint      sign a checkpoint now, print it, write DIR/audit-checkpoint\n"
      "  proof --inclusion N [--size S] | proof --consistency M N   [--json]\n"
      "  key             print the verifier key of the checkpoints\n"
      "  blast-radius (--principal SID | --session ID | --source-ip IP)\n"
      "               [--since T] [--until T] [--json]\n"
      "        what one principal, session or address touched; T is ISO 8601 or\n"
      "        Unix seconds\n"
      "The key is derived from the master key (DIR/master.key or PIPIT_MASTER_KEY)\n"
      "unless --key-file names a file with its seed (as pipit serve --audit-key-file).\n",
      f);
}

/* The origin the log signs as: --origin, else the latest checkpoint's,
 * else the default. */
static void find_origin(pp_store_t *s, const char *given, char out[PP_LOG_NAME_MAX + 1]) {
  if (given) {
    snprintf(out, PP_LOG_NAME_MAX + 1, "%s", given);
    return;
  }
  snprintf(out, PP_LOG_NAME_MAX + 1, "%s", PP_AUDIT_DEFAULT_ORIGIN);
  pp_audit_checkpoint_t *cp = malloc(sizeof *cp);
  if (cp && pp_store_audit_checkpoint_latest(s, cp) == PP_OK) {
    pp_checkpoint_t c;
    const char *end = strstr(cp->note, "\n\n");
    if (end && pp_checkpoint_parse(cp->note, (size_t)(end - cp->note) + 1, &c) == PP_OK)
      snprintf(out, PP_LOG_NAME_MAX + 1, "%s", c.origin);
  }
  free(cp);
}

/* The signer from --key-file or the store's audit key (the store is open). */
static pp_err_t cli_signer(const pp_audit_cli_t *cli, bool create, pp_checkpoint_signer_t **out) {
  (void)create;
  if (cli->key_file) return pp_audit_signer_load(NULL, cli->key_file, cli->origin, out);
  unsigned char *root = sodium_malloc(32);
  if (!root) return PP_ERR_NOMEM;
  pp_err_t e = pp_store_named_key(cli->store, "audit", root);
  if (!e) e = pp_audit_signer_load(root, NULL, cli->origin, out);
  sodium_free(root);
  return e;
}

pp_err_t pp_audit_cli_verifier(const pp_audit_cli_t *cli, const char *vkey,
                               pp_checkpoint_verifier_t *out) {
  if (vkey) return pp_checkpoint_verifier_parse(vkey, out);
  pp_checkpoint_signer_t *signer = NULL;
  pp_err_t e = cli_signer(cli, false, &signer);
  if (!e) *out = *pp_checkpoint_signer_verifier(signer);
  pp_checkpoint_signer_free(signer);
  return e;
}

static int cmd_checkpoint(const pp_audit_cli_t *cli) {
  pp_checkpoint_signer_t *signer = NULL;
  pp_err_t e = cli_signer(cli, true, &signer);
  if (e) {
    fprintf(stderr, "pipit audit: no checkpoint key: %s\n", pp_err_name(e));
    return 1;
  }
  pp_audit_checkpoint_req_t cr;
  e = pp_audit_checkpoint_now(cli->store, signer, cli->origin, cli->store_url ? NULL : cli->data,
                              true, &cr);
  pp_checkpoint_signer_free(signer);
  if (e) {
    fprintf(stderr, "pipit audit: cannot make a checkpoint: %s\n", pp_err_name(e));
    return 1;
  }
  fputs(cr.out.note, stdout);
  return 0;
}

static int cmd_key(const pp_audit_cli_t *cli) {
  pp_checkpoint_verifier_t v;
  char vkey[PP_LOG_VKEY_MAX];
  pp_err_t e = pp_audit_cli_verifier(cli, NULL, &v);
  if (!e) e = pp_checkpoint_verifier_format(&v, vkey, sizeof vkey);
  if (e) {
    fprintf(stderr, "pipit audit: no checkpoint key: %s\n", pp_err_name(e));
    return 1;
  }
  printf("%s\n", vkey);
  return 0;
}

static bool arg_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return false;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end) return false;
  *out = v;
  return true;
}

static void print_hashes(const pp_merkle_hash_t *p, size_t n, bool json) {
  for (size_t i = 0; i < n; i++) {
    char b[sodium_base64_ENCODED_LEN(PP_MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b, sizeof b, p[i], PP_MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    if (json)
      printf("%s\"%s\"", i ? "," : "", b);
    else
      printf("  %s\n", b);
  }
}

/* `proof --inclusion N [--size S]` or `proof --consistency M N`: the proof
 * from the store, checked here against roots recomputed from the store. */
static int cmd_proof(const pp_audit_cli_t *cli, int argc, char **argv) {
  uint64_t a = 0, b = 0, size = 0;
  bool inclusion = false, consistency = false, json = false, have_size = false;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--inclusion") == 0 && i + 1 < argc && arg_u64(argv[i + 1], &a)) {
      inclusion = true;
      i++;
    } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && arg_u64(argv[i + 1], &size)) {
      have_size = true;
      i++;
    } else if (strcmp(argv[i], "--consistency") == 0 && i + 2 < argc && arg_u64(argv[i + 1], &a) &&
               arg_u64(argv[i + 2], &b)) {
      consistency = true;
      i += 2;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      return 2;
    }
  }
  if (inclusion == consistency) return 2;
  pp_audit_head_t head;
  pp_err_t e = pp_store_audit_head(cli->store, &head);
  if (e) return 1;
  if (inclusion && !have_size) size = head.size;
  uint64_t n = inclusion ? size : b;
  pp_merkle_hash_t p[PP_MERKLE_MAX_PROOF];
  size_t count = 0;
  unsigned char root_n[PP_MERKLE_HASH_LEN], root_m[PP_MERKLE_HASH_LEN], leaf[PP_MERKLE_HASH_LEN];
  if (inclusion && a >= n) {
    fprintf(stderr, "pipit audit: --inclusion N needs N < tree size (%" PRIu64 ")\n", n);
    return 2;
  }
  if (consistency && (a == 0 || a > b)) {
    fprintf(stderr, "pipit audit: --consistency M N needs 0 < M <= N\n");
    return 2;
  }
  e = inclusion ? pp_store_audit_inclusion(cli->store, a, n, p, PP_MERKLE_MAX_PROOF, &count)
                : pp_store_audit_consistency(cli->store, a, n, p, PP_MERKLE_MAX_PROOF, &count);
  if (!e) e = pp_store_audit_root(cli->store, n, root_n);
  if (!e && consistency) e = pp_store_audit_root(cli->store, a, root_m);
  pp_arena_t ar;
  pp_arena_init(&ar, 0);
  pp_audit_entry_t en;
  if (!e && inclusion) e = pp_store_audit_get(cli->store, &ar, (int64_t)a, &en);
  if (!e && inclusion) memcpy(leaf, en.leaf_hash, sizeof leaf);
  pp_arena_cleanup(&ar);
  if (e) {
    fprintf(stderr, "pipit audit: %s (tree size %" PRIu64 ")\n",
            e == PP_ERR_INVALID_PARAM ? "beyond the tree" : pp_err_name(e), head.size);
    return 1;
  }
  bool ok = inclusion ? pp_merkle_verify_inclusion(a, n, leaf, p, count, root_n)
                      : pp_merkle_verify_consistency(a, n, root_m, root_n, p, count);
  char rn[64], rm[64], lh[64];
  sodium_bin2base64(rn, sizeof rn, root_n, sizeof root_n, sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64(rm, sizeof rm, root_m, sizeof root_m, sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64(lh, sizeof lh, leaf, sizeof leaf, sodium_base64_VARIANT_ORIGINAL);
  if (json) {
    if (inclusion)
      printf("{\"leaf_index\":%" PRIu64 ",\"tree_size\":%" PRIu64
             ",\"leaf_hash\":\"%s\","
             "\"root_hash\":\"%s\",\"hashes\":[",
             a, n, lh, rn);
    else
      printf("{\"first_tree_size\":%" PRIu64 ",\"second_tree_size\":%" PRIu64
             ","
             "\"first_root_hash\":\"%s\",\"second_root_hash\":\"%s\",\"hashes\":[",
             a, n, rm, rn);
    print_hashes(p, count, true);
    printf("],\"verified\":%s}\n", ok ? "true" : "false");
  } else {
    if (inclusion)
      printf("inclusion of leaf %" PRIu64 " in tree size %" PRIu64 "\nleaf hash %s\nroot %s\n", a,
             n, lh, rn);
    else
      printf("consistency of tree size %" PRIu64 " (root %s)\n  with tree size %" PRIu64
             " (root %s)\n",
             a, rm, n, rn);
    printf("%zu hashes:\n", count);
    print_hashes(p, count, false);
    printf("%s\n", ok ? "verified against the roots recomputed from the store"
                      : "DOES NOT VERIFY against the roots recomputed from the store");
  }
  return ok ? 0 : 1;
}

int pp_cmd_audit(int argc, char **argv) {
  pp_audit_cli_t cli = {.data = "./pipit-data"};
  const char *origin = NULL;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
      cli.data = argv[++i];
    else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
      cli.store_url = argv[++i];
    else if (strcmp(argv[i], "--origin") == 0 && i + 1 < argc)
      origin = argv[++i];
    else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
      cli.key_file = argv[++i];
    else if (strcmp(argv[i], "--help") == 0) {
      audit_usage(stdout);
      return 0;
    } else {
      audit_usage(stderr);
      return 2;
    }
  }
  if (i >= argc) {
    audit_usage(stderr);
    return 2;
  }
  const char *cmd = argv[i++];
  if (strcmp(cmd, "verify") && strcmp(cmd, "checkpoint") && strcmp(cmd, "proof") &&
      strcmp(cmd, "key") && strcmp(cmd, "blast-radius")) {
    audit_usage(stderr);
    return 2;
  }
  char url[600];
  snprintf(url, sizeof url, "%s%s",
           cli.store_url ? "" : "sqlite:", cli.store_url ? cli.store_url : cli.data);
  /* The log itself is not sealed, but the store opens only with its master
   * key (it may have to finish a migration). */
  if (pp_data_dir_secure(cli.data)) return 2;
  unsigned char *mk = pp_master_key_load(cli.data);
  if (!mk) return 2;
  pp_err_t e = pp_store_open(url, mk, &cli.store);
  sodium_free(mk);
  if (e) {
    fprintf(stderr, "pipit audit: cannot open the store: %s\n", pp_err_name(e));
    return 2;
  }
  pp_store_set_key_source(cli.store, pp_master_keys_read, (void *)cli.data);
  char org[PP_LOG_NAME_MAX + 1];
  find_origin(cli.store, origin, org);
  cli.origin = org;
  int rc;
  if (strcmp(cmd, "verify") == 0)
    rc = pp_audit_cmd_verify(&cli, argc - i, argv + i);
  else if (strcmp(cmd, "checkpoint") == 0)
    rc = i == argc ? cmd_checkpoint(&cli) : 2;
  else if (strcmp(cmd, "proof") == 0)
    rc = cmd_proof(&cli, argc - i, argv + i);
  else if (strcmp(cmd, "key") == 0)
    rc = i == argc ? cmd_key(&cli) : 2;
  else
    rc = pp_audit_cmd_blast(&cli, argc - i, argv + i);
  if (rc == 2) audit_usage(stderr);
  pp_store_free(cli.store);
  return rc;
}

/* keys.c: key rotation from the command line, beside a running server.
 *
 * `pipit admin keys rotate-master`: a new master key is written to
 * DIR/master.key.next, every data key is wrapped again under it in one
 * transaction, then the file replaces DIR/master.key.  A crash in between
 * leaves both files; whoever opens the store next holds both keys (see
 * pp_master_keys_read) and running it again finishes.  A running server
 * notices when a data key no longer unwraps and rereads the files, so
 * there is no downtime.  The data keys themselves, and so every sealed
 * value, do not change.
 *
 * `pipit admin account rotate-key AC…`: a new data key generation for the
 * account, then every sealed value of the account is opened and sealed
 * again with it, a few hundred rows per transaction, while traffic goes on;
 * then the older generations are deleted, so copies of the old ciphertext
 * (backups) no longer open. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/ids.h"
#include "security/envelope.h"
#include "store/store.h"

#define RESEAL_BATCH 500

/* Opens the store with the current master key and the key source. */
static pp_store_t *open_store(const char *data, const char *store_url, unsigned char **mk) {
  *mk = pp_master_key_load(data);
  if (!*mk) return NULL;
  char url[600];
  snprintf(url, sizeof url, "%s%s", store_url ? "" : "sqlite:", store_url ? store_url : data);
  pp_store_t *store = NULL;
  pp_err_t e = pp_store_open(url, *mk, &store);
  if (e) {
    fprintf(stderr, "pipit admin: cannot open the store: %s\n", pp_err_name(e));
    sodium_free(*mk);
    return NULL;
  }
  pp_store_set_key_source(store, pp_master_keys_read, (void *)data);
  return store;
}

/* Writes 64 hex digits of `key` to `path` (mode 0600) and syncs it. */
static int write_key_file(const char *path, const unsigned char key[32]) {
  char hex[66];
  sodium_bin2hex(hex, sizeof hex, key, 32);
  hex[64] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int ok = fd >= 0 && write(fd, hex, 65) == 65 && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  sodium_memzero(hex, sizeof hex);
  return ok ? 0 : -1;
}

int pp_admin_rotate_master(const char *data, const char *store_url) {
  const char *env = getenv("PIPIT_MASTER_KEY");
  if (env && *env) {
    fputs(
        "pipit admin: the master key comes from PIPIT_MASTER_KEY; rotation replaces "
        "DIR/master.key, so run it with the key in that file\n",
        stderr);
    return 2;
  }
  unsigned char *mk;
  pp_store_t *store = open_store(data, store_url, &mk);
  if (!store) return 1;
  char next_path[1024], path[1024];
  snprintf(next_path, sizeof next_path, "%s/master.key.next", data);
  snprintf(path, sizeof path, "%s/master.key", data);
  unsigned char *next = sodium_malloc(32);
  bool has_next = false;
  int rc = 1;
  if (!next) goto out;
  unsigned char *cur = sodium_malloc(32);
  if (cur && pp_master_keys_read((void *)data, cur, next, &has_next) != PP_OK) has_next = false;
  sodium_free(cur);
  if (!has_next) { /* a fresh rotation; else finish the one found */
    randombytes_buf(next, 32);
    if (write_key_file(next_path, next)) {
      fprintf(stderr, "pipit admin: cannot write %s: %s\n", next_path, strerror(errno));
      goto out;
    }
  }
  char old_id[17], new_id[17];
  pp_master_key_id(mk, old_id);
  pp_master_key_id(next, new_id);
  pp_write_t w = {.kind = PP_W_KEYS_REWRAP, .u.rewrap = {next, new_id, 0}};
  pp_err_t e = pp_store_write(store, &w);
  if (e) {
    fprintf(stderr, "pipit admin: rewrapping the data keys failed: %s (%s kept; run again)\n",
            pp_err_name(e), next_path);
    goto out;
  }
  if (rename(next_path, path) != 0) {
    fprintf(stderr, "pipit admin: cannot replace %s: %s\n", path, strerror(errno));
    goto out;
  }
  int dfd = open(data, O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  printf("master key %s replaced by %s; %zu data keys wrapped again\n", old_id, new_id,
         w.u.rewrap.n);
  rc = 0;
out:
  sodium_free(next);
  pp_store_free(store);
  sodium_free(mk);
  return rc;
}

int pp_admin_rotate_account_key(const char *data, const char *store_url, const char *account) {
  if (!pp_sid_valid(account, "AC")) {
    fputs("pipit admin: account rotate-key takes an AC... SID\n", stderr);
    return 2;
  }
  unsigned char *mk;
  pp_store_t *store = open_store(data, store_url, &mk);
  if (!store) return 1;
  int rc = 1;
  pp_write_t w = {.kind = PP_W_ACCOUNT_REKEY, .u.name = account};
  pp_err_t e = pp_store_write(store, &w);
  if (e) {
    fprintf(stderr, "pipit admin: no data key to rotate for %s: %s\n", account, pp_err_name(e));
    goto out;
  }
  /* Running servers go on sealing with the old key until they look again. */
  sleep(PP_STORE_KEY_REFRESH_S + 1);
  size_t total = 0;
  for (int t = 0; t < PP_RESEAL__COUNT; t++) {
    int64_t after = 0;
    for (;;) {
      pp_write_t r = {.kind = PP_W_RESEAL};
      r.u.reseal = (pp_reseal_t){account, (pp_reseal_table_t)t, after, RESEAL_BATCH, 0, 0};
      if ((e = pp_store_write(store, &r))) {
        fprintf(stderr, "pipit admin: resealing failed: %s (run again to finish)\n",
                pp_err_name(e));
        goto out;
      }
      total += r.u.reseal.n;
      if (r.u.reseal.n < RESEAL_BATCH) break;
      after = r.u.reseal.last;
    }
  }
  pp_write_t retire = {.kind = PP_W_KEYS_RETIRE, .u.name = account};
  if ((e = pp_store_write(store, &retire))) {
    fprintf(stderr, "pipit admin: deleting the old keys failed: %s\n", pp_err_name(e));
    goto out;
  }
  printf("account %s: new data key; %zu rows sealed again; older keys deleted\n", account, total);
  rc = 0;
out:
  pp_store_free(store);
  sodium_free(mk);
  return rc;
}

/* operator.c: the operator credential for automation on the operator's own
 * machine: a random token whose BLAKE2b hash sits in the data directory,
 * made and rotated by `pipit admin operator token`, reread by the server
 * when the file changes.  Staff who are people sign in with WebAuthn
 * instead (DESIGN.md rule 1); this token never opens customer data. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/log.h"

#define HASH_HEX 64

struct pp_operator {
  char path[1024];
  pthread_mutex_t mu;
  bool have;              /* a well-formed hash was read */
  unsigned char hash[32]; /* of the token */
  bool stat_ok;           /* the file existed when last looked at */
  dev_t dev;              /* what it was then: reread when any of it changes */
  ino_t ino;
  off_t size;
  struct timespec mtime, ctime;
};

static pp_err_t token_path(const char *data_dir, const char *suffix, char *out, size_t cap) {
  int n = snprintf(out, cap, "%s/%s%s", data_dir, PP_OPERATOR_FILE, suffix);
  return n < 0 || (size_t)n >= cap ? PP_ERR_INVALID_PARAM : PP_OK;
}

static bool same_time(struct timespec a, struct timespec b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Reads the hash file if it changed since last time.  Called with op->mu. */
static void reload(pp_operator_t *op) {
  struct stat st;
  bool exists = stat(op->path, &st) == 0;
  if (exists == op->stat_ok &&
      (!exists || (st.st_dev == op->dev && st.st_ino == op->ino && st.st_size == op->size &&
                   same_time(st.st_mtim, op->mtime) && same_time(st.st_ctim, op->ctime))))
    return;
  op->stat_ok = exists;
  op->have = false;
  sodium_memzero(op->hash, sizeof op->hash);
  if (!exists) {
    pp_log_info("api", "no operator token (pipit admin operator token makes one)");
    return;
  }
  op->dev = st.st_dev;
  op->ino = st.st_ino;
  op->size = st.st_size;
  op->mtime = st.st_mtim;
  op->ctime = st.st_ctim;
  char hex[HASH_HEX + 2];
  ssize_t n = -1;
  int fd = open(op->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    n = read(fd, hex, sizeof hex);
    close(fd);
  }
  size_t got = 0;
  if (n >= HASH_HEX && (n == HASH_HEX || hex[HASH_HEX] == '\n') &&
      sodium_hex2bin(op->hash, sizeof op->hash, hex, HASH_HEX, NULL, &got, NULL) == 0 &&
      got == sizeof op->hash) {
    op->have = true;
    pp_log_info("api", "operator token read from %s", op->path);
  } else {
    sodium_memzero(op->hash, sizeof op->hash);
    pp_log_error("api", "%s is not an operator token hash: no operator credential", op->path);
  }
}

pp_err_t pp_operator_new(const char *data_dir, pp_operator_t **out) {
  pp_operator_t *op = calloc(1, sizeof *op);
  if (!op) return PP_ERR_NOMEM;
  if (token_path(data_dir, "", op->path, sizeof op->path)) {
    free(op);
    return PP_ERR_INVALID_PARAM;
  }
  pthread_mutex_init(&op->mu, NULL);
  op->stat_ok = true; /* so that a missing file is reported once */
  pthread_mutex_lock(&op->mu);
  reload(op);
  pthread_mutex_unlock(&op->mu);
  *out = op;
  return PP_OK;
}

void pp_operator_free(pp_operator_t *op) {
  if (!op) return;
  pthread_mutex_destroy(&op->mu);
  sodium_memzero(op->hash, sizeof op->hash);
  free(op);
}

bool pp_operator_check(pp_operator_t *op, const char *token) {
  unsigned char want[32], got[32];
  bool have = false;
  if (op) {
    pthread_mutex_lock(&op->mu);
    reload(op);
    have = op->have;
    memcpy(want, op->hash, sizeof want);
    pthread_mutex_unlock(&op->mu);
  }
  if (!have) randombytes_buf(want, sizeof want); /* the same work either way */
  pp_api_key_hash(token ? token : "", got);
  bool ok = sodium_memcmp(want, got, sizeof got) == 0 && have;
  sodium_memzero(want, sizeof want);
  sodium_memzero(got, sizeof got);
  return ok;
}

pp_err_t pp_operator_token_new(const char *data_dir, char token[PP_TOKEN_SIZE]) {
  char path[1024], tmp[1100];
  if (token_path(data_dir, "", path, sizeof path) ||
      snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid()) >= (int)sizeof tmp)
    return PP_ERR_INVALID_PARAM;
  if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
    pp_log_error("admin", "cannot create %s: %s", data_dir, strerror(errno));
    return PP_ERR_IO;
  }
  char tok[PP_TOKEN_SIZE], hex[HASH_HEX + 2];
  unsigned char hash[32];
  pp_hex_random(tok, 16);
  pp_api_key_hash(tok, hash);
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  hex[HASH_HEX] = '\n';
  pp_err_t e = PP_ERR_IO;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    pp_log_error("admin", "cannot create %s: %s", tmp, strerror(errno));
  } else {
    bool ok = write(fd, hex, HASH_HEX + 1) == HASH_HEX + 1 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) == 0) {
      int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        fsync(dfd); /* the rename itself */
        close(dfd);
      }
      memcpy(token, tok, PP_TOKEN_SIZE);
      e = PP_OK;
    } else {
      pp_log_error("admin", "cannot write %s: %s", path, strerror(errno));
      unlink(tmp);
    }
  }
  sodium_memzero(tok, sizeof tok);
  sodium_memzero(hash, sizeof hash);
  return e;
}

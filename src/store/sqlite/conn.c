/* conn.c: the SQLite backend's connections: open and close, pragmas, the
 * reader pool, the crypt's key loaders and the error of a failed call. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "store/seal.h"
#include "store/sqlite/sqlite_int.h"

/* True when `rc` (a result code, primary or extended) says the disk, or the
 * database's page limit, is full: SQLITE_FULL, or an I/O error whose system
 * error is ENOSPC or EDQUOT. */
static bool disk_full(sqlite3 *db, int rc) {
  if ((rc & 0xff) == SQLITE_FULL) return true;
  if ((rc & 0xff) != SQLITE_IOERR) return false;
  int e = sqlite3_system_errno(db);
  return e == ENOSPC || e == EDQUOT;
}

/* The error for the connection's last failure: PP_ERR_STORE_FULL (not
 * logged here: the writer logs the first and the last of a run of them);
 * PP_ERR_CORRUPT for a sealed value or key that did not open (the SQL
 * functions below fail with the error's name; crypt logged it); else,
 * logged with `what`, PP_ERR_CORRUPT for a damaged file and PP_ERR_STORE
 * for the rest. */
pp_err_t sq_db_err(sqlite3 *db, const char *what) {
  if (disk_full(db, sqlite3_extended_errcode(db))) return PP_ERR_STORE_FULL;
  const char *msg = sqlite3_errmsg(db);
  if (strcmp(msg, pp_err_name(PP_ERR_CORRUPT)) == 0) return PP_ERR_CORRUPT;
  bool corrupt = (sqlite3_errcode(db) & 0xff) == SQLITE_CORRUPT;
  pp_log_error(corrupt ? "integrity" : "sqlite", "%s: %s", what, msg);
  return corrupt ? PP_ERR_CORRUPT : PP_ERR_STORE;
}

/* The connection a loader reads on: the caller's (it may be inside a
 * transaction that just made the key), else one from the pool (*pooled,
 * given back with sq_release). */
static sqlite3 *loader_db(void *be, void *conn, conn_t **pooled) {
  *pooled = conn ? NULL : sq_acquire(be);
  return conn ? conn : (*pooled)->db;
}

/* The crypt loader: the newest (generation 0) or a given wrapped DEK, read
 * on the connection that needs it (it may be inside a transaction that
 * just made the key). */
static pp_err_t load_wrapped(void *be, void *conn, const char *account, uint32_t generation,
                             unsigned char out[PP_DEK_WRAPPED_LEN], uint32_t *gen_out) {
  conn_t *pooled;
  sqlite3 *db = loader_db(be, conn, &pooled);
  sqlite3_stmt *st;
  const char *sql = generation ? "SELECT generation,wrapped FROM account_keys "
                                 "WHERE account_sid=?1 AND generation=?2"
                               : "SELECT generation,wrapped FROM account_keys "
                                 "WHERE account_sid=?1 ORDER BY generation DESC LIMIT 1";
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    if (pooled) sq_release(be, pooled);
    return PP_ERR_STORE;
  }
  sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
  if (generation) sqlite3_bind_int64(st, 2, generation);
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == PP_DEK_WRAPPED_LEN) {
    *gen_out = (uint32_t)sqlite3_column_int64(st, 0);
    memcpy(out, sqlite3_column_blob(st, 1), PP_DEK_WRAPPED_LEN);
    e = PP_OK;
  }
  sqlite3_finalize(st);
  if (pooled) sq_release(be, pooled);
  return e;
}

/* The crypt's index-key loader (and the store's named keys, such as the
 * audit log's): store_keys `name`, opened in C (store/seal.h). */
pp_err_t sq_load_index(void *be, void *conn, const char *name, char hex[65]) {
  conn_t *pooled;
  sqlite3 *db = loader_db(be, conn, &pooled);
  sqlite3_stmt *st;
  pp_err_t e = PP_ERR_STORE;
  /* Opened under the system key, whose DEK comes from account_keys
   * (load_wrapped), never from here: no recursion. */
  if (sqlite3_prepare_v2(db, "SELECT value FROM store_keys WHERE name=?1", -1, &st, NULL) ==
      SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : PP_ERR_STORE;
    pp_seal_at_t at;
    char *plain = NULL;
    size_t len = 0;
    if (rc == SQLITE_ROW && !pp_seal_at(PP_SEALED_STORE_KEYS_VALUE, NULL, name, &at) &&
        !sq_col_open(((be_t *)be)->crypt, st, 0, &at, &plain, &len) && plain && len == 64) {
      memcpy(hex, plain, 64);
      hex[64] = '\0';
      e = PP_OK;
    }
    if (plain) sodium_memzero(plain, len);
    free(plain);
    sqlite3_finalize(st);
  }
  if (pooled) sq_release(be, pooled);
  return e;
}

static pp_err_t conn_open(be_t *b, conn_t *c, const char *path) {
  memset(c, 0, sizeof *c);
  int rc = sqlite3_open_v2(path, &c->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    pp_log_error("sqlite", "open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "no memory");
    sqlite3_close(c->db);
    c->db = NULL;
    return PP_ERR_STORE;
  }
  sqlite3_busy_timeout(c->db, 10000);
  c->crypt_of = b->crypt;
  char *msg = NULL;
  rc = sqlite3_exec(c->db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                    NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    pp_log_error("sqlite", "pragmas: %s", msg ? msg : "?");
    sqlite3_free(msg);
    return PP_ERR_STORE;
  }
  return PP_OK;
}

static pp_err_t conn_prepare(conn_t *c) {
  for (int i = 0; i < S__COUNT; i++)
    if (sqlite3_prepare_v3(c->db, sq_sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL) !=
        SQLITE_OK)
      return sq_db_err(c->db, sq_sql_text[i]);
  for (int i = 0; i < SV__COUNT; i++)
    if (sqlite3_prepare_v3(c->db, sq_verify_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->sv[i],
                           NULL) != SQLITE_OK)
      return sq_db_err(c->db, sq_verify_sql[i]);
  return PP_OK;
}

static void conn_close(conn_t *c) {
  for (int i = 0; i < S__COUNT; i++) sqlite3_finalize(c->st[i]);
  for (int i = 0; i < SV__COUNT; i++) sqlite3_finalize(c->sv[i]);
  sqlite3_close(c->db);
  c->db = NULL;
}

void sq_close(void *p) {
  be_t *b = p;
  if (!b) return;
  if (b->writer.db) conn_close(&b->writer);
  for (int i = 0; i < POOL; i++)
    if (b->readers[i].db) conn_close(&b->readers[i]);
  pthread_mutex_destroy(&b->mu);
  pthread_cond_destroy(&b->cv);
  free(b);
}

/* Before SQLite starts: no global memory statistics (each of its
 * allocations would take a process-wide mutex; measured: +22 % end to end). */
static void sqlite_config_once(void) {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

pp_err_t sq_open(const char *dir, pp_crypt_t *crypt, void **out) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, sqlite_config_once);
  if (mkdir(dir, 0700) != 0) {
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      pp_log_error("sqlite", "cannot create data directory %s", dir);
      return PP_ERR_IO;
    }
  }
  char path[1024];
  if (snprintf(path, sizeof path, "%s/pipit.db", dir) >= (int)sizeof path)
    return PP_ERR_INVALID_PARAM;
  be_t *b = calloc(1, sizeof *b);
  if (!b) return PP_ERR_NOMEM;
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  b->crypt = crypt;
  pp_crypt_set_loader(crypt, load_wrapped, sq_load_index, b);
  pp_err_t e = conn_open(b, &b->writer, path);
  /* The writer keeps the pages it keeps changing (the audit log's indexes
   * take random keys) in memory: 64 MiB. */
  if (!e) sqlite3_exec(b->writer.db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
  if (!e) e = sq_migrate(b);
  if (!e) e = conn_prepare(&b->writer);
  for (int i = 0; !e && i < POOL; i++) {
    e = conn_open(b, &b->readers[i], path);
    if (!e) e = conn_prepare(&b->readers[i]);
    b->readers[i].next_free = b->free_list;
    b->free_list = &b->readers[i];
  }
  if (e) {
    sq_close(b);
    return e;
  }
  *out = b;
  return PP_OK;
}

conn_t *sq_acquire(be_t *b) {
  pthread_mutex_lock(&b->mu);
  while (!b->free_list) pthread_cond_wait(&b->cv, &b->mu);
  conn_t *c = b->free_list;
  b->free_list = c->next_free;
  pthread_mutex_unlock(&b->mu);
  return c;
}

void sq_release(be_t *b, conn_t *c) {
  pthread_mutex_lock(&b->mu);
  c->next_free = b->free_list;
  b->free_list = c;
  pthread_cond_signal(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

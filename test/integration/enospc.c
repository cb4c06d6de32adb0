/* enospc.c: a test-only LD_PRELOAD library (never linked into pipit): while
 * the file named by $PIPIT_TEST_ENOSPC exists, every write to a store file
 * (pipit.db, pipit.db-wal, pipit.db-journal) fails with ENOSPC, as on a full
 * disk; removing the file gives the space back.  SQLite's own VFS sees the
 * error, so the server runs exactly the code a real full disk would, and the
 * test needs neither root nor a loop-mounted file system. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* True when the flag file exists and `fd` is one of the store's files. */
static int full(int fd) {
  const char *flag = getenv("PIPIT_TEST_ENOSPC");
  if (!flag || !*flag || access(flag, F_OK) != 0) return 0;
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return strcmp(base, "pipit.db") == 0 || strcmp(base, "pipit.db-wal") == 0 ||
         strcmp(base, "pipit.db-journal") == 0;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  ssize_t (*real)(int, const void *, size_t, off64_t) =
      (ssize_t(*)(int, const void *, size_t, off64_t))dlsym(RTLD_NEXT, "pwrite64");
  if (full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n) {
  ssize_t (*real)(int, const void *, size_t) =
      (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (full(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, buf, n);
}

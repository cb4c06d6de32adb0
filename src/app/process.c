/* process.c: what every pipit command does before it touches a secret: no
 * core dumps, new files for its own user only, and a private data folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "core/log.h"

static struct rlimit core_limit; /* as the process started */
static bool core_limit_known;

void pp_process_harden(void) {
  umask(077);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* first: a core limit of 0 implies it */
  core_limit_known = getrlimit(RLIMIT_CORE, &core_limit) == 0;
  struct rlimit none = {0, core_limit_known ? core_limit.rlim_max : 0};
  setrlimit(RLIMIT_CORE, &none);
}

void pp_process_allow_core_dumps(void) {
  if (core_limit_known) setrlimit(RLIMIT_CORE, &core_limit);
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

void pp_process_block_stop_signals(sigset_t *stop_set) {
  sigemptyset(stop_set);
  sigaddset(stop_set, SIGINT);
  sigaddset(stop_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, stop_set, NULL);
  signal(SIGPIPE, SIG_IGN);
}

/* Takes group and other bits off the entry `name` of directory `dfd` when
 * it is a regular file or a folder; 1 when it changed it. */
static int tighten_entry(int dfd, const char *name) {
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  if (!(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) || !(st.st_mode & 077)) return 0;
  return fchmodat(dfd, name, st.st_mode & 0700, 0) == 0;
}

pp_err_t pp_data_dir_secure(const char *dir) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    pp_log_error("data", "cannot create %s: %s", dir, strerror(errno));
    return PP_ERR_IO;
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (dfd < 0 || fstat(dfd, &st) != 0) {
    pp_log_error("data", "cannot open %s: %s", dir, strerror(errno));
    if (dfd >= 0) close(dfd);
    return PP_ERR_IO;
  }
  int was = st.st_mode & 0777, files = 0;
  if ((was & 077) && fchmod(dfd, was & 0700) != 0) {
    pp_log_error("data", "cannot make %s private (mode %04o): %s", dir, was, strerror(errno));
    close(dfd);
    return PP_ERR_IO;
  }
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return PP_ERR_IO;
  }
  for (struct dirent *ent; (ent = readdir(d));)
    if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
      files += tighten_entry(dirfd(d), ent->d_name);
  closedir(d);
  if ((was & 077) || files)
    pp_log_warn("data",
                "%s was open to other users (folder mode %04o, %d entries in it): "
                "closed to all but its owner",
                dir, was, files);
  return PP_OK;
}

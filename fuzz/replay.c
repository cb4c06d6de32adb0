/* replay.c: a main() for the fuzz targets outside libFuzzer, so that the
 * normal (gcc) builds replay the committed corpora as CTest entries
 * (fuzz_replay_<target>, see fuzz/CMakeLists.txt).
 *
 * Contract:
 *  - usage: <target> PATH...  Each PATH is a regular file, run as one input,
 *    or a directory, whose regular files are run one level deep (no
 *    recursion), in name order, skipping names that begin with '.'.
 *  - LLVMFuzzerInitialize is called first when the target defines it (weak
 *    symbol), as libFuzzer does; then LLVMFuzzerTestOneInput once per input,
 *    with the file's bytes in a heap block of exactly the file's size, so
 *    ASan sees a read past the end.  Each input's name goes to stderr before
 *    it runs, so a failed check or sanitizer report names its input.
 *  - exit status: 0 when at least one input ran and every call returned 0 or
 *    -1 (libFuzzer's "reject this input"); 1 when no input was found (an
 *    empty or missing corpus must not pass as a clean replay) or a call
 *    returned another value; 2 on a usage error or a path that cannot be
 *    read.  A failed FUZZ_CHECK aborts, and ASan/UBSan stop the process
 *    under the test preset's options, so those fail the test too.
 *  - stdout gets one summary line: "<target>: N inputs from M paths".
 * Not thread-safe, not reentrant: a test driver, one process per target. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t ran;
static int bad_return;

/* Runs one file as an input.  Returns 0, or 2 when it cannot be read. */
static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 2;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fprintf(stderr, "%s: not a regular file\n", path);
    fclose(f);
    return 2;
  }
  size_t size = (size_t)st.st_size;
  uint8_t *data = malloc(size ? size : 1);
  if (!data || fread(data, 1, size, f) != size) {
    fprintf(stderr, "%s: cannot read %zu bytes\n", path, size);
    free(data);
    fclose(f);
    return 2;
  }
  fclose(f);
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
  int r = LLVMFuzzerTestOneInput(data, size);
  if (r != 0 && r != -1) {
    fprintf(stderr, "%s: LLVMFuzzerTestOneInput returned %d\n", path, r);
    bad_return = 1;
  }
  free(data);
  ran++;
  return 0;
}

static int only_visible(const struct dirent *e) {
  return e->d_name[0] != '.';
}

/* Runs the regular files of a directory in name order. */
static int run_dir(const char *dir) {
  struct dirent **names;
  int n = scandir(dir, &names, only_visible, alphasort);
  if (n < 0) {
    perror(dir);
    return 2;
  }
  int rc = 0;
  for (int i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    int len = snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    if (len < 0 || (size_t)len >= sizeof path) {
      fprintf(stderr, "%s/%s: path too long\n", dir, names[i]->d_name);
      rc = 2;
    } else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && rc == 0) {
      rc = run_file(path);
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE_OR_DIR...\n", self);
    return 2;
  }
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      perror(argv[i]);
      return 2;
    }
    int rc = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
    if (rc != 0) return rc;
  }
  printf("%s: %zu inputs from %d paths\n", self, ran, argc - 1);
  if (ran == 0) {
    fprintf(stderr, "%s: no input found, nothing replayed\n", self);
    return 1;
  }
  return bad_return;
}

/* fuzz_check.h: the invariant check shared by the fuzz targets.  A failed
 * check prints where and why, then aborts, so libFuzzer records the input as
 * a crash (crash-<sha1>) and prints the stack. */
#ifndef PP_FUZZ_CHECK_H
#define PP_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                      \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                \
      fputc('\n', stderr);                                                         \
      abort();                                                                     \
    }                                                                              \
  } while (0)

#endif

/* pp_arena_grow: room for one more element, the elements kept, the old
 * array returned while it has room. */
#include <stdint.h>

#include "check.h"
#include "core/arena.h"

int main(void) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  int *v = NULL;
  size_t cap = 0;
  for (size_t n = 0; n < 100; n++) {
    int *more = pp_arena_grow(&a, v, n, &cap, sizeof *v);
    CHECK(more != NULL);
    CHECK(n < cap);
    if (n && n < 8) CHECK(more == v); /* the first block holds 8 */
    v = more;
    v[n] = (int)n * 3;
  }
  CHECK_EQ_INT((int)cap, 128); /* 8, 16, 32, 64, 128 */
  for (int i = 0; i < 100; i++) CHECK_EQ_INT(v[i], i * 3);
  /* An element size whose doubling overflows fails, leaving cap alone. */
  size_t big = SIZE_MAX / 4;
  CHECK(pp_arena_grow(&a, v, 100, &cap, big) == NULL);
  CHECK_EQ_INT((int)cap, 128);
  pp_arena_cleanup(&a);
  /* Past the arena's cap: NULL. */
  pp_arena_init(&a, 64);
  cap = 0;
  CHECK(pp_arena_grow(&a, NULL, 0, &cap, 1024) == NULL);
  CHECK_EQ_INT((int)cap, 0);
  pp_arena_cleanup(&a);
  return 0;
}

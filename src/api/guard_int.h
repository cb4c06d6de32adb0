/* guard_int.h: the sign-in guard's pure parts, for its unit test
 * (test/unit/api/test_api_guard.c); not an interface of the API layer. */
#ifndef PP_API_GUARD_INT_H
#define PP_API_GUARD_INT_H

#include <stdint.h>

/* pp_api_guard_penalty_ms is how long a pair (or an address) is refused
 * after its `over`-th failure beyond the free ones: 1 s, doubling with each
 * further failure, at most 15 min. */
int64_t pp_api_guard_penalty_ms(uint32_t over);

#endif

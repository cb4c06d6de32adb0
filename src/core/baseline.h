/* baseline.h: a learned send rate: counts in fixed time buckets and an
 * exponentially weighted mean of the finished buckets' counts, for the
 * Verify fraud guard (docs/internals/verify.md).  Pure arithmetic. */
#ifndef PP_CORE_BASELINE_H
#define PP_CORE_BASELINE_H

#include <stdint.h>

typedef struct {
  int64_t bucket; /* the current bucket's number (time / bucket length) */
  int64_t count;  /* what was counted in it */
  double mean;    /* weighted mean of the counts of the buckets before it */
} pp_baseline_t;

/* pp_baseline_advance moves `b` on to bucket `bucket`.  When that is later
 * than b->bucket, the finished bucket's count and then one zero for each
 * bucket skipped in between are folded into the mean,
 *   mean = alpha * count + (1 - alpha) * mean,
 * and the count starts again at 0.  An earlier or equal `bucket` changes
 * nothing (a clock that stepped back does not rewind it).  `alpha` is in
 * (0, 1]. */
void pp_baseline_advance(pp_baseline_t *b, int64_t bucket, double alpha);

/* pp_baseline_limit gives how many events the current bucket may hold:
 * `multiple` times the mean, rounded up, but never fewer than `least` (the
 * floor: a prefix with no history yet, mean 0, still gets `least`).
 * Saturates at INT64_MAX. */
int64_t pp_baseline_limit(const pp_baseline_t *b, double multiple, int64_t least);

#endif

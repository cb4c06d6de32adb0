/* baseline.c: the bucketed, exponentially weighted send rate. */
#include "core/baseline.h"

/* After this many empty buckets the mean is below any useful count (0.9^512
 * is about 4e-24), so longer gaps stop there. */
#define MAX_DECAY 512

void pp_baseline_advance(pp_baseline_t *b, int64_t bucket, double alpha) {
  if (bucket <= b->bucket) return;
  b->mean = alpha * (double)b->count + (1.0 - alpha) * b->mean;
  int64_t gap = bucket - b->bucket - 1;
  for (int64_t i = 0; i < gap && i < MAX_DECAY; i++) b->mean *= 1.0 - alpha;
  if (gap >= MAX_DECAY) b->mean = 0;
  b->bucket = bucket;
  b->count = 0;
}

int64_t pp_baseline_limit(const pp_baseline_t *b, double multiple, int64_t least) {
  double want = multiple * b->mean;
  if (!(want < 9.0e18)) return INT64_MAX; /* also NaN */
  int64_t lim = (int64_t)want;
  if ((double)lim < want) lim++;
  return lim > least ? lim : least;
}

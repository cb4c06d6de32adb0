/* The fraud guard's learned baseline: folding finished buckets into the
 * weighted mean, skipped buckets, and the limit with its floor. */
#include <stdint.h>

#include "check.h"
#include "core/baseline.h"

static int near(double a, double b) {
  return a - b < 1e-9 && b - a < 1e-9;
}

int main(void) {
  /* A prefix with no history: mean 0, so the floor is the limit. */
  pp_baseline_t b = {.bucket = 100};
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 3), 3);
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 20), 20);

  /* The same or an earlier bucket changes nothing. */
  b.count = 7;
  pp_baseline_advance(&b, 100, 0.1);
  CHECK_EQ_INT(b.count, 7);
  CHECK_EQ_INT(b.bucket, 100);
  pp_baseline_advance(&b, 99, 0.1);
  CHECK_EQ_INT(b.count, 7);
  CHECK_EQ_INT(b.bucket, 100);
  CHECK(near(b.mean, 0));

  /* The next bucket folds the finished count in: 0.1 * 10 + 0.9 * 0. */
  b.count = 10;
  pp_baseline_advance(&b, 101, 0.1);
  CHECK_EQ_INT(b.bucket, 101);
  CHECK_EQ_INT(b.count, 0);
  CHECK(near(b.mean, 1.0));
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 3), 5);
  /* 0.1 * 20 + 0.9 * 1 = 2.9; 5 x 2.9 = 14.5, rounded up. */
  b.count = 20;
  pp_baseline_advance(&b, 102, 0.1);
  CHECK(near(b.mean, 2.9));
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 3), 15);
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 40), 40);

  /* Skipped buckets count as empty ones: from 10, a finished bucket of 0
   * and two skipped: 10 x 0.9^3. */
  b = (pp_baseline_t){.bucket = 5, .count = 0, .mean = 10};
  pp_baseline_advance(&b, 8, 0.1);
  CHECK(near(b.mean, 7.29));
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 1), 37); /* 36.45 rounded up */

  /* A steady rate becomes the baseline: 30 buckets of 10 from nothing
   * reach 10 x (1 - 0.9^30), about 9.58. */
  b = (pp_baseline_t){.bucket = 0};
  for (int i = 1; i <= 30; i++) {
    b.count = 10;
    pp_baseline_advance(&b, i, 0.1);
  }
  double decay = 1;
  for (int i = 0; i < 30; i++) decay *= 0.9;
  CHECK(near(b.mean, 10 * (1 - decay)));
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 20), 48);

  /* An exact product is not rounded up. */
  b = (pp_baseline_t){.mean = 2.0};
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 1), 10);

  /* A long silence forgets everything (and does not loop for ever). */
  b = (pp_baseline_t){.bucket = 1, .count = 1000, .mean = 1e6};
  pp_baseline_advance(&b, INT64_MAX / 2, 0.1);
  CHECK_EQ_INT(b.bucket, INT64_MAX / 2);
  CHECK(near(b.mean, 0));
  CHECK_EQ_INT(pp_baseline_limit(&b, 5, 3), 3);

  /* alpha 1: the mean is the last finished bucket. */
  b = (pp_baseline_t){.bucket = 1, .count = 4, .mean = 100};
  pp_baseline_advance(&b, 2, 1.0);
  CHECK(near(b.mean, 4));

  /* Limits saturate instead of overflowing. */
  b = (pp_baseline_t){.mean = 1e300};
  CHECK(pp_baseline_limit(&b, 5, 1) == INT64_MAX);
  b = (pp_baseline_t){.mean = 0.0 / 0.0};
  CHECK(pp_baseline_limit(&b, 5, 1) == INT64_MAX);
  return check_report("core_baseline");
}

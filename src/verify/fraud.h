/* fraud.h: Verify's fraud guard and rate limits as decisions over plain
 * values (docs/internals/verify.md).  A backend reads a prefix's state or
 * a key's recent hits, asks here, and writes the result, in the send's
 * transaction (so no concurrent send sees a count this one has not added
 * to).  Pure, thread-safe; no allocation. */
#ifndef PP_VERIFY_FRAUD_H
#define PP_VERIFY_FRAUD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/baseline.h"

/* One (service, destination prefix)'s state: verify_fraud_prefixes' row. */
typedef struct {
  pp_baseline_t b;       /* bucket, count, mean */
  int64_t blocked_until; /* seconds; the prefix is blocked before it */
  int64_t alerted;       /* the last bucket that raised an alert; -1: none */
} pp_fraud_state_t;

/* The service's guard: sends are counted in buckets of `bucket_s`
 * seconds (> 0) with a learned baseline of weight `alpha` (in (0, 1]); a
 * bucket may hold pp_baseline_limit(b, multiple, floor) sends; a refusal
 * that finds the prefix unblocked blocks it for `block_s` seconds.
 * `enforce` false: the guard is off (every send allowed and counted).
 * `alert`: the caller has an alert to raise on a bucket's first refusal. */
typedef struct {
  int bucket_s;
  double alpha, multiple;
  int64_t floor;
  int block_s;
  bool enforce;
  bool alert;
} pp_fraud_params_t;

/* What was decided about one send. */
typedef struct {
  bool refused;     /* the send is refused (not an error) */
  bool raise_alert; /* record the alert now (and state->alerted was set) */
} pp_fraud_decision_t;

/* pp_fraud_state_init: the state of a prefix with no row yet: the bucket
 * of `now`, count 0, mean 0, not blocked, no alert (-1). */
void pp_fraud_state_init(pp_fraud_state_t *s, int64_t now, int bucket_s);

/* pp_fraud_decide decides one send at `now` (seconds) on state `s` (as
 * read, or pp_fraud_state_init's) and updates `s` to what is written back:
 *   - the baseline moves on to the bucket of `now` (pp_baseline_advance);
 *   - with `enforce`, the send is refused when now < blocked_until, or
 *     when the bucket already holds pp_baseline_limit(...) sends;
 *   - a refusal with now >= blocked_until sets blocked_until to
 *     now + block_s; a refusal in a bucket that has not alerted yet, with
 *     p->alert, raises the alert and sets alerted to the current bucket;
 *   - an allowed send is counted (count + 1); a refused one is not.
 * The same semantics as the SQLite backend's apply_fraud. */
void pp_fraud_decide(pp_fraud_state_t *s, const pp_fraud_params_t *p, int64_t now,
                     pp_fraud_decision_t *out);

/* Rate limits: a bucket of a rate limit allows `max` hits per key in any
 * `interval` seconds.  A backend first deletes the key's hits at or
 * before pp_rate_window_start(now, interval), counts those after it, asks
 * pp_rate_refuses for each of the send's buckets; when none refuses, it
 * records one hit at `now` in each (and otherwise records none:
 * PP_ERR_VERIFY_SENDS). */

/* pp_rate_window_start: hits at or before it are out of the window. */
int64_t pp_rate_window_start(int64_t now, int interval);

/* pp_rate_refuses: whether `count` hits in the window leave no room for
 * one more (count >= max). */
bool pp_rate_refuses(int64_t count, int max);

#endif

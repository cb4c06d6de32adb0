/* Verify's fraud guard and rate-limit decisions (verify/fraud.h), against
 * values computed by hand: counting up to the floor, the refusal that
 * blocks and alerts, refusals while blocked, the baseline learned across
 * bucket boundaries, a new bucket's alert during a block, the guard off,
 * no alert to raise, a clock that stepped back; and the rate window. */
#include <math.h>

#include "check.h"
#include "verify/fraud.h"

static const pp_fraud_params_t P = {.bucket_s = 60,
                                    .alpha = 0.5,
                                    .multiple = 2.0,
                                    .floor = 3,
                                    .block_s = 300,
                                    .enforce = true,
                                    .alert = true};

static pp_fraud_decision_t send(pp_fraud_state_t *s, const pp_fraud_params_t *p, int64_t now) {
  pp_fraud_decision_t d = {.refused = true, .raise_alert = true};
  pp_fraud_decide(s, p, now, &d);
  return d;
}

static void floor_block_alert(void) {
  pp_fraud_state_t s;
  pp_fraud_state_init(&s, 1000, P.bucket_s); /* bucket 16 */
  CHECK_EQ_INT(s.b.bucket, 16);
  CHECK_EQ_INT(s.b.count, 0);
  CHECK(s.b.mean == 0.0);
  CHECK_EQ_INT(s.blocked_until, 0);
  CHECK_EQ_INT(s.alerted, -1);
  /* No history: the floor, 3 sends. */
  for (int i = 0; i < 3; i++) {
    pp_fraud_decision_t d = send(&s, &P, 1000 + i);
    CHECK(!d.refused);
    CHECK(!d.raise_alert);
    CHECK_EQ_INT(s.b.count, i + 1);
  }
  /* The fourth: refused, blocks for 300 s, alerts once for bucket 16. */
  pp_fraud_decision_t d = send(&s, &P, 1005);
  CHECK(d.refused);
  CHECK(d.raise_alert);
  CHECK_EQ_INT(s.blocked_until, 1305);
  CHECK_EQ_INT(s.alerted, 16);
  CHECK_EQ_INT(s.b.count, 3); /* a refused send is not counted */
  /* Blocked: refused, the block not extended, no second alert. */
  d = send(&s, &P, 1010);
  CHECK(d.refused);
  CHECK(!d.raise_alert);
  CHECK_EQ_INT(s.blocked_until, 1305);
  /* Bucket 18, still blocked: refused, and a new bucket alerts again. */
  d = send(&s, &P, 1100);
  CHECK(d.refused);
  CHECK(d.raise_alert);
  CHECK_EQ_INT(s.alerted, 18);
  CHECK_EQ_INT(s.blocked_until, 1305);
  /* The 3 of bucket 16 folded in, then a zero for bucket 17:
   * 0.5*3 = 1.5, then 0.75. */
  CHECK_EQ_INT(s.b.bucket, 18);
  CHECK(fabs(s.b.mean - 0.75) < 1e-12);
  /* 1305, bucket 21: unblocked; mean 0.75 * 0.5^3 = 0.09375 (bucket 18
   * held 0, then 19 and 20 skipped); limit max(ceil(0.1875), 3) = 3. */
  d = send(&s, &P, 1305);
  CHECK(!d.refused);
  CHECK(!d.raise_alert);
  CHECK_EQ_INT(s.b.bucket, 21);
  CHECK(fabs(s.b.mean - 0.09375) < 1e-12);
  CHECK_EQ_INT(s.b.count, 1);
  CHECK_EQ_INT(s.blocked_until, 1305);
}

static void learned_limit(void) {
  /* Bucket 100 holds 30 over a mean of 10. */
  pp_fraud_state_t s = {.b = {.bucket = 100, .count = 30, .mean = 10.0}, .alerted = -1};
  /* Within bucket 100: limit ceil(2*10) = 20, 30 >= 20: refused. */
  pp_fraud_state_t t = s;
  pp_fraud_decision_t d = send(&t, &P, 100 * 60 + 59);
  CHECK(d.refused);
  CHECK(d.raise_alert);
  CHECK_EQ_INT(t.blocked_until, 100 * 60 + 59 + 300);
  /* Bucket 101: mean 0.5*30 + 0.5*10 = 20, limit 40; allowed. */
  d = send(&s, &P, 101 * 60);
  CHECK(!d.refused);
  CHECK(fabs(s.b.mean - 20.0) < 1e-12);
  CHECK_EQ_INT(s.b.count, 1);
  /* 39 more are allowed (count 40), the 41st is refused. */
  for (int i = 0; i < 39; i++) CHECK(!send(&s, &P, 101 * 60 + 1).refused);
  CHECK_EQ_INT(s.b.count, 40);
  d = send(&s, &P, 101 * 60 + 2);
  CHECK(d.refused);
  CHECK_EQ_INT(s.b.count, 40);
  /* A limit rounds up: mean 1.25 * 2 = 2.5 -> 3 with floor 1. */
  pp_fraud_params_t p = P;
  p.floor = 1;
  pp_fraud_state_t u = {.b = {.bucket = 5, .count = 2, .mean = 1.25}, .alerted = -1};
  CHECK(!send(&u, &p, 5 * 60).refused);
  CHECK(send(&u, &p, 5 * 60).refused);
}

static void guard_off_and_no_alert(void) {
  /* Not enforced: allowed and counted even when blocked and over. */
  pp_fraud_params_t off = P;
  off.enforce = false;
  pp_fraud_state_t s = {.b = {.bucket = 16, .count = 50}, .blocked_until = 5000, .alerted = -1};
  pp_fraud_decision_t d = send(&s, &off, 1000);
  CHECK(!d.refused);
  CHECK(!d.raise_alert);
  CHECK_EQ_INT(s.b.count, 51);
  CHECK_EQ_INT(s.blocked_until, 5000);
  CHECK_EQ_INT(s.alerted, -1);
  /* No alert to raise: refused and blocked, nothing raised. */
  pp_fraud_params_t quiet = P;
  quiet.alert = false;
  pp_fraud_state_t q = {.b = {.bucket = 16, .count = 3}, .alerted = -1};
  d = send(&q, &quiet, 1000);
  CHECK(d.refused);
  CHECK(!d.raise_alert);
  CHECK_EQ_INT(q.alerted, -1);
  CHECK_EQ_INT(q.blocked_until, 1300);
}

static void clock_back(void) {
  /* The state is in bucket 20 (alerted there); now is in bucket 19: the
   * baseline stays, the refusal alerts for bucket 19 as apply_fraud did. */
  pp_fraud_state_t s = {.b = {.bucket = 20, .count = 3, .mean = 0}, .alerted = 20};
  pp_fraud_decision_t d = send(&s, &P, 19 * 60);
  CHECK(d.refused);
  CHECK(d.raise_alert);
  CHECK_EQ_INT(s.b.bucket, 20);
  CHECK_EQ_INT(s.b.count, 3);
  CHECK_EQ_INT(s.alerted, 19);
  CHECK_EQ_INT(s.blocked_until, 19 * 60 + 300);
}

static void rate(void) {
  CHECK_EQ_INT(pp_rate_window_start(1000, 60), 940);
  CHECK_EQ_INT(pp_rate_window_start(10, 60), -50);
  CHECK(!pp_rate_refuses(0, 1));
  CHECK(pp_rate_refuses(1, 1));
  CHECK(!pp_rate_refuses(4, 5));
  CHECK(pp_rate_refuses(5, 5));
  CHECK(pp_rate_refuses(6, 5));
  CHECK(pp_rate_refuses(0, 0));
}

int main(void) {
  floor_block_alert();
  learned_limit();
  guard_off_and_no_alert();
  clock_back();
  rate();
  return check_report("verify_fraud");
}

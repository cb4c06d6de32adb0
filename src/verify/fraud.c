/* fraud.c: Verify's fraud guard and rate-limit decisions (fraud.h). */
#include "verify/fraud.h"

void pp_fraud_state_init(pp_fraud_state_t *s, int64_t now, int bucket_s) {
  *s = (pp_fraud_state_t){.b = {.bucket = now / bucket_s}, .blocked_until = 0, .alerted = -1};
}

void pp_fraud_decide(pp_fraud_state_t *s, const pp_fraud_params_t *p, int64_t now,
                     pp_fraud_decision_t *out) {
  int64_t bucket = now / p->bucket_s;
  pp_baseline_advance(&s->b, bucket, p->alpha);
  out->refused = p->enforce && (now < s->blocked_until ||
                                s->b.count >= pp_baseline_limit(&s->b, p->multiple, p->floor));
  out->raise_alert = false;
  if (!out->refused) {
    s->b.count++;
    return;
  }
  if (now >= s->blocked_until) s->blocked_until = now + p->block_s;
  if (s->alerted != bucket && p->alert) {
    out->raise_alert = true;
    s->alerted = bucket;
  }
}

int64_t pp_rate_window_start(int64_t now, int interval) {
  return now - interval;
}

bool pp_rate_refuses(int64_t count, int max) {
  return count >= max;
}

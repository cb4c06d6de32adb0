/* verify_sweep.h: the end of DESIGN.md rule 5's waiting periods.  Once a
 * second a thread makes each new factor whose waiting period is over
 * (nobody approved or canceled it) verified, queueing factor.verified on
 * the webhook queue and recording verify.factor_verified (principal kind
 * "system") in the same transaction (store.h, PP_W_FACTOR_DUE and
 * PP_W_FACTOR_ACTIVATE).  The webhook dispatcher delivers the event. */
#ifndef PP_ENGINE_VERIFY_SWEEP_H
#define PP_ENGINE_VERIFY_SWEEP_H

#include "core/err.h"
#include "store/store.h"

typedef struct pp_sweep pp_sweep_t;

/* pp_sweep_start starts the thread over `store` (borrowed; it must
 * outlive the sweep).  Errors: PP_ERR_NOMEM, PP_ERR_INTERNAL (no thread). */
pp_err_t pp_sweep_start(pp_store_t *store, pp_sweep_t **out);

/* pp_sweep_stop stops and joins the thread and frees it; NULL is a
 * no-op.  A sweep under way finishes first. */
void pp_sweep_stop(pp_sweep_t *v);

#endif

/* verify_events.h: delivery of Verify's webhook events, and the end of
 * DESIGN.md rule 5's waiting periods.  The store queues an event for each
 * subscribed webhook in the transaction of the change it reports (store.h,
 * pp_factor_attempt_t); this loop claims due events,
 * posts each as a form, signed as Twilio signs (X-Twilio-Signature with the
 * account's auth token), and removes it once answered 2xx, or retries with
 * exponential backoff for up to a day, then drops it with a warning.
 * Nothing is lost across a restart: an event leaves the queue only once
 * its outcome is committed.  Once a second the same thread makes each new
 * factor whose waiting period is over (nobody approved or canceled it)
 * verified, queueing factor.verified and recording verify.factor_verified
 * (principal kind "system") in the same transaction. */
#ifndef PP_ENGINE_VERIFY_EVENTS_H
#define PP_ENGINE_VERIFY_EVENTS_H

#include "core/err.h"
#include "store/store.h"

typedef struct pp_verify_events pp_verify_events_t;

typedef struct {
  pp_store_t *store;
  unsigned poll_ms;    /* look for due events this often when idle: 200 */
  unsigned timeout_ms; /* per request: 15000 */
  unsigned max_age_s;  /* retry for this long after the event: 86400 */
  const char *allow;   /* private addresses allowed anyway, as pp_hooks_opts_t.allow */
} pp_verify_events_opts_t;

/* pp_verify_events_start starts the delivery thread.  Errors: PP_ERR_NOMEM,
 * PP_ERR_INTERNAL (libcurl or the thread).  Stop with pp_verify_events_stop. */
pp_err_t pp_verify_events_start(const pp_verify_events_opts_t *opts, pp_verify_events_t **out);

/* pp_verify_events_stop stops the thread after the request in flight (its
 * event's lease runs out and it is posted again later) and frees it.  NULL
 * is a no-op.  Call it before closing the store. */
void pp_verify_events_stop(pp_verify_events_t *v);

/* pp_verify_event_signature writes Twilio's X-Twilio-Signature of a form
 * POST of `body` (form-encoded) to `url` under `auth_token`: base64 of
 * HMAC-SHA1 over the URL followed by each parameter's name and value,
 * sorted by name.  `out` holds at least 29 bytes.  Errors: PP_ERR_NOMEM,
 * PP_ERR_INTERNAL. */
pp_err_t pp_verify_event_signature(const char *auth_token, const char *url, const char *body,
                                   char out[29]);

#endif

/* webhooks.h: the webhook dispatcher.  It claims due requests from the
 * store's webhook queue (filled in the transaction of each change they
 * report, see store.h pp_hook_t), sends them with libcurl's multi
 * interface, signed as Twilio signs them, and records what came of each:
 * answered (an inbound request's TwiML reply queues its <Message>s and
 * <Redirect> in the same transaction that removes the request), retried
 * with exponential backoff and jitter (connection errors, timeouts, 429,
 * 5xx), or given up with an alert (other answers, an address that is not
 * allowed, or the retry period ran out).  Nothing is lost across a
 * restart: a request leaves the queue only once its outcome is committed;
 * one that was in flight is claimed again when its lease runs out. */
#ifndef PP_ENGINE_WEBHOOKS_H
#define PP_ENGINE_WEBHOOKS_H

#include "core/err.h"
#include "store/store.h"

typedef struct pp_webhooks pp_webhooks_t;

typedef struct {
  pp_store_t *store;
  const char *allow;       /* "CIDR[,CIDR...]": private addresses allowed anyway; NULL none */
  unsigned timeout_ms;     /* per request, as Twilio: 15000 */
  unsigned max_age_s;      /* retry for this long after the change: 86400 */
  unsigned backoff_ms;     /* first retry after about this: 1000 (doubling, +-25% jitter) */
  unsigned backoff_max_ms; /* at most: 600000 */
  unsigned per_host;       /* concurrent requests per host: 8 */
  unsigned concurrency;    /* requests in flight in all: 64 */
  unsigned poll_ms;        /* look for due requests this often when idle: 50 */
  unsigned lease_s;        /* a claim lasts this long: 60 */
} pp_webhooks_opts_t;

/* pp_webhooks_start starts the dispatcher thread.  Errors: PP_ERR_INVALID_PARAM
 * (a malformed allow list), PP_ERR_NOMEM, PP_ERR_INTERNAL (libcurl or the
 * thread).  On success *out owns everything; stop with pp_webhooks_stop. */
pp_err_t pp_webhooks_start(const pp_webhooks_opts_t *opts, pp_webhooks_t **out);

/* pp_webhooks_stop stops claiming, abandons the requests in flight (their
 * leases run out and they are sent again later: receivers de-duplicate by
 * I-Twilio-Idempotency-Token), waits for the store writes it queued and
 * frees the dispatcher.  NULL is a no-op.  Call it before closing the store. */
void pp_webhooks_stop(pp_webhooks_t *h);

#endif

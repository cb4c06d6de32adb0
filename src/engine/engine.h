/* engine.h: the delivery engine: claims queued messages from the store,
 * routes them by destination prefix to a carrier's channel (SMPP binds
 * today; channel/channel.h), records submit results, delivery receipts and
 * inbound messages.  Every status change is committed before it is
 * acknowledged to anyone (a receipt's answer to its peer goes out after
 * the commit). */
#ifndef PP_ENGINE_ENGINE_H
#define PP_ENGINE_ENGINE_H

#include "channel/channel.h"
#include "core/err.h"
#include "store/store.h"

typedef struct pp_engine pp_engine_t;

typedef struct {
  pp_store_t *store;
  unsigned poll_ms;         /* look for due messages this often when idle: 20 */
  unsigned refresh_ms;      /* reread carriers and routes: 2000 */
  unsigned lease_s;         /* a claim lasts this long before another may take it: 120 */
  unsigned enquire_link_ms; /* passed to every bind: 30000 */
  /* Receipts that come before their submit is recorded wait this long, and
   * at most this many are kept (pp_receipt_t): 3600 s, 10,000. */
  unsigned early_receipt_ttl_s, early_receipts_max;
  /* Tests: every carrier through this channel instead of the kind it
   * names.  NULL: by kind (pp_channel_find).  Static storage. */
  const pp_channel_ops_t *channel;
} pp_engine_opts_t;

/* pp_engine_start starts the engine thread (and, from the store's carriers,
 * their channels).  On success *out owns them; stop with pp_engine_stop.
 * Errors: PP_ERR_NOMEM, PP_ERR_INTERNAL (thread). */
pp_err_t pp_engine_start(const pp_engine_opts_t *opts, pp_engine_t **out);

/* pp_engine_stop stops claiming, stops every channel (their unanswered
 * submits go back to the queue), waits for the store writes it queued, and
 * frees the engine.  NULL is a no-op.  Call it before closing the store. */
void pp_engine_stop(pp_engine_t *e);

/* pp_engine_carrier_links tells how many of carrier `name`'s links (SMPP
 * binds) are up now, as its channel reports them; -1 when the engine runs
 * no carrier of that name (not read yet, or removed).  Any thread. */
int pp_engine_carrier_links(pp_engine_t *e, const char *name);

#endif

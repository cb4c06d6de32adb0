/* channel.h: the one interface between the delivery engine and a channel
 * (SMPP today; e-mail, WhatsApp and voice later).  A channel instance
 * carries one carrier's traffic: it takes outbound messages, reports each
 * part's result, hands the engine receipts and inbound messages, and says
 * when its links go up or down.  The engine routes, claims, retries and
 * records; everything about the wire (encoding, segmentation, PDUs) stays
 * behind these operations (src/channel/<kind>/).
 *
 * Threads.  start, submit, query and stop are called from one thread at a
 * time (the engine's).  Every callback runs on a thread of the channel,
 * never while the channel holds a lock; a callback must not call stop.
 * pp_channel_ack may be called from any thread.
 *
 * Memory.  The channel copies what it keeps from the configuration and the
 * message.  Pointers given to a callback are valid only during the call,
 * except pp_channel_inbound_t's `text`, which the callback takes. */
#ifndef PP_CHANNEL_CHANNEL_H
#define PP_CHANNEL_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef struct pp_channel pp_channel_t;
typedef struct pp_channel_ops pp_channel_ops_t;

/* An instance; an implementation's own struct begins with it. */
struct pp_channel {
  const pp_channel_ops_t *ops;
  /* Messages the engine may have waiting for results on this channel while
   * it is up (its claims are sized by it).  Set by start; constant. */
  int window;
};

/* What start is given.  Everything is copied. */
typedef struct {
  const pp_carrier_t *carrier; /* its name (for logs) and settings */
  unsigned keepalive_ms;       /* a link's keep-alive (SMPP enquire_link): 0 = 30000 */
} pp_channel_config_t;

/* An outbound message.  `to` and `from` are E.164 ("+15551234567") or, for
 * `from`, an alphanumeric sender ID; `body` is UTF-8. */
typedef struct {
  int64_t seq; /* the message's identity: every result names it */
  const char *to, *from, *body;
  void *arg; /* the submitter's, given back to on_parts */
} pp_channel_msg_t;

typedef enum {
  PP_CHANNEL_SENT = 0, /* the peer took the part; `id` names it */
  PP_CHANNEL_RETRY,    /* it may not have: try the message again later */
  PP_CHANNEL_FAILED    /* refused for good */
} pp_channel_outcome_t;

/* The result of one part of a submitted message. */
typedef struct {
  int64_t seq; /* the message's pp_channel_msg_t.seq */
  int part;    /* 0-based, below the count given to on_parts */
  pp_channel_outcome_t outcome;
  int code;       /* not SENT: the Twilio error code if the message fails (30008, 30005, ...) */
  const char *id; /* SENT: the peer's id for the part (receipts name it); else "" */
} pp_channel_result_t;

/* A final delivery receipt for a part the peer knows as `id`. */
typedef struct {
  const char *id;
  pp_dlr_state_t state; /* DELIVERED, UNDELIVERABLE, REJECTED, EXPIRED or DELETED */
  int code;             /* 0 when delivered, else the Twilio error code (30003, 30007, 30008) */
  bool queried;         /* learnt through query: nobody waits for an answer */
} pp_channel_receipt_t;

/* A message from a handset.  A part of a concatenated message has
 * total 2..16 and part 1..total under reference `ref`; else total is 0. */
typedef struct {
  const char *from, *to; /* E.164 where the peer gave digits */
  char *text;            /* UTF-8, malloc'd: the callback takes it (frees it) */
  int ref, total, part;
} pp_channel_inbound_t;

/* The right to answer a receipt or inbound message later: a plain value
 * to copy (the pointer a callback gets is valid only during the call). */
typedef struct {
  pp_channel_t *ch;
  uint64_t opaque[4]; /* the channel's */
} pp_channel_ack_t;

/* Callbacks, each with `arg`, on a thread of the channel. */
typedef struct {
  /* Engine thread, inside submit, exactly once per message submit takes,
   * before its first part goes out: `m` (submit's) goes as `nparts` parts
   * (1..64).  An error sends nothing, and submit returns it. */
  pp_err_t (*on_parts)(void *arg, const pp_channel_msg_t *m, size_t nparts);
  /* Each part's result, exactly once per part (perhaps before submit
   * returns), at the latest before stop returns. */
  void (*on_result)(void *arg, const pp_channel_result_t *r);
  /* A receipt or inbound message to record.  With `ack` the callback
   * answers exactly once through pp_channel_ack (now or later, from any
   * thread; stop waits for it) and its return value is ignored.  Without
   * (r->queried, or the channel has no more answers to owe) it records
   * before returning and returns the outcome; a queried receipt may be
   * recorded later, as nobody waits for it.  Returns PP_OK when recorded or
   * when there was nothing to record; PP_ERR_STORE_FULL or PP_ERR_CLOSED
   * to have it delivered again later; another error when it failed. */
  pp_err_t (*on_receipt)(void *arg, const pp_channel_receipt_t *r, const pp_channel_ack_t *ack);
  /* The same for a handset message (never queried); it takes m->text
   * whatever it returns. */
  pp_err_t (*on_inbound)(void *arg, pp_channel_inbound_t *m, const pp_channel_ack_t *ack);
  /* A link went up (true) or down (false), in order for each link,
   * perhaps before start returns; the channel is usable while more went
   * up than down. */
  void (*on_health)(void *arg, bool up);
  void *arg;
} pp_channel_callbacks_t;

struct pp_channel_ops {
  const char *kind; /* what a carrier names: "smpp" */
  /* Starts the instance for `cfg` (its links connect in the background)
   * and returns it in *out; the callbacks are copied.  Errors: PP_ERR_NOMEM,
   * PP_ERR_INVALID_PARAM (settings the channel cannot use); then nothing
   * was started, no callback is called and *out is not written.  The
   * caller releases the instance with stop. */
  pp_err_t (*start)(const pp_channel_config_t *cfg, const pp_channel_callbacks_t *cb,
                    pp_channel_t **out);
  /* Encodes `m` and sends it.  PP_OK: on_parts was called and each part's
   * result will come.  PP_ERR_BAD_REQUEST: it cannot be encoded (nothing is
   * called; the message fails).  Or on_parts' error. */
  pp_err_t (*submit)(pp_channel_t *ch, const pp_channel_msg_t *m);
  /* Asks the peer about the part it knows as `id`, sent from `from`; a
   * final state comes back through on_receipt (queried), anything else is
   * dropped.  PP_ERR_AGAIN / PP_ERR_NOMEM: ask again later; PP_ERR_CLOSED or
   * another error: it cannot be asked (the channel does not query). */
  pp_err_t (*query)(pp_channel_t *ch, const char *id, const char *from);
  /* Answers a deferred receipt or inbound message with its outcome (as
   * on_receipt returns it).  Any thread. */
  void (*ack)(const pp_channel_ack_t *ack, pp_err_t result);
  /* Stops the links, reports every part still waiting (RETRY), waits for
   * every deferred answer, and frees the instance.  NULL is a no-op. */
  void (*stop)(pp_channel_t *ch);
  /* Whether an instance started for carrier `a` may carry on for `b` (the
   * same carrier read again, of this kind): true when every setting this
   * kind uses is the same in both; false makes the engine stop it and
   * start one for `b`.  Reads only the two carriers; any thread. */
  bool (*same_config)(const pp_carrier_t *a, const pp_carrier_t *b);
};

/* pp_channel_find returns the operations of channel kind `kind` ("smpp"),
 * or NULL when there is none.  Static storage. */
const pp_channel_ops_t *pp_channel_find(const char *kind);

/* pp_channel_kind_at names the i-th channel kind there is (0: "smpp", the
 * default), NULL past the last: for listing them.  Static storage. */
const char *pp_channel_kind_at(size_t i);

/* pp_channel_kind names the channel carrier `c` goes through: a route names
 * a carrier, and the carrier its channel (its `channel`, which the store
 * keeps; "smpp" when empty).  This is the one place that reads it. */
const char *pp_channel_kind(const pp_carrier_t *c);

/* pp_channel_ack answers a deferred receipt or inbound message (see
 * on_receipt): ack->ch->ops->ack.  Any thread; exactly once per ack. */
void pp_channel_ack(const pp_channel_ack_t *ack, pp_err_t result);

#endif

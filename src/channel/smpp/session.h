/* session.h: an SMPP 3.4 ESME session: one thread with its own epoll loop
 * that keeps a bind to an SMSC (one bind_transceiver, or a bind_transmitter
 * and a bind_receiver on two connections), sends submit_sm through a window
 * of outstanding requests, answers deliver_sm / data_sm through a callback,
 * keeps the link alive with enquire_link and reconnects with backoff.
 *
 * Threads.  pp_smpp_session_submit, pp_smpp_session_deliver_resp and
 * pp_smpp_session_stats may be called from any thread.  Every callback runs
 * on the session thread, never while a lock of the session is held; a
 * callback may call pp_smpp_session_submit (it gets PP_ERR_AGAIN rather than
 * blocking when the queue is full) or pp_smpp_session_deliver_resp but must
 * not call pp_smpp_session_stop.
 *
 * Submits.  Every submit accepted by pp_smpp_session_submit (it returned
 * PP_OK) is reported to on_submit_resp exactly once, at the latest before
 * pp_smpp_session_stop returns.  A submit that failed in
 * pp_smpp_session_submit is never reported.  The status reported is the
 * SMSC's command_status, or one of the PP_SMPP_STATUS_* values below, which
 * lie outside the range SMPP uses.  ESME_RTHROTTLED and ESME_RMSGQFUL are not
 * reported: the session pauses sending (a pause that doubles on each
 * throttling episode and halves on each accepted submit) and sends the same
 * submit again with a new sequence number.
 *
 * Inbound.  on_deliver answers a deliver_sm / data_sm at once (its return
 * value) or defers the answer (PP_SMPP_DELIVER_DEFER) and gives it later,
 * from any thread, with pp_smpp_session_deliver_resp; the session thread
 * writes it.  An answer whose connection is gone by then is dropped (the
 * SMSC delivers again).  Every deferred deliver must be answered exactly
 * once: pp_smpp_session_stop waits for the deferred answers outstanding.
 *
 * Memory.  The session copies everything it keeps: the strings of the
 * options and the encoded bytes of each submit.  Pointers passed to a
 * callback (the PDU, the message id) are valid only during the call. */
#ifndef PP_CHANNEL_SMPP_SESSION_H
#define PP_CHANNEL_SMPP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "channel/smpp/smpp_pdu.h"
#include "core/err.h"

/* Statuses reported to on_submit_resp that no SMSC sends. */
/* The connection was lost, or the session stopped, while the submit was
 * outstanding: the SMSC may or may not have taken it (resubmitting may
 * duplicate it). */
#define PP_SMPP_STATUS_NO_ANSWER 0xFFFF0001u
/* No response within resp_timeout_ms; the connection stayed up and a late
 * response is ignored.  The SMSC may or may not have taken it. */
#define PP_SMPP_STATUS_TIMEOUT 0xFFFF0002u
/* The session stopped before the SMSC took the submit (it was queued, or
 * answered only with ESME_RTHROTTLED / ESME_RMSGQFUL): resubmitting cannot
 * duplicate it. */
#define PP_SMPP_STATUS_NOT_SENT 0xFFFF0003u
/* The SMSC answered ESME_ROK in a submit_sm_resp that did not decode, so
 * the message id is unknown; the SMSC has the message. */
#define PP_SMPP_STATUS_BAD_RESP 0xFFFF0004u
/* For on_bind_error: the TCP connection could not be made (refused, timed
 * out, or closed before the bind was answered). */
#define PP_SMPP_STATUS_CONNECT_FAILED 0xFFFF0005u
/* Returned by on_deliver: "I will answer later with
 * pp_smpp_session_deliver_resp".  Not a status any PDU carries. */
#define PP_SMPP_DELIVER_DEFER 0xFFFF0100u

/* pp_smpp_session_status_name names a status for logs: the SMPP name
 * ("ESME_RTHROTTLED"), "NO_ANSWER", "TIMEOUT", "NOT_SENT", "BAD_RESP",
 * "CONNECT_FAILED", "DELIVER_DEFER", or "" for an unknown value.  Never
 * NULL. */
const char *pp_smpp_session_status_name(uint32_t status);

typedef struct pp_smpp_session pp_smpp_session_t;

/* What a deferred answer needs: the session, the request's command and
 * sequence number, and the connection it came on.  A plain value: copy it
 * (the pointer on_deliver gets is valid only during the call). */
typedef struct {
  pp_smpp_session_t *session;
  uint32_t command_id;      /* PP_SMPP_DELIVER_SM or PP_SMPP_DATA_SM */
  uint32_t sequence_number; /* of the request */
  uint32_t conn_gen;        /* the connection (never reused by the session) */
  uint32_t conn;            /* index of the connection in the session */
} pp_smpp_deliver_ctx_t;

typedef enum {
  PP_SMPP_BIND_TRX = 0, /* one connection, bind_transceiver */
  PP_SMPP_BIND_TX_RX    /* bind_transmitter + bind_receiver on two connections */
} pp_smpp_bind_mode_t;

/* on_submit_resp: the outcome of one submit.  `message_id` is the SMSC's id
 * when command_status is ESME_ROK, "" otherwise; never NULL. */
typedef void (*pp_smpp_submit_resp_fn)(void *arg, uint64_t tag, uint32_t command_status,
                                       const char *message_id);
/* on_deliver: a deliver_sm or data_sm from the SMSC (a receipt when
 * (esm_class & PP_SMPP_ESM_TYPE_MASK) == PP_SMPP_ESM_RECEIPT, else an MO).
 * Returns the command_status to answer with: ESME_ROK only once the message
 * is committed; ESME_RX_T_APPN makes the SMSC deliver it again later.  It
 * may block briefly (the session sends nothing meanwhile).
 *
 * Or it returns PP_SMPP_DELIVER_DEFER and answers later (once the message
 * is committed, say) with pp_smpp_session_deliver_resp(ctx-copy, status),
 * exactly once, from any thread (even before on_deliver returns).  `ctx` is
 * NULL when deliver_defer_max answers are already outstanding: then the
 * callback must answer now (PP_SMPP_DELIVER_DEFER is taken as
 * ESME_RX_T_APPN). */
typedef uint32_t (*pp_smpp_deliver_fn)(void *arg, const pp_smpp_pdu_t *pdu,
                                       const pp_smpp_deliver_ctx_t *ctx);
/* on_query_resp: the outcome of a query_sm given to pp_smpp_session_submit:
 * the SMSC's command_status or a PP_SMPP_STATUS_* value, as for a submit,
 * and with ESME_ROK the message_state of the query_sm_resp (1..8). */
typedef void (*pp_smpp_query_resp_fn)(void *arg, uint64_t tag, uint32_t command_status,
                                      uint8_t message_state);
/* on_state: the session became bound (every connection of the mode bound)
 * or stopped being bound. */
typedef void (*pp_smpp_state_fn)(void *arg, bool bound);
/* on_bind_error: a bind attempt failed: the bind_resp's command_status
 * (ESME_RINVPASWD, ...), PP_SMPP_STATUS_TIMEOUT when the bind_resp did not
 * come within resp_timeout_ms, or PP_SMPP_STATUS_CONNECT_FAILED.  The session
 * retries after a backoff. */
typedef void (*pp_smpp_bind_error_fn)(void *arg, uint32_t command_status);

/* Options.  Zero means the default shown. */
typedef struct {
  const char *name; /* for logs (at most 31 characters); default the system_id */
  const char *host; /* required: an address or name (the first address is used) */
  uint16_t port;    /* required */
  pp_smpp_bind_mode_t bind_mode;
  const char *system_id;     /* required, at most 15 characters */
  const char *password;      /* at most 8 characters; never logged */
  const char *system_type;   /* at most 12 characters; default "" */
  const char *address_range; /* at most 40 characters; default "" */
  uint8_t addr_ton, addr_npi;
  uint8_t interface_version;     /* 0x34 */
  unsigned window;               /* outstanding submit_sm: 50 (at most 65535) */
  unsigned queue_cap;            /* submits waiting to be sent: 1024 */
  unsigned tps;                  /* submits per second: 0 = no cap */
  unsigned tps_burst;            /* token bucket size: max(1, tps / 50) */
  unsigned enquire_link_ms;      /* enquire_link after this long without input: 30000 */
  unsigned resp_timeout_ms;      /* any request unanswered this long: 30000 */
  unsigned connect_timeout_ms;   /* TCP connect: 10000 */
  unsigned reconnect_min_ms;     /* first reconnect backoff ceiling: 100 */
  unsigned reconnect_max_ms;     /* backoff cap: 30000 */
  unsigned throttle_min_ms;      /* first pause after ESME_RTHROTTLED: 100 */
  unsigned throttle_max_ms;      /* longest pause: 10000 */
  unsigned throttle_retries_max; /* resends of one submit before its throttle
                                    status is reported: 0 = no limit */
  unsigned stop_timeout_ms;      /* stop: wait for answers and unbind_resp: 2000 */
  unsigned deliver_defer_max;    /* deferred deliver answers outstanding: 10000 */

  /* Callbacks, all on the session thread with `arg`.  on_submit_resp is
   * required; on_deliver NULL answers every deliver_sm ESME_RX_T_APPN; the
   * others may be NULL. */
  pp_smpp_submit_resp_fn on_submit_resp;
  pp_smpp_query_resp_fn on_query_resp; /* NULL: query_sm is refused */
  pp_smpp_deliver_fn on_deliver;
  pp_smpp_state_fn on_state;
  pp_smpp_bind_error_fn on_bind_error;
  void *arg;
} pp_smpp_session_opts_t;

/* Counters since start (a snapshot; each field is read atomically). */
typedef struct {
  uint64_t connects;             /* TCP connections made */
  uint64_t binds;                /* times the session became bound */
  uint64_t bind_failures;        /* bind attempts that failed (as on_bind_error) */
  uint64_t disconnects;          /* bound or binding sessions lost */
  uint64_t submits_sent;         /* submit_sm PDUs written, resends included */
  uint64_t submits_ok;           /* reported ESME_ROK */
  uint64_t submits_failed;       /* reported with another SMSC status */
  uint64_t throttled;            /* ESME_RTHROTTLED / ESME_RMSGQFUL answers */
  uint64_t timeouts;             /* reported PP_SMPP_STATUS_TIMEOUT */
  uint64_t no_answer;            /* reported PP_SMPP_STATUS_NO_ANSWER */
  uint64_t not_sent;             /* reported PP_SMPP_STATUS_NOT_SENT */
  uint64_t enquire_sent;         /* enquire_link sent */
  uint64_t enquire_answered;     /* enquire_link_resp received */
  uint64_t enquire_received;     /* enquire_link from the peer (answered) */
  uint64_t delivers;             /* deliver_sm and data_sm received */
  uint64_t delivers_deferred;    /* of those, answered through deliver_resp */
  uint64_t deferred_dropped;     /* deferred answers whose connection was gone */
  uint64_t nacks_sent;           /* generic_nack or error _resp to a bad PDU */
  uint64_t reconnect_ceiling_ms; /* the ceiling of the last reconnect delay */
  uint64_t throttle_pause_ms;    /* the current throttling pause (0: none) */
  uint64_t bound;                /* 1 while bound */
} pp_smpp_session_stats_t;

/* pp_smpp_session_start copies `opts`, starts the session thread and
 * returns the session in *out; the thread connects at once.  Returns PP_OK;
 * PP_ERR_INVALID_PARAM for a missing host, port, system_id or
 * on_submit_resp, a string over its limit, or a window over 65535;
 * PP_ERR_NOMEM; PP_ERR_IO when the thread, epoll or eventfd cannot be
 * created.  *out is written only on success; the caller releases the
 * session with pp_smpp_session_stop. */
pp_err_t pp_smpp_session_start(const pp_smpp_session_opts_t *opts, pp_smpp_session_t **out);

/* pp_smpp_session_submit queues `submit_sm` (a PDU with command_id
 * PP_SMPP_SUBMIT_SM; its sequence_number is ignored) to be sent when the
 * session is bound, the window has room and the throughput cap allows.  It
 * encodes the PDU at once and keeps only the bytes; the caller keeps
 * ownership of `submit_sm`.  `tag` comes back in on_submit_resp.  Returns
 * PP_OK (on_submit_resp will be called exactly once for it);
 * PP_ERR_AGAIN when the queue is full (back off and call again);
 * PP_ERR_CLOSED once pp_smpp_session_stop has begun.  A query_sm goes the
 * same way (window, throughput cap, timeout) when on_query_resp is set,
 * and is reported there instead.  PP_ERR_INVALID_PARAM for another command
 * or a PDU that does not encode; PP_ERR_TOO_BIG for a
 * PDU over the size cap; PP_ERR_NOMEM. */
pp_err_t pp_smpp_session_submit(pp_smpp_session_t *s, const pp_smpp_pdu_t *submit_sm, uint64_t tag);

/* pp_smpp_session_deliver_resp answers a deliver_sm / data_sm whose
 * on_deliver returned PP_SMPP_DELIVER_DEFER, with `command_status`
 * (ESME_ROK once the message is committed, an error to have it delivered
 * again).  Any thread; it never blocks on the network: the answer is queued
 * and the session thread writes it on the connection the request came on,
 * or drops it if that connection has closed since (the SMSC will deliver
 * again).  Call it exactly once per deferred deliver, and before
 * pp_smpp_session_stop returns (stop waits for it). */
void pp_smpp_session_deliver_resp(const pp_smpp_deliver_ctx_t *ctx, uint32_t command_status);

/* pp_smpp_session_stats copies the counters into *out.  Any thread. */
void pp_smpp_session_stats(pp_smpp_session_t *s, pp_smpp_session_stats_t *out);

/* pp_smpp_session_stop stops sending, waits up to stop_timeout_ms for the
 * outstanding submits to be answered and for unbind_resp, closes the
 * connections, joins the thread and frees the session.  Before it returns,
 * every submit still outstanding is reported PP_SMPP_STATUS_NO_ANSWER and
 * every one still queued PP_SMPP_STATUS_NOT_SENT, and on_state(false) is
 * called if the session was bound.  Deferred deliver answers given within
 * the first half of stop_timeout_ms are written before the unbind; stop
 * then waits (without a limit) until every deferred deliver has been
 * answered, so a late pp_smpp_session_deliver_resp never meets a freed
 * session.  NULL is a no-op.  Must not be called from a callback, nor from
 * a thread whose progress a deferred answer waits for. */
void pp_smpp_session_stop(pp_smpp_session_t *s);

#endif

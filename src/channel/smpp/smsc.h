/* smsc.h: a development SMSC: a small SMPP 3.4 server for demos, tests and
 * benchmarks (`pipit smsc`).  One thread with one epoll loop serves many
 * connections.  It accepts binds with one configured system_id and password,
 * answers submit_sm with a hexadecimal message id, sends a delivery receipt
 * (deliver_sm, esm_class 0x04, Appendix B text plus receipted_message_id
 * and message_state) after a configured delay with a configured share of
 * failures, injects mobile-originated messages on request, and keeps
 * counters and the last submits for inspection.
 *
 * Receipts and MO messages go to a receiver-capable bind (receiver or
 * transceiver) of the system_id, round robin; while none is bound they wait
 * (bounded by max_pending).  A deliver_sm answered with an error is sent
 * again a second later, up to 5 times; one left unanswered on a connection
 * that closes is sent again on the next bind.
 *
 * Threads.  Every function here may be called from any thread.  Message
 * content (the decoded text of submits) is kept for pp_smsc_messages and
 * never logged. */
#ifndef PP_CHANNEL_SMPP_SMSC_H
#define PP_CHANNEL_SMPP_SMSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct {
  const char *host;          /* listen address (numeric); default "127.0.0.1" */
  uint16_t port;             /* 0: an ephemeral port (see pp_smsc_port) */
  const char *system_id;     /* required, at most 15 characters */
  const char *password;      /* at most 8 characters; default "" */
  unsigned dlr_delay_ms;     /* receipt delay after the submit; 0: at once */
  unsigned dlr_fail_percent; /* 0..100: share of receipts that say UNDELIV */
  unsigned ring_size;        /* submits kept for pp_smsc_messages: 0 = 1000 */
  unsigned max_conns;        /* 0 = 256 */
  unsigned max_pending;      /* receipts + MO waiting to be sent: 0 = 1000000 */
  unsigned deliver_window;   /* outstanding deliver_sm per bind: 0 = 100, at most 4095 */
  unsigned enquire_link_ms;  /* enquire_link to a bind idle this long: 0 = never */
} pp_smsc_opts_t;

/* Counters since start (each read atomically). */
typedef struct {
  uint64_t connections;       /* accepted */
  uint64_t binds;             /* accepted binds */
  uint64_t bind_failures;     /* refused binds (wrong system_id or password) */
  uint64_t unbinds;           /* unbind requests answered */
  uint64_t submits;           /* submit_sm answered ESME_ROK */
  uint64_t submits_throttled; /* submit_sm answered ESME_RTHROTTLED */
  uint64_t submits_held;      /* submit_sm left unanswered (silent mode) */
  uint64_t submits_rejected;  /* submit_sm answered with another error */
  uint64_t receipts_sent;     /* receipt deliver_sm written, resends included */
  uint64_t receipts_acked;    /* answered ESME_ROK */
  uint64_t mo_sent;           /* MO deliver_sm written, resends included */
  uint64_t mo_acked;          /* answered ESME_ROK */
  uint64_t deliver_errors;    /* deliver_sm answered with an error */
  uint64_t dropped;           /* receipts / MO dropped: queue full or 5 errors */
  uint64_t enquire_links;     /* enquire_link received (answered) */
  uint64_t enquire_sent;      /* enquire_link sent to idle binds */
  uint64_t enquire_answered;  /* enquire_link_resp received */
  uint64_t nacks;             /* generic_nack or error _resp for bad PDUs */
  uint64_t open_connections;  /* connections open now */
  uint64_t pending;           /* receipts + MO waiting or unanswered now */
} pp_smsc_stats_t;

/* One submit as the SMSC read it. */
#define PP_SMSC_TEXT_MAX 800 /* any short_message decodes within this */
typedef struct {
  int64_t time;        /* Unix seconds when it arrived */
  char message_id[24]; /* as answered */
  char source_addr[21], destination_addr[21];
  uint8_t data_coding, esm_class, registered_delivery;
  bool binary;                 /* data_coding is not text: text is "" */
  char text[PP_SMSC_TEXT_MAX]; /* the decoded UTF-8 text after any UDH */
} pp_smsc_message_t;

typedef struct pp_smsc pp_smsc_t;

/* pp_smsc_start copies `opts`, listens and starts the server thread.
 * Returns PP_OK with the server in *out (release it with pp_smsc_stop);
 * PP_ERR_INVALID_PARAM for a missing or too long system_id or password, a
 * host that is not a numeric address, dlr_fail_percent over 100 or
 * deliver_window over 4095; PP_ERR_IO when the address cannot be bound (in
 * use) or the thread not started; PP_ERR_NOMEM.  *out is written only on
 * success. */
pp_err_t pp_smsc_start(const pp_smsc_opts_t *opts, pp_smsc_t **out);

/* pp_smsc_port returns the port the server listens on. */
uint16_t pp_smsc_port(const pp_smsc_t *smsc);

/* pp_smsc_stop closes the listener and every connection at once (no
 * unbind: unanswered submits stay unanswered, as when an SMSC dies), joins
 * the thread and frees the server and everything still pending.  NULL is a
 * no-op. */
void pp_smsc_stop(pp_smsc_t *smsc);

/* pp_smsc_inject_mo queues a mobile-originated message from `from` to `to`
 * (at most 20 characters each; a leading '+' is dropped and the number sent
 * with TON 1 / NPI 1, an alphanumeric sender with TON 5 / NPI 0).  The UTF-8
 * `text` goes as GSM-7 (data_coding 0) when it can, else UCS-2 (8), in up to
 * 10 concatenated parts with a UDH.  Returns PP_OK once queued (it is sent
 * when a receiver-capable bind has room); PP_ERR_INVALID_PARAM for a bad
 * address or NULL text; PP_ERR_TOO_BIG for a text needing more than 10
 * parts; PP_ERR_AGAIN when max_pending is reached; PP_ERR_NOMEM. */
pp_err_t pp_smsc_inject_mo(pp_smsc_t *smsc, const char *from, const char *to, const char *text);

/* pp_smsc_throttle_next makes the next `k` submit_sm (from any bind) be
 * answered ESME_RTHROTTLED, replacing any count not used up yet. */
void pp_smsc_throttle_next(pp_smsc_t *smsc, unsigned k);

/* pp_smsc_set_silent makes the server read submit_sm without answering
 * them (true) or answer them again (false), to test timeouts and lost
 * connections.  Submits read while silent are never answered. */
void pp_smsc_set_silent(pp_smsc_t *smsc, bool silent);

/* pp_smsc_stats copies the counters into *out. */
void pp_smsc_stats(pp_smsc_t *smsc, pp_smsc_stats_t *out);

/* pp_smsc_messages copies the newest min(max, kept) submits into
 * out[0 .. *n), oldest first.  Returns the number of submits answered
 * ESME_ROK so far (the index after the newest). */
uint64_t pp_smsc_messages(pp_smsc_t *smsc, pp_smsc_message_t *out, size_t max, size_t *n);

#endif

/* dlr.h: SMPP delivery receipts: the receipt text an SMSC puts in the
 * short_message of a deliver_sm (SMPP 3.4 Appendix B)
 *
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm
 *   done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 *
 * and the message_state TLV (5.3.2.35), both mapped to one state enum.  The
 * parser takes what real SMSCs send: keys in any case and any order, fields
 * missing, "submit_date" for "submit date", seconds in the dates, longer or
 * hexadecimal ids, full words for stat ("DELIVERED").  "text:" ends the
 * fields: everything after it is the text.  Nothing here allocates. */
#ifndef PP_CHANNEL_SMPP_DLR_H
#define PP_CHANNEL_SMPP_DLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Values 1..8 equal SMPP's message_state values. */
typedef enum {
  PP_SMPP_DLR_NONE = 0,      /* the receipt gave no state */
  PP_SMPP_DLR_ENROUTE,       /* ENROUTE: still trying */
  PP_SMPP_DLR_DELIVERED,     /* DELIVRD */
  PP_SMPP_DLR_EXPIRED,       /* EXPIRED: validity period passed */
  PP_SMPP_DLR_DELETED,       /* DELETED */
  PP_SMPP_DLR_UNDELIVERABLE, /* UNDELIV */
  PP_SMPP_DLR_ACCEPTED,      /* ACCEPTD: read on the subscriber's behalf */
  PP_SMPP_DLR_UNKNOWN,       /* UNKNOWN, or a stat we do not know */
  PP_SMPP_DLR_REJECTED,      /* REJECTD */
} pp_smpp_dlr_state_t;

/* Bits of pp_smpp_dlr_t.fields: which fields the receipt had. */
#define PP_SMPP_DLR_F_ID 0x01u
#define PP_SMPP_DLR_F_SUB 0x02u
#define PP_SMPP_DLR_F_DLVRD 0x04u
#define PP_SMPP_DLR_F_SUBMIT_DATE 0x08u
#define PP_SMPP_DLR_F_DONE_DATE 0x10u
#define PP_SMPP_DLR_F_STAT 0x20u
#define PP_SMPP_DLR_F_ERR 0x40u
#define PP_SMPP_DLR_F_TEXT 0x80u

#define PP_SMPP_DLR_ID_MAX 64 /* characters; a message_id is at most 64 */

typedef struct {
  unsigned fields;                     /* PP_SMPP_DLR_F_* */
  char id[PP_SMPP_DLR_ID_MAX + 1];     /* as sent (decimal or hex: compare as the route says) */
  unsigned sub, dlvrd;                 /* submitted / delivered counts */
  char submit_date[13], done_date[13]; /* the digits as sent, YYMMDDhhmm[ss] */
  int64_t submit_time, done_time;      /* the dates read as UTC, seconds since 1970 */
  pp_smpp_dlr_state_t state;           /* from stat; PP_SMPP_DLR_NONE without one */
  char stat[16];                       /* as sent, cut to 15 characters */
  char err[16];                        /* as sent ("000"), cut to 15 characters */
  /* The text field: points into the parsed input (it holds the start of the
   * message, so it is content: never log it).  For format, set by the
   * caller; NULL for none. */
  const char *text;
  size_t text_len;
} pp_smpp_dlr_t;

/* pp_smpp_dlr_parse parses `len` bytes of receipt text into *out.  A field
 * whose value does not parse (a date that is not 10 or 12 digits or not a
 * real date, a count that is not digits) is left out of out->fields.
 * Returns PP_OK when at least one field was recognised; PP_ERR_BAD_REQUEST
 * when none was, or the id is longer than PP_SMPP_DLR_ID_MAX.  *out is
 * written only on success; out->text points into `text`. */
pp_err_t pp_smpp_dlr_parse(const char *text, size_t len, pp_smpp_dlr_t *out);

/* pp_smpp_dlr_format writes the receipt text for `dlr` (the fields flagged
 * in dlr->fields, in Appendix B order, counts as three digits) into
 * out[0 .. cap), NUL-terminated, for the development SMSC.  Returns PP_OK,
 * or PP_ERR_TOO_BIG when it does not fit (out then holds "").  The text field
 * is cut to 20 bytes (never inside a UTF-8 character). */
pp_err_t pp_smpp_dlr_format(const pp_smpp_dlr_t *dlr, char *out, size_t cap);

/* pp_smpp_dlr_state_from_stat maps a stat value (any case) to a state:
 * DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD, ENROUTE and
 * the words DELIVERED, UNDELIVERABLE, UNDELIVERED, FAILED, ACCEPTED,
 * REJECTED; any other value is PP_SMPP_DLR_UNKNOWN, an empty one
 * PP_SMPP_DLR_NONE. */
pp_smpp_dlr_state_t pp_smpp_dlr_state_from_stat(const char *stat, size_t len);

/* pp_smpp_dlr_state_from_message_state maps a message_state TLV value:
 * 1..8 as SMPP 3.4 defines them, SMPP 5.0's 0 (SCHEDULED) as ENROUTE and 9
 * (SKIPPED) as UNDELIVERABLE, anything else as UNKNOWN. */
pp_smpp_dlr_state_t pp_smpp_dlr_state_from_message_state(uint8_t message_state);

/* pp_smpp_dlr_state_message_state returns the message_state value for a
 * state (7, UNKNOWN, for PP_SMPP_DLR_NONE). */
uint8_t pp_smpp_dlr_state_message_state(pp_smpp_dlr_state_t state);

/* pp_smpp_dlr_state_stat returns the 7-letter stat ("DELIVRD") for a state,
 * "" for PP_SMPP_DLR_NONE.  Never NULL. */
const char *pp_smpp_dlr_state_stat(pp_smpp_dlr_state_t state);

/* pp_smpp_dlr_state_final tells whether a state ends the message's life:
 * all but NONE and ENROUTE. */
bool pp_smpp_dlr_state_final(pp_smpp_dlr_state_t state);

#endif

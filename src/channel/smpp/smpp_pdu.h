/* smpp_pdu.h: the SMPP 3.4 PDU codec: find PDU boundaries in a byte stream,
 * decode one PDU, encode one, compare two and dump one for logs.  The PDU set
 * and the known optional parameters are the X-macro table in smpp_pdu.def.
 *
 * Memory.  A pp_smpp_pdu_t is self-contained: C-Octet Strings and the short
 * message live in fixed arrays sized by the spec maxima, and optional
 * parameter (TLV) values in a pool inside the struct that holds any TLVs a
 * PDU within PP_SMPP_MAX_PDU_LEN can carry.  Nothing here allocates, nothing
 * needs freeing, and a decoded PDU does not point into the input buffer.  The
 * struct is about 66 KiB: keep it on the heap or in a session object rather
 * than on a small thread stack.
 *
 * Errors.  Functions return pp_err_t: PP_ERR_BAD_REQUEST for malformed
 * input, PP_ERR_TOO_BIG for a length over a cap, PP_ERR_INVALID_PARAM for an
 * unknown command_id on decode or an unencodable value on encode.  The SMPP
 * command_status to answer a bad PDU with (and why, for the log) comes from
 * pp_smpp_pdu_decode_diag. */
#ifndef PP_CHANNEL_SMPP_PDU_H
#define PP_CHANNEL_SMPP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PP_SMPP_HEADER_LEN 16
/* The largest PDU accepted or produced (command_length cap). */
#define PP_SMPP_MAX_PDU_LEN 65536
/* At most this many optional parameters per PDU. */
#define PP_SMPP_MAX_TLVS 64
/* Room for the values of every TLV a PDU within the cap can hold. */
#define PP_SMPP_TLV_DATA_MAX (PP_SMPP_MAX_PDU_LEN - PP_SMPP_HEADER_LEN)
/* short_message holds at most this many octets (sm_length, 5.2.21). */
#define PP_SMPP_SM_MAX 254
/* The bit that marks a response command_id. */
#define PP_SMPP_RESP_BIT 0x80000000u

/* Table flag (see smpp_pdu.def). */
#define PP_SMPP_F_NO_BODY_ON_ERROR 1

/* esm_class bits (5.2.12) and data_coding values (5.2.19) Pipit uses. */
#define PP_SMPP_ESM_UDHI 0x40
#define PP_SMPP_ESM_RECEIPT 0x04 /* message type: SMSC delivery receipt */
#define PP_SMPP_ESM_TYPE_MASK 0x3C
#define PP_SMPP_DC_DEFAULT 0x00 /* SMSC default alphabet (GSM 03.38 here) */
#define PP_SMPP_DC_IA5 0x01
#define PP_SMPP_DC_BINARY 0x04
#define PP_SMPP_DC_LATIN1 0x03
#define PP_SMPP_DC_UCS2 0x08

/* ---- Command status (5.1.3) ------------------------------------------ */

/* X(name, value, description) */
#define PP_SMPP_STATUS_TABLE(X)                                                      \
  X(ESME_ROK, 0x00000000, "No error")                                                \
  X(ESME_RINVMSGLEN, 0x00000001, "Message length is invalid")                        \
  X(ESME_RINVCMDLEN, 0x00000002, "Command length is invalid")                        \
  X(ESME_RINVCMDID, 0x00000003, "Invalid command ID")                                \
  X(ESME_RINVBNDSTS, 0x00000004, "Incorrect bind status for given command")          \
  X(ESME_RALYBND, 0x00000005, "ESME already in bound state")                         \
  X(ESME_RINVPRTFLG, 0x00000006, "Invalid priority flag")                            \
  X(ESME_RINVREGDLVFLG, 0x00000007, "Invalid registered delivery flag")              \
  X(ESME_RSYSERR, 0x00000008, "System error")                                        \
  X(ESME_RINVSRCADR, 0x0000000A, "Invalid source address")                           \
  X(ESME_RINVDSTADR, 0x0000000B, "Invalid destination address")                      \
  X(ESME_RINVMSGID, 0x0000000C, "Message ID is invalid")                             \
  X(ESME_RBINDFAIL, 0x0000000D, "Bind failed")                                       \
  X(ESME_RINVPASWD, 0x0000000E, "Invalid password")                                  \
  X(ESME_RINVSYSID, 0x0000000F, "Invalid system ID")                                 \
  X(ESME_RCANCELFAIL, 0x00000011, "Cancel SM failed")                                \
  X(ESME_RREPLACEFAIL, 0x00000013, "Replace SM failed")                              \
  X(ESME_RMSGQFUL, 0x00000014, "Message queue full")                                 \
  X(ESME_RINVSERTYP, 0x00000015, "Invalid service type")                             \
  X(ESME_RINVNUMDESTS, 0x00000033, "Invalid number of destinations")                 \
  X(ESME_RINVDLNAME, 0x00000034, "Invalid distribution list name")                   \
  X(ESME_RINVDESTFLAG, 0x00000040, "Destination flag is invalid")                    \
  X(ESME_RINVSUBREP, 0x00000042, "Invalid submit with replace request")              \
  X(ESME_RINVESMCLASS, 0x00000043, "Invalid esm_class field data")                   \
  X(ESME_RCNTSUBDL, 0x00000044, "Cannot submit to distribution list")                \
  X(ESME_RSUBMITFAIL, 0x00000045, "submit_sm or submit_multi failed")                \
  X(ESME_RINVSRCTON, 0x00000048, "Invalid source address TON")                       \
  X(ESME_RINVSRCNPI, 0x00000049, "Invalid source address NPI")                       \
  X(ESME_RINVDSTTON, 0x00000050, "Invalid destination address TON")                  \
  X(ESME_RINVDSTNPI, 0x00000051, "Invalid destination address NPI")                  \
  X(ESME_RINVSYSTYP, 0x00000053, "Invalid system_type field")                        \
  X(ESME_RINVREPFLAG, 0x00000054, "Invalid replace_if_present flag")                 \
  X(ESME_RINVNUMMSGS, 0x00000055, "Invalid number of messages")                      \
  X(ESME_RTHROTTLED, 0x00000058, "Throttling error (ESME has exceeded limits)")      \
  X(ESME_RINVSCHED, 0x00000061, "Invalid scheduled delivery time")                   \
  X(ESME_RINVEXPIRY, 0x00000062, "Invalid message validity period")                  \
  X(ESME_RINVDFTMSGID, 0x00000063, "Predefined message invalid or not found")        \
  X(ESME_RX_T_APPN, 0x00000064, "ESME receiver temporary app error")                 \
  X(ESME_RX_P_APPN, 0x00000065, "ESME receiver permanent app error")                 \
  X(ESME_RX_R_APPN, 0x00000066, "ESME receiver reject message error")                \
  X(ESME_RQUERYFAIL, 0x00000067, "query_sm request failed")                          \
  X(ESME_RINVOPTPARSTREAM, 0x000000C0, "Error in the optional part of the PDU body") \
  X(ESME_ROPTPARNOTALLWD, 0x000000C1, "Optional parameter not allowed")              \
  X(ESME_RINVPARLEN, 0x000000C2, "Invalid parameter length")                         \
  X(ESME_RMISSINGOPTPARAM, 0x000000C3, "Expected optional parameter missing")        \
  X(ESME_RINVOPTPARAMVAL, 0x000000C4, "Invalid optional parameter value")            \
  X(ESME_RDELIVERYFAILURE, 0x000000FE, "Delivery failure (data_sm_resp)")            \
  X(ESME_RUNKNOWNERR, 0x000000FF, "Unknown error")

typedef enum {
#define PP_SMPP_STATUS_ENUM_(name, value, text) PP_##name = value,
  PP_SMPP_STATUS_TABLE(PP_SMPP_STATUS_ENUM_)
#undef PP_SMPP_STATUS_ENUM_
} pp_smpp_status_t;

/* pp_smpp_status_name returns "ESME_RINVCMDID" for 0x03, or "" for a value
 * outside the table.  Never NULL. */
const char *pp_smpp_status_name(uint32_t status);

/* pp_smpp_status_text returns the spec's description of `status`, or ""
 * for a value outside the table.  Never NULL. */
const char *pp_smpp_status_text(uint32_t status);

/* ---- Commands and their bodies --------------------------------------- */

/* Command ids, PP_SMPP_SUBMIT_SM = 0x00000004 and so on.  Response ids do not
 * fit in an int; GCC and Clang give such an enum an unsigned type. */
typedef enum {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, id, flags, fields) PP_SMPP_##UPPER = id,
#define SMPP_INT(name, octets)
#define SMPP_CSTR(name, max, bad_status, secret)
#define SMPP_OSTR(name, length_field, max)
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
  /* clang-format on */
} pp_smpp_command_t;

#define PP_SMPP_UINT1 uint8_t
#define PP_SMPP_UINT2 uint16_t
#define PP_SMPP_UINT4 uint32_t

/* One struct per PDU body: pp_smpp_submit_sm_t and so on.  C-Octet Strings
 * are NUL-terminated char arrays of the spec's maximum size (NUL included);
 * short_message holds sm_length octets. */
/* clang-format off */
#define SMPP_PDU(UPPER, lower, id, flags, fields) \
  typedef struct {                                \
    fields                                        \
  } pp_smpp_##lower##_t;
#define SMPP_INT(name, octets) PP_SMPP_UINT##octets name;
#define SMPP_CSTR(name, max, bad_status, secret) char name[max];
#define SMPP_OSTR(name, length_field, max) uint8_t name[max];
#define SMPP_NONE char none_; /* no fields; C needs a member */
#include "channel/smpp/smpp_pdu.def"
/* clang-format on */

typedef union {
/* clang-format off */
#define SMPP_PDU(UPPER, lower, id, flags, fields) pp_smpp_##lower##_t lower;
#define SMPP_INT(name, octets)
#define SMPP_CSTR(name, max, bad_status, secret)
#define SMPP_OSTR(name, length_field, max)
#define SMPP_NONE
#include "channel/smpp/smpp_pdu.def"
  /* clang-format on */
} pp_smpp_body_t;

typedef struct {
  uint32_t command_length; /* set by decode; encode computes its own */
  uint32_t command_id;     /* pp_smpp_command_t */
  uint32_t command_status; /* pp_smpp_status_t in responses, 0 in requests */
  uint32_t sequence_number;
} pp_smpp_header_t;

/* One optional parameter; its value is pdu->tlv_data[off .. off + len). */
typedef struct {
  uint16_t tag;
  uint16_t len;
  uint32_t off;
} pp_smpp_tlv_t;

typedef struct {
  pp_smpp_header_t h;
  pp_smpp_body_t body; /* the member named by h.command_id, e.g. body.submit_sm */
  size_t n_tlv;        /* TLVs in wire order */
  pp_smpp_tlv_t tlv[PP_SMPP_MAX_TLVS];
  size_t tlv_used; /* octets of tlv_data in use */
  uint8_t tlv_data[PP_SMPP_TLV_DATA_MAX];
} pp_smpp_pdu_t;

/* pp_smpp_command_known tells whether `command_id` is in the table. */
bool pp_smpp_command_known(uint32_t command_id);

/* pp_smpp_command_name returns "submit_sm" for 0x00000004, or "" for an id
 * outside the table.  Never NULL. */
const char *pp_smpp_command_name(uint32_t command_id);

/* pp_smpp_pdu_init empties `pdu` (header, body, TLV list) and sets its
 * command_id and sequence_number, status 0.  The TLV value pool is not
 * cleared (it is only read through the list). */
void pp_smpp_pdu_init(pp_smpp_pdu_t *pdu, uint32_t command_id, uint32_t sequence_number);

/* pp_smpp_pdu_init_resp prepares the response to `req`: its command_id with
 * PP_SMPP_RESP_BIT, the same sequence_number, and `status`.  For a request
 * with no response (outbind, alert_notification, or a response) it prepares
 * a generic_nack. */
void pp_smpp_pdu_init_resp(pp_smpp_pdu_t *resp, const pp_smpp_pdu_t *req, uint32_t status);

/* ---- Framing, decode, encode ------------------------------------------ */

/* pp_smpp_frame_len reads the command_length at the start of `buf` (`have`
 * octets received so far).  Returns PP_OK with *need = the length of the
 * whole PDU (a full PDU is buffered once have >= *need); PP_ERR_AGAIN with
 * *need = 4 when fewer than 4 octets are there; PP_ERR_BAD_REQUEST when the
 * length is below 16 and PP_ERR_TOO_BIG when it is above
 * PP_SMPP_MAX_PDU_LEN.  After either error the stream cannot be resynced:
 * answer generic_nack ESME_RINVCMDLEN and close. */
pp_err_t pp_smpp_frame_len(const uint8_t *buf, size_t have, size_t *need);

/* Why a decode failed: the command_status to answer with and the detail for
 * the log.  The header is valid when have_header (16 octets were there), so
 * a generic_nack can echo the sequence_number. */
typedef struct {
  uint32_t status; /* pp_smpp_status_t; ESME_ROK after success */
  bool have_header;
  pp_smpp_header_t header; /* as read from the wire, unchecked */
  char reason[112];        /* one sentence, no message content */
} pp_smpp_diag_t;

/* pp_smpp_pdu_decode decodes `buf`, which holds exactly one PDU whose
 * command_length is `len`, into *out.  Mandatory fields are checked against
 * the table (integers present, C-Octet Strings NUL-terminated within their
 * maximum, short_message within sm_length <= 254 and the PDU); the rest of
 * the PDU must be whole TLVs (at most PP_SMPP_MAX_TLVS), kept in a generic
 * list whatever their tag.  A response with a non-zero command_status may
 * have no body.  Returns PP_OK, or
 *   PP_ERR_BAD_REQUEST    malformed (lengths, missing NUL, overruns);
 *   PP_ERR_TOO_BIG        command_length over the cap, or too many TLVs;
 *   PP_ERR_INVALID_PARAM  a well-framed PDU with an unknown command_id:
 *                         answer generic_nack ESME_RINVCMDID.
 * *out is written only on success.  Never allocates. */
pp_err_t pp_smpp_pdu_decode(const uint8_t *buf, size_t len, pp_smpp_pdu_t *out);

/* pp_smpp_pdu_decode_diag is pp_smpp_pdu_decode that also fills *diag
 * (when not NULL) on success and on failure. */
pp_err_t pp_smpp_pdu_decode_diag(const uint8_t *buf, size_t len, pp_smpp_pdu_t *out,
                                 pp_smpp_diag_t *diag);

/* pp_smpp_pdu_encoded_len computes the length `pdu` encodes to.  Returns
 * PP_OK; PP_ERR_INVALID_PARAM for an unknown command_id, a C-Octet String
 * without a NUL within its array, sm_length over 254, or a TLV list that
 * does not fit the pool; PP_ERR_TOO_BIG when the PDU would exceed
 * PP_SMPP_MAX_PDU_LEN.  *len_out is written only on success. */
pp_err_t pp_smpp_pdu_encoded_len(const pp_smpp_pdu_t *pdu, size_t *len_out);

/* pp_smpp_pdu_encode writes `pdu` to buf[0 .. cap) with the computed
 * command_length (pdu->h.command_length is ignored).  Errors as
 * pp_smpp_pdu_encoded_len, plus PP_ERR_TOO_BIG when cap is too small; buf is
 * untouched on failure and *len_out written only on success.  A
 * submit_sm_resp with a non-zero status, an empty message_id and no TLVs is
 * sent without a body (4.4.2). */
pp_err_t pp_smpp_pdu_encode(const pp_smpp_pdu_t *pdu, uint8_t *buf, size_t cap, size_t *len_out);

/* pp_smpp_pdu_equal tells whether two PDUs carry the same command_id,
 * command_status, sequence_number, fields (compared as the table types them:
 * strings up to their NUL, short_message over sm_length) and TLVs in the same
 * order.  command_length is not compared. */
bool pp_smpp_pdu_equal(const pp_smpp_pdu_t *a, const pp_smpp_pdu_t *b);

/* pp_smpp_pdu_dump writes a one-line description of `pdu` for logs into
 * out[0 .. cap), always NUL-terminated when cap > 0 (truncated with "..."
 * if needed), and returns the length written.  Message content is never
 * shown: short_message, message_payload and TLVs without a typed accessor
 * appear as a length, and password as "***". */
size_t pp_smpp_pdu_dump(const pp_smpp_pdu_t *pdu, char *out, size_t cap);

/* ---- Optional parameters (TLVs) --------------------------------------- */

/* TLV tags: PP_SMPP_TLV_MESSAGE_PAYLOAD = 0x0424 and so on. */
typedef enum {
/* clang-format off */
#define SMPP_TLV_INT(UPPER, lower, tag, octets) PP_SMPP_TLV_##UPPER = tag,
#define SMPP_TLV_CSTR(UPPER, lower, tag, max) PP_SMPP_TLV_##UPPER = tag,
#define SMPP_TLV_OSTR(UPPER, lower, tag, min, max) PP_SMPP_TLV_##UPPER = tag,
#define SMPP_TLV_NAME(UPPER, lower, tag) PP_SMPP_TLV_##UPPER = tag,
#include "channel/smpp/smpp_pdu.def"
  /* clang-format on */
} pp_smpp_tlv_tag_t;

/* pp_smpp_tlv_name returns "message_payload" for 0x0424, or NULL for a tag
 * outside the table. */
const char *pp_smpp_tlv_name(uint16_t tag);

/* pp_smpp_tlv_find returns the first TLV with `tag`, or NULL.  The pointer
 * is valid while `pdu` is unchanged. */
const pp_smpp_tlv_t *pp_smpp_tlv_find(const pp_smpp_pdu_t *pdu, uint16_t tag);

/* pp_smpp_tlv_value returns the first octet of `t`'s value inside `pdu`. */
static inline const uint8_t *pp_smpp_tlv_value(const pp_smpp_pdu_t *pdu, const pp_smpp_tlv_t *t) {
  return pdu->tlv_data + t->off;
}

/* pp_smpp_tlv_add appends a TLV (copying `len` octets of `value`) to the
 * list.  Returns PP_OK, or PP_ERR_TOO_BIG when len > 65535, the list has
 * PP_SMPP_MAX_TLVS entries or the pool is full.  It never replaces an
 * earlier TLV with the same tag. */
pp_err_t pp_smpp_tlv_add(pp_smpp_pdu_t *pdu, uint16_t tag, const void *value, size_t len);

/* Typed accessors for the TLVs of the table, generated from it:
 *
 *   integer TLVs, e.g. message_state (0x0427, 1 octet):
 *     pp_err_t pp_smpp_get_message_state(const pp_smpp_pdu_t *, uint8_t *out);
 *     pp_err_t pp_smpp_add_message_state(pp_smpp_pdu_t *, uint8_t value);
 *   C-Octet String TLVs, e.g. receipted_message_id (0x001E, max 65):
 *     pp_err_t pp_smpp_get_receipted_message_id(const pp_smpp_pdu_t *,
 *                                                char *out, size_t cap);
 *     pp_err_t pp_smpp_add_receipted_message_id(pp_smpp_pdu_t *, const char *);
 *   octet TLVs, e.g. message_payload (0x0424):
 *     pp_err_t pp_smpp_get_message_payload(const pp_smpp_pdu_t *,
 *                                          const uint8_t **value, size_t *len);
 *     pp_err_t pp_smpp_add_message_payload(pp_smpp_pdu_t *, const void *, size_t);
 *
 * Getters read the first TLV with the tag.  They return PP_OK;
 * PP_ERR_NOT_FOUND when the PDU has no such TLV; PP_ERR_BAD_REQUEST when its
 * length is wrong for the type (an integer of another size, a string longer
 * than its maximum, octets outside min..max); PP_ERR_TOO_BIG when the string
 * does not fit `cap` (with its NUL).  A C-Octet String value is accepted with
 * or without its trailing NUL (SMSCs differ), and ends at the first NUL.  The
 * octet getter points into `pdu`.  Outputs are written only on success.
 * Adders append like pp_smpp_tlv_add (a string with its NUL) and also return
 * PP_ERR_INVALID_PARAM for a value outside the type's limits. */
/* clang-format off */
#define SMPP_TLV_INT(UPPER, lower, tag, octets)                                   \
  pp_err_t pp_smpp_get_##lower(const pp_smpp_pdu_t *pdu, PP_SMPP_UINT##octets *out); \
  pp_err_t pp_smpp_add_##lower(pp_smpp_pdu_t *pdu, PP_SMPP_UINT##octets value);
#define SMPP_TLV_CSTR(UPPER, lower, tag, max)                                     \
  pp_err_t pp_smpp_get_##lower(const pp_smpp_pdu_t *pdu, char *out, size_t cap); \
  pp_err_t pp_smpp_add_##lower(pp_smpp_pdu_t *pdu, const char *value);
#define SMPP_TLV_OSTR(UPPER, lower, tag, min, max)                                 \
  pp_err_t pp_smpp_get_##lower(const pp_smpp_pdu_t *pdu, const uint8_t **value,   \
                               size_t *len);                                       \
  pp_err_t pp_smpp_add_##lower(pp_smpp_pdu_t *pdu, const void *value, size_t len);
#include "channel/smpp/smpp_pdu.def"
/* clang-format on */

/* pp_smpp_get_network_error reads network_error_code (0x0423, 5.3.2.31):
 * *type is the network type (1 ANSI-136, 2 IS-95, 3 GSM, ...) and *code the
 * network's error code.  Errors as pp_smpp_get_network_error_code. */
pp_err_t pp_smpp_get_network_error(const pp_smpp_pdu_t *pdu, uint8_t *type, uint16_t *code);

#endif

/* segment.h: split a UTF-8 message body into the short_message parts of
 * SMPP submit_sm PDUs, and read the concatenation header of an inbound part.
 *
 * A body that is all GSM 03.38 goes as unpacked septets with data_coding 0:
 * up to 160 septets in one part, else 153 per part.  Anything else goes as
 * UCS-2 (UTF-16BE) with data_coding 8: up to 70 code units in one part, else
 * 67 per part.  A part never splits an escape pair or a surrogate pair, so
 * the part count always equals pp_segments_count (core/segments.h), which is
 * what the API reports as NumSegments.  Parts of a multi-part message carry
 * either a 6-octet UDH (IEI 0x00: 8-bit reference, total, sequence; esm_class
 * UDHI) or, for SMSCs that want it, the values of the sar_* TLVs. */
#ifndef PP_CHANNEL_SMPP_SEGMENT_H
#define PP_CHANNEL_SMPP_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel/smpp/smpp_pdu.h"
#include "core/err.h"

#define PP_SMPP_GSM7_SINGLE 160
#define PP_SMPP_GSM7_PART 153
#define PP_SMPP_UCS2_SINGLE 70 /* UTF-16 code units */
#define PP_SMPP_UCS2_PART 67
#define PP_SMPP_UDH_CONCAT_LEN 6 /* 05 00 03 ref total seq */
/* A UDH concatenation header counts parts in one octet. */
#define PP_SMPP_MAX_PARTS 255

typedef enum {
  PP_SMPP_CONCAT_UDH, /* a UDH in short_message, esm_class |= UDHI */
  PP_SMPP_CONCAT_SAR  /* sar_msg_ref_num / sar_total_segments / sar_segment_seqnum */
} pp_smpp_concat_t;

typedef struct {
  pp_smpp_concat_t concat;
  uint16_t ref;    /* concatenation reference: low 8 bits in a UDH, all 16 in SAR */
  bool force_ucs2; /* UCS-2 even when GSM-7 would do */
} pp_smpp_segment_opts_t;

typedef struct {
  uint8_t data_coding; /* PP_SMPP_DC_DEFAULT (GSM-7 unpacked) or PP_SMPP_DC_UCS2 */
  uint8_t esm_class;   /* PP_SMPP_ESM_UDHI when short_message starts with a UDH */
  uint8_t sm_length;
  uint8_t short_message[PP_SMPP_SM_MAX];
  /* SAR values when the message has several parts and concat is SAR; all 0
   * otherwise. */
  uint16_t sar_msg_ref_num;
  uint8_t sar_total_segments, sar_segment_seqnum;
} pp_smpp_part_t;

/* pp_smpp_segment splits `len` bytes of UTF-8 into parts[0 .. *n_out) (at
 * most `max_parts`).  opts NULL means UDH with reference 0.  An empty body
 * gives one empty part.  Invalid UTF-8 becomes U+FFFD (so goes as UCS-2).
 * Returns PP_OK; PP_ERR_TOO_BIG when more than max_parts (or 255) parts are
 * needed; PP_ERR_INTERNAL if the split disagrees with pp_segments_count.
 * *n_out is written only on success; parts may be partly written on failure. */
pp_err_t pp_smpp_segment(const char *utf8, size_t len, const pp_smpp_segment_opts_t *opts,
                         pp_smpp_part_t *parts, size_t max_parts, size_t *n_out);

/* pp_smpp_part_apply copies a part into a submit_sm, deliver_sm or
 * replace_sm being built: data_coding, esm_class (or-ed in), sm_length and
 * short_message (replace_sm has no data_coding or esm_class), and appends the
 * sar_* TLVs when the part has them.  Returns PP_OK, PP_ERR_INVALID_PARAM
 * for another command, or the error of pp_smpp_tlv_add. */
pp_err_t pp_smpp_part_apply(const pp_smpp_part_t *part, pp_smpp_pdu_t *pdu);

/* pp_smpp_part_pack packs a GSM-7 part (data_coding 0) in place, for SMSCs
 * configured to take packed septets: the septets after the UDH (if
 * esm_class has UDHI) are packed as 23.038 6.1.2.1.1 says, starting after
 * pp_gsm7_fill_bits(UDH length) fill bits so that they begin on a septet
 * boundary of the user data (23.040 9.2.3.24); sm_length becomes the UDH
 * plus the packed octets (153 septets after a 6-octet UDH: 6 + 134 = 140).
 * A UCS-2 part is left as it is.  Returns PP_OK; PP_ERR_INVALID_PARAM when
 * the part is malformed (a UDH longer than the part, a septet >= 0x80).
 * The part is unchanged on failure. */
pp_err_t pp_smpp_part_pack(pp_smpp_part_t *part);

/* pp_smpp_ud_unpack reads the packed GSM-7 text of an inbound short_message
 * (or message_payload) of `len` octets whose first `udh_len` octets are its
 * UDH (0: none): the septets after the UDH and its fill bits, one per octet,
 * into out[0 .. *out_n).  A CR filling exactly the 7 spare bits of the last
 * octet is padding and dropped (23.038 6.1.2.3.1).  (len - udh_len) * 8 / 7
 * + 1 octets of `out` always suffice.  Returns PP_OK; PP_ERR_BAD_REQUEST
 * when udh_len > len; PP_ERR_TOO_BIG when `cap` is too small. */
pp_err_t pp_smpp_ud_unpack(const uint8_t *sm, size_t len, size_t udh_len, uint8_t *out, size_t cap,
                           size_t *out_n);

/* What the user data header of an inbound part says about concatenation. */
typedef struct {
  size_t udh_len; /* octets of UDH including the UDHL octet; 0 when none */
  bool concat;    /* a concatenation element (IEI 0x00 or 0x08) was found */
  uint16_t ref;   /* 8-bit (IEI 0x00) or 16-bit (IEI 0x08) reference */
  uint8_t total, seq;
} pp_smpp_udh_t;

/* pp_smpp_udh_parse reads the UDH at the start of short_message (`len`
 * octets), as flagged by esm_class UDHI.  Returns PP_OK, or
 * PP_ERR_BAD_REQUEST when the UDH or one of its elements overruns.  A
 * concatenation element with total 0, seq 0 or seq > total is ignored
 * (23.040 9.2.3.24.1).  *out is written only on success. */
pp_err_t pp_smpp_udh_parse(const uint8_t *sm, size_t len, pp_smpp_udh_t *out);

/* pp_smpp_text_to_utf8 decodes the text of a short_message (after its UDH)
 * as `data_coding` says: 0 GSM-7 unpacked, 1 IA5/ASCII, 3 Latin-1, 8 UCS-2.
 * Output is NUL-terminated valid UTF-8 (3 * len + 4 octets always
 * suffice).  Returns PP_OK; PP_ERR_INVALID_PARAM for another data_coding
 * (binary or unknown); PP_ERR_TOO_BIG when `cap` is too small. */
pp_err_t pp_smpp_text_to_utf8(uint8_t data_coding, const uint8_t *text, size_t len, char *out,
                              size_t cap, size_t *out_len);

#endif

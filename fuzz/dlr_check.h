/* dlr_check.h: the receipt-text checks shared by fuzz_smpp_pdu and
 * fuzz_smpp_dlr: a parsed receipt is sane, formats, and parses back to the
 * same fields. */
#ifndef PP_FUZZ_DLR_CHECK_H
#define PP_FUZZ_DLR_CHECK_H

#include <string.h>

#include "channel/smpp/dlr.h"
#include "fuzz_check.h"

static void check_dlr(const char *s, size_t n) {
  pp_smpp_dlr_t d;
  if (pp_smpp_dlr_parse(s, n, &d) != PP_OK) return;
  FUZZ_CHECK(d.fields != 0, "success without a field");
  FUZZ_CHECK(strlen(d.id) <= PP_SMPP_DLR_ID_MAX, "id too long");
  FUZZ_CHECK(!(d.fields & PP_SMPP_DLR_F_ID) || d.id[0], "empty id flagged");
  FUZZ_CHECK(strlen(d.stat) < sizeof d.stat && strlen(d.err) < sizeof d.err, "raw fields");
  if (d.fields & PP_SMPP_DLR_F_TEXT)
    FUZZ_CHECK(d.text >= s && d.text + d.text_len == s + n, "text is not the input's tail");
  else
    FUZZ_CHECK(d.text == NULL, "text without the field");
  FUZZ_CHECK(d.state <= PP_SMPP_DLR_REJECTED, "state %d", (int)d.state);

  char out[512];
  FUZZ_CHECK(pp_smpp_dlr_format(&d, out, sizeof out) == PP_OK, "format failed");
  pp_smpp_dlr_t e;
  FUZZ_CHECK(pp_smpp_dlr_parse(out, strlen(out), &e) == PP_OK, "formatted receipt: %s", out);
  FUZZ_CHECK((e.fields & ~PP_SMPP_DLR_F_TEXT) == (d.fields & ~PP_SMPP_DLR_F_TEXT),
             "fields %x -> %x (%s)", d.fields, e.fields, out);
  FUZZ_CHECK(strcmp(d.id, e.id) == 0, "id");
  FUZZ_CHECK(d.sub == e.sub && d.dlvrd == e.dlvrd, "counts");
  FUZZ_CHECK(strcmp(d.submit_date, e.submit_date) == 0 && d.submit_time == e.submit_time,
             "submit date");
  FUZZ_CHECK(strcmp(d.done_date, e.done_date) == 0 && d.done_time == e.done_time, "done date");
  FUZZ_CHECK(strcmp(d.stat, e.stat) == 0 && d.state == e.state, "stat %s/%s", d.stat, e.stat);
  FUZZ_CHECK(strcmp(d.err, e.err) == 0, "err");
  if (d.fields & PP_SMPP_DLR_F_TEXT) {
    FUZZ_CHECK(e.text_len <= 20 && e.text_len <= d.text_len, "text not cut");
    FUZZ_CHECK(memcmp(e.text, d.text, e.text_len) == 0, "text not a prefix");
  }
}

#endif

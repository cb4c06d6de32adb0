/* err.c: lookups into the error table of err.h. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int status;
  int code;
  const char *msg;
} table[] = {
#define PP_ERR_ROW(name, status, code, msg) {#name, status, code, msg},
    PP_ERR_TABLE(PP_ERR_ROW)
#undef PP_ERR_ROW
};

static int valid(pp_err_t e) { return (unsigned)e < (unsigned)PP_ERR__COUNT; }

const char *pp_err_name(pp_err_t e) {
  return valid(e) ? table[e].name : "PP_ERR_UNKNOWN";
}

int pp_err_http_status(pp_err_t e) { return valid(e) ? table[e].status : 500; }

int pp_err_twilio_code(pp_err_t e) { return valid(e) ? table[e].code : 0; }

const char *pp_err_format(pp_err_t e) {
  return valid(e) ? table[e].msg : "Internal error";
}

void pp_err_message(pp_err_t e, const char *detail, char *out, size_t cap) {
  const char *fmt = pp_err_format(e);
  const char *hole = strstr(fmt, "%s");
  if (hole) /* the table's formats take at most one %s: splice it by hand */
    snprintf(out, cap, "%.*s%s%s", (int)(hole - fmt), fmt, detail ? detail : "", hole + 2);
  else if (detail && e != PP_ERR_INTERNAL && e != PP_ERR_STORE)
    snprintf(out, cap, "%s: %s", fmt, detail);
  else
    snprintf(out, cap, "%s", fmt);
}

/* err.c: lookups into the error table of err.h. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  pp_err_class_t cls;
  int status;
  int code;
  const char *msg;
} row_t;

/* The rows in table order; ROW_* is a row's index. */
enum {
#define PP_ERR_INDEX(name, number, cls, status, code, msg) ROW_##name,
  PP_ERR_TABLE(PP_ERR_INDEX)
#undef PP_ERR_INDEX
};

static const row_t table[] = {
#define PP_ERR_ROW(name, number, cls, status, code, msg) \
  {#name, PP_ERR_CLASS_##cls, status, code, msg},
    PP_ERR_TABLE(PP_ERR_ROW)
#undef PP_ERR_ROW
};

/* The row of `e`, or NULL.  A number used twice does not compile (two
 * equal case labels). */
static const row_t *row(pp_err_t e) {
  switch (e) {
#define PP_ERR_CASE(name, number, cls, status, code, msg) \
  case name:                                              \
    return &table[ROW_##name];
    PP_ERR_TABLE(PP_ERR_CASE)
#undef PP_ERR_CASE
  }
  return NULL;
}

const char *pp_err_name(pp_err_t e) {
  const row_t *r = row(e);
  return r ? r->name : "PP_ERR_UNKNOWN";
}

pp_err_class_t pp_err_class(pp_err_t e) {
  const row_t *r = row(e);
  return r ? r->cls : PP_ERR_CLASS_SERVER;
}

int pp_err_http_status(pp_err_t e) {
  const row_t *r = row(e);
  return r ? r->status : 500;
}

int pp_err_twilio_code(pp_err_t e) {
  const row_t *r = row(e);
  return r ? r->code : 0;
}

const char *pp_err_format(pp_err_t e) {
  const row_t *r = row(e);
  return r ? r->msg : "Internal error";
}

void pp_err_message(pp_err_t e, const char *detail, char *out, size_t cap) {
  const char *fmt = pp_err_format(e);
  const char *hole = strstr(fmt, "%s");
  if (hole) /* the table's formats take at most one %s: splice it by hand */
    snprintf(out, cap, "%.*s%s%s", (int)(hole - fmt), fmt, detail ? detail : "", hole + 2);
  else if (detail && e != PP_ERR_INTERNAL && e != PP_ERR_STORE && e != PP_ERR_CORRUPT)
    snprintf(out, cap, "%s: %s", fmt, detail);
  else
    snprintf(out, cap, "%s", fmt);
}

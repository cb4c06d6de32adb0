/* The error table (core/err.h): every name pinned to its number, class,
 * HTTP status and Twilio code.  The audit log signs outcomes by name, so a
 * rename or a renumbering fails here; a new row needs a new line below. */
#include <stdbool.h>

#include "check.h"
#include "core/err.h"

typedef struct {
  const char *name;
  int number;
  pp_err_class_t cls;
  int status;
  int code;
} pin_t;

static const pin_t pinned[] = {
    {"PP_OK", 0, PP_ERR_CLASS_OK, 200, 0},
    {"PP_ERR_NOMEM", 1000, PP_ERR_CLASS_SERVER, 500, 0},
    {"PP_ERR_INTERNAL", 1001, PP_ERR_CLASS_SERVER, 500, 0},
    {"PP_ERR_STORE", 1002, PP_ERR_CLASS_SERVER, 500, 0},
    {"PP_ERR_IO", 1003, PP_ERR_CLASS_SERVER, 500, 0},
    {"PP_ERR_AGAIN", 1004, PP_ERR_CLASS_SERVER, 503, 0},
    {"PP_ERR_CLOSED", 1005, PP_ERR_CLASS_SERVER, 503, 0},
    {"PP_ERR_STORE_FULL", 1006, PP_ERR_CLASS_SERVER, 503, 20503},
    {"PP_ERR_HTTP_BUSY", 1007, PP_ERR_CLASS_SERVER, 503, 0},
    {"PP_ERR_DELIVERY_NO_ROUTE", 1008, PP_ERR_CLASS_SERVER, 500, 21612},
    {"PP_ERR_DELIVERY_ENCODE", 1009, PP_ERR_CLASS_SERVER, 500, 30008},
    {"PP_ERR_TOO_BIG", 2000, PP_ERR_CLASS_CLIENT, 413, 0},
    {"PP_ERR_BAD_REQUEST", 2001, PP_ERR_CLASS_CLIENT, 400, 0},
    {"PP_ERR_NOT_FOUND", 2002, PP_ERR_CLASS_CLIENT, 404, 20404},
    {"PP_ERR_METHOD", 2003, PP_ERR_CLASS_CLIENT, 405, 20004},
    {"PP_ERR_CONFLICT", 2004, PP_ERR_CLASS_CLIENT, 409, 0},
    {"PP_ERR_INVALID_PARAM", 2005, PP_ERR_CLASS_CLIENT, 400, 21200},
    {"PP_ERR_TO_MISSING", 2006, PP_ERR_CLASS_CLIENT, 400, 21604},
    {"PP_ERR_TO_INVALID", 2007, PP_ERR_CLASS_CLIENT, 400, 21211},
    {"PP_ERR_FROM_MISSING", 2008, PP_ERR_CLASS_CLIENT, 400, 21603},
    {"PP_ERR_FROM_INVALID", 2009, PP_ERR_CLASS_CLIENT, 400, 21212},
    {"PP_ERR_FROM_NOT_OWNED", 2010, PP_ERR_CLASS_CLIENT, 400, 21606},
    {"PP_ERR_BODY_MISSING", 2011, PP_ERR_CLASS_CLIENT, 400, 21602},
    {"PP_ERR_BODY_TOO_LONG", 2012, PP_ERR_CLASS_CLIENT, 400, 21617},
    {"PP_ERR_MEDIA_URL", 2013, PP_ERR_CLASS_CLIENT, 400, 21620},
    {"PP_ERR_VALIDITY", 2014, PP_ERR_CLASS_CLIENT, 400, 21609},
    {"PP_ERR_STATUS_CALLBACK", 2015, PP_ERR_CLASS_CLIENT, 400, 21609},
    {"PP_ERR_SEND_AT_MISSING", 2016, PP_ERR_CLASS_CLIENT, 400, 35111},
    {"PP_ERR_SEND_AT_RANGE", 2017, PP_ERR_CLASS_CLIENT, 400, 35114},
    {"PP_ERR_SCHEDULE_SERVICE", 2018, PP_ERR_CLASS_CLIENT, 400, 35118},
    {"PP_ERR_SERVICE_INVALID", 2019, PP_ERR_CLASS_CLIENT, 400, 21705},
    {"PP_ERR_NOT_CANCELABLE", 2020, PP_ERR_CLASS_CLIENT, 400, 30409},
    {"PP_ERR_MSG_STATUS", 2021, PP_ERR_CLASS_CLIENT, 400, 20001},
    {"PP_ERR_ACCOUNT_STATUS", 2022, PP_ERR_CLASS_CLIENT, 400, 20001},
    {"PP_ERR_ACCOUNT_CLOSED", 2023, PP_ERR_CLASS_CLIENT, 400, 20001},
    {"PP_ERR_MAIN_ACCOUNT", 2024, PP_ERR_CLASS_CLIENT, 403, 20005},
    {"PP_ERR_SUBACCOUNT_CREATE", 2025, PP_ERR_CLASS_CLIENT, 403, 20005},
    {"PP_ERR_NO_SECONDARY", 2026, PP_ERR_CLASS_CLIENT, 404, 20404},
    {"PP_ERR_FRIENDLY_NAME", 2027, PP_ERR_CLASS_CLIENT, 400, 21200},
    {"PP_ERR_NUMBER_INVALID", 2028, PP_ERR_CLASS_CLIENT, 400, 21421},
    {"PP_ERR_NUMBER_TAKEN", 2029, PP_ERR_CLASS_CLIENT, 400, 21422},
    {"PP_ERR_URL_INVALID", 2030, PP_ERR_CLASS_CLIENT, 400, 21502},
    {"PP_ERR_HTTP_METHOD", 2031, PP_ERR_CLASS_CLIENT, 400, 21200},
    {"PP_ERR_PARAM_MISSING", 2032, PP_ERR_CLASS_CLIENT, 400, 20001},
    {"PP_ERR_SERVICE_NOT_FOUND", 2033, PP_ERR_CLASS_CLIENT, 400, 21701},
    {"PP_ERR_SERVICE_NO_SENDERS", 2034, PP_ERR_CLASS_CLIENT, 400, 21704},
    {"PP_ERR_SENDER_INVALID", 2035, PP_ERR_CLASS_CLIENT, 400, 21421},
    {"PP_ERR_SENDER_IN_SERVICE", 2036, PP_ERR_CLASS_CLIENT, 400, 21712},
    {"PP_ERR_USECASE", 2037, PP_ERR_CLASS_CLIENT, 400, 21713},
    {"PP_ERR_VERIFY_PARAM", 2038, PP_ERR_CLASS_CLIENT, 400, 60200},
    {"PP_ERR_VERIFY_RATE_LIMITS_MAX", 2039, PP_ERR_CLASS_CLIENT, 400, 60207},
    {"PP_ERR_VERIFY_BUCKETS_MAX", 2040, PP_ERR_CLASS_CLIENT, 400, 60210},
    {"PP_ERR_VERIFY_BUCKET_INTERVAL", 2041, PP_ERR_CLASS_CLIENT, 400, 60211},
    {"PP_ERR_VERIFY_CONCURRENT", 2042, PP_ERR_CLASS_CLIENT, 429, 60212},
    {"PP_ERR_VERIFY_CHANNEL", 2043, PP_ERR_CLASS_CLIENT, 400, 60223},
    {"PP_ERR_VERIFY_REQUEST", 2044, PP_ERR_CLASS_CLIENT, 400, 60306},
    {"PP_ERR_VERIFY_FACTOR_UNVERIFIED", 2045, PP_ERR_CLASS_CLIENT, 403, 60318},
    {"PP_ERR_VERIFY_CHALLENGE_EXPIRED", 2046, PP_ERR_CLASS_CLIENT, 403, 60323},
    {"PP_ERR_VERIFY_NO_SENDER", 2047, PP_ERR_CLASS_CLIENT, 400, 60200},
    {"PP_ERR_HTTP_TIMEOUT", 2048, PP_ERR_CLASS_CLIENT, 408, 0},
    {"PP_ERR_HTTP_URI_TOO_LONG", 2049, PP_ERR_CLASS_CLIENT, 414, 0},
    {"PP_ERR_HTTP_HEADERS_TOO_LARGE", 2050, PP_ERR_CLASS_CLIENT, 431, 0},
    {"PP_ERR_HTTP_VERSION", 2051, PP_ERR_CLASS_CLIENT, 505, 0},
    {"PP_ERR_HOOK_RETRIEVAL", 3000, PP_ERR_CLASS_UPSTREAM, 502, 11200},
    {"PP_ERR_HOOK_CONNECT", 3001, PP_ERR_CLASS_UPSTREAM, 502, 11205},
    {"PP_ERR_HOOK_PROTOCOL", 3002, PP_ERR_CLASS_UPSTREAM, 502, 11206},
    {"PP_ERR_HOOK_HOST", 3003, PP_ERR_CLASS_UPSTREAM, 502, 11210},
    {"PP_ERR_HOOK_REDIRECTS", 3004, PP_ERR_CLASS_UPSTREAM, 502, 11215},
    {"PP_ERR_HOOK_CERT", 3005, PP_ERR_CLASS_UPSTREAM, 502, 11237},
    {"PP_ERR_TWIML_PARSE", 3006, PP_ERR_CLASS_UPSTREAM, 502, 12100},
    {"PP_ERR_TWIML_SCHEMA", 3007, PP_ERR_CLASS_UPSTREAM, 502, 12200},
    {"PP_ERR_TWIML_CONTENT_TYPE", 3008, PP_ERR_CLASS_UPSTREAM, 502, 12300},
    {"PP_ERR_REPLY_RATE", 3009, PP_ERR_CLASS_UPSTREAM, 429, 14107},
    {"PP_ERR_TWIML_MESSAGE_LIMIT", 3010, PP_ERR_CLASS_UPSTREAM, 502, 14109},
    {"PP_ERR_TWIML_VERB", 3011, PP_ERR_CLASS_UPSTREAM, 502, 14110},
    {"PP_ERR_DELIVERY_EXPIRED", 3012, PP_ERR_CLASS_UPSTREAM, 502, 30001},
    {"PP_ERR_DELIVERY_UNREACHABLE", 3013, PP_ERR_CLASS_UPSTREAM, 502, 30003},
    {"PP_ERR_DELIVERY_UNKNOWN_HANDSET", 3014, PP_ERR_CLASS_UPSTREAM, 502, 30005},
    {"PP_ERR_DELIVERY_FILTERED", 3015, PP_ERR_CLASS_UPSTREAM, 502, 30007},
    {"PP_ERR_DELIVERY_REFUSED", 3016, PP_ERR_CLASS_UPSTREAM, 502, 30008},
    {"PP_ERR_DELIVERY_SENDER_REFUSED", 3017, PP_ERR_CLASS_UPSTREAM, 502, 21212},
    {"PP_ERR_DELIVERY_UNKNOWN", 3018, PP_ERR_CLASS_UPSTREAM, 502, 30008},
    {"PP_ERR_AUTH", 4000, PP_ERR_CLASS_SECURITY, 401, 20003},
    {"PP_ERR_FORBIDDEN", 4001, PP_ERR_CLASS_SECURITY, 403, 20003},
    {"PP_ERR_ACCOUNT_INACTIVE", 4002, PP_ERR_CLASS_SECURITY, 401, 20005},
    {"PP_ERR_KEY_FORBIDDEN", 4003, PP_ERR_CLASS_SECURITY, 403, 20003},
    {"PP_ERR_VERIFY_CHECKS", 4004, PP_ERR_CLASS_SECURITY, 429, 60202},
    {"PP_ERR_VERIFY_SENDS", 4005, PP_ERR_CLASS_SECURITY, 429, 60203},
    {"PP_ERR_VERIFY_FACTOR_ATTEMPTS", 4006, PP_ERR_CLASS_SECURITY, 429, 60310},
    {"PP_ERR_VERIFY_FACTOR_FAILED", 4007, PP_ERR_CLASS_SECURITY, 403, 60311},
    {"PP_ERR_VERIFY_CHALLENGE_FAILED", 4008, PP_ERR_CLASS_SECURITY, 403, 60324},
    {"PP_ERR_VERIFY_FRAUD_BLOCKED", 4009, PP_ERR_CLASS_SECURITY, 403, 60410},
    {"PP_ERR_VERIFY_GEO_BLOCKED", 4010, PP_ERR_CLASS_SECURITY, 403, 60605},
    {"PP_ERR_HOOK_ADDR_REFUSED", 4011, PP_ERR_CLASS_SECURITY, 502, 11200},
    {"PP_ERR_HTTP_CONN_LIMIT", 4012, PP_ERR_CLASS_SECURITY, 429, 20429},
    {"PP_ERR_CORRUPT", 4013, PP_ERR_CLASS_SECURITY, 500, 0},
    {"PP_ERR_AUTH_RATE", 4014, PP_ERR_CLASS_SECURITY, 429, 20429},
    {"PP_ERR_DELIVERY_UNOPENED", 4015, PP_ERR_CLASS_SECURITY, 500, 30008},
};
#define N_PINNED (sizeof pinned / sizeof pinned[0])

/* Every value of the table, in table order. */
static const pp_err_t rows[] = {
#define ROW(name, number, cls, status, code, msg) name,
    PP_ERR_TABLE(ROW)
#undef ROW
};
#define N_ROWS (sizeof rows / sizeof rows[0])

int main(void) {
  /* Each pinned line is one row of the table, with its columns. */
  CHECK_EQ_INT(N_ROWS, N_PINNED);
  for (size_t i = 0; i < N_PINNED; i++) {
    const pin_t *p = &pinned[i];
    pp_err_t e = (pp_err_t)p->number;
    if (strcmp(pp_err_name(e), p->name) != 0) {
      fprintf(stderr, "%s: number %d is %s\n", p->name, p->number, pp_err_name(e));
      CHECK(false);
      continue;
    }
    CHECK_EQ_INT(pp_err_class(e), p->cls);
    CHECK_EQ_INT(pp_err_http_status(e), p->status);
    CHECK_EQ_INT(pp_err_twilio_code(e), p->code);
    /* The class is the number's thousands. */
    CHECK_EQ_INT(p->number / 1000, p->cls);
  }
  /* Names and numbers are unique, in the pins and in the table. */
  for (size_t i = 0; i < N_PINNED; i++)
    for (size_t j = i + 1; j < N_PINNED; j++) {
      CHECK(pinned[i].number != pinned[j].number);
      CHECK(strcmp(pinned[i].name, pinned[j].name) != 0);
    }
  for (size_t i = 0; i < N_ROWS; i++)
    for (size_t j = i + 1; j < N_ROWS; j++) CHECK(rows[i] != rows[j]);
  /* Every row is pinned (the counts agree and every pin is a row). */
  for (size_t i = 0; i < N_ROWS; i++) {
    bool found = false;
    for (size_t j = 0; j < N_PINNED; j++)
      found |= strcmp(pp_err_name(rows[i]), pinned[j].name) == 0;
    if (!found) fprintf(stderr, "%s is not pinned\n", pp_err_name(rows[i]));
    CHECK(found);
  }

  /* PP_OK is 0, so `if (e)` tests for failure. */
  CHECK_EQ_INT(PP_OK, 0);
  CHECK_EQ_INT(pp_err_class(PP_OK), PP_ERR_CLASS_OK);
  /* Values outside the table. */
  CHECK_EQ_STR(pp_err_name((pp_err_t)999), "PP_ERR_UNKNOWN");
  CHECK_EQ_INT(pp_err_http_status((pp_err_t)-1), 500);
  CHECK_EQ_INT(pp_err_twilio_code((pp_err_t)5000), 0);
  CHECK_EQ_INT(pp_err_class((pp_err_t)1), PP_ERR_CLASS_SERVER);

  /* Messages: the detail in the %s, after a colon, or never (internal,
   * store and corruption errors, whose detail is for the log). */
  char msg[128];
  pp_err_message(PP_ERR_NOT_FOUND, "/x", msg, sizeof msg);
  CHECK_EQ_STR(msg, "The requested resource /x was not found");
  pp_err_message(PP_ERR_CONFLICT, "taken", msg, sizeof msg);
  CHECK_EQ_STR(msg, "Conflict: taken");
  pp_err_message(PP_ERR_CORRUPT, "messages.body of SM1", msg, sizeof msg);
  CHECK_EQ_STR(msg, "A stored value failed its integrity check");
  pp_err_message(PP_ERR_STORE, "disk", msg, sizeof msg);
  CHECK_EQ_STR(msg, "The store failed");

  return check_report("core_err");
}

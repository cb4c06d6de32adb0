/* verification.c: the rules of an SMS verification (see verification.h). */
#include "verify/verification.h"

#include <stdio.h>
#include <string.h>

const char *pp_verify_status_now(const char *status, int64_t expires_at, int64_t now) {
  if (strcmp(status, "pending") == 0 && now >= expires_at) return "expired";
  return status;
}

pp_err_t pp_verify_send_decide(const char *shown, int sends, int max_sends, bool *resend) {
  bool pending = shown && strcmp(shown, "pending") == 0;
  if (pending && sends >= max_sends) return PP_ERR_VERIFY_SENDS;
  *resend = pending;
  return PP_OK;
}

bool pp_verify_code_ok(const char *code) {
  size_t n = strlen(code);
  return n >= PP_VERIFY_CODE_MIN && n <= PP_VERIFY_CODE_MAX && strspn(code, "0123456789") == n;
}

pp_err_t pp_verify_check_decide(const char *shown, int checks, int max_checks,
                                const unsigned char *hashes, int sends,
                                const unsigned char hash[PP_VERIFY_HASH_LEN],
                                pp_verify_check_t *out) {
  if (strcmp(shown, "max_attempts_reached") == 0 || checks >= max_checks)
    return PP_ERR_VERIFY_CHECKS;
  if (strcmp(shown, "pending") != 0) return PP_ERR_NOT_FOUND;
  bool ok = sends > 0 && pp_verify_hash_in(hashes, (size_t)sends, hash);
  out->checks = ok ? checks : checks + 1;
  out->status = ok ? "approved" : out->checks >= max_checks ? "max_attempts_reached" : "pending";
  return PP_OK;
}

int pp_verify_sms_text(char *out, size_t cap, const char *service_name, bool warning,
                       const char *code, bool masked) {
  static const char stars[] = "**********"; /* a code has at most 10 digits */
  size_t n = strlen(code);
  if (masked && n > sizeof stars - 1) n = sizeof stars - 1;
  return snprintf(out, cap, "Your %s verification code is: %.*s%s", service_name, (int)n,
                  masked ? stars : code, warning ? ". Do not share this code with anyone." : "");
}

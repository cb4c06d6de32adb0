/* rules.c: the store's decisions the SQLite triggers made (rules.h). */
#include "store/rules.h"

#include <string.h>

/* Whether `s` is one of the NULL-terminated `set`. */
static bool in_set(const char *s, const char *const *set) {
  if (!s) return false;
  for (; *set; set++)
    if (strcmp(s, *set) == 0) return true;
  return false;
}

static bool is(const char *s, const char *want) {
  return s && strcmp(s, want) == 0;
}

static const char *const created_set[] = {"queued", "accepted", NULL};
static const char *const changed_set[] = {"sent",     "delivered", "undelivered", "failed",
                                          "canceled", "read",      NULL};
static const char *const queue_set[] = {"queued", "accepted", "scheduled", "sending", NULL};

bool pp_rules_status_hook_on_insert(const char *status, bool has_callback) {
  return has_callback && in_set(status, created_set);
}

bool pp_rules_status_hook_on_update(const char *old_status, const char *new_status,
                                    bool has_callback) {
  return has_callback && !(old_status && new_status && strcmp(old_status, new_status) == 0) &&
         in_set(new_status, changed_set);
}

bool pp_rules_message_sealed_drop(const char *new_status) {
  return new_status && !in_set(new_status, queue_set);
}

bool pp_rules_verification_wipe(const char *new_status) {
  return new_status && !is(new_status, "pending");
}

bool pp_rules_enroll_expire_on_status(const char *old_status, const char *new_status) {
  return is(new_status, "verified") && old_status && !is(old_status, "verified");
}

bool pp_rules_enroll_challenge_expires(const char *status) {
  return is(status, "pending");
}

bool pp_rules_inbound_hook_on_insert(const char *direction) {
  return is(direction, "inbound");
}

static bool present(pp_rules_value_t v) {
  return v.ptr && v.len > 0;
}

bool pp_rules_inbound_target(const pp_rules_number_t *number, const pp_rules_service_t *service,
                             pp_rules_target_t *out) {
  if (!number) return false;
  if (service && !service->use_inbound_webhook_on_number && present(service->inbound_request_url)) {
    *out = (pp_rules_target_t){.url = service->inbound_request_url,
                               .url_table = "messaging_services",
                               .url_column = "inbound_request_url",
                               .url_row = service->sid,
                               .method = service->inbound_method};
    return true;
  }
  if (!present(number->sms_url)) return false;
  *out = (pp_rules_target_t){.url = number->sms_url,
                             .url_table = "phone_numbers",
                             .url_column = "sms_url",
                             .url_row = number->sid,
                             .method = number->sms_method};
  return true;
}

static void hook_base(const pp_rules_message_t *m, pp_rules_hook_t *out) {
  memset(out, 0, sizeof *out);
  pp_hex_random(out->token, 16);
  out->account_sid = m->account_sid;
  out->message_sid = m->sid;
  out->next_attempt = 0;
}

void pp_rules_status_hook(const pp_rules_message_t *m, pp_rules_hook_t *out) {
  hook_base(m, out);
  out->kind = "status";
  out->event = m->status;
  out->error_code = m->error_code;
  out->url = m->status_callback;
  out->url_table = "messages";
  out->url_column = "status_callback";
  out->url_row = m->sid;
  out->method = "POST";
  out->created_ms = m->date_updated * 1000;
}

void pp_rules_inbound_hook(const pp_rules_message_t *m, const pp_rules_target_t *target,
                           pp_rules_hook_t *out) {
  hook_base(m, out);
  out->kind = "inbound";
  out->event = "received";
  out->error_code = 0;
  out->url = target->url;
  out->url_table = target->url_table;
  out->url_column = target->url_column;
  out->url_row = target->url_row;
  out->method = target->method;
  out->created_ms = m->date_created * 1000;
}

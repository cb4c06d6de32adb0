/* The store's rules (store/rules.h), as the SQLite triggers decided them:
 * the status sets that queue a status webhook on insert and on change,
 * the inbound target (service or number, deferral, NULL and empty URLs,
 * coordinates), when a message's sealed text is dropped, when a
 * verification's code hashes are wiped, when an enrolment challenge
 * expires, and the webhook rows built (token, fields, times). */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "store/rules.h"

static const char *const all_statuses[] = {"queued",
                                           "accepted",
                                           "scheduled",
                                           "sending",
                                           "sent",
                                           "delivered",
                                           "undelivered",
                                           "failed",
                                           "canceled",
                                           "read",
                                           "receiving",
                                           "received",
                                           "partially_delivered",
                                           "pending",
                                           "approved",
                                           "expired",
                                           "verified",
                                           "unverified",
                                           "Queued",
                                           "",
                                           NULL};

static bool one_of(const char *s, const char *const *set) {
  for (; *set; set++)
    if (strcmp(s, *set) == 0) return true;
  return false;
}

static void status_hooks(void) {
  static const char *const created[] = {"queued", "accepted", NULL};
  static const char *const changed[] = {"sent",     "delivered", "undelivered", "failed",
                                        "canceled", "read",      NULL};
  for (const char *const *s = all_statuses; *s; s++) {
    CHECK_EQ_INT(pp_rules_status_hook_on_insert(*s, true), one_of(*s, created));
    CHECK(!pp_rules_status_hook_on_insert(*s, false));
    CHECK_EQ_INT(pp_rules_status_hook_on_update("queued", *s, true), one_of(*s, changed));
    CHECK_EQ_INT(pp_rules_status_hook_on_update("sending", *s, true), one_of(*s, changed));
    CHECK(!pp_rules_status_hook_on_update("queued", *s, false));
    CHECK(!pp_rules_status_hook_on_update(*s, *s, true)); /* unchanged: none */
  }
  CHECK(pp_rules_status_hook_on_update("sent", "delivered", true));
  CHECK(!pp_rules_status_hook_on_update("delivered", "delivered", true));
  CHECK(!pp_rules_status_hook_on_insert(NULL, true));
  CHECK(!pp_rules_status_hook_on_update("queued", NULL, true));
  CHECK(pp_rules_inbound_hook_on_insert("inbound"));
  CHECK(!pp_rules_inbound_hook_on_insert("outbound-api"));
  CHECK(!pp_rules_inbound_hook_on_insert("outbound-reply"));
  CHECK(!pp_rules_inbound_hook_on_insert(NULL));
}

static void sealed_and_wipe_and_enrol(void) {
  static const char *const kept[] = {"queued", "accepted", "scheduled", "sending", NULL};
  for (const char *const *s = all_statuses; *s; s++) {
    CHECK_EQ_INT(pp_rules_message_sealed_drop(*s), !one_of(*s, kept));
    CHECK_EQ_INT(pp_rules_verification_wipe(*s), strcmp(*s, "pending") != 0);
    CHECK_EQ_INT(pp_rules_enroll_challenge_expires(*s), strcmp(*s, "pending") == 0);
    CHECK_EQ_INT(pp_rules_enroll_expire_on_status(*s, "verified"), strcmp(*s, "verified") != 0);
    CHECK(!pp_rules_enroll_expire_on_status("unverified", strcmp(*s, "verified") ? *s : "x"));
  }
  CHECK(!pp_rules_message_sealed_drop(NULL));
  CHECK(!pp_rules_verification_wipe(NULL));
  CHECK(!pp_rules_enroll_expire_on_status(NULL, "verified"));
  CHECK(!pp_rules_enroll_challenge_expires(NULL));
}

static pp_rules_value_t V(const char *s) {
  return (pp_rules_value_t){s, s ? strlen(s) : 0};
}

static void inbound_target(void) {
  pp_rules_number_t num = {
      .sid = "PN1", .sms_url = V("https://n.example/sms"), .sms_method = "GET"};
  pp_rules_service_t svc = {.sid = "MG1",
                            .inbound_request_url = V("https://s.example/in"),
                            .inbound_method = "POST",
                            .use_inbound_webhook_on_number = false};
  pp_rules_target_t t;

  /* A service that does not defer, with a URL: the service's. */
  memset(&t, 0, sizeof t);
  CHECK(pp_rules_inbound_target(&num, &svc, &t));
  CHECK(t.url.ptr == svc.inbound_request_url.ptr && t.url.len == svc.inbound_request_url.len);
  CHECK_EQ_STR(t.url_table, "messaging_services");
  CHECK_EQ_STR(t.url_column, "inbound_request_url");
  CHECK_EQ_STR(t.url_row, "MG1");
  CHECK_EQ_STR(t.method, "POST");

  /* It defers to the number: the number's. */
  svc.use_inbound_webhook_on_number = true;
  CHECK(pp_rules_inbound_target(&num, &svc, &t));
  CHECK(t.url.ptr == num.sms_url.ptr);
  CHECK_EQ_STR(t.url_table, "phone_numbers");
  CHECK_EQ_STR(t.url_column, "sms_url");
  CHECK_EQ_STR(t.url_row, "PN1");
  CHECK_EQ_STR(t.method, "GET");

  /* Its URL empty or NULL: the number's. */
  svc.use_inbound_webhook_on_number = false;
  svc.inbound_request_url = V("");
  CHECK(pp_rules_inbound_target(&num, &svc, &t));
  CHECK_EQ_STR(t.url_table, "phone_numbers");
  svc.inbound_request_url = V(NULL);
  CHECK(pp_rules_inbound_target(&num, &svc, &t));
  CHECK_EQ_STR(t.url_row, "PN1");

  /* No service: the number's. */
  CHECK(pp_rules_inbound_target(&num, NULL, &t));
  CHECK_EQ_STR(t.method, "GET");

  /* Both empty or NULL: nothing, and *out untouched. */
  num.sms_url = V("");
  memset(&t, 0x5a, sizeof t);
  pp_rules_target_t before = t;
  CHECK(!pp_rules_inbound_target(&num, &svc, &t));
  CHECK(!pp_rules_inbound_target(&num, NULL, &t));
  num.sms_url = V(NULL);
  CHECK(!pp_rules_inbound_target(&num, &svc, &t));
  CHECK(memcmp(&t, &before, sizeof t) == 0);

  /* The number empty, the service's set: the service's. */
  svc.inbound_request_url = V("https://s.example/in");
  CHECK(pp_rules_inbound_target(&num, &svc, &t));
  CHECK_EQ_STR(t.url_table, "messaging_services");
  /* ...unless it defers: then nothing (the number has none). */
  svc.use_inbound_webhook_on_number = true;
  CHECK(!pp_rules_inbound_target(&num, &svc, &t));
  /* No number: nothing. */
  CHECK(!pp_rules_inbound_target(NULL, &svc, &t));
}

static bool lower_hex32(const char *s) {
  if (strlen(s) != 32) return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
  return true;
}

/* `h` is `want` field by field (the URL by pointer), with a fresh token
 * and next_attempt 0. */
static void same_hook(const pp_rules_hook_t *h, const pp_rules_hook_t *want) {
  CHECK(lower_hex32(h->token));
  CHECK_EQ_STR(h->account_sid, want->account_sid);
  CHECK_EQ_STR(h->message_sid, want->message_sid);
  CHECK_EQ_STR(h->kind, want->kind);
  CHECK_EQ_STR(h->event, want->event);
  CHECK_EQ_INT(h->error_code, want->error_code);
  CHECK(h->url.ptr == want->url.ptr && h->url.len == want->url.len);
  CHECK_EQ_STR(h->url_table, want->url_table);
  CHECK_EQ_STR(h->url_column, want->url_column);
  CHECK_EQ_STR(h->url_row, want->url_row);
  CHECK_EQ_STR(h->method, want->method);
  CHECK_EQ_INT(h->created_ms, want->created_ms);
  CHECK_EQ_INT(h->next_attempt, 0);
}

static void hook_rows(void) {
  static const unsigned char sealed[] = {1, 2, 3, 0, 4};
  pp_rules_message_t m = {.sid = "SM1",
                          .account_sid = "AC1",
                          .status = "delivered",
                          .error_code = 30003,
                          .status_callback = {sealed, sizeof sealed},
                          .date_created = 1700000000,
                          .date_updated = 1700000123};
  pp_rules_hook_t h, h2;
  pp_rules_status_hook(&m, &h);
  same_hook(&h, &(pp_rules_hook_t){.account_sid = "AC1",
                                   .message_sid = "SM1",
                                   .kind = "status",
                                   .event = "delivered",
                                   .error_code = 30003,
                                   .url = {sealed, sizeof sealed},
                                   .url_table = "messages",
                                   .url_column = "status_callback",
                                   .url_row = "SM1",
                                   .method = "POST",
                                   .created_ms = 1700000123000LL});
  pp_rules_status_hook(&m, &h2);
  CHECK(lower_hex32(h2.token));
  CHECK(strcmp(h.token, h2.token) != 0);

  pp_rules_number_t num = {.sid = "PN9", .sms_url = V("https://n.example/"), .sms_method = "GET"};
  pp_rules_target_t t;
  CHECK(pp_rules_inbound_target(&num, NULL, &t));
  m.status = "received";
  m.error_code = 0;
  pp_rules_inbound_hook(&m, &t, &h);
  same_hook(&h, &(pp_rules_hook_t){.account_sid = "AC1",
                                   .message_sid = "SM1",
                                   .kind = "inbound",
                                   .event = "received",
                                   .url = num.sms_url,
                                   .url_table = "phone_numbers",
                                   .url_column = "sms_url",
                                   .url_row = "PN9",
                                   .method = "GET",
                                   .created_ms = 1700000000000LL});
}

int main(void) {
  status_hooks();
  sealed_and_wipe_and_enrol();
  inbound_target();
  hook_rows();
  return check_report("store_rules");
}

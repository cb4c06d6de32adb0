/* router.c: the route table and a segment matcher. */
#include <string.h>

#include "http/http.h"

const pp_http_route_t pp_http_routes[] = {
    {PP_GET, "/2010-04-01/Accounts.json", pp_api_account_list, "accounts_list", false},
    {PP_POST, "/2010-04-01/Accounts.json", pp_api_account_create, "accounts_create", false},
    {PP_GET, "/2010-04-01/Accounts/{}.json", pp_api_account_fetch, "accounts_fetch", false},
    {PP_POST, "/2010-04-01/Accounts/{}.json", pp_api_account_update, "accounts_update", false},
    {PP_GET, "/2010-04-01/Accounts/{}/Messages.json", pp_api_message_list, "messages_list", false},
    {PP_POST, "/2010-04-01/Accounts/{}/Messages.json", pp_api_message_create, "messages_create",
     false},
    {PP_GET, "/2010-04-01/Accounts/{}/Messages/{}.json", pp_api_message_fetch, "messages_fetch",
     false},
    {PP_POST, "/2010-04-01/Accounts/{}/Messages/{}.json", pp_api_message_update, "messages_update",
     false},
    {PP_DELETE, "/2010-04-01/Accounts/{}/Messages/{}.json", pp_api_message_delete,
     "messages_delete", false},
    {PP_GET, "/2010-04-01/Accounts/{}/Keys.json", pp_api_key_list, "keys_list", false},
    {PP_POST, "/2010-04-01/Accounts/{}/Keys.json", pp_api_key_create, "keys_create", false},
    {PP_GET, "/2010-04-01/Accounts/{}/Keys/{}.json", pp_api_key_fetch, "keys_fetch", false},
    {PP_POST, "/2010-04-01/Accounts/{}/Keys/{}.json", pp_api_key_update, "keys_update", false},
    {PP_DELETE, "/2010-04-01/Accounts/{}/Keys/{}.json", pp_api_key_delete, "keys_delete", false},
    {PP_GET, "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json", pp_api_number_list,
     "numbers_list", false},
    {PP_POST, "/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json", pp_api_number_create,
     "numbers_create", false},
    {PP_GET, "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{}.json", pp_api_number_fetch,
     "numbers_fetch", false},
    {PP_POST, "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{}.json", pp_api_number_update,
     "numbers_update", false},
    {PP_DELETE, "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{}.json", pp_api_number_delete,
     "numbers_delete", false},
    {PP_POST, "/accounts/v1/AuthTokens/Secondary", pp_api_token_secondary_create,
     "auth_token_secondary_create", false},
    {PP_DELETE, "/accounts/v1/AuthTokens/Secondary", pp_api_token_secondary_delete,
     "auth_token_secondary_delete", false},
    {PP_POST, "/accounts/v1/AuthTokens/Promote", pp_api_token_promote, "auth_token_promote", false},
    /* Operator resources: carriers and routes. */
    {PP_GET, "/admin/v1/Carriers", pp_api_carrier_list, "admin_carriers_list", true},
    {PP_POST, "/admin/v1/Carriers", pp_api_carrier_create, "admin_carriers_create", true},
    {PP_GET, "/admin/v1/Carriers/{}", pp_api_carrier_fetch, "admin_carriers_fetch", true},
    {PP_POST, "/admin/v1/Carriers/{}", pp_api_carrier_update, "admin_carriers_update", true},
    {PP_DELETE, "/admin/v1/Carriers/{}", pp_api_carrier_delete, "admin_carriers_delete", true},
    {PP_GET, "/admin/v1/Carriers/{}/Routes", pp_api_carrier_route_list, "admin_carrier_routes_list",
     true},
    {PP_POST, "/admin/v1/Carriers/{}/Routes", pp_api_carrier_route_create,
     "admin_carrier_routes_create", true},
    {PP_DELETE, "/admin/v1/Carriers/{}/Routes/{}", pp_api_carrier_route_delete,
     "admin_carrier_routes_delete", true},
    {PP_GET, "/admin/v1/Routes", pp_api_route_list, "admin_routes_list", true},
    {PP_GET, "/admin/v1/PhoneNumbers", pp_api_offer_list, "admin_numbers_list", true},
    {PP_POST, "/admin/v1/PhoneNumbers", pp_api_offer_create, "admin_numbers_create", true},
    {PP_DELETE, "/admin/v1/PhoneNumbers/{}", pp_api_offer_delete, "admin_numbers_delete", true},
    {PP_GET, "/messaging/v1/Services", pp_api_service_list, "services_list", false},
    {PP_POST, "/messaging/v1/Services", pp_api_service_create, "services_create", false},
    {PP_GET, "/messaging/v1/Services/{}", pp_api_service_fetch, "services_fetch", false},
    {PP_POST, "/messaging/v1/Services/{}", pp_api_service_update, "services_update", false},
    {PP_DELETE, "/messaging/v1/Services/{}", pp_api_service_delete, "services_delete", false},
    {PP_GET, "/messaging/v1/Services/{}/PhoneNumbers", pp_api_service_number_list,
     "service_numbers_list", false},
    {PP_POST, "/messaging/v1/Services/{}/PhoneNumbers", pp_api_service_number_create,
     "service_numbers_create", false},
    {PP_GET, "/messaging/v1/Services/{}/PhoneNumbers/{}", pp_api_service_number_fetch,
     "service_numbers_fetch", false},
    {PP_DELETE, "/messaging/v1/Services/{}/PhoneNumbers/{}", pp_api_service_number_delete,
     "service_numbers_delete", false},
    {PP_GET, "/monitor/v1/Alerts", pp_api_alert_list, "alerts_list", false},
    {PP_GET, "/monitor/v1/Alerts/{}", pp_api_alert_fetch, "alerts_fetch", false},
    {PP_GET, "/verify/v2/Services", pp_api_verify_service_list, "verify_services_list", false},
    {PP_POST, "/verify/v2/Services", pp_api_verify_service_create, "verify_services_create", false},
    {PP_GET, "/verify/v2/Services/{}", pp_api_verify_service_fetch, "verify_services_fetch", false},
    {PP_POST, "/verify/v2/Services/{}", pp_api_verify_service_update, "verify_services_update",
     false},
    {PP_DELETE, "/verify/v2/Services/{}", pp_api_verify_service_delete, "verify_services_delete",
     false},
    {PP_POST, "/verify/v2/Services/{}/Verifications", pp_api_verification_create,
     "verifications_create", false},
    {PP_GET, "/verify/v2/Services/{}/Verifications/{}", pp_api_verification_fetch,
     "verifications_fetch", false},
    {PP_POST, "/verify/v2/Services/{}/Verifications/{}", pp_api_verification_update,
     "verifications_update", false},
    {PP_POST, "/verify/v2/Services/{}/VerificationCheck", pp_api_verification_check,
     "verification_checks_create", false},
    {PP_GET, "/verify/v2/Services/{}/RateLimits", pp_api_rate_limit_list, "rate_limits_list",
     false},
    {PP_POST, "/verify/v2/Services/{}/RateLimits", pp_api_rate_limit_create, "rate_limits_create",
     false},
    {PP_GET, "/verify/v2/Services/{}/RateLimits/{}", pp_api_rate_limit_fetch, "rate_limits_fetch",
     false},
    {PP_POST, "/verify/v2/Services/{}/RateLimits/{}", pp_api_rate_limit_update,
     "rate_limits_update", false},
    {PP_DELETE, "/verify/v2/Services/{}/RateLimits/{}", pp_api_rate_limit_delete,
     "rate_limits_delete", false},
    {PP_GET, "/verify/v2/Services/{}/RateLimits/{}/Buckets", pp_api_rate_bucket_list,
     "buckets_list", false},
    {PP_POST, "/verify/v2/Services/{}/RateLimits/{}/Buckets", pp_api_rate_bucket_create,
     "buckets_create", false},
    {PP_GET, "/verify/v2/Services/{}/RateLimits/{}/Buckets/{}", pp_api_rate_bucket_fetch,
     "buckets_fetch", false},
    {PP_POST, "/verify/v2/Services/{}/RateLimits/{}/Buckets/{}", pp_api_rate_bucket_update,
     "buckets_update", false},
    {PP_DELETE, "/verify/v2/Services/{}/RateLimits/{}/Buckets/{}", pp_api_rate_bucket_delete,
     "buckets_delete", false},
    {PP_GET, "/verify/v2/Services/{}/Entities", pp_api_entity_list, "entities_list", false},
    {PP_POST, "/verify/v2/Services/{}/Entities", pp_api_entity_create, "entities_create", false},
    {PP_GET, "/verify/v2/Services/{}/Entities/{}", pp_api_entity_fetch, "entities_fetch", false},
    {PP_DELETE, "/verify/v2/Services/{}/Entities/{}", pp_api_entity_delete, "entities_delete",
     false},
    {PP_GET, "/verify/v2/Services/{}/Entities/{}/Factors", pp_api_factor_list, "factors_list",
     false},
    {PP_POST, "/verify/v2/Services/{}/Entities/{}/Factors", pp_api_factor_create, "factors_create",
     false},
    {PP_GET, "/verify/v2/Services/{}/Entities/{}/Factors/{}", pp_api_factor_fetch, "factors_fetch",
     false},
    {PP_POST, "/verify/v2/Services/{}/Entities/{}/Factors/{}", pp_api_factor_update,
     "factors_update", false},
    {PP_DELETE, "/verify/v2/Services/{}/Entities/{}/Factors/{}", pp_api_factor_delete,
     "factors_delete", false},
    {PP_GET, "/verify/v2/Services/{}/Entities/{}/Factors/{}/QrCode", pp_api_factor_qr, "factors_qr",
     false},
    {PP_GET, "/verify/v2/Services/{}/Entities/{}/Challenges", pp_api_challenge_list,
     "challenges_list", false},
    {PP_POST, "/verify/v2/Services/{}/Entities/{}/Challenges", pp_api_challenge_create,
     "challenges_create", false},
    {PP_GET, "/verify/v2/Services/{}/Entities/{}/Challenges/{}", pp_api_challenge_fetch,
     "challenges_fetch", false},
    {PP_POST, "/verify/v2/Services/{}/Entities/{}/Challenges/{}", pp_api_challenge_update,
     "challenges_update", false},
    {PP_GET, "/verify/v2/Services/{}/Webhooks", pp_api_verify_webhook_list, "verify_webhooks_list",
     false},
    {PP_POST, "/verify/v2/Services/{}/Webhooks", pp_api_verify_webhook_create,
     "verify_webhooks_create", false},
    {PP_GET, "/verify/v2/Services/{}/Webhooks/{}", pp_api_verify_webhook_fetch,
     "verify_webhooks_fetch", false},
    {PP_POST, "/verify/v2/Services/{}/Webhooks/{}", pp_api_verify_webhook_update,
     "verify_webhooks_update", false},
    {PP_DELETE, "/verify/v2/Services/{}/Webhooks/{}", pp_api_verify_webhook_delete,
     "verify_webhooks_delete", false},
    /* The audit log (account credentials). */
    {PP_GET, "/audit/v1/Events", pp_api_audit_event_list, "audit_events_list", false},
    {PP_GET, "/audit/v1/Events/{}", pp_api_audit_event_fetch, "audit_events_fetch", false},
    {PP_GET, "/audit/v1/Events/{}/Proof", pp_api_audit_event_proof, "audit_event_proof", false},
    {PP_GET, "/audit/v1/Consistency", pp_api_audit_consistency, "audit_consistency", false},
    {PP_GET, "/audit/v1/Checkpoint", pp_api_audit_checkpoint, "audit_checkpoint", false},
    {PP_GET, "/audit/v1/Key", pp_api_audit_key, "audit_key", false},
    /* Staff sign-in (api/staff.c): WebAuthn only, no Basic credentials. */
    {PP_POST, "/staff/webauthn/register/begin", pp_api_staff_register_begin, "staff_register_begin",
     false},
    {PP_POST, "/staff/webauthn/register/finish", pp_api_staff_register_finish,
     "staff_register_finish", false},
    {PP_POST, "/staff/webauthn/login/begin", pp_api_staff_login_begin, "staff_login_begin", false},
    {PP_POST, "/staff/webauthn/login/finish", pp_api_staff_login_finish, "staff_login_finish",
     false},
    {PP_POST, "/staff/logout", pp_api_staff_logout, "staff_logout", false},
    {PP_POST, "/staff/webauthn/uv/begin", pp_api_staff_uv_begin, "staff_uv_begin", false},
    {PP_POST, "/staff/webauthn/uv/finish", pp_api_staff_uv_finish, "staff_uv_finish", false},
    /* The staff pages (api/staff_pages.c). */
    {PP_GET, "/staff/", pp_api_staff_page_home, "staff_page_home", false},
    {PP_GET, "/staff/login", pp_api_staff_page_signin, "staff_page_signin", false},
    {PP_GET, "/staff/enrol/{}", pp_api_staff_page_enrol, "staff_page_enrol", false},
    {PP_GET, "/staff/staff.js", pp_api_staff_page_js, "staff_page_js", false},
    {PP_GET, "/staff/staff.css", pp_api_staff_page_css, "staff_page_css", false},
    {PP_GET, "/staff/overview", pp_api_staff_page_overview, "staff_page_overview", false},
    /* The lockbox's owner side (account credentials). */
    {PP_GET, "/lockbox/v1/AccessRequests", pp_lockbox_request_list, "lockbox_requests_list", false},
    {PP_GET, "/lockbox/v1/AccessRequests/{}", pp_lockbox_request_fetch, "lockbox_requests_fetch",
     false},
    {PP_POST, "/lockbox/v1/AccessRequests/{}", pp_lockbox_request_answer, "lockbox_requests_answer",
     false},
    {PP_GET, "/lockbox/v1/AccessLog", pp_lockbox_access_log, "lockbox_access_log", false},
    {PP_GET, "/lockbox/v1/Settings", pp_lockbox_settings_fetch, "lockbox_settings_fetch", false},
    {PP_POST, "/lockbox/v1/Settings", pp_lockbox_settings_update, "lockbox_settings_update", false},
    /* The lockbox's staff side (a staff session; reads only under a grant). */
    {PP_POST, "/staff/api/AccessRequests", pp_lockbox_staff_request_create,
     "staff_lockbox_request_create", false},
    {PP_GET, "/staff/api/AccessRequests", pp_lockbox_staff_request_list,
     "staff_lockbox_request_list", false},
    {PP_GET, "/staff/api/Accounts/{}/Messages.json", pp_lockbox_staff_messages,
     "staff_lockbox_messages", false},
    {PP_GET, "/staff/api/Accounts/{}/Messages/{}.json", pp_lockbox_staff_message,
     "staff_lockbox_message", false},
    {PP_GET, "/staff/api/Accounts/{}/IncomingPhoneNumbers.json", pp_lockbox_staff_numbers,
     "staff_lockbox_numbers", false},
    {PP_GET, "/staff/api/Accounts/{}/IncomingPhoneNumbers/{}.json", pp_lockbox_staff_number,
     "staff_lockbox_number", false},
    {PP_GET, "/staff/api/Accounts/{}/Verify/Services", pp_lockbox_staff_verify_services,
     "staff_lockbox_verify_services", false},
    {PP_GET, "/staff/api/Accounts/{}/Verify/Services/{}", pp_lockbox_staff_verify_service,
     "staff_lockbox_verify_service", false},
    /* Four eyes on carriers and routes (api/changes.c): a staff session. */
    {PP_GET, "/staff/api/ChangeRequests", pp_api_change_list, "staff_change_requests_list", false},
    {PP_GET, "/staff/api/ChangeRequests/{}", pp_api_change_fetch, "staff_change_requests_fetch",
     false},
    {PP_POST, "/staff/api/ChangeRequests/{}", pp_api_change_decide, "staff_change_requests_update",
     false},
    /* The installation's changelog: every account reads it. */
    {PP_GET, "/audit/v1/Installation/Changes", pp_api_installation_changes,
     "installation_changes_list", false},
};
const size_t pp_http_routes_count = sizeof pp_http_routes / sizeof pp_http_routes[0];

bool pp_http_route_staff(int i) {
  return i >= 0 && (size_t)i < pp_http_routes_count &&
         strncmp(pp_http_routes[i].pattern, "/staff/", 7) == 0;
}

/* Matches one path segment against a pattern segment; "{}" captures the
 * rest up to the pattern's literal suffix (".json"). */
static int seg_match(const char *pat, size_t plen, const char *seg, size_t slen, pp_arena_t *a,
                     const char **capture) {
  const char *brace = memchr(pat, '{', plen);
  if (!brace) return plen == slen && memcmp(pat, seg, slen) == 0;
  size_t prefix = (size_t)(brace - pat), suffix = plen - prefix - 2;
  if (slen < prefix + suffix + 1) return 0;
  if (memcmp(pat, seg, prefix) != 0) return 0;
  if (memcmp(pat + plen - suffix, seg + slen - suffix, suffix) != 0) return 0;
  if (a) *capture = pp_arena_strndup(a, seg + prefix, slen - prefix - suffix);
  return 1;
}

static int path_match(const char *pattern, const char *path, pp_arena_t *a, const char *params[3]) {
  int np = 0;
  const char *p = pattern, *s = path;
  while (*p && *s) {
    if (*p != '/' || *s != '/') return 0;
    p++, s++;
    size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");
    const char *cap = NULL;
    if (!seg_match(p, pl, s, sl, a, &cap)) return 0;
    if (memchr(p, '{', pl)) {
      if (np >= 3) return 0;
      if (a) {
        if (!cap) return 0;
        params[np] = cap;
      }
      np++;
    }
    p += pl, s += sl;
  }
  return *p == '\0' && *s == '\0';
}

int pp_http_route_match(pp_method_t method, const char *path, pp_arena_t *a,
                        const char *params[3]) {
  int path_seen = 0;
  for (size_t i = 0; i < pp_http_routes_count; i++) {
    if (!path_match(pp_http_routes[i].pattern, path, NULL, NULL)) continue;
    path_seen = 1;
    if (pp_http_routes[i].method != method) continue;
    if (!path_match(pp_http_routes[i].pattern, path, a, params)) return -1;
    return (int)i;
  }
  return path_seen ? -2 : -1;
}

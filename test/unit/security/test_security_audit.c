/* Audit events: the canonical leaf bytes (an exact expected leaf), the
 * sanitising of outside text, strict decoding (every non-canonical variant
 * refused), kind and principal names, outcomes and resource types. */
#include <sodium.h>
#include <stdlib.h>

#include "check.h"
#include "security/audit.h"

static const char *const two[] = {"SM00000000000000000000000000000001",
                                  "SM00000000000000000000000000000002"};

static void sample(pp_audit_event_t *ev) {
  memset(ev, 0, sizeof *ev);
  ev->kind = PP_AUDIT_CONTENT_READ;
  ev->principal_kind = PP_AUDIT_BY_KEY;
  snprintf(ev->principal, sizeof ev->principal, "SK0123456789abcdef0123456789abcdef");
  snprintf(ev->principal_account, sizeof ev->principal_account,
           "AC00000000000000000000000000000000");
  snprintf(ev->account_sid, sizeof ev->account_sid, "AC11111111111111111111111111111111");
  snprintf(ev->ip, sizeof ev->ip, "127.0.0.1");
  snprintf(ev->session, sizeof ev->session, "00112233445566778899aabbccddeeff");
  snprintf(ev->outcome, sizeof ev->outcome, "ok");
  ev->user_agent = "twilio-node/6.2.0";
  ev->request = "GET /2010-04-01/Accounts/AC11111111111111111111111111111111/Messages.json";
  ev->resources = two;
  ev->nresources = 2;
  ev->seq = 41;
  ev->time_ms = 1764000000123;
}

static const char expected[] =
    "{\"account\":\"AC11111111111111111111111111111111\",\"event\":\"content.read\","
    "\"ip\":\"127.0.0.1\",\"outcome\":\"ok\",\"principal\":\"SK0123456789abcdef0123456789abcdef\","
    "\"principal_account\":\"AC00000000000000000000000000000000\",\"principal_kind\":\"key\","
    "\"request\":\"GET /2010-04-01/Accounts/AC11111111111111111111111111111111/Messages.json\","
    "\"resources\":[\"SM00000000000000000000000000000001\",\"SM00000000000000000000000000000002\"],"
    "\"seq\":41,\"session\":\"00112233445566778899aabbccddeeff\",\"time_ms\":1764000000123,"
    "\"user_agent\":\"twilio-node/6.2.0\",\"v\":1}";

static void test_encode_exact(void) {
  pp_audit_event_t ev;
  sample(&ev);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  CHECK_EQ_INT(pp_audit_leaf_encode(&ev, &b), PP_OK);
  CHECK_EQ_STR(b.data, expected);

  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_event_t back;
  CHECK_EQ_INT(pp_audit_leaf_decode(b.data, b.len, &a, &back), PP_OK);
  CHECK_EQ_INT(back.kind, PP_AUDIT_CONTENT_READ);
  CHECK_EQ_INT(back.principal_kind, PP_AUDIT_BY_KEY);
  CHECK_EQ_STR(back.principal, ev.principal);
  CHECK_EQ_STR(back.account_sid, ev.account_sid);
  CHECK_EQ_STR(back.request, ev.request);
  CHECK_EQ_STR(back.user_agent, ev.user_agent);
  CHECK_EQ_INT(back.nresources, 2);
  CHECK_EQ_STR(back.resources[1], two[1]);
  CHECK_EQ_INT(back.seq, 41);
  CHECK_EQ_INT(back.time_ms, 1764000000123);
  pp_arena_cleanup(&a);
  pp_buf_cleanup(&b);
}

/* Outside text becomes printable ASCII; quotes and backslashes escaped;
 * the user agent is cut; the result still decodes to what it says. */
static void test_sanitise(void) {
  pp_audit_event_t ev;
  sample(&ev);
  char ua[600];
  memset(ua, 'y', sizeof ua - 1);
  ua[sizeof ua - 1] = '\0';
  memcpy(ua, "a\"b\\c\n\xc3\xa9\x7f", 9);
  ev.user_agent = ua;
  ev.request = NULL;
  ev.nresources = 0;
  pp_buf_t b;
  pp_buf_init(&b, 0);
  CHECK_EQ_INT(pp_audit_leaf_encode(&ev, &b), PP_OK);
  CHECK(strstr(b.data, "\"user_agent\":\"a\\\"b\\\\c????yyy") != NULL);
  CHECK(strstr(b.data, "\"request\":\"\"") != NULL);
  CHECK(strstr(b.data, "\"resources\":[]") != NULL);
  for (size_t i = 0; i < b.len; i++) CHECK(b.data[i] >= 0x20 && b.data[i] <= 0x7e);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_event_t back;
  CHECK_EQ_INT(pp_audit_leaf_decode(b.data, b.len, &a, &back), PP_OK);
  CHECK_EQ_INT(strlen(back.user_agent), PP_AUDIT_UA_MAX);
  CHECK_EQ_INT(back.user_agent[1], '"');
  pp_arena_cleanup(&a);
  pp_buf_cleanup(&b);
}

/* Replaces the first `from` in the expected leaf with `to`; the result must
 * not decode. */
static int decodes_after(const char *from, const char *to) {
  char buf[2048];
  const char *at = strstr(expected, from);
  if (!at) return -1;
  size_t pre = (size_t)(at - expected);
  snprintf(buf, sizeof buf, "%.*s%s%s", (int)pre, expected, to, at + strlen(from));
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_event_t ev;
  pp_err_t e = pp_audit_leaf_decode(buf, strlen(buf), &a, &ev);
  pp_arena_cleanup(&a);
  return e == PP_OK;
}

static void test_strict(void) {
  static const char *const edits[][2] = {
      {"{", "{ "},                           /* whitespace */
      {"\"seq\":41", "\"seq\":041"},         /* leading zero */
      {"\"seq\":41", "\"seq\":-41"},         /* negative */
      {"\"seq\":41", "\"seq\":41.0"},        /* not an integer */
      {"\"v\":1", "\"v\":2"},                /* unknown version */
      {"content.read", "content.peek"},      /* unknown kind */
      {"\"key\"", "\"robot\""},              /* unknown principal kind */
      {"twilio-node", "twilio\\nnode"},      /* an escape we never write */
      {"twilio-node", "twilio\\u002dnode"},  /* another */
      {"twilio-node", "twilio\xc3\xa9node"}, /* a byte we never write */
      {"SM00000000000000000000000000000002", "SM00000000000000000000000000000001"},
      {"\"ip\":\"127.0.0.1\",", ""},              /* a member missing */
      {"\"account\"", "\"Account\""},             /* a renamed member */
      {"\"v\":1}", "\"v\":1}\n"},                 /* trailing bytes */
      {"\"v\":1}", "\"v\":1,\"x\":1}"},           /* an extra member */
      {"\"seq\":41", "\"seq\":9007199254740992"}, /* above 2^53 - 1 */
  };
  int accepted = 0, missing = 0;
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    int r = decodes_after(edits[i][0], edits[i][1]);
    if (r < 0) missing++;
    if (r > 0) {
      accepted++;
      fprintf(stderr, "accepted: %s -> %s\n", edits[i][0], edits[i][1]);
    }
  }
  CHECK_EQ_INT(missing, 0);
  CHECK_EQ_INT(accepted, 0);
  CHECK_EQ_INT(decodes_after("\"seq\":41", "\"seq\":42"), 1); /* sanity: still a leaf */
}

static void test_names(void) {
  for (int i = 0; i < PP_AUDIT__KIND_COUNT; i++) {
    pp_audit_kind_t k;
    CHECK(pp_audit_kind_parse(pp_audit_kind_name((pp_audit_kind_t)i), &k));
    CHECK_EQ_INT(k, i);
  }
  for (int i = 0; i < PP_AUDIT__PRINCIPAL_COUNT; i++) {
    pp_audit_principal_t p;
    CHECK(pp_audit_principal_parse(pp_audit_principal_name((pp_audit_principal_t)i), &p));
    CHECK_EQ_INT(p, i);
  }
  CHECK_EQ_STR(pp_audit_kind_name(PP_AUDIT_FACTOR_REGISTERED), "verify.factor_registered");
  CHECK_EQ_STR(pp_audit_kind_name((pp_audit_kind_t)999), "?");
  char out[PP_AUDIT_OUTCOME_SIZE];
  pp_audit_outcome(PP_OK, out);
  CHECK_EQ_STR(out, "ok");
  pp_audit_outcome(PP_ERR_NOT_FOUND, out);
  CHECK_EQ_STR(out, "not_found");
  CHECK_EQ_STR(pp_audit_resource_type("SM00000000000000000000000000000001"), "message");
  CHECK_EQ_STR(pp_audit_resource_type("MM00000000000000000000000000000001"), "message");
  CHECK_EQ_STR(pp_audit_resource_type("YF00000000000000000000000000000001"), "factor");
  CHECK_EQ_STR(pp_audit_resource_type("LR00000000000000000000000000000001"), "access_request");
  CHECK_EQ_STR(pp_audit_resource_type("change:CR00000000000000000000000000000001"), "change");
  CHECK_EQ_STR(pp_audit_resource_type("carrier:demo"), "config");
  CHECK_EQ_STR(pp_audit_resource_type("SM0"), "other");
}

static void test_limits(void) {
  pp_audit_event_t ev;
  sample(&ev);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  ev.seq = -1;
  CHECK_EQ_INT(pp_audit_leaf_encode(&ev, &b), PP_ERR_INVALID_PARAM);
  sample(&ev);
  ev.nresources = PP_AUDIT_MAX_RESOURCES + 1;
  CHECK_EQ_INT(pp_audit_leaf_encode(&ev, &b), PP_ERR_INVALID_PARAM);
  sample(&ev);
  ev.kind = PP_AUDIT__KIND_COUNT;
  CHECK_EQ_INT(pp_audit_leaf_encode(&ev, &b), PP_ERR_INVALID_PARAM);
  pp_buf_cleanup(&b);

  /* The largest event: 1000 resources of the longest name. */
  sample(&ev);
  static char names[PP_AUDIT_MAX_RESOURCES][PP_AUDIT_RESOURCE_MAX + 1];
  static const char *ptrs[PP_AUDIT_MAX_RESOURCES];
  for (int i = 0; i < PP_AUDIT_MAX_RESOURCES; i++) {
    memset(names[i], 'r', PP_AUDIT_RESOURCE_MAX);
    snprintf(names[i], 12, "route:%05d", i);
    names[i][11] = 'r';
    names[i][PP_AUDIT_RESOURCE_MAX] = '\0';
    ptrs[i] = names[i];
  }
  ev.resources = ptrs;
  ev.nresources = PP_AUDIT_MAX_RESOURCES;
  pp_buf_init(&b, 0);
  CHECK_EQ_INT(pp_audit_leaf_encode(&ev, &b), PP_OK);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_audit_event_t back;
  CHECK_EQ_INT(pp_audit_leaf_decode(b.data, b.len, &a, &back), PP_OK);
  CHECK_EQ_INT(back.nresources, PP_AUDIT_MAX_RESOURCES);
  CHECK_EQ_STR(back.resources[999], names[999]);
  pp_arena_cleanup(&a);
  pp_buf_cleanup(&b);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  test_encode_exact();
  test_sanitise();
  test_strict();
  test_names();
  test_limits();
  return check_report("security_audit");
}

/* Webhook signatures: every signature test vector of twilio-node's own
 * specs (spec/validation.spec.js and spec/unit/webhooks/webhooks.spec.js at
 * twilio/twilio-node 45d3d65), the four URL spellings validateRequest tries,
 * the URL normalization and querystring round trip behind them (expected
 * values printed by Node 20.20.2), JavaScript's sort order for keys beyond
 * the BMP, and the edges of the C API. */
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "hook/sign.h"
#include "hook/url.h"

/* ---- twilio-node's vectors ----------------------------------------------- */

#define TOKEN "12345"
#define REQUEST_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define DEFAULT_SIG "RSOYDt4T1cUTdK1PDd93/VVr8B8="
#define BODY "{\"property\": \"value\", \"boolean\": true}"
#define BODY_SHA "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
#define EMPTY_SHA "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

static pp_param_t P(const char *name, const char *value) {
  return (pp_param_t){name, value, strlen(value)};
}

static pp_param_t default_params[5];

static void init_params(void) {
  default_params[0] = P("CallSid", "CA1234567890ABCDE");
  default_params[1] = P("Caller", "+14158675309");
  default_params[2] = P("Digits", "1234");
  default_params[3] = P("From", "+14158675309");
  default_params[4] = P("To", "+18005551212");
}

static void test_sign_default(void) {
  char sig[PP_HOOK_SIG_SIZE];
  CHECK_EQ_INT(pp_hook_sign(TOKEN, REQUEST_URL, default_params, 5, sig), PP_OK);
  CHECK_EQ_STR(sig, DEFAULT_SIG);
  CHECK_EQ_INT(strlen(sig), PP_HOOK_SIG_LEN);
  /* The order the parameters come in does not matter. */
  pp_param_t rev[5];
  for (int i = 0; i < 5; i++) rev[i] = default_params[4 - i];
  CHECK_EQ_INT(pp_hook_sign(TOKEN, REQUEST_URL, rev, 5, sig), PP_OK);
  CHECK_EQ_STR(sig, DEFAULT_SIG);
  CHECK_EQ_STR(rev[0].name, "To"); /* and the caller's array is left alone */

  CHECK(pp_hook_validate(TOKEN, DEFAULT_SIG, REQUEST_URL, default_params, 5));
  CHECK(!pp_hook_validate(TOKEN, "WRONG_SIGNATURE", REQUEST_URL, default_params, 5));
  CHECK(!pp_hook_validate(TOKEN, NULL, REQUEST_URL, default_params, 5));
  CHECK(!pp_hook_validate("54321", DEFAULT_SIG, REQUEST_URL, default_params, 5));
  CHECK(!pp_hook_validate(TOKEN, DEFAULT_SIG, REQUEST_URL, default_params, 4));
}

static void test_body(void) {
  char hash[PP_HOOK_SHA256_HEX_SIZE];
  CHECK_EQ_INT(pp_hook_body_sha256(BODY, strlen(BODY), hash), PP_OK);
  CHECK_EQ_STR(hash, BODY_SHA);
  CHECK_EQ_INT(pp_hook_body_sha256("{}", 2, hash), PP_OK);
  CHECK_EQ_STR(hash, EMPTY_SHA);
  CHECK(pp_hook_validate_body(BODY, strlen(BODY), BODY_SHA));
  CHECK(!pp_hook_validate_body(BODY, strlen(BODY), "WRONG_HASH"));
  CHECK(!pp_hook_validate_body(BODY, strlen(BODY), NULL));
  CHECK_EQ_INT(pp_hook_body_sha256(NULL, 0, hash), PP_OK);
  CHECK_EQ_STR(hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  const char *with_hash = REQUEST_URL "&bodySHA256=" BODY_SHA;
  const char *with_empty = REQUEST_URL "&bodySHA256=" EMPTY_SHA;
  const char *short_url = "https://mycompany.com/myapp.php?bodySHA256=" BODY_SHA;
  CHECK(pp_hook_validate_with_body(TOKEN, "a9nBmqA0ju/hNViExpshrM61xv4=", with_hash, BODY,
                                   strlen(BODY)));
  CHECK(pp_hook_validate_with_body(TOKEN, "Ldidvp12m26NI7eqEvxnEpkd9Hc=", with_empty, "{}", 2));
  CHECK(pp_hook_validate_with_body(TOKEN, "y77kIzt2vzLz71DgmJGsen2scGs=", short_url, BODY,
                                   strlen(BODY)));
  /* A body but no bodySHA256 in the URL. */
  CHECK(!pp_hook_validate_with_body(TOKEN, DEFAULT_SIG, REQUEST_URL, BODY, strlen(BODY)));
  /* The right signature, another body. */
  CHECK(!pp_hook_validate_with_body(TOKEN, "a9nBmqA0ju/hNViExpshrM61xv4=", with_hash, "{}", 2));
  /* The middleware's "wrong hash" case: the URL's last hex digit cut off. */
  char cut[256];
  snprintf(cut, sizeof cut, "%s", with_hash);
  cut[strlen(cut) - 1] = '\0';
  CHECK(
      !pp_hook_validate_with_body(TOKEN, "a9nBmqA0ju/hNViExpshrM61xv4=", cut, BODY, strlen(BODY)));

  /* The signing side: the URL to sign for a JSON body, then its signature. */
  pp_arena_t a;
  pp_arena_init(&a, 0);
  const char *u = NULL;
  CHECK_EQ_INT(pp_hook_url_with_body_sha256(&a, REQUEST_URL, BODY, strlen(BODY), &u), PP_OK);
  CHECK_EQ_STR(u, with_hash);
  char sig[PP_HOOK_SIG_SIZE];
  CHECK_EQ_INT(pp_hook_sign(TOKEN, u, NULL, 0, sig), PP_OK);
  CHECK_EQ_STR(sig, "a9nBmqA0ju/hNViExpshrM61xv4=");
  CHECK_EQ_INT(
      pp_hook_url_with_body_sha256(&a, "https://mycompany.com/myapp.php", BODY, strlen(BODY), &u),
      PP_OK);
  CHECK_EQ_STR(u, short_url);
  CHECK_EQ_INT(pp_hook_sign(TOKEN, u, NULL, 0, sig), PP_OK);
  CHECK_EQ_STR(sig, "y77kIzt2vzLz71DgmJGsen2scGs=");
  u = "unchanged";
  CHECK_EQ_INT(pp_hook_url_with_body_sha256(&a, "https://x.com/#f", BODY, 2, &u),
               PP_ERR_INVALID_PARAM);
  CHECK_EQ_STR(u, "unchanged");
  pp_arena_cleanup(&a);
}

/* validateRequest's URL variants: ports stripped or added, credentials. */
static void test_ports_and_credentials(void) {
  const pp_param_t *p = default_params;
  CHECK(pp_hook_validate(TOKEN, DEFAULT_SIG, "https://mycompany.com:1234/myapp.php?foo=1&bar=2", p,
                         5));
  CHECK(pp_hook_validate(TOKEN, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
                         "http://mycompany.com:1234/myapp.php?foo=1&bar=2", p, 5));
  CHECK(pp_hook_validate(TOKEN, "kvajT1Ptam85bY51eRf/AJRuM3w=", REQUEST_URL, p, 5));
  CHECK(pp_hook_validate(
      TOKEN, "0ZXoZLH/DfblKGATFgpif+LLRf4=", "http://mycompany.com/myapp.php?foo=1&bar=2", p, 5));
  CHECK(pp_hook_validate(TOKEN, "CukzLTc1tT5dXEDIHm/tKBanW10=",
                         "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", p, 5));
  CHECK(pp_hook_validate(TOKEN, "2YRLlVAflCqxaNicjMpJcSTgzSs=",
                         "https://user@mycompany.com/myapp.php?foo=1&bar=2", p, 5));
  CHECK(pp_hook_validate(TOKEN, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=",
                         "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", p, 5));
  /* Each of those is the signature of exactly one spelling. */
  char sig[PP_HOOK_SIG_SIZE];
  pp_hook_sign(TOKEN, "https://mycompany.com:443/myapp.php?foo=1&bar=2", p, 5, sig);
  CHECK_EQ_STR(sig, "kvajT1Ptam85bY51eRf/AJRuM3w=");
  pp_hook_sign(TOKEN, "http://mycompany.com:80/myapp.php?foo=1&bar=2", p, 5, sig);
  CHECK_EQ_STR(sig, "0ZXoZLH/DfblKGATFgpif+LLRf4=");
  pp_hook_sign(TOKEN, "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", p, 5, sig);
  CHECK_EQ_STR(sig, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=");
  /* A signature for port 1234 does not validate another port. */
  CHECK(!pp_hook_validate(TOKEN, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
                          "http://mycompany.com:1235/myapp.php?foo=1&bar=2", p, 5));
}

static void test_special_characters_and_arrays(void) {
  CHECK(pp_hook_validate(TOKEN, "TfZzewPq8wqrGlMfyAud8+/IvJ0=", REQUEST_URL "&Body=It's+amazing",
                         default_params, 5));

  /* twilio-node's placeholder numbers: "+1325" and "+1415", then seven 'x'. */
  char n1[13] = "+1325", n2[13] = "+1415";
  memset(n1 + 5, 'x', 7);
  memset(n2 + 5, 'x', 7);
  n1[12] = n2[12] = '\0';
  pp_param_t arr[2] = {P("MessagingBinding.Address", n1), P("MessagingBinding.Address", n2)};
  CHECK(pp_hook_validate(TOKEN, "83O6e2vORAoJHUNzJjDWN1jz+BA=", REQUEST_URL, arr, 2));
  pp_param_t arr2[2] = {arr[1], arr[0]};
  CHECK(pp_hook_validate(TOKEN, "83O6e2vORAoJHUNzJjDWN1jz+BA=", REQUEST_URL, arr2, 2));

  /* Digits: ["5678", "1234", "1234"]: sorted, the repeat counted once. */
  pp_param_t multi[5] = {P("Sid", "CA123"), P("SidAccount", "AC123"), P("Digits", "5678"),
                         P("Digits", "1234"), P("Digits", "1234")};
  CHECK(pp_hook_validate(TOKEN, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", REQUEST_URL, multi, 5));
  char sig[PP_HOOK_SIG_SIZE];
  CHECK_EQ_INT(pp_hook_sign(TOKEN, REQUEST_URL, multi, 5, sig), PP_OK);
  CHECK_EQ_STR(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

/* spec/unit/webhooks/webhooks.spec.js: sign the server's URL, validate the
 * target URL, token "s3cr3t", no parameters. */
static void test_webhooks_spec(void) {
  static const struct {
    const char *server, *target;
    bool valid;
  } cases[] = {
      {"https://example.com/path?test=param", "https://example.com/path?test=param2", false},
      {"https://example.com:443/path?test=param", "https://example.com:443/path?test=param", true},
      {"https://example.com:443/path?test=param", "https://example.com/path?test=param", true},
      {"https://example.com/path?test=param", "https://example.com/path?test=param", true},
      {"https://example.com/path?test=param", "https://example.com:443/path?test=param", true},
      {"https://example.com/path?test=param'WithQuote",
       "https://example.com/path?test=param'WithQuote", true},
      {"https://example.com/path?test=param'WithQuote",
       "https://example.com/path?test=param%27WithQuote", true},
      {"https://example.com/path?test=param%27WithQuote",
       "https://example.com/path?test=param'WithQuote", true},
      {"https://example.com/path?test=param%27WithQuote",
       "https://example.com/path?test=param%27WithQuote", true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char sig[PP_HOOK_SIG_SIZE];
    CHECK_EQ_INT(pp_hook_sign("s3cr3t", cases[i].server, NULL, 0, sig), PP_OK);
    bool v = pp_hook_validate("s3cr3t", sig, cases[i].target, NULL, 0);
    if (v != cases[i].valid) fprintf(stderr, "webhooks.spec case %zu\n", i);
    CHECK_EQ_INT(v, cases[i].valid);
  }
}

/* ---- The four spellings, and what Node does to URLs ------------------------ */

static void check_variants(const char *url, const char *v0, const char *v1, const char *v2,
                           const char *v3) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  const char *v[PP_HOOK_URL_VARIANTS] = {0};
  CHECK_EQ_INT(pp_hook_url_variants(&a, url, v), PP_OK);
  CHECK_EQ_STR(v[0], v0);
  CHECK_EQ_STR(v[1], v1);
  CHECK_EQ_STR(v[2], v2);
  CHECK_EQ_STR(v[3], v3);
  pp_arena_cleanup(&a);
}

static void test_variants(void) {
  check_variants(REQUEST_URL, REQUEST_URL, "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                 REQUEST_URL, REQUEST_URL);
  /* The legacy spelling re-parses the ":443" spelling, which drops it. */
  check_variants("http://a.com:8080/p?x=It's+ok&y=%41", "http://a.com/p?x=It%27s+ok&y=%41",
                 "http://a.com:8080/p?x=It%27s+ok&y=%41", "http://a.com/p?x=It's%20ok&y=A",
                 "http://a.com:8080/p?x=It's%20ok&y=A");
  /* No query: the ":80" spelling is kept by the legacy step. */
  check_variants("http://a.com", "http://a.com/", "http://a.com:80/", "http://a.com/",
                 "http://a.com:80/");
  /* An empty '?' and '#' stay in href, not in the standard-port spelling. */
  check_variants("https://a.com/?#", "https://a.com/?#", "https://a.com:443/", "https://a.com/?#",
                 "https://a.com:443/");
  check_variants("https://a.com/p?q#f", "https://a.com/p?q#f", "https://a.com:443/p?q#f",
                 "https://a.com/p#f?q=", "https://a.com/p#f?q=");

  pp_arena_t a;
  pp_arena_init(&a, 0);
  const char *v[PP_HOOK_URL_VARIANTS];
  /* URLs Node refuses, then two it accepts that are outside the subset
   * (another scheme; a host that needs IDNA). */
  static const char *const bad[] = {"",
                                    "mycompany.com/x",
                                    "https://",
                                    "https://:80/",
                                    "https://u@/",
                                    "https://a.com:65536/",
                                    "https://a.com:8x/",
                                    "https://1.2.3.4.5/",
                                    "https://foo.0x/",
                                    "https://a b.com/",
                                    "https://[::1/",
                                    "https://[::g]/",
                                    "https://09/",
                                    "ftp://a.com/",
                                    "https://\xc3\xa9.com/"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pp_err_t e = pp_hook_url_variants(&a, bad[i], v);
    if (e != PP_ERR_INVALID_PARAM) fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
    CHECK_EQ_INT(e, PP_ERR_INVALID_PARAM);
    CHECK(!pp_hook_validate(TOKEN, DEFAULT_SIG, bad[i], NULL, 0));
  }
  pp_arena_cleanup(&a);
}

/* Input and `new URL(input).href` as Node 20.20.2 printed them. */
static void test_url_normalization(void) {
  static const char *const cases[][2] = {
      {"https://a.com/a^b|c[d]e?q=^|[]{}`'\"", "https://a.com/a^b|c[d]e?q=^|[]{}`%27%22"},
      {"https://u@s:p@a@b.com/", "https://u%40s:p%40a@b.com/"},
      {"https://us:er:pa@b.com/", "https://us:er%3Apa@b.com/"},
      {"https://:p@b.com/", "https://:p@b.com/"},
      {"https://b.com?x", "https://b.com/?x"},
      {"https://b.com#x", "https://b.com/#x"},
      {"https://b.com/?", "https://b.com/?"},
      {"https://b.com/#", "https://b.com/#"},
      {"HTTPS://B.COM:443", "https://b.com/"},
      {"https://A.COM:0443/a/./b/../c d?x", "https://a.com/a/c%20d?x"},
      {"https://0x7f.1/", "https://127.0.0.1/"},
      {"https://2130706433/", "https://127.0.0.1/"},
      {"https://1./", "https://0.0.0.1/"},
      {"https://[::FFFF:1.2.3.4]/", "https://[::ffff:102:304]/"},
      {"https://[1:0:0:1:0:0:0:1]/", "https://[1:0:0:1::1]/"},
      {"https://b.com:/x", "https://b.com/x"},
      {"https://b.com\\x\\..\\y", "https://b.com/y"},
      {"https:b.com/x", "https://b.com/x"},
      {"https:///b.com/x", "https://b.com/x"},
      {"https://b.com/%2e/x/%2E%2e/y", "https://b.com/y"},
      {"https://b.com/a/..", "https://b.com/"},
      {"https://b.com/a/.", "https://b.com/a/"},
      {"https://b.com/a/../../..", "https://b.com/"},
      {" https://b.com/ a\t\nb ", "https://b.com/%20ab"},
      {"https://a%41.com/", "https://aa.com/"},
      {"https://b.com/\xc3\xa9?\xc3\xa9#\xc3\xa9", "https://b.com/%C3%A9?%C3%A9#%C3%A9"},
      {"https://user:pa ss@b.com/", "https://user:pa%20ss@b.com/"},
      {"https://b.com?a#b#c", "https://b.com/?a#b#c"},
      {"http://b.com:80/", "http://b.com/"},
      {"http://b.com:443/", "http://b.com:443/"},
  };
  pp_arena_t a;
  pp_arena_init(&a, 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pp_hook_url_t u;
    pp_err_t e = pp_hook_url_parse(&a, cases[i][0], &u);
    CHECK_EQ_INT(e, PP_OK);
    if (e == PP_OK) CHECK_EQ_STR(pp_hook_url_href(&a, &u), cases[i][1]);
  }
  pp_arena_cleanup(&a);
}

/* Input and querystring.stringify(querystring.parse(input)) from Node. */
static void test_querystring(void) {
  static const char *const cases[][2] = {
      {"a&&b", "a=&b="},
      {"&=x", "=x"},
      {"=", "="},
      {"a=1=2", "a=1%3D2"},
      {"&&", ""},
      {"a=%zz&b=%41%", "a=%25zz&b=A%25"},
      {"x=%E2%82%AC&y=%C0%AF", "x=%E2%82%AC&y=%EF%BF%BD%EF%BF%BD"},
      {"t=%E2%82&u=%F0%9F%98", "t=%EF%BF%BD&u=%EF%BF%BD"},
      {"10=a&9=b&01=c&4294967295=d&4294967294=e&-1=f",
       "9=b&10=a&4294967294=e&01=c&4294967295=d&-1=f"},
      {"a+b=c+d", "a%20b=c%20d"},
      {"__proto__=1&constructor=2", "__proto__=1&constructor=2"},
      {"b=1&a=2&b=3", "b=1&b=3&a=2"},
      {"q=It%27s+(ok)*!~", "q=It's%20(ok)*!~"},
  };
  pp_arena_t a;
  pp_arena_init(&a, 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_EQ_STR(pp_hook_qs_legacy(&a, cases[i][0]), cases[i][1]);
  pp_arena_cleanup(&a);
}

/* ---- Sort order, odd values, the API's edges --------------------------------- */

/* Expected signatures printed by twilio 6.2.0's getExpectedTwilioSignature. */
static void test_js_order_and_edges(void) {
  char sig[PP_HOOK_SIG_SIZE];
  /* Keys U+1F600, U+E000, "Z": JavaScript sorts "Z", U+1F600, U+E000. */
  pp_param_t astral[3] = {P("\xF0\x9F\x98\x80", "a"), P("\xEE\x80\x80", "b"), P("Z", "c")};
  CHECK_EQ_INT(pp_hook_sign(TOKEN, REQUEST_URL, astral, 3, sig), PP_OK);
  CHECK_EQ_STR(sig, "mrIE9X3RoIf9VgPCEkSKQ/AGjAE=");
  /* Values of one key: U+FFFD, U+1F600, "a". */
  pp_param_t vals[3] = {P("K", "\xEF\xBF\xBD"), P("K", "\xF0\x9F\x98\x80"), P("K", "a")};
  CHECK_EQ_INT(pp_hook_sign(TOKEN, REQUEST_URL, vals, 3, sig), PP_OK);
  CHECK_EQ_STR(sig, "Mr66BOhAE48E5kYG2+hwU7jE+ls=");
  /* An empty token is a key like any other. */
  pp_param_t one = P("A", "1");
  CHECK_EQ_INT(pp_hook_sign("", "https://example.com/", &one, 1, sig), PP_OK);
  CHECK_EQ_STR(sig, "A1SpYvdCjCXTYS4S7LoKGfw3VQw=");
  /* A value holding a NUL byte is signed whole. */
  pp_param_t nul = {"A", "x\0y", 3};
  CHECK_EQ_INT(pp_hook_sign(TOKEN, "https://example.com/", &nul, 1, sig), PP_OK);
  CHECK_EQ_STR(sig, "0vz49Cts/N4eitiuiAVwk6a1oOU=");

  strcpy(sig, "untouched");
  CHECK_EQ_INT(pp_hook_sign(NULL, REQUEST_URL, NULL, 0, sig), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_hook_sign(TOKEN, NULL, NULL, 0, sig), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_hook_sign(TOKEN, REQUEST_URL, NULL, 1, sig), PP_ERR_INVALID_PARAM);
  CHECK_EQ_STR(sig, "untouched");

  CHECK(pp_hook_sig_equal(DEFAULT_SIG, DEFAULT_SIG));
  CHECK(!pp_hook_sig_equal(DEFAULT_SIG, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
  CHECK(!pp_hook_sig_equal(DEFAULT_SIG, "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
  CHECK(!pp_hook_sig_equal(NULL, DEFAULT_SIG));
  CHECK(!pp_hook_sig_equal(DEFAULT_SIG, NULL));
  CHECK(!pp_hook_validate(NULL, DEFAULT_SIG, REQUEST_URL, default_params, 5));
  CHECK(!pp_hook_validate(TOKEN, DEFAULT_SIG, NULL, default_params, 5));
}

int main(void) {
  init_params();
  test_sign_default();
  test_body();
  test_ports_and_credentials();
  test_special_characters_and_arrays();
  test_webhooks_spec();
  test_variants();
  test_url_normalization();
  test_querystring();
  test_js_order_and_edges();
  return check_report("test_hook_sign");
}

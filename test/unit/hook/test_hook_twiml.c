/* TwiML replies: the messaging subset (Message with text, Body and Media,
 * attributes; Redirect), trimming, warnings for what is skipped, every
 * limit at and past its edge, refusal of DOCTYPEs and other non-TwiML,
 * encodings, text/plain replies and the Content-Type check. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "hook/twiml.h"

static pp_arena_t arena;

/* Parses a NUL-terminated document; the result in *t. */
static pp_err_t parse(const char *xml, pp_twiml_t *t, char *why) {
  return pp_twiml_parse(xml, strlen(xml), &arena, t, why);
}

/* Parses into t (no reason asked) and checks that it succeeded; a macro so
 * that a failure names the caller's line. */
#define PARSE_OK(xml) CHECK_EQ_INT(parse((xml), &t, NULL), PP_OK)

static void test_message(void) {
  pp_twiml_t t;
  char why[PP_TWIML_WHY_SIZE] = "";
  CHECK_EQ_INT(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Response><Message>Hello</Message></Response>\n",
                     &t, why),
               PP_OK);
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_INT(t.verbs[0].kind, PP_TWIML_MESSAGE);
  CHECK_EQ_STR(t.verbs[0].body, "Hello");
  CHECK_EQ_INT(t.verbs[0].n_media, 0);
  CHECK(t.verbs[0].media == NULL);
  CHECK(t.verbs[0].to == NULL && t.verbs[0].from == NULL);
  CHECK(t.verbs[0].action == NULL && t.verbs[0].status_callback == NULL);
  CHECK_EQ_INT(t.verbs[0].method, PP_TWIML_POST);
  CHECK_EQ_INT(t.warning, PP_OK);
  CHECK_EQ_INT(t.n_warnings, 0);
  CHECK_EQ_STR(t.warning_detail, "");

  /* Leading and trailing whitespace goes; inner whitespace stays. */
  PARSE_OK("<Response>\n  <Message>\n    Hello\n    World  \n  </Message>\n</Response>");
  CHECK_EQ_STR(t.verbs[0].body, "Hello\n    World");

  /* Entities, character references and CDATA. */
  CHECK_EQ_INT(parse("<Response><Message>&lt;3 &amp; &#x1F600;&#233; <![CDATA[a < b]]>"
                     "</Message></Response>",
                     &t, NULL),
               PP_OK);
  CHECK_EQ_STR(t.verbs[0].body, "<3 & \xF0\x9F\x98\x80\xC3\xA9 a < b");

  /* Attributes, trimmed; method in any case. */
  PARSE_OK(
      "<Response><Message to=' +15558675310 ' from='+15017122661' "
      "action='https://example.com/a' method='get' "
      "statusCallback='https://example.com/s'>\n"
      "<Body> Hi there </Body>\n"
      "<Media>https://example.com/1.jpg</Media>"
      "<Media>\n https://example.com/2.png\n</Media>"
      "</Message></Response>");
  CHECK_EQ_INT(t.n, 1);
  const pp_twiml_verb_t *v = &t.verbs[0];
  CHECK_EQ_STR(v->to, "+15558675310");
  CHECK_EQ_STR(v->from, "+15017122661");
  CHECK_EQ_STR(v->action, "https://example.com/a");
  CHECK_EQ_STR(v->status_callback, "https://example.com/s");
  CHECK_EQ_INT(v->method, PP_TWIML_GET);
  CHECK_EQ_STR(v->body, "Hi there");
  CHECK_EQ_INT(v->n_media, 2);
  if (v->n_media == 2) {
    CHECK_EQ_STR(v->media[0], "https://example.com/1.jpg");
    CHECK_EQ_STR(v->media[1], "https://example.com/2.png");
  }
  CHECK_EQ_INT(t.n_warnings, 0);

  /* Media alone: the body is empty. */
  PARSE_OK("<Response><Message><Media>https://e.com/x</Media></Message></Response>");
  CHECK_EQ_STR(t.verbs[0].body, "");
  CHECK_EQ_INT(t.verbs[0].n_media, 1);

  /* An empty message is returned as such; the caller refuses it as the API
   * refuses an empty body. */
  PARSE_OK("<Response><Message/><Message>  </Message></Response>");
  CHECK_EQ_INT(t.n, 2);
  CHECK_EQ_STR(t.verbs[0].body, "");
  CHECK_EQ_STR(t.verbs[1].body, "");

  /* <Sms>, the older name, is a <Message>. */
  PARSE_OK("<Response><Sms to='+1555'>Old</Sms></Response>");
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_INT(t.verbs[0].kind, PP_TWIML_MESSAGE);
  CHECK_EQ_STR(t.verbs[0].body, "Old");
  CHECK_EQ_STR(t.verbs[0].to, "+1555");
}

static void test_redirect(void) {
  pp_twiml_t t;
  PARSE_OK(
      "<Response><Message>one</Message>"
      "<Redirect>\n  https://example.com/next \n</Redirect>"
      "<Message>never</Message><Redirect>/never</Redirect></Response>");
  CHECK_EQ_INT(t.n, 2);
  CHECK_EQ_INT(t.verbs[0].kind, PP_TWIML_MESSAGE);
  CHECK_EQ_INT(t.verbs[1].kind, PP_TWIML_REDIRECT);
  CHECK_EQ_STR(t.verbs[1].url, "https://example.com/next");
  CHECK_EQ_INT(t.verbs[1].method, PP_TWIML_POST);
  CHECK_EQ_INT(t.n_warnings, 0);

  CHECK_EQ_INT(parse("<Response><Redirect method=\"GET\">/relative?x=1&amp;y=2</Redirect>"
                     "</Response>",
                     &t, NULL),
               PP_OK);
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_STR(t.verbs[0].url, "/relative?x=1&y=2");
  CHECK_EQ_INT(t.verbs[0].method, PP_TWIML_GET);

  /* A bad method: a warning, and POST. */
  PARSE_OK("<Response><Redirect method='PUT'>/x</Redirect></Response>");
  CHECK_EQ_INT(t.verbs[0].method, PP_TWIML_POST);
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_SCHEMA);
  CHECK(strstr(t.warning_detail, "PUT") != NULL);
  /* An attribute Redirect does not have. */
  PARSE_OK("<Response><Redirect to='+1'>/x</Redirect></Response>");
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_SCHEMA);
  /* An element inside it. */
  PARSE_OK("<Response><Redirect>/x<b>y</b></Redirect></Response>");
  CHECK_EQ_STR(t.verbs[0].url, "/x");
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_SCHEMA);
}

static void test_empty(void) {
  pp_twiml_t t;
  static const char *const empty[] = {"<Response/>",
                                      "<Response></Response>",
                                      "<?xml version='1.0'?>\n<Response>\n  \n</Response>\n",
                                      "<Response><!-- nothing --><?pi x?></Response>",
                                      "",
                                      " \r\n\t "};
  for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
    memset(&t, 0x55, sizeof t);
    PARSE_OK(empty[i]);
    CHECK_EQ_INT(t.n, 0);
    CHECK(t.verbs == NULL);
    CHECK_EQ_INT(t.warning, PP_OK);
    CHECK_EQ_INT(t.n_warnings, 0);
  }
  CHECK_EQ_INT(pp_twiml_parse(NULL, 0, &arena, &t, NULL), PP_OK);
  CHECK_EQ_INT(t.n, 0);
}

/* Every input here is refused with `want`, *out untouched and `why` set. */
static void check_refused(const char *xml, size_t len, pp_err_t want, const char *why_has) {
  pp_twiml_t t;
  memset(&t, 0x5a, sizeof t);
  pp_twiml_t before = t;
  char why[PP_TWIML_WHY_SIZE] = "";
  pp_err_t e = pp_twiml_parse(xml, len, &arena, &t, why);
  if (e != want) fprintf(stderr, "input \"%.60s\": %d (%s)\n", xml, (int)e, why);
  CHECK_EQ_INT(e, want);
  CHECK(memcmp(&t, &before, sizeof t) == 0);
  if (why_has && !strstr(why, why_has)) fprintf(stderr, "why \"%s\" lacks \"%s\"\n", why, why_has);
  CHECK(why_has == NULL || strstr(why, why_has) != NULL);
  CHECK(why[0] != '\0');
  /* And without a `why`. */
  CHECK_EQ_INT(pp_twiml_parse(xml, len, &arena, &t, NULL), want);
}

static void refused(const char *xml, pp_err_t want, const char *why_has) {
  check_refused(xml, strlen(xml), want, why_has);
}

static void test_not_twiml(void) {
  refused("Thanks for your message!", PP_ERR_TWIML_PARSE, "line 1, column 0");
  refused("{\"message\": \"ok\"}", PP_ERR_TWIML_PARSE, "not well-formed");
  refused("<html><body>Error 500</body></html>", PP_ERR_TWIML_PARSE, "<html>, not <Response>");
  refused("<Message>hi</Message>", PP_ERR_TWIML_PARSE, "not <Response>");
  refused("<response><Message>hi</Message></response>", PP_ERR_TWIML_PARSE, "<response>");
  refused("<Response><Message>hi</Response>", PP_ERR_TWIML_PARSE, "mismatched tag");
  refused("<Response><Message>hi</Message>", PP_ERR_TWIML_PARSE, "line 1");
  refused("<Response/><Response/>", PP_ERR_TWIML_PARSE, "junk after document element");
  refused("<Response><Message a=1>hi</Message></Response>", PP_ERR_TWIML_PARSE, NULL);
  refused("<Response><Message to='1' to='2'>hi</Message></Response>", PP_ERR_TWIML_PARSE,
          "duplicate attribute");
  refused("<Response><Message>&nbsp;</Message></Response>", PP_ERR_TWIML_PARSE, "undefined entity");
  refused("<Response>\n<Message>\xff</Message></Response>", PP_ERR_TWIML_PARSE, "line 2");
  refused("<?xml version='1.0' encoding='windows-1252'?><Response/>", PP_ERR_TWIML_PARSE,
          "encoding");
  check_refused("<Response><Message>a\0b</Message></Response>", 42, PP_ERR_TWIML_PARSE, NULL);
  /* Only space, tab, CR and LF make an empty reply; other control bytes do
   * not. */
  refused("\x01", PP_ERR_TWIML_PARSE, "line 1");
  check_refused("\0", 1, PP_ERR_TWIML_PARSE, NULL);
}

static void test_doctype(void) {
  /* Entity expansion ("billion laughs"), external entities and external
   * DTDs: any DOCTYPE stops the parser before its subset is read. */
  refused(
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      "]>\n<Response><Message>&lol3;</Message></Response>",
      PP_ERR_TWIML_PARSE, "line 2, column 15: a DOCTYPE is not allowed");
  refused(
      "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Response><Message>&x;</Message></Response>",
      PP_ERR_TWIML_PARSE, "DOCTYPE");
  refused(
      "<!DOCTYPE Response SYSTEM \"http://169.254.169.254/latest/meta-data/\">"
      "<Response/>",
      PP_ERR_TWIML_PARSE, "DOCTYPE");
  refused("<!DOCTYPE Response><Response/>", PP_ERR_TWIML_PARSE, "DOCTYPE");
}

static void test_warnings(void) {
  pp_twiml_t t;
  /* Unknown verbs: 14110, skipped with everything inside them. */
  PARSE_OK(
      "<Response><Say>hi<Play>x</Play></Say><Message>x</Message>"
      "<Dial>+1</Dial></Response>");
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_STR(t.verbs[0].body, "x");
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_VERB);
  CHECK_EQ_INT(t.n_warnings, 2);
  CHECK(strstr(t.warning_detail, "<Say>") != NULL);
  CHECK(strstr(t.warning_detail, "line 1") != NULL);

  /* Lowercase is another element: TwiML names are case-sensitive. */
  PARSE_OK("<Response><message>x</message></Response>");
  CHECK_EQ_INT(t.n, 0);
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_VERB);

  /* Unknown attribute; unknown noun; a second Body; text beside nouns; an
   * element inside a Body; stray text; an empty Media; attributes on
   * Response, Body and Media. */
  static const struct {
    const char *xml, *body, *detail;
  } schema[] = {
      {"<Response><Message foo='1'>x</Message></Response>", "x", "attribute foo on <Message>"},
      {"<Response><Message><Body>x</Body><Foo>y</Foo></Message></Response>", "x", "<Foo>"},
      {"<Response><Message><Body>x</Body><Body>y</Body></Message></Response>", "x",
       "second <Body>"},
      {"<Response><Message>a<Body>x</Body>b</Message></Response>", "x", "text beside"},
      {"<Response><Message><Body>a<i>b</i>c</Body></Message></Response>", "ac", "<i>"},
      {"<Response>hello<Message>x</Message></Response>", "x", "text outside"},
      {"<Response><Message><Body>x</Body><Media> </Media></Message></Response>", "x",
       "empty <Media>"},
      {"<Response xmlns='urn:x'><Message>x</Message></Response>", "x", "xmlns on <Response>"},
      {"<Response><Message><Body lang='en'>x</Body></Message></Response>", "x", "lang on <Body>"},
  };
  for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++) {
    PARSE_OK(schema[i].xml);
    CHECK_EQ_INT(t.n, 1);
    if (t.n == 1) CHECK_EQ_STR(t.verbs[0].body, schema[i].body);
    CHECK_EQ_INT(t.warning, PP_ERR_TWIML_SCHEMA);
    CHECK_EQ_INT(t.n_warnings, 1);
    if (!strstr(t.warning_detail, schema[i].detail))
      fprintf(stderr, "case %zu: detail \"%s\"\n", i, t.warning_detail);
    CHECK(strstr(t.warning_detail, schema[i].detail) != NULL);
  }
  CHECK_EQ_INT(t.verbs[0].n_media, 0);
}

/* ---- Limits ------------------------------------------------------------------ */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail) {
  size_t n = strlen(head) + strlen(unit) * times + strlen(tail) + 1;
  char *s = malloc(n);
  if (!s) abort();
  strcpy(s, head);
  char *p = s + strlen(head);
  for (size_t i = 0; i < times; i++, p += strlen(unit)) memcpy(p, unit, strlen(unit));
  strcpy(p, tail);
  return s;
}

static void test_limits(void) {
  pp_twiml_t t;

  /* Ten messages are kept, the rest are 14109 warnings. */
  char *ten = repeat("<Response>", "<Message>m</Message>", 10, "</Response>");
  PARSE_OK(ten);
  CHECK_EQ_INT(t.n, 10);
  CHECK_EQ_INT(t.n_warnings, 0);
  free(ten);
  char *twelve =
      repeat("<Response>", "<Message>m</Message>", 12, "<Redirect>/r</Redirect></Response>");
  PARSE_OK(twelve);
  CHECK_EQ_INT(t.n, 11);
  CHECK_EQ_INT(t.verbs[10].kind, PP_TWIML_REDIRECT);
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_MESSAGE_LIMIT);
  CHECK_EQ_INT(t.n_warnings, 2);
  free(twelve);

  /* 1600 characters (two bytes each, and whitespace around) pass; 1601 do
   * not. */
  char *body = repeat("<Response><Message>\n ", "\xC3\xA9", 1600, " \n</Message></Response>");
  PARSE_OK(body);
  CHECK_EQ_INT(strlen(t.verbs[0].body), 3200);
  free(body);
  body = repeat("<Response><Message><Body>", "\xC3\xA9", 1601, "</Body></Message></Response>");
  refused(body, PP_ERR_BODY_TOO_LONG, "1601 characters");
  free(body);
  body = repeat("<Response><Message>", "a", 1601, "</Message></Response>");
  refused(body, PP_ERR_BODY_TOO_LONG, "<Message> 1 has 1601");
  free(body);

  /* Ten <Media> pass; eleven refuse the reply. */
  char *media =
      repeat("<Response><Message>", "<Media>https://e.com/m</Media>", 10, "</Message></Response>");
  PARSE_OK(media);
  CHECK_EQ_INT(t.verbs[0].n_media, 10);
  free(media);
  media =
      repeat("<Response><Message>", "<Media>https://e.com/m</Media>", 11, "</Message></Response>");
  refused(media, PP_ERR_TWIML_PARSE, "more than 10 <Media>");
  free(media);

  /* Nesting: 16 levels (skipped, with a warning) pass, 17 do not. */
  char *open16 = repeat("<Response><Message><Body>", "<a>", 13, "");
  char *deep = repeat(open16, "</a>", 13, "</Body></Message></Response>");
  PARSE_OK(deep);
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_INT(t.warning, PP_ERR_TWIML_SCHEMA);
  free(open16);
  free(deep);
  char *open17 = repeat("<Response><Message><Body>", "<a>", 14, "");
  deep = repeat(open17, "</a>", 14, "</Body></Message></Response>");
  refused(deep, PP_ERR_TWIML_PARSE, "deeper than 16");
  free(open17);
  free(deep);
  /* Deep inside a skipped verb counts too. */
  char *open_say = repeat("<Response><Say>", "<a>", 100, "");
  deep = repeat(open_say, "</a>", 100, "</Say></Response>");
  refused(deep, PP_ERR_TWIML_PARSE, "deeper than 16");
  free(open_say);
  free(deep);

  /* Input size: 65536 bytes pass, 65537 do not (checked before parsing). */
  const char *doc = "<Response><Message>x</Message></Response>";
  char *big = malloc(PP_TWIML_MAX_INPUT + 2);
  if (!big) abort();
  memset(big, ' ', PP_TWIML_MAX_INPUT + 1);
  memcpy(big, doc, strlen(doc));
  CHECK_EQ_INT(pp_twiml_parse(big, PP_TWIML_MAX_INPUT, &arena, &t, NULL), PP_OK);
  CHECK_EQ_INT(t.n, 1);
  check_refused(big, PP_TWIML_MAX_INPUT + 1, PP_ERR_TWIML_PARSE, "65537 bytes");
  free(big);
}

/* ---- Encodings ------------------------------------------------------------------ */

static void test_encodings(void) {
  pp_twiml_t t;
  /* UTF-16LE with a byte order mark. */
  const char *ascii = "<Response><Message>h\xe9</Message></Response>";
  size_t n = strlen(ascii);
  unsigned char *u16 = malloc(2 * n + 2);
  if (!u16) abort();
  u16[0] = 0xFF;
  u16[1] = 0xFE;
  for (size_t i = 0; i < n; i++) {
    u16[2 + 2 * i] = (unsigned char)ascii[i];
    u16[3 + 2 * i] = 0;
  }
  CHECK_EQ_INT(pp_twiml_parse((const char *)u16, 2 * n + 2, &arena, &t, NULL), PP_OK);
  CHECK_EQ_INT(t.n, 1);
  if (t.n) CHECK_EQ_STR(t.verbs[0].body, "h\xC3\xA9");
  free(u16);

  /* ISO-8859-1, declared. */
  PARSE_OK(
      "<?xml version='1.0' encoding='ISO-8859-1'?>"
      "<Response><Message>caf\xe9</Message></Response>");
  CHECK_EQ_STR(t.verbs[0].body, "caf\xC3\xA9");

  /* A UTF-8 byte order mark. */
  PARSE_OK("\xEF\xBB\xBF<Response><Message>x</Message></Response>");
  CHECK_EQ_STR(t.verbs[0].body, "x");
}

/* ---- text/plain and Content-Type ---------------------------------------------------- */

static void test_text(void) {
  pp_twiml_t t;
  char why[PP_TWIML_WHY_SIZE] = "";
  const char *txt = "  Thanks, we got it.\n";
  CHECK_EQ_INT(pp_twiml_parse_text(txt, strlen(txt), &arena, &t, why), PP_OK);
  CHECK_EQ_INT(t.n, 1);
  CHECK_EQ_INT(t.verbs[0].kind, PP_TWIML_MESSAGE);
  CHECK_EQ_STR(t.verbs[0].body, "Thanks, we got it.");
  CHECK(t.verbs[0].to == NULL);
  CHECK_EQ_INT(t.n_warnings, 0);
  CHECK_EQ_INT(pp_twiml_parse_text(" \n", 2, &arena, &t, why), PP_OK);
  CHECK_EQ_INT(t.n, 0);
  /* Markup in text/plain is text. */
  CHECK_EQ_INT(pp_twiml_parse_text("<b>hi</b>", 9, &arena, &t, why), PP_OK);
  CHECK_EQ_STR(t.verbs[0].body, "<b>hi</b>");

  memset(&t, 0, sizeof t);
  CHECK_EQ_INT(pp_twiml_parse_text("caf\xe9", 4, &arena, &t, why), PP_ERR_TWIML_PARSE);
  CHECK(strstr(why, "UTF-8") != NULL);
  CHECK_EQ_INT(pp_twiml_parse_text("a\0b", 3, &arena, &t, why), PP_ERR_TWIML_PARSE);
  CHECK_EQ_INT(pp_twiml_parse_text("\xED\xA0\x80", 3, &arena, &t, why), PP_ERR_TWIML_PARSE);
  CHECK_EQ_INT(pp_twiml_parse_text("\xC0\xAF", 2, &arena, &t, why), PP_ERR_TWIML_PARSE);
  CHECK_EQ_INT(pp_twiml_parse_text("\xF0\x9F\x98", 3, &arena, &t, why), PP_ERR_TWIML_PARSE);
  CHECK_EQ_INT(t.n, 0);
  char *long_text = repeat("", "\xF0\x9F\x98\x80", 1600, "");
  CHECK_EQ_INT(pp_twiml_parse_text(long_text, strlen(long_text), &arena, &t, why), PP_OK);
  free(long_text);
  long_text = repeat("", "x", 1601, "");
  CHECK_EQ_INT(pp_twiml_parse_text(long_text, strlen(long_text), &arena, &t, why),
               PP_ERR_BODY_TOO_LONG);
  free(long_text);
  long_text = repeat("", " ", PP_TWIML_MAX_INPUT + 1, "");
  CHECK_EQ_INT(pp_twiml_parse_text(long_text, strlen(long_text), &arena, &t, why),
               PP_ERR_TWIML_PARSE);
  free(long_text);
}

static void test_content_type(void) {
  static const struct {
    const char *ct;
    pp_err_t e;
    pp_twiml_ct_t kind;
  } cases[] = {
      {"text/xml", PP_OK, PP_TWIML_CT_XML},
      {"application/xml; charset=utf-8", PP_OK, PP_TWIML_CT_XML},
      {"TEXT/HTML;charset=ISO-8859-1", PP_OK, PP_TWIML_CT_XML},
      {" text/xml ", PP_OK, PP_TWIML_CT_XML},
      {"text/plain ; charset=utf-8", PP_OK, PP_TWIML_CT_TEXT},
      {"application/json", PP_ERR_TWIML_CONTENT_TYPE, 0},
      {"text/xmlx", PP_ERR_TWIML_CONTENT_TYPE, 0},
      {"text", PP_ERR_TWIML_CONTENT_TYPE, 0},
      {"", PP_ERR_TWIML_CONTENT_TYPE, 0},
      {";text/xml", PP_ERR_TWIML_CONTENT_TYPE, 0},
      {NULL, PP_ERR_TWIML_CONTENT_TYPE, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pp_twiml_ct_t k = (pp_twiml_ct_t)77;
    CHECK_EQ_INT(pp_twiml_content_type(cases[i].ct, &k), cases[i].e);
    CHECK_EQ_INT(k, cases[i].e == PP_OK ? cases[i].kind : (pp_twiml_ct_t)77);
  }
  CHECK_EQ_INT(pp_err_twilio_code(PP_ERR_TWIML_CONTENT_TYPE), 12300);
  CHECK_EQ_INT(pp_err_twilio_code(PP_ERR_TWIML_PARSE), 12100);
  CHECK_EQ_INT(pp_err_twilio_code(PP_ERR_TWIML_SCHEMA), 12200);
  CHECK_EQ_INT(pp_err_twilio_code(PP_ERR_TWIML_VERB), 14110);
  CHECK_EQ_INT(pp_err_twilio_code(PP_ERR_TWIML_MESSAGE_LIMIT), 14109);
}

/* The arena's cap is honoured: out of memory, not a crash or a partial
 * result. */
static void test_out_of_memory(void) {
  pp_arena_t small;
  pp_twiml_t t;
  char why[PP_TWIML_WHY_SIZE];
  char *body = repeat("<Response><Message>", "a", 1500, "</Message></Response>");
  for (size_t cap = 16; cap <= 2048; cap *= 2) {
    pp_arena_init(&small, cap);
    memset(&t, 0, sizeof t);
    pp_err_t e = pp_twiml_parse(body, strlen(body), &small, &t, why);
    CHECK_EQ_INT(e, cap < 2048 ? PP_ERR_NOMEM : PP_OK);
    if (e != PP_OK) CHECK_EQ_INT(t.n, 0);
    pp_arena_cleanup(&small);
  }
  free(body);
}

int main(void) {
  pp_arena_init(&arena, 0);
  test_message();
  test_redirect();
  test_empty();
  test_not_twiml();
  test_doctype();
  test_warnings();
  test_limits();
  test_encodings();
  test_text();
  test_content_type();
  test_out_of_memory();
  pp_arena_cleanup(&arena);
  return check_report("test_hook_twiml");
}

/* test_api_list.c: the API's shared request helpers (api.c), without a
 * store: PageSize/Page/PageToken parsing and its refusals, the filter
 * query, the 2010-04-01 list envelope and the newer products' `meta`
 * envelope (which page links appear, their tokens and numbers, going
 * forwards and backwards), callback URL checks, path captures, a form's
 * parse error as the client sees it, and the date fields' text. */
#include <jansson.h>
#include <stdlib.h>

#include "api/api.h"
#include "check.h"

static pp_api_req_t req;

/* A fresh request whose query string is `q`. */
static pp_api_req_t *with_query(const char *q) {
  pp_api_req_cleanup(&req);
  pp_api_req_init(&req, NULL);
  CHECK_EQ_INT(pp_form_parse(&req.query, &req.arena, q, strlen(q)), PP_OK);
  return &req;
}

static void test_page_parse(void) {
  pp_api_page_t pg;
  CHECK_EQ_INT(pp_api_page_parse(with_query(""), &pg), PP_OK);
  CHECK_EQ_INT(pg.req.limit, 50);
  CHECK_EQ_INT(pg.page, 0);
  CHECK_EQ_INT(pg.req.before_seq, 0);
  CHECK_EQ_INT(pg.req.after_seq, 0);

  CHECK_EQ_INT(pp_api_page_parse(with_query("PageSize=1&Page=7"), &pg), PP_OK);
  CHECK_EQ_INT(pg.req.limit, 1);
  CHECK_EQ_INT(pg.page, 7);
  CHECK_EQ_INT(pp_api_page_parse(with_query("PageSize=1000"), &pg), PP_OK);
  CHECK_EQ_INT(pg.req.limit, 1000);

  /* PA<seq>: the next page (older rows); PB<seq>: the previous one. */
  CHECK_EQ_INT(pp_api_page_parse(with_query("PageToken=PA42"), &pg), PP_OK);
  CHECK_EQ_INT(pg.req.before_seq, 42);
  CHECK_EQ_INT(pg.req.after_seq, 0);
  CHECK_EQ_INT(pp_api_page_parse(with_query("PageToken=PB9223372036854775807"), &pg), PP_OK);
  CHECK_EQ_INT(pg.req.after_seq, INT64_MAX);
  CHECK_EQ_INT(pg.req.before_seq, 0);
  CHECK_EQ_INT(pp_api_page_parse(with_query("PageToken="), &pg), PP_OK); /* empty: none */
  CHECK_EQ_INT(pg.req.before_seq + pg.req.after_seq, 0);

  const char *refused[] = {
      "PageSize=0",
      "PageSize=1001",
      "PageSize=-5",
      "PageSize=",
      "PageSize=10x",
      "PageSize=1e2",
      "Page=-1",
      "Page=1000000001",
      "Page=one",
      "PageToken=PA",
      "PageToken=PC1",
      "PageToken=pa1",
      "PageToken=PA0",
      "PageToken=PA-3",
      "PageToken=PA1x",
      "PageToken=XA1",
      "PageToken=PB99999999999999999999",
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    pp_api_req_t *r = with_query(refused[i]);
    pp_err_t e = pp_api_page_parse(r, &pg);
    if (e != PP_ERR_INVALID_PARAM) fprintf(stderr, "\"%s\" gave %d\n", refused[i], (int)e);
    CHECK_EQ_INT(e, PP_ERR_INVALID_PARAM);
    CHECK(r->err_detail != NULL);
  }
  pp_api_req_t *r = with_query("PageSize=0");
  CHECK(r->err_detail == NULL);
  pp_api_page_parse(r, &pg);
  CHECK_EQ_STR(r->err_detail, "PageSize must be from 1 to 1000");
}

static void test_filter_query(void) {
  const char *names[] = {"To", "From", "DateSent"};
  pp_api_req_t *r = with_query("From=%2B1555&Other=x&To=a%20b%26c");
  /* In the order asked, each encoded, each followed by '&'; others left out. */
  CHECK_EQ_STR(pp_api_filter_query(r, names, 3), "To=a%20b%26c&From=%2B1555&");
  CHECK_EQ_STR(pp_api_filter_query(with_query("Other=1"), names, 3), "");
  CHECK_EQ_STR(pp_api_filter_query(with_query("DateSent=2024-01-01"), names, 3),
               "DateSent=2024-01-01&");
}

/* Renders an envelope into JSON and parses it back. */
static json_t *list_json(const char *query, size_t n, bool more, int64_t first, int64_t last,
                         bool meta) {
  pp_api_req_t *r = with_query(query);
  pp_api_page_t pg;
  CHECK_EQ_INT(pp_api_page_parse(r, &pg), PP_OK);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  if (meta)
    pp_api_meta_envelope(r, &w, "things", "https://x.test/v1/Things", "To=a&", &pg, n, more, first,
                         last);
  else
    pp_api_list_envelope(r, &w, "/L.json", "To=a&", &pg, n, more, first, last);
  pp_jw_obj_end(&w);
  json_error_t err;
  json_t *j = json_loads(b.data, 0, &err);
  if (!j) fprintf(stderr, "not JSON: %s\n", b.data);
  CHECK(j != NULL);
  pp_buf_cleanup(&b);
  return j;
}

static const char *str(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long num(json_t *o, const char *k) {
  return json_integer_value(json_object_get(o, k));
}

static void test_list_envelope(void) {
  /* First page, more rows follow: a next link from the last seq, no previous. */
  json_t *j = list_json("PageSize=2", 2, true, 30, 20, false);
  CHECK_EQ_STR(str(j, "first_page_uri"), "/L.json?To=a&PageSize=2&Page=0");
  CHECK_EQ_STR(str(j, "uri"), "/L.json?To=a&PageSize=2&Page=0");
  CHECK_EQ_STR(str(j, "next_page_uri"), "/L.json?To=a&PageSize=2&Page=1&PageToken=PA20");
  CHECK(json_is_null(json_object_get(j, "previous_page_uri")));
  CHECK_EQ_INT(num(j, "page"), 0);
  CHECK_EQ_INT(num(j, "page_size"), 2);
  CHECK_EQ_INT(num(j, "start"), 0);
  CHECK_EQ_INT(num(j, "end"), 1);
  json_decref(j);

  /* Following the token: the last page (nothing more), a previous link. */
  j = list_json("PageSize=2&Page=1&PageToken=PA20", 1, false, 10, 10, false);
  CHECK_EQ_STR(str(j, "uri"), "/L.json?To=a&PageSize=2&Page=1&PageToken=PA20");
  CHECK(json_is_null(json_object_get(j, "next_page_uri")));
  CHECK_EQ_STR(str(j, "previous_page_uri"), "/L.json?To=a&PageSize=2&Page=0&PageToken=PB10");
  CHECK_EQ_INT(num(j, "start"), 2);
  CHECK_EQ_INT(num(j, "end"), 2);
  json_decref(j);

  /* Going backwards: `more` means newer rows precede; a next link always
   * when rows came. */
  j = list_json("PageSize=2&Page=3&PageToken=PB10", 2, true, 14, 12, false);
  CHECK_EQ_STR(str(j, "uri"), "/L.json?To=a&PageSize=2&Page=3&PageToken=PB10");
  CHECK_EQ_STR(str(j, "previous_page_uri"), "/L.json?To=a&PageSize=2&Page=2&PageToken=PB14");
  CHECK_EQ_STR(str(j, "next_page_uri"), "/L.json?To=a&PageSize=2&Page=4&PageToken=PA12");
  CHECK_EQ_INT(num(j, "start"), 6);
  CHECK_EQ_INT(num(j, "end"), 7);
  json_decref(j);
  j = list_json("PageSize=2&PageToken=PB10", 2, false, 14, 12, false);
  CHECK(json_is_null(json_object_get(j, "previous_page_uri")));
  /* A previous page never goes below page 0. */
  json_decref(j);
  j = list_json("PageSize=2&PageToken=PB10", 2, true, 14, 12, false);
  CHECK_EQ_STR(str(j, "previous_page_uri"), "/L.json?To=a&PageSize=2&Page=0&PageToken=PB14");
  json_decref(j);

  /* An empty page: end is start, no links onwards. */
  j = list_json("", 0, false, 0, 0, false);
  CHECK_EQ_INT(num(j, "end"), 0);
  CHECK(json_is_null(json_object_get(j, "next_page_uri")));
  CHECK(json_is_null(json_object_get(j, "previous_page_uri")));
  json_decref(j);
}

static void test_meta_envelope(void) {
  json_t *j = list_json("PageSize=5&Page=1&PageToken=PA50", 5, true, 49, 45, true);
  json_t *m = json_object_get(j, "meta");
  CHECK(json_is_object(m));
  CHECK_EQ_STR(str(m, "key"), "things");
  CHECK_EQ_INT(num(m, "page"), 1);
  CHECK_EQ_INT(num(m, "page_size"), 5);
  CHECK_EQ_STR(str(m, "first_page_url"), "https://x.test/v1/Things?To=a&PageSize=5&Page=0");
  CHECK_EQ_STR(str(m, "url"), "https://x.test/v1/Things?To=a&PageSize=5&Page=1&PageToken=PA50");
  CHECK_EQ_STR(str(m, "next_page_url"),
               "https://x.test/v1/Things?To=a&PageSize=5&Page=2&PageToken=PA45");
  CHECK_EQ_STR(str(m, "previous_page_url"),
               "https://x.test/v1/Things?To=a&PageSize=5&Page=0&PageToken=PB49");
  json_decref(j);
  j = list_json("", 3, false, 3, 1, true);
  m = json_object_get(j, "meta");
  CHECK(json_is_null(json_object_get(m, "next_page_url")));
  CHECK(json_is_null(json_object_get(m, "previous_page_url")));
  json_decref(j);
}

static void test_url_ok(void) {
  CHECK(pp_api_url_ok("http://a"));
  CHECK(pp_api_url_ok("https://example.com/hook?x=1"));
  CHECK(!pp_api_url_ok(""));
  CHECK(!pp_api_url_ok("ftp://example.com/"));
  CHECK(!pp_api_url_ok("HTTP://example.com/")); /* lower-case schemes only */
  CHECK(!pp_api_url_ok("http://"));
  CHECK(!pp_api_url_ok("https:///path"));
  CHECK(!pp_api_url_ok("http://a b/"));
  CHECK(!pp_api_url_ok("http://a/\tb"));
  CHECK(!pp_api_url_ok("http://a/\x7f"));
  char long_url[2100];
  memcpy(long_url, "http://a/", 9);
  memset(long_url + 9, 'x', sizeof long_url - 10);
  long_url[2048] = '\0';
  CHECK(pp_api_url_ok(long_url)); /* 2048 bytes */
  long_url[2048] = 'x';
  long_url[2049] = '\0';
  CHECK(!pp_api_url_ok(long_url));
}

static void test_capture(void) {
  pp_api_req_t *r = with_query("");
  r->params[0] = "%2B15551234";
  r->params[1] = "a+b%20c";
  r->params[2] = "x%00y";
  CHECK_EQ_STR(pp_api_capture(r, 0), "+15551234");
  CHECK_EQ_STR(pp_api_capture(r, 1), "a+b c"); /* a path keeps '+' */
  CHECK(pp_api_capture(r, 2) == NULL);         /* a NUL names nothing */
}

/* A form's parse error as the client sees it. */
static void test_form_error(void) {
  pp_api_req_t *r = with_query("");
  const char *nul = "To=%2B1555&Body=a%00b&From=x";
  CHECK_EQ_INT(pp_form_parse(&r->form, &r->arena, nul, strlen(nul)), PP_ERR_INVALID_PARAM);
  CHECK_EQ_INT(pp_api_form_error(r, &r->form, PP_ERR_INVALID_PARAM), PP_ERR_INVALID_PARAM);
  CHECK_EQ_STR(r->err_detail, "Body must not contain a NUL byte");
  CHECK_EQ_STR(pp_api_param(r, "To"), "+1555"); /* the pairs before it stay */
  CHECK(pp_api_param(r, "From") == NULL);

  r = with_query("");
  CHECK_EQ_INT(pp_api_form_error(r, &r->form, PP_ERR_NOMEM), PP_ERR_NOMEM);
  CHECK_EQ_INT(pp_api_form_error(r, &r->form, PP_ERR_TOO_BIG), PP_ERR_BAD_REQUEST);
  /* PP_ERR_INVALID_PARAM without a refused name: a plain bad request. */
  CHECK_EQ_INT(pp_api_form_error(r, &r->form, PP_ERR_INVALID_PARAM), PP_ERR_BAD_REQUEST);
  CHECK(r->err_detail == NULL);

  /* The body's parameter wins over the query's. */
  r = with_query("To=query");
  CHECK_EQ_INT(pp_form_parse(&r->form, &r->arena, "To=form", 7), PP_OK);
  CHECK_EQ_STR(pp_api_param(r, "To"), "form");
  r = with_query("To=query");
  CHECK_EQ_STR(pp_api_param(r, "To"), "query");
}

/* The date fields every renderer writes: RFC 2822 for the 2010-04-01
 * resources, ISO 8601 for the newer products, in that order and text. */
static void test_dates(void) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  pp_api_kdates_rfc2822(&w, 1764077269, 1764077270);
  pp_api_kiso8601(&w, "date_sent", 0);
  pp_jw_obj_end(&w);
  CHECK_EQ_INT(pp_buf_status(&b), PP_OK);
  CHECK_EQ_STR(b.data,
               "{\"date_created\":\"Tue, 25 Nov 2025 13:27:49 +0000\","
               "\"date_updated\":\"Tue, 25 Nov 2025 13:27:50 +0000\","
               "\"date_sent\":\"1970-01-01T00:00:00Z\"}");
  pp_buf_cleanup(&b);
  pp_buf_init(&b, 0);
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  pp_api_kdates_iso8601(&w, 1764077269, 1764077270);
  pp_api_krfc2822(&w, "date_sent", 0);
  pp_jw_obj_end(&w);
  CHECK_EQ_STR(b.data,
               "{\"date_created\":\"2025-11-25T13:27:49Z\","
               "\"date_updated\":\"2025-11-25T13:27:50Z\","
               "\"date_sent\":\"Thu, 01 Jan 1970 00:00:00 +0000\"}");
  pp_buf_cleanup(&b);
}

int main(void) {
  pp_api_req_init(&req, NULL);
  test_page_parse();
  test_filter_query();
  test_list_envelope();
  test_meta_envelope();
  test_url_ok();
  test_capture();
  test_form_error();
  test_dates();
  pp_api_req_cleanup(&req);
  return check_report("test_api_list");
}

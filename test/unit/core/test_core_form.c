/* Form and query decoding. */
#include "check.h"
#include "core/form.h"

int main(void) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_form_t f;
  pp_form_init(&f);
  const char *in =
      "To=%2B15551234567&From=%2b1555&Body=hello+world%21&MediaUrl=a&MediaUrl=b"
      "&Empty=&NoValue&&Bad=%zz%4&Pct=100%25&DateSent%3E=2020-01-01";
  CHECK(pp_form_parse(&f, &a, in, strlen(in)) == PP_OK);
  CHECK_EQ_STR(pp_form_get(&f, "To"), "+15551234567");
  CHECK_EQ_STR(pp_form_get(&f, "From"), "+1555");
  CHECK_EQ_STR(pp_form_get(&f, "Body"), "hello world!");
  CHECK_EQ_INT(pp_form_count(&f, "MediaUrl"), 2);
  CHECK_EQ_STR(pp_form_nth(&f, "MediaUrl", 1), "b");
  CHECK(pp_form_nth(&f, "MediaUrl", 2) == NULL);
  CHECK_EQ_STR(pp_form_get(&f, "Empty"), "");
  CHECK_EQ_STR(pp_form_get(&f, "NoValue"), "");
  CHECK_EQ_STR(pp_form_get(&f, "Bad"), "%zz%4");
  CHECK_EQ_STR(pp_form_get(&f, "Pct"), "100%");
  CHECK_EQ_STR(pp_form_get(&f, "DateSent>"), "2020-01-01");
  CHECK(pp_form_get(&f, "Missing") == NULL);
  /* UTF-8 survives; %00 in a value or a name is refused, naming the pair
   * (cut at its NUL), and the pairs before it stay. */
  pp_form_t g;
  pp_form_init(&g);
  const char *u = "Body=%E2%82%AC%F0%9F%98%80&Z=a%00b&Y=c";
  CHECK(pp_form_parse(&g, &a, u, strlen(u)) == PP_ERR_INVALID_PARAM);
  CHECK_EQ_STR(pp_form_get(&g, "Body"), "\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK_EQ_INT(g.n, 1);
  CHECK_EQ_STR(g.refused, "Z");
  pp_form_t g2;
  pp_form_init(&g2);
  CHECK(pp_form_parse(&g2, &a, "To%00x=1", 8) == PP_ERR_INVALID_PARAM);
  CHECK_EQ_STR(g2.refused, "To");
  CHECK_EQ_INT(g2.n, 0);
  /* Truncated input never reads past len. */
  pp_form_t h;
  pp_form_init(&h);
  CHECK(pp_form_parse(&h, &a, "A=%4", 4) == PP_OK);
  CHECK_EQ_STR(pp_form_get(&h, "A"), "%4");
  /* Too many pairs. */
  pp_form_t many;
  pp_form_init(&many);
  char big[4000];
  size_t n = 0;
  for (int i = 0; i < 300; i++) n += (size_t)snprintf(big + n, sizeof big - n, "k=v&");
  CHECK(pp_form_parse(&many, &a, big, n) == PP_ERR_TOO_BIG);
  pp_arena_cleanup(&a);
  return check_report("core_form");
}

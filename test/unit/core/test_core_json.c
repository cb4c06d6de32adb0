/* JSON writer: structure, escaping, invalid UTF-8. */
#include "check.h"
#include "core/json.h"

int main(void) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t w;
  pp_jw_init(&w, &b);
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "a", "x\"y\\z\n\x01");
  pp_jw_kint(&w, "n", -5);
  pp_jw_knull(&w, "z");
  pp_jw_key(&w, "arr");
  pp_jw_arr_begin(&w);
  pp_jw_int(&w, 1);
  pp_jw_obj_begin(&w);
  pp_jw_kstr(&w, "k", NULL);
  pp_jw_obj_end(&w);
  pp_jw_str(&w, "\xe2\x82\xac");
  pp_jw_arr_end(&w);
  pp_jw_key(&w, "b");
  pp_jw_bool(&w, true);
  pp_jw_obj_end(&w);
  CHECK_EQ_STR(b.data,
               "{\"a\":\"x\\\"y\\\\z\\n\\u0001\",\"n\":-5,\"z\":null,"
               "\"arr\":[1,{\"k\":null},\"\xe2\x82\xac\"],\"b\":true}");
  pp_buf_cleanup(&b);
  pp_buf_init(&b, 0);
  pp_json_escape(&b,
                 "a\xff"
                 "b\xc3");
  CHECK_EQ_STR(b.data, "\"a\\ufffdb\\ufffd\"");
  pp_buf_cleanup(&b);
  /* The cap fails the buffer instead of growing past it. */
  pp_buf_init(&b, 8);
  pp_buf_puts(&b, "0123456789");
  CHECK(pp_buf_status(&b) == PP_ERR_TOO_BIG);
  pp_buf_cleanup(&b);
  return check_report("core_json");
}

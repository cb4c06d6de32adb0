/* json.h: a small streaming JSON writer over pp_buf_t, for responses.
 * Parsing JSON is jansson's job; writing is hot and simple, so it is ours. */
#ifndef PP_CORE_JSON_H
#define PP_CORE_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct {
  pp_buf_t *b;
  int depth;
  bool need_comma[32];
} pp_jw_t;

void pp_jw_init(pp_jw_t *w, pp_buf_t *b);
void pp_jw_obj_begin(pp_jw_t *w);
void pp_jw_obj_end(pp_jw_t *w);
void pp_jw_arr_begin(pp_jw_t *w);
void pp_jw_arr_end(pp_jw_t *w);
/* pp_jw_key writes "key": inside an object. */
void pp_jw_key(pp_jw_t *w, const char *key);
/* pp_jw_str writes a JSON string, or null when `s` is NULL. */
void pp_jw_str(pp_jw_t *w, const char *s);
void pp_jw_int(pp_jw_t *w, int64_t v);
void pp_jw_bool(pp_jw_t *w, bool v);
void pp_jw_null(pp_jw_t *w);
/* Shorthands: key then value. */
void pp_jw_kstr(pp_jw_t *w, const char *key, const char *s);
void pp_jw_kint(pp_jw_t *w, const char *key, int64_t v);
void pp_jw_knull(pp_jw_t *w, const char *key);
void pp_jw_kbool(pp_jw_t *w, const char *key, bool v);
/* pp_jw_rawf writes a preformatted value (already valid JSON) as the next
 * value: a quoted string with no characters to escape, a number, an object. */
void pp_jw_rawf(pp_jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pp_json_escape appends `s` as a quoted JSON string (UTF-8 passed through,
 * control characters and invalid bytes escaped). */
void pp_json_escape(pp_buf_t *b, const char *s);

#endif

/* form.h: application/x-www-form-urlencoded and query-string decoding into
 * an ordered list of name/value pairs, allocated from an arena. */
#ifndef PP_CORE_FORM_H
#define PP_CORE_FORM_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

typedef struct {
  const char *name;  /* decoded, NUL-terminated */
  const char *value; /* decoded, NUL-terminated */
  size_t value_len;  /* bytes in value; from pp_form_parse neither holds a
                        NUL byte, so this is strlen(value) (hook/sign.c
                        builds pairs whose values may) */
} pp_param_t;

#define PP_FORM_MAX_PARAMS 256

typedef struct {
  pp_param_t *items;
  size_t n, cap;
  const char *refused; /* after PP_ERR_INVALID_PARAM: the name of the pair
                          refused (arena; cut at a NUL in the name itself) */
} pp_form_t;

/* pp_form_init prepares an empty form. */
void pp_form_init(pp_form_t *f);

/* pp_form_parse decodes `len` bytes of `s` ("a=1&b=%20x+y") and appends the
 * pairs to `f`, copying into `arena`.  '+' is a space; malformed percent
 * escapes are kept literally.  A pair whose decoded name or value holds a
 * NUL byte ("%00", which C strings would silently cut) is refused: returns
 * PP_ERR_INVALID_PARAM with f->refused naming it.  Also PP_ERR_NOMEM, or
 * PP_ERR_TOO_BIG past PP_FORM_MAX_PARAMS pairs.  On an error the pairs
 * before the offending one stay in `f`. */
pp_err_t pp_form_parse(pp_form_t *f, pp_arena_t *arena, const char *s, size_t len);

/* pp_form_add appends one pair, copying both strings into `arena`. */
pp_err_t pp_form_add(pp_form_t *f, pp_arena_t *arena, const char *name, const char *value);

/* pp_form_get returns the first value of `name`, or NULL. */
const char *pp_form_get(const pp_form_t *f, const char *name);

/* pp_form_count returns how many pairs are named `name`. */
size_t pp_form_count(const pp_form_t *f, const char *name);

/* pp_form_nth returns the i-th value of `name` (0-based), or NULL. */
const char *pp_form_nth(const pp_form_t *f, const char *name, size_t i);

/* pp_hex_digit returns the value (0-15) of the hex digit `c`, either case,
 * or -1 when `c` is not one. */
int pp_hex_digit(int c);

/* pp_url_decode decodes `len` bytes in place-style into `out` (size len+1);
 * returns the decoded length.  `plus_is_space` for form bodies. */
size_t pp_url_decode(char *out, const char *s, size_t len, int plus_is_space);

#endif

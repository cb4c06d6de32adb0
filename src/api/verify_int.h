/* verify_int.h: what verify.c and verify_factors.c share (private to the
 * api layer). */
#ifndef PP_API_VERIFY_INT_H
#define PP_API_VERIFY_INT_H

#include "api/api.h"

/* How a row of type T is rendered: `row` is a const T *. */
typedef void pp_api_verify_render_fn(pp_api_req_t *r, pp_jw_t *w, const void *row);

/* pp_api_verify_found passes `e`, the result of reading the resource the
 * path names, on, except that PP_ERR_NOT_FOUND fails with the path
 * (20404). */
pp_err_t pp_api_verify_found(pp_api_req_t *r, pp_err_t e);

/* pp_api_verify_load_service reads service r->params[0] of the credential's
 * account; 404 with the path otherwise. */
pp_err_t pp_api_verify_load_service(pp_api_req_t *r, pp_verify_service_t *out);

/* pp_api_verify_int_param reads integer form parameter `name` into *out when
 * present; outside lo..hi it fails with `bad` (detail: the name).  Absent:
 * *out untouched, PP_OK. */
pp_err_t pp_api_verify_int_param(pp_api_req_t *r, const char *name, long lo, long hi, pp_err_t bad,
                                 int *out);

/* pp_api_verify_url returns public_url + "/verify/v2/Services/" + the printf
 * tail, in the arena (NULL when out of memory). */
char *pp_api_verify_url(pp_api_req_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* pp_api_verify_kdate writes key: ISO 8601 date, or null for 0. */
void pp_api_verify_kdate(pp_jw_t *w, const char *key, int64_t t);

/* pp_api_verify_kdates writes date_created and date_updated
 * (pp_api_verify_kdate). */
void pp_api_verify_kdates(pp_jw_t *w, int64_t created, int64_t updated);

/* pp_api_verify_klink writes key: `url` + "/" + `tail` (in the arena), or
 * null when `url` is NULL (out of memory). */
void pp_api_verify_klink(pp_api_req_t *r, pp_jw_t *w, const char *key, const char *url,
                         const char *tail);

/* pp_api_verify_kraw writes key: the JSON text `json`, or null. */
void pp_api_verify_kraw(pp_jw_t *w, const char *key, const char *json);

/* pp_api_verify_respond renders one row with `render` as the answer. */
pp_err_t pp_api_verify_respond(pp_api_req_t *r, int status, pp_api_verify_render_fn *render,
                               const void *row);

/* pp_api_verify_delete queues the delete write `kind` (u.ref) of row `sid`
 * (copied) in the credential's account, answered by pp_api_deleted. */
pp_err_t pp_api_verify_delete(pp_api_req_t *r, pp_write_kind_t kind, const char *sid);

/* pp_api_verify_list_respond renders a v2 list: `key` array of n rows of
 * `size` bytes rendered by `render`, then the meta envelope for `url`. */
pp_err_t pp_api_verify_list_respond(pp_api_req_t *r, const char *key, const char *url,
                                    const pp_api_page_t *pg, const void *rows, size_t size,
                                    size_t n, bool more, pp_api_verify_render_fn *render);

#endif

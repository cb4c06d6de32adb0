/* verify_int.h: what verify.c and verify_factors.c share (private to the
 * api layer). */
#ifndef PP_API_VERIFY_INT_H
#define PP_API_VERIFY_INT_H

#include "api/api.h"

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

/* pp_api_verify_kdates writes date_created and date_updated
 * (pp_api_kiso8601_or_null). */
void pp_api_verify_kdates(pp_jw_t *w, int64_t created, int64_t updated);

/* pp_api_verify_klinks writes "url": `url`, then "links": an object of
 * the n {key, tail} pairs of `links`, each key: `url` + "/" + tail (in the
 * arena), or null when `url` is NULL (out of memory). */
void pp_api_verify_klinks(pp_api_req_t *r, pp_jw_t *w, const char *url,
                          const char *const (*links)[2], size_t n);

/* pp_api_verify_kraw writes key: the JSON text `json`, or null. */
void pp_api_verify_kraw(pp_jw_t *w, const char *key, const char *json);

/* pp_api_verify_delete queues the delete write `kind` (u.ref) of row `sid`
 * (copied) in the credential's account, answered by pp_api_deleted. */
pp_err_t pp_api_verify_delete(pp_api_req_t *r, pp_write_kind_t kind, const char *sid);

#endif

/* api.c: request lifecycle and list envelopes shared by every resource. */
#include "api/api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"

void pp_api_req_init(pp_api_req_t *r, pp_api_t *api) {
  memset(r, 0, sizeof *r);
  r->api = api;
  pp_arena_init(&r->arena, 0);
  pp_form_init(&r->query);
  pp_form_init(&r->form);
  pp_buf_init(&r->body, 0);
  r->status = 200;
}

void pp_api_req_cleanup(pp_api_req_t *r) {
  pp_buf_cleanup(&r->body);
  pp_arena_cleanup(&r->arena);
}

const char *pp_api_param(const pp_api_req_t *r, const char *name) {
  const char *v = pp_form_get(&r->form, name);
  return v ? v : pp_form_get(&r->query, name);
}

pp_err_t pp_api_fail(pp_api_req_t *r, pp_err_t e, const char *detail) {
  r->err_detail = detail ? pp_arena_strdup(&r->arena, detail) : NULL;
  return e;
}

const char *pp_api_capture(pp_api_req_t *r, int i) {
  size_t n = strlen(r->params[i]);
  char *out = pp_arena_alloc(&r->arena, n + 1);
  if (!out) return NULL;
  size_t m = pp_url_decode(out, r->params[i], n, 0);
  return memchr(out, '\0', m) ? NULL : out;
}

pp_err_t pp_api_form_error(pp_api_req_t *r, const pp_form_t *f, pp_err_t e) {
  if (e == PP_ERR_NOMEM) return e;
  if (e != PP_ERR_INVALID_PARAM || !f->refused) return PP_ERR_BAD_REQUEST;
  r->err_detail = pp_arena_printf(&r->arena, "%s must not contain a NUL byte", f->refused);
  return e;
}

pp_err_t pp_api_found(pp_api_req_t *r, pp_err_t e) {
  return e == PP_ERR_NOT_FOUND ? pp_api_fail(r, e, r->path) : e;
}

bool pp_api_url_ok(const char *u) {
  if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) return false;
  const char *host = strstr(u, "://") + 3;
  if (!*host || *host == '/') return false;
  for (const char *p = u; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) return false;
  return strlen(u) <= 2048;
}

pp_err_t pp_api_form_urls(pp_api_req_t *r, void *row, const pp_api_field_t *fields, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *v = pp_form_get(&r->form, fields[i].param);
    if (!v) continue;
    if (*v && !pp_api_url_ok(v)) return pp_api_fail(r, PP_ERR_URL_INVALID, fields[i].param);
    *(const char **)((char *)row + fields[i].off) = *v ? v : NULL;
  }
  return PP_OK;
}

pp_err_t pp_api_form_methods(pp_api_req_t *r, void *row, const pp_api_field_t *fields, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *v = pp_form_get(&r->form, fields[i].param);
    if (!v) continue;
    if (strcasecmp(v, "GET") != 0 && strcasecmp(v, "POST") != 0)
      return pp_api_fail(r, PP_ERR_HTTP_METHOD, fields[i].param);
    snprintf((char *)row + fields[i].off, 5, "%s", strcasecmp(v, "GET") == 0 ? "GET" : "POST");
  }
  return PP_OK;
}

pp_err_t pp_api_bool_param(pp_api_req_t *r, const char *name, pp_err_t bad, bool *out) {
  const char *v = pp_form_get(&r->form, name);
  if (!v) return PP_OK;
  if (strcasecmp(v, "true") == 0)
    *out = true;
  else if (strcasecmp(v, "false") == 0)
    *out = false;
  else
    return pp_api_fail(r, bad, pp_arena_printf(&r->arena, "%s must be true or false", name));
  return PP_OK;
}

pp_err_t pp_api_form_flags(pp_api_req_t *r, void *row, const pp_api_field_t *fields, size_t n,
                           pp_err_t bad) {
  pp_err_t e = PP_OK;
  for (size_t i = 0; i < n && !e; i++)
    e = pp_api_bool_param(r, fields[i].param, bad, (bool *)((char *)row + fields[i].off));
  return e;
}

static void write_done(pp_write_t *w) {
  pp_api_req_t *r = w->arg;
  w->audit = w->audit_also = NULL; /* appended (or not): never twice */
  r->wake(r);
}

pp_err_t pp_api_submit(pp_api_req_t *r, pp_api_handler_fn cont) {
  if (r->dry_run) { /* checked, not written (changes.c) */
    r->dry_reached = true;
    return PP_OK;
  }
  pp_api_audit_default(r);
  r->cont = cont;
  r->write.done = write_done;
  r->write.arg = r;
  pp_err_t e = pp_store_submit(r->api->store, &r->write);
  return e ? e : PP_ERR_AGAIN;
}

pp_err_t pp_api_submit_event(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                             const char *sid, pp_api_handler_fn cont) {
  pp_api_audit_attach(r, kind, account_sid, &sid, 1);
  return pp_api_submit(r, cont);
}

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end || errno == ERANGE || v < lo || v > hi) return false; /* no clamping to INT64_MAX */
  *out = v;
  return true;
}

pp_err_t pp_api_page_parse(pp_api_req_t *r, pp_api_page_t *out) {
  int64_t size = 50, page = 0, seq;
  const char *ps = pp_form_get(&r->query, "PageSize");
  const char *pn = pp_form_get(&r->query, "Page");
  const char *tok = pp_form_get(&r->query, "PageToken");
  if (ps && !parse_i64(ps, 1, 1000, &size))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "PageSize must be from 1 to 1000");
  if (pn && !parse_i64(pn, 0, 1000000000, &page))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, "Page must be a non-negative integer");
  memset(out, 0, sizeof *out);
  out->req.limit = (size_t)size;
  out->page = (long)page;
  if (tok && *tok) {
    if (strlen(tok) < 3 || tok[0] != 'P' || (tok[1] != 'A' && tok[1] != 'B') ||
        !parse_i64(tok + 2, 1, INT64_MAX, &seq))
      return pp_api_fail(r, PP_ERR_INVALID_PARAM, "PageToken is not valid");
    if (tok[1] == 'A')
      out->req.before_seq = seq;
    else
      out->req.after_seq = seq;
  }
  return PP_OK;
}

pp_err_t pp_api_path_account_page(pp_api_req_t *r, pp_account_t *acc, pp_api_page_t *pg) {
  pp_err_t e = pp_api_path_account(r, acc);
  return e ? e : pp_api_page_parse(r, pg);
}

char *pp_api_filter_query(pp_api_req_t *r, const char *const *names, size_t n) {
  pp_buf_t q;
  pp_buf_init(&q, 8192);
  for (size_t i = 0; i < n; i++) {
    const char *v = pp_form_get(&r->query, names[i]);
    if (!v) continue;
    pp_buf_url_encode(&q, names[i]);
    pp_buf_putc(&q, '=');
    pp_buf_url_encode(&q, v);
    pp_buf_putc(&q, '&');
  }
  char *out = pp_buf_status(&q) ? NULL : pp_arena_strdup(&r->arena, q.data ? q.data : "");
  pp_buf_cleanup(&q);
  return out;
}

static char *page_uri(pp_api_req_t *r, const char *base, const char *filters, size_t size,
                      long page, const char *token_kind, int64_t seq) {
  if (token_kind)
    return pp_arena_printf(&r->arena, "%s?%sPageSize=%zu&Page=%ld&PageToken=%s%" PRId64, base,
                           filters, size, page, token_kind, seq);
  return pp_arena_printf(&r->arena, "%s?%sPageSize=%zu&Page=%ld", base, filters, size, page);
}

void pp_api_list_envelope(pp_api_req_t *r, pp_jw_t *w, const char *base, const char *filters,
                          const pp_api_page_t *pg, size_t n, bool more, int64_t first_seq,
                          int64_t last_seq) {
  size_t size = pg->req.limit;
  bool backwards = pg->req.after_seq > 0;
  /* Going forwards, `more` means older rows follow; going backwards (a
   * previous-page token), it means newer rows precede. */
  bool has_next = backwards ? n > 0 : more;
  bool has_prev = backwards ? more : (pg->req.before_seq > 0 && n > 0);
  const char *tok = NULL;
  if (pg->req.before_seq) tok = "PA";
  if (pg->req.after_seq) tok = "PB";
  int64_t tok_seq = pg->req.before_seq ? pg->req.before_seq : pg->req.after_seq;
  long start = pg->page * (long)size;
  pp_jw_kstr(w, "first_page_uri", page_uri(r, base, filters, size, 0, NULL, 0));
  pp_jw_kint(w, "end", n ? start + (long)n - 1 : start);
  pp_jw_kstr(
      w, "previous_page_uri",
      has_prev ? page_uri(r, base, filters, size, pg->page > 0 ? pg->page - 1 : 0, "PB", first_seq)
               : NULL);
  pp_jw_kstr(w, "uri", page_uri(r, base, filters, size, pg->page, tok, tok_seq));
  pp_jw_kint(w, "page_size", (int64_t)size);
  pp_jw_kint(w, "start", start);
  pp_jw_kstr(w, "next_page_uri",
             has_next ? page_uri(r, base, filters, size, pg->page + 1, "PA", last_seq) : NULL);
  pp_jw_kint(w, "page", pg->page);
}

void pp_api_meta_envelope(pp_api_req_t *r, pp_jw_t *w, const char *key, const char *url,
                          const char *filters, const pp_api_page_t *pg, size_t n, bool more,
                          int64_t first_seq, int64_t last_seq) {
  size_t size = pg->req.limit;
  bool backwards = pg->req.after_seq > 0;
  bool has_next = backwards ? n > 0 : more; /* as in pp_api_list_envelope */
  bool has_prev = backwards ? more : (pg->req.before_seq > 0 && n > 0);
  const char *tok = NULL;
  if (pg->req.before_seq) tok = "PA";
  if (pg->req.after_seq) tok = "PB";
  int64_t tok_seq = pg->req.before_seq ? pg->req.before_seq : pg->req.after_seq;
  pp_jw_key(w, "meta");
  pp_jw_obj_begin(w);
  pp_jw_kint(w, "page", pg->page);
  pp_jw_kint(w, "page_size", (int64_t)size);
  pp_jw_kstr(w, "first_page_url", page_uri(r, url, filters, size, 0, NULL, 0));
  pp_jw_kstr(w, "previous_page_url",
             has_prev
                 ? page_uri(r, url, filters, size, pg->page > 0 ? pg->page - 1 : 0, "PB", first_seq)
                 : NULL);
  pp_jw_kstr(w, "url", page_uri(r, url, filters, size, pg->page, tok, tok_seq));
  pp_jw_kstr(w, "next_page_url",
             has_next ? page_uri(r, url, filters, size, pg->page + 1, "PA", last_seq) : NULL);
  pp_jw_kstr(w, "key", key);
  pp_jw_obj_end(w);
}

void pp_api_krfc2822(pp_jw_t *w, const char *key, int64_t t) {
  char s[PP_RFC2822_SIZE];
  pp_rfc2822(t, s);
  pp_jw_kstr(w, key, s);
}

void pp_api_kiso8601(pp_jw_t *w, const char *key, int64_t t) {
  char s[PP_ISO8601_SIZE];
  pp_iso8601(t, s);
  pp_jw_kstr(w, key, s);
}

void pp_api_kiso8601_or_null(pp_jw_t *w, const char *key, int64_t t) {
  if (t)
    pp_api_kiso8601(w, key, t);
  else
    pp_jw_knull(w, key);
}

void pp_api_kdates_rfc2822(pp_jw_t *w, int64_t created, int64_t updated) {
  pp_api_krfc2822(w, "date_created", created);
  pp_api_krfc2822(w, "date_updated", updated);
}

void pp_api_kdates_iso8601(pp_jw_t *w, int64_t created, int64_t updated) {
  pp_api_kiso8601(w, "date_created", created);
  pp_api_kiso8601(w, "date_updated", updated);
}

pp_err_t pp_api_respond(pp_api_req_t *r, int status, pp_api_render_fn *render, const void *row) {
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render(r, &w, row);
  r->status = status;
  return pp_buf_status(&r->body);
}

/* Both kinds of list: `meta` picks the envelope. */
static pp_err_t list_respond(pp_api_req_t *r, bool meta, const char *key, const char *base,
                             const char *filters, const pp_api_page_t *pg, const void *rows,
                             size_t size, size_t n, bool more, pp_api_render_fn *render) {
  if (!base || !filters) return PP_ERR_NOMEM;
  const unsigned char *p = rows;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, key);
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) render(r, &w, p + i * size);
  pp_jw_arr_end(&w);
  /* Every listed row type starts with its int64_t seq (pp_api_render_fn). */
  int64_t first = n ? *(const int64_t *)(const void *)p : 0;
  int64_t last = n ? *(const int64_t *)(const void *)(p + (n - 1) * size) : 0;
  if (meta)
    pp_api_meta_envelope(r, &w, key, base, filters, pg, n, more, first, last);
  else
    pp_api_list_envelope(r, &w, base, filters, pg, n, more, first, last);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

pp_err_t pp_api_list_respond(pp_api_req_t *r, const char *key, const char *base,
                             const char *filters, const pp_api_page_t *pg, const void *rows,
                             size_t size, size_t n, bool more, pp_api_render_fn *render) {
  return list_respond(r, false, key, base, filters, pg, rows, size, n, more, render);
}

pp_err_t pp_api_meta_list_respond(pp_api_req_t *r, const char *key, const char *url,
                                  const char *filters, const pp_api_page_t *pg, const void *rows,
                                  size_t size, size_t n, bool more, pp_api_render_fn *render) {
  return list_respond(r, true, key, url, filters, pg, rows, size, n, more, render);
}

pp_err_t pp_api_deleted(pp_api_req_t *r) {
  pp_err_t e = r->write.result;
  if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, e, r->path);
  if (!e) r->status = 204;
  return e;
}

pp_err_t pp_api_delete_in_account(pp_api_req_t *r, pp_write_kind_t kind) {
  pp_account_t acc;
  pp_err_t e = pp_api_path_account(r, &acc);
  if (e) return e;
  char *acc_sid = pp_arena_strdup(&r->arena, acc.sid);
  if (!acc_sid) return PP_ERR_NOMEM;
  r->write.kind = kind;
  r->write.u.ref = (pp_ref_t){acc_sid, r->params[1]};
  if (kind == PP_W_NUMBER_DELETE)
    pp_api_audit_attach(r, PP_AUDIT_NUMBER_RELEASE, acc_sid, &r->params[1], 1);
  else
    pp_api_audit_touch(r, r->params[1]);
  return pp_api_submit(r, pp_api_deleted);
}

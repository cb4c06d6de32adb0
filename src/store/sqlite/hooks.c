/* hooks.c: what follows a message's insert or status change in the
 * writer's apply, as store/rules.h decides it: its status webhook, its
 * inbound webhook, the drop of its message_sealed row.  Each is written in
 * the same transaction as the change that caused it. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/rules.h"
#include "store/sqlite/sqlite_int.h"

/* Column `i` as a value of a row (borrowed from the statement). */
static pp_rules_value_t col_value(sqlite3_stmt *st, int i, pp_seal_kind_t *kind) {
  *kind = sq_col_kind(st, i);
  if (*kind == PP_SEAL_NULL) return (pp_rules_value_t){NULL, 0};
  const void *p =
      *kind == PP_SEAL_BLOB ? sqlite3_column_blob(st, i) : (const void *)sqlite3_column_text(st, i);
  return (pp_rules_value_t){p ? p : "", (size_t)sqlite3_column_bytes(st, i)};
}

/* Inserts the queue row `h`; its URL a blob or a text as `url_kind`. */
static pp_err_t hook_insert(conn_t *c, const pp_rules_hook_t *h, pp_seal_kind_t url_kind) {
  sqlite3_stmt *st = c->st[S_HOOK_INS];
  sqlite3_bind_text(st, 1, h->token, -1, SQLITE_STATIC);
  sq_bind_text(st, 2, h->account_sid);
  sq_bind_text(st, 3, h->message_sid);
  sq_bind_text(st, 4, h->kind);
  sq_bind_text(st, 5, h->event);
  sqlite3_bind_int64(st, 6, h->error_code);
  sq_bind_value(st, 7, url_kind, h->url.ptr, h->url.len);
  sq_bind_text(st, 8, h->url_table);
  sq_bind_text(st, 9, h->url_column);
  sq_bind_text(st, 10, h->url_row);
  sq_bind_text(st, 11, h->method);
  sqlite3_bind_int64(st, 12, h->created_ms);
  sqlite3_bind_int64(st, 13, h->next_attempt);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

/* The inbound webhook of `m`: to the number whose index is `to_bidx` in
 * m's account, or to its Messaging Service's URL (rules.h chooses). */
static pp_err_t inbound_hook(conn_t *c, const pp_rules_message_t *m,
                             const unsigned char to_bidx[PP_BLIND_INDEX_LEN]) {
  sqlite3_stmt *st = c->st[S_MSG_INBOUND_TARGET];
  sqlite3_bind_blob(st, 1, to_bidx, PP_BLIND_INDEX_LEN, SQLITE_STATIC);
  sq_bind_text(st, 2, m->account_sid);
  int rc;
  pp_err_t e = PP_OK;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    pp_seal_kind_t number_kind, service_kind;
    pp_rules_number_t number = {(const char *)sqlite3_column_text(st, 0),
                                col_value(st, 1, &number_kind),
                                (const char *)sqlite3_column_text(st, 2)};
    pp_rules_service_t service = {
        (const char *)sqlite3_column_text(st, 3), col_value(st, 4, &service_kind),
        (const char *)sqlite3_column_text(st, 5), sqlite3_column_int(st, 6) != 0};
    pp_rules_target_t to;
    if (!pp_rules_inbound_target(&number, service.sid ? &service : NULL, &to)) continue;
    pp_rules_hook_t h;
    pp_rules_inbound_hook(m, &to, &h);
    e = hook_insert(c, &h,
                    to.url.ptr == service.inbound_request_url.ptr ? service_kind : number_kind);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "inbound target");
  return e;
}

pp_err_t sq_message_inserted(conn_t *c, const pp_message_t *m, pp_seal_kind_t cb_kind,
                             const void *cb, size_t cb_len,
                             const unsigned char to_bidx[PP_BLIND_INDEX_LEN]) {
  pp_rules_message_t rm = {.sid = m->sid,
                           .account_sid = m->account_sid,
                           .status = m->status,
                           .error_code = m->error_code,
                           .status_callback = {cb_kind == PP_SEAL_NULL ? NULL : cb, cb_len},
                           .date_created = m->date_created,
                           .date_updated = m->date_updated};
  pp_err_t e = PP_OK;
  if (pp_rules_status_hook_on_insert(m->status, cb_kind != PP_SEAL_NULL)) {
    pp_rules_hook_t h;
    pp_rules_status_hook(&rm, &h);
    e = hook_insert(c, &h, cb_kind);
  }
  if (!e && pp_rules_inbound_hook_on_insert(m->direction)) e = inbound_hook(c, &rm, to_bidx);
  if (e) c->torn = true;
  return e;
}

/* One message a status update changed (a row of MSG_SET_COLS): its
 * message_sealed row dropped, its status webhook queued, as rules.h says. */
static pp_err_t status_changed(conn_t *c, sqlite3_stmt *st, const char *old_status) {
  pp_seal_kind_t cb_kind;
  pp_rules_message_t m = {.sid = (const char *)sqlite3_column_text(st, 1),
                          .account_sid = (const char *)sqlite3_column_text(st, 2),
                          .status = (const char *)sqlite3_column_text(st, 3),
                          .error_code = sqlite3_column_int64(st, 4),
                          .status_callback = col_value(st, 5, &cb_kind),
                          .date_updated = sqlite3_column_int64(st, 6)};
  pp_err_t e = PP_OK;
  if (pp_rules_message_sealed_drop(m.status)) {
    sqlite3_stmt *del = c->st[S_MSG_SEALED_DEL];
    sqlite3_bind_int64(del, 1, sqlite3_column_int64(st, 0));
    e = sq_result_of(c->db, sq_step_done(del), 0);
  }
  if (!e && pp_rules_status_hook_on_update(old_status, m.status, cb_kind != PP_SEAL_NULL)) {
    pp_rules_hook_t h;
    pp_rules_status_hook(&m, &h);
    e = hook_insert(c, &h, cb_kind);
  }
  return e;
}

pp_err_t sq_status_set(conn_t *c, sqlite3_stmt *st, const char *old_status, int changes_expected) {
  int rc, n = 0;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    n++;
    if (!e) e = status_changed(c, st, old_status);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (e) {
    c->torn = true;
    return e;
  }
  if (rc != SQLITE_DONE) return sq_result_of(c->db, rc, 0);
  return changes_expected && n == 0 ? PP_ERR_NOT_FOUND : PP_OK;
}

pp_err_t sq_hook_queue_form(conn_t *c, const char *account, const char *owner, const char *kind,
                            const char *event, const char *url, size_t url_len, const char *body,
                            int64_t now) {
  if (!url) return PP_OK;
  char token[33], id[33], row[PP_SID_SIZE + 33];
  unsigned char rnd[16], *buf = NULL;
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(token, sizeof token, rnd, sizeof rnd);
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(id, sizeof id, rnd, sizeof rnd);
  snprintf(row, sizeof row, "%s.%s", owner, id);
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at_source(PP_SEALED_WEBHOOKS_URL, account, "webhooks", "url", row, &at);
  pp_seal_value_t v[] = {
      {.id = PP_SEALED_WEBHOOKS_URL, .in_kind = PP_SEAL_TEXT, .in = url, .in_len = url_len},
      {.id = PP_SEALED_WEBHOOKS_BODY, .in_kind = PP_SEAL_TEXT, .in = body, .in_len = strlen(body)}};
  sqlite3_stmt *st = c->st[S_HOOK_FORM_INS];
  static const int params[] = {6, 9};
  if (!e) e = sq_bind_seal_row(c, st, &at, v, params, 2, &buf);
  if (e) {
    sqlite3_clear_bindings(st);
    free(buf);
    return e;
  }
  sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
  sq_bind_text(st, 2, account);
  sq_bind_text(st, 3, owner);
  sq_bind_text(st, 4, kind);
  sq_bind_text(st, 5, event);
  sqlite3_bind_text(st, 7, row, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, now * 1000);
  return sq_step_write(c, st, buf, false, NULL);
}

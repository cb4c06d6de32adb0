/* numbers.c: phone numbers, offers and Messaging Services (their write
 * and reads). */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

/* Inserts or updates a service: both statements take the same parameters. */
pp_err_t sq_apply_service(conn_t *c, pp_service_t *sv, bool insert) {
  sqlite3_stmt *st = c->st[insert ? S_SVC_INS : S_SVC_UPD];
  sq_bind_text(st, 1, sv->sid);
  sq_bind_text(st, 2, sv->account_sid);
  sq_bind_text(st, 3, sv->friendly_name);
  sq_bind_text(st, 4, sv->inbound_request_url);
  sq_bind_text(st, 5, sv->inbound_method);
  sq_bind_text(st, 6, sv->fallback_url);
  sq_bind_text(st, 7, sv->fallback_method);
  sq_bind_text(st, 8, sv->status_callback);
  sqlite3_bind_int(st, 9, sv->sticky_sender);
  sqlite3_bind_int(st, 10, sv->mms_converter);
  sqlite3_bind_int(st, 11, sv->smart_encoding);
  sq_bind_text(st, 12, sv->scan_message_content);
  sqlite3_bind_int(st, 13, sv->fallback_to_long_code);
  sqlite3_bind_int(st, 14, sv->area_code_geomatch);
  sqlite3_bind_int(st, 15, sv->validity_period);
  sqlite3_bind_int(st, 16, sv->synchronous_validation);
  sq_bind_text(st, 17, sv->usecase);
  sqlite3_bind_int(st, 18, sv->use_inbound_webhook_on_number);
  sqlite3_bind_int64(st, 19, sv->date_created);
  sqlite3_bind_int64(st, 20, sv->date_updated);
  int rc = sq_step_done(st);
  if (insert && rc == SQLITE_DONE) sv->seq = sqlite3_last_insert_rowid(c->db);
  return sq_result_of(c->db, rc, !insert);
}

pp_err_t sq_number_owner(void *p, pp_arena_t *a, const char *phone_number,
                         char account_sid[PP_SID_SIZE], const char **status_callback) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_NUM_OWNER];
  sq_bind_text(st, 1, phone_number);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW) {
    sq_col_copy(account_sid, PP_SID_SIZE, st, 0);
    *status_callback = sq_col_dup(a, st, 1);
    if (!*status_callback && sqlite3_column_type(st, 1) != SQLITE_NULL) e = PP_ERR_NOMEM;
  } else {
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : sq_db_err(c->db, "number owner");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

static bool row_number(pp_arena_t *a, sqlite3_stmt *st, pp_number_t *n) {
  n->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(n->sid, sizeof n->sid, st, 1);
  sq_col_copy(n->account_sid, sizeof n->account_sid, st, 2);
  sq_col_copy(n->phone_number, sizeof n->phone_number, st, 3);
  sq_col_copy(n->friendly_name, sizeof n->friendly_name, st, 4);
  sq_col_copy(n->sms_method, sizeof n->sms_method, st, 5);
  sq_col_copy(n->sms_fallback_method, sizeof n->sms_fallback_method, st, 6);
  sq_col_copy(n->status_callback_method, sizeof n->status_callback_method, st, 7);
  n->sms_url = sq_col_dup(a, st, 8);
  n->sms_fallback_url = sq_col_dup(a, st, 9);
  n->status_callback = sq_col_dup(a, st, 10);
  n->date_created = sqlite3_column_int64(st, 11);
  n->date_updated = sqlite3_column_int64(st, 12);
  return (sqlite3_column_type(st, 8) == SQLITE_NULL || n->sms_url) &&
         (sqlite3_column_type(st, 9) == SQLITE_NULL || n->sms_fallback_url) &&
         (sqlite3_column_type(st, 10) == SQLITE_NULL || n->status_callback);
}

typedef struct {
  pp_arena_t *a;
  pp_number_t *n;
  bool ok;
} num_fill_t;

static void fill_number(sqlite3_stmt *st, void *out) {
  num_fill_t *f = out;
  f->ok = row_number(f->a, st, f->n);
}

pp_err_t sq_number_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                       const char *phone_number, pp_number_t *out) {
  pp_number_t n;
  num_fill_t f = {a, &n, false};
  pp_err_t e = account_sid ? sq_get_one(p, S_NUM_GET, account_sid, sid, fill_number, &f)
                           : sq_get_one(p, S_NUM_FIND, phone_number, NULL, fill_number, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) *out = n;
  return e;
}

static bool fill_number_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  return row_number(a, st, row);
}

static void bind_number_filter(sqlite3_stmt *st, const void *arg) {
  const pp_number_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":number", f->phone_number);
  sq_bind_named_text(st, ":name", f->friendly_name);
}

pp_err_t sq_number_list(void *p, pp_arena_t *a, const pp_number_filter_t *f, pp_number_t **rows,
                        size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT " NUM_COLS " FROM phone_numbers WHERE account_sid = :account");
  if (f->phone_number) sq_sqlb_add(&q, " AND phone_bidx = pp_bidx(:number)");
  if (f->friendly_name) /* sealed: compared opened, over the account's numbers */
    sq_sqlb_add(&q, " AND " NUM_OPEN("friendly_name") " = :name");
  sq_page_clause(&q, &f->page);
  return sq_run_list(p, a, q.sql, bind_number_filter, f, &f->page, sizeof(pp_number_t),
                     fill_number_row, (void **)rows, n, more);
}

pp_err_t sq_sender_allowed(void *p, const char *account_sid, const char *sender) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_SENDER_GET];
  sq_bind_text(st, 1, account_sid);
  sq_bind_text(st, 2, sender);
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? PP_OK
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : sq_db_err(c->db, "sender");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

pp_err_t sq_offer_get(void *p, const char *phone_number, pp_number_offer_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_OFFER_GET];
  sq_bind_text(st, 1, phone_number);
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? PP_OK
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : sq_db_err(c->db, "offer");
  if (!e) {
    memset(out, 0, sizeof *out);
    snprintf(out->phone_number, sizeof out->phone_number, "%s", phone_number);
    sq_col_copy(out->account_sid, sizeof out->account_sid, st, 0);
    out->date_created = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  return e;
}

static void fill_offer(sqlite3_stmt *st, void *row) {
  pp_number_offer_t *o = row;
  sq_col_copy(o->phone_number, sizeof o->phone_number, st, 0);
  sq_col_copy(o->account_sid, sizeof o->account_sid, st, 1);
  sq_col_copy(o->holder_sid, sizeof o->holder_sid, st, 2);
  o->date_created = sqlite3_column_int64(st, 3);
}

pp_err_t sq_offer_all(void *p, pp_arena_t *a, pp_number_offer_t **rows, size_t *n) {
  return sq_read_all(p, S_OFFER_ALL, a, sizeof(pp_number_offer_t), fill_offer, (void **)rows, n);
}

/* ---- Messaging Services ------------------------------------------------ */

static bool row_service(pp_arena_t *a, sqlite3_stmt *st, pp_service_t *sv) {
  sv->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(sv->sid, sizeof sv->sid, st, 1);
  sq_col_copy(sv->account_sid, sizeof sv->account_sid, st, 2);
  sq_col_copy(sv->friendly_name, sizeof sv->friendly_name, st, 3);
  sv->inbound_request_url = sq_col_dup(a, st, 4);
  sq_col_copy(sv->inbound_method, sizeof sv->inbound_method, st, 5);
  sv->fallback_url = sq_col_dup(a, st, 6);
  sq_col_copy(sv->fallback_method, sizeof sv->fallback_method, st, 7);
  sv->status_callback = sq_col_dup(a, st, 8);
  sv->sticky_sender = sqlite3_column_int(st, 9) != 0;
  sv->mms_converter = sqlite3_column_int(st, 10) != 0;
  sv->smart_encoding = sqlite3_column_int(st, 11) != 0;
  sq_col_copy(sv->scan_message_content, sizeof sv->scan_message_content, st, 12);
  sv->fallback_to_long_code = sqlite3_column_int(st, 13) != 0;
  sv->area_code_geomatch = sqlite3_column_int(st, 14) != 0;
  sv->validity_period = sqlite3_column_int(st, 15);
  sv->synchronous_validation = sqlite3_column_int(st, 16) != 0;
  sq_col_copy(sv->usecase, sizeof sv->usecase, st, 17);
  sv->use_inbound_webhook_on_number = sqlite3_column_int(st, 18) != 0;
  sv->date_created = sqlite3_column_int64(st, 19);
  sv->date_updated = sqlite3_column_int64(st, 20);
  return (sqlite3_column_type(st, 4) == SQLITE_NULL || sv->inbound_request_url) &&
         (sqlite3_column_type(st, 6) == SQLITE_NULL || sv->fallback_url) &&
         (sqlite3_column_type(st, 8) == SQLITE_NULL || sv->status_callback);
}

static void row_service_number(sqlite3_stmt *st, pp_service_number_t *sn) {
  sn->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(sn->sid, sizeof sn->sid, st, 1);
  sq_col_copy(sn->service_sid, sizeof sn->service_sid, st, 2);
  sq_col_copy(sn->account_sid, sizeof sn->account_sid, st, 3);
  sq_col_copy(sn->phone_number, sizeof sn->phone_number, st, 4);
  sn->date_created = sqlite3_column_int64(st, 5);
  sn->date_updated = sqlite3_column_int64(st, 6);
}

typedef struct {
  pp_arena_t *a;
  pp_service_t *sv;
  bool ok;
} svc_fill_t;

static void fill_service(sqlite3_stmt *st, void *out) {
  svc_fill_t *f = out;
  f->ok = row_service(f->a, st, f->sv);
}

pp_err_t sq_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_service_t *out) {
  pp_service_t sv;
  svc_fill_t f = {a, &sv, false};
  pp_err_t e = sq_get_one(p, S_SVC_GET, account_sid, sid, fill_service, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) *out = sv;
  return e;
}

static bool fill_service_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  return row_service(a, st, row);
}

pp_err_t sq_service_list(void *p, pp_arena_t *a, const char *account_sid, const pp_page_req_t *pg,
                         pp_service_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT " SVC_COLS " FROM messaging_services WHERE account_sid = :account");
  sq_page_clause(&q, pg);
  return sq_run_list(p, a, q.sql, sq_bind_key_filter, account_sid, pg, sizeof(pp_service_t),
                     fill_service_row, (void **)rows, n, more);
}

static void fill_service_number(sqlite3_stmt *st, void *out) {
  row_service_number(st, out);
}

pp_err_t sq_service_number_get(void *p, const char *account_sid, const char *service_sid,
                               const char *sid, pp_service_number_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_SVCNUM_GET];
  sq_bind_text(st, 1, account_sid);
  sq_bind_text(st, 2, service_sid);
  sq_bind_text(st, 3, sid);
  pp_service_number_t sn;
  pp_err_t e = sq_first_row(b, c, st, fill_service_number, &sn);
  if (!e) *out = sn;
  return e;
}

typedef struct {
  const char *account_sid, *service_sid;
} svcnum_filter_t;

static void bind_svcnum_filter(sqlite3_stmt *st, const void *arg) {
  const svcnum_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":service", f->service_sid);
}

static bool fill_service_number_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  row_service_number(st, row);
  return true;
}

pp_err_t sq_service_number_list(void *p, pp_arena_t *a, const char *account_sid,
                                const char *service_sid, const pp_page_req_t *pg,
                                pp_service_number_t **rows, size_t *n, bool *more) {
  svcnum_filter_t f = {account_sid, service_sid};
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT " SVCNUM_COLS " FROM " SVCNUM_FROM
                  " WHERE account_sid = :account AND service_sid = :service");
  sq_page_clause(&q, pg);
  return sq_run_list(p, a, q.sql, bind_svcnum_filter, &f, pg, sizeof(pp_service_number_t),
                     fill_service_number_row, (void **)rows, n, more);
}

pp_err_t sq_service_sender(void *p, const char *account_sid, const char *service_sid,
                           const char *to, int64_t to_hash, bool sticky, char out[20]) {
  be_t *b = p;
  char phone[20];
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (sticky) {
    conn_t *c = sq_acquire(b);
    sqlite3_stmt *st = c->st[S_SVC_STICKY];
    sq_bind_text(st, 1, account_sid);
    sq_bind_text(st, 2, service_sid);
    sq_bind_text(st, 3, to);
    e = sq_first_row(b, c, st, sq_fill_phone, phone);
    if (e && e != PP_ERR_NOT_FOUND) return e;
  }
  if (e == PP_ERR_NOT_FOUND) {
    conn_t *c = sq_acquire(b);
    sqlite3_stmt *st = c->st[S_SVC_PICK];
    sq_bind_text(st, 1, service_sid);
    sq_bind_text(st, 2, account_sid);
    sqlite3_bind_int64(st, 3, to_hash);
    e = sq_first_row(b, c, st, sq_fill_phone, phone);
  }
  if (!e) memcpy(out, phone, sizeof phone);
  return e;
}

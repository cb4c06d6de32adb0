/* numbers.c: phone numbers, offers and Messaging Services (their write
 * and reads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sqlite_int.h"

/* The plain columns of a number (NUM_COLS) and of a service (SVC_COLS). */
static const sq_col_t number_cols[] = {SQ_COL(SQ_I64, pp_number_t, seq, 0),
                                       SQ_COL(SQ_TEXT, pp_number_t, sid, 1),
                                       SQ_COL(SQ_TEXT, pp_number_t, account_sid, 2),
                                       SQ_COL(SQ_TEXT, pp_number_t, sms_method, 5),
                                       SQ_COL(SQ_TEXT, pp_number_t, sms_fallback_method, 6),
                                       SQ_COL(SQ_TEXT, pp_number_t, status_callback_method, 7),
                                       SQ_COL(SQ_I64, pp_number_t, date_created, 11),
                                       SQ_COL(SQ_I64, pp_number_t, date_updated, 12)};

#define SVC(kind, f, i) SQ_COL(kind, pp_service_t, f, i)
static const sq_col_t service_cols[] = {SVC(SQ_I64, seq, 0),
                                        SVC(SQ_TEXT, sid, 1),
                                        SVC(SQ_TEXT, account_sid, 2),
                                        SVC(SQ_TEXT, friendly_name, 3),
                                        SVC(SQ_TEXT, inbound_method, 5),
                                        SVC(SQ_TEXT, fallback_method, 7),
                                        SVC(SQ_BOOL, sticky_sender, 9),
                                        SVC(SQ_BOOL, mms_converter, 10),
                                        SVC(SQ_BOOL, smart_encoding, 11),
                                        SVC(SQ_TEXT, scan_message_content, 12),
                                        SVC(SQ_BOOL, fallback_to_long_code, 13),
                                        SVC(SQ_BOOL, area_code_geomatch, 14),
                                        SVC(SQ_INT, validity_period, 15),
                                        SVC(SQ_BOOL, synchronous_validation, 16),
                                        SVC(SQ_TEXT, usecase, 17),
                                        SVC(SQ_BOOL, use_inbound_webhook_on_number, 18),
                                        SVC(SQ_I64, date_created, 19),
                                        SVC(SQ_I64, date_updated, 20)};
#undef SVC

/* Inserts or updates a service: both statements take the same parameters. */
pp_err_t sq_apply_service(conn_t *c, pp_service_t *sv, bool insert) {
  sqlite3_stmt *st = c->st[insert ? S_SVC_INS : S_SVC_UPD];
  pp_seal_value_t v[] = {
      sq_seal_text(PP_SEALED_MESSAGING_SERVICES_INBOUND_REQUEST_URL, sv->inbound_request_url),
      sq_seal_text(PP_SEALED_MESSAGING_SERVICES_FALLBACK_URL, sv->fallback_url),
      sq_seal_text(PP_SEALED_MESSAGING_SERVICES_STATUS_CALLBACK, sv->status_callback)};
  static const int params[] = {4, 6, 8};
  unsigned char *buf = NULL;
  pp_err_t e = sq_seal_bind(c, st, sv->account_sid, sv->sid, v, params, 3, &buf);
  if (e) return e;
  sq_bind_cols(st, service_cols + 1, SQ_NCOLS(service_cols) - 1, sv);
  return sq_step_write(c, st, buf, insert, &sv->seq);
}

/* Inserts or updates a number: both statements take the same parameters
 * (an update leaves the number and its index as they are). */
pp_err_t sq_apply_number(conn_t *c, pp_number_t *num, bool insert) {
  sqlite3_stmt *st = c->st[insert ? S_NUM_INS : S_NUM_UPD];
  pp_seal_value_t v[] = {
      sq_seal_text(PP_SEALED_PHONE_NUMBERS_PHONE_NUMBER, num->phone_number),
      sq_seal_text(PP_SEALED_PHONE_NUMBERS_FRIENDLY_NAME, num->friendly_name),
      sq_seal_text(PP_SEALED_PHONE_NUMBERS_SMS_URL, num->sms_url),
      sq_seal_text(PP_SEALED_PHONE_NUMBERS_SMS_FALLBACK_URL, num->sms_fallback_url),
      sq_seal_text(PP_SEALED_PHONE_NUMBERS_STATUS_CALLBACK, num->status_callback)};
  static const int params[] = {3, 4, 8, 9, 10};
  unsigned char bidx[PP_BLIND_INDEX_LEN], *buf = NULL;
  size_t skip = insert ? 0 : 1;
  pp_err_t e =
      insert ? sq_bind_index(c, st, 13, PP_INDEX_PHONE_NUMBERS_PHONE_BIDX, num->phone_number, bidx)
             : PP_OK;
  if (!e)
    e = sq_seal_bind(c, st, num->account_sid, num->sid, v + skip, params + skip, 5 - skip, &buf);
  if (e) return e;
  sq_bind_cols(st, number_cols + 1, SQ_NCOLS(number_cols) - 1, num);
  return sq_step_write(c, st, buf, insert, &num->seq);
}

/* Binds index `id` of `phone` at ?1 of statement `which` on a pooled
 * connection (*c; released on an error). */
static pp_err_t by_number(be_t *b, int which, pp_index_id_t id, const char *phone, conn_t **c,
                          sqlite3_stmt **st, unsigned char bidx[PP_BLIND_INDEX_LEN]) {
  *c = sq_acquire(b);
  *st = (*c)->st[which];
  pp_err_t e = sq_bind_index(*c, *st, 1, id, phone, bidx);
  if (e) sq_release(b, *c);
  return e;
}

/* Who owns a number (S_NUM_OWNER), and its status callback opened. */
typedef struct {
  char *account_sid;
  const char **status_callback;
} owner_t;

static pp_err_t row_owner(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  owner_t *o = row;
  sq_col_copy(o->account_sid, PP_SID_SIZE, st, 0);
  const sq_open_col_t col = {
      PP_SEALED_PHONE_NUMBERS_STATUS_CALLBACK, 1, NULL, 0, a, o->status_callback};
  return sq_open_row(b->crypt, st, o->account_sid, (const char *)sqlite3_column_text(st, 2), &col,
                     1);
}

pp_err_t sq_number_owner(void *p, pp_arena_t *a, const char *phone_number,
                         char account_sid[PP_SID_SIZE], const char **status_callback) {
  conn_t *c;
  sqlite3_stmt *st;
  unsigned char bidx[PP_BLIND_INDEX_LEN];
  owner_t o = {account_sid, status_callback};
  pp_err_t e =
      by_number(p, S_NUM_OWNER, PP_INDEX_PHONE_NUMBERS_PHONE_BIDX, phone_number, &c, &st, bidx);
  return e ? e : sq_first_row_open(p, c, st, row_owner, NULL, a, &o);
}

/* A number's row (NUM_COLS), its five sealed columns opened. */
static pp_err_t row_number(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_number_t *n = row;
  sq_read_cols(st, number_cols, SQ_NCOLS(number_cols), n);
  const sq_open_col_t cols[] = {
      {PP_SEALED_PHONE_NUMBERS_PHONE_NUMBER, 3, n->phone_number, sizeof n->phone_number, NULL,
       NULL},
      {PP_SEALED_PHONE_NUMBERS_FRIENDLY_NAME, 4, n->friendly_name, sizeof n->friendly_name, NULL,
       NULL},
      {PP_SEALED_PHONE_NUMBERS_SMS_URL, 8, NULL, 0, a, &n->sms_url},
      {PP_SEALED_PHONE_NUMBERS_SMS_FALLBACK_URL, 9, NULL, 0, a, &n->sms_fallback_url},
      {PP_SEALED_PHONE_NUMBERS_STATUS_CALLBACK, 10, NULL, 0, a, &n->status_callback}};
  return sq_open_row(b->crypt, st, n->account_sid, n->sid, cols, 5);
}

pp_err_t sq_number_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                       const char *phone_number, pp_number_t *out) {
  if (account_sid)
    return sq_get_one_open(p, S_NUM_GET, account_sid, sid, row_number, a, sizeof *out, out);
  pp_number_t n;
  conn_t *c;
  sqlite3_stmt *st;
  unsigned char bidx[PP_BLIND_INDEX_LEN];
  pp_err_t e =
      by_number(p, S_NUM_FIND, PP_INDEX_PHONE_NUMBERS_PHONE_BIDX, phone_number, &c, &st, bidx);
  if (!e) e = sq_first_row_open(p, c, st, row_number, NULL, a, &n);
  if (!e) *out = n;
  return e;
}

/* A number list's filter, its number's blind index computed before the
 * query. */
typedef struct {
  const pp_number_filter_t *f;
  unsigned char bidx[PP_BLIND_INDEX_LEN];
} num_filter_t;

static void bind_number_filter(sqlite3_stmt *st, const void *arg) {
  const num_filter_t *nf = arg;
  sq_bind_named_text(st, ":account", nf->f->account_sid);
  int i = sqlite3_bind_parameter_index(st, ":number");
  if (i > 0) sqlite3_bind_blob(st, i, nf->bidx, sizeof nf->bidx, SQLITE_STATIC);
}

/* A listed number; with a name to match (sealed: compared opened), the
 * others skipped. */
static pp_err_t row_number_named(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st,
                                 void *row) {
  const num_filter_t *nf = arg;
  pp_err_t e = row_number(b, NULL, a, st, row);
  if (!e && nf->f->friendly_name &&
      strcmp(((pp_number_t *)row)->friendly_name, nf->f->friendly_name) != 0)
    e = PP_ERR_NOT_FOUND;
  return e;
}

pp_err_t sq_number_list(void *p, pp_arena_t *a, const pp_number_filter_t *f, pp_number_t **rows,
                        size_t *n, bool *more) {
  be_t *b = p;
  num_filter_t nf = {.f = f};
  pp_seal_kind_t kind;
  sqlb_t q;
  sq_sqlb_start(&q, "SELECT " NUM_COLS " FROM phone_numbers WHERE account_sid = :account");
  if (f->phone_number) {
    pp_err_t e = pp_seal_index(b->crypt, NULL, PP_INDEX_PHONE_NUMBERS_PHONE_BIDX, PP_SEAL_TEXT,
                               f->phone_number, strlen(f->phone_number), NULL, nf.bidx, &kind);
    if (e) return e;
    sq_sqlb_add(&q, " AND phone_bidx = :number");
  }
  sq_page_clause(&q, &f->page);
  /* A name is matched after opening: the page is counted as rows are
   * read, not by LIMIT. */
  static const char limit[] = " LIMIT :limit";
  if (f->friendly_name && q.len >= sizeof limit - 1 &&
      strcmp(q.sql + q.len - (sizeof limit - 1), limit) == 0)
    q.sql[q.len -= sizeof limit - 1] = '\0';
  return sq_run_list_open(p, a, q.sql, bind_number_filter, &nf, &f->page, sizeof(pp_number_t),
                          row_number_named, (void **)rows, n, more);
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

pp_err_t sq_apply_offer(conn_t *c, const pp_number_offer_t *o, bool put) {
  sqlite3_stmt *st = c->st[put ? S_OFFER_PUT : S_OFFER_DEL];
  unsigned char bidx[PP_BLIND_INDEX_LEN], *buf = NULL;
  pp_err_t e = sq_bind_index(c, st, 1, PP_INDEX_NUMBER_OFFERS_PHONE_BIDX, o->phone_number, bidx);
  if (!e && put) { /* sealed under the system key, its row the index in hex */
    char row[PP_SEAL_ROW_MAX];
    pp_seal_value_t v = sq_seal_text(PP_SEALED_NUMBER_OFFERS_PHONE_NUMBER, o->phone_number);
    static const int params[] = {4};
    pp_seal_bidx_row(row, bidx);
    e = sq_seal_bind(c, st, NULL, row, &v, params, 1, &buf);
    sq_bind_text(st, 2, o->account_sid);
    sqlite3_bind_int64(st, 3, o->date_created);
  }
  return e ? e : sq_step_write(c, st, buf, put, NULL);
}

static pp_err_t row_offer_get(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st,
                              void *row) {
  (void)b, (void)arg, (void)a;
  pp_number_offer_t *o = row;
  sq_col_copy(o->account_sid, sizeof o->account_sid, st, 0);
  o->date_created = sqlite3_column_int64(st, 1);
  return PP_OK;
}

pp_err_t sq_offer_get(void *p, const char *phone_number, pp_number_offer_t *out) {
  conn_t *c;
  sqlite3_stmt *st;
  unsigned char bidx[PP_BLIND_INDEX_LEN];
  pp_number_offer_t o = {.date_created = 0};
  snprintf(o.phone_number, sizeof o.phone_number, "%s", phone_number);
  pp_err_t e =
      by_number(p, S_OFFER_GET, PP_INDEX_NUMBER_OFFERS_PHONE_BIDX, phone_number, &c, &st, bidx);
  if (!e) e = sq_first_row_open(p, c, st, row_offer_get, NULL, NULL, &o);
  if (!e) *out = o;
  return e;
}

/* An offer's row, its number opened (sealed for the hex of its index). */
static pp_err_t fill_offer(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg, (void)a;
  pp_number_offer_t *o = row;
  sq_col_copy(o->account_sid, sizeof o->account_sid, st, 1);
  sq_col_copy(o->holder_sid, sizeof o->holder_sid, st, 2);
  o->date_created = sqlite3_column_int64(st, 3);
  if (sqlite3_column_bytes(st, 4) != PP_BLIND_INDEX_LEN) return PP_ERR_CORRUPT;
  char hex[PP_SEAL_ROW_MAX];
  pp_seal_at_t at;
  pp_seal_bidx_row(hex, sqlite3_column_blob(st, 4));
  pp_err_t e = pp_seal_at(PP_SEALED_NUMBER_OFFERS_PHONE_NUMBER, NULL, hex, &at);
  return e ? e : sq_col_open_copy(b->crypt, st, 0, &at, o->phone_number, sizeof o->phone_number);
}

static int offer_cmp(const void *x, const void *y) {
  return strcmp(((const pp_number_offer_t *)x)->phone_number,
                ((const pp_number_offer_t *)y)->phone_number);
}

/* The offers by number (opened, so sorted here). */
pp_err_t sq_offer_all(void *p, pp_arena_t *a, pp_number_offer_t **rows, size_t *n) {
  pp_err_t e =
      sq_read_all_open(p, S_OFFER_ALL, a, sizeof(pp_number_offer_t), fill_offer, (void **)rows, n);
  if (!e) qsort(*rows, *n, sizeof **rows, offer_cmp);
  return e;
}

/* ---- Messaging Services ------------------------------------------------ */

/* A service's row (SVC_COLS), its three URLs opened. */
static pp_err_t row_service(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)arg;
  pp_service_t *sv = row;
  sq_read_cols(st, service_cols, SQ_NCOLS(service_cols), sv);
  const sq_open_col_t cols[] = {
      {PP_SEALED_MESSAGING_SERVICES_INBOUND_REQUEST_URL, 4, NULL, 0, a, &sv->inbound_request_url},
      {PP_SEALED_MESSAGING_SERVICES_FALLBACK_URL, 6, NULL, 0, a, &sv->fallback_url},
      {PP_SEALED_MESSAGING_SERVICES_STATUS_CALLBACK, 8, NULL, 0, a, &sv->status_callback}};
  return sq_open_row(b->crypt, st, sv->account_sid, sv->sid, cols, 3);
}

/* A pool member (SVCNUM_COLS), its number opened (the member's sid is
 * the number's). */
static pp_err_t row_service_number(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st,
                                   void *row) {
  (void)arg, (void)a;
#define SN(kind, f, i) SQ_COL(kind, pp_service_number_t, f, i)
  static const sq_col_t plain[] = {SN(SQ_I64, seq, 0),          SN(SQ_TEXT, sid, 1),
                                   SN(SQ_TEXT, service_sid, 2), SN(SQ_TEXT, account_sid, 3),
                                   SN(SQ_I64, date_created, 5), SN(SQ_I64, date_updated, 6)};
#undef SN
  pp_service_number_t *sn = row;
  sq_read_cols(st, plain, SQ_NCOLS(plain), sn);
  const sq_open_col_t col = {PP_SEALED_PHONE_NUMBERS_PHONE_NUMBER,
                             4,
                             sn->phone_number,
                             sizeof sn->phone_number,
                             NULL,
                             NULL};
  return sq_open_row(b->crypt, st, sn->account_sid, sn->sid, &col, 1);
}

pp_err_t sq_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_service_t *out) {
  return sq_get_one_open(p, S_SVC_GET, account_sid, sid, row_service, a, sizeof *out, out);
}

pp_err_t sq_service_list(void *p, pp_arena_t *a, const char *account_sid, const pp_page_req_t *pg,
                         pp_service_t **rows, size_t *n, bool *more) {
  return sq_list_in_open(p, a, "SELECT " SVC_COLS " FROM messaging_services", NULL, account_sid,
                         NULL, pg, sizeof **rows, row_service, (void **)rows, n, more);
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
  pp_err_t e = sq_first_row_open(b, c, st, row_service_number, NULL, NULL, &sn);
  if (!e) *out = sn;
  return e;
}

pp_err_t sq_service_number_list(void *p, pp_arena_t *a, const char *account_sid,
                                const char *service_sid, const pp_page_req_t *pg,
                                pp_service_number_t **rows, size_t *n, bool *more) {
  return sq_list_in_open(p, a, "SELECT " SVCNUM_COLS " FROM " SVCNUM_FROM, "service_sid",
                         account_sid, service_sid, pg, sizeof **rows, row_service_number,
                         (void **)rows, n, more);
}

/* A sender's number: column 0 sealed as the column `arg` names (a
 * pp_sealed_id_t) of the account in column 1, row column 2; into a char[20]. */
static pp_err_t row_sender(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  const sq_open_col_t col = {*(const pp_sealed_id_t *)arg, 0, row, 20, NULL, NULL};
  return sq_open_row(b->crypt, st, (const char *)sqlite3_column_text(st, 1),
                     (const char *)sqlite3_column_text(st, 2), &col, 1);
}

pp_err_t sq_service_sender(void *p, const char *account_sid, const char *service_sid,
                           const char *to, int64_t to_hash, bool sticky, char out[20]) {
  be_t *b = p;
  char phone[20];
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (sticky) { /* the number that last wrote to `to` */
    static const pp_sealed_id_t from = PP_SEALED_MESSAGES_FROM_ADDR;
    unsigned char bidx[PP_BLIND_INDEX_LEN];
    conn_t *c = sq_acquire(b);
    sqlite3_stmt *st = c->st[S_SVC_STICKY];
    sq_bind_text(st, 1, account_sid);
    sq_bind_text(st, 2, service_sid);
    e = sq_bind_index(c, st, 3, PP_INDEX_MESSAGES_TO_BIDX, to, bidx);
    if (e) {
      sqlite3_clear_bindings(st);
      sq_release(b, c);
      return e;
    }
    e = sq_first_row_open(b, c, st, row_sender, &from, NULL, phone);
    if (e && e != PP_ERR_NOT_FOUND) return e;
  }
  if (e == PP_ERR_NOT_FOUND) {
    static const pp_sealed_id_t number = PP_SEALED_PHONE_NUMBERS_PHONE_NUMBER;
    conn_t *c = sq_acquire(b);
    sqlite3_stmt *st = c->st[S_SVC_PICK];
    sq_bind_text(st, 1, service_sid);
    sq_bind_text(st, 2, account_sid);
    sqlite3_bind_int64(st, 3, to_hash);
    e = sq_first_row_open(b, c, st, row_sender, &number, NULL, phone);
  }
  if (!e) memcpy(out, phone, sizeof phone);
  return e;
}

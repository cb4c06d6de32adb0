/* apply.c: the SQLite writer: apply, apply_one over every write kind, the
 * savepoints around each write, and the delivery path's writes. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

/* ---- writes ------------------------------------------------------------ */

static pp_err_t apply_claim(conn_t *c, pp_claim_t *cl) {
  sqlite3_stmt *st = c->st[S_CLAIM];
  cl->n = 0;
  cl->rows = pp_arena_alloc(cl->arena, (cl->limit ? cl->limit : 1) * sizeof *cl->rows);
  if (!cl->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, cl->now);
  sqlite3_bind_int64(st, 2, cl->lease_until);
  sqlite3_bind_int64(st, 3, (int64_t)cl->limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (cl->n >= cl->limit) continue; /* cannot happen: LIMIT */
    pp_outbound_t *o = &cl->rows[cl->n];
    o->seq = sqlite3_column_int64(st, 0);
    sq_col_copy(o->sid, sizeof o->sid, st, 1);
    sq_col_copy(o->account_sid, sizeof o->account_sid, st, 2);
    o->to = o->from = o->body = NULL;
    const sq_open_col_t cols[] = {{PP_SEALED_MESSAGES_TO_ADDR, 3, NULL, 0, cl->arena, &o->to},
                                  {PP_SEALED_MESSAGES_FROM_ADDR, 4, NULL, 0, cl->arena, &o->from},
                                  {PP_SEALED_MESSAGES_BODY, 5, NULL, 0, cl->arena, &o->body}};
    pp_err_t oe = sq_open_row(c->crypt_of, st, o->account_sid, o->sid, cols, 3);
    if (oe && !e) e = oe;
    o->validity_period = sqlite3_column_int(st, 6);
    o->attempts = sqlite3_column_int(st, 7);
    o->date_created = sqlite3_column_int64(st, 8);
    o->sealed_body = NULL;
    o->sealed_body_len = 0;
    if (sqlite3_column_type(st, 9) == SQLITE_BLOB) {
      size_t len = (size_t)sqlite3_column_bytes(st, 9);
      unsigned char *blob = pp_arena_alloc(cl->arena, len ? len : 1);
      if (blob)
        memcpy(blob, sqlite3_column_blob(st, 9), len);
      else
        e = PP_ERR_NOMEM;
      o->sealed_body = blob;
      o->sealed_body_len = len;
    }
    if (!o->to || !o->from || !o->body) {
      if (!e) e = PP_ERR_NOMEM;
    } else
      cl->n++;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return sq_db_err(c->db, "claim");
  return e;
}

/* Decides a message's final status from its parts, once every part has a
 * final receipt.  Sets *finished when it did. */
static pp_err_t settle(conn_t *c, int64_t seq, int64_t now, bool *finished) {
  sqlite3_stmt *st = c->st[S_PARTS_TALLY];
  sqlite3_bind_int64(st, 1, seq);
  int rc = sqlite3_step(st);
  int64_t count = 0, delivered = 0, failed = 0, err = 0, parts = 0;
  if (rc == SQLITE_ROW) {
    count = sqlite3_column_int64(st, 0);
    delivered = sqlite3_column_int64(st, 1);
    failed = sqlite3_column_int64(st, 2);
    err = sqlite3_column_int64(st, 3);
    parts = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW) return sq_db_err(c->db, "tally");
  *finished = false;
  if (count == 0 || count < parts || delivered + failed < count) return PP_OK;
  st = c->st[S_MSG_FINAL];
  sqlite3_bind_int64(st, 1, seq);
  sq_bind_text(st, 2, failed ? "undelivered" : "delivered");
  sqlite3_bind_int64(st, 3, failed ? err : 0);
  sq_bind_text(st, 4,
               failed ? "Message undelivered: the carrier reported it could not be "
                        "delivered to the handset"
                      : NULL);
  sqlite3_bind_int64(st, 5, now);
  pp_err_t e = sq_status_set(c, st, NULL, 1); /* from sent or sending: a change */
  *finished = e == PP_OK;
  return e == PP_ERR_NOT_FOUND ? PP_OK : e;
}

/* Records one part's receipt state; the caller settles the message. */
static pp_err_t part_state(conn_t *c, const char *carrier, const char *smsc_id, int state,
                           int error_code, int64_t *seq_out) {
  sqlite3_stmt *st = c->st[S_PART_DLR];
  sq_bind_text(st, 1, carrier);
  sq_bind_text(st, 2, smsc_id);
  sqlite3_bind_int(st, 3, state);
  sqlite3_bind_int(st, 4, error_code);
  int rc = sqlite3_step(st);
  *seq_out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  while (rc == SQLITE_ROW) rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? PP_OK : sq_db_err(c->db, "receipt");
}

static pp_err_t apply_submitted(conn_t *c, pp_submitted_t *sb) {
  sqlite3_stmt *st = c->st[S_SUB_MSG];
  sqlite3_bind_int64(st, 1, sb->seq);
  sqlite3_bind_int64(st, 2, sb->now);
  sq_bind_text(st, 3, sb->carrier);
  pp_err_t e = sq_status_set(c, st, "sending", 1);
  if (e) return e; /* not `sending` any more (canceled, or settled already) */
  sb->collisions = 0;
  for (size_t i = 0; i < sb->n; i++) {
    st = c->st[S_PART_CLASH];
    sq_bind_text(st, 1, sb->carrier);
    sq_bind_text(st, 2, sb->parts[i].smsc_id);
    sqlite3_bind_int64(st, 3, sb->seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) sb->collisions++;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW) return sq_db_err(c->db, "part ids");
    st = c->st[S_PART_INS];
    sq_bind_text(st, 1, sb->carrier);
    sq_bind_text(st, 2, sb->parts[i].smsc_id);
    sqlite3_bind_int64(st, 3, sb->seq);
    sqlite3_bind_int(st, 4, sb->parts[i].part);
    sqlite3_bind_int(st, 5, sb->parts[i].parts);
    if ((e = sq_result_of(c->db, sq_step_done(st), 0))) return e;
  }
  /* Receipts that overtook their submit_sm_resp wait in early_receipts. */
  bool any = false;
  for (size_t i = 0; i < sb->n; i++) {
    st = c->st[S_EARLY_TAKE];
    sq_bind_text(st, 1, sb->carrier);
    sq_bind_text(st, 2, sb->parts[i].smsc_id);
    int rc = sqlite3_step(st);
    int state = 0, err = 0;
    bool found = rc == SQLITE_ROW;
    if (found) {
      state = sqlite3_column_int(st, 0);
      err = sqlite3_column_int(st, 1);
    }
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return sq_db_err(c->db, "early receipts");
    if (!found) continue;
    int64_t seq;
    if ((e = part_state(c, sb->carrier, sb->parts[i].smsc_id, state, err, &seq))) return e;
    any = true;
  }
  bool finished;
  return any ? settle(c, sb->seq, sb->now, &finished) : PP_OK;
}

static pp_err_t apply_receipt(conn_t *c, pp_receipt_t *rc_) {
  int64_t seq = 0;
  rc_->message_seq = 0;
  pp_err_t e = part_state(c, rc_->carrier, rc_->smsc_id, (int)rc_->state, rc_->error_code, &seq);
  if (e) return e;
  if (!seq) { /* before its submit_sm_resp was recorded: keep it for then */
    sqlite3_stmt *st = c->st[S_EARLY_PUT];
    sq_bind_text(st, 1, rc_->carrier);
    sq_bind_text(st, 2, rc_->smsc_id);
    sqlite3_bind_int(st, 3, (int)rc_->state);
    sqlite3_bind_int(st, 4, rc_->error_code);
    sqlite3_bind_int64(st, 5, rc_->now);
    if ((e = sq_result_of(c->db, sq_step_done(st), 0))) return e;
    st = c->st[S_EARLY_SWEEP];
    sqlite3_bind_int64(st, 1, rc_->now - (rc_->early_ttl_s > 0 ? rc_->early_ttl_s : 3600));
    sqlite3_bind_int64(st, 2, rc_->early_max > 0 ? rc_->early_max : 10000);
    return sq_result_of(c->db, sq_step_done(st), 0);
  }
  bool finished = false;
  e = settle(c, seq, rc_->now, &finished);
  if (!e && finished) rc_->message_seq = seq;
  return e;
}

/* A text field as a value to seal: NULL, or its bytes. */
static pp_seal_value_t seal_in(pp_sealed_id_t id, const pp_blob_t *sealed, const char *text) {
  if (sealed && sealed->n) /* sealed by the store already: passes through */
    return (pp_seal_value_t){
        .id = id, .in_kind = PP_SEAL_BLOB, .in = sealed->p, .in_len = sealed->n};
  if (!text) return (pp_seal_value_t){.id = id, .in_kind = PP_SEAL_NULL};
  return (pp_seal_value_t){.id = id, .in_kind = PP_SEAL_TEXT, .in = text, .in_len = strlen(text)};
}

pp_err_t sq_insert_message(conn_t *c, pp_message_t *m) {
  const pp_message_sealed_t *ms = m->sealed; /* sealed by the store already, or NULL */
  pp_seal_value_t v[] = {
      seal_in(PP_SEALED_MESSAGES_TO_ADDR, ms ? &ms->to : NULL, m->to),
      seal_in(PP_SEALED_MESSAGES_FROM_ADDR, ms ? &ms->from : NULL, m->from),
      seal_in(PP_SEALED_MESSAGES_BODY, ms ? &ms->body : NULL, m->body ? m->body : ""),
      seal_in(PP_SEALED_MESSAGES_MEDIA_URLS, ms ? &ms->media_urls : NULL,
              m->media_urls ? m->media_urls : ""),
      seal_in(PP_SEALED_MESSAGES_STATUS_CALLBACK, ms ? &ms->status_callback : NULL,
              m->status_callback)};
  enum { NV = sizeof v / sizeof v[0] };
  unsigned char bidx[2][PP_BLIND_INDEX_LEN], *buf = NULL;
  pp_seal_kind_t bk[2] = {PP_SEAL_BLOB, PP_SEAL_BLOB};
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at(PP_SEALED_MESSAGES_BODY, m->account_sid, m->sid, &at);
  if (!e) e = pp_seal_row(c->crypt_of, c->db, &at, v, NV, &buf);
  if (e) return e;
  if (ms) {
    memcpy(bidx[0], ms->to_bidx, sizeof bidx[0]);
    memcpy(bidx[1], ms->from_bidx, sizeof bidx[1]);
  } else {
    for (int i = 0; i < 2 && !e; i++)
      e = pp_seal_index(c->crypt_of, c->db,
                        i ? PP_INDEX_MESSAGES_FROM_BIDX : PP_INDEX_MESSAGES_TO_BIDX, v[i].in_kind,
                        v[i].in, v[i].in_len, NULL, bidx[i], &bk[i]);
    if (e) {
      free(buf);
      return e;
    }
  }
  sqlite3_stmt *st = c->st[S_MSG_INS];
  sq_bind_text(st, 1, m->sid);
  sq_bind_text(st, 2, m->account_sid);
  sq_bind_text(st, 3, m->messaging_service_sid);
  for (int i = 0; i < NV; i++) sq_bind_value(st, 4 + i, v[i].kind, v[i].value, v[i].len);
  sq_bind_text(st, 9, m->error_message);
  sq_bind_text(st, 10, m->direction);
  sq_bind_text(st, 11, m->status);
  sqlite3_bind_int(st, 12, m->num_media);
  sqlite3_bind_int(st, 13, m->num_segments);
  sqlite3_bind_int(st, 14, m->error_code);
  sqlite3_bind_int(st, 15, m->validity_period);
  sqlite3_bind_int64(st, 16, m->date_created);
  sqlite3_bind_int64(st, 17, m->date_updated);
  sqlite3_bind_int64(st, 18, m->date_sent);
  sqlite3_bind_int64(st, 19, m->send_at);
  for (int i = 0; i < 2; i++) sq_bind_value(st, 20 + i, bk[i], bidx[i], sizeof bidx[i]);
  int rc = sq_step_done(st);
  if (rc == SQLITE_DONE) m->seq = sqlite3_last_insert_rowid(c->db);
  e = sq_result_of(c->db, rc, 0);
  /* The status callback's sealed bytes go to the queue row as they are. */
  const pp_seal_value_t *cb = &v[NV - 1];
  if (!e) e = sq_message_inserted(c, m, cb->kind, cb->value, cb->len, bidx[0]);
  free(buf);
  return e;
}

#define MO_PART_TTL (24 * 3600)

/* The set a part belongs to: its numbers' indexes, its reference. */
typedef struct {
  unsigned char idx[2][PP_BLIND_INDEX_LEN];
  pp_seal_kind_t kind[2];
} mo_key_t;

static pp_err_t mo_key(conn_t *c, const pp_mo_part_t *mp, mo_key_t *k) {
  const char *v[2] = {mp->dst, mp->src};
  static const pp_index_id_t ids[2] = {PP_INDEX_MO_PARTS_DST, PP_INDEX_MO_PARTS_SRC};
  pp_err_t e = PP_OK;
  for (int i = 0; i < 2 && !e; i++)
    e = pp_seal_index(c->crypt_of, c->db, ids[i], v[i] ? PP_SEAL_TEXT : PP_SEAL_NULL, v[i],
                      v[i] ? strlen(v[i]) : 0, NULL, k->idx[i], &k->kind[i]);
  return e;
}

/* Binds ?1..?4 to the set a part belongs to. */
static void bind_mo_key(sqlite3_stmt *st, const pp_mo_part_t *mp, const mo_key_t *k) {
  for (int i = 0; i < 2; i++) sq_bind_value(st, 1 + i, k->kind[i], k->idx[i], sizeof k->idx[i]);
  sqlite3_bind_int(st, 3, mp->ref);
  sqlite3_bind_int(st, 4, mp->total);
}

/* Where part `part` of `mp`'s set is sealed: for the account that owns
 * its destination, row "ref:total:part". */
static pp_err_t mo_at(const pp_mo_part_t *mp, int64_t part, char row[PP_SEAL_ROW_MAX],
                      pp_seal_at_t *at) {
  pp_seal_part_row(row, mp->ref, mp->total, part);
  return pp_seal_at(PP_SEALED_MO_PARTS_BODY, mp->message->account_sid, row, at);
}

/* Keeps one inbound part; when it completes its set, inserts the message
 * with the joined text and drops the parts. */
static pp_err_t apply_mo_part(conn_t *c, pp_mo_part_t *mp) {
  mp->completed = false;
  sqlite3_stmt *st = c->st[S_MO_SWEEP];
  sqlite3_bind_int64(st, 1, mp->now - MO_PART_TTL);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 0);
  mo_key_t k;
  if (!e) e = mo_key(c, mp, &k);
  char row[PP_SEAL_ROW_MAX];
  pp_seal_at_t at;
  if (!e) e = mo_at(mp, mp->part, row, &at);
  pp_seal_kind_t kind;
  const void *sealed;
  size_t sealed_len;
  unsigned char *buf = NULL;
  if (!e)
    e = pp_seal_one(c->crypt_of, c->db, &at, mp->text ? PP_SEAL_TEXT : PP_SEAL_NULL, mp->text,
                    mp->text ? strlen(mp->text) : 0, &kind, &sealed, &sealed_len, &buf);
  if (e) return e;
  st = c->st[S_MO_INS];
  bind_mo_key(st, mp, &k);
  sqlite3_bind_int(st, 5, mp->part);
  sq_bind_value(st, 6, kind, sealed, sealed_len);
  sqlite3_bind_int64(st, 7, mp->now);
  e = sq_result_of(c->db, sq_step_done(st), 0);
  free(buf);
  if (e) return e;

  st = c->st[S_MO_READ];
  bind_mo_key(st, mp, &k);
  pp_buf_t body;
  pp_buf_init(&body, 64 * 1024);
  int rc, have = 0;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    have++;
    char *text = NULL;
    size_t len = 0;
    e = mo_at(mp, sqlite3_column_int64(st, 0), row, &at);
    if (!e) e = sq_col_open(c->crypt_of, st, 1, &at, &text, &len);
    if (!e && text) pp_buf_append(&body, text, len);
    free(text);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e && rc != SQLITE_DONE)
    e = sq_db_err(c->db, "inbound parts");
  else if (!e && pp_buf_status(&body))
    e = PP_ERR_NOMEM;
  if (e || have < mp->total) {
    pp_buf_cleanup(&body);
    return e;
  }
  mp->message->body = body.data ? body.data : "";
  e = sq_insert_message(c, mp->message);
  mp->message->body = NULL;
  pp_buf_cleanup(&body);
  if (e) return e;
  st = c->st[S_MO_DEL];
  bind_mo_key(st, mp, &k);
  if ((e = sq_result_of(c->db, sq_step_done(st), 0))) return e;
  mp->completed = true;
  return PP_OK;
}

#define HK(kind, f, i) SQ_COL(kind, pp_hook_t, f, i)
static const sq_col_t hook_cols[] = {
    HK(SQ_I64, seq, 0),          HK(SQ_TEXT, token, 1),     HK(SQ_TEXT, account_sid, 2),
    HK(SQ_TEXT, message_sid, 3), HK(SQ_TEXT, kind, 4),      HK(SQ_TEXT, event, 5),
    HK(SQ_TEXT, method, 6),      HK(SQ_INT, error_code, 8), HK(SQ_INT, attempts, 9),
    HK(SQ_INT, redirects, 10),   HK(SQ_I64, created_ms, 11)};
#undef HK

static pp_err_t apply_hook_claim(conn_t *c, pp_hook_claim_t *cl) {
  sqlite3_stmt *st = c->st[S_HOOK_CLAIM];
  cl->n = 0;
  cl->rows = pp_arena_alloc(cl->arena, (cl->limit ? cl->limit : 1) * sizeof *cl->rows);
  if (!cl->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, cl->now_ms);
  sqlite3_bind_int64(st, 2, cl->lease_until_ms);
  sqlite3_bind_int64(st, 3, (int64_t)cl->limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (cl->n >= cl->limit) continue;
    pp_hook_t *h = &cl->rows[cl->n];
    sq_read_cols(st, hook_cols, SQ_NCOLS(hook_cols), h);
    /* The URL and the body as sealed for the column they came from. */
    const char *src[3];
    for (int i = 0; i < 3; i++) src[i] = (const char *)sqlite3_column_text(st, 13 + i);
    pp_seal_at_t at[2];
    pp_err_t oe =
        pp_seal_at_source(PP_SEALED_WEBHOOKS_URL, h->account_sid, src[0], src[1], src[2], &at[0]);
    if (!oe)
      oe = pp_seal_at_source(PP_SEALED_WEBHOOKS_BODY, h->account_sid, src[0], "body", src[2],
                             &at[1]);
    if (!oe) oe = sq_col_open_dup(c->crypt_of, cl->arena, st, 7, &at[0], &h->url);
    if (!oe) oe = sq_col_open_dup(c->crypt_of, cl->arena, st, 12, &at[1], &h->body);
    if (!oe && !h->url) oe = PP_ERR_CORRUPT;
    if (oe) {
      if (!e) e = oe;
    } else
      cl->n++;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return sq_db_err(c->db, "webhook claim");
  return e;
}

/* Replies (outbound-reply) from `from` to `to` created since `since`. */
static pp_err_t count_replies(conn_t *c, const char *account_sid, const char *from, const char *to,
                              int64_t since, int64_t *out) {
  unsigned char idx[2][PP_BLIND_INDEX_LEN];
  pp_seal_kind_t kind[2];
  const char *v[2] = {from, to};
  static const pp_index_id_t ids[2] = {PP_INDEX_MESSAGES_FROM_BIDX, PP_INDEX_MESSAGES_TO_BIDX};
  pp_err_t e = PP_OK;
  for (int i = 0; i < 2 && !e; i++)
    e = pp_seal_index(c->crypt_of, c->db, ids[i], v[i] ? PP_SEAL_TEXT : PP_SEAL_NULL, v[i],
                      v[i] ? strlen(v[i]) : 0, NULL, idx[i], &kind[i]);
  if (e) return e;
  sqlite3_stmt *st = c->st[S_MSG_REPLIES];
  sq_bind_text(st, 1, account_sid);
  for (int i = 0; i < 2; i++) sq_bind_value(st, 2 + i, kind[i], idx[i], sizeof idx[i]);
  sqlite3_bind_int64(st, 4, since);
  if (sqlite3_step(st) == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else
    e = sq_db_err(c->db, "count between");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return e;
}

pp_err_t sq_insert_alert(conn_t *c, pp_alert_t *al) {
  pp_seal_value_t v[] = {
      seal_in(PP_SEALED_ALERTS_ALERT_TEXT, NULL, al->alert_text ? al->alert_text : ""),
      seal_in(PP_SEALED_ALERTS_REQUEST_URL, NULL, al->request_url),
      seal_in(PP_SEALED_ALERTS_REQUEST_VARIABLES, NULL, al->request_variables),
      seal_in(PP_SEALED_ALERTS_RESPONSE_BODY, NULL, al->response_body)};
  unsigned char *buf = NULL;
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at(PP_SEALED_ALERTS_ALERT_TEXT, al->account_sid, al->sid, &at);
  if (!e) e = pp_seal_row(c->crypt_of, c->db, &at, v, sizeof v / sizeof v[0], &buf);
  if (e) return e;
  sqlite3_stmt *st = c->st[S_ALERT_INS];
  sq_bind_text(st, 1, al->sid);
  sq_bind_text(st, 2, al->account_sid);
  sqlite3_bind_int(st, 3, al->error_code);
  sq_bind_text(st, 4, al->log_level);
  sq_bind_value(st, 5, v[0].kind, v[0].value, v[0].len);
  sq_bind_text(st, 6, al->request_method);
  for (int i = 1; i < 4; i++) sq_bind_value(st, 6 + i, v[i].kind, v[i].value, v[i].len);
  sq_bind_text(st, 10, al->response_headers);
  sq_bind_text(st, 11, al->resource_sid);
  sq_bind_text(st, 12, al->service_sid);
  sqlite3_bind_int64(st, 13, al->date_created);
  int rc = sq_step_done(st);
  free(buf);
  if (rc == SQLITE_DONE) al->seq = sqlite3_last_insert_rowid(c->db);
  return sq_result_of(c->db, rc, 0);
}

/* What came of a webhook request: the alert, then the outcome; for an
 * answered inbound request also its replies and follow-up. */
static pp_err_t apply_hook_result(conn_t *c, pp_hook_result_t *hr) {
  pp_err_t e = hr->alert ? sq_insert_alert(c, hr->alert) : PP_OK;
  if (e) return e;
  sqlite3_stmt *st;
  if (hr->outcome == PP_HOOK_RETRY) {
    st = c->st[S_HOOK_RETRY];
    sqlite3_bind_int64(st, 1, hr->seq);
    sqlite3_bind_int64(st, 2, hr->next_attempt_ms);
    return sq_result_of(c->db, sq_step_done(st), 1);
  }
  hr->replies_refused = 0;
  if (hr->outcome == PP_HOOK_DONE) {
    for (size_t i = 0; i < hr->nreplies; i++) {
      pp_message_t *m = &hr->replies[i];
      int64_t recent = 0;
      if (hr->reply_max &&
          (e = count_replies(c, m->account_sid, m->from, m->to, hr->reply_since, &recent)))
        return e;
      if (hr->reply_max && recent >= hr->reply_max) {
        if (hr->reply_alert && hr->replies_refused++ == 0 &&
            (e = sq_insert_alert(c, hr->reply_alert)))
          return e;
        continue;
      }
      if ((e = sq_insert_message(c, m))) return e;
    }
    if (hr->redirect_url) {
      char token[PP_TOKEN_SIZE];
      pp_hex_random(token, 16);
      /* The new URL sealed for the new row: (webhooks, url, its token). */
      char account[PP_SID_SIZE] = "";
      st = c->st[S_HOOK_ACCOUNT];
      sqlite3_bind_int64(st, 1, hr->seq);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) sq_col_copy(account, sizeof account, st, 0);
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      if (rc == SQLITE_DONE) return PP_ERR_NOT_FOUND;
      if (rc != SQLITE_ROW) return sq_db_err(c->db, "webhook account");
      pp_seal_at_t at;
      pp_seal_kind_t kind;
      const void *url;
      size_t url_len;
      unsigned char *buf = NULL;
      e = pp_seal_at_source(PP_SEALED_WEBHOOKS_URL, account, "webhooks", "url", token, &at);
      if (!e)
        e = pp_seal_one(c->crypt_of, c->db, &at, PP_SEAL_TEXT, hr->redirect_url,
                        strlen(hr->redirect_url), &kind, &url, &url_len, &buf);
      if (e) return e;
      st = c->st[S_HOOK_FOLLOW];
      sqlite3_bind_int64(st, 1, hr->seq);
      sq_bind_value(st, 2, kind, url, url_len);
      sq_bind_text(st, 3, hr->redirect_method ? hr->redirect_method : "POST");
      sqlite3_bind_text(st, 4, token, -1, SQLITE_TRANSIENT);
      e = sq_result_of(c->db, sq_step_done(st), 1);
      free(buf);
      if (e) return e;
    }
  }
  st = c->st[S_HOOK_DEL];
  sqlite3_bind_int64(st, 1, hr->seq);
  return sq_result_of(c->db, sq_step_done(st), 1);
}

static pp_err_t apply_one(conn_t *c, pp_write_t *w) {
  sqlite3_stmt *st;
  int rc;
  switch (w->kind) {
    case PP_W_ACCOUNT_INSERT: {
      pp_account_t *a = w->u.account;
      pp_err_t ke = sq_dek_insert(c, S_DEK_NEW, a->sid, 1, a->date_created);
      return ke ? ke : sq_apply_account(c, a, true);
    }
    case PP_W_ACCOUNT_UPDATE: {
      pp_account_t *a = w->u.account;
      pp_err_t ue = sq_apply_account(c, a, false);
      if (ue || strcmp(a->status, "closed") != 0) return ue;
      st = c->st[S_DEK_SHRED];
      sq_bind_text(st, 1, a->sid);
      if ((ue = sq_result_of(c->db, sq_step_done(st), 0))) return ue;
      st = c->sv[SV_HOOK_SHRED];
      sq_bind_text(st, 1, a->sid);
      if ((ue = sq_result_of(c->db, sq_step_done(st), 0))) return ue;
      pp_crypt_forget(c->crypt_of, a->sid);
      return PP_OK;
    }
    case PP_W_KEY_INSERT: {
      pp_key_t *k = w->u.key;
      st = c->st[S_KEY_INS];
      sq_bind_text(st, 1, k->sid);
      sq_bind_text(st, 2, k->account_sid);
      sq_bind_text(st, 3, k->friendly_name);
      sqlite3_bind_blob(st, 4, k->secret_hash, sizeof k->secret_hash, SQLITE_STATIC);
      sqlite3_bind_int64(st, 5, k->date_created);
      sqlite3_bind_int64(st, 6, k->date_updated);
      rc = sq_step_done(st);
      if (rc == SQLITE_DONE) k->seq = sqlite3_last_insert_rowid(c->db);
      return sq_result_of(c->db, rc, 0);
    }
    case PP_W_KEY_UPDATE: {
      pp_key_t *k = w->u.key;
      st = c->st[S_KEY_UPD];
      sq_bind_text(st, 1, k->sid);
      sq_bind_text(st, 2, k->account_sid);
      sq_bind_text(st, 3, k->friendly_name);
      sqlite3_bind_int64(st, 4, k->date_updated);
      return sq_result_of(c->db, sq_step_done(st), 1);
    }
    case PP_W_KEY_DELETE:
    case PP_W_MESSAGE_DELETE:
      st = c->st[w->kind == PP_W_KEY_DELETE ? S_KEY_DEL : S_MSG_DEL];
      sq_bind_text(st, 1, w->u.ref.account_sid);
      sq_bind_text(st, 2, w->u.ref.sid);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_MESSAGE_INSERT:
      return sq_insert_message(c, w->u.message);
    case PP_W_NUMBER_INSERT:
    case PP_W_NUMBER_UPDATE:
      return sq_apply_number(c, w->u.number, w->kind == PP_W_NUMBER_INSERT);
    case PP_W_NUMBER_DELETE:
      st = c->st[S_NUM_DEL];
      sq_bind_text(st, 1, w->u.ref.account_sid);
      sq_bind_text(st, 2, w->u.ref.sid);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_CARRIER_PUT:
      return sq_apply_carrier(c, w->u.carrier);
    case PP_W_CARRIER_DELETE: {
      st = c->st[S_ROUTE_DEL_CARRIER];
      sq_bind_text(st, 1, w->u.name);
      pp_err_t e = sq_result_of(c->db, sq_step_done(st), 0);
      if (e) return e;
      st = c->st[S_CAR_DEL];
      sq_bind_text(st, 1, w->u.name);
      return sq_result_of(c->db, sq_step_done(st), 1);
    }
    case PP_W_ROUTE_PUT:
    case PP_W_ROUTE_DELETE: {
      pp_route_rule_t *rt = w->u.route;
      bool put = w->kind == PP_W_ROUTE_PUT;
      st = c->st[put ? S_ROUTE_PUT : S_ROUTE_DEL];
      sq_bind_text(st, 1, rt->prefix);
      sq_bind_text(st, 2, rt->carrier);
      if (put) {
        sqlite3_bind_int(st, 3, rt->priority);
        sqlite3_bind_int64(st, 4, rt->date_created);
      }
      return sq_result_of(c->db, sq_step_done(st), !put);
    }
    case PP_W_CLAIM:
      return apply_claim(c, &w->u.claim);
    case PP_W_SUBMITTED:
      return apply_submitted(c, &w->u.submitted);
    case PP_W_DELIVERY_RETRY:
      st = c->st[S_RETRY];
      sqlite3_bind_int64(st, 1, w->u.retry.seq);
      sqlite3_bind_int64(st, 2, w->u.retry.next_attempt);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_DELIVERY_FAIL:
      st = c->st[S_FAIL];
      sqlite3_bind_int64(st, 1, w->u.fail.seq);
      sqlite3_bind_int64(st, 2, w->u.fail.now);
      sq_bind_text(st, 3, w->u.fail.status);
      sqlite3_bind_int(st, 4, w->u.fail.error_code);
      sq_bind_text(st, 5, w->u.fail.error_message);
      /* From sending, sent or queued to the engine's "failed": a change. */
      return sq_status_set(c, st, NULL, 1);
    case PP_W_RECEIPT:
      return apply_receipt(c, &w->u.receipt);
    case PP_W_MO_PART:
      return apply_mo_part(c, &w->u.mo_part);
    case PP_W_HOOK_CLAIM:
      return apply_hook_claim(c, &w->u.hook_claim);
    case PP_W_KEYS_REWRAP:
      return sq_dek_rewrap(c, &w->u.rewrap);
    case PP_W_ACCOUNT_REKEY:
      return sq_dek_next(c, w->u.name);
    case PP_W_RESEAL:
      return sq_apply_reseal(c, &w->u.reseal);
    case PP_W_KEYS_RETIRE:
      st = c->st[S_DEK_RETIRE];
      sq_bind_text(st, 1, w->u.name);
      return sq_result_of(c->db, sq_step_done(st), 0);
    case PP_W_HOOK_RESULT:
      return apply_hook_result(c, &w->u.hook_result);
    case PP_W_LOCKBOX:
    case PP_W_LOCKBOX_SETTINGS:
      return sq_apply_lockbox(c, w);
    case PP_W_OFFER_PUT:
    case PP_W_OFFER_DELETE:
      return sq_apply_offer(c, w->u.offer, w->kind == PP_W_OFFER_PUT);
    case PP_W_STAFF:
      return sq_apply_staff(c, w->u.staff);
    case PP_W_CHANGE:
      return w->change ? PP_OK : PP_ERR_INVALID_PARAM; /* apply_whole writes it */
    case PP_W_SENDER_PUT:
    case PP_W_SENDER_DELETE: {
      bool put = w->kind == PP_W_SENDER_PUT;
      st = c->st[put ? S_SENDER_PUT : S_SENDER_DEL];
      sq_bind_text(st, 1, w->u.sender.account_sid);
      sq_bind_text(st, 2, w->u.sender.sender);
      if (put) sqlite3_bind_int64(st, 3, w->u.sender.now);
      return sq_result_of(c->db, sq_step_done(st), !put);
    }
    case PP_W_MESSAGE_PATCH: {
      const pp_message_patch_t *p = &w->u.patch;
      char old[32] = "";
      if (!p->if_status) { /* the status before, to tell a change from a repeat */
        st = c->st[S_MSG_STATUS];
        sq_bind_text(st, 1, p->account_sid);
        sq_bind_text(st, 2, p->sid);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) sq_col_copy(old, sizeof old, st, 0);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc == SQLITE_DONE) return PP_ERR_NOT_FOUND;
        if (rc != SQLITE_ROW) return sq_db_err(c->db, "message status");
      }
      pp_seal_value_t body = seal_in(PP_SEALED_MESSAGES_BODY, NULL, p->body);
      unsigned char *buf = NULL;
      pp_seal_at_t at;
      pp_err_t e = pp_seal_at(PP_SEALED_MESSAGES_BODY, p->account_sid, p->sid, &at);
      if (!e) e = pp_seal_row(c->crypt_of, c->db, &at, &body, 1, &buf);
      if (e) return e;
      st = c->st[S_MSG_PATCH];
      sq_bind_text(st, 1, p->account_sid);
      sq_bind_text(st, 2, p->sid);
      sq_bind_value(st, 3, body.kind, body.value, body.len);
      sq_bind_text(st, 4, p->status);
      sq_bind_text(st, 5, p->if_status);
      sqlite3_bind_int64(st, 6, p->date_updated);
      e = sq_status_set(c, st, p->if_status ? p->if_status : old, 1);
      free(buf);
      return e;
    }
    case PP_W_SERVICE_INSERT:
    case PP_W_SERVICE_UPDATE:
      return sq_apply_service(c, w->u.service, w->kind == PP_W_SERVICE_INSERT);
    case PP_W_SERVICE_DELETE:
      st = c->st[S_SVC_DEL];
      sq_bind_text(st, 1, w->u.ref.account_sid);
      sq_bind_text(st, 2, w->u.ref.sid);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_SERVICE_NUMBER_INSERT: {
      pp_service_number_t *sn = w->u.service_number;
      st = c->st[S_SVCNUM_INS];
      sq_bind_text(st, 1, sn->service_sid);
      sq_bind_text(st, 2, sn->sid);
      sq_bind_text(st, 3, sn->account_sid);
      sqlite3_bind_int64(st, 4, sn->date_created);
      sqlite3_bind_int64(st, 5, sn->date_updated);
      rc = sq_step_done(st);
      pp_err_t e = sq_result_of(c->db, rc, 1);
      if (!e) sn->seq = sqlite3_last_insert_rowid(c->db);
      return e;
    }
    case PP_W_AUDIT:
    case PP_W_AUDIT_CHECKPOINT:
      return PP_ERR_INTERNAL; /* sq_apply applies these itself */
    case PP_W_SERVICE_NUMBER_DELETE:
      st = c->st[S_SVCNUM_DEL];
      sq_bind_text(st, 1, w->u.service_number->service_sid);
      sq_bind_text(st, 2, w->u.service_number->sid);
      sq_bind_text(st, 3, w->u.service_number->account_sid);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_VERIFY_SERVICE_INSERT:
    case PP_W_VERIFY_SERVICE_UPDATE:
    case PP_W_VERIFY_SERVICE_DELETE:
    case PP_W_VERIFY_SEND:
    case PP_W_VERIFY_SET:
    case PP_W_RATE_LIMIT_INSERT:
    case PP_W_RATE_LIMIT_UPDATE:
    case PP_W_RATE_LIMIT_DELETE:
    case PP_W_RATE_BUCKET_INSERT:
    case PP_W_RATE_BUCKET_UPDATE:
    case PP_W_RATE_BUCKET_DELETE:
    case PP_W_ENTITY_INSERT:
    case PP_W_ENTITY_DELETE:
    case PP_W_FACTOR_INSERT:
    case PP_W_FACTOR_UPDATE:
    case PP_W_FACTOR_DELETE:
    case PP_W_FACTOR_ATTEMPT:
    case PP_W_CHALLENGE_INSERT:
    case PP_W_FACTOR_QR_TAKE:
    case PP_W_FACTOR_DUE:
    case PP_W_FACTOR_ACTIVATE:
    case PP_W_VERIFY_WEBHOOK_INSERT:
    case PP_W_VERIFY_WEBHOOK_UPDATE:
    case PP_W_VERIFY_WEBHOOK_DELETE:
      return sq_apply_verify(c, w);
  }
  return PP_ERR_INTERNAL;
}

/* A write all or nothing under a savepoint: a failed change is undone
 * (before its audit event, if it has one, is appended), and an event that
 * cannot be appended undoes the change. */
static pp_err_t apply_whole(be_t *b, pp_write_t *w) {
  conn_t *c = &b->writer;
  if (sq_step_done(c->st[S_SAVEPOINT]) != SQLITE_DONE) return sq_db_err(c->db, "savepoint");
  pp_err_t r;
  if (w->kind == PP_W_AUDIT)
    r = w->audit ? PP_OK : PP_ERR_INVALID_PARAM;
  else if (w->kind == PP_W_AUDIT_CHECKPOINT)
    r = pp_audit_log_checkpoint(&b->aud, &sq_audit_rows, c, w->u.checkpoint);
  else
    r = apply_one(c, w);
  if (r == PP_OK && w->change) r = sq_apply_change(c, w->change); /* same savepoint */
  if (r != PP_OK) sq_step_done(c->st[S_ROLLBACK_TO]);
  pp_err_t e = pp_audit_log_append(&b->aud, &sq_audit_rows, c, w, r);
  if (e) {
    if (e != PP_ERR_STORE_FULL) /* the writer logs a full disk once */
      pp_log_error("sqlite", "audit append failed: %s", pp_err_name(e));
    sq_step_done(c->st[S_ROLLBACK_TO]);
    r = e;
  }
  sq_step_done(c->st[S_RELEASE]);
  return r;
}

/* The delivery path's writes, thousands a second, run without a savepoint
 * of their own: each is one statement, or (claims, receipts, inbound
 * parts, webhook results) leaves nothing wrong if only its first
 * statements take effect: a lease that expires, a part that is stored
 * again when the SMSC resends it.  A message's webhook row and
 * message_sealed drop (hooks.c) must not be lost once its insert or status
 * change took effect: when one fails, the write sets c->torn and sq_apply
 * undoes the batch.  Every other write is all or nothing. */
static bool bare_write(pp_write_kind_t kind) {
  switch (kind) {
    case PP_W_MESSAGE_INSERT:
    case PP_W_CLAIM:
    case PP_W_SUBMITTED:
    case PP_W_DELIVERY_RETRY:
    case PP_W_DELIVERY_FAIL:
    case PP_W_RECEIPT:
    case PP_W_MO_PART:
    case PP_W_HOOK_CLAIM:
    case PP_W_HOOK_RESULT:
      return true;
    default:
      return false;
  }
}

pp_err_t sq_apply(void *p, pp_write_t **ws, size_t n, bool *changed) {
  be_t *b = p;
  conn_t *c = &b->writer;
  *changed = false;
  sqlite3_int64 before = sqlite3_total_changes64(c->db);
  if (sq_step_done(c->st[S_BEGIN]) != SQLITE_DONE) return sq_db_err(c->db, "begin");
  pp_audit_log_batch_begin(&b->aud);
  pp_err_t e = PP_OK;
  for (size_t i = 0; i < n && !e; i++) {
    pp_write_t *w = ws[i];
    bool bare = !w->audit && !w->change && bare_write(w->kind);
    c->torn = false;
    w->result = bare ? apply_one(c, w) : apply_whole(b, w);
    /* A bare write whose follow-up (a webhook row) failed after its first
     * statement took effect: undo the whole batch rather than keep half. */
    if (bare && c->torn && w->result) e = w->result;
    /* SQLite may roll the whole transaction back on SQLITE_FULL or an I/O
     * error; what followed would then commit on its own.  Stop there. */
    if (sqlite3_get_autocommit(c->db))
      e = w->result == PP_ERR_STORE_FULL ? w->result : sq_db_err(c->db, "transaction lost");
  }
  if (!e) e = pp_audit_log_batch_end(&b->aud, &sq_audit_rows, c);
  if (!e && sq_step_done(c->st[S_COMMIT]) != SQLITE_DONE) e = sq_db_err(c->db, "commit");
  if (e) {
    if (!sqlite3_get_autocommit(c->db)) sq_step_done(c->st[S_ROLLBACK]);
    pp_audit_log_batch_abort(&b->aud); /* nothing of the batch was kept */
    return e;
  }
  *changed = sqlite3_total_changes64(c->db) > before;
  return PP_OK;
}

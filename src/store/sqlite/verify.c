/* verify.c: everything of Verify in the SQLite backend: its writes and
 * reads. */
#include <sodium.h>
#include <string.h>

#include "core/baseline.h"
#include "store/sqlite/sqlite_int.h"

/* ---- Verify ------------------------------------------------------------- */

#define VERIFY_RATE_LIMITS_MAX 10 /* per service */
#define VERIFY_BUCKETS_MAX 10     /* per rate limit */

static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
  sqlite3_bind_blob(st, i, n ? p : "", (int)n, SQLITE_STATIC);
}

static void bind_verify_service(sqlite3_stmt *st, const pp_verify_service_t *sv) {
  const bool flags[] = {sv->lookup_enabled,
                        sv->psd2_enabled,
                        sv->skip_sms_to_landlines,
                        sv->dtmf_input_required,
                        sv->do_not_share_warning_enabled,
                        sv->custom_code_enabled,
                        sv->push_include_date,
                        sv->verify_event_subscription_enabled};
  const char *texts[] = {sv->tts_name,
                         sv->push_apn_credential_sid,
                         sv->push_fcm_credential_sid,
                         sv->default_template_sid,
                         sv->whatsapp_msg_service_sid,
                         sv->whatsapp_from,
                         sv->totp_issuer};
  sq_bind_text(st, 1, sv->sid);
  sq_bind_text(st, 2, sv->account_sid);
  sq_bind_text(st, 3, sv->friendly_name);
  sqlite3_bind_int(st, 4, sv->code_length);
  for (int i = 0; i < 8; i++) sqlite3_bind_int(st, 5 + i, flags[i]);
  for (int i = 0; i < 7; i++) sq_bind_text(st, 13 + i, texts[i]);
  sqlite3_bind_int(st, 20, sv->totp_time_step);
  sqlite3_bind_int(st, 21, sv->totp_code_length);
  sqlite3_bind_int(st, 22, sv->totp_skew);
  sqlite3_bind_int64(st, 23, sv->date_created);
  sqlite3_bind_int64(st, 24, sv->date_updated);
  sqlite3_bind_int(st, 25, sv->enrollment_wait);
  sqlite3_bind_int(st, 26, sv->fraud_guard);
  sq_bind_text(st, 27, sv->allowed_country_codes);
}

static void bind_verification(sqlite3_stmt *st, const pp_verification_t *v) {
  sq_bind_text(st, 1, v->sid);
  sq_bind_text(st, 2, v->service_sid);
  sq_bind_text(st, 3, v->account_sid);
  sq_bind_text(st, 4, v->to);
  sq_bind_text(st, 5, v->channel);
  sq_bind_text(st, 6, v->status);
  bind_blob(st, 7, v->code_hashes, (size_t)v->sends * sizeof v->code_hashes[0]);
  sqlite3_bind_int(st, 8, v->sends);
  sqlite3_bind_int(st, 9, v->checks);
  sq_bind_text(st, 10, v->send_attempts ? v->send_attempts : "[]");
  sqlite3_bind_int64(st, 11, v->expires_at);
  sqlite3_bind_int64(st, 12, v->date_created);
  sqlite3_bind_int64(st, 13, v->date_updated);
}

/* Runs one statement of a write with its bound parameters; for counting
 * queries, *count receives the first column. */
static pp_err_t step_count(conn_t *c, sqlite3_stmt *st, int64_t *count) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_ROW ? PP_OK : sq_db_err(c->db, "count");
}

/* Counts each hit against its bucket, then records them all. */
static pp_err_t apply_rate_hits(conn_t *c, const pp_rate_hit_t *hits, size_t n, int64_t now) {
  for (size_t i = 0; i < n; i++) {
    const pp_rate_hit_t *h = &hits[i];
    sqlite3_stmt *st = c->sv[SV_HIT_PRUNE];
    sq_bind_text(st, 1, h->bucket_sid);
    bind_blob(st, 2, h->key_hash, sizeof h->key_hash);
    sqlite3_bind_int64(st, 3, now - h->interval);
    pp_err_t e = sq_result_of(c->db, sq_step_done(st), 0);
    if (e) return e;
    int64_t count = 0;
    st = c->sv[SV_HIT_COUNT];
    sq_bind_text(st, 1, h->bucket_sid);
    bind_blob(st, 2, h->key_hash, sizeof h->key_hash);
    sqlite3_bind_int64(st, 3, now - h->interval);
    if ((e = step_count(c, st, &count))) return e;
    if (count >= h->max) return PP_ERR_VERIFY_SENDS;
  }
  for (size_t i = 0; i < n; i++) {
    sqlite3_stmt *st = c->sv[SV_HIT_INS];
    sq_bind_text(st, 1, hits[i].bucket_sid);
    bind_blob(st, 2, hits[i].key_hash, sizeof hits[i].key_hash);
    sqlite3_bind_int64(st, 3, now);
    pp_err_t e = sq_result_of(c->db, sq_step_done(st), 0);
    if (e) return e;
  }
  return PP_OK;
}

/* The fraud guard's decision on one send (pp_fraud_check_t), read,
 * decided and written on the writer inside the send's savepoint, so no
 * concurrent send sees a count this one has not added to. */
static pp_err_t apply_fraud(conn_t *c, pp_fraud_check_t *f, int64_t now) {
  sqlite3_stmt *st = c->sv[SV_FRAUD_GET];
  int64_t bucket = now / f->bucket_s;
  pp_baseline_t b = {.bucket = bucket};
  int64_t blocked_until = 0, alerted = -1;
  sq_bind_text(st, 1, f->service_sid);
  sq_bind_text(st, 2, f->prefix);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    b.bucket = sqlite3_column_int64(st, 0);
    b.count = sqlite3_column_int64(st, 1);
    b.mean = sqlite3_column_double(st, 2);
    blocked_until = sqlite3_column_int64(st, 3);
    alerted = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_db_err(c->db, "fraud guard read");
  pp_baseline_advance(&b, bucket, f->alpha);
  f->refused = f->enforce &&
               (now < blocked_until || b.count >= pp_baseline_limit(&b, f->multiple, f->floor));
  pp_err_t e;
  if (f->refused) {
    if (now >= blocked_until) blocked_until = now + f->block_s;
    if (alerted != bucket && f->alert) {
      if ((e = sq_insert_alert(c, f->alert))) return e;
      alerted = bucket;
    }
  } else {
    b.count++;
  }
  f->blocked_until = blocked_until;
  st = c->sv[SV_FRAUD_PUT];
  sq_bind_text(st, 1, f->service_sid);
  sq_bind_text(st, 2, f->prefix);
  sqlite3_bind_int64(st, 3, b.bucket);
  sqlite3_bind_int64(st, 4, b.count);
  sqlite3_bind_double(st, 5, b.mean);
  sqlite3_bind_int64(st, 6, blocked_until);
  sqlite3_bind_int64(st, 7, alerted);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

static pp_err_t apply_verify_send(conn_t *c, pp_verify_send_t *vs) {
  pp_verification_t *v = vs->v;
  sqlite3_stmt *st;
  pp_err_t e;
  if (vs->fraud) {
    if ((e = apply_fraud(c, vs->fraud, vs->now))) return e;
    if (vs->fraud->refused) return PP_OK;
  }
  if (vs->is_new) {
    int64_t pending = 0;
    st = c->sv[SV_VE_PENDING];
    sq_bind_text(st, 1, v->account_sid);
    sq_bind_text(st, 2, v->to);
    sqlite3_bind_int64(st, 3, vs->now);
    if ((e = step_count(c, st, &pending))) return e;
    if (pending >= vs->max_pending) return PP_ERR_VERIFY_CONCURRENT;
  }
  if ((e = apply_rate_hits(c, vs->hits, vs->nhits, vs->now))) return e;
  st = c->sv[vs->is_new ? SV_VE_INS : SV_VE_RESEND];
  bind_verification(st, v);
  if (!vs->is_new) sqlite3_bind_int(st, 14, vs->prev_sends);
  int rc = sq_step_done(st);
  if (rc == SQLITE_DONE && !vs->is_new && sqlite3_changes(c->db) == 0) return PP_ERR_CONFLICT;
  if ((e = sq_result_of(c->db, rc, 0))) return e;
  if (vs->is_new) v->seq = sqlite3_last_insert_rowid(c->db);
  if ((e = sq_insert_message(c, vs->message))) return e;
  st = c->sv[SV_MSG_SEAL];
  sqlite3_bind_int64(st, 1, vs->message->seq);
  bind_blob(st, 2, vs->message_sealed, vs->message_sealed_len);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

static pp_err_t apply_verify_set(conn_t *c, const pp_verify_set_t *vs) {
  sqlite3_stmt *st = c->sv[SV_VE_SET];
  sq_bind_text(st, 1, vs->account_sid);
  sq_bind_text(st, 2, vs->sid);
  sq_bind_text(st, 3, vs->status);
  sqlite3_bind_int(st, 4, vs->checks);
  sqlite3_bind_int(st, 5, vs->if_checks);
  sqlite3_bind_int64(st, 6, vs->now);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
}

static pp_err_t apply_rate_limit(conn_t *c, pp_rate_limit_t *rl, bool insert) {
  sqlite3_stmt *st = c->sv[insert ? SV_RL_INS : SV_RL_UPD];
  sq_bind_text(st, 1, rl->sid);
  sq_bind_text(st, 2, rl->service_sid);
  sq_bind_text(st, 3, rl->account_sid);
  sq_bind_text(st, 4, rl->unique_name);
  sq_bind_text(st, 5, rl->description);
  sqlite3_bind_int64(st, 6, rl->date_created);
  sqlite3_bind_int64(st, 7, rl->date_updated);
  if (insert) sqlite3_bind_int(st, 8, VERIFY_RATE_LIMITS_MAX);
  int rc = sq_step_done(st);
  if (insert && rc == SQLITE_DONE && sqlite3_changes(c->db) == 0)
    return PP_ERR_VERIFY_RATE_LIMITS_MAX;
  if (insert && rc == SQLITE_DONE) rl->seq = sqlite3_last_insert_rowid(c->db);
  return sq_result_of(c->db, rc, !insert);
}

static pp_err_t apply_rate_bucket(conn_t *c, pp_rate_bucket_t *b, bool insert) {
  sqlite3_stmt *st = c->sv[insert ? SV_RB_INS : SV_RB_UPD];
  sq_bind_text(st, 1, b->sid);
  sq_bind_text(st, 2, b->rate_limit_sid);
  sq_bind_text(st, 3, b->service_sid);
  sq_bind_text(st, 4, b->account_sid);
  sqlite3_bind_int(st, 5, b->max);
  sqlite3_bind_int(st, 6, b->interval);
  sqlite3_bind_int64(st, 7, b->date_created);
  sqlite3_bind_int64(st, 8, b->date_updated);
  if (insert) sqlite3_bind_int(st, 9, VERIFY_BUCKETS_MAX);
  int rc = sq_step_done(st);
  if (insert && rc == SQLITE_DONE && sqlite3_changes(c->db) == 0) return PP_ERR_VERIFY_BUCKETS_MAX;
  if (insert && rc == SQLITE_DONE) b->seq = sqlite3_last_insert_rowid(c->db);
  return sq_result_of(c->db, rc, !insert);
}

static void bind_entity(sqlite3_stmt *st, const pp_verify_entity_t *en) {
  sq_bind_text(st, 1, en->sid);
  sq_bind_text(st, 2, en->service_sid);
  sq_bind_text(st, 3, en->account_sid);
  sq_bind_text(st, 4, en->identity);
  sqlite3_bind_int64(st, 5, en->date_created);
  sqlite3_bind_int64(st, 6, en->date_updated);
}

static void bind_factor(sqlite3_stmt *st, const pp_verify_factor_t *f) {
  sq_bind_text(st, 1, f->sid);
  sq_bind_text(st, 2, f->entity_sid);
  sq_bind_text(st, 3, f->service_sid);
  sq_bind_text(st, 4, f->account_sid);
  sq_bind_text(st, 5, f->identity);
  sq_bind_text(st, 6, f->friendly_name);
  sq_bind_text(st, 7, f->status);
  sq_bind_text(st, 8, f->factor_type);
  sq_bind_text(st, 9, f->alg);
  sqlite3_bind_int(st, 10, f->time_step);
  sqlite3_bind_int(st, 11, f->skew);
  sqlite3_bind_int(st, 12, f->code_length);
  bind_blob(st, 13, f->secret_sealed, f->secret_sealed_len);
  sqlite3_bind_int64(st, 14, f->last_counter);
  sqlite3_bind_int(st, 15, f->failures);
  sq_bind_text(st, 16, f->metadata);
  sqlite3_bind_int64(st, 17, f->date_created);
  sqlite3_bind_int64(st, 18, f->date_updated);
  if (f->public_key_len)
    bind_blob(st, 19, f->public_key, f->public_key_len);
  else
    sqlite3_bind_null(st, 19);
  sq_bind_text(st, 20, f->push_config);
}

static void bind_challenge(sqlite3_stmt *st, const pp_verify_challenge_t *ch) {
  sq_bind_text(st, 1, ch->sid);
  sq_bind_text(st, 2, ch->factor_sid);
  sq_bind_text(st, 3, ch->entity_sid);
  sq_bind_text(st, 4, ch->service_sid);
  sq_bind_text(st, 5, ch->account_sid);
  sq_bind_text(st, 6, ch->identity);
  sq_bind_text(st, 7, ch->status);
  sq_bind_text(st, 8, ch->responded_reason);
  sq_bind_text(st, 9, ch->factor_type);
  sq_bind_text(st, 10, ch->details);
  sq_bind_text(st, 11, ch->hidden_details);
  sq_bind_text(st, 12, ch->metadata);
  sqlite3_bind_int64(st, 13, ch->expiration_date);
  sqlite3_bind_int64(st, 14, ch->date_responded);
  sqlite3_bind_int64(st, 15, ch->date_created);
  sqlite3_bind_int64(st, 16, ch->date_updated);
  sq_bind_text(st, 17, ch->enroll_factor_sid);
}

static void row_entity(sqlite3_stmt *st, pp_verify_entity_t *en) {
  en->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(en->sid, sizeof en->sid, st, 1);
  sq_col_copy(en->service_sid, sizeof en->service_sid, st, 2);
  sq_col_copy(en->account_sid, sizeof en->account_sid, st, 3);
  sq_col_copy(en->identity, sizeof en->identity, st, 4);
  en->date_created = sqlite3_column_int64(st, 5);
  en->date_updated = sqlite3_column_int64(st, 6);
}

/* Queues event `body` of `type` to the enabled webhooks of `service_sid`
 * that take it (none: nothing). */
static pp_err_t queue_event(conn_t *c, const char *service_sid, const char *type, const char *body,
                            int64_t now) {
  if (!type || !body || !service_sid) return PP_OK;
  sqlite3_stmt *st = c->sv[SV_EV_QUEUE];
  sq_bind_text(st, 1, service_sid);
  sq_bind_text(st, 2, type);
  sq_bind_text(st, 3, body);
  sqlite3_bind_int64(st, 4, now);
  unsigned char rnd[16];
  char id[33];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(id, sizeof id, rnd, sizeof rnd);
  sqlite3_bind_text(st, 5, id, -1, SQLITE_TRANSIENT);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

static pp_err_t apply_factor_insert(conn_t *c, pp_factor_insert_t *fi) {
  sqlite3_stmt *st = c->sv[SV_EN_INS_IGNORE];
  bind_entity(st, fi->entity);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 0);
  if (e) return e;
  st = c->sv[SV_EN_GET];
  sq_bind_text(st, 1, fi->entity->account_sid);
  sq_bind_text(st, 2, fi->entity->service_sid);
  sq_bind_text(st, 3, fi->entity->identity);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) row_entity(st, fi->entity);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW) return sq_db_err(c->db, "entity");
  memcpy(fi->factor->entity_sid, fi->entity->sid, sizeof fi->factor->entity_sid);
  st = c->sv[SV_FA_INS];
  bind_factor(st, fi->factor);
  rc = sq_step_done(st);
  if (rc == SQLITE_DONE) fi->factor->seq = sqlite3_last_insert_rowid(c->db);
  e = sq_result_of(c->db, rc, 0);
  if (e) return e;
  if (fi->qr_hash) {
    st = c->sv[SV_FA_QR_SET];
    sq_bind_text(st, 1, fi->factor->account_sid);
    sq_bind_text(st, 2, fi->factor->sid);
    sqlite3_bind_blob(st, 3, fi->qr_hash, PP_VERIFY_QR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, fi->qr_expires);
    if ((e = sq_result_of(c->db, sq_step_done(st), 1))) return e;
  }
  return queue_event(c, fi->factor->service_sid, fi->event_type, fi->event_body,
                     fi->factor->date_created);
}

static pp_err_t apply_factor_attempt(conn_t *c, pp_factor_attempt_t *fa) {
  sqlite3_stmt *st = c->sv[SV_FA_ATTEMPT];
  sq_bind_text(st, 1, fa->account_sid);
  sq_bind_text(st, 2, fa->sid);
  sqlite3_bind_int64(st, 3, fa->last_counter);
  sqlite3_bind_int(st, 4, fa->failures);
  sq_bind_text(st, 5, fa->status);
  sqlite3_bind_int64(st, 6, fa->if_last_counter);
  sqlite3_bind_int(st, 7, fa->if_failures);
  sqlite3_bind_int64(st, 8, fa->now);
  if (fa->activate_at > 0) sqlite3_bind_int64(st, 9, fa->activate_at);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
  if (e) return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
  if (fa->challenge) {
    st = c->sv[fa->challenge_insert ? SV_CH_INS : SV_CH_RESPOND];
    bind_challenge(st, fa->challenge);
    int rc = sq_step_done(st);
    if (fa->challenge_insert && rc == SQLITE_DONE)
      fa->challenge->seq = sqlite3_last_insert_rowid(c->db);
    e = sq_result_of(c->db, rc, !fa->challenge_insert);
    if (e) return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
  }
  for (size_t i = 0; i < fa->nenroll; i++) {
    st = c->sv[SV_CH_INS];
    bind_challenge(st, &fa->enroll[i]);
    if ((e = sq_result_of(c->db, sq_step_done(st), 0))) return e;
  }
  if (fa->enroll_outcome && fa->enroll_factor_sid && *fa->enroll_factor_sid) {
    bool verify = strcmp(fa->enroll_outcome, "verify") == 0;
    st = c->sv[verify ? SV_ENROLL_VERIFY : SV_ENROLL_DELETE];
    sq_bind_text(st, 1, fa->account_sid);
    sq_bind_text(st, 2, fa->enroll_factor_sid);
    if (verify) sqlite3_bind_int64(st, 3, fa->now);
    if ((e = sq_result_of(c->db, sq_step_done(st), 0))) return e;
  }
  return queue_event(c, fa->service_sid, fa->event_type, fa->event_body, fa->now);
}

static void bind_webhook(sqlite3_stmt *st, const pp_verify_webhook_t *wh) {
  sq_bind_text(st, 1, wh->sid);
  sq_bind_text(st, 2, wh->service_sid);
  sq_bind_text(st, 3, wh->account_sid);
  sq_bind_text(st, 4, wh->friendly_name);
  sq_bind_text(st, 5, wh->event_types);
  sq_bind_text(st, 6, wh->webhook_url);
  sq_bind_text(st, 7, wh->status);
  sq_bind_text(st, 8, wh->version);
  sqlite3_bind_int64(st, 9, wh->date_created);
  sqlite3_bind_int64(st, 10, wh->date_updated);
}

static bool row_factor(pp_arena_t *a, sqlite3_stmt *st, void *row);

static pp_err_t apply_factor_due(conn_t *c, pp_factor_due_t *fd) {
  sqlite3_stmt *st = c->sv[SV_FA_DUE];
  fd->n = 0;
  fd->rows = pp_arena_alloc(fd->arena, (fd->limit ? fd->limit : 1) * sizeof *fd->rows);
  if (!fd->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, fd->now);
  sqlite3_bind_int64(st, 2, (int64_t)fd->limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (fd->n >= fd->limit) continue;
    if (row_factor(fd->arena, st, &fd->rows[fd->n]))
      fd->n++;
    else
      e = PP_ERR_NOMEM;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return sq_db_err(c->db, "factors due");
  return e;
}

/* Deletes (account, sid) with one of Verify's statements. */
static pp_err_t apply_verify_delete(conn_t *c, int which, const pp_ref_t *ref) {
  sqlite3_stmt *st = c->sv[which];
  sq_bind_text(st, 1, ref->account_sid);
  sq_bind_text(st, 2, ref->sid);
  return sq_result_of(c->db, sq_step_done(st), 1);
}

/* Verify's writes change several rows; like every write off the delivery
 * path they run under sq_apply's savepoint (apply_whole), so one that
 * fails leaves nothing behind in the batch's transaction. */
pp_err_t sq_apply_verify(conn_t *c, pp_write_t *w) {
  sqlite3_stmt *st;
  int rc;
  switch (w->kind) {
    case PP_W_VERIFY_SERVICE_INSERT:
    case PP_W_VERIFY_SERVICE_UPDATE: {
      bool ins = w->kind == PP_W_VERIFY_SERVICE_INSERT;
      st = c->sv[ins ? SV_SVC_INS : SV_SVC_UPD];
      bind_verify_service(st, w->u.verify_service);
      rc = sq_step_done(st);
      if (ins && rc == SQLITE_DONE) w->u.verify_service->seq = sqlite3_last_insert_rowid(c->db);
      return sq_result_of(c->db, rc, !ins);
    }
    case PP_W_VERIFY_SERVICE_DELETE:
      return apply_verify_delete(c, SV_SVC_DEL, &w->u.ref);
    case PP_W_VERIFY_SEND:
      return apply_verify_send(c, &w->u.verify_send);
    case PP_W_VERIFY_SET:
      return apply_verify_set(c, &w->u.verify_set);
    case PP_W_RATE_LIMIT_INSERT:
    case PP_W_RATE_LIMIT_UPDATE:
      return apply_rate_limit(c, w->u.rate_limit, w->kind == PP_W_RATE_LIMIT_INSERT);
    case PP_W_RATE_LIMIT_DELETE:
      return apply_verify_delete(c, SV_RL_DEL, &w->u.ref);
    case PP_W_RATE_BUCKET_INSERT:
    case PP_W_RATE_BUCKET_UPDATE:
      return apply_rate_bucket(c, w->u.rate_bucket, w->kind == PP_W_RATE_BUCKET_INSERT);
    case PP_W_RATE_BUCKET_DELETE:
      return apply_verify_delete(c, SV_RB_DEL, &w->u.ref);
    case PP_W_ENTITY_INSERT:
      st = c->sv[SV_EN_INS];
      bind_entity(st, w->u.entity);
      rc = sq_step_done(st);
      if (rc == SQLITE_DONE) w->u.entity->seq = sqlite3_last_insert_rowid(c->db);
      return sq_result_of(c->db, rc, 0);
    case PP_W_ENTITY_DELETE:
      return apply_verify_delete(c, SV_EN_DEL, &w->u.ref);
    case PP_W_FACTOR_INSERT:
      return apply_factor_insert(c, &w->u.factor_insert);
    case PP_W_FACTOR_UPDATE:
      st = c->sv[SV_FA_UPD];
      bind_factor(st, w->u.factor);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_FACTOR_DELETE: {
      pp_factor_delete_t *fd = &w->u.factor_delete;
      pp_ref_t ref = {fd->account_sid, fd->sid};
      pp_err_t e = apply_verify_delete(c, SV_FA_DEL, &ref);
      return e ? e : queue_event(c, fd->service_sid, fd->event_type, fd->event_body, fd->now);
    }
    case PP_W_FACTOR_ATTEMPT:
      return apply_factor_attempt(c, &w->u.factor_attempt);
    case PP_W_CHALLENGE_INSERT: {
      pp_challenge_insert_t *ci = &w->u.challenge_insert;
      st = c->sv[SV_CH_INS];
      bind_challenge(st, ci->challenge);
      rc = sq_step_done(st);
      if (rc == SQLITE_DONE) ci->challenge->seq = sqlite3_last_insert_rowid(c->db);
      pp_err_t e = sq_result_of(c->db, rc, 0);
      if (e) return e;
      return queue_event(c, ci->challenge->service_sid, ci->event_type, ci->event_body,
                         ci->challenge->date_created);
    }
    case PP_W_FACTOR_DUE:
      return apply_factor_due(c, &w->u.factor_due);
    case PP_W_FACTOR_ACTIVATE: {
      pp_factor_activate_t *fa = &w->u.factor_activate;
      st = c->sv[SV_FA_ACTIVATE];
      sq_bind_text(st, 1, fa->account_sid);
      sq_bind_text(st, 2, fa->sid);
      sqlite3_bind_int64(st, 3, fa->now);
      pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
      return e ? e : queue_event(c, fa->service_sid, fa->event_type, fa->event_body, fa->now);
    }
    case PP_W_FACTOR_QR_TAKE:
      st = c->sv[SV_FA_QR_TAKE];
      sq_bind_text(st, 1, w->u.factor_qr.account_sid);
      sq_bind_text(st, 2, w->u.factor_qr.sid);
      sqlite3_bind_blob(st, 3, w->u.factor_qr.hash, PP_VERIFY_QR_HASH_LEN, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, w->u.factor_qr.now);
      return sq_result_of(c->db, sq_step_done(st), 1);
    case PP_W_VERIFY_WEBHOOK_INSERT:
    case PP_W_VERIFY_WEBHOOK_UPDATE: {
      bool ins = w->kind == PP_W_VERIFY_WEBHOOK_INSERT;
      st = c->sv[ins ? SV_WH_INS : SV_WH_UPD];
      bind_webhook(st, w->u.verify_webhook);
      rc = sq_step_done(st);
      if (ins && rc == SQLITE_DONE) w->u.verify_webhook->seq = sqlite3_last_insert_rowid(c->db);
      return sq_result_of(c->db, rc, !ins);
    }
    case PP_W_VERIFY_WEBHOOK_DELETE:
      return apply_verify_delete(c, SV_WH_DEL, &w->u.ref);
    default:
      return PP_ERR_INTERNAL;
  }
}

/* Reads: rows of Verify's tables.  Optional text columns are copied into
 * the arena; a row whose copy failed is reported as PP_ERR_NOMEM. */

static bool dup_ok(pp_arena_t *a, sqlite3_stmt *st, int i, const char **out) {
  *out = sq_col_dup(a, st, i);
  return sqlite3_column_type(st, i) == SQLITE_NULL || *out;
}

static bool row_verify_service(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_service_t *sv = row;
  bool *flags[] = {&sv->lookup_enabled,
                   &sv->psd2_enabled,
                   &sv->skip_sms_to_landlines,
                   &sv->dtmf_input_required,
                   &sv->do_not_share_warning_enabled,
                   &sv->custom_code_enabled,
                   &sv->push_include_date,
                   &sv->verify_event_subscription_enabled};
  const char **texts[] = {&sv->tts_name,
                          &sv->push_apn_credential_sid,
                          &sv->push_fcm_credential_sid,
                          &sv->default_template_sid,
                          &sv->whatsapp_msg_service_sid,
                          &sv->whatsapp_from,
                          &sv->totp_issuer};
  bool ok = true;
  sv->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(sv->sid, sizeof sv->sid, st, 1);
  sq_col_copy(sv->account_sid, sizeof sv->account_sid, st, 2);
  sq_col_copy(sv->friendly_name, sizeof sv->friendly_name, st, 3);
  sv->code_length = sqlite3_column_int(st, 4);
  for (int i = 0; i < 8; i++) *flags[i] = sqlite3_column_int(st, 5 + i) != 0;
  for (int i = 0; i < 7; i++) ok &= dup_ok(a, st, 13 + i, texts[i]);
  sv->totp_time_step = sqlite3_column_int(st, 20);
  sv->totp_code_length = sqlite3_column_int(st, 21);
  sv->totp_skew = sqlite3_column_int(st, 22);
  sv->date_created = sqlite3_column_int64(st, 23);
  sv->date_updated = sqlite3_column_int64(st, 24);
  sv->enrollment_wait = sqlite3_column_int(st, 25);
  sv->fraud_guard = sqlite3_column_int(st, 26) != 0;
  ok &= dup_ok(a, st, 27, &sv->allowed_country_codes);
  return ok;
}

static bool row_verification(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verification_t *v = row;
  memset(v->code_hashes, 0, sizeof v->code_hashes);
  v->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(v->sid, sizeof v->sid, st, 1);
  sq_col_copy(v->service_sid, sizeof v->service_sid, st, 2);
  sq_col_copy(v->account_sid, sizeof v->account_sid, st, 3);
  sq_col_copy(v->to, sizeof v->to, st, 4);
  sq_col_copy(v->channel, sizeof v->channel, st, 5);
  sq_col_copy(v->status, sizeof v->status, st, 6);
  size_t n = (size_t)sqlite3_column_bytes(st, 7);
  if (n > sizeof v->code_hashes) n = sizeof v->code_hashes;
  if (n) memcpy(v->code_hashes, sqlite3_column_blob(st, 7), n);
  v->sends = sqlite3_column_int(st, 8);
  v->checks = sqlite3_column_int(st, 9);
  v->expires_at = sqlite3_column_int64(st, 11);
  v->date_created = sqlite3_column_int64(st, 12);
  v->date_updated = sqlite3_column_int64(st, 13);
  return dup_ok(a, st, 10, &v->send_attempts);
}

static bool row_rate_limit(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_rate_limit_t *rl = row;
  rl->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(rl->sid, sizeof rl->sid, st, 1);
  sq_col_copy(rl->service_sid, sizeof rl->service_sid, st, 2);
  sq_col_copy(rl->account_sid, sizeof rl->account_sid, st, 3);
  sq_col_copy(rl->unique_name, sizeof rl->unique_name, st, 4);
  rl->date_created = sqlite3_column_int64(st, 6);
  rl->date_updated = sqlite3_column_int64(st, 7);
  return dup_ok(a, st, 5, &rl->description);
}

static bool row_rate_bucket(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  pp_rate_bucket_t *b = row;
  b->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(b->sid, sizeof b->sid, st, 1);
  sq_col_copy(b->rate_limit_sid, sizeof b->rate_limit_sid, st, 2);
  sq_col_copy(b->service_sid, sizeof b->service_sid, st, 3);
  sq_col_copy(b->account_sid, sizeof b->account_sid, st, 4);
  b->max = sqlite3_column_int(st, 5);
  b->interval = sqlite3_column_int(st, 6);
  b->date_created = sqlite3_column_int64(st, 7);
  b->date_updated = sqlite3_column_int64(st, 8);
  return true;
}

static bool row_entity_list(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  row_entity(st, row);
  return true;
}

static bool row_factor(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_factor_t *f = row;
  f->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(f->sid, sizeof f->sid, st, 1);
  sq_col_copy(f->entity_sid, sizeof f->entity_sid, st, 2);
  sq_col_copy(f->service_sid, sizeof f->service_sid, st, 3);
  sq_col_copy(f->account_sid, sizeof f->account_sid, st, 4);
  sq_col_copy(f->identity, sizeof f->identity, st, 5);
  sq_col_copy(f->friendly_name, sizeof f->friendly_name, st, 6);
  sq_col_copy(f->status, sizeof f->status, st, 7);
  sq_col_copy(f->factor_type, sizeof f->factor_type, st, 8);
  sq_col_copy(f->alg, sizeof f->alg, st, 9);
  f->time_step = sqlite3_column_int(st, 10);
  f->skew = sqlite3_column_int(st, 11);
  f->code_length = sqlite3_column_int(st, 12);
  size_t n = (size_t)sqlite3_column_bytes(st, 13);
  if (n > sizeof f->secret_sealed) n = 0; /* not ours: opens as nothing */
  if (n) memcpy(f->secret_sealed, sqlite3_column_blob(st, 13), n);
  f->secret_sealed_len = n;
  f->last_counter = sqlite3_column_int64(st, 14);
  f->failures = sqlite3_column_int(st, 15);
  f->date_created = sqlite3_column_int64(st, 17);
  f->date_updated = sqlite3_column_int64(st, 18);
  n = (size_t)sqlite3_column_bytes(st, 19);
  if (n > sizeof f->public_key) n = 0;
  if (n) memcpy(f->public_key, sqlite3_column_blob(st, 19), n);
  f->public_key_len = n;
  f->activate_at = sqlite3_column_int64(st, 21);
  bool ok = dup_ok(a, st, 16, &f->metadata); /* both copied, even when one fails */
  return dup_ok(a, st, 20, &f->push_config) && ok;
}

static bool row_challenge(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_challenge_t *ch = row;
  ch->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(ch->sid, sizeof ch->sid, st, 1);
  sq_col_copy(ch->factor_sid, sizeof ch->factor_sid, st, 2);
  sq_col_copy(ch->entity_sid, sizeof ch->entity_sid, st, 3);
  sq_col_copy(ch->service_sid, sizeof ch->service_sid, st, 4);
  sq_col_copy(ch->account_sid, sizeof ch->account_sid, st, 5);
  sq_col_copy(ch->identity, sizeof ch->identity, st, 6);
  sq_col_copy(ch->status, sizeof ch->status, st, 7);
  sq_col_copy(ch->responded_reason, sizeof ch->responded_reason, st, 8);
  sq_col_copy(ch->factor_type, sizeof ch->factor_type, st, 9);
  ch->expiration_date = sqlite3_column_int64(st, 13);
  ch->date_responded = sqlite3_column_int64(st, 14);
  ch->date_created = sqlite3_column_int64(st, 15);
  ch->date_updated = sqlite3_column_int64(st, 16);
  sq_col_copy(ch->enroll_factor_sid, sizeof ch->enroll_factor_sid, st, 17);
  bool ok = dup_ok(a, st, 10, &ch->details); /* all copied, even when one fails */
  ok = dup_ok(a, st, 11, &ch->hidden_details) && ok;
  return dup_ok(a, st, 12, &ch->metadata) && ok;
}

/* One row of Verify's statement `which` by up to three text keys (NULL
 * keys are left unbound), filled by `fill` into `out` (`size` bytes, one
 * of Verify's row types), which is written only on success. */
typedef struct {
  pp_arena_t *a;
  row_fill_fn fill;
  void *row;
  bool ok;
} verify_fill_t;

static void fill_verify_row(sqlite3_stmt *st, void *out) {
  verify_fill_t *f = out;
  f->ok = f->fill(f->a, st, f->row);
}

static pp_err_t verify_get(be_t *b, int which, pp_arena_t *a, const char *k1, const char *k2,
                           const char *k3, row_fill_fn fill, void *out, size_t size) {
  union {
    pp_verify_service_t sv;
    pp_verification_t v;
    pp_rate_limit_t rl;
    pp_rate_bucket_t rb;
    pp_verify_entity_t en;
    pp_verify_factor_t fa;
    pp_verify_challenge_t ch;
    pp_verify_webhook_t wh;
  } tmp;
  if (size > sizeof tmp) return PP_ERR_INTERNAL;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->sv[which];
  const char *keys[] = {k1, k2, k3};
  for (int i = 0; i < 3; i++)
    if (keys[i]) sq_bind_text(st, i + 1, keys[i]);
  verify_fill_t f = {a, fill, &tmp, false};
  pp_err_t e = sq_first_row(b, c, st, fill_verify_row, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) memcpy(out, &tmp, size);
  sodium_memzero(&tmp, sizeof tmp);
  return e;
}

/* A list of one of Verify's tables within an account and, when `parent` is
 * not NULL, within the parent row named by column `parent_col`. */
typedef struct {
  const char *account_sid, *parent;
} verify_filter_t;

static void bind_verify_filter(sqlite3_stmt *st, const void *arg) {
  const verify_filter_t *f = arg;
  sq_bind_named_text(st, ":account", f->account_sid);
  sq_bind_named_text(st, ":parent", f->parent);
}

static pp_err_t verify_list(be_t *b, pp_arena_t *a, const char *cols, const char *table,
                            const char *parent_col, const char *account_sid, const char *parent,
                            const pp_page_req_t *pg, size_t size, row_fill_fn fill, void **rows,
                            size_t *n, bool *more) {
  verify_filter_t f = {account_sid, parent};
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sq_sqlb_add(&q, "SELECT ");
  sq_sqlb_add(&q, cols);
  sq_sqlb_add(&q, " FROM ");
  sq_sqlb_add(&q, table);
  sq_sqlb_add(&q, " WHERE account_sid = :account");
  if (parent_col) {
    sq_sqlb_add(&q, " AND ");
    sq_sqlb_add(&q, parent_col);
    sq_sqlb_add(&q, " = :parent");
  }
  sq_page_clause(&q, pg);
  return sq_run_list(b, a, q.sql, bind_verify_filter, &f, pg, size, fill, rows, n, more);
}

static bool row_webhook(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_webhook_t *wh = row;
  wh->seq = sqlite3_column_int64(st, 0);
  sq_col_copy(wh->sid, sizeof wh->sid, st, 1);
  sq_col_copy(wh->service_sid, sizeof wh->service_sid, st, 2);
  sq_col_copy(wh->account_sid, sizeof wh->account_sid, st, 3);
  sq_col_copy(wh->friendly_name, sizeof wh->friendly_name, st, 4);
  sq_col_copy(wh->status, sizeof wh->status, st, 7);
  sq_col_copy(wh->version, sizeof wh->version, st, 8);
  wh->date_created = sqlite3_column_int64(st, 9);
  wh->date_updated = sqlite3_column_int64(st, 10);
  bool ok = dup_ok(a, st, 5, &wh->event_types); /* both copied, even when one fails */
  return dup_ok(a, st, 6, &wh->webhook_url) && ok;
}

pp_err_t sq_verify_webhook_get(void *p, pp_arena_t *a, const char *account_sid,
                               const char *service_sid, const char *sid, pp_verify_webhook_t *out) {
  return verify_get(p, SV_WH_GET, a, account_sid, service_sid, sid, row_webhook, out, sizeof *out);
}

pp_err_t sq_verify_webhook_list(void *p, pp_arena_t *a, const char *account_sid,
                                const char *service_sid, const pp_page_req_t *pg,
                                pp_verify_webhook_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, WH_COLS, "verify_webhooks", "service_sid", account_sid, service_sid, pg,
                     sizeof **rows, row_webhook, (void **)rows, n, more);
}

pp_err_t sq_verify_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                               pp_verify_service_t *out) {
  return verify_get(p, SV_SVC_GET, a, account_sid, sid, NULL, row_verify_service, out, sizeof *out);
}

pp_err_t sq_verify_service_list(void *p, pp_arena_t *a, const char *account_sid,
                                const pp_page_req_t *pg, pp_verify_service_t **rows, size_t *n,
                                bool *more) {
  return verify_list(p, a, VSVC_COLS, "verify_services", NULL, account_sid, NULL, pg, sizeof **rows,
                     row_verify_service, (void **)rows, n, more);
}

pp_err_t sq_verification_get(void *p, pp_arena_t *a, const char *account_sid,
                             const char *service_sid, const char *sid, const char *to,
                             pp_verification_t *out) {
  return verify_get(p, sid ? SV_VE_GET : SV_VE_FIND, a, account_sid, service_sid, sid ? sid : to,
                    row_verification, out, sizeof *out);
}

pp_err_t sq_verify_sender(void *p, const char *account_sid, char out[20]) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->sv[SV_SENDER];
  sq_bind_text(st, 1, account_sid);
  char phone[20];
  pp_err_t e = sq_first_row(b, c, st, sq_fill_phone, phone);
  if (!e) memcpy(out, phone, sizeof phone);
  return e;
}

pp_err_t sq_rate_limit_get(void *p, pp_arena_t *a, const char *account_sid, const char *service_sid,
                           const char *sid, pp_rate_limit_t *out) {
  return verify_get(p, SV_RL_GET, a, account_sid, service_sid, sid, row_rate_limit, out,
                    sizeof *out);
}

pp_err_t sq_rate_limit_list(void *p, pp_arena_t *a, const char *account_sid,
                            const char *service_sid, const pp_page_req_t *pg,
                            pp_rate_limit_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, RL_COLS, "verify_rate_limits", "service_sid", account_sid, service_sid,
                     pg, sizeof **rows, row_rate_limit, (void **)rows, n, more);
}

pp_err_t sq_rate_bucket_get(void *p, const char *account_sid, const char *rate_limit_sid,
                            const char *sid, pp_rate_bucket_t *out) {
  return verify_get(p, SV_RB_GET, NULL, account_sid, rate_limit_sid, sid, row_rate_bucket, out,
                    sizeof *out);
}

pp_err_t sq_rate_bucket_list(void *p, pp_arena_t *a, const char *account_sid,
                             const char *rate_limit_sid, const pp_page_req_t *pg,
                             pp_rate_bucket_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, RB_COLS, "verify_rate_buckets", "rate_limit_sid", account_sid,
                     rate_limit_sid, pg, sizeof **rows, row_rate_bucket, (void **)rows, n, more);
}

pp_err_t sq_entity_get(void *p, const char *account_sid, const char *service_sid,
                       const char *identity, pp_verify_entity_t *out) {
  return verify_get(p, SV_EN_GET, NULL, account_sid, service_sid, identity, row_entity_list, out,
                    sizeof *out);
}

pp_err_t sq_entity_list(void *p, pp_arena_t *a, const char *account_sid, const char *service_sid,
                        const pp_page_req_t *pg, pp_verify_entity_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, EN_COLS, "verify_entities", "service_sid", account_sid, service_sid, pg,
                     sizeof **rows, row_entity_list, (void **)rows, n, more);
}

pp_err_t sq_factor_get(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                       const char *sid, pp_verify_factor_t *out) {
  return verify_get(p, SV_FA_GET, a, account_sid, entity_sid, sid, row_factor, out, sizeof *out);
}

pp_err_t sq_factor_list(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                        const pp_page_req_t *pg, pp_verify_factor_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, FA_COLS, "verify_factors", "entity_sid", account_sid, entity_sid, pg,
                     sizeof **rows, row_factor, (void **)rows, n, more);
}

pp_err_t sq_challenge_get(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                          const char *sid, pp_verify_challenge_t *out) {
  return verify_get(p, SV_CH_GET, a, account_sid, entity_sid, sid, row_challenge, out, sizeof *out);
}

pp_err_t sq_challenge_list(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                           const pp_page_req_t *pg, pp_verify_challenge_t **rows, size_t *n,
                           bool *more) {
  return verify_list(p, a, CH_COLS, "verify_challenges", "entity_sid", account_sid, entity_sid, pg,
                     sizeof **rows, row_challenge, (void **)rows, n, more);
}

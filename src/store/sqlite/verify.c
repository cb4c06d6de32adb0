/* verify.c: everything of Verify in the SQLite backend: its writes and
 * reads.  Sealed columns are sealed in C before bind and opened after the
 * row is read (store/seal.h); what triggers and SQL conditions once
 * decided (code hashes wiped, enrolment challenges expired, the fraud
 * guard, rate limits, the end of a waiting period) is decided here in the
 * writer's transaction by store/rules.h, verify/fraud.h and
 * verify/factor.h: this file only reads and writes the rows. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/rules.h"
#include "store/seal.h"
#include "store/sqlite/sqlite_int.h"
#include "verify/events.h"
#include "verify/factor.h"
#include "verify/fraud.h"

#define VERIFY_RATE_LIMITS_MAX 10 /* per service */
#define VERIFY_BUCKETS_MAX 10     /* per rate limit */

/* ---- binding: sealed values, blind indexes ------------------------------ */

static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
  sqlite3_bind_blob(st, i, n ? p : "", (int)n, SQLITE_STATIC);
}

/* Binds a value as seal.h gives it (NULL, text or blob). */
static void bind_value(sqlite3_stmt *st, int i, pp_seal_kind_t kind, const void *v, size_t n) {
  if (kind == PP_SEAL_NULL)
    sqlite3_bind_null(st, i);
  else if (kind == PP_SEAL_BLOB)
    bind_blob(st, i, v, n);
  else
    sqlite3_bind_text(st, i, n ? v : "", (int)n, SQLITE_STATIC);
}

/* A failure to seal, open or index as the store reports it (as the SQL
 * functions' errors were): PP_ERR_CORRUPT (crypt.h logged it) and
 * PP_ERR_NOMEM as they are, anything else logged and PP_ERR_STORE. */
static pp_err_t crypt_err(pp_err_t e, const char *what) {
  if (!e || e == PP_ERR_CORRUPT || e == PP_ERR_NOMEM) return e;
  pp_log_error("sqlite", "%s: %s", what, pp_err_name(e));
  return PP_ERR_STORE;
}

/* One value of a row to seal: the parameter it binds, its column, the text
 * (NULL: SQL NULL). */
typedef struct {
  int param;
  pp_sealed_id_t id;
  const char *text;
} vseal_t;

#define VSEAL_MAX 4 /* sealed columns of one Verify row at most */

/* Seals the `n` values `in` of row (account, sid) of one table with one
 * key lookup and binds them; *buf holds the blobs until the statement has
 * run (step_write frees it). */
static pp_err_t bind_sealed(conn_t *c, sqlite3_stmt *st, const char *account, const char *sid,
                            const vseal_t *in, size_t n, unsigned char **buf) {
  pp_seal_value_t v[VSEAL_MAX];
  pp_seal_at_t at;
  *buf = NULL;
  pp_err_t e = n <= VSEAL_MAX ? pp_seal_at(in[0].id, account, sid, &at) : PP_ERR_INTERNAL;
  if (e) return e;
  for (size_t i = 0; i < n; i++)
    v[i] = (pp_seal_value_t){.id = in[i].id,
                             .in_kind = in[i].text ? PP_SEAL_TEXT : PP_SEAL_NULL,
                             .in = in[i].text,
                             .in_len = in[i].text ? strlen(in[i].text) : 0};
  if ((e = pp_seal_row(c->crypt_of, c->db, &at, v, n, buf))) return crypt_err(e, "seal");
  for (size_t i = 0; i < n; i++) bind_value(st, in[i].param, v[i].kind, v[i].value, v[i].len);
  return PP_OK;
}

/* Binds at `i` index `id` of `v` (with `second` for a two-column index),
 * computed into `out`, which must outlive the step. */
static pp_err_t bind_index(conn_t *c, sqlite3_stmt *st, int i, pp_index_id_t id, const char *v,
                           const char *second, unsigned char out[PP_BLIND_INDEX_LEN]) {
  pp_seal_kind_t kind;
  pp_err_t e = pp_seal_index(c->crypt_of, c->db, id, v ? PP_SEAL_TEXT : PP_SEAL_NULL, v,
                             v ? strlen(v) : 0, second, out, &kind);
  if (!e) bind_value(st, i, kind, out, PP_BLIND_INDEX_LEN);
  return crypt_err(e, "blind index");
}

/* Runs write `st` once binding went `e` (nothing runs on an error), frees
 * `buf` (bind_sealed's) and gives the outcome as sq_result_of does;
 * *rowid (unless NULL) the row it inserted. */
static pp_err_t step_write(conn_t *c, sqlite3_stmt *st, pp_err_t e, unsigned char *buf,
                           int changes_expected, int64_t *rowid) {
  if (!e) {
    int rc = sq_step_done(st);
    if (rc == SQLITE_DONE && rowid) *rowid = sqlite3_last_insert_rowid(c->db);
    e = sq_result_of(c->db, rc, changes_expected);
  } else {
    sqlite3_clear_bindings(st);
  }
  free(buf);
  return e;
}

/* ---- reading: rows described column by column ---------------------------- */

/* How one column of a row is read into its struct. */
typedef enum {
  VC_I64,    /* int64_t */
  VC_INT,    /* int */
  VC_BOOL,   /* bool: non-zero */
  VC_TEXT,   /* char[size], truncated; "" for NULL */
  VC_DUP,    /* const char *, copied into the arena; NULL for NULL */
  VC_HASHES, /* unsigned char[size], zero-filled, truncated */
  VC_BLOB,   /* unsigned char[size] and its length (len_off); too long: empty */
  VC_BLOB0   /* the same, bound as NULL when empty */
} vc_kind_t;

typedef struct {
  vc_kind_t kind;
  int sealed; /* -1, or the pp_sealed_id_t the value is opened as */
  size_t off, size, len_off;
} vcol_t;

/* A row type: its columns in the order of its *_COLS, and where its
 * account and sid are (a sealed column's coordinates). */
typedef struct {
  const vcol_t *cols;
  size_t n, acct_off, sid_off;
} vrow_t;

#define VC(kind, T, f) \
  { kind, -1, offsetof(T, f), sizeof(((T *)0)->f), 0 }
#define VS(kind, T, f, ID) \
  { kind, PP_SEALED_##ID, offsetof(T, f), sizeof(((T *)0)->f), 0 }
#define VB(kind, T, f, n) \
  { kind, -1, offsetof(T, f), sizeof(((T *)0)->f), offsetof(T, n) }
#define VROW(T, cols) \
  { cols, sizeof cols / sizeof cols[0], offsetof(T, account_sid), offsetof(T, sid) }

/* Puts text `s` (n bytes; NULL: SQL NULL) into a VC_TEXT or VC_DUP field. */
static pp_err_t put_text(pp_arena_t *a, const vcol_t *col, void *p, const char *s, size_t n) {
  if (col->kind == VC_TEXT) {
    size_t k = n < col->size ? n : col->size - 1;
    if (k) memcpy(p, s, k);
    ((char *)p)[k] = '\0';
    return PP_OK;
  }
  const char *d = s ? pp_arena_strndup(a, s, n) : NULL;
  *(const char **)p = d;
  return !s || d ? PP_OK : PP_ERR_NOMEM;
}

/* Column `i` of the current row opened as sealed column `id` of row
 * (account, sid): *out malloc'd (NULL for NULL), as pp_seal_open; a value
 * that does not open is PP_ERR_CORRUPT (logged) or PP_ERR_STORE. */
static pp_err_t col_open(conn_t *c, sqlite3_stmt *st, int i, pp_sealed_id_t id, const char *account,
                         const char *sid, char **out, size_t *n) {
  pp_seal_at_t at;
  pp_err_t e = pp_seal_at(id, account, sid, &at);
  if (!e) e = sq_col_open(c->crypt_of, st, i, &at, out, n);
  return !e || e == PP_ERR_CORRUPT || e == PP_ERR_NOMEM ? e : PP_ERR_STORE; /* logged there */
}

/* Reads column `i` into its field of the row at `base`. */
static pp_err_t read_col(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, int i, const vcol_t *col,
                         const vrow_t *rt, unsigned char *base) {
  void *p = base + col->off;
  switch (col->kind) {
    case VC_I64:
      *(int64_t *)p = sqlite3_column_int64(st, i);
      return PP_OK;
    case VC_INT:
      *(int *)p = sqlite3_column_int(st, i);
      return PP_OK;
    case VC_BOOL:
      *(bool *)p = sqlite3_column_int(st, i) != 0;
      return PP_OK;
    case VC_HASHES:
    case VC_BLOB:
    case VC_BLOB0: {
      const void *v = sqlite3_column_blob(st, i);
      size_t n = (size_t)sqlite3_column_bytes(st, i);
      if (n > col->size) n = col->kind == VC_HASHES ? col->size : 0; /* not ours: nothing */
      memset(p, 0, col->size);
      if (n) memcpy(p, v, n);
      if (col->kind != VC_HASHES) *(size_t *)(base + col->len_off) = n;
      return PP_OK;
    }
    default:
      break;
  }
  if (col->sealed >= 0 && sqlite3_column_type(st, i) == SQLITE_BLOB) {
    char *plain = NULL;
    size_t n = 0;
    pp_err_t e = col_open(c, st, i, (pp_sealed_id_t)col->sealed, (const char *)base + rt->acct_off,
                          (const char *)base + rt->sid_off, &plain, &n);
    if (!e) e = put_text(a, col, p, plain, n);
    if (plain) sodium_memzero(plain, n);
    free(plain);
    return e;
  }
  const char *s = (const char *)sqlite3_column_text(st, i); /* a sealed column in clear: as it is */
  return put_text(a, col, p,
                  sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
                  : s                                       ? s
                                                            : "",
                  (size_t)sqlite3_column_bytes(st, i));
}

/* Reads the current row of `st` as row type `ctx` (a vrow_t) into `row`:
 * the plain columns first, then the sealed ones, opened for the row's
 * account and sid.  A row_read_fn. */
static pp_err_t read_row(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, const void *ctx, void *row) {
  const vrow_t *rt = ctx;
  pp_err_t e = PP_OK;
  for (int sealed = 0; sealed < 2; sealed++)
    for (size_t i = 0; i < rt->n && !e; i++)
      if ((rt->cols[i].sealed >= 0) == sealed)
        e = read_col(c, a, st, (int)i, &rt->cols[i], rt, row);
  return e;
}

/* Steps `st` (bound) for its first row, read as `rt` into `row`:
 * PP_ERR_NOT_FOUND when there is none. */
static pp_err_t step_row(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, const vrow_t *rt, void *row) {
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? read_row(c, a, st, rt, row)
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : sq_db_err(c->db, "verify read");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return e;
}

#define SVC(kind, f) VC(kind, pp_verify_service_t, f)
static const vcol_t svc_cols[] = {SVC(VC_I64, seq),
                                  SVC(VC_TEXT, sid),
                                  SVC(VC_TEXT, account_sid),
                                  SVC(VC_TEXT, friendly_name),
                                  SVC(VC_INT, code_length),
                                  SVC(VC_BOOL, lookup_enabled),
                                  SVC(VC_BOOL, psd2_enabled),
                                  SVC(VC_BOOL, skip_sms_to_landlines),
                                  SVC(VC_BOOL, dtmf_input_required),
                                  SVC(VC_BOOL, do_not_share_warning_enabled),
                                  SVC(VC_BOOL, custom_code_enabled),
                                  SVC(VC_BOOL, push_include_date),
                                  SVC(VC_BOOL, verify_event_subscription_enabled),
                                  SVC(VC_DUP, tts_name),
                                  SVC(VC_DUP, push_apn_credential_sid),
                                  SVC(VC_DUP, push_fcm_credential_sid),
                                  SVC(VC_DUP, default_template_sid),
                                  SVC(VC_DUP, whatsapp_msg_service_sid),
                                  SVC(VC_DUP, whatsapp_from),
                                  SVC(VC_DUP, totp_issuer),
                                  SVC(VC_INT, totp_time_step),
                                  SVC(VC_INT, totp_code_length),
                                  SVC(VC_INT, totp_skew),
                                  SVC(VC_I64, date_created),
                                  SVC(VC_I64, date_updated),
                                  SVC(VC_INT, enrollment_wait),
                                  SVC(VC_BOOL, fraud_guard),
                                  SVC(VC_DUP, allowed_country_codes)};
#undef SVC
static const vrow_t svc_row = VROW(pp_verify_service_t, svc_cols);

#define VE(kind, f) VC(kind, pp_verification_t, f)
static const vcol_t ve_cols[] = {VE(VC_I64, seq),
                                 VE(VC_TEXT, sid),
                                 VE(VC_TEXT, service_sid),
                                 VE(VC_TEXT, account_sid),
                                 VS(VC_TEXT, pp_verification_t, to, VERIFICATIONS_TO_ADDR),
                                 VE(VC_TEXT, channel),
                                 VE(VC_TEXT, status),
                                 VE(VC_HASHES, code_hashes),
                                 VE(VC_INT, sends),
                                 VE(VC_INT, checks),
                                 VE(VC_DUP, send_attempts),
                                 VE(VC_I64, expires_at),
                                 VE(VC_I64, date_created),
                                 VE(VC_I64, date_updated)};
#undef VE
static const vrow_t ve_row = VROW(pp_verification_t, ve_cols);

#define RL(kind, f) VC(kind, pp_rate_limit_t, f)
static const vcol_t rl_cols[] = {RL(VC_I64, seq),          RL(VC_TEXT, sid),
                                 RL(VC_TEXT, service_sid), RL(VC_TEXT, account_sid),
                                 RL(VC_TEXT, unique_name), RL(VC_DUP, description),
                                 RL(VC_I64, date_created), RL(VC_I64, date_updated)};
#undef RL
static const vrow_t rl_row = VROW(pp_rate_limit_t, rl_cols);

#define RB(kind, f) VC(kind, pp_rate_bucket_t, f)
static const vcol_t rb_cols[] = {
    RB(VC_I64, seq),          RB(VC_TEXT, sid),         RB(VC_TEXT, rate_limit_sid),
    RB(VC_TEXT, service_sid), RB(VC_TEXT, account_sid), RB(VC_INT, max),
    RB(VC_INT, interval),     RB(VC_I64, date_created), RB(VC_I64, date_updated)};
#undef RB
static const vrow_t rb_row = VROW(pp_rate_bucket_t, rb_cols);

#define EN(kind, f) VC(kind, pp_verify_entity_t, f)
static const vcol_t en_cols[] = {
    EN(VC_I64, seq),
    EN(VC_TEXT, sid),
    EN(VC_TEXT, service_sid),
    EN(VC_TEXT, account_sid),
    VS(VC_TEXT, pp_verify_entity_t, identity, VERIFY_ENTITIES_IDENTITY),
    EN(VC_I64, date_created),
    EN(VC_I64, date_updated)};
#undef EN
static const vrow_t en_row = VROW(pp_verify_entity_t, en_cols);

#define FA(kind, f) VC(kind, pp_verify_factor_t, f)
#define FAS(kind, f, ID) VS(kind, pp_verify_factor_t, f, ID)
static const vcol_t fa_cols[] = {FA(VC_I64, seq),
                                 FA(VC_TEXT, sid),
                                 FA(VC_TEXT, entity_sid),
                                 FA(VC_TEXT, service_sid),
                                 FA(VC_TEXT, account_sid),
                                 FAS(VC_TEXT, identity, VERIFY_FACTORS_IDENTITY),
                                 FAS(VC_TEXT, friendly_name, VERIFY_FACTORS_FRIENDLY_NAME),
                                 FA(VC_TEXT, status),
                                 FA(VC_TEXT, factor_type),
                                 FA(VC_TEXT, alg),
                                 FA(VC_INT, time_step),
                                 FA(VC_INT, skew),
                                 FA(VC_INT, code_length),
                                 VB(VC_BLOB, pp_verify_factor_t, secret_sealed, secret_sealed_len),
                                 FA(VC_I64, last_counter),
                                 FA(VC_INT, failures),
                                 FAS(VC_DUP, metadata, VERIFY_FACTORS_METADATA),
                                 FA(VC_I64, date_created),
                                 FA(VC_I64, date_updated),
                                 VB(VC_BLOB0, pp_verify_factor_t, public_key, public_key_len),
                                 FAS(VC_DUP, push_config, VERIFY_FACTORS_PUSH_CONFIG),
                                 FA(VC_I64, activate_at)};
#undef FA
#undef FAS
static const vrow_t fa_row = VROW(pp_verify_factor_t, fa_cols);

#define CH(kind, f) VC(kind, pp_verify_challenge_t, f)
#define CHS(kind, f, ID) VS(kind, pp_verify_challenge_t, f, ID)
static const vcol_t ch_cols[] = {CH(VC_I64, seq),
                                 CH(VC_TEXT, sid),
                                 CH(VC_TEXT, factor_sid),
                                 CH(VC_TEXT, entity_sid),
                                 CH(VC_TEXT, service_sid),
                                 CH(VC_TEXT, account_sid),
                                 CHS(VC_TEXT, identity, VERIFY_CHALLENGES_IDENTITY),
                                 CH(VC_TEXT, status),
                                 CH(VC_TEXT, responded_reason),
                                 CH(VC_TEXT, factor_type),
                                 CHS(VC_DUP, details, VERIFY_CHALLENGES_DETAILS),
                                 CHS(VC_DUP, hidden_details, VERIFY_CHALLENGES_HIDDEN_DETAILS),
                                 CHS(VC_DUP, metadata, VERIFY_CHALLENGES_METADATA),
                                 CH(VC_I64, expiration_date),
                                 CH(VC_I64, date_responded),
                                 CH(VC_I64, date_created),
                                 CH(VC_I64, date_updated),
                                 CH(VC_TEXT, enroll_factor_sid)};
#undef CH
#undef CHS
static const vrow_t ch_row = VROW(pp_verify_challenge_t, ch_cols);

#define WH(kind, f) VC(kind, pp_verify_webhook_t, f)
static const vcol_t wh_cols[] = {
    WH(VC_I64, seq),
    WH(VC_TEXT, sid),
    WH(VC_TEXT, service_sid),
    WH(VC_TEXT, account_sid),
    WH(VC_TEXT, friendly_name),
    WH(VC_DUP, event_types),
    VS(VC_DUP, pp_verify_webhook_t, webhook_url, VERIFY_WEBHOOKS_WEBHOOK_URL),
    WH(VC_TEXT, status),
    WH(VC_TEXT, version),
    WH(VC_I64, date_created),
    WH(VC_I64, date_updated)};
#undef WH
static const vrow_t wh_row = VROW(pp_verify_webhook_t, wh_cols);

/* Binds `row` of type `rt` to `st`: column i (after seq) at parameter i,
 * as far as the statement has parameters (every Verify statement that
 * writes a row takes its columns in that order); its sealed columns sealed
 * together for the row's account and sid (`seal` false: left unbound),
 * *buf holding them until step_write frees it. */
static pp_err_t bind_row(conn_t *c, sqlite3_stmt *st, const vrow_t *rt, const void *row, bool seal,
                         unsigned char **buf) {
  const unsigned char *base = row;
  vseal_t sealed[VSEAL_MAX];
  size_t ns = 0;
  int last = sqlite3_bind_parameter_count(st);
  *buf = NULL;
  for (int i = 1; i < (int)rt->n && i <= last; i++) {
    const vcol_t *col = &rt->cols[i];
    const void *p = base + col->off;
    const char *text = col->kind == VC_TEXT  ? (const char *)p
                       : col->kind == VC_DUP ? *(const char *const *)p
                                             : NULL;
    size_t len = col->kind == VC_BLOB || col->kind == VC_BLOB0
                     ? *(const size_t *)(base + col->len_off)
                     : col->size;
    if (col->sealed >= 0) {
      if (seal && ns == VSEAL_MAX) return PP_ERR_INTERNAL;
      if (seal) sealed[ns++] = (vseal_t){i, (pp_sealed_id_t)col->sealed, text};
    } else if (col->kind == VC_I64) {
      sqlite3_bind_int64(st, i, *(const int64_t *)p);
    } else if (col->kind == VC_INT) {
      sqlite3_bind_int(st, i, *(const int *)p);
    } else if (col->kind == VC_BOOL) {
      sqlite3_bind_int(st, i, *(const bool *)p);
    } else if (col->kind == VC_BLOB0 && !len) {
      sqlite3_bind_null(st, i);
    } else if (col->kind >= VC_HASHES) {
      bind_blob(st, i, p, len);
    } else {
      sq_bind_text(st, i, text);
    }
  }
  if (!ns) return PP_OK;
  return bind_sealed(c, st, (const char *)base + rt->acct_off, (const char *)base + rt->sid_off,
                     sealed, ns, buf);
}

/* ---- writes --------------------------------------------------------------- */

/* Runs one statement of a write with its bound parameters; for counting
 * queries, *count receives the first column. */
static pp_err_t step_count(conn_t *c, sqlite3_stmt *st, int64_t *count) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_ROW ? PP_OK : sq_db_err(c->db, "count");
}

/* Binds one rate-limit key's bucket, key hash and a time. */
static void bind_hit(sqlite3_stmt *st, const pp_rate_hit_t *h, int64_t at) {
  sq_bind_text(st, 1, h->bucket_sid);
  bind_blob(st, 2, h->key_hash, sizeof h->key_hash);
  sqlite3_bind_int64(st, 3, at);
}

/* Counts each hit against its bucket's window (pp_rate_window_start),
 * forgetting the older ones; when no bucket refuses (pp_rate_refuses),
 * records them all. */
static pp_err_t apply_rate_hits(conn_t *c, const pp_rate_hit_t *hits, size_t n, int64_t now) {
  for (size_t i = 0; i < n; i++) {
    int64_t from = pp_rate_window_start(now, hits[i].interval), count = 0;
    bind_hit(c->sv[SV_HIT_PRUNE], &hits[i], from);
    pp_err_t e = sq_result_of(c->db, sq_step_done(c->sv[SV_HIT_PRUNE]), 0);
    if (e) return e;
    bind_hit(c->sv[SV_HIT_COUNT], &hits[i], from);
    if ((e = step_count(c, c->sv[SV_HIT_COUNT], &count))) return e;
    if (pp_rate_refuses(count, hits[i].max)) return PP_ERR_VERIFY_SENDS;
  }
  for (size_t i = 0; i < n; i++) {
    bind_hit(c->sv[SV_HIT_INS], &hits[i], now);
    pp_err_t e = sq_result_of(c->db, sq_step_done(c->sv[SV_HIT_INS]), 0);
    if (e) return e;
  }
  return PP_OK;
}

/* The fraud guard on one send (pp_fraud_check_t): the prefix's row read,
 * decided by pp_fraud_decide and written back on the writer inside the
 * send's savepoint, so no concurrent send sees a count this one has not
 * added to. */
static pp_err_t apply_fraud(conn_t *c, pp_fraud_check_t *f, int64_t now) {
  pp_fraud_state_t s;
  pp_fraud_state_init(&s, now, f->bucket_s);
  sqlite3_stmt *st = c->sv[SV_FRAUD_GET];
  sq_bind_text(st, 1, f->service_sid);
  sq_bind_text(st, 2, f->prefix);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    s.b.bucket = sqlite3_column_int64(st, 0);
    s.b.count = sqlite3_column_int64(st, 1);
    s.b.mean = sqlite3_column_double(st, 2);
    s.blocked_until = sqlite3_column_int64(st, 3);
    s.alerted = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_db_err(c->db, "fraud guard read");
  const pp_fraud_params_t p = {f->bucket_s, f->alpha,   f->multiple,     f->floor,
                               f->block_s,  f->enforce, f->alert != NULL};
  pp_fraud_decision_t d;
  pp_fraud_decide(&s, &p, now, &d);
  pp_err_t e;
  if (d.raise_alert && (e = sq_insert_alert(c, f->alert))) return e;
  f->refused = d.refused;
  f->blocked_until = s.blocked_until;
  st = c->sv[SV_FRAUD_PUT];
  sq_bind_text(st, 1, f->service_sid);
  sq_bind_text(st, 2, f->prefix);
  sqlite3_bind_int64(st, 3, s.b.bucket);
  sqlite3_bind_int64(st, 4, s.b.count);
  sqlite3_bind_double(st, 5, s.b.mean);
  sqlite3_bind_int64(st, 6, s.blocked_until);
  sqlite3_bind_int64(st, 7, s.alerted);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

static pp_err_t apply_verify_send(conn_t *c, pp_verify_send_t *vs) {
  pp_verification_t *v = vs->v;
  unsigned char to_bidx[PP_BLIND_INDEX_LEN], *buf = NULL;
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
    sqlite3_bind_int64(st, 3, vs->now);
    if ((e = bind_index(c, st, 2, PP_INDEX_VERIFICATIONS_TO_BIDX, v->to, NULL, to_bidx)) ||
        (e = step_count(c, st, &pending))) {
      sqlite3_clear_bindings(st);
      return e;
    }
    if (pending >= vs->max_pending) return PP_ERR_VERIFY_CONCURRENT;
  }
  if ((e = apply_rate_hits(c, vs->hits, vs->nhits, vs->now))) return e;
  /* A resend takes the same parameters (the recipient unused) and, as
   * ?14, the sends it must still have. */
  st = c->sv[vs->is_new ? SV_VE_INS : SV_VE_RESEND];
  e = bind_row(c, st, &ve_row, v, vs->is_new, &buf);
  bind_blob(st, 7, v->code_hashes, (size_t)v->sends * sizeof v->code_hashes[0]);
  if (!v->send_attempts) sq_bind_text(st, 10, "[]");
  if (vs->is_new)
    bind_value(st, 14, PP_SEAL_BLOB, to_bidx, sizeof to_bidx);
  else
    sqlite3_bind_int(st, 14, vs->prev_sends);
  e = step_write(c, st, e, buf, !vs->is_new, vs->is_new ? &v->seq : NULL);
  if (e == PP_ERR_NOT_FOUND) e = PP_ERR_CONFLICT;
  if (e) return e;
  if ((e = sq_insert_message(c, vs->message))) return e;
  st = c->sv[SV_MSG_SEAL];
  sqlite3_bind_int64(st, 1, vs->message->seq);
  bind_blob(st, 2, vs->message_sealed, vs->message_sealed_len);
  return sq_result_of(c->db, sq_step_done(st), 0);
}

/* A verification checked: its status and checks, and its code hashes
 * wiped as it leaves "pending" (pp_rules_verification_wipe). */
static pp_err_t apply_verify_set(conn_t *c, const pp_verify_set_t *vs) {
  sqlite3_stmt *st = c->sv[SV_VE_SET];
  sq_bind_text(st, 1, vs->account_sid);
  sq_bind_text(st, 2, vs->sid);
  sq_bind_text(st, 3, vs->status);
  sqlite3_bind_int(st, 4, vs->checks);
  sqlite3_bind_int(st, 5, vs->if_checks);
  sqlite3_bind_int64(st, 6, vs->now);
  if (pp_rules_verification_wipe(vs->status)) sqlite3_bind_zeroblob(st, 7, 0);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
}

/* Inserts (statement `ins`: at most `cap` per parent, `full` beyond) or
 * updates (`upd`) a rate limit or one of its buckets, `row` of type `rt`
 * (whose cap is the parameter after its columns). */
static pp_err_t apply_capped(conn_t *c, int ins, int upd, const vrow_t *rt, void *row, bool insert,
                             int cap, pp_err_t full, int64_t *seq) {
  sqlite3_stmt *st = c->sv[insert ? ins : upd];
  unsigned char *buf;
  pp_err_t e = bind_row(c, st, rt, row, false, &buf);
  if (insert) sqlite3_bind_int(st, (int)rt->n, cap);
  e = step_write(c, st, e, buf, !insert, insert ? seq : NULL);
  return !e && insert && sqlite3_changes(c->db) == 0 ? full : e;
}

/* Inserts entity `en` with statement `which` (SV_EN_INS or
 * SV_EN_INS_IGNORE): its identity sealed, and the blind index of its
 * service and identity into `bidx`. */
static pp_err_t insert_entity(conn_t *c, int which, pp_verify_entity_t *en,
                              unsigned char bidx[PP_BLIND_INDEX_LEN], int64_t *rowid) {
  sqlite3_stmt *st = c->sv[which];
  unsigned char *buf = NULL;
  pp_err_t e = bind_index(c, st, 7, PP_INDEX_VERIFY_ENTITIES_IDENTITY_BIDX, en->service_sid,
                          en->identity, bidx);
  if (!e) e = bind_row(c, st, &en_row, en, true, &buf);
  return step_write(c, st, e, buf, 0, rowid);
}

/* Writes factor `f` with SV_FA_INS (every column) or SV_FA_UPD (its
 * settings), the sealed columns sealed. */
static pp_err_t write_factor(conn_t *c, const pp_verify_factor_t *f, bool insert, int64_t *rowid) {
  sqlite3_stmt *st = c->sv[insert ? SV_FA_INS : SV_FA_UPD];
  unsigned char *buf;
  pp_err_t e = bind_row(c, st, &fa_row, f, true, &buf);
  return step_write(c, st, e, buf, !insert, rowid);
}

/* Writes challenge `ch` with SV_CH_INS (every column, the sealed ones
 * sealed) or SV_CH_RESPOND (its answer). */
static pp_err_t write_challenge(conn_t *c, pp_verify_challenge_t *ch, bool insert) {
  sqlite3_stmt *st = c->sv[insert ? SV_CH_INS : SV_CH_RESPOND];
  unsigned char *buf;
  pp_err_t e = bind_row(c, st, &ch_row, ch, insert, &buf);
  e = step_write(c, st, e, buf, !insert, insert ? &ch->seq : NULL);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
}

/* Writes Verify webhook `wh` with SV_WH_INS or SV_WH_UPD, its URL sealed. */
static pp_err_t write_webhook(conn_t *c, pp_verify_webhook_t *wh, bool insert) {
  sqlite3_stmt *st = c->sv[insert ? SV_WH_INS : SV_WH_UPD];
  unsigned char *buf;
  pp_err_t e = bind_row(c, st, &wh_row, wh, true, &buf);
  return step_write(c, st, e, buf, !insert, insert ? &wh->seq : NULL);
}

/* Queues event `body` of `type` to one subscribed webhook, the current
 * row of SV_WH_SUBSCRIBED (sid, account_sid, webhook_url): its URL opened
 * and queued with the body, in order per webhook (sq_hook_queue_form). */
static pp_err_t queue_one(conn_t *c, sqlite3_stmt *hooks, const char *body, int64_t now) {
  char sid[PP_SID_SIZE], account[PP_SID_SIZE];
  sq_col_copy(sid, sizeof sid, hooks, 0);
  sq_col_copy(account, sizeof account, hooks, 1);
  char *url = NULL;
  size_t url_len = 0;
  pp_err_t e =
      col_open(c, hooks, 2, PP_SEALED_VERIFY_WEBHOOKS_WEBHOOK_URL, account, sid, &url, &url_len);
  if (!e) e = sq_hook_queue_form(c, account, sid, "verify", "event", url, url_len, body, now);
  if (url) sodium_memzero(url, url_len);
  free(url);
  return e;
}

/* Queues event `body` of `type` to the enabled webhooks of `service_sid`
 * that take it (none: nothing). */
static pp_err_t queue_event(conn_t *c, const char *service_sid, const char *type, const char *body,
                            int64_t now) {
  if (!type || !body || !service_sid) return PP_OK;
  sqlite3_stmt *st = c->sv[SV_WH_SUBSCRIBED];
  sq_bind_text(st, 1, service_sid);
  pp_err_t e = PP_OK;
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *types = (const char *)sqlite3_column_text(st, 3);
    if (pp_verify_event_subscribed(types ? types : "", type)) e = queue_one(c, st, body, now);
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "verify webhooks");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return e;
}

/* Rule 5's view of one factor as SV_FA_STATE reads it. */
typedef struct {
  char status[12];
  int64_t activate_at;
  unsigned char qr_hash[PP_VERIFY_QR_HASH_LEN];
  bool has_qr;
  int64_t qr_expires;
} factor_state_t;

/* Reads factor (account, sid)'s state; PP_ERR_NOT_FOUND when it is gone. */
static pp_err_t factor_state(conn_t *c, const char *account, const char *sid, factor_state_t *out) {
  sqlite3_stmt *st = c->sv[SV_FA_STATE];
  sq_bind_text(st, 1, account);
  sq_bind_text(st, 2, sid);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    sq_col_copy(out->status, sizeof out->status, st, 0);
    out->activate_at = sqlite3_column_int64(st, 1);
    out->has_qr = sqlite3_column_bytes(st, 2) == PP_VERIFY_QR_HASH_LEN;
    if (out->has_qr) memcpy(out->qr_hash, sqlite3_column_blob(st, 2), PP_VERIFY_QR_HASH_LEN);
    out->qr_expires = sqlite3_column_int64(st, 3);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_ROW    ? PP_OK
         : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                             : sq_db_err(c->db, "factor state");
}

/* Expires the enrolment challenges that ask to approve factor `sid` and
 * are still to be answered (pp_rules_enroll_challenge_expires), with
 * date_updated *now (NULL: left as it is).  Read one at a time, so no
 * read is open while they change. */
static pp_err_t expire_enrolment(conn_t *c, const char *sid, const int64_t *now) {
  int64_t after = 0;
  for (;;) {
    sqlite3_stmt *st = c->sv[SV_CH_ENROLL_NEXT];
    char status[12];
    sq_bind_text(st, 1, sid);
    sqlite3_bind_int64(st, 2, after);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      after = sqlite3_column_int64(st, 0);
      sq_col_copy(status, sizeof status, st, 1);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE) return PP_OK;
    if (rc != SQLITE_ROW) return sq_db_err(c->db, "enrolment challenges");
    if (!pp_rules_enroll_challenge_expires(status)) continue;
    st = c->sv[SV_CH_EXPIRE];
    sqlite3_bind_int64(st, 1, after);
    if (now) sqlite3_bind_int64(st, 2, *now);
    pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
    if (e) return e;
  }
}

/* Makes factor (account, sid), stored with status `old`, verified at
 * `now`; its enrolment challenges expire (pp_rules_enroll_expire_on_status). */
static pp_err_t verify_factor(conn_t *c, const char *account, const char *sid, const char *old,
                              int64_t now) {
  sqlite3_stmt *st = c->sv[SV_FA_VERIFY];
  sq_bind_text(st, 1, account);
  sq_bind_text(st, 2, sid);
  sqlite3_bind_int64(st, 3, now);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
  if (e || !pp_rules_enroll_expire_on_status(old, "verified")) return e;
  return expire_enrolment(c, sid, &now);
}

/* Deletes factor `ref` (its challenges go with it: ON DELETE CASCADE);
 * the enrolment challenges of the entity's other factors that ask about
 * it expire.  (A factor that goes with its entity or service takes those
 * along too: they are challenges of the same entity's factors.) */
static pp_err_t delete_factor(conn_t *c, const pp_ref_t *ref) {
  sqlite3_stmt *st = c->sv[SV_FA_DEL];
  sq_bind_text(st, 1, ref->account_sid);
  sq_bind_text(st, 2, ref->sid);
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), 1);
  return e ? e : expire_enrolment(c, ref->sid, NULL);
}

static pp_err_t apply_factor_insert(conn_t *c, pp_factor_insert_t *fi) {
  unsigned char bidx[PP_BLIND_INDEX_LEN];
  pp_err_t e = insert_entity(c, SV_EN_INS_IGNORE, fi->entity, bidx, NULL);
  if (e) return e;
  sqlite3_stmt *st = c->sv[SV_EN_GET];
  sq_bind_text(st, 1, fi->entity->account_sid);
  sq_bind_text(st, 2, fi->entity->service_sid);
  bind_value(st, 3, PP_SEAL_BLOB, bidx, sizeof bidx);
  if ((e = step_row(c, NULL, st, &en_row, fi->entity)))
    return e == PP_ERR_NOT_FOUND ? PP_ERR_STORE : e;
  memcpy(fi->factor->entity_sid, fi->entity->sid, sizeof fi->factor->entity_sid);
  if ((e = write_factor(c, fi->factor, true, &fi->factor->seq))) return e;
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

/* The enrolment challenge answered decides its new factor if that still
 * waits (pp_verify_enroll_state): approved, it is verified; denied,
 * deleted. */
static pp_err_t apply_enroll_outcome(conn_t *c, const pp_factor_attempt_t *fa) {
  factor_state_t fs;
  pp_err_t e = factor_state(c, fa->account_sid, fa->enroll_factor_sid, &fs);
  if (e) return e == PP_ERR_NOT_FOUND ? PP_OK : e;
  if (pp_verify_enroll_state(fs.status, fs.activate_at) != PP_ENROLL_WAITING) return PP_OK;
  if (strcmp(fa->enroll_outcome, "verify") == 0)
    return verify_factor(c, fa->account_sid, fa->enroll_factor_sid, fs.status, fa->now);
  return delete_factor(c, &(pp_ref_t){fa->account_sid, fa->enroll_factor_sid});
}

static pp_err_t apply_factor_attempt(conn_t *c, pp_factor_attempt_t *fa) {
  factor_state_t old = {.status = ""};
  pp_err_t e;
  if (fa->status && (e = factor_state(c, fa->account_sid, fa->sid, &old)))
    return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
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
  e = sq_result_of(c->db, sq_step_done(st), 1);
  if (e) return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
  if (fa->status && pp_rules_enroll_expire_on_status(old.status, fa->status) &&
      (e = expire_enrolment(c, fa->sid, &fa->now)))
    return e;
  if (fa->challenge && (e = write_challenge(c, fa->challenge, fa->challenge_insert))) return e;
  for (size_t i = 0; i < fa->nenroll; i++)
    if ((e = write_challenge(c, &fa->enroll[i], true))) return e;
  if (fa->enroll_outcome && fa->enroll_factor_sid && *fa->enroll_factor_sid &&
      (e = apply_enroll_outcome(c, fa)))
    return e;
  return queue_event(c, fa->service_sid, fa->event_type, fa->event_body, fa->now);
}

/* Whether factor state `fs` waits (rule 5) and its wait is over at `now`
 * (pp_verify_factor_status shows it verified). */
static bool wait_over(const char *status, int64_t activate_at, int64_t now) {
  return pp_verify_enroll_state(status, activate_at) == PP_ENROLL_WAITING &&
         strcmp(pp_verify_factor_status(status, activate_at, now), "verified") == 0;
}

/* The waiting factors, soonest first, up to the first whose wait is not
 * over. */
static pp_err_t apply_factor_due(conn_t *c, pp_factor_due_t *fd) {
  sqlite3_stmt *st = c->sv[SV_FA_DUE];
  fd->n = 0;
  fd->rows = pp_arena_alloc(fd->arena, (fd->limit ? fd->limit : 1) * sizeof *fd->rows);
  if (!fd->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, (int64_t)fd->limit);
  int rc = SQLITE_DONE;
  pp_err_t e = PP_OK;
  while (!e && fd->n < fd->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    pp_verify_factor_t *f = &fd->rows[fd->n];
    if ((e = read_row(c, fd->arena, st, &fa_row, f))) break;
    if (!wait_over(f->status, f->activate_at, fd->now)) break;
    fd->n++;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e && rc != SQLITE_DONE && rc != SQLITE_ROW) return sq_db_err(c->db, "factors due");
  return e;
}

/* Factor (account, sid) is verified if it still waits and its wait is over
 * (PP_ERR_NOT_FOUND otherwise: approved, canceled or denied meanwhile). */
static pp_err_t apply_factor_activate(conn_t *c, const pp_factor_activate_t *fa) {
  factor_state_t fs;
  pp_err_t e = factor_state(c, fa->account_sid, fa->sid, &fs);
  if (!e && !wait_over(fs.status, fs.activate_at, fa->now)) e = PP_ERR_NOT_FOUND;
  if (!e) e = verify_factor(c, fa->account_sid, fa->sid, fs.status, fa->now);
  return e ? e : queue_event(c, fa->service_sid, fa->event_type, fa->event_body, fa->now);
}

/* Takes a factor's one-time QR code: its hash matches, it is before its
 * end and the factor is still new (rule 5: not waiting, not verified). */
static pp_err_t apply_factor_qr_take(conn_t *c, const pp_factor_qr_t *q) {
  factor_state_t fs;
  pp_err_t e = factor_state(c, q->account_sid, q->sid, &fs);
  if (e) return e;
  if (pp_verify_enroll_state(fs.status, fs.activate_at) != PP_ENROLL_NEW || !fs.has_qr ||
      sodium_memcmp(fs.qr_hash, q->hash, PP_VERIFY_QR_HASH_LEN) != 0 || q->now >= fs.qr_expires)
    return PP_ERR_NOT_FOUND;
  sqlite3_stmt *st = c->sv[SV_FA_QR_TAKE];
  sq_bind_text(st, 1, q->account_sid);
  sq_bind_text(st, 2, q->sid);
  return sq_result_of(c->db, sq_step_done(st), 1);
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
  switch (w->kind) {
    case PP_W_VERIFY_SERVICE_INSERT:
    case PP_W_VERIFY_SERVICE_UPDATE: {
      bool ins = w->kind == PP_W_VERIFY_SERVICE_INSERT;
      unsigned char *buf;
      st = c->sv[ins ? SV_SVC_INS : SV_SVC_UPD];
      pp_err_t e = bind_row(c, st, &svc_row, w->u.verify_service, false, &buf);
      return step_write(c, st, e, buf, !ins, ins ? &w->u.verify_service->seq : NULL);
    }
    case PP_W_VERIFY_SERVICE_DELETE:
      return apply_verify_delete(c, SV_SVC_DEL, &w->u.ref);
    case PP_W_VERIFY_SEND:
      return apply_verify_send(c, &w->u.verify_send);
    case PP_W_VERIFY_SET:
      return apply_verify_set(c, &w->u.verify_set);
    case PP_W_RATE_LIMIT_INSERT:
    case PP_W_RATE_LIMIT_UPDATE:
      return apply_capped(c, SV_RL_INS, SV_RL_UPD, &rl_row, w->u.rate_limit,
                          w->kind == PP_W_RATE_LIMIT_INSERT, VERIFY_RATE_LIMITS_MAX,
                          PP_ERR_VERIFY_RATE_LIMITS_MAX, &w->u.rate_limit->seq);
    case PP_W_RATE_LIMIT_DELETE:
      return apply_verify_delete(c, SV_RL_DEL, &w->u.ref);
    case PP_W_RATE_BUCKET_INSERT:
    case PP_W_RATE_BUCKET_UPDATE:
      return apply_capped(c, SV_RB_INS, SV_RB_UPD, &rb_row, w->u.rate_bucket,
                          w->kind == PP_W_RATE_BUCKET_INSERT, VERIFY_BUCKETS_MAX,
                          PP_ERR_VERIFY_BUCKETS_MAX, &w->u.rate_bucket->seq);
    case PP_W_RATE_BUCKET_DELETE:
      return apply_verify_delete(c, SV_RB_DEL, &w->u.ref);
    case PP_W_ENTITY_INSERT: {
      unsigned char bidx[PP_BLIND_INDEX_LEN];
      return insert_entity(c, SV_EN_INS, w->u.entity, bidx, &w->u.entity->seq);
    }
    case PP_W_ENTITY_DELETE:
      return apply_verify_delete(c, SV_EN_DEL, &w->u.ref);
    case PP_W_FACTOR_INSERT:
      return apply_factor_insert(c, &w->u.factor_insert);
    case PP_W_FACTOR_UPDATE:
      return write_factor(c, w->u.factor, false, NULL);
    case PP_W_FACTOR_DELETE: {
      pp_factor_delete_t *fd = &w->u.factor_delete;
      pp_err_t e = delete_factor(c, &(pp_ref_t){fd->account_sid, fd->sid});
      return e ? e : queue_event(c, fd->service_sid, fd->event_type, fd->event_body, fd->now);
    }
    case PP_W_FACTOR_ATTEMPT:
      return apply_factor_attempt(c, &w->u.factor_attempt);
    case PP_W_CHALLENGE_INSERT: {
      pp_challenge_insert_t *ci = &w->u.challenge_insert;
      pp_err_t e = write_challenge(c, ci->challenge, true);
      return e ? e
               : queue_event(c, ci->challenge->service_sid, ci->event_type, ci->event_body,
                             ci->challenge->date_created);
    }
    case PP_W_FACTOR_DUE:
      return apply_factor_due(c, &w->u.factor_due);
    case PP_W_FACTOR_ACTIVATE:
      return apply_factor_activate(c, &w->u.factor_activate);
    case PP_W_FACTOR_QR_TAKE:
      return apply_factor_qr_take(c, &w->u.factor_qr);
    case PP_W_VERIFY_WEBHOOK_INSERT:
    case PP_W_VERIFY_WEBHOOK_UPDATE:
      return write_webhook(c, w->u.verify_webhook, w->kind == PP_W_VERIFY_WEBHOOK_INSERT);
    case PP_W_VERIFY_WEBHOOK_DELETE:
      return apply_verify_delete(c, SV_WH_DEL, &w->u.ref);
    default:
      return PP_ERR_INTERNAL;
  }
}

/* ---- reads ------------------------------------------------------------------ */

/* A key bound as a blind index (of v, and second for a two-column one). */
typedef struct {
  pp_index_id_t id;
  const char *v, *second;
} vindex_t;

/* One row of Verify's statement `which` by up to three keys (NULL keys are
 * left unbound; `ix` non-NULL: the third is that blind index), read as
 * `rt` into `out` (`size` bytes, one of Verify's row types), which is
 * written only on success. */
static pp_err_t verify_get(be_t *b, int which, pp_arena_t *a, const char *k1, const char *k2,
                           const char *k3, const vindex_t *ix, const vrow_t *rt, void *out,
                           size_t size) {
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
  unsigned char bidx[PP_BLIND_INDEX_LEN];
  if (size > sizeof tmp) return PP_ERR_INTERNAL;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->sv[which];
  const char *keys[] = {k1, k2, k3};
  for (int i = 0; i < 3; i++)
    if (keys[i]) sq_bind_text(st, i + 1, keys[i]);
  pp_err_t e = ix ? bind_index(c, st, 3, ix->id, ix->v, ix->second, bidx) : PP_OK;
  if (!e)
    e = step_row(c, a, st, rt, &tmp);
  else
    sqlite3_clear_bindings(st);
  sq_release(b, c);
  if (!e) memcpy(out, &tmp, size);
  sodium_memzero(&tmp, sizeof tmp);
  return e;
}

/* The row of one of Verify's tables by its account, its parent row and
 * its sid, and the list of them below one parent: the operations of
 * pp_store_sqlite (store.h states each contract), one line each. */
#define VERIFY_GET(fn, T, which, rt)                                                      \
  pp_err_t fn(void *p, pp_arena_t *a, const char *account_sid, const char *parent,        \
              const char *sid, T *out) {                                                  \
    return verify_get(p, which, a, account_sid, parent, sid, NULL, rt, out, sizeof *out); \
  }
#define VERIFY_LIST(fn, T, cols, table, parent_col, rt)                                         \
  pp_err_t fn(void *p, pp_arena_t *a, const char *account_sid, const char *parent,              \
              const pp_page_req_t *pg, T **rows, size_t *n, bool *more) {                       \
    return sq_list_in(p, a, "SELECT " cols " FROM " table, parent_col, account_sid, parent, pg, \
                      sizeof **rows, read_row, rt, (void **)rows, n, more);                     \
  }

VERIFY_GET(sq_verify_webhook_get, pp_verify_webhook_t, SV_WH_GET, &wh_row)
VERIFY_GET(sq_rate_limit_get, pp_rate_limit_t, SV_RL_GET, &rl_row)
VERIFY_GET(sq_factor_get, pp_verify_factor_t, SV_FA_GET, &fa_row)
VERIFY_GET(sq_challenge_get, pp_verify_challenge_t, SV_CH_GET, &ch_row)
VERIFY_LIST(sq_verify_webhook_list, pp_verify_webhook_t, WH_COLS, "verify_webhooks", "service_sid",
            &wh_row)
VERIFY_LIST(sq_rate_limit_list, pp_rate_limit_t, RL_COLS, "verify_rate_limits", "service_sid",
            &rl_row)
VERIFY_LIST(sq_rate_bucket_list, pp_rate_bucket_t, RB_COLS, "verify_rate_buckets", "rate_limit_sid",
            &rb_row)
VERIFY_LIST(sq_entity_list, pp_verify_entity_t, EN_COLS, "verify_entities", "service_sid", &en_row)
VERIFY_LIST(sq_factor_list, pp_verify_factor_t, FA_COLS, "verify_factors", "entity_sid", &fa_row)
VERIFY_LIST(sq_challenge_list, pp_verify_challenge_t, CH_COLS, "verify_challenges", "entity_sid",
            &ch_row)

pp_err_t sq_verify_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                               pp_verify_service_t *out) {
  return verify_get(p, SV_SVC_GET, a, account_sid, sid, NULL, NULL, &svc_row, out, sizeof *out);
}

pp_err_t sq_verify_service_list(void *p, pp_arena_t *a, const char *account_sid,
                                const pp_page_req_t *pg, pp_verify_service_t **rows, size_t *n,
                                bool *more) {
  return sq_list_in(p, a, "SELECT " VSVC_COLS " FROM verify_services", NULL, account_sid, NULL, pg,
                    sizeof **rows, read_row, &svc_row, (void **)rows, n, more);
}

pp_err_t sq_verification_get(void *p, pp_arena_t *a, const char *account_sid,
                             const char *service_sid, const char *sid, const char *to,
                             pp_verification_t *out) {
  if (sid)
    return verify_get(p, SV_VE_GET, a, account_sid, service_sid, sid, NULL, &ve_row, out,
                      sizeof *out);
  const vindex_t ix = {PP_INDEX_VERIFICATIONS_TO_BIDX, to, NULL};
  return verify_get(p, SV_VE_FIND, a, account_sid, service_sid, NULL, &ix, &ve_row, out,
                    sizeof *out);
}

/* The first phone number of an account, opened. */
pp_err_t sq_verify_sender(void *p, const char *account_sid, char out[20]) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->sv[SV_SENDER];
  sq_bind_text(st, 1, account_sid);
  int rc = sqlite3_step(st);
  char *phone = NULL, sid[PP_SID_SIZE];
  size_t n = 0;
  pp_err_t e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : PP_OK;
  if (rc == SQLITE_ROW) {
    sq_col_copy(sid, sizeof sid, st, 2);
    e = col_open(c, st, 0, PP_SEALED_PHONE_NUMBERS_PHONE_NUMBER, account_sid, sid, &phone, &n);
  } else if (rc != SQLITE_DONE) {
    e = sq_db_err(c->db, "read");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  sq_release(b, c);
  if (!e) snprintf(out, 20, "%s", phone ? phone : "");
  free(phone);
  return e;
}

pp_err_t sq_rate_bucket_get(void *p, const char *account_sid, const char *rate_limit_sid,
                            const char *sid, pp_rate_bucket_t *out) {
  return verify_get(p, SV_RB_GET, NULL, account_sid, rate_limit_sid, sid, NULL, &rb_row, out,
                    sizeof *out);
}

pp_err_t sq_entity_get(void *p, const char *account_sid, const char *service_sid,
                       const char *identity, pp_verify_entity_t *out) {
  const vindex_t ix = {PP_INDEX_VERIFY_ENTITIES_IDENTITY_BIDX, service_sid, identity};
  return verify_get(p, SV_EN_GET, NULL, account_sid, service_sid, NULL, &ix, &en_row, out,
                    sizeof *out);
}

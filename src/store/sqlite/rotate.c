/* rotate.c: key rotation: every sealed column resealed with the newest key
 * (the columns as tables.def lists them), the data keys made and wrapped
 * again under a new master key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

/* ---- account-key rotation: resealing -------------------------------------- */

/* The rows of one table a batch goes through: its sealed columns are
 * tables.def's for `table`.  The batch reads `keys` (the first the position
 * it continues after), the account, the row coordinate and, for the webhook
 * queue, url_table and url_column, from `from` (?1 the account, ?2 after,
 * ?3 the limit); it writes back by `keys`.  `once`: all the account's rows
 * in one batch. */
typedef struct {
  const char *table, *keys, *account, *row, *source, *from;
  bool once;
} reseal_rows_t;

#define BATCH(tbl) tbl " WHERE account_sid=?1 AND seq>?2 ORDER BY seq LIMIT ?3"
#define BY_SID(tbl) \
  { tbl, "seq", "account_sid", "sid", "NULL,NULL", BATCH(tbl), false }

static const reseal_rows_t reseal_rows[PP_RESEAL__COUNT] = {
    [PP_RESEAL_ACCOUNT] = {"accounts", "seq", "sid", "sid", "NULL,NULL", "accounts WHERE sid=?1",
                           true},
    [PP_RESEAL_MESSAGES] = BY_SID("messages"),
    [PP_RESEAL_NUMBERS] = BY_SID("phone_numbers"),
    [PP_RESEAL_SERVICES] = BY_SID("messaging_services"),
    [PP_RESEAL_ALERTS] = BY_SID("alerts"),
    [PP_RESEAL_WEBHOOKS] = {"webhooks", "seq", "account_sid", "url_row", "url_table,url_column",
                            BATCH("webhooks"), false},
    [PP_RESEAL_VERIFICATIONS] = BY_SID("verifications"),
    [PP_RESEAL_VERIFY_ENTITIES] = BY_SID("verify_entities"),
    [PP_RESEAL_VERIFY_FACTORS] = BY_SID("verify_factors"),
    [PP_RESEAL_VERIFY_CHALLENGES] = BY_SID("verify_challenges"),
    [PP_RESEAL_VERIFY_WEBHOOKS] = BY_SID("verify_webhooks"),
    [PP_RESEAL_LOCKBOX_REQUESTS] = BY_SID("lockbox_requests"),
    [PP_RESEAL_LOCKBOX_SETTINGS] = {"lockbox_settings", "seq", "account_sid", "account_sid",
                                    "NULL,NULL", BATCH("lockbox_settings"), false},
    /* The text of a verification SMS waiting for the carrier, in batches
     * by its message. */
    [PP_RESEAL_MESSAGE_SEALED] = {"message_sealed", "message_seq", "?1",
                                  "(SELECT sid FROM messages WHERE seq=message_seq)", "NULL,NULL",
                                  "message_sealed WHERE message_seq IN (SELECT seq FROM messages "
                                  "WHERE account_sid=?1 AND seq>?2) ORDER BY message_seq LIMIT ?3",
                                  false},
    /* Few rows, no seq: all at once.  dst is the owner's number. */
    [PP_RESEAL_MO_PARTS] = {"mo_parts", "dst,src,ref,total,part", "?1",
                            "ref||':'||total||':'||part", "NULL,NULL",
                            "mo_parts WHERE dst IN (SELECT phone_bidx FROM phone_numbers "
                            "WHERE account_sid=?1)",
                            true},
};

/* A table's sealed columns (tables.def order), at most PP_SEALED__COUNT. */
static size_t sealed_of(const char *table, pp_sealed_id_t ids[PP_SEALED__COUNT]) {
  size_t n = 0;
  for (int i = 0; i < PP_SEALED__COUNT; i++)
    if (strcmp(pp_sealed_col((pp_sealed_id_t)i)->table, table) == 0) ids[n++] = (pp_sealed_id_t)i;
  return n;
}

/* The SELECT and the UPDATE of a batch: columns 0..nk-1 the keys, then the
 * account, the row, url_table, url_column, then the sealed columns; the
 * UPDATE sets them as ?1..?n and finds the row by the keys after them. */
static bool reseal_sql(const reseal_rows_t *t, const pp_sealed_id_t *ids, size_t n, size_t nk,
                       char *sel, char *upd, size_t cap) {
  size_t ls =
      (size_t)snprintf(sel, cap, "SELECT %s,%s,%s,%s", t->keys, t->account, t->row, t->source);
  size_t lu = (size_t)snprintf(upd, cap, "UPDATE %s SET ", t->table);
  for (size_t i = 0; i < n && ls < cap && lu < cap; i++) {
    const char *col = pp_sealed_col(ids[i])->column;
    ls += (size_t)snprintf(sel + ls, cap - ls, ",%s", col);
    lu += (size_t)snprintf(upd + lu, cap - lu, "%s%s=?%zu", i ? "," : "", col, i + 1);
  }
  if (ls < cap) ls += (size_t)snprintf(sel + ls, cap - ls, " FROM %s", t->from);
  if (lu < cap) lu += (size_t)snprintf(upd + lu, cap - lu, " WHERE ");
  const char *k = t->keys;
  for (size_t i = 0; i < nk && lu < cap; i++) {
    size_t kl = strcspn(k, ",");
    lu += (size_t)snprintf(upd + lu, cap - lu, "%s%.*s=?%zu", i ? " AND " : "", (int)kl, k,
                           n + i + 1);
    k += kl + (k[kl] == ',');
  }
  return ls < cap && lu < cap;
}

static const char *col_text(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? s : "";
}

/* Reseals the current row of `sel` (keys 0..nk-1, then the coordinates and
 * the n sealed columns) with `upd`: a blob opened (into guarded memory: a
 * TOTP seed is binary) and sealed again, a text (from before sealing)
 * sealed; NULL and '' as they are.  One key lookup for the row. */
static pp_err_t reseal_row(conn_t *c, sqlite3_stmt *sel, sqlite3_stmt *upd,
                           const pp_sealed_id_t *ids, size_t n, size_t nk) {
  int base = (int)nk;
  const char *account = col_text(sel, base), *row = col_text(sel, base + 1);
  pp_seal_at_t at;
  pp_err_t e = pp_sealed_col(ids[0])->row == PP_SEAL_ROW_SOURCE
                   ? pp_seal_at_source(ids[0], account, col_text(sel, base + 2),
                                       col_text(sel, base + 3), row, &at)
                   : pp_seal_at(ids[0], account, row, &at);
  pp_seal_value_t v[PP_SEALED__COUNT];
  unsigned char *plain[PP_SEALED__COUNT] = {NULL};
  int params[PP_SEALED__COUNT];
  for (size_t i = 0; !e && i < n; i++) {
    int col = base + 4 + (int)i, type = sqlite3_column_type(sel, col);
    const pp_sealed_col_t *s = pp_sealed_col(ids[i]);
    size_t len = (size_t)sqlite3_column_bytes(sel, col);
    params[i] = (int)i + 1;
    v[i] = (pp_seal_value_t){.id = ids[i], .in_kind = PP_SEAL_NULL};
    if (type == SQLITE_BLOB && len) {
      e = pp_crypt_open_secret(c->crypt_of, c->db, at.account, at.table,
                               s->aad_column ? s->aad_column : at.column, at.row,
                               sqlite3_column_blob(sel, col), len, &plain[i], &len);
      if (e && e != PP_ERR_CORRUPT) /* which crypt logged */
        pp_log_error("sqlite", "a sealed %s.%s of %s did not open: %s", at.table, s->column, at.row,
                     pp_err_name(e));
      v[i].in_kind = PP_SEAL_TEXT;
      v[i].in = plain[i];
    } else if (type != SQLITE_NULL) {
      v[i].in_kind = type == SQLITE_BLOB ? PP_SEAL_BLOB : PP_SEAL_TEXT;
      v[i].in = type == SQLITE_BLOB ? sqlite3_column_blob(sel, col) : sqlite3_column_text(sel, col);
    }
    v[i].in_len = len;
  }
  unsigned char *buf = NULL;
  if (!e) e = sq_bind_seal_row(c, upd, &at, v, params, n, &buf);
  for (size_t i = 0; i < n; i++) pp_crypt_secret_free(plain[i]);
  for (size_t k = 0; !e && k < nk; k++)
    sqlite3_bind_value(upd, (int)(n + k + 1), sqlite3_column_value(sel, (int)k));
  int rc = e ? SQLITE_OK : sq_step_done(upd);
  sqlite3_clear_bindings(upd);
  free(buf);
  return e ? e : sq_result_of(c->db, rc, 0);
}

pp_err_t sq_apply_reseal(conn_t *c, pp_reseal_t *rs) {
  rs->n = 0;
  rs->last = rs->after;
  if ((unsigned)rs->table >= PP_RESEAL__COUNT) return PP_ERR_INVALID_PARAM;
  const reseal_rows_t *t = &reseal_rows[rs->table];
  pp_sealed_id_t ids[PP_SEALED__COUNT];
  size_t n = sealed_of(t->table, ids), nk = 1;
  for (const char *k = t->keys; *k; k++) nk += *k == ',';
  char sel[1024], upd[1024];
  if (!n || !reseal_sql(t, ids, n, nk, sel, upd, sizeof sel)) return PP_ERR_INTERNAL;
  sqlite3_stmt *st = NULL, *up = NULL;
  if (sqlite3_prepare_v2(c->db, sel, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(c->db, upd, -1, &up, NULL) != SQLITE_OK) {
    pp_err_t e = sq_db_err(c->db, "reseal");
    sqlite3_finalize(st);
    return e;
  }
  sq_bind_text(st, 1, rs->account_sid);
  if (!t->once) {
    sqlite3_bind_int64(st, 2, rs->after);
    sqlite3_bind_int64(st, 3, (int64_t)rs->limit);
  }
  pp_err_t e = PP_OK;
  int rc;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    e = reseal_row(c, st, up, ids, n, nk);
    int64_t key = sqlite3_column_int64(st, 0);
    if (!t->once && key > rs->last) rs->last = key;
    rs->n++;
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "reseal");
  sqlite3_finalize(st);
  sqlite3_finalize(up);
  /* The single-statement tables are done in one batch. */
  if (t->once) rs->n = 0;
  return e;
}

/* ---- data keys ------------------------------------------------------------ */

pp_err_t sq_dek_next(conn_t *c, const char *account_sid) {
  sqlite3_stmt *st = c->st[S_DEK_NEWEST];
  sq_bind_text(st, 1, account_sid);
  int rc = sqlite3_step(st);
  bool some = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
  int64_t gen = some ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW) return sq_db_err(c->db, "newest key");
  if (!some) return PP_ERR_NOT_FOUND;
  return sq_dek_insert(c, S_DEK_NEXT, account_sid, (uint32_t)gen + 1, pp_clock_now());
}

pp_err_t sq_dek_rewrap(conn_t *c, pp_rewrap_t *rw) {
  rw->n = 0;
  sqlite3_stmt *st = c->st[S_DEK_ALL], *up = c->st[S_DEK_REWRAP];
  pp_err_t e = PP_OK;
  int rc;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    unsigned char out[PP_DEK_WRAPPED_LEN];
    e = pp_crypt_rewrap(c->crypt_of, col_text(st, 0), (uint32_t)sqlite3_column_int64(st, 1),
                        sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                        rw->new_master, out);
    if (e) break;
    sqlite3_bind_value(up, 1, sqlite3_column_value(st, 0));
    sqlite3_bind_int64(up, 2, sqlite3_column_int64(st, 1));
    sqlite3_bind_blob(up, 3, out, sizeof out, SQLITE_STATIC);
    sq_bind_text(up, 4, rw->new_master_id);
    if (!(e = sq_result_of(c->db, sq_step_done(up), 1))) rw->n++;
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(c->db, "rewrap");
  sqlite3_reset(st);
  if (e) rw->n = 0;
  return e;
}

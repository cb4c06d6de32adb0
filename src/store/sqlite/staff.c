/* staff.c: staff members, their passkeys and their hashed tokens
 * (enrolment, challenge, session): the PP_W_STAFF change on the writer and
 * the reads (docs/internals/staff.md).  No secret reaches this file: tokens
 * come and go as their SHA-256. */
#include <string.h>

#include "store/sqlite/sqlite_int.h"

/* Copies blob column i into dst (cap bytes); its length into *len. */
static void col_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t cap, size_t *len) {
  size_t n = (size_t)sqlite3_column_bytes(st, i);
  const void *p = sqlite3_column_blob(st, i);
  if (n > cap) n = cap;
  if (p && n) memcpy(dst, p, n);
  if (len) *len = n;
}

static void fill_staff(sqlite3_stmt *st, void *out) {
  pp_staff_t *m = out;
  memset(m, 0, sizeof *m);
  sq_col_copy(m->name, sizeof m->name, st, 0);
  sq_col_copy(m->role, sizeof m->role, st, 1);
  col_blob(st, 2, m->user_id, sizeof m->user_id, NULL);
  m->date_created = sqlite3_column_int64(st, 3);
}

static void fill_cred(sqlite3_stmt *st, void *out) {
  pp_staff_cred_t *c = out;
  memset(c, 0, sizeof *c);
  sq_col_copy(c->staff, sizeof c->staff, st, 0);
  col_blob(st, 1, c->cred.id, sizeof c->cred.id, &c->cred.id_len);
  c->cred.alg = sqlite3_column_int(st, 2);
  col_blob(st, 3, c->cred.cose_key, sizeof c->cred.cose_key, &c->cred.cose_key_len);
  c->cred.sign_count = (uint32_t)sqlite3_column_int64(st, 4);
  col_blob(st, 5, c->cred.aaguid, sizeof c->cred.aaguid, NULL);
  c->cred.user_verified = sqlite3_column_int(st, 6) != 0;
  c->date_created = sqlite3_column_int64(st, 7);
  c->last_used = sqlite3_column_int64(st, 8);
}

static void fill_token(sqlite3_stmt *st, void *out) {
  pp_staff_token_t *t = out;
  memset(t, 0, sizeof *t);
  col_blob(st, 0, t->hash, sizeof t->hash, NULL);
  t->kind = (pp_staff_token_kind_t)sqlite3_column_int(st, 1);
  sq_col_copy(t->staff, sizeof t->staff, st, 2);
  sq_col_copy(t->purpose, sizeof t->purpose, st, 3);
  sq_col_copy(t->action, sizeof t->action, st, 4);
  t->uv_at = sqlite3_column_int64(st, 5);
  col_blob(st, 6, t->cred_id, sizeof t->cred_id, &t->cred_id_len);
  t->created = sqlite3_column_int64(st, 7);
  t->expires = sqlite3_column_int64(st, 8);
}

/* Steps a write statement whose parameters are bound; `expect`: a change
 * must happen, else `none`. */
static pp_err_t step(conn_t *c, sqlite3_stmt *st, bool expect, pp_err_t none) {
  pp_err_t e = sq_result_of(c->db, sq_step_done(st), expect);
  return e == PP_ERR_NOT_FOUND ? none : e;
}

static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
  sqlite3_bind_blob(st, i, p ? p : "", (int)n, SQLITE_STATIC);
}

static pp_err_t put_token(conn_t *c, const pp_staff_token_t *t, int64_t now) {
  sqlite3_stmt *st = c->st[S_STAFF_TOK_PURGE];
  sqlite3_bind_int64(st, 1, now);
  pp_err_t e = step(c, st, false, PP_OK);
  if (e) return e;
  st = c->st[S_STAFF_TOK_INS];
  bind_blob(st, 1, t->hash, sizeof t->hash);
  sqlite3_bind_int(st, 2, (int)t->kind);
  sq_bind_text(st, 3, t->staff);
  sq_bind_text(st, 4, t->purpose);
  sq_bind_text(st, 5, t->action);
  sqlite3_bind_int64(st, 6, t->uv_at);
  bind_blob(st, 7, t->cred_id, t->cred_id_len);
  sqlite3_bind_int64(st, 8, t->created);
  sqlite3_bind_int64(st, 9, t->expires);
  return step(c, st, false, PP_OK);
}

static pp_err_t add_cred(conn_t *c, const pp_staff_cred_t *k) {
  sqlite3_stmt *st = c->st[S_STAFF_CRED_INS];
  sq_bind_text(st, 1, k->staff);
  bind_blob(st, 2, k->cred.id, k->cred.id_len);
  sqlite3_bind_int(st, 3, k->cred.alg);
  bind_blob(st, 4, k->cred.cose_key, k->cred.cose_key_len);
  sqlite3_bind_int64(st, 5, k->cred.sign_count);
  bind_blob(st, 6, k->cred.aaguid, sizeof k->cred.aaguid);
  sqlite3_bind_int(st, 7, k->cred.user_verified);
  sqlite3_bind_int64(st, 8, k->date_created);
  sqlite3_bind_int64(st, 9, k->last_used);
  return step(c, st, false, PP_OK);
}

/* Binds a hash at 1 and steps: for the statements keyed by a token. */
static pp_err_t by_hash(conn_t *c, int which, const uint8_t *hash, int64_t a2, const char *t2,
                        int64_t a3, pp_err_t none) {
  sqlite3_stmt *st = c->st[which];
  bind_blob(st, 1, hash, PP_STAFF_HASH_LEN);
  if (t2)
    sq_bind_text(st, 2, t2);
  else if (sqlite3_bind_parameter_count(st) >= 2)
    sqlite3_bind_int64(st, 2, a2);
  if (sqlite3_bind_parameter_count(st) >= 3) sqlite3_bind_int64(st, 3, a3);
  return step(c, st, true, none);
}

pp_err_t sq_apply_staff(conn_t *c, const pp_staff_change_t *ch) {
  pp_err_t e = PP_OK;
  sqlite3_stmt *st;
  if (ch->remove) {
    st = c->st[S_STAFF_DEL];
    sq_bind_text(st, 1, ch->remove);
    if ((e = step(c, st, true, PP_ERR_NOT_FOUND))) return e;
  }
  if (ch->add) {
    st = c->st[S_STAFF_INS];
    sq_bind_text(st, 1, ch->add->name);
    sq_bind_text(st, 2, ch->add->role);
    bind_blob(st, 3, ch->add->user_id, sizeof ch->add->user_id);
    sqlite3_bind_int64(st, 4, ch->add->date_created);
    if ((e = step(c, st, false, PP_OK))) return e;
  }
  for (int i = 0; i < 2; i++)
    if (ch->take[i] && (e = by_hash(c, S_STAFF_TOK_TAKE, ch->take[i], ch->take_kind[i], NULL,
                                    ch->now, PP_ERR_CONFLICT)))
      return e;
  if (ch->put && (e = put_token(c, ch->put, ch->now))) return e;
  if (ch->cred_add && (e = add_cred(c, ch->cred_add))) return e;
  if (ch->count) {
    st = c->st[S_STAFF_CRED_COUNT];
    bind_blob(st, 1, ch->count->cred.id, ch->count->cred.id_len);
    sqlite3_bind_int64(st, 2, ch->count->cred.sign_count);
    sqlite3_bind_int64(st, 3, ch->if_sign_count);
    sqlite3_bind_int64(st, 4, ch->now);
    if ((e = step(c, st, true, PP_ERR_CONFLICT))) return e;
  }
  if (ch->end && (e = by_hash(c, S_STAFF_TOK_END, ch->end, 0, NULL, 0, PP_ERR_NOT_FOUND))) return e;
  if (ch->uv_session &&
      (e = by_hash(c, S_STAFF_TOK_UV, ch->uv_session, 0, ch->uv_action ? ch->uv_action : "",
                   ch->now, PP_ERR_NOT_FOUND)))
    return e;
  return PP_OK;
}

pp_err_t sq_staff_get(void *p, const char *name, pp_staff_t *out) {
  return sq_get_one(p, S_STAFF_GET, name, NULL, fill_staff, sizeof *out, out);
}

pp_err_t sq_staff_list(void *p, pp_arena_t *a, pp_staff_t **rows, size_t *n) {
  return sq_read_all(p, S_STAFF_ALL, a, sizeof(pp_staff_t), fill_staff, (void **)rows, n);
}

pp_err_t sq_staff_creds(void *p, pp_arena_t *a, const char *staff, pp_staff_cred_t **rows,
                        size_t *n) {
  return sq_read_all_of(p, S_STAFF_CREDS, staff, a, sizeof(pp_staff_cred_t), fill_cred,
                        (void **)rows, n);
}

pp_err_t sq_staff_cred_get(void *p, const uint8_t *id, size_t id_len, pp_staff_cred_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_STAFF_CRED_GET];
  bind_blob(st, 1, id, id_len);
  return sq_first_row(b, c, st, fill_cred, out);
}

pp_err_t sq_staff_token_get(void *p, const uint8_t *hash, pp_staff_token_t *out) {
  be_t *b = p;
  conn_t *c = sq_acquire(b);
  sqlite3_stmt *st = c->st[S_STAFF_TOK_GET];
  bind_blob(st, 1, hash, PP_STAFF_HASH_LEN);
  return sq_first_row(b, c, st, fill_token, out);
}

/* seal.c: sealing, opening and indexing by tables.def (seal.h). */
#include "store/seal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static const pp_sealed_col_t sealed_cols[PP_SEALED__COUNT] = {
#define PP_SEALED(ID, tbl, col, atbl, acol, ACCT, acct, ROW, row) \
  [PP_SEALED_##ID] = {tbl, col, atbl, acol, PP_SEAL_ACCT_##ACCT, acct, PP_SEAL_ROW_##ROW, row},
#include "store/tables.def"
};

static const pp_index_col_t index_cols[PP_INDEX__COUNT] = {
#define PP_INDEX(ID, tbl, col, FN, src, src2) \
  [PP_INDEX_##ID] = {tbl, col, PP_INDEX_FN_##FN, src, src2},
#include "store/tables.def"
};

const pp_sealed_col_t *pp_sealed_col(pp_sealed_id_t id) {
  return (unsigned)id < PP_SEALED__COUNT ? &sealed_cols[id] : NULL;
}

const pp_index_col_t *pp_index_col(pp_index_id_t id) {
  return (unsigned)id < PP_INDEX__COUNT ? &index_cols[id] : NULL;
}

bool pp_sealed_find(const char *table, const char *column, pp_sealed_id_t *out) {
  for (int i = 0; i < PP_SEALED__COUNT; i++)
    if (strcmp(sealed_cols[i].table, table) == 0 && strcmp(sealed_cols[i].column, column) == 0) {
      *out = (pp_sealed_id_t)i;
      return true;
    }
  return false;
}

void pp_seal_part_row(char out[PP_SEAL_ROW_MAX], int64_t ref, int64_t total, int64_t part) {
  snprintf(out, PP_SEAL_ROW_MAX, "%" PRId64 ":%" PRId64 ":%" PRId64, ref, total, part);
}

void pp_seal_bidx_row(char out[PP_SEAL_ROW_MAX], const unsigned char bidx[PP_BLIND_INDEX_LEN]) {
  static const char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < PP_BLIND_INDEX_LEN; i++) {
    out[2 * i] = digits[bidx[i] >> 4];
    out[2 * i + 1] = digits[bidx[i] & 15];
  }
  out[2 * PP_BLIND_INDEX_LEN] = '\0';
}

pp_err_t pp_seal_at(pp_sealed_id_t id, const char *account, const char *row, pp_seal_at_t *out) {
  const pp_sealed_col_t *s = pp_sealed_col(id);
  if (!s || s->row == PP_SEAL_ROW_SOURCE || !row) return PP_ERR_INVALID_PARAM;
  if (s->acct == PP_SEAL_ACCT_SYSTEM)
    account = PP_CRYPT_SYSTEM;
  else if (!account)
    return PP_ERR_INVALID_PARAM;
  *out = (pp_seal_at_t){account, s->aad_table, s->aad_column, row};
  return PP_OK;
}

pp_err_t pp_seal_at_source(pp_sealed_id_t id, const char *account, const char *url_table,
                           const char *url_column, const char *url_row, pp_seal_at_t *out) {
  const pp_sealed_col_t *s = pp_sealed_col(id);
  if (!s || s->row != PP_SEAL_ROW_SOURCE || !account || !url_table || !url_column || !url_row)
    return PP_ERR_INVALID_PARAM;
  *out = (pp_seal_at_t){account, url_table, s->aad_column ? s->aad_column : url_column, url_row};
  return PP_OK;
}

/* Whether a value is sealed rather than passed through. */
static bool needs_seal(pp_seal_kind_t kind, size_t len) {
  return !PP_CRYPT_PLAINTEXT && kind == PP_SEAL_TEXT && len > 0;
}

pp_err_t pp_seal_row(pp_crypt_t *c, void *conn, const pp_seal_at_t *at, pp_seal_value_t *v,
                     size_t n, unsigned char **buf) {
  *buf = NULL;
  pp_crypt_field_t fields[PP_SEALED__COUNT];
  size_t nf = 0, total = 0;
  if (!at || !at->table || !at->account || !at->row || n > PP_SEALED__COUNT)
    return PP_ERR_INVALID_PARAM;
  for (size_t i = 0; i < n; i++) {
    const pp_sealed_col_t *s = pp_sealed_col(v[i].id);
    if (!s) return PP_ERR_INVALID_PARAM;
    if (s->aad_table ? strcmp(s->aad_table, at->table) != 0 : !s->aad_column && !at->column)
      return PP_ERR_INVALID_PARAM;
    if (needs_seal(v[i].in_kind, v[i].in_len)) {
      fields[nf++] = (pp_crypt_field_t){.column = s->aad_column ? s->aad_column : at->column,
                                        .plain = v[i].in,
                                        .len = v[i].in_len,
                                        .cap = pp_sealed_len(v[i].in_len)};
      total += pp_sealed_len(v[i].in_len);
    }
  }
  unsigned char *block = NULL;
  if (nf) {
    if (!(block = malloc(total))) return PP_ERR_NOMEM;
    size_t off = 0;
    for (size_t i = 0; i < nf; i++) {
      fields[i].out = block + off;
      off += fields[i].cap;
    }
    pp_err_t e = pp_crypt_seal_fields(c, conn, at->account, at->table, at->row, fields, nf);
    if (e) {
      free(block);
      return e;
    }
  }
  for (size_t i = 0, f = 0; i < n; i++) {
    if (needs_seal(v[i].in_kind, v[i].in_len)) {
      v[i].kind = PP_SEAL_BLOB;
      v[i].value = fields[f].out;
      v[i].len = fields[f].out_len;
      f++;
    } else {
      v[i].kind = v[i].in_kind;
      v[i].value = v[i].in_kind == PP_SEAL_NULL ? NULL : v[i].in;
      v[i].len = v[i].in_kind == PP_SEAL_NULL ? 0 : v[i].in_len;
    }
  }
  *buf = block;
  return PP_OK;
}

pp_err_t pp_seal_one(pp_crypt_t *c, void *conn, const pp_seal_at_t *at, pp_seal_kind_t in_kind,
                     const void *in, size_t in_len, pp_seal_kind_t *kind, const void **value,
                     size_t *len, unsigned char **buf) {
  *buf = NULL;
  if (!at || !at->account || !at->table || !at->column || !at->row) return PP_ERR_INVALID_PARAM;
  if (!needs_seal(in_kind, in_len)) {
    *kind = in_kind;
    *value = in_kind == PP_SEAL_NULL ? NULL : in;
    *len = in_kind == PP_SEAL_NULL ? 0 : in_len;
    return PP_OK;
  }
  size_t out_len;
  pp_err_t e = pp_crypt_seal(c, conn, at->account, at->table, at->column, at->row, in, in_len, buf,
                             &out_len);
  if (e) {
    *buf = NULL;
    return e;
  }
  *kind = PP_SEAL_BLOB;
  *value = *buf;
  *len = out_len;
  return PP_OK;
}

pp_err_t pp_seal_open(pp_crypt_t *c, void *conn, const pp_seal_at_t *at, pp_seal_kind_t in_kind,
                      const void *in, size_t in_len, char **out, size_t *out_len) {
  if (in_kind == PP_SEAL_NULL) {
    *out = NULL;
    *out_len = 0;
    return PP_OK;
  }
  if (in_kind != PP_SEAL_BLOB) {
    char *copy = malloc(in_len + 1);
    if (!copy) return PP_ERR_NOMEM;
    if (in_len) memcpy(copy, in, in_len);
    copy[in_len] = '\0';
    *out = copy;
    *out_len = in_len;
    return PP_OK;
  }
  pp_err_t e =
      pp_crypt_open(c, conn, at->account, at->table, at->column, at->row, in, in_len, out, out_len);
  if (e && e != PP_ERR_CORRUPT) /* which crypt logged */
    pp_log_error("store", "a sealed %s.%s of %s did not open: %s", at->table, at->column, at->row,
                 pp_err_name(e));
  return e;
}

pp_err_t pp_seal_index(pp_crypt_t *c, void *conn, pp_index_id_t id, pp_seal_kind_t in_kind,
                       const void *in, size_t in_len, const char *second,
                       unsigned char out[PP_BLIND_INDEX_LEN], pp_seal_kind_t *kind) {
  const pp_index_col_t *x = pp_index_col(id);
  if (!x) return PP_ERR_INVALID_PARAM;
  if (x->fn == PP_INDEX_FN_TOKEN) {
    if (in_kind == PP_SEAL_NULL || in_len == 0) {
      *kind = PP_SEAL_NULL;
      return PP_OK;
    }
  } else if (in_kind == PP_SEAL_NULL || (x->source2 && !second)) {
    *kind = PP_SEAL_NULL;
    return PP_OK;
  }
  if (in_kind == PP_SEAL_BLOB && !x->source2 && x->fn != PP_INDEX_FN_TOKEN) {
    if (in_len < PP_BLIND_INDEX_LEN) return PP_ERR_INVALID_PARAM;
    memcpy(out, in, PP_BLIND_INDEX_LEN);
    *kind = PP_SEAL_BLOB;
    return PP_OK;
  }
  pp_err_t e;
  if (x->source2) { /* in "/" second, as SQL's || concatenated them */
    size_t n2 = strlen(second), n = in_len + 1 + n2;
    char *joined = malloc(n + 1);
    if (!joined) return PP_ERR_NOMEM;
    if (in_len) memcpy(joined, in, in_len);
    joined[in_len] = '/';
    memcpy(joined + in_len + 1, second, n2 + 1);
    e = pp_crypt_bidx(c, conn, joined, n, out);
    free(joined);
  } else if (x->fn == PP_INDEX_FN_TOKEN) {
    char *tok = malloc(in_len + 1);
    if (!tok) return PP_ERR_NOMEM;
    memcpy(tok, in, in_len);
    tok[in_len] = '\0';
    e = pp_crypt_token_hash(c, conn, tok, out);
    free(tok);
  } else {
    e = (x->fn == PP_INDEX_FN_PART ? pp_crypt_part_index : pp_crypt_bidx)(c, conn, in, in_len, out);
  }
  if (e) return e;
  *kind = PP_SEAL_BLOB;
  return PP_OK;
}

pp_err_t pp_seal_token_hash(pp_crypt_t *c, void *conn, const char *token,
                            unsigned char out[PP_BLIND_INDEX_LEN], bool *is_null) {
  *is_null = !token || !*token;
  if (*is_null) return PP_OK;
  return pp_crypt_token_hash(c, conn, token, out);
}

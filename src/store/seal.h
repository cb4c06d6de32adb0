/* seal.h (private to src/store): sealing, opening and indexing around bind
 * and row, for every backend.  tables.def describes each sealed and each
 * indexed column once; a backend names a column by its id here and never
 * a key, an index function or seal coordinates by hand.
 *
 * The semantics are those of the SQLite functions pp_seal, pp_open,
 * pp_bidx, pp_partkey and pp_tokhash the store used before (so rows
 * written then read the same):
 *   seal   NULL stays NULL; an empty text stays the empty text (it is not
 *          sealed); a blob passes through (it is already sealed: a row
 *          copied or sealed twice); any other text becomes a sealed blob.
 *   open   a blob is opened; anything else (NULL, a text: a value from
 *          before sealing, or the empty text) passes through as it is.
 *   index  NULL and a blob pass through; any text is indexed, the empty
 *          text too.  A two-column index (source "/" source2) of a NULL
 *          is NULL.
 *   token  NULL and the empty text hash to NULL; any other text is hashed.
 * In the PP_CRYPT_PLAINTEXT build seal and open pass every value through;
 * index and token hash are crypt.h's (the value, zero-padded).
 *
 * Pure apart from the crypt context; thread-safe as crypt.h is. */
#ifndef PP_STORE_SEAL_H
#define PP_STORE_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/crypt.h"

/* The sealed columns, PP_SEALED_<ID> in tables.def's order. */
typedef enum {
#define PP_SEALED(ID, ...) PP_SEALED_##ID,
#include "store/tables.def"
  PP_SEALED__COUNT
} pp_sealed_id_t;

/* The indexed columns, PP_INDEX_<ID>. */
typedef enum {
#define PP_INDEX(ID, ...) PP_INDEX_##ID,
#include "store/tables.def"
  PP_INDEX__COUNT
} pp_index_id_t;

/* Whose data key seals a column (tables.def's ACCT). */
typedef enum {
  PP_SEAL_ACCT_COLUMN, /* the row's column acct_col */
  PP_SEAL_ACCT_SYSTEM, /* PP_CRYPT_SYSTEM */
  PP_SEAL_ACCT_GIVEN   /* the caller's (acct_col says which) */
} pp_seal_acct_t;

/* What a column's row coordinate is (tables.def's ROW). */
typedef enum {
  PP_SEAL_ROW_COLUMN,   /* the row's column row_col */
  PP_SEAL_ROW_PART,     /* pp_seal_part_row(ref, total, part) */
  PP_SEAL_ROW_BIDX_HEX, /* pp_seal_bidx_row(the row's row_col) */
  PP_SEAL_ROW_GIVEN,    /* the caller's (row_col says which) */
  PP_SEAL_ROW_SOURCE    /* the row's url_table, url_column, url_row */
} pp_seal_row_t;

/* One sealed column as tables.def describes it. */
typedef struct {
  const char *table, *column;         /* where the sealed value is kept */
  const char *aad_table, *aad_column; /* its coordinates; NULL: SOURCE's */
  pp_seal_acct_t acct;
  const char *acct_col;
  pp_seal_row_t row;
  const char *row_col;
} pp_sealed_col_t;

/* Index functions (tables.def's FN). */
typedef enum { PP_INDEX_FN_BIDX, PP_INDEX_FN_PART, PP_INDEX_FN_TOKEN } pp_index_fn_t;

/* One indexed column as tables.def describes it. */
typedef struct {
  const char *table, *column;
  pp_index_fn_t fn;
  const char *source, *source2; /* source2 NULL: one column */
} pp_index_col_t;

/* The description of `id`; NULL when out of range.  Static storage. */
const pp_sealed_col_t *pp_sealed_col(pp_sealed_id_t id);
const pp_index_col_t *pp_index_col(pp_index_id_t id);

/* pp_sealed_find: the id of the sealed column kept in table.column, into
 * *out.  false when tables.def has none. */
bool pp_sealed_find(const char *table, const char *column, pp_sealed_id_t *out);

/* Seal coordinates: the associated data of pp_crypt_seal / pp_crypt_open.
 * The strings are borrowed (from tables.def or the caller). */
typedef struct {
  const char *account, *table, *column, *row;
} pp_seal_at_t;

/* Longest row coordinate the helpers below write, NUL included. */
#define PP_SEAL_ROW_MAX (2 * PP_BLIND_INDEX_LEN + 1)

/* pp_seal_part_row writes mo_parts' row coordinate "ref:total:part". */
void pp_seal_part_row(char out[PP_SEAL_ROW_MAX], int64_t ref, int64_t total, int64_t part);

/* pp_seal_bidx_row writes number_offers' row coordinate: the blind index
 * as UPPERCASE hex (SQLite's hex()). */
void pp_seal_bidx_row(char out[PP_SEAL_ROW_MAX], const unsigned char bidx[PP_BLIND_INDEX_LEN]);

/* pp_seal_at fills *out with column `id`'s coordinates for one row:
 * `account` is the value of its account column or the given account
 * (ignored for SYSTEM: PP_CRYPT_SYSTEM); `row` the value of its row column,
 * the given row, or what pp_seal_part_row / pp_seal_bidx_row wrote.  For a
 * SOURCE column (the webhook queue) use pp_seal_at_source.  Both strings
 * borrowed.  PP_ERR_INVALID_PARAM for an unknown or SOURCE id, or a NULL
 * account (unless SYSTEM) or row. */
pp_err_t pp_seal_at(pp_sealed_id_t id, const char *account, const char *row, pp_seal_at_t *out);

/* pp_seal_at_source: the coordinates of a SOURCE column of a webhook
 * queue row from its account and its url_table, url_column, url_row (the
 * column is url_column for the URL, the column's own name for the body).
 * PP_ERR_INVALID_PARAM for another id or a NULL string. */
pp_err_t pp_seal_at_source(pp_sealed_id_t id, const char *account, const char *url_table,
                           const char *url_column, const char *url_row, pp_seal_at_t *out);

/* A value as a backend binds or reads it. */
typedef enum {
  PP_SEAL_NULL, /* SQL NULL */
  PP_SEAL_TEXT, /* text: plaintext, or the empty text */
  PP_SEAL_BLOB  /* a sealed blob (or an index) */
} pp_seal_kind_t;

/* One value of a row to seal: column `id`, the value as read (in_kind,
 * in, in_len); OUT: what to bind (kind, value, len), `value` pointing at
 * `in` when it passed through or into the buffer pp_seal_row returns. */
typedef struct {
  pp_sealed_id_t id;
  pp_seal_kind_t in_kind;
  const void *in;
  size_t in_len;
  pp_seal_kind_t kind; /* OUT */
  const void *value;   /* OUT */
  size_t len;          /* OUT */
} pp_seal_value_t;

/* pp_seal_row seals the `n` values of one row that need it (see the
 * semantics above) for the coordinates `at` (its account, table and row;
 * each value's column is its id's aad_column, or at->column for a SOURCE
 * id), with the account's newest data key looked up once
 * (pp_crypt_seal_fields; not at all when nothing needs sealing).  Every
 * id must have at->table as its aad_table (or be SOURCE).  OUT: *buf, one
 * malloc'd block holding the blobs, which the caller frees (free()) after
 * binding; NULL when nothing was sealed.  Errors: PP_ERR_INVALID_PARAM (a
 * bad id or table), those of pp_crypt_seal_fields; on an error nothing is
 * to be bound and *buf is NULL. */
pp_err_t pp_seal_row(pp_crypt_t *c, void *conn, const pp_seal_at_t *at, pp_seal_value_t *v,
                     size_t n, unsigned char **buf);

/* pp_seal_one is pp_seal_row for one value at `at` (all four coordinates
 * given): OUT *kind, *value, *len as pp_seal_value_t's, *buf as
 * pp_seal_row's. */
pp_err_t pp_seal_one(pp_crypt_t *c, void *conn, const pp_seal_at_t *at, pp_seal_kind_t in_kind,
                     const void *in, size_t in_len, pp_seal_kind_t *kind, const void **value,
                     size_t *len, unsigned char **buf);

/* pp_seal_open opens one value read from a row at `at`: a blob is opened
 * into a malloc'd, NUL-terminated text (*out, *out_len; the caller frees
 * it); a text is copied so (passes through); NULL gives *out NULL, PP_OK.
 * Errors: those of pp_crypt_open (PP_ERR_CORRUPT for a blob altered or
 * sealed for other coordinates: crypt.h logged it; another error is logged
 * here with the coordinates), PP_ERR_NOMEM. */
pp_err_t pp_seal_open(pp_crypt_t *c, void *conn, const pp_seal_at_t *at, pp_seal_kind_t in_kind,
                      const void *in, size_t in_len, char **out, size_t *out_len);

/* pp_seal_index computes index `id` of a value (in_kind, in, in_len) and,
 * for a two-column index, `second` (NUL-terminated; NULL: the index is
 * NULL), hashed as in "/" second.  OUT: *kind PP_SEAL_BLOB with `out`
 * written (PP_BLIND_INDEX_LEN bytes), or PP_SEAL_NULL, or a blob passed
 * through (*kind PP_SEAL_BLOB and `out` holding the first
 * PP_BLIND_INDEX_LEN bytes of `in`; PP_ERR_INVALID_PARAM when shorter).
 * Errors: those of loading the index key; PP_ERR_NOMEM. */
pp_err_t pp_seal_index(pp_crypt_t *c, void *conn, pp_index_id_t id, pp_seal_kind_t in_kind,
                       const void *in, size_t in_len, const char *second,
                       unsigned char out[PP_BLIND_INDEX_LEN], pp_seal_kind_t *kind);

/* pp_seal_token_hash: the keyed hash an auth token is checked against
 * into `out`; *is_null (nothing written) for NULL or "".  Errors those of
 * pp_crypt_token_hash. */
pp_err_t pp_seal_token_hash(pp_crypt_t *c, void *conn, const char *token,
                            unsigned char out[PP_BLIND_INDEX_LEN], bool *is_null);

#endif

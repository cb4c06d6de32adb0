/* sqlite_int.h (private to src/store/sqlite): what the SQLite backend's
 * files share: the backend and connection types, the prepared statements'
 * ids and column lists, the sealed-column lists, and the functions one file
 * gives the others (prefixed sq_). Nothing outside this folder includes it;
 * the rest of Pipit sees the backend as pp_store_sqlite (store.h). */
#ifndef PP_STORE_SQLITE_INT_H
#define PP_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "security/audit.h"
#include "security/merkle.h"
#include "store/audit_log_int.h"
#include "store/backend.h"
#include "store/crypt.h"
#include "store/seal.h"

#define POOL 8

/* Prepared statements, one set per connection. */
enum {
  S_BEGIN,
  S_COMMIT,
  S_ROLLBACK,
  S_ACC_INS,
  S_ACC_UPD,
  S_ACC_GET,
  S_KEY_INS,
  S_KEY_UPD,
  S_KEY_DEL,
  S_KEY_GET,
  S_MSG_INS,
  S_MSG_PATCH,
  S_MSG_DEL,
  S_MSG_GET,
  S_MSG_COUNT,
  S_NUM_INS,
  S_NUM_UPD,
  S_NUM_DEL,
  S_NUM_GET,
  S_NUM_FIND,
  S_CAR_PUT,
  S_CAR_DEL,
  S_ROUTE_DEL_CARRIER,
  S_ROUTE_PUT,
  S_ROUTE_DEL,
  S_CAR_ALL,
  S_ROUTE_ALL,
  S_CLAIM,
  S_SUB_MSG,
  S_PART_INS,
  S_EARLY_TAKE,
  S_RETRY,
  S_FAIL,
  S_PART_DLR,
  S_EARLY_PUT,
  S_PARTS_TALLY,
  S_MSG_FINAL,
  S_PART_CLASH,
  S_EARLY_SWEEP,
  S_PARTS_AWAITING,
  S_MO_SWEEP,
  S_MO_INS,
  S_MO_READ,
  S_MO_DEL,
  S_SENDER_PUT,
  S_SENDER_DEL,
  S_SENDER_GET,
  S_HOOK_CLAIM,
  S_HOOK_DEL,
  S_HOOK_RETRY,
  S_HOOK_FOLLOW,
  S_HOOK_DUE,
  S_HOOK_INS,
  S_MSG_INBOUND_TARGET,
  S_MSG_SEALED_DEL,
  S_HOOK_ACCOUNT,
  S_MSG_STATUS,
  S_ALERT_INS,
  S_ALERT_GET,
  S_MSG_REPLIES,
  S_SVC_INS,
  S_SVC_UPD,
  S_SVC_DEL,
  S_SVC_GET,
  S_SVCNUM_INS,
  S_SVCNUM_DEL,
  S_SVCNUM_GET,
  S_SVC_STICKY,
  S_SVC_PICK,
  S_DEK_NEW,
  S_DEK_SHRED,
  S_DEK_REWRAP,
  S_DEK_NEXT,
  S_DEK_RETIRE,
  S_DEK_NEWEST,
  S_DEK_ALL,
  S_ACC_AUTH,
  S_NUM_OWNER,
  S_SAVEPOINT,
  S_RELEASE,
  S_ROLLBACK_TO,
  S_AUD_HEAD_GET,
  S_AUD_HEAD_PUT,
  S_AUD_INS,
  S_AUD_RES_INS,
  S_AUD_NODE_INS,
  S_AUD_NODE_GET,
  S_AUD_LEAF_HASH,
  S_AUD_GET,
  S_AUD_RES_GET,
  S_AUD_RES_RANGE,
  S_AUD_SCAN,
  S_AUD_BY_PRINCIPAL,
  S_AUD_BY_SESSION,
  S_AUD_BY_IP,
  S_AUD_CP_INS,
  S_AUD_CP_LAST,
  S_AUD_CP_LIST,
  S_OFFER_PUT,
  S_OFFER_DEL,
  S_OFFER_GET,
  S_OFFER_ALL,
  S_STAFF_INS,
  S_STAFF_DEL,
  S_STAFF_GET,
  S_STAFF_ALL,
  S_STAFF_CRED_INS,
  S_STAFF_CRED_COUNT,
  S_STAFF_CRED_GET,
  S_STAFF_CREDS,
  S_STAFF_TOK_INS,
  S_STAFF_TOK_PURGE,
  S_STAFF_TOK_TAKE,
  S_STAFF_TOK_END,
  S_STAFF_TOK_UV,
  S_STAFF_TOK_GET,
  S_HOOK_FORM_INS,
  S_LB_INS,
  S_LB_SET,
  S_LB_GET,
  S_LB_URL,
  S_LB_SETTINGS_PUT,
  S_CHANGE_INS,
  S_CHANGE_DECIDE,
  S_CHANGE_GET,
  S_CHANGE_ALL,
  S_CHANGE_PENDING,
  S_CHANGE_APPROVED,
  S_COUNT_ACCOUNT,
  S_COUNT_QUEUES,
  S__COUNT
};

#define ACC_COLS                                                                         \
  "seq,sid,owner_sid,friendly_name,status,auth_token,secondary_token,secondary_created," \
  "date_created,date_updated"
#define KEY_COLS "seq,sid,account_sid,friendly_name,secret_hash,date_created,date_updated"
/* A message's row: to_addr .. status_callback as stored, opened in C. */
#define MSG_COLS                                                                      \
  "seq,sid,account_sid,messaging_service_sid,to_addr,from_addr,body,media_urls,"      \
  "status_callback,error_message,direction,status,num_media,num_segments,error_code," \
  "validity_period,date_created,date_updated,date_sent,send_at"

/* What an update of messages.status returns, for the writes that follow a
 * status change (hooks.c). */
#define MSG_SET_COLS "seq,sid,account_sid,status,error_code,status_callback,date_updated"

/* A queue row: the URL and the body as stored (sealed for the coordinates
 * the row names last), opened in C. */
#define HOOK_COLS                                                                \
  "seq,token,account_sid,message_sid,kind,event,method,url,error_code,attempts," \
  "redirects,created_ms,body,url_table,url_column,url_row"
/* An alert's row: its sealed columns as stored, opened in C. */
#define ALERT_COLS                                                                  \
  "seq,sid,account_sid,error_code,log_level,alert_text,request_method,request_url," \
  "request_variables,response_body,response_headers,resource_sid,service_sid,"      \
  "date_created"
#define CAR_COLS                                                                  \
  "seq,name,host,port,system_id,password,system_type,bind_mode,window,mps,binds," \
  "date_created,date_updated,concat,payload,gsm7,channel"
#define NUM_COLS                                                                   \
  "seq,sid,account_sid,phone_number,friendly_name,sms_method,sms_fallback_method," \
  "status_callback_method,sms_url,sms_fallback_url,status_callback,date_created,"  \
  "date_updated"
#define SVC_COLS                                                                       \
  "seq,sid,account_sid,friendly_name,inbound_request_url,inbound_method,fallback_url," \
  "fallback_method,status_callback,sticky_sender,mms_converter,smart_encoding,"        \
  "scan_message_content,fallback_to_long_code,area_code_geomatch,validity_period,"     \
  "synchronous_validation,usecase,use_inbound_webhook_on_number,date_created,"         \
  "date_updated"
/* A pool member with its number's E.164, as one row source whose column
 * names are those of the list query (so the keyset clause can say `seq`). */
#define SVCNUM_COLS "seq,sid,service_sid,account_sid,phone_number,date_created,date_updated"
#define SVCNUM_FROM                                                           \
  "(SELECT sn.seq AS seq,sn.number_sid AS sid,sn.service_sid AS service_sid," \
  "sn.account_sid AS account_sid,p.phone_number AS phone_number,"             \
  "sn.date_created AS date_created,sn.date_updated AS date_updated "          \
  "FROM messaging_service_numbers sn JOIN phone_numbers p "                   \
  "ON p.sid=sn.number_sid)"

/* The audit log's columns: the small index columns first, the leaf last
 * (searches never read it). */
#define AUD_COLS "seq,time_ms,event,principal,session,ip,account_sid,outcome,leaf_hash,leaf"
#define AUD_IDX_COLS "seq,time_ms,event,principal,session,ip,account_sid,outcome,NULL,NULL"
#define AUD_SEARCH(col)                               \
  "SELECT " AUD_IDX_COLS " FROM audit_log WHERE " col \
  "=?1 AND time_ms>=?2 "                              \
  "AND time_ms<?3 ORDER BY time_ms,seq LIMIT ?4"
/* Staff rows (staff.c reads them in this order). */
#define STAFF_COLS "name,role,user_id,date_created"
#define STAFF_CRED_COLS \
  "staff,cred_id,alg,cose_key,sign_count,aaguid,user_verified,date_created,last_used"
#define STAFF_TOK_COLS "hash,kind,staff,purpose,action,uv_at,cred_id,created,expires"
#define CHANGE_COLS                                                               \
  "seq,sid,action,carrier,prefix,params,password,requested_by,status,decided_by," \
  "date_created,date_expires,date_decided"
#define AUD_CP_COLS "seq,tree_size,root,time,note"

/* Verify's prepared statements (a block of their own). */
enum {
  SV_SVC_INS,
  SV_SVC_UPD,
  SV_SVC_DEL,
  SV_SVC_GET,
  SV_VE_INS,
  SV_VE_RESEND,
  SV_VE_PENDING,
  SV_VE_SET,
  SV_VE_GET,
  SV_VE_FIND,
  SV_MSG_SEAL,
  SV_HIT_PRUNE,
  SV_HIT_COUNT,
  SV_HIT_INS,
  SV_FRAUD_GET,
  SV_FRAUD_PUT,
  SV_RL_INS,
  SV_RL_UPD,
  SV_RL_DEL,
  SV_RL_GET,
  SV_RB_INS,
  SV_RB_UPD,
  SV_RB_DEL,
  SV_RB_GET,
  SV_SENDER,
  SV_EN_INS,
  SV_EN_INS_IGNORE,
  SV_EN_DEL,
  SV_EN_GET,
  SV_FA_INS,
  SV_FA_UPD,
  SV_FA_DEL,
  SV_FA_GET,
  SV_FA_ATTEMPT,
  SV_CH_INS,
  SV_CH_RESPOND,
  SV_CH_GET,
  SV_FA_STATE,
  SV_FA_VERIFY,
  SV_FA_QR_SET,
  SV_FA_QR_TAKE,
  SV_FA_DUE,
  SV_CH_ENROLL_NEXT,
  SV_CH_EXPIRE,
  SV_WH_SUBSCRIBED,
  SV_HOOK_SHRED,
  SV_WH_INS,
  SV_WH_UPD,
  SV_WH_DEL,
  SV_WH_GET,
  SV__COUNT
};

#define VSVC_COLS                                                                       \
  "seq,sid,account_sid,friendly_name,code_length,lookup_enabled,psd2_enabled,"          \
  "skip_sms_to_landlines,dtmf_input_required,do_not_share_warning_enabled,"             \
  "custom_code_enabled,push_include_date,verify_event_subscription_enabled,tts_name,"   \
  "push_apn_credential_sid,push_fcm_credential_sid,default_template_sid,"               \
  "whatsapp_msg_service_sid,whatsapp_from,totp_issuer,totp_time_step,totp_code_length," \
  "totp_skew,date_created,date_updated,enrollment_wait,fraud_guard,allowed_country_codes"
/* Verify's sealed columns are read as stored and opened in C (verify.c,
 * store/seal.h). */
#define VE_COLS                                                                      \
  "seq,sid,service_sid,account_sid,to_addr,channel,status,code_hashes,sends,checks," \
  "send_attempts,expires_at,date_created,date_updated"
#define RL_COLS                                                           \
  "seq,sid,service_sid,account_sid,unique_name,description,date_created," \
  "date_updated"
#define RB_COLS                                                               \
  "seq,sid,rate_limit_sid,service_sid,account_sid,max,interval,date_created," \
  "date_updated"
#define EN_COLS "seq,sid,service_sid,account_sid,identity,date_created,date_updated"
#define FA_COLS                                                                     \
  "seq,sid,entity_sid,service_sid,account_sid,identity,friendly_name,status,"       \
  "factor_type,alg,time_step,skew,code_length,secret_sealed,last_counter,failures," \
  "metadata,date_created,date_updated,public_key,push_config,activate_at"
#define CH_COLS                                                                   \
  "seq,sid,factor_sid,entity_sid,service_sid,account_sid,identity,status,"        \
  "responded_reason,factor_type,details,hidden_details,metadata,expiration_date," \
  "date_responded,date_created,date_updated,enroll_factor_sid"
/* An access request's row; the reason (4) is sealed. */
#define LB_COLS                                                               \
  "seq,sid,account_sid,staff,reason,minutes,status,answered_by,date_created," \
  "date_updated,date_approved,date_revoked"
#define WH_COLS                                                                   \
  "seq,sid,service_sid,account_sid,friendly_name,event_types,webhook_url,status," \
  "version,date_created,date_updated"

typedef struct conn {
  sqlite3 *db;
  sqlite3_stmt *st[S__COUNT];
  pp_crypt_t *crypt_of;        /* the backend's */
  sqlite3_stmt *sv[SV__COUNT]; /* Verify's statements */
  bool torn;                   /* writer: a write failed after its first statement took effect */
  struct conn *next_free;
} conn_t;

typedef struct {
  pp_crypt_t *crypt; /* the store's; not owned */
  conn_t writer;
  conn_t readers[POOL];
  conn_t *free_list;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* Writer thread only: the audit tree's frontier (store/audit_log_int.h). */
  pp_audit_writer_t aud;
} be_t;

/* A list query built from fixed fragments (no caller text in the SQL): the
 * keyset condition, filters bound as parameters, LIMIT limit+1 to learn
 * whether there is more. */
typedef struct {
  char sql[4096];
  size_t len;
} sqlb_t;

/* Reads the statement's current row into `row` with the backend's keys (it
 * opens sealed columns), allocating from `a`; `arg` the list binder's (NULL
 * elsewhere).  PP_OK, or the error that ends the read; in a list,
 * PP_ERR_NOT_FOUND skips the row (a filter on a sealed column). */
typedef pp_err_t (*row_open_fn)(be_t *b, const void *arg, pp_arena_t *a, sqlite3_stmt *st,
                                void *row);

/* ---- statements.c -------------------------------------------------- */

/* The SQL of each statement id S_*, prepared on every connection. */
extern const char *sq_sql_text[S__COUNT];

/* The SQL of each Verify statement id SV_*, prepared on every connection. */
extern const char *sq_verify_sql[SV__COUNT];

/* ---- conn.c -------------------------------------------------------- */

/* The error for the connection's last failure. */
pp_err_t sq_db_err(sqlite3 *db, const char *what);

/* The crypt's index-key loader. */
pp_err_t sq_load_index(void *be, void *conn, const char *name, char hex[65]);

/* A reader connection from the pool, waiting until one is free; give it back with sq_release. */
conn_t *sq_acquire(be_t *b);

/* Gives `c` back to the pool and wakes one waiting sq_acquire. */
void sq_release(be_t *b, conn_t *c);

/* Operations of pp_store_sqlite (store.h states each contract). */
void sq_close(void *p);
pp_err_t sq_open(const char *dir, pp_crypt_t *crypt, void **out);

/* ---- query.c ------------------------------------------------------- */

/* Binds `s` as text at `i`, or NULL when `s` is NULL (SQLITE_STATIC: `s` must outlive the step). */
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Column `i` as text copied into `a`; NULL for SQL NULL. */
const char *sq_col_dup(pp_arena_t *a, sqlite3_stmt *st, int i);

/* Column `i` as text into `dst` (truncated to `size`; empty for NULL). */
void sq_col_copy(char *dst, size_t size, sqlite3_stmt *st, int i);

/* A plain column of a row: its kind, its index in the statement, and the
 * field it is read into (offset and size in the row's struct). */
typedef enum { SQ_I64, SQ_INT, SQ_BOOL, SQ_TEXT } sq_col_kind_t;
typedef struct {
  sq_col_kind_t kind;
  int col;
  size_t off, size;
} sq_col_t;
#define SQ_COL(kind, T, f, i) \
  { kind, i, offsetof(T, f), sizeof(((T *)0)->f) }

/* Reads the n columns of `cols` from the current row of `st` into the
 * struct at `row` (SQ_TEXT as sq_col_copy: NULL reads ''). */
void sq_read_cols(sqlite3_stmt *st, const sq_col_t *cols, size_t n, void *row);

/* Binds the n fields of `cols` from the struct at `row`, each at the
 * parameter numbered as its column (a table's parameters follow its
 * columns); a table's first entry, the store-assigned seq, is left out by
 * passing cols + 1. */
void sq_bind_cols(sqlite3_stmt *st, const sq_col_t *cols, size_t n, const void *row);
#define SQ_NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

/* Steps `st` once, resets it and clears its bindings; returns the step's code. */
int sq_step_done(sqlite3_stmt *st);

/* A write's outcome from its step code: PP_ERR_NOT_FOUND when `changes_expected` and no row
 * changed, PP_ERR_CONFLICT for a constraint, else sq_db_err. */
pp_err_t sq_result_of(sqlite3 *db, int rc, int changes_expected);

/* The largest row (`size` bytes) sq_get_one and sq_get_one_open read. */
#define SQ_GET_MAX 4096

/* Reads the first row of statement `which` keyed by k1 (and k2 unless NULL) on a pooled connection
 * into `out` (`size` bytes, written only on success) with `fill`; PP_ERR_NOT_FOUND when none. */
pp_err_t sq_get_one(be_t *b, int which, const char *k1, const char *k2,
                    void (*fill)(sqlite3_stmt *, void *), size_t size, void *out);

/* Appends `s` to the query being built (dropped when it would not fit). */
void sq_sqlb_add(sqlb_t *q, const char *s);

/* Empties `q` and starts it with `s` (as sq_sqlb_add): every list query
 * begins here, so `q` needs no initialiser. */
void sq_sqlb_start(sqlb_t *q, const char *s);

/* Appends the ORDER BY and LIMIT of a page request (with :after, :before, :limit). */
void sq_page_clause(sqlb_t *q, const pp_page_req_t *pg);

/* Binds `v` to the named parameter when the statement has it. */
void sq_bind_named_text(sqlite3_stmt *st, const char *name, const char *v);

/* Binds `v` to the named parameter when the statement has it. */
void sq_bind_named_int(sqlite3_stmt *st, const char *name, int64_t v);

/* A row reader: the statement's current row into `row`, reading on `c`
 * (to open sealed columns) with the caller's `ctx`; an error ends the list. */
typedef pp_err_t (*row_read_fn)(conn_t *c, pp_arena_t *a, sqlite3_stmt *st, const void *ctx,
                                void *row);

/* Prepares `sql` on a pooled connection, binds it with `binder` and the page, and collects up to
 * the page's limit of rows of `size` bytes with `read` (and `ctx`) into `a`; *more_out when more
 * remain. */
pp_err_t sq_run_list_read(be_t *b, pp_arena_t *a, const char *sql,
                          void (*binder)(sqlite3_stmt *, const void *), const void *arg,
                          const pp_page_req_t *pg, size_t size, row_read_fn read, const void *ctx,
                          void **rows_out, size_t *n_out, bool *more_out);

/* sq_run_list_read with a filler that opens sealed columns (given `arg`). */
pp_err_t sq_run_list_open(be_t *b, pp_arena_t *a, const char *sql,
                          void (*binder)(sqlite3_stmt *, const void *), const void *arg,
                          const pp_page_req_t *pg, size_t size, row_open_fn open, void **rows_out,
                          size_t *n_out, bool *more_out);

/* One condition of a list for sq_list_where: `sql` ("status = :status")
 * added, and its parameter `name` bound to `v`, only when `on`; `v` is a
 * text (NULL binds NULL), an int64_t or a blind index (PP_BLIND_INDEX_LEN
 * bytes), as `by` says. */
typedef enum { SQ_BY_TEXT, SQ_BY_INT, SQ_BY_INDEX } sq_cond_by_t;
typedef struct {
  bool on;
  const char *sql, *name;
  sq_cond_by_t by;
  const void *v;
} sq_cond_t;

/* The page of rows `select` ("SELECT <columns> FROM <table>") finds where
 * the conditions that are `on` hold (the first is always on), read with
 * `open` (its `arg` is not for it) as sq_run_list_open reads them. */
pp_err_t sq_list_where(be_t *b, pp_arena_t *a, const char *select, const sq_cond_t *conds,
                       size_t n_conds, const pp_page_req_t *pg, size_t size, row_open_fn open,
                       void **rows, size_t *n, bool *more);

/* The page of rows `select` ("SELECT <columns> FROM <table>") finds
 * within the account and, when parent_col is not NULL, within the parent
 * row whose key column parent_col equals `parent`; read as sq_run_list_read
 * reads them. */
pp_err_t sq_list_in(be_t *b, pp_arena_t *a, const char *select, const char *parent_col,
                    const char *account_sid, const char *parent, const pp_page_req_t *pg,
                    size_t size, row_read_fn read, const void *ctx, void **rows, size_t *n,
                    bool *more);

/* sq_list_in with a filler that opens sealed columns (its `arg` is NULL). */
pp_err_t sq_list_in_open(be_t *b, pp_arena_t *a, const char *select, const char *parent_col,
                         const char *account_sid, const char *parent, const pp_page_req_t *pg,
                         size_t size, row_open_fn open, void **rows, size_t *n, bool *more);

/* sq_get_one, sq_read_all and sq_first_row with a filler that opens sealed columns. */
pp_err_t sq_get_one_open(be_t *b, int which, const char *k1, const char *k2, row_open_fn open,
                         pp_arena_t *a, size_t size, void *out);
pp_err_t sq_read_all_open(be_t *b, int which, pp_arena_t *a, size_t size, row_open_fn open,
                          void **rows_out, size_t *n_out);
pp_err_t sq_first_row_open(be_t *b, conn_t *c, sqlite3_stmt *st, row_open_fn open, const void *arg,
                           pp_arena_t *a, void *out);

/* Reads a whole small table with a cached statement, growing the array. */
pp_err_t sq_read_all(be_t *b, int which, pp_arena_t *a, size_t size,
                     void (*fill)(sqlite3_stmt *, void *), void **rows_out, size_t *n_out);
/* sq_read_all over the rows of one key: statement `which` with its ?1 bound
 * to `key`. */
pp_err_t sq_read_all_of(be_t *b, int which, const char *key, pp_arena_t *a, size_t size,
                        void (*fill)(sqlite3_stmt *, void *), void **rows_out, size_t *n_out);

/* Steps a cached statement whose keys are already bound, for its first row. */
pp_err_t sq_first_row(be_t *b, conn_t *c, sqlite3_stmt *st, void (*fill)(sqlite3_stmt *, void *),
                      void *out);

/* A row filler: column 0 into a char[20] (an E.164 number). */
void sq_fill_phone(sqlite3_stmt *st, void *out);

/* ---- sealcol.c ----------------------------------------------------- */

/* Binds a value of a row: NULL, a text or a blob of `len` bytes (SQLITE_STATIC). */
void sq_bind_value(sqlite3_stmt *st, int i, pp_seal_kind_t kind, const void *v, size_t len);

/* What column `i` of the current row holds: NULL, a text or a blob. */
pp_seal_kind_t sq_col_kind(sqlite3_stmt *st, int i);

/* A text (NULL: SQL NULL) of sealed column `id`, to seal with sq_bind_seal_row. */
pp_seal_value_t sq_seal_text(pp_sealed_id_t id, const char *s);

/* Seals the `n` values of one row at `at` (pp_seal_row: one key lookup) and
 * binds each v[i] at parameter params[i].  *buf as pp_seal_row's: free it
 * after the step. */
pp_err_t sq_bind_seal_row(conn_t *c, sqlite3_stmt *st, const pp_seal_at_t *at, pp_seal_value_t *v,
                          const int *params, size_t n, unsigned char **buf);

/* sq_bind_seal_row for the row `row` of `account` (the coordinates of
 * v[0]'s column; account NULL for a system column); on an error the
 * statement's bindings are cleared. */
pp_err_t sq_seal_bind(conn_t *c, sqlite3_stmt *st, const char *account, const char *row,
                      pp_seal_value_t *v, const int *params, size_t n, unsigned char **buf);

/* Steps an insert (`insert`) or an update (a row must change) whose sealed
 * values are in `buf` (freed): the row's seq into *seq (unless NULL) after
 * an insert. */
pp_err_t sq_step_write(conn_t *c, sqlite3_stmt *st, unsigned char *buf, bool insert, int64_t *seq);

/* Binds index `id` of `s` (NULL: SQL NULL) at parameter `i`; `out` holds
 * the index until the step.  On an error the bindings are cleared. */
pp_err_t sq_bind_index(conn_t *c, sqlite3_stmt *st, int i, pp_index_id_t id, const char *s,
                       unsigned char out[PP_BLIND_INDEX_LEN]);

/* Opens column `i` of the current row, sealed at `at` (pp_seal_open: a
 * malloc'd text the caller frees, NULL for SQL NULL). */
pp_err_t sq_col_open(pp_crypt_t *crypt, sqlite3_stmt *st, int i, const pp_seal_at_t *at, char **out,
                     size_t *len);

/* sq_col_open into `a` (*out NULL for SQL NULL). */
pp_err_t sq_col_open_dup(pp_crypt_t *crypt, pp_arena_t *a, sqlite3_stmt *st, int i,
                         const pp_seal_at_t *at, const char **out);

/* sq_col_open into `dst` (truncated to `size`; empty for NULL); the
 * plaintext's copy is wiped. */
pp_err_t sq_col_open_copy(pp_crypt_t *crypt, sqlite3_stmt *st, int i, const pp_seal_at_t *at,
                          char *dst, size_t size);

/* One sealed column of a row to open: into dst[size], or (dup non-NULL)
 * into the arena at *dup. */
typedef struct {
  pp_sealed_id_t id;
  int col;
  char *dst;
  size_t size;
  pp_arena_t *arena;
  const char **dup;
} sq_open_col_t;

/* Opens the `n` columns of the current row of `account`'s row `row`. */
pp_err_t sq_open_row(pp_crypt_t *crypt, sqlite3_stmt *st, const char *account, const char *row,
                     const sq_open_col_t *cols, size_t n);

/* ---- schema.c ------------------------------------------------------ */

/* Applies the missing schema steps on b's writer, each in its own BEGIN IMMEDIATE transaction that
 * re-checks the version, so two processes starting at once never apply a step twice. */
pp_err_t sq_migrate(be_t *b);

/* ---- apply.c ------------------------------------------------------- */

/* Inserts `m` with S_MSG_INS (writer thread). */
pp_err_t sq_insert_message(conn_t *c, pp_message_t *m);

/* Inserts `al` with S_ALERT_INS (writer thread). */
pp_err_t sq_insert_alert(conn_t *c, pp_alert_t *al);

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_apply(void *p, pp_write_t **ws, size_t n, bool *changed);

/* ---- hooks.c ------------------------------------------------------- */

/* After message `m` was inserted (writer thread): its status webhook and its
 * inbound webhook, as store/rules.h decides; (cb_kind, cb, cb_len) is its
 * status_callback as bound (sealed), `to_bidx` its to_bidx.  Sets c->torn on
 * an error. */
pp_err_t sq_message_inserted(conn_t *c, const pp_message_t *m, pp_seal_kind_t cb_kind,
                             const void *cb, size_t cb_len,
                             const unsigned char to_bidx[PP_BLIND_INDEX_LEN]);

/* Steps `st`, a bound UPDATE of messages.status ... RETURNING MSG_SET_COLS,
 * and for each message it changed drops its message_sealed row and queues
 * its status webhook as store/rules.h decides; `old_status` is the status
 * before (NULL: known to differ).  PP_ERR_NOT_FOUND when `changes_expected`
 * and no row changed; c->torn set when a follow-up write failed. */
pp_err_t sq_status_set(conn_t *c, sqlite3_stmt *st, const char *old_status, int changes_expected);

/* ---- rotate.c ------------------------------------------------------ */

/* Reseals the next batch of one table's sealed columns with the newest key (writer thread). */
pp_err_t sq_apply_reseal(conn_t *c, pp_reseal_t *rs);

/* Makes the account's next data key (PP_W_ACCOUNT_REKEY; writer thread). */
pp_err_t sq_dek_next(conn_t *c, const char *account_sid);

/* Wraps every data key again under a new master key (PP_W_KEYS_REWRAP;
 * writer thread). */
pp_err_t sq_dek_rewrap(conn_t *c, pp_rewrap_t *rw);

/* ---- audit.c ------------------------------------------------------- */

/* The audit log's row primitives, each on the conn_t given as ctx: what
 * the backend-neutral logic (store/audit_log_int.h) appends, checkpoints
 * and proves with. */
extern const pp_audit_rows_t sq_audit_rows;

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_audit_head(void *p, pp_audit_head_t *out);
pp_err_t sq_audit_get(void *p, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out);
pp_err_t sq_audit_list(void *p, pp_arena_t *a, const pp_audit_filter_t *f, pp_audit_entry_t **rows,
                       size_t *n, bool *more);
pp_err_t sq_audit_scan(void *p, pp_arena_t *a, int64_t from_seq, size_t limit,
                       pp_audit_entry_t **rows_out, size_t *n_out);
pp_err_t sq_audit_search(void *p, pp_arena_t *a, const pp_audit_query_t *q,
                         pp_audit_entry_t **rows_out, size_t *n_out);
pp_err_t sq_audit_node(void *p, unsigned level, uint64_t index,
                       unsigned char out[PP_MERKLE_HASH_LEN]);
pp_err_t sq_audit_root(void *p, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]);
pp_err_t sq_audit_proof(void *p, bool consistency, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                        size_t cap, size_t *count);
pp_err_t sq_audit_checkpoint_latest(void *p, pp_audit_checkpoint_t *out);
pp_err_t sq_audit_checkpoint_list(void *p, pp_arena_t *a, int64_t after_seq, size_t limit,
                                  pp_audit_checkpoint_t **rows_out, size_t *n_out);

/* ---- accounts.c ---------------------------------------------------- */

/* Inserts or replaces a carrier, its password sealed (writer thread). */
pp_err_t sq_apply_carrier(conn_t *c, const pp_carrier_t *k);

/* Inserts or updates an account (writer thread). */
pp_err_t sq_apply_account(conn_t *c, pp_account_t *a, bool insert);

/* Makes generation `generation` of the account's data key and inserts it
 * wrapped with statement `which` (?1 account, ?2 now, ?3 generation, ?4
 * wrapped, ?5 the master key's id). */
pp_err_t sq_dek_insert(conn_t *c, int which, const char *account_sid, uint32_t generation,
                       int64_t now);

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_account_get(void *p, const char *sid, pp_account_t *out);
pp_err_t sq_named_key(void *p, const char *name, char hex[65]);
pp_err_t sq_account_auth(void *p, const char *sid, pp_account_t *out, unsigned char hashes[2][32]);
pp_err_t sq_key_get(void *p, const char *sid, pp_key_t *out);
pp_err_t sq_account_list(void *p, pp_arena_t *a, const pp_account_filter_t *f, pp_account_t **rows,
                         size_t *n, bool *more);
pp_err_t sq_key_list(void *p, pp_arena_t *a, const char *account_sid, const pp_page_req_t *pg,
                     pp_key_t **rows, size_t *n, bool *more);
pp_err_t sq_carrier_all(void *p, pp_arena_t *a, pp_carrier_t **rows, size_t *n);
pp_err_t sq_route_all(void *p, pp_arena_t *a, pp_route_rule_t **rows, size_t *n);

/* ---- messages.c ---------------------------------------------------- */

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_message_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_message_t *out);
pp_err_t sq_message_count(void *p, int64_t *out);
pp_err_t sq_message_list(void *p, pp_arena_t *a, const pp_message_filter_t *f, pp_message_t **rows,
                         size_t *n, bool *more);
pp_err_t sq_parts_awaiting(void *p, pp_arena_t *a, int64_t after_id, size_t limit,
                           pp_part_awaiting_t **rows, size_t *n);
pp_err_t sq_hook_next_due(void *p, int64_t *out_ms);
pp_err_t sq_alert_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                      pp_alert_t *out);
pp_err_t sq_alert_list(void *p, pp_arena_t *a, const pp_alert_filter_t *f, pp_alert_t **rows,
                       size_t *n, bool *more);

/* ---- numbers.c ----------------------------------------------------- */

/* Inserts or updates a service. */
pp_err_t sq_apply_service(conn_t *c, pp_service_t *sv, bool insert);

/* Inserts or updates a number, its five columns sealed, its blind index
 * beside (writer thread). */
pp_err_t sq_apply_number(conn_t *c, pp_number_t *num, bool insert);

/* Puts or deletes an offer (writer thread). */
pp_err_t sq_apply_offer(conn_t *c, const pp_number_offer_t *o, bool put);

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_number_owner(void *p, pp_arena_t *a, const char *phone_number,
                         char account_sid[PP_SID_SIZE], const char **status_callback);
pp_err_t sq_number_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                       const char *phone_number, pp_number_t *out);
pp_err_t sq_number_list(void *p, pp_arena_t *a, const pp_number_filter_t *f, pp_number_t **rows,
                        size_t *n, bool *more);
pp_err_t sq_sender_allowed(void *p, const char *account_sid, const char *sender);
pp_err_t sq_offer_get(void *p, const char *phone_number, pp_number_offer_t *out);
/* Staff (staff.c): a PP_W_STAFF change (writer thread), and the reads. */
pp_err_t sq_apply_staff(conn_t *c, const pp_staff_change_t *ch);
pp_err_t sq_staff_get(void *p, const char *name, pp_staff_t *out);
pp_err_t sq_staff_list(void *p, pp_arena_t *a, pp_staff_t **rows, size_t *n);
pp_err_t sq_staff_creds(void *p, pp_arena_t *a, const char *staff, pp_staff_cred_t **rows,
                        size_t *n);
pp_err_t sq_staff_cred_get(void *p, const uint8_t *id, size_t id_len, pp_staff_cred_t *out);
pp_err_t sq_staff_token_get(void *p, const uint8_t *hash, pp_staff_token_t *out);

/* Change requests (change.c): inserted or decided with a write (writer
 * thread), and the reads. */
pp_err_t sq_apply_change(conn_t *c, const pp_change_write_t *cw);
pp_err_t sq_change_get(void *p, const char *sid, pp_change_t *out);
pp_err_t sq_change_list(void *p, pp_arena_t *a, const char *status, pp_change_t **rows, size_t *n);
pp_err_t sq_offer_all(void *p, pp_arena_t *a, pp_number_offer_t **rows, size_t *n);
pp_err_t sq_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_service_t *out);
pp_err_t sq_service_list(void *p, pp_arena_t *a, const char *account_sid, const pp_page_req_t *pg,
                         pp_service_t **rows, size_t *n, bool *more);
pp_err_t sq_service_number_get(void *p, const char *account_sid, const char *service_sid,
                               const char *sid, pp_service_number_t *out);
pp_err_t sq_service_number_list(void *p, pp_arena_t *a, const char *account_sid,
                                const char *service_sid, const pp_page_req_t *pg,
                                pp_service_number_t **rows, size_t *n, bool *more);
pp_err_t sq_service_sender(void *p, const char *account_sid, const char *service_sid,
                           const char *to, int64_t to_hash, bool sticky, char out[20]);

/* ---- hooks.c ------------------------------------------------------- */

/* Queues a webhook request that carries its own form `body` (kind "verify"
 * or "lockbox", its `event`) to `url` (url_len bytes, plain; NULL queues
 * nothing), in order per `owner` (its message_sid), for `account`: the URL
 * and the body sealed for the queue row ("webhooks", "url"/"body", owner
 * "." a random id).  Writer thread; `now` in Unix seconds. */
pp_err_t sq_hook_queue_form(conn_t *c, const char *account, const char *owner, const char *kind,
                            const char *event, const char *url, size_t url_len, const char *body,
                            int64_t now);

/* ---- lockbox.c ----------------------------------------------------- */

/* PP_W_LOCKBOX and PP_W_LOCKBOX_SETTINGS (writer thread). */
pp_err_t sq_apply_lockbox(conn_t *c, pp_write_t *w);

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_lockbox_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_lockbox_request_t *out);
pp_err_t sq_counts(void *p, int what, const char *account_sid, int64_t *out, size_t n);
pp_err_t sq_lockbox_list(void *p, pp_arena_t *a, const pp_lockbox_filter_t *f,
                         pp_lockbox_request_t **rows, size_t *n, bool *more);
pp_err_t sq_lockbox_settings(void *p, pp_arena_t *a, const char *account_sid,
                             pp_lockbox_settings_t *out);

/* ---- verify.c ------------------------------------------------------ */

/* Verify's writes change several rows. */
pp_err_t sq_apply_verify(conn_t *c, pp_write_t *w);

/* Operations of pp_store_sqlite (store.h states each contract). */
pp_err_t sq_verify_webhook_get(void *p, pp_arena_t *a, const char *account_sid,
                               const char *service_sid, const char *sid, pp_verify_webhook_t *out);
pp_err_t sq_verify_webhook_list(void *p, pp_arena_t *a, const char *account_sid,
                                const char *service_sid, const pp_page_req_t *pg,
                                pp_verify_webhook_t **rows, size_t *n, bool *more);
pp_err_t sq_verify_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                               pp_verify_service_t *out);
pp_err_t sq_verify_service_list(void *p, pp_arena_t *a, const char *account_sid,
                                const pp_page_req_t *pg, pp_verify_service_t **rows, size_t *n,
                                bool *more);
pp_err_t sq_verification_get(void *p, pp_arena_t *a, const char *account_sid,
                             const char *service_sid, const char *sid, const char *to,
                             pp_verification_t *out);
pp_err_t sq_verify_sender(void *p, const char *account_sid, char out[20]);
pp_err_t sq_rate_limit_get(void *p, pp_arena_t *a, const char *account_sid, const char *service_sid,
                           const char *sid, pp_rate_limit_t *out);
pp_err_t sq_rate_limit_list(void *p, pp_arena_t *a, const char *account_sid,
                            const char *service_sid, const pp_page_req_t *pg,
                            pp_rate_limit_t **rows, size_t *n, bool *more);
pp_err_t sq_rate_bucket_get(void *p, const char *account_sid, const char *rate_limit_sid,
                            const char *sid, pp_rate_bucket_t *out);
pp_err_t sq_rate_bucket_list(void *p, pp_arena_t *a, const char *account_sid,
                             const char *rate_limit_sid, const pp_page_req_t *pg,
                             pp_rate_bucket_t **rows, size_t *n, bool *more);
pp_err_t sq_entity_get(void *p, const char *account_sid, const char *service_sid,
                       const char *identity, pp_verify_entity_t *out);
pp_err_t sq_entity_list(void *p, pp_arena_t *a, const char *account_sid, const char *service_sid,
                        const pp_page_req_t *pg, pp_verify_entity_t **rows, size_t *n, bool *more);
pp_err_t sq_factor_get(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                       const char *sid, pp_verify_factor_t *out);
pp_err_t sq_factor_list(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                        const pp_page_req_t *pg, pp_verify_factor_t **rows, size_t *n, bool *more);
pp_err_t sq_challenge_get(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                          const char *sid, pp_verify_challenge_t *out);
pp_err_t sq_challenge_list(void *p, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                           const pp_page_req_t *pg, pp_verify_challenge_t **rows, size_t *n,
                           bool *more);

#endif

/* backend.h (private to src/store/ and its backends): what a store
 * backend implements and sees, beside the public interface (store/store.h,
 * which this includes).  A backend (sqlite/, later postgres/) fills one
 * pp_store_backend_t; the facade (store.c) calls it.  No other layer
 * includes this header (src/LAYERS, tools/check-layers.sh). */
#ifndef PP_STORE_BACKEND_H
#define PP_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct pp_crypt; /* store/crypt.h */

/* A byte string. */
typedef struct {
  const unsigned char *p;
  size_t n;
} pp_blob_t;

/* A new message's fields as the store keeps them: sealed (and its numbers'
 * blind indexes), made by pp_store_submit on the caller's thread so that the
 * writer thread does no cryptography for the hot path.  Store-internal. */
typedef struct pp_message_sealed {
  pp_blob_t to, from, body, media_urls, status_callback; /* n == 0: as given */
  unsigned char to_bidx[32], from_bidx[32];
} pp_message_sealed_t;

/* ---- Backend vtable -------------------------------------------------- */

typedef struct pp_store_backend pp_store_backend_t;

struct pp_store_backend {
  const char *name;
  /* Opens `target` (backend-specific), creating or migrating the schema;
   * seals and opens customer content with `crypt` (store/crypt.h). */
  pp_err_t (*open)(const char *target, struct pp_crypt *crypt, void **be_out);
  void (*close)(void *be);
  /* Applies `n` writes in one durable transaction.  Sets each w->result;
   * returns PP_OK when the transaction committed (individual writes may
   * still have failed), an error when nothing was committed.  A write or
   * batch that failed for want of space (a full disk) fails with
   * PP_ERR_STORE_FULL, which the backend does not log.  *changed: the
   * committed transaction changed at least one row. */
  pp_err_t (*apply)(void *be, pp_write_t **ws, size_t n, bool *changed);
  pp_err_t (*account_get)(void *be, const char *sid, pp_account_t *out);
  pp_err_t (*account_list)(void *be, pp_arena_t *a, const pp_account_filter_t *f,
                           pp_account_t **rows, size_t *n, bool *more);
  pp_err_t (*key_get)(void *be, const char *sid, pp_key_t *out);
  pp_err_t (*key_list)(void *be, pp_arena_t *a, const char *account_sid, const pp_page_req_t *p,
                       pp_key_t **rows, size_t *n, bool *more);
  pp_err_t (*message_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                          pp_message_t *out);
  pp_err_t (*message_list)(void *be, pp_arena_t *a, const pp_message_filter_t *f,
                           pp_message_t **rows, size_t *n, bool *more);
  pp_err_t (*message_count)(void *be, int64_t *out);
  /* account_sid NULL: look the number up by phone_number in any account. */
  pp_err_t (*number_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                         const char *phone_number, pp_number_t *out);
  pp_err_t (*number_list)(void *be, pp_arena_t *a, const pp_number_filter_t *f, pp_number_t **rows,
                          size_t *n, bool *more);
  /* Every carrier / route (small tables), into the arena. */
  pp_err_t (*carrier_all)(void *be, pp_arena_t *a, pp_carrier_t **rows, size_t *n);
  pp_err_t (*route_all)(void *be, pp_arena_t *a, pp_route_rule_t **rows, size_t *n);
  /* PP_OK when `sender` is an alphanumeric sender ID allowed to the
   * account, else PP_ERR_NOT_FOUND. */
  pp_err_t (*sender_allowed)(void *be, const char *account_sid, const char *sender);
  /* The operator's offer of `phone_number`, PP_ERR_NOT_FOUND when none;
   * every offer (into the arena), by number. */
  pp_err_t (*offer_get)(void *be, const char *phone_number, pp_number_offer_t *out);
  pp_err_t (*offer_all)(void *be, pp_arena_t *a, pp_number_offer_t **rows, size_t *n);
  /* The earliest next attempt of any webhook request (Unix ms), PP_ERR_NOT_FOUND
   * when none is queued. */
  pp_err_t (*hook_next_due)(void *be, int64_t *out_ms);
  pp_err_t (*parts_awaiting)(void *be, pp_arena_t *a, int64_t after_id, size_t limit,
                             pp_part_awaiting_t **rows, size_t *n);
  pp_err_t (*alert_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                        pp_alert_t *out);
  pp_err_t (*alert_list)(void *be, pp_arena_t *a, const pp_alert_filter_t *f, pp_alert_t **rows,
                         size_t *n, bool *more);
  /* Messaging Services and their sender pools, always within one account. */
  pp_err_t (*service_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                          pp_service_t *out);
  pp_err_t (*service_list)(void *be, pp_arena_t *a, const char *account_sid, const pp_page_req_t *p,
                           pp_service_t **rows, size_t *n, bool *more);
  pp_err_t (*service_number_get)(void *be, const char *account_sid, const char *service_sid,
                                 const char *sid, pp_service_number_t *out);
  pp_err_t (*service_number_list)(void *be, pp_arena_t *a, const char *account_sid,
                                  const char *service_sid, const pp_page_req_t *p,
                                  pp_service_number_t **rows, size_t *n, bool *more);
  /* The sender for a message of the service to `to`: with `sticky`, the
   * pool number the service last sent to `to` from; otherwise (or when there
   * is none) the pool's number at `to_hash` modulo the pool size, in the
   * order the numbers were added.  PP_ERR_NOT_FOUND: the pool is empty. */
  pp_err_t (*service_sender)(void *be, const char *account_sid, const char *service_sid,
                             const char *to, int64_t to_hash, bool sticky, char out[20]);
  /* Signing in: the account with its tokens left empty, and the keyed
   * hashes of its tokens (secondary all zero when it has none). */
  pp_err_t (*account_auth)(void *be, const char *sid, pp_account_t *out,
                           unsigned char hashes[2][32]);
  /* The account owning `phone_number` and that number's StatusCallback
   * (NULL when unset, in the arena). */
  pp_err_t (*number_owner)(void *be, pp_arena_t *a, const char *phone_number,
                           char account_sid[PP_SID_SIZE], const char **status_callback);
  /* Verify (verify/v2): reads within one account; see the facade. */
  pp_err_t (*verify_service_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                                 pp_verify_service_t *out);
  pp_err_t (*verify_service_list)(void *be, pp_arena_t *a, const char *account_sid,
                                  const pp_page_req_t *p, pp_verify_service_t **rows, size_t *n,
                                  bool *more);
  pp_err_t (*verification_get)(void *be, pp_arena_t *a, const char *account_sid,
                               const char *service_sid, const char *sid, const char *to,
                               pp_verification_t *out);
  pp_err_t (*verify_sender)(void *be, const char *account_sid, char out[20]);
  pp_err_t (*rate_limit_get)(void *be, pp_arena_t *a, const char *account_sid,
                             const char *service_sid, const char *sid, pp_rate_limit_t *out);
  pp_err_t (*rate_limit_list)(void *be, pp_arena_t *a, const char *account_sid,
                              const char *service_sid, const pp_page_req_t *p,
                              pp_rate_limit_t **rows, size_t *n, bool *more);
  pp_err_t (*rate_bucket_get)(void *be, const char *account_sid, const char *rate_limit_sid,
                              const char *sid, pp_rate_bucket_t *out);
  pp_err_t (*rate_bucket_list)(void *be, pp_arena_t *a, const char *account_sid,
                               const char *rate_limit_sid, const pp_page_req_t *p,
                               pp_rate_bucket_t **rows, size_t *n, bool *more);
  pp_err_t (*entity_get)(void *be, const char *account_sid, const char *service_sid,
                         const char *identity, pp_verify_entity_t *out);
  pp_err_t (*entity_list)(void *be, pp_arena_t *a, const char *account_sid, const char *service_sid,
                          const pp_page_req_t *p, pp_verify_entity_t **rows, size_t *n, bool *more);
  pp_err_t (*factor_get)(void *be, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                         const char *sid, pp_verify_factor_t *out);
  pp_err_t (*factor_list)(void *be, pp_arena_t *a, const char *account_sid, const char *entity_sid,
                          const pp_page_req_t *p, pp_verify_factor_t **rows, size_t *n, bool *more);
  pp_err_t (*challenge_get)(void *be, pp_arena_t *a, const char *account_sid,
                            const char *entity_sid, const char *sid, pp_verify_challenge_t *out);
  pp_err_t (*challenge_list)(void *be, pp_arena_t *a, const char *account_sid,
                             const char *entity_sid, const pp_page_req_t *p,
                             pp_verify_challenge_t **rows, size_t *n, bool *more);
  pp_err_t (*verify_webhook_get)(void *be, pp_arena_t *a, const char *account_sid,
                                 const char *service_sid, const char *sid,
                                 pp_verify_webhook_t *out);
  pp_err_t (*verify_webhook_list)(void *be, pp_arena_t *a, const char *account_sid,
                                  const char *service_sid, const pp_page_req_t *p,
                                  pp_verify_webhook_t **rows, size_t *n, bool *more);
  /* The lockbox: see pp_store_lockbox_*. */
  pp_err_t (*lockbox_get)(void *be, pp_arena_t *a, const char *account_sid, const char *sid,
                          pp_lockbox_request_t *out);
  pp_err_t (*lockbox_list)(void *be, pp_arena_t *a, const pp_lockbox_filter_t *f,
                           pp_lockbox_request_t **rows, size_t *n, bool *more);
  pp_err_t (*lockbox_settings)(void *be, pp_arena_t *a, const char *account_sid,
                               pp_lockbox_settings_t *out);
  /* A random 32-byte key the store keeps sealed with its own key (e.g.
   * "verify"), as 64 hex digits.  PP_ERR_NOT_FOUND when there is none. */
  pp_err_t (*named_key)(void *be, const char *name, char hex[65]);
  /* Audit log: see the pp_store_audit_* functions. */
  pp_err_t (*audit_head)(void *be, pp_audit_head_t *out);
  pp_err_t (*audit_get)(void *be, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out);
  pp_err_t (*audit_list)(void *be, pp_arena_t *a, const pp_audit_filter_t *f,
                         pp_audit_entry_t **rows, size_t *n, bool *more);
  pp_err_t (*audit_scan)(void *be, pp_arena_t *a, int64_t from_seq, size_t limit,
                         pp_audit_entry_t **rows, size_t *n);
  pp_err_t (*audit_search)(void *be, pp_arena_t *a, const pp_audit_query_t *q,
                           pp_audit_entry_t **rows, size_t *n);
  pp_err_t (*audit_node)(void *be, unsigned level, uint64_t index,
                         unsigned char out[PP_MERKLE_HASH_LEN]);
  pp_err_t (*audit_root)(void *be, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]);
  pp_err_t (*audit_proof)(void *be, bool consistency, uint64_t m, uint64_t n, pp_merkle_hash_t *out,
                          size_t cap, size_t *count);
  pp_err_t (*audit_checkpoint_latest)(void *be, pp_audit_checkpoint_t *out);
  pp_err_t (*audit_checkpoint_list)(void *be, pp_arena_t *a, int64_t after_seq, size_t limit,
                                    pp_audit_checkpoint_t **rows, size_t *n);
  /* Staff: see the pp_store_staff_* functions. */
  pp_err_t (*staff_get)(void *be, const char *name, pp_staff_t *out);
  pp_err_t (*staff_list)(void *be, pp_arena_t *a, pp_staff_t **rows, size_t *n);
  pp_err_t (*staff_creds)(void *be, pp_arena_t *a, const char *staff, pp_staff_cred_t **rows,
                          size_t *n);
  pp_err_t (*staff_cred_get)(void *be, const uint8_t *id, size_t id_len, pp_staff_cred_t *out);
  pp_err_t (*staff_token_get)(void *be, const uint8_t *hash, pp_staff_token_t *out);
  /* Change requests: see pp_store_change_get and pp_store_change_list. */
  pp_err_t (*change_get)(void *be, const char *sid, pp_change_t *out);
  pp_err_t (*change_list)(void *be, pp_arena_t *a, const char *status, pp_change_t **rows,
                          size_t *n);
  /* The staff overview's counts: `what` 0 an account's (messages, numbers,
   * Verify services), 1 the queues' (messages, webhooks waiting; account_sid
   * NULL); `n` of them into out. */
  pp_err_t (*counts)(void *be, int what, const char *account_sid, int64_t *out, size_t n);
};

/* The SQLite backend (src/store/sqlite/, entry in backend.c). */
extern const pp_store_backend_t pp_store_sqlite;

#endif

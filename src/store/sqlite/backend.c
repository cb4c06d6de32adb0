/* backend.c: the SQLite backend's operations table (pp_store_sqlite). */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/baseline.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "security/audit.h"
#include "security/checkpoint.h"
#include "security/merkle.h"
#include "store/crypt.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store.h"
#include "store/verify_v1.h"

const pp_store_backend_t pp_store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .apply = sq_apply,
    .account_get = sq_account_get,
    .account_list = sq_account_list,
    .key_get = sq_key_get,
    .key_list = sq_key_list,
    .message_get = sq_message_get,
    .message_list = sq_message_list,
    .message_count = sq_message_count,
    .number_get = sq_number_get,
    .number_list = sq_number_list,
    .carrier_all = sq_carrier_all,
    .route_all = sq_route_all,
    .sender_allowed = sq_sender_allowed,
    .offer_get = sq_offer_get,
    .offer_all = sq_offer_all,
    .hook_next_due = sq_hook_next_due,
    .parts_awaiting = sq_parts_awaiting,
    .alert_get = sq_alert_get,
    .alert_list = sq_alert_list,
    .service_get = sq_service_get,
    .service_list = sq_service_list,
    .service_number_get = sq_service_number_get,
    .service_number_list = sq_service_number_list,
    .service_sender = sq_service_sender,
    .named_key = sq_named_key,
    .account_auth = sq_account_auth,
    .number_owner = sq_number_owner,
    .verify_service_get = sq_verify_service_get,
    .verify_service_list = sq_verify_service_list,
    .verification_get = sq_verification_get,
    .verify_sender = sq_verify_sender,
    .rate_limit_get = sq_rate_limit_get,
    .rate_limit_list = sq_rate_limit_list,
    .rate_bucket_get = sq_rate_bucket_get,
    .rate_bucket_list = sq_rate_bucket_list,
    .entity_get = sq_entity_get,
    .entity_list = sq_entity_list,
    .factor_get = sq_factor_get,
    .factor_list = sq_factor_list,
    .challenge_get = sq_challenge_get,
    .challenge_list = sq_challenge_list,
    .verify_webhook_get = sq_verify_webhook_get,
    .verify_webhook_list = sq_verify_webhook_list,
    .audit_head = sq_audit_head,
    .audit_get = sq_audit_get,
    .audit_list = sq_audit_list,
    .audit_scan = sq_audit_scan,
    .audit_search = sq_audit_search,
    .audit_node = sq_audit_node,
    .audit_root = sq_audit_root,
    .audit_proof = sq_audit_proof,
    .audit_checkpoint_latest = sq_audit_checkpoint_latest,
    .audit_checkpoint_list = sq_audit_checkpoint_list,
};

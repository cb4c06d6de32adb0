/* schema.c: the SQLite schema as numbered steps (migrations[]) and sq_migrate,
 * which applies the missing ones. */

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/seal.h"
#include "store/sqlite/sqlite_int.h"
#include "store/verify_v1.h"

static const char schema_v1[] =
    "CREATE TABLE accounts("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, owner_sid TEXT NOT NULL,"
    " friendly_name TEXT NOT NULL, status TEXT NOT NULL, auth_token TEXT NOT NULL,"
    " secondary_token TEXT NOT NULL DEFAULT '', secondary_created INTEGER NOT NULL DEFAULT 0,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX accounts_owner ON accounts(owner_sid, seq);"
    "CREATE TABLE api_keys("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " friendly_name TEXT NOT NULL, secret_hash BLOB NOT NULL,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX api_keys_account ON api_keys(account_sid, seq);"
    "CREATE TABLE messages("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " messaging_service_sid TEXT NOT NULL, to_addr TEXT NOT NULL, from_addr TEXT NOT NULL,"
    " body TEXT NOT NULL, media_urls TEXT NOT NULL, status_callback TEXT,"
    " error_message TEXT, direction TEXT NOT NULL, status TEXT NOT NULL,"
    " num_media INTEGER NOT NULL, num_segments INTEGER NOT NULL, error_code INTEGER NOT NULL,"
    " validity_period INTEGER NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL, date_sent INTEGER NOT NULL, send_at INTEGER NOT NULL);"
    "CREATE INDEX messages_account ON messages(account_sid, seq);"
    "CREATE INDEX messages_to ON messages(account_sid, to_addr, seq);"
    "CREATE INDEX messages_from ON messages(account_sid, from_addr, seq);";

static const char schema_v2[] =
    "CREATE TABLE phone_numbers("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " phone_number TEXT NOT NULL UNIQUE, friendly_name TEXT NOT NULL,"
    " sms_method TEXT NOT NULL, sms_fallback_method TEXT NOT NULL,"
    " status_callback_method TEXT NOT NULL, sms_url TEXT, sms_fallback_url TEXT,"
    " status_callback TEXT, date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX phone_numbers_account ON phone_numbers(account_sid, seq);";

/* Delivery: carriers, routes, the engine's lease on a message, and each
 * submitted part by the id its SMSC gave it (receipts find it by that). */
static const char schema_v3[] =
    "CREATE TABLE carriers("
    " seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, host TEXT NOT NULL,"
    " port INTEGER NOT NULL, system_id TEXT NOT NULL, password TEXT NOT NULL,"
    " system_type TEXT NOT NULL, bind_mode TEXT NOT NULL, window INTEGER NOT NULL,"
    " mps INTEGER NOT NULL, binds INTEGER NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL);"
    "CREATE TABLE routes("
    " seq INTEGER PRIMARY KEY, prefix TEXT NOT NULL, carrier TEXT NOT NULL,"
    " priority INTEGER NOT NULL, date_created INTEGER NOT NULL, UNIQUE(prefix, carrier));"
    "ALTER TABLE messages ADD COLUMN next_attempt INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN carrier TEXT NOT NULL DEFAULT '';"
    "UPDATE messages SET next_attempt=send_at;"
    "CREATE INDEX messages_due ON messages(next_attempt, seq)"
    " WHERE status IN ('queued','accepted','scheduled','sending');"
    "CREATE TABLE message_parts("
    " carrier TEXT NOT NULL, smsc_id TEXT NOT NULL, message_seq INTEGER NOT NULL,"
    " part INTEGER NOT NULL, parts INTEGER NOT NULL, state INTEGER NOT NULL,"
    " error_code INTEGER NOT NULL, PRIMARY KEY(carrier, smsc_id)) WITHOUT ROWID;"
    "CREATE INDEX message_parts_message ON message_parts(message_seq);"
    "CREATE TABLE early_receipts("
    " carrier TEXT NOT NULL, smsc_id TEXT NOT NULL, state INTEGER NOT NULL,"
    " error_code INTEGER NOT NULL, received_at INTEGER NOT NULL,"
    " PRIMARY KEY(carrier, smsc_id)) WITHOUT ROWID;";

/* Per-carrier encoding of long messages. */
static const char schema_v4[] =
    "ALTER TABLE carriers ADD COLUMN concat TEXT NOT NULL DEFAULT 'udh';"
    "ALTER TABLE carriers ADD COLUMN payload INTEGER NOT NULL DEFAULT 0;";

/* Parts of concatenated inbound messages waiting for their siblings, and
 * the alphanumeric sender IDs each account may send as. */
static const char schema_v5[] =
    "CREATE TABLE mo_parts("
    " dst TEXT NOT NULL, src TEXT NOT NULL, ref INTEGER NOT NULL, total INTEGER NOT NULL,"
    " part INTEGER NOT NULL, body TEXT NOT NULL, received_at INTEGER NOT NULL,"
    " PRIMARY KEY(dst, src, ref, total, part)) WITHOUT ROWID;"
    "CREATE INDEX mo_parts_age ON mo_parts(received_at);"
    "CREATE TABLE sender_ids("
    " account_sid TEXT NOT NULL, sender TEXT NOT NULL, date_created INTEGER NOT NULL,"
    " PRIMARY KEY(account_sid, sender)) WITHOUT ROWID;";

/* Webhooks: the queue of requests to customers' URLs, filled by triggers in
 * the transaction of the change each reports (so no write path can forget
 * one, and none is queued for a change that did not commit), and the alerts
 * recorded when they fail.  Times in the queue are Unix milliseconds. */
static const char schema_v6[] =
    "CREATE TABLE webhooks("
    " seq INTEGER PRIMARY KEY, token TEXT NOT NULL, account_sid TEXT NOT NULL,"
    " message_sid TEXT NOT NULL, kind TEXT NOT NULL, event TEXT NOT NULL,"
    " error_code INTEGER NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,"
    " redirects INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
    " next_attempt INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX webhooks_due ON webhooks(next_attempt, seq);"
    "CREATE INDEX webhooks_message ON webhooks(message_sid, kind, seq);"
    "CREATE TABLE alerts("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " error_code INTEGER NOT NULL, log_level TEXT NOT NULL, alert_text TEXT NOT NULL,"
    " request_method TEXT, request_url TEXT, request_variables TEXT, response_body TEXT,"
    " response_headers TEXT, resource_sid TEXT, service_sid TEXT,"
    " date_created INTEGER NOT NULL);"
    "CREATE INDEX alerts_account ON alerts(account_sid, seq);"
    /* (Triggers stood here until step 23 dropped them; C does their work.) */
    "";

/* Messaging Services and their sender pools.  A pool row goes when its
 * service or its number does (foreign_keys is on for every connection). */
static const char schema_v7[] =
    "CREATE TABLE messaging_services("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " friendly_name TEXT NOT NULL, inbound_request_url TEXT, inbound_method TEXT NOT NULL,"
    " fallback_url TEXT, fallback_method TEXT NOT NULL, status_callback TEXT,"
    " sticky_sender INTEGER NOT NULL, mms_converter INTEGER NOT NULL,"
    " smart_encoding INTEGER NOT NULL, scan_message_content TEXT NOT NULL,"
    " fallback_to_long_code INTEGER NOT NULL, area_code_geomatch INTEGER NOT NULL,"
    " validity_period INTEGER NOT NULL, synchronous_validation INTEGER NOT NULL,"
    " usecase TEXT NOT NULL, use_inbound_webhook_on_number INTEGER NOT NULL,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX messaging_services_account ON messaging_services(account_sid, seq);"
    "CREATE TABLE messaging_service_numbers("
    " seq INTEGER PRIMARY KEY,"
    " service_sid TEXT NOT NULL REFERENCES messaging_services(sid) ON DELETE CASCADE,"
    " number_sid TEXT NOT NULL UNIQUE REFERENCES phone_numbers(sid) ON DELETE CASCADE,"
    " account_sid TEXT NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL);"
    "CREATE INDEX messaging_service_numbers_service"
    " ON messaging_service_numbers(service_sid, seq);"
    /* An inbound message on a number in a service that does not defer to
     * the number's own webhook goes to the service's InboundRequestUrl. */
    /* (Triggers stood here until step 23 dropped them; C does their work.) */
    "";

/* Per-carrier GSM-7 packing: "unpacked" (one septet per octet) or "packed". */
static const char schema_v8[] =
    "ALTER TABLE carriers ADD COLUMN gsm7 TEXT NOT NULL DEFAULT 'unpacked';";

/* Encryption at rest (store/crypt.h): data keys, blind indexes beside the
 * sealed phone numbers, and every existing value sealed in place (the
 * keys, the sealing and the indexes are C: step_at_rest below). */

// clang-format off
static const char schema_v9[] =
    "CREATE TABLE account_keys("
    " account_sid TEXT NOT NULL, generation INTEGER NOT NULL, wrapped BLOB NOT NULL,"
    " master_id TEXT NOT NULL, date_created INTEGER NOT NULL,"
    " PRIMARY KEY(account_sid, generation)) WITHOUT ROWID;"
    /* Blind-index keys: random, sealed with the system key (so a master
     * key rotation leaves every index valid). */
    "CREATE TABLE store_keys(name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;"
    /* Auth tokens are checked against keyed hashes: signing in opens none. */
    "ALTER TABLE accounts ADD COLUMN auth_hash BLOB;"
    "ALTER TABLE accounts ADD COLUMN secondary_hash BLOB;"
    "ALTER TABLE messages ADD COLUMN to_bidx BLOB;"
    "ALTER TABLE messages ADD COLUMN from_bidx BLOB;"
    "DROP INDEX messages_to;"
    "DROP INDEX messages_from;"
    "CREATE INDEX messages_to ON messages(account_sid, to_bidx, seq);"
    "CREATE INDEX messages_from ON messages(account_sid, from_bidx, seq);"
    "ALTER TABLE phone_numbers ADD COLUMN phone_bidx BLOB;"
    "CREATE UNIQUE INDEX phone_numbers_bidx ON phone_numbers(phone_bidx);"
    "DELETE FROM mo_parts;"
    /* A queued request names where its sealed URL came from (the
     * coordinates it was sealed for); rows queued before keep theirs in
     * clear, which opening passes through (seal.h). */
    "ALTER TABLE webhooks ADD COLUMN url_table TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE webhooks ADD COLUMN url_column TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE webhooks ADD COLUMN url_row TEXT NOT NULL DEFAULT '';"
    /* (Triggers stood here until step 23 dropped them; C does their work.) */
    "";
// clang-format on

/* Verify's numbers sealed too, beside a blind index (step 12). */
static const char schema_v12[] =
    "ALTER TABLE verifications ADD COLUMN to_bidx BLOB;"
    "DROP INDEX verifications_to;"
    "DROP INDEX verifications_service;"
    "CREATE INDEX verifications_to ON verifications(account_sid, to_bidx, seq);"
    "CREATE INDEX verifications_service ON verifications(service_sid, to_bidx, seq);";
/* ... and in C (step_verify_sealed): the numbers sealed beside their
 * index, and Verify's root key (code hashes, sealed secrets), not the
 * master key. */

/* Verify (verify/v2): services, verifications (codes only as keyed
 * hashes, wiped when the verification leaves `pending`), rate limits with
 * their buckets and metered hits (keys only as keyed hashes), entities,
 * factors (secrets sealed), challenges; and the sealed text of verification
 * messages, kept only until the message leaves the send queue. */
static const char schema_verify[] =
    "CREATE TABLE verify_services("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " friendly_name TEXT NOT NULL, code_length INTEGER NOT NULL,"
    " lookup_enabled INTEGER NOT NULL, psd2_enabled INTEGER NOT NULL,"
    " skip_sms_to_landlines INTEGER NOT NULL, dtmf_input_required INTEGER NOT NULL,"
    " do_not_share_warning_enabled INTEGER NOT NULL, custom_code_enabled INTEGER NOT NULL,"
    " push_include_date INTEGER NOT NULL, verify_event_subscription_enabled INTEGER NOT NULL,"
    " tts_name TEXT, push_apn_credential_sid TEXT, push_fcm_credential_sid TEXT,"
    " default_template_sid TEXT, whatsapp_msg_service_sid TEXT, whatsapp_from TEXT,"
    " totp_issuer TEXT, totp_time_step INTEGER NOT NULL, totp_code_length INTEGER NOT NULL,"
    " totp_skew INTEGER NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL);"
    "CREATE INDEX verify_services_account ON verify_services(account_sid, seq);"
    "CREATE TABLE verifications("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " service_sid TEXT NOT NULL REFERENCES verify_services(sid) ON DELETE CASCADE,"
    " account_sid TEXT NOT NULL, to_addr TEXT NOT NULL, channel TEXT NOT NULL,"
    " status TEXT NOT NULL, code_hashes BLOB NOT NULL, sends INTEGER NOT NULL,"
    " checks INTEGER NOT NULL, send_attempts TEXT NOT NULL, expires_at INTEGER NOT NULL,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX verifications_to ON verifications(account_sid, to_addr, seq);"
    "CREATE INDEX verifications_service ON verifications(service_sid, to_addr, seq);"
    /* (Triggers stood here until step 23 dropped them; C does their work.) */
    "CREATE TABLE verify_rate_limits("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " service_sid TEXT NOT NULL REFERENCES verify_services(sid) ON DELETE CASCADE,"
    " account_sid TEXT NOT NULL, unique_name TEXT NOT NULL, description TEXT,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL,"
    " UNIQUE(service_sid, unique_name));"
    "CREATE TABLE verify_rate_buckets("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " rate_limit_sid TEXT NOT NULL REFERENCES verify_rate_limits(sid) ON DELETE CASCADE,"
    " service_sid TEXT NOT NULL, account_sid TEXT NOT NULL, max INTEGER NOT NULL,"
    " interval INTEGER NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL, UNIQUE(rate_limit_sid, interval));"
    "CREATE TABLE verify_rate_hits("
    " bucket_sid TEXT NOT NULL REFERENCES verify_rate_buckets(sid) ON DELETE CASCADE,"
    " key_hash BLOB NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX verify_rate_hits_key ON verify_rate_hits(bucket_sid, key_hash, at);"
    "CREATE TABLE verify_entities("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " service_sid TEXT NOT NULL REFERENCES verify_services(sid) ON DELETE CASCADE,"
    " account_sid TEXT NOT NULL, identity TEXT NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL, UNIQUE(service_sid, identity));"
    "CREATE TABLE verify_factors("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " entity_sid TEXT NOT NULL REFERENCES verify_entities(sid) ON DELETE CASCADE,"
    " service_sid TEXT NOT NULL, account_sid TEXT NOT NULL, identity TEXT NOT NULL,"
    " friendly_name TEXT NOT NULL, status TEXT NOT NULL, factor_type TEXT NOT NULL,"
    " alg TEXT NOT NULL, time_step INTEGER NOT NULL, skew INTEGER NOT NULL,"
    " code_length INTEGER NOT NULL, secret_sealed BLOB NOT NULL,"
    " last_counter INTEGER NOT NULL, failures INTEGER NOT NULL, metadata TEXT,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL,"
    " public_key BLOB, push_config TEXT);"
    "CREATE INDEX verify_factors_entity ON verify_factors(entity_sid, seq);"
    "CREATE TABLE verify_challenges("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " factor_sid TEXT NOT NULL REFERENCES verify_factors(sid) ON DELETE CASCADE,"
    " entity_sid TEXT NOT NULL, service_sid TEXT NOT NULL, account_sid TEXT NOT NULL,"
    " identity TEXT NOT NULL, status TEXT NOT NULL, responded_reason TEXT NOT NULL,"
    " factor_type TEXT NOT NULL, details TEXT, hidden_details TEXT, metadata TEXT,"
    " expiration_date INTEGER NOT NULL, date_responded INTEGER NOT NULL,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX verify_challenges_entity ON verify_challenges(entity_sid, seq);"
    "CREATE TABLE message_sealed("
    " message_seq INTEGER PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,"
    " sealed BLOB NOT NULL);"
    /* (Triggers stood here until step 23 dropped them; C does their work.) */
    "";

/* Verify, DESIGN.md rule 5: a service's waiting period for new factors;
 * a factor waiting for approval (activate_at); challenges that ask an
 * entity's factors to approve a new one (enroll_factor_sid), expired when
 * that factor is verified or deleted; Verify webhooks and the queue of
 * events to post to them. */
static const char schema_verify_enroll[] =
    "ALTER TABLE verify_services ADD COLUMN enrollment_wait INTEGER NOT NULL DEFAULT 86400;"
    "ALTER TABLE verify_factors ADD COLUMN activate_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE verify_challenges ADD COLUMN enroll_factor_sid TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX verify_challenges_enroll ON verify_challenges(enroll_factor_sid)"
    " WHERE enroll_factor_sid<>'';"
    /* (Triggers stood here until step 23 dropped them; C does their work.) */
    "CREATE TABLE verify_webhooks("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE,"
    " service_sid TEXT NOT NULL REFERENCES verify_services(sid) ON DELETE CASCADE,"
    " account_sid TEXT NOT NULL, friendly_name TEXT NOT NULL, event_types TEXT NOT NULL,"
    " webhook_url TEXT NOT NULL, status TEXT NOT NULL, version TEXT NOT NULL,"
    " date_created INTEGER NOT NULL, date_updated INTEGER NOT NULL);"
    "CREATE INDEX verify_webhooks_service ON verify_webhooks(service_sid, seq);"
    "CREATE TABLE verify_events("
    " seq INTEGER PRIMARY KEY, account_sid TEXT NOT NULL, url TEXT NOT NULL,"
    " body TEXT NOT NULL, next_attempt INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE INDEX verify_events_due ON verify_events(next_attempt, seq);";

/* The audit log (docs/internals/audit.md): one row per leaf of its Merkle
 * tree (seq = the leaf index) with the index columns blast-radius searches
 * read, the resources each entry touched, the perfect subtree hashes at
 * every fourth level (proofs in O(log n) reads), the head (size, root and
 * frontier: for each set bit of the size, ascending, the 32-byte root of
 * that perfect subtree) and every signed checkpoint.  Triggers refuse to
 * change or delete the log's rows: it is append-only. */
#define AUDIT_KEEP(t)                                                \
  "CREATE TRIGGER " t "_no_update BEFORE UPDATE ON " t               \
  " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;" \
  "CREATE TRIGGER " t "_no_delete BEFORE DELETE ON " t               \
  " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
static const char schema_audit[] =
    "CREATE TABLE audit_log("
    " seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, event TEXT NOT NULL,"
    " principal TEXT NOT NULL, session TEXT NOT NULL, ip TEXT NOT NULL,"
    " account_sid TEXT NOT NULL, outcome TEXT NOT NULL, leaf_hash BLOB NOT NULL,"
    " leaf BLOB NOT NULL);"
    "CREATE INDEX audit_log_principal ON audit_log(principal, time_ms);"
    "CREATE INDEX audit_log_session ON audit_log(session, time_ms);"
    "CREATE INDEX audit_log_ip ON audit_log(ip, time_ms);"
    "CREATE INDEX audit_log_account ON audit_log(account_sid, seq);"
    "CREATE TABLE audit_resources("
    " seq INTEGER NOT NULL, sid TEXT NOT NULL, PRIMARY KEY(seq, sid)) WITHOUT ROWID;"
    "CREATE TABLE audit_nodes("
    " level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
    " PRIMARY KEY(level, idx)) WITHOUT ROWID;"
    "CREATE TABLE audit_head("
    " id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL,"
    " frontier BLOB NOT NULL);"
    "INSERT INTO audit_head VALUES(1, 0,"
    " x'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', x'');"
    "CREATE TABLE audit_checkpoints("
    " seq INTEGER PRIMARY KEY, tree_size INTEGER NOT NULL, root BLOB NOT NULL,"
    " time INTEGER NOT NULL, note TEXT NOT NULL);" AUDIT_KEEP("audit_log")
        AUDIT_KEEP("audit_resources") AUDIT_KEEP("audit_nodes") AUDIT_KEEP("audit_checkpoints");

/* Recipients indexed only where a lookup needs them: a keyed hash lands
 * every row on a random page of a full recipient index, which cost a
 * quarter of end-to-end throughput (docs/performance.md).  Inbound messages
 * (to the account's own numbers), a service's messages (sticky sender) and
 * replies (the loop guard) keep one; the To filter of a list reads the
 * account's messages newest first. */
static const char schema_recipients[] =
    "DROP INDEX messages_to;"
    "CREATE INDEX messages_to_inbound ON messages(account_sid, to_bidx, seq)"
    " WHERE direction='inbound';"
    "CREATE INDEX messages_to_service ON messages(messaging_service_sid, to_bidx, seq)"
    " WHERE messaging_service_sid<>'';"
    "CREATE INDEX messages_to_reply ON messages(account_sid, to_bidx, seq)"
    " WHERE direction='outbound-reply';";

/* The audit log's checkpoint key is rooted in the store, not the master
 * key, so a master-key rotation keeps the log's public key. */
/* The one-time QR code of a new TOTP factor (docs/internals/verify.md):
 * the hash of its token and when it ends; and the factors waiting for
 * approval, by the end of their wait, for the engine's sweep. */
static const char schema_factor_qr[] =
    "ALTER TABLE verify_factors ADD COLUMN qr_token_hash BLOB;"
    "ALTER TABLE verify_factors ADD COLUMN qr_expires INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX verify_factors_due ON verify_factors(activate_at)"
    " WHERE status='unverified' AND activate_at>0;";

/* (Step 15, step_audit_root: store_keys 'audit', in C.) */

/* Verify's fraud guard and geo permissions (docs/internals/verify.md): a
 * service's switch for the guard and its allowed country codes; per
 * service and destination prefix, the current bucket's count of sends, the
 * learned mean of past buckets, the end of a block and the last bucket
 * that raised an alert. */
static const char schema_verify_fraud[] =
    "ALTER TABLE verify_services ADD COLUMN fraud_guard INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE verify_services ADD COLUMN allowed_country_codes TEXT;"
    "CREATE TABLE verify_fraud_prefixes("
    " service_sid TEXT NOT NULL REFERENCES verify_services(sid) ON DELETE CASCADE,"
    " prefix TEXT NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL,"
    " mean REAL NOT NULL, blocked_until INTEGER NOT NULL, alerted_bucket INTEGER NOT NULL,"
    " PRIMARY KEY(service_sid, prefix)) WITHOUT ROWID;";
/* Verify's secrets onto the accounts' data keys (they were sealed with one
 * key for the installation, so closing an account did not shred them and
 * an account-key rotation did not reach them), and the rest of Verify's
 * customer content sealed: entity identities (found by a blind index of
 * service and identity), factor names, metadata and push configuration,
 * challenge details, webhook URLs (their credentials); the queued events
 * move onto the webhook queue, sealed per row.  A closed account's keys are gone: its Verify
 * rows go too, as closing would have shredded them. */
#define CLOSED_ACCOUNT "account_sid IN (SELECT sid FROM accounts WHERE status='closed')"
// clang-format off
static const char schema_verify_keys[] =
    "DELETE FROM verify_challenges WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_factors WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_entities WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_webhooks WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_events WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM message_sealed WHERE message_seq IN (SELECT seq FROM messages WHERE "
    CLOSED_ACCOUNT ");"
    "ALTER TABLE verify_entities ADD COLUMN identity_bidx BLOB;"
    /* Verify's events onto the webhook queue: kind "verify", the body
     * sealed beside the URL for the queue row. */
    "ALTER TABLE webhooks ADD COLUMN body BLOB;";
// clang-format on
/* Then C (step_verify_keys): the sealing, the entities' index, the former
 * seal opened and sealed again, the events queued; then this. */
static const char schema_verify_keys_after[] =
    "CREATE UNIQUE INDEX verify_entities_identity ON verify_entities(service_sid, identity_bidx);"
    "DROP TABLE verify_events;";

/* The numbers the operator made available (issue 11): only these can be
 * taken with IncomingPhoneNumbers.create.  Safe to run again (an upgrade
 * test re-runs the steps before it). */
/* Staff principals (issue 13; docs/internals/staff.md): members, their
 * passkeys, and their enrolment tokens, challenges and sessions, the last
 * three only as hashes (staff_tokens, by kind).  A member's passkeys and
 * tokens go with them (ON DELETE CASCADE).  Safe to run again. */
static const char schema_staff[] =
    "CREATE TABLE IF NOT EXISTS staff("
    " seq INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
    " user_id BLOB NOT NULL, date_created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS staff_credentials("
    " seq INTEGER PRIMARY KEY, cred_id BLOB NOT NULL UNIQUE,"
    " staff TEXT NOT NULL REFERENCES staff(name) ON DELETE CASCADE,"
    " alg INTEGER NOT NULL, cose_key BLOB NOT NULL, sign_count INTEGER NOT NULL,"
    " aaguid BLOB NOT NULL, user_verified INTEGER NOT NULL,"
    " date_created INTEGER NOT NULL, last_used INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS staff_credentials_staff ON staff_credentials(staff);"
    "CREATE TABLE IF NOT EXISTS staff_tokens("
    " hash BLOB PRIMARY KEY, kind INTEGER NOT NULL,"
    " staff TEXT NOT NULL REFERENCES staff(name) ON DELETE CASCADE,"
    " purpose TEXT NOT NULL, action TEXT NOT NULL, uv_at INTEGER NOT NULL,"
    " cred_id BLOB NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS staff_tokens_staff ON staff_tokens(staff);"
    "CREATE INDEX IF NOT EXISTS staff_tokens_expires ON staff_tokens(expires);";

/* Step 25: change requests (four eyes on carriers and routes, issue 13;
 * docs/internals/staff.md): pending until a second operator decides, and
 * once approved the installation's changelog.  A carrier password asked
 * for is sealed under the system key (tables.def). */
static const char schema_change_requests[] =
    "CREATE TABLE IF NOT EXISTS change_requests("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, action TEXT NOT NULL,"
    " carrier TEXT NOT NULL, prefix TEXT NOT NULL, params TEXT NOT NULL, password,"
    " requested_by TEXT NOT NULL, status TEXT NOT NULL, decided_by TEXT NOT NULL,"
    " date_created INTEGER NOT NULL, date_expires INTEGER NOT NULL,"
    " date_decided INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS change_requests_status ON change_requests(status);";

static const char schema_number_offers[] =
    "CREATE TABLE IF NOT EXISTS number_offers("
    " phone_bidx BLOB PRIMARY KEY, phone_number BLOB NOT NULL, account_sid TEXT NOT NULL,"
    " date_created INTEGER NOT NULL) WITHOUT ROWID;";

/* Step 19 (C: step_bidx_siphash): blind indexes and sign-in hashes made
 * again with SipHash (envelope.h, pp_blind_index) from the sealed values,
 * for every account whose key is still there; inbound parts keep the
 * former index (pp_crypt_part_index). */

/* Delivery ids (issue 11): a message id the SMSC gives twice keeps both
 * parts (rows in arrival order, unique per message part), and early
 * receipts get an arrival order and an age index, so that they expire and
 * stay bounded. */
static const char schema_delivery_ids[] =
    "CREATE TABLE message_parts_new("
    " id INTEGER PRIMARY KEY, carrier TEXT NOT NULL, smsc_id TEXT NOT NULL,"
    " message_seq INTEGER NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL,"
    " state INTEGER NOT NULL, error_code INTEGER NOT NULL,"
    " UNIQUE(carrier, smsc_id, message_seq, part));"
    "INSERT INTO message_parts_new(carrier,smsc_id,message_seq,part,parts,state,error_code)"
    " SELECT carrier,smsc_id,message_seq,part,parts,state,error_code FROM message_parts"
    " ORDER BY message_seq,part;"
    "DROP TABLE message_parts;"
    "ALTER TABLE message_parts_new RENAME TO message_parts;"
    "CREATE INDEX message_parts_message ON message_parts(message_seq);"
    "CREATE TABLE early_receipts_new("
    " id INTEGER PRIMARY KEY, carrier TEXT NOT NULL, smsc_id TEXT NOT NULL,"
    " state INTEGER NOT NULL, error_code INTEGER NOT NULL, received_at INTEGER NOT NULL,"
    " UNIQUE(carrier, smsc_id));"
    "INSERT INTO early_receipts_new(carrier,smsc_id,state,error_code,received_at)"
    " SELECT carrier,smsc_id,state,error_code,received_at FROM early_receipts"
    " ORDER BY received_at;"
    "DROP TABLE early_receipts;"
    "ALTER TABLE early_receipts_new RENAME TO early_receipts;"
    "CREATE INDEX early_receipts_age ON early_receipts(received_at);";

/* The channel kind a carrier's traffic goes through (channel/channel.h). */
static const char schema_carrier_channel[] =
    "ALTER TABLE carriers ADD COLUMN channel TEXT NOT NULL DEFAULT 'smpp';";

/* Step 23: the domain triggers gone.  What they did (queue a message's
 * webhooks, drop its sealed text, wipe a verification's code hashes, expire
 * enrolment challenges) is C in the writer's apply, decided by
 * store/rules.h, so another backend does the same without copying it.
 * Each area's list is its own line. */
#define NO_TRIGGERS_MESSAGES                      \
  "DROP TRIGGER IF EXISTS messages_hook_created;" \
  "DROP TRIGGER IF EXISTS messages_hook_status;"  \
  "DROP TRIGGER IF EXISTS messages_hook_inbound;" \
  "DROP TRIGGER IF EXISTS message_sealed_done;"

#define NO_TRIGGERS_VERIFY                          \
  "DROP TRIGGER IF EXISTS verifications_done;"      \
  "DROP TRIGGER IF EXISTS verify_factors_enrolled;" \
  "DROP TRIGGER IF EXISTS verify_factors_enroll_gone;"

static const char schema_no_triggers[] = NO_TRIGGERS_MESSAGES NO_TRIGGERS_VERIFY;

/* ---- the rows a step changes in C ------------------------------------ *
 * A step is SQL (the DDL, and data changes SQL can state), C (values
 * sealed, opened and indexed by store/seal.h and tables.def, as every
 * write is), then SQL again, in one transaction.  The C below walks a
 * table in rowid order and updates the row it stands on, which SQLite
 * allows (the scan is of the table, and no rowid changes). */

/* Prepares `sql` on `db` into *st (NULL on an error, logged). */
static pp_err_t prep(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK) return PP_OK;
  *st = NULL;
  return sq_db_err(db, sql);
}

/* Steps `st`, a change, to its end and resets it. */
static pp_err_t step_done(sqlite3 *db, sqlite3_stmt *st) {
  pp_err_t e = sqlite3_step(st) == SQLITE_DONE ? PP_OK : sq_db_err(db, sqlite3_sql(st));
  sqlite3_reset(st);
  return e;
}

/* Column i's text, or "" for NULL (as the former SQL functions took it). */
static const char *col_text(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? s : "";
}

/* Column i as seal.h takes a value: its kind, bytes and length. */
static pp_seal_kind_t col_value(sqlite3_stmt *st, int i, const void **v, size_t *len) {
  int type = sqlite3_column_type(st, i);
  pp_seal_kind_t kind = type == SQLITE_NULL   ? PP_SEAL_NULL
                        : type == SQLITE_BLOB ? PP_SEAL_BLOB
                                              : PP_SEAL_TEXT;
  *v = kind == PP_SEAL_BLOB ? sqlite3_column_blob(st, i) : (const void *)sqlite3_column_text(st, i);
  *len = (size_t)sqlite3_column_bytes(st, i);
  return kind;
}

/* Binds a value of seal.h's kinds to parameter i (an empty blob stays a blob). */
static void bind_value(sqlite3_stmt *st, int i, pp_seal_kind_t kind, const void *v, size_t len) {
  if (kind == PP_SEAL_NULL)
    sqlite3_bind_null(st, i);
  else if (kind == PP_SEAL_BLOB)
    sqlite3_bind_blob(st, i, v ? v : "", (int)len, SQLITE_TRANSIENT);
  else
    sqlite3_bind_text(st, i, v ? v : "", (int)len, SQLITE_TRANSIENT);
}

/* Whether `table` has `column` yet (tables.def lists the newest schema). */
static bool has_column(sqlite3 *db, const char *table, const char *column) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name=?2", -1, &st, NULL) !=
      SQLITE_OK)
    return false;
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
  bool has = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return has;
}

/* What a table pass reads and writes: the table's sealed columns kept
 * under their own name with an account and a row column (tables.def), its
 * indexes, and those columns' names. */
typedef struct {
  const char *table, *aad_table, *acct, *row; /* acct NULL: the system key */
  pp_sealed_id_t s[PP_SEALED__COUNT];
  pp_index_id_t x[PP_INDEX__COUNT];
  int ns, nx;
} pass_t;

static void pass_columns(sqlite3 *db, const char *table, pass_t *p) {
  *p = (pass_t){.table = table};
  for (int i = 0; i < PP_SEALED__COUNT; i++) {
    const pp_sealed_col_t *s = pp_sealed_col((pp_sealed_id_t)i);
    if (strcmp(s->table, table) != 0 || s->row != PP_SEAL_ROW_COLUMN ||
        s->acct == PP_SEAL_ACCT_GIVEN || strcmp(s->column, s->aad_column) != 0 ||
        !has_column(db, table, s->column))
      continue;
    p->aad_table = s->aad_table;
    p->acct = s->acct == PP_SEAL_ACCT_COLUMN ? s->acct_col : NULL;
    p->row = s->row_col;
    p->s[p->ns++] = (pp_sealed_id_t)i;
  }
  for (int i = 0; i < PP_INDEX__COUNT; i++) {
    const pp_index_col_t *x = pp_index_col((pp_index_id_t)i);
    if (strcmp(x->table, table) == 0 && has_column(db, table, x->column))
      p->x[p->nx++] = (pp_index_id_t)i;
  }
}

/* An index's source as the index takes it: a sealed column opened (into
 * *opened, which the caller frees), another as it is. */
static pp_err_t index_source(be_t *b, sqlite3 *db, const pass_t *p, sqlite3_stmt *st, int col,
                             const char *name, const char *account, const char *row,
                             pp_seal_kind_t *kind, const void **v, size_t *len, char **opened) {
  *opened = NULL;
  *kind = col_value(st, col, v, len);
  pp_sealed_id_t id;
  pp_seal_at_t at;
  if (!pp_sealed_find(p->table, name, &id) || pp_seal_at(id, account, row, &at) != PP_OK)
    return PP_OK;
  pp_err_t e = pp_seal_open(b->crypt, db, &at, *kind, *v, *len, opened, len);
  if (!e) {
    *kind = *opened ? PP_SEAL_TEXT : PP_SEAL_NULL;
    *v = *opened;
  }
  return e;
}

/* One row of a pass: its sealed columns sealed (when `seal`) and its
 * indexes made from the values (opened), bound to `upd`, which is run. */
static pp_err_t pass_row(be_t *b, sqlite3 *db, const pass_t *p, bool seal, sqlite3_stmt *sel,
                         sqlite3_stmt *upd) {
  const char *account = p->acct ? col_text(sel, 1) : PP_CRYPT_SYSTEM, *row = col_text(sel, 2);
  unsigned char *buf = NULL;
  pp_err_t e = PP_OK;
  int k = 2;
  if (seal) {
    pp_seal_value_t v[PP_SEALED__COUNT];
    for (int i = 0; i < p->ns; i++) {
      v[i].id = p->s[i];
      v[i].in_kind = col_value(sel, 3 + i, &v[i].in, &v[i].in_len);
    }
    pp_seal_at_t at = {account, p->aad_table, NULL, row};
    e = pp_seal_row(b->crypt, db, &at, v, (size_t)p->ns, &buf);
    for (int i = 0; !e && i < p->ns; i++) bind_value(upd, k++, v[i].kind, v[i].value, v[i].len);
  }
  for (int j = 0; !e && j < p->nx; j++) {
    const pp_index_col_t *x = pp_index_col(p->x[j]);
    int col = 3 + p->ns + 2 * j;
    pp_seal_kind_t kind, k2 = PP_SEAL_NULL, out_kind = PP_SEAL_NULL;
    const void *in, *in2 = NULL;
    size_t len, len2 = 0;
    char *open1 = NULL, *open2 = NULL;
    unsigned char out[PP_BLIND_INDEX_LEN];
    e = index_source(b, db, p, sel, col, x->source, account, row, &kind, &in, &len, &open1);
    if (!e && x->source2)
      e = index_source(b, db, p, sel, col + 1, x->source2, account, row, &k2, &in2, &len2, &open2);
    if (!e)
      e = pp_seal_index(b->crypt, db, p->x[j], kind, in, len,
                        x->source2 && k2 != PP_SEAL_NULL ? in2 : NULL, out, &out_kind);
    free(open1);
    free(open2);
    if (!e) bind_value(upd, k++, out_kind, out, sizeof out);
  }
  if (!e) {
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
    e = step_done(db, upd);
  }
  free(buf);
  return e;
}

/* A pass over `table` (the rows `where` keeps, NULL: all): with `seal`,
 * every sealed column sealed in place and every index made from the
 * values; without, only the indexes made again from the opened values. */
static pp_err_t table_pass(be_t *b, sqlite3 *db, const char *table, const char *where, bool seal) {
  pass_t p;
  pass_columns(db, table, &p);
  if (!p.row || (!seal && !p.nx)) return PP_OK;
  sqlb_t q = {0}, u = {0};
  char part[128];
  sq_sqlb_add(&q, "SELECT rowid,");
  sq_sqlb_add(&q, p.acct ? p.acct : "NULL");
  sq_sqlb_add(&q, ",");
  sq_sqlb_add(&q, p.row);
  sq_sqlb_add(&u, "UPDATE ");
  sq_sqlb_add(&u, table);
  sq_sqlb_add(&u, " SET ");
  int k = 2;
  for (int i = 0; i < p.ns; i++) {
    const char *c = pp_sealed_col(p.s[i])->column;
    snprintf(part, sizeof part, ",%s", c);
    sq_sqlb_add(&q, part);
    snprintf(part, sizeof part, "%s%s=?%d", k > 2 ? "," : "", c, k);
    if (seal) sq_sqlb_add(&u, part), k++;
  }
  for (int j = 0; j < p.nx; j++) {
    const pp_index_col_t *x = pp_index_col(p.x[j]);
    snprintf(part, sizeof part, ",%s,%s", x->source, x->source2 ? x->source2 : "NULL");
    sq_sqlb_add(&q, part);
    snprintf(part, sizeof part, "%s%s=?%d", k > 2 ? "," : "", x->column, k);
    sq_sqlb_add(&u, part);
    k++;
  }
  snprintf(part, sizeof part, " FROM %s%s", table, where ? " WHERE " : "");
  sq_sqlb_add(&q, part);
  sq_sqlb_add(&q, where ? where : "");
  sq_sqlb_add(&q, " ORDER BY rowid");
  sq_sqlb_add(&u, " WHERE rowid=?1");
  sqlite3_stmt *sel, *upd = NULL;
  pp_err_t e = prep(db, q.sql, &sel);
  if (!e) e = prep(db, u.sql, &upd);
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(sel)) == SQLITE_ROW) e = pass_row(b, db, &p, seal, sel, upd);
  if (!e && rc != SQLITE_DONE) e = sq_db_err(db, q.sql);
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return e;
}

/* Every sealed column of each table sealed in place, and its indexes made. */
static pp_err_t seal_tables(be_t *b, sqlite3 *db, const char *const *tables, size_t n) {
  pp_err_t e = PP_OK;
  for (size_t i = 0; !e && i < n; i++) e = table_pass(b, db, tables[i], NULL, true);
  return e;
}

/* A data key (generation 1) for the system and for every account. */
static pp_err_t new_data_keys(be_t *b, sqlite3 *db) {
  sqlite3_stmt *sel, *ins = NULL;
  pp_err_t e = prep(db, "SELECT 'system' UNION ALL SELECT sid FROM accounts", &sel);
  if (!e) e = prep(db, "INSERT INTO account_keys VALUES(?1,1,?2,?3,strftime('%s','now'))", &ins);
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    unsigned char wrapped[PP_DEK_WRAPPED_LEN];
    const char *sid = col_text(sel, 0);
    e = pp_crypt_new_dek(b->crypt, sid, 1, wrapped);
    if (e) break;
    sqlite3_bind_text(ins, 1, sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 2, wrapped, sizeof wrapped, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, pp_crypt_master_id(b->crypt), -1, SQLITE_TRANSIENT);
    e = step_done(db, ins);
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(db, "account keys");
  sqlite3_finalize(sel);
  sqlite3_finalize(ins);
  return e;
}

/* A new random key of store_keys `name` (64 hex digits), sealed with the
 * system key. */
static pp_err_t new_store_key(be_t *b, sqlite3 *db, const char *name) {
  unsigned char rnd[32], *buf = NULL;
  char hex[2 * sizeof rnd + 1];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
  sodium_memzero(rnd, sizeof rnd);
  pp_seal_at_t at;
  pp_seal_kind_t kind;
  const void *v;
  size_t len;
  sqlite3_stmt *ins = NULL;
  pp_err_t e = pp_seal_at(PP_SEALED_STORE_KEYS_VALUE, NULL, name, &at);
  if (!e)
    e = pp_seal_one(b->crypt, db, &at, PP_SEAL_TEXT, hex, 2 * sizeof rnd, &kind, &v, &len, &buf);
  if (!e) e = prep(db, "INSERT INTO store_keys VALUES(?1,?2)", &ins);
  if (!e) {
    sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
    bind_value(ins, 2, kind, v, len);
    e = step_done(db, ins);
  }
  sqlite3_finalize(ins);
  sodium_memzero(hex, sizeof hex);
  free(buf);
  return e;
}

/* Step 9: data keys for the system and every account, the index keys,
 * and every existing value sealed in place beside its indexes. */
static pp_err_t step_at_rest(be_t *b, sqlite3 *db) {
  static const char *const tables[] = {"accounts", "messages", "phone_numbers",
                                       "carriers", "alerts",   "messaging_services"};
  pp_err_t e = new_data_keys(b, db);
  if (!e) e = new_store_key(b, db, "phone");
  if (!e) e = new_store_key(b, db, "token");
  if (!e) e = seal_tables(b, db, tables, sizeof tables / sizeof tables[0]);
  return e;
}

/* Step 12: Verify's numbers sealed beside their index; Verify's root key. */
static pp_err_t step_verify_sealed(be_t *b, sqlite3 *db) {
  pp_err_t e = table_pass(b, db, "verifications", NULL, true);
  if (!e) e = new_store_key(b, db, "verify");
  return e;
}

/* Step 15: the audit log's checkpoint key. */
static pp_err_t step_audit_root(be_t *b, sqlite3 *db) {
  return new_store_key(b, db, "audit");
}

/* Values sealed in Verify's former format (verify_v1.h) under `root`
 * sealed again in place with the account's data key, for the same
 * coordinates: `sql` selects rowid, account, row and the value of rows of
 * `table`.`column` (the coordinates), `update` writes ?2 to rowid ?1.  A
 * value that is not a blob, or is empty, stays. */
static pp_err_t verify_v1_table(be_t *b, sqlite3 *db, const unsigned char *root, const char *sql,
                                const char *update, const char *table, const char *column) {
  sqlite3_stmt *sel, *upd = NULL;
  pp_err_t e = prep(db, sql, &sel);
  if (!e) e = prep(db, update, &upd);
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    if (sqlite3_column_type(sel, 3) != SQLITE_BLOB || sqlite3_column_bytes(sel, 3) == 0) continue;
    const char *account = col_text(sel, 1), *row = col_text(sel, 2);
    unsigned char *plain = NULL, *blob = NULL;
    size_t len = 0, blen = 0;
    e = root ? pp_verify_v1_open(root, account, table, column, row, sqlite3_column_blob(sel, 3),
                                 (size_t)sqlite3_column_bytes(sel, 3), &plain, &len)
             : PP_ERR_INVALID_PARAM;
    if (e && e != PP_ERR_CORRUPT)
      pp_log_error("sqlite", "a sealed %s.%s of %s did not open: %s", table, column, row,
                   pp_err_name(e));
    if (!e) e = pp_crypt_seal(b->crypt, db, account, table, column, row, plain, len, &blob, &blen);
    pp_crypt_secret_free(plain);
    if (!e) {
      sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
      sqlite3_bind_blob(upd, 2, blob, (int)blen, SQLITE_TRANSIENT);
      e = step_done(db, upd);
    }
    free(blob);
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(db, sql);
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return e;
}

/* Verify's queued events onto the webhook queue: kind "verify", the URL
 * and the body sealed for ("webhooks", "url"/"body", "ev<seq>"). */
static pp_err_t verify_events_to_hooks(be_t *b, sqlite3 *db) {
  sqlite3_stmt *sel, *ins = NULL;
  pp_err_t e = prep(
      db, "SELECT seq,account_sid,url,body,created,next_attempt,attempts FROM verify_events", &sel);
  if (!e)
    e = prep(db,
             "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,url,"
             "url_table,url_column,url_row,method,created_ms,next_attempt,attempts,body) VALUES("
             "lower(hex(randomblob(16))),?1,?2,'verify','event',0,?3,'webhooks','url',?2,'POST',"
             "?5*1000,?6*1000,?7,?4)",
             &ins);
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    char row[32];
    snprintf(row, sizeof row, "ev%lld", (long long)sqlite3_column_int64(sel, 0));
    pp_seal_value_t v[2] = {{.id = PP_SEALED_WEBHOOKS_URL}, {.id = PP_SEALED_WEBHOOKS_BODY}};
    for (int i = 0; i < 2; i++) v[i].in_kind = col_value(sel, 2 + i, &v[i].in, &v[i].in_len);
    pp_seal_at_t at = {col_text(sel, 1), "webhooks", "url", row};
    unsigned char *buf = NULL;
    e = pp_seal_row(b->crypt, db, &at, v, 2, &buf);
    if (!e) {
      sqlite3_bind_text(ins, 1, at.account, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 2, row, -1, SQLITE_TRANSIENT);
      for (int i = 0; i < 2; i++) bind_value(ins, 3 + i, v[i].kind, v[i].value, v[i].len);
      for (int i = 4; i < 7; i++) sqlite3_bind_value(ins, 1 + i, sqlite3_column_value(sel, i));
      e = step_done(db, ins);
    }
    free(buf);
  }
  if (!e && rc != SQLITE_DONE) e = sq_db_err(db, "verify events");
  sqlite3_finalize(sel);
  sqlite3_finalize(ins);
  return e;
}

/* Step 18: Verify's secrets onto the accounts' data keys and the rest of
 * its customer content sealed (see schema_verify_keys). */
static pp_err_t step_verify_keys(be_t *b, sqlite3 *db) {
  static const char *const tables[] = {"verify_entities", "verify_factors", "verify_challenges",
                                       "verify_webhooks"};
  char hex[65];
  unsigned char *root = sodium_malloc(PP_KEY_LEN);
  size_t rn = 0;
  pp_err_t e = root ? PP_OK : PP_ERR_NOMEM;
  if (!e && (sq_load_index(b, db, "verify", hex) != PP_OK ||
             sodium_hex2bin(root, PP_KEY_LEN, hex, 2 * PP_KEY_LEN, NULL, &rn, NULL) != 0 ||
             rn != PP_KEY_LEN)) {
    sodium_free(root); /* no key: only an empty value passes */
    root = NULL;
  }
  sodium_memzero(hex, sizeof hex);
  if (!e) e = seal_tables(b, db, tables, sizeof tables / sizeof tables[0]);
  if (!e)
    e = verify_v1_table(b, db, root,
                        "SELECT rowid,account_sid,sid,secret_sealed FROM verify_factors "
                        "ORDER BY rowid",
                        "UPDATE verify_factors SET secret_sealed=?2 WHERE rowid=?1",
                        "verify_factors", "secret");
  if (!e) e = verify_events_to_hooks(b, db);
  if (!e)
    e = verify_v1_table(b, db, root,
                        "SELECT message_seq,(SELECT account_sid FROM messages WHERE "
                        "seq=message_seq),(SELECT sid FROM messages WHERE seq=message_seq),"
                        "sealed FROM message_sealed ORDER BY message_seq",
                        "UPDATE message_sealed SET sealed=?2 WHERE message_seq=?1", "messages",
                        "sealed_body");
  if (root) sodium_free(root);
  return e;
}

/* Step 19: blind indexes and sign-in hashes made again with SipHash from
 * the opened values, for every account whose key is still there. */
static pp_err_t step_bidx_siphash(be_t *b, sqlite3 *db) {
  static const char *const tables[] = {"messages", "phone_numbers", "verifications",
                                       "verify_entities"};
  pp_err_t e = table_pass(b, db, "accounts", "status<>'closed'", false);
  for (size_t i = 0; !e && i < sizeof tables / sizeof tables[0]; i++)
    e = table_pass(b, db, tables[i], "NOT " CLOSED_ACCOUNT, false);
  return e;
}

/* Step 26, the lockbox (docs/internals/lockbox.md): staff members'
 * access requests (LR…), each sealed reason beside its status and times,
 * and each account's settings (where it is told, sealed).  Reads under a
 * grant are audit events (lockbox.read), which the access log lists.
 * Safe to run again (the upgrade tests re-run the steps after theirs). */
static const char schema_lockbox[] =
    "CREATE TABLE IF NOT EXISTS lockbox_requests("
    " seq INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " staff TEXT NOT NULL, reason BLOB NOT NULL, minutes INTEGER NOT NULL,"
    " status TEXT NOT NULL, answered_by TEXT NOT NULL, date_created INTEGER NOT NULL,"
    " date_updated INTEGER NOT NULL, date_approved INTEGER NOT NULL,"
    " date_revoked INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS lockbox_requests_account ON lockbox_requests(account_sid, seq);"
    "CREATE TABLE IF NOT EXISTS lockbox_settings("
    " seq INTEGER PRIMARY KEY, account_sid TEXT NOT NULL UNIQUE, webhook_url BLOB,"
    " date_updated INTEGER NOT NULL);";

/* A schema step: SQL, then C (values sealed, opened or indexed by
 * store/seal.h), then SQL, in one transaction; each part may be absent. */
typedef struct {
  const char *sql;
  pp_err_t (*run)(be_t *b, sqlite3 *db);
  const char *after;
} step_t;

/* Schema steps in order; user_version counts the steps applied. */
static const step_t migrations[] = {
    {.sql = schema_v1},
    {.sql = schema_v2},
    {.sql = schema_v3},
    {.sql = schema_v4},
    {.sql = schema_v5},
    {.sql = schema_v6},
    {.sql = schema_v7},
    {.sql = schema_v8},
    {.sql = schema_v9, .run = step_at_rest},
    {.sql = schema_verify},
    {.sql = schema_verify_enroll},
    {.sql = schema_v12, .run = step_verify_sealed},
    {.sql = schema_audit},
    {.sql = schema_recipients},
    {.run = step_audit_root},
    {.sql = schema_verify_fraud},
    {.sql = schema_factor_qr},
    {.sql = schema_verify_keys, .run = step_verify_keys, .after = schema_verify_keys_after},
    {.run = step_bidx_siphash},
    {.sql = schema_delivery_ids},
    {.sql = schema_number_offers},
    {.sql = schema_carrier_channel},
    {.sql = schema_no_triggers},
    {.sql = schema_staff},
    {.sql = schema_change_requests},
    {.sql = schema_lockbox},
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int user_version(sqlite3 *db) {
  sqlite3_stmt *st;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return version;
}

/* Applies the missing schema steps, each in its own BEGIN IMMEDIATE
 * transaction that re-checks the version, so two processes starting at once
 * never apply a step twice. */
pp_err_t sq_migrate(be_t *b) {
  sqlite3 *db = b->writer.db;
  for (int step = 0; step < N_MIGRATIONS; step++) {
    if (user_version(db) > step) continue;
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
      pp_log_error("sqlite", "migration %d: %s", step + 1, msg ? msg : "?");
      sqlite3_free(msg);
      return PP_ERR_STORE;
    }
    if (user_version(db) > step) { /* another process got here first */
      sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
      continue;
    }
    const step_t *m = &migrations[step];
    int rc = m->sql ? sqlite3_exec(db, m->sql, NULL, NULL, &msg) : SQLITE_OK;
    pp_err_t e = rc == SQLITE_OK && m->run ? m->run(b, db) : PP_OK;
    char *sql = NULL;
    if (rc == SQLITE_OK && !e) {
      sql = sqlite3_mprintf("%s PRAGMA user_version=%d;", m->after ? m->after : "", step + 1);
      rc = sql ? sqlite3_exec(db, sql, NULL, NULL, &msg) : SQLITE_NOMEM;
    }
    sqlite3_free(sql);
    if (rc == SQLITE_OK && !e) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK || e) {
      pp_log_error("sqlite", "migration %d: %s", step + 1, e ? pp_err_name(e) : msg ? msg : "?");
      sqlite3_free(msg);
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return e ? e : PP_ERR_STORE;
    }
  }
  return PP_OK;
}

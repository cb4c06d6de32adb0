/* sqlite.c: the embedded SQLite backend (WAL, synchronous=FULL).  One writer
 * connection used only by the store's writer thread; a pool of reader
 * connections shared by every other thread. */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/clock.h"
#include "security/audit.h"
#include "security/checkpoint.h"
#include "security/merkle.h"
#include "core/log.h"
#include "store/store.h"

#define POOL 8

/* Prepared statements, one set per connection. */
enum {
  S_BEGIN, S_COMMIT, S_ROLLBACK,
  S_ACC_INS, S_ACC_UPD, S_ACC_GET,
  S_KEY_INS, S_KEY_UPD, S_KEY_DEL, S_KEY_GET,
  S_MSG_INS, S_MSG_PATCH, S_MSG_DEL, S_MSG_GET, S_MSG_COUNT,
  S_NUM_INS, S_NUM_UPD, S_NUM_DEL, S_NUM_GET, S_NUM_FIND,
  S_CAR_PUT, S_CAR_DEL, S_ROUTE_DEL_CARRIER, S_ROUTE_PUT, S_ROUTE_DEL, S_CAR_ALL, S_ROUTE_ALL,
  S_CLAIM, S_SUB_MSG, S_PART_INS, S_EARLY_TAKE, S_RETRY, S_FAIL, S_PART_DLR, S_EARLY_PUT,
  S_PARTS_TALLY, S_MSG_FINAL,
  S_MO_SWEEP, S_MO_INS, S_MO_READ, S_MO_DEL, S_SENDER_PUT, S_SENDER_DEL, S_SENDER_GET,
  S_HOOK_CLAIM, S_HOOK_DEL, S_HOOK_RETRY, S_HOOK_FOLLOW, S_HOOK_DUE, S_ALERT_INS, S_ALERT_GET,
  S_MSG_BETWEEN,
  S_SVC_INS, S_SVC_UPD, S_SVC_DEL, S_SVC_GET, S_SVCNUM_INS, S_SVCNUM_DEL, S_SVCNUM_GET,
  S_SVC_STICKY, S_SVC_PICK,
  S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
  S_AUD_HEAD_GET, S_AUD_HEAD_PUT, S_AUD_INS, S_AUD_RES_INS, S_AUD_NODE_INS, S_AUD_NODE_GET,
  S_AUD_LEAF_HASH, S_AUD_GET, S_AUD_RES_GET, S_AUD_RES_RANGE, S_AUD_SCAN, S_AUD_BY_PRINCIPAL,
  S_AUD_BY_SESSION, S_AUD_BY_IP, S_AUD_CP_INS, S_AUD_CP_LAST, S_AUD_CP_LIST,
  S__COUNT
};

#define ACC_COLS "seq,sid,owner_sid,friendly_name,status,auth_token,secondary_token," \
                 "secondary_created,date_created,date_updated"
#define KEY_COLS "seq,sid,account_sid,friendly_name,secret_hash,date_created,date_updated"
#define MSG_COLS "seq,sid,account_sid,messaging_service_sid,to_addr,from_addr,body," \
                 "media_urls,status_callback,error_message,direction,status,num_media," \
                 "num_segments,error_code,validity_period,date_created,date_updated," \
                 "date_sent,send_at"

#define HOOK_COLS "seq,token,account_sid,message_sid,kind,event,method,url,error_code," \
                  "attempts,redirects,created_ms"
#define ALERT_COLS "seq,sid,account_sid,error_code,log_level,alert_text,request_method," \
                   "request_url,request_variables,response_body,response_headers," \
                   "resource_sid,service_sid,date_created"
#define CAR_COLS "seq,name,host,port,system_id,password,system_type,bind_mode,window," \
                 "mps,binds,date_created,date_updated,concat,payload,gsm7"
#define NUM_COLS "seq,sid,account_sid,phone_number,friendly_name,sms_method," \
                 "sms_fallback_method,status_callback_method,sms_url,sms_fallback_url," \
                 "status_callback,date_created,date_updated"

#define SVC_COLS "seq,sid,account_sid,friendly_name,inbound_request_url,inbound_method," \
                 "fallback_url,fallback_method,status_callback,sticky_sender,mms_converter," \
                 "smart_encoding,scan_message_content,fallback_to_long_code," \
                 "area_code_geomatch,validity_period,synchronous_validation,usecase," \
                 "use_inbound_webhook_on_number,date_created,date_updated"
/* A pool member with its number's E.164, as one row source whose column
 * names are those of the list query (so the keyset clause can say `seq`). */
#define SVCNUM_COLS "seq,sid,service_sid,account_sid,phone_number,date_created,date_updated"
#define SVCNUM_FROM "(SELECT sn.seq AS seq,sn.number_sid AS sid,sn.service_sid AS service_sid," \
                    "sn.account_sid AS account_sid,p.phone_number AS phone_number," \
                    "sn.date_created AS date_created,sn.date_updated AS date_updated " \
                    "FROM messaging_service_numbers sn JOIN phone_numbers p " \
                    "ON p.sid=sn.number_sid)"

/* The audit log's columns: the small index columns first, the leaf last
 * (searches never read it). */
#define AUD_COLS "seq,time_ms,event,principal,session,ip,account_sid,outcome,leaf_hash,leaf"
#define AUD_IDX_COLS "seq,time_ms,event,principal,session,ip,account_sid,outcome,NULL,NULL"
#define AUD_SEARCH(col)                                                   \
  "SELECT " AUD_IDX_COLS " FROM audit_log WHERE " col "=?1 AND time_ms>=?2 " \
  "AND time_ms<?3 ORDER BY time_ms,seq LIMIT ?4"
#define AUD_CP_COLS "seq,tree_size,root,time,note"

static const char *sql_text[S__COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_ACC_INS] = "INSERT INTO accounts(sid,owner_sid,friendly_name,status,auth_token,"
                  "secondary_token,secondary_created,date_created,date_updated) "
                  "VALUES(?,?,?,?,?,?,?,?,?)",
    [S_ACC_UPD] = "UPDATE accounts SET friendly_name=?2,status=?3,auth_token=?4,"
                  "secondary_token=?5,secondary_created=?6,date_updated=?7 WHERE sid=?1",
    [S_ACC_GET] = "SELECT " ACC_COLS " FROM accounts WHERE sid=?",
    [S_KEY_INS] = "INSERT INTO api_keys(sid,account_sid,friendly_name,secret_hash,"
                  "date_created,date_updated) VALUES(?,?,?,?,?,?)",
    [S_KEY_UPD] = "UPDATE api_keys SET friendly_name=?3,date_updated=?4 "
                  "WHERE sid=?1 AND account_sid=?2",
    [S_KEY_DEL] = "DELETE FROM api_keys WHERE sid=?2 AND account_sid=?1",
    [S_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE sid=?",
    [S_MSG_INS] = "INSERT INTO messages(sid,account_sid,messaging_service_sid,to_addr,"
                  "from_addr,body,media_urls,status_callback,error_message,direction,"
                  "status,num_media,num_segments,error_code,validity_period,date_created,"
                  "date_updated,date_sent,send_at,next_attempt) "
                  "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?19)",
    [S_MSG_PATCH] = "UPDATE messages SET body=coalesce(?3,body),status=coalesce(?4,status),"
                    "date_updated=?6 WHERE account_sid=?1 AND sid=?2 "
                    "AND (?5 IS NULL OR status=?5)",
    [S_MSG_DEL] = "DELETE FROM messages WHERE account_sid=?1 AND sid=?2",
    [S_MSG_GET] = "SELECT " MSG_COLS " FROM messages WHERE account_sid=? AND sid=?",
    [S_MSG_COUNT] = "SELECT count(*) FROM messages",
    [S_NUM_INS] = "INSERT INTO phone_numbers(sid,account_sid,phone_number,friendly_name,"
                  "sms_method,sms_fallback_method,status_callback_method,sms_url,"
                  "sms_fallback_url,status_callback,date_created,date_updated) "
                  "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_NUM_UPD] = "UPDATE phone_numbers SET friendly_name=?3,sms_method=?4,"
                  "sms_fallback_method=?5,status_callback_method=?6,sms_url=?7,"
                  "sms_fallback_url=?8,status_callback=?9,date_updated=?10 "
                  "WHERE sid=?1 AND account_sid=?2",
    [S_NUM_DEL] = "DELETE FROM phone_numbers WHERE account_sid=?1 AND sid=?2",
    [S_NUM_GET] = "SELECT " NUM_COLS " FROM phone_numbers WHERE account_sid=? AND sid=?",
    [S_NUM_FIND] = "SELECT " NUM_COLS " FROM phone_numbers WHERE phone_number=?",
    [S_CAR_PUT] = "INSERT INTO carriers(name,host,port,system_id,password,system_type,"
                  "bind_mode,window,mps,binds,date_created,date_updated,concat,payload,gsm7) "
                  "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                  "concat=excluded.concat,payload=excluded.payload,gsm7=excluded.gsm7,"
                  "host=excluded.host,port=excluded.port,system_id=excluded.system_id,"
                  "password=excluded.password,system_type=excluded.system_type,"
                  "bind_mode=excluded.bind_mode,window=excluded.window,mps=excluded.mps,"
                  "binds=excluded.binds,date_updated=excluded.date_updated",
    [S_CAR_DEL] = "DELETE FROM carriers WHERE name=?1",
    [S_ROUTE_DEL_CARRIER] = "DELETE FROM routes WHERE carrier=?1",
    [S_ROUTE_PUT] = "INSERT INTO routes(prefix,carrier,priority,date_created) VALUES(?,?,?,?) "
                    "ON CONFLICT(prefix,carrier) DO UPDATE SET priority=excluded.priority",
    [S_ROUTE_DEL] = "DELETE FROM routes WHERE prefix=?1 AND carrier=?2",
    [S_CAR_ALL] = "SELECT " CAR_COLS " FROM carriers ORDER BY name",
    [S_ROUTE_ALL] = "SELECT seq,prefix,carrier,priority,date_created FROM routes "
                    "ORDER BY length(prefix) DESC, priority ASC, seq ASC",
    [S_CLAIM] = "UPDATE messages SET status='sending',lease_until=?2,attempts=attempts+1,"
                "date_updated=?1 WHERE seq IN (SELECT seq FROM messages WHERE status IN "
                "('queued','accepted','scheduled','sending') AND next_attempt<=?1 AND "
                "lease_until<?1 ORDER BY next_attempt,seq LIMIT ?3) RETURNING seq,sid,"
                "account_sid,to_addr,from_addr,body,validity_period,attempts,date_created",
    [S_SUB_MSG] = "UPDATE messages SET status='sent',date_sent=?2,date_updated=?2,carrier=?3,"
                  "lease_until=0 WHERE seq=?1 AND status='sending'",
    [S_PART_INS] = "INSERT OR REPLACE INTO message_parts(carrier,smsc_id,message_seq,part,"
                   "parts,state,error_code) VALUES(?,?,?,?,?,0,0)",
    [S_EARLY_TAKE] = "DELETE FROM early_receipts WHERE carrier=?1 AND smsc_id=?2 "
                     "RETURNING state,error_code",
    [S_RETRY] = "UPDATE messages SET status='queued',next_attempt=?2,lease_until=0 "
                "WHERE seq=?1 AND status='sending'",
    [S_FAIL] = "UPDATE messages SET status=?3,error_code=?4,error_message=?5,lease_until=0,"
               "date_updated=?2 WHERE seq=?1 AND status IN ('sending','sent','queued')",
    [S_PART_DLR] = "UPDATE message_parts SET state=?3,error_code=?4 WHERE carrier=?1 AND "
                   "smsc_id=?2 RETURNING message_seq",
    [S_EARLY_PUT] = "INSERT OR REPLACE INTO early_receipts(carrier,smsc_id,state,error_code,"
                    "received_at) VALUES(?,?,?,?,?)",
    [S_PARTS_TALLY] = "SELECT count(*),sum(state=2),sum(state IN (3,4,5,8)),"
                      "max(CASE WHEN state IN (3,4,5,8) THEN error_code ELSE 0 END),"
                      "max(parts) FROM message_parts WHERE message_seq=?1",
    [S_MSG_FINAL] = "UPDATE messages SET status=?2,error_code=?3,error_message=?4,"
                    "date_updated=?5 WHERE seq=?1 AND status IN ('sent','sending')",
    [S_MO_SWEEP] = "DELETE FROM mo_parts WHERE received_at<?1",
    [S_MO_INS] = "INSERT OR IGNORE INTO mo_parts(dst,src,ref,total,part,body,received_at) "
                 "VALUES(?,?,?,?,?,?,?)",
    [S_MO_READ] = "SELECT part,body FROM mo_parts WHERE dst=?1 AND src=?2 AND ref=?3 "
                  "AND total=?4 ORDER BY part",
    [S_MO_DEL] = "DELETE FROM mo_parts WHERE dst=?1 AND src=?2 AND ref=?3 AND total=?4",
    [S_SENDER_PUT] = "INSERT OR IGNORE INTO sender_ids(account_sid,sender,date_created) "
                     "VALUES(?,?,?)",
    [S_SENDER_DEL] = "DELETE FROM sender_ids WHERE account_sid=?1 AND sender=?2",
    [S_SENDER_GET] = "SELECT 1 FROM sender_ids WHERE account_sid=?1 AND sender=?2",
    [S_HOOK_CLAIM] = "UPDATE webhooks SET lease_until=?2,attempts=attempts+1 WHERE seq IN ("
                     "SELECT w.seq FROM webhooks w WHERE w.next_attempt<=?1 AND "
                     "w.lease_until<?1 AND NOT EXISTS (SELECT 1 FROM webhooks o WHERE "
                     "o.message_sid=w.message_sid AND o.kind=w.kind AND o.seq<w.seq) "
                     "ORDER BY w.next_attempt,w.seq LIMIT ?3) RETURNING " HOOK_COLS,
    [S_HOOK_DEL] = "DELETE FROM webhooks WHERE seq=?1",
    [S_HOOK_RETRY] = "UPDATE webhooks SET next_attempt=?2,lease_until=0 WHERE seq=?1",
    [S_HOOK_FOLLOW] = "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,"
                      "error_code,url,method,redirects,created_ms,next_attempt) SELECT "
                      "lower(hex(randomblob(16))),account_sid,message_sid,kind,event,"
                      "error_code,?2,?3,redirects+1,created_ms,0 FROM webhooks WHERE seq=?1",
    [S_HOOK_DUE] = "SELECT next_attempt FROM webhooks WHERE lease_until<?1 "
                   "ORDER BY next_attempt LIMIT 1",
    [S_ALERT_INS] = "INSERT INTO alerts(sid,account_sid,error_code,log_level,alert_text,"
                    "request_method,request_url,request_variables,response_body,"
                    "response_headers,resource_sid,service_sid,date_created) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_ALERT_GET] = "SELECT " ALERT_COLS " FROM alerts WHERE account_sid=? AND sid=?",
    [S_MSG_BETWEEN] = "SELECT count(*) FROM messages WHERE account_sid=?1 AND to_addr=?3 "
                      "AND from_addr=?2 AND direction=?4 AND date_created>=?5",
    [S_SVC_INS] = "INSERT INTO messaging_services(sid,account_sid,friendly_name,"
                  "inbound_request_url,inbound_method,fallback_url,fallback_method,"
                  "status_callback,sticky_sender,mms_converter,smart_encoding,"
                  "scan_message_content,fallback_to_long_code,area_code_geomatch,"
                  "validity_period,synchronous_validation,usecase,"
                  "use_inbound_webhook_on_number,date_created,date_updated) "
                  "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,"
                  "?19,?20)",
    /* The same parameters as S_SVC_INS (?19, date_created, unused). */
    [S_SVC_UPD] = "UPDATE messaging_services SET friendly_name=?3,inbound_request_url=?4,"
                  "inbound_method=?5,fallback_url=?6,fallback_method=?7,status_callback=?8,"
                  "sticky_sender=?9,mms_converter=?10,smart_encoding=?11,"
                  "scan_message_content=?12,fallback_to_long_code=?13,"
                  "area_code_geomatch=?14,validity_period=?15,synchronous_validation=?16,"
                  "usecase=?17,use_inbound_webhook_on_number=?18,date_updated=?20 "
                  "WHERE sid=?1 AND account_sid=?2",
    /* The pool goes with it (ON DELETE CASCADE). */
    [S_SVC_DEL] = "DELETE FROM messaging_services WHERE account_sid=?1 AND sid=?2",
    [S_SVC_GET] = "SELECT " SVC_COLS " FROM messaging_services WHERE account_sid=? AND sid=?",
    /* Inserts nothing unless the service and the number are both the
     * account's; the UNIQUE number_sid keeps a number in one service. */
    [S_SVCNUM_INS] = "INSERT INTO messaging_service_numbers(service_sid,number_sid,account_sid,"
                     "date_created,date_updated) SELECT s.sid,p.sid,s.account_sid,?4,?5 "
                     "FROM messaging_services s JOIN phone_numbers p "
                     "ON p.account_sid=s.account_sid WHERE s.sid=?1 AND p.sid=?2 "
                     "AND s.account_sid=?3",
    [S_SVCNUM_DEL] = "DELETE FROM messaging_service_numbers WHERE service_sid=?1 "
                     "AND number_sid=?2 AND account_sid=?3",
    [S_SVCNUM_GET] = "SELECT " SVCNUM_COLS " FROM " SVCNUM_FROM
                     " WHERE account_sid=?1 AND service_sid=?2 AND sid=?3",
    [S_SVC_STICKY] = "SELECT m.from_addr FROM messages m WHERE m.account_sid=?1 "
                     "AND m.to_addr=?3 AND m.messaging_service_sid=?2 AND EXISTS("
                     "SELECT 1 FROM messaging_service_numbers sn JOIN phone_numbers p "
                     "ON p.sid=sn.number_sid WHERE sn.service_sid=?2 "
                     "AND p.phone_number=m.from_addr) ORDER BY m.seq DESC LIMIT 1",
    [S_SVC_PICK] = "SELECT p.phone_number FROM messaging_service_numbers sn "
                   "JOIN phone_numbers p ON p.sid=sn.number_sid "
                   "WHERE sn.service_sid=?1 AND sn.account_sid=?2 ORDER BY sn.seq "
                   "LIMIT 1 OFFSET ?3 % max(1,(SELECT count(*) FROM "
                   "messaging_service_numbers WHERE service_sid=?1))",
    [S_SAVEPOINT] = "SAVEPOINT pp_write",
    [S_RELEASE] = "RELEASE pp_write",
    [S_ROLLBACK_TO] = "ROLLBACK TO pp_write",
    [S_AUD_HEAD_GET] = "SELECT size,root,frontier FROM audit_head WHERE id=1",
    [S_AUD_HEAD_PUT] = "UPDATE audit_head SET size=?1,root=?2,frontier=?3 WHERE id=1",
    [S_AUD_INS] = "INSERT INTO audit_log(" AUD_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)",
    [S_AUD_RES_INS] = "INSERT INTO audit_resources(seq,sid) VALUES(?1,?2)",
    [S_AUD_NODE_INS] = "INSERT INTO audit_nodes(level,idx,hash) VALUES(?1,?2,?3)",
    [S_AUD_NODE_GET] = "SELECT hash FROM audit_nodes WHERE level=?1 AND idx=?2",
    [S_AUD_LEAF_HASH] = "SELECT leaf_hash FROM audit_log WHERE seq=?1",
    [S_AUD_GET] = "SELECT " AUD_COLS " FROM audit_log WHERE seq=?1",
    [S_AUD_RES_GET] = "SELECT sid FROM audit_resources WHERE seq=?1 ORDER BY sid",
    [S_AUD_RES_RANGE] = "SELECT seq,sid FROM audit_resources WHERE seq>=?1 AND seq<=?2 "
                        "ORDER BY seq,sid",
    [S_AUD_SCAN] = "SELECT " AUD_COLS " FROM audit_log WHERE seq>=?1 ORDER BY seq LIMIT ?2",
    [S_AUD_BY_PRINCIPAL] = AUD_SEARCH("principal"),
    [S_AUD_BY_SESSION] = AUD_SEARCH("session"),
    [S_AUD_BY_IP] = AUD_SEARCH("ip"),
    [S_AUD_CP_INS] = "INSERT INTO audit_checkpoints(tree_size,root,time,note) VALUES(?1,?2,?3,?4)",
    [S_AUD_CP_LAST] = "SELECT " AUD_CP_COLS " FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    [S_AUD_CP_LIST] = "SELECT " AUD_CP_COLS " FROM audit_checkpoints WHERE seq>?1 "
                      "ORDER BY seq LIMIT ?2",
};

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
#define HOOK_INSERT                                                                      \
  "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,url,method," \
  "created_ms,next_attempt) "
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
    "CREATE TRIGGER messages_hook_created AFTER INSERT ON messages"
    " WHEN NEW.status_callback IS NOT NULL AND NEW.status IN ('queued','accepted')"
    " BEGIN " HOOK_INSERT
    " VALUES(lower(hex(randomblob(16))),NEW.account_sid,NEW.sid,'status',NEW.status,"
    " NEW.error_code,NEW.status_callback,'POST',NEW.date_updated*1000,0); END;"
    "CREATE TRIGGER messages_hook_status AFTER UPDATE OF status ON messages"
    " WHEN NEW.status_callback IS NOT NULL AND NEW.status<>OLD.status AND NEW.status IN"
    " ('sent','delivered','undelivered','failed','canceled','read') BEGIN " HOOK_INSERT
    " VALUES(lower(hex(randomblob(16))),NEW.account_sid,NEW.sid,'status',NEW.status,"
    " NEW.error_code,NEW.status_callback,'POST',NEW.date_updated*1000,0); END;"
    "CREATE TRIGGER messages_hook_inbound AFTER INSERT ON messages"
    " WHEN NEW.direction='inbound' BEGIN " HOOK_INSERT
    " SELECT lower(hex(randomblob(16))),NEW.account_sid,NEW.sid,'inbound','received',0,"
    " p.sms_url,p.sms_method,NEW.date_created*1000,0 FROM phone_numbers p"
    " WHERE p.phone_number=NEW.to_addr AND p.account_sid=NEW.account_sid"
    " AND coalesce(p.sms_url,'')<>''; END;";

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
    "DROP TRIGGER messages_hook_inbound;"
    "CREATE TRIGGER messages_hook_inbound AFTER INSERT ON messages"
    " WHEN NEW.direction='inbound' BEGIN " HOOK_INSERT
    " SELECT lower(hex(randomblob(16))),NEW.account_sid,NEW.sid,'inbound','received',0,"
    " coalesce(s.inbound_request_url,p.sms_url),"
    " CASE WHEN s.inbound_request_url IS NULL THEN p.sms_method ELSE s.inbound_method END,"
    " NEW.date_created*1000,0 FROM phone_numbers p"
    " LEFT JOIN messaging_service_numbers sn ON sn.number_sid=p.sid"
    " LEFT JOIN messaging_services s ON s.sid=sn.service_sid"
    "  AND s.use_inbound_webhook_on_number=0 AND coalesce(s.inbound_request_url,'')<>''"
    " WHERE p.phone_number=NEW.to_addr AND p.account_sid=NEW.account_sid"
    " AND coalesce(s.inbound_request_url,p.sms_url,'')<>''; END;";

/* Per-carrier GSM-7 packing: "unpacked" (one septet per octet) or "packed". */
static const char schema_v8[] =
    "ALTER TABLE carriers ADD COLUMN gsm7 TEXT NOT NULL DEFAULT 'unpacked';";

/* The audit log (docs/internals/audit.md): one row per leaf of its Merkle
 * tree (seq = the leaf index) with the index columns blast-radius searches
 * read, the resources each entry touched, the perfect subtree hashes at
 * every fourth level (proofs in O(log n) reads), the head (size, root and
 * frontier: for each set bit of the size, ascending, the 32-byte root of
 * that perfect subtree) and every signed checkpoint.  Triggers refuse to
 * change or delete the log's rows: it is append-only. */
#define AUDIT_KEEP(t)                                                           \
  "CREATE TRIGGER " t "_no_update BEFORE UPDATE ON " t                         \
  " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"           \
  "CREATE TRIGGER " t "_no_delete BEFORE DELETE ON " t                         \
  " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
static const char schema_v9[] =
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
    " time INTEGER NOT NULL, note TEXT NOT NULL);"
    AUDIT_KEEP("audit_log") AUDIT_KEEP("audit_resources") AUDIT_KEEP("audit_nodes")
    AUDIT_KEEP("audit_checkpoints");

/* Schema steps in order; user_version counts the steps applied. */
static const char *const migrations[] = {schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
                                         schema_v6, schema_v7, schema_v8, schema_v9};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

typedef struct conn {
  sqlite3 *db;
  sqlite3_stmt *st[S__COUNT];
  struct conn *next_free;
} conn_t;

typedef struct {
  conn_t writer;
  conn_t readers[POOL];
  conn_t *free_list;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* Writer thread only: the audit tree's frontier as of the last batch
   * (checked against audit_head when a batch first appends, since another
   * process may have appended since), what it was when the batch began,
   * and whether the batch appended. */
  pp_merkle_frontier_t aud, aud_begin;
  bool aud_synced, aud_dirty;
} be_t;

static pp_err_t db_err(sqlite3 *db, const char *what) {
  pp_log_error("sqlite", "%s: %s", what, sqlite3_errmsg(db));
  return PP_ERR_STORE;
}

static pp_err_t conn_open(conn_t *c, const char *path) {
  memset(c, 0, sizeof *c);
  int rc = sqlite3_open_v2(path, &c->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    pp_log_error("sqlite", "open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "no memory");
    sqlite3_close(c->db);
    c->db = NULL;
    return PP_ERR_STORE;
  }
  sqlite3_busy_timeout(c->db, 10000);
  char *msg = NULL;
  rc = sqlite3_exec(c->db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                    NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    pp_log_error("sqlite", "pragmas: %s", msg ? msg : "?");
    sqlite3_free(msg);
    return PP_ERR_STORE;
  }
  return PP_OK;
}

static pp_err_t conn_prepare(conn_t *c) {
  for (int i = 0; i < S__COUNT; i++)
    if (sqlite3_prepare_v3(c->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                           NULL) != SQLITE_OK)
      return db_err(c->db, sql_text[i]);
  return PP_OK;
}

static void conn_close(conn_t *c) {
  for (int i = 0; i < S__COUNT; i++) sqlite3_finalize(c->st[i]);
  sqlite3_close(c->db);
  c->db = NULL;
}

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
static pp_err_t migrate(sqlite3 *db) {
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
    char *sql = sqlite3_mprintf("%s PRAGMA user_version=%d;", migrations[step], step + 1);
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, &msg) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
      pp_log_error("sqlite", "migration %d: %s", step + 1, msg ? msg : "?");
      sqlite3_free(msg);
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return PP_ERR_STORE;
    }
  }
  return PP_OK;
}

static void be_close(void *p) {
  be_t *b = p;
  if (!b) return;
  if (b->writer.db) conn_close(&b->writer);
  for (int i = 0; i < POOL; i++)
    if (b->readers[i].db) conn_close(&b->readers[i]);
  pthread_mutex_destroy(&b->mu);
  pthread_cond_destroy(&b->cv);
  free(b);
}

static pp_err_t be_open(const char *dir, void **out) {
  if (mkdir(dir, 0700) != 0) {
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      pp_log_error("sqlite", "cannot create data directory %s", dir);
      return PP_ERR_IO;
    }
  }
  char path[1024];
  if (snprintf(path, sizeof path, "%s/pipit.db", dir) >= (int)sizeof path)
    return PP_ERR_INVALID_PARAM;
  be_t *b = calloc(1, sizeof *b);
  if (!b) return PP_ERR_NOMEM;
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
  pp_err_t e = conn_open(&b->writer, path);
  /* The writer keeps the pages it keeps changing (the audit log's indexes
   * take random keys) in memory: 64 MiB. */
  if (!e) sqlite3_exec(b->writer.db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
  if (!e) e = migrate(b->writer.db);
  if (!e) e = conn_prepare(&b->writer);
  for (int i = 0; !e && i < POOL; i++) {
    e = conn_open(&b->readers[i], path);
    if (!e) e = conn_prepare(&b->readers[i]);
    b->readers[i].next_free = b->free_list;
    b->free_list = &b->readers[i];
  }
  if (e) {
    be_close(b);
    return e;
  }
  *out = b;
  return PP_OK;
}

static conn_t *acquire(be_t *b) {
  pthread_mutex_lock(&b->mu);
  while (!b->free_list) pthread_cond_wait(&b->cv, &b->mu);
  conn_t *c = b->free_list;
  b->free_list = c->next_free;
  pthread_mutex_unlock(&b->mu);
  return c;
}

static void release(be_t *b, conn_t *c) {
  pthread_mutex_lock(&b->mu);
  c->next_free = b->free_list;
  b->free_list = c;
  pthread_cond_signal(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

/* ---- binding helpers -------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

static const char *col_dup(pp_arena_t *a, sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return NULL;
  const char *s = (const char *)sqlite3_column_text(st, i);
  int n = sqlite3_column_bytes(st, i);
  return pp_arena_strndup(a, s ? s : "", (size_t)n);
}

static void col_copy(char *dst, size_t size, sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  snprintf(dst, size, "%s", s ? s : "");
}

static int step_done(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* ---- writes ------------------------------------------------------------ */

static pp_err_t result_of(sqlite3 *db, int rc, int changes_expected) {
  if (rc == SQLITE_DONE) {
    if (changes_expected && sqlite3_changes(db) == 0) return PP_ERR_NOT_FOUND;
    return PP_OK;
  }
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return PP_ERR_CONFLICT;
  pp_log_error("sqlite", "write: %s", sqlite3_errmsg(db));
  return PP_ERR_STORE;
}

static pp_err_t apply_claim(conn_t *c, pp_claim_t *cl) {
  sqlite3_stmt *st = c->st[S_CLAIM];
  cl->n = 0;
  cl->rows = pp_arena_alloc(cl->arena, (cl->limit ? cl->limit : 1) * sizeof *cl->rows);
  if (!cl->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, cl->now);
  sqlite3_bind_int64(st, 2, cl->lease_until);
  sqlite3_bind_int64(st, 3, (int64_t)cl->limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (cl->n >= cl->limit) continue; /* cannot happen: LIMIT */
    pp_outbound_t *o = &cl->rows[cl->n];
    o->seq = sqlite3_column_int64(st, 0);
    col_copy(o->sid, sizeof o->sid, st, 1);
    col_copy(o->account_sid, sizeof o->account_sid, st, 2);
    o->to = col_dup(cl->arena, st, 3);
    o->from = col_dup(cl->arena, st, 4);
    o->body = col_dup(cl->arena, st, 5);
    o->validity_period = sqlite3_column_int(st, 6);
    o->attempts = sqlite3_column_int(st, 7);
    o->date_created = sqlite3_column_int64(st, 8);
    if (!o->to || !o->from || !o->body) e = PP_ERR_NOMEM;
    else cl->n++;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return db_err(c->db, "claim");
  return e;
}

/* Decides a message's final status from its parts, once every part has a
 * final receipt.  Sets *finished when it did. */
static pp_err_t settle(conn_t *c, int64_t seq, int64_t now, bool *finished) {
  sqlite3_stmt *st = c->st[S_PARTS_TALLY];
  sqlite3_bind_int64(st, 1, seq);
  int rc = sqlite3_step(st);
  int64_t count = 0, delivered = 0, failed = 0, err = 0, parts = 0;
  if (rc == SQLITE_ROW) {
    count = sqlite3_column_int64(st, 0);
    delivered = sqlite3_column_int64(st, 1);
    failed = sqlite3_column_int64(st, 2);
    err = sqlite3_column_int64(st, 3);
    parts = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW) return db_err(c->db, "tally");
  *finished = false;
  if (count == 0 || count < parts || delivered + failed < count) return PP_OK;
  st = c->st[S_MSG_FINAL];
  sqlite3_bind_int64(st, 1, seq);
  bind_text(st, 2, failed ? "undelivered" : "delivered");
  sqlite3_bind_int64(st, 3, failed ? err : 0);
  bind_text(st, 4, failed ? "Message undelivered: the carrier reported it could not be "
                            "delivered to the handset" : NULL);
  sqlite3_bind_int64(st, 5, now);
  pp_err_t e = result_of(c->db, step_done(st), 0);
  if (!e) *finished = sqlite3_changes(c->db) > 0;
  return e;
}

/* Records one part's receipt state; the caller settles the message. */
static pp_err_t part_state(conn_t *c, const char *carrier, const char *smsc_id, int state,
                           int error_code, int64_t *seq_out) {
  sqlite3_stmt *st = c->st[S_PART_DLR];
  bind_text(st, 1, carrier);
  bind_text(st, 2, smsc_id);
  sqlite3_bind_int(st, 3, state);
  sqlite3_bind_int(st, 4, error_code);
  int rc = sqlite3_step(st);
  *seq_out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  while (rc == SQLITE_ROW) rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? PP_OK : db_err(c->db, "receipt");
}

static pp_err_t apply_submitted(conn_t *c, const pp_submitted_t *sb) {
  sqlite3_stmt *st = c->st[S_SUB_MSG];
  sqlite3_bind_int64(st, 1, sb->seq);
  sqlite3_bind_int64(st, 2, sb->now);
  bind_text(st, 3, sb->carrier);
  pp_err_t e = result_of(c->db, step_done(st), 1);
  if (e) return e; /* not `sending` any more (canceled, or settled already) */
  for (size_t i = 0; i < sb->n; i++) {
    st = c->st[S_PART_INS];
    bind_text(st, 1, sb->carrier);
    bind_text(st, 2, sb->parts[i].smsc_id);
    sqlite3_bind_int64(st, 3, sb->seq);
    sqlite3_bind_int(st, 4, sb->parts[i].part);
    sqlite3_bind_int(st, 5, sb->parts[i].parts);
    if ((e = result_of(c->db, step_done(st), 0))) return e;
  }
  /* Receipts that overtook their submit_sm_resp wait in early_receipts. */
  bool any = false;
  for (size_t i = 0; i < sb->n; i++) {
    st = c->st[S_EARLY_TAKE];
    bind_text(st, 1, sb->carrier);
    bind_text(st, 2, sb->parts[i].smsc_id);
    int rc = sqlite3_step(st);
    int state = 0, err = 0;
    bool found = rc == SQLITE_ROW;
    if (found) {
      state = sqlite3_column_int(st, 0);
      err = sqlite3_column_int(st, 1);
    }
    while (rc == SQLITE_ROW) rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return db_err(c->db, "early receipts");
    if (!found) continue;
    int64_t seq;
    if ((e = part_state(c, sb->carrier, sb->parts[i].smsc_id, state, err, &seq))) return e;
    any = true;
  }
  bool finished;
  return any ? settle(c, sb->seq, sb->now, &finished) : PP_OK;
}

static pp_err_t apply_receipt(conn_t *c, pp_receipt_t *rc_) {
  int64_t seq = 0;
  rc_->message_seq = 0;
  pp_err_t e = part_state(c, rc_->carrier, rc_->smsc_id, (int)rc_->state, rc_->error_code, &seq);
  if (e) return e;
  if (!seq) { /* before its submit_sm_resp was recorded: keep it for then */
    sqlite3_stmt *st = c->st[S_EARLY_PUT];
    bind_text(st, 1, rc_->carrier);
    bind_text(st, 2, rc_->smsc_id);
    sqlite3_bind_int(st, 3, (int)rc_->state);
    sqlite3_bind_int(st, 4, rc_->error_code);
    sqlite3_bind_int64(st, 5, rc_->now);
    return result_of(c->db, step_done(st), 0);
  }
  bool finished = false;
  e = settle(c, seq, rc_->now, &finished);
  if (!e && finished) rc_->message_seq = seq;
  return e;
}

static pp_err_t insert_message(conn_t *c, pp_message_t *m) {
  sqlite3_stmt *st = c->st[S_MSG_INS];
  int rc;
  bind_text(st, 1, m->sid);
  bind_text(st, 2, m->account_sid);
  bind_text(st, 3, m->messaging_service_sid);
  bind_text(st, 4, m->to);
  bind_text(st, 5, m->from);
  bind_text(st, 6, m->body ? m->body : "");
  bind_text(st, 7, m->media_urls ? m->media_urls : "");
  bind_text(st, 8, m->status_callback);
  bind_text(st, 9, m->error_message);
  bind_text(st, 10, m->direction);
  bind_text(st, 11, m->status);
  sqlite3_bind_int(st, 12, m->num_media);
  sqlite3_bind_int(st, 13, m->num_segments);
  sqlite3_bind_int(st, 14, m->error_code);
  sqlite3_bind_int(st, 15, m->validity_period);
  sqlite3_bind_int64(st, 16, m->date_created);
  sqlite3_bind_int64(st, 17, m->date_updated);
  sqlite3_bind_int64(st, 18, m->date_sent);
  sqlite3_bind_int64(st, 19, m->send_at);
  rc = step_done(st);
  if (rc == SQLITE_DONE) m->seq = sqlite3_last_insert_rowid(c->db);
  return result_of(c->db, rc, 0);
}

#define MO_PART_TTL (24 * 3600)

/* Binds ?1..?4 to the set a part belongs to. */
static void bind_mo_key(sqlite3_stmt *st, const pp_mo_part_t *mp) {
  bind_text(st, 1, mp->dst);
  bind_text(st, 2, mp->src);
  sqlite3_bind_int(st, 3, mp->ref);
  sqlite3_bind_int(st, 4, mp->total);
}

/* Keeps one inbound part; when it completes its set, inserts the message
 * with the joined text and drops the parts. */
static pp_err_t apply_mo_part(conn_t *c, pp_mo_part_t *mp) {
  mp->completed = false;
  sqlite3_stmt *st = c->st[S_MO_SWEEP];
  sqlite3_bind_int64(st, 1, mp->now - MO_PART_TTL);
  pp_err_t e = result_of(c->db, step_done(st), 0);
  if (e) return e;
  st = c->st[S_MO_INS];
  bind_mo_key(st, mp);
  sqlite3_bind_int(st, 5, mp->part);
  bind_text(st, 6, mp->text);
  sqlite3_bind_int64(st, 7, mp->now);
  if ((e = result_of(c->db, step_done(st), 0))) return e;

  st = c->st[S_MO_READ];
  bind_mo_key(st, mp);
  pp_buf_t body;
  pp_buf_init(&body, 64 * 1024);
  int rc, have = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    have++;
    pp_buf_append(&body, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) e = db_err(c->db, "inbound parts");
  else if (pp_buf_status(&body)) e = PP_ERR_NOMEM;
  if (e || have < mp->total) {
    pp_buf_cleanup(&body);
    return e;
  }
  mp->message->body = body.data ? body.data : "";
  e = insert_message(c, mp->message);
  mp->message->body = NULL;
  pp_buf_cleanup(&body);
  if (e) return e;
  st = c->st[S_MO_DEL];
  bind_mo_key(st, mp);
  if ((e = result_of(c->db, step_done(st), 0))) return e;
  mp->completed = true;
  return PP_OK;
}

static pp_err_t apply_hook_claim(conn_t *c, pp_hook_claim_t *cl) {
  sqlite3_stmt *st = c->st[S_HOOK_CLAIM];
  cl->n = 0;
  cl->rows = pp_arena_alloc(cl->arena, (cl->limit ? cl->limit : 1) * sizeof *cl->rows);
  if (!cl->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, cl->now_ms);
  sqlite3_bind_int64(st, 2, cl->lease_until_ms);
  sqlite3_bind_int64(st, 3, (int64_t)cl->limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (cl->n >= cl->limit) continue;
    pp_hook_t *h = &cl->rows[cl->n];
    h->seq = sqlite3_column_int64(st, 0);
    col_copy(h->token, sizeof h->token, st, 1);
    col_copy(h->account_sid, sizeof h->account_sid, st, 2);
    col_copy(h->message_sid, sizeof h->message_sid, st, 3);
    col_copy(h->kind, sizeof h->kind, st, 4);
    col_copy(h->event, sizeof h->event, st, 5);
    col_copy(h->method, sizeof h->method, st, 6);
    h->url = col_dup(cl->arena, st, 7);
    h->error_code = sqlite3_column_int(st, 8);
    h->attempts = sqlite3_column_int(st, 9);
    h->redirects = sqlite3_column_int(st, 10);
    h->created_ms = sqlite3_column_int64(st, 11);
    if (!h->url) e = PP_ERR_NOMEM;
    else cl->n++;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return db_err(c->db, "webhook claim");
  return e;
}

/* Messages of `direction` from `from` to `to` created since `since`. */
static pp_err_t count_between(conn_t *c, const char *account_sid, const char *from,
                              const char *to, const char *direction, int64_t since,
                              int64_t *out) {
  sqlite3_stmt *st = c->st[S_MSG_BETWEEN];
  bind_text(st, 1, account_sid);
  bind_text(st, 2, from);
  bind_text(st, 3, to);
  bind_text(st, 4, direction);
  sqlite3_bind_int64(st, 5, since);
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else
    e = db_err(c->db, "count between");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return e;
}

static pp_err_t insert_alert(conn_t *c, pp_alert_t *al) {
  sqlite3_stmt *st = c->st[S_ALERT_INS];
  bind_text(st, 1, al->sid);
  bind_text(st, 2, al->account_sid);
  sqlite3_bind_int(st, 3, al->error_code);
  bind_text(st, 4, al->log_level);
  bind_text(st, 5, al->alert_text ? al->alert_text : "");
  bind_text(st, 6, al->request_method);
  bind_text(st, 7, al->request_url);
  bind_text(st, 8, al->request_variables);
  bind_text(st, 9, al->response_body);
  bind_text(st, 10, al->response_headers);
  bind_text(st, 11, al->resource_sid);
  bind_text(st, 12, al->service_sid);
  sqlite3_bind_int64(st, 13, al->date_created);
  int rc = step_done(st);
  if (rc == SQLITE_DONE) al->seq = sqlite3_last_insert_rowid(c->db);
  return result_of(c->db, rc, 0);
}

/* What came of a webhook request: the alert, then the outcome; for an
 * answered inbound request also its replies and follow-up. */
static pp_err_t apply_hook_result(conn_t *c, pp_hook_result_t *hr) {
  pp_err_t e = hr->alert ? insert_alert(c, hr->alert) : PP_OK;
  if (e) return e;
  sqlite3_stmt *st;
  if (hr->outcome == PP_HOOK_RETRY) {
    st = c->st[S_HOOK_RETRY];
    sqlite3_bind_int64(st, 1, hr->seq);
    sqlite3_bind_int64(st, 2, hr->next_attempt_ms);
    return result_of(c->db, step_done(st), 1);
  }
  hr->replies_refused = 0;
  if (hr->outcome == PP_HOOK_DONE) {
    for (size_t i = 0; i < hr->nreplies; i++) {
      pp_message_t *m = &hr->replies[i];
      int64_t recent = 0;
      if (hr->reply_max &&
          (e = count_between(c, m->account_sid, m->from, m->to, m->direction, hr->reply_since,
                             &recent)))
        return e;
      if (hr->reply_max && recent >= hr->reply_max) {
        if (hr->reply_alert && hr->replies_refused++ == 0 &&
            (e = insert_alert(c, hr->reply_alert)))
          return e;
        continue;
      }
      if ((e = insert_message(c, m))) return e;
    }
    if (hr->redirect_url) {
      st = c->st[S_HOOK_FOLLOW];
      sqlite3_bind_int64(st, 1, hr->seq);
      bind_text(st, 2, hr->redirect_url);
      bind_text(st, 3, hr->redirect_method ? hr->redirect_method : "POST");
      if ((e = result_of(c->db, step_done(st), 1))) return e;
    }
  }
  st = c->st[S_HOOK_DEL];
  sqlite3_bind_int64(st, 1, hr->seq);
  return result_of(c->db, step_done(st), 1);
}

/* Inserts or updates a service: both statements take the same parameters. */
static pp_err_t apply_service(conn_t *c, pp_service_t *sv, bool insert) {
  sqlite3_stmt *st = c->st[insert ? S_SVC_INS : S_SVC_UPD];
  bind_text(st, 1, sv->sid);
  bind_text(st, 2, sv->account_sid);
  bind_text(st, 3, sv->friendly_name);
  bind_text(st, 4, sv->inbound_request_url);
  bind_text(st, 5, sv->inbound_method);
  bind_text(st, 6, sv->fallback_url);
  bind_text(st, 7, sv->fallback_method);
  bind_text(st, 8, sv->status_callback);
  sqlite3_bind_int(st, 9, sv->sticky_sender);
  sqlite3_bind_int(st, 10, sv->mms_converter);
  sqlite3_bind_int(st, 11, sv->smart_encoding);
  bind_text(st, 12, sv->scan_message_content);
  sqlite3_bind_int(st, 13, sv->fallback_to_long_code);
  sqlite3_bind_int(st, 14, sv->area_code_geomatch);
  sqlite3_bind_int(st, 15, sv->validity_period);
  sqlite3_bind_int(st, 16, sv->synchronous_validation);
  bind_text(st, 17, sv->usecase);
  sqlite3_bind_int(st, 18, sv->use_inbound_webhook_on_number);
  sqlite3_bind_int64(st, 19, sv->date_created);
  sqlite3_bind_int64(st, 20, sv->date_updated);
  int rc = step_done(st);
  if (insert && rc == SQLITE_DONE) sv->seq = sqlite3_last_insert_rowid(c->db);
  return result_of(c->db, rc, !insert);
}

static pp_err_t apply_one(conn_t *c, pp_write_t *w) {
  sqlite3_stmt *st;
  int rc;
  switch (w->kind) {
  case PP_W_ACCOUNT_INSERT: {
    pp_account_t *a = w->u.account;
    st = c->st[S_ACC_INS];
    bind_text(st, 1, a->sid);
    bind_text(st, 2, a->owner_sid);
    bind_text(st, 3, a->friendly_name);
    bind_text(st, 4, a->status);
    bind_text(st, 5, a->auth_token);
    bind_text(st, 6, a->secondary_token);
    sqlite3_bind_int64(st, 7, a->secondary_created);
    sqlite3_bind_int64(st, 8, a->date_created);
    sqlite3_bind_int64(st, 9, a->date_updated);
    rc = step_done(st);
    if (rc == SQLITE_DONE) a->seq = sqlite3_last_insert_rowid(c->db);
    return result_of(c->db, rc, 0);
  }
  case PP_W_ACCOUNT_UPDATE: {
    pp_account_t *a = w->u.account;
    st = c->st[S_ACC_UPD];
    bind_text(st, 1, a->sid);
    bind_text(st, 2, a->friendly_name);
    bind_text(st, 3, a->status);
    bind_text(st, 4, a->auth_token);
    bind_text(st, 5, a->secondary_token);
    sqlite3_bind_int64(st, 6, a->secondary_created);
    sqlite3_bind_int64(st, 7, a->date_updated);
    return result_of(c->db, step_done(st), 1);
  }
  case PP_W_KEY_INSERT: {
    pp_key_t *k = w->u.key;
    st = c->st[S_KEY_INS];
    bind_text(st, 1, k->sid);
    bind_text(st, 2, k->account_sid);
    bind_text(st, 3, k->friendly_name);
    sqlite3_bind_blob(st, 4, k->secret_hash, sizeof k->secret_hash, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->date_created);
    sqlite3_bind_int64(st, 6, k->date_updated);
    rc = step_done(st);
    if (rc == SQLITE_DONE) k->seq = sqlite3_last_insert_rowid(c->db);
    return result_of(c->db, rc, 0);
  }
  case PP_W_KEY_UPDATE: {
    pp_key_t *k = w->u.key;
    st = c->st[S_KEY_UPD];
    bind_text(st, 1, k->sid);
    bind_text(st, 2, k->account_sid);
    bind_text(st, 3, k->friendly_name);
    sqlite3_bind_int64(st, 4, k->date_updated);
    return result_of(c->db, step_done(st), 1);
  }
  case PP_W_KEY_DELETE:
  case PP_W_MESSAGE_DELETE:
    st = c->st[w->kind == PP_W_KEY_DELETE ? S_KEY_DEL : S_MSG_DEL];
    bind_text(st, 1, w->u.ref.account_sid);
    bind_text(st, 2, w->u.ref.sid);
    return result_of(c->db, step_done(st), 1);
  case PP_W_MESSAGE_INSERT:
    return insert_message(c, w->u.message);
  case PP_W_NUMBER_INSERT:
  case PP_W_NUMBER_UPDATE: {
    pp_number_t *num = w->u.number;
    bool ins = w->kind == PP_W_NUMBER_INSERT;
    st = c->st[ins ? S_NUM_INS : S_NUM_UPD];
    int i = 1;
    bind_text(st, i++, num->sid);
    bind_text(st, i++, num->account_sid);
    if (ins) bind_text(st, i++, num->phone_number);
    bind_text(st, i++, num->friendly_name);
    bind_text(st, i++, num->sms_method);
    bind_text(st, i++, num->sms_fallback_method);
    bind_text(st, i++, num->status_callback_method);
    bind_text(st, i++, num->sms_url);
    bind_text(st, i++, num->sms_fallback_url);
    bind_text(st, i++, num->status_callback);
    if (ins) sqlite3_bind_int64(st, i++, num->date_created);
    sqlite3_bind_int64(st, i++, num->date_updated);
    rc = step_done(st);
    if (ins && rc == SQLITE_DONE) num->seq = sqlite3_last_insert_rowid(c->db);
    return result_of(c->db, rc, !ins);
  }
  case PP_W_NUMBER_DELETE:
    st = c->st[S_NUM_DEL];
    bind_text(st, 1, w->u.ref.account_sid);
    bind_text(st, 2, w->u.ref.sid);
    return result_of(c->db, step_done(st), 1);
  case PP_W_CARRIER_PUT: {
    pp_carrier_t *k = w->u.carrier;
    st = c->st[S_CAR_PUT];
    bind_text(st, 1, k->name);
    bind_text(st, 2, k->host);
    sqlite3_bind_int(st, 3, k->port);
    bind_text(st, 4, k->system_id);
    bind_text(st, 5, k->password);
    bind_text(st, 6, k->system_type);
    bind_text(st, 7, k->bind_mode);
    sqlite3_bind_int(st, 8, k->window);
    sqlite3_bind_int(st, 9, k->mps);
    sqlite3_bind_int(st, 10, k->binds);
    sqlite3_bind_int64(st, 11, k->date_created);
    sqlite3_bind_int64(st, 12, k->date_updated);
    bind_text(st, 13, k->concat[0] ? k->concat : "udh");
    sqlite3_bind_int(st, 14, k->payload);
    bind_text(st, 15, k->gsm7[0] ? k->gsm7 : "unpacked");
    return result_of(c->db, step_done(st), 0);
  }
  case PP_W_CARRIER_DELETE: {
    st = c->st[S_ROUTE_DEL_CARRIER];
    bind_text(st, 1, w->u.name);
    pp_err_t e = result_of(c->db, step_done(st), 0);
    if (e) return e;
    st = c->st[S_CAR_DEL];
    bind_text(st, 1, w->u.name);
    return result_of(c->db, step_done(st), 1);
  }
  case PP_W_ROUTE_PUT:
  case PP_W_ROUTE_DELETE: {
    pp_route_rule_t *rt = w->u.route;
    bool put = w->kind == PP_W_ROUTE_PUT;
    st = c->st[put ? S_ROUTE_PUT : S_ROUTE_DEL];
    bind_text(st, 1, rt->prefix);
    bind_text(st, 2, rt->carrier);
    if (put) {
      sqlite3_bind_int(st, 3, rt->priority);
      sqlite3_bind_int64(st, 4, rt->date_created);
    }
    return result_of(c->db, step_done(st), !put);
  }
  case PP_W_CLAIM:
    return apply_claim(c, &w->u.claim);
  case PP_W_SUBMITTED:
    return apply_submitted(c, &w->u.submitted);
  case PP_W_DELIVERY_RETRY:
    st = c->st[S_RETRY];
    sqlite3_bind_int64(st, 1, w->u.retry.seq);
    sqlite3_bind_int64(st, 2, w->u.retry.next_attempt);
    return result_of(c->db, step_done(st), 1);
  case PP_W_DELIVERY_FAIL:
    st = c->st[S_FAIL];
    sqlite3_bind_int64(st, 1, w->u.fail.seq);
    sqlite3_bind_int64(st, 2, w->u.fail.now);
    bind_text(st, 3, w->u.fail.status);
    sqlite3_bind_int(st, 4, w->u.fail.error_code);
    bind_text(st, 5, w->u.fail.error_message);
    return result_of(c->db, step_done(st), 1);
  case PP_W_RECEIPT:
    return apply_receipt(c, &w->u.receipt);
  case PP_W_MO_PART:
    return apply_mo_part(c, &w->u.mo_part);
  case PP_W_HOOK_CLAIM:
    return apply_hook_claim(c, &w->u.hook_claim);
  case PP_W_HOOK_RESULT:
    return apply_hook_result(c, &w->u.hook_result);
  case PP_W_SENDER_PUT:
  case PP_W_SENDER_DELETE: {
    bool put = w->kind == PP_W_SENDER_PUT;
    st = c->st[put ? S_SENDER_PUT : S_SENDER_DEL];
    bind_text(st, 1, w->u.sender.account_sid);
    bind_text(st, 2, w->u.sender.sender);
    if (put) sqlite3_bind_int64(st, 3, w->u.sender.now);
    return result_of(c->db, step_done(st), !put);
  }
  case PP_W_MESSAGE_PATCH: {
    const pp_message_patch_t *p = &w->u.patch;
    st = c->st[S_MSG_PATCH];
    bind_text(st, 1, p->account_sid);
    bind_text(st, 2, p->sid);
    bind_text(st, 3, p->body);
    bind_text(st, 4, p->status);
    bind_text(st, 5, p->if_status);
    sqlite3_bind_int64(st, 6, p->date_updated);
    pp_err_t e = result_of(c->db, step_done(st), 1);
    return e;
  }
  case PP_W_SERVICE_INSERT:
  case PP_W_SERVICE_UPDATE:
    return apply_service(c, w->u.service, w->kind == PP_W_SERVICE_INSERT);
  case PP_W_SERVICE_DELETE:
    st = c->st[S_SVC_DEL];
    bind_text(st, 1, w->u.ref.account_sid);
    bind_text(st, 2, w->u.ref.sid);
    return result_of(c->db, step_done(st), 1);
  case PP_W_SERVICE_NUMBER_INSERT: {
    pp_service_number_t *sn = w->u.service_number;
    st = c->st[S_SVCNUM_INS];
    bind_text(st, 1, sn->service_sid);
    bind_text(st, 2, sn->sid);
    bind_text(st, 3, sn->account_sid);
    sqlite3_bind_int64(st, 4, sn->date_created);
    sqlite3_bind_int64(st, 5, sn->date_updated);
    rc = step_done(st);
    pp_err_t e = result_of(c->db, rc, 1);
    if (!e) sn->seq = sqlite3_last_insert_rowid(c->db);
    return e;
  }
  case PP_W_AUDIT:
  case PP_W_AUDIT_CHECKPOINT:
    return PP_ERR_INTERNAL; /* be_apply applies these itself */
  case PP_W_SERVICE_NUMBER_DELETE:
    st = c->st[S_SVCNUM_DEL];
    bind_text(st, 1, w->u.service_number->service_sid);
    bind_text(st, 2, w->u.service_number->sid);
    bind_text(st, 3, w->u.service_number->account_sid);
    return result_of(c->db, step_done(st), 1);
  }
  return PP_ERR_INTERNAL;
}

/* ---- audit log: the writer side ----------------------------------------- */

/* The frontier as stored in audit_head: the hash of each set bit of the
 * size, ascending.  Returns the length written into out (64 * 32 room). */
static size_t frontier_encode(const pp_merkle_frontier_t *f, unsigned char *out) {
  size_t n = 0;
  for (int i = 0; i < 64; i++)
    if ((f->size >> i) & 1) {
      memcpy(out + n, f->hashes[i], PP_MERKLE_HASH_LEN);
      n += PP_MERKLE_HASH_LEN;
    }
  return n;
}

static bool frontier_decode(pp_merkle_frontier_t *f, uint64_t size, const unsigned char *blob,
                            size_t len) {
  if (len != (size_t)__builtin_popcountll(size) * PP_MERKLE_HASH_LEN) return false;
  pp_merkle_frontier_init(f);
  size_t n = 0;
  for (int i = 0; i < 64; i++)
    if ((size >> i) & 1) {
      memcpy(f->hashes[i], blob + n, PP_MERKLE_HASH_LEN);
      n += PP_MERKLE_HASH_LEN;
    }
  f->size = size;
  return true;
}

/* Brings the in-memory frontier in line with audit_head, once per batch
 * (another process, such as pipit admin, may have appended). */
static pp_err_t aud_sync(be_t *b) {
  if (b->aud_synced) return PP_OK;
  conn_t *c = &b->writer;
  sqlite3_stmt *st = c->st[S_AUD_HEAD_GET];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) != SQLITE_ROW) {
    e = db_err(c->db, "audit head");
  } else {
    uint64_t size = (uint64_t)sqlite3_column_int64(st, 0);
    const unsigned char *blob = sqlite3_column_blob(st, 2);
    size_t len = (size_t)sqlite3_column_bytes(st, 2);
    unsigned char mine[64 * PP_MERKLE_HASH_LEN];
    size_t mlen = frontier_encode(&b->aud, mine);
    bool same = size == b->aud.size && len == mlen && (!len || memcmp(blob, mine, len) == 0);
    if (!same && !frontier_decode(&b->aud, size, blob, len)) {
      pp_log_error("sqlite", "audit_head holds a malformed frontier (size %llu, %zu bytes)",
                   (unsigned long long)size, len);
      e = PP_ERR_STORE;
    }
  }
  sqlite3_reset(st);
  if (!e) {
    b->aud_begin = b->aud;
    b->aud_synced = true;
  }
  return e;
}

static pp_err_t aud_head_put(be_t *b) {
  conn_t *c = &b->writer;
  unsigned char blob[64 * PP_MERKLE_HASH_LEN], root[PP_MERKLE_HASH_LEN];
  size_t len = frontier_encode(&b->aud, blob);
  pp_merkle_frontier_root(&b->aud, root);
  sqlite3_stmt *st = c->st[S_AUD_HEAD_PUT];
  sqlite3_bind_int64(st, 1, (int64_t)b->aud.size);
  sqlite3_bind_blob(st, 2, root, sizeof root, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
  return result_of(c->db, step_done(st), 1);
}

static pp_err_t aud_insert_row(conn_t *c, const pp_audit_event_t *ev, const pp_buf_t *leaf,
                               const unsigned char hash[PP_MERKLE_HASH_LEN]) {
  sqlite3_stmt *st = c->st[S_AUD_INS];
  sqlite3_bind_int64(st, 1, ev->seq);
  sqlite3_bind_int64(st, 2, ev->time_ms);
  bind_text(st, 3, pp_audit_kind_name(ev->kind));
  bind_text(st, 4, ev->principal);
  bind_text(st, 5, ev->session);
  bind_text(st, 6, ev->ip);
  bind_text(st, 7, ev->account_sid);
  bind_text(st, 8, ev->outcome);
  sqlite3_bind_blob(st, 9, hash, PP_MERKLE_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(st, 10, leaf->data, (int)leaf->len, SQLITE_STATIC);
  return result_of(c->db, step_done(st), 0);
}

/* Appends `ev` as the next leaf: the row, its resources, the subtree hashes
 * it completes (every PP_STORE_AUDIT_NODE_STRIDE-th level); the frontier
 * moves only when all of it is written. */
static pp_err_t aud_append(be_t *b, pp_audit_event_t *ev, pp_err_t result) {
  conn_t *c = &b->writer;
  pp_err_t e = aud_sync(b);
  if (e) return e;
  if (ev->nresources > PP_AUDIT_MAX_RESOURCES || (ev->nresources && !ev->resources))
    return PP_ERR_INVALID_PARAM;
  if (!ev->outcome[0]) pp_audit_outcome(result, ev->outcome);
  if (!ev->time_ms) ev->time_ms = pp_clock_now_us() / 1000;
  ev->seq = (int64_t)b->aud.size;
  /* A leaf names each resource once. */
  const char **uniq = ev->nresources ? malloc(ev->nresources * sizeof *uniq) : NULL;
  if (ev->nresources && !uniq) return PP_ERR_NOMEM;
  size_t nu = 0;
  for (size_t i = 0; i < ev->nresources; i++) {
    const char *r = ev->resources[i];
    bool seen = !r;
    for (size_t j = 0; j < nu && !seen; j++) seen = strcmp(uniq[j], r) == 0;
    if (!seen) uniq[nu++] = r;
  }
  pp_audit_event_t leaf_ev = *ev;
  leaf_ev.resources = uniq;
  leaf_ev.nresources = nu;
  pp_buf_t leaf;
  pp_buf_init(&leaf, 0);
  e = pp_audit_leaf_encode(&leaf_ev, &leaf);
  unsigned char hash[PP_MERKLE_HASH_LEN];
  pp_merkle_frontier_t f = b->aud;
  pp_merkle_hash_t nodes[64];
  unsigned nn = 0;
  if (!e) {
    pp_merkle_leaf_hash(leaf.data, leaf.len, hash);
    e = pp_merkle_frontier_push(&f, hash, nodes, &nn);
  }
  if (!e) e = aud_insert_row(c, ev, &leaf, hash);
  for (size_t i = 0; !e && i < nu; i++) {
    sqlite3_stmt *st = c->st[S_AUD_RES_INS];
    sqlite3_bind_int64(st, 1, ev->seq);
    bind_text(st, 2, uniq[i]);
    e = result_of(c->db, step_done(st), 0);
  }
  for (unsigned i = 0; !e && i < nn; i++) {
    unsigned level = i + 1;
    if (level % PP_STORE_AUDIT_NODE_STRIDE) continue;
    sqlite3_stmt *st = c->st[S_AUD_NODE_INS];
    sqlite3_bind_int(st, 1, (int)level);
    sqlite3_bind_int64(st, 2, (int64_t)((f.size >> level) - 1));
    sqlite3_bind_blob(st, 3, nodes[i], PP_MERKLE_HASH_LEN, SQLITE_STATIC);
    e = result_of(c->db, step_done(st), 0);
  }
  pp_buf_cleanup(&leaf);
  free(uniq);
  if (e) {
    ev->seq = -1;
    return e == PP_ERR_CONFLICT ? PP_ERR_STORE : e;
  }
  b->aud = f;
  b->aud_dirty = true;
  return PP_OK;
}

static void row_checkpoint(sqlite3_stmt *st, pp_audit_checkpoint_t *cp) {
  memset(cp, 0, sizeof *cp);
  cp->seq = sqlite3_column_int64(st, 0);
  cp->tree_size = (uint64_t)sqlite3_column_int64(st, 1);
  const void *root = sqlite3_column_blob(st, 2);
  if (root && sqlite3_column_bytes(st, 2) == PP_MERKLE_HASH_LEN)
    memcpy(cp->root, root, PP_MERKLE_HASH_LEN);
  cp->time = sqlite3_column_int64(st, 3);
  col_copy(cp->note, sizeof cp->note, st, 4);
}

/* Signs the tree as the batch has it so far and keeps the checkpoint;
 * unless forced, only when it grew since the last one. */
static pp_err_t aud_checkpoint(be_t *b, pp_audit_checkpoint_req_t *cr) {
  conn_t *c = &b->writer;
  pp_err_t e = aud_sync(b);
  if (e) return e;
  if (!cr->signer || !cr->origin) return PP_ERR_INVALID_PARAM;
  cr->skipped = false;
  if (!cr->force) {
    sqlite3_stmt *st = c->st[S_AUD_CP_LAST];
    int rc = sqlite3_step(st);
    bool have = rc == SQLITE_ROW;
    uint64_t last = have ? (uint64_t)sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_err(c->db, "last checkpoint");
    if ((have && last == b->aud.size) || (!have && b->aud.size == 0)) {
      cr->skipped = true;
      return PP_OK;
    }
  }
  pp_checkpoint_t cp;
  memset(&cp, 0, sizeof cp);
  if (snprintf(cp.origin, sizeof cp.origin, "%s", cr->origin) >= (int)sizeof cp.origin)
    return PP_ERR_INVALID_PARAM;
  cp.size = b->aud.size;
  pp_merkle_frontier_root(&b->aud, cp.root);
  cp.timestamp = cr->now;
  pp_audit_checkpoint_t *out = &cr->out;
  memset(out, 0, sizeof *out);
  size_t len = 0;
  e = pp_checkpoint_sign(cr->signer, &cp, out->note, sizeof out->note, &len);
  if (e) return e;
  sqlite3_stmt *st = c->st[S_AUD_CP_INS];
  sqlite3_bind_int64(st, 1, (int64_t)cp.size);
  sqlite3_bind_blob(st, 2, cp.root, sizeof cp.root, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, cp.timestamp);
  bind_text(st, 4, out->note);
  int rc = step_done(st);
  if (rc == SQLITE_DONE) out->seq = sqlite3_last_insert_rowid(c->db);
  out->tree_size = cp.size;
  memcpy(out->root, cp.root, sizeof out->root);
  out->time = cp.timestamp;
  return result_of(c->db, rc, 0);
}

/* A write with an audit event (or of the log itself), all or nothing under
 * a savepoint: a failed change is undone before its event is appended, and
 * an event that cannot be appended undoes the change. */
static pp_err_t apply_audited(be_t *b, pp_write_t *w) {
  conn_t *c = &b->writer;
  if (step_done(c->st[S_SAVEPOINT]) != SQLITE_DONE) return db_err(c->db, "savepoint");
  pp_err_t r;
  if (w->kind == PP_W_AUDIT)
    r = w->audit ? PP_OK : PP_ERR_INVALID_PARAM;
  else if (w->kind == PP_W_AUDIT_CHECKPOINT)
    r = aud_checkpoint(b, w->u.checkpoint);
  else
    r = apply_one(c, w);
  if (r != PP_OK) step_done(c->st[S_ROLLBACK_TO]);
  pp_err_t e = w->audit ? aud_append(b, w->audit, r) : PP_OK;
  if (e) {
    pp_log_error("sqlite", "audit append failed: %s", pp_err_name(e));
    step_done(c->st[S_ROLLBACK_TO]);
    r = e;
  }
  step_done(c->st[S_RELEASE]);
  return r;
}

static pp_err_t be_apply(void *p, pp_write_t **ws, size_t n) {
  be_t *b = p;
  conn_t *c = &b->writer;
  if (step_done(c->st[S_BEGIN]) != SQLITE_DONE) return db_err(c->db, "begin");
  b->aud_synced = b->aud_dirty = false;
  for (size_t i = 0; i < n; i++) {
    pp_write_t *w = ws[i];
    bool audited = w->audit || w->kind == PP_W_AUDIT || w->kind == PP_W_AUDIT_CHECKPOINT;
    w->result = audited ? apply_audited(b, w) : apply_one(c, w);
  }
  pp_err_t e = b->aud_dirty ? aud_head_put(b) : PP_OK;
  if (!e && step_done(c->st[S_COMMIT]) != SQLITE_DONE) e = db_err(c->db, "commit");
  if (e) {
    step_done(c->st[S_ROLLBACK]);
    if (b->aud_synced) b->aud = b->aud_begin; /* nothing of the batch was kept */
    return e;
  }
  return PP_OK;
}

/* ---- reads -------------------------------------------------------------- */

static void row_account(sqlite3_stmt *st, pp_account_t *a) {
  a->seq = sqlite3_column_int64(st, 0);
  col_copy(a->sid, sizeof a->sid, st, 1);
  col_copy(a->owner_sid, sizeof a->owner_sid, st, 2);
  col_copy(a->friendly_name, sizeof a->friendly_name, st, 3);
  col_copy(a->status, sizeof a->status, st, 4);
  col_copy(a->auth_token, sizeof a->auth_token, st, 5);
  col_copy(a->secondary_token, sizeof a->secondary_token, st, 6);
  a->secondary_created = sqlite3_column_int64(st, 7);
  a->date_created = sqlite3_column_int64(st, 8);
  a->date_updated = sqlite3_column_int64(st, 9);
}

static void row_key(sqlite3_stmt *st, pp_key_t *k) {
  k->seq = sqlite3_column_int64(st, 0);
  col_copy(k->sid, sizeof k->sid, st, 1);
  col_copy(k->account_sid, sizeof k->account_sid, st, 2);
  col_copy(k->friendly_name, sizeof k->friendly_name, st, 3);
  memset(k->secret_hash, 0, sizeof k->secret_hash);
  const void *h = sqlite3_column_blob(st, 4);
  int hn = sqlite3_column_bytes(st, 4);
  if (h && hn == (int)sizeof k->secret_hash) memcpy(k->secret_hash, h, sizeof k->secret_hash);
  k->date_created = sqlite3_column_int64(st, 5);
  k->date_updated = sqlite3_column_int64(st, 6);
}

static bool row_message(pp_arena_t *a, sqlite3_stmt *st, pp_message_t *m) {
  m->seq = sqlite3_column_int64(st, 0);
  col_copy(m->sid, sizeof m->sid, st, 1);
  col_copy(m->account_sid, sizeof m->account_sid, st, 2);
  col_copy(m->messaging_service_sid, sizeof m->messaging_service_sid, st, 3);
  m->to = col_dup(a, st, 4);
  m->from = col_dup(a, st, 5);
  m->body = col_dup(a, st, 6);
  m->media_urls = col_dup(a, st, 7);
  m->status_callback = col_dup(a, st, 8);
  m->error_message = col_dup(a, st, 9);
  m->direction = col_dup(a, st, 10);
  m->status = col_dup(a, st, 11);
  m->num_media = sqlite3_column_int(st, 12);
  m->num_segments = sqlite3_column_int(st, 13);
  m->error_code = sqlite3_column_int(st, 14);
  m->validity_period = sqlite3_column_int(st, 15);
  m->date_created = sqlite3_column_int64(st, 16);
  m->date_updated = sqlite3_column_int64(st, 17);
  m->date_sent = sqlite3_column_int64(st, 18);
  m->send_at = sqlite3_column_int64(st, 19);
  return m->to && m->from && m->body && m->media_urls && m->direction && m->status;
}

static pp_err_t get_one(be_t *b, int which, const char *k1, const char *k2,
                        void (*fill)(sqlite3_stmt *, void *), void *out) {
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[which];
  bind_text(st, 1, k1);
  if (k2) bind_text(st, 2, k2);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW)
    fill(st, out);
  else if (rc == SQLITE_DONE)
    e = PP_ERR_NOT_FOUND;
  else
    e = db_err(c->db, "read");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static void fill_account(sqlite3_stmt *st, void *out) { row_account(st, out); }
static void fill_key(sqlite3_stmt *st, void *out) { row_key(st, out); }

static pp_err_t be_account_get(void *p, const char *sid, pp_account_t *out) {
  pp_account_t tmp;
  pp_err_t e = get_one(p, S_ACC_GET, sid, NULL, fill_account, &tmp);
  if (!e) *out = tmp;
  sodium_memzero(&tmp, sizeof tmp);
  return e;
}

static pp_err_t be_key_get(void *p, const char *sid, pp_key_t *out) {
  pp_key_t tmp;
  pp_err_t e = get_one(p, S_KEY_GET, sid, NULL, fill_key, &tmp);
  if (!e) *out = tmp;
  return e;
}

typedef struct {
  pp_arena_t *a;
  pp_message_t *m;
  bool ok;
} msg_fill_t;

static void fill_message(sqlite3_stmt *st, void *out) {
  msg_fill_t *f = out;
  f->ok = row_message(f->a, st, f->m);
}

static pp_err_t be_message_get(void *p, pp_arena_t *a, const char *account_sid,
                               const char *sid, pp_message_t *out) {
  pp_message_t m;
  msg_fill_t f = {a, &m, false};
  pp_err_t e = get_one(p, S_MSG_GET, account_sid, sid, fill_message, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) *out = m;
  return e;
}

static bool row_number(pp_arena_t *a, sqlite3_stmt *st, pp_number_t *n) {
  n->seq = sqlite3_column_int64(st, 0);
  col_copy(n->sid, sizeof n->sid, st, 1);
  col_copy(n->account_sid, sizeof n->account_sid, st, 2);
  col_copy(n->phone_number, sizeof n->phone_number, st, 3);
  col_copy(n->friendly_name, sizeof n->friendly_name, st, 4);
  col_copy(n->sms_method, sizeof n->sms_method, st, 5);
  col_copy(n->sms_fallback_method, sizeof n->sms_fallback_method, st, 6);
  col_copy(n->status_callback_method, sizeof n->status_callback_method, st, 7);
  n->sms_url = col_dup(a, st, 8);
  n->sms_fallback_url = col_dup(a, st, 9);
  n->status_callback = col_dup(a, st, 10);
  n->date_created = sqlite3_column_int64(st, 11);
  n->date_updated = sqlite3_column_int64(st, 12);
  return (sqlite3_column_type(st, 8) == SQLITE_NULL || n->sms_url) &&
         (sqlite3_column_type(st, 9) == SQLITE_NULL || n->sms_fallback_url) &&
         (sqlite3_column_type(st, 10) == SQLITE_NULL || n->status_callback);
}

typedef struct {
  pp_arena_t *a;
  pp_number_t *n;
  bool ok;
} num_fill_t;

static void fill_number(sqlite3_stmt *st, void *out) {
  num_fill_t *f = out;
  f->ok = row_number(f->a, st, f->n);
}

static pp_err_t be_number_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                              const char *phone_number, pp_number_t *out) {
  pp_number_t n;
  num_fill_t f = {a, &n, false};
  pp_err_t e = account_sid ? get_one(p, S_NUM_GET, account_sid, sid, fill_number, &f)
                           : get_one(p, S_NUM_FIND, phone_number, NULL, fill_number, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) *out = n;
  return e;
}

static pp_err_t be_message_count(void *p, int64_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_MSG_COUNT];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) == SQLITE_ROW)
    *out = sqlite3_column_int64(st, 0);
  else
    e = db_err(c->db, "count");
  sqlite3_reset(st);
  release(b, c);
  return e;
}

/* A list query built from fixed fragments (no caller text in the SQL): the
 * keyset condition, filters bound as parameters, LIMIT limit+1 to learn
 * whether there is more. */
typedef struct {
  char sql[1024];
  size_t len;
} sqlb_t;

static void sqlb_add(sqlb_t *q, const char *s) {
  size_t n = strlen(s);
  if (q->len + n < sizeof q->sql) {
    memcpy(q->sql + q->len, s, n + 1);
    q->len += n;
  }
}

static void page_clause(sqlb_t *q, const pp_page_req_t *pg) {
  if (pg->after_seq > 0)
    sqlb_add(q, " AND seq > :after ORDER BY seq ASC LIMIT :limit");
  else if (pg->before_seq > 0)
    sqlb_add(q, " AND seq < :before ORDER BY seq DESC LIMIT :limit");
  else
    sqlb_add(q, " ORDER BY seq DESC LIMIT :limit");
}

static void bind_named_text(sqlite3_stmt *st, const char *name, const char *v) {
  int i = sqlite3_bind_parameter_index(st, name);
  if (i > 0) bind_text(st, i, v);
}

static void bind_named_int(sqlite3_stmt *st, const char *name, int64_t v) {
  int i = sqlite3_bind_parameter_index(st, name);
  if (i > 0) sqlite3_bind_int64(st, i, v);
}

static void bind_page(sqlite3_stmt *st, const pp_page_req_t *pg) {
  bind_named_int(st, ":after", pg->after_seq);
  bind_named_int(st, ":before", pg->before_seq);
  bind_named_int(st, ":limit", (int64_t)pg->limit + 1);
}

/* Runs `sql` (prepared on a pooled connection, cached by SQLite's own
 * statement cache would be nicer; lists are not the hot path) and collects
 * rows of `size` bytes with `fill`.  Rows come back newest first. */
typedef bool (*row_fill_fn)(pp_arena_t *a, sqlite3_stmt *st, void *row);

static pp_err_t run_list(be_t *b, pp_arena_t *a, const char *sql,
                         void (*binder)(sqlite3_stmt *, const void *), const void *arg,
                         const pp_page_req_t *pg, size_t size, row_fill_fn fill,
                         void **rows_out, size_t *n_out, bool *more_out) {
  size_t limit = pg->limit < 1 ? 1 : pg->limit > 1000 ? 1000 : pg->limit;
  unsigned char *rows = pp_arena_alloc(a, size * (limit + 1));
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = NULL;
  pp_err_t e = PP_OK;
  size_t n = 0;
  if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
    e = db_err(c->db, "prepare list");
  } else {
    binder(st, arg);
    bind_page(st, pg);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit + 1) {
      if (!fill(a, st, rows + n * size)) {
        e = PP_ERR_NOMEM;
        break;
      }
      n++;
    }
    if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE) e = db_err(c->db, "list");
  }
  sqlite3_finalize(st);
  release(b, c);
  if (e) return e;
  bool more = n > limit;
  if (more) n = limit;
  if (pg->after_seq > 0) { /* fetched ascending: turn newest first */
    unsigned char *tmp = pp_arena_alloc(a, size);
    if (!tmp) return PP_ERR_NOMEM;
    for (size_t i = 0; i < n / 2; i++) {
      memcpy(tmp, rows + i * size, size);
      memcpy(rows + i * size, rows + (n - 1 - i) * size, size);
      memcpy(rows + (n - 1 - i) * size, tmp, size);
    }
  }
  *rows_out = rows;
  *n_out = n;
  *more_out = more;
  return PP_OK;
}

static bool fill_message_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  return row_message(a, st, row);
}
static bool fill_account_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  row_account(st, row);
  return true;
}
static bool fill_key_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  row_key(st, row);
  return true;
}

static void bind_message_filter(sqlite3_stmt *st, const void *arg) {
  const pp_message_filter_t *f = arg;
  bind_named_text(st, ":account", f->account_sid);
  bind_named_text(st, ":to", f->to);
  bind_named_text(st, ":from", f->from);
  bind_named_int(st, ":sent_from", f->sent_from);
  bind_named_int(st, ":sent_until", f->sent_until);
}

static pp_err_t be_message_list(void *p, pp_arena_t *a, const pp_message_filter_t *f,
                                pp_message_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " MSG_COLS " FROM messages WHERE account_sid = :account");
  if (f->to) sqlb_add(&q, " AND to_addr = :to");
  if (f->from) sqlb_add(&q, " AND from_addr = :from");
  if (f->has_sent_from) sqlb_add(&q, " AND date_sent >= :sent_from AND date_sent > 0");
  if (f->has_sent_until) sqlb_add(&q, " AND date_sent < :sent_until AND date_sent > 0");
  page_clause(&q, &f->page);
  return run_list(p, a, q.sql, bind_message_filter, f, &f->page, sizeof(pp_message_t),
                  fill_message_row, (void **)rows, n, more);
}

static void bind_account_filter(sqlite3_stmt *st, const void *arg) {
  const pp_account_filter_t *f = arg;
  bind_named_text(st, ":owner", f->owner_sid);
  bind_named_text(st, ":name", f->friendly_name);
  bind_named_text(st, ":status", f->status);
}

static pp_err_t be_account_list(void *p, pp_arena_t *a, const pp_account_filter_t *f,
                                pp_account_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " ACC_COLS " FROM accounts WHERE (owner_sid = :owner OR sid = :owner)");
  if (f->friendly_name) sqlb_add(&q, " AND friendly_name = :name");
  if (f->status) sqlb_add(&q, " AND status = :status");
  page_clause(&q, &f->page);
  return run_list(p, a, q.sql, bind_account_filter, f, &f->page, sizeof(pp_account_t),
                  fill_account_row, (void **)rows, n, more);
}

static void bind_key_filter(sqlite3_stmt *st, const void *arg) {
  bind_named_text(st, ":account", arg);
}

static pp_err_t be_key_list(void *p, pp_arena_t *a, const char *account_sid,
                            const pp_page_req_t *pg, pp_key_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " KEY_COLS " FROM api_keys WHERE account_sid = :account");
  page_clause(&q, pg);
  return run_list(p, a, q.sql, bind_key_filter, account_sid, pg, sizeof(pp_key_t),
                  fill_key_row, (void **)rows, n, more);
}

static bool fill_number_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  return row_number(a, st, row);
}

static void bind_number_filter(sqlite3_stmt *st, const void *arg) {
  const pp_number_filter_t *f = arg;
  bind_named_text(st, ":account", f->account_sid);
  bind_named_text(st, ":number", f->phone_number);
  bind_named_text(st, ":name", f->friendly_name);
}

static pp_err_t be_number_list(void *p, pp_arena_t *a, const pp_number_filter_t *f,
                               pp_number_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " NUM_COLS " FROM phone_numbers WHERE account_sid = :account");
  if (f->phone_number) sqlb_add(&q, " AND phone_number = :number");
  if (f->friendly_name) sqlb_add(&q, " AND friendly_name = :name");
  page_clause(&q, &f->page);
  return run_list(p, a, q.sql, bind_number_filter, f, &f->page, sizeof(pp_number_t),
                  fill_number_row, (void **)rows, n, more);
}

static void row_carrier(sqlite3_stmt *st, pp_carrier_t *k) {
  k->seq = sqlite3_column_int64(st, 0);
  col_copy(k->name, sizeof k->name, st, 1);
  col_copy(k->host, sizeof k->host, st, 2);
  k->port = sqlite3_column_int(st, 3);
  col_copy(k->system_id, sizeof k->system_id, st, 4);
  col_copy(k->password, sizeof k->password, st, 5);
  col_copy(k->system_type, sizeof k->system_type, st, 6);
  col_copy(k->bind_mode, sizeof k->bind_mode, st, 7);
  k->window = sqlite3_column_int(st, 8);
  k->mps = sqlite3_column_int(st, 9);
  k->binds = sqlite3_column_int(st, 10);
  k->date_created = sqlite3_column_int64(st, 11);
  k->date_updated = sqlite3_column_int64(st, 12);
  col_copy(k->concat, sizeof k->concat, st, 13);
  k->payload = sqlite3_column_int(st, 14);
  col_copy(k->gsm7, sizeof k->gsm7, st, 15);
}

static void row_route(sqlite3_stmt *st, pp_route_rule_t *r) {
  r->seq = sqlite3_column_int64(st, 0);
  col_copy(r->prefix, sizeof r->prefix, st, 1);
  col_copy(r->carrier, sizeof r->carrier, st, 2);
  r->priority = sqlite3_column_int(st, 3);
  r->date_created = sqlite3_column_int64(st, 4);
}

/* Reads a whole small table with a cached statement, growing the array. */
static pp_err_t read_all(be_t *b, int which, pp_arena_t *a, size_t size,
                         void (*fill)(sqlite3_stmt *, void *), void **rows_out, size_t *n_out) {
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[which];
  size_t n = 0, cap = 16;
  unsigned char *rows = pp_arena_alloc(a, cap * size);
  pp_err_t e = rows ? PP_OK : PP_ERR_NOMEM;
  int rc = SQLITE_DONE;
  while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      unsigned char *more = pp_arena_alloc(a, 2 * cap * size);
      if (!more) {
        e = PP_ERR_NOMEM;
        break;
      }
      memcpy(more, rows, n * size);
      rows = more;
      cap *= 2;
    }
    fill(st, rows + n * size);
    n++;
  }
  if (!e && rc != SQLITE_DONE) e = db_err(c->db, "read all");
  sqlite3_reset(st);
  release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

static void fill_carrier(sqlite3_stmt *st, void *row) { row_carrier(st, row); }
static void fill_route(sqlite3_stmt *st, void *row) { row_route(st, row); }

static pp_err_t be_carrier_all(void *p, pp_arena_t *a, pp_carrier_t **rows, size_t *n) {
  return read_all(p, S_CAR_ALL, a, sizeof(pp_carrier_t), fill_carrier, (void **)rows, n);
}

static pp_err_t be_route_all(void *p, pp_arena_t *a, pp_route_rule_t **rows, size_t *n) {
  return read_all(p, S_ROUTE_ALL, a, sizeof(pp_route_rule_t), fill_route, (void **)rows, n);
}

static pp_err_t be_sender_allowed(void *p, const char *account_sid, const char *sender) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_SENDER_GET];
  bind_text(st, 1, account_sid);
  bind_text(st, 2, sender);
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW ? PP_OK : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                                             : db_err(c->db, "sender");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static pp_err_t be_hook_next_due(void *p, int64_t *out_ms) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_HOOK_DUE];
  sqlite3_bind_int64(st, 1, pp_clock_now_us() / 1000);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW)
    *out_ms = sqlite3_column_int64(st, 0);
  else
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : db_err(c->db, "webhook due");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static bool row_alert(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_alert_t *al = row;
  al->seq = sqlite3_column_int64(st, 0);
  col_copy(al->sid, sizeof al->sid, st, 1);
  col_copy(al->account_sid, sizeof al->account_sid, st, 2);
  al->error_code = sqlite3_column_int(st, 3);
  col_copy(al->log_level, sizeof al->log_level, st, 4);
  const char **text[] = {&al->alert_text,    &al->request_method, &al->request_url,
                         &al->request_variables, &al->response_body, &al->response_headers,
                         &al->resource_sid,  &al->service_sid};
  for (int i = 0; i < 8; i++) {
    *text[i] = col_dup(a, st, 5 + i);
    if (!*text[i] && sqlite3_column_type(st, 5 + i) != SQLITE_NULL) return false;
  }
  al->date_created = sqlite3_column_int64(st, 13);
  return true;
}

typedef struct {
  pp_arena_t *a;
  pp_alert_t *al;
  bool ok;
} alert_fill_t;

static void fill_alert(sqlite3_stmt *st, void *out) {
  alert_fill_t *f = out;
  f->ok = row_alert(f->a, st, f->al);
}

static pp_err_t be_alert_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                             pp_alert_t *out) {
  pp_alert_t al;
  alert_fill_t f = {a, &al, false};
  pp_err_t e = get_one(p, S_ALERT_GET, account_sid, sid, fill_alert, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) *out = al;
  return e;
}

static void bind_alert_filter(sqlite3_stmt *st, const void *arg) {
  const pp_alert_filter_t *f = arg;
  bind_named_text(st, ":account", f->account_sid);
  bind_named_text(st, ":level", f->log_level);
  bind_named_int(st, ":from", f->from);
  bind_named_int(st, ":until", f->until);
}

static pp_err_t be_alert_list(void *p, pp_arena_t *a, const pp_alert_filter_t *f,
                              pp_alert_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " ALERT_COLS " FROM alerts WHERE account_sid = :account");
  if (f->log_level) sqlb_add(&q, " AND log_level = :level");
  if (f->has_from) sqlb_add(&q, " AND date_created >= :from");
  if (f->has_until) sqlb_add(&q, " AND date_created < :until");
  page_clause(&q, &f->page);
  return run_list(p, a, q.sql, bind_alert_filter, f, &f->page, sizeof(pp_alert_t), row_alert,
                  (void **)rows, n, more);
}

/* ---- Messaging Services ------------------------------------------------ */

static bool row_service(pp_arena_t *a, sqlite3_stmt *st, pp_service_t *sv) {
  sv->seq = sqlite3_column_int64(st, 0);
  col_copy(sv->sid, sizeof sv->sid, st, 1);
  col_copy(sv->account_sid, sizeof sv->account_sid, st, 2);
  col_copy(sv->friendly_name, sizeof sv->friendly_name, st, 3);
  sv->inbound_request_url = col_dup(a, st, 4);
  col_copy(sv->inbound_method, sizeof sv->inbound_method, st, 5);
  sv->fallback_url = col_dup(a, st, 6);
  col_copy(sv->fallback_method, sizeof sv->fallback_method, st, 7);
  sv->status_callback = col_dup(a, st, 8);
  sv->sticky_sender = sqlite3_column_int(st, 9) != 0;
  sv->mms_converter = sqlite3_column_int(st, 10) != 0;
  sv->smart_encoding = sqlite3_column_int(st, 11) != 0;
  col_copy(sv->scan_message_content, sizeof sv->scan_message_content, st, 12);
  sv->fallback_to_long_code = sqlite3_column_int(st, 13) != 0;
  sv->area_code_geomatch = sqlite3_column_int(st, 14) != 0;
  sv->validity_period = sqlite3_column_int(st, 15);
  sv->synchronous_validation = sqlite3_column_int(st, 16) != 0;
  col_copy(sv->usecase, sizeof sv->usecase, st, 17);
  sv->use_inbound_webhook_on_number = sqlite3_column_int(st, 18) != 0;
  sv->date_created = sqlite3_column_int64(st, 19);
  sv->date_updated = sqlite3_column_int64(st, 20);
  return (sqlite3_column_type(st, 4) == SQLITE_NULL || sv->inbound_request_url) &&
         (sqlite3_column_type(st, 6) == SQLITE_NULL || sv->fallback_url) &&
         (sqlite3_column_type(st, 8) == SQLITE_NULL || sv->status_callback);
}

static void row_service_number(sqlite3_stmt *st, pp_service_number_t *sn) {
  sn->seq = sqlite3_column_int64(st, 0);
  col_copy(sn->sid, sizeof sn->sid, st, 1);
  col_copy(sn->service_sid, sizeof sn->service_sid, st, 2);
  col_copy(sn->account_sid, sizeof sn->account_sid, st, 3);
  col_copy(sn->phone_number, sizeof sn->phone_number, st, 4);
  sn->date_created = sqlite3_column_int64(st, 5);
  sn->date_updated = sqlite3_column_int64(st, 6);
}

typedef struct {
  pp_arena_t *a;
  pp_service_t *sv;
  bool ok;
} svc_fill_t;

static void fill_service(sqlite3_stmt *st, void *out) {
  svc_fill_t *f = out;
  f->ok = row_service(f->a, st, f->sv);
}

static pp_err_t be_service_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                               pp_service_t *out) {
  pp_service_t sv;
  svc_fill_t f = {a, &sv, false};
  pp_err_t e = get_one(p, S_SVC_GET, account_sid, sid, fill_service, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) *out = sv;
  return e;
}

static bool fill_service_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  return row_service(a, st, row);
}

static pp_err_t be_service_list(void *p, pp_arena_t *a, const char *account_sid,
                                const pp_page_req_t *pg, pp_service_t **rows, size_t *n,
                                bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " SVC_COLS " FROM messaging_services WHERE account_sid = :account");
  page_clause(&q, pg);
  return run_list(p, a, q.sql, bind_key_filter, account_sid, pg, sizeof(pp_service_t),
                  fill_service_row, (void **)rows, n, more);
}

/* Steps a cached statement whose keys are already bound, for its first row. */
static pp_err_t first_row(be_t *b, conn_t *c, sqlite3_stmt *st,
                          void (*fill)(sqlite3_stmt *, void *), void *out) {
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW)
    fill(st, out);
  else if (rc == SQLITE_DONE)
    e = PP_ERR_NOT_FOUND;
  else
    e = db_err(c->db, "read");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static void fill_service_number(sqlite3_stmt *st, void *out) { row_service_number(st, out); }

static pp_err_t be_service_number_get(void *p, const char *account_sid, const char *service_sid,
                                      const char *sid, pp_service_number_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_SVCNUM_GET];
  bind_text(st, 1, account_sid);
  bind_text(st, 2, service_sid);
  bind_text(st, 3, sid);
  pp_service_number_t sn;
  pp_err_t e = first_row(b, c, st, fill_service_number, &sn);
  if (!e) *out = sn;
  return e;
}

typedef struct {
  const char *account_sid, *service_sid;
} svcnum_filter_t;

static void bind_svcnum_filter(sqlite3_stmt *st, const void *arg) {
  const svcnum_filter_t *f = arg;
  bind_named_text(st, ":account", f->account_sid);
  bind_named_text(st, ":service", f->service_sid);
}

static bool fill_service_number_row(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  row_service_number(st, row);
  return true;
}

static pp_err_t be_service_number_list(void *p, pp_arena_t *a, const char *account_sid,
                                       const char *service_sid, const pp_page_req_t *pg,
                                       pp_service_number_t **rows, size_t *n, bool *more) {
  svcnum_filter_t f = {account_sid, service_sid};
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " SVCNUM_COLS " FROM " SVCNUM_FROM
               " WHERE account_sid = :account AND service_sid = :service");
  page_clause(&q, pg);
  return run_list(p, a, q.sql, bind_svcnum_filter, &f, pg, sizeof(pp_service_number_t),
                  fill_service_number_row, (void **)rows, n, more);
}

static void fill_phone(sqlite3_stmt *st, void *out) { col_copy(out, 20, st, 0); }

static pp_err_t be_service_sender(void *p, const char *account_sid, const char *service_sid,
                                  const char *to, int64_t to_hash, bool sticky, char out[20]) {
  be_t *b = p;
  char phone[20];
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (sticky) {
    conn_t *c = acquire(b);
    sqlite3_stmt *st = c->st[S_SVC_STICKY];
    bind_text(st, 1, account_sid);
    bind_text(st, 2, service_sid);
    bind_text(st, 3, to);
    e = first_row(b, c, st, fill_phone, phone);
    if (e && e != PP_ERR_NOT_FOUND) return e;
  }
  if (e == PP_ERR_NOT_FOUND) {
    conn_t *c = acquire(b);
    sqlite3_stmt *st = c->st[S_SVC_PICK];
    bind_text(st, 1, service_sid);
    bind_text(st, 2, account_sid);
    sqlite3_bind_int64(st, 3, to_hash);
    e = first_row(b, c, st, fill_phone, phone);
  }
  if (!e) memcpy(out, phone, sizeof phone);
  return e;
}

/* ---- audit log: reads ----------------------------------------------------- */

/* Text of a column, "" for NULL (a row tampered with must not look like an
 * allocation failure). */
static const char *col_text(pp_arena_t *a, sqlite3_stmt *st, int i) {
  const char *s = col_dup(a, st, i);
  return s || sqlite3_column_type(st, i) != SQLITE_NULL ? s : "";
}

/* A row of AUD_COLS (or AUD_IDX_COLS: leaf and hash NULL). */
static bool row_audit(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_audit_entry_t *en = row;
  memset(en, 0, sizeof *en);
  en->seq = sqlite3_column_int64(st, 0);
  en->time_ms = sqlite3_column_int64(st, 1);
  const char **text[] = {&en->event, &en->principal, &en->session,
                         &en->ip,    &en->account_sid, &en->outcome};
  for (int i = 0; i < 6; i++)
    if (!(*text[i] = col_text(a, st, 2 + i))) return false;
  const void *h = sqlite3_column_blob(st, 8);
  if (h && sqlite3_column_bytes(st, 8) == PP_MERKLE_HASH_LEN) {
    memcpy(en->leaf_hash, h, PP_MERKLE_HASH_LEN);
    en->leaf_hash_ok = true;
  }
  if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
    const void *leaf = sqlite3_column_blob(st, 9);
    size_t n = (size_t)sqlite3_column_bytes(st, 9);
    unsigned char *copy = pp_arena_alloc(a, n + 1);
    if (!copy) return false;
    if (n) memcpy(copy, leaf, n);
    copy[n] = '\0';
    en->leaf = copy;
    en->leaf_len = n;
  }
  return true;
}

/* Appends `sid` to an entry's resources (arena-grown, sorted by the query). */
static bool add_resource(pp_arena_t *a, pp_audit_entry_t *en, const char *sid) {
  size_t n = en->nresources;
  if ((n & (n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
    const char **more = pp_arena_alloc(a, (n ? 2 * n : 1) * sizeof *more);
    if (!more) return false;
    if (n) memcpy(more, en->resources, n * sizeof *more);
    en->resources = more;
  }
  char *copy = pp_arena_strdup(a, sid ? sid : "");
  if (!copy) return false;
  ((const char **)en->resources)[n] = copy;
  en->nresources = n + 1;
  return true;
}

/* Reads each entry's resources with one lookup per entry. */
static pp_err_t load_resources(conn_t *c, pp_arena_t *a, pp_audit_entry_t *rows, size_t n) {
  sqlite3_stmt *st = c->st[S_AUD_RES_GET];
  pp_err_t e = PP_OK;
  for (size_t i = 0; !e && i < n; i++) {
    sqlite3_bind_int64(st, 1, rows[i].seq);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      if (!add_resource(a, &rows[i], (const char *)sqlite3_column_text(st, 0))) {
        e = PP_ERR_NOMEM;
        break;
      }
    if (!e && rc != SQLITE_DONE) e = db_err(c->db, "audit resources");
    sqlite3_reset(st);
  }
  sqlite3_clear_bindings(st);
  return e;
}

static pp_err_t read_head(conn_t *c, pp_audit_head_t *out) {
  sqlite3_stmt *st = c->st[S_AUD_HEAD_GET];
  pp_err_t e = PP_OK;
  if (sqlite3_step(st) == SQLITE_ROW) {
    out->size = (uint64_t)sqlite3_column_int64(st, 0);
    const void *root = sqlite3_column_blob(st, 1);
    if (root && sqlite3_column_bytes(st, 1) == PP_MERKLE_HASH_LEN)
      memcpy(out->root, root, PP_MERKLE_HASH_LEN);
    else
      memset(out->root, 0, PP_MERKLE_HASH_LEN);
  } else {
    e = db_err(c->db, "audit head");
  }
  sqlite3_reset(st);
  return e;
}

static pp_err_t be_audit_head(void *p, pp_audit_head_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  pp_audit_head_t h;
  pp_err_t e = read_head(c, &h);
  release(b, c);
  if (!e) *out = h;
  return e;
}

static pp_err_t be_audit_get(void *p, pp_arena_t *a, int64_t seq, pp_audit_entry_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_AUD_GET];
  sqlite3_bind_int64(st, 1, seq);
  pp_audit_entry_t en;
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? (row_audit(a, st, &en) ? PP_OK : PP_ERR_NOMEM)
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : db_err(c->db, "audit entry");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e) e = load_resources(c, a, &en, 1);
  release(b, c);
  if (!e) *out = en;
  return e;
}

static void bind_audit_filter(sqlite3_stmt *st, const void *arg) {
  const pp_audit_filter_t *f = arg;
  bind_named_text(st, ":account", f->account_sid);
  bind_named_text(st, ":event", f->event);
  bind_named_int(st, ":from", f->from_ms);
  bind_named_int(st, ":until", f->until_ms);
}

static pp_err_t be_audit_list(void *p, pp_arena_t *a, const pp_audit_filter_t *f,
                              pp_audit_entry_t **rows, size_t *n, bool *more) {
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT " AUD_COLS " FROM audit_log WHERE account_sid = :account");
  if (f->event) sqlb_add(&q, " AND event = :event");
  if (f->has_from) sqlb_add(&q, " AND time_ms >= :from");
  if (f->has_until) sqlb_add(&q, " AND time_ms < :until");
  page_clause(&q, &f->page);
  pp_audit_entry_t *r;
  size_t cnt;
  bool m;
  pp_err_t e = run_list(p, a, q.sql, bind_audit_filter, f, &f->page, sizeof(pp_audit_entry_t),
                        row_audit, (void **)&r, &cnt, &m);
  if (e) return e;
  conn_t *c = acquire(p);
  e = load_resources(c, a, r, cnt);
  release(p, c);
  if (e) return e;
  *rows = r;
  *n = cnt;
  *more = m;
  return PP_OK;
}

static pp_err_t be_audit_scan(void *p, pp_arena_t *a, int64_t from_seq, size_t limit,
                              pp_audit_entry_t **rows_out, size_t *n_out) {
  be_t *b = p;
  if (limit == 0) return PP_ERR_INVALID_PARAM;
  pp_audit_entry_t *rows = pp_arena_alloc(a, limit * sizeof *rows);
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = acquire(b);
  /* One read transaction, so the entries and their resources agree. */
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  sqlite3_stmt *st = c->st[S_AUD_SCAN];
  sqlite3_bind_int64(st, 1, from_seq);
  sqlite3_bind_int64(st, 2, (int64_t)limit);
  size_t n = 0;
  int rc = SQLITE_DONE;
  pp_err_t e = PP_OK;
  while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!row_audit(a, st, &rows[n])) {
      e = PP_ERR_NOMEM;
      break;
    }
    n++;
  }
  if (!e && n < limit && rc != SQLITE_DONE) e = db_err(c->db, "audit scan");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e && n) { /* the resources of the whole range, merged by seq */
    st = c->st[S_AUD_RES_RANGE];
    sqlite3_bind_int64(st, 1, rows[0].seq);
    sqlite3_bind_int64(st, 2, rows[n - 1].seq);
    size_t i = 0;
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      int64_t seq = sqlite3_column_int64(st, 0);
      while (i < n && rows[i].seq < seq) i++;
      if (i < n && rows[i].seq == seq &&
          !add_resource(a, &rows[i], (const char *)sqlite3_column_text(st, 1)))
        e = PP_ERR_NOMEM;
    }
    if (!e && rc != SQLITE_DONE) e = db_err(c->db, "audit scan resources");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

static pp_err_t be_audit_search(void *p, pp_arena_t *a, const pp_audit_query_t *q,
                                pp_audit_entry_t **rows_out, size_t *n_out) {
  be_t *b = p;
  int which = q->principal ? S_AUD_BY_PRINCIPAL : q->session ? S_AUD_BY_SESSION : S_AUD_BY_IP;
  const char *key = q->principal ? q->principal : q->session ? q->session : q->ip;
  size_t cap = 64, n = 0;
  pp_audit_entry_t *rows = pp_arena_alloc(a, cap * sizeof *rows);
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = acquire(b);
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  sqlite3_stmt *st = c->st[which];
  bind_text(st, 1, key);
  sqlite3_bind_int64(st, 2, q->since_ms);
  sqlite3_bind_int64(st, 3, q->until_ms);
  sqlite3_bind_int64(st, 4, q->limit ? (int64_t)q->limit : -1);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      pp_audit_entry_t *more = pp_arena_alloc(a, 2 * cap * sizeof *rows);
      if (!more) {
        e = PP_ERR_NOMEM;
        break;
      }
      memcpy(more, rows, n * sizeof *rows);
      rows = more;
      cap *= 2;
    }
    if (!row_audit(a, st, &rows[n])) {
      e = PP_ERR_NOMEM;
      break;
    }
    n++;
  }
  if (!e && rc != SQLITE_DONE) e = db_err(c->db, "audit search");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (!e) e = load_resources(c, a, rows, n);
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

/* Reads a 32-byte hash with a cached one- or two-key statement. */
static pp_err_t read_hash(conn_t *c, int which, int64_t k1, int64_t k2, bool two,
                          unsigned char out[PP_MERKLE_HASH_LEN]) {
  sqlite3_stmt *st = c->st[which];
  sqlite3_bind_int64(st, 1, k1);
  if (two) sqlite3_bind_int64(st, 2, k2);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (rc == SQLITE_ROW) {
    const void *h = sqlite3_column_blob(st, 0);
    if (h && sqlite3_column_bytes(st, 0) == PP_MERKLE_HASH_LEN) {
      memcpy(out, h, PP_MERKLE_HASH_LEN);
      e = PP_OK;
    } else {
      e = PP_ERR_STORE; /* not a hash: the row was tampered with */
    }
  } else if (rc != SQLITE_DONE) {
    e = db_err(c->db, "audit hash");
  }
  sqlite3_reset(st);
  return e;
}

static pp_err_t be_audit_node(void *p, unsigned level, uint64_t index,
                              unsigned char out[PP_MERKLE_HASH_LEN]) {
  be_t *b = p;
  conn_t *c = acquire(b);
  pp_err_t e = read_hash(c, S_AUD_NODE_GET, level, (int64_t)index, true, out);
  release(b, c);
  return e;
}

/* The stored tree as a merkle.h source, on one reader connection. */
static pp_err_t src_leaf(void *ctx, uint64_t index, unsigned char out[PP_MERKLE_HASH_LEN]) {
  pp_err_t e = read_hash(ctx, S_AUD_LEAF_HASH, (int64_t)index, 0, false, out);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_STORE : e; /* a leaf below the head is missing */
}

static bool src_node(void *ctx, unsigned level, uint64_t index,
                     unsigned char out[PP_MERKLE_HASH_LEN]) {
  return level % PP_STORE_AUDIT_NODE_STRIDE == 0 &&
         read_hash(ctx, S_AUD_NODE_GET, level, (int64_t)index, true, out) == PP_OK;
}

/* Runs a tree computation over the first `n` committed leaves. */
typedef enum { TREE_ROOT, TREE_INCLUSION, TREE_CONSISTENCY } tree_op_t;

static pp_err_t tree_op(be_t *b, tree_op_t op, uint64_t m, uint64_t n, unsigned char *root,
                        pp_merkle_hash_t *out, size_t cap, size_t *count) {
  conn_t *c = acquire(b);
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  pp_audit_head_t h;
  pp_err_t e = read_head(c, &h);
  if (!e && n > h.size) e = PP_ERR_INVALID_PARAM;
  pp_merkle_source_t src = {src_leaf, src_node, c};
  if (!e) {
    if (op == TREE_ROOT)
      e = pp_merkle_root(&src, n, root);
    else if (op == TREE_INCLUSION)
      e = pp_merkle_inclusion_proof(&src, m, n, out, cap, count);
    else
      e = pp_merkle_consistency_proof(&src, m, n, out, cap, count);
  }
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  release(b, c);
  return e;
}

static pp_err_t be_audit_root(void *p, uint64_t size, unsigned char out[PP_MERKLE_HASH_LEN]) {
  return tree_op(p, TREE_ROOT, 0, size, out, NULL, 0, NULL);
}

static pp_err_t be_audit_proof(void *p, bool consistency, uint64_t m, uint64_t n,
                               pp_merkle_hash_t *out, size_t cap, size_t *count) {
  return tree_op(p, consistency ? TREE_CONSISTENCY : TREE_INCLUSION, m, n, NULL, out, cap,
                 count);
}

static void fill_checkpoint(sqlite3_stmt *st, void *out) { row_checkpoint(st, out); }

static pp_err_t be_audit_checkpoint_latest(void *p, pp_audit_checkpoint_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  return first_row(b, c, c->st[S_AUD_CP_LAST], fill_checkpoint, out);
}

static pp_err_t be_audit_checkpoint_list(void *p, pp_arena_t *a, int64_t after_seq,
                                         size_t limit, pp_audit_checkpoint_t **rows_out,
                                         size_t *n_out) {
  be_t *b = p;
  if (limit == 0) return PP_ERR_INVALID_PARAM;
  pp_audit_checkpoint_t *rows = pp_arena_alloc(a, limit * sizeof *rows);
  if (!rows) return PP_ERR_NOMEM;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_AUD_CP_LIST];
  sqlite3_bind_int64(st, 1, after_seq);
  sqlite3_bind_int64(st, 2, (int64_t)limit);
  size_t n = 0;
  int rc = SQLITE_DONE;
  while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) row_checkpoint(st, &rows[n++]);
  pp_err_t e = n < limit && rc != SQLITE_DONE ? db_err(c->db, "checkpoints") : PP_OK;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  if (e) return e;
  *rows_out = rows;
  *n_out = n;
  return PP_OK;
}

const pp_store_backend_t pp_store_sqlite = {
    .name = "sqlite",
    .open = be_open,
    .close = be_close,
    .apply = be_apply,
    .account_get = be_account_get,
    .account_list = be_account_list,
    .key_get = be_key_get,
    .key_list = be_key_list,
    .message_get = be_message_get,
    .message_list = be_message_list,
    .message_count = be_message_count,
    .number_get = be_number_get,
    .number_list = be_number_list,
    .carrier_all = be_carrier_all,
    .route_all = be_route_all,
    .sender_allowed = be_sender_allowed,
    .hook_next_due = be_hook_next_due,
    .alert_get = be_alert_get,
    .alert_list = be_alert_list,
    .service_get = be_service_get,
    .service_list = be_service_list,
    .service_number_get = be_service_number_get,
    .service_number_list = be_service_number_list,
    .service_sender = be_service_sender,
    .audit_head = be_audit_head,
    .audit_get = be_audit_get,
    .audit_list = be_audit_list,
    .audit_scan = be_audit_scan,
    .audit_search = be_audit_search,
    .audit_node = be_audit_node,
    .audit_root = be_audit_root,
    .audit_proof = be_audit_proof,
    .audit_checkpoint_latest = be_audit_checkpoint_latest,
    .audit_checkpoint_list = be_audit_checkpoint_list,
};

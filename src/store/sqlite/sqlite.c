/* sqlite.c: the embedded SQLite backend (WAL, synchronous=FULL).  One writer
 * connection used only by the store's writer thread; a pool of reader
 * connections shared by every other thread. */
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
#include "store/backend.h"
#include "store/crypt.h"
#include "store/verify_v1.h"

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
  S__COUNT
};

#define ACC_COLS                                                   \
  "seq,sid,owner_sid,friendly_name,status,"                        \
  "pp_open(auth_token,sid,'accounts','auth_token',sid),"           \
  "pp_open(secondary_token,sid,'accounts','secondary_token',sid)," \
  "secondary_created,date_created,date_updated"
#define KEY_COLS "seq,sid,account_sid,friendly_name,secret_hash,date_created,date_updated"
#define MSG_OPEN(c) "pp_open(" c ",account_sid,'messages','" c "',sid)"
#define MSG_COLS \
  "seq,sid,account_sid,messaging_service_sid," MSG_OPEN("to_addr") "," \
                 MSG_OPEN("from_addr") "," MSG_OPEN("body") "," MSG_OPEN("media_urls") "," \
                 MSG_OPEN("status_callback") ",error_message,direction,status,num_media," \
                 "num_segments,error_code,validity_period,date_created,date_updated," \
                 "date_sent,send_at"

#define HOOK_COLS                                                     \
  "seq,token,account_sid,message_sid,kind,event,method,"              \
  "pp_open(url,account_sid,url_table,url_column,url_row),error_code," \
  "attempts,redirects,created_ms,"                                    \
  "pp_open(body,account_sid,url_table,'body',url_row)"
#define ALERT_OPEN(c) "pp_open(" c ",account_sid,'alerts','" c "',sid)"
#define ALERT_COLS \
  "seq,sid,account_sid,error_code,log_level," ALERT_OPEN("alert_text") \
                   ",request_method," ALERT_OPEN("request_url") "," \
                   ALERT_OPEN("request_variables") "," ALERT_OPEN("response_body") "," \
                   "response_headers,resource_sid,service_sid,date_created"
#define CAR_COLS                                           \
  "seq,name,host,port,system_id,"                          \
  "pp_open(password,'system','carriers','password',name)," \
  "system_type,bind_mode,window,"                          \
  "mps,binds,date_created,date_updated,concat,payload,gsm7"
#define NUM_OPEN(c) "pp_open(" c ",account_sid,'phone_numbers','" c "',sid)"
#define NUM_COLS \
  "seq,sid,account_sid," NUM_OPEN("phone_number") "," NUM_OPEN("friendly_name") \
                 ",sms_method," \
                 "sms_fallback_method,status_callback_method," NUM_OPEN("sms_url") "," \
                 NUM_OPEN("sms_fallback_url") "," NUM_OPEN("status_callback") "," \
                 "date_created,date_updated"

#define SVC_OPEN(c) "pp_open(" c ",account_sid,'messaging_services','" c "',sid)"
#define SVC_COLS \
  "seq,sid,account_sid,friendly_name," SVC_OPEN("inbound_request_url") \
                 ",inbound_method," SVC_OPEN("fallback_url") ",fallback_method," \
                 SVC_OPEN("status_callback") ",sticky_sender,mms_converter," \
                 "smart_encoding,scan_message_content,fallback_to_long_code," \
                 "area_code_geomatch,validity_period,synchronous_validation,usecase," \
                 "use_inbound_webhook_on_number,date_created,date_updated"
/* A pool member with its number's E.164, as one row source whose column
 * names are those of the list query (so the keyset clause can say `seq`). */
#define SVCNUM_COLS "seq,sid,service_sid,account_sid,phone_number,date_created,date_updated"
#define SVCNUM_FROM                                                            \
  "(SELECT sn.seq AS seq,sn.number_sid AS sid,sn.service_sid AS service_sid,"  \
  "sn.account_sid AS account_sid,"                                             \
  "pp_open(p.phone_number,p.account_sid,'phone_numbers','phone_number',p.sid)" \
  " AS phone_number,"                                                          \
  "sn.date_created AS date_created,sn.date_updated AS date_updated "           \
  "FROM messaging_service_numbers sn JOIN phone_numbers p "                    \
  "ON p.sid=sn.number_sid)"

/* The audit log's columns: the small index columns first, the leaf last
 * (searches never read it). */
#define AUD_COLS "seq,time_ms,event,principal,session,ip,account_sid,outcome,leaf_hash,leaf"
#define AUD_IDX_COLS "seq,time_ms,event,principal,session,ip,account_sid,outcome,NULL,NULL"
#define AUD_SEARCH(col)                               \
  "SELECT " AUD_IDX_COLS " FROM audit_log WHERE " col \
  "=?1 AND time_ms>=?2 "                              \
  "AND time_ms<?3 ORDER BY time_ms,seq LIMIT ?4"
#define AUD_CP_COLS "seq,tree_size,root,time,note"

static const char *sql_text[S__COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_ACC_INS] = "INSERT INTO accounts(sid,owner_sid,friendly_name,status,auth_token,"
                  "secondary_token,secondary_created,date_created,date_updated,auth_hash,"
                  "secondary_hash) "
                  "VALUES(?1,?2,?3,?4,pp_seal(?5,?1,'accounts','auth_token',?1),"
                  "pp_seal(?6,?1,'accounts','secondary_token',?1),?7,?8,?9,pp_tokhash(?5),"
                  "pp_tokhash(?6))",
    [S_ACC_UPD] = "UPDATE accounts SET friendly_name=?2,status=?3,"
                  "auth_token=pp_seal(?4,?1,'accounts','auth_token',?1),"
                  "secondary_token=pp_seal(?5,?1,'accounts','secondary_token',?1),"
                  "auth_hash=pp_tokhash(?4),secondary_hash=pp_tokhash(?5),"
                  "secondary_created=?6,date_updated=?7 WHERE sid=?1",
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
                  "date_updated,date_sent,send_at,next_attempt,to_bidx,from_bidx) "
                  "VALUES(?1,?2,?3,pp_seal(?4,?2,'messages','to_addr',?1),"
                  "pp_seal(?5,?2,'messages','from_addr',?1),pp_seal(?6,?2,'messages','body',?1),"
                  "pp_seal(?7,?2,'messages','media_urls',?1),"
                  "pp_seal(?8,?2,'messages','status_callback',?1),"
                  "?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?19,pp_bidx(?20),pp_bidx(?21))",
    [S_MSG_PATCH] = "UPDATE messages SET "
                    "body=coalesce(pp_seal(?3,?1,'messages','body',?2),body),"
                    "status=coalesce(?4,status),"
                    "date_updated=?6 WHERE account_sid=?1 AND sid=?2 "
                    "AND (?5 IS NULL OR status=?5)",
    [S_MSG_DEL] = "DELETE FROM messages WHERE account_sid=?1 AND sid=?2",
    [S_MSG_GET] = "SELECT " MSG_COLS " FROM messages WHERE account_sid=? AND sid=?",
    [S_MSG_COUNT] = "SELECT count(*) FROM messages",
    [S_NUM_INS] = "INSERT INTO phone_numbers(sid,account_sid,phone_number,friendly_name,"
                  "sms_method,sms_fallback_method,status_callback_method,sms_url,"
                  "sms_fallback_url,status_callback,date_created,date_updated,phone_bidx) "
                  "VALUES(?1,?2,pp_seal(?3,?2,'phone_numbers','phone_number',?1),"
                  "pp_seal(?4,?2,'phone_numbers','friendly_name',?1),?5,?6,?7,"
                  "pp_seal(?8,?2,'phone_numbers','sms_url',?1),"
                  "pp_seal(?9,?2,'phone_numbers','sms_fallback_url',?1),"
                  "pp_seal(?10,?2,'phone_numbers','status_callback',?1),?11,?12,pp_bidx(?3))",
    [S_NUM_UPD] = "UPDATE phone_numbers SET "
                  "friendly_name=pp_seal(?3,?2,'phone_numbers','friendly_name',?1),sms_method=?4,"
                  "sms_fallback_method=?5,status_callback_method=?6,"
                  "sms_url=pp_seal(?7,?2,'phone_numbers','sms_url',?1),"
                  "sms_fallback_url=pp_seal(?8,?2,'phone_numbers','sms_fallback_url',?1),"
                  "status_callback=pp_seal(?9,?2,'phone_numbers','status_callback',?1),"
                  "date_updated=?10 "
                  "WHERE sid=?1 AND account_sid=?2",
    [S_NUM_DEL] = "DELETE FROM phone_numbers WHERE account_sid=?1 AND sid=?2",
    [S_NUM_GET] = "SELECT " NUM_COLS " FROM phone_numbers WHERE account_sid=? AND sid=?",
    [S_NUM_FIND] = "SELECT " NUM_COLS " FROM phone_numbers WHERE phone_bidx=pp_bidx(?)",
    [S_CAR_PUT] = "INSERT INTO carriers(name,host,port,system_id,password,system_type,"
                  "bind_mode,window,mps,binds,date_created,date_updated,concat,payload,gsm7) "
                  "VALUES(?1,?2,?3,?4,pp_seal(?5,'system','carriers','password',?1),"
                  "?6,?7,?8,?9,?10,?11,?12,?13,?14,?15) ON CONFLICT(name) DO UPDATE SET "
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
                "account_sid," MSG_OPEN("to_addr") "," MSG_OPEN("from_addr") ","
                MSG_OPEN("body") ",validity_period,attempts,date_created,"
                "(SELECT sealed FROM message_sealed WHERE message_seq=messages.seq)",
    [S_SUB_MSG] = "UPDATE messages SET status='sent',date_sent=?2,date_updated=?2,carrier=?3,"
                  "lease_until=0 WHERE seq=?1 AND status='sending'",
    /* An id the SMSC gave before keeps its row: both messages wait for a
     * receipt (S_PART_DLR picks one). */
    [S_PART_INS] = "INSERT OR IGNORE INTO message_parts(carrier,smsc_id,message_seq,part,"
                   "parts,state,error_code) VALUES(?,?,?,?,?,0,0)",
    [S_EARLY_TAKE] = "DELETE FROM early_receipts WHERE carrier=?1 AND smsc_id=?2 "
                     "RETURNING state,error_code",
    [S_RETRY] = "UPDATE messages SET status='queued',next_attempt=?2,lease_until=0 "
                "WHERE seq=?1 AND status='sending'",
    [S_FAIL] = "UPDATE messages SET status=?3,error_code=?4,error_message=?5,lease_until=0,"
               "date_updated=?2 WHERE seq=?1 AND status IN ('sending','sent','queued')",
    /* A receipt for an id given more than once goes to the newest part
     * still waiting for one (else, a duplicate, to the newest). */
    [S_PART_DLR] = "UPDATE message_parts SET state=?3,error_code=?4 WHERE id=(SELECT id FROM "
                   "message_parts WHERE carrier=?1 AND smsc_id=?2 ORDER BY state<>0,id DESC "
                   "LIMIT 1) RETURNING message_seq",
    [S_EARLY_PUT] = "INSERT OR REPLACE INTO early_receipts(carrier,smsc_id,state,error_code,"
                    "received_at) VALUES(?,?,?,?,?)",
    [S_PARTS_TALLY] = "SELECT count(*),sum(state=2),sum(state IN (3,4,5,8)),"
                      "max(CASE WHEN state IN (3,4,5,8) THEN error_code ELSE 0 END),"
                      "max(parts) FROM message_parts WHERE message_seq=?1",
    [S_MSG_FINAL] = "UPDATE messages SET status=?2,error_code=?3,error_message=?4,"
                    "date_updated=?5 WHERE seq=?1 AND status IN ('sent','sending')",
    [S_PART_CLASH] = "SELECT count(*) FROM message_parts WHERE carrier=?1 AND smsc_id=?2 "
                     "AND state=0 AND message_seq<>?3",
    [S_PARTS_AWAITING] = "SELECT p.id,p.carrier,p.smsc_id," MSG_OPEN("from_addr") " FROM "
                         "message_parts p JOIN messages m ON m.seq=p.message_seq WHERE "
                         "p.id>?1 AND p.state=0 AND m.status='sent' ORDER BY p.id LIMIT ?2",
    /* Early receipts older than ?1, and all but the newest ?2. */
    [S_EARLY_SWEEP] = "DELETE FROM early_receipts WHERE received_at<?1 OR "
                      "id<=(SELECT max(id) FROM early_receipts)-?2",
    [S_MO_SWEEP] = "DELETE FROM mo_parts WHERE received_at<?1",
    /* dst and src hold blind indexes; the body is sealed for the account
     * that owns dst, with "ref:total:part" as its row. */
    [S_MO_INS] = "INSERT OR IGNORE INTO mo_parts(dst,src,ref,total,part,body,received_at) "
                 "VALUES(pp_partkey(?1),pp_partkey(?2),?3,?4,?5,"
                 "pp_seal(?6,?8,'mo_parts','body',?3||':'||?4||':'||?5),?7)",
    [S_MO_READ] = "SELECT part,pp_open(body,?5,'mo_parts','body',ref||':'||total||':'||part) "
                  "FROM mo_parts WHERE dst=pp_partkey(?1) AND src=pp_partkey(?2) AND ref=?3 "
                  "AND total=?4 ORDER BY part",
    [S_MO_DEL] = "DELETE FROM mo_parts WHERE dst=pp_partkey(?1) AND src=pp_partkey(?2) AND ref=?3 "
                 "AND total=?4",
    [S_SENDER_PUT] = "INSERT OR IGNORE INTO sender_ids(account_sid,sender,date_created) "
                     "VALUES(?,?,?)",
    [S_SENDER_DEL] = "DELETE FROM sender_ids WHERE account_sid=?1 AND sender=?2",
    [S_SENDER_GET] = "SELECT 1 FROM sender_ids WHERE account_sid=?1 AND sender=?2",
    /* The operator's numbers, sealed with the system key; the row is named
     * by its blind index. */
    [S_OFFER_PUT] = "INSERT OR REPLACE INTO number_offers(phone_bidx,phone_number,account_sid,"
                    "date_created) VALUES(pp_bidx(?1),pp_seal(?1,'system','number_offers',"
                    "'phone_number',hex(pp_bidx(?1))),?2,?3)",
    [S_OFFER_DEL] = "DELETE FROM number_offers WHERE phone_bidx=pp_bidx(?1)",
    [S_OFFER_GET] = "SELECT account_sid,date_created FROM number_offers "
                    "WHERE phone_bidx=pp_bidx(?1)",
    [S_OFFER_ALL] = "SELECT pp_open(o.phone_number,'system','number_offers','phone_number',"
                    "hex(o.phone_bidx)) AS n,o.account_sid,coalesce(p.account_sid,''),"
                    "o.date_created FROM number_offers o "
                    "LEFT JOIN phone_numbers p ON p.phone_bidx=o.phone_bidx ORDER BY n",
    [S_HOOK_CLAIM] = "UPDATE webhooks SET lease_until=?2,attempts=attempts+1 WHERE seq IN ("
                     "SELECT w.seq FROM webhooks w WHERE w.next_attempt<=?1 AND "
                     "w.lease_until<?1 AND NOT EXISTS (SELECT 1 FROM webhooks o WHERE "
                     "o.message_sid=w.message_sid AND o.kind=w.kind AND o.seq<w.seq) "
                     "ORDER BY w.next_attempt,w.seq LIMIT ?3) RETURNING " HOOK_COLS,
    [S_HOOK_DEL] = "DELETE FROM webhooks WHERE seq=?1",
    [S_HOOK_RETRY] = "UPDATE webhooks SET next_attempt=?2,lease_until=0 WHERE seq=?1",
    [S_HOOK_FOLLOW] = "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,"
                      "error_code,url,url_table,url_column,url_row,method,redirects,"
                      "created_ms,next_attempt) SELECT ?4,account_sid,message_sid,kind,event,"
                      "error_code,pp_seal(?2,account_sid,'webhooks','url',?4),'webhooks',"
                      "'url',?4,?3,redirects+1,created_ms,0 FROM webhooks WHERE seq=?1",
    [S_HOOK_DUE] = "SELECT next_attempt FROM webhooks WHERE lease_until<?1 "
                   "ORDER BY next_attempt LIMIT 1",
    [S_ALERT_INS] = "INSERT INTO alerts(sid,account_sid,error_code,log_level,alert_text,"
                    "request_method,request_url,request_variables,response_body,"
                    "response_headers,resource_sid,service_sid,date_created) "
                    "VALUES(?1,?2,?3,?4,pp_seal(?5,?2,'alerts','alert_text',?1),?6,"
                    "pp_seal(?7,?2,'alerts','request_url',?1),"
                    "pp_seal(?8,?2,'alerts','request_variables',?1),"
                    "pp_seal(?9,?2,'alerts','response_body',?1),?10,?11,?12,?13)",
    [S_ALERT_GET] = "SELECT " ALERT_COLS " FROM alerts WHERE account_sid=? AND sid=?",
    /* Replies between two numbers (the loop guard): messages_to_reply. */
    [S_MSG_REPLIES] = "SELECT count(*) FROM messages WHERE account_sid=?1 "
                      "AND to_bidx=pp_bidx(?3) AND from_bidx=pp_bidx(?2) "
                      "AND direction='outbound-reply' AND date_created>=?4",
    [S_SVC_INS] = "INSERT INTO messaging_services(sid,account_sid,friendly_name,"
                  "inbound_request_url,inbound_method,fallback_url,fallback_method,"
                  "status_callback,sticky_sender,mms_converter,smart_encoding,"
                  "scan_message_content,fallback_to_long_code,area_code_geomatch,"
                  "validity_period,synchronous_validation,usecase,"
                  "use_inbound_webhook_on_number,date_created,date_updated) "
                  "VALUES(?1,?2,?3,pp_seal(?4,?2,'messaging_services','inbound_request_url',?1),"
                  "?5,pp_seal(?6,?2,'messaging_services','fallback_url',?1),?7,"
                  "pp_seal(?8,?2,'messaging_services','status_callback',?1),"
                  "?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
    /* The same parameters as S_SVC_INS (?19, date_created, unused). */
    [S_SVC_UPD] = "UPDATE messaging_services SET friendly_name=?3,"
                  "inbound_request_url=pp_seal(?4,?2,'messaging_services','inbound_request_url',?1),"
                  "inbound_method=?5,"
                  "fallback_url=pp_seal(?6,?2,'messaging_services','fallback_url',?1),"
                  "fallback_method=?7,"
                  "status_callback=pp_seal(?8,?2,'messaging_services','status_callback',?1),"
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
    [S_SVC_STICKY] = "SELECT pp_open(m.from_addr,m.account_sid,'messages','from_addr',m.sid) "
                     "FROM messages m WHERE m.account_sid=?1 AND m.messaging_service_sid<>'' "
                     "AND m.to_bidx=pp_bidx(?3) AND m.messaging_service_sid=?2 AND EXISTS("
                     "SELECT 1 FROM messaging_service_numbers sn JOIN phone_numbers p "
                     "ON p.sid=sn.number_sid WHERE sn.service_sid=?2 "
                     "AND p.phone_bidx=m.from_bidx) ORDER BY m.seq DESC LIMIT 1",
    [S_SVC_PICK] = "SELECT pp_open(p.phone_number,p.account_sid,'phone_numbers','phone_number',"
                   "p.sid) FROM messaging_service_numbers sn "
                   "JOIN phone_numbers p ON p.sid=sn.number_sid "
                   "WHERE sn.service_sid=?1 AND sn.account_sid=?2 ORDER BY sn.seq "
                   "LIMIT 1 OFFSET ?3 % max(1,(SELECT count(*) FROM "
                   "messaging_service_numbers WHERE service_sid=?1))",
    /* Signing in: the account without its tokens, and their keyed hashes. */
    [S_ACC_AUTH] = "SELECT seq,sid,owner_sid,friendly_name,status,'','',secondary_created,"
                   "date_created,date_updated,auth_hash,secondary_hash FROM accounts WHERE sid=?",
    /* Sender ownership: who owns a number, and its status callback. */
    [S_NUM_OWNER] = "SELECT account_sid," NUM_OPEN("status_callback") " FROM phone_numbers "
                    "WHERE phone_bidx=pp_bidx(?)",
    [S_DEK_NEW] = "INSERT OR IGNORE INTO account_keys(account_sid,generation,wrapped,master_id,"
                  "date_created) VALUES(?1,1,pp_new_key(?1,1),pp_master_id(),?2)",
    /* Crypto-shredding: without its keys a closed account's content is noise. */
    [S_DEK_SHRED] = "DELETE FROM account_keys WHERE account_sid=?1 AND EXISTS(SELECT 1 FROM "
                    "accounts WHERE sid=?1 AND status='closed')",
    [S_DEK_REWRAP] = "UPDATE account_keys SET wrapped=pp_rewrap(account_sid,generation,wrapped,?1),"
                     "master_id=?2",
    [S_DEK_NEXT] = "INSERT INTO account_keys(account_sid,generation,wrapped,master_id,"
                   "date_created) SELECT ?1,max(generation)+1,pp_new_key(?1,max(generation)+1),"
                   "pp_master_id(),?2 FROM account_keys WHERE account_sid=?1 "
                   "HAVING count(*)>0",
    [S_DEK_RETIRE] = "DELETE FROM account_keys WHERE account_sid=?1 AND generation<("
                     "SELECT max(generation) FROM account_keys WHERE account_sid=?1)",
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
  SV_FA_QR_SET,
  SV_FA_QR_TAKE,
  SV_FA_DUE,
  SV_FA_ACTIVATE,
  SV_ENROLL_VERIFY,
  SV_ENROLL_DELETE,
  SV_EV_QUEUE,
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
#define VE_COLS                                                 \
  "seq,sid,service_sid,account_sid,"                            \
  "pp_open(to_addr,account_sid,'verifications','to_addr',sid)," \
  "channel,status,code_hashes,sends,"                           \
  "checks,send_attempts,expires_at,date_created,date_updated"
#define RL_COLS                                                           \
  "seq,sid,service_sid,account_sid,unique_name,description,date_created," \
  "date_updated"
#define RB_COLS                                                               \
  "seq,sid,rate_limit_sid,service_sid,account_sid,max,interval,date_created," \
  "date_updated"
/* Verify's customer content is sealed with the account's key (place:
 * account, table, column, row SID), as SEALED_VERIFY_* lists it below. */
#define V_OPEN(tbl, c) "pp_open(" c ",account_sid,'" tbl "','" c "',sid)"
#define V_SEAL(tbl, c, v, acct, row) "pp_seal(" v "," acct ",'" tbl "','" c "'," row ")"
#define EN_COLS                                                \
  "seq,sid,service_sid,account_sid," V_OPEN("verify_entities", \
                                            "identity") ",date_created,date_updated"
#define FA_COLS \
  "seq,sid,entity_sid,service_sid,account_sid," \
  V_OPEN("verify_factors", "identity") "," V_OPEN("verify_factors", "friendly_name") ",status," \
  "factor_type,alg,time_step,skew,code_length,secret_sealed,last_counter,failures," \
  V_OPEN("verify_factors", "metadata") ",date_created,date_updated,public_key," \
  V_OPEN("verify_factors", "push_config") ",activate_at"
#define CH_COLS \
  "seq,sid,factor_sid,entity_sid,service_sid,account_sid," \
  V_OPEN("verify_challenges", "identity") ",status,responded_reason,factor_type," \
  V_OPEN("verify_challenges", "details") "," V_OPEN("verify_challenges", "hidden_details") "," \
  V_OPEN("verify_challenges", "metadata") ",expiration_date," \
  "date_responded,date_created,date_updated,enroll_factor_sid"
#define WH_COLS                                                        \
  "seq,sid,service_sid,account_sid,friendly_name,event_types," V_OPEN( \
      "verify_webhooks", "webhook_url") ",status,version,date_created,date_updated"
/* An entity is found by a blind index of its service and identity. */
#define EN_BIDX(svc, identity) "pp_bidx(" svc "||'/'||" identity ")"

static const char *verify_sql[SV__COUNT] = {
    [SV_SVC_INS] = "INSERT INTO verify_services(sid,account_sid,friendly_name,code_length,"
                   "lookup_enabled,psd2_enabled,skip_sms_to_landlines,dtmf_input_required,"
                   "do_not_share_warning_enabled,custom_code_enabled,push_include_date,"
                   "verify_event_subscription_enabled,tts_name,push_apn_credential_sid,"
                   "push_fcm_credential_sid,default_template_sid,whatsapp_msg_service_sid,"
                   "whatsapp_from,totp_issuer,totp_time_step,totp_code_length,totp_skew,"
                   "date_created,date_updated,enrollment_wait,fraud_guard,"
                   "allowed_country_codes) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
                   "?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)",
    /* The same parameters as SV_SVC_INS (?23, date_created, unused). */
    [SV_SVC_UPD] = "UPDATE verify_services SET friendly_name=?3,code_length=?4,"
                   "lookup_enabled=?5,psd2_enabled=?6,skip_sms_to_landlines=?7,"
                   "dtmf_input_required=?8,do_not_share_warning_enabled=?9,"
                   "custom_code_enabled=?10,push_include_date=?11,"
                   "verify_event_subscription_enabled=?12,tts_name=?13,"
                   "push_apn_credential_sid=?14,push_fcm_credential_sid=?15,"
                   "default_template_sid=?16,whatsapp_msg_service_sid=?17,whatsapp_from=?18,"
                   "totp_issuer=?19,totp_time_step=?20,totp_code_length=?21,totp_skew=?22,"
                   "date_updated=?24,enrollment_wait=?25,fraud_guard=?26,"
                   "allowed_country_codes=?27 WHERE sid=?1 AND account_sid=?2",
    [SV_SVC_DEL] = "DELETE FROM verify_services WHERE account_sid=?1 AND sid=?2",
    [SV_SVC_GET] = "SELECT " VSVC_COLS " FROM verify_services WHERE account_sid=?1 AND sid=?2",
    [SV_VE_INS] = "INSERT INTO verifications(sid,service_sid,account_sid,to_addr,channel,"
                  "status,code_hashes,sends,checks,send_attempts,expires_at,date_created,"
                  "date_updated,to_bidx) VALUES(?1,?2,?3,"
                  "pp_seal(?4,?3,'verifications','to_addr',?1),?5,?6,?7,?8,?9,?10,?11,?12,?13,"
                  "pp_bidx(?4))",
    /* The parameters of SV_VE_INS, and ?14: the sends it must still have. */
    [SV_VE_RESEND] = "UPDATE verifications SET sends=?8,code_hashes=?7,send_attempts=?10,"
                     "date_updated=?13 WHERE sid=?1 AND account_sid=?3 AND status='pending' "
                     "AND sends=?14 AND expires_at>?13",
    [SV_VE_PENDING] = "SELECT count(*) FROM verifications WHERE account_sid=?1 "
                      "AND to_bidx=pp_bidx(?2) "
                      "AND status='pending' AND expires_at>?3",
    [SV_VE_SET] = "UPDATE verifications SET status=?3,checks=?4,date_updated=?6 "
                  "WHERE account_sid=?1 AND sid=?2 AND status='pending' AND expires_at>?6 "
                  "AND (?5<0 OR checks=?5)",
    [SV_VE_GET] = "SELECT " VE_COLS " FROM verifications WHERE account_sid=?1 "
                  "AND service_sid=?2 AND sid=?3",
    [SV_VE_FIND] = "SELECT " VE_COLS " FROM verifications WHERE service_sid=?2 "
                   "AND to_bidx=pp_bidx(?3) AND account_sid=?1 ORDER BY seq DESC LIMIT 1",
    [SV_MSG_SEAL] = "INSERT INTO message_sealed(message_seq,sealed) VALUES(?1,?2)",
    [SV_HIT_PRUNE] = "DELETE FROM verify_rate_hits WHERE bucket_sid=?1 AND key_hash=?2 "
                     "AND at<=?3",
    [SV_HIT_COUNT] = "SELECT count(*) FROM verify_rate_hits WHERE bucket_sid=?1 "
                     "AND key_hash=?2 AND at>?3",
    [SV_HIT_INS] = "INSERT INTO verify_rate_hits(bucket_sid,key_hash,at) VALUES(?1,?2,?3)",
    [SV_FRAUD_GET] = "SELECT bucket,count,mean,blocked_until,alerted_bucket "
                     "FROM verify_fraud_prefixes WHERE service_sid=?1 AND prefix=?2",
    [SV_FRAUD_PUT] = "INSERT OR REPLACE INTO verify_fraud_prefixes(service_sid,prefix,bucket,"
                     "count,mean,blocked_until,alerted_bucket) VALUES(?1,?2,?3,?4,?5,?6,?7)",
    /* ?8: how many rate limits a service may have. */
    [SV_RL_INS] = "INSERT INTO verify_rate_limits(sid,service_sid,account_sid,unique_name,"
                  "description,date_created,date_updated) SELECT ?1,?2,?3,?4,?5,?6,?7 "
                  "WHERE (SELECT count(*) FROM verify_rate_limits WHERE service_sid=?2)<?8",
    [SV_RL_UPD] = "UPDATE verify_rate_limits SET description=?5,date_updated=?7 "
                  "WHERE sid=?1 AND account_sid=?3",
    [SV_RL_DEL] = "DELETE FROM verify_rate_limits WHERE account_sid=?1 AND sid=?2",
    [SV_RL_GET] = "SELECT " RL_COLS " FROM verify_rate_limits WHERE account_sid=?1 "
                  "AND service_sid=?2 AND sid=?3",
    /* ?9: how many buckets a rate limit may have. */
    [SV_RB_INS] = "INSERT INTO verify_rate_buckets(sid,rate_limit_sid,service_sid,account_sid,"
                  "max,interval,date_created,date_updated) SELECT ?1,?2,?3,?4,?5,?6,?7,?8 "
                  "WHERE (SELECT count(*) FROM verify_rate_buckets WHERE rate_limit_sid=?2)<?9",
    [SV_RB_UPD] = "UPDATE verify_rate_buckets SET max=?5,interval=?6,date_updated=?8 "
                  "WHERE sid=?1 AND account_sid=?4",
    [SV_RB_DEL] = "DELETE FROM verify_rate_buckets WHERE account_sid=?1 AND sid=?2",
    [SV_RB_GET] = "SELECT " RB_COLS " FROM verify_rate_buckets WHERE account_sid=?1 "
                  "AND rate_limit_sid=?2 AND sid=?3",
    [SV_SENDER] = "SELECT pp_open(phone_number,account_sid,'phone_numbers','phone_number',sid) "
                  "FROM phone_numbers WHERE account_sid=?1 "
                  "ORDER BY seq LIMIT 1",
    [SV_EN_INS] = "INSERT INTO verify_entities(sid,service_sid,account_sid,identity,"
                  "date_created,date_updated,identity_bidx) VALUES(?1,?2,?3,"
                  V_SEAL("verify_entities", "identity", "?4", "?3", "?1") ",?5,?6,"
                  EN_BIDX("?2", "?4") ")",
    [SV_EN_INS_IGNORE] = "INSERT OR IGNORE INTO verify_entities(sid,service_sid,account_sid,"
                         "identity,date_created,date_updated,identity_bidx) VALUES(?1,?2,?3,"
                         V_SEAL("verify_entities", "identity", "?4", "?3", "?1") ",?5,?6,"
                         EN_BIDX("?2", "?4") ")",
    [SV_EN_DEL] = "DELETE FROM verify_entities WHERE account_sid=?1 AND sid=?2",
    [SV_EN_GET] = "SELECT " EN_COLS " FROM verify_entities WHERE account_sid=?1 "
                  "AND service_sid=?2 AND identity_bidx=" EN_BIDX("?2", "?3"),
    [SV_FA_INS] = "INSERT INTO verify_factors(sid,entity_sid,service_sid,account_sid,identity,"
                  "friendly_name,status,factor_type,alg,time_step,skew,code_length,"
                  "secret_sealed,last_counter,failures,metadata,date_created,date_updated,"
                  "public_key,push_config) VALUES(?1,?2,?3,?4,"
                  V_SEAL("verify_factors", "identity", "?5", "?4", "?1") ","
                  V_SEAL("verify_factors", "friendly_name", "?6", "?4", "?1") ","
                  "?7,?8,?9,?10,?11,?12,?13,?14,?15,"
                  V_SEAL("verify_factors", "metadata", "?16", "?4", "?1") ",?17,?18,?19,"
                  V_SEAL("verify_factors", "push_config", "?20", "?4", "?1") ")",
    /* The parameters of SV_FA_INS. */
    [SV_FA_UPD] = "UPDATE verify_factors SET friendly_name="
                  V_SEAL("verify_factors", "friendly_name", "?6", "?4", "?1") ","
                  "alg=?9,time_step=?10,skew=?11,code_length=?12,date_updated=?18,push_config="
                  V_SEAL("verify_factors", "push_config", "?20", "?4", "?1") " "
                  "WHERE sid=?1 AND account_sid=?4",
    [SV_FA_DEL] = "DELETE FROM verify_factors WHERE account_sid=?1 AND sid=?2",
    [SV_FA_GET] = "SELECT " FA_COLS " FROM verify_factors WHERE account_sid=?1 "
                  "AND entity_sid=?2 AND sid=?3",
    [SV_FA_ATTEMPT] = "UPDATE verify_factors SET last_counter=?3,failures=?4,"
                      "status=coalesce(?5,status),activate_at=coalesce(?9,activate_at),"
                      "date_updated=?8 WHERE account_sid=?1 "
                      "AND sid=?2 AND last_counter=?6 AND failures=?7",
    [SV_CH_INS] = "INSERT INTO verify_challenges(sid,factor_sid,entity_sid,service_sid,"
                  "account_sid,identity,status,responded_reason,factor_type,details,"
                  "hidden_details,metadata,expiration_date,date_responded,date_created,"
                  "date_updated,enroll_factor_sid) VALUES(?1,?2,?3,?4,?5,"
                  V_SEAL("verify_challenges", "identity", "?6", "?5", "?1") ",?7,?8,?9,"
                  V_SEAL("verify_challenges", "details", "?10", "?5", "?1") ","
                  V_SEAL("verify_challenges", "hidden_details", "?11", "?5", "?1") ","
                  V_SEAL("verify_challenges", "metadata", "?12", "?5", "?1") ","
                  "?13,?14,?15,?16,?17)",
    /* The parameters of SV_CH_INS. */
    [SV_CH_RESPOND] = "UPDATE verify_challenges SET status=?7,responded_reason=?8,"
                      "date_responded=?14,date_updated=?16 WHERE sid=?1 AND account_sid=?5 "
                      "AND status='pending'",
    [SV_CH_GET] = "SELECT " CH_COLS " FROM verify_challenges WHERE account_sid=?1 "
                  "AND entity_sid=?2 AND sid=?3",
    [SV_ENROLL_VERIFY] = "UPDATE verify_factors SET status='verified',activate_at=0,"
                         "date_updated=?3 WHERE account_sid=?1 AND sid=?2 "
                         "AND status='unverified' AND activate_at>0",
    [SV_FA_QR_SET] = "UPDATE verify_factors SET qr_token_hash=?3,qr_expires=?4 "
                     "WHERE account_sid=?1 AND sid=?2",
    [SV_FA_QR_TAKE] = "UPDATE verify_factors SET qr_token_hash=NULL,qr_expires=0 "
                      "WHERE account_sid=?1 AND sid=?2 AND qr_token_hash=?3 AND qr_expires>?4 "
                      "AND status='unverified' AND activate_at=0",
    [SV_FA_DUE] = "SELECT " FA_COLS " FROM verify_factors WHERE status='unverified' "
                  "AND activate_at>0 AND activate_at<=?1 ORDER BY activate_at LIMIT ?2",
    [SV_FA_ACTIVATE] = "UPDATE verify_factors SET status='verified',activate_at=0,date_updated=?3 "
                       "WHERE account_sid=?1 AND sid=?2 AND status='unverified' "
                       "AND activate_at>0 AND activate_at<=?3",
    [SV_ENROLL_DELETE] = "DELETE FROM verify_factors WHERE account_sid=?1 AND sid=?2 "
                         "AND status='unverified' AND activate_at>0",
    /* ?2: the event type; ?3: the body; ?4: now (s); ?5: a random id.  One
     * request (kind "verify") on the webhook queue per subscribed webhook,
     * in order per webhook (message_sid: the webhook's SID); its URL and
     * body sealed for the queue row (url_row: the webhook's SID and the
     * id). */
    [SV_EV_QUEUE] = "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,"
                    "url,url_table,url_column,url_row,method,created_ms,next_attempt,body) "
                    "SELECT lower(hex(randomblob(16))),account_sid,sid,'verify','event',0,"
                    V_SEAL("webhooks", "url", V_OPEN("verify_webhooks", "webhook_url"),
                           "account_sid", "sid||'.'||?5")
                    ",'webhooks','url',sid||'.'||?5,'POST',?4*1000,?4*1000,"
                    V_SEAL("webhooks", "body", "?3", "account_sid", "sid||'.'||?5")
                    " FROM verify_webhooks WHERE service_sid=?1 AND status='enabled' AND ("
                    "instr(','||event_types||',',',*,')>0 OR "
                    "instr(','||event_types||',',','||?2||',')>0)",
    /* A closed account's queued requests: they would no longer open. */
    [SV_HOOK_SHRED] = "DELETE FROM webhooks WHERE account_sid=?1",
    [SV_WH_INS] = "INSERT INTO verify_webhooks(sid,service_sid,account_sid,friendly_name,"
                  "event_types,webhook_url,status,version,date_created,date_updated) "
                  "VALUES(?1,?2,?3,?4,?5,"
                  V_SEAL("verify_webhooks", "webhook_url", "?6", "?3", "?1") ",?7,?8,?9,?10)",
    /* The parameters of SV_WH_INS. */
    [SV_WH_UPD] = "UPDATE verify_webhooks SET friendly_name=?4,event_types=?5,webhook_url="
                  V_SEAL("verify_webhooks", "webhook_url", "?6", "?3", "?1") ","
                  "status=?7,version=?8,date_updated=?10 WHERE sid=?1 AND account_sid=?3",
    [SV_WH_DEL] = "DELETE FROM verify_webhooks WHERE account_sid=?1 AND sid=?2",
    [SV_WH_GET] = "SELECT " WH_COLS " FROM verify_webhooks WHERE account_sid=?1 "
                  "AND service_sid=?2 AND sid=?3",
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

/* Encryption at rest (store/crypt.h): data keys, blind indexes beside the
 * sealed phone numbers, and every existing value sealed in place (the
 * pp_* functions are the connection's; see register_crypt). */
#define HOOK_COLS_IN                                                   \
  "token,account_sid,message_sid,kind,event,error_code,url,url_table," \
  "url_column,url_row,method,created_ms,next_attempt"
#define SEAL(tbl, col, acct, row) col "=pp_seal(" col "," acct ",'" tbl "','" col "'," row ")"
/* The sealed columns of each table (table, column, account, row), once:
 * the migration below seals them in place, a key rotation reseals them. */
#define SEALED_ACCOUNTS(X) \
  X("accounts", "auth_token", "sid", "sid") X("accounts", "secondary_token", "sid", "sid")
#define SEALED_MESSAGES(X)                          \
  X("messages", "to_addr", "account_sid", "sid")    \
  X("messages", "from_addr", "account_sid", "sid")  \
  X("messages", "body", "account_sid", "sid")       \
  X("messages", "media_urls", "account_sid", "sid") \
  X("messages", "status_callback", "account_sid", "sid")
#define SEALED_NUMBERS(X)                                      \
  X("phone_numbers", "phone_number", "account_sid", "sid")     \
  X("phone_numbers", "friendly_name", "account_sid", "sid")    \
  X("phone_numbers", "sms_url", "account_sid", "sid")          \
  X("phone_numbers", "sms_fallback_url", "account_sid", "sid") \
  X("phone_numbers", "status_callback", "account_sid", "sid")
#define SEALED_SERVICES(X)                                             \
  X("messaging_services", "inbound_request_url", "account_sid", "sid") \
  X("messaging_services", "fallback_url", "account_sid", "sid")        \
  X("messaging_services", "status_callback", "account_sid", "sid")
#define SEALED_ALERTS(X)                                 \
  X("alerts", "alert_text", "account_sid", "sid")        \
  X("alerts", "request_url", "account_sid", "sid")       \
  X("alerts", "request_variables", "account_sid", "sid") \
  X("alerts", "response_body", "account_sid", "sid")
#define SEALED_VERIFICATIONS(X) X("verifications", "to_addr", "account_sid", "sid")
#define SEALED_VERIFY_ENTITIES(X) X("verify_entities", "identity", "account_sid", "sid")
/* Beside these, a factor's secret_sealed (place column 'secret'), sealed
 * by the API with pp_store_seal. */
#define SEALED_VERIFY_FACTORS(X)                             \
  X("verify_factors", "identity", "account_sid", "sid")      \
  X("verify_factors", "friendly_name", "account_sid", "sid") \
  X("verify_factors", "metadata", "account_sid", "sid")      \
  X("verify_factors", "push_config", "account_sid", "sid")
#define SEALED_VERIFY_CHALLENGES(X)                              \
  X("verify_challenges", "identity", "account_sid", "sid")       \
  X("verify_challenges", "details", "account_sid", "sid")        \
  X("verify_challenges", "hidden_details", "account_sid", "sid") \
  X("verify_challenges", "metadata", "account_sid", "sid")
#define SEALED_VERIFY_WEBHOOKS(X) X("verify_webhooks", "webhook_url", "account_sid", "sid")
#define SEAL_ITEM(tbl, col, acct, row) "," SEAL(tbl, col, acct, row)
static const char schema_v9[] =
    "CREATE TABLE account_keys("
    " account_sid TEXT NOT NULL, generation INTEGER NOT NULL, wrapped BLOB NOT NULL,"
    " master_id TEXT NOT NULL, date_created INTEGER NOT NULL,"
    " PRIMARY KEY(account_sid, generation)) WITHOUT ROWID;"
    "INSERT INTO account_keys SELECT 'system',1,pp_new_key('system',1),pp_master_id(),"
    " strftime('%s','now');"
    "INSERT INTO account_keys SELECT sid,1,pp_new_key(sid,1),pp_master_id(),"
    " strftime('%s','now') FROM accounts;"
    /* Blind-index keys: random, sealed with the system key (so a master
     * key rotation leaves every index valid). */
    "CREATE TABLE store_keys(name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;"
    "INSERT INTO store_keys SELECT 'phone',"
    " pp_seal(lower(hex(randomblob(32))),'system','store_keys','value','phone');"
    "INSERT INTO store_keys SELECT 'token',"
    " pp_seal(lower(hex(randomblob(32))),'system','store_keys','value','token');"
    /* Auth tokens are checked against keyed hashes: signing in opens none. */
    "ALTER TABLE accounts ADD COLUMN auth_hash BLOB;"
    "ALTER TABLE accounts ADD COLUMN secondary_hash BLOB;"
    "UPDATE accounts SET auth_hash=pp_tokhash(auth_token),"
    " secondary_hash=pp_tokhash(secondary_token)" SEALED_ACCOUNTS(SEAL_ITEM) ";"
    "ALTER TABLE messages ADD COLUMN to_bidx BLOB;"
    "ALTER TABLE messages ADD COLUMN from_bidx BLOB;"
    "UPDATE messages SET to_bidx=pp_bidx(to_addr),from_bidx=pp_bidx(from_addr)"
    SEALED_MESSAGES(SEAL_ITEM) ";"
    "DROP INDEX messages_to;"
    "DROP INDEX messages_from;"
    "CREATE INDEX messages_to ON messages(account_sid, to_bidx, seq);"
    "CREATE INDEX messages_from ON messages(account_sid, from_bidx, seq);"
    "ALTER TABLE phone_numbers ADD COLUMN phone_bidx BLOB;"
    "UPDATE phone_numbers SET phone_bidx=pp_bidx(phone_number)" SEALED_NUMBERS(SEAL_ITEM) ";"
    "CREATE UNIQUE INDEX phone_numbers_bidx ON phone_numbers(phone_bidx);"
    "UPDATE carriers SET " SEAL("carriers", "password", "'system'", "name") ";"
    "UPDATE messaging_services SET seq=seq" SEALED_SERVICES(SEAL_ITEM) ";"
    "UPDATE alerts SET seq=seq" SEALED_ALERTS(SEAL_ITEM) ";"
    "DELETE FROM mo_parts;"
    /* A queued request names where its sealed URL came from (the
     * coordinates it was sealed for); rows queued before keep theirs in
     * clear, which pp_open passes through. */
    "ALTER TABLE webhooks ADD COLUMN url_table TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE webhooks ADD COLUMN url_column TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE webhooks ADD COLUMN url_row TEXT NOT NULL DEFAULT '';"
    "DROP TRIGGER messages_hook_created;"
    "DROP TRIGGER messages_hook_status;"
    "DROP TRIGGER messages_hook_inbound;"
    "CREATE TRIGGER messages_hook_created AFTER INSERT ON messages"
    " WHEN NEW.status_callback IS NOT NULL AND NEW.status IN ('queued','accepted')"
    " BEGIN INSERT INTO webhooks(" HOOK_COLS_IN ") VALUES(lower(hex(randomblob(16))),"
    " NEW.account_sid,NEW.sid,'status',NEW.status,NEW.error_code,NEW.status_callback,"
    " 'messages','status_callback',NEW.sid,'POST',NEW.date_updated*1000,0); END;"
    "CREATE TRIGGER messages_hook_status AFTER UPDATE OF status ON messages"
    " WHEN NEW.status_callback IS NOT NULL AND NEW.status<>OLD.status AND NEW.status IN"
    " ('sent','delivered','undelivered','failed','canceled','read')"
    " BEGIN INSERT INTO webhooks(" HOOK_COLS_IN ") VALUES(lower(hex(randomblob(16))),"
    " NEW.account_sid,NEW.sid,'status',NEW.status,NEW.error_code,NEW.status_callback,"
    " 'messages','status_callback',NEW.sid,'POST',NEW.date_updated*1000,0); END;"
    "CREATE TRIGGER messages_hook_inbound AFTER INSERT ON messages"
    " WHEN NEW.direction='inbound' BEGIN INSERT INTO webhooks(" HOOK_COLS_IN ")"
    " SELECT lower(hex(randomblob(16))),NEW.account_sid,NEW.sid,'inbound','received',0,"
    " coalesce(s.inbound_request_url,p.sms_url),"
    " CASE WHEN s.inbound_request_url IS NULL THEN 'phone_numbers'"
    "  ELSE 'messaging_services' END,"
    " CASE WHEN s.inbound_request_url IS NULL THEN 'sms_url' ELSE 'inbound_request_url' END,"
    " CASE WHEN s.inbound_request_url IS NULL THEN p.sid ELSE s.sid END,"
    " CASE WHEN s.inbound_request_url IS NULL THEN p.sms_method ELSE s.inbound_method END,"
    " NEW.date_created*1000,0 FROM phone_numbers p"
    " LEFT JOIN messaging_service_numbers sn ON sn.number_sid=p.sid"
    " LEFT JOIN messaging_services s ON s.sid=sn.service_sid"
    "  AND s.use_inbound_webhook_on_number=0 AND coalesce(s.inbound_request_url,'')<>''"
    " WHERE p.phone_bidx=NEW.to_bidx AND p.account_sid=NEW.account_sid"
    " AND coalesce(s.inbound_request_url,p.sms_url,'')<>''; END;";

/* Verify's numbers sealed too, beside a blind index. */
static const char schema_v12[] =
    "ALTER TABLE verifications ADD COLUMN to_bidx BLOB;"
    "UPDATE verifications SET to_bidx=pp_bidx(to_addr),"
    " " SEAL("verifications", "to_addr", "account_sid", "sid") ";"
    "DROP INDEX verifications_to;"
    "DROP INDEX verifications_service;"
    "CREATE INDEX verifications_to ON verifications(account_sid, to_bidx, seq);"
    "CREATE INDEX verifications_service ON verifications(service_sid, to_bidx, seq);"
    /* Verify's root key (code hashes, sealed secrets), not the master key. */
    "INSERT INTO store_keys SELECT 'verify',"
    " pp_seal(lower(hex(randomblob(32))),'system','store_keys','value','verify');";

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
    "CREATE TRIGGER verifications_done AFTER UPDATE OF status ON verifications"
    " WHEN NEW.status<>'pending' BEGIN"
    " UPDATE verifications SET code_hashes=x'' WHERE seq=NEW.seq; END;"
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
    "CREATE TRIGGER message_sealed_done AFTER UPDATE OF status ON messages"
    " WHEN NEW.status NOT IN ('queued','accepted','scheduled','sending') BEGIN"
    " DELETE FROM message_sealed WHERE message_seq=NEW.seq; END;";

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
    "CREATE TRIGGER verify_factors_enrolled AFTER UPDATE OF status ON verify_factors"
    " WHEN NEW.status='verified' AND OLD.status<>'verified' BEGIN"
    " UPDATE verify_challenges SET status='expired',date_updated=NEW.date_updated"
    " WHERE enroll_factor_sid=NEW.sid AND status='pending'; END;"
    "CREATE TRIGGER verify_factors_enroll_gone AFTER DELETE ON verify_factors BEGIN"
    " UPDATE verify_challenges SET status='expired'"
    " WHERE enroll_factor_sid=OLD.sid AND status='pending'; END;"
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

static const char schema_audit_root[] =
    "INSERT INTO store_keys SELECT 'audit',"
    " pp_seal(lower(hex(randomblob(32))),'system','store_keys','value','audit');";

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
#define VERIFY_ROOT                                                            \
  "(SELECT pp_open(value,'system','store_keys','value',name) FROM store_keys " \
  "WHERE name='verify')"
static const char schema_verify_keys[] =
    "DELETE FROM verify_challenges WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_factors WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_entities WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_webhooks WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM verify_events WHERE " CLOSED_ACCOUNT ";"
    "DELETE FROM message_sealed WHERE message_seq IN (SELECT seq FROM messages WHERE "
    CLOSED_ACCOUNT ");"
    "ALTER TABLE verify_entities ADD COLUMN identity_bidx BLOB;"
    "UPDATE verify_entities SET identity_bidx=" EN_BIDX("service_sid", "identity")
    SEALED_VERIFY_ENTITIES(SEAL_ITEM) ";"
    "CREATE UNIQUE INDEX verify_entities_identity ON verify_entities(service_sid, identity_bidx);"
    "UPDATE verify_factors SET secret_sealed=pp_verify_v1(secret_sealed,account_sid,"
    "'verify_factors','secret',sid," VERIFY_ROOT ")" SEALED_VERIFY_FACTORS(SEAL_ITEM) ";"
    "UPDATE verify_challenges SET seq=seq" SEALED_VERIFY_CHALLENGES(SEAL_ITEM) ";"
    "UPDATE verify_webhooks SET seq=seq" SEALED_VERIFY_WEBHOOKS(SEAL_ITEM) ";"
    /* Verify's events onto the webhook queue: kind "verify", the body
     * sealed beside the URL for the queue row. */
    "ALTER TABLE webhooks ADD COLUMN body BLOB;"
    "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,url,url_table,"
    "url_column,url_row,method,created_ms,next_attempt,attempts,body) SELECT "
    "lower(hex(randomblob(16))),account_sid,'ev'||seq,'verify','event',0,"
    "pp_seal(url,account_sid,'webhooks','url','ev'||seq),'webhooks','url','ev'||seq,'POST',"
    "created*1000,next_attempt*1000,attempts,"
    "pp_seal(body,account_sid,'webhooks','body','ev'||seq) FROM verify_events;"
    "DROP TABLE verify_events;"
    "UPDATE message_sealed SET sealed=pp_verify_v1(sealed,"
    "(SELECT account_sid FROM messages WHERE seq=message_seq),'messages','sealed_body',"
    "(SELECT sid FROM messages WHERE seq=message_seq)," VERIFY_ROOT ");";

/* The numbers the operator made available (issue 11): only these can be
 * taken with IncomingPhoneNumbers.create.  Safe to run again (an upgrade
 * test re-runs the steps before it). */
static const char schema_number_offers[] =
    "CREATE TABLE IF NOT EXISTS number_offers("
    " phone_bidx BLOB PRIMARY KEY, phone_number BLOB NOT NULL, account_sid TEXT NOT NULL,"
    " date_created INTEGER NOT NULL) WITHOUT ROWID;";

/* Schema steps in order; user_version counts the steps applied. */
/* Blind indexes and sign-in hashes made again with SipHash (envelope.h,
 * pp_blind_index) from the sealed values, for every account whose key is
 * still there; inbound parts keep the former index (pp_partkey). */
#define NOT_CLOSED " WHERE NOT " CLOSED_ACCOUNT ";"
static const char schema_bidx_siphash[] =
    "UPDATE accounts SET auth_hash=pp_tokhash(pp_open(auth_token,sid,'accounts','auth_token',sid)),"
    "secondary_hash=pp_tokhash(pp_open(secondary_token,sid,'accounts','secondary_token',sid)) "
    "WHERE status<>'closed';"
    "UPDATE messages SET to_bidx=pp_bidx(" V_OPEN("messages", "to_addr") "),"
    "from_bidx=pp_bidx(" V_OPEN("messages", "from_addr") ")" NOT_CLOSED
    "UPDATE phone_numbers SET phone_bidx=pp_bidx(" V_OPEN("phone_numbers", "phone_number") ")"
    NOT_CLOSED
    "UPDATE verifications SET to_bidx=pp_bidx(" V_OPEN("verifications", "to_addr") ")"
    NOT_CLOSED
    "UPDATE verify_entities SET identity_bidx="
    EN_BIDX("service_sid", V_OPEN("verify_entities", "identity")) NOT_CLOSED;

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

static const char *const migrations[] = {schema_v1,
                                         schema_v2,
                                         schema_v3,
                                         schema_v4,
                                         schema_v5,
                                         schema_v6,
                                         schema_v7,
                                         schema_v8,
                                         schema_v9,
                                         schema_verify,
                                         schema_verify_enroll,
                                         schema_v12,
                                         schema_audit,
                                         schema_recipients,
                                         schema_audit_root,
                                         schema_verify_fraud,
                                         schema_factor_qr,
                                         schema_verify_keys,
                                         schema_bidx_siphash,
                                         schema_delivery_ids,
                                         schema_number_offers};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

typedef struct conn {
  sqlite3 *db;
  sqlite3_stmt *st[S__COUNT];
  pp_crypt_t *crypt_of;        /* the backend's */
  sqlite3_stmt *sv[SV__COUNT]; /* Verify's statements */
  struct conn *next_free;
} conn_t;

typedef struct {
  pp_crypt_t *crypt; /* the store's; not owned */
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

/* True when `rc` (a result code, primary or extended) says the disk, or the
 * database's page limit, is full: SQLITE_FULL, or an I/O error whose system
 * error is ENOSPC or EDQUOT. */
static bool disk_full(sqlite3 *db, int rc) {
  if ((rc & 0xff) == SQLITE_FULL) return true;
  if ((rc & 0xff) != SQLITE_IOERR) return false;
  int e = sqlite3_system_errno(db);
  return e == ENOSPC || e == EDQUOT;
}

/* The error for the connection's last failure: PP_ERR_STORE_FULL (not
 * logged here: the writer logs the first and the last of a run of them);
 * PP_ERR_CORRUPT for a sealed value or key that did not open (the SQL
 * functions below fail with the error's name; crypt logged it); else,
 * logged with `what`, PP_ERR_CORRUPT for a damaged file and PP_ERR_STORE
 * for the rest. */
static pp_err_t db_err(sqlite3 *db, const char *what) {
  if (disk_full(db, sqlite3_extended_errcode(db))) return PP_ERR_STORE_FULL;
  const char *msg = sqlite3_errmsg(db);
  if (strcmp(msg, pp_err_name(PP_ERR_CORRUPT)) == 0) return PP_ERR_CORRUPT;
  bool corrupt = (sqlite3_errcode(db) & 0xff) == SQLITE_CORRUPT;
  pp_log_error(corrupt ? "integrity" : "sqlite", "%s: %s", what, msg);
  return corrupt ? PP_ERR_CORRUPT : PP_ERR_STORE;
}

/* ---- encryption at rest: SQL functions --------------------------------- *
 * Every connection has them, so the SQL says where each value is sealed:
 *   pp_seal(v, account, table, column, row)  v sealed (a BLOB) for those
 *     coordinates; NULL, '' and a BLOB (sealed already) pass unchanged;
 *   pp_open(v, account, table, column, row)  the text back; NULL and TEXT
 *     (written before encryption) pass unchanged; a blob that does not open
 *     there is an error (never plaintext from elsewhere);
 *   pp_bidx(v)  the blind index of a phone number (a BLOB passes);
 *   pp_partkey(v)  the same with the former index function, for mo_parts;
 *   pp_reseal(v, account, table, column, row)  v opened and sealed again
 *     with the newest key, in guarded memory (key rotation);
 *   pp_verify_v1(v, account, table, column, row, root)  a value of Verify's
 *     former seal sealed with the account's key (the upgrade);
 *   pp_new_key(account, generation)  a new data key, wrapped;
 *   pp_master_id()  the master key's fingerprint. */

/* The crypt loader: the newest (generation 0) or a given wrapped DEK, read
 * on the connection that needs it (it may be inside a transaction that
 * just made the key). */
static conn_t *acquire(be_t *b);
static void release(be_t *b, conn_t *c);

/* The connection a loader reads on: the caller's (it may be inside a
 * transaction that just made the key), else one from the pool (*pooled,
 * given back with release). */
static sqlite3 *loader_db(void *be, void *conn, conn_t **pooled) {
  *pooled = conn ? NULL : acquire(be);
  return conn ? conn : (*pooled)->db;
}

static pp_err_t load_wrapped(void *be, void *conn, const char *account, uint32_t generation,
                             unsigned char out[PP_DEK_WRAPPED_LEN], uint32_t *gen_out) {
  conn_t *pooled;
  sqlite3 *db = loader_db(be, conn, &pooled);
  sqlite3_stmt *st;
  const char *sql = generation ? "SELECT generation,wrapped FROM account_keys "
                                 "WHERE account_sid=?1 AND generation=?2"
                               : "SELECT generation,wrapped FROM account_keys "
                                 "WHERE account_sid=?1 ORDER BY generation DESC LIMIT 1";
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    if (pooled) release(be, pooled);
    return PP_ERR_STORE;
  }
  sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
  if (generation) sqlite3_bind_int64(st, 2, generation);
  pp_err_t e = PP_ERR_NOT_FOUND;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == PP_DEK_WRAPPED_LEN) {
    *gen_out = (uint32_t)sqlite3_column_int64(st, 0);
    memcpy(out, sqlite3_column_blob(st, 1), PP_DEK_WRAPPED_LEN);
    e = PP_OK;
  }
  sqlite3_finalize(st);
  if (pooled) release(be, pooled);
  return e;
}

/* The crypt's index-key loader: store_keys `name`, opened. */
static pp_err_t load_index(void *be, void *conn, const char *name, char hex[65]) {
  conn_t *pooled;
  sqlite3 *db = loader_db(be, conn, &pooled);
  sqlite3_stmt *st;
  pp_err_t e = PP_ERR_STORE;
  if (sqlite3_prepare_v2(db,
                         "SELECT pp_open(value,'system','store_keys','value',name) "
                         "FROM store_keys WHERE name=?1",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : PP_ERR_STORE;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 64) {
      memcpy(hex, sqlite3_column_text(st, 0), 64);
      hex[64] = '\0';
      e = PP_OK;
    }
    sqlite3_finalize(st);
  }
  if (pooled) release(be, pooled);
  return e;
}

static const char *arg_text(sqlite3_value **v, int i) {
  const char *s = (const char *)sqlite3_value_text(v[i]);
  return s ? s : "";
}

static void fn_seal(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  int type = sqlite3_value_type(v[0]);
  if (PP_CRYPT_PLAINTEXT || type == SQLITE_NULL || type == SQLITE_BLOB ||
      sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  const char *plain = (const char *)sqlite3_value_text(v[0]);
  unsigned char *blob;
  size_t len;
  pp_err_t e = pp_crypt_seal(b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1),
                             arg_text(v, 2), arg_text(v, 3), arg_text(v, 4), plain,
                             (size_t)sqlite3_value_bytes(v[0]), &blob, &len);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, blob, (int)len, free);
}

static void fn_open(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  char *plain;
  size_t len;
  pp_err_t e = pp_crypt_open(
      b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1), arg_text(v, 2), arg_text(v, 3),
      arg_text(v, 4), sqlite3_value_blob(v[0]), (size_t)sqlite3_value_bytes(v[0]), &plain, &len);
  if (e) {
    if (e != PP_ERR_CORRUPT) /* which crypt logged */
      pp_log_error("sqlite", "a sealed %s.%s of %s did not open: %s", arg_text(v, 2),
                   arg_text(v, 3), arg_text(v, 4), pp_err_name(e));
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_text(ctx, plain, (int)len, free);
}

typedef pp_err_t (*index_fn)(pp_crypt_t *, void *, const void *, size_t,
                             unsigned char[PP_BLIND_INDEX_LEN]);

static void index_value(sqlite3_context *ctx, sqlite3_value **v, index_fn fn) {
  int type = sqlite3_value_type(v[0]);
  if (type == SQLITE_NULL || type == SQLITE_BLOB) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  unsigned char out[PP_BLIND_INDEX_LEN];
  pp_err_t e = fn(b->crypt, sqlite3_context_db_handle(ctx), sqlite3_value_text(v[0]),
                  (size_t)sqlite3_value_bytes(v[0]), out);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, out, sizeof out, SQLITE_TRANSIENT);
}

static void fn_bidx(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  index_value(ctx, v, pp_crypt_bidx);
}

static void fn_partkey(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  index_value(ctx, v, pp_crypt_part_index);
}

/* pp_tokhash(token): the keyed hash an auth token is checked against;
 * NULL for NULL or ''. */
static void fn_tokhash(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) == SQLITE_NULL || sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_null(ctx);
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  unsigned char out[PP_BLIND_INDEX_LEN];
  pp_err_t e = pp_crypt_token_hash(b->crypt, sqlite3_context_db_handle(ctx),
                                   (const char *)sqlite3_value_text(v[0]), out);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, out, sizeof out, SQLITE_TRANSIENT);
}

static void fn_new_key(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  be_t *b = sqlite3_user_data(ctx);
  unsigned char wrapped[PP_DEK_WRAPPED_LEN];
  pp_err_t e =
      pp_crypt_new_dek(b->crypt, arg_text(v, 0), (uint32_t)sqlite3_value_int64(v[1]), wrapped);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, wrapped, sizeof wrapped, SQLITE_TRANSIENT);
}

static void fn_rewrap(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  be_t *b = sqlite3_user_data(ctx);
  unsigned char out[PP_DEK_WRAPPED_LEN];
  if (sqlite3_value_bytes(v[3]) != PP_KEY_LEN) {
    sqlite3_result_error(ctx, "new master key", -1);
    return;
  }
  pp_err_t e = pp_crypt_rewrap(b->crypt, arg_text(v, 0), (uint32_t)sqlite3_value_int64(v[1]),
                               sqlite3_value_blob(v[2]), (size_t)sqlite3_value_bytes(v[2]),
                               sqlite3_value_blob(v[3]), out);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, out, sizeof out, SQLITE_TRANSIENT);
}

/* Seals `plain` for (account, table, column, row) as the statement's
 * result, or sets its error. */
static void result_sealed(sqlite3_context *ctx, sqlite3_value **v, const unsigned char *plain,
                          size_t len) {
  be_t *b = sqlite3_user_data(ctx);
  unsigned char *blob;
  size_t blen;
  pp_err_t e =
      pp_crypt_seal(b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1), arg_text(v, 2),
                    arg_text(v, 3), arg_text(v, 4), plain, len, &blob, &blen);
  if (e) {
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  sqlite3_result_blob(ctx, blob, (int)blen, free);
}

/* The end of pp_reseal and pp_verify_v1: `plain` (guarded memory, freed
 * here), opened with `e`, sealed as the result; or the failure logged and
 * set as the statement's error. */
static void resealed(sqlite3_context *ctx, sqlite3_value **v, pp_err_t e, unsigned char *plain,
                     size_t len) {
  if (e) {
    if (e != PP_ERR_CORRUPT) /* which crypt logged */
      pp_log_error("sqlite", "a sealed %s.%s of %s did not open: %s", arg_text(v, 2),
                   arg_text(v, 3), arg_text(v, 4), pp_err_name(e));
    sqlite3_result_error(ctx, pp_err_name(e), -1);
    return;
  }
  result_sealed(ctx, v, plain, len);
  pp_crypt_secret_free(plain);
}

/* pp_reseal(v, account, table, column, row): a sealed value (BLOB) opened
 * and sealed again with the account's newest key, the plaintext only in
 * guarded memory (so it also suits binary secrets); TEXT (written before
 * encryption) is sealed; NULL and empty values pass. */
static void fn_reseal(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) == SQLITE_NULL || sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  if (sqlite3_value_type(v[0]) != SQLITE_BLOB) {
    result_sealed(ctx, v, sqlite3_value_text(v[0]), (size_t)sqlite3_value_bytes(v[0]));
    return;
  }
  be_t *b = sqlite3_user_data(ctx);
  unsigned char *plain = NULL;
  size_t len = 0;
  pp_err_t e = pp_crypt_open_secret(
      b->crypt, sqlite3_context_db_handle(ctx), arg_text(v, 1), arg_text(v, 2), arg_text(v, 3),
      arg_text(v, 4), sqlite3_value_blob(v[0]), (size_t)sqlite3_value_bytes(v[0]), &plain, &len);
  resealed(ctx, v, e, plain, len);
}

/* pp_verify_v1(v, account, table, column, row, root): for the upgrade, a
 * value Verify sealed under its former system-wide key (format 1 under the
 * hex `root`, store/verify_v1.h) sealed again, for the same place, with the
 * account's data key; an empty value passes. */
static void fn_verify_v1(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n;
  if (sqlite3_value_type(v[0]) != SQLITE_BLOB || sqlite3_value_bytes(v[0]) == 0) {
    sqlite3_result_value(ctx, v[0]);
    return;
  }
  unsigned char *root = sodium_malloc(PP_KEY_LEN), *plain = NULL;
  size_t rn = 0, len = 0;
  pp_err_t e = root ? PP_OK : PP_ERR_NOMEM;
  if (!e && (sqlite3_value_bytes(v[5]) != 2 * PP_KEY_LEN ||
             sodium_hex2bin(root, PP_KEY_LEN, (const char *)sqlite3_value_text(v[5]),
                            2 * PP_KEY_LEN, NULL, &rn, NULL) != 0 ||
             rn != PP_KEY_LEN))
    e = PP_ERR_INVALID_PARAM;
  if (!e)
    e = pp_verify_v1_open(root, arg_text(v, 1), arg_text(v, 2), arg_text(v, 3), arg_text(v, 4),
                          sqlite3_value_blob(v[0]), (size_t)sqlite3_value_bytes(v[0]), &plain,
                          &len);
  sodium_free(root);
  resealed(ctx, v, e, plain, len);
}

static void fn_master_id(sqlite3_context *ctx, int n, sqlite3_value **v) {
  (void)n, (void)v;
  be_t *b = sqlite3_user_data(ctx);
  sqlite3_result_text(ctx, pp_crypt_master_id(b->crypt), -1, SQLITE_TRANSIENT);
}

static int register_crypt(sqlite3 *db, be_t *b) {
  static const struct {
    const char *name;
    int nargs;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
    int flags;
  } fns[] = {
      {"pp_seal", 5, fn_seal, 0},
      {"pp_open", 5, fn_open, SQLITE_DETERMINISTIC},
      {"pp_bidx", 1, fn_bidx, SQLITE_DETERMINISTIC},
      {"pp_partkey", 1, fn_partkey, SQLITE_DETERMINISTIC},
      {"pp_new_key", 2, fn_new_key, 0},
      {"pp_master_id", 0, fn_master_id, SQLITE_DETERMINISTIC},
      {"pp_rewrap", 4, fn_rewrap, 0},
      {"pp_tokhash", 1, fn_tokhash, SQLITE_DETERMINISTIC},
      {"pp_reseal", 5, fn_reseal, 0},
      {"pp_verify_v1", 6, fn_verify_v1, 0},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    int rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs,
                                        SQLITE_UTF8 | SQLITE_DIRECTONLY | fns[i].flags, b,
                                        fns[i].fn, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

static pp_err_t conn_open(be_t *b, conn_t *c, const char *path) {
  memset(c, 0, sizeof *c);
  int rc = sqlite3_open_v2(path, &c->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    pp_log_error("sqlite", "open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "no memory");
    sqlite3_close(c->db);
    c->db = NULL;
    return PP_ERR_STORE;
  }
  sqlite3_busy_timeout(c->db, 10000);
  c->crypt_of = b->crypt;
  if (register_crypt(c->db, b) != SQLITE_OK) return db_err(c->db, "functions");
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
    if (sqlite3_prepare_v3(c->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL) !=
        SQLITE_OK)
      return db_err(c->db, sql_text[i]);
  for (int i = 0; i < SV__COUNT; i++)
    if (sqlite3_prepare_v3(c->db, verify_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->sv[i], NULL) !=
        SQLITE_OK)
      return db_err(c->db, verify_sql[i]);
  return PP_OK;
}

static void conn_close(conn_t *c) {
  for (int i = 0; i < S__COUNT; i++) sqlite3_finalize(c->st[i]);
  for (int i = 0; i < SV__COUNT; i++) sqlite3_finalize(c->sv[i]);
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

/* Before SQLite starts: no global memory statistics (each of its
 * allocations would take a process-wide mutex; measured: +22 % end to end). */
static void sqlite_config_once(void) {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static pp_err_t be_open(const char *dir, pp_crypt_t *crypt, void **out) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, sqlite_config_once);
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
  b->crypt = crypt;
  pp_crypt_set_loader(crypt, load_wrapped, load_index, b);
  pp_err_t e = conn_open(b, &b->writer, path);
  /* The writer keeps the pages it keeps changing (the audit log's indexes
   * take random keys) in memory: 64 MiB. */
  if (!e) sqlite3_exec(b->writer.db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
  if (!e) e = migrate(b->writer.db);
  if (!e) e = conn_prepare(&b->writer);
  for (int i = 0; !e && i < POOL; i++) {
    e = conn_open(b, &b->readers[i], path);
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

/* A value sealed already (pp_seal passes a BLOB through), else the text. */
static void bind_sealed(sqlite3_stmt *st, int i, const pp_blob_t *sealed, const char *text) {
  if (sealed && sealed->n)
    sqlite3_bind_blob(st, i, sealed->p, (int)sealed->n, SQLITE_STATIC);
  else
    bind_text(st, i, text);
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
  return db_err(db, "write");
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
    o->sealed_body = NULL;
    o->sealed_body_len = 0;
    if (sqlite3_column_type(st, 9) == SQLITE_BLOB) {
      size_t len = (size_t)sqlite3_column_bytes(st, 9);
      unsigned char *blob = pp_arena_alloc(cl->arena, len ? len : 1);
      if (blob)
        memcpy(blob, sqlite3_column_blob(st, 9), len);
      else
        e = PP_ERR_NOMEM;
      o->sealed_body = blob;
      o->sealed_body_len = len;
    }
    if (!o->to || !o->from || !o->body)
      e = PP_ERR_NOMEM;
    else
      cl->n++;
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
  bind_text(st, 4,
            failed ? "Message undelivered: the carrier reported it could not be "
                     "delivered to the handset"
                   : NULL);
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

static pp_err_t apply_submitted(conn_t *c, pp_submitted_t *sb) {
  sqlite3_stmt *st = c->st[S_SUB_MSG];
  sqlite3_bind_int64(st, 1, sb->seq);
  sqlite3_bind_int64(st, 2, sb->now);
  bind_text(st, 3, sb->carrier);
  pp_err_t e = result_of(c->db, step_done(st), 1);
  if (e) return e; /* not `sending` any more (canceled, or settled already) */
  sb->collisions = 0;
  for (size_t i = 0; i < sb->n; i++) {
    st = c->st[S_PART_CLASH];
    bind_text(st, 1, sb->carrier);
    bind_text(st, 2, sb->parts[i].smsc_id);
    sqlite3_bind_int64(st, 3, sb->seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) sb->collisions++;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW) return db_err(c->db, "part ids");
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
    if ((e = result_of(c->db, step_done(st), 0))) return e;
    st = c->st[S_EARLY_SWEEP];
    sqlite3_bind_int64(st, 1, rc_->now - (rc_->early_ttl_s > 0 ? rc_->early_ttl_s : 3600));
    sqlite3_bind_int64(st, 2, rc_->early_max > 0 ? rc_->early_max : 10000);
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
  const pp_message_sealed_t *ms = m->sealed; /* sealed by the store already, or NULL */
  bind_sealed(st, 4, ms ? &ms->to : NULL, m->to);
  bind_sealed(st, 5, ms ? &ms->from : NULL, m->from);
  bind_sealed(st, 6, ms ? &ms->body : NULL, m->body ? m->body : "");
  bind_sealed(st, 7, ms ? &ms->media_urls : NULL, m->media_urls ? m->media_urls : "");
  bind_sealed(st, 8, ms ? &ms->status_callback : NULL, m->status_callback);
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
  if (ms) { /* pp_bidx passes a BLOB through */
    sqlite3_bind_blob(st, 20, ms->to_bidx, sizeof ms->to_bidx, SQLITE_STATIC);
    sqlite3_bind_blob(st, 21, ms->from_bidx, sizeof ms->from_bidx, SQLITE_STATIC);
  } else {
    bind_text(st, 20, m->to);
    bind_text(st, 21, m->from);
  }
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
  bind_text(st, 8, mp->message->account_sid);
  if ((e = result_of(c->db, step_done(st), 0))) return e;

  st = c->st[S_MO_READ];
  bind_mo_key(st, mp);
  bind_text(st, 5, mp->message->account_sid);
  pp_buf_t body;
  pp_buf_init(&body, 64 * 1024);
  int rc, have = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    have++;
    pp_buf_append(&body, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    e = db_err(c->db, "inbound parts");
  else if (pp_buf_status(&body))
    e = PP_ERR_NOMEM;
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
    h->body = sqlite3_column_type(st, 12) == SQLITE_NULL ? NULL : col_dup(cl->arena, st, 12);
    if (!h->url || (!h->body && sqlite3_column_type(st, 12) != SQLITE_NULL))
      e = PP_ERR_NOMEM;
    else
      cl->n++;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return db_err(c->db, "webhook claim");
  return e;
}

/* Replies (outbound-reply) from `from` to `to` created since `since`. */
static pp_err_t count_replies(conn_t *c, const char *account_sid, const char *from, const char *to,
                              int64_t since, int64_t *out) {
  sqlite3_stmt *st = c->st[S_MSG_REPLIES];
  bind_text(st, 1, account_sid);
  bind_text(st, 2, from);
  bind_text(st, 3, to);
  sqlite3_bind_int64(st, 4, since);
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
          (e = count_replies(c, m->account_sid, m->from, m->to, hr->reply_since, &recent)))
        return e;
      if (hr->reply_max && recent >= hr->reply_max) {
        if (hr->reply_alert && hr->replies_refused++ == 0 && (e = insert_alert(c, hr->reply_alert)))
          return e;
        continue;
      }
      if ((e = insert_message(c, m))) return e;
    }
    if (hr->redirect_url) {
      char token[PP_TOKEN_SIZE];
      pp_hex_random(token, 16);
      st = c->st[S_HOOK_FOLLOW];
      sqlite3_bind_int64(st, 1, hr->seq);
      bind_text(st, 2, hr->redirect_url);
      bind_text(st, 3, hr->redirect_method ? hr->redirect_method : "POST");
      sqlite3_bind_text(st, 4, token, -1, SQLITE_TRANSIENT);
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

/* ---- key rotation ---------------------------------------------------------- */

#define RESEAL(tbl, col, acct, row)                                                             \
  col "=pp_seal(pp_open(" col "," acct ",'" tbl "','" col "'," row ")," acct ",'" tbl "','" col \
      "'," row ")"
#define RESEAL_ITEM(tbl, col, acct, row) "," RESEAL(tbl, col, acct, row)
#define RESEAL_BATCH(tbl, sets)                                    \
  "UPDATE " tbl " SET " sets " WHERE seq IN (SELECT seq FROM " tbl \
  " WHERE "                                                        \
  "account_sid=?1 AND seq>?2 ORDER BY seq LIMIT ?3) RETURNING seq"

/* Per pp_reseal_table_t: every sealed column of the table, opened and
 * sealed again (pp_seal seals with the newest generation). */
static const char *const reseal_sql[PP_RESEAL__COUNT] = {
    [PP_RESEAL_ACCOUNT] = "UPDATE accounts SET sid=sid" SEALED_ACCOUNTS(
        RESEAL_ITEM) " WHERE sid=?1 AND ?2<1 AND ?3>0 RETURNING 1",
    [PP_RESEAL_MESSAGES] = RESEAL_BATCH("messages", "seq=seq" SEALED_MESSAGES(RESEAL_ITEM)),
    [PP_RESEAL_NUMBERS] = RESEAL_BATCH("phone_numbers", "seq=seq" SEALED_NUMBERS(RESEAL_ITEM)),
    [PP_RESEAL_SERVICES] =
        RESEAL_BATCH("messaging_services", "seq=seq" SEALED_SERVICES(RESEAL_ITEM)),
    [PP_RESEAL_ALERTS] = RESEAL_BATCH("alerts", "seq=seq" SEALED_ALERTS(RESEAL_ITEM)),
    [PP_RESEAL_WEBHOOKS] =
        RESEAL_BATCH("webhooks",
                     "url=pp_seal(pp_open(url,account_sid,url_table,url_column,url_row),"
                     "account_sid,url_table,url_column,url_row),"
                     "body=pp_reseal(body,account_sid,url_table,'body',url_row)"),
    [PP_RESEAL_VERIFICATIONS] =
        RESEAL_BATCH("verifications", "seq=seq" SEALED_VERIFICATIONS(RESEAL_ITEM)),
    [PP_RESEAL_VERIFY_ENTITIES] =
        RESEAL_BATCH("verify_entities", "seq=seq" SEALED_VERIFY_ENTITIES(RESEAL_ITEM)),
    [PP_RESEAL_VERIFY_FACTORS] =
        RESEAL_BATCH("verify_factors",
                     "secret_sealed=pp_reseal(secret_sealed,account_sid,'verify_factors',"
                     "'secret',sid)" SEALED_VERIFY_FACTORS(RESEAL_ITEM)),
    [PP_RESEAL_VERIFY_CHALLENGES] =
        RESEAL_BATCH("verify_challenges", "seq=seq" SEALED_VERIFY_CHALLENGES(RESEAL_ITEM)),
    [PP_RESEAL_VERIFY_WEBHOOKS] =
        RESEAL_BATCH("verify_webhooks", "seq=seq" SEALED_VERIFY_WEBHOOKS(RESEAL_ITEM)),
    /* The text of a verification SMS waiting for the carrier, in batches
     * by its message. */
    [PP_RESEAL_MESSAGE_SEALED] =
        "UPDATE message_sealed SET sealed=pp_reseal(sealed,?1,'messages','sealed_body',"
        "(SELECT sid FROM messages WHERE seq=message_seq)) WHERE message_seq IN ("
        "SELECT seq FROM messages WHERE account_sid=?1 AND seq>?2 AND seq IN "
        "(SELECT message_seq FROM message_sealed) ORDER BY seq LIMIT ?3) RETURNING message_seq",
    /* Few rows, no seq: all at once.  dst is the owner's number. */
    [PP_RESEAL_MO_PARTS] =
        "UPDATE mo_parts SET body=pp_seal(pp_open(body,?1,'mo_parts','body',"
        "ref||':'||total||':'||part),?1,'mo_parts','body',"
        "ref||':'||total||':'||part) WHERE dst IN (SELECT phone_bidx FROM "
        "phone_numbers WHERE account_sid=?1) AND ?2<1 AND ?3>0 RETURNING 0",
};

static pp_err_t apply_reseal(conn_t *c, pp_reseal_t *rs) {
  rs->n = 0;
  rs->last = rs->after;
  if ((unsigned)rs->table >= PP_RESEAL__COUNT) return PP_ERR_INVALID_PARAM;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->db, reseal_sql[rs->table], -1, &st, NULL) != SQLITE_OK)
    return db_err(c->db, "reseal");
  bind_text(st, 1, rs->account_sid);
  sqlite3_bind_int64(st, 2, rs->after);
  sqlite3_bind_int64(st, 3, (int64_t)rs->limit);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st, 0);
    if (seq > rs->last) rs->last = seq;
    rs->n++;
  }
  pp_err_t e = rc == SQLITE_DONE ? PP_OK : db_err(c->db, "reseal");
  sqlite3_finalize(st);
  /* The single-statement tables are done in one batch. */
  if (!e && (rs->table == PP_RESEAL_ACCOUNT || rs->table == PP_RESEAL_MO_PARTS)) rs->n = 0;
  return e;
}

static pp_err_t apply_verify(conn_t *c, pp_write_t *w);

static pp_err_t apply_one(conn_t *c, pp_write_t *w) {
  sqlite3_stmt *st;
  int rc;
  switch (w->kind) {
    case PP_W_ACCOUNT_INSERT: {
      pp_account_t *a = w->u.account;
      st = c->st[S_DEK_NEW];
      bind_text(st, 1, a->sid);
      sqlite3_bind_int64(st, 2, a->date_created);
      pp_err_t ke = result_of(c->db, step_done(st), 0);
      if (ke) return ke;
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
      pp_err_t ue = result_of(c->db, step_done(st), 1);
      if (ue || strcmp(a->status, "closed") != 0) return ue;
      st = c->st[S_DEK_SHRED];
      bind_text(st, 1, a->sid);
      if ((ue = result_of(c->db, step_done(st), 0))) return ue;
      st = c->sv[SV_HOOK_SHRED];
      bind_text(st, 1, a->sid);
      if ((ue = result_of(c->db, step_done(st), 0))) return ue;
      pp_crypt_forget(c->crypt_of, a->sid);
      return PP_OK;
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
    case PP_W_KEYS_REWRAP: {
      st = c->st[S_DEK_REWRAP];
      sqlite3_bind_blob(st, 1, w->u.rewrap.new_master, PP_KEY_LEN, SQLITE_STATIC);
      bind_text(st, 2, w->u.rewrap.new_master_id);
      pp_err_t re = result_of(c->db, step_done(st), 0);
      w->u.rewrap.n = re ? 0 : (size_t)sqlite3_changes(c->db);
      return re;
    }
    case PP_W_ACCOUNT_REKEY:
      st = c->st[S_DEK_NEXT];
      bind_text(st, 1, w->u.name);
      sqlite3_bind_int64(st, 2, pp_clock_now());
      return result_of(c->db, step_done(st), 1);
    case PP_W_RESEAL:
      return apply_reseal(c, &w->u.reseal);
    case PP_W_KEYS_RETIRE:
      st = c->st[S_DEK_RETIRE];
      bind_text(st, 1, w->u.name);
      return result_of(c->db, step_done(st), 0);
    case PP_W_HOOK_RESULT:
      return apply_hook_result(c, &w->u.hook_result);
    case PP_W_OFFER_PUT:
    case PP_W_OFFER_DELETE: {
      bool put = w->kind == PP_W_OFFER_PUT;
      st = c->st[put ? S_OFFER_PUT : S_OFFER_DEL];
      bind_text(st, 1, w->u.offer->phone_number);
      if (put) bind_text(st, 2, w->u.offer->account_sid);
      if (put) sqlite3_bind_int64(st, 3, w->u.offer->date_created);
      return result_of(c->db, step_done(st), !put);
    }
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
    case PP_W_VERIFY_SERVICE_INSERT:
    case PP_W_VERIFY_SERVICE_UPDATE:
    case PP_W_VERIFY_SERVICE_DELETE:
    case PP_W_VERIFY_SEND:
    case PP_W_VERIFY_SET:
    case PP_W_RATE_LIMIT_INSERT:
    case PP_W_RATE_LIMIT_UPDATE:
    case PP_W_RATE_LIMIT_DELETE:
    case PP_W_RATE_BUCKET_INSERT:
    case PP_W_RATE_BUCKET_UPDATE:
    case PP_W_RATE_BUCKET_DELETE:
    case PP_W_ENTITY_INSERT:
    case PP_W_ENTITY_DELETE:
    case PP_W_FACTOR_INSERT:
    case PP_W_FACTOR_UPDATE:
    case PP_W_FACTOR_DELETE:
    case PP_W_FACTOR_ATTEMPT:
    case PP_W_CHALLENGE_INSERT:
    case PP_W_FACTOR_QR_TAKE:
    case PP_W_FACTOR_DUE:
    case PP_W_FACTOR_ACTIVATE:
    case PP_W_VERIFY_WEBHOOK_INSERT:
    case PP_W_VERIFY_WEBHOOK_UPDATE:
    case PP_W_VERIFY_WEBHOOK_DELETE:
      return apply_verify(c, w);
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

/* A write all or nothing under a savepoint: a failed change is undone
 * (before its audit event, if it has one, is appended), and an event that
 * cannot be appended undoes the change. */
static pp_err_t apply_whole(be_t *b, pp_write_t *w) {
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
  /* The frontier as it was before this write's events (synced first, so
   * that a second event that fails can put it back). */
  pp_err_t e = w->audit && w->audit_also ? aud_sync(b) : PP_OK;
  pp_merkle_frontier_t before = b->aud;
  if (!e && w->audit) e = aud_append(b, w->audit, r);
  if (!e && w->audit && w->audit_also) {
    e = aud_append(b, w->audit_also, r);
    if (e) {
      b->aud = before;
      w->audit->seq = -1;
    }
  }
  if (e) {
    if (e != PP_ERR_STORE_FULL) /* the writer logs a full disk once */
      pp_log_error("sqlite", "audit append failed: %s", pp_err_name(e));
    step_done(c->st[S_ROLLBACK_TO]);
    r = e;
  }
  step_done(c->st[S_RELEASE]);
  return r;
}

/* The delivery path's writes, thousands a second, run without a savepoint
 * of their own: each is one statement, or (claims, receipts, inbound
 * parts, webhook results) leaves nothing wrong if only its first
 * statements take effect: a lease that expires, a part that is stored
 * again when the SMSC resends it.  Every other write is all or nothing. */
static bool bare_write(pp_write_kind_t kind) {
  switch (kind) {
    case PP_W_MESSAGE_INSERT:
    case PP_W_CLAIM:
    case PP_W_SUBMITTED:
    case PP_W_DELIVERY_RETRY:
    case PP_W_DELIVERY_FAIL:
    case PP_W_RECEIPT:
    case PP_W_MO_PART:
    case PP_W_HOOK_CLAIM:
    case PP_W_HOOK_RESULT:
      return true;
    default:
      return false;
  }
}

static pp_err_t be_apply(void *p, pp_write_t **ws, size_t n, bool *changed) {
  be_t *b = p;
  conn_t *c = &b->writer;
  *changed = false;
  sqlite3_int64 before = sqlite3_total_changes64(c->db);
  if (step_done(c->st[S_BEGIN]) != SQLITE_DONE) return db_err(c->db, "begin");
  b->aud_synced = b->aud_dirty = false;
  pp_err_t e = PP_OK;
  for (size_t i = 0; i < n && !e; i++) {
    pp_write_t *w = ws[i];
    w->result = w->audit || !bare_write(w->kind) ? apply_whole(b, w) : apply_one(c, w);
    /* SQLite may roll the whole transaction back on SQLITE_FULL or an I/O
     * error; what followed would then commit on its own.  Stop there. */
    if (sqlite3_get_autocommit(c->db))
      e = w->result == PP_ERR_STORE_FULL ? w->result : db_err(c->db, "transaction lost");
  }
  if (!e && b->aud_dirty) e = aud_head_put(b);
  if (!e && step_done(c->st[S_COMMIT]) != SQLITE_DONE) e = db_err(c->db, "commit");
  if (e) {
    if (!sqlite3_get_autocommit(c->db)) step_done(c->st[S_ROLLBACK]);
    if (b->aud_synced) b->aud = b->aud_begin; /* nothing of the batch was kept */
    return e;
  }
  *changed = sqlite3_total_changes64(c->db) > before;
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

static void fill_account(sqlite3_stmt *st, void *out) {
  row_account(st, out);
}
static void fill_key(sqlite3_stmt *st, void *out) {
  row_key(st, out);
}

static pp_err_t be_account_get(void *p, const char *sid, pp_account_t *out) {
  pp_account_t tmp;
  pp_err_t e = get_one(p, S_ACC_GET, sid, NULL, fill_account, &tmp);
  if (!e) *out = tmp;
  sodium_memzero(&tmp, sizeof tmp);
  return e;
}

static pp_err_t be_named_key(void *p, const char *name, char hex[65]) {
  return load_index(p, NULL, name, hex);
}

static pp_err_t be_account_auth(void *p, const char *sid, pp_account_t *out,
                                unsigned char hashes[2][32]) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_ACC_AUTH];
  bind_text(st, 1, sid);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW) {
    row_account(st, out);
    for (int i = 0; i < 2; i++) {
      memset(hashes[i], 0, 32);
      if (sqlite3_column_bytes(st, 10 + i) == 32)
        memcpy(hashes[i], sqlite3_column_blob(st, 10 + i), 32);
    }
  } else {
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : db_err(c->db, "account auth");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static pp_err_t be_number_owner(void *p, pp_arena_t *a, const char *phone_number,
                                char account_sid[PP_SID_SIZE], const char **status_callback) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_NUM_OWNER];
  bind_text(st, 1, phone_number);
  int rc = sqlite3_step(st);
  pp_err_t e = PP_OK;
  if (rc == SQLITE_ROW) {
    col_copy(account_sid, PP_SID_SIZE, st, 0);
    *status_callback = col_dup(a, st, 1);
    if (!*status_callback && sqlite3_column_type(st, 1) != SQLITE_NULL) e = PP_ERR_NOMEM;
  } else {
    e = rc == SQLITE_DONE ? PP_ERR_NOT_FOUND : db_err(c->db, "number owner");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
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

static pp_err_t be_message_get(void *p, pp_arena_t *a, const char *account_sid, const char *sid,
                               pp_message_t *out) {
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
  char sql[4096];
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
                         const pp_page_req_t *pg, size_t size, row_fill_fn fill, void **rows_out,
                         size_t *n_out, bool *more_out) {
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
  if (f->to) sqlb_add(&q, " AND to_bidx = pp_bidx(:to)");
  if (f->from) sqlb_add(&q, " AND from_bidx = pp_bidx(:from)");
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
  /* Lists never show tokens: they are not opened (a closed account's keys are gone). */
  sqlb_add(&q,
           "SELECT seq,sid,owner_sid,friendly_name,status,'','',secondary_created,"
           "date_created,date_updated FROM accounts WHERE (owner_sid = :owner OR sid = :owner)");
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
  return run_list(p, a, q.sql, bind_key_filter, account_sid, pg, sizeof(pp_key_t), fill_key_row,
                  (void **)rows, n, more);
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
  if (f->phone_number) sqlb_add(&q, " AND phone_bidx = pp_bidx(:number)");
  if (f->friendly_name) /* sealed: compared opened, over the account's numbers */
    sqlb_add(&q, " AND " NUM_OPEN("friendly_name") " = :name");
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

static void fill_carrier(sqlite3_stmt *st, void *row) {
  row_carrier(st, row);
}
static void fill_route(sqlite3_stmt *st, void *row) {
  row_route(st, row);
}

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
  pp_err_t e = rc == SQLITE_ROW    ? PP_OK
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : db_err(c->db, "sender");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static pp_err_t be_parts_awaiting(void *p, pp_arena_t *a, int64_t after_id, size_t limit,
                                  pp_part_awaiting_t **rows, size_t *n) {
  be_t *b = p;
  *n = 0;
  *rows = pp_arena_alloc(a, (limit ? limit : 1) * sizeof **rows);
  if (!*rows) return PP_ERR_NOMEM;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_PARTS_AWAITING];
  sqlite3_bind_int64(st, 1, after_id);
  sqlite3_bind_int64(st, 2, (int64_t)limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) {
    pp_part_awaiting_t *r = &(*rows)[*n];
    r->id = sqlite3_column_int64(st, 0);
    r->carrier = col_dup(a, st, 1);
    r->smsc_id = col_dup(a, st, 2);
    r->from = col_dup(a, st, 3);
    if (!r->carrier || !r->smsc_id || !r->from)
      e = PP_ERR_NOMEM;
    else
      (*n)++;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) e = db_err(c->db, "parts awaiting");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static pp_err_t be_offer_get(void *p, const char *phone_number, pp_number_offer_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->st[S_OFFER_GET];
  bind_text(st, 1, phone_number);
  int rc = sqlite3_step(st);
  pp_err_t e = rc == SQLITE_ROW    ? PP_OK
               : rc == SQLITE_DONE ? PP_ERR_NOT_FOUND
                                   : db_err(c->db, "offer");
  if (!e) {
    memset(out, 0, sizeof *out);
    snprintf(out->phone_number, sizeof out->phone_number, "%s", phone_number);
    col_copy(out->account_sid, sizeof out->account_sid, st, 0);
    out->date_created = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  release(b, c);
  return e;
}

static void fill_offer(sqlite3_stmt *st, void *row) {
  pp_number_offer_t *o = row;
  col_copy(o->phone_number, sizeof o->phone_number, st, 0);
  col_copy(o->account_sid, sizeof o->account_sid, st, 1);
  col_copy(o->holder_sid, sizeof o->holder_sid, st, 2);
  o->date_created = sqlite3_column_int64(st, 3);
}

static pp_err_t be_offer_all(void *p, pp_arena_t *a, pp_number_offer_t **rows, size_t *n) {
  return read_all(p, S_OFFER_ALL, a, sizeof(pp_number_offer_t), fill_offer, (void **)rows, n);
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
  const char **text[] = {&al->alert_text,        &al->request_method, &al->request_url,
                         &al->request_variables, &al->response_body,  &al->response_headers,
                         &al->resource_sid,      &al->service_sid};
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

static pp_err_t be_alert_list(void *p, pp_arena_t *a, const pp_alert_filter_t *f, pp_alert_t **rows,
                              size_t *n, bool *more) {
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

static void fill_service_number(sqlite3_stmt *st, void *out) {
  row_service_number(st, out);
}

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

static void fill_phone(sqlite3_stmt *st, void *out) {
  col_copy(out, 20, st, 0);
}

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

/* ---- Verify ------------------------------------------------------------- */

#define VERIFY_RATE_LIMITS_MAX 10 /* per service */
#define VERIFY_BUCKETS_MAX 10     /* per rate limit */

static void bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
  sqlite3_bind_blob(st, i, n ? p : "", (int)n, SQLITE_STATIC);
}

static void bind_verify_service(sqlite3_stmt *st, const pp_verify_service_t *sv) {
  const bool flags[] = {sv->lookup_enabled,
                        sv->psd2_enabled,
                        sv->skip_sms_to_landlines,
                        sv->dtmf_input_required,
                        sv->do_not_share_warning_enabled,
                        sv->custom_code_enabled,
                        sv->push_include_date,
                        sv->verify_event_subscription_enabled};
  const char *texts[] = {sv->tts_name,
                         sv->push_apn_credential_sid,
                         sv->push_fcm_credential_sid,
                         sv->default_template_sid,
                         sv->whatsapp_msg_service_sid,
                         sv->whatsapp_from,
                         sv->totp_issuer};
  bind_text(st, 1, sv->sid);
  bind_text(st, 2, sv->account_sid);
  bind_text(st, 3, sv->friendly_name);
  sqlite3_bind_int(st, 4, sv->code_length);
  for (int i = 0; i < 8; i++) sqlite3_bind_int(st, 5 + i, flags[i]);
  for (int i = 0; i < 7; i++) bind_text(st, 13 + i, texts[i]);
  sqlite3_bind_int(st, 20, sv->totp_time_step);
  sqlite3_bind_int(st, 21, sv->totp_code_length);
  sqlite3_bind_int(st, 22, sv->totp_skew);
  sqlite3_bind_int64(st, 23, sv->date_created);
  sqlite3_bind_int64(st, 24, sv->date_updated);
  sqlite3_bind_int(st, 25, sv->enrollment_wait);
  sqlite3_bind_int(st, 26, sv->fraud_guard);
  bind_text(st, 27, sv->allowed_country_codes);
}

static void bind_verification(sqlite3_stmt *st, const pp_verification_t *v) {
  bind_text(st, 1, v->sid);
  bind_text(st, 2, v->service_sid);
  bind_text(st, 3, v->account_sid);
  bind_text(st, 4, v->to);
  bind_text(st, 5, v->channel);
  bind_text(st, 6, v->status);
  bind_blob(st, 7, v->code_hashes, (size_t)v->sends * sizeof v->code_hashes[0]);
  sqlite3_bind_int(st, 8, v->sends);
  sqlite3_bind_int(st, 9, v->checks);
  bind_text(st, 10, v->send_attempts ? v->send_attempts : "[]");
  sqlite3_bind_int64(st, 11, v->expires_at);
  sqlite3_bind_int64(st, 12, v->date_created);
  sqlite3_bind_int64(st, 13, v->date_updated);
}

/* Runs one statement of a write with its bound parameters; for counting
 * queries, *count receives the first column. */
static pp_err_t step_count(conn_t *c, sqlite3_stmt *st, int64_t *count) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_ROW ? PP_OK : db_err(c->db, "count");
}

/* Counts each hit against its bucket, then records them all. */
static pp_err_t apply_rate_hits(conn_t *c, const pp_rate_hit_t *hits, size_t n, int64_t now) {
  for (size_t i = 0; i < n; i++) {
    const pp_rate_hit_t *h = &hits[i];
    sqlite3_stmt *st = c->sv[SV_HIT_PRUNE];
    bind_text(st, 1, h->bucket_sid);
    bind_blob(st, 2, h->key_hash, sizeof h->key_hash);
    sqlite3_bind_int64(st, 3, now - h->interval);
    pp_err_t e = result_of(c->db, step_done(st), 0);
    if (e) return e;
    int64_t count = 0;
    st = c->sv[SV_HIT_COUNT];
    bind_text(st, 1, h->bucket_sid);
    bind_blob(st, 2, h->key_hash, sizeof h->key_hash);
    sqlite3_bind_int64(st, 3, now - h->interval);
    if ((e = step_count(c, st, &count))) return e;
    if (count >= h->max) return PP_ERR_VERIFY_SENDS;
  }
  for (size_t i = 0; i < n; i++) {
    sqlite3_stmt *st = c->sv[SV_HIT_INS];
    bind_text(st, 1, hits[i].bucket_sid);
    bind_blob(st, 2, hits[i].key_hash, sizeof hits[i].key_hash);
    sqlite3_bind_int64(st, 3, now);
    pp_err_t e = result_of(c->db, step_done(st), 0);
    if (e) return e;
  }
  return PP_OK;
}

/* The fraud guard's decision on one send (pp_fraud_check_t), read,
 * decided and written on the writer inside the send's savepoint, so no
 * concurrent send sees a count this one has not added to. */
static pp_err_t apply_fraud(conn_t *c, pp_fraud_check_t *f, int64_t now) {
  sqlite3_stmt *st = c->sv[SV_FRAUD_GET];
  int64_t bucket = now / f->bucket_s;
  pp_baseline_t b = {.bucket = bucket};
  int64_t blocked_until = 0, alerted = -1;
  bind_text(st, 1, f->service_sid);
  bind_text(st, 2, f->prefix);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    b.bucket = sqlite3_column_int64(st, 0);
    b.count = sqlite3_column_int64(st, 1);
    b.mean = sqlite3_column_double(st, 2);
    blocked_until = sqlite3_column_int64(st, 3);
    alerted = sqlite3_column_int64(st, 4);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_err(c->db, "fraud guard read");
  pp_baseline_advance(&b, bucket, f->alpha);
  f->refused = f->enforce &&
               (now < blocked_until || b.count >= pp_baseline_limit(&b, f->multiple, f->floor));
  pp_err_t e;
  if (f->refused) {
    if (now >= blocked_until) blocked_until = now + f->block_s;
    if (alerted != bucket && f->alert) {
      if ((e = insert_alert(c, f->alert))) return e;
      alerted = bucket;
    }
  } else {
    b.count++;
  }
  f->blocked_until = blocked_until;
  st = c->sv[SV_FRAUD_PUT];
  bind_text(st, 1, f->service_sid);
  bind_text(st, 2, f->prefix);
  sqlite3_bind_int64(st, 3, b.bucket);
  sqlite3_bind_int64(st, 4, b.count);
  sqlite3_bind_double(st, 5, b.mean);
  sqlite3_bind_int64(st, 6, blocked_until);
  sqlite3_bind_int64(st, 7, alerted);
  return result_of(c->db, step_done(st), 0);
}

static pp_err_t apply_verify_send(conn_t *c, pp_verify_send_t *vs) {
  pp_verification_t *v = vs->v;
  sqlite3_stmt *st;
  pp_err_t e;
  if (vs->fraud) {
    if ((e = apply_fraud(c, vs->fraud, vs->now))) return e;
    if (vs->fraud->refused) return PP_OK;
  }
  if (vs->is_new) {
    int64_t pending = 0;
    st = c->sv[SV_VE_PENDING];
    bind_text(st, 1, v->account_sid);
    bind_text(st, 2, v->to);
    sqlite3_bind_int64(st, 3, vs->now);
    if ((e = step_count(c, st, &pending))) return e;
    if (pending >= vs->max_pending) return PP_ERR_VERIFY_CONCURRENT;
  }
  if ((e = apply_rate_hits(c, vs->hits, vs->nhits, vs->now))) return e;
  st = c->sv[vs->is_new ? SV_VE_INS : SV_VE_RESEND];
  bind_verification(st, v);
  if (!vs->is_new) sqlite3_bind_int(st, 14, vs->prev_sends);
  int rc = step_done(st);
  if (rc == SQLITE_DONE && !vs->is_new && sqlite3_changes(c->db) == 0) return PP_ERR_CONFLICT;
  if ((e = result_of(c->db, rc, 0))) return e;
  if (vs->is_new) v->seq = sqlite3_last_insert_rowid(c->db);
  if ((e = insert_message(c, vs->message))) return e;
  st = c->sv[SV_MSG_SEAL];
  sqlite3_bind_int64(st, 1, vs->message->seq);
  bind_blob(st, 2, vs->message_sealed, vs->message_sealed_len);
  return result_of(c->db, step_done(st), 0);
}

static pp_err_t apply_verify_set(conn_t *c, const pp_verify_set_t *vs) {
  sqlite3_stmt *st = c->sv[SV_VE_SET];
  bind_text(st, 1, vs->account_sid);
  bind_text(st, 2, vs->sid);
  bind_text(st, 3, vs->status);
  sqlite3_bind_int(st, 4, vs->checks);
  sqlite3_bind_int(st, 5, vs->if_checks);
  sqlite3_bind_int64(st, 6, vs->now);
  pp_err_t e = result_of(c->db, step_done(st), 1);
  return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
}

static pp_err_t apply_rate_limit(conn_t *c, pp_rate_limit_t *rl, bool insert) {
  sqlite3_stmt *st = c->sv[insert ? SV_RL_INS : SV_RL_UPD];
  bind_text(st, 1, rl->sid);
  bind_text(st, 2, rl->service_sid);
  bind_text(st, 3, rl->account_sid);
  bind_text(st, 4, rl->unique_name);
  bind_text(st, 5, rl->description);
  sqlite3_bind_int64(st, 6, rl->date_created);
  sqlite3_bind_int64(st, 7, rl->date_updated);
  if (insert) sqlite3_bind_int(st, 8, VERIFY_RATE_LIMITS_MAX);
  int rc = step_done(st);
  if (insert && rc == SQLITE_DONE && sqlite3_changes(c->db) == 0)
    return PP_ERR_VERIFY_RATE_LIMITS_MAX;
  if (insert && rc == SQLITE_DONE) rl->seq = sqlite3_last_insert_rowid(c->db);
  return result_of(c->db, rc, !insert);
}

static pp_err_t apply_rate_bucket(conn_t *c, pp_rate_bucket_t *b, bool insert) {
  sqlite3_stmt *st = c->sv[insert ? SV_RB_INS : SV_RB_UPD];
  bind_text(st, 1, b->sid);
  bind_text(st, 2, b->rate_limit_sid);
  bind_text(st, 3, b->service_sid);
  bind_text(st, 4, b->account_sid);
  sqlite3_bind_int(st, 5, b->max);
  sqlite3_bind_int(st, 6, b->interval);
  sqlite3_bind_int64(st, 7, b->date_created);
  sqlite3_bind_int64(st, 8, b->date_updated);
  if (insert) sqlite3_bind_int(st, 9, VERIFY_BUCKETS_MAX);
  int rc = step_done(st);
  if (insert && rc == SQLITE_DONE && sqlite3_changes(c->db) == 0) return PP_ERR_VERIFY_BUCKETS_MAX;
  if (insert && rc == SQLITE_DONE) b->seq = sqlite3_last_insert_rowid(c->db);
  return result_of(c->db, rc, !insert);
}

static void bind_entity(sqlite3_stmt *st, const pp_verify_entity_t *en) {
  bind_text(st, 1, en->sid);
  bind_text(st, 2, en->service_sid);
  bind_text(st, 3, en->account_sid);
  bind_text(st, 4, en->identity);
  sqlite3_bind_int64(st, 5, en->date_created);
  sqlite3_bind_int64(st, 6, en->date_updated);
}

static void bind_factor(sqlite3_stmt *st, const pp_verify_factor_t *f) {
  bind_text(st, 1, f->sid);
  bind_text(st, 2, f->entity_sid);
  bind_text(st, 3, f->service_sid);
  bind_text(st, 4, f->account_sid);
  bind_text(st, 5, f->identity);
  bind_text(st, 6, f->friendly_name);
  bind_text(st, 7, f->status);
  bind_text(st, 8, f->factor_type);
  bind_text(st, 9, f->alg);
  sqlite3_bind_int(st, 10, f->time_step);
  sqlite3_bind_int(st, 11, f->skew);
  sqlite3_bind_int(st, 12, f->code_length);
  bind_blob(st, 13, f->secret_sealed, f->secret_sealed_len);
  sqlite3_bind_int64(st, 14, f->last_counter);
  sqlite3_bind_int(st, 15, f->failures);
  bind_text(st, 16, f->metadata);
  sqlite3_bind_int64(st, 17, f->date_created);
  sqlite3_bind_int64(st, 18, f->date_updated);
  if (f->public_key_len)
    bind_blob(st, 19, f->public_key, f->public_key_len);
  else
    sqlite3_bind_null(st, 19);
  bind_text(st, 20, f->push_config);
}

static void bind_challenge(sqlite3_stmt *st, const pp_verify_challenge_t *ch) {
  bind_text(st, 1, ch->sid);
  bind_text(st, 2, ch->factor_sid);
  bind_text(st, 3, ch->entity_sid);
  bind_text(st, 4, ch->service_sid);
  bind_text(st, 5, ch->account_sid);
  bind_text(st, 6, ch->identity);
  bind_text(st, 7, ch->status);
  bind_text(st, 8, ch->responded_reason);
  bind_text(st, 9, ch->factor_type);
  bind_text(st, 10, ch->details);
  bind_text(st, 11, ch->hidden_details);
  bind_text(st, 12, ch->metadata);
  sqlite3_bind_int64(st, 13, ch->expiration_date);
  sqlite3_bind_int64(st, 14, ch->date_responded);
  sqlite3_bind_int64(st, 15, ch->date_created);
  sqlite3_bind_int64(st, 16, ch->date_updated);
  bind_text(st, 17, ch->enroll_factor_sid);
}

static void row_entity(sqlite3_stmt *st, pp_verify_entity_t *en) {
  en->seq = sqlite3_column_int64(st, 0);
  col_copy(en->sid, sizeof en->sid, st, 1);
  col_copy(en->service_sid, sizeof en->service_sid, st, 2);
  col_copy(en->account_sid, sizeof en->account_sid, st, 3);
  col_copy(en->identity, sizeof en->identity, st, 4);
  en->date_created = sqlite3_column_int64(st, 5);
  en->date_updated = sqlite3_column_int64(st, 6);
}

/* Queues event `body` of `type` to the enabled webhooks of `service_sid`
 * that take it (none: nothing). */
static pp_err_t queue_event(conn_t *c, const char *service_sid, const char *type, const char *body,
                            int64_t now) {
  if (!type || !body || !service_sid) return PP_OK;
  sqlite3_stmt *st = c->sv[SV_EV_QUEUE];
  bind_text(st, 1, service_sid);
  bind_text(st, 2, type);
  bind_text(st, 3, body);
  sqlite3_bind_int64(st, 4, now);
  unsigned char rnd[16];
  char id[33];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(id, sizeof id, rnd, sizeof rnd);
  sqlite3_bind_text(st, 5, id, -1, SQLITE_TRANSIENT);
  return result_of(c->db, step_done(st), 0);
}

static pp_err_t apply_factor_insert(conn_t *c, pp_factor_insert_t *fi) {
  sqlite3_stmt *st = c->sv[SV_EN_INS_IGNORE];
  bind_entity(st, fi->entity);
  pp_err_t e = result_of(c->db, step_done(st), 0);
  if (e) return e;
  st = c->sv[SV_EN_GET];
  bind_text(st, 1, fi->entity->account_sid);
  bind_text(st, 2, fi->entity->service_sid);
  bind_text(st, 3, fi->entity->identity);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) row_entity(st, fi->entity);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW) return db_err(c->db, "entity");
  memcpy(fi->factor->entity_sid, fi->entity->sid, sizeof fi->factor->entity_sid);
  st = c->sv[SV_FA_INS];
  bind_factor(st, fi->factor);
  rc = step_done(st);
  if (rc == SQLITE_DONE) fi->factor->seq = sqlite3_last_insert_rowid(c->db);
  e = result_of(c->db, rc, 0);
  if (e) return e;
  if (fi->qr_hash) {
    st = c->sv[SV_FA_QR_SET];
    bind_text(st, 1, fi->factor->account_sid);
    bind_text(st, 2, fi->factor->sid);
    sqlite3_bind_blob(st, 3, fi->qr_hash, PP_VERIFY_QR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, fi->qr_expires);
    if ((e = result_of(c->db, step_done(st), 1))) return e;
  }
  return queue_event(c, fi->factor->service_sid, fi->event_type, fi->event_body,
                     fi->factor->date_created);
}

static pp_err_t apply_factor_attempt(conn_t *c, pp_factor_attempt_t *fa) {
  sqlite3_stmt *st = c->sv[SV_FA_ATTEMPT];
  bind_text(st, 1, fa->account_sid);
  bind_text(st, 2, fa->sid);
  sqlite3_bind_int64(st, 3, fa->last_counter);
  sqlite3_bind_int(st, 4, fa->failures);
  bind_text(st, 5, fa->status);
  sqlite3_bind_int64(st, 6, fa->if_last_counter);
  sqlite3_bind_int(st, 7, fa->if_failures);
  sqlite3_bind_int64(st, 8, fa->now);
  if (fa->activate_at > 0) sqlite3_bind_int64(st, 9, fa->activate_at);
  pp_err_t e = result_of(c->db, step_done(st), 1);
  if (e) return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
  if (fa->challenge) {
    st = c->sv[fa->challenge_insert ? SV_CH_INS : SV_CH_RESPOND];
    bind_challenge(st, fa->challenge);
    int rc = step_done(st);
    if (fa->challenge_insert && rc == SQLITE_DONE)
      fa->challenge->seq = sqlite3_last_insert_rowid(c->db);
    e = result_of(c->db, rc, !fa->challenge_insert);
    if (e) return e == PP_ERR_NOT_FOUND ? PP_ERR_CONFLICT : e;
  }
  for (size_t i = 0; i < fa->nenroll; i++) {
    st = c->sv[SV_CH_INS];
    bind_challenge(st, &fa->enroll[i]);
    if ((e = result_of(c->db, step_done(st), 0))) return e;
  }
  if (fa->enroll_outcome && fa->enroll_factor_sid && *fa->enroll_factor_sid) {
    bool verify = strcmp(fa->enroll_outcome, "verify") == 0;
    st = c->sv[verify ? SV_ENROLL_VERIFY : SV_ENROLL_DELETE];
    bind_text(st, 1, fa->account_sid);
    bind_text(st, 2, fa->enroll_factor_sid);
    if (verify) sqlite3_bind_int64(st, 3, fa->now);
    if ((e = result_of(c->db, step_done(st), 0))) return e;
  }
  return queue_event(c, fa->service_sid, fa->event_type, fa->event_body, fa->now);
}

static void bind_webhook(sqlite3_stmt *st, const pp_verify_webhook_t *wh) {
  bind_text(st, 1, wh->sid);
  bind_text(st, 2, wh->service_sid);
  bind_text(st, 3, wh->account_sid);
  bind_text(st, 4, wh->friendly_name);
  bind_text(st, 5, wh->event_types);
  bind_text(st, 6, wh->webhook_url);
  bind_text(st, 7, wh->status);
  bind_text(st, 8, wh->version);
  sqlite3_bind_int64(st, 9, wh->date_created);
  sqlite3_bind_int64(st, 10, wh->date_updated);
}

static bool row_factor(pp_arena_t *a, sqlite3_stmt *st, void *row);

static pp_err_t apply_factor_due(conn_t *c, pp_factor_due_t *fd) {
  sqlite3_stmt *st = c->sv[SV_FA_DUE];
  fd->n = 0;
  fd->rows = pp_arena_alloc(fd->arena, (fd->limit ? fd->limit : 1) * sizeof *fd->rows);
  if (!fd->rows) return PP_ERR_NOMEM;
  sqlite3_bind_int64(st, 1, fd->now);
  sqlite3_bind_int64(st, 2, (int64_t)fd->limit);
  int rc;
  pp_err_t e = PP_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (fd->n >= fd->limit) continue;
    if (row_factor(fd->arena, st, &fd->rows[fd->n]))
      fd->n++;
    else
      e = PP_ERR_NOMEM;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return db_err(c->db, "factors due");
  return e;
}

/* Deletes (account, sid) with one of Verify's statements. */
static pp_err_t apply_verify_delete(conn_t *c, int which, const pp_ref_t *ref) {
  sqlite3_stmt *st = c->sv[which];
  bind_text(st, 1, ref->account_sid);
  bind_text(st, 2, ref->sid);
  return result_of(c->db, step_done(st), 1);
}

/* Verify's writes change several rows; like every write off the delivery
 * path they run under be_apply's savepoint (apply_whole), so one that
 * fails leaves nothing behind in the batch's transaction. */
static pp_err_t apply_verify(conn_t *c, pp_write_t *w) {
  sqlite3_stmt *st;
  int rc;
  switch (w->kind) {
    case PP_W_VERIFY_SERVICE_INSERT:
    case PP_W_VERIFY_SERVICE_UPDATE: {
      bool ins = w->kind == PP_W_VERIFY_SERVICE_INSERT;
      st = c->sv[ins ? SV_SVC_INS : SV_SVC_UPD];
      bind_verify_service(st, w->u.verify_service);
      rc = step_done(st);
      if (ins && rc == SQLITE_DONE) w->u.verify_service->seq = sqlite3_last_insert_rowid(c->db);
      return result_of(c->db, rc, !ins);
    }
    case PP_W_VERIFY_SERVICE_DELETE:
      return apply_verify_delete(c, SV_SVC_DEL, &w->u.ref);
    case PP_W_VERIFY_SEND:
      return apply_verify_send(c, &w->u.verify_send);
    case PP_W_VERIFY_SET:
      return apply_verify_set(c, &w->u.verify_set);
    case PP_W_RATE_LIMIT_INSERT:
    case PP_W_RATE_LIMIT_UPDATE:
      return apply_rate_limit(c, w->u.rate_limit, w->kind == PP_W_RATE_LIMIT_INSERT);
    case PP_W_RATE_LIMIT_DELETE:
      return apply_verify_delete(c, SV_RL_DEL, &w->u.ref);
    case PP_W_RATE_BUCKET_INSERT:
    case PP_W_RATE_BUCKET_UPDATE:
      return apply_rate_bucket(c, w->u.rate_bucket, w->kind == PP_W_RATE_BUCKET_INSERT);
    case PP_W_RATE_BUCKET_DELETE:
      return apply_verify_delete(c, SV_RB_DEL, &w->u.ref);
    case PP_W_ENTITY_INSERT:
      st = c->sv[SV_EN_INS];
      bind_entity(st, w->u.entity);
      rc = step_done(st);
      if (rc == SQLITE_DONE) w->u.entity->seq = sqlite3_last_insert_rowid(c->db);
      return result_of(c->db, rc, 0);
    case PP_W_ENTITY_DELETE:
      return apply_verify_delete(c, SV_EN_DEL, &w->u.ref);
    case PP_W_FACTOR_INSERT:
      return apply_factor_insert(c, &w->u.factor_insert);
    case PP_W_FACTOR_UPDATE:
      st = c->sv[SV_FA_UPD];
      bind_factor(st, w->u.factor);
      return result_of(c->db, step_done(st), 1);
    case PP_W_FACTOR_DELETE: {
      pp_factor_delete_t *fd = &w->u.factor_delete;
      pp_ref_t ref = {fd->account_sid, fd->sid};
      pp_err_t e = apply_verify_delete(c, SV_FA_DEL, &ref);
      return e ? e : queue_event(c, fd->service_sid, fd->event_type, fd->event_body, fd->now);
    }
    case PP_W_FACTOR_ATTEMPT:
      return apply_factor_attempt(c, &w->u.factor_attempt);
    case PP_W_CHALLENGE_INSERT: {
      pp_challenge_insert_t *ci = &w->u.challenge_insert;
      st = c->sv[SV_CH_INS];
      bind_challenge(st, ci->challenge);
      rc = step_done(st);
      if (rc == SQLITE_DONE) ci->challenge->seq = sqlite3_last_insert_rowid(c->db);
      pp_err_t e = result_of(c->db, rc, 0);
      if (e) return e;
      return queue_event(c, ci->challenge->service_sid, ci->event_type, ci->event_body,
                         ci->challenge->date_created);
    }
    case PP_W_FACTOR_DUE:
      return apply_factor_due(c, &w->u.factor_due);
    case PP_W_FACTOR_ACTIVATE: {
      pp_factor_activate_t *fa = &w->u.factor_activate;
      st = c->sv[SV_FA_ACTIVATE];
      bind_text(st, 1, fa->account_sid);
      bind_text(st, 2, fa->sid);
      sqlite3_bind_int64(st, 3, fa->now);
      pp_err_t e = result_of(c->db, step_done(st), 1);
      return e ? e : queue_event(c, fa->service_sid, fa->event_type, fa->event_body, fa->now);
    }
    case PP_W_FACTOR_QR_TAKE:
      st = c->sv[SV_FA_QR_TAKE];
      bind_text(st, 1, w->u.factor_qr.account_sid);
      bind_text(st, 2, w->u.factor_qr.sid);
      sqlite3_bind_blob(st, 3, w->u.factor_qr.hash, PP_VERIFY_QR_HASH_LEN, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, w->u.factor_qr.now);
      return result_of(c->db, step_done(st), 1);
    case PP_W_VERIFY_WEBHOOK_INSERT:
    case PP_W_VERIFY_WEBHOOK_UPDATE: {
      bool ins = w->kind == PP_W_VERIFY_WEBHOOK_INSERT;
      st = c->sv[ins ? SV_WH_INS : SV_WH_UPD];
      bind_webhook(st, w->u.verify_webhook);
      rc = step_done(st);
      if (ins && rc == SQLITE_DONE) w->u.verify_webhook->seq = sqlite3_last_insert_rowid(c->db);
      return result_of(c->db, rc, !ins);
    }
    case PP_W_VERIFY_WEBHOOK_DELETE:
      return apply_verify_delete(c, SV_WH_DEL, &w->u.ref);
    default:
      return PP_ERR_INTERNAL;
  }
}

/* Reads: rows of Verify's tables.  Optional text columns are copied into
 * the arena; a row whose copy failed is reported as PP_ERR_NOMEM. */

static bool dup_ok(pp_arena_t *a, sqlite3_stmt *st, int i, const char **out) {
  *out = col_dup(a, st, i);
  return sqlite3_column_type(st, i) == SQLITE_NULL || *out;
}

static bool row_verify_service(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_service_t *sv = row;
  bool *flags[] = {&sv->lookup_enabled,
                   &sv->psd2_enabled,
                   &sv->skip_sms_to_landlines,
                   &sv->dtmf_input_required,
                   &sv->do_not_share_warning_enabled,
                   &sv->custom_code_enabled,
                   &sv->push_include_date,
                   &sv->verify_event_subscription_enabled};
  const char **texts[] = {&sv->tts_name,
                          &sv->push_apn_credential_sid,
                          &sv->push_fcm_credential_sid,
                          &sv->default_template_sid,
                          &sv->whatsapp_msg_service_sid,
                          &sv->whatsapp_from,
                          &sv->totp_issuer};
  bool ok = true;
  sv->seq = sqlite3_column_int64(st, 0);
  col_copy(sv->sid, sizeof sv->sid, st, 1);
  col_copy(sv->account_sid, sizeof sv->account_sid, st, 2);
  col_copy(sv->friendly_name, sizeof sv->friendly_name, st, 3);
  sv->code_length = sqlite3_column_int(st, 4);
  for (int i = 0; i < 8; i++) *flags[i] = sqlite3_column_int(st, 5 + i) != 0;
  for (int i = 0; i < 7; i++) ok &= dup_ok(a, st, 13 + i, texts[i]);
  sv->totp_time_step = sqlite3_column_int(st, 20);
  sv->totp_code_length = sqlite3_column_int(st, 21);
  sv->totp_skew = sqlite3_column_int(st, 22);
  sv->date_created = sqlite3_column_int64(st, 23);
  sv->date_updated = sqlite3_column_int64(st, 24);
  sv->enrollment_wait = sqlite3_column_int(st, 25);
  sv->fraud_guard = sqlite3_column_int(st, 26) != 0;
  ok &= dup_ok(a, st, 27, &sv->allowed_country_codes);
  return ok;
}

static bool row_verification(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verification_t *v = row;
  memset(v->code_hashes, 0, sizeof v->code_hashes);
  v->seq = sqlite3_column_int64(st, 0);
  col_copy(v->sid, sizeof v->sid, st, 1);
  col_copy(v->service_sid, sizeof v->service_sid, st, 2);
  col_copy(v->account_sid, sizeof v->account_sid, st, 3);
  col_copy(v->to, sizeof v->to, st, 4);
  col_copy(v->channel, sizeof v->channel, st, 5);
  col_copy(v->status, sizeof v->status, st, 6);
  size_t n = (size_t)sqlite3_column_bytes(st, 7);
  if (n > sizeof v->code_hashes) n = sizeof v->code_hashes;
  if (n) memcpy(v->code_hashes, sqlite3_column_blob(st, 7), n);
  v->sends = sqlite3_column_int(st, 8);
  v->checks = sqlite3_column_int(st, 9);
  v->expires_at = sqlite3_column_int64(st, 11);
  v->date_created = sqlite3_column_int64(st, 12);
  v->date_updated = sqlite3_column_int64(st, 13);
  return dup_ok(a, st, 10, &v->send_attempts);
}

static bool row_rate_limit(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_rate_limit_t *rl = row;
  rl->seq = sqlite3_column_int64(st, 0);
  col_copy(rl->sid, sizeof rl->sid, st, 1);
  col_copy(rl->service_sid, sizeof rl->service_sid, st, 2);
  col_copy(rl->account_sid, sizeof rl->account_sid, st, 3);
  col_copy(rl->unique_name, sizeof rl->unique_name, st, 4);
  rl->date_created = sqlite3_column_int64(st, 6);
  rl->date_updated = sqlite3_column_int64(st, 7);
  return dup_ok(a, st, 5, &rl->description);
}

static bool row_rate_bucket(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  pp_rate_bucket_t *b = row;
  b->seq = sqlite3_column_int64(st, 0);
  col_copy(b->sid, sizeof b->sid, st, 1);
  col_copy(b->rate_limit_sid, sizeof b->rate_limit_sid, st, 2);
  col_copy(b->service_sid, sizeof b->service_sid, st, 3);
  col_copy(b->account_sid, sizeof b->account_sid, st, 4);
  b->max = sqlite3_column_int(st, 5);
  b->interval = sqlite3_column_int(st, 6);
  b->date_created = sqlite3_column_int64(st, 7);
  b->date_updated = sqlite3_column_int64(st, 8);
  return true;
}

static bool row_entity_list(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  (void)a;
  row_entity(st, row);
  return true;
}

static bool row_factor(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_factor_t *f = row;
  f->seq = sqlite3_column_int64(st, 0);
  col_copy(f->sid, sizeof f->sid, st, 1);
  col_copy(f->entity_sid, sizeof f->entity_sid, st, 2);
  col_copy(f->service_sid, sizeof f->service_sid, st, 3);
  col_copy(f->account_sid, sizeof f->account_sid, st, 4);
  col_copy(f->identity, sizeof f->identity, st, 5);
  col_copy(f->friendly_name, sizeof f->friendly_name, st, 6);
  col_copy(f->status, sizeof f->status, st, 7);
  col_copy(f->factor_type, sizeof f->factor_type, st, 8);
  col_copy(f->alg, sizeof f->alg, st, 9);
  f->time_step = sqlite3_column_int(st, 10);
  f->skew = sqlite3_column_int(st, 11);
  f->code_length = sqlite3_column_int(st, 12);
  size_t n = (size_t)sqlite3_column_bytes(st, 13);
  if (n > sizeof f->secret_sealed) n = 0; /* not ours: opens as nothing */
  if (n) memcpy(f->secret_sealed, sqlite3_column_blob(st, 13), n);
  f->secret_sealed_len = n;
  f->last_counter = sqlite3_column_int64(st, 14);
  f->failures = sqlite3_column_int(st, 15);
  f->date_created = sqlite3_column_int64(st, 17);
  f->date_updated = sqlite3_column_int64(st, 18);
  n = (size_t)sqlite3_column_bytes(st, 19);
  if (n > sizeof f->public_key) n = 0;
  if (n) memcpy(f->public_key, sqlite3_column_blob(st, 19), n);
  f->public_key_len = n;
  f->activate_at = sqlite3_column_int64(st, 21);
  bool ok = dup_ok(a, st, 16, &f->metadata); /* both copied, even when one fails */
  return dup_ok(a, st, 20, &f->push_config) && ok;
}

static bool row_challenge(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_challenge_t *ch = row;
  ch->seq = sqlite3_column_int64(st, 0);
  col_copy(ch->sid, sizeof ch->sid, st, 1);
  col_copy(ch->factor_sid, sizeof ch->factor_sid, st, 2);
  col_copy(ch->entity_sid, sizeof ch->entity_sid, st, 3);
  col_copy(ch->service_sid, sizeof ch->service_sid, st, 4);
  col_copy(ch->account_sid, sizeof ch->account_sid, st, 5);
  col_copy(ch->identity, sizeof ch->identity, st, 6);
  col_copy(ch->status, sizeof ch->status, st, 7);
  col_copy(ch->responded_reason, sizeof ch->responded_reason, st, 8);
  col_copy(ch->factor_type, sizeof ch->factor_type, st, 9);
  ch->expiration_date = sqlite3_column_int64(st, 13);
  ch->date_responded = sqlite3_column_int64(st, 14);
  ch->date_created = sqlite3_column_int64(st, 15);
  ch->date_updated = sqlite3_column_int64(st, 16);
  col_copy(ch->enroll_factor_sid, sizeof ch->enroll_factor_sid, st, 17);
  bool ok = dup_ok(a, st, 10, &ch->details); /* all copied, even when one fails */
  ok = dup_ok(a, st, 11, &ch->hidden_details) && ok;
  return dup_ok(a, st, 12, &ch->metadata) && ok;
}

/* One row of Verify's statement `which` by up to three text keys (NULL
 * keys are left unbound), filled by `fill` into `out` (`size` bytes, one
 * of Verify's row types), which is written only on success. */
typedef struct {
  pp_arena_t *a;
  row_fill_fn fill;
  void *row;
  bool ok;
} verify_fill_t;

static void fill_verify_row(sqlite3_stmt *st, void *out) {
  verify_fill_t *f = out;
  f->ok = f->fill(f->a, st, f->row);
}

static pp_err_t verify_get(be_t *b, int which, pp_arena_t *a, const char *k1, const char *k2,
                           const char *k3, row_fill_fn fill, void *out, size_t size) {
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
  if (size > sizeof tmp) return PP_ERR_INTERNAL;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->sv[which];
  const char *keys[] = {k1, k2, k3};
  for (int i = 0; i < 3; i++)
    if (keys[i]) bind_text(st, i + 1, keys[i]);
  verify_fill_t f = {a, fill, &tmp, false};
  pp_err_t e = first_row(b, c, st, fill_verify_row, &f);
  if (!e && !f.ok) e = PP_ERR_NOMEM;
  if (!e) memcpy(out, &tmp, size);
  sodium_memzero(&tmp, sizeof tmp);
  return e;
}

/* A list of one of Verify's tables within an account and, when `parent` is
 * not NULL, within the parent row named by column `parent_col`. */
typedef struct {
  const char *account_sid, *parent;
} verify_filter_t;

static void bind_verify_filter(sqlite3_stmt *st, const void *arg) {
  const verify_filter_t *f = arg;
  bind_named_text(st, ":account", f->account_sid);
  bind_named_text(st, ":parent", f->parent);
}

static pp_err_t verify_list(be_t *b, pp_arena_t *a, const char *cols, const char *table,
                            const char *parent_col, const char *account_sid, const char *parent,
                            const pp_page_req_t *pg, size_t size, row_fill_fn fill, void **rows,
                            size_t *n, bool *more) {
  verify_filter_t f = {account_sid, parent};
  sqlb_t q = {.len = 0};
  q.sql[0] = '\0';
  sqlb_add(&q, "SELECT ");
  sqlb_add(&q, cols);
  sqlb_add(&q, " FROM ");
  sqlb_add(&q, table);
  sqlb_add(&q, " WHERE account_sid = :account");
  if (parent_col) {
    sqlb_add(&q, " AND ");
    sqlb_add(&q, parent_col);
    sqlb_add(&q, " = :parent");
  }
  page_clause(&q, pg);
  return run_list(b, a, q.sql, bind_verify_filter, &f, pg, size, fill, rows, n, more);
}

static bool row_webhook(pp_arena_t *a, sqlite3_stmt *st, void *row) {
  pp_verify_webhook_t *wh = row;
  wh->seq = sqlite3_column_int64(st, 0);
  col_copy(wh->sid, sizeof wh->sid, st, 1);
  col_copy(wh->service_sid, sizeof wh->service_sid, st, 2);
  col_copy(wh->account_sid, sizeof wh->account_sid, st, 3);
  col_copy(wh->friendly_name, sizeof wh->friendly_name, st, 4);
  col_copy(wh->status, sizeof wh->status, st, 7);
  col_copy(wh->version, sizeof wh->version, st, 8);
  wh->date_created = sqlite3_column_int64(st, 9);
  wh->date_updated = sqlite3_column_int64(st, 10);
  bool ok = dup_ok(a, st, 5, &wh->event_types); /* both copied, even when one fails */
  return dup_ok(a, st, 6, &wh->webhook_url) && ok;
}

static pp_err_t be_verify_webhook_get(void *p, pp_arena_t *a, const char *account_sid,
                                      const char *service_sid, const char *sid,
                                      pp_verify_webhook_t *out) {
  return verify_get(p, SV_WH_GET, a, account_sid, service_sid, sid, row_webhook, out, sizeof *out);
}

static pp_err_t be_verify_webhook_list(void *p, pp_arena_t *a, const char *account_sid,
                                       const char *service_sid, const pp_page_req_t *pg,
                                       pp_verify_webhook_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, WH_COLS, "verify_webhooks", "service_sid", account_sid, service_sid, pg,
                     sizeof **rows, row_webhook, (void **)rows, n, more);
}

static pp_err_t be_verify_service_get(void *p, pp_arena_t *a, const char *account_sid,
                                      const char *sid, pp_verify_service_t *out) {
  return verify_get(p, SV_SVC_GET, a, account_sid, sid, NULL, row_verify_service, out, sizeof *out);
}

static pp_err_t be_verify_service_list(void *p, pp_arena_t *a, const char *account_sid,
                                       const pp_page_req_t *pg, pp_verify_service_t **rows,
                                       size_t *n, bool *more) {
  return verify_list(p, a, VSVC_COLS, "verify_services", NULL, account_sid, NULL, pg, sizeof **rows,
                     row_verify_service, (void **)rows, n, more);
}

static pp_err_t be_verification_get(void *p, pp_arena_t *a, const char *account_sid,
                                    const char *service_sid, const char *sid, const char *to,
                                    pp_verification_t *out) {
  return verify_get(p, sid ? SV_VE_GET : SV_VE_FIND, a, account_sid, service_sid, sid ? sid : to,
                    row_verification, out, sizeof *out);
}

static pp_err_t be_verify_sender(void *p, const char *account_sid, char out[20]) {
  be_t *b = p;
  conn_t *c = acquire(b);
  sqlite3_stmt *st = c->sv[SV_SENDER];
  bind_text(st, 1, account_sid);
  char phone[20];
  pp_err_t e = first_row(b, c, st, fill_phone, phone);
  if (!e) memcpy(out, phone, sizeof phone);
  return e;
}

static pp_err_t be_rate_limit_get(void *p, pp_arena_t *a, const char *account_sid,
                                  const char *service_sid, const char *sid, pp_rate_limit_t *out) {
  return verify_get(p, SV_RL_GET, a, account_sid, service_sid, sid, row_rate_limit, out,
                    sizeof *out);
}

static pp_err_t be_rate_limit_list(void *p, pp_arena_t *a, const char *account_sid,
                                   const char *service_sid, const pp_page_req_t *pg,
                                   pp_rate_limit_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, RL_COLS, "verify_rate_limits", "service_sid", account_sid, service_sid,
                     pg, sizeof **rows, row_rate_limit, (void **)rows, n, more);
}

static pp_err_t be_rate_bucket_get(void *p, const char *account_sid, const char *rate_limit_sid,
                                   const char *sid, pp_rate_bucket_t *out) {
  return verify_get(p, SV_RB_GET, NULL, account_sid, rate_limit_sid, sid, row_rate_bucket, out,
                    sizeof *out);
}

static pp_err_t be_rate_bucket_list(void *p, pp_arena_t *a, const char *account_sid,
                                    const char *rate_limit_sid, const pp_page_req_t *pg,
                                    pp_rate_bucket_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, RB_COLS, "verify_rate_buckets", "rate_limit_sid", account_sid,
                     rate_limit_sid, pg, sizeof **rows, row_rate_bucket, (void **)rows, n, more);
}

static pp_err_t be_entity_get(void *p, const char *account_sid, const char *service_sid,
                              const char *identity, pp_verify_entity_t *out) {
  return verify_get(p, SV_EN_GET, NULL, account_sid, service_sid, identity, row_entity_list, out,
                    sizeof *out);
}

static pp_err_t be_entity_list(void *p, pp_arena_t *a, const char *account_sid,
                               const char *service_sid, const pp_page_req_t *pg,
                               pp_verify_entity_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, EN_COLS, "verify_entities", "service_sid", account_sid, service_sid, pg,
                     sizeof **rows, row_entity_list, (void **)rows, n, more);
}

static pp_err_t be_factor_get(void *p, pp_arena_t *a, const char *account_sid,
                              const char *entity_sid, const char *sid, pp_verify_factor_t *out) {
  return verify_get(p, SV_FA_GET, a, account_sid, entity_sid, sid, row_factor, out, sizeof *out);
}

static pp_err_t be_factor_list(void *p, pp_arena_t *a, const char *account_sid,
                               const char *entity_sid, const pp_page_req_t *pg,
                               pp_verify_factor_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, FA_COLS, "verify_factors", "entity_sid", account_sid, entity_sid, pg,
                     sizeof **rows, row_factor, (void **)rows, n, more);
}

static pp_err_t be_challenge_get(void *p, pp_arena_t *a, const char *account_sid,
                                 const char *entity_sid, const char *sid,
                                 pp_verify_challenge_t *out) {
  return verify_get(p, SV_CH_GET, a, account_sid, entity_sid, sid, row_challenge, out, sizeof *out);
}

static pp_err_t be_challenge_list(void *p, pp_arena_t *a, const char *account_sid,
                                  const char *entity_sid, const pp_page_req_t *pg,
                                  pp_verify_challenge_t **rows, size_t *n, bool *more) {
  return verify_list(p, a, CH_COLS, "verify_challenges", "entity_sid", account_sid, entity_sid, pg,
                     sizeof **rows, row_challenge, (void **)rows, n, more);
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
  const char **text[] = {&en->event, &en->principal,   &en->session,
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
    } else { /* not a hash: the row was tampered with */
      pp_log_error("integrity", "a hash of the audit log (%lld, %lld) is damaged", (long long)k1,
                   (long long)k2);
      e = PP_ERR_CORRUPT;
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
  return tree_op(p, consistency ? TREE_CONSISTENCY : TREE_INCLUSION, m, n, NULL, out, cap, count);
}

static void fill_checkpoint(sqlite3_stmt *st, void *out) {
  row_checkpoint(st, out);
}

static pp_err_t be_audit_checkpoint_latest(void *p, pp_audit_checkpoint_t *out) {
  be_t *b = p;
  conn_t *c = acquire(b);
  return first_row(b, c, c->st[S_AUD_CP_LAST], fill_checkpoint, out);
}

static pp_err_t be_audit_checkpoint_list(void *p, pp_arena_t *a, int64_t after_seq, size_t limit,
                                         pp_audit_checkpoint_t **rows_out, size_t *n_out) {
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
    .offer_get = be_offer_get,
    .offer_all = be_offer_all,
    .hook_next_due = be_hook_next_due,
    .parts_awaiting = be_parts_awaiting,
    .alert_get = be_alert_get,
    .alert_list = be_alert_list,
    .service_get = be_service_get,
    .service_list = be_service_list,
    .service_number_get = be_service_number_get,
    .service_number_list = be_service_number_list,
    .service_sender = be_service_sender,
    .named_key = be_named_key,
    .account_auth = be_account_auth,
    .number_owner = be_number_owner,
    .verify_service_get = be_verify_service_get,
    .verify_service_list = be_verify_service_list,
    .verification_get = be_verification_get,
    .verify_sender = be_verify_sender,
    .rate_limit_get = be_rate_limit_get,
    .rate_limit_list = be_rate_limit_list,
    .rate_bucket_get = be_rate_bucket_get,
    .rate_bucket_list = be_rate_bucket_list,
    .entity_get = be_entity_get,
    .entity_list = be_entity_list,
    .factor_get = be_factor_get,
    .factor_list = be_factor_list,
    .challenge_get = be_challenge_get,
    .challenge_list = be_challenge_list,
    .verify_webhook_get = be_verify_webhook_get,
    .verify_webhook_list = be_verify_webhook_list,
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

/* statements.c: the SQLite backend's prepared statements, their SQL text
 * indexed by the statement ids of sqlite_int.h. */

#include "store/sqlite/sqlite_int.h"

const char *sq_sql_text[S__COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_ACC_INS] =
        "INSERT INTO accounts(sid,owner_sid,friendly_name,status,auth_token,"
        "secondary_token,secondary_created,date_created,date_updated,auth_hash,"
        "secondary_hash) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    /* The same parameters as S_ACC_INS (?2, owner_sid, and ?8, date_created, unused). */
    [S_ACC_UPD] =
        "UPDATE accounts SET friendly_name=?3,status=?4,auth_token=?5,"
        "secondary_token=?6,auth_hash=?10,secondary_hash=?11,"
        "secondary_created=?7,date_updated=?9 WHERE sid=?1",
    [S_ACC_GET] = "SELECT " ACC_COLS " FROM accounts WHERE sid=?",
    [S_KEY_INS] =
        "INSERT INTO api_keys(sid,account_sid,friendly_name,secret_hash,"
        "date_created,date_updated) VALUES(?,?,?,?,?,?)",
    [S_KEY_UPD] =
        "UPDATE api_keys SET friendly_name=?3,date_updated=?4 "
        "WHERE sid=?1 AND account_sid=?2",
    [S_KEY_DEL] = "DELETE FROM api_keys WHERE sid=?2 AND account_sid=?1",
    [S_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE sid=?",
    [S_MSG_INS] =
        "INSERT INTO messages(sid,account_sid,messaging_service_sid,to_addr,"
        "from_addr,body,media_urls,status_callback,error_message,direction,"
        "status,num_media,num_segments,error_code,validity_period,date_created,"
        "date_updated,date_sent,send_at,next_attempt,to_bidx,from_bidx) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,"
        "?19,?20,?21)",
    [S_MSG_PATCH] =
        "UPDATE messages SET "
        "body=coalesce(?3,body),"
        "status=coalesce(?4,status),"
        "date_updated=?6 WHERE account_sid=?1 AND sid=?2 "
        "AND (?5 IS NULL OR status=?5) RETURNING " MSG_SET_COLS,
    [S_MSG_DEL] = "DELETE FROM messages WHERE account_sid=?1 AND sid=?2",
    [S_MSG_GET] = "SELECT " MSG_COLS " FROM messages WHERE account_sid=? AND sid=?",
    [S_MSG_COUNT] = "SELECT count(*) FROM messages",
    [S_NUM_INS] =
        "INSERT INTO phone_numbers(sid,account_sid,phone_number,friendly_name,"
        "sms_method,sms_fallback_method,status_callback_method,sms_url,"
        "sms_fallback_url,status_callback,date_created,date_updated,phone_bidx) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    /* The same parameters as S_NUM_INS (?3, ?11 and ?13 unused). */
    [S_NUM_UPD] =
        "UPDATE phone_numbers SET friendly_name=?4,sms_method=?5,"
        "sms_fallback_method=?6,status_callback_method=?7,sms_url=?8,"
        "sms_fallback_url=?9,status_callback=?10,date_updated=?12 "
        "WHERE sid=?1 AND account_sid=?2",
    [S_NUM_DEL] = "DELETE FROM phone_numbers WHERE account_sid=?1 AND sid=?2",
    [S_NUM_GET] = "SELECT " NUM_COLS " FROM phone_numbers WHERE account_sid=? AND sid=?",
    [S_NUM_FIND] = "SELECT " NUM_COLS " FROM phone_numbers WHERE phone_bidx=?1",
    [S_CAR_PUT] =
        "INSERT INTO carriers(name,host,port,system_id,password,system_type,"
        "bind_mode,window,mps,binds,date_created,date_updated,concat,payload,gsm7,"
        "channel) VALUES(?1,?2,?3,?4,?5,"
        "?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) ON CONFLICT(name) DO UPDATE SET "
        "concat=excluded.concat,payload=excluded.payload,gsm7=excluded.gsm7,"
        "channel=excluded.channel,"
        "host=excluded.host,port=excluded.port,system_id=excluded.system_id,"
        "password=excluded.password,system_type=excluded.system_type,"
        "bind_mode=excluded.bind_mode,window=excluded.window,mps=excluded.mps,"
        "binds=excluded.binds,date_updated=excluded.date_updated",
    [S_CAR_DEL] = "DELETE FROM carriers WHERE name=?1",
    [S_ROUTE_DEL_CARRIER] = "DELETE FROM routes WHERE carrier=?1",
    [S_ROUTE_PUT] =
        "INSERT INTO routes(prefix,carrier,priority,date_created) VALUES(?,?,?,?) "
        "ON CONFLICT(prefix,carrier) DO UPDATE SET priority=excluded.priority",
    [S_ROUTE_DEL] = "DELETE FROM routes WHERE prefix=?1 AND carrier=?2",
    [S_CAR_ALL] = "SELECT " CAR_COLS " FROM carriers ORDER BY name",
    [S_ROUTE_ALL] =
        "SELECT seq,prefix,carrier,priority,date_created FROM routes "
        "ORDER BY length(prefix) DESC, priority ASC, seq ASC",
    [S_CLAIM] =
        "UPDATE messages SET status='sending',lease_until=?2,attempts=attempts+1,"
        "date_updated=?1 WHERE seq IN (SELECT seq FROM messages WHERE status IN "
        "('queued','accepted','scheduled','sending') AND next_attempt<=?1 AND "
        "lease_until<?1 ORDER BY next_attempt,seq LIMIT ?3) RETURNING seq,sid,"
        "account_sid,to_addr,from_addr,body,validity_period,attempts,date_created,"
        "(SELECT sealed FROM message_sealed WHERE message_seq=messages.seq)",
    [S_SUB_MSG] =
        "UPDATE messages SET status='sent',date_sent=?2,date_updated=?2,carrier=?3,"
        "lease_until=0 WHERE seq=?1 AND status='sending' RETURNING " MSG_SET_COLS,
    /* An id the SMSC gave before keeps its row: both messages wait for a
     * receipt (S_PART_DLR picks one). */
    [S_PART_INS] =
        "INSERT OR IGNORE INTO message_parts(carrier,smsc_id,message_seq,part,"
        "parts,state,error_code) VALUES(?,?,?,?,?,0,0)",
    [S_EARLY_TAKE] =
        "DELETE FROM early_receipts WHERE carrier=?1 AND smsc_id=?2 "
        "RETURNING state,error_code",
    [S_RETRY] =
        "UPDATE messages SET status='queued',next_attempt=?2,lease_until=0 "
        "WHERE seq=?1 AND status='sending'",
    [S_FAIL] =
        "UPDATE messages SET status=?3,error_code=?4,error_message=?5,lease_until=0,"
        "date_updated=?2 WHERE seq=?1 AND status IN ('sending','sent','queued') "
        "RETURNING " MSG_SET_COLS,
    /* A receipt for an id given more than once goes to the newest part
     * still waiting for one (else, a duplicate, to the newest). */
    [S_PART_DLR] =
        "UPDATE message_parts SET state=?3,error_code=?4 WHERE id=(SELECT id FROM "
        "message_parts WHERE carrier=?1 AND smsc_id=?2 ORDER BY state<>0,id DESC "
        "LIMIT 1) RETURNING message_seq",
    [S_EARLY_PUT] =
        "INSERT OR REPLACE INTO early_receipts(carrier,smsc_id,state,error_code,"
        "received_at) VALUES(?,?,?,?,?)",
    [S_PARTS_TALLY] =
        "SELECT count(*),sum(state=2),sum(state IN (3,4,5,8)),"
        "max(CASE WHEN state IN (3,4,5,8) THEN error_code ELSE 0 END),"
        "max(parts) FROM message_parts WHERE message_seq=?1",
    [S_MSG_FINAL] =
        "UPDATE messages SET status=?2,error_code=?3,error_message=?4,"
        "date_updated=?5 WHERE seq=?1 AND status IN ('sent','sending') "
        "RETURNING " MSG_SET_COLS,
    [S_PART_CLASH] =
        "SELECT count(*) FROM message_parts WHERE carrier=?1 AND smsc_id=?2 "
        "AND state=0 AND message_seq<>?3",
    [S_PARTS_AWAITING] =
        "SELECT p.id,p.carrier,p.smsc_id,m.from_addr,m.account_sid,m.sid FROM "
        "message_parts p JOIN messages m ON m.seq=p.message_seq WHERE "
        "p.id>?1 AND p.state=0 AND m.status='sent' ORDER BY p.id LIMIT ?2",
    /* Early receipts older than ?1, and all but the newest ?2. */
    [S_EARLY_SWEEP] =
        "DELETE FROM early_receipts WHERE received_at<?1 OR "
        "id<=(SELECT max(id) FROM early_receipts)-?2",
    [S_MO_SWEEP] = "DELETE FROM mo_parts WHERE received_at<?1",
    /* dst and src hold indexes of the numbers; the body is sealed for the
     * account that owns dst, with "ref:total:part" as its row (apply.c). */
    [S_MO_INS] =
        "INSERT OR IGNORE INTO mo_parts(dst,src,ref,total,part,body,received_at) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [S_MO_READ] =
        "SELECT part,body FROM mo_parts WHERE dst=?1 AND src=?2 AND ref=?3 "
        "AND total=?4 ORDER BY part",
    [S_MO_DEL] = "DELETE FROM mo_parts WHERE dst=?1 AND src=?2 AND ref=?3 AND total=?4",
    [S_SENDER_PUT] =
        "INSERT OR IGNORE INTO sender_ids(account_sid,sender,date_created) "
        "VALUES(?,?,?)",
    [S_SENDER_DEL] = "DELETE FROM sender_ids WHERE account_sid=?1 AND sender=?2",
    [S_SENDER_GET] = "SELECT 1 FROM sender_ids WHERE account_sid=?1 AND sender=?2",
    /* The operator's numbers, sealed with the system key; the row is named
     * by its blind index. */
    [S_OFFER_PUT] =
        "INSERT OR REPLACE INTO number_offers(phone_bidx,phone_number,account_sid,"
        "date_created) VALUES(?1,?4,?2,?3)",
    [S_OFFER_DEL] = "DELETE FROM number_offers WHERE phone_bidx=?1",
    [S_OFFER_GET] = "SELECT account_sid,date_created FROM number_offers WHERE phone_bidx=?1",
    /* Ordered by number once opened (sq_offer_all). */
    [S_OFFER_ALL] =
        "SELECT o.phone_number,o.account_sid,coalesce(p.account_sid,''),"
        "o.date_created,o.phone_bidx FROM number_offers o "
        "LEFT JOIN phone_numbers p ON p.phone_bidx=o.phone_bidx",
    /* Staff (staff.c): members, passkeys and hashed tokens. */
    [S_STAFF_INS] = "INSERT INTO staff(name,role,user_id,date_created) VALUES(?1,?2,?3,?4)",
    [S_STAFF_DEL] = "DELETE FROM staff WHERE name=?1",
    [S_STAFF_GET] = "SELECT " STAFF_COLS " FROM staff WHERE name=?1",
    [S_STAFF_ALL] = "SELECT " STAFF_COLS " FROM staff ORDER BY name",
    [S_STAFF_CRED_INS] =
        "INSERT INTO staff_credentials(staff,cred_id,alg,cose_key,sign_count,aaguid,"
        "user_verified,date_created,last_used) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [S_STAFF_CRED_COUNT] =
        "UPDATE staff_credentials SET sign_count=?2,last_used=?4 WHERE cred_id=?1 "
        "AND sign_count=?3",
    [S_STAFF_CRED_GET] = "SELECT " STAFF_CRED_COLS " FROM staff_credentials WHERE cred_id=?1",
    [S_STAFF_CREDS] =
        "SELECT " STAFF_CRED_COLS " FROM staff_credentials WHERE staff=?1 ORDER BY seq",
    [S_STAFF_TOK_INS] =
        "INSERT INTO staff_tokens(hash,kind,staff,purpose,action,uv_at,cred_id,created,"
        "expires) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [S_STAFF_TOK_PURGE] = "DELETE FROM staff_tokens WHERE expires<=?1",
    [S_STAFF_TOK_TAKE] = "DELETE FROM staff_tokens WHERE hash=?1 AND kind=?2 AND expires>?3",
    [S_STAFF_TOK_END] = "DELETE FROM staff_tokens WHERE hash=?1 AND kind=3",
    [S_STAFF_TOK_UV] = "UPDATE staff_tokens SET action=?2,uv_at=?3 WHERE hash=?1 AND kind=3",
    [S_STAFF_TOK_GET] = "SELECT " STAFF_TOK_COLS " FROM staff_tokens WHERE hash=?1",
    /* Change requests (change.c). */
    [S_CHANGE_INS] = "INSERT INTO change_requests(" CHANGE_COLS
                     ") VALUES(NULL,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
    [S_CHANGE_DECIDE] =
        "UPDATE change_requests SET status=?2,decided_by=?3,date_decided=?4,"
        "password=CASE WHEN ?2='rejected' THEN NULL ELSE password END"
        " WHERE sid=?1 AND status='pending' AND date_expires>?4",
    [S_CHANGE_GET] = "SELECT " CHANGE_COLS " FROM change_requests WHERE sid=?1",
    [S_CHANGE_ALL] = "SELECT " CHANGE_COLS " FROM change_requests ORDER BY seq DESC",
    [S_CHANGE_PENDING] =
        "SELECT " CHANGE_COLS " FROM change_requests WHERE status='pending' ORDER BY seq DESC",
    [S_CHANGE_APPROVED] = "SELECT " CHANGE_COLS
                          " FROM change_requests WHERE status='approved'"
                          " ORDER BY date_decided DESC, seq DESC",
    [S_HOOK_CLAIM] =
        "UPDATE webhooks SET lease_until=?2,attempts=attempts+1 WHERE seq IN ("
        "SELECT w.seq FROM webhooks w WHERE w.next_attempt<=?1 AND "
        "w.lease_until<?1 AND NOT EXISTS (SELECT 1 FROM webhooks o WHERE "
        "o.message_sid=w.message_sid AND o.kind=w.kind AND o.seq<w.seq) "
        "ORDER BY w.next_attempt,w.seq LIMIT ?3) RETURNING " HOOK_COLS,
    [S_HOOK_DEL] = "DELETE FROM webhooks WHERE seq=?1",
    [S_HOOK_RETRY] = "UPDATE webhooks SET next_attempt=?2,lease_until=0 WHERE seq=?1",
    [S_HOOK_FOLLOW] =
        "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,"
        "error_code,url,url_table,url_column,url_row,method,redirects,"
        "created_ms,next_attempt) SELECT ?4,account_sid,message_sid,kind,event,"
        "error_code,?2,'webhooks',"
        "'url',?4,?3,redirects+1,created_ms,0 FROM webhooks WHERE seq=?1",
    [S_HOOK_DUE] =
        "SELECT next_attempt FROM webhooks WHERE lease_until<?1 "
        "ORDER BY next_attempt LIMIT 1",
    /* A message's webhook (hooks.c): the URL as read from the column it is
     * sealed for, which url_table, url_column and url_row name. */
    /* A request that carries its own form (a Verify event, kind "verify";
     * a lockbox notice, "lockbox"), in order per owner (message_sid ?3: the
     * Verify webhook's SID, the lockbox's account); its URL (?6) and body
     * (?9) sealed for the queue row (url_row ?7: the owner and a random
     * id); ?8: now (ms). */
    /* The lockbox (lockbox.c): parameters are LB_COLS's columns. */
    [S_LB_INS] =
        "INSERT INTO lockbox_requests(sid,account_sid,staff,reason,minutes,status,"
        "answered_by,date_created,date_updated,date_approved,date_revoked) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    /* An answer, only from the status ?12 it was seen in. */
    [S_LB_SET] =
        "UPDATE lockbox_requests SET status=?6,answered_by=?7,date_updated=?9,"
        "date_approved=?10,date_revoked=?11 WHERE sid=?1 AND account_sid=?2 AND status=?12",
    [S_LB_GET] = "SELECT " LB_COLS " FROM lockbox_requests WHERE account_sid=?1 AND sid=?2",
    [S_LB_URL] =
        "SELECT webhook_url,date_updated,account_sid FROM lockbox_settings WHERE account_sid=?1",
    [S_LB_SETTINGS_PUT] =
        "INSERT INTO lockbox_settings(account_sid,webhook_url,date_updated) VALUES(?1,?2,?3) "
        "ON CONFLICT(account_sid) DO UPDATE SET webhook_url=excluded.webhook_url,"
        "date_updated=excluded.date_updated",
    /* The staff overview's counts (sq_counts). */
    [S_COUNT_ACCOUNT] =
        "SELECT (SELECT count(*) FROM messages WHERE account_sid=?1),"
        "(SELECT count(*) FROM phone_numbers WHERE account_sid=?1),"
        "(SELECT count(*) FROM verify_services WHERE account_sid=?1)",
    [S_COUNT_QUEUES] =
        "SELECT (SELECT count(*) FROM messages WHERE status IN "
        "('queued','accepted','scheduled')),(SELECT count(*) FROM webhooks)",
    [S_HOOK_FORM_INS] =
        "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,"
        "url,url_table,url_column,url_row,method,created_ms,next_attempt,body) "
        "VALUES(?1,?2,?3,?4,?5,0,?6,'webhooks','url',?7,'POST',?8,?8,?9)",
    [S_HOOK_INS] =
        "INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,"
        "url,url_table,url_column,url_row,method,created_ms,next_attempt) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    /* Where an inbound message's webhook may go: the number it was sent to
     * (?1: the message's to_bidx) and the service whose pool holds it. */
    [S_MSG_INBOUND_TARGET] =
        "SELECT p.sid,p.sms_url,p.sms_method,s.sid,s.inbound_request_url,"
        "s.inbound_method,s.use_inbound_webhook_on_number "
        "FROM phone_numbers p "
        "LEFT JOIN messaging_service_numbers sn ON sn.number_sid=p.sid "
        "LEFT JOIN messaging_services s ON s.sid=sn.service_sid "
        "WHERE p.phone_bidx=?1 AND p.account_sid=?2",
    [S_HOOK_ACCOUNT] = "SELECT account_sid FROM webhooks WHERE seq=?1",
    [S_MSG_SEALED_DEL] = "DELETE FROM message_sealed WHERE message_seq=?1",
    [S_MSG_STATUS] = "SELECT status FROM messages WHERE account_sid=?1 AND sid=?2",
    [S_ALERT_INS] =
        "INSERT INTO alerts(sid,account_sid,error_code,log_level,alert_text,"
        "request_method,request_url,request_variables,response_body,"
        "response_headers,resource_sid,service_sid,date_created) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [S_ALERT_GET] = "SELECT " ALERT_COLS " FROM alerts WHERE account_sid=? AND sid=?",
    /* Replies between two numbers (the loop guard): messages_to_reply. */
    [S_MSG_REPLIES] =
        "SELECT count(*) FROM messages WHERE account_sid=?1 "
        "AND to_bidx=?3 AND from_bidx=?2 "
        "AND direction='outbound-reply' AND date_created>=?4",
    [S_SVC_INS] =
        "INSERT INTO messaging_services(sid,account_sid,friendly_name,"
        "inbound_request_url,inbound_method,fallback_url,fallback_method,"
        "status_callback,sticky_sender,mms_converter,smart_encoding,"
        "scan_message_content,fallback_to_long_code,area_code_geomatch,"
        "validity_period,synchronous_validation,usecase,"
        "use_inbound_webhook_on_number,date_created,date_updated) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
    /* The same parameters as S_SVC_INS (?19, date_created, unused). */
    [S_SVC_UPD] =
        "UPDATE messaging_services SET friendly_name=?3,"
        "inbound_request_url=?4,inbound_method=?5,fallback_url=?6,fallback_method=?7,"
        "status_callback=?8,"
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
    [S_SVCNUM_INS] =
        "INSERT INTO messaging_service_numbers(service_sid,number_sid,account_sid,"
        "date_created,date_updated) SELECT s.sid,p.sid,s.account_sid,?4,?5 "
        "FROM messaging_services s JOIN phone_numbers p "
        "ON p.account_sid=s.account_sid WHERE s.sid=?1 AND p.sid=?2 "
        "AND s.account_sid=?3",
    [S_SVCNUM_DEL] =
        "DELETE FROM messaging_service_numbers WHERE service_sid=?1 "
        "AND number_sid=?2 AND account_sid=?3",
    [S_SVCNUM_GET] = "SELECT " SVCNUM_COLS " FROM " SVCNUM_FROM
                     " WHERE account_sid=?1 AND service_sid=?2 AND sid=?3",
    [S_SVC_STICKY] =
        "SELECT m.from_addr,m.account_sid,m.sid "
        "FROM messages m WHERE m.account_sid=?1 AND m.messaging_service_sid<>'' "
        "AND m.to_bidx=?3 AND m.messaging_service_sid=?2 AND EXISTS("
        "SELECT 1 FROM messaging_service_numbers sn JOIN phone_numbers p "
        "ON p.sid=sn.number_sid WHERE sn.service_sid=?2 "
        "AND p.phone_bidx=m.from_bidx) ORDER BY m.seq DESC LIMIT 1",
    [S_SVC_PICK] =
        "SELECT p.phone_number,p.account_sid,p.sid FROM messaging_service_numbers sn "
        "JOIN phone_numbers p ON p.sid=sn.number_sid "
        "WHERE sn.service_sid=?1 AND sn.account_sid=?2 ORDER BY sn.seq "
        "LIMIT 1 OFFSET ?3 % max(1,(SELECT count(*) FROM "
        "messaging_service_numbers WHERE service_sid=?1))",
    /* Signing in: the account without its tokens, and their keyed hashes. */
    [S_ACC_AUTH] =
        "SELECT seq,sid,owner_sid,friendly_name,status,'','',secondary_created,"
        "date_created,date_updated,auth_hash,secondary_hash FROM accounts WHERE sid=?",
    /* Sender ownership: who owns a number, and its status callback. */
    [S_NUM_OWNER] =
        "SELECT account_sid,status_callback,sid FROM phone_numbers "
        "WHERE phone_bidx=?1",
    [S_DEK_NEW] =
        "INSERT OR IGNORE INTO account_keys(account_sid,generation,wrapped,master_id,"
        "date_created) VALUES(?1,?3,?4,?5,?2)",
    /* Crypto-shredding: without its keys a closed account's content is noise. */
    [S_DEK_SHRED] =
        "DELETE FROM account_keys WHERE account_sid=?1 AND EXISTS(SELECT 1 FROM "
        "accounts WHERE sid=?1 AND status='closed')",
    [S_DEK_REWRAP] =
        "UPDATE account_keys SET wrapped=?3,master_id=?4 "
        "WHERE account_sid=?1 AND generation=?2",
    [S_DEK_ALL] = "SELECT account_sid,generation,wrapped FROM account_keys",
    [S_DEK_NEXT] =
        "INSERT INTO account_keys(account_sid,generation,wrapped,master_id,"
        "date_created) VALUES(?1,?3,?4,?5,?2)",
    [S_DEK_NEWEST] = "SELECT max(generation) FROM account_keys WHERE account_sid=?1",
    [S_DEK_RETIRE] =
        "DELETE FROM account_keys WHERE account_sid=?1 AND generation<("
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
    [S_AUD_RES_RANGE] =
        "SELECT seq,sid FROM audit_resources WHERE seq>=?1 AND seq<=?2 "
        "ORDER BY seq,sid",
    [S_AUD_SCAN] = "SELECT " AUD_COLS " FROM audit_log WHERE seq>=?1 ORDER BY seq LIMIT ?2",
    [S_AUD_BY_PRINCIPAL] = AUD_SEARCH("principal"),
    [S_AUD_BY_SESSION] = AUD_SEARCH("session"),
    [S_AUD_BY_IP] = AUD_SEARCH("ip"),
    [S_AUD_CP_INS] = "INSERT INTO audit_checkpoints(tree_size,root,time,note) VALUES(?1,?2,?3,?4)",
    [S_AUD_CP_LAST] = "SELECT " AUD_CP_COLS " FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    [S_AUD_CP_LIST] = "SELECT " AUD_CP_COLS
                      " FROM audit_checkpoints WHERE seq>?1 "
                      "ORDER BY seq LIMIT ?2",
};

const char *sq_verify_sql[SV__COUNT] = {
    [SV_SVC_INS] =
        "INSERT INTO verify_services(sid,account_sid,friendly_name,code_length,"
        "lookup_enabled,psd2_enabled,skip_sms_to_landlines,dtmf_input_required,"
        "do_not_share_warning_enabled,custom_code_enabled,push_include_date,"
        "verify_event_subscription_enabled,tts_name,push_apn_credential_sid,"
        "push_fcm_credential_sid,default_template_sid,whatsapp_msg_service_sid,"
        "whatsapp_from,totp_issuer,totp_time_step,totp_code_length,totp_skew,"
        "date_created,date_updated,enrollment_wait,fraud_guard,"
        "allowed_country_codes) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
        "?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)",
    /* The same parameters as SV_SVC_INS (?23, date_created, unused). */
    [SV_SVC_UPD] =
        "UPDATE verify_services SET friendly_name=?3,code_length=?4,"
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
    [SV_VE_INS] =
        "INSERT INTO verifications(sid,service_sid,account_sid,to_addr,channel,"
        "status,code_hashes,sends,checks,send_attempts,expires_at,date_created,"
        "date_updated,to_bidx) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
        "?14)",
    /* The parameters of SV_VE_INS (?4 unused), and ?14: the sends it must
     * still have. */
    [SV_VE_RESEND] =
        "UPDATE verifications SET sends=?8,code_hashes=?7,send_attempts=?10,"
        "date_updated=?13 WHERE sid=?1 AND account_sid=?3 AND status='pending' "
        "AND sends=?14 AND expires_at>?13",
    [SV_VE_PENDING] =
        "SELECT count(*) FROM verifications WHERE account_sid=?1 "
        "AND to_bidx=?2 "
        "AND status='pending' AND expires_at>?3",
    /* ?7: the empty blob when the code hashes are wiped, else NULL. */
    [SV_VE_SET] =
        "UPDATE verifications SET status=?3,checks=?4,date_updated=?6,"
        "code_hashes=coalesce(?7,code_hashes) "
        "WHERE account_sid=?1 AND sid=?2 AND status='pending' AND expires_at>?6 "
        "AND (?5<0 OR checks=?5)",
    [SV_VE_GET] = "SELECT " VE_COLS
                  " FROM verifications WHERE account_sid=?1 "
                  "AND service_sid=?2 AND sid=?3",
    [SV_VE_FIND] = "SELECT " VE_COLS
                   " FROM verifications WHERE service_sid=?2 "
                   "AND to_bidx=?3 AND account_sid=?1 ORDER BY seq DESC LIMIT 1",
    [SV_MSG_SEAL] = "INSERT INTO message_sealed(message_seq,sealed) VALUES(?1,?2)",
    [SV_HIT_PRUNE] =
        "DELETE FROM verify_rate_hits WHERE bucket_sid=?1 AND key_hash=?2 "
        "AND at<=?3",
    [SV_HIT_COUNT] =
        "SELECT count(*) FROM verify_rate_hits WHERE bucket_sid=?1 "
        "AND key_hash=?2 AND at>?3",
    [SV_HIT_INS] = "INSERT INTO verify_rate_hits(bucket_sid,key_hash,at) VALUES(?1,?2,?3)",
    [SV_FRAUD_GET] =
        "SELECT bucket,count,mean,blocked_until,alerted_bucket "
        "FROM verify_fraud_prefixes WHERE service_sid=?1 AND prefix=?2",
    [SV_FRAUD_PUT] =
        "INSERT OR REPLACE INTO verify_fraud_prefixes(service_sid,prefix,bucket,"
        "count,mean,blocked_until,alerted_bucket) VALUES(?1,?2,?3,?4,?5,?6,?7)",
    /* ?8: how many rate limits a service may have. */
    [SV_RL_INS] =
        "INSERT INTO verify_rate_limits(sid,service_sid,account_sid,unique_name,"
        "description,date_created,date_updated) SELECT ?1,?2,?3,?4,?5,?6,?7 "
        "WHERE (SELECT count(*) FROM verify_rate_limits WHERE service_sid=?2)<?8",
    [SV_RL_UPD] =
        "UPDATE verify_rate_limits SET description=?5,date_updated=?7 "
        "WHERE sid=?1 AND account_sid=?3",
    [SV_RL_DEL] = "DELETE FROM verify_rate_limits WHERE account_sid=?1 AND sid=?2",
    [SV_RL_GET] = "SELECT " RL_COLS
                  " FROM verify_rate_limits WHERE account_sid=?1 "
                  "AND service_sid=?2 AND sid=?3",
    /* ?9: how many buckets a rate limit may have. */
    [SV_RB_INS] =
        "INSERT INTO verify_rate_buckets(sid,rate_limit_sid,service_sid,account_sid,"
        "max,interval,date_created,date_updated) SELECT ?1,?2,?3,?4,?5,?6,?7,?8 "
        "WHERE (SELECT count(*) FROM verify_rate_buckets WHERE rate_limit_sid=?2)<?9",
    [SV_RB_UPD] =
        "UPDATE verify_rate_buckets SET max=?5,interval=?6,date_updated=?8 "
        "WHERE sid=?1 AND account_sid=?4",
    [SV_RB_DEL] = "DELETE FROM verify_rate_buckets WHERE account_sid=?1 AND sid=?2",
    [SV_RB_GET] = "SELECT " RB_COLS
                  " FROM verify_rate_buckets WHERE account_sid=?1 "
                  "AND rate_limit_sid=?2 AND sid=?3",
    [SV_SENDER] =
        "SELECT phone_number,account_sid,sid FROM phone_numbers WHERE account_sid=?1 "
        "ORDER BY seq LIMIT 1",
    [SV_EN_INS] =
        "INSERT INTO verify_entities(sid,service_sid,account_sid,identity,"
        "date_created,date_updated,identity_bidx) VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [SV_EN_INS_IGNORE] =
        "INSERT OR IGNORE INTO verify_entities(sid,service_sid,account_sid,"
        "identity,date_created,date_updated,identity_bidx) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [SV_EN_DEL] = "DELETE FROM verify_entities WHERE account_sid=?1 AND sid=?2",
    [SV_EN_GET] = "SELECT " EN_COLS
                  " FROM verify_entities WHERE account_sid=?1 "
                  "AND service_sid=?2 AND identity_bidx=?3",
    [SV_FA_INS] =
        "INSERT INTO verify_factors(sid,entity_sid,service_sid,account_sid,identity,"
        "friendly_name,status,factor_type,alg,time_step,skew,code_length,"
        "secret_sealed,last_counter,failures,metadata,date_created,date_updated,"
        "public_key,push_config) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
        "?14,?15,?16,?17,?18,?19,?20)",
    /* The parameters of SV_FA_INS. */
    [SV_FA_UPD] =
        "UPDATE verify_factors SET friendly_name=?6,alg=?9,time_step=?10,skew=?11,"
        "code_length=?12,date_updated=?18,push_config=?20 "
        "WHERE sid=?1 AND account_sid=?4",
    [SV_FA_DEL] = "DELETE FROM verify_factors WHERE account_sid=?1 AND sid=?2",
    [SV_FA_GET] = "SELECT " FA_COLS
                  " FROM verify_factors WHERE account_sid=?1 "
                  "AND entity_sid=?2 AND sid=?3",
    [SV_FA_ATTEMPT] =
        "UPDATE verify_factors SET last_counter=?3,failures=?4,"
        "status=coalesce(?5,status),activate_at=coalesce(?9,activate_at),"
        "date_updated=?8 WHERE account_sid=?1 "
        "AND sid=?2 AND last_counter=?6 AND failures=?7",
    [SV_CH_INS] =
        "INSERT INTO verify_challenges(sid,factor_sid,entity_sid,service_sid,"
        "account_sid,identity,status,responded_reason,factor_type,details,"
        "hidden_details,metadata,expiration_date,date_responded,date_created,"
        "date_updated,enroll_factor_sid) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,"
        "?12,?13,?14,?15,?16,?17)",
    /* The parameters of SV_CH_INS. */
    [SV_CH_RESPOND] =
        "UPDATE verify_challenges SET status=?7,responded_reason=?8,"
        "date_responded=?14,date_updated=?16 WHERE sid=?1 AND account_sid=?5 "
        "AND status='pending'",
    [SV_CH_GET] = "SELECT " CH_COLS
                  " FROM verify_challenges WHERE account_sid=?1 "
                  "AND entity_sid=?2 AND sid=?3",
    /* Rule 5's decisions are taken in C (verify.c) on what SV_FA_STATE
     * reads; these only write them. */
    [SV_FA_STATE] =
        "SELECT status,activate_at,qr_token_hash,qr_expires FROM verify_factors "
        "WHERE account_sid=?1 AND sid=?2",
    [SV_FA_VERIFY] =
        "UPDATE verify_factors SET status='verified',activate_at=0,date_updated=?3 "
        "WHERE account_sid=?1 AND sid=?2",
    [SV_FA_QR_SET] =
        "UPDATE verify_factors SET qr_token_hash=?3,qr_expires=?4 "
        "WHERE account_sid=?1 AND sid=?2",
    [SV_FA_QR_TAKE] =
        "UPDATE verify_factors SET qr_token_hash=NULL,qr_expires=0 "
        "WHERE account_sid=?1 AND sid=?2",
    /* The factors waiting (the partial index verify_factors_due), the
     * soonest first; verify.c stops at the first whose wait is not over. */
    [SV_FA_DUE] = "SELECT " FA_COLS
                  " FROM verify_factors WHERE status='unverified' "
                  "AND activate_at>0 ORDER BY activate_at LIMIT ?1",
    /* The enrolment challenges about factor ?1 after seq ?2, one at a time
     * (verify_challenges_enroll), and one of them expired (?2: its new
     * date_updated, NULL: as it is). */
    [SV_CH_ENROLL_NEXT] =
        "SELECT seq,status FROM verify_challenges WHERE enroll_factor_sid=?1 "
        "AND seq>?2 ORDER BY seq LIMIT 1",
    [SV_CH_EXPIRE] =
        "UPDATE verify_challenges SET status='expired',"
        "date_updated=coalesce(?2,date_updated) WHERE seq=?1",
    /* The enabled webhooks of service ?1 (verify.c asks which take the
     * event: pp_verify_event_subscribed). */
    [SV_WH_SUBSCRIBED] =
        "SELECT sid,account_sid,webhook_url,event_types FROM verify_webhooks "
        "WHERE service_sid=?1 AND status='enabled' ORDER BY seq",
    /* A closed account's queued requests: they would no longer open. */
    [SV_HOOK_SHRED] = "DELETE FROM webhooks WHERE account_sid=?1",
    [SV_WH_INS] =
        "INSERT INTO verify_webhooks(sid,service_sid,account_sid,friendly_name,"
        "event_types,webhook_url,status,version,date_created,date_updated) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    /* The parameters of SV_WH_INS. */
    [SV_WH_UPD] =
        "UPDATE verify_webhooks SET friendly_name=?4,event_types=?5,webhook_url=?6,"
        "status=?7,version=?8,date_updated=?10 WHERE sid=?1 AND account_sid=?3",
    [SV_WH_DEL] = "DELETE FROM verify_webhooks WHERE account_sid=?1 AND sid=?2",
    [SV_WH_GET] = "SELECT " WH_COLS
                  " FROM verify_webhooks WHERE account_sid=?1 "
                  "AND service_sid=?2 AND sid=?3",
};

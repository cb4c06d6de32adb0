/* The schema steps from encryption at rest on (steps 9 onwards: data keys,
 * index keys, every value sealed in place beside its indexes, in C over
 * seal.h), run on a data directory as step 8 left one: every row reads
 * back through the store, found by its indexes, signed in against its
 * token's hash; NULL and the empty text pass unsealed. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* migrations[] itself: the SQL of steps 1 to 8 makes the old store. */
#define sq_migrate test_unused_migrate
#include "store/sqlite/schema.c"
#undef sq_migrate

#include "check.h"
#include "core/arena.h"
#include "store/store.h"

static const unsigned char test_master[32] = {9, 9};
#define A1 "AC00000000000000000000000000000001"
#define A2 "AC00000000000000000000000000000002"
#define M1 "SM00000000000000000000000000000001"
#define N1 "PN00000000000000000000000000000001"
#define S1 "MG00000000000000000000000000000001"
#define L1 "NO00000000000000000000000000000001"

static void exec_ok(sqlite3 *db, const char *sql) {
  char *err = NULL;
  CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK);
  if (err) fprintf(stderr, "%s\n", err);
  sqlite3_free(err);
}

/* The first column of the first row of `sql` as text ("" when none). */
static void query(sqlite3 *db, const char *sql, char *out, size_t cap) {
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
}

static void rows_of_step_8(sqlite3 *db) {
  exec_ok(db,
          "INSERT INTO accounts(sid,owner_sid,friendly_name,status,auth_token,secondary_token,"
          "date_created,date_updated) VALUES('" A1 "','" A1
          "','a','active','tok1','',1,1),"
          "('" A2 "','" A1
          "','b','closed','tok2','sec2',1,1);"
          "INSERT INTO messages(sid,account_sid,messaging_service_sid,to_addr,from_addr,body,"
          "media_urls,status_callback,direction,status,num_media,num_segments,error_code,"
          "validity_period,date_created,date_updated,date_sent,send_at) VALUES('" M1 "','" A1
          "','','+15550001111','+15550002222','hello','',NULL,'outbound-api','sent',0,1,0,0,1,1,"
          "1,0);"
          "INSERT INTO phone_numbers(sid,account_sid,phone_number,friendly_name,sms_method,"
          "sms_fallback_method,status_callback_method,sms_url,sms_fallback_url,status_callback,"
          "date_created,date_updated) VALUES('" N1 "','" A1
          "','+15550002222','mine','POST','POST','POST','https://in.example/x','',NULL,1,1);"
          "INSERT INTO carriers(name,host,port,system_id,password,system_type,bind_mode,window,"
          "mps,binds,date_created,date_updated) VALUES('c1','h',1,'sys','pw','','trx',1,1,1,1,1);"
          "INSERT INTO messaging_services(sid,account_sid,friendly_name,inbound_request_url,"
          "inbound_method,fallback_url,fallback_method,status_callback,sticky_sender,"
          "mms_converter,smart_encoding,scan_message_content,fallback_to_long_code,"
          "area_code_geomatch,validity_period,synchronous_validation,usecase,"
          "use_inbound_webhook_on_number,date_created,date_updated) VALUES('" S1 "','" A1
          "','svc','https://svc.example/in','POST',NULL,'POST','',0,0,0,'inherit',0,0,0,0,"
          "'undeclared',0,1,1);"
          "INSERT INTO alerts(sid,account_sid,error_code,log_level,alert_text,request_method,"
          "request_url,date_created) VALUES('" L1 "','" A1
          "',11200,'error','bad','POST','https://in.example/x',1);"
          "PRAGMA user_version=8;");
}

int main(void) {
  CHECK(sodium_init() >= 0);
  char dir[] = "/tmp/pp-upgrade-v8-XXXXXX", path[128], v[256];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/pipit.db", dir);
  sqlite3 *db = NULL;
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  for (int i = 0; i < 8; i++) exec_ok(db, migrations[i].sql);
  rows_of_step_8(db);
  sqlite3_close(db);

  pp_store_t *s = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_message_t m;
  CHECK_EQ_INT(pp_store_message_get(s, &a, A1, M1, &m), PP_OK);
  CHECK_EQ_STR(m.to, "+15550001111");
  CHECK_EQ_STR(m.from, "+15550002222");
  CHECK_EQ_STR(m.body, "hello");
  CHECK(m.status_callback == NULL);
  pp_message_filter_t f = {.account_sid = A1, .from = "+15550002222", .page = {.limit = 10}};
  pp_message_t *rows = NULL;
  size_t n = 0;
  bool more = false;
  CHECK_EQ_INT(pp_store_message_list(s, &a, &f, &rows, &n, &more), PP_OK);
  CHECK_EQ_INT((int)n, 1);
  pp_number_t num;
  CHECK_EQ_INT(pp_store_number_find(s, &a, "+15550002222", &num), PP_OK);
  CHECK_EQ_STR(num.friendly_name, "mine");
  CHECK_EQ_STR(num.sms_url, "https://in.example/x");
  pp_account_t acc;
  int which = 0;
  CHECK_EQ_INT(pp_store_account_auth(s, A1, "tok1", &acc, &which), PP_OK);
  CHECK_EQ_INT(which, 1);
  pp_carrier_t *cs = NULL;
  CHECK_EQ_INT(pp_store_carrier_all(s, &a, &cs, &n), PP_OK);
  CHECK(n == 1 && strcmp(cs[0].password, "pw") == 0);
  pp_service_t sv;
  CHECK_EQ_INT(pp_store_service_get(s, &a, A1, S1, &sv), PP_OK);
  CHECK_EQ_STR(sv.inbound_request_url, "https://svc.example/in");
  pp_alert_t al;
  CHECK_EQ_INT(pp_store_alert_get(s, &a, A1, L1, &al), PP_OK);
  CHECK_EQ_STR(al.alert_text, "bad");
  CHECK_EQ_STR(al.request_url, "https://in.example/x");
  pp_arena_cleanup(&a);
  pp_store_free(s);

  /* Sealed where there was a value; NULL and '' as they were. */
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  query(db,
        "SELECT group_concat(account_sid) FROM (SELECT account_sid FROM account_keys "
        "ORDER BY 1)",
        v, sizeof v);
  CHECK_EQ_STR(v, A1 "," A2 ",system");
  query(db, "SELECT group_concat(name||':'||typeof(value)) FROM store_keys", v, sizeof v);
  CHECK_EQ_STR(v, "audit:blob,phone:blob,token:blob,verify:blob");
  query(db,
        "SELECT typeof(auth_token)||typeof(secondary_token)||typeof(auth_hash)||"
        "typeof(secondary_hash) FROM accounts WHERE sid='" A1 "'",
        v, sizeof v);
  CHECK_EQ_STR(v, "blobtextblobnull");
  query(db,
        "SELECT typeof(to_addr)||typeof(from_addr)||typeof(body)||typeof(media_urls)||"
        "typeof(status_callback)||typeof(to_bidx)||typeof(from_bidx) FROM messages",
        v, sizeof v);
  CHECK_EQ_STR(v, "blobblobblobtextnullblobblob");
  query(db,
        "SELECT typeof(sms_fallback_url)||typeof(status_callback)||typeof(phone_bidx)||"
        "typeof(password) FROM phone_numbers, carriers",
        v, sizeof v);
  CHECK_EQ_STR(v, "textnullblobblob");
  query(db,
        "SELECT typeof(inbound_request_url)||typeof(fallback_url)||typeof(status_callback)"
        " FROM messaging_services",
        v, sizeof v);
  CHECK_EQ_STR(v, "blobnulltext");
  sqlite3_close(db);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("store_upgrade_at_rest");
}

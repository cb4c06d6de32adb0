/* The schema step for delivery ids (issue 11 item 9), run on a data
 * directory as the step before it left one: a message part and an early
 * receipt in the former tables (keyed by (carrier, smsc_id) alone) survive
 * the upgrade and still work; then early receipts expire after their time
 * to live and stay within their bound, with the times given to the write
 * (no waiting). */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/store.h"

static char dir[64];
static char path[128];
static const unsigned char test_master[32] = {4, 2};

/* `sql` runs without an error (the message says which, if not). */
static void exec_ok(sqlite3 *db, const char *sql) {
  char *err = NULL;
  CHECK_EQ_INT(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK);
  if (err) fprintf(stderr, "%s\n", err);
  sqlite3_free(err);
}

/* The first column of the first row of `sql` as an integer (-1: no row). */
static long long query_int(const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  long long v = -1;
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  CHECK_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static pp_err_t receipt(pp_store_t *s, const char *id, int64_t now, int64_t ttl, int64_t max) {
  pp_write_t w = {.kind = PP_W_RECEIPT};
  w.u.receipt = (pp_receipt_t){"c1", id, PP_DLR_DELIVERED, 0, now, 0, ttl, max};
  return pp_store_write(s, &w);
}

#define EARLY(id) "SELECT count(*) FROM early_receipts WHERE smsc_id='" id "'"

int main(void) {
  CHECK(sodium_init() >= 0);
  snprintf(dir, sizeof dir, "/tmp/pp-dlvids-XXXXXX");
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/pipit.db", dir);
  pp_store_t *s = NULL;
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  pp_store_free(s);

  /* Back to the tables as the step before left them, with a message `sent`
   * through one part and an early receipt. */
  sqlite3 *db = NULL;
  CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
  int version = (int)query_int("PRAGMA user_version");
  CHECK(version > 1);
  exec_ok(db,
          "DROP TABLE message_parts; DROP TABLE early_receipts;"
          "CREATE TABLE message_parts("
          " carrier TEXT NOT NULL, smsc_id TEXT NOT NULL, message_seq INTEGER NOT NULL,"
          " part INTEGER NOT NULL, parts INTEGER NOT NULL, state INTEGER NOT NULL,"
          " error_code INTEGER NOT NULL, PRIMARY KEY(carrier, smsc_id)) WITHOUT ROWID;"
          "CREATE INDEX message_parts_message ON message_parts(message_seq);"
          "CREATE TABLE early_receipts("
          " carrier TEXT NOT NULL, smsc_id TEXT NOT NULL, state INTEGER NOT NULL,"
          " error_code INTEGER NOT NULL, received_at INTEGER NOT NULL,"
          " PRIMARY KEY(carrier, smsc_id)) WITHOUT ROWID;"
          "INSERT INTO messages(seq,sid,account_sid,messaging_service_sid,to_addr,from_addr,"
          "body,media_urls,direction,status,num_media,num_segments,error_code,validity_period,"
          "date_created,date_updated,date_sent,send_at) VALUES(7,"
          "'SM0000000000000000000000000000000a','AC0000000000000000000000000000000a','','',"
          "'','','','outbound-api','sent',0,1,0,0,1,1,1,0);"
          "INSERT INTO message_parts VALUES('c1','old-part',7,1,1,0,0);"
          "INSERT INTO early_receipts VALUES('c1','early-old',2,0,1000);");
  char sql[64];
  /* The step is step 20 (docs/internals/store.md); every step after it
   * runs again too (the carrier's channel column, step 22, dropped first). */
  exec_ok(db, "ALTER TABLE carriers DROP COLUMN channel;");
  snprintf(sql, sizeof sql, "PRAGMA user_version=%d", 19);
  exec_ok(db, sql);
  sqlite3_close(db);

  /* The step runs; the rows are still there and still work. */
  CHECK_EQ_INT(pp_store_open(dir, test_master, &s), PP_OK);
  CHECK_EQ_INT(query_int("PRAGMA user_version"), version);
  CHECK_EQ_INT(query_int("SELECT count(*) FROM message_parts WHERE smsc_id='old-part' AND "
                         "message_seq=7 AND id>0"),
               1);
  CHECK_EQ_INT(query_int(EARLY("early-old")), 1);
  CHECK_EQ_INT(receipt(s, "old-part", 2000, 0, 0), PP_OK);
  CHECK_EQ_INT(query_int("SELECT status='delivered' FROM messages WHERE seq=7"), 1);

  /* Time to live: an early receipt put at 1000 is gone once one comes more
   * than ttl (60 s) later, not before. */
  CHECK_EQ_INT(receipt(s, "early-a", 1060, 60, 0), PP_OK);
  CHECK_EQ_INT(query_int(EARLY("early-old")), 1);
  CHECK_EQ_INT(receipt(s, "early-b", 1061, 60, 0), PP_OK);
  CHECK_EQ_INT(query_int(EARLY("early-old")), 0);
  CHECK_EQ_INT(query_int(EARLY("early-a")), 1);

  /* The bound: only the newest `max` stay. */
  CHECK_EQ_INT(receipt(s, "early-c", 1062, 60, 2), PP_OK);
  CHECK_EQ_INT(query_int("SELECT count(*) FROM early_receipts"), 2);
  CHECK_EQ_INT(query_int(EARLY("early-b")), 1);
  CHECK_EQ_INT(query_int(EARLY("early-c")), 1);
  for (int i = 0; i < 50; i++) {
    char id[16];
    snprintf(id, sizeof id, "flood-%d", i);
    CHECK_EQ_INT(receipt(s, id, 1063, 60, 10), PP_OK);
  }
  CHECK_EQ_INT(query_int("SELECT count(*) FROM early_receipts"), 10);
  CHECK_EQ_INT(query_int(EARLY("flood-49")), 1);
  pp_store_free(s);

  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_report("store_delivery_ids");
}

/* rotate.c: key rotation: every sealed column resealed with the newest key. */

#include "store/sqlite/sqlite_int.h"

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

pp_err_t sq_apply_reseal(conn_t *c, pp_reseal_t *rs) {
  rs->n = 0;
  rs->last = rs->after;
  if ((unsigned)rs->table >= PP_RESEAL__COUNT) return PP_ERR_INVALID_PARAM;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->db, reseal_sql[rs->table], -1, &st, NULL) != SQLITE_OK)
    return sq_db_err(c->db, "reseal");
  sq_bind_text(st, 1, rs->account_sid);
  sqlite3_bind_int64(st, 2, rs->after);
  sqlite3_bind_int64(st, 3, (int64_t)rs->limit);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st, 0);
    if (seq > rs->last) rs->last = seq;
    rs->n++;
  }
  pp_err_t e = rc == SQLITE_DONE ? PP_OK : sq_db_err(c->db, "reseal");
  sqlite3_finalize(st);
  /* The single-statement tables are done in one batch. */
  if (!e && (rs->table == PP_RESEAL_ACCOUNT || rs->table == PP_RESEAL_MO_PARTS)) rs->n = 0;
  return e;
}

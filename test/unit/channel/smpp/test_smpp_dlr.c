/* Delivery receipts: the Appendix B text as real SMSCs send it, message_state
 * values, and formatting for the development SMSC. */
#include "channel/smpp/dlr.h"
#include "check.h"

static pp_smpp_dlr_t parse_ok(const char *s) {
  pp_smpp_dlr_t d;
  memset(&d, 0, sizeof d);
  pp_err_t e = pp_smpp_dlr_parse(s, strlen(s), &d);
  if (e != PP_OK) fprintf(stderr, "  could not parse \"%s\"\n", s);
  CHECK_EQ_INT(e, PP_OK);
  return d;
}

static void test_variants(void) {
  /* Appendix B, as written. */
  pp_smpp_dlr_t d = parse_ok(
      "id:0123456789 sub:001 dlvrd:001 submit date:0610191018 done date:0610191018 "
      "stat:DELIVRD err:000 text:Hello World");
  CHECK_EQ_STR(d.id, "0123456789");
  CHECK_EQ_INT(d.sub, 1);
  CHECK_EQ_INT(d.dlvrd, 1);
  CHECK_EQ_STR(d.submit_date, "0610191018");
  CHECK_EQ_INT(d.submit_time, 1161253080); /* 2006-10-19 10:18 UTC */
  CHECK_EQ_INT(d.done_time, 1161253080);
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_DELIVERED);
  CHECK_EQ_STR(d.stat, "DELIVRD");
  CHECK_EQ_STR(d.err, "000");
  CHECK(d.text && d.text_len == 11 && memcmp(d.text, "Hello World", 11) == 0);
  CHECK_EQ_INT(d.fields, 0xFF);

  /* Capitalised keys, hexadecimal id (common with Kannel-fronted SMSCs). */
  d = parse_ok(
      "id:7220A1B5 Sub:001 Dlvrd:001 Submit date:1507031446 Done date:1507031447 "
      "Stat:DELIVRD Err:000 Text:test message");
  CHECK_EQ_STR(d.id, "7220A1B5");
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_DELIVERED);
  CHECK_EQ_INT(d.done_time - d.submit_time, 60);

  /* All upper case, seconds in the dates, UUID id, empty text. */
  d = parse_ok(
      "ID:5f1c2a9e-3b7d-4c1e-9a6f-0d2e8b7c4a13 SUB:001 DLVRD:000 "
      "SUBMIT DATE:230115103005 DONE DATE:230115103107 STAT:UNDELIV ERR:001 TEXT:");
  CHECK_EQ_STR(d.id, "5f1c2a9e-3b7d-4c1e-9a6f-0d2e8b7c4a13");
  CHECK_EQ_INT(d.dlvrd, 0);
  CHECK_EQ_STR(d.submit_date, "230115103005");
  CHECK_EQ_INT(d.done_time - d.submit_time, 62);
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_UNDELIVERABLE);
  CHECK_EQ_STR(d.err, "001");
  CHECK(d.fields & PP_SMPP_DLR_F_TEXT);
  CHECK_EQ_INT(d.text_len, 0);

  /* Only some fields. */
  d = parse_ok("id:12345 stat:EXPIRED");
  CHECK_EQ_INT(d.fields, PP_SMPP_DLR_F_ID | PP_SMPP_DLR_F_STAT);
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_EXPIRED);
  CHECK(d.text == NULL);

  /* Any order; id not first. */
  d = parse_ok("stat:REJECTD err:0b id:999 dlvrd:000 text:x");
  CHECK_EQ_STR(d.id, "999");
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_REJECTED);
  CHECK_EQ_STR(d.err, "0b");

  /* Underscores in the date keys. */
  d = parse_ok("id:1 submit_date:2301011200 done_date:2301011201 stat:ACCEPTD err:000");
  CHECK(d.fields & PP_SMPP_DLR_F_SUBMIT_DATE);
  CHECK(d.fields & PP_SMPP_DLR_F_DONE_DATE);
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_ACCEPTED);

  /* "text:" ends the fields, even when the text looks like fields. */
  d = parse_ok("id:5 stat:DELIVRD err:000 text:stat:UNDELIV id:6");
  CHECK_EQ_STR(d.id, "5");
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_DELIVERED);
  CHECK(d.text_len == 17 && memcmp(d.text, "stat:UNDELIV id:6", 17) == 0);

  /* Trailing CR LF and NUL; tabs between fields. */
  d = parse_ok("id:5\tstat:ENROUTE\r\n");
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_ENROUTE);
  {
    const char nul[] = "id:77 stat:DELIVRD\0\0";
    pp_smpp_dlr_t z;
    CHECK_EQ_INT(pp_smpp_dlr_parse(nul, sizeof nul - 1, &z), PP_OK);
    CHECK_EQ_STR(z.id, "77");
    CHECK_EQ_INT(z.state, PP_SMPP_DLR_DELIVERED);
  }

  /* A space after the colon. */
  d = parse_ok("id: 123 sub: 001 stat: DELIVRD err: 000");
  CHECK_EQ_STR(d.id, "123");
  CHECK_EQ_INT(d.sub, 1);
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_DELIVERED);
  /* ... but an empty value does not swallow the next field. */
  d = parse_ok("id:9 err: stat:DELIVRD");
  CHECK_EQ_STR(d.err, "");
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_DELIVERED);

  /* Full words and unknown states. */
  CHECK_EQ_INT(parse_ok("id:5 stat:DELIVERED").state, PP_SMPP_DLR_DELIVERED);
  CHECK_EQ_INT(parse_ok("id:5 stat:delivrd").state, PP_SMPP_DLR_DELIVERED);
  CHECK_EQ_INT(parse_ok("id:5 stat:Undeliverable").state, PP_SMPP_DLR_UNDELIVERABLE);
  CHECK_EQ_INT(parse_ok("id:5 stat:FAILED").state, PP_SMPP_DLR_UNDELIVERABLE);
  CHECK_EQ_INT(parse_ok("id:5 stat:DELETED").state, PP_SMPP_DLR_DELETED);
  CHECK_EQ_INT(parse_ok("id:5 stat:UNKNOWN").state, PP_SMPP_DLR_UNKNOWN);
  d = parse_ok("id:5 stat:WHATEVER_THIS_IS_LONG");
  CHECK_EQ_INT(d.state, PP_SMPP_DLR_UNKNOWN);
  CHECK_EQ_STR(d.stat, "WHATEVER_THIS_I");
  CHECK_EQ_INT(parse_ok("id:5 stat:").state, PP_SMPP_DLR_NONE);
  CHECK_EQ_INT(parse_ok("id:5").state, PP_SMPP_DLR_NONE);

  /* Bad values are left out, the rest kept. */
  d = parse_ok("id:5 sub:x1 dlvrd:-1 submit date:2313011200 done date:24022912 stat:DELIVRD");
  CHECK_EQ_INT(d.fields, PP_SMPP_DLR_F_ID | PP_SMPP_DLR_F_STAT);
  d = parse_ok("id:5 submit date:2302291200 done date:2402291200");
  CHECK_EQ_INT(d.fields, PP_SMPP_DLR_F_ID | PP_SMPP_DLR_F_DONE_DATE); /* 2023 is not leap */
  CHECK_EQ_INT(d.done_time, 1709208000);                              /* 2024-02-29 12:00 */
  d = parse_ok("id:5 done date:2412312359 submit date:0001010000");
  CHECK_EQ_INT(d.done_time, 1735689540);  /* 2024-12-31 23:59 */
  CHECK_EQ_INT(d.submit_time, 946684800); /* 2000-01-01 */
  /* Words that are not fields are skipped. */
  d = parse_ok("Receipt: id:42 foo:bar stat:DELIVRD");
  CHECK_EQ_STR(d.id, "42");

  /* Not a receipt. */
  pp_smpp_dlr_t z;
  memset(&z, 0x5A, sizeof z);
  CHECK_EQ_INT(pp_smpp_dlr_parse("Hello there, see you at 10:30", 29, &z), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_dlr_parse("", 0, &z), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_dlr_parse("identity:5 status:ok", 20, &z), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(z.fields, 0x5A5A5A5A); /* untouched */
  /* An id longer than a message_id can be. */
  char longid[100] = "id:";
  memset(longid + 3, '7', 65);
  longid[68] = '\0';
  CHECK_EQ_INT(pp_smpp_dlr_parse(longid, strlen(longid), &z), PP_ERR_BAD_REQUEST);
  longid[67] = '\0';
  CHECK_EQ_INT(pp_smpp_dlr_parse(longid, strlen(longid), &z), PP_OK);
  CHECK_EQ_INT(strlen(z.id), 64);
  /* Truncated keys at the end of the input. */
  CHECK_EQ_INT(pp_smpp_dlr_parse("id", 2, &z), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_dlr_parse("id:", 3, &z), PP_ERR_BAD_REQUEST);
  CHECK_EQ_INT(pp_smpp_dlr_parse("stat:", 5, &z), PP_OK);
}

static void test_states(void) {
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(1), PP_SMPP_DLR_ENROUTE);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(2), PP_SMPP_DLR_DELIVERED);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(3), PP_SMPP_DLR_EXPIRED);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(4), PP_SMPP_DLR_DELETED);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(5), PP_SMPP_DLR_UNDELIVERABLE);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(6), PP_SMPP_DLR_ACCEPTED);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(7), PP_SMPP_DLR_UNKNOWN);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(8), PP_SMPP_DLR_REJECTED);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(0), PP_SMPP_DLR_ENROUTE);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(9), PP_SMPP_DLR_UNDELIVERABLE);
  CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state(200), PP_SMPP_DLR_UNKNOWN);
  /* stat text and message_state agree for every state. */
  for (int s = PP_SMPP_DLR_ENROUTE; s <= PP_SMPP_DLR_REJECTED; s++) {
    const char *st = pp_smpp_dlr_state_stat((pp_smpp_dlr_state_t)s);
    CHECK_EQ_INT(strlen(st), 7);
    CHECK_EQ_INT(pp_smpp_dlr_state_from_stat(st, 7), s);
    CHECK_EQ_INT(pp_smpp_dlr_state_message_state((pp_smpp_dlr_state_t)s), s);
    CHECK_EQ_INT(pp_smpp_dlr_state_from_message_state((uint8_t)s), s);
  }
  CHECK_EQ_STR(pp_smpp_dlr_state_stat(PP_SMPP_DLR_NONE), "");
  CHECK_EQ_INT(pp_smpp_dlr_state_message_state(PP_SMPP_DLR_NONE), 7);
  CHECK(pp_smpp_dlr_state_final(PP_SMPP_DLR_DELIVERED));
  CHECK(pp_smpp_dlr_state_final(PP_SMPP_DLR_REJECTED));
  CHECK(!pp_smpp_dlr_state_final(PP_SMPP_DLR_ENROUTE));
  CHECK(!pp_smpp_dlr_state_final(PP_SMPP_DLR_NONE));
}

static void test_format(void) {
  pp_smpp_dlr_t d;
  memset(&d, 0, sizeof d);
  d.fields = 0xFF;
  strcpy(d.id, "abc123");
  d.sub = 1;
  d.dlvrd = 1;
  strcpy(d.submit_date, "2401011200");
  strcpy(d.done_date, "2401011201");
  d.state = PP_SMPP_DLR_DELIVERED;
  strcpy(d.err, "000");
  d.text = "Your code is 123456, valid for 10 minutes";
  d.text_len = strlen(d.text);
  char out[256];
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, sizeof out), PP_OK);
  CHECK_EQ_STR(out,
               "id:abc123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 "
               "stat:DELIVRD err:000 text:Your code is 123456,");
  /* And back. */
  pp_smpp_dlr_t p;
  CHECK_EQ_INT(pp_smpp_dlr_parse(out, strlen(out), &p), PP_OK);
  CHECK_EQ_STR(p.id, "abc123");
  CHECK_EQ_INT(p.state, PP_SMPP_DLR_DELIVERED);
  CHECK_EQ_INT(p.submit_time, 1704110400);
  CHECK_EQ_INT(p.fields, 0xFF);
  /* 20 bytes, never inside a character: "ééééééééééé" is 2 bytes each. */
  d.text = "ééééééééééééé";
  d.text_len = strlen(d.text);
  d.fields = PP_SMPP_DLR_F_TEXT;
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, sizeof out), PP_OK);
  CHECK_EQ_STR(out, "text:éééééééééé");
  d.text = "éééééééééé\xc3";
  d.text_len = strlen(d.text);
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, sizeof out), PP_OK);
  d.text = "aéééééééééé";
  d.text_len = strlen(d.text);
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, sizeof out), PP_OK);
  CHECK_EQ_STR(out, "text:aééééééééé"); /* 19 bytes */
  /* Too small. */
  d.fields = PP_SMPP_DLR_F_ID;
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, 9), PP_ERR_TOO_BIG);
  CHECK_EQ_STR(out, "");
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, 10), PP_OK);
  CHECK_EQ_STR(out, "id:abc123");
  d.fields = 0;
  CHECK_EQ_INT(pp_smpp_dlr_format(&d, out, 1), PP_OK);
  CHECK_EQ_STR(out, "");
}

int main(void) {
  test_variants();
  test_states();
  test_format();
  return check_report("smpp_dlr");
}

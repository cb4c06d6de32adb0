/* fuzz_twiml.c: pp_twiml_parse, pp_twiml_parse_text and
 * pp_twiml_content_type (src/hook/twiml.h) on arbitrary bytes, as a
 * customer's webhook may answer anything.
 *
 * Checked:
 *  - the result is PP_OK, PP_ERR_TWIML_PARSE or PP_ERR_BODY_TOO_LONG (the
 *    arena's default cap is never reached at these sizes); a failure leaves
 *    the output untouched and says why in a NUL-terminated `why`;
 *  - a success keeps every limit: at most 10 messages and one <Redirect>,
 *    which is last; bodies valid UTF-8 of at most 1600 code points; at most
 *    10 media per message, none empty; body, media, URL and attributes
 *    trimmed; method GET or POST; the warning fields agree with each other;
 *  - written back out as TwiML (text escaped), the verbs parse again to the
 *    same verbs with no warning;
 *  - parsing again into an arena capped at 1 KiB gives the same outcome or
 *    PP_ERR_NOMEM, never another result;
 *  - input that is blank gives no verbs; input whose first non-blank byte
 *    is not '<' (nor a byte order mark) is refused;
 *  - as text/plain: a reference decides between no verbs, one message with
 *    the trimmed text, PP_ERR_TWIML_PARSE (not UTF-8 or a NUL byte) and
 *    PP_ERR_BODY_TOO_LONG;
 *  - as a Content-Type value: the class a reference gives. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "fuzz_check.h"
#include "hook/twiml.h"

static bool blank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Strict UTF-8; counts code points into *n. */
static bool ref_utf8(const unsigned char *s, size_t len, size_t *n) {
  size_t i = 0;
  *n = 0;
  while (i < len) {
    unsigned c = s[i];
    size_t k;
    unsigned cp, min;
    if (c < 0x80)
      k = 0, cp = c, min = 0;
    else if ((c & 0xE0) == 0xC0)
      k = 1, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
      k = 2, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
      k = 3, cp = c & 0x07, min = 0x10000;
    else
      return false;
    if (len - i <= k) return false;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += k + 1;
    (*n)++;
  }
  return true;
}

static bool is_trimmed(const char *s) {
  size_t n = strlen(s);
  return n == 0 || (!blank((unsigned char)s[0]) && !blank((unsigned char)s[n - 1]));
}

static void check_string(const char *what, const char *s, bool may_be_null) {
  FUZZ_CHECK(s || may_be_null, "%s is NULL", what);
  if (!s) return;
  size_t chars;
  FUZZ_CHECK(ref_utf8((const unsigned char *)s, strlen(s), &chars), "%s is not UTF-8", what);
  FUZZ_CHECK(is_trimmed(s), "%s is not trimmed: \"%s\"", what, s);
}

static void check_result(const pp_twiml_t *t) {
  size_t messages = 0;
  FUZZ_CHECK(t->n <= PP_TWIML_MAX_MESSAGES + 1, "%zu verbs", t->n);
  FUZZ_CHECK((t->n == 0) == (t->verbs == NULL), "verbs %p with n %zu", (void *)t->verbs, t->n);
  for (size_t i = 0; i < t->n; i++) {
    const pp_twiml_verb_t *v = &t->verbs[i];
    FUZZ_CHECK(v->method == PP_TWIML_GET || v->method == PP_TWIML_POST, "method %d", v->method);
    if (v->kind == PP_TWIML_REDIRECT) {
      FUZZ_CHECK(i == t->n - 1, "a <Redirect> at %zu of %zu", i, t->n);
      check_string("url", v->url, false);
      FUZZ_CHECK(v->body == NULL && v->n_media == 0 && v->to == NULL,
                 "a message field on a redirect");
      continue;
    }
    FUZZ_CHECK(v->kind == PP_TWIML_MESSAGE, "kind %d", v->kind);
    messages++;
    check_string("body", v->body, false);
    size_t chars;
    ref_utf8((const unsigned char *)v->body, strlen(v->body), &chars);
    FUZZ_CHECK(chars <= PP_TWIML_MAX_BODY_CHARS, "body of %zu chars", chars);
    FUZZ_CHECK(v->n_media <= PP_TWIML_MAX_MEDIA, "%zu media", v->n_media);
    FUZZ_CHECK((v->n_media == 0) == (v->media == NULL), "media %p, n_media %zu", (void *)v->media,
               v->n_media);
    for (size_t m = 0; m < v->n_media; m++) {
      check_string("media", v->media[m], false);
      FUZZ_CHECK(v->media[m][0] != '\0', "an empty media URL");
    }
    check_string("to", v->to, true);
    check_string("from", v->from, true);
    check_string("action", v->action, true);
    check_string("statusCallback", v->status_callback, true);
    FUZZ_CHECK(v->url == NULL, "a url on a message");
  }
  FUZZ_CHECK(messages <= PP_TWIML_MAX_MESSAGES, "%zu messages", messages);
  FUZZ_CHECK(t->warning_detail != NULL, "warning_detail NULL");
  FUZZ_CHECK((t->n_warnings == 0) == (t->warning == PP_OK), "%zu warnings, first %d", t->n_warnings,
             (int)t->warning);
  FUZZ_CHECK((t->n_warnings == 0) == (t->warning_detail[0] == '\0'), "detail \"%s\"",
             t->warning_detail);
  FUZZ_CHECK(t->warning == PP_OK || t->warning == PP_ERR_TWIML_SCHEMA ||
                 t->warning == PP_ERR_TWIML_VERB || t->warning == PP_ERR_TWIML_MESSAGE_LIMIT,
             "warning %d", (int)t->warning);
}

/* Appends `s` as XML text or attribute content: markup characters and the
 * whitespace XML would normalize (CR in text; tab, LF, CR in attributes)
 * as character references. */
static void put_escaped(pp_buf_t *b, const char *s) {
  static const char *const ref[128] = {
      ['&'] = "&amp;", ['<'] = "&lt;",   ['>'] = "&gt;",  ['"'] = "&quot;",
      ['\t'] = "&#9;", ['\n'] = "&#10;", ['\r'] = "&#13;"};
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 128 && ref[c])
      pp_buf_puts(b, ref[c]);
    else
      pp_buf_putc(b, *s);
  }
}

static void put_attr(pp_buf_t *b, const char *name, const char *value) {
  if (!value) return;
  pp_buf_printf(b, " %s=\"", name);
  put_escaped(b, value);
  pp_buf_putc(b, '"');
}

static void write_twiml(pp_buf_t *b, const pp_twiml_t *t) {
  pp_buf_puts(b, "<Response>");
  for (size_t i = 0; i < t->n; i++) {
    const pp_twiml_verb_t *v = &t->verbs[i];
    const char *method = v->method == PP_TWIML_GET ? "GET" : "POST";
    if (v->kind == PP_TWIML_REDIRECT) {
      pp_buf_printf(b, "<Redirect method=\"%s\">", method);
      put_escaped(b, v->url);
      pp_buf_puts(b, "</Redirect>");
      continue;
    }
    pp_buf_puts(b, "<Message");
    put_attr(b, "to", v->to);
    put_attr(b, "from", v->from);
    put_attr(b, "action", v->action);
    put_attr(b, "statusCallback", v->status_callback);
    pp_buf_printf(b, " method=\"%s\"><Body>", method);
    put_escaped(b, v->body);
    pp_buf_puts(b, "</Body>");
    for (size_t m = 0; m < v->n_media; m++) {
      pp_buf_puts(b, "<Media>");
      put_escaped(b, v->media[m]);
      pp_buf_puts(b, "</Media>");
    }
    pp_buf_puts(b, "</Message>");
  }
  pp_buf_puts(b, "</Response>");
}

static bool same_str(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_verbs(const pp_twiml_t *x, const pp_twiml_t *y) {
  if (x->n != y->n) return false;
  for (size_t i = 0; i < x->n; i++) {
    const pp_twiml_verb_t *a = &x->verbs[i], *b = &y->verbs[i];
    if (a->kind != b->kind || a->method != b->method || a->n_media != b->n_media ||
        !same_str(a->body, b->body) || !same_str(a->url, b->url) || !same_str(a->to, b->to) ||
        !same_str(a->from, b->from) || !same_str(a->action, b->action) ||
        !same_str(a->status_callback, b->status_callback))
      return false;
    for (size_t m = 0; m < a->n_media; m++)
      if (strcmp(a->media[m], b->media[m]) != 0) return false;
  }
  return true;
}

static void check_content_type(const uint8_t *data, size_t size) {
  char *ct = malloc(size + 1);
  if (!ct) abort();
  memcpy(ct, data, size);
  ct[size] = '\0';
  /* Reference: up to ';', spaces and tabs trimmed, one of four names. */
  const char *s = ct;
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strcspn(s, ";");
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  int want = -1;
  if ((n == 8 && strncasecmp(s, "text/xml", n) == 0) ||
      (n == 15 && strncasecmp(s, "application/xml", n) == 0) ||
      (n == 9 && strncasecmp(s, "text/html", n) == 0))
    want = PP_TWIML_CT_XML;
  else if (n == 10 && strncasecmp(s, "text/plain", n) == 0)
    want = PP_TWIML_CT_TEXT;
  pp_twiml_ct_t kind = (pp_twiml_ct_t)99;
  pp_err_t e = pp_twiml_content_type(ct, &kind);
  FUZZ_CHECK(e == (want < 0 ? PP_ERR_TWIML_CONTENT_TYPE : PP_OK), "content type error %d", (int)e);
  FUZZ_CHECK((int)kind == (want < 0 ? 99 : want), "content type kind %d, want %d", (int)kind, want);
  free(ct);
}

static void check_text(const char *s, size_t size, pp_arena_t *a) {
  size_t lo = 0, hi = size, chars = 0;
  while (lo < hi && blank((unsigned char)s[lo])) lo++;
  while (hi > lo && blank((unsigned char)s[hi - 1])) hi--;
  pp_err_t want = PP_OK;
  if (lo == hi)
    want = PP_OK;
  else if (memchr(s, '\0', size) || !ref_utf8((const unsigned char *)s, size, &chars))
    want = PP_ERR_TWIML_PARSE;
  else {
    ref_utf8((const unsigned char *)s + lo, hi - lo, &chars);
    if (chars > PP_TWIML_MAX_BODY_CHARS) want = PP_ERR_BODY_TOO_LONG;
  }
  pp_twiml_t t;
  memset(&t, 0x33, sizeof t);
  char why[PP_TWIML_WHY_SIZE] = "";
  pp_err_t e = pp_twiml_parse_text(s, size, a, &t, why);
  FUZZ_CHECK(e == want, "text: error %d, expected %d", (int)e, (int)want);
  if (e != PP_OK) {
    FUZZ_CHECK(why[0] != '\0', "text: no why");
    return;
  }
  FUZZ_CHECK(t.n == (lo == hi ? 0u : 1u), "text: %zu verbs", t.n);
  if (t.n) {
    FUZZ_CHECK(strlen(t.verbs[0].body) == hi - lo && memcmp(t.verbs[0].body, s + lo, hi - lo) == 0,
               "text: body is not the trimmed input");
    FUZZ_CHECK(t.verbs[0].kind == PP_TWIML_MESSAGE && !t.verbs[0].to && !t.verbs[0].n_media,
               "text: not a bare message");
  }
  check_result(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  pp_arena_t *a = malloc(sizeof *a), *small = malloc(sizeof *small);
  if (!a || !small) abort();
  pp_arena_init(a, 0);

  pp_twiml_t t, before;
  memset(&t, 0x5a, sizeof t);
  before = t;
  char why[PP_TWIML_WHY_SIZE];
  memset(why, 0, sizeof why);
  pp_err_t e = pp_twiml_parse(s, size, a, &t, why);
  FUZZ_CHECK(e == PP_OK || e == PP_ERR_TWIML_PARSE || e == PP_ERR_BODY_TOO_LONG, "error %d",
             (int)e);

  size_t lo = 0;
  while (lo < size && blank(data[lo])) lo++;
  if (lo == size) FUZZ_CHECK(e == PP_OK && t.n == 0, "blank input: error %d", (int)e);
  /* XML starts with '<' after blanks, unless UTF-16 (a NUL byte next to the
   * '<', or a byte order mark) or a UTF-8 byte order mark. */
  if (lo < size && data[lo] != '<' && data[lo] != 0 && data[lo] != 0xEF && data[lo] != 0xFE &&
      data[lo] != 0xFF)
    FUZZ_CHECK(e == PP_ERR_TWIML_PARSE, "text before any markup accepted");

  if (e != PP_OK) {
    FUZZ_CHECK(memcmp(&t, &before, sizeof t) == 0, "output written on error %d", (int)e);
    FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof why), "why empty or unterminated");
  } else {
    check_result(&t);

    /* Written back out and parsed again: the same verbs, no warning. */
    pp_buf_t b;
    pp_buf_init(&b, 0);
    write_twiml(&b, &t);
    FUZZ_CHECK(pp_buf_status(&b) == PP_OK, "buffer failed");
    pp_twiml_t again;
    char why2[PP_TWIML_WHY_SIZE] = "";
    pp_err_t e2 = pp_twiml_parse(b.data, b.len, a, &again, why2);
    FUZZ_CHECK(e2 == PP_OK, "the written TwiML fails: %d (%s): %s", (int)e2, why2, b.data);
    FUZZ_CHECK(again.n_warnings == 0, "the written TwiML warns: %s", again.warning_detail);
    FUZZ_CHECK(same_verbs(&t, &again), "the written TwiML reads differently: %s", b.data);
    pp_buf_cleanup(&b);
  }

  /* A small arena: the same outcome, or out of memory. */
  pp_arena_init(small, 1024);
  pp_twiml_t ts;
  pp_err_t es = pp_twiml_parse(s, size, small, &ts, NULL);
  FUZZ_CHECK(es == e || es == PP_ERR_NOMEM, "small arena: error %d, full arena %d", (int)es,
             (int)e);
  if (es == PP_OK) FUZZ_CHECK(same_verbs(&t, &ts), "small arena: other verbs");
  pp_arena_cleanup(small);

  check_text(s, size, a);
  check_content_type(data, size);

  pp_arena_cleanup(a);
  free(a);
  free(small);
  return 0;
}

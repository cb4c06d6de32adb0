/* twiml.c: messaging TwiML read with expat's callbacks into a small state
 * machine (one verb at a time), text/plain replies, and the Content-Type
 * check; see twiml.h. */
#include "hook/twiml.h"

#include <expat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/segments.h"

/* Ten messages and the <Redirect> that ends the list. */
#define MAX_VERBS (PP_TWIML_MAX_MESSAGES + 1)

/* Text may grow past the input's size when expat decodes UTF-16 or
 * ISO-8859-1 into UTF-8, but never past twice it. */
#define TEXT_CAP (2 * PP_TWIML_MAX_INPUT + 16)

/* ---- Strings -------------------------------------------------------------- */

/* XML's whitespace; no other byte below 0x21 can appear in XML text. */
static bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool all_space(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_space((unsigned char)s[i])) return false;
  return true;
}

/* Copies `n` bytes of `s` into the arena without leading and trailing
 * whitespace. */
static char *trimmed(pp_arena_t *a, const char *s, size_t n) {
  while (n && is_space((unsigned char)*s)) s++, n--;
  while (n && is_space((unsigned char)s[n - 1])) n--;
  return pp_arena_strndup(a, n ? s : "", n);
}

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF)
      need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
      need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
      need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
      return false;
    if (n - i <= need) return false;
    for (size_t j = 1; j <= need; j++) {
      if (s[i + j] < lo || s[i + j] > hi) return false;
      lo = 0x80;
      hi = 0xBF;
    }
    i += need + 1;
  }
  return true;
}

static size_t chars(const char *s) {
  pp_segments_t seg;
  pp_segments_count(s, strlen(s), &seg);
  return seg.chars;
}

static void set_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(char *why, const char *fmt, ...) {
  if (!why) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, PP_TWIML_WHY_SIZE, fmt, ap);
  va_end(ap);
}

/* ---- Content-Type ---------------------------------------------------------- */

pp_err_t pp_twiml_content_type(const char *content_type, pp_twiml_ct_t *kind) {
  static const struct {
    const char *type;
    pp_twiml_ct_t kind;
  } types[] = {{"text/xml", PP_TWIML_CT_XML},
               {"application/xml", PP_TWIML_CT_XML},
               {"text/html", PP_TWIML_CT_XML},
               {"text/plain", PP_TWIML_CT_TEXT}};
  if (!content_type) return PP_ERR_TWIML_CONTENT_TYPE;
  const char *s = content_type;
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strcspn(s, ";");
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strlen(types[i].type) == n && strncasecmp(s, types[i].type, n) == 0) {
      *kind = types[i].kind;
      return PP_OK;
    }
  }
  return PP_ERR_TWIML_CONTENT_TYPE;
}

/* ---- The parser's state ------------------------------------------------------ */

/* Where character data goes. */
typedef enum { T_NONE, T_RESPONSE, T_MESSAGE, T_REDIRECT, T_BODY, T_MEDIA } target_t;

typedef struct {
  XML_Parser xp;
  pp_arena_t *arena;
  pp_err_t err; /* the first fatal error; the parser is stopped */
  char why[PP_TWIML_WHY_SIZE];
  int depth;       /* of the innermost open element; <Response> is 1 */
  int skip;        /* not 0: the depth of the element being skipped */
  bool redirected; /* a <Redirect> was read: later verbs are dropped */
  target_t target;
  bool stray_warned; /* stray text reported since the last tag */
  /* The verb being read. */
  pp_twiml_verb_t cur;
  bool nouns; /* it has a <Body> or <Media> */
  bool has_body;
  pp_buf_t direct; /* text directly in <Message> or <Redirect> */
  pp_buf_t noun;   /* text of the <Body> or <Media> being read */
  const char *media[PP_TWIML_MAX_MEDIA];
  size_t n_media;
  /* Results. */
  pp_twiml_verb_t verbs[MAX_VERBS];
  size_t n, n_messages;
  pp_err_t warning;
  char warning_detail[PP_TWIML_WHY_SIZE];
  size_t n_warnings;
} st_t;

static void fail(st_t *s, pp_err_t e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(st_t *s, pp_err_t e, const char *fmt, ...) {
  if (s->err != PP_OK) return;
  s->err = e;
  int k = snprintf(s->why, sizeof s->why,
                   "line %lu, column %lu: ", (unsigned long)XML_GetCurrentLineNumber(s->xp),
                   (unsigned long)XML_GetCurrentColumnNumber(s->xp));
  if (k < 0 || (size_t)k >= sizeof s->why) k = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->why + k, sizeof s->why - (size_t)k, fmt, ap);
  va_end(ap);
  XML_StopParser(s->xp, XML_FALSE);
}

static void warn(st_t *s, pp_err_t e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn(st_t *s, pp_err_t e, const char *fmt, ...) {
  if (s->n_warnings++) return;
  s->warning = e;
  int k = snprintf(s->warning_detail, sizeof s->warning_detail,
                   "line %lu: ", (unsigned long)XML_GetCurrentLineNumber(s->xp));
  if (k < 0 || (size_t)k >= sizeof s->warning_detail) k = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->warning_detail + k, sizeof s->warning_detail - (size_t)k, fmt, ap);
  va_end(ap);
}

static void skip_element(st_t *s) {
  s->skip = s->depth;
}

static void reset_buf(pp_buf_t *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

/* Copies a trimmed attribute value into the arena; false when out of
 * memory (the parser is stopped then). */
static bool take(st_t *s, const char **dst, const char *value) {
  *dst = trimmed(s->arena, value, strlen(value));
  if (!*dst) fail(s, PP_ERR_NOMEM, "out of memory");
  return *dst != NULL;
}

static void take_method(st_t *s, const char *name, const char *value) {
  const char *v = trimmed(s->arena, value, strlen(value));
  if (!v) {
    fail(s, PP_ERR_NOMEM, "out of memory");
  } else if (strcasecmp(v, "GET") == 0) {
    s->cur.method = PP_TWIML_GET;
  } else if (strcasecmp(v, "POST") == 0) {
    s->cur.method = PP_TWIML_POST;
  } else {
    s->cur.method = PP_TWIML_POST;
    warn(s, PP_ERR_TWIML_SCHEMA, "method \"%.40s\" on <%s> is neither GET nor POST; POST used", v,
         name);
  }
}

static void no_attributes(st_t *s, const char *name, const char **atts) {
  if (atts[0]) warn(s, PP_ERR_TWIML_SCHEMA, "attribute %.40s on <%s> ignored", atts[0], name);
}

/* ---- Elements ------------------------------------------------------------------ */

static void start_verb(st_t *s, const char *name, const char **atts) {
  bool message = strcmp(name, "Message") == 0 || strcmp(name, "Sms") == 0;
  if (s->redirected) { /* never reached */
    skip_element(s);
    return;
  }
  if (!message && strcmp(name, "Redirect") != 0) {
    warn(s, PP_ERR_TWIML_VERB, "<%.40s> skipped: a reply may hold <Message> and <Redirect>", name);
    skip_element(s);
    return;
  }
  if (message && s->n_messages == PP_TWIML_MAX_MESSAGES) {
    warn(s, PP_ERR_TWIML_MESSAGE_LIMIT, "<%s> after the first %d skipped", name,
         PP_TWIML_MAX_MESSAGES);
    skip_element(s);
    return;
  }
  memset(&s->cur, 0, sizeof s->cur);
  s->cur.kind = message ? PP_TWIML_MESSAGE : PP_TWIML_REDIRECT;
  s->cur.method = PP_TWIML_POST;
  s->nouns = s->has_body = false;
  s->n_media = 0;
  reset_buf(&s->direct);
  s->target = message ? T_MESSAGE : T_REDIRECT;
  for (size_t i = 0; atts[i] && s->err == PP_OK; i += 2) {
    const char *k = atts[i], *v = atts[i + 1];
    if (strcmp(k, "method") == 0)
      take_method(s, name, v);
    else if (message && strcmp(k, "to") == 0)
      take(s, &s->cur.to, v);
    else if (message && strcmp(k, "from") == 0)
      take(s, &s->cur.from, v);
    else if (message && strcmp(k, "action") == 0)
      take(s, &s->cur.action, v);
    else if (message && strcmp(k, "statusCallback") == 0)
      take(s, &s->cur.status_callback, v);
    else
      warn(s, PP_ERR_TWIML_SCHEMA, "attribute %.40s on <%s> ignored", k, name);
  }
}

static void start_noun(st_t *s, const char *name, const char **atts) {
  bool body = strcmp(name, "Body") == 0;
  if (!body && strcmp(name, "Media") != 0) {
    warn(s, PP_ERR_TWIML_SCHEMA, "<%.40s> inside <Message> skipped", name);
    skip_element(s);
    return;
  }
  if (body && s->has_body) {
    warn(s, PP_ERR_TWIML_SCHEMA, "a second <Body> in one <Message> skipped");
    skip_element(s);
    return;
  }
  if (!body && s->n_media == PP_TWIML_MAX_MEDIA) {
    fail(s, PP_ERR_TWIML_PARSE, "more than %d <Media> in one <Message>", PP_TWIML_MAX_MEDIA);
    return;
  }
  no_attributes(s, name, atts);
  s->nouns = true;
  s->has_body |= body;
  reset_buf(&s->noun);
  s->target = body ? T_BODY : T_MEDIA;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  st_t *s = ud;
  if (s->err != PP_OK) return;
  s->depth++;
  s->stray_warned = false;
  if (s->depth > PP_TWIML_MAX_DEPTH) {
    fail(s, PP_ERR_TWIML_PARSE, "elements nested deeper than %d", PP_TWIML_MAX_DEPTH);
    return;
  }
  if (s->skip) return;
  if (s->depth == 1) {
    if (strcmp(name, "Response") != 0) {
      fail(s, PP_ERR_TWIML_PARSE, "the root element is <%.40s>, not <Response>", name);
      return;
    }
    no_attributes(s, name, atts);
    s->target = T_RESPONSE;
  } else if (s->depth == 2) {
    start_verb(s, name, atts);
  } else if (s->depth == 3 && s->target == T_MESSAGE) {
    start_noun(s, name, atts);
  } else {
    warn(s, PP_ERR_TWIML_SCHEMA, "<%.40s> inside <%s> skipped", name,
         s->target == T_REDIRECT ? "Redirect"
         : s->target == T_BODY   ? "Body"
                                 : "Media");
    skip_element(s);
  }
}

static void end_noun(st_t *s) {
  if (pp_buf_status(&s->noun) != PP_OK) {
    fail(s, PP_ERR_NOMEM, "out of memory");
    return;
  }
  const char *t = trimmed(s->arena, s->noun.data ? s->noun.data : "", s->noun.len);
  if (!t) {
    fail(s, PP_ERR_NOMEM, "out of memory");
  } else if (s->target == T_BODY) {
    s->cur.body = t;
  } else if (!*t) {
    warn(s, PP_ERR_TWIML_SCHEMA, "an empty <Media> skipped");
  } else {
    s->media[s->n_media++] = t;
  }
  s->target = T_MESSAGE;
}

static void end_verb(st_t *s) {
  s->target = T_RESPONSE;
  if (pp_buf_status(&s->direct) != PP_OK) {
    fail(s, PP_ERR_NOMEM, "out of memory");
    return;
  }
  const char *text = s->direct.data ? s->direct.data : "";
  pp_twiml_verb_t *v = &s->cur;
  if (v->kind == PP_TWIML_REDIRECT) {
    if (!(v->url = trimmed(s->arena, text, s->direct.len))) {
      fail(s, PP_ERR_NOMEM, "out of memory");
      return;
    }
    s->redirected = true;
  } else {
    if (s->nouns) {
      if (!all_space(text, s->direct.len))
        warn(s, PP_ERR_TWIML_SCHEMA, "text beside <Body> or <Media> in <Message> ignored");
      if (!v->body) v->body = "";
    } else if (!(v->body = trimmed(s->arena, text, s->direct.len))) {
      fail(s, PP_ERR_NOMEM, "out of memory");
      return;
    }
    size_t c = chars(v->body);
    if (c > PP_TWIML_MAX_BODY_CHARS) {
      fail(s, PP_ERR_BODY_TOO_LONG, "<Message> %zu has %zu characters, more than %d",
           s->n_messages + 1, c, PP_TWIML_MAX_BODY_CHARS);
      return;
    }
    if (s->n_media) {
      const char **m = pp_arena_alloc(s->arena, s->n_media * sizeof *m);
      if (!m) {
        fail(s, PP_ERR_NOMEM, "out of memory");
        return;
      }
      memcpy(m, s->media, s->n_media * sizeof *m);
      v->media = m;
      v->n_media = s->n_media;
    }
    s->n_messages++;
  }
  s->verbs[s->n++] = *v;
}

static void on_end(void *ud, const XML_Char *name) {
  st_t *s = ud;
  (void)name; /* expat has checked that it matches the start tag */
  if (s->err != PP_OK) return;
  int d = s->depth--;
  s->stray_warned = false;
  if (s->skip) {
    if (s->skip == d) s->skip = 0;
    return;
  }
  if (d == 3)
    end_noun(s);
  else if (d == 2)
    end_verb(s);
  else if (d == 1)
    s->target = T_NONE;
}

static void on_text(void *ud, const XML_Char *t, int len) {
  st_t *s = ud;
  if (s->err != PP_OK || s->skip || len <= 0) return;
  switch (s->target) {
    case T_MESSAGE:
    case T_REDIRECT:
      pp_buf_append(&s->direct, t, (size_t)len);
      break;
    case T_BODY:
    case T_MEDIA:
      pp_buf_append(&s->noun, t, (size_t)len);
      break;
    case T_RESPONSE:
      if (!s->stray_warned && !all_space(t, (size_t)len)) {
        warn(s, PP_ERR_TWIML_SCHEMA, "text outside a verb ignored");
        s->stray_warned = true;
      }
      break;
    case T_NONE:
      break;
  }
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal_subset) {
  (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
  fail(ud, PP_ERR_TWIML_PARSE, "a DOCTYPE is not allowed");
}

static void on_entity_decl(void *ud, const XML_Char *name, int is_parameter_entity,
                           const XML_Char *value, int value_length, const XML_Char *base,
                           const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation) {
  (void)name, (void)is_parameter_entity, (void)value, (void)value_length, (void)base;
  (void)sysid, (void)pubid, (void)notation;
  fail(ud, PP_ERR_TWIML_PARSE, "an entity declaration is not allowed");
}

/* ---- Entry points ----------------------------------------------------------------- */

static pp_err_t finish(pp_arena_t *arena, const pp_twiml_verb_t *verbs, size_t n, pp_err_t warning,
                       const char *detail, size_t n_warnings, pp_twiml_t *out) {
  pp_twiml_t r = {.warning = warning, .n_warnings = n_warnings, .n = n};
  if (n) {
    pp_twiml_verb_t *v = pp_arena_alloc(arena, n * sizeof *v);
    if (!v) return PP_ERR_NOMEM;
    memcpy(v, verbs, n * sizeof *v);
    r.verbs = v;
  }
  if (!(r.warning_detail = pp_arena_strdup(arena, detail))) return PP_ERR_NOMEM;
  *out = r;
  return PP_OK;
}

/* Whether a reply of `len` bytes is more than a parser takes (why says). */
static bool too_long(size_t len, char *why) {
  if (len <= PP_TWIML_MAX_INPUT) return false;
  set_why(why, "the reply has %zu bytes, more than %d", len, PP_TWIML_MAX_INPUT);
  return true;
}

pp_err_t pp_twiml_parse(const char *xml, size_t len, pp_arena_t *arena, pp_twiml_t *out,
                        char *why) {
  if (too_long(len, why)) return PP_ERR_TWIML_PARSE;
  if (!xml || all_space(xml, len)) return finish(arena, NULL, 0, PP_OK, "", 0, out);

  st_t *s = calloc(1, sizeof *s);
  if (!s) return PP_ERR_NOMEM;
  s->arena = arena;
  pp_buf_init(&s->direct, TEXT_CAP);
  pp_buf_init(&s->noun, TEXT_CAP);
  s->xp = XML_ParserCreate(NULL);
  if (!s->xp) {
    free(s);
    return PP_ERR_NOMEM;
  }
  XML_SetUserData(s->xp, s);
  XML_SetElementHandler(s->xp, on_start, on_end);
  XML_SetCharacterDataHandler(s->xp, on_text);
  XML_SetStartDoctypeDeclHandler(s->xp, on_doctype);
  XML_SetEntityDeclHandler(s->xp, on_entity_decl);
  XML_SetParamEntityParsing(s->xp, XML_PARAM_ENTITY_PARSING_NEVER);

  enum XML_Status st = XML_Parse(s->xp, xml, (int)len, XML_TRUE);
  if (s->err == PP_OK && st != XML_STATUS_OK) {
    enum XML_Error code = XML_GetErrorCode(s->xp);
    s->err = code == XML_ERROR_NO_MEMORY ? PP_ERR_NOMEM : PP_ERR_TWIML_PARSE;
    snprintf(s->why, sizeof s->why, "line %lu, column %lu: %s",
             (unsigned long)XML_GetCurrentLineNumber(s->xp),
             (unsigned long)XML_GetCurrentColumnNumber(s->xp), XML_ErrorString(code));
  }
  pp_err_t e = s->err;
  if (e == PP_OK)
    e = finish(arena, s->verbs, s->n, s->warning, s->warning_detail, s->n_warnings, out);
  else
    set_why(why, "%s", s->why);
  XML_ParserFree(s->xp);
  pp_buf_cleanup(&s->direct);
  pp_buf_cleanup(&s->noun);
  free(s);
  return e;
}

pp_err_t pp_twiml_parse_text(const char *text, size_t len, pp_arena_t *arena, pp_twiml_t *out,
                             char *why) {
  if (too_long(len, why)) return PP_ERR_TWIML_PARSE;
  if (!text || all_space(text, len)) return finish(arena, NULL, 0, PP_OK, "", 0, out);
  if (!valid_utf8((const unsigned char *)text, len) || memchr(text, '\0', len)) {
    set_why(why, "the text/plain reply is not UTF-8 text");
    return PP_ERR_TWIML_PARSE;
  }
  pp_twiml_verb_t v = {.kind = PP_TWIML_MESSAGE, .method = PP_TWIML_POST};
  if (!(v.body = trimmed(arena, text, len))) return PP_ERR_NOMEM;
  size_t c = chars(v.body);
  if (c > PP_TWIML_MAX_BODY_CHARS) {
    set_why(why, "the text/plain reply has %zu characters, more than %d", c,
            PP_TWIML_MAX_BODY_CHARS);
    return PP_ERR_BODY_TOO_LONG;
  }
  return finish(arena, &v, 1, PP_OK, "", 0, out);
}

/* twiml.h: the reply a customer's messaging webhook sends back, read from
 * untrusted bytes into a list of verbs: TwiML (parsed with expat) or, as
 * Twilio does for text/plain, the text itself as one message.
 *
 * The TwiML subset is Twilio's messaging one:
 *
 *   <Response>
 *     <Message to= from= action= method= statusCallback=>text</Message>
 *     <Message ...><Body>text</Body><Media>url</Media>...</Message>
 *     <Redirect method=>url</Redirect>
 *   </Response>
 *
 * <Sms> is read as <Message>.  Verbs come back in document order; those
 * after the first <Redirect> are dropped, since Twilio never reaches them.
 * Whatever is not understood is skipped with a warning (the caller records
 * it as an alert) and the rest is still returned.  A reply that cannot be
 * read at all is an error, and the caller sends nothing. */
#ifndef PP_HOOK_TWIML_H
#define PP_HOOK_TWIML_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

#define PP_TWIML_MAX_INPUT 65536     /* bytes of a reply */
#define PP_TWIML_MAX_MESSAGES 10     /* <Message> verbs kept (Twilio, 14109) */
#define PP_TWIML_MAX_MEDIA 10        /* <Media> in one <Message> */
#define PP_TWIML_MAX_BODY_CHARS 1600 /* Unicode code points of a body */
#define PP_TWIML_MAX_DEPTH 16        /* element nesting, <Response> is 1 */
#define PP_TWIML_WHY_SIZE 128        /* room for a failure's detail */

typedef enum {
  PP_TWIML_CT_XML,  /* text/xml, application/xml, text/html: TwiML */
  PP_TWIML_CT_TEXT, /* text/plain: the body is the reply's text */
} pp_twiml_ct_t;

typedef enum { PP_TWIML_MESSAGE, PP_TWIML_REDIRECT } pp_twiml_kind_t;

typedef enum { PP_TWIML_POST, PP_TWIML_GET } pp_twiml_method_t;

typedef struct {
  pp_twiml_kind_t kind;
  /* <Message>: the text, whitespace-trimmed ("" when none), valid UTF-8 of
   * at most PP_TWIML_MAX_BODY_CHARS code points; the <Media> URLs, trimmed;
   * the attributes, trimmed, NULL when absent.  Not checked further: phone
   * numbers and URLs are the caller's to validate. */
  const char *body;
  const char *const *media;
  size_t n_media;
  const char *to, *from, *action, *status_callback;
  /* <Message> (for action) and <Redirect>: GET or POST (the default). */
  pp_twiml_method_t method;
  /* <Redirect>: the URL, trimmed, as written (it may be relative). */
  const char *url;
} pp_twiml_verb_t;

typedef struct {
  pp_twiml_verb_t *verbs; /* n of them, in the arena; NULL when n is 0 */
  size_t n;
  /* The first warning (PP_OK if none): PP_ERR_TWIML_VERB for an unknown
   * verb, PP_ERR_TWIML_MESSAGE_LIMIT for a <Message> past the tenth,
   * PP_ERR_TWIML_SCHEMA for anything else skipped (an unknown attribute or
   * noun, a bad method, stray text).  `warning_detail` says what (in the
   * arena; "" if none) and `n_warnings` counts them all. */
  pp_err_t warning;
  const char *warning_detail;
  size_t n_warnings;
} pp_twiml_t;

/* pp_twiml_content_type classifies a reply's Content-Type header value
 * (parameters such as charset ignored, case-insensitive) into *kind.
 * Errors: PP_ERR_TWIML_CONTENT_TYPE (absent, or another type: Twilio's
 * 12300); *kind is written only on success. */
pp_err_t pp_twiml_content_type(const char *content_type, pp_twiml_ct_t *kind);

/* pp_twiml_parse reads `len` bytes of TwiML into *out (everything in
 * `arena`).  Input that is empty or only XML whitespace (space, tab, CR,
 * LF) is a reply with no verbs.  Errors:
 *   PP_ERR_TWIML_PARSE (12100): more than PP_TWIML_MAX_INPUT bytes, not
 *     well-formed XML, an encoding expat does not know, a DOCTYPE (refused,
 *     so there are no entities to expand), a root other than <Response>,
 *     nesting past PP_TWIML_MAX_DEPTH, more than PP_TWIML_MAX_MEDIA <Media>
 *     in a <Message>;
 *   PP_ERR_BODY_TOO_LONG (21617): a body past PP_TWIML_MAX_BODY_CHARS;
 *   PP_ERR_NOMEM: the arena or the heap ran out.
 * On error *out is untouched and `why` (if not NULL, PP_TWIML_WHY_SIZE
 * bytes) says what, with the line and column for XML errors. */
pp_err_t pp_twiml_parse(const char *xml, size_t len, pp_arena_t *arena, pp_twiml_t *out, char *why);

/* pp_twiml_parse_text reads a text/plain reply: its trimmed text as one
 * <Message> with no attributes, or no verbs when it is only XML whitespace.
 * Errors: PP_ERR_TWIML_PARSE (more than PP_TWIML_MAX_INPUT bytes, or not
 * valid UTF-8), PP_ERR_BODY_TOO_LONG, PP_ERR_NOMEM; `why` as above. */
pp_err_t pp_twiml_parse_text(const char *text, size_t len, pp_arena_t *arena, pp_twiml_t *out,
                             char *why);

#endif

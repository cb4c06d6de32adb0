/* url.h (private to src/hook): the part of the WHATWG URL standard, as
 * Node 20's `new URL()` applies it to http and https URLs, and of Node's
 * `querystring` module, that twilio-node's validateRequest depends on when it
 * rebuilds the URL it checks a signature against (sign.c). */
#ifndef PP_HOOK_URL_H
#define PP_HOOK_URL_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"

/* A parsed http or https URL; every string lives in the arena passed to
 * pp_hook_url_parse and is already percent-encoded as `new URL()` encodes
 * it. */
typedef struct {
  const char *scheme;   /* "http" or "https" */
  const char *username; /* "" when absent */
  const char *password; /* "" when absent */
  const char *host;     /* lowercase name, dotted IPv4, or "[v6]" compressed */
  int port;             /* -1: none (a scheme's default port is dropped) */
  const char *path;     /* always starts with '/', dot segments resolved */
  const char *query;    /* NULL: no '?'; otherwise the text after it */
  const char *fragment; /* NULL: no '#'; otherwise the text after it */
} pp_hook_url_t;

/* pp_hook_url_parse parses the NUL-terminated `s` as Node's `new URL(s)`
 * does, for the special schemes http and https only, into *out (strings in
 * `a`).  Not supported, and refused: other schemes, relative URLs, and host
 * names with non-ASCII characters (they would need IDNA).  Errors:
 * PP_ERR_INVALID_PARAM (not a URL `new URL()` accepts, or outside the
 * subset), PP_ERR_NOMEM.  *out is written only on success. */
pp_err_t pp_hook_url_parse(pp_arena_t *a, const char *s, pp_hook_url_t *out);

/* pp_hook_url_href serializes `u` as URL.prototype.href does; NULL when the
 * arena is exhausted. */
char *pp_hook_url_href(pp_arena_t *a, const pp_hook_url_t *u);

/* pp_hook_url_with_standard_port serializes `u` with ":443" (https) or ":80"
 * (http) after the host, and without an empty '?' or '#', as twilio-node's
 * buildUrlWithStandardPort does; NULL when the arena is exhausted. */
char *pp_hook_url_with_standard_port(pp_arena_t *a, const pp_hook_url_t *u);

/* pp_hook_qs_legacy rewrites `query` (the text after '?') as Node's
 * querystring.stringify(querystring.parse(query)) does: '+' and percent
 * escapes decoded, invalid UTF-8 replaced by U+FFFD, repeated keys grouped at
 * their first position, keys that are array indices moved first in numeric
 * order, at most 1000 pairs, then every byte but A-Z a-z 0-9 !'()*-._~
 * percent-encoded.  NULL when the arena is exhausted. */
char *pp_hook_qs_legacy(pp_arena_t *a, const char *query);

#endif

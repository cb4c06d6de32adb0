/* url.c: WHATWG URL parsing and serialization for http and https as Node 20
 * does it, and Node's querystring round trip; see url.h. */
#include "hook/url.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/form.h"

/* ---- Strings ----------------------------------------------------------- */

/* The percent-encode sets of the URL standard, as Node 20 applies them (its
 * path set leaves ^ | [ ] alone). */
typedef enum { SET_FRAGMENT, SET_QUERY, SET_SPECIAL_QUERY, SET_PATH, SET_USERINFO } pct_set_t;

static bool in_set(unsigned char c, pct_set_t set) {
  if (c < 0x20 || c > 0x7e) return true; /* the C0 control set */
  bool query = c == ' ' || c == '"' || c == '#' || c == '<' || c == '>';
  bool path = query || c == '?' || c == '`' || c == '{' || c == '}';
  switch (set) {
    case SET_FRAGMENT:
      return c == ' ' || c == '"' || c == '<' || c == '>' || c == '`';
    case SET_QUERY:
      return query;
    case SET_SPECIAL_QUERY:
      return query || c == '\'';
    case SET_PATH:
      return path;
    case SET_USERINFO:
      return path || c == '/' || c == ':' || c == ';' || c == '=' || c == '@' ||
             (c >= '[' && c <= '^') || c == '|';
  }
  return true;
}

static const char HEX[] = "0123456789ABCDEF";

static void put_pct_byte(pp_buf_t *b, unsigned char c) {
  char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
  pp_buf_append(b, e, 3);
}

static void put_encoded(pp_buf_t *b, const char *s, size_t n, pct_set_t set) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (in_set(c, set))
      put_pct_byte(b, c);
    else
      pp_buf_putc(b, (char)c);
  }
}

/* Percent-decodes `n` bytes of `s` into `out` (room for n); "%XY" with two
 * hex digits is one byte, anything else literal; '+' is a space when
 * `plus`.  Returns the decoded length. */
static size_t pct_decode(char *out, const char *s, size_t n, bool plus) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%' && n - i >= 3 && pp_hex_digit((unsigned char)s[i + 1]) >= 0 &&
        pp_hex_digit((unsigned char)s[i + 2]) >= 0) {
      out[o++] = (char)(pp_hex_digit((unsigned char)s[i + 1]) * 16 +
                        pp_hex_digit((unsigned char)s[i + 2]));
      i += 2;
    } else {
      out[o++] = (plus && c == '+') ? ' ' : (char)c;
    }
  }
  return o;
}

/* Appends `n` bytes as the WHATWG UTF-8 decoder and a UTF-8 encoder would
 * give them back: each maximal invalid subpart becomes U+FFFD (as Node's
 * Buffer.toString does). */
static void put_utf8_repaired(pp_buf_t *b, const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) {
      pp_buf_putc(b, (char)c);
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      pp_buf_puts(b, "\xEF\xBF\xBD");
      i++;
      continue;
    }
    size_t j = 1;
    for (; j <= need && i + j < n; j++) {
      unsigned d = s[i + j];
      if (d < lo || d > hi) break;
      lo = 0x80;
      hi = 0xBF;
    }
    if (j > need) {
      pp_buf_append(b, s + i, need + 1);
      i += need + 1;
    } else {
      pp_buf_puts(b, "\xEF\xBF\xBD");
      i += j;
    }
  }
}

/* Moves the buffer's text into the arena and frees the buffer; NULL when
 * either ran out. */
static char *finish(pp_arena_t *a, pp_buf_t *b) {
  char *s = NULL;
  if (pp_buf_status(b) == PP_OK) s = pp_arena_strndup(a, b->data ? b->data : "", b->len);
  pp_buf_cleanup(b);
  return s;
}

/* ---- Hosts ------------------------------------------------------------- */

/* The URL standard's IPv4 number parser: 0x.. hex, 0.. octal, decimal.
 * Values past 2^32 saturate at 2^32 + 1 so that callers see "too big". */
static bool ipv4_number(const char *s, size_t n, uint64_t *out) {
  unsigned radix = 10;
  if (n == 0) return false;
  if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s += 2;
    n -= 2;
  } else if (n >= 2 && s[0] == '0') {
    radix = 8;
    s++;
    n--;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = pp_hex_digit((unsigned char)s[i]);
    if (d < 0 || (unsigned)d >= radix || (radix != 16 && (s[i] < '0' || s[i] > '9'))) return false;
    v = v * radix + (unsigned)d;
    if (v > ((uint64_t)1 << 32)) v = ((uint64_t)1 << 32) + 1;
  }
  *out = v;
  return true;
}

/* Does the host "end in a number" (so that it must parse as IPv4)? */
static bool ends_in_number(const char *h, size_t n) {
  if (n && h[n - 1] == '.') n--; /* a trailing empty label is ignored */
  size_t start = n;
  while (start && h[start - 1] != '.') start--;
  const char *last = h + start;
  size_t len = n - start;
  if (len == 0) return false;
  bool digits = true;
  for (size_t i = 0; i < len; i++)
    if (last[i] < '0' || last[i] > '9') digits = false;
  uint64_t v;
  return digits || ipv4_number(last, len, &v);
}

static bool ipv4_parse(const char *h, size_t n, uint32_t *out) {
  uint64_t num[4];
  size_t parts = 0, i = 0;
  if (n && h[n - 1] == '.') n--; /* one trailing empty part is dropped */
  while (i <= n) {
    size_t j = i;
    while (j < n && h[j] != '.') j++;
    if (parts == 4 || !ipv4_number(h + i, j - i, &num[parts])) return false;
    parts++;
    i = j + 1;
  }
  for (size_t k = 0; k + 1 < parts; k++)
    if (num[k] > 255) return false;
  if (num[parts - 1] >= ((uint64_t)1 << (8 * (5 - parts)))) return false;
  uint64_t v = num[parts - 1];
  for (size_t k = 0; k + 1 < parts; k++) v += num[k] << (8 * (3 - k));
  *out = (uint32_t)v;
  return true;
}

/* The URL standard's IPv6 serializer: lowercase hex, the first longest run
 * of two or more zero pieces as "::", no dotted-quad tail. */
static void put_ipv6(pp_buf_t *b, const unsigned char a[16]) {
  unsigned piece[8];
  for (int i = 0; i < 8; i++) piece[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && piece[j] == 0) j++;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  pp_buf_putc(b, '[');
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      pp_buf_puts(b, i == 0 ? "::" : ":");
      i += best_len - 1;
      continue;
    }
    pp_buf_printf(b, "%x", piece[i]);
    if (i < 7) pp_buf_putc(b, ':');
  }
  pp_buf_putc(b, ']');
}

/* Parses `n` bytes of host text into its serialization; false on failure
 * (or a non-ASCII name). */
static bool host_parse(pp_buf_t *b, const char *h, size_t n, char *scratch) {
  if (n == 0) return false;
  if (h[0] == '[') {
    unsigned char a6[16];
    if (n < 3 || h[n - 1] != ']' || n - 2 >= 64) return false;
    memcpy(scratch, h + 1, n - 2);
    scratch[n - 2] = '\0';
    if (inet_pton(AF_INET6, scratch, a6) != 1) return false;
    put_ipv6(b, a6);
    return true;
  }
  size_t m = pct_decode(scratch, h, n, false);
  if (m == 0) return false;
  for (size_t i = 0; i < m; i++) {
    unsigned char c = (unsigned char)scratch[i];
    if (c >= 0x80) return false; /* would need IDNA */
    if (c <= 0x20 || c == 0x7f || strchr("#%/:<>?@[\\]^|", c)) return false;
    if (c >= 'A' && c <= 'Z') scratch[i] = (char)(c | 0x20);
  }
  if (ends_in_number(scratch, m)) {
    uint32_t v4;
    if (!ipv4_parse(scratch, m, &v4)) return false;
    pp_buf_printf(b, "%u.%u.%u.%u", v4 >> 24, (v4 >> 16) & 255, (v4 >> 8) & 255, v4 & 255);
    return true;
  }
  pp_buf_append(b, scratch, m);
  return true;
}

/* ---- Parse and serialize ------------------------------------------------ */

static bool is_dot(const char *s, size_t n) {
  return (n == 1 && s[0] == '.') || (n == 3 && strncasecmp(s, "%2e", 3) == 0);
}

static bool is_dot_dot(const char *s, size_t n) {
  if (n == 2) return s[0] == '.' && s[1] == '.';
  if (n == 4)
    return (s[0] == '.' && strncasecmp(s + 1, "%2e", 3) == 0) ||
           (strncasecmp(s, "%2e", 3) == 0 && s[3] == '.');
  return n == 6 && strncasecmp(s, "%2e%2e", 6) == 0;
}

static bool is_alpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

pp_err_t pp_hook_url_parse(pp_arena_t *a, const char *s, pp_hook_url_t *out) {
  if (!s) return PP_ERR_INVALID_PARAM;
  /* Leading and trailing C0 controls and spaces go, and so do tabs and
   * newlines anywhere. */
  size_t lo = 0, hi = strlen(s);
  while (lo < hi && (unsigned char)s[lo] <= 0x20) lo++;
  while (hi > lo && (unsigned char)s[hi - 1] <= 0x20) hi--;
  char *in = pp_arena_alloc(a, 2 * (hi - lo) + 8);
  if (!in) return PP_ERR_NOMEM;
  char *scratch = in + (hi - lo) + 4;
  size_t m = 0;
  for (size_t i = lo; i < hi; i++)
    if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') in[m++] = s[i];
  in[m] = '\0';

  /* Scheme. */
  size_t i = 0;
  if (m == 0 || !is_alpha(in[0])) return PP_ERR_INVALID_PARAM;
  while (i < m && (is_alpha(in[i]) || (in[i] >= '0' && in[i] <= '9') || in[i] == '+' ||
                   in[i] == '-' || in[i] == '.'))
    i++;
  if (i == m || in[i] != ':') return PP_ERR_INVALID_PARAM;
  pp_hook_url_t u = {.port = -1, .username = "", .password = ""};
  if (i == 5 && strncasecmp(in, "https", 5) == 0)
    u.scheme = "https";
  else if (i == 4 && strncasecmp(in, "http", 4) == 0)
    u.scheme = "http";
  else
    return PP_ERR_INVALID_PARAM;
  int default_port = u.scheme[4] == 's' ? 443 : 80;
  i++;
  while (i < m && (in[i] == '/' || in[i] == '\\')) i++;

  /* Authority: [userinfo@]host[:port], up to / \ ? #. */
  size_t e = i;
  while (e < m && !strchr("/\\?#", in[e])) e++;
  size_t at = e;
  for (size_t k = i; k < e; k++)
    if (in[k] == '@') at = k;
  size_t hs = i;
  if (at < e) {
    const char *colon = memchr(in + i, ':', at - i);
    size_t ulen = colon ? (size_t)(colon - (in + i)) : at - i;
    pp_buf_t b;
    pp_buf_init(&b, 0);
    put_encoded(&b, in + i, ulen, SET_USERINFO);
    if (!(u.username = finish(a, &b))) return PP_ERR_NOMEM;
    if (colon) {
      pp_buf_init(&b, 0);
      put_encoded(&b, colon + 1, at - ulen - i - 1, SET_USERINFO);
      if (!(u.password = finish(a, &b))) return PP_ERR_NOMEM;
    }
    hs = at + 1;
  }
  size_t he = hs;
  bool bracket = false;
  for (; he < e; he++) {
    if (in[he] == '[') bracket = true;
    if (in[he] == ']') bracket = false;
    if (in[he] == ':' && !bracket) break;
  }
  if (he < e) { /* port */
    long port = 0;
    for (size_t k = he + 1; k < e; k++) {
      if (in[k] < '0' || in[k] > '9') return PP_ERR_INVALID_PARAM;
      port = port * 10 + (in[k] - '0');
      if (port > 65535) return PP_ERR_INVALID_PARAM;
    }
    if (he + 1 < e && port != default_port) u.port = (int)port;
  }
  pp_buf_t hb;
  pp_buf_init(&hb, 0);
  if (!host_parse(&hb, in + hs, he - hs, scratch)) {
    pp_buf_cleanup(&hb);
    return PP_ERR_INVALID_PARAM;
  }
  if (!(u.host = finish(a, &hb))) return PP_ERR_NOMEM;

  /* Path: segments split on / or \, dot segments resolved. */
  size_t p = e, nseg = 0, maxseg = 2;
  for (size_t k = e; k < m; k++)
    if (in[k] == '/' || in[k] == '\\') maxseg++;
  const char **seg = pp_arena_alloc(a, maxseg * sizeof *seg);
  if (!seg) return PP_ERR_NOMEM;
  if (p < m && (in[p] == '/' || in[p] == '\\')) p++;
  pp_buf_t sb;
  pp_buf_init(&sb, 0);
  for (;;) {
    bool end = p >= m || in[p] == '?' || in[p] == '#';
    if (end || in[p] == '/' || in[p] == '\\') {
      const char *t = sb.data ? sb.data : "";
      if (is_dot_dot(t, sb.len)) {
        if (nseg) nseg--;
        if (end) seg[nseg++] = "";
      } else if (is_dot(t, sb.len)) {
        if (end) seg[nseg++] = "";
      } else {
        char *c = pp_buf_status(&sb) == PP_OK ? pp_arena_strndup(a, t, sb.len) : NULL;
        if (!c) {
          pp_buf_cleanup(&sb);
          return PP_ERR_NOMEM;
        }
        seg[nseg++] = c;
      }
      sb.len = 0;
      if (sb.data) sb.data[0] = '\0';
      if (end) break;
    } else {
      put_encoded(&sb, in + p, 1, SET_PATH);
    }
    p++;
  }
  pp_buf_cleanup(&sb);
  pp_buf_t pb;
  pp_buf_init(&pb, 0);
  for (size_t k = 0; k < nseg; k++) {
    pp_buf_putc(&pb, '/');
    pp_buf_puts(&pb, seg[k]);
  }
  if (!(u.path = finish(a, &pb))) return PP_ERR_NOMEM;

  /* Query and fragment. */
  if (p < m && in[p] == '?') {
    size_t q = ++p;
    while (p < m && in[p] != '#') p++;
    pp_buf_t qb;
    pp_buf_init(&qb, 0);
    put_encoded(&qb, in + q, p - q, SET_SPECIAL_QUERY);
    if (!(u.query = finish(a, &qb))) return PP_ERR_NOMEM;
  }
  if (p < m && in[p] == '#') {
    pp_buf_t fb;
    pp_buf_init(&fb, 0);
    put_encoded(&fb, in + p + 1, m - p - 1, SET_FRAGMENT);
    if (!(u.fragment = finish(a, &fb))) return PP_ERR_NOMEM;
  }
  *out = u;
  return PP_OK;
}

static void put_authority(pp_buf_t *b, const pp_hook_url_t *u) {
  pp_buf_puts(b, u->scheme);
  pp_buf_puts(b, "://");
  if (*u->username || *u->password) {
    pp_buf_puts(b, u->username);
    if (*u->password) {
      pp_buf_putc(b, ':');
      pp_buf_puts(b, u->password);
    }
    pp_buf_putc(b, '@');
  }
  pp_buf_puts(b, u->host);
}

char *pp_hook_url_href(pp_arena_t *a, const pp_hook_url_t *u) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  put_authority(&b, u);
  if (u->port >= 0) pp_buf_printf(&b, ":%d", u->port);
  pp_buf_puts(&b, u->path);
  if (u->query) {
    pp_buf_putc(&b, '?');
    pp_buf_puts(&b, u->query);
  }
  if (u->fragment) {
    pp_buf_putc(&b, '#');
    pp_buf_puts(&b, u->fragment);
  }
  return finish(a, &b);
}

char *pp_hook_url_with_standard_port(pp_arena_t *a, const pp_hook_url_t *u) {
  pp_buf_t b;
  pp_buf_init(&b, 0);
  put_authority(&b, u);
  pp_buf_puts(&b, strcmp(u->scheme, "https") == 0 ? ":443" : ":80");
  pp_buf_puts(&b, u->path);
  if (u->query && *u->query) {
    pp_buf_putc(&b, '?');
    pp_buf_puts(&b, u->query);
  }
  if (u->fragment && *u->fragment) {
    pp_buf_putc(&b, '#');
    pp_buf_puts(&b, u->fragment);
  }
  return finish(a, &b);
}

/* ---- querystring -------------------------------------------------------- */

#define QS_MAX_PAIRS 1000

typedef struct {
  const char *key, *val; /* decoded, repaired UTF-8 */
  size_t klen, vlen;
  bool index;   /* the key is an array index ("0".."4294967294") */
  uint64_t num; /* its value */
  bool done;    /* already written with an earlier pair of the same key */
} qs_pair_t;

static bool array_index(const char *k, size_t n, uint64_t *v) {
  if (n == 0 || n > 10 || (n > 1 && k[0] == '0')) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (k[i] < '0' || k[i] > '9') return false;
    x = x * 10 + (uint64_t)(k[i] - '0');
  }
  *v = x;
  return x <= 4294967294u;
}

/* Decodes `n` bytes of a key or value as querystring.unescape does after
 * '+' became a space, into the arena. */
static const char *qs_unescape(pp_arena_t *a, const char *s, size_t n, size_t *len) {
  char *raw = pp_arena_alloc(a, n + 1);
  if (!raw) return NULL;
  size_t r = pct_decode(raw, s, n, true);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  put_utf8_repaired(&b, (const unsigned char *)raw, r);
  *len = b.len;
  return finish(a, &b);
}

static void qs_escape(pp_buf_t *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        (c && strchr("!'()*-._~", c)))
      pp_buf_putc(b, (char)c);
    else
      put_pct_byte(b, c);
  }
}

char *pp_hook_qs_legacy(pp_arena_t *a, const char *query) {
  size_t n = strlen(query), np = 0, cap = 1;
  for (size_t i = 0; i < n; i++)
    if (query[i] == '&') cap++;
  if (cap > QS_MAX_PAIRS) cap = QS_MAX_PAIRS;
  qs_pair_t *pr = pp_arena_alloc(a, cap * sizeof *pr);
  if (!pr) return NULL;
  for (size_t i = 0; i < n && np < QS_MAX_PAIRS;) {
    size_t j = i;
    while (j < n && query[j] != '&') j++;
    if (j > i) {
      const char *eq = memchr(query + i, '=', j - i);
      size_t kend = eq ? (size_t)(eq - query) : j;
      qs_pair_t *p = &pr[np];
      p->key = qs_unescape(a, query + i, kend - i, &p->klen);
      p->val = eq ? qs_unescape(a, eq + 1, j - kend - 1, &p->vlen) : "";
      if (!eq) p->vlen = 0;
      if (!p->key || !p->val) return NULL;
      p->index = array_index(p->key, p->klen, &p->num);
      p->done = false;
      np++;
    }
    i = j + 1;
  }

  /* Object key order: array indices ascending, then the other keys in the
   * order they first appeared; each key with all its values in order. */
  pp_buf_t b;
  pp_buf_init(&b, 0);
  bool first = true;
  for (int pass = 0; pass < 2; pass++) {
    for (;;) {
      size_t pick = np;
      for (size_t k = 0; k < np; k++) {
        if (pr[k].done || pr[k].index != (pass == 0)) continue;
        if (pick == np || (pass == 0 && pr[k].num < pr[pick].num)) pick = k;
        if (pass == 1) break;
      }
      if (pick == np) break;
      for (size_t k = pick; k < np; k++) {
        if (pr[k].done || pr[k].klen != pr[pick].klen ||
            memcmp(pr[k].key, pr[pick].key, pr[k].klen) != 0)
          continue;
        if (!first) pp_buf_putc(&b, '&');
        first = false;
        qs_escape(&b, pr[k].key, pr[k].klen);
        pp_buf_putc(&b, '=');
        qs_escape(&b, pr[k].val, pr[k].vlen);
        if (k != pick) pr[k].done = true;
      }
      pr[pick].done = true;
    }
  }
  return finish(a, &b);
}

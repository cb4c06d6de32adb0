/* audit.c: audit event kinds and the canonical leaf format (audit.h). */
#include "security/audit.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740991LL /* 2^53 - 1 */

static const char *const kind_names[] = {
#define PP_AUDIT_KIND_NAME(e, name) name,
    PP_AUDIT_KINDS(PP_AUDIT_KIND_NAME)
#undef PP_AUDIT_KIND_NAME
};

static const char *const principal_names[] = {
#define PP_AUDIT_PRINCIPAL_NAME(e, name) name,
    PP_AUDIT_PRINCIPALS(PP_AUDIT_PRINCIPAL_NAME)
#undef PP_AUDIT_PRINCIPAL_NAME
};

/* The index of `name` in names[0..n), or -1. */
static int find_name(const char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return i;
  return -1;
}

const char *pp_audit_kind_name(pp_audit_kind_t k) {
  return (unsigned)k < PP_AUDIT__KIND_COUNT ? kind_names[k] : "?";
}

bool pp_audit_kind_parse(const char *name, pp_audit_kind_t *out) {
  int i = find_name(kind_names, PP_AUDIT__KIND_COUNT, name);
  if (i >= 0) *out = (pp_audit_kind_t)i;
  return i >= 0;
}

const char *pp_audit_principal_name(pp_audit_principal_t p) {
  return (unsigned)p < PP_AUDIT__PRINCIPAL_COUNT ? principal_names[p] : "?";
}

bool pp_audit_principal_parse(const char *name, pp_audit_principal_t *out) {
  int i = find_name(principal_names, PP_AUDIT__PRINCIPAL_COUNT, name);
  if (i >= 0) *out = (pp_audit_principal_t)i;
  return i >= 0;
}

void pp_audit_outcome(pp_err_t e, char out[PP_AUDIT_OUTCOME_SIZE]) {
  if (e == PP_OK) {
    snprintf(out, PP_AUDIT_OUTCOME_SIZE, "ok");
    return;
  }
  const char *n = pp_err_name(e);
  if (strncmp(n, "PP_ERR_", 7) == 0) n += 7;
  size_t i = 0;
  for (; n[i] && i + 1 < PP_AUDIT_OUTCOME_SIZE; i++) out[i] = (char)tolower((unsigned char)n[i]);
  out[i] = '\0';
}

const char *pp_audit_resource_type(const char *sid) {
  static const char *const map[][2] = {
      {"SM", "message"}, {"MM", "message"},   {"PN", "number"},         {"MG", "messaging_service"},
      {"AC", "account"}, {"SK", "key"},       {"VA", "verify_service"}, {"YE", "entity"},
      {"YF", "factor"},  {"YC", "challenge"}, {"LR", "access_request"}};
  if (!sid) return "other";
  if (strncmp(sid, "carrier:", 8) == 0 || strncmp(sid, "route:", 6) == 0 ||
      strncmp(sid, "sender:", 7) == 0 || strncmp(sid, "number:", 7) == 0)
    return "config";
  if (strncmp(sid, "change:", 7) == 0) return "change"; /* a change request (four eyes) */
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (pp_sid_valid(sid, map[i][0])) return map[i][1];
  return "other";
}

/* ---- Encoding ------------------------------------------------------------ */

/* A JSON string of at most `max` input bytes: printable ASCII kept, '"' and
 * '\' escaped, any other byte written as '?'. */
static void put_str(pp_buf_t *b, const char *s, size_t max) {
  pp_buf_putc(b, '"');
  size_t run = 0, i = 0; /* s[run..i) is copied as it is */
  for (; s && s[i] && i < max; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') continue;
    pp_buf_append(b, s + run, i - run);
    if (c == '"' || c == '\\') pp_buf_putc(b, '\\');
    pp_buf_putc(b, c == '"' || c == '\\' ? (char)c : '?');
    run = i + 1;
  }
  if (s) pp_buf_append(b, s + run, i - run);
  pp_buf_putc(b, '"');
}

static void put_key(pp_buf_t *b, const char *key, bool first) {
  if (!first) pp_buf_putc(b, ',');
  pp_buf_putc(b, '"');
  pp_buf_puts(b, key);
  pp_buf_puts(b, "\":");
}

pp_err_t pp_audit_leaf_encode(const pp_audit_event_t *ev, pp_buf_t *out) {
  if (!ev || !out || (unsigned)ev->kind >= PP_AUDIT__KIND_COUNT ||
      (unsigned)ev->principal_kind >= PP_AUDIT__PRINCIPAL_COUNT ||
      ev->nresources > PP_AUDIT_MAX_RESOURCES || (ev->nresources && !ev->resources) ||
      ev->seq < 0 || ev->seq > MAX_SAFE_INT || ev->time_ms < 0 || ev->time_ms > MAX_SAFE_INT)
    return PP_ERR_INVALID_PARAM;
  for (size_t i = 0; i < ev->nresources; i++)
    if (!ev->resources[i] || strlen(ev->resources[i]) > PP_AUDIT_RESOURCE_MAX)
      return PP_ERR_INVALID_PARAM;
  pp_buf_putc(out, '{');
  put_key(out, "account", true);
  put_str(out, ev->account_sid, sizeof ev->account_sid);
  put_key(out, "event", false);
  put_str(out, kind_names[ev->kind], SIZE_MAX);
  put_key(out, "ip", false);
  put_str(out, ev->ip, sizeof ev->ip);
  put_key(out, "outcome", false);
  put_str(out, ev->outcome, sizeof ev->outcome);
  put_key(out, "principal", false);
  put_str(out, ev->principal, sizeof ev->principal);
  put_key(out, "principal_account", false);
  put_str(out, ev->principal_account, sizeof ev->principal_account);
  put_key(out, "principal_kind", false);
  put_str(out, principal_names[ev->principal_kind], SIZE_MAX);
  put_key(out, "request", false);
  put_str(out, ev->request, PP_AUDIT_REQUEST_MAX);
  put_key(out, "resources", false);
  pp_buf_putc(out, '[');
  for (size_t i = 0; i < ev->nresources; i++) {
    if (i) pp_buf_putc(out, ',');
    put_str(out, ev->resources[i], PP_AUDIT_RESOURCE_MAX);
  }
  pp_buf_putc(out, ']');
  put_key(out, "seq", false);
  pp_buf_printf(out, "%" PRId64, ev->seq);
  put_key(out, "session", false);
  put_str(out, ev->session, sizeof ev->session);
  put_key(out, "time_ms", false);
  pp_buf_printf(out, "%" PRId64, ev->time_ms);
  put_key(out, "user_agent", false);
  put_str(out, ev->user_agent, PP_AUDIT_UA_MAX);
  put_key(out, "v", false);
  pp_buf_printf(out, "%d", PP_AUDIT_FORMAT_VERSION);
  pp_buf_putc(out, '}');
  return pp_buf_status(out);
}

/* ---- Decoding ------------------------------------------------------------ */

typedef struct {
  const char *p, *end;
} cur_t;

static bool lit(cur_t *c, const char *s) {
  size_t n = strlen(s);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0) return false;
  c->p += n;
  return true;
}

/* A string as put_str writes it, unescaped into dst (capacity cap, NUL
 * included). */
static bool str(cur_t *c, char *dst, size_t cap) {
  if (!lit(c, "\"")) return false;
  size_t n = 0;
  while (c->p < c->end && *c->p != '"') {
    char ch = *c->p++;
    if (ch == '\\') {
      if (c->p >= c->end || (*c->p != '"' && *c->p != '\\')) return false;
      ch = *c->p++;
    } else if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e) {
      return false;
    }
    if (n + 1 >= cap) return false;
    dst[n++] = ch;
  }
  dst[n] = '\0';
  return lit(c, "\"");
}

/* The same into the arena (a NULL result means failure; *nomem says why). */
static char *str_dup(cur_t *c, pp_arena_t *a, size_t max, bool *nomem) {
  char tmp[PP_AUDIT_REQUEST_MAX + 1];
  if (max + 1 > sizeof tmp || !str(c, tmp, max + 1)) return NULL;
  char *s = pp_arena_strdup(a, tmp);
  if (!s) *nomem = true;
  return s;
}

static bool num(cur_t *c, int64_t *out) {
  const char *s = c->p;
  int64_t v = 0;
  if (s >= c->end || *s < '0' || *s > '9') return false;
  if (*s == '0' && s + 1 < c->end && s[1] >= '0' && s[1] <= '9') return false;
  while (s < c->end && *s >= '0' && *s <= '9') {
    v = v * 10 + (*s - '0');
    if (v > MAX_SAFE_INT) return false;
    s++;
  }
  c->p = s;
  *out = v;
  return true;
}

pp_err_t pp_audit_leaf_decode(const void *leaf, size_t len, pp_arena_t *a, pp_audit_event_t *out) {
  if (!leaf || !a || !out) return PP_ERR_INVALID_PARAM;
  cur_t c = {leaf, (const char *)leaf + len};
  pp_audit_event_t ev;
  memset(&ev, 0, sizeof ev);
  char kind[64], pkind[32];
  bool nomem = false;
  const char **res = NULL;
  int64_t version = 0;
  bool ok = lit(&c, "{\"account\":") && str(&c, ev.account_sid, sizeof ev.account_sid) &&
            lit(&c, ",\"event\":") && str(&c, kind, sizeof kind) &&
            pp_audit_kind_parse(kind, &ev.kind) && lit(&c, ",\"ip\":") &&
            str(&c, ev.ip, sizeof ev.ip) && lit(&c, ",\"outcome\":") &&
            str(&c, ev.outcome, sizeof ev.outcome) && lit(&c, ",\"principal\":") &&
            str(&c, ev.principal, sizeof ev.principal) && lit(&c, ",\"principal_account\":") &&
            str(&c, ev.principal_account, sizeof ev.principal_account) &&
            lit(&c, ",\"principal_kind\":") && str(&c, pkind, sizeof pkind) &&
            pp_audit_principal_parse(pkind, &ev.principal_kind) && lit(&c, ",\"request\":") &&
            (ev.request = str_dup(&c, a, PP_AUDIT_REQUEST_MAX, &nomem)) != NULL &&
            lit(&c, ",\"resources\":[");
  if (ok && !lit(&c, "]")) {
    size_t cap = 0;
    while (ok) {
      if (ev.nresources == PP_AUDIT_MAX_RESOURCES) {
        ok = false;
        break;
      }
      const char **more = pp_arena_grow(a, res, ev.nresources, &cap, sizeof *res);
      if (!more) {
        nomem = true;
        break;
      }
      res = more;
      const char *r = str_dup(&c, a, PP_AUDIT_RESOURCE_MAX, &nomem);
      if (!r) {
        ok = false;
        break;
      }
      res[ev.nresources++] = r;
      if (lit(&c, "]")) break;
      ok = lit(&c, ",");
    }
    ev.resources = res;
  }
  ok = ok && !nomem && lit(&c, ",\"seq\":") && num(&c, &ev.seq) && lit(&c, ",\"session\":") &&
       str(&c, ev.session, sizeof ev.session) && lit(&c, ",\"time_ms\":") && num(&c, &ev.time_ms) &&
       lit(&c, ",\"user_agent\":") &&
       (ev.user_agent = str_dup(&c, a, PP_AUDIT_UA_MAX, &nomem)) != NULL && lit(&c, ",\"v\":") &&
       num(&c, &version) && version == PP_AUDIT_FORMAT_VERSION && lit(&c, "}") && c.p == c.end;
  if (nomem) return PP_ERR_NOMEM;
  if (!ok) return PP_ERR_BAD_REQUEST;
  /* Canonical means: encoding what was read gives the same bytes (this
   * catches repeated resources, empty strings where the encoder writes
   * none, and anything the reader above let through). */
  for (size_t i = 0; i < ev.nresources; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(ev.resources[i], ev.resources[j]) == 0) return PP_ERR_BAD_REQUEST;
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_err_t e = pp_audit_leaf_encode(&ev, &b);
  if (e == PP_OK && (b.len != len || memcmp(b.data, leaf, len) != 0)) e = PP_ERR_BAD_REQUEST;
  if (e == PP_ERR_INVALID_PARAM) e = PP_ERR_BAD_REQUEST;
  pp_buf_cleanup(&b);
  if (e) return e;
  *out = ev;
  return PP_OK;
}

/* carriers.c: the SMSCs Pipit binds to and the routes to them.  The table
 * of carrier settings here (CLI flag, API parameter, response field,
 * default, rule) is the one definition that `pipit admin carrier` and the
 * operator's /admin/v1 API both read, so the two cannot drift; then the
 * /admin/v1 handlers.  A carrier's password is a secret: no response shows
 * it (only `password_set`), no error message repeats it, and every copy
 * read from the store is wiped once used. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "channel/channel.h"
#include "core/clock.h"
#include "core/log.h"

/* ---- The settings ------------------------------------------------------ */

static const char *const bind_modes[] = {"trx", "tx+rx", NULL};
static const char *const concat_modes[] = {"udh", "sar", NULL};
static const char *const gsm7_modes[] = {"unpacked", "packed", NULL};

#define FIELD(f) offsetof(pp_carrier_t, f), sizeof(((pp_carrier_t *)0)->f)

/* SMPP 3.4 limits (5.2.1-5.2.3): system_id 15 characters, password 8,
 * system_type 12.  The name is the CLI's positional argument. */
const pp_carrier_opt_t pp_carrier_opts[] = {
    /* The name first: pp_route_set_carrier and apply_form rely on it. */
    {NULL, "Name", "name", NULL, PP_CARRIER_OPT_TEXT, FIELD(name), 1, 63, 0, NULL, true},
    /* The channel its traffic goes through; the settings after it are SMPP's. */
    {"--channel", "Channel", "channel", "[--channel smpp]", PP_CARRIER_OPT_CHANNEL, FIELD(channel),
     0, 0, 0, NULL, false},
    {"--smpp", "Smpp", NULL, "--smpp HOST:PORT", PP_CARRIER_OPT_ADDR, FIELD(host), 1, 255, 0, NULL,
     true},
    {NULL, "Host", "host", NULL, PP_CARRIER_OPT_TEXT, FIELD(host), 1, 255, 0, NULL, false},
    {NULL, "Port", "port", NULL, PP_CARRIER_OPT_INT, FIELD(port), 1, 65535, 0, NULL, false},
    {"--system-id", "SystemId", "system_id", "--system-id ID", PP_CARRIER_OPT_TEXT,
     FIELD(system_id), 1, 15, 0, NULL, true},
    /* The CLI takes the file that holds it: argv is in the process list. */
    {"--password-file", "Password", "password_set", "[--password-file FILE|-]",
     PP_CARRIER_OPT_SECRET, FIELD(password), 0, 8, 0, NULL, false},
    {"--system-type", "SystemType", "system_type", "[--system-type T]", PP_CARRIER_OPT_TEXT,
     FIELD(system_type), 0, 12, 0, NULL, false},
    {"--bind", "Bind", "bind", "[--bind trx|tx+rx]", PP_CARRIER_OPT_CHOICE, FIELD(bind_mode), 0, 0,
     0, bind_modes, false},
    {"--window", "Window", "window", "[--window N]", PP_CARRIER_OPT_INT, FIELD(window), 1, 10000,
     50, NULL, false},
    {"--mps", "Mps", "mps", "[--mps N]", PP_CARRIER_OPT_INT, FIELD(mps), 0, 1000000, 0, NULL,
     false},
    {"--binds", "Binds", "binds", "[--binds N]", PP_CARRIER_OPT_INT, FIELD(binds), 1, 16, 1, NULL,
     false},
    {"--concat", "Concat", "concat", "[--concat udh|sar]", PP_CARRIER_OPT_CHOICE, FIELD(concat), 0,
     0, 0, concat_modes, false},
    {"--payload", "Payload", "payload", "[--payload on|off]", PP_CARRIER_OPT_SWITCH, FIELD(payload),
     0, 1, 0, NULL, false},
    {"--gsm7", "Gsm7", "gsm7", "[--gsm7 unpacked|packed]", PP_CARRIER_OPT_CHOICE, FIELD(gsm7), 0, 0,
     0, gsm7_modes, false},
};
const size_t pp_carrier_opts_count = sizeof pp_carrier_opts / sizeof pp_carrier_opts[0];

const pp_carrier_opt_t *pp_carrier_opt_by_flag(const char *flag) {
  for (size_t i = 0; i < pp_carrier_opts_count; i++)
    if (pp_carrier_opts[i].flag && strcmp(pp_carrier_opts[i].flag, flag) == 0)
      return &pp_carrier_opts[i];
  return NULL;
}

const pp_carrier_opt_t *pp_carrier_opt_by_param(const char *param) {
  for (size_t i = 0; i < pp_carrier_opts_count; i++)
    if (pp_carrier_opts[i].param && strcmp(pp_carrier_opts[i].param, param) == 0)
      return &pp_carrier_opts[i];
  return NULL;
}

static char *field_of(const pp_carrier_opt_t *o, pp_carrier_t *c) {
  return (char *)c + o->off;
}
static const char *cfield_of(const pp_carrier_opt_t *o, const pp_carrier_t *c) {
  return (const char *)c + o->off;
}

void pp_carrier_defaults(pp_carrier_t *c) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const pp_carrier_opt_t *o = &pp_carrier_opts[i];
    if (o->kind == PP_CARRIER_OPT_CHOICE)
      snprintf(field_of(o, c), o->size, "%s", o->choices[0]);
    else if (o->kind == PP_CARRIER_OPT_CHANNEL)
      snprintf(field_of(o, c), o->size, "%s", pp_channel_kind_at(0));
    else if (o->kind == PP_CARRIER_OPT_INT || o->kind == PP_CARRIER_OPT_SWITCH)
      *(int *)(void *)field_of(o, c) = o->def;
  }
}

/* Text of lo..hi printable characters (no control characters). */
static bool text_ok(const char *v, size_t n, int lo, int hi, char *why, size_t cap) {
  if ((long)n < lo || (long)n > hi) {
    if (lo > 0)
      snprintf(why, cap, "must be %d to %d characters", lo, hi);
    else
      snprintf(why, cap, "must be at most %d characters", hi);
    return false;
  }
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
      snprintf(why, cap, "must not contain control characters");
      return false;
    }
  return true;
}

static bool int_ok(const char *v, int lo, int hi, int *out, char *why, size_t cap) {
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < lo || n > hi) {
    snprintf(why, cap, "must be an integer from %d to %d", lo, hi);
    return false;
  }
  *out = (int)n;
  return true;
}

pp_err_t pp_carrier_opt_set(const pp_carrier_opt_t *o, pp_carrier_t *c, const char *v, char *why,
                            size_t cap) {
  size_t n = strlen(v);
  switch (o->kind) {
    case PP_CARRIER_OPT_TEXT:
    case PP_CARRIER_OPT_SECRET:
      if (!text_ok(v, n, o->lo, o->hi, why, cap)) return PP_ERR_INVALID_PARAM;
      memcpy(field_of(o, c), v, n + 1);
      return PP_OK;
    case PP_CARRIER_OPT_INT: {
      int x;
      if (!int_ok(v, o->lo, o->hi, &x, why, cap)) return PP_ERR_INVALID_PARAM;
      *(int *)(void *)field_of(o, c) = x;
      return PP_OK;
    }
    case PP_CARRIER_OPT_CHOICE: {
      for (const char *const *ch = o->choices; *ch; ch++)
        if (strcmp(*ch, v) == 0) {
          memcpy(field_of(o, c), v, n + 1);
          return PP_OK;
        }
      snprintf(why, cap, "must be %s or %s", o->choices[0], o->choices[1]);
      return PP_ERR_INVALID_PARAM;
    }
    case PP_CARRIER_OPT_CHANNEL: {
      if (n < o->size && pp_channel_find(v)) {
        memcpy(field_of(o, c), v, n + 1);
        return PP_OK;
      }
      int k = snprintf(why, cap, "must be a known channel kind:");
      for (size_t i = 0; pp_channel_kind_at(i) && k >= 0 && (size_t)k < cap; i++)
        k += snprintf(why + k, cap - (size_t)k, " %s", pp_channel_kind_at(i));
      return PP_ERR_INVALID_PARAM;
    }
    case PP_CARRIER_OPT_SWITCH: {
      bool on = strcmp(v, "on") == 0 || strcmp(v, "true") == 0;
      if (!on && strcmp(v, "off") != 0 && strcmp(v, "false") != 0) {
        snprintf(why, cap, "must be on or off (true or false)");
        return PP_ERR_INVALID_PARAM;
      }
      *(int *)(void *)field_of(o, c) = on;
      return PP_OK;
    }
    case PP_CARRIER_OPT_ADDR: {
      const char *colon = strrchr(v, ':');
      int port;
      size_t hn = colon ? (size_t)(colon - v) : 0;
      if (!colon || !text_ok(v, hn, o->lo, o->hi, why, cap) ||
          !int_ok(colon + 1, 1, 65535, &port, why, cap)) {
        snprintf(why, cap, "must be HOST:PORT (a port from 1 to 65535)");
        return PP_ERR_INVALID_PARAM;
      }
      memcpy(c->host, v, hn);
      c->host[hn] = '\0';
      c->port = port;
      return PP_OK;
    }
  }
  return PP_ERR_INTERNAL;
}

const pp_carrier_opt_t *pp_carrier_missing(const pp_carrier_t *c) {
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const pp_carrier_opt_t *o = &pp_carrier_opts[i];
    if (!o->required) continue;
    if (o->kind == PP_CARRIER_OPT_ADDR ? !c->host[0] || c->port <= 0 : !*cfield_of(o, c)) return o;
  }
  return NULL;
}

bool pp_carrier_moves_password(const pp_carrier_t *old, const pp_carrier_t *next,
                               bool password_given) {
  return old && old->password[0] && !password_given &&
         (strcmp(old->host, next->host) != 0 || old->port != next->port);
}

pp_err_t pp_carrier_lookup(pp_store_t *s, pp_arena_t *a, const char *name, pp_carrier_t **out) {
  pp_carrier_t *rows;
  size_t n;
  pp_err_t e = pp_store_carrier_all(s, a, &rows, &n);
  if (e) return e;
  pp_carrier_t *hit = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!hit && strcmp(rows[i].name, name) == 0)
      hit = &rows[i];
    else
      sodium_memzero(rows[i].password, sizeof rows[i].password);
  }
  if (!hit) return PP_ERR_NOT_FOUND;
  *out = hit;
  return PP_OK;
}

void pp_carrier_opt_format(const pp_carrier_opt_t *o, const pp_carrier_t *c, char *out,
                           size_t cap) {
  const char *f = cfield_of(o, c);
  switch (o->kind) {
    case PP_CARRIER_OPT_TEXT:
    case PP_CARRIER_OPT_CHOICE:
    case PP_CARRIER_OPT_CHANNEL:
      snprintf(out, cap, "%s", f);
      break;
    case PP_CARRIER_OPT_SECRET:
      snprintf(out, cap, "%s", *f ? "set" : "unset");
      break;
    case PP_CARRIER_OPT_INT:
      snprintf(out, cap, "%d", *(const int *)(const void *)f);
      break;
    case PP_CARRIER_OPT_SWITCH:
      snprintf(out, cap, "%s", *(const int *)(const void *)f ? "on" : "off");
      break;
    case PP_CARRIER_OPT_ADDR:
      snprintf(out, cap, "%s:%d", c->host, c->port);
      break;
  }
}

pp_err_t pp_route_set_prefix(pp_route_rule_t *r, const char *v, char *why, size_t cap) {
  size_t n = strlen(v);
  bool ok = n >= 1 && n < sizeof r->prefix && v[0] == '+';
  for (size_t i = 1; ok && i < n; i++) ok = v[i] >= '0' && v[i] <= '9';
  if (!ok) {
    snprintf(why, cap, "must be + and at most %zu digits", sizeof r->prefix - 2);
    return PP_ERR_INVALID_PARAM;
  }
  memcpy(r->prefix, v, n + 1);
  return PP_OK;
}

pp_err_t pp_route_set_priority(pp_route_rule_t *r, const char *v, char *why, size_t cap) {
  return int_ok(v, 0, 1000000, &r->priority, why, cap) ? PP_OK : PP_ERR_INVALID_PARAM;
}

pp_err_t pp_route_set_carrier(pp_route_rule_t *r, const char *v, char *why, size_t cap) {
  const pp_carrier_opt_t *o = &pp_carrier_opts[0]; /* Name */
  size_t n = strlen(v);
  if (!text_ok(v, n, o->lo, o->hi, why, cap)) return PP_ERR_INVALID_PARAM;
  memcpy(r->carrier, v, n + 1);
  return PP_OK;
}

/* ---- /admin/v1 ---------------------------------------------------------- */

/* What a write's continuation needs: the row written and whether it is new. */
typedef struct {
  pp_carrier_t c;
  pp_route_rule_t rt;
  bool created;
} admin_state_t;

static void wipe_passwords(pp_carrier_t *rows, size_t n) {
  for (size_t i = 0; i < n; i++) sodium_memzero(rows[i].password, sizeof rows[i].password);
}

/* public_url/admin/v1/Carriers/<name>[/Routes[/<prefix>]], %-encoded. */
static char *carrier_url(pp_api_req_t *r, const char *name, bool routes, const char *prefix) {
  pp_buf_t b;
  pp_buf_init(&b, 4096);
  pp_buf_puts(&b, r->api->public_url);
  pp_buf_puts(&b, "/admin/v1/Carriers/");
  pp_buf_url_encode(&b, name);
  if (routes) pp_buf_puts(&b, "/Routes");
  if (prefix) {
    pp_buf_putc(&b, '/');
    pp_buf_url_encode(&b, prefix);
  }
  char *out = pp_buf_status(&b) ? NULL : pp_arena_strdup(&r->arena, b.data);
  pp_buf_cleanup(&b);
  return out;
}

/* Renders a carrier from the table's response fields, then wipes its
 * password. */
static void render_carrier(pp_api_req_t *r, pp_jw_t *w, pp_carrier_t *c) {
  pp_jw_obj_begin(w);
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const pp_carrier_opt_t *o = &pp_carrier_opts[i];
    const char *f = cfield_of(o, c);
    if (!o->json) continue;
    pp_jw_key(w, o->json);
    switch (o->kind) {
      case PP_CARRIER_OPT_TEXT:
      case PP_CARRIER_OPT_CHOICE:
      case PP_CARRIER_OPT_CHANNEL:
        pp_jw_str(w, f);
        break;
      case PP_CARRIER_OPT_SECRET:
        pp_jw_bool(w, *f != '\0');
        break;
      case PP_CARRIER_OPT_INT:
        pp_jw_int(w, *(const int *)(const void *)f);
        break;
      case PP_CARRIER_OPT_SWITCH:
        pp_jw_bool(w, *(const int *)(const void *)f != 0);
        break;
      case PP_CARRIER_OPT_ADDR:
        pp_jw_null(w);
        break; /* shown as host and port */
    }
  }
  sodium_memzero(c->password, sizeof c->password);
  pp_api_kdates_iso8601(w, c->date_created, c->date_updated);
  pp_jw_kstr(w, "url", carrier_url(r, c->name, false, NULL));
  pp_jw_key(w, "links");
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "routes", carrier_url(r, c->name, true, NULL));
  pp_jw_obj_end(w);
  pp_jw_obj_end(w);
}

static void render_route(pp_api_req_t *r, pp_jw_t *w, const pp_route_rule_t *rt) {
  pp_jw_obj_begin(w);
  pp_jw_kstr(w, "prefix", rt->prefix);
  pp_jw_kstr(w, "carrier", rt->carrier);
  pp_jw_kint(w, "priority", rt->priority);
  pp_api_kiso8601(w, "date_created", rt->date_created);
  pp_jw_kstr(w, "url", carrier_url(r, rt->carrier, true, rt->prefix));
  pp_jw_kstr(w, "carrier_url", carrier_url(r, rt->carrier, false, NULL));
  pp_jw_obj_end(w);
}

/* Twilio's v1 list envelope for one page holding every row. */
static void list_meta(pp_api_req_t *r, pp_jw_t *w, const char *key, size_t n) {
  char *url = pp_arena_printf(&r->arena, "%s%s", r->api->public_url, r->path);
  pp_jw_key(w, "meta");
  pp_jw_obj_begin(w);
  pp_jw_kint(w, "page", 0);
  pp_jw_kint(w, "page_size", (int64_t)n);
  pp_jw_kstr(w, "first_page_url", url);
  pp_jw_knull(w, "previous_page_url");
  pp_jw_kstr(w, "url", url);
  pp_jw_knull(w, "next_page_url");
  pp_jw_kstr(w, "key", key);
  pp_jw_obj_end(w);
}

/* Reads carrier `name` into *out (arena; with its password, which the
 * caller wipes).  PP_ERR_NOT_FOUND when there is none. */
static pp_err_t carrier_find(pp_api_req_t *r, const char *name, pp_carrier_t **out) {
  return pp_carrier_lookup(r->api->store, &r->arena, name, out);
}

/* 400 when `next` moves the stored carrier `old` to another address
 * without the password given again (pp_carrier_moves_password). */
static pp_err_t password_stays(pp_api_req_t *r, const pp_carrier_t *old, const pp_carrier_t *next) {
  if (!pp_carrier_moves_password(old, next, pp_form_get(&r->form, "Password") != NULL))
    return PP_OK;
  return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                     "Password is required to change the carrier's Host or Port: its password "
                     "is sent only to the address it was given for");
}

/* carrier_find for the carrier of the path (capture 0): 404 with the path
 * when there is none. */
static pp_err_t path_carrier(pp_api_req_t *r, const char **name, pp_carrier_t **out) {
  const char *n = pp_api_capture(r, 0);
  pp_err_t e = n ? carrier_find(r, n, out) : PP_ERR_NOT_FOUND;
  if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, e, r->path);
  if (!e) *name = n;
  return e;
}

static pp_err_t respond_carrier(pp_api_req_t *r, int status, pp_carrier_t *c) {
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  render_carrier(r, &w, c);
  r->status = status;
  return pp_buf_status(&r->body);
}

/* Applies the form's carrier parameters in table order (so Host and Port
 * after Smpp win).  With `rename` false a Name must equal the current one. */
static pp_err_t apply_form(pp_api_req_t *r, pp_carrier_t *c, bool rename) {
  char why[128];
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const pp_carrier_opt_t *o = &pp_carrier_opts[i];
    const char *v = o->param ? pp_form_get(&r->form, o->param) : NULL;
    if (!v) continue;
    if (!rename && o == &pp_carrier_opts[0]) {
      if (strcmp(v, c->name) != 0)
        return pp_api_fail(r, PP_ERR_INVALID_PARAM, "Name cannot be changed");
      continue;
    }
    if (pp_carrier_opt_set(o, c, v, why, sizeof why))
      return pp_api_fail(r, PP_ERR_INVALID_PARAM,
                         pp_arena_printf(&r->arena, "%s %s", o->param, why));
  }
  return PP_OK;
}

static pp_err_t carrier_written(pp_api_req_t *r) {
  admin_state_t *st = r->state;
  sodium_memzero(st->c.password, sizeof st->c.password);
  if (r->write.result) return r->write.result;
  pp_log_info("admin", "the operator %s carrier %s", st->created ? "created" : "changed",
              st->c.name);
  pp_carrier_t *c = NULL;
  pp_err_t e = carrier_find(r, st->c.name, &c); /* as stored: date_created of a replaced one */
  if (e == PP_ERR_NOT_FOUND) return pp_api_fail(r, e, r->path); /* removed meanwhile */
  return e ? e : respond_carrier(r, st->created ? 201 : 200, c);
}

void pp_carrier_ref(const char *name, char out[PP_AUDIT_RESOURCE_MAX + 1]) {
  snprintf(out, PP_AUDIT_RESOURCE_MAX + 1, "carrier:%s", name);
}

void pp_route_ref(const pp_route_rule_t *rt, char out[PP_AUDIT_RESOURCE_MAX + 1]) {
  snprintf(out, PP_AUDIT_RESOURCE_MAX + 1, "route:%s@%s", rt->prefix, rt->carrier);
}

void pp_sender_ref(const char *account_sid, const char *sender,
                   char out[PP_AUDIT_RESOURCE_MAX + 1]) {
  snprintf(out, PP_AUDIT_RESOURCE_MAX + 1, "sender:%s/%s", account_sid, sender);
}

/* Records a configuration change on the write about to be submitted. */
static void audit_config(pp_api_req_t *r, pp_audit_kind_t kind, const char *ref) {
  pp_api_audit_attach(r, kind, NULL, &ref, 1);
}

/* audit_config of carrier `name`, and of route `rt`. */
static void audit_carrier(pp_api_req_t *r, pp_audit_kind_t kind, const char *name) {
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  pp_carrier_ref(name, ref);
  audit_config(r, kind, ref);
}

static void audit_route(pp_api_req_t *r, pp_audit_kind_t kind, const pp_route_rule_t *rt) {
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  pp_route_ref(rt, ref);
  audit_config(r, kind, ref);
}

/* Submits the put of st->c, unless the checks before it failed (`e`): the
 * new password is wiped whenever it is not handed to the write. */
static pp_err_t carrier_put(pp_api_req_t *r, admin_state_t *st, pp_err_t e) {
  if (e) {
    sodium_memzero(st->c.password, sizeof st->c.password);
    return e;
  }
  st->c.date_updated = pp_clock_now();
  if (!st->c.date_created) st->c.date_created = st->c.date_updated;
  r->state = st;
  r->write.kind = PP_W_CARRIER_PUT;
  r->write.u.carrier = &st->c;
  audit_carrier(r, PP_AUDIT_CARRIER_PUT, st->c.name);
  e = pp_api_submit(r, carrier_written);
  if (e != PP_ERR_AGAIN) sodium_memzero(st->c.password, sizeof st->c.password);
  return e;
}

static admin_state_t *state_new(pp_api_req_t *r) {
  admin_state_t *st = pp_arena_alloc(&r->arena, sizeof *st);
  if (st) memset(st, 0, sizeof *st);
  return st;
}

pp_err_t pp_api_carrier_create(pp_api_req_t *r) {
  admin_state_t *st = state_new(r);
  if (!st) return PP_ERR_NOMEM;
  pp_carrier_defaults(&st->c);
  pp_err_t e = apply_form(r, &st->c, true);
  const pp_carrier_opt_t *missing = e ? NULL : pp_carrier_missing(&st->c);
  if (missing)
    e = pp_api_fail(r, PP_ERR_INVALID_PARAM,
                    missing->kind == PP_CARRIER_OPT_ADDR
                        ? "Smpp (HOST:PORT), or Host and Port, is required"
                        : pp_arena_printf(&r->arena, "%s is required", missing->param));
  pp_carrier_t *old;
  if (!e) {
    pp_err_t f = carrier_find(r, st->c.name, &old);
    st->created = f == PP_ERR_NOT_FOUND;
    if (f && !st->created) e = f;
    if (!f) {
      e = password_stays(r, old, &st->c);
      sodium_memzero(old->password, sizeof old->password);
    }
  }
  return carrier_put(r, st, e);
}

pp_err_t pp_api_carrier_update(pp_api_req_t *r) {
  const char *name = NULL;
  admin_state_t *st = state_new(r);
  if (!st) return PP_ERR_NOMEM;
  pp_carrier_t *c = NULL;
  pp_err_t e = path_carrier(r, &name, &c);
  if (e) return e;
  st->c = *c;
  e = apply_form(r, &st->c, false);
  if (!e) e = password_stays(r, c, &st->c);
  sodium_memzero(c->password, sizeof c->password);
  return carrier_put(r, st, e);
}

pp_err_t pp_api_carrier_fetch(pp_api_req_t *r) {
  const char *name = NULL;
  pp_carrier_t *c = NULL;
  pp_err_t e = path_carrier(r, &name, &c);
  return e ? e : respond_carrier(r, 200, c);
}

/* Renders one row of a list; false when the row is left out. */
typedef bool (*list_row_fn)(pp_api_req_t *r, pp_jw_t *w, void *row, const void *arg);

/* {"<key>": [rows...], "meta": {...}} with the rows `row` renders. */
static pp_err_t respond_list(pp_api_req_t *r, const char *key, void *rows, size_t size, size_t n,
                             list_row_fn row, const void *arg) {
  size_t shown = 0;
  pp_jw_t w;
  pp_jw_init(&w, &r->body);
  pp_jw_obj_begin(&w);
  pp_jw_key(&w, key);
  pp_jw_arr_begin(&w);
  for (size_t i = 0; i < n; i++) shown += row(r, &w, (char *)rows + i * size, arg);
  pp_jw_arr_end(&w);
  list_meta(r, &w, key, shown);
  pp_jw_obj_end(&w);
  r->status = 200;
  return pp_buf_status(&r->body);
}

static bool list_carrier(pp_api_req_t *r, pp_jw_t *w, void *row, const void *arg) {
  (void)arg;
  render_carrier(r, w, row); /* wipes its password */
  return true;
}

pp_err_t pp_api_carrier_list(pp_api_req_t *r) {
  pp_carrier_t *rows;
  size_t n;
  pp_err_t e = pp_store_carrier_all(r->api->store, &r->arena, &rows, &n);
  if (e) return e;
  e = respond_list(r, "carriers", rows, sizeof *rows, n, list_carrier, NULL);
  wipe_passwords(rows, n);
  return e;
}

/* The continuation of the deletes: logs what went, then 204 or 404. */
static pp_err_t admin_deleted(pp_api_req_t *r) {
  if (r->write.result == PP_OK) {
    if (r->write.kind == PP_W_CARRIER_DELETE)
      pp_log_info("admin", "the operator removed carrier %s and its routes", r->write.u.name);
    else
      pp_log_info("admin", "the operator removed route %s -> %s", r->write.u.route->prefix,
                  r->write.u.route->carrier);
  }
  return pp_api_deleted(r);
}

pp_err_t pp_api_carrier_delete(pp_api_req_t *r) {
  const char *name = pp_api_capture(r, 0);
  pp_route_rule_t by_name;
  char why[128];
  if (!name || pp_route_set_carrier(&by_name, name, why, sizeof why))
    return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path); /* no such carrier can exist */
  r->write.kind = PP_W_CARRIER_DELETE;
  r->write.u.name = name;
  audit_carrier(r, PP_AUDIT_CARRIER_DELETE, name);
  return pp_api_submit(r, admin_deleted);
}

static bool list_route(pp_api_req_t *r, pp_jw_t *w, void *row, const void *carrier) {
  const pp_route_rule_t *rt = row;
  if (carrier && strcmp(rt->carrier, carrier) != 0) return false;
  render_route(r, w, rt);
  return true;
}

/* Renders the routes (routing order) of `carrier`, or all when NULL. */
static pp_err_t respond_routes(pp_api_req_t *r, const char *carrier) {
  pp_route_rule_t *rows;
  size_t n;
  pp_err_t e = pp_store_route_all(r->api->store, &r->arena, &rows, &n);
  return e ? e : respond_list(r, "routes", rows, sizeof *rows, n, list_route, carrier);
}

/* The name of the path's carrier, which must exist. */
static pp_err_t path_carrier_name(pp_api_req_t *r, const char **name) {
  pp_carrier_t *c = NULL;
  pp_err_t e = path_carrier(r, name, &c);
  if (!e) sodium_memzero(c->password, sizeof c->password);
  return e;
}

pp_err_t pp_api_route_list(pp_api_req_t *r) {
  return respond_routes(r, NULL);
}

pp_err_t pp_api_carrier_route_list(pp_api_req_t *r) {
  const char *name = NULL;
  pp_err_t e = path_carrier_name(r, &name);
  return e ? e : respond_routes(r, name);
}

static pp_err_t route_written(pp_api_req_t *r) {
  admin_state_t *st = r->state;
  if (r->write.result) return r->write.result;
  pp_log_info("admin", "the operator set route %s -> %s (priority %d)", st->rt.prefix,
              st->rt.carrier, st->rt.priority);
  pp_route_rule_t *rows;
  size_t n;
  pp_err_t e = pp_store_route_all(r->api->store, &r->arena, &rows, &n);
  if (e) return e;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(rows[i].prefix, st->rt.prefix) && !strcmp(rows[i].carrier, st->rt.carrier)) {
      pp_jw_t w;
      pp_jw_init(&w, &r->body);
      render_route(r, &w, &rows[i]);
      r->status = st->created ? 201 : 200;
      return pp_buf_status(&r->body);
    }
  return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path); /* removed meanwhile */
}

pp_err_t pp_api_carrier_route_create(pp_api_req_t *r) {
  const char *name = NULL;
  pp_err_t e = path_carrier_name(r, &name);
  if (e) return e;
  admin_state_t *st = state_new(r);
  if (!st) return PP_ERR_NOMEM;
  char why[128];
  const char *prefix = pp_form_get(&r->form, "Prefix");
  const char *priority = pp_form_get(&r->form, "Priority");
  if (!prefix) return pp_api_fail(r, PP_ERR_INVALID_PARAM, "Prefix is required");
  if (pp_route_set_prefix(&st->rt, prefix, why, sizeof why))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, pp_arena_printf(&r->arena, "Prefix %s", why));
  if (priority && pp_route_set_priority(&st->rt, priority, why, sizeof why))
    return pp_api_fail(r, PP_ERR_INVALID_PARAM, pp_arena_printf(&r->arena, "Priority %s", why));
  if (pp_route_set_carrier(&st->rt, name, why, sizeof why))
    return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path);
  pp_route_rule_t *rows;
  size_t n;
  if ((e = pp_store_route_all(r->api->store, &r->arena, &rows, &n))) return e;
  st->created = true;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(rows[i].prefix, st->rt.prefix) && !strcmp(rows[i].carrier, st->rt.carrier))
      st->created = false;
  st->rt.date_created = pp_clock_now();
  r->state = st;
  r->write.kind = PP_W_ROUTE_PUT;
  r->write.u.route = &st->rt;
  audit_route(r, PP_AUDIT_ROUTE_PUT, &st->rt);
  return pp_api_submit(r, route_written);
}

pp_err_t pp_api_carrier_route_delete(pp_api_req_t *r) {
  const char *name = pp_api_capture(r, 0), *prefix = pp_api_capture(r, 1);
  admin_state_t *st = state_new(r);
  if (!st) return PP_ERR_NOMEM;
  char why[128];
  if (!name || !prefix || pp_route_set_carrier(&st->rt, name, why, sizeof why) ||
      pp_route_set_prefix(&st->rt, prefix, why, sizeof why))
    return pp_api_fail(r, PP_ERR_NOT_FOUND, r->path); /* no such route can exist */
  r->write.kind = PP_W_ROUTE_DELETE;
  r->write.u.route = &st->rt;
  audit_route(r, PP_AUDIT_ROUTE_DELETE, &st->rt);
  return pp_api_submit(r, admin_deleted);
}

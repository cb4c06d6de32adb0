/* carriers.c: the SMSCs Pipit binds to and the routes to them: the table
 * of carrier settings (CLI flag, API parameter, response field, default,
 * rule), the one definition of them, and the checks of a route. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* ---- The settings ------------------------------------------------------ */

static const char *const bind_modes[] = {"trx", "tx+rx", NULL};
static const char *const concat_modes[] = {"udh", "sar", NULL};
static const char *const gsm7_modes[] = {"unpacked", "packed", NULL};

#define FIELD(f) offsetof(pp_carrier_t, f), sizeof(((pp_carrier_t *)0)->f)

/* SMPP 3.4 limits (5.2.1-5.2.3): system_id 15 characters, password 8,
 * system_type 12.  The name is the CLI's positional argument. */
const pp_carrier_opt_t pp_carrier_opts[] = {
    /* The name first: pp_route_set_carrier relies on it. */
    {NULL, "Name", "name", NULL, PP_CARRIER_OPT_TEXT, FIELD(name), 1, 63, 0, NULL, true},
    {"--smpp", "Smpp", NULL, "--smpp HOST:PORT", PP_CARRIER_OPT_ADDR, FIELD(host), 1, 255, 0,
     NULL, true},
    {NULL, "Host", "host", NULL, PP_CARRIER_OPT_TEXT, FIELD(host), 1, 255, 0, NULL, false},
    {NULL, "Port", "port", NULL, PP_CARRIER_OPT_INT, FIELD(port), 1, 65535, 0, NULL, false},
    {"--system-id", "SystemId", "system_id", "--system-id ID", PP_CARRIER_OPT_TEXT,
     FIELD(system_id), 1, 15, 0, NULL, true},
    {"--password", "Password", "password_set", "--password PW", PP_CARRIER_OPT_SECRET,
     FIELD(password), 0, 8, 0, NULL, false},
    {"--system-type", "SystemType", "system_type", "[--system-type T]", PP_CARRIER_OPT_TEXT,
     FIELD(system_type), 0, 12, 0, NULL, false},
    {"--bind", "Bind", "bind", "[--bind trx|tx+rx]", PP_CARRIER_OPT_CHOICE, FIELD(bind_mode), 0,
     0, 0, bind_modes, false},
    {"--window", "Window", "window", "[--window N]", PP_CARRIER_OPT_INT, FIELD(window), 1, 10000,
     50, NULL, false},
    {"--mps", "Mps", "mps", "[--mps N]", PP_CARRIER_OPT_INT, FIELD(mps), 0, 1000000, 0, NULL,
     false},
    {"--binds", "Binds", "binds", "[--binds N]", PP_CARRIER_OPT_INT, FIELD(binds), 1, 16, 1, NULL,
     false},
    {"--concat", "Concat", "concat", "[--concat udh|sar]", PP_CARRIER_OPT_CHOICE, FIELD(concat),
     0, 0, 0, concat_modes, false},
    {"--payload", "Payload", "payload", "[--payload on|off]", PP_CARRIER_OPT_SWITCH,
     FIELD(payload), 0, 1, 0, NULL, false},
    {"--gsm7", "Gsm7", "gsm7", "[--gsm7 unpacked|packed]", PP_CARRIER_OPT_CHOICE, FIELD(gsm7), 0,
     0, 0, gsm7_modes, false},
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

static char *field_of(const pp_carrier_opt_t *o, pp_carrier_t *c) { return (char *)c + o->off; }
static const char *cfield_of(const pp_carrier_opt_t *o, const pp_carrier_t *c) {
  return (const char *)c + o->off;
}

void pp_carrier_defaults(pp_carrier_t *c) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const pp_carrier_opt_t *o = &pp_carrier_opts[i];
    if (o->kind == PP_CARRIER_OPT_CHOICE)
      snprintf(field_of(o, c), o->size, "%s", o->choices[0]);
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

pp_err_t pp_carrier_opt_set(const pp_carrier_opt_t *o, pp_carrier_t *c, const char *v,
                            char *why, size_t cap) {
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
    if (o->kind == PP_CARRIER_OPT_ADDR ? !c->host[0] || c->port <= 0 : !*cfield_of(o, c))
      return o;
  }
  return NULL;
}

void pp_carrier_opt_format(const pp_carrier_opt_t *o, const pp_carrier_t *c, char *out,
                           size_t cap) {
  const char *f = cfield_of(o, c);
  switch (o->kind) {
  case PP_CARRIER_OPT_TEXT:
  case PP_CARRIER_OPT_CHOICE: snprintf(out, cap, "%s", f); break;
  case PP_CARRIER_OPT_SECRET: snprintf(out, cap, "%s", *f ? "set" : "unset"); break;
  case PP_CARRIER_OPT_INT: snprintf(out, cap, "%d", *(const int *)(const void *)f); break;
  case PP_CARRIER_OPT_SWITCH:
    snprintf(out, cap, "%s", *(const int *)(const void *)f ? "on" : "off");
    break;
  case PP_CARRIER_OPT_ADDR: snprintf(out, cap, "%s:%d", c->host, c->port); break;
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

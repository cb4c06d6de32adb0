/* admin.c: `pipit admin`: accounts, numbers, carriers, routes and staff
 * on a data directory, safe to run while `pipit serve` uses it (the store
 * takes care of concurrency).  Carrier settings come from the table in
 * api/carriers.c, which the /admin/v1 API reads too.  Every change is
 * recorded in the audit log in its own transaction, by principal
 * "cli:<user>". */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "api/api.h"
#include "app/app.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/phone.h"
#include "staff/staff.h"
#include "store/store.h"

static void admin_usage(FILE *f) {
  fputs(
      "usage: pipit admin [--data DIR | --store URL] COMMAND\n"
      "  account create --name NAME [--number +E164]... [--sender NAME]... [--json]\n"
      "  sender add|remove --account AC... --sender NAME   (alphanumeric From)\n"
      "  number add +E164... [--account AC...]   numbers accounts may take with\n"
      "                   IncomingPhoneNumbers (to that account and its subaccounts,\n"
      "                   or to any account)\n"
      "  number list | number remove +E164...\n"
      "  account rotate-key AC...   new data key; the account's content sealed again\n"
      "  keys rotate-master         new master key; every data key wrapped again\n"
      "  staff add NAME [--role operator|support] [--public-url URL] [--json]\n"
      "                   a staff member (role operator by default) and their\n"
      "                   one-time enrolment link PUBLIC_URL/staff/enrol/TOKEN,\n"
      "                   valid 15 minutes (PUBLIC_URL: --public-url, else\n"
      "                   PIPIT_PUBLIC_URL; the one pipit serve has)\n"
      "  staff list [--json] | staff remove NAME   (removal ends their sessions)\n",
      f);
  /* The flags of the one carrier table (api/carriers.c), which the admin
   * API reads too. */
  int col = fprintf(f, "  carrier add NAME");
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const char *u = pp_carrier_opts[i].usage;
    if (!u) continue;
    if (col + 1 + (int)strlen(u) > 88) col = fprintf(f, "\n             ");
    col += fprintf(f, " %s", u);
  }
  fputs(
      "\n  carrier list | carrier remove NAME\n"
      "  route add --prefix +1 --carrier NAME [--priority N]\n"
      "  route list | route remove --prefix P --carrier NAME\n"
      "  (carrier and route changes here are the break-glass path: applied at once,\n"
      "  recorded as cli:USER in the installation's changelog; staff ask for them\n"
      "  through /admin/v1 and a second operator approves)\n"
      "A running pipit serve picks carrier and route changes up within seconds.\n",
      f);
}

/* Writes `w` with an audit event of `kind` naming `ref`. */
static pp_err_t audited_write(pp_store_t *store, pp_write_t *w, pp_audit_kind_t kind,
                              const char *account_sid, const char *request, const char *ref) {
  pp_audit_event_t ev;
  pp_audit_cli_event(&ev, kind, account_sid, request, &ref, ref ? 1 : 0);
  w->audit = &ev;
  pp_err_t e = pp_store_write(store, w);
  w->audit = NULL;
  return e;
}

/* A JSON object that holds a secret shown once: begun into `b` ... */
static void secret_json_begin(pp_buf_t *b, pp_jw_t *jw) {
  pp_buf_init(b, 0);
  pp_jw_init(jw, b);
  pp_jw_obj_begin(jw);
}

/* ... then closed, printed on a line of its own, wiped and freed. */
static void secret_json_print(pp_buf_t *b, pp_jw_t *jw) {
  pp_jw_obj_end(jw);
  if (!pp_buf_status(b)) printf("%s\n", b->data);
  sodium_memzero(b->data, b->len);
  pp_buf_cleanup(b);
}

static int write_or_say(pp_store_t *store, pp_write_t *w, const char *what, pp_audit_kind_t kind,
                        const char *request, const char *ref) {
  pp_err_t e = audited_write(store, w, kind, NULL, request, ref);
  if (e == PP_ERR_NOT_FOUND) {
    fprintf(stderr, "pipit admin: no such %s\n", what);
    return 1;
  }
  if (e) {
    fprintf(stderr, "pipit admin: cannot change the %s: %s\n", what, pp_err_name(e));
    return 1;
  }
  return 0;
}

/* write_or_say for a change to the installation's traffic from the host
 * (the break-glass path): recorded in the same transaction in the
 * installation's changelog as asked and applied by cli:<user>
 * (pp_change_host), with `action`, the carrier, the route's prefix ("":
 * none) and the settings written (`params`, URL-encoded, no password). */
static int traffic_write(pp_store_t *store, pp_write_t *w, const char *request, const char *ref,
                         const char *action, const pp_carrier_t *c, const pp_route_rule_t *rt,
                         const char *params) {
  pp_audit_kind_t kind = w->kind == PP_W_CARRIER_PUT      ? PP_AUDIT_CARRIER_PUT
                         : w->kind == PP_W_CARRIER_DELETE ? PP_AUDIT_CARRIER_DELETE
                         : w->kind == PP_W_ROUTE_PUT      ? PP_AUDIT_ROUTE_PUT
                                                          : PP_AUDIT_ROUTE_DELETE;
  pp_audit_event_t who; /* the principal the event will carry */
  pp_audit_cli_event(&who, kind, NULL, request, NULL, 0);
  pp_change_t ch;
  if (pp_change_host(action, who.principal, pp_clock_now(), &ch)) return 1;
  snprintf(ch.carrier, sizeof ch.carrier, "%s", rt ? rt->carrier : c ? c->name : w->u.name);
  if (rt) snprintf(ch.prefix, sizeof ch.prefix, "%s", rt->prefix);
  snprintf(ch.params, sizeof ch.params, "%s", params);
  if (c) memcpy(ch.password, c->password, sizeof ch.password); /* sealed at rest */
  pp_change_write_t cw = {.change = &ch, .insert = true};
  w->change = &cw;
  int rc = write_or_say(store, w, rt ? "route" : "carrier", kind, request, ref);
  w->change = NULL;
  sodium_memzero(ch.password, sizeof ch.password);
  return rc;
}

/* A carrier's settings as the API's parameters (URL-encoded; the password
 * and the Smpp shorthand left out) into `out`. */
static void carrier_params(const pp_carrier_t *c, char out[PP_CHANGE_PARAMS_SIZE]) {
  pp_buf_t b;
  pp_buf_init(&b, PP_CHANGE_PARAMS_SIZE);
  for (size_t i = 0; i < pp_carrier_opts_count; i++) {
    const pp_carrier_opt_t *o = &pp_carrier_opts[i];
    char v[300];
    if (!o->param || o->kind == PP_CARRIER_OPT_SECRET || o->kind == PP_CARRIER_OPT_ADDR) continue;
    pp_carrier_opt_format(o, c, v, sizeof v);
    if (b.len) pp_buf_putc(&b, '&');
    pp_buf_puts(&b, o->param);
    pp_buf_putc(&b, '=');
    pp_buf_url_encode(&b, v);
  }
  snprintf(out, PP_CHANGE_PARAMS_SIZE, "%s", pp_buf_status(&b) || !b.len ? "" : b.data);
  pp_buf_cleanup(&b);
}

static int carrier_list(pp_store_t *store) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_carrier_t *cs;
  size_t n;
  if (pp_store_carrier_all(store, &a, &cs, &n)) {
    pp_arena_cleanup(&a);
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    printf("%s\t%s:%d", cs[i].name, cs[i].host, cs[i].port);
    for (size_t k = 0; k < pp_carrier_opts_count; k++) {
      const pp_carrier_opt_t *o = &pp_carrier_opts[k];
      char v[300];
      if (!o->flag || o->kind == PP_CARRIER_OPT_ADDR || o->kind == PP_CARRIER_OPT_SECRET) continue;
      pp_carrier_opt_format(o, &cs[i], v, sizeof v);
      printf("\t%s=%s", o->flag + 2, v);
    }
    putchar('\n');
    sodium_memzero(cs[i].password, sizeof cs[i].password);
  }
  pp_arena_cleanup(&a);
  return 0;
}

/* Reads a secret from the file `path` ("-": standard input, not echoed on
 * a terminal) into out: its text without one trailing line end.  False
 * when it cannot be read or does not fit in cap - 1 bytes. */
static bool read_secret(const char *path, char *out, size_t cap) {
  bool in = strcmp(path, "-") == 0, tty = in && isatty(STDIN_FILENO);
  int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct termios saved, quiet;
  if (tty && tcgetattr(fd, &saved) == 0) {
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    fputs("carrier password: ", stderr);
  } else {
    tty = false;
  }
  size_t n = 0;
  ssize_t r = 0;
  while (n < cap && (r = read(fd, out + n, cap - n)) > 0) {
    n += (size_t)r;
    if (tty && memchr(out, '\n', n)) break; /* one line from a terminal */
  }
  if (tty) {
    tcsetattr(fd, TCSAFLUSH, &saved);
    fputc('\n', stderr);
  }
  if (!in) close(fd);
  if (r < 0 || n == cap) {
    sodium_memzero(out, cap);
    return false;
  }
  if (n && out[n - 1] == '\n') n--;
  if (n && out[n - 1] == '\r') n--;
  out[n] = '\0';
  return true;
}

/* Sets option `o` of *c from its command-line value `v`; for the password,
 * `v` names the file that holds it.  0, or 2 (said) when refused. */
static int carrier_flag(const pp_carrier_opt_t *o, pp_carrier_t *c, const char *v) {
  char why[128], secret[64];
  if (o->kind == PP_CARRIER_OPT_SECRET) {
    if (!read_secret(v, secret, sizeof secret)) {
      fprintf(stderr, "pipit admin: %s %s: cannot read it, or it is too long\n", o->flag, v);
      return 2;
    }
    v = secret;
  }
  pp_err_t e = pp_carrier_opt_set(o, c, v, why, sizeof why);
  sodium_memzero(secret, sizeof secret);
  if (e) fprintf(stderr, "pipit admin: %s %s\n", o->flag, why);
  return e ? 2 : 0;
}

/* 0 when writing `c` keeps the stored carrier of its name where its
 * password may go (pp_carrier_moves_password), else 1 (said). */
static int password_stays(pp_store_t *store, const pp_carrier_t *c, bool password_given) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_carrier_t *old = NULL;
  pp_err_t e = pp_carrier_lookup(store, &a, c->name, &old);
  int rc = 0;
  if (e && e != PP_ERR_NOT_FOUND) {
    fprintf(stderr, "pipit admin: cannot read the carriers: %s\n", pp_err_name(e));
    rc = 1;
  } else if (!e && pp_carrier_moves_password(old, c, password_given)) {
    fprintf(stderr,
            "pipit admin: carrier %s has a password, which is sent only to the address "
            "it was given for: give it again (--password-file FILE|-) to change the "
            "address\n",
            c->name);
    rc = 1;
  }
  if (!e) sodium_memzero(old->password, sizeof old->password);
  pp_arena_cleanup(&a);
  return rc;
}

static int carrier_cmd(pp_store_t *store, int argc, char **argv) {
  if (argc >= 1 && strcmp(argv[0], "list") == 0) return carrier_list(store);
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  if (argc == 2 && strcmp(argv[0], "remove") == 0) {
    pp_write_t w = {.kind = PP_W_CARRIER_DELETE, .u.name = argv[1]};
    pp_carrier_ref(argv[1], ref);
    return traffic_write(store, &w, "admin carrier remove", ref, "carrier.delete", NULL, NULL, "");
  }
  if (argc < 2 || strcmp(argv[0], "add") != 0) return 2;
  pp_carrier_t c;
  pp_carrier_defaults(&c);
  char why[128];
  int rc = 0;
  bool password_given = false;
  if (pp_carrier_opt_set(pp_carrier_opt_by_param("Name"), &c, argv[1], why, sizeof why)) {
    fprintf(stderr, "pipit admin: the carrier name %s\n", why);
    rc = 2;
  }
  for (int i = 2; i < argc && !rc; i += 2) {
    const pp_carrier_opt_t *o = pp_carrier_opt_by_flag(argv[i]);
    if (strcmp(argv[i], "--password") == 0) {
      fputs(
          "pipit admin: --password is not taken (the process list and the shell history "
          "would show it): put the password in a file only you can read and give "
          "--password-file FILE, or --password-file - to read it from standard input\n",
          stderr);
      rc = 2;
    } else if (!o || i + 1 >= argc) {
      rc = 2;
    } else {
      rc = carrier_flag(o, &c, argv[i + 1]);
      password_given |= o->kind == PP_CARRIER_OPT_SECRET;
    }
  }
  const pp_carrier_opt_t *missing = rc ? NULL : pp_carrier_missing(&c);
  if (missing) {
    fprintf(stderr, "pipit admin: %s is required\n", missing->usage);
    rc = 2;
  }
  if (!rc) rc = password_stays(store, &c, password_given);
  if (!rc) {
    c.date_created = c.date_updated = pp_clock_now();
    pp_write_t w = {.kind = PP_W_CARRIER_PUT, .u.carrier = &c};
    pp_carrier_ref(c.name, ref);
    char params[PP_CHANGE_PARAMS_SIZE];
    carrier_params(&c, params);
    rc = traffic_write(store, &w, "admin carrier add", ref, "carrier.create", &c, NULL, params);
  }
  sodium_memzero(c.password, sizeof c.password);
  return rc;
}

static int route_cmd(pp_store_t *store, int argc, char **argv) {
  if (argc >= 1 && strcmp(argv[0], "list") == 0) {
    pp_arena_t a;
    pp_arena_init(&a, 0);
    pp_route_rule_t *rs;
    size_t n;
    if (pp_store_route_all(store, &a, &rs, &n)) {
      pp_arena_cleanup(&a);
      return 1;
    }
    for (size_t i = 0; i < n; i++)
      printf("%s\t%s\tpriority=%d\n", rs[i].prefix, rs[i].carrier, rs[i].priority);
    pp_arena_cleanup(&a);
    return 0;
  }
  if (argc < 1 || (strcmp(argv[0], "add") && strcmp(argv[0], "remove"))) return 2;
  pp_route_rule_t r;
  memset(&r, 0, sizeof r);
  char why[128];
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    pp_err_t e;
    if (strcmp(k, "--prefix") == 0)
      e = pp_route_set_prefix(&r, v, why, sizeof why);
    else if (strcmp(k, "--carrier") == 0)
      e = pp_route_set_carrier(&r, v, why, sizeof why);
    else if (strcmp(k, "--priority") == 0)
      e = pp_route_set_priority(&r, v, why, sizeof why);
    else
      return 2;
    if (e) {
      fprintf(stderr, "pipit admin: %s %s\n", k, why);
      return 2;
    }
  }
  if (!r.prefix[0] || !r.carrier[0] || argc % 2 == 0) return 2;
  r.date_created = pp_clock_now();
  bool add = strcmp(argv[0], "add") == 0;
  pp_write_t w = {.kind = add ? PP_W_ROUTE_PUT : PP_W_ROUTE_DELETE, .u.route = &r};
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  pp_route_ref(&r, ref);
  char params[64] = "";
  if (add) snprintf(params, sizeof params, "Priority=%d", r.priority);
  return traffic_write(store, &w, add ? "admin route add" : "admin route remove", ref,
                       add ? "route.create" : "route.delete", NULL, &r, params);
}

/* `operator token`: retired (issue 13).  It says what replaced it. */
static int operator_token(void) {
  fprintf(stderr,
          "pipit admin: %s: add staff with `pipit admin staff add NAME`; they sign in "
          "with a passkey, and changes to carriers and routes need a second operator\n",
          pp_err_format(PP_ERR_OPERATOR_TOKEN_GONE));
  return 2;
}

/* Makes `phone` available to `account_sid` ("": any account). */
static pp_err_t offer_write(pp_store_t *store, bool add, const char *phone, const char *account_sid,
                            const char *request) {
  pp_number_offer_t o;
  memset(&o, 0, sizeof o);
  snprintf(o.phone_number, sizeof o.phone_number, "%s", phone);
  snprintf(o.account_sid, sizeof o.account_sid, "%s", account_sid);
  o.date_created = pp_clock_now();
  pp_write_t w = {.kind = add ? PP_W_OFFER_PUT : PP_W_OFFER_DELETE, .u.offer = &o};
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  pp_offer_ref(phone, ref);
  return audited_write(store, &w, add ? PP_AUDIT_NUMBER_OFFER : PP_AUDIT_NUMBER_WITHDRAW,
                       account_sid[0] ? account_sid : NULL, request, ref);
}

/* `number add +E164... [--account AC...]`, `number remove +E164...`,
 * `number list`. */
static int number_cmd(pp_store_t *store, int argc, char **argv) {
  if (argc == 1 && strcmp(argv[0], "list") == 0) {
    pp_arena_t a;
    pp_arena_init(&a, 0);
    pp_number_offer_t *os;
    size_t n;
    if (pp_store_offer_all(store, &a, &os, &n)) {
      pp_arena_cleanup(&a);
      return 1;
    }
    for (size_t i = 0; i < n; i++)
      printf("%s\tto=%s\theld-by=%s\n", os[i].phone_number,
             os[i].account_sid[0] ? os[i].account_sid : "any",
             os[i].holder_sid[0] ? os[i].holder_sid : "-");
    pp_arena_cleanup(&a);
    return 0;
  }
  if (argc < 2 || (strcmp(argv[0], "add") && strcmp(argv[0], "remove"))) return 2;
  bool add = strcmp(argv[0], "add") == 0;
  const char *account = "";
  int nphones = argc - 1;
  if (add && argc >= 4 && strcmp(argv[argc - 2], "--account") == 0) {
    account = argv[argc - 1];
    nphones -= 2;
  }
  if (nphones < 1) return 2;
  for (int i = 1; i <= nphones; i++)
    if (!pp_phone_is_e164(argv[i])) {
      fprintf(stderr, "pipit admin: %s is not an E.164 number (+15551234567)\n", argv[i]);
      return 2;
    }
  if (account[0]) {
    pp_account_t acc;
    int which;
    pp_err_t e = pp_sid_valid(account, "AC")
                     ? pp_store_account_auth(store, account, NULL, &acc, &which)
                     : PP_ERR_NOT_FOUND;
    sodium_memzero(&acc, sizeof acc);
    if (e) {
      fprintf(stderr, "pipit admin: no account %s\n", account);
      return 1;
    }
  }
  for (int i = 1; i <= nphones; i++) {
    pp_err_t e =
        offer_write(store, add, argv[i], account, add ? "admin number add" : "admin number remove");
    if (e == PP_ERR_NOT_FOUND) {
      fprintf(stderr, "pipit admin: %s is not one of the operator's numbers\n", argv[i]);
      return 1;
    }
    if (e) {
      fprintf(stderr, "pipit admin: number %s %s: %s\n", argv[0], argv[i], pp_err_name(e));
      return 1;
    }
  }
  return 0;
}

/* Gives the account a phone number (as IncomingPhoneNumbers.create would). */
static pp_err_t number_add(pp_store_t *store, const char *account_sid, const char *phone) {
  pp_number_t n;
  memset(&n, 0, sizeof n);
  pp_sid_new(n.sid, "PN");
  memcpy(n.account_sid, account_sid, sizeof n.account_sid);
  snprintf(n.phone_number, sizeof n.phone_number, "%s", phone);
  snprintf(n.friendly_name, sizeof n.friendly_name, "%s", phone);
  memcpy(n.sms_method, "POST", 5);
  memcpy(n.sms_fallback_method, "POST", 5);
  memcpy(n.status_callback_method, "POST", 5);
  n.date_created = n.date_updated = pp_clock_now();
  pp_write_t w = {.kind = PP_W_NUMBER_INSERT, .u.number = &n};
  return audited_write(store, &w, PP_AUDIT_NUMBER_CREATE, account_sid, "admin account create",
                       n.sid);
}

static pp_err_t sender_write(pp_store_t *store, bool add, const char *account_sid,
                             const char *sender) {
  pp_write_t w = {.kind = add ? PP_W_SENDER_PUT : PP_W_SENDER_DELETE,
                  .u.sender = {account_sid, sender, pp_clock_now()}};
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  pp_sender_ref(account_sid, sender, ref);
  return audited_write(store, &w, add ? PP_AUDIT_SENDER_ADD : PP_AUDIT_SENDER_REMOVE, account_sid,
                       add ? "admin sender add" : "admin sender remove", ref);
}

static int account_create(pp_store_t *store, const char *name, const char **numbers, int nnumbers,
                          const char **senders, int nsenders, int json) {
  pp_account_t a;
  memset(&a, 0, sizeof a);
  if (strlen(name) >= sizeof a.friendly_name) {
    fputs("pipit admin: --name is at most 64 characters\n", stderr);
    return 2;
  }
  pp_sid_new(a.sid, "AC");
  memcpy(a.owner_sid, a.sid, sizeof a.owner_sid);
  snprintf(a.friendly_name, sizeof a.friendly_name, "%s", name);
  snprintf(a.status, sizeof a.status, "active");
  pp_hex_random(a.auth_token, 16);
  a.date_created = a.date_updated = pp_clock_now();
  pp_write_t w = {.kind = PP_W_ACCOUNT_INSERT, .u.account = &a};
  pp_err_t e =
      audited_write(store, &w, PP_AUDIT_ACCOUNT_CREATE, a.sid, "admin account create", a.sid);
  /* Each number is also the operator's, offered to this account: released,
   * it can be taken again by the account, and `number list` shows it. */
  for (int k = 0; !e && k < nnumbers; k++) {
    if ((e = number_add(store, a.sid, numbers[k])) == PP_ERR_CONFLICT)
      fprintf(stderr, "pipit admin: %s belongs to another account\n", numbers[k]);
    if (!e) e = offer_write(store, true, numbers[k], a.sid, "admin account create");
  }
  for (int k = 0; !e && k < nsenders; k++) e = sender_write(store, true, a.sid, senders[k]);
  if (e) {
    fprintf(stderr, "pipit admin: cannot create the account: %s\n", pp_err_name(e));
    sodium_memzero(&a, sizeof a);
    return 1;
  }
  /* The one time the auth token is shown. */
  if (json) {
    pp_buf_t b;
    pp_jw_t jw;
    secret_json_begin(&b, &jw);
    pp_jw_kstr(&jw, "sid", a.sid);
    pp_jw_kstr(&jw, "auth_token", a.auth_token);
    pp_jw_kstr(&jw, "friendly_name", a.friendly_name);
    pp_jw_key(&jw, "phone_numbers");
    pp_jw_arr_begin(&jw);
    for (int k = 0; k < nnumbers; k++) pp_jw_str(&jw, numbers[k]);
    pp_jw_arr_end(&jw);
    secret_json_print(&b, &jw);
  } else {
    printf("account sid: %s\nauth token:  %s\n", a.sid, a.auth_token);
  }
  sodium_memzero(&a, sizeof a);
  return 0;
}

/* `sender add|remove --account AC... --sender NAME`. */
static int sender_cmd(pp_store_t *store, int argc, char **argv) {
  const char *account = NULL, *sender = NULL;
  if (argc != 5 || (strcmp(argv[0], "add") && strcmp(argv[0], "remove"))) return 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--account") == 0)
      account = argv[i + 1];
    else if (strcmp(argv[i], "--sender") == 0)
      sender = argv[i + 1];
    else
      return 2;
  }
  if (!account || !sender) return 2;
  if (!pp_sid_valid(account, "AC") || !pp_phone_is_alnum_sender(sender)) {
    fputs(
        "pipit admin: --account is an AC... SID; --sender is 1 to 11 letters, digits or "
        "spaces with at least one letter\n",
        stderr);
    return 2;
  }
  pp_account_t acc;
  int which;
  if (pp_store_account_auth(store, account, NULL, &acc, &which) != PP_OK) {
    fprintf(stderr, "pipit admin: no account %s\n", account);
    sodium_memzero(&acc, sizeof acc);
    return 1;
  }
  sodium_memzero(&acc, sizeof acc);
  pp_err_t e = sender_write(store, strcmp(argv[0], "add") == 0, account, sender);
  if (e) {
    fprintf(stderr, "pipit admin: sender %s: %s\n", argv[0], pp_err_name(e));
    return 1;
  }
  return 0;
}

/* `staff add NAME [--role R] [--public-url URL] [--json]`: the member and
 * their enrolment token, whose link is printed once. */
static int staff_add(pp_store_t *store, int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : NULL, *role = "operator";
  const char *url = getenv("PIPIT_PUBLIC_URL");
  bool json = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
      role = argv[++i];
    else if (strcmp(argv[i], "--public-url") == 0 && i + 1 < argc)
      url = argv[++i];
    else if (strcmp(argv[i], "--json") == 0)
      json = true;
    else
      return 2;
  }
  char rp_id[256], origin[256];
  if (!url || pp_staff_rp_from_url(url, rp_id, origin) != PP_OK) {
    fputs(
        "pipit admin: staff add needs the public URL pipit serve has (--public-url URL or "
        "PIPIT_PUBLIC_URL): the passkey is bound to its host\n",
        stderr);
    return 2;
  }
  pp_staff_t m;
  pp_staff_token_t t;
  char token[PP_STAFF_TEXT_SIZE];
  if (!name || pp_staff_enrolment(name, role, pp_clock_now(), &m, &t, token) != PP_OK) {
    fputs("pipit admin: NAME is 1 to 57 of A-Z a-z 0-9 . _ -; --role is operator or support\n",
          stderr);
    return 2;
  }
  pp_staff_change_t ch = {.add = &m, .put = &t, .now = t.created};
  pp_write_t w = {.kind = PP_W_STAFF, .u.staff = &ch};
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  snprintf(ref, sizeof ref, "staff:%s", m.name);
  pp_err_t e = audited_write(store, &w, PP_AUDIT_STAFF_ADD, NULL, "admin staff add", ref);
  if (e) {
    fprintf(stderr, "pipit admin: cannot add %s: %s\n", m.name,
            e == PP_ERR_CONFLICT ? "that name is taken" : pp_err_name(e));
    sodium_memzero(token, sizeof token);
    return 1;
  }
  size_t l = strlen(url);
  while (l > 0 && url[l - 1] == '/') l--;
  char link[600];
  snprintf(link, sizeof link, "%.*s/staff/enrol/%s", (int)l, url, token);
  sodium_memzero(token, sizeof token);
  if (json) {
    pp_buf_t b;
    pp_jw_t jw;
    secret_json_begin(&b, &jw);
    pp_jw_kstr(&jw, "name", m.name);
    pp_jw_kstr(&jw, "role", m.role);
    pp_jw_kstr(&jw, "enrol_url", link);
    secret_json_print(&b, &jw);
  } else {
    printf("staff member %s (%s) added; enrolment link, valid 15 minutes, once:\n%s\n", m.name,
           m.role, link);
  }
  sodium_memzero(link, sizeof link);
  return 0;
}

/* `staff list [--json]`: every member, their role and passkey count. */
static int staff_list(pp_store_t *store, bool json) {
  pp_arena_t a;
  pp_arena_init(&a, 0);
  pp_staff_t *rows = NULL;
  size_t n = 0;
  pp_err_t e = pp_store_staff_list(store, &a, &rows, &n);
  pp_buf_t b;
  pp_buf_init(&b, 0);
  pp_jw_t jw;
  pp_jw_init(&jw, &b);
  pp_jw_obj_begin(&jw);
  pp_jw_key(&jw, "staff");
  pp_jw_arr_begin(&jw);
  for (size_t i = 0; !e && i < n; i++) {
    pp_staff_cred_t *creds;
    size_t nc = 0;
    e = pp_store_staff_creds(store, &a, rows[i].name, &creds, &nc);
    char created[PP_ISO8601_SIZE];
    pp_iso8601(rows[i].date_created, created);
    pp_jw_obj_begin(&jw);
    pp_jw_kstr(&jw, "name", rows[i].name);
    pp_jw_kstr(&jw, "role", rows[i].role);
    pp_jw_kint(&jw, "passkeys", (int64_t)nc);
    pp_jw_kstr(&jw, "date_created", created);
    pp_jw_obj_end(&jw);
    if (!json)
      printf("%-24s %-9s %zu passkey%s  since %s\n", rows[i].name, rows[i].role, nc,
             nc == 1 ? "" : "s", created);
  }
  pp_jw_arr_end(&jw);
  pp_jw_obj_end(&jw);
  if (!e) e = pp_buf_status(&b);
  if (!e && json) printf("%s\n", b.data);
  pp_buf_cleanup(&b);
  pp_arena_cleanup(&a);
  if (e) fprintf(stderr, "pipit admin: cannot list the staff: %s\n", pp_err_name(e));
  return e ? 1 : 0;
}

/* `staff add|list|remove`. */
static int staff_cmd(pp_store_t *store, int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[0], "add") == 0) return staff_add(store, argc, argv);
  if (strcmp(argv[0], "list") == 0 && (argc == 1 || (argc == 2 && !strcmp(argv[1], "--json"))))
    return staff_list(store, argc == 2);
  if (argc != 2 || strcmp(argv[0], "remove") != 0) return 2;
  pp_staff_change_t ch = {.remove = argv[1], .now = pp_clock_now()};
  pp_write_t w = {.kind = PP_W_STAFF, .u.staff = &ch};
  char ref[PP_AUDIT_RESOURCE_MAX + 1];
  snprintf(ref, sizeof ref, "staff:%.100s", argv[1]);
  return write_or_say(store, &w, "staff member", PP_AUDIT_STAFF_REMOVE, "admin staff remove", ref);
}

#define ACCOUNT_ADDR_MAX 16

int pp_cmd_admin(int argc, char **argv) {
  const char *data = "./pipit-data", *store_url = NULL, *name = NULL;
  const char *numbers[ACCOUNT_ADDR_MAX], *senders[ACCOUNT_ADDR_MAX];
  int nnumbers = 0, nsenders = 0;
  int json = 0, i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
      data = argv[++i];
    else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
      store_url = argv[++i];
    else if (strcmp(argv[i], "--help") == 0) {
      admin_usage(stdout);
      return 0;
    } else {
      admin_usage(stderr);
      return 2;
    }
  }
  if (i + 1 >= argc) {
    admin_usage(stderr);
    return 2;
  }
  if (pp_data_dir_secure(data)) return 1;
  const char *group = argv[i];
  if (strcmp(group, "operator") == 0) return operator_token(); /* retired: says so */
  if (strcmp(group, "keys") == 0) {
    if (strcmp(argv[i + 1], "rotate-master") != 0 || i + 2 != argc) {
      admin_usage(stderr);
      return 2;
    }
    return pp_admin_rotate_master(data, store_url);
  } else if (strcmp(group, "account") == 0 && strcmp(argv[i + 1], "rotate-key") == 0) {
    if (i + 3 != argc) {
      admin_usage(stderr);
      return 2;
    }
    return pp_admin_rotate_account_key(data, store_url, argv[i + 2]);
  } else if (strcmp(group, "account") == 0) {
    if (strcmp(argv[i + 1], "create") != 0) {
      admin_usage(stderr);
      return 2;
    }
    for (i += 2; i < argc; i++) {
      if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
        name = argv[++i];
      } else if (strcmp(argv[i], "--number") == 0 && i + 1 < argc && nnumbers < ACCOUNT_ADDR_MAX) {
        numbers[nnumbers++] = argv[++i];
        if (!pp_phone_is_e164(numbers[nnumbers - 1])) {
          fputs("pipit admin: --number is an E.164 number (+15551234567)\n", stderr);
          return 2;
        }
      } else if (strcmp(argv[i], "--sender") == 0 && i + 1 < argc && nsenders < ACCOUNT_ADDR_MAX) {
        senders[nsenders++] = argv[++i];
        if (!pp_phone_is_alnum_sender(senders[nsenders - 1])) {
          fputs(
              "pipit admin: --sender is 1 to 11 letters, digits or spaces with at least "
              "one letter\n",
              stderr);
          return 2;
        }
      } else if (strcmp(argv[i], "--json") == 0) {
        json = 1;
      } else {
        admin_usage(stderr);
        return 2;
      }
    }
    if (!name) {
      admin_usage(stderr);
      return 2;
    }
  } else if (strcmp(group, "carrier") != 0 && strcmp(group, "route") != 0 &&
             strcmp(group, "sender") != 0 && strcmp(group, "number") != 0 &&
             strcmp(group, "staff") != 0) {
    admin_usage(stderr);
    return 2;
  }
  unsigned char *mk = pp_master_key_load(data);
  if (!mk) return 1;
  char url[600];
  snprintf(url, sizeof url, "%s%s", store_url ? "" : "sqlite:", store_url ? store_url : data);
  pp_store_t *store = NULL;
  pp_err_t e = pp_store_open(url, mk, &store);
  if (e) {
    fprintf(stderr, "pipit admin: cannot open the store: %s\n", pp_err_name(e));
    sodium_free(mk);
    return 1;
  }
  pp_store_set_key_source(store, pp_master_keys_read, (void *)data);
  int rc;
  if (strcmp(group, "account") == 0)
    rc = account_create(store, name, numbers, nnumbers, senders, nsenders, json);
  else if (strcmp(group, "sender") == 0)
    rc = sender_cmd(store, argc - i - 1, argv + i + 1);
  else if (strcmp(group, "number") == 0)
    rc = number_cmd(store, argc - i - 1, argv + i + 1);
  else if (strcmp(group, "carrier") == 0)
    rc = carrier_cmd(store, argc - i - 1, argv + i + 1);
  else if (strcmp(group, "staff") == 0)
    rc = staff_cmd(store, argc - i - 1, argv + i + 1);
  else
    rc = route_cmd(store, argc - i - 1, argv + i + 1);
  if (rc == 2) admin_usage(stderr);
  pp_store_free(store);
  sodium_free(mk);
  return rc;
}

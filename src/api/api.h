/* api.h: Pipit's resources, independent of the transport.  A handler reads a
 * decoded request (pp_api_req_t) and produces a status and a JSON body, or a
 * pp_err_t that the transport renders as Twilio's error shape.
 *
 * Asynchronous completion.  A handler that must wait for a durable write
 * queues it with pp_api_submit() and returns PP_ERR_AGAIN.  The store calls
 * back on its writer thread; that callback only calls r->wake(r).  The
 * transport then calls r->cont(r) on its own thread, which returns like a
 * handler.  If pp_api_submit fails, nothing is queued and wake is never
 * called. */
#ifndef PP_API_API_H
#define PP_API_API_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/form.h"
#include "core/json.h"
#include "security/audit.h"
#include "security/checkpoint.h"
#include "staff/staff.h"
#include "store/store.h"
#include "verify/secrets.h"

typedef enum { PP_GET, PP_POST, PP_DELETE, PP_METHOD_OTHER } pp_method_t;

/* PP_PRINCIPAL_OPERATOR was the operator token's principal: it is only
 * ever set now to record a refusal of the retired token (changes.c).
 * PP_PRINCIPAL_STAFF is a signed-in staff member (api/staff.c, changes.c). */
typedef enum {
  PP_PRINCIPAL_NONE,
  PP_PRINCIPAL_ACCOUNT,
  PP_PRINCIPAL_KEY,
  PP_PRINCIPAL_OPERATOR,
  PP_PRINCIPAL_STAFF /* a staff member: set by the staff handlers (staff.c) */
} pp_principal_kind_t;

/* Who made the request, once authenticated (an operator has no account:
 * the account fields are empty). */
typedef struct {
  pp_principal_kind_t kind;
  char account_sid[PP_SID_SIZE];  /* the account the credential belongs to */
  char key_sid[PP_SID_SIZE];      /* the API key, for PP_PRINCIPAL_KEY */
  bool is_main;                   /* the account is a main (not sub) account */
  pp_account_t account;           /* the credential's account row, secrets wiped */
  char staff[PP_STAFF_NAME_SIZE]; /* PP_PRINCIPAL_STAFF: the member's name */
} pp_principal_t;

typedef struct pp_api_guard pp_api_guard_t;
typedef struct pp_api_audit pp_api_audit_t;

/* The fraud guard's settings (pp_fraud_check_t; serve flags); a zero
 * bucket_s takes the defaults (3600 s, floor 20, 5 times, 12 h block). */
typedef struct {
  int bucket_s, floor, multiple, block_s;
} pp_api_fraud_t;

typedef struct {
  pp_store_t *store;
  char public_url[256];                /* absolute base for products that use absolute URLs */
  const pp_verify_keys_t *verify_keys; /* Verify's hash key (borrowed) */
  pp_api_audit_t *audit;               /* sessions and the log's public key (audit.c) */
  pp_api_fraud_t fraud;                /* Verify's fraud guard */
  pp_api_guard_t *guard;               /* the sign-in guard (guard.c); NULL: none */
  int staff_session_s;                 /* a staff session's life (0: one hour) */
  int lockbox_minute_s; /* seconds a lockbox grant minute lasts; 0: 60 (tests: less) */
  /* How many of carrier `name`'s links are up now, -1 when no channel runs
   * for it (the engine's pp_engine_carrier_links, which the api layer may
   * not include); NULL: unknown (no engine, as in `pipit admin`). */
  int (*carrier_links)(void *arg, const char *name);
  void *carrier_links_arg;
} pp_api_t;

/* What the audit log records about one request (audit.c).  The transport
 * fills ip, user_agent and request before pp_api_authenticate, which sets
 * the session; pp_api_account_access sets other_account when the request
 * reaches an account that is not the credential's own (a parent in its
 * subaccount). */
typedef struct {
  char ip[PP_AUDIT_IP_SIZE];           /* the connection's peer address; "" unknown */
  const char *user_agent;              /* transport memory valid for the request; NULL none */
  const char *request;                 /* "<METHOD> <path>" (arena); NULL none */
  char session[PP_AUDIT_SESSION_SIZE]; /* see pp_api_authenticate */
  char other_account[PP_SID_SIZE];     /* "": the request stayed in its own account */
  const char **resources;              /* what the event names (arena) */
  size_t nresources, cap;
  pp_audit_event_t event; /* the request's event, once made */
  pp_audit_event_t also;  /* a second event of the same write */
  bool held;              /* event made, for pp_api_audit_after to write */
  bool recorded;          /* attached to a write or queued */
  pp_err_t answer;        /* the handler's outcome while the event commits */
} pp_api_audit_ctx_t;

typedef struct pp_api_req pp_api_req_t;
typedef pp_err_t (*pp_api_handler_fn)(pp_api_req_t *r);

struct pp_api_req {
  pp_api_t *api;
  pp_method_t method;
  const char *path;      /* decoded path, no query string */
  pp_form_t query;       /* query-string parameters */
  pp_form_t form;        /* form body parameters (POST) */
  const char *params[3]; /* route captures, in path order */
  pp_principal_t principal;
  pp_arena_t arena; /* freed with the request */

  /* Outcome. */
  int status;               /* HTTP status on success (body may be empty) */
  pp_buf_t body;            /* JSON response body */
  const char *content_type; /* NULL: application/json; another type (an
                               image) is also sent with Cache-Control: no-store */
  const char *err_detail;   /* context for the error message (arena), or NULL */
  const char *set_cookie;   /* a Set-Cookie value to send (arena), or NULL */

  /* What the staff routes read (transport memory valid for the request):
   * the body as sent (a POST's; JSON for /staff/webauthn), the Cookie
   * header and the X-CSRF-Token header (NULL: none). */
  const char *raw_body;
  size_t raw_body_len;
  const char *cookie;
  const char *csrf_header;
  /* The staff session of a request to /admin/v1 or /staff/api (changes.c;
   * its cookie value already wiped), NULL: none. */
  pp_staff_who_t *staff;
  /* dry_run: pp_api_submit queues nothing, sets dry_reached and returns
   * PP_OK (a change request runs its handler's checks; changes.c). */
  bool dry_run, dry_reached;

  /* Asynchronous completion (see the file comment). */
  pp_write_t write;
  pp_api_handler_fn cont;
  void (*wake)(pp_api_req_t *r);
  void *transport; /* the transport's own pointer */
  void *state;     /* the handler's own pointer (arena memory) */

  pp_api_audit_ctx_t audit; /* what the audit log records of it */
};

/* pp_api_req_init prepares a request for `api`; pp_api_req_cleanup frees
 * everything it owns. */
void pp_api_req_init(pp_api_req_t *r, pp_api_t *api);
void pp_api_req_cleanup(pp_api_req_t *r);

/* pp_api_param returns a parameter of the form body (POST) or the query. */
const char *pp_api_param(const pp_api_req_t *r, const char *name);

/* pp_api_fail records `detail` (copied) for the error message and returns e. */
pp_err_t pp_api_fail(pp_api_req_t *r, pp_err_t e, const char *detail);

/* pp_api_capture returns the path capture r->params[i] %-decoded ("%2B1" is
 * "+1"), in the arena; NULL when out of memory or when it decodes to a NUL
 * (no such name can exist). */
const char *pp_api_capture(pp_api_req_t *r, int i);

/* pp_api_form_error turns pp_form_parse's error `e` on the request's form
 * or query `f` into the answer: PP_ERR_INVALID_PARAM naming the parameter
 * that held a NUL byte, PP_ERR_NOMEM, or PP_ERR_BAD_REQUEST otherwise. */
pp_err_t pp_api_form_error(pp_api_req_t *r, const pp_form_t *f, pp_err_t e);

/* pp_api_found passes `e`, the result of reading the resource the path
 * names, on, except that PP_ERR_NOT_FOUND fails with the path (20404). */
pp_err_t pp_api_found(pp_api_req_t *r, pp_err_t e);

/* pp_api_url_ok tells whether `u` is a URL Pipit will call back: http or
 * https, a host after "://", at most 2048 bytes, no spaces or control
 * characters.  Callers that let "" clear a URL check for it first. */
bool pp_api_url_ok(const char *u);

/* Binding form parameters to the fields of a row (create and update): a
 * table of parameters, each with the byte offset of the field it sets. */
typedef struct {
  const char *param;
  size_t off;
} pp_api_field_t;

/* pp_api_form_urls sets, for each of the n `fields` the form has, the
 * `const char *` at its offset in `row` to the form's value when that is a
 * URL (pp_api_url_ok), to NULL when it is "".  Anything else fails with
 * PP_ERR_URL_INVALID naming the parameter.  The values are the form's,
 * which live as long as the request. */
pp_err_t pp_api_form_urls(pp_api_req_t *r, void *row, const pp_api_field_t *fields, size_t n);

/* pp_api_form_methods sets, for each of the n `fields` the form has, the
 * char[5] at its offset in `row` to "GET" or "POST" (the form's value in
 * any case); anything else fails with PP_ERR_HTTP_METHOD naming the
 * parameter. */
pp_err_t pp_api_form_methods(pp_api_req_t *r, void *row, const pp_api_field_t *fields, size_t n);

/* pp_api_bool_param reads form parameter `name` into *out when present:
 * "true" or "false" in any case; anything else fails with `bad` ("<name>
 * must be true or false").  Absent: *out untouched, PP_OK. */
pp_err_t pp_api_bool_param(pp_api_req_t *r, const char *name, pp_err_t bad, bool *out);

/* pp_api_form_flags: pp_api_bool_param for each of the n `fields`, into
 * the bool at its offset in `row`; the first failure ends it. */
pp_err_t pp_api_form_flags(pp_api_req_t *r, void *row, const pp_api_field_t *fields, size_t n,
                           pp_err_t bad);

/* pp_api_submit queues r->write with `cont` to run after its commit; returns
 * PP_ERR_AGAIN (queued) or the queueing error. */
pp_err_t pp_api_submit(pp_api_req_t *r, pp_api_handler_fn cont);

/* pp_api_submit_event is pp_api_audit_attach of event `kind` about account
 * `account_sid` (the principal's own when NULL) naming the one resource
 * `sid`, then pp_api_submit: how a handler queues the write of one row it
 * records. */
pp_err_t pp_api_submit_event(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                             const char *sid, pp_api_handler_fn cont);

/* ---- Authentication and access (auth.c) -------------------------------- */

/* pp_api_authenticate checks Basic credentials (AccountSid:AuthToken, either
 * token, SK…:secret) in constant time and
 * fills r->principal.  It sets r->audit.session and records the sign-in in
 * the audit log: a success (auth.success, queued now) the first time a
 * session is seen in this process or an hour after it was last recorded;
 * a failure (auth.failure), which pp_api_audit_after writes before the
 * error is answered, unless the sign-in guard counts it into a later
 * auth.failures instead.  Errors: PP_ERR_AUTH (wrong or unknown),
 * PP_ERR_ACCOUNT_INACTIVE (suspended), PP_ERR_AUTH_RATE (the guard refuses
 * this address and principal for now: the credentials are not looked at). */
pp_err_t pp_api_authenticate(pp_api_req_t *r, const char *user, const char *pass);

/* ---- The sign-in guard (guard.c; docs/internals/api.md) ---------------- */

/* pp_api_guard_new makes a guard whose windows last `window_s` seconds;
 * set it as api->guard before serving.  Errors: PP_ERR_NOMEM,
 * PP_ERR_INVALID_PARAM (window_s < 1). */
pp_err_t pp_api_guard_new(int window_s, pp_api_guard_t **out);

/* pp_api_guard_stop, once no request runs any more and while the store is
 * open, queues every count not yet in the audit log as auth.failures
 * events, frees api->guard and sets it NULL (a no-op when it is NULL). */
void pp_api_guard_stop(pp_api_t *api);

/* For pp_api_authenticate and pp_api_audit_sign_in, on any thread:
 * pp_api_guard_check answers PP_ERR_AUTH_RATE (429, 20429) while the
 * request's (address, claimed principal), or its address, is refused, and
 * counts the refusal; PP_OK otherwise, without a lock while no client is
 * being counted.  pp_api_guard_failed counts the refused credential
 * described by `ev` (an auth.failure event) and tells whether that event
 * is to be recorded now (otherwise it is counted into a later
 * auth.failures).  pp_api_guard_passed forgets the pair's failures after a
 * success.  Aggregates are queued with pp_api_audit_emit. */
pp_err_t pp_api_guard_check(pp_api_req_t *r, const char *user);
bool pp_api_guard_failed(pp_api_req_t *r, const pp_audit_event_t *ev);
void pp_api_guard_passed(pp_api_req_t *r, const char *user);

/* pp_api_authorize decides whether the authenticated principal may use a
 * route: operator routes (/admin/v1) only a staff member
 * (pp_api_admin_authenticate), PP_ERR_FORBIDDEN for anyone else; every
 * other route anyone but staff, who get PP_ERR_AUTH exactly as an unknown
 * credential would (DESIGN.md rule 1). */
pp_err_t pp_api_authorize(pp_api_req_t *r, bool operator_route);

/* pp_api_need_account_credential is Twilio's rule for the Accounts, Keys
 * and AuthTokens resources (and the audit log): only an account's own
 * credentials (its auth tokens) may use them; a standard API key gets
 * PP_ERR_KEY_FORBIDDEN (403, 20003), whichever account it names.  PP_OK
 * for an account credential. */
pp_err_t pp_api_need_account_credential(pp_api_req_t *r);

/* pp_api_account_access loads account `sid` if the principal may act on it
 * (its own account, or a subaccount of its main account) into *out (secrets
 * wiped).  PP_ERR_NOT_FOUND otherwise, whether or not it exists.  Reaching
 * a subaccount sets r->audit.other_account: the request is then recorded in
 * the audit log (content.read / content.write, docs/internals/audit.md). */
pp_err_t pp_api_account_access(pp_api_req_t *r, const char *sid, pp_account_t *out);

/* pp_api_path_account is pp_api_account_access for the account of the path
 * (r->params[0]), with the path as the 404's detail. */
pp_err_t pp_api_path_account(pp_api_req_t *r, pp_account_t *out);

/* pp_api_key_hash hashes an API key secret as stored. */
void pp_api_key_hash(const char *secret, unsigned char out[32]);

/* ---- The audit log (audit.c; docs/internals/audit.md) ------------------ */

/* pp_api_audit_new sets up what the API needs for the audit log: a random
 * per-process session key (sodium_malloc) and a seen-sessions table, and
 * the log's public key `v` and `origin` (copied) for /audit/v1/Key.  Free
 * with pp_api_audit_free (NULL is a no-op).  Errors: PP_ERR_NOMEM,
 * PP_ERR_INVALID_PARAM. */
pp_err_t pp_api_audit_new(const pp_checkpoint_verifier_t *v, const char *origin,
                          pp_api_audit_t **out);
void pp_api_audit_free(pp_api_audit_t *au);

/* The log's public key and origin as given to pp_api_audit_new (owned by
 * `au`). */
const pp_checkpoint_verifier_t *pp_api_audit_verifier(const pp_api_audit_t *au);
const char *pp_api_audit_origin(const pp_api_audit_t *au);

/* pp_api_audit_touch notes that the request read or changed resource `sid`
 * (copied) in another account than the credential's own; a no-op while the
 * request stays in its own account, so handlers call it freely. */
void pp_api_audit_touch(pp_api_req_t *r, const char *sid);

/* pp_api_audit_attach makes the request's event (kind, about account
 * `account_sid`, or the principal's own when NULL; naming the `n` resources
 * `sids`, copied, and whatever was touched) and attaches it to r->write, so
 * the store appends it in the transaction of that write with its outcome.
 * Call before pp_api_submit.  This is how a handler records a change
 * (key.create, number.release, verify.factor_registered, ...). */
void pp_api_audit_attach(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                         const char *const *sids, size_t n);

/* pp_api_audit_name adds resource `sid` (copied) to what the request's
 * event names, before the handler attaches it. */
void pp_api_audit_name(pp_api_req_t *r, const char *sid);

/* pp_api_audit_attach_also makes a second event of the same change, after
 * pp_api_audit_attach and before pp_api_submit: kind, about `account_sid`
 * (the principal's own when NULL), naming exactly the `n` resources `sids`
 * (copied).  The store appends it right after the first, in the same
 * transaction: both or neither (a challenge approved and the factor it
 * verifies).  Errors: PP_ERR_NOMEM (nothing attached). */
pp_err_t pp_api_audit_attach_also(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                                  const char *const *sids, size_t n);

/* pp_api_audit_record appends an event about the request that rides on no
 * write (queued now, not waited for; the outcome as given).  For events a
 * handler decides on without a store change. */
pp_err_t pp_api_audit_record(pp_api_req_t *r, pp_audit_kind_t kind, const char *account_sid,
                             const char *const *sids, size_t n, pp_err_t outcome);

/* pp_api_audit_emit queues a copy of `ev` as a write of its own, not waited
 * for (failures are logged).  For callers outside a request (the CLI's
 * writes carry their events instead). */
pp_err_t pp_api_audit_emit(pp_store_t *store, const pp_audit_event_t *ev);

/* pp_api_audit_sign_in is called by pp_api_authenticate with its outcome
 * `e`: sets r->audit.session and records the sign-in (see there).
 * `claimed_account` is the account of the credential named, when known. */
void pp_api_audit_sign_in(pp_api_req_t *r, const char *user, const char *pass,
                          const char *claimed_account, pp_err_t e);

/* pp_api_audit_refuse_operator holds the event of the operator refused on
 * a customer resource (operator.request), for pp_api_audit_after. */
void pp_api_audit_refuse_operator(pp_api_req_t *r);

/* pp_api_audit_default is called by pp_api_submit: a write that carries no
 * event yet gets content.write when the request reached another account,
 * operator.request when it came from the operator. */
void pp_api_audit_default(pp_api_req_t *r);

/* pp_api_audit_after is for the transport, after a handler (or the
 * authentication) returned `e` without a write that recorded the request:
 * when an event is held (a failed sign-in, the operator refused on a
 * customer resource), the request reached another account (content.read)
 * or came from the operator (operator.request), it queues that event and
 * returns PP_ERR_AGAIN (wake and cont as for pp_api_submit); the
 * continuation answers `e`, or PP_ERR_STORE if the event could not be
 * written (nothing is answered that was not recorded).  Otherwise returns
 * `e`. */
pp_err_t pp_api_audit_after(pp_api_req_t *r, pp_err_t e);

/* ---- The retired operator token; staff on /admin/v1 (changes.c) ------- */

/* The Basic user name the operator token was sent with: refused now with
 * PP_ERR_OPERATOR_TOKEN_GONE (DATA/operator-token.hash, if a data folder
 * still has one, is not read). */
#define PP_OPERATOR_USER "operator"

/* pp_api_admin_authenticate decides who a request to /admin/v1 comes from
 * (the transport sets r->cookie and r->csrf_header first): the Basic user
 * "operator" (the retired token) gets PP_ERR_OPERATOR_TOKEN_GONE, held for
 * the audit log; otherwise a staff session (pp_staff_resolve), its CSRF
 * token for anything but GET, and the operator role (PP_ERR_STAFF_ROLE).
 * Other Basic credentials without a session get PP_ERR_FORBIDDEN.  On
 * PP_OK the principal is the staff member and r->staff their session. */
pp_err_t pp_api_admin_authenticate(pp_api_req_t *r, const char *basic_user);

/* pp_api_admin_handler is the handler to run for /admin/v1 route handler
 * `h`: a write to a carrier or a route is a change request (stored, not
 * applied; UV carrier.change or route.change), answered 202 with it;
 * anything else `h` itself. */
pp_api_handler_fn pp_api_admin_handler(pp_api_req_t *r, pp_api_handler_fn h);

/* /staff/api/ChangeRequests (a staff session of any role; deciding needs
 * its CSRF token, UV change.decide and the operator role):
 * pp_api_change_list (Status=pending|approved), pp_api_change_fetch, and
 * pp_api_change_decide (Status=approved|rejected; pp_change_decide says
 * who may).  Approval applies the change through the very handler it was
 * asked of, its write marking the request approved in one transaction.
 * pp_api_installation_changes: GET /audit/v1/Installation/Changes, the
 * approved changes newest first (any account). */
pp_err_t pp_api_change_list(pp_api_req_t *r);
pp_err_t pp_api_change_fetch(pp_api_req_t *r);
pp_err_t pp_api_change_decide(pp_api_req_t *r);
pp_err_t pp_api_installation_changes(pp_api_req_t *r);

/* ---- Carrier options, shared by the CLI and the admin API (carriers.c) -- */

typedef enum {
  PP_CARRIER_OPT_TEXT,   /* printable text of lo..hi characters */
  PP_CARRIER_OPT_SECRET, /* TEXT never shown: responses say "<json>": true|false */
  PP_CARRIER_OPT_INT,    /* an integer from lo to hi */
  PP_CARRIER_OPT_CHOICE, /* one of choices[]; choices[0] is the default */
  PP_CARRIER_OPT_SWITCH, /* on|off or true|false */
  PP_CARRIER_OPT_ADDR,   /* HOST:PORT into host and port */
  PP_CARRIER_OPT_CHANNEL /* a channel kind pp_channel_find knows; the first is the default */
} pp_carrier_opt_kind_t;

/* One setting of a carrier: its CLI flag, its API parameter, its response
 * field and its rule.  The table pp_carrier_opts is the one definition both
 * `pipit admin carrier add` and /admin/v1/Carriers read. */
typedef struct {
  const char *flag;  /* "--system-id"; NULL: not a CLI flag (SECRET: names a file) */
  const char *param; /* "SystemId"; NULL: not an API parameter */
  const char *json;  /* "system_id"; NULL: not in responses */
  const char *usage; /* "--system-id ID" for the CLI's usage text */
  pp_carrier_opt_kind_t kind;
  size_t off, size;           /* the field of pp_carrier_t (ADDR: host; port is fixed) */
  int lo, hi;                 /* INT: range; TEXT, SECRET: length range */
  int def;                    /* INT, SWITCH: default */
  const char *const *choices; /* CHOICE: NULL-terminated */
  bool required;
} pp_carrier_opt_t;

extern const pp_carrier_opt_t pp_carrier_opts[];
extern const size_t pp_carrier_opts_count;

/* pp_carrier_opt_by_flag / _by_param find an option; NULL when none. */
const pp_carrier_opt_t *pp_carrier_opt_by_flag(const char *flag);
const pp_carrier_opt_t *pp_carrier_opt_by_param(const char *param);

/* pp_carrier_defaults clears *c and sets every default. */
void pp_carrier_defaults(pp_carrier_t *c);

/* pp_carrier_opt_set checks `value` against the option's rule and stores
 * it in *c.  On PP_ERR_INVALID_PARAM, `why` says what the rule is, without
 * the option's name or the value (callers prefix the flag or the parameter;
 * a secret must not be echoed), and *c is unchanged. */
pp_err_t pp_carrier_opt_set(const pp_carrier_opt_t *o, pp_carrier_t *c, const char *value,
                            char *why, size_t why_cap);

/* pp_carrier_missing returns the first required option *c lacks (the name,
 * the SMSC address, the system_id), or NULL when it is complete. */
const pp_carrier_opt_t *pp_carrier_missing(const pp_carrier_t *c);

/* pp_carrier_moves_password is true when `next` would give the stored
 * carrier `old` (NULL: there is none) another host or port while keeping
 * the password `old` has, which was not given again (`password_given`):
 * the next bind would send it to the new address, so whoever can edit a
 * carrier could point it at their own server and receive it.  Such a
 * change is refused (by the CLI and the /admin/v1 API alike). */
bool pp_carrier_moves_password(const pp_carrier_t *old, const pp_carrier_t *next,
                               bool password_given);

/* pp_carrier_lookup reads the carrier `name` from the store into *out (in
 * the arena, with its password, which the caller wipes; every other copy
 * read is wiped here).  PP_ERR_NOT_FOUND when there is none, or the
 * store's error. */
pp_err_t pp_carrier_lookup(pp_store_t *s, pp_arena_t *a, const char *name, pp_carrier_t **out);

/* pp_carrier_opt_format writes the option's value in *c as the CLI shows it
 * ("on"/"off" for a switch; a secret as "set" or "unset") into out. */
void pp_carrier_opt_format(const pp_carrier_opt_t *o, const pp_carrier_t *c, char *out, size_t cap);

/* Routes: a prefix is "+" and at most 15 digits ("+" alone matches every
 * destination); a priority is 0..1000000, lower first (default 0).  Same
 * contract as pp_carrier_opt_set. */
pp_err_t pp_route_set_prefix(pp_route_rule_t *r, const char *value, char *why, size_t why_cap);
pp_err_t pp_route_set_priority(pp_route_rule_t *r, const char *value, char *why, size_t why_cap);
/* pp_route_set_carrier checks a route's carrier name by the carrier Name
 * rule. */
pp_err_t pp_route_set_carrier(pp_route_rule_t *r, const char *value, char *why, size_t why_cap);

/* How the audit log names configuration it records changes of (the CLI and
 * the admin API alike): "carrier:NAME", "route:PREFIX@CARRIER",
 * "sender:ACCOUNT/NAME".  `out` has PP_AUDIT_RESOURCE_MAX + 1 bytes. */
void pp_carrier_ref(const char *name, char out[PP_AUDIT_RESOURCE_MAX + 1]);
void pp_route_ref(const pp_route_rule_t *rt, char out[PP_AUDIT_RESOURCE_MAX + 1]);
void pp_sender_ref(const char *account_sid, const char *sender,
                   char out[PP_AUDIT_RESOURCE_MAX + 1]);
/* "number:+1...4567": one of the operator's numbers (offers.c), its first
 * two characters and last four digits only, as the log is not sealed and
 * a number is customer content once an account has it. */
void pp_offer_ref(const char *phone, char out[PP_AUDIT_RESOURCE_MAX + 1]);

/* ---- Handlers (one file per resource) --------------------------------- */

pp_err_t pp_api_account_fetch(pp_api_req_t *r);  /* params: Sid */
pp_err_t pp_api_account_update(pp_api_req_t *r); /* params: Sid */
pp_err_t pp_api_account_create(pp_api_req_t *r);
pp_err_t pp_api_account_list(pp_api_req_t *r);
pp_err_t pp_api_token_secondary_create(pp_api_req_t *r);
pp_err_t pp_api_token_secondary_delete(pp_api_req_t *r);
pp_err_t pp_api_token_promote(pp_api_req_t *r);

pp_err_t pp_api_key_create(pp_api_req_t *r); /* params: AccountSid */
pp_err_t pp_api_key_list(pp_api_req_t *r);   /* params: AccountSid */
pp_err_t pp_api_key_fetch(pp_api_req_t *r);  /* params: AccountSid, Sid */
pp_err_t pp_api_key_update(pp_api_req_t *r);
pp_err_t pp_api_key_delete(pp_api_req_t *r);

pp_err_t pp_api_message_create(pp_api_req_t *r); /* params: AccountSid */
pp_err_t pp_api_message_list(pp_api_req_t *r);   /* params: AccountSid */
pp_err_t pp_api_message_fetch(pp_api_req_t *r);  /* params: AccountSid, Sid */
pp_err_t pp_api_message_update(pp_api_req_t *r);
pp_err_t pp_api_message_delete(pp_api_req_t *r);

pp_err_t pp_api_number_create(pp_api_req_t *r); /* params: AccountSid */
pp_err_t pp_api_number_list(pp_api_req_t *r);   /* params: AccountSid */
pp_err_t pp_api_number_fetch(pp_api_req_t *r);  /* params: AccountSid, Sid */
pp_err_t pp_api_number_update(pp_api_req_t *r);
pp_err_t pp_api_number_delete(pp_api_req_t *r);

/* Messaging Services (messaging/v1), in the credential's account. */
pp_err_t pp_api_service_create(pp_api_req_t *r);
pp_err_t pp_api_service_list(pp_api_req_t *r);
pp_err_t pp_api_service_fetch(pp_api_req_t *r); /* params: Sid */
pp_err_t pp_api_service_update(pp_api_req_t *r);
pp_err_t pp_api_service_delete(pp_api_req_t *r);
pp_err_t pp_api_service_number_create(pp_api_req_t *r); /* params: ServiceSid */
pp_err_t pp_api_service_number_list(pp_api_req_t *r);   /* params: ServiceSid */
pp_err_t pp_api_service_number_fetch(pp_api_req_t *r);  /* params: ServiceSid, Sid */
pp_err_t pp_api_service_number_delete(pp_api_req_t *r);

/* Operator resources under /admin/v1 (carriers.c). */
pp_err_t pp_api_carrier_list(pp_api_req_t *r);
pp_err_t pp_api_carrier_create(pp_api_req_t *r);       /* create or replace by Name */
pp_err_t pp_api_carrier_fetch(pp_api_req_t *r);        /* params: Name */
pp_err_t pp_api_carrier_update(pp_api_req_t *r);       /* params: Name; the given fields */
pp_err_t pp_api_carrier_delete(pp_api_req_t *r);       /* params: Name; its routes too */
pp_err_t pp_api_carrier_route_list(pp_api_req_t *r);   /* params: Name */
pp_err_t pp_api_carrier_route_create(pp_api_req_t *r); /* params: Name */
pp_err_t pp_api_carrier_route_delete(pp_api_req_t *r); /* params: Name, Prefix */
pp_err_t pp_api_route_list(pp_api_req_t *r);           /* every route, in routing order */

/* The numbers accounts may take (offers.c; `pipit admin number` too). */
pp_err_t pp_api_offer_list(pp_api_req_t *r);
pp_err_t pp_api_offer_create(pp_api_req_t *r); /* PhoneNumber, AccountSid (optional) */
pp_err_t pp_api_offer_delete(pp_api_req_t *r); /* params: PhoneNumber */

pp_err_t pp_api_alert_list(pp_api_req_t *r);  /* the principal's account */
pp_err_t pp_api_alert_fetch(pp_api_req_t *r); /* params: Sid */

/* Verify (verify/v2), in the credential's account.  Params in path order:
 * ServiceSid, then the Sid, Identity or RateLimitSid of the path. */
pp_err_t pp_api_verify_service_create(pp_api_req_t *r);
pp_err_t pp_api_verify_service_list(pp_api_req_t *r);
pp_err_t pp_api_verify_service_fetch(pp_api_req_t *r);
pp_err_t pp_api_verify_service_update(pp_api_req_t *r);
pp_err_t pp_api_verify_service_delete(pp_api_req_t *r);
pp_err_t pp_api_verification_create(pp_api_req_t *r);
pp_err_t pp_api_verification_fetch(pp_api_req_t *r);
pp_err_t pp_api_verification_update(pp_api_req_t *r);
pp_err_t pp_api_verification_check(pp_api_req_t *r);
pp_err_t pp_api_rate_limit_create(pp_api_req_t *r);
pp_err_t pp_api_rate_limit_list(pp_api_req_t *r);
pp_err_t pp_api_rate_limit_fetch(pp_api_req_t *r);
pp_err_t pp_api_rate_limit_update(pp_api_req_t *r);
pp_err_t pp_api_rate_limit_delete(pp_api_req_t *r);
pp_err_t pp_api_rate_bucket_create(pp_api_req_t *r);
pp_err_t pp_api_rate_bucket_list(pp_api_req_t *r);
pp_err_t pp_api_rate_bucket_fetch(pp_api_req_t *r);
pp_err_t pp_api_rate_bucket_update(pp_api_req_t *r);
pp_err_t pp_api_rate_bucket_delete(pp_api_req_t *r);
pp_err_t pp_api_entity_create(pp_api_req_t *r);
pp_err_t pp_api_entity_list(pp_api_req_t *r);
pp_err_t pp_api_entity_fetch(pp_api_req_t *r);
pp_err_t pp_api_entity_delete(pp_api_req_t *r);
pp_err_t pp_api_factor_create(pp_api_req_t *r);
pp_err_t pp_api_factor_list(pp_api_req_t *r);
pp_err_t pp_api_factor_fetch(pp_api_req_t *r);
pp_err_t pp_api_factor_update(pp_api_req_t *r);
pp_err_t pp_api_factor_delete(pp_api_req_t *r);
/* GET …/Factors/{Sid}/QrCode?Token=…: the one-time QR code (PNG) of a new
 * TOTP factor's otpauth URI (Pipit's; docs/internals/verify.md). */
pp_err_t pp_api_factor_qr(pp_api_req_t *r);
pp_err_t pp_api_challenge_create(pp_api_req_t *r);
pp_err_t pp_api_challenge_list(pp_api_req_t *r);
pp_err_t pp_api_challenge_fetch(pp_api_req_t *r);
pp_err_t pp_api_challenge_update(pp_api_req_t *r);
pp_err_t pp_api_verify_webhook_create(pp_api_req_t *r);
pp_err_t pp_api_verify_webhook_list(pp_api_req_t *r);
pp_err_t pp_api_verify_webhook_fetch(pp_api_req_t *r);
pp_err_t pp_api_verify_webhook_update(pp_api_req_t *r);
pp_err_t pp_api_verify_webhook_delete(pp_api_req_t *r);

/* The audit log under /audit/v1 (audit_events.c), account credentials
 * only: an account's events, inclusion and consistency proofs, the latest
 * checkpoint and the log's public key. */
pp_err_t pp_api_audit_event_list(pp_api_req_t *r);
pp_err_t pp_api_audit_event_fetch(pp_api_req_t *r); /* params: Sequence */
pp_err_t pp_api_audit_event_proof(pp_api_req_t *r); /* params: Sequence */
pp_err_t pp_api_audit_consistency(pp_api_req_t *r);
pp_err_t pp_api_audit_checkpoint(pp_api_req_t *r);
pp_err_t pp_api_audit_key(pp_api_req_t *r);

/* ---- Staff sign-in (staff.c; docs/internals/staff.md) ------------------
 * JSON bodies in, JSON out; no Basic credentials (the routes are `staff`).
 * register/begin {"token"} -> {"publicKey": creation options};
 * register/finish {"token","credential"} -> 201; login/begin {"name"} ->
 * {"publicKey": request options}; login/finish {"credential"} -> 200, the
 * session cookie and {"name","role","csrf_token","expires_in"}; logout
 * (cookie and CSRF token) -> 204 and the cookie cleared.  Each sign-in,
 * passkey registration and refusal is an audit event. */
pp_err_t pp_api_staff_register_begin(pp_api_req_t *r);
pp_err_t pp_api_staff_register_finish(pp_api_req_t *r);
pp_err_t pp_api_staff_login_begin(pp_api_req_t *r);
pp_err_t pp_api_staff_login_finish(pp_api_req_t *r);
pp_err_t pp_api_staff_logout(pp_api_req_t *r);
/* uv/begin {"action"} (cookie and CSRF token) -> {"publicKey": request
 * options for the session's passkey}; uv/finish {"action","credential"}
 * -> 200 {"action","expires_in"}: the session holds a user-verified
 * assertion for that action for 5 minutes (pp_staff_uv_check). */
pp_err_t pp_api_staff_uv_begin(pp_api_req_t *r);
pp_err_t pp_api_staff_uv_finish(pp_api_req_t *r);
/* pp_api_audit_decode decodes entry `en`'s leaf into *ev (arena strings);
 * a leaf that does not decode, or another seq, was changed in the database:
 * logged, PP_ERR_CORRUPT.  pp_api_audit_page reads the page of entries `f`
 * asks for, its page tokens carrying sequence + 1 (sequences start at 0;
 * f->page is adjusted); *rows, *n, *more as pp_store_audit_list's (left
 * as given for an empty page). */
pp_err_t pp_api_audit_decode(pp_api_req_t *r, const pp_audit_entry_t *en, pp_audit_event_t *ev);
pp_err_t pp_api_audit_page(pp_api_req_t *r, pp_audit_filter_t *f, pp_audit_entry_t **rows,
                           size_t *n, bool *more);

/* The lockbox's owner side under /lockbox/v1 (lockbox.c;
 * docs/internals/lockbox.md), the account's own credentials only. */
pp_err_t pp_lockbox_request_list(pp_api_req_t *r);
pp_err_t pp_lockbox_request_fetch(pp_api_req_t *r);  /* params: Sid */
pp_err_t pp_lockbox_request_answer(pp_api_req_t *r); /* params: Sid; Status */
pp_err_t pp_lockbox_access_log(pp_api_req_t *r);
pp_err_t pp_lockbox_settings_fetch(pp_api_req_t *r);
pp_err_t pp_lockbox_settings_update(pp_api_req_t *r); /* WebhookUrl ("": none) */

/* The lockbox's staff side under /staff/api (lockbox_staff.c): a staff
 * session (401 without), a CSRF token for the change (403), and for the
 * request a fresh user-verified assertion for "lockbox.request" (403).
 * The reads run the customer handlers with the account as principal,
 * only under a running grant of the member (else 403, 20403). */
pp_err_t pp_lockbox_staff_request_create(pp_api_req_t *r);  /* AccountSid, Reason, Minutes */
pp_err_t pp_lockbox_staff_request_list(pp_api_req_t *r);    /* the member's own; AccountSid */
pp_err_t pp_lockbox_staff_messages(pp_api_req_t *r);        /* params: AccountSid */
pp_err_t pp_lockbox_staff_message(pp_api_req_t *r);         /* params: AccountSid, Sid */
pp_err_t pp_lockbox_staff_numbers(pp_api_req_t *r);         /* params: AccountSid */
pp_err_t pp_lockbox_staff_number(pp_api_req_t *r);          /* params: AccountSid, Sid */
pp_err_t pp_lockbox_staff_verify_services(pp_api_req_t *r); /* params: AccountSid */
pp_err_t pp_lockbox_staff_verify_service(pp_api_req_t *r);  /* params: AccountSid, Sid */

/* pp_lockbox_notice builds the form of a lockbox notice (arena; NULL when
 * out of memory): AccountSid, AccessRequestSid, EventType (`event`),
 * Staff, Reason, Minutes, Status, Timestamp, and for a read its Request
 * and ResourceSids (comma-separated) when not NULL. */
char *pp_lockbox_notice(pp_api_req_t *r, const char *event, const pp_lockbox_request_t *q,
                        const char *status, const char *read_request, const char *resources);

/* ---- Staff pages (staff_pages.c): HTML, no Basic credentials ----------
 * GET /staff/login: sign-in.  GET /staff/enrol/{Token}: the enrolment page
 * (the token is not written into it).  GET /staff/: who is signed in and
 * sign-out with the session's CSRF token; without a live session (the
 * Cookie header, r->cookie) the sign-in page.  /staff/staff.js and
 * /staff/staff.css: the one script (the WebAuthn ceremony, sign-out) and
 * stylesheet they load. */
pp_err_t pp_api_staff_page_signin(pp_api_req_t *r);
pp_err_t pp_api_staff_page_enrol(pp_api_req_t *r);
pp_err_t pp_api_staff_page_home(pp_api_req_t *r);
/* GET /staff/overview: the installation at a glance for any signed-in
 * staff member (support too): accounts with their status and counts,
 * carriers with their links up, queue depths and pending access requests.
 * Counts and SIDs only: no body, phone number, code, secret or credential.
 * Without a live session, the sign-in page. */
pp_err_t pp_api_staff_page_overview(pp_api_req_t *r);
pp_err_t pp_api_staff_page_js(pp_api_req_t *r);
pp_err_t pp_api_staff_page_css(pp_api_req_t *r);

/* ---- Shared rendering helpers (api.c) ----------------------------------- */

/* Parsed PageSize / Page / PageToken of a list request. */
typedef struct {
  pp_page_req_t req;
  long page;
} pp_api_page_t;

/* pp_api_page_parse reads PageSize (1..1000, default 50), Page and
 * PageToken ("PA<seq>" next, "PB<seq>" previous).  PP_ERR_INVALID_PARAM on
 * malformed values. */
pp_err_t pp_api_page_parse(pp_api_req_t *r, pp_api_page_t *out);

/* pp_api_path_account_page starts a list in the path's account:
 * pp_api_path_account into *acc, then pp_api_page_parse into *pg. */
pp_err_t pp_api_path_account_page(pp_api_req_t *r, pp_account_t *acc, pp_api_page_t *pg);

/* How one row of a resource is rendered: `row` points at the resource's
 * row type, whose first field is its int64_t seq (the lists read it). */
typedef void pp_api_render_fn(pp_api_req_t *r, pp_jw_t *w, const void *row);

/* pp_api_krfc2822 writes key: `t` as an RFC 2822 date (the 2010-04-01
 * resources); pp_api_kiso8601 as an ISO 8601 one (the newer products). */
void pp_api_krfc2822(pp_jw_t *w, const char *key, int64_t t);
void pp_api_kiso8601(pp_jw_t *w, const char *key, int64_t t);
/* pp_api_kiso8601_or_null: the same, or null when `t` is 0 (not yet). */
void pp_api_kiso8601_or_null(pp_jw_t *w, const char *key, int64_t t);

/* pp_api_kdates_rfc2822 and _iso8601 write date_created and date_updated
 * (pp_api_krfc2822, pp_api_kiso8601). */
void pp_api_kdates_rfc2822(pp_jw_t *w, int64_t created, int64_t updated);
void pp_api_kdates_iso8601(pp_jw_t *w, int64_t created, int64_t updated);

/* pp_api_respond answers `status` with the one row `row` rendered by
 * `render`. */
pp_err_t pp_api_respond(pp_api_req_t *r, int status, pp_api_render_fn *render, const void *row);

/* pp_api_list_respond answers 200 with a page of a 2010-04-01 list: `key`
 * an array of the n rows of `size` bytes at `rows`, each rendered by
 * `render`, then the list envelope (pp_api_list_envelope) for path `base`
 * and `filters` ("" for none).  A NULL `base` or `filters` (out of memory)
 * is PP_ERR_NOMEM. */
pp_err_t pp_api_list_respond(pp_api_req_t *r, const char *key, const char *base,
                             const char *filters, const pp_api_page_t *pg, const void *rows,
                             size_t size, size_t n, bool more, pp_api_render_fn *render);

/* pp_api_meta_list_respond: the same for the newer products' lists, with
 * the meta envelope (pp_api_meta_envelope) for the absolute list URL
 * `url`. */
pp_err_t pp_api_meta_list_respond(pp_api_req_t *r, const char *key, const char *url,
                                  const char *filters, const pp_api_page_t *pg, const void *rows,
                                  size_t size, size_t n, bool more, pp_api_render_fn *render);

/* pp_api_deleted is the continuation of a delete: 204, or 404 with the
 * path when the write matched no row. */
pp_err_t pp_api_deleted(pp_api_req_t *r);

/* pp_api_delete_in_account queues the delete write `kind` (u.ref) of the
 * row r->params[1] in the path's account, answered by pp_api_deleted. */
pp_err_t pp_api_delete_in_account(pp_api_req_t *r, pp_write_kind_t kind);

/* pp_api_filter_query returns "Name=value&" (URL-encoded) for each of the
 * `n` query parameters in `names` that the request has, in that order, in
 * the arena: the filters that every page URI of a list repeats.  NULL when
 * out of memory. */
char *pp_api_filter_query(pp_api_req_t *r, const char *const *names, size_t n);

/* pp_api_list_envelope writes the 2010-04-01 list envelope fields
 * (first_page_uri, next_page_uri, previous_page_uri, page, page_size, start,
 * end, uri) for a page of n rows whose first and last seq are given; `base`
 * is the list path, `filters` the extra query ("To=..&" encoded) or "". */
void pp_api_list_envelope(pp_api_req_t *r, pp_jw_t *jw, const char *base, const char *filters,
                          const pp_api_page_t *pg, size_t n, bool more, int64_t first_seq,
                          int64_t last_seq);

/* pp_api_meta_envelope writes the `meta` object of the newer products' list
 * envelope (page, page_size, first_page_url, previous_page_url, url,
 * next_page_url, key) for a page of n rows; `url` is the absolute list URL
 * (public base URL + path), `key` the name of the rows' array. */
void pp_api_meta_envelope(pp_api_req_t *r, pp_jw_t *jw, const char *key, const char *url,
                          const char *filters, const pp_api_page_t *pg, size_t n, bool more,
                          int64_t first_seq, int64_t last_seq);

/* pp_lockbox_request_page answers a page (pg) of the access requests `f`
 * selects (its page set from pg) in the v1 envelope, key
 * "access_requests", for the list at `path` with `filters` ("" none). */
pp_err_t pp_lockbox_request_page(pp_api_req_t *r, pp_lockbox_filter_t *f, const pp_api_page_t *pg,
                                 const char *path, const char *filters);

#endif

/* staff_pages.c: the staff side's HTML pages (issue 13): sign-in, the
 * enrolment page an enrolment link opens, and the signed-in landing page;
 * with the one script they load (the WebAuthn ceremony and sign-out) and
 * the one stylesheet.
 *
 * Server-rendered, no framework.  The script only runs the ceremony
 * against the JSON endpoints of staff.c (parse…OptionsFromJSON, then the
 * credential's toJSON() posted back) and posts sign-out with the CSRF
 * token; the pages work from what the server writes into them.  Every value
 * written into a page is HTML-escaped (html_text).  The transport adds the
 * Content-Security-Policy of every HTML answer (script and style from
 * this origin only, frame-ancestors 'none'; docs/internals/http.md).
 *
 * No page echoes a secret: the enrolment page does not write its token
 * (the script reads it from the address), the landing page writes the
 * session's CSRF token, which is derived from the cookie and says nothing
 * of it (pp_staff_csrf). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "channel/channel.h"
#include "core/clock.h"
#include "staff/lockbox.h"
#include "staff/staff.h"

/* Appends `s` with the five characters HTML gives meaning escaped, so it
 * is text in an element and in a quoted attribute alike. */
static void html_text(pp_buf_t *b, const char *s) {
  static const char special[] = "&<>\"'";
  static const char *const entity[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
  for (; *s; s++) {
    const char *hit = strchr(special, *s);
    if (hit)
      pp_buf_puts(b, entity[hit - special]);
    else
      pp_buf_putc(b, *s);
  }
}

/* The head of every page, up to and including <main>: `title` is text. */
static void page_begin(pp_buf_t *b, const char *title) {
  pp_buf_puts(b,
              "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>");
  html_text(b, title);
  pp_buf_puts(b,
              " · Pipit staff</title>\n"
              "<link rel=\"stylesheet\" href=\"/staff/staff.css\">\n"
              "<script src=\"/staff/staff.js\" defer></script>\n"
              "</head>\n<body>\n<header><span class=\"brand\">Pipit</span> staff</header>\n"
              "<main>\n<h1>");
  html_text(b, title);
  pp_buf_puts(b, "</h1>\n");
}

/* The end of every page, with the line the script writes its progress and
 * refusals into. */
static pp_err_t page_end(pp_api_req_t *r) {
  pp_buf_puts(&r->body,
              "<p id=\"status\" role=\"status\" aria-live=\"polite\"></p>\n"
              "</main>\n</body>\n</html>\n");
  if (pp_buf_status(&r->body)) return PP_ERR_NOMEM;
  r->status = 200;
  r->content_type = "text/html; charset=utf-8";
  return PP_OK;
}

/* A form with `attrs` (fixed markup); the caller writes its fields between
 * form_begin and form_end, which adds the submit button. */
static void form_begin(pp_buf_t *b, const char *attrs) {
  pp_buf_printf(b, "<form %s>\n", attrs);
}

static void form_end(pp_buf_t *b, const char *button) {
  pp_buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", button);
}

/* A page of fixed markup: a title, a paragraph, a form (its attributes,
 * fields and button) and what follows it. */
typedef struct {
  const char *title, *intro, *form, *fields, *button, *after;
} fixed_page_t;

static const fixed_page_t signin_page = {
    "Sign in",
    "Staff sign in with a passkey, and only with a passkey. Pipit never asks for a password or a "
    "code.",
    "id=\"signin\" class=\"card\"",
    "<label for=\"name\">Staff name</label>\n<input id=\"name\" name=\"name\" required "
    "maxlength=\"57\" pattern=\"[A-Za-z0-9._\\-]+\" autocomplete=\"username webauthn\" "
    "autocapitalize=\"none\" spellcheck=\"false\" autofocus>\n",
    "Sign in with passkey",
    "<p class=\"note\">Check that the address bar shows this installation's own address: a "
    "passkey works only there.</p>\n"};

static const fixed_page_t enrol_page = {
    "Register your passkey",
    "This one-time link lets you register a passkey for the staff side of this installation. It "
    "works once, for 15 minutes from when it was made.",
    "id=\"enrol\" class=\"card\"",
    "",
    "Register a passkey",
    "<p id=\"enrolled\" class=\"card\" hidden>Your passkey is registered. <a "
    "href=\"/staff/login\">Sign in</a></p>\n"};

static pp_err_t fixed_page(pp_api_req_t *r, const fixed_page_t *p) {
  pp_buf_t *b = &r->body;
  page_begin(b, p->title);
  pp_buf_printf(b, "<p>%s</p>\n", p->intro);
  form_begin(b, p->form);
  pp_buf_puts(b, p->fields);
  form_end(b, p->button);
  pp_buf_puts(b, p->after);
  return page_end(r);
}

pp_err_t pp_api_staff_page_signin(pp_api_req_t *r) {
  return fixed_page(r, &signin_page);
}

pp_err_t pp_api_staff_page_enrol(pp_api_req_t *r) {
  return fixed_page(r, &enrol_page);
}

/* GET /staff/: who is signed in, and sign-out; without a live session the
 * sign-in page. */
pp_err_t pp_api_staff_page_home(pp_api_req_t *r) {
  pp_staff_who_t who;
  int64_t now = pp_clock_now();
  pp_err_t e = pp_staff_resolve(r->api->store, r->cookie, now, &who);
  if (e == PP_ERR_STAFF_SESSION) return pp_api_staff_page_signin(r);
  if (e) return e;
  char csrf[PP_STAFF_TEXT_SIZE];
  bool ok = pp_staff_csrf(who.text, csrf);
  sodium_memzero(who.text, sizeof who.text);
  if (!ok) return pp_api_staff_page_signin(r);
  /* "2026-12-07T16:25:04Z" for the machine, "2026-12-07 16:25 UTC" to read. */
  char until[PP_ISO8601_SIZE], shown[PP_ISO8601_SIZE + 8];
  pp_iso8601(who.session.expires, until);
  snprintf(shown, sizeof shown, "%.10s %.5s UTC", until, until + 11);

  pp_buf_t *b = &r->body;
  page_begin(b, "Staff");
  pp_buf_puts(b, "<section class=\"card\">\n<p>Signed in as <strong id=\"who\">");
  html_text(b, who.staff.name);
  pp_buf_puts(b, "</strong> (<span id=\"role\">");
  html_text(b, who.staff.role);
  pp_buf_puts(b, "</span>).</p>\n<p class=\"note\">This session ends <time datetime=\"");
  html_text(b, until);
  pp_buf_puts(b, "\">");
  html_text(b, shown);
  pp_buf_puts(b, "</time> at the latest.</p>\n");
  form_begin(b, "id=\"signout\" method=\"post\" action=\"/staff/logout\"");
  pp_buf_puts(b, "<input type=\"hidden\" name=\"csrf_token\" value=\"");
  html_text(b, csrf);
  sodium_memzero(csrf, sizeof csrf);
  pp_buf_puts(b, "\">\n");
  form_end(b, "Sign out");
  pp_buf_puts(b,
              "</section>\n<p><a id=\"overview-link\" href=\"/staff/overview\">Installation "
              "overview</a></p>\n");
  return page_end(r);
}

/* ---- The overview ------------------------------------------------------- *
 * Counts, SIDs, names and states only: nothing here reads a message body,
 * a phone number, a code, a secret or a carrier's address or credentials. */

#define OVERVIEW_ROWS 200 /* accounts and requests shown at most */

/* A section titled `title` holding a table: its `id` and the column
 * titles (fixed markup), "|"-separated. */
static void table_begin(pp_buf_t *b, const char *title, const char *id, const char *cols) {
  pp_buf_printf(b, "<section class=\"card wide\">\n<h2>%s</h2>\n<table id=\"%s\">\n<thead><tr>",
                title, id);
  for (const char *c = cols; *c;) {
    size_t n = strcspn(c, "|");
    pp_buf_printf(b, "<th scope=\"col\">%.*s</th>", (int)n, c);
    c += n + (c[n] == '|');
  }
  pp_buf_puts(b, "</tr></thead>\n<tbody>\n");
}

/* One cell of text, with `cls` (fixed markup, "" none) as its class. */
static void cell(pp_buf_t *b, const char *cls, const char *text) {
  pp_buf_printf(b, *cls ? "<td class=\"%s\">" : "<td>", cls);
  html_text(b, text);
  pp_buf_puts(b, "</td>");
}

static void cell_num(pp_buf_t *b, const char *cls, int64_t n) {
  pp_buf_printf(b, "<td class=\"num %s\">%lld</td>", cls, (long long)n);
}

/* The end of a table and its section; `empty` (fixed text) when it had no
 * rows, and a note when more rows were left out. */
static void table_end(pp_buf_t *b, size_t rows, bool more, const char *empty) {
  pp_buf_puts(b, "</tbody>\n</table>\n");
  if (!rows) pp_buf_printf(b, "<p class=\"note empty\">%s</p>\n", empty);
  if (more)
    pp_buf_printf(b, "<p class=\"note\">Only the newest %d are shown.</p>\n", OVERVIEW_ROWS);
  pp_buf_puts(b, "</section>\n");
}

/* A row's start, `attr` (fixed markup) naming it by `key`. */
static void row_begin(pp_buf_t *b, const char *attr, const char *key) {
  pp_buf_printf(b, "<tr %s=\"", attr);
  html_text(b, key);
  pp_buf_puts(b, "\">");
}

static pp_err_t overview_accounts(pp_api_req_t *r) {
  pp_buf_t *b = &r->body;
  pp_account_filter_t f = {.page = {.limit = OVERVIEW_ROWS}};
  pp_account_t *rows;
  size_t n;
  bool more;
  pp_err_t e = pp_store_account_list(r->api->store, &r->arena, &f, &rows, &n, &more);
  if (e) return e;
  table_begin(b, "Accounts", "accounts", "Account|Name|Status|Messages|Numbers|Verify services");
  for (size_t i = 0; i < n; i++) {
    pp_account_counts_t c;
    e = pp_store_account_counts(r->api->store, rows[i].sid, &c);
    if (e) return e;
    row_begin(b, "data-sid", rows[i].sid);
    cell(b, "sid", rows[i].sid);
    cell(b, "", rows[i].friendly_name);
    cell(b, "status", rows[i].status);
    cell_num(b, "messages", c.messages);
    cell_num(b, "numbers", c.numbers);
    cell_num(b, "services", c.verify_services);
    pp_buf_puts(b, "</tr>\n");
  }
  table_end(b, n, more, "No accounts yet.");
  return PP_OK;
}

/* A carrier's links as the engine reports them. */
static void carrier_state(pp_buf_t *b, const pp_api_t *api, const pp_carrier_t *c) {
  int links = api->carrier_links ? api->carrier_links(api->carrier_links_arg, c->name) : -1;
  if (links > 0)
    pp_buf_printf(b, "<td class=\"state up\" data-links=\"%d\">bound (%d link%s up)</td>", links,
                  links, links == 1 ? "" : "s");
  else if (links == 0)
    pp_buf_puts(b, "<td class=\"state down\" data-links=\"0\">not bound</td>");
  else
    pp_buf_puts(b, "<td class=\"state unknown\">not running yet</td>");
}

static pp_err_t overview_carriers(pp_api_req_t *r) {
  pp_buf_t *b = &r->body;
  pp_carrier_t *rows;
  size_t n;
  pp_err_t e = pp_store_carrier_all(r->api->store, &r->arena, &rows, &n);
  if (e) return e;
  table_begin(b, "Carriers", "carriers", "Carrier|Channel|Binds configured|Bind health");
  for (size_t i = 0; i < n; i++) {
    row_begin(b, "data-carrier", rows[i].name);
    cell(b, "name", rows[i].name);
    cell(b, "", pp_channel_kind(&rows[i]));
    cell_num(b, "binds", rows[i].binds);
    carrier_state(b, r->api, &rows[i]);
    pp_buf_puts(b, "</tr>\n");
    sodium_memzero(rows[i].password, sizeof rows[i].password);
  }
  table_end(b, n, false, "No carriers.");
  return PP_OK;
}

static pp_err_t overview_queues(pp_api_req_t *r) {
  pp_queue_depths_t q;
  pp_err_t e = pp_store_queue_depths(r->api->store, &q);
  if (e) return e;
  pp_buf_printf(&r->body,
                "<section class=\"card wide\">\n<h2>Queues</h2>\n<dl id=\"queues\">\n"
                "<dt>Messages waiting to be sent</dt><dd id=\"messages-waiting\">%lld</dd>\n"
                "<dt>Webhooks waiting to be delivered</dt><dd id=\"webhooks-waiting\">%lld</dd>\n"
                "</dl>\n</section>\n",
                (long long)q.messages_waiting, (long long)q.webhooks_waiting);
  return PP_OK;
}

/* "3 h 20 min" since `t`. */
static void age_text(int64_t now, int64_t t, char out[32]) {
  int64_t m = now > t ? (now - t) / 60 : 0;
  if (m >= 60)
    snprintf(out, 32, "%lld h %lld min", (long long)(m / 60), (long long)(m % 60));
  else
    snprintf(out, 32, "%lld min", (long long)m);
}

/* Access requests still waiting for their account's answer (stored
 * pending and not yet expired), every account's. */
static pp_err_t overview_access_requests(pp_api_req_t *r, int64_t now) {
  pp_buf_t *b = &r->body;
  pp_lockbox_filter_t f = {.status = "pending", .page = {.limit = OVERVIEW_ROWS}};
  pp_lockbox_request_t *rows;
  size_t n, shown = 0;
  bool more;
  pp_err_t e = pp_store_lockbox_list(r->api->store, &r->arena, &f, &rows, &n, &more);
  if (e) return e;
  table_begin(b, "Pending access requests", "access-requests",
              "Request|Account|Staff|Reason|Minutes|Age");
  for (size_t i = 0; i < n; i++) {
    pp_lockbox_times_t t = {PP_LOCKBOX_PENDING, rows[i].date_created, 0, rows[i].minutes,
                            PP_LOCKBOX_MINUTE_S};
    if (pp_lockbox_status_at(&t, now) != PP_LOCKBOX_PENDING) continue;
    char age[32];
    age_text(now, rows[i].date_created, age);
    row_begin(b, "data-sid", rows[i].sid);
    cell(b, "sid", rows[i].sid);
    cell(b, "sid account", rows[i].account_sid);
    cell(b, "staff", rows[i].staff);
    cell(b, "reason", rows[i].reason ? rows[i].reason : "");
    cell_num(b, "minutes", rows[i].minutes);
    cell(b, "age", age);
    pp_buf_puts(b, "</tr>\n");
    shown++;
  }
  table_end(b, shown, more, "No access request is waiting for an answer.");
  return PP_OK;
}

/* Pending change requests (four eyes on carriers and routes): what each
 * asks and who asked; the form it carries is not shown (an address is
 * the installation's, but a page shows no more than a decision needs:
 * GET /staff/api/ChangeRequests/{Sid} has the rest). */
static pp_err_t overview_change_requests(pp_api_req_t *r, int64_t now) {
  pp_buf_t *b = &r->body;
  pp_change_t *rows;
  size_t n, shown = 0;
  pp_err_t e = pp_store_change_list(r->api->store, &r->arena, "pending", &rows, &n);
  if (e) return e;
  table_begin(b, "Pending change requests", "change-requests",
              "Request|Action|Carrier|Prefix|Asked by|Age");
  for (size_t i = 0; i < n && shown < OVERVIEW_ROWS; i++) {
    if (strcmp(pp_change_status_at(&rows[i], now), "pending") != 0) continue;
    char age[32];
    age_text(now, rows[i].date_created, age);
    row_begin(b, "data-sid", rows[i].sid);
    cell(b, "sid", rows[i].sid);
    cell(b, "action", rows[i].action);
    cell(b, "carrier", rows[i].carrier);
    cell(b, "prefix", rows[i].prefix);
    cell(b, "staff", rows[i].requested_by);
    cell(b, "age", age);
    pp_buf_puts(b, "</tr>\n");
    shown++;
  }
  table_end(b, shown, shown < n && shown == OVERVIEW_ROWS,
            "No change request is waiting for a second operator.");
  return PP_OK;
}

pp_err_t pp_api_staff_page_overview(pp_api_req_t *r) {
  pp_staff_who_t who;
  int64_t now = pp_clock_now();
  pp_err_t e = pp_staff_resolve(r->api->store, r->cookie, now, &who);
  sodium_memzero(who.text, sizeof who.text);
  if (e == PP_ERR_STAFF_SESSION) return pp_api_staff_page_signin(r);
  if (e) return e;
  pp_buf_t *b = &r->body;
  page_begin(b, "Installation overview");
  pp_buf_puts(b, "<p class=\"note\">Signed in as <strong id=\"who\">");
  html_text(b, who.staff.name);
  pp_buf_puts(b,
              "</strong>. Counts only: content needs the account's grant. <a "
              "href=\"/staff/\">Back</a></p>\n");
  e = overview_accounts(r);
  if (!e) e = overview_carriers(r);
  if (!e) e = overview_queues(r);
  if (!e) e = overview_access_requests(r, now);
  if (!e) e = overview_change_requests(r, now);
  return e ? e : page_end(r); /* on an error the transport answers in its place */
}

/* The ceremony.  Options come as the W3C JSON encoding and go through
 * PublicKeyCredential.parse…OptionsFromJSON; the credential goes back as
 * its toJSON().  Errors are shown as text (textContent), never as markup. */
static const char staff_js[] =
    "'use strict';\n"
    "(() => {\n"
    "  const status = document.getElementById('status');\n"
    "  const say = (text, failed) => {\n"
    "    status.textContent = text;\n"
    "    status.classList.toggle('failed', Boolean(failed));\n"
    "  };\n"
    "  async function post(url, body, headers) {\n"
    "    const res = await fetch(url, { method: 'POST', credentials: 'same-origin',\n"
    "      headers: { 'Content-Type': 'application/json', ...headers },\n"
    "      body: body === undefined ? undefined : JSON.stringify(body) });\n"
    "    const text = await res.text();\n"
    "    let json = null;\n"
    "    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }\n"
    "    if (!res.ok) throw new Error(json && json.message ? json.message : `HTTP "
    "${res.status}`);\n"
    "    return json;\n"
    "  }\n"
    "  const why = (e) => (e && e.name === 'NotAllowedError' ?\n"
    "    'the passkey prompt was cancelled or timed out' : (e && e.message) || String(e));\n"
    "  function lock(form, busy) {\n"
    "    for (const el of form.elements) el.disabled = busy;\n"
    "  }\n"
    "  const enrol = document.getElementById('enrol');\n"
    "  if (enrol) enrol.addEventListener('submit', async (ev) => {\n"
    "    ev.preventDefault();\n"
    "    const token = decodeURIComponent(location.pathname.split('/').pop());\n"
    "    lock(enrol, true);\n"
    "    try {\n"
    "      say('Follow your browser\\'s passkey prompt\\u2026');\n"
    "      const begin = await post('/staff/webauthn/register/begin', { token });\n"
    "      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(begin.publicKey);\n"
    "      const credential = await navigator.credentials.create({ publicKey });\n"
    "      await post('/staff/webauthn/register/finish', { token, credential: credential.toJSON() "
    "});\n"
    "      enrol.hidden = true;\n"
    "      document.getElementById('enrolled').hidden = false;\n"
    "      say('');\n"
    "    } catch (e) {\n"
    "      say(`Registration failed: ${why(e)}`, true);\n"
    "      lock(enrol, false);\n"
    "    }\n"
    "  });\n"
    "  const signin = document.getElementById('signin');\n"
    "  if (signin) signin.addEventListener('submit', async (ev) => {\n"
    "    ev.preventDefault();\n"
    "    const name = signin.elements.name.value.trim();\n"
    "    lock(signin, true);\n"
    "    try {\n"
    "      say('Follow your browser\\'s passkey prompt\\u2026');\n"
    "      const begin = await post('/staff/webauthn/login/begin', { name });\n"
    "      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(begin.publicKey);\n"
    "      const credential = await navigator.credentials.get({ publicKey });\n"
    "      await post('/staff/webauthn/login/finish', { credential: credential.toJSON() });\n"
    "      say('Signed in.');\n"
    "      location.assign('/staff/');\n"
    "    } catch (e) {\n"
    "      say(`Sign-in failed: ${why(e)}`, true);\n"
    "      lock(signin, false);\n"
    "    }\n"
    "  });\n"
    "  const signout = document.getElementById('signout');\n"
    "  if (signout) signout.addEventListener('submit', async (ev) => {\n"
    "    ev.preventDefault();\n"
    "    lock(signout, true);\n"
    "    try {\n"
    "      const token = signout.querySelector('input[name=csrf_token]').value;\n"
    "      await post('/staff/logout', undefined, { 'X-CSRF-Token': token });\n"
    "      location.assign('/staff/login');\n"
    "    } catch (e) {\n"
    "      say(`Sign-out failed: ${why(e)}`, true);\n"
    "      lock(signout, false);\n"
    "    }\n"
    "  });\n"
    "})();\n";

static const char staff_css[] =
    ":root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d5dae3;\n"
    "  --accent: #1f5fbf; --bg: #f4f6f9; }\n"
    "* { box-sizing: border-box; }\n"
    "body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif;\n"
    "  color: var(--ink); background: var(--bg); }\n"
    "header { padding: .75rem 1.5rem; background: var(--ink); color: #fff; }\n"
    ".brand { font-weight: 700; }\n"
    "main { max-width: 34rem; margin: 2.5rem auto; padding: 0 1.5rem; }\n"
    "h1 { font-size: 1.6rem; margin: 0 0 1rem; }\n"
    ".card { background: #fff; border: 1px solid var(--line); border-radius: .5rem;\n"
    "  padding: 1.25rem; margin: 1rem 0; }\n"
    "label { display: block; font-weight: 600; margin-bottom: .35rem; }\n"
    "input { display: block; width: 100%; font: inherit; padding: .5rem .6rem;\n"
    "  border: 1px solid var(--line); border-radius: .35rem; margin-bottom: 1rem; }\n"
    "button { font: inherit; font-weight: 600; padding: .55rem 1.1rem; border: 0;\n"
    "  border-radius: .35rem; background: var(--accent); color: #fff; cursor: pointer; }\n"
    "button:disabled { opacity: .6; cursor: default; }\n"
    ".note { color: var(--muted); font-size: .9rem; }\n"
    "#status { min-height: 1.5em; color: var(--muted); }\n"
    ".card > :first-child { margin-top: 0; }\n"
    ".card > :last-child { margin-bottom: 0; }\n"
    "#status.failed { color: #b42318; font-weight: 600; }\n"
    "[hidden] { display: none !important; }\n"
    "main:has(.wide) { max-width: 64rem; }\n"
    "h2 { font-size: 1.15rem; margin: 0 0 .75rem; }\n"
    "table { width: 100%; border-collapse: collapse; font-size: .9rem; }\n"
    "th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line);\n"
    "  vertical-align: top; }\n"
    "td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
    "td.sid { font-family: ui-monospace, monospace; font-size: .8rem; }\n"
    ".state.up { color: #067647; font-weight: 600; }\n"
    ".state.down { color: #b42318; font-weight: 600; }\n"
    "dl { display: grid; grid-template-columns: max-content auto; gap: .25rem 1rem; margin: 0; }\n"
    "dd { margin: 0; font-weight: 600; }\n";

/* A fixed asset of `len` bytes. */
static pp_err_t asset(pp_api_req_t *r, const char *type, const char *text, size_t len) {
  pp_buf_append(&r->body, text, len);
  if (pp_buf_status(&r->body)) return PP_ERR_NOMEM;
  r->status = 200;
  r->content_type = type;
  return PP_OK;
}

pp_err_t pp_api_staff_page_js(pp_api_req_t *r) {
  return asset(r, "text/javascript; charset=utf-8", staff_js, sizeof staff_js - 1);
}

pp_err_t pp_api_staff_page_css(pp_api_req_t *r) {
  return asset(r, "text/css; charset=utf-8", staff_css, sizeof staff_css - 1);
}

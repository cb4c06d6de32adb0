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
#include "core/clock.h"
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
  pp_buf_puts(b, "</section>\n");
  return page_end(r);
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
    "[hidden] { display: none !important; }\n";

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

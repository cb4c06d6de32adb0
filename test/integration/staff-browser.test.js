// Staff sign-in through the staff pages in headless Chromium (issue 13, what
// it must show 1): a staff member enrols from the URL `pipit admin staff add`
// prints, signs in through the pages with a passkey (a DevTools virtual
// authenticator: Chromium makes and signs clientDataJSON with the page's
// real origin), sees the landing page and signs out.  And the refusals: a
// look-alike site on another loopback address relaying Pipit's challenge, a
// replayed challenge, a sign count that goes backwards, and a session
// cookie used after it expired or after `staff remove`.
//
// Pipit's public URL is http://localhost:PORT (a secure context, so
// WebAuthn and the __Host- cookie work over plain HTTP on loopback); the
// relying party ID is then "localhost".  The look-alike is a server of this
// test on 127.0.0.2, reached as http://staff-pipit.test:PORT (Chromium maps
// the name; WebAuthn refuses IP addresses as relying party IDs).
//
// PIPIT_SCREENSHOT_DIR=dir keeps a screenshot of each page there.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { PipitServer, pollUntil, rawHttp } from './harness.js';
import { Browser } from './browser.js';

const COOKIE = '__Host-pipit-staff';
const LOOKALIKE_HOST = 'staff-pipit.test';
const SHOTS = process.env.PIPIT_SCREENSHOT_DIR;

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// Pipit serving with its public URL on localhost, and Chromium (launched
// by `launch(ctx)` once the server is up).
function useStaffServer({ extra = [], launch = () => Browser.launch() } = {}) {
  const ctx = {};
  before(async () => {
    ctx.server = await PipitServer.start({
      extraArgs: (port) => ['--public-url', `http://localhost:${port}`, ...extra],
    });
    ctx.origin = `http://localhost:${ctx.server.port}`;
    ctx.browser = await launch(ctx);
  });
  after(async () => {
    await ctx.browser?.close();
    if (ctx.server) {
      await ctx.server.stop();
      await ctx.server.removeDataDir();
    }
  });
  return ctx;
}

// `pipit admin staff add NAME --json`: the enrolment URL it prints.
async function addStaff(server, name, role = 'operator') {
  const out = JSON.parse(await server.admin('staff', 'add', name, '--role', role,
    '--public-url', `http://localhost:${server.port}`, '--json'));
  assert.equal(out.name, name);
  assert.match(out.enrol_url, new RegExp(`^http://localhost:${server.port}/staff/enrol/[A-Za-z0-9_-]{43}$`));
  return out.enrol_url;
}

// A request to Pipit from outside the browser (node:http on 127.0.0.1).
async function pipit(server, method, p, { cookie, headers = {}, json } = {}) {
  const hdrs = { Host: `localhost:${server.port}`, ...headers };
  if (cookie) hdrs.Cookie = `${COOKIE}=${cookie}`;
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    hdrs['Content-Type'] = 'application/json';
  }
  const res = await rawHttp(new URL(p, server.baseUrl), method, hdrs, body);
  let parsed;
  try { parsed = JSON.parse(res.text); } catch { /* a page */ }
  return { ...res, json: parsed };
}

// What GET /staff/ shows for a session cookie value: 'landing' (signed in,
// naming `name`) or 'signin'.
async function homeFor(server, cookie, name) {
  const res = await pipit(server, 'GET', '/staff/', { cookie });
  assert.equal(res.status, 200);
  if (res.text.includes('id="signin"')) return 'signin';
  assert.match(res.text, new RegExp(`<strong id="who">${name}</strong>`));
  return 'landing';
}

async function sessionCookie(page) {
  return (await page.context().cookies()).find((c) => c.name === COOKIE);
}

// Enrols `name` in a fresh page with its own virtual authenticator.
async function enrol(browser, server, name) {
  const url = await addStaff(server, name);
  const page = await browser.newPage();
  const auth = await browser.virtualAuthenticator(page);
  const res = await page.goto(url);
  assert.equal(res.status(), 200);
  await page.click('#enrol button');
  await page.locator('#enrolled').waitFor({ state: 'visible', timeout: 15_000 }).catch(async (e) => {
    throw new Error(`${e.message}\nstatus: ${await page.textContent('#status')}\n${page.problems.join('\n')}`);
  });
  const creds = await auth.credentials();
  assert.equal(creds.length, 1);
  assert.equal(creds[0].rpId, 'localhost');
  return { page, auth, url };
}

// Signs in as `name` through the sign-in page; resolves once the landing
// page shows, to the login/finish request body the page posted.
async function signIn(page, origin, name) {
  const finish = page.waitForRequest((q) => q.url().endsWith('/staff/webauthn/login/finish'));
  await page.goto(`${origin}/staff/login`);
  await page.fill('#name', name);
  await page.click('#signin button');
  const body = (await finish).postData();
  await page.waitForURL(`${origin}/staff/`, { timeout: 15_000 }).catch(async (e) => {
    throw new Error(`${e.message}\nstatus: ${await page.textContent('#status')}\n${page.problems.join('\n')}`);
  });
  assert.equal(await page.textContent('#who'), name);
  return body;
}

// Enrols `name` and signs in; resolves once Pipit takes the cookie.
async function signedIn({ browser, server, origin }, name) {
  const { page, auth } = await enrol(browser, server, name);
  await signIn(page, origin, name);
  const cookie = await sessionCookie(page);
  assert.equal(await homeFor(server, cookie.value, name), 'landing');
  return { page, auth, cookie };
}

// Sign-out with the session cookie `c` and the CSRF token its landing
// page held: refused as no session.
async function refusedSession(server, page, c) {
  const csrf = await page.getAttribute('#signout input[name=csrf_token]', 'value');
  const res = await pipit(server, 'POST', '/staff/logout', { cookie: c.value, headers: { 'X-CSRF-Token': csrf } });
  assert.equal(res.status, 401);
  assert.match(res.json.message, /no valid staff session/);
}

// `page` shows the sign-in page at /staff/ and nobody signed in.
async function showsSignIn(page, origin) {
  await page.goto(`${origin}/staff/`);
  assert.equal(await page.locator('#signin').count(), 1);
  assert.equal(await page.locator('#who').count(), 0);
}

// Tries to sign in and expects the page to say it failed; resolves to that text.
async function signInRefused(page, origin, name, why) {
  const finish = page.waitForResponse((q) => q.url().endsWith('/staff/webauthn/login/finish'));
  await page.goto(`${origin}/staff/login`);
  await page.fill('#name', name);
  await page.click('#signin button');
  const res = await finish;
  assert.equal(res.status(), 401);
  assert.match((await res.json()).message, why);
  await page.locator('#status.failed', { hasText: 'Sign-in failed' }).waitFor({ timeout: 15_000 });
  assert.equal(new URL(page.url()).pathname, '/staff/login');
  assert.equal(await sessionCookie(page), undefined);
  return res;
}

describe('staff pages in Chromium: enrol, sign in, sign out', () => {
  const ctx = useStaffServer();

  it('enrols from the printed URL, signs in, shows who is signed in, signs out', async () => {
    const { server, origin, browser } = ctx;
    const url = await addStaff(server, 'alice');
    const page = await browser.newPage();
    const auth = await browser.virtualAuthenticator(page);

    // The enrolment page: HTML with a policy that allows this origin's
    // script only and no framing.
    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    const h = res.headers();
    assert.match(h['content-type'], /^text\/html; charset=utf-8$/);
    const csp = h['content-security-policy'];
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'none'/);
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(h['referrer-policy'], 'no-referrer');
    const token = url.split('/').pop();
    assert.ok(!(await page.content()).includes(token), 'the enrolment page does not echo its token');
    await shot(page, '1-enrol');
    await page.click('#enrol button');
    await page.locator('#enrolled').waitFor({ state: 'visible', timeout: 15_000 });
    await shot(page, '2-enrolled');
    const creds = await auth.credentials();
    assert.equal(creds.length, 1);
    assert.equal(creds[0].rpId, 'localhost');
    assert.ok(creds[0].isResidentCredential);

    // The link works once.
    const again = await browser.newPage();
    await browser.virtualAuthenticator(again);
    await again.goto(url);
    await again.click('#enrol button');
    await again.locator('#status', { hasText: 'Registration failed: The enrolment link is not valid' })
      .waitFor({ timeout: 15_000 });

    // Sign in through the pages.
    await page.goto(`${origin}/staff/login`);
    await shot(page, '3-signin');
    await signIn(page, origin, 'alice');
    assert.equal(await page.textContent('#role'), 'operator');
    assert.deepEqual(page.problems, []);
    await shot(page, '4-landing');
    const c = await sessionCookie(page);
    assert.ok(c, 'a session cookie');
    assert.equal(c.secure, true);
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.path, '/');
    assert.equal(c.domain, 'localhost');
    assert.equal(await homeFor(server, c.value, 'alice'), 'landing');
    // The landing page's CSRF token is not the cookie.
    const csrf = await page.getAttribute('#signout input[name=csrf_token]', 'value');
    assert.match(csrf, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(csrf, c.value);

    // Sign out: back to sign-in, the cookie gone, and the old value dead.
    await page.click('#signout button');
    await page.waitForURL(`${origin}/staff/login`);
    assert.equal(await sessionCookie(page), undefined);
    await showsSignIn(page, origin);
    assert.equal(await homeFor(server, c.value, 'alice'), 'signin');
    const out = await pipit(server, 'POST', '/staff/logout', { cookie: c.value, headers: { 'X-CSRF-Token': csrf } });
    assert.equal(out.status, 401);
    assert.match(out.json.message, /no valid staff session/);
    assert.deepEqual(page.problems, []);
  });

  it('refuses sign-out without the CSRF token', async () => {
    const { server } = ctx;
    const { cookie: c } = await signedIn(ctx, 'carol');
    const res = await pipit(server, 'POST', '/staff/logout', { cookie: c.value });
    assert.equal(res.status, 403);
    assert.equal(await homeFor(server, c.value, 'carol'), 'landing');
  });

  it('refuses a replayed challenge: the same login/finish body twice', async () => {
    const { server, origin, browser } = ctx;
    const { page } = await enrol(browser, server, 'dave');
    const body = await signIn(page, origin, 'dave');
    const res = await pipit(server, 'POST', '/staff/webauthn/login/finish', { json: JSON.parse(body) });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json.code, 20003);
    assert.match(res.json.message, /challenge is unknown, used or expired/);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('refuses a sign count that goes backwards', async () => {
    const { server, origin, browser } = ctx;
    const { page, auth } = await enrol(browser, server, 'erin');
    await signIn(page, origin, 'erin');
    await signIn(page, origin, 'erin');
    const [cred] = await auth.credentials();
    assert.ok(cred.signCount >= 2, `the authenticator counts (${cred.signCount})`);
    // A clone of the key: its counter behind what Pipit saw.
    await page.context().clearCookies();
    await auth.setSignCount(cred.credentialId, 0);
    await signInRefused(page, origin, 'erin', /sign count did not grow/);
    await shot(page, '5-signin-refused');
    // Equal is not greater either.
    await auth.setSignCount(cred.credentialId, cred.signCount - 1);
    await signInRefused(page, origin, 'erin', /sign count did not grow/);
    // Whatever it did with the clone, the real key (its count ahead) still works.
    await auth.setSignCount(cred.credentialId, cred.signCount + 10);
    await signIn(page, origin, 'erin');
  });

  it('refuses the session cookie after staff remove', async () => {
    const { server, origin } = ctx;
    const { page, cookie: c } = await signedIn(ctx, 'frank');
    await server.admin('staff', 'remove', 'frank');
    assert.equal(await homeFor(server, c.value, 'frank'), 'signin');
    await refusedSession(server, page, c);
    await showsSignIn(page, origin);
  });
});

describe('staff pages in Chromium: a session after it expired', () => {
  const ctx = useStaffServer({ extra: ['--staff-session-s', '5'] });

  it('refuses the cookie once the session expired, even when the browser still sends it', async () => {
    const { server, origin } = ctx;
    const { page, cookie: c } = await signedIn(ctx, 'gina');
    await pollUntil(async () => (await homeFor(server, c.value, 'gina')) === 'signin',
      'the session to expire', 20_000);
    await refusedSession(server, page, c);
    // The browser drops it by Max-Age; put it back, valid for a day.
    await page.context().addCookies([{ ...c, expires: Math.floor(Date.now() / 1000) + 86400 }]);
    await showsSignIn(page, origin);
  });
});

// The look-alike: a page on another loopback address that asks for the
// staff name, gets a challenge from Pipit's login/begin through its own
// server (the relay), runs the ceremony in the browser under its own
// origin, and sends what it got to its server, which posts it to Pipit.
const LOOKALIKE_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Sign in · Pipit staff</title></head>
<body><h1>Sign in</h1><script>
window.phish = async (name, claimRpId) => {
  const begin = await (await fetch('/relay/begin', { method: 'POST', body: JSON.stringify({ name }) })).json();
  const opts = begin.publicKey;
  if (claimRpId) opts.rpId = claimRpId;
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts) });
  } catch (e) {
    return { browser: e.name + ': ' + e.message };
  }
  const res = await fetch('/relay/finish', { method: 'POST', body: JSON.stringify({ credential: credential.toJSON() }) });
  return { relayed: await res.json() };
};
</script></body></html>`;

function startLookalike(server) {
  const relay = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const ch of req) chunks.push(ch);
    const body = Buffer.concat(chunks).toString();
    const send = (status, type, text) => { res.writeHead(status, { 'Content-Type': type }); res.end(text); };
    if (req.method === 'GET') return send(200, 'text/html', LOOKALIKE_PAGE);
    const step = req.url === '/relay/begin' ? 'begin' : 'finish';
    const r = await pipit(server, 'POST', `/staff/webauthn/login/${step}`, { json: JSON.parse(body) });
    if (step === 'begin') return send(r.status, 'application/json', r.text);
    return send(200, 'application/json', JSON.stringify({ status: r.status, body: r.json ?? r.text,
      cookie: r.headers['set-cookie'] ?? null }));
  });
  return new Promise((resolve) => relay.listen(0, '127.0.0.2', () => resolve(relay)));
}

describe('staff pages in Chromium: a look-alike origin relaying the challenge', () => {
  let relay, lookalike;
  const ctx = useStaffServer({
    launch: async ({ server }) => {
      relay = await startLookalike(server);
      lookalike = `http://${LOOKALIKE_HOST}:${relay.address().port}`;
      return Browser.launch({
        secureOrigins: [lookalike],
        args: [`--host-resolver-rules=MAP ${LOOKALIKE_HOST} 127.0.0.2`],
      });
    },
  });
  after(() => relay?.close());

  it('gets no session from an assertion made on another origin', async () => {
    const { server, origin, browser } = ctx;
    const { page, auth } = await enrol(browser, server, 'hana');
    const [cred] = await auth.credentials();

    // Phished: the same browser, the same authenticator, the look-alike's page.
    await page.context().clearCookies();
    await page.goto(`${lookalike}/`);
    // Claiming Pipit's relying party ID from there: the browser refuses.
    const claimed = await page.evaluate(() => window.phish('hana', null));
    assert.match(claimed.browser ?? '', /^SecurityError/, JSON.stringify(claimed));

    // An authenticator that signs for the look-alike with the same key (one
    // that ignored RP binding): the browser makes the assertion, with the
    // look-alike's origin in clientDataJSON and its rpIdHash.  Pipit refuses.
    await auth.cloneForRp(cred, LOOKALIKE_HOST);
    const signed = await page.evaluate((rp) => window.phish('hana', rp), LOOKALIKE_HOST);
    assert.ok(signed.relayed, JSON.stringify(signed));
    assert.equal(signed.relayed.status, 401, JSON.stringify(signed));
    assert.equal(signed.relayed.body.code, 20003);
    assert.match(signed.relayed.body.message, /another origin/);
    assert.equal(signed.relayed.cookie, null);

    // No session came of it; the real origin still signs in.
    assert.equal(await sessionCookie(page), undefined);
    await auth.removeCredential(cred.credentialId);
    await auth.addCredential(cred);
    await signIn(page, origin, 'hana');
  });
});

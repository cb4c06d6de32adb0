// The staff overview page (issue 13, "Staff pages"): a signed-in staff
// member, here one with the `support` role, sees every account with its
// status and counts, each carrier with the state of its binds as the engine
// has them from a real SMSC, the queue depths and the access requests still
// waiting for an answer; and no message body or phone number anywhere in
// the page.  Rendered by headless Chromium with JavaScript off: the page
// needs none.
//
// The session comes from a real passkey sign-in over HTTP (the software
// authenticator of staff-auth.js); its cookie is handed to Chromium.
// Pipit's public URL is http://127.0.0.1:PORT, which Chromium is told to
// treat as secure so that it sends the __Host- cookie.
//
// PIPIT_SCREENSHOT_DIR=dir keeps a screenshot of the page there.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useServer, pollUntil, TO, uniqueNumber } from './harness.js';
import { Authenticator, post, enrol, signIn, cookieOf, Staff } from './staff-auth.js';
import { SmscPeer } from './smsc-peer.js';
import { Browser } from './browser.js';

const SHOTS = process.env.PIPIT_SCREENSHOT_DIR;
const BODY = 'overview-secret-body-5c1a';
const WAITING_TO = '+12125550147'; // routed only to the carrier that cannot bind
const REASON = 'ticket #42 <script>alert(1)</script> & "quotes"';

describe('staff overview page', () => {
  const ctx = useServer();
  let s; let a; let b; let up; let down; let browser; let page; let sam; let request;
  const numbers = [];

  // The overview as Chromium shows it (JavaScript off), by way of the link
  // on the landing page.
  async function overview() {
    await page.goto(`${s.baseUrl}/staff/`);
    await page.click('#overview-link');
    assert.equal(new URL(page.url()).pathname, '/staff/overview');
    return page;
  }
  const cellText = (sel) => page.textContent(sel).then((t) => t.trim());
  async function shot(name) {
    if (!SHOTS) return;
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  before(async () => {
    s = ctx.server;
    up = await SmscPeer.start({ systemId: 'ovup', password: 'pw-up', name: 'up' });
    down = await SmscPeer.start({ systemId: 'ovdown', password: 'pw-down', name: 'down' });
    down.refuseBinds = true;
    await s.addCarrier('carrier-up', up, { prefixes: ['+1555'] });
    await s.addCarrier('carrier-down', down, { prefixes: ['+1212'] });
    await up.waitForBind({ timeoutMs: 15_000 });

    // Account A: two numbers, three messages (one waiting), one Verify
    // service; account B: one number, one message, two services.
    numbers.push(uniqueNumber(), uniqueNumber(), uniqueNumber());
    a = await s.createAccount('Overview A', { numbers: numbers.slice(0, 2) });
    b = await s.createAccount('Overview B', { numbers: numbers.slice(2) });
    const ca = s.client(a.sid, a.auth_token);
    const cb = s.client(b.sid, b.auth_token);
    for (const to of [TO, TO, WAITING_TO]) await ca.messages.create({ to, from: a.from, body: BODY });
    await cb.messages.create({ to: TO, from: b.from, body: BODY });
    await ca.verify.v2.services.create({ friendlyName: 'A Verify' });
    for (const n of ['B one', 'B two']) await cb.verify.v2.services.create({ friendlyName: n });

    // An operator asks to read account A (with a fresh user-verified
    // assertion); the request stays pending.
    const alice = new Authenticator();
    await enrol(s, 'alice', alice);
    const ok = await signIn(s, 'alice', alice);
    const st = { Cookie: cookieOf(ok).cookie, 'X-CSRF-Token': ok.json.csrf_token };
    const uvb = await post(s, '/staff/webauthn/uv/begin', { action: 'lockbox.request' }, st);
    assert.equal(uvb.status, 200, uvb.text);
    const uvf = await post(s, '/staff/webauthn/uv/finish',
      { action: 'lockbox.request', credential: alice.get(uvb.json, s.baseUrl) }, st);
    assert.equal(uvf.status, 200, uvf.text);
    const asked = await s.raw('POST', '/staff/api/AccessRequests',
      { headers: st, form: { AccountSid: a.sid, Reason: REASON, Minutes: '30' }, validate: false });
    assert.equal(asked.status, 201, asked.text);
    request = asked.json;

    // The viewer: a support member, signed in with a passkey.
    const samAuth = new Authenticator();
    await enrol(s, 'sam', samAuth, 'support');
    const samIn = await signIn(s, 'sam', samAuth);
    assert.equal(samIn.status, 200, samIn.text);
    assert.equal(samIn.json.role, 'support');
    sam = cookieOf(samIn).cookie.split('=')[1];

    browser = await Browser.launch({ secureOrigins: [s.baseUrl] });
    const context = await browser.browser.newContext({ javaScriptEnabled: false });
    browser.contexts.push(context);
    await context.addCookies([{ name: '__Host-pipit-staff', value: sam, domain: '127.0.0.1', path: '/',
      secure: true, httpOnly: true, sameSite: 'Strict' }]);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await up?.stop();
    await down?.stop();
  });

  it('is the sign-in page without a session', async () => {
    const res = await s.raw('GET', '/staff/overview', { validate: false });
    assert.equal(res.status, 200);
    assert.match(res.text, /id="signin"/);
    assert.doesNotMatch(res.text, /id="accounts"/);
  });

  it('shows each account with its status and counts', async () => {
    await overview();
    assert.equal(await cellText('#who'), 'sam');
    for (const [acct, name, counts] of [[a, 'Overview A', ['3', '2', '1']], [b, 'Overview B', ['1', '1', '2']]]) {
      const row = `#accounts tr[data-sid="${acct.sid}"]`;
      assert.equal(await cellText(`${row} td.sid`), acct.sid);
      assert.equal(await cellText(`${row} td:nth-child(2)`), name);
      assert.equal(await cellText(`${row} td.status`), 'active');
      assert.deepEqual(await Promise.all(['messages', 'numbers', 'services'].map((c) => cellText(`${row} td.${c}`))),
        counts, `${name}: messages, numbers, Verify services`);
    }
  });

  it('shows each carrier as the engine has its binds: up from a real SMSC, down when refused', async () => {
    const state = (name) => page.getAttribute(`#carriers tr[data-carrier="${name}"] td.state`, 'data-links');
    await pollUntil(async () => {
      await overview();
      return (await state('carrier-up')) === '1' && (await state('carrier-down')) === '0';
    }, 'carrier-up bound and carrier-down not bound on the overview');
    assert.match(await cellText('#carriers tr[data-carrier="carrier-up"] td.state'), /^bound \(1 link up\)$/);
    assert.equal(await cellText('#carriers tr[data-carrier="carrier-down"] td.state'), 'not bound');
    assert.ok(down.binds.length > 0 && down.binds.every((x) => !x.ok), 'the down carrier was tried and refused');
    await shot('staff-overview-bound');

    // The bind goes down: the page says so.
    await up.stop();
    await pollUntil(async () => {
      await overview();
      return (await state('carrier-up')) === '0';
    }, 'carrier-up not bound once its SMSC is gone');
  });

  it('shows the queue depths: the message routed to the carrier that cannot bind waits', async () => {
    await pollUntil(async () => {
      await overview();
      return (await cellText('#messages-waiting')) === '1';
    }, 'one message waiting');
    assert.equal(await cellText('#webhooks-waiting'), '0');
  });

  it('shows the pending access request, its reason as text', async () => {
    await overview();
    const row = `#access-requests tr[data-sid="${request.sid}"]`;
    assert.equal(await cellText(`${row} td.account`), a.sid);
    assert.equal(await cellText(`${row} td.staff`), 'staff:alice');
    assert.equal(await cellText(`${row} td.reason`), REASON);
    assert.equal(await cellText(`${row} td.minutes`), '30');
    assert.match(await cellText(`${row} td.age`), /^\d+ min$/);
    assert.equal(await page.locator('#access-requests script').count(), 0, 'the reason is escaped');
    assert.equal(await page.locator('#change-requests').count(), 1);
    await shot('staff-overview');
  });

  it('shows a pending change request, and not once it is decided', async () => {
    const olga = await Staff.create(s, 'olga');
    const cr = await olga.propose('DELETE', '/admin/v1/Carriers/carrier-down');
    await overview();
    const row = `#change-requests tr[data-sid="${cr.sid}"]`;
    assert.equal(await cellText(`${row} td.action`), 'carrier.delete');
    assert.equal(await cellText(`${row} td.carrier`), 'carrier-down');
    assert.equal(await cellText(`${row} td.staff`), 'staff:olga');
    const res = await (await Staff.create(s, 'otto')).decide(cr.sid, 'rejected');
    assert.equal(res.status, 200, res.text);
    await overview();
    assert.equal(await page.locator(row).count(), 0, 'a decided request is not pending');
  });

  it('shows no message body and no phone number', async () => {
    await overview();
    const html = await page.content();
    const raw = (await s.raw('GET', '/staff/overview',
      { headers: { Cookie: `__Host-pipit-staff=${sam}` }, validate: false })).text;
    assert.match(raw, /id="accounts"/);
    for (const text of [html, raw]) {
      for (const secret of [BODY, TO, WAITING_TO, ...numbers, a.auth_token, b.auth_token, 'pw-up', 'pw-down']) {
        assert.ok(!text.includes(secret), `the overview shows ${secret}`);
      }
      // Nothing that looks like an E.164 number at all.
      assert.doesNotMatch(text, /\+\d{7,15}/);
    }
  });
});

// Verify v2 (issue 5): services, SMS verifications whose codes the test reads
// from an independent SMSC (the npm smpp package, smsc-peer.js), checks,
// Twilio's limits and errors, programmable rate limits, and TOTP factors
// whose codes come from an independent TOTP implementation (npm otpauth).
// The last test searches the raw SQLite files and the server's stderr for
// every code and factor secret seen: none may be there in plaintext.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { PipitServer, PIPIT_BIN, expectRestError, twilio } from './harness.js';
import { SmscPeer } from './smsc-peer.js';
import { startWithSmsc, stopClean, stopBoth } from './smsc-setup.js';
import { Receiver } from './webhook-receiver.js';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
// The test's webhook receivers listen on loopback, which webhooks may not
// reach unless allowed.
const HOOKS_OK = { PIPIT_WEBHOOK_ALLOW: '127.0.0.0/8' };

const ISO8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// Numbers of this file only: +1555042 followed by four digits.
const N = (i) => `+1555042${String(i).padStart(4, '0')}`;
const digits = (a) => String(a ?? '').replace(/^\+/, '');
const SYSTEM_ID = 'pipit-vfy';
const PASSWORD = 'pw-vfy';

// Secrets the suite saw (codes from the handset, factor secrets): the
// final test looks for each of them in the database files and the logs.
const seenCodes = new Set();
const seenSecrets = new Set();

// A webhook receiver on loopback: every POST's form, and whether its
// X-Twilio-Signature matched (checked with the SDK's validateRequest).
async function startReceiver(authToken) {
  const events = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      const url = `http://127.0.0.1:${srv.address().port}${req.url}`;
      const signed = twilio.validateRequest(authToken, req.headers['x-twilio-signature'] ?? '', url, params);
      events.push({ params, signed });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return {
    events,
    url: `http://127.0.0.1:${srv.address().port}/verify-events`,
    async waitFor(pred, what) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const hit = events.find((e) => pred(e.params));
        if (hit) return hit;
        if (Date.now() > deadline) assert.fail(`no webhook event ${what}; got ${JSON.stringify(events.map((e) => e.params.type))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((r) => srv.close(r)),
  };
}

describe('Verify v2', () => {
  let server; let peer; let acct; let client; let svc;
  const v2 = () => client.verify.v2;

  // The code in message number `after` (0-based, in order of arrival) the
  // handset got at `to`; `name` is the service's (any when null).
  async function codeFor(to, { after = 0, name = 'Acme' } = {}) {
    const re = new RegExp(`^Your ${name ?? '.+'} verification code is: (\\d{4,10})(\\. Do not share this code with anyone\\.)?$`);
    const msg = await peer.waitFor(() => {
      const mine = peer.messages.filter((m) => digits(m.destAddr) === digits(to));
      return mine.length > after ? mine[after] : null;
    }, { timeoutMs: 15_000, what: `verification SMS #${after + 1} to ${to}` });
    const m = re.exec(msg.text);
    assert.ok(m, `unexpected verification text: ${JSON.stringify(msg.text)}`);
    seenCodes.add(m[1]);
    return m[1];
  }
  const sentTo = (to) => peer.messages.filter((m) => digits(m.destAddr) === digits(to)).length;

  before(async () => {
    ({ server, peer, acct, client } = await startWithSmsc({
      server: { env: HOOKS_OK },
      peer: { systemId: SYSTEM_ID, password: PASSWORD, name: 'vfy-smsc' },
      carrier: 'vfy-carrier',
      carrierOpts: { args: ['--bind', 'trx'] },
      account: 'Verify',
    }));
    svc = await v2().services.create({ friendlyName: 'Acme', codeLength: 8 });
  }, { timeout: 60_000 });

  after(() => stopBoth(server, peer), { timeout: 60_000 });

  describe('Services', () => {
    it('create answers every field with defaults, absolute URLs and ISO 8601 dates (201)', async () => {
      const s = await v2().services.create({ friendlyName: 'Defaults' });
      assert.match(s.sid, /^VA[0-9a-f]{32}$/);
      assert.equal(s.accountSid, acct.sid);
      assert.equal(s.codeLength, 6);
      assert.equal(s.lookupEnabled, false);
      assert.equal(s.dtmfInputRequired, true);
      assert.equal(s.doNotShareWarningEnabled, false);
      assert.equal(s.customCodeEnabled, false);
      assert.deepEqual(s.totp, { issuer: 'Defaults', time_step: 30, code_length: 6, skew: 1 });
      assert.deepEqual(s.push, { include_date: false, apn_credential_sid: null, fcm_credential_sid: null });
      assert.equal(s.url, `${server.baseUrl}/verify/v2/Services/${s.sid}`);
      assert.equal(s.links.verifications, `${s.url}/Verifications`);
      assert.equal(s.links.rate_limits, `${s.url}/RateLimits`);
      assert.equal(s.links.entities, `${s.url}/Entities`);
      const ex = server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/v2/Services'));
      assert.equal(ex.status, 201);
      const raw = JSON.parse(ex.body);
      assert.match(raw.date_created, ISO8601);
      assert.match(raw.date_updated, ISO8601);
      assert.equal(raw.passkeys, null);
    });

    it('update changes settings; fetch and list (meta envelope) show them', async () => {
      const s = await v2().services.create({ friendlyName: 'Old name' });
      const u = await v2().services(s.sid).update({
        friendlyName: 'New name', codeLength: 10, doNotShareWarningEnabled: true, psd2Enabled: true,
        'totp.issuer': 'Issuer Inc', 'totp.timeStep': 60, 'totp.codeLength': 8, 'totp.skew': 2,
        skipSmsToLandlines: true, ttsName: 'Pipit voice', customCodeEnabled: true,
      });
      assert.equal(u.friendlyName, 'New name');
      assert.equal(u.codeLength, 10);
      assert.equal(u.doNotShareWarningEnabled, true);
      assert.equal(u.psd2Enabled, true);
      assert.equal(u.skipSmsToLandlines, true);
      assert.equal(u.ttsName, 'Pipit voice');
      assert.deepEqual(u.totp, { issuer: 'Issuer Inc', time_step: 60, code_length: 8, skew: 2 });
      const f = await v2().services(s.sid).fetch();
      assert.equal(f.friendlyName, 'New name');
      assert.equal(f.customCodeEnabled, true);
      const all = await v2().services.list({ pageSize: 2 });
      assert.ok(all.some((x) => x.sid === s.sid), 'list pages through every service');
      const page = server.recorder.lastJson((e) => e.method === 'get' && /\/v2\/Services\?/.test(e.url));
      assert.equal(page.meta.key, 'services');
      assert.equal(page.meta.page_size, 2);
    });

    it('refuses a CodeLength outside 4..10 (60200) and a missing FriendlyName', async () => {
      await expectRestError(v2().services.create({ friendlyName: 'x', codeLength: 3 }), { status: 400, code: 60200 });
      await expectRestError(v2().services.create({ friendlyName: 'x', codeLength: 11 }), { status: 400, code: 60200 });
      await expectRestError(v2().services.create({ friendlyName: 'x', 'totp.skew': 3 }), { status: 400, code: 60200 });
      const res = await server.raw('POST', '/verify/v2/Services', { auth: [acct.sid, acct.auth_token], form: {} });
      assert.equal(res.status, 400);
    });

    it('delete removes the service (204, then 404)', async () => {
      const s = await v2().services.create({ friendlyName: 'Doomed' });
      assert.equal(await v2().services(s.sid).remove(), true);
      await expectRestError(v2().services(s.sid).fetch(), { status: 404, code: 20404 });
    });

    it('another account cannot see the service', async () => {
      const other = await server.createAccount('Verify Other');
      const oc = server.client(other.sid, other.auth_token);
      await expectRestError(oc.verify.v2.services(svc.sid).fetch(), { status: 404, code: 20404 });
    });
  });

  describe('SMS verifications', () => {
    it('sends the code by SMS from the account\'s number; the right code approves', async () => {
      const to = N(1);
      const v = await v2().services(svc.sid).verifications.create({ to, channel: 'sms' });
      assert.match(v.sid, /^VE[0-9a-f]{32}$/);
      assert.equal(v.status, 'pending');
      assert.equal(v.valid, false);
      assert.equal(v.to, to);
      assert.equal(v.channel, 'sms');
      assert.equal(v.sendCodeAttempts.length, 1);
      assert.equal(v.url, `${svc.url}/Verifications/${v.sid}`);
      const code = await codeFor(to);
      assert.equal(code.length, 8);
      const got = peer.messages.filter((m) => digits(m.destAddr) === digits(to)).at(-1);
      assert.equal(digits(got.parts[0].sourceAddr), digits(acct.from), 'sent from the account\'s number');
      assert.ok(!JSON.stringify(v).includes(code), 'the API never returns the code');

      const wrong = await v2().services(svc.sid).verificationChecks.create({ to, code: code === '00000000' ? '11111111' : '00000000' });
      assert.equal(wrong.status, 'pending');
      assert.equal(wrong.valid, false);
      const ok = await v2().services(svc.sid).verificationChecks.create({ to, code });
      assert.equal(ok.status, 'approved');
      assert.equal(ok.valid, true);
      assert.equal(ok.sid, v.sid);
      const f = await v2().services(svc.sid).verifications(v.sid).fetch();
      assert.equal(f.status, 'approved');
      // An approved verification cannot be checked again.
      await expectRestError(v2().services(svc.sid).verificationChecks.create({ to, code }), { status: 404, code: 20404 });
      await expectRestError(v2().services(svc.sid).verificationChecks.create({ verificationSid: v.sid, code }), { status: 404, code: 20404 });

      // The message log shows the message with the code masked.
      const msgs = await client.messages.list({ to, pageSize: 20 });
      assert.ok(msgs.length >= 1);
      for (const m of msgs) {
        assert.ok(!m.body.includes(code), `stored body holds no code: ${m.body}`);
        assert.match(m.body, /^Your Acme verification code is: \*{8}$/);
      }
    });

    it('a new verification to a pending number sends again (same SID); every code sent is valid', async () => {
      const to = N(2);
      const v1 = await v2().services(svc.sid).verifications.create({ to, channel: 'sms' });
      const c1 = await codeFor(to);
      const v2_ = await v2().services(svc.sid).verifications.create({ to, channel: 'sms' });
      assert.equal(v2_.sid, v1.sid);
      assert.equal(v2_.sendCodeAttempts.length, 2);
      await codeFor(to, { after: 1 });
      const ok = await v2().services(svc.sid).verificationChecks.create({ verificationSid: v1.sid, code: c1 });
      assert.equal(ok.status, 'approved');
    });

    it('a sixth send of one verification is refused: 60203 Max send attempts reached (429)', async () => {
      const to = N(3);
      for (let i = 0; i < 5; i++) await v2().services(svc.sid).verifications.create({ to, channel: 'sms' });
      await expectRestError(v2().services(svc.sid).verifications.create({ to, channel: 'sms' }), { status: 429, code: 60203 });
      await peer.waitFor(() => sentTo(to) >= 5, { what: 'five SMS' });
      for (let i = 0; i < 5; i++) await codeFor(to, { after: i });
    });

    it('five wrong codes end in max_attempts_reached; a further check is 60202 (429)', async () => {
      const to = N(4);
      const v = await v2().services(svc.sid).verifications.create({ to, channel: 'sms' });
      const code = await codeFor(to);
      const bad = code === '12121212' ? '34343434' : '12121212';
      for (let i = 1; i <= 4; i++) {
        const c = await v2().services(svc.sid).verificationChecks.create({ to, code: bad });
        assert.equal(c.status, 'pending', `wrong check ${i}`);
      }
      const last = await v2().services(svc.sid).verificationChecks.create({ to, code: bad });
      assert.equal(last.status, 'max_attempts_reached');
      assert.equal(last.valid, false);
      await expectRestError(v2().services(svc.sid).verificationChecks.create({ to, code }), { status: 429, code: 60202 });
      const f = await v2().services(svc.sid).verifications(v.sid).fetch();
      assert.equal(f.status, 'max_attempts_reached');
    });

    it('update cancels a verification; checking it then is 20404', async () => {
      const to = N(5);
      const v = await v2().services(svc.sid).verifications.create({ to, channel: 'sms' });
      const code = await codeFor(to);
      const c = await v2().services(svc.sid).verifications(v.sid).update({ status: 'canceled' });
      assert.equal(c.status, 'canceled');
      await expectRestError(v2().services(svc.sid).verificationChecks.create({ to, code }), { status: 404, code: 20404 });
      await expectRestError(v2().services(svc.sid).verifications(v.sid).update({ status: 'canceled' }), { status: 404, code: 20404 });
      await expectRestError(v2().services(svc.sid).verifications(v.sid).update({ status: 'denied' }), { status: 400, code: 60200 });
    });

    it('the do-not-share warning and custom codes follow the service settings', async () => {
      const s = await v2().services.create({ friendlyName: 'Warned', doNotShareWarningEnabled: true, customCodeEnabled: true, codeLength: 8 });
      const to = N(6);
      await v2().services(s.sid).verifications.create({ to, channel: 'sms', customCode: '24682468' });
      const code = await codeFor(to, { name: 'Warned' });
      assert.equal(code, '24682468');
      const last = peer.messages.filter((m) => digits(m.destAddr) === digits(to)).at(-1);
      assert.equal(last.text, 'Your Warned verification code is: 24682468. Do not share this code with anyone.');
      await expectRestError(v2().services(svc.sid).verifications.create({ to: N(7), channel: 'sms', customCode: '1234' }),
        { status: 400, code: 60200 });
      const ok = await v2().services(s.sid).verificationChecks.create({ to, code: '24682468' });
      assert.equal(ok.status, 'approved');
    });

    it('channels other than sms answer 60223; a To that is not E.164 is 60200', async () => {
      for (const channel of ['email', 'call', 'whatsapp']) {
        await expectRestError(v2().services(svc.sid).verifications.create({ to: N(8), channel }), { status: 400, code: 60223 });
      }
      await expectRestError(v2().services(svc.sid).verifications.create({ to: '5551234', channel: 'sms' }), { status: 400, code: 60200 });
      await expectRestError(v2().services(svc.sid).verificationChecks.create({ code: '123456' }), { status: 400, code: 60200 });
    });

    it('more than five pending verifications to one number in an account: 60212 (429)', async () => {
      const to = N(9);
      for (let i = 0; i < 5; i++) {
        const s = await v2().services.create({ friendlyName: `Many ${i}`, codeLength: 8 });
        await v2().services(s.sid).verifications.create({ to, channel: 'sms' });
      }
      const s6 = await v2().services.create({ friendlyName: 'Many 5' });
      await expectRestError(v2().services(s6.sid).verifications.create({ to, channel: 'sms' }), { status: 429, code: 60212 });
      await peer.waitFor(() => sentTo(to) >= 5, { what: 'five SMS' });
      for (let i = 0; i < 5; i++) await codeFor(to, { after: i, name: null });
    });
  });

  describe('Rate limits and buckets', () => {
    let rl;

    it('create, fetch, update and list rate limits and buckets', async () => {
      rl = await v2().services(svc.sid).rateLimits.create({ uniqueName: 'end_user_ip', description: 'per IP' });
      assert.match(rl.sid, /^RK[0-9a-f]{32}$/);
      assert.equal(rl.uniqueName, 'end_user_ip');
      assert.equal(rl.links.buckets, `${rl.url}/Buckets`);
      const b = await v2().services(svc.sid).rateLimits(rl.sid).buckets.create({ max: 2, interval: 60 });
      assert.match(b.sid, /^BL[0-9a-f]{32}$/);
      assert.equal(b.max, 2);
      assert.equal(b.interval, 60);
      const u = await v2().services(svc.sid).rateLimits(rl.sid).update({ description: 'per end-user IP' });
      assert.equal(u.description, 'per end-user IP');
      const list = await v2().services(svc.sid).rateLimits.list();
      assert.deepEqual(list.map((x) => x.sid), [rl.sid]);
      const buckets = await v2().services(svc.sid).rateLimits(rl.sid).buckets.list();
      assert.deepEqual(buckets.map((x) => x.sid), [b.sid]);
      const fb = await v2().services(svc.sid).rateLimits(rl.sid).buckets(b.sid).fetch();
      assert.equal(fb.rateLimitSid, rl.sid);
      await expectRestError(v2().services(svc.sid).rateLimits(rl.sid).buckets.create({ max: 5, interval: 60 }),
        { status: 400, code: 60211 });
      await expectRestError(v2().services(svc.sid).rateLimits.create({ uniqueName: 'end_user_ip' }), { status: 400, code: 60200 });
    });

    it('a bucket caps the sends per key: the third send for one IP in a minute is 60203', async () => {
      const s = v2().services(svc.sid);
      await s.verifications.create({ to: N(20), channel: 'sms', rateLimits: { end_user_ip: '192.0.2.7' } });
      await s.verifications.create({ to: N(21), channel: 'sms', rateLimits: { end_user_ip: '192.0.2.7' } });
      await expectRestError(s.verifications.create({ to: N(22), channel: 'sms', rateLimits: { end_user_ip: '192.0.2.7' } }),
        { status: 429, code: 60203 });
      // Another key has its own count; an unknown rate limit is refused.
      await s.verifications.create({ to: N(23), channel: 'sms', rateLimits: { end_user_ip: '192.0.2.8' } });
      await expectRestError(s.verifications.create({ to: N(24), channel: 'sms', rateLimits: { nope: 'x' } }), { status: 400, code: 60200 });
      for (const i of [20, 21, 23]) await codeFor(N(i));
    });

    it('deleting the bucket lifts the cap', async () => {
      const [b] = await v2().services(svc.sid).rateLimits(rl.sid).buckets.list();
      assert.equal(await v2().services(svc.sid).rateLimits(rl.sid).buckets(b.sid).remove(), true);
      await v2().services(svc.sid).verifications.create({ to: N(25), channel: 'sms', rateLimits: { end_user_ip: '192.0.2.7' } });
      await codeFor(N(25));
      assert.equal(await v2().services(svc.sid).rateLimits(rl.sid).remove(), true);
    });
  });

  describe('TOTP factors', () => {
    const identity = 'ff483d1ff591898a9942916050d2ca3f';
    let factor; let totp;

    const ent = () => v2().services(svc.sid).entities(identity);
    const at = (offsetS = 0) => totp.generate({ timestamp: Date.now() + offsetS * 1000 });

    it('create returns the secret and otpauth URI once, unverified', async () => {
      factor = await ent().newFactors.create({ friendlyName: 'Ada\'s phone', factorType: 'totp' });
      assert.match(factor.sid, /^YF[0-9a-f]{32}$/);
      assert.equal(factor.status, 'unverified');
      assert.equal(factor.factorType, 'totp');
      assert.equal(factor.identity, identity);
      assert.match(factor.binding.secret, /^[A-Z2-7]{32}$/);
      seenSecrets.add(factor.binding.secret);
      const parsed = OTPAuth.URI.parse(factor.binding.uri);
      assert.equal(parsed.issuer, 'Acme');
      assert.equal(parsed.label, 'Ada\'s phone');
      assert.equal(parsed.algorithm, 'SHA1');
      assert.equal(parsed.digits, 6);
      assert.equal(parsed.period, 30);
      assert.equal(parsed.secret.base32, factor.binding.secret);
      totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(factor.binding.secret), algorithm: 'SHA1', digits: 6, period: 30 });
      // The entity exists now, and never shows the secret again.
      const e = await ent().fetch();
      assert.match(e.sid, /^YE[0-9a-f]{32}$/);
      const f = await ent().factors(factor.sid).fetch();
      assert.equal(f.status, 'unverified');
      const raw = server.recorder.last((x) => x.method === 'get' && x.url.includes(`/Factors/${factor.sid}`)).body;
      assert.ok(!raw.includes(factor.binding.secret), 'fetch does not return the secret');
      assert.equal(JSON.parse(raw).binding, undefined);
    });

    it('a challenge of an unverified factor is refused: 60318 (403)', async () => {
      await expectRestError(ent().challenges.create({ factorSid: factor.sid, authPayload: at() }), { status: 403, code: 60318 });
    });

    it('the factor is verified with a code from an independent TOTP implementation', async () => {
      const wrong = await ent().factors(factor.sid).update({ authPayload: '000000' === at() ? '111111' : '000000' });
      assert.equal(wrong.status, 'unverified');
      const ok = await ent().factors(factor.sid).update({ authPayload: at() });
      assert.equal(ok.status, 'verified');
    });

    it('a code is accepted at most once (replay refused); the next time step approves', async () => {
      // The code that verified the factor is spent.
      const replay = await ent().challenges.create({ factorSid: factor.sid, authPayload: at() });
      assert.equal(replay.status, 'pending');
      assert.match(replay.sid, /^YC[0-9a-f]{32}$/);
      // The next step's code (within the skew of 1) approves...
      const next = at(30);
      const ok = await ent().challenges.create({ factorSid: factor.sid, authPayload: next, 'details.message': 'Log in' });
      assert.equal(ok.status, 'approved');
      assert.equal(ok.respondedReason, 'none');
      assert.match(String(ok.dateResponded), /\d/);
      assert.equal(ok.details.message, 'Log in');
      // ...once.
      const again = await ent().challenges.create({ factorSid: factor.sid, authPayload: next });
      assert.equal(again.status, 'pending');
      // A pending challenge can be answered later, but not with a spent code.
      const upd = await ent().challenges(again.sid).update({ authPayload: next });
      assert.equal(upd.status, 'pending');
      const list = await ent().challenges.list();
      assert.equal(list.length, 3);
      const fetched = await ent().challenges(ok.sid).fetch();
      assert.equal(fetched.status, 'approved');
    });

    it('SHA256 with 8 digits and SHA512 with a 60 s step work with their own secrets', async () => {
      // Each the first factor of its own entity (a second factor of an
      // entity waits for approval: DESIGN.md rule 5, below).
      for (const [alg, digitsN, step] of [['sha256', 8, 30], ['sha512', 7, 60]]) {
        const e = v2().services(svc.sid).entities(`${identity}-${alg}`);
        const f = await e.newFactors.create({ friendlyName: `${alg} key`, factorType: 'totp',
          'config.alg': alg, 'config.codeLength': digitsN, 'config.timeStep': step });
        seenSecrets.add(f.binding.secret);
        assert.deepEqual(f.config, { alg, skew: 1, code_length: digitsN, time_step: step });
        const parsed = OTPAuth.URI.parse(f.binding.uri);
        assert.equal(parsed.algorithm, alg.toUpperCase());
        const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret), algorithm: alg.toUpperCase(), digits: digitsN, period: step }).generate();
        const v = await e.factors(f.sid).update({ authPayload: code });
        assert.equal(v.status, 'verified', `${alg} factor verified`);
      }
    });

    it('five wrong codes lock the factor: 60310 (429), even for the right code', async () => {
      const f = await ent().newFactors.create({ friendlyName: 'locked', factorType: 'totp' });
      seenSecrets.add(f.binding.secret);
      const t = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret) });
      const good = t.generate();
      const bad = good === '999999' ? '888888' : '999999';
      for (let i = 0; i < 5; i++) {
        const r = await ent().factors(f.sid).update({ authPayload: bad });
        assert.equal(r.status, 'unverified');
      }
      await expectRestError(ent().factors(f.sid).update({ authPayload: good }), { status: 429, code: 60310 });
    });

    it('entities and factors list; deleting the entity removes its factors', async () => {
      const list = await v2().services(svc.sid).entities.list();
      assert.deepEqual(list.map((x) => x.identity).sort(), [identity, `${identity}-sha256`, `${identity}-sha512`]);
      const fl = await ent().factors.list();
      assert.equal(fl.length, 2);
      for (const f of fl) assert.equal(f.binding, undefined);
      assert.equal(await ent().remove(), true);
      await expectRestError(ent().fetch(), { status: 404, code: 20404 });
    });
  });

  describe('Push factors (ES256 device keys)', () => {
    const identity = 'push-user-0001';
    const ent = () => v2().services(svc.sid).entities(identity);
    const device = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicKey = device.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    // A compact JWS (ES256) of `payload`, signed by `key`.
    const jws = (payload, key = device.privateKey, header = { alg: 'ES256', typ: 'JWT' }) => {
      const signing = `${b64url(header)}.${b64url(payload)}`;
      const sig = crypto.sign('sha256', Buffer.from(signing), { key, dsaEncoding: 'ieee-p1363' });
      return `${signing}.${sig.toString('base64url')}`;
    };
    const config = {
      'config.appId': 'com.example.app', 'config.notificationPlatform': 'fcm',
      'config.notificationToken': 'f'.repeat(64), 'config.sdkVersion': '2.2.0',
    };
    let factor;

    it('create takes the device\'s public key; the binding is answered once', async () => {
      factor = await ent().newFactors.create({ friendlyName: 'Ada\'s phone', factorType: 'push',
        'binding.alg': 'ES256', 'binding.publicKey': publicKey, ...config });
      assert.equal(factor.factorType, 'push');
      assert.equal(factor.status, 'unverified');
      assert.deepEqual(factor.binding, { public_key: publicKey, alg: 'ES256' });
      assert.deepEqual(factor.config, { sdk_version: '2.2.0', app_id: 'com.example.app',
        notification_platform: 'fcm', notification_token: 'f'.repeat(64) });
      const f = await ent().factors(factor.sid).fetch();
      assert.equal(f.binding, undefined);
      assert.equal(f.config.app_id, 'com.example.app');
    });

    it('refuses keys that are not P-256, other algorithms and missing config (60306)', async () => {
      const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      await expectRestError(ent().newFactors.create({ friendlyName: 'x', factorType: 'push', 'binding.alg': 'ES256', 'binding.publicKey': p384, ...config }), { status: 400, code: 60306 });
      await expectRestError(ent().newFactors.create({ friendlyName: 'x', factorType: 'push', 'binding.alg': 'RS256', 'binding.publicKey': publicKey, ...config }), { status: 400, code: 60306 });
      await expectRestError(ent().newFactors.create({ friendlyName: 'x', factorType: 'push', 'binding.alg': 'ES256', 'binding.publicKey': publicKey }), { status: 400, code: 60306 });
    });

    it('the device verifies the factor by signing its SID; another key cannot (60311)', async () => {
      const rogue = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const bad = crypto.sign('sha256', Buffer.from(factor.sid), rogue.privateKey).toString('base64');
      await expectRestError(ent().factors(factor.sid).update({ authPayload: bad }), { status: 403, code: 60311 });
      const sig = crypto.sign('sha256', Buffer.from(factor.sid), device.privateKey).toString('base64');
      const ok = await ent().factors(factor.sid).update({ authPayload: sig });
      assert.equal(ok.status, 'verified');
    });

    it('a challenge is approved or denied only by a JWS from the device\'s key, for that challenge', async () => {
      const ch = await ent().challenges.create({ factorSid: factor.sid, 'details.message': 'Log in from Paris?',
        'details.fields': [JSON.stringify({ label: 'IP', value: '192.0.2.1' })] });
      assert.equal(ch.status, 'pending');
      assert.equal(ch.factorType, 'push');
      assert.deepEqual(ch.details.fields, [{ label: 'IP', value: '192.0.2.1' }]);
      const rogue = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const other = await ent().challenges.create({ factorSid: factor.sid });
      for (const payload of [
        jws({ sid: ch.sid, status: 'approved' }, rogue.privateKey), // another key
        jws({ sid: other.sid, status: 'approved' }), // signed for another challenge
        jws({ sid: ch.sid, status: 'maybe' }),
        `${b64url({ alg: 'none' })}.${b64url({ sid: ch.sid, status: 'approved' })}.`,
      ]) {
        await expectRestError(ent().challenges(ch.sid).update({ authPayload: payload }), { status: 403, code: 60324 });
      }
      const ok = await ent().challenges(ch.sid).update({ authPayload: jws({ sid: ch.sid, status: 'approved' }) });
      assert.equal(ok.status, 'approved');
      await expectRestError(ent().challenges(ch.sid).update({ authPayload: jws({ sid: ch.sid, status: 'approved' }) }),
        { status: 400, code: 60306 });
      const denied = await ent().challenges(other.sid).update({ authPayload: jws({ sid: other.sid, status: 'denied' }) });
      assert.equal(denied.status, 'denied');
      await expectRestError(ent().challenges.create({ factorSid: factor.sid, authPayload: 'x' }), { status: 400, code: 60306 });
    });
  });

  describe('DESIGN.md rule 5: a new factor of an entity that has one', () => {
    const identity = 'rule5-user-0001';
    const ent = (id = identity) => v2().services(svc.sid).entities(id);
    let hooks; let userFactor; let userTotp;
    const totpOf = (f) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret) });
    const code = (t, offsetS = 0) => t.generate({ timestamp: Date.now() + offsetS * 1000 });
    // The enrollment challenge on `factorSid` that asks about `newSid`.
    async function enrollment(factorSid, newSid, id = identity) {
      const list = await ent(id).challenges.list();
      return list.find((c) => c.factorSid === factorSid && c.hiddenDetails?.pipit_new_factor_sid === newSid);
    }

    before(async () => {
      hooks = await startReceiver(acct.auth_token);
      const wh = await v2().services(svc.sid).webhooks.create({ friendlyName: 'events', eventTypes: ['*'], webhookUrl: hooks.url });
      assert.match(wh.sid, /^YW[0-9a-f]{32}$/);
      assert.deepEqual(wh.eventTypes, ['*']);
      assert.equal(wh.status, 'enabled');
      const list = await v2().services(svc.sid).webhooks.list();
      assert.deepEqual(list.map((x) => x.sid), [wh.sid]);
      await expectRestError(v2().services(svc.sid).webhooks.create({ friendlyName: 'x', eventTypes: ['nope'], webhookUrl: hooks.url }),
        { status: 400, code: 60200 });
    });
    after(async () => { await hooks?.close(); });

    it('the first factor of an entity is verified at once; the webhook hears it, signed', async () => {
      userFactor = await ent().newFactors.create({ friendlyName: 'my phone', factorType: 'totp' });
      seenSecrets.add(userFactor.binding.secret);
      userTotp = totpOf(userFactor);
      const f = await ent().factors(userFactor.sid).update({ authPayload: code(userTotp) });
      assert.equal(f.status, 'verified');
      const ev = await hooks.waitFor((p) => p.type === 'factor.verified' && p.factor_sid === userFactor.sid, 'factor.verified');
      assert.equal(ev.signed, true, 'X-Twilio-Signature is valid');
      assert.equal(ev.params.entity_identity, identity);
      assert.equal(ev.params.account_sid, acct.sid);
    });

    it('a rogue device proven later stays unverified and cannot be challenged; the user\'s factor and the webhook are told', async () => {
      const rogue = await ent().newFactors.create({ friendlyName: 'rogue device', factorType: 'totp' });
      seenSecrets.add(rogue.binding.secret);
      const f = await ent().factors(rogue.sid).update({ authPayload: code(totpOf(rogue)) });
      assert.equal(f.status, 'unverified', 'possession alone does not verify a second factor');
      await expectRestError(ent().challenges.create({ factorSid: rogue.sid, authPayload: code(totpOf(rogue), 30) }),
        { status: 403, code: 60318 });
      const ch = await enrollment(userFactor.sid, rogue.sid);
      assert.ok(ch, 'an enrollment challenge waits on the existing factor');
      assert.equal(ch.status, 'pending');
      assert.match(ch.details.message, /rogue device/);
      const exp = new Date(ch.expirationDate).getTime();
      assert.ok(Math.abs(exp - (Date.now() + 86_400_000)) < 120_000, `the wait is 24 h by default (${ch.expirationDate})`);
      const ev = await hooks.waitFor((p) => p.type === 'factor.enrollment_pending' && p.factor_sid === rogue.sid, 'factor.enrollment_pending');
      assert.equal(ev.signed, true);
      assert.ok(ev.params.factor_activation_date);
      // The user cancels: the customer's backend deletes the waiting factor.
      assert.equal(await ent().factors(rogue.sid).remove(), true);
      await expectRestError(ent().factors(rogue.sid).fetch(), { status: 404, code: 20404 });
      const after = await ent().challenges(ch.sid).fetch();
      assert.equal(after.status, 'expired');
    });

    it('an existing factor approves a new device by answering the enrollment challenge', async () => {
      const laptop = await ent().newFactors.create({ friendlyName: 'new laptop', factorType: 'totp' });
      seenSecrets.add(laptop.binding.secret);
      const lt = totpOf(laptop);
      assert.equal((await ent().factors(laptop.sid).update({ authPayload: code(lt) })).status, 'unverified');
      const ch = await enrollment(userFactor.sid, laptop.sid);
      // The user's factor answers with a fresh code (its last one is spent).
      const ok = await ent().challenges(ch.sid).update({ authPayload: code(userTotp, 30) });
      assert.equal(ok.status, 'approved');
      assert.equal((await ent().factors(laptop.sid).fetch()).status, 'verified');
      await hooks.waitFor((p) => p.type === 'factor.verified' && p.factor_sid === laptop.sid, 'factor.verified of the laptop');
      const c = await ent().challenges.create({ factorSid: laptop.sid, authPayload: code(lt, 30) });
      assert.equal(c.status, 'approved');
    });

    it('a push device denies a new factor: it is deleted', async () => {
      const id = 'rule5-push-user';
      const device = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const p = await ent(id).newFactors.create({ friendlyName: 'phone', factorType: 'push', 'binding.alg': 'ES256',
        'binding.publicKey': device.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        'config.appId': 'com.example.app', 'config.notificationPlatform': 'none', 'config.sdkVersion': '2.2.0' });
      const sig = crypto.sign('sha256', Buffer.from(p.sid), device.privateKey).toString('base64');
      assert.equal((await ent(id).factors(p.sid).update({ authPayload: sig })).status, 'verified');
      const x = await ent(id).newFactors.create({ friendlyName: 'unknown', factorType: 'totp' });
      seenSecrets.add(x.binding.secret);
      assert.equal((await ent(id).factors(x.sid).update({ authPayload: code(totpOf(x)) })).status, 'unverified');
      const ch = await enrollment(p.sid, x.sid, id);
      const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const signing = `${b64url({ alg: 'ES256' })}.${b64url({ sid: ch.sid, status: 'denied' })}`;
      const jws = `${signing}.${crypto.sign('sha256', Buffer.from(signing), { key: device.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      const denied = await ent(id).challenges(ch.sid).update({ authPayload: jws });
      assert.equal(denied.status, 'denied');
      await expectRestError(ent(id).factors(x.sid).fetch(), { status: 404, code: 20404 });
      await hooks.waitFor((q) => q.type === 'factor.deleted' && q.factor_sid === x.sid, 'factor.deleted');
      // In the audit log: the denial and the deletion it caused, one transaction.
      const audit = async (type) => (await server.raw('GET', `/audit/v1/Events?PageSize=1000&EventType=${type}`,
        { auth: [acct.sid, acct.auth_token], validate: false })).json.events;
      const [den] = (await audit('verify.challenge_denied')).filter((e) => e.resource_sids[0] === ch.sid);
      const [gone] = (await audit('verify.factor_deleted')).filter((e) => e.resource_sids[0] === x.sid);
      assert.deepEqual(den.resource_sids, [ch.sid, p.sid, p.entitySid, svc.sid]);
      assert.deepEqual(gone.resource_sids, [x.sid, p.entitySid, svc.sid]);
      assert.equal(gone.sequence, den.sequence + 1);
    });

    it('no administrative path adds or verifies a factor', () => {
      let help = '';
      try {
        help = execFileSync(PIPIT_BIN, ['admin', '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        help = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      }
      assert.match(help, /account create/, 'the admin usage was read');
      assert.doesNotMatch(help, /factor|entit|verify/i);
    });
  });

  // Issue 5: the otpauth URI as a QR code (PNG), through a URL answered
  // once, with the factor's creation: it serves the image once, within 5
  // minutes, while the factor is new; then 404.  The image is decoded by an
  // independent reader (npm jsQR over pngjs).
  describe('the one-time QR code of a TOTP factor', () => {
    const auth = () => `Basic ${Buffer.from(`${acct.sid}:${acct.auth_token}`).toString('base64')}`;
    const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };
    async function create(identity, extra = {}) {
      const res = await server.raw('POST', `/verify/v2/Services/${svc.sid}/Entities/${identity}/Factors`,
        { auth: [acct.sid, acct.auth_token], form: { FriendlyName: 'my phone', FactorType: 'totp', ...extra } });
      assert.equal(res.status, 201, res.text);
      seenSecrets.add(res.json.binding.secret);
      return res.json;
    }
    const fetchQr = (url, authz = auth()) => fetch(`${server.baseUrl}${pathOf(url)}`, { headers: { Authorization: authz } });
    async function expect404(url) {
      const res = await fetchQr(url);
      assert.equal(res.status, 404);
      const body = await res.json();
      assert.equal(body.code, 20404);
      assert.equal(body.status, 404);
      assert.match(body.more_info, /twilio\.com\/docs\/errors\/20404/);
    }
    const decode = (bytes) => {
      const png = PNG.sync.read(bytes);
      return jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    };

    it('the creation answer carries the URL; the PNG decodes to binding.uri, once', async () => {
      const f = await create('qr-user-1', { 'Config.Alg': 'sha256', 'Config.CodeLength': '8' });
      assert.match(f.pipit_qr_code_url,
        new RegExp(`^${server.baseUrl}/verify/v2/Services/${svc.sid}/Entities/qr-user-1/Factors/${f.sid}/QrCode\\?Token=[0-9a-f]{64}$`));
      const res = await fetchQr(f.pipit_qr_code_url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      const qr = decode(bytes);
      assert.ok(qr, 'jsQR finds a QR code');
      assert.equal(qr.data, f.binding.uri);
      assert.match(qr.data, /algorithm=SHA256&digits=8/);
      // A second time: gone.
      await expect404(f.pipit_qr_code_url);
      // The factor itself never shows it again.
      const again = await server.raw('GET', `/verify/v2/Services/${svc.sid}/Entities/qr-user-1/Factors/${f.sid}`,
        { auth: [acct.sid, acct.auth_token] });
      assert.equal(again.json.pipit_qr_code_url, undefined);
      assert.equal(again.json.binding, undefined);
    });

    it('not once the factor is verified; not with another token, another credential or for a push factor', async () => {
      const f = await create('qr-user-2');
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret) });
      const wrong = f.pipit_qr_code_url.replace(/Token=[0-9a-f]{64}/, `Token=${'0'.repeat(64)}`);
      await expect404(wrong);
      await expect404(f.pipit_qr_code_url.replace(/\?Token=.*/, ''));
      const other = await server.createAccount('QR other');
      const foreign = await fetchQr(f.pipit_qr_code_url, `Basic ${Buffer.from(`${other.sid}:${other.auth_token}`).toString('base64')}`);
      assert.equal(foreign.status, 404, 'another account does not see the factor');
      const unauth = await fetchQr(f.pipit_qr_code_url, 'Basic eDp5');
      assert.equal(unauth.status, 401);
      const v = await client.verify.v2.services(svc.sid).entities('qr-user-2').factors(f.sid).update({ authPayload: totp.generate() });
      assert.equal(v.status, 'verified');
      await expect404(f.pipit_qr_code_url);
      // A push factor has no secret to show: no URL.
      const device = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const p = await server.raw('POST', `/verify/v2/Services/${svc.sid}/Entities/qr-user-3/Factors`, {
        auth: [acct.sid, acct.auth_token],
        form: { FriendlyName: 'phone', FactorType: 'push', 'Binding.Alg': 'ES256',
          'Binding.PublicKey': device.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          'Config.AppId': 'com.example.app', 'Config.NotificationPlatform': 'none', 'Config.SdkVersion': '2.2.0' } });
      assert.equal(p.status, 201, p.text);
      assert.equal(p.json.pipit_qr_code_url, undefined);
      await expect404(`${server.baseUrl}/verify/v2/Services/${svc.sid}/Entities/qr-user-3/Factors/${p.json.sid}/QrCode?Token=${'0'.repeat(64)}`);
    });
  });

  // Issues 5 and 6: every registration, verification, approval, denial,
  // cancellation and deletion is an audit event (with the request's
  // principal, address, user agent and session, and the SIDs it touched),
  // and the service's webhook hears factor.created and, for push factors,
  // Pipit's challenge.pending; the receiver checks every signature with the
  // SDK's validateRequest.
  describe('the audit log and the webhooks', () => {
    let rx; let asvc; const as = () => [acct.sid, acct.auth_token];
    const ent = (id) => v2().services(asvc.sid).entities(id);
    const totpOf = (f) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret) });
    const code = (t, offsetS = 0) => t.generate({ timestamp: Date.now() + offsetS * 1000 });
    async function audit(type) {
      const res = await server.raw('GET', `/audit/v1/Events?PageSize=1000&EventType=${type}`, { auth: as(), validate: false });
      assert.equal(res.status, 200, res.text);
      return res.json.events;
    }
    // The one event of `type` that names `sid`.
    async function eventOf(type, sid) {
      const evs = (await audit(type)).filter((e) => e.resource_sids.includes(sid));
      assert.equal(evs.length, 1, `one ${type} naming ${sid}: ${JSON.stringify(evs)}`);
      const ev = evs[0];
      assert.equal(ev.outcome, 'ok');
      assert.equal(ev.actor_sid, acct.sid);
      assert.equal(ev.actor_kind, 'account');
      assert.equal(ev.source_ip_address, '127.0.0.1');
      assert.match(ev.user_agent, /twilio-node/);
      assert.match(ev.session_id, /^[0-9a-f]{32}$/);
      return ev;
    }
    const hook = (type, sid) => rx.waitFor((reqs) => reqs.find((q) => q.params.type === type &&
      (q.params.factor_sid === sid || q.params.challenge_sid === sid)), { what: `${type} of ${sid}` });

    before(async () => {
      rx = await Receiver.start({ authToken: acct.auth_token });
      asvc = await v2().services.create({ friendlyName: 'Audited' });
      await v2().services(asvc.sid).webhooks.create({ friendlyName: 'all', eventTypes: ['*'], webhookUrl: rx.url('/verify') });
    });
    after(async () => {
      assert.deepEqual(rx.invalid, [], 'every webhook request was signed');
      await rx?.stop();
    });

    it('a service\'s creation and update are recorded with its SID', async () => {
      assert.deepEqual((await eventOf('verify.service_create', asvc.sid)).resource_sids, [asvc.sid]);
      await v2().services(asvc.sid).update({ friendlyName: 'Audited 2' });
      await eventOf('verify.service_update', asvc.sid);
    });

    it('a factor registered: factor.created (signed, no secret) and verify.factor_registered with its entity', async () => {
      const f = await ent('aud-1').newFactors.create({ friendlyName: 'phone', factorType: 'totp' });
      seenSecrets.add(f.binding.secret);
      const req = await hook('factor.created', f.sid);
      assert.equal(req.valid, true);
      assert.equal(req.params.entity_identity, 'aud-1');
      assert.equal(req.params.factor_type, 'totp');
      assert.equal(req.params.service_sid, asvc.sid);
      assert.ok(!req.raw.includes(f.binding.secret), 'no secret in the event');
      const reg = await eventOf('verify.factor_registered', f.sid);
      assert.deepEqual(reg.resource_sids, [f.sid, f.entitySid, asvc.sid]);
      // The identity is the customer's (the log is not sealed): left out of the path.
      assert.equal(reg.request, `POST /verify/v2/Services/${asvc.sid}/Entities/{}/Factors`);
      // The entity was made with it, in the same transaction: the next leaf.
      const made = await eventOf('verify.entity_create', f.entitySid);
      assert.deepEqual(made.resource_sids, [f.entitySid, asvc.sid]);
      assert.equal(made.sequence, reg.sequence + 1);
      // A second factor of the same entity names that entity; none is made.
      const g = await ent('aud-1').newFactors.create({ friendlyName: 'laptop', factorType: 'totp' });
      seenSecrets.add(g.binding.secret);
      assert.equal(g.entitySid, f.entitySid);
      assert.deepEqual((await eventOf('verify.factor_registered', g.sid)).resource_sids, [g.sid, f.entitySid, asvc.sid]);
      assert.equal((await audit('verify.entity_create')).filter((e) => e.resource_sids.includes(f.entitySid)).length, 1);
      await hook('factor.created', g.sid);
      // Proofs: the first is verified, the second waits for the first's approval.
      await ent('aud-1').factors(f.sid).update({ authPayload: code(totpOf(f)) });
      assert.deepEqual((await eventOf('verify.factor_verified', f.sid)).resource_sids, [f.sid, f.entitySid, asvc.sid]);
      assert.equal((await ent('aud-1').factors(g.sid).update({ authPayload: code(totpOf(g)) })).status, 'unverified');
      const ch = (await ent('aud-1').challenges.list()).find((c) => c.hiddenDetails?.pipit_new_factor_sid === g.sid);
      const pending = await eventOf('verify.challenge_created', ch.sid);
      assert.deepEqual(pending.resource_sids, [ch.sid, f.sid, g.sid, f.entitySid, asvc.sid]);
      // Approval by the first factor: the challenge approved and the new
      // factor verified, two events of one transaction.
      assert.equal((await ent('aud-1').challenges(ch.sid).update({ authPayload: code(totpOf(f), 30) })).status, 'approved');
      const approved = await eventOf('verify.challenge_approved', ch.sid);
      assert.deepEqual(approved.resource_sids, [ch.sid, f.sid, f.entitySid, asvc.sid]);
      const verified = await eventOf('verify.factor_verified', g.sid);
      assert.deepEqual(verified.resource_sids, [g.sid, f.entitySid, asvc.sid]);
      assert.equal(verified.sequence, approved.sequence + 1);
      // A challenge made and answered at once is two events too.
      const c2 = await ent('aud-1').challenges.create({ factorSid: g.sid, authPayload: code(totpOf(g), 30) });
      assert.equal(c2.status, 'approved');
      const c2made = await eventOf('verify.challenge_created', c2.sid);
      assert.equal((await eventOf('verify.challenge_approved', c2.sid)).sequence, c2made.sequence + 1);
      await hook('challenge.approved', c2.sid);
      // Deletions: a factor, then the entity with what is left of it.
      assert.equal(await ent('aud-1').factors(g.sid).remove(), true);
      assert.deepEqual((await eventOf('verify.factor_deleted', g.sid)).resource_sids, [g.sid, f.entitySid, asvc.sid]);
      assert.equal(await ent('aud-1').remove(), true);
      assert.deepEqual((await eventOf('verify.entity_delete', f.entitySid)).resource_sids, [f.entitySid, asvc.sid, f.sid]);
    });

    it('a waiting factor canceled is verify.factor_deleted and factor.deleted; a push challenge is announced (challenge.pending) and its answer recorded', async () => {
      const device = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const p = await ent('aud-2').newFactors.create({ friendlyName: 'phone', factorType: 'push', 'binding.alg': 'ES256',
        'binding.publicKey': device.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        'config.appId': 'com.example.app', 'config.notificationPlatform': 'none', 'config.sdkVersion': '2.2.0' });
      assert.equal((await hook('factor.created', p.sid)).params.factor_type, 'push');
      const sig = crypto.sign('sha256', Buffer.from(p.sid), device.privateKey).toString('base64');
      assert.equal((await ent('aud-2').factors(p.sid).update({ authPayload: sig })).status, 'verified');
      await eventOf('verify.factor_verified', p.sid);
      // A rogue factor proven, then canceled while it waits.
      const x = await ent('aud-2').newFactors.create({ friendlyName: 'rogue', factorType: 'totp' });
      seenSecrets.add(x.binding.secret);
      assert.equal((await ent('aud-2').factors(x.sid).update({ authPayload: code(totpOf(x)) })).status, 'unverified');
      assert.equal(await ent('aud-2').factors(x.sid).remove(), true);
      await eventOf('verify.factor_deleted', x.sid);
      const gone = await hook('factor.deleted', x.sid);
      assert.equal(gone.valid, true);
      assert.equal(gone.params.factor_type, 'totp');
      assert.equal(gone.params.entity_identity, 'aud-2');
      // The app's backend asks the device: the webhook says a challenge waits.
      const ch = await ent('aud-2').challenges.create({ factorSid: p.sid, 'details.message': 'Sign in?' });
      const req = await hook('challenge.pending', ch.sid);
      assert.equal(req.valid, true);
      assert.equal(req.params.factor_sid, p.sid);
      assert.equal(req.params.entity_identity, 'aud-2');
      assert.equal(req.params.challenge_status, 'pending');
      assert.equal(new Date(req.params.challenge_expiration_date).getTime(), new Date(ch.expirationDate).getTime());
      assert.deepEqual((await eventOf('verify.challenge_created', ch.sid)).resource_sids, [ch.sid, p.sid, p.entitySid, asvc.sid]);
      const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const signing = `${b64url({ alg: 'ES256' })}.${b64url({ sid: ch.sid, status: 'denied' })}`;
      const jws = `${signing}.${crypto.sign('sha256', Buffer.from(signing), { key: device.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      assert.equal((await ent('aud-2').challenges(ch.sid).update({ authPayload: jws })).status, 'denied');
      await eventOf('verify.challenge_denied', ch.sid);
      await hook('challenge.denied', ch.sid);
      // A TOTP challenge is not announced: the user types the code.
      assert.ok(!rx.requests.some((q) => q.params.type === 'challenge.pending' && q.params.factor_type !== 'push'));
    });

    it('the service\'s deletion is recorded', async () => {
      await v2().services(asvc.sid).remove();
      await eventOf('verify.service_delete', asvc.sid);
    });
  });

  describe('at rest', () => {
    it('no verification code or factor secret is in the database files or the logs', { timeout: 60_000 }, async () => {
      assert.ok(seenCodes.size >= 10, `the suite saw codes (${seenCodes.size})`);
      assert.ok(seenSecrets.size >= 4, `the suite saw secrets (${seenSecrets.size})`);
      await peer.stop();
      peer = null;
      await stopClean(server, { keep: true });
      try {
        const files = ['pipit.db', 'pipit.db-wal', 'pipit.db-journal']
          .map((f) => path.join(server.dataDir, f)).filter((f) => fs.existsSync(f));
        assert.ok(files.length >= 1);
        const blobs = await Promise.all(files.map((f) => fsp.readFile(f)));
        const stderr = Buffer.from(server.stderrText());
        for (const [i, blob] of [...blobs, stderr].entries()) {
          const where = i < files.length ? path.basename(files[i]) : 'server stderr';
          for (const code of seenCodes) assert.equal(blob.indexOf(code), -1, `code ${code} found in ${where}`);
          for (const s of seenSecrets) {
            assert.equal(blob.indexOf(s), -1, `factor secret (base32) found in ${where}`);
            const bytes = Buffer.from(OTPAuth.Secret.fromBase32(s).bytes);
            assert.equal(blob.indexOf(bytes), -1, `factor secret (bytes) found in ${where}`);
          }
        }
      } finally {
        await server.removeDataDir();
      }
    });
  });
});

describe('Verify v2: expiry after 10 minutes (the server restarted with its clock 601 s on)', () => {
  it('a verification past its lifetime shows expired and cannot be checked (20404)', { timeout: 90_000 }, async () => {
    const peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'vfy-smsc-2' });
    let server = await PipitServer.start({ env: HOOKS_OK });
    const dataDir = server.dataDir;
    try {
      await server.addCarrier('vfy-carrier', peer, { args: ['--bind', 'trx'] });
      const acct = await server.createAccount('Verify Expiry');
      let client = server.client(acct.sid, acct.auth_token);
      await peer.waitForBind({ timeoutMs: 15_000 });
      const s = await client.verify.v2.services.create({ friendlyName: 'Expiring', codeLength: 8 });
      const to = N(100);
      const v = await client.verify.v2.services(s.sid).verifications.create({ to, channel: 'sms' });
      const msg = await peer.waitForMessage((m) => digits(m.destAddr) === digits(to), { timeoutMs: 15_000 });
      const code = /: (\d+)$/.exec(msg.text)[1];
      seenCodes.add(code);
      // A new factor's one-time QR code, not fetched in its 5 minutes.
      const auth = [acct.sid, acct.auth_token];
      const made = await server.raw('POST', `/verify/v2/Services/${s.sid}/Entities/late/Factors`,
        { auth, form: { FriendlyName: 'phone', FactorType: 'totp' } });
      assert.equal(made.status, 201, made.text);
      const qrPath = new URL(made.json.pipit_qr_code_url).pathname + new URL(made.json.pipit_qr_code_url).search;
      await stopClean(server, { keep: true });

      server = await PipitServer.start({ dataDir, env: { ...HOOKS_OK, PIPIT_TEST_CLOCK_OFFSET: '601' } });
      client = server.client(acct.sid, acct.auth_token);
      const late = await server.raw('GET', qrPath, { auth, validate: false });
      assert.equal(late.status, 404, 'the QR code is gone after its 5 minutes');
      assert.equal(late.json.code, 20404);
      const f = await client.verify.v2.services(s.sid).verifications(v.sid).fetch();
      assert.equal(f.status, 'expired');
      await expectRestError(client.verify.v2.services(s.sid).verificationChecks.create({ to, code }), { status: 404, code: 20404 });
      // A new verification to the number starts afresh.
      const v2 = await client.verify.v2.services(s.sid).verifications.create({ to, channel: 'sms' });
      assert.notEqual(v2.sid, v.sid);
      assert.equal(v2.status, 'pending');
      await stopClean(server, { keep: true });
    } finally {
      await peer.stop();
      if (server.exitStatus === undefined) await server.kill();
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('Verify v2: DESIGN.md rule 5 waiting period (the server restarted with its clock moved)', () => {
  it('a new factor nobody approved or canceled counts as verified after the service\'s wait (24 h by default)', { timeout: 120_000 }, async () => {
    let server = await PipitServer.start({ env: HOOKS_OK });
    const dataDir = server.dataDir;
    let rx;
    try {
      const acct = await server.createAccount('Verify Wait');
      rx = await Receiver.start({ authToken: acct.auth_token });
      let client = server.client(acct.sid, acct.auth_token);
      const day = await client.verify.v2.services.create({ friendlyName: 'Default wait' });
      // Pipit's own setting (not in Twilio's API), set with a raw request.
      const res = await server.raw('POST', '/verify/v2/Services', { auth: [acct.sid, acct.auth_token],
        form: { FriendlyName: 'Hour wait', 'Pipit.EnrollmentWait': '3600' } });
      assert.equal(res.status, 201);
      const hour = res.json;
      const bad = await server.raw('POST', `/verify/v2/Services/${hour.sid}`, { auth: [acct.sid, acct.auth_token],
        form: { 'Pipit.EnrollmentWait': '60' } });
      assert.equal(bad.status, 400, 'a wait under an hour is refused');
      const totp = (f) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret) });
      const waiting = {};
      for (const s of [day, hour]) {
        await client.verify.v2.services(s.sid).webhooks.create({ friendlyName: 'verified',
          eventTypes: ['factor.verified'], webhookUrl: rx.url(`/${s.sid}`) });
        const ent = client.verify.v2.services(s.sid).entities('waiting-user');
        const first = await ent.newFactors.create({ friendlyName: 'first', factorType: 'totp' });
        assert.equal((await ent.factors(first.sid).update({ authPayload: totp(first).generate() })).status, 'verified');
        const second = await ent.newFactors.create({ friendlyName: 'second', factorType: 'totp' });
        assert.equal((await ent.factors(second.sid).update({ authPayload: totp(second).generate() })).status, 'unverified');
        waiting[s.sid] = second;
      }
      const statusAt = async (offsetS) => {
        await stopClean(server, { keep: true });
        server = await PipitServer.start({ dataDir, env: { ...HOOKS_OK, PIPIT_TEST_CLOCK_OFFSET: String(offsetS) } });
        client = server.client(acct.sid, acct.auth_token);
        const out = {};
        for (const s of [day, hour]) {
          out[s.sid] = (await client.verify.v2.services(s.sid).entities('waiting-user').factors(waiting[s.sid].sid).fetch()).status;
        }
        return out;
      };
      // The engine's sweep ends each wait: factor.verified to the webhook,
      // verify.factor_verified by the system in the audit log.
      const ended = (s) => rx.waitFor((reqs) => reqs.find((q) => q.params.type === 'factor.verified' &&
        q.params.factor_sid === waiting[s.sid].sid), { what: `factor.verified of ${waiting[s.sid].sid}` });
      async function auditOf(sid) {
        const r = await server.raw('GET', '/audit/v1/Events?PageSize=1000&EventType=verify.factor_verified',
          { auth: [acct.sid, acct.auth_token], validate: false });
        return r.json.events.filter((e) => e.resource_sids[0] === sid);
      }
      let st = await statusAt(3601);
      assert.equal(st[hour.sid], 'verified', 'an hour later, the one-hour wait is over');
      assert.equal(st[day.sid], 'unverified', 'an hour later, the default wait is not');
      const hourEvent = await ended(hour);
      assert.equal(hourEvent.valid, true);
      assert.equal(hourEvent.params.entity_identity, 'waiting-user');
      const [byWait] = await auditOf(waiting[hour.sid].sid);
      assert.equal(byWait.actor_kind, 'system');
      assert.equal(byWait.outcome, 'ok');
      assert.deepEqual(byWait.resource_sids, [waiting[hour.sid].sid, waiting[hour.sid].entitySid, hour.sid]);
      assert.equal((await auditOf(waiting[day.sid].sid)).length, 0);
      st = await statusAt(86401);
      assert.equal(st[day.sid], 'verified', 'a day later, the default wait is over');
      await ended(day);
      assert.equal((await auditOf(waiting[day.sid].sid)).length, 1);
      assert.equal((await auditOf(waiting[hour.sid].sid)).length, 1, 'each wait ends once');
      assert.deepEqual(rx.invalid, []);
      // Now it can be challenged (with a code of the server's time).
      const ent = client.verify.v2.services(day.sid).entities('waiting-user');
      const c = await ent.challenges.create({ factorSid: waiting[day.sid].sid,
        authPayload: totp(waiting[day.sid]).generate({ timestamp: Date.now() + 86401_000 }) });
      assert.equal(c.status, 'approved');
      await stopClean(server, { keep: true });
    } finally {
      await rx?.stop();
      if (server.exitStatus === undefined) await server.kill();
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});

// Verify v2 (issue 5): the fraud guard against SMS pumping (Twilio's Fraud
// Guard, error 60410) and per-service geo permissions (error 60605).  The
// official twilio SDK is the client; the npm smpp package (smsc-peer.js) is
// the SMSC, so "no SMS was sent" is what an independent peer did not get.
// The server runs with a fraud guard floor of 3 sends per prefix and day
// (--fraud-guard-floor, --fraud-guard-bucket-s), so a burst trips it fast.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { PipitServer, expectRestError } from './harness.js';
import { startWithSmsc, stopClean, stopBoth } from './smsc-setup.js';

const SYSTEM_ID = 'pipit-frd';
const PASSWORD = 'pw-frd';
const FLOOR = 3;
const GUARD_ARGS = ['--fraud-guard-floor', String(FLOOR), '--fraud-guard-bucket-s', '86400'];
const digits = (a) => String(a ?? '').replace(/^\+/, '');
// Numbers by prefix (country code + 4 digits): +15550 and +15551 (NANP),
// +44770 0 (UK), +33 6 12 3 (France).
const A = (i) => `+1555077${String(i).padStart(4, '0')}`; // prefix +15550
const B = (i) => `+1555177${String(i).padStart(4, '0')}`; // prefix +15551
const C = (i) => `+1555277${String(i).padStart(4, '0')}`; // prefix +15552
const UK = (i) => `+4477009${String(i).padStart(5, '0')}`;
const FR = (i) => `+3361239${String(i).padStart(4, '0')}`;

describe('Verify v2: fraud guard and geo permissions', () => {
  let server; let peer; let acct; let client;
  const v2 = () => client.verify.v2;
  const sentTo = (to) => peer.messages.filter((m) => digits(m.destAddr) === digits(to)).length;
  const waitSms = (to) => peer.waitForMessage((m) => digits(m.destAddr) === digits(to),
    { timeoutMs: 15_000 });
  const fraudAlerts = async () => (await client.monitor.v1.alerts.list()).filter((a) => a.errorCode === '60410');
  // A Pipit-only service setting goes in a raw request (the SDK has no
  // parameter for it).
  async function pipitService(form) {
    const res = await server.raw('POST', '/verify/v2/Services', { auth: [acct.sid, acct.auth_token], form });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }

  before(async () => {
    ({ server, peer, acct, client } = await startWithSmsc({
      server: { extraArgs: GUARD_ARGS },
      peer: { systemId: SYSTEM_ID, password: PASSWORD, name: 'frd-smsc' },
      carrier: 'frd-carrier',
      carrierOpts: { prefixes: ['+1', '+44', '+33', '+353', '+7'], args: ['--bind', 'trx'] },
      account: 'Verify Fraud',
    }));
  }, { timeout: 60_000 });

  after(() => stopBoth(server, peer), { timeout: 60_000 });

  describe('Fraud guard (60410)', () => {
    let svc;

    it('sends up to the floor pass; a burst to the prefix is refused with 60410 (403) and sends nothing', async () => {
      svc = await v2().services.create({ friendlyName: 'Guarded' });
      for (let i = 0; i < FLOOR; i++) {
        const v = await v2().services(svc.sid).verifications.create({ to: A(i), channel: 'sms' });
        assert.equal(v.status, 'pending');
        await waitSms(A(i));
      }
      for (let i = FLOOR; i < FLOOR + 6; i++)
        await expectRestError(v2().services(svc.sid).verifications.create({ to: A(i), channel: 'sms' }),
          { status: 403, code: 60410 }, `send ${i + 1} to the prefix +15550`);
      // A resend of a pending verification to the blocked prefix is refused too.
      await expectRestError(v2().services(svc.sid).verifications.create({ to: A(0), channel: 'sms' }),
        { status: 403, code: 60410 }, 'a resend to the blocked prefix');
      const ex = server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/Verifications'));
      const body = JSON.parse(ex.body);
      assert.equal(body.code, 60410);
      assert.equal(body.status, 403);
      assert.match(body.message, /^Verification delivery attempt blocked: Fraud Guard blocked SMS to the prefix \+15550 until \d{4}-\d{2}-\d{2}T/);
      assert.equal(body.more_info, 'https://www.twilio.com/docs/errors/60410');
      // Nothing was queued for a refused send: no message row, no verification.
      for (let i = FLOOR; i < FLOOR + 6; i++)
        assert.deepEqual(await client.messages.list({ to: A(i) }), [], `no message to ${A(i)}`);
      assert.equal((await client.messages.list({ to: A(0) })).length, 1, 'the refused resend queued nothing');
    });

    it('other prefixes are still served, and the SMSC got nothing for the refused sends', async () => {
      for (let i = 0; i < FLOOR; i++) {
        await v2().services(svc.sid).verifications.create({ to: B(i), channel: 'sms' });
        await waitSms(B(i));
      }
      // Every message queued before B's went out before them (one bind, in
      // order); the refused ones were never queued.
      for (let i = 0; i < FLOOR; i++) assert.equal(sentTo(A(i)), 1, `one SMS to ${A(i)}`);
      for (let i = FLOOR; i < FLOOR + 6; i++) assert.equal(sentTo(A(i)), 0, `no SMS to ${A(i)}`);
    });

    it('the refusals raised exactly one alert at /monitor/v1/Alerts', async () => {
      const alerts = await fraudAlerts();
      assert.equal(alerts.length, 1, `one 60410 alert, got ${alerts.length}`);
      const [al] = alerts;
      assert.equal(al.logLevel, 'error');
      assert.equal(al.serviceSid, svc.sid);
      assert.equal(al.resourceSid, svc.sid);
      assert.equal(al.moreInfo, 'https://www.twilio.com/docs/errors/60410');
      const one = await client.monitor.v1.alerts(al.sid).fetch();
      const text = new URLSearchParams(one.alertText);
      assert.equal(text.get('prefix'), '+15550');
      assert.equal(text.get('channel'), 'sms');
      assert.match(text.get('Msg'), /far above its baseline/);
      assert.equal(one.requestUrl, `${server.baseUrl}/verify/v2/Services/${svc.sid}/Verifications`);
    });

    it('counts per service; a service with Pipit.FraudGuard=false is not guarded', async () => {
      const other = await v2().services.create({ friendlyName: 'Other' });
      const v = await v2().services(other.sid).verifications.create({ to: A(100), channel: 'sms' });
      assert.equal(v.status, 'pending', 'another service has its own counts for the prefix');
      await waitSms(A(100));
      const open = await pipitService({ FriendlyName: 'Unguarded', 'Pipit.FraudGuard': 'false' });
      assert.equal('fraud_guard' in open, false, 'Pipit settings are not in Twilio\'s answer');
      for (let i = 0; i < FLOOR + 2; i++) {
        await v2().services(open.sid).verifications.create({ to: A(200 + i), channel: 'sms' });
        await waitSms(A(200 + i));
      }
      // Turning it on again (update) guards the service from then on.
      const res = await server.raw('POST', `/verify/v2/Services/${open.sid}`,
        { auth: [acct.sid, acct.auth_token], form: { 'Pipit.FraudGuard': 'true' } });
      assert.equal(res.status, 200);
      for (let i = 0; i < FLOOR; i++)
        await v2().services(open.sid).verifications.create({ to: C(i), channel: 'sms' });
      await expectRestError(v2().services(open.sid).verifications.create({ to: C(FLOOR), channel: 'sms' }),
        { status: 403, code: 60410 });
      assert.equal((await fraudAlerts()).length, 2, 'one more alert, for the second service\'s prefix');
      const bad = await server.raw('POST', '/verify/v2/Services', { auth: [acct.sid, acct.auth_token],
        form: { FriendlyName: 'x', 'Pipit.FraudGuard': 'maybe' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, 60200);
    });

    it('concurrent sends to a fresh prefix: exactly the floor pass, counted in the store\'s transaction', async () => {
      const s = await v2().services.create({ friendlyName: 'Concurrent' });
      const results = await Promise.allSettled(Array.from({ length: 12 },
        (_, i) => v2().services(s.sid).verifications.create({ to: C(500 + i), channel: 'sms' })));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(ok.length, FLOOR, `${FLOOR} of 12 concurrent sends pass`);
      for (const r of refused) {
        assert.equal(r.reason.status, 403, `${r.reason.code}: ${r.reason.message}`);
        assert.equal(r.reason.code, 60410);
      }
      const alerts = (await fraudAlerts()).filter((a) => a.serviceSid === s.sid);
      assert.equal(alerts.length, 1, 'nine refusals, one alert');
      for (const r of ok) await waitSms(r.value.to);
    });
  });

  describe('Geo permissions (60605)', () => {
    it('a country outside Pipit.AllowedCountryCodes is refused with 60605 (403) and gets no SMS; allowed ones pass', async () => {
      const geo = await pipitService({ FriendlyName: 'Geo', 'Pipit.AllowedCountryCodes': '1, +33' });
      assert.equal('allowed_country_codes' in geo, false);
      await expectRestError(v2().services(geo.sid).verifications.create({ to: UK(1), channel: 'sms' }),
        { status: 403, code: 60605 });
      const ex = server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/Verifications'));
      assert.match(JSON.parse(ex.body).message, /^Verification delivery attempt blocked: the country code \+44 is not in the service's geo permissions$/);
      const fr = await v2().services(geo.sid).verifications.create({ to: FR(1), channel: 'sms' });
      assert.equal(fr.status, 'pending');
      await waitSms(FR(1));
      await v2().services(geo.sid).verifications.create({ to: B(300), channel: 'sms' });
      await waitSms(B(300));
      assert.deepEqual(await client.messages.list({ to: UK(1) }), []);
      assert.equal(sentTo(UK(1)), 0, 'no SMS to the blocked country');
      // Other services are not limited by this one's list.
      const other = await v2().services.create({ friendlyName: 'Anywhere' });
      await v2().services(other.sid).verifications.create({ to: UK(2), channel: 'sms' });
      await waitSms(UK(2));
      // "" allows every country again.
      const res = await server.raw('POST', `/verify/v2/Services/${geo.sid}`,
        { auth: [acct.sid, acct.auth_token], form: { 'Pipit.AllowedCountryCodes': '' } });
      assert.equal(res.status, 200);
      await v2().services(geo.sid).verifications.create({ to: UK(1), channel: 'sms' });
      await waitSms(UK(1));
    });

    it('refuses a list with anything but country codes (60200)', async () => {
      for (const bad of ['4', '441', '0', 'UK', '1,,44', '+', '1234']) {
        const res = await server.raw('POST', '/verify/v2/Services', { auth: [acct.sid, acct.auth_token],
          form: { FriendlyName: 'x', 'Pipit.AllowedCountryCodes': bad } });
        assert.equal(res.status, 400, `'${bad}' is refused`);
        assert.equal(res.json.code, 60200);
      }
      // Three- and one-digit codes: +353 (Ireland) and +7 pass the geo
      // check (the create answers pending), +44 does not.
      const ok = await pipitService({ FriendlyName: 'Three digits', 'Pipit.AllowedCountryCodes': '353,7' });
      const ie = await v2().services(ok.sid).verifications.create({ to: '+353861234567', channel: 'sms' });
      assert.equal(ie.status, 'pending');
      const ru = await v2().services(ok.sid).verifications.create({ to: '+79161234567', channel: 'sms' });
      assert.equal(ru.status, 'pending');
      await expectRestError(v2().services(ok.sid).verifications.create({ to: UK(3), channel: 'sms' }),
        { status: 403, code: 60605 });
    });
  });
});

describe('Verify v2: the fraud guard learns a baseline (the server restarted a day later)', () => {
  it('a prefix\'s traffic raises its limit above the floor the next day; a block ends', { timeout: 120_000 }, async () => {
    const D = (i) => `+1555377${String(i).padStart(4, '0')}`; // prefix +15553
    let server = await PipitServer.start({ extraArgs: GUARD_ARGS });
    const dataDir = server.dataDir;
    try {
      const acct = await server.createAccount('Verify Baseline');
      let client = server.client(acct.sid, acct.auth_token);
      const auth = [acct.sid, acct.auth_token];
      // Day 0: a service with the guard off sends 8 codes to +15553; they
      // pass, and are counted all the same.
      let res = await server.raw('POST', '/verify/v2/Services', { auth,
        form: { FriendlyName: 'Learning', 'Pipit.FraudGuard': 'false' } });
      const learning = res.json;
      for (let i = 0; i < 8; i++)
        await client.verify.v2.services(learning.sid).verifications.create({ to: D(i), channel: 'sms' });
      res = await server.raw('POST', `/verify/v2/Services/${learning.sid}`, { auth,
        form: { 'Pipit.FraudGuard': 'true' } });
      assert.equal(res.status, 200);
      await expectRestError(client.verify.v2.services(learning.sid).verifications.create({ to: D(8), channel: 'sms' }),
        { status: 403, code: 60410 }, 'on again: 8 sends today are over the floor of 3');
      // Day 0: a guarded service trips on +15550 (blocked for 12 h).
      const guarded = await client.verify.v2.services.create({ friendlyName: 'Guarded' });
      for (let i = 0; i < FLOOR; i++)
        await client.verify.v2.services(guarded.sid).verifications.create({ to: A(i), channel: 'sms' });
      await expectRestError(client.verify.v2.services(guarded.sid).verifications.create({ to: A(FLOOR), channel: 'sms' }),
        { status: 403, code: 60410 });
      await stopClean(server, { keep: true });

      // Day 1: +15553's baseline is 0.1 x 8 = 0.8, so 5 x 0.8 = 4 sends pass
      // (above the floor of 3) and the fifth is refused.
      server = await PipitServer.start({ dataDir, extraArgs: GUARD_ARGS,
        env: { PIPIT_TEST_CLOCK_OFFSET: '86400' } });
      client = server.client(acct.sid, acct.auth_token);
      for (let i = 0; i < 4; i++) {
        const v = await client.verify.v2.services(learning.sid).verifications.create({ to: D(100 + i), channel: 'sms' });
        assert.equal(v.status, 'pending', `day 1 send ${i + 1} to +15553`);
      }
      await expectRestError(client.verify.v2.services(learning.sid).verifications.create({ to: D(104), channel: 'sms' }),
        { status: 403, code: 60410 }, 'the fifth send to +15553 on day 1');
      // +15550's 12 h block is over, and 3 (the floor: 5 x 0.3 is less)
      // pass again.
      for (let i = 0; i < FLOOR; i++)
        await client.verify.v2.services(guarded.sid).verifications.create({ to: A(100 + i), channel: 'sms' });
      await expectRestError(client.verify.v2.services(guarded.sid).verifications.create({ to: A(100 + FLOOR), channel: 'sms' }),
        { status: 403, code: 60410 });
      const alerts = (await client.monitor.v1.alerts.list()).filter((a) => a.errorCode === '60410');
      assert.equal(alerts.length, 4, 'one alert per service, prefix and day');
      await stopClean(server, { keep: true });
    } finally {
      if (server.exitStatus === undefined) await server.kill();
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});

// Webhooks against real peers: the npm `smpp` package as the carrier's
// SMSC, and a Node HTTP server as the customer's application that checks
// every request with the official SDK's twilio.validateRequest.
//
// - status callbacks for a message's whole lifecycle, in order, with
//   Twilio's parameters;
// - a handset's message -> inbound webhook -> TwiML <Message> reply ->
//   submit_sm at the peer -> receipt -> status callbacks for the reply;
// - <Redirect>, an empty <Response/>, and an answer that is not TwiML;
// - the receiver down for a while, and a SIGKILL of pipit serve in the
//   middle: every callback arrives, exactly once per idempotency token;
// - a webhook to a private address is refused with an alert unless the
//   address is allowed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PipitServer, TO, pollUntil } from './harness.js';
import { SmscPeer } from './smsc-peer.js';
import { Receiver } from './webhook-receiver.js';

const SYSTEM_ID = 'pipit-hooks';
const PASSWORD = 'hooks-pw';
const HANDSET = '+15557651234';
const FAST = { PIPIT_WEBHOOK_ALLOW: '127.0.0.0/8', PIPIT_WEBHOOK_BACKOFF_MS: '200' };

// Every request the receiver got for message `sid`, as [status...].
const statusesOf = (rx, sid) => rx.requests.filter((r) => r.params.MessageSid === sid && r.params.MessageStatus)
  .map((r) => r.params.MessageStatus);

describe('webhooks', () => {
  let server; let peer; let acct; let client; let rx;

  before(async () => {
    peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'hooks-smsc' });
    server = await PipitServer.start({ env: FAST });
    await server.addCarrier('hooks-carrier', peer, { args: ['--bind', 'trx'] });
    acct = await server.createAccount('Hooks Account');
    client = server.client(acct.sid, acct.auth_token);
    rx = await Receiver.start({ authToken: acct.auth_token });
    await peer.waitForBind({ timeoutMs: 20_000 });
  }, { timeout: 60_000 });

  after(async () => {
    assert.deepEqual(rx?.invalid.map((r) => r.url) ?? [], [], 'every webhook request carried a valid X-Twilio-Signature');
    await rx?.stop();
    await server?.stop();
    await server?.removeDataDir();
    await peer?.stop();
  });

  it('status callbacks follow the lifecycle in order with Twilio\'s parameters', { timeout: 30_000 }, async () => {
    peer.autoReceipt = { stat: 'DELIVRD', delayMs: 50 };
    const m = await client.messages.create({ to: TO, from: acct.from, body: 'lifecycle', statusCallback: rx.url('/status') });
    await rx.waitFor(() => statusesOf(rx, m.sid).includes('delivered'), { what: 'the delivered callback' });
    assert.deepEqual(statusesOf(rx, m.sid), ['queued', 'sent', 'delivered']);
    const cbs = rx.requests.filter((r) => r.params.MessageSid === m.sid);
    for (const r of cbs) {
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/status');
      assert.equal(r.valid, true);
      assert.equal(r.params.SmsSid, m.sid);
      assert.equal(r.params.SmsStatus, r.params.MessageStatus);
      assert.equal(r.params.AccountSid, acct.sid);
      assert.equal(r.params.From, acct.from);
      assert.equal(r.params.To, TO);
      assert.equal(r.params.ApiVersion, '2010-04-01');
      assert.match(r.token, /^[0-9a-f]{32}$/);
      assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded; charset=utf-8');
    }
    assert.equal(new Set(cbs.map((r) => r.token)).size, cbs.length, 'one idempotency token per callback');
    assert.match(cbs.at(-1).params.RawDlrDoneDate, /^\d{10}$/);
    assert.equal(cbs[0].params.RawDlrDoneDate, undefined);
  });

  it('an undelivered message reports its ErrorCode', { timeout: 30_000 }, async () => {
    peer.autoReceipt = { stat: 'UNDELIV', delayMs: 50 };
    const m = await client.messages.create({ to: TO, from: acct.from, body: 'will not arrive', statusCallback: rx.url('/status') });
    await rx.waitFor(() => statusesOf(rx, m.sid).includes('undelivered'));
    const last = rx.requests.filter((r) => r.params.MessageSid === m.sid).at(-1);
    assert.equal(last.params.ErrorCode, '30003');
    assert.deepEqual(statusesOf(rx, m.sid), ['queued', 'sent', 'undelivered']);
  });

  it('a handset message gets a TwiML reply delivered through the SMSC, with callbacks for the reply', { timeout: 45_000 }, async () => {
    peer.autoReceipt = { stat: 'DELIVRD', delayMs: 50 };
    const number = await client.incomingPhoneNumbers(
      (await client.incomingPhoneNumbers.list({ phoneNumber: acct.from }))[0].sid,
    ).update({ smsUrl: rx.url('/sms'), smsMethod: 'POST' });
    assert.equal(number.smsUrl, rx.url('/sms'));
    rx.respond = (req) => (req.path === '/sms'
      ? { type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response><Message action="/reply-status">Thanks for "${req.params.Body}"</Message></Response>` }
      : { status: 204 });
    const text = `hello pipit ${Date.now()}`;
    const resps = await peer.injectMo({ from: HANDSET, to: acct.from, text });
    assert.deepEqual(resps.map((r) => r.status), [0]);

    const inbound = await rx.waitFor((reqs) => reqs.find((r) => r.path === '/sms' && r.params.Body === text));
    assert.equal(inbound.params.From, HANDSET);
    assert.equal(inbound.params.To, acct.from);
    assert.equal(inbound.params.SmsStatus, 'received');
    assert.equal(inbound.params.NumMedia, '0');
    assert.equal(inbound.params.NumSegments, '1');
    assert.equal(inbound.params.AccountSid, acct.sid);
    assert.equal(inbound.params.ApiVersion, '2010-04-01');
    assert.match(inbound.params.MessageSid, /^SM[0-9a-f]{32}$/);
    assert.equal(inbound.params.SmsSid, inbound.params.MessageSid);
    assert.equal(inbound.params.SmsMessageSid, inbound.params.MessageSid);

    const replyText = `Thanks for "${text}"`;
    const got = await peer.waitForMessage(replyText, { timeoutMs: 15_000 });
    assert.equal(got.destAddr.replace(/^\+/, ''), HANDSET.slice(1));
    assert.equal(got.parts[0].sourceAddr.replace(/^\+/, ''), acct.from.slice(1));

    const list = await client.messages.list({ to: HANDSET, pageSize: 50 });
    const reply = list.find((x) => x.body === replyText);
    assert.ok(reply, 'the reply is a message of the account');
    assert.equal(reply.direction, 'outbound-reply');
    assert.equal(reply.from, acct.from);
    await rx.waitFor(() => statusesOf(rx, reply.sid).includes('delivered'), { what: 'the reply\'s delivered callback' });
    const replyCbs = rx.requests.filter((r) => r.params.MessageSid === reply.sid);
    assert.ok(replyCbs.every((r) => r.path === '/reply-status'), 'the action URL, resolved against the request URL');
    assert.deepEqual(statusesOf(rx, reply.sid), ['queued', 'sent', 'delivered']);
  });

  it('<Redirect> fetches more TwiML; an empty <Response/> or a non-TwiML answer sends nothing', { timeout: 45_000 }, async () => {
    const tag = Date.now();
    rx.respond = (req) => {
      if (req.path === '/sms' && req.params.Body === `marker ${tag}`) {
        return { type: 'text/xml', body: `<Response><Message>marker reply ${tag}</Message></Response>` };
      }
      if (req.path === '/sms' && req.params.Body.startsWith('redirect')) {
        return { type: 'text/xml', body: '<Response><Redirect method="POST">/second</Redirect></Response>' };
      }
      if (req.path === '/second') return { type: 'application/xml', body: `<Response><Message>second says ${req.params.Body}</Message></Response>` };
      if (req.path === '/sms' && req.params.Body.startsWith('empty')) return { type: 'text/xml', body: '<Response/>' };
      if (req.path === '/sms') return { type: 'application/json', body: '{"ok":true}' };
      return { status: 204 };
    };
    await peer.injectMo({ from: HANDSET, to: acct.from, text: `redirect ${tag}` });
    await peer.waitForMessage(`second says redirect ${tag}`, { timeoutMs: 15_000 });
    const second = rx.requests.find((r) => r.path === '/second');
    assert.equal(second.params.Body, `redirect ${tag}`);
    assert.equal(second.valid, true);

    const before = peer.submits.length;
    await peer.injectMo({ from: HANDSET, to: acct.from, text: `empty ${tag}` });
    await peer.injectMo({ from: HANDSET, to: acct.from, text: `json ${tag}` });
    await rx.waitFor((reqs) => reqs.some((r) => r.params.Body === `empty ${tag}`) &&
      reqs.some((r) => r.params.Body === `json ${tag}`));
    // The JSON answer was taken: its alert is written with its outcome.
    const alerts = await pollUntil(async () => {
      const all = await client.monitor.v1.alerts.list();
      return all.some((a) => a.errorCode === '12300' || a.errorCode === '12100') && all;
    }, 'an alert for the non-TwiML answer');
    assert.ok(alerts.length > 0);
    // Both answers were in before this message came in: once its reply has
    // gone out, theirs would have too.
    await peer.injectMo({ from: HANDSET, to: acct.from, text: `marker ${tag}` });
    await peer.waitForMessage(`marker reply ${tag}`, { timeoutMs: 15_000 });
    assert.deepEqual(peer.submits.slice(before).map((x) => x.text), [`marker reply ${tag}`],
      'no reply to an empty <Response/> or to JSON');
  });

  it('SmsMethod GET puts the parameters in the query, signed over the full URL', { timeout: 30_000 }, async () => {
    const [pn] = await client.incomingPhoneNumbers.list({ phoneNumber: acct.from });
    await client.incomingPhoneNumbers(pn.sid).update({ smsUrl: rx.url('/get?source=pipit'), smsMethod: 'GET' });
    rx.respond = () => ({ type: 'text/xml', body: '<Response/>' });
    const text = `get me ${Date.now()}`;
    await peer.injectMo({ from: HANDSET, to: acct.from, text });
    const req = await rx.waitFor((reqs) => reqs.find((r) => r.path === '/get' && r.params.Body === text));
    assert.equal(req.method, 'GET');
    assert.equal(req.params.source, 'pipit', 'the URL\'s own query is kept');
    assert.equal(req.params.From, HANDSET);
    assert.equal(req.valid, true);
    await client.incomingPhoneNumbers(pn.sid).update({ smsUrl: rx.url('/sms'), smsMethod: 'POST' });
  });

  it('a Messaging Service\'s InboundRequestUrl takes inbound messages of its numbers', { timeout: 30_000 }, async () => {
    const svc = await client.messaging.v1.services.create({ friendlyName: 'Inbound svc', inboundRequestUrl: rx.url('/svc-in') });
    const [pn] = await client.incomingPhoneNumbers.list({ phoneNumber: acct.from });
    await client.messaging.v1.services(svc.sid).phoneNumbers.create({ phoneNumberSid: pn.sid });
    rx.respond = () => ({ status: 200, type: 'text/xml', body: '<Response/>' });
    const text = `to the service ${Date.now()}`;
    await peer.injectMo({ from: HANDSET, to: acct.from, text });
    const req = await rx.waitFor((reqs) => reqs.find((r) => r.params.Body === text));
    assert.equal(req.path, '/svc-in');
    assert.equal(req.valid, true);
    await client.messaging.v1.services(svc.sid).remove();
  });

  it('a reply loop is cut after 15 replies in 30 s between two numbers (14107)', { timeout: 60_000 }, async () => {
    rx.respond = (req) => (req.path === '/sms' ? { type: 'text/xml', body: '<Response><Message>auto</Message></Response>' } : { status: 204 });
    const loopy = '+15557659999';
    const tag = Date.now();
    for (let i = 0; i < 17; i++) await peer.injectMo({ from: loopy, to: acct.from, text: `loop ${tag} ${i}` });
    await rx.waitFor((reqs) => reqs.filter((r) => r.path === '/sms' && r.params.Body.startsWith(`loop ${tag}`)).length === 17);
    await pollUntil(async () => (await client.monitor.v1.alerts.list()).some((a) => a.errorCode === '14107'),
      'a 14107 alert', 10_000);
    const replies = (await client.messages.list({ to: loopy, pageSize: 100 })).filter((m) => m.direction === 'outbound-reply');
    assert.equal(replies.length, 15, 'replies stop at 15');
  });

  it('a redirect to a private address is refused (checked on every connection)', { timeout: 30_000 }, async () => {
    rx.respond = (req) => (req.path === '/hop' ? { status: 302, type: 'text/plain', body: '', headers: { Location: 'http://169.254.169.254/latest/meta-data' } } : { status: 204 });
    const m = await client.messages.create({ to: TO, from: acct.from, body: 'redirected', statusCallback: rx.url('/hop') });
    const alert = await pollUntil(async () => (await client.monitor.v1.alerts.list()).find((a) => a.resourceSid === m.sid),
      'an alert for the refused redirect', 10_000);
    assert.equal(alert.errorCode, '11200');
    assert.match(decodeURIComponent(alert.alertText.replace(/\+/g, ' ')), /169\.254\.169\.254/);
  });

  it('the receiver down, then pipit serve killed: every callback arrives once per token', { timeout: 120_000 }, async () => {
    peer.autoReceipt = { stat: 'DELIVRD', delayMs: 20 };
    rx.respond = () => ({ status: 200 });
    await rx.stop();
    const sids = [];
    for (let i = 0; i < 20; i++) {
      sids.push((await client.messages.create({ to: TO, from: acct.from, body: `down ${i}`, statusCallback: rx.url('/down') })).sid);
    }
    // Every message delivered while nobody listens; callbacks are retrying.
    for (const sid of sids) {
      await pollUntil(async () => (await client.messages(sid).fetch()).status === 'delivered',
        `message ${sid} delivered`, 10_000);
    }
    const dataDir = server.dataDir;
    await server.kill();
    server = await PipitServer.start({ dataDir, env: FAST });
    client = server.client(acct.sid, acct.auth_token);
    await rx.restart();
    const want = sids.length * 3;
    await rx.waitFor((reqs) => new Set(reqs.filter((r) => r.path === '/down').map((r) => r.token)).size >= want,
      { timeoutMs: 60_000, what: `${want} distinct callbacks` });
    const byToken = new Map();
    for (const r of rx.requests.filter((x) => x.path === '/down')) byToken.set(r.token, r);
    const seen = [...byToken.values()];
    assert.equal(seen.length, want);
    for (const sid of sids) {
      assert.deepEqual(seen.filter((r) => r.params.MessageSid === sid).map((r) => r.params.MessageStatus),
        ['queued', 'sent', 'delivered'], `callbacks of ${sid} once each, in order`);
    }
    const alerts = await client.monitor.v1.alerts.list({ logLevel: 'error' });
    assert.ok(alerts.some((a) => a.errorCode === '11205' && a.resourceSid === sids[0]),
      'the failed attempts left an alert (11205, connection failure)');
  });
});

describe('webhook address policy', () => {
  it('a private address is refused with an alert unless allow-listed', { timeout: 60_000 }, async () => {
    const peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'policy-smsc' });
    const strict = await PipitServer.start({ env: { PIPIT_WEBHOOK_BACKOFF_MS: '200' } });
    let rx;
    try {
      await strict.addCarrier('hooks-carrier', peer, { args: ['--bind', 'trx'] });
      const acct = await strict.createAccount('Policy Account');
      const client = strict.client(acct.sid, acct.auth_token);
      rx = await Receiver.start({ authToken: acct.auth_token });
      peer.autoReceipt = { stat: 'DELIVRD' };
      await peer.waitForBind({ timeoutMs: 20_000 });
      const m = await client.messages.create({ to: TO, from: acct.from, body: 'to a private address', statusCallback: rx.url('/private') });
      // Each of the message's three callbacks (queued, sent, delivered) is
      // refused with an alert of its own: all three seen, none can still come.
      const alerts = await pollUntil(async () => {
        const mine = (await client.monitor.v1.alerts.list()).filter((a) => a.resourceSid === m.sid);
        return mine.length >= 3 && mine;
      }, 'an alert for each refused callback', 10_000);
      const alert = alerts[0];
      assert.equal(alert.errorCode, '11200');
      assert.match(alert.alertText, /127\.0\.0\.1/);
      assert.equal(alert.requestUrl, rx.url('/private'));
      const one = await client.monitor.v1.alerts(alert.sid).fetch();
      assert.equal(one.sid, alert.sid);
      assert.match(one.requestVariables, /MessageStatus=/);
      const refused = [];
      for (const a of alerts) {
        refused.push(/MessageStatus=(\w+)/.exec((await client.monitor.v1.alerts(a.sid).fetch()).requestVariables)?.[1]);
      }
      assert.deepEqual(refused.sort(), ['delivered', 'queued', 'sent']);
      assert.equal(rx.requests.length, 0, 'nothing reached the private address');

      // The same server, restarted with the address allowed, delivers.
      const dataDir = strict.dataDir;
      await strict.stop();
      const open = await PipitServer.start({ dataDir, env: FAST });
      try {
        const c2 = open.client(acct.sid, acct.auth_token);
        const m2 = await c2.messages.create({ to: TO, from: acct.from, body: 'allowed now', statusCallback: rx.url('/private') });
        await rx.waitFor(() => statusesOf(rx, m2.sid).includes('sent'));
        assert.deepEqual(rx.invalid, []);
      } finally {
        await open.stop();
      }
    } finally {
      await rx?.stop();
      await strict.stop();
      await strict.removeDataDir();
      await peer.stop();
    }
  });
});

// SMS delivery over SMPP (issue 3): pipit binds to a carrier's SMSC (the
// scriptable peer in smsc-peer.js), sends API messages as submit_sm, follows
// delivery receipts into the message status, and turns MO deliver_sm into
// inbound messages.
//
// Carriers and routes are added with `pipit admin --data DIR carrier add` /
// `route add` while the server runs; it picks them up within ~2 s.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { useServer, PIPIT_BIN, TO, waitForInbound } from './harness.js';
import { SmscPeer, gsm7Length, GSM_EXTENSION_CHARS } from './smsc-peer.js';

const SYSTEM_ID = 'pipit-it';
const PASSWORD = 'pw-it-1'; // SMPP passwords are at most 8 characters
const SYSTEM_TYPE = 'ITEST';
const OWNED = '+15005550100'; // a number the account owns, for MO
const MO_FROM = '+15557654321';

const digits = (a) => String(a ?? '').replace(/^\+/, '');

// ---- enquire_link: is there a knob for the interval?  (The ESME session's
// default is 30 s, pp_smpp_session_opts_t.enquire_link_ms.)  Read the help
// texts once; a flag or env variable mentioning "enquire" is used with a
// short interval.
function helpText(args) {
  if (!fs.existsSync(PIPIT_BIN)) return '';
  try {
    return execFileSync(PIPIT_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (e) {
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}
function enquireKnob(text) {
  const line = text.split('\n').find((l) => /enquire/i.test(l));
  if (!line) return null;
  const flag = /(--[\w-]*enquire[\w-]*)/i.exec(line)?.[1];
  const env = /\b(PIPIT_\w*ENQUIRE\w*)\b/i.exec(line)?.[1];
  const ms = /ms\b|milli/i.test(line);
  return { flag, env, value: ms ? '500' : '1', line: line.trim() };
}
const SERVE_KNOB = enquireKnob(helpText(['serve', '--help']));
const serveEnv = {};
const serveArgs = [];
if (SERVE_KNOB?.env) serveEnv[SERVE_KNOB.env] = SERVE_KNOB.value;
else if (SERVE_KNOB?.flag) serveArgs.push(SERVE_KNOB.flag, SERVE_KNOB.value);

describe('SMPP delivery', () => {
  const ctx = useServer({ env: serveEnv, extraArgs: serveArgs });
  let peer; let acct; let client; let carrierKnob = null;

  // Polls fetch() until the status is one of `want` (deadline timeoutMs).
  // A terminal status outside `want` fails at once.
  async function waitForStatus(sid, want, { timeoutMs = 10_000 } = {}) {
    const wanted = [].concat(want);
    const terminal = ['delivered', 'undelivered', 'failed', 'received', 'canceled'];
    const deadline = Date.now() + timeoutMs;
    const seen = [];
    for (;;) {
      const m = await client.messages(sid).fetch();
      if (seen.at(-1) !== m.status) seen.push(m.status);
      if (wanted.includes(m.status)) return m;
      if (terminal.includes(m.status)) {
        assert.fail(`message ${sid} reached ${m.status} (error_code ${m.errorCode}) while waiting for ${wanted.join('/')}; statuses seen: ${seen.join(' → ')}`);
      }
      if (Date.now() > deadline) {
        assert.fail(`message ${sid} still ${m.status} after ${timeoutMs} ms, waiting for ${wanted.join('/')}; statuses seen: ${seen.join(' → ')}\n` +
          `server stderr:\n${ctx.server.stderrTail(20)}`);
      }
      await delay(50);
    }
  }

  // The inbound messages with this body, once messages.list() has one.
  const inbound = (body) => waitForInbound(client, OWNED, body,
    { also: () => `\nserver stderr:\n${ctx.server.stderrTail(20)}` });

  // Creates a message and waits for the peer to have it whole.
  async function send(body, { to = TO, from = acct.from, via = peer, timeoutMs = 10_000 } = {}) {
    const m = await client.messages.create({ to, from, body });
    const got = await via.waitForMessage((x) => x.text === body && digits(x.destAddr) === digits(to), { timeoutMs });
    return { m, got };
  }

  before(async () => {
    peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'carrier-a' });
    carrierKnob = enquireKnob(helpText(['admin', '--data', ctx.server.dataDir, 'carrier', 'add', '--help']));
    const extra = carrierKnob?.flag && !SERVE_KNOB ? [carrierKnob.flag, carrierKnob.value] : [];
    await ctx.server.addCarrier('carrier-a', peer, { args: ['--system-type', SYSTEM_TYPE, '--bind', 'trx', ...extra] });
    acct = await ctx.server.createAccount('SMPP Account');
    client = ctx.server.client(acct.sid, acct.auth_token);
    await ctx.server.offerNumbers(OWNED, acct.sid);
    await client.incomingPhoneNumbers.create({ phoneNumber: OWNED });
    await peer.waitForBind({ timeoutMs: 15_000 });
  }, { timeout: 60_000 });

  after(async () => {
    await peer?.stop();
  });

  it('binds as a transceiver with the carrier\'s credentials', () => {
    const ok = peer.binds.filter((b) => b.ok);
    assert.ok(ok.length >= 1);
    assert.equal(ok[0].mode, 'trx');
    assert.equal(ok[0].systemId, SYSTEM_ID);
    assert.equal(ok[0].password, PASSWORD);
    assert.equal(ok[0].systemType, SYSTEM_TYPE);
    assert.deepEqual(peer.binds.filter((b) => !b.ok), [], 'no refused bind attempts');
  });

  it('GSM-7 text arrives exactly, as unpacked octets with data_coding 0', { timeout: 30_000 }, async (t) => {
    const body = 'Hello from Pipit! @£$¥ èéùìòÇ ØøÅå Δ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ #¤%&\'()*+,-./ 0123456789:;<=>? ¡ÄÖÑÜ§¿ äöñüà\nline2';
    assert.ok(gsm7Length(body) <= 160);
    const { m, got } = await send(body);
    assert.equal(got.parts.length, 1);
    const p = got.parts[0];
    assert.equal(p.dataCoding, 0);
    assert.equal(p.esmClass & 0x40, 0, 'no UDH on a single part');
    assert.ok(p.octets.every((b) => b < 0x80), 'unpacked septets, one per octet');
    assert.equal(p.octets.length, gsm7Length(body));
    assert.equal(got.text, body);
    t.diagnostic(`source_addr ${p.sourceAddr} (ton ${p.sourceTon}), destination_addr ${p.destAddr} (ton ${p.destTon}/npi ${p.destNpi}), ` +
      `registered_delivery ${p.registeredDelivery}, service_type ${JSON.stringify(p.serviceType)}`);
    assert.equal(digits(p.destAddr), digits(TO));
    assert.equal(digits(p.sourceAddr), digits(acct.from));
    assert.equal(p.registeredDelivery & 0x01, 0x01, 'a delivery receipt is requested');
    assert.equal(m.numSegments, '1');
  });

  it('GSM extension characters (€[]{}^~\\|) arrive exactly, escaped with 0x1B', { timeout: 30_000 }, async () => {
    const body = `ext: € [a] {b} ^c~ back\\slash |pipe| ${GSM_EXTENSION_CHARS.replace('\f', '')}`;
    const { got } = await send(body);
    const p = got.parts[0];
    assert.equal(p.dataCoding, 0, 'extension characters stay GSM-7');
    assert.equal(got.text, body);
    const escapes = [...p.octets].filter((b) => b === 0x1B).length;
    assert.equal(escapes, [...body].filter((c) => '€[]{}^~\\|'.includes(c)).length);
    for (const [ch, code] of [['€', 0x65], ['[', 0x3C], [']', 0x3E], ['{', 0x28], ['}', 0x29], ['^', 0x14], ['~', 0x3D], ['\\', 0x2F], ['|', 0x40]]) {
      assert.ok(p.octets.includes(Buffer.from([0x1B, code])), `${ch} is 0x1B 0x${code.toString(16).toUpperCase()}`);
    }
  });

  it('UCS-2 text with emoji arrives exactly as UTF-16BE with data_coding 8', { timeout: 30_000 }, async () => {
    const body = 'Привет 😀 — ✓ 中文 🇫🇷 café';
    const { m, got } = await send(body);
    const p = got.parts[0];
    assert.equal(p.dataCoding, 8);
    assert.equal(p.octets.length, body.length * 2, 'two octets per UTF-16 unit');
    assert.equal(got.text, body);
    assert.ok(got.partsDecodeCleanly);
    assert.equal(m.numSegments, '1');
  });

  it('a 400-character GSM message goes as 3 UDH parts that reassemble exactly', { timeout: 30_000 }, async () => {
    const unit = 'The quick brown fox jumps over the lazy dog 0123456789. ';
    const body = (unit.repeat(8)).slice(0, 399) + 'Z';
    assert.equal(body.length, 400);
    const { m, got } = await send(body);
    assert.equal(got.parts.length, 3);
    const refs = new Set();
    got.parts.forEach((p, i) => {
      assert.equal(p.dataCoding, 0);
      assert.equal(p.esmClass & 0x40, 0x40, `part ${i + 1}: esm_class UDHI`);
      assert.ok(p.udh, `part ${i + 1}: a UDH`);
      assert.equal(p.concat.iei, 0x00, `part ${i + 1}: IEI 0x00 (8-bit reference)`);
      assert.equal(p.concat.total, 3);
      assert.equal(p.concat.seq, i + 1);
      refs.add(p.concat.ref);
      assert.ok(p.payload.length <= 153, `part ${i + 1}: at most 153 septets (${p.payload.length})`);
    });
    assert.equal(refs.size, 1, 'one reference for all parts');
    assert.deepEqual(got.parts.map((p) => p.payload.length), [153, 153, 94]);
    assert.equal(got.text, body);
    assert.equal(m.numSegments, '3');
  });

  it('an escape pair is not split across parts', { timeout: 30_000 }, async () => {
    // Naive 153-septet cuts would leave the 0x1B of "€" as the last octet of part 1.
    const body = `${'a'.repeat(152)}€${'b'.repeat(30)}`;
    const { got } = await send(body);
    assert.equal(got.parts.length, 2);
    assert.equal(got.text, body);
    assert.ok(got.partsDecodeCleanly, `each part decodes on its own: ${JSON.stringify(got.parts.map((p) => p.text.slice(-3)))}`);
    assert.ok(got.parts.every((p) => p.payload.length <= 153));
  });

  it('a long UCS-2 message goes in 67-unit parts without splitting a surrogate pair', { timeout: 30_000 }, async () => {
    const body = `${'Ж'.repeat(66)}😀${'Ж'.repeat(30)}`;
    const { got } = await send(body);
    assert.equal(got.parts.length, 2);
    assert.ok(got.parts.every((p) => p.dataCoding === 8 && p.concat?.iei === 0x00));
    assert.ok(got.parts.every((p) => p.payload.length <= 134), `at most 67 units per part: ${got.parts.map((p) => p.payload.length / 2)}`);
    assert.equal(got.text, body);
    assert.ok(got.partsDecodeCleanly, 'each part decodes on its own');
  });

  it('status: sending while in flight, sent on submit_sm_resp, delivered on DELIVRD', { timeout: 30_000 }, async () => {
    const body = `status check ${Date.now()}`;
    peer.holdSubmits = true;
    let m;
    try {
      m = await client.messages.create({ to: TO, from: acct.from, body });
      await peer.waitForHeld((s) => s.text === body);
      const inFlight = await waitForStatus(m.sid, 'sending');
      assert.equal(inFlight.dateSent, null, 'no date_sent before the SMSC took it');
    } finally {
      peer.releaseHeld();
    }
    const got = await peer.waitForMessage(body);
    const sent = await waitForStatus(m.sid, 'sent');
    assert.ok(sent.dateSent instanceof Date, 'date_sent set once sent');
    assert.ok(Math.abs(sent.dateSent.getTime() - Date.now()) < 120_000, `date_sent is now-ish: ${sent.dateSent.toISOString()}`);
    assert.equal(sent.errorCode, null);
    const resp = await peer.sendReceipt(got.parts[0], { stat: 'DELIVRD' });
    assert.equal(resp.status, 0, 'deliver_sm_resp ESME_ROK for the receipt');
    const delivered = await waitForStatus(m.sid, 'delivered');
    assert.equal(delivered.errorCode, null);
    assert.ok(delivered.dateSent instanceof Date);
  });

  for (const [stat, err] of [['UNDELIV', '001'], ['REJECTD', '002'], ['EXPIRED', '003']]) {
    it(`a ${stat} receipt makes it undelivered with an error code`, { timeout: 30_000 }, async (t) => {
      const body = `${stat.toLowerCase()} check ${Date.now()}`;
      const { m, got } = await send(body);
      await waitForStatus(m.sid, 'sent');
      const resp = await peer.sendReceipt(got.parts[0], { stat, err });
      assert.equal(resp.status, 0);
      const u = await waitForStatus(m.sid, 'undelivered');
      t.diagnostic(`${stat} err:${err} → error_code ${u.errorCode}`);
      assert.equal(typeof u.errorCode, 'number', `error_code set (got ${u.errorCode})`);
      assert.ok(u.errorCode >= 30001 && u.errorCode <= 30010, `a 300xx delivery error code, got ${u.errorCode}`);
    });
  }

  for (const [what, tag, where] of [
    ['whose id is only in the text (no TLVs)', 'text-only', { tlvs: false }],
    ['carried only by the TLVs (empty id: in the text)', 'tlv-only', { inText: false }],
  ]) {
    it(`a receipt ${what} is matched`, { timeout: 30_000 }, async () => {
      const { m, got } = await send(`${tag} receipt ${Date.now()}`);
      await waitForStatus(m.sid, 'sent');
      const resp = await peer.sendReceipt(got.parts[0], { stat: 'DELIVRD', ...where });
      assert.equal(resp.status, 0);
      await waitForStatus(m.sid, 'delivered');
    });
  }

  it('a receipt sent right behind submit_sm_resp still ends delivered', { timeout: 30_000 }, async (t) => {
    const body = `fast receipt ${Date.now()}`;
    // Like a real SMSC, the peer resends a receipt answered with an error
    // (up to 5 times, 500 ms apart).
    peer.autoReceipt = { stat: 'DELIVRD', match: (s) => s.text === body, retries: 5, retryDelayMs: 500 };
    try {
      const { m, got } = await send(body);
      await waitForStatus(m.sid, 'delivered', { timeoutMs: 15_000 });
      const resps = peer.deliverResps.filter((r) => r.kind === 'receipt' && r.request.fields.receipted_message_id === got.messageIds[0]);
      t.diagnostic(`deliver_sm_resp statuses for the receipt: ${resps.map((r) => `0x${r.status.toString(16)}`).join(', ')}`);
    } finally {
      peer.autoReceipt = null;
    }
  });

  it('a multi-part message is delivered only when every part is', { timeout: 30_000 }, async () => {
    const body = `two parts ${'x'.repeat(180)} end`;
    const { m, got } = await send(body);
    assert.equal(got.parts.length, 2);
    await waitForStatus(m.sid, 'sent');
    assert.equal((await peer.sendReceipt(got.parts[0], { stat: 'DELIVRD' })).status, 0);
    const half = await client.messages(m.sid).fetch();
    assert.equal(half.status, 'sent', 'one part of two delivered: still sent');
    assert.equal((await peer.sendReceipt(got.parts[1], { stat: 'DELIVRD' })).status, 0);
    await waitForStatus(m.sid, 'delivered');
  });

  it('an MO deliver_sm to an owned number becomes an inbound received message', { timeout: 30_000 }, async () => {
    const text = `MO hello € [x] ${Date.now()}`;
    const resps = await peer.injectMo({ from: MO_FROM, to: OWNED, text });
    assert.deepEqual(resps.map((r) => r.status), [0], 'deliver_sm_resp ESME_ROK');
    const [m] = await inbound(text);
    assert.equal(m.direction, 'inbound');
    assert.equal(m.status, 'received');
    assert.equal(m.body, text);
    assert.equal(m.accountSid, acct.sid);
    assert.equal(m.to, OWNED);
    assert.equal(m.from, MO_FROM);
    assert.equal(m.numSegments, '1');
    const f = await client.messages(m.sid).fetch();
    assert.equal(f.body, text);
  });

  it('a 2-part MO (UDH) is reassembled into one message', { timeout: 30_000 }, async () => {
    const text = `MO long ${Date.now()} ${'y'.repeat(170)} €nd`;
    const resps = await peer.injectMo({ from: MO_FROM, to: OWNED, text });
    assert.equal(resps.length, 2);
    assert.deepEqual(resps.map((r) => r.status), [0, 0]);
    const hits = await inbound(text);
    assert.equal(hits.length, 1, 'one message, not one per part');
    assert.equal(hits[0].direction, 'inbound');
    assert.equal(hits[0].status, 'received');
    assert.equal(hits[0].numSegments, '2');
    const list = await client.messages.list({ to: OWNED, pageSize: 100 });
    const partial = list.filter((x) => x.sid !== hits[0].sid && x.body && text.startsWith(x.body.slice(0, 20)));
    assert.deepEqual(partial.map((x) => x.body), [], 'no separate message per part');
  });

  it('a UCS-2 MO in parts that arrive in reverse order is reassembled', { timeout: 30_000 }, async () => {
    const text = `Ответ ${Date.now()} 😀 ${'ж'.repeat(80)} конец`;
    const resps = await peer.injectMo({ from: MO_FROM, to: OWNED, text, order: 'reverse' });
    assert.equal(resps.length, 2);
    assert.deepEqual(resps.map((r) => r.status), [0, 0]);
    const hits = await inbound(text);
    assert.equal(hits.length, 1);
    assert.equal(hits[0].status, 'received');
  });

  it('ESME_RTHROTTLED on 3 submits: the server resends later and the message ends delivered', { timeout: 60_000 }, async (t) => {
    const body = `throttled ${Date.now()}`;
    peer.throttleNext(3);
    const { m, got } = await send(body, { timeoutMs: 30_000 });
    const throttled = peer.throttled.filter((s) => s.text === body);
    assert.equal(throttled.length, 3, 'three throttled attempts before the accepted one');
    assert.equal(peer.throttleRemaining, 0);
    assert.equal(got.parts.length, 1, 'accepted once');
    const paused = got.parts[0].time - throttled[0].time;
    t.diagnostic(`${paused} ms from the first throttled try to the accepted one`);
    assert.ok(paused >= 50, `the server slowed down (${paused} ms between the first try and the accepted one)`);
    await waitForStatus(m.sid, 'sent');
    assert.equal((await peer.sendReceipt(got.parts[0], { stat: 'DELIVRD' })).status, 0);
    await waitForStatus(m.sid, 'delivered');
    assert.equal(peer.messages.filter((x) => x.text === body).length, 1, 'sent to the SMSC once');
  });

  describe('routing', () => {
    let peerB;
    before(async () => {
      peerB = await SmscPeer.start({ systemId: 'pipit-b', password: 'pw-b', name: 'carrier-b' });
      await ctx.server.addCarrier('carrier-b', peerB, { prefixes: ['+1444'] });
      await peerB.waitForBind({ timeoutMs: 15_000 });
    }, { timeout: 30_000 });
    after(async () => { await peerB?.stop(); });

    it('the longest matching prefix picks the carrier', { timeout: 30_000 }, async () => {
      const toB = '+14445550123';
      const toA = '+14455550123';
      const bodyB = `to carrier b ${Date.now()}`;
      const bodyA = `to carrier a ${Date.now()}`;
      await send(bodyB, { to: toB, via: peerB });
      await send(bodyA, { to: toA, via: peer });
      assert.ok(!peer.messages.some((x) => x.text === bodyB), '+1444… did not go to carrier-a');
      assert.ok(!peerB.messages.some((x) => x.text === bodyA), '+1445… did not go to carrier-b');
    });
  });

  describe('per-carrier encoding of long messages', () => {
    let peerSar; let peerPayload;
    const unit = 'The quick brown fox jumps over the lazy dog 0123456789. ';
    const long = (unit.repeat(8)).slice(0, 399) + 'Q';
    before(async () => {
      peerSar = await SmscPeer.start({ systemId: 'pipit-sar', password: 'pw-s', name: 'carrier-sar' });
      peerPayload = await SmscPeer.start({ systemId: 'pipit-pl', password: 'pw-p', name: 'carrier-pl' });
      await ctx.server.addCarrier('carrier-sar', peerSar, { prefixes: ['+1666'], args: ['--concat', 'sar'] });
      await ctx.server.addCarrier('carrier-pl', peerPayload, { prefixes: ['+1777'], args: ['--payload', 'on'] });
      await peerSar.waitForBind({ timeoutMs: 15_000 });
      await peerPayload.waitForBind({ timeoutMs: 15_000 });
    }, { timeout: 30_000 });
    after(async () => { await peerSar?.stop(); await peerPayload?.stop(); });

    it('--concat sar: 3 parts with sar_* TLVs and no UDH, reassembling exactly', { timeout: 30_000 }, async () => {
      const body = `${long.slice(0, 390)} sar ${Date.now() % 100000}`.slice(0, 400);
      const { got } = await send(body, { to: '+16665550123', via: peerSar });
      assert.equal(got.parts.length, 3);
      const refs = new Set();
      got.parts.forEach((p, i) => {
        assert.equal(p.esmClass & 0x40, 0, `part ${i + 1}: no UDHI`);
        assert.equal(p.udh, null, `part ${i + 1}: no UDH`);
        assert.equal(p.concat.iei, 'sar', `part ${i + 1}: SAR TLVs`);
        assert.equal(p.concat.total, 3);
        assert.equal(p.concat.seq, i + 1);
        refs.add(p.concat.ref);
      });
      assert.equal(refs.size, 1, 'one sar_msg_ref_num for all parts');
      assert.equal(got.text, body);
    });

    it('--payload on: one submit_sm with the whole text in message_payload', { timeout: 30_000 }, async () => {
      const body = `${long.slice(0, 390)} pl ${Date.now() % 100000}`.slice(0, 400);
      const { got } = await send(body, { to: '+17775550123', via: peerPayload });
      assert.equal(got.parts.length, 1);
      assert.equal(got.parts[0].viaPayload, true, 'message_payload, sm_length 0');
      assert.equal(got.parts[0].dataCoding, 0);
      assert.equal(got.text, body);
      const uni = `payload ☕ ${'ж'.repeat(100)} 😀 ${Date.now() % 100000}`;
      const { got: gotU } = await send(uni, { to: '+17775550124', via: peerPayload });
      assert.equal(gotU.parts.length, 1);
      assert.equal(gotU.parts[0].viaPayload, true);
      assert.equal(gotU.parts[0].dataCoding, 8, 'UCS-2');
      assert.equal(gotU.text, uni);
    });
  });

  it('reconnects after the SMSC drops the connection, and sends what was queued meanwhile', { timeout: 60_000 }, async () => {
    const okBefore = peer.binds.filter((b) => b.ok).length;
    const refusedBefore = peer.binds.filter((b) => !b.ok).length;
    // Refuse binds for a while, so that the message below is created while
    // the server is certainly unbound (not racing a submit with the drop).
    peer.refuseBinds = true;
    let m; const body = `after reconnect ${Date.now()}`;
    try {
      peer.dropConnections();
      await peer.waitFor(() => peer.binds.filter((b) => !b.ok).length > refusedBefore,
        { timeoutMs: 30_000, what: 'a bind attempt after the drop' });
      m = await client.messages.create({ to: TO, from: acct.from, body });
      await peer.waitFor(() => peer.binds.filter((b) => !b.ok).length > refusedBefore + 1,
        { timeoutMs: 30_000, what: 'a second bind attempt (backoff)' });
      assert.equal(peer.submits.filter((s) => s.text === body).length, 0, 'nothing sent while unbound');
    } finally {
      peer.refuseBinds = false;
    }
    await peer.waitForBind({ count: okBefore + 1, timeoutMs: 40_000 });
    const got = await peer.waitForMessage(body, { timeoutMs: 30_000 });
    await waitForStatus(m.sid, 'sent');
    assert.equal((await peer.sendReceipt(got.parts[0])).status, 0);
    await waitForStatus(m.sid, 'delivered');
  });

  it('a submit_sm refused by the SMSC (ESME_RINVDSTADR) ends the message with an error code', { timeout: 30_000 }, async (t) => {
    const body = `refused ${Date.now()}`;
    peer.rejectNext(1, 0x0B); // ESME_RINVDSTADR
    const m = await client.messages.create({ to: TO, from: acct.from, body });
    await peer.waitFor(() => peer.rejected.find((s) => s.text === body), { what: 'the refused submit_sm' });
    const f = await waitForStatus(m.sid, ['failed', 'undelivered']);
    t.diagnostic(`ESME_RINVDSTADR → status ${f.status}, error_code ${f.errorCode}`);
    assert.equal(typeof f.errorCode, 'number', `error_code set (got ${f.errorCode})`);
    assert.equal(peer.submits.filter((s) => s.text === body).length, 0, 'not accepted later');
  });

  it('keeps the link up with enquire_link', { timeout: 60_000 }, async (t) => {
    const knob = SERVE_KNOB ?? carrierKnob;
    if (knob) t.diagnostic(`enquire_link interval set through \`${knob.flag ?? knob.env} ${knob.value}\` (${knob.line})`);
    t.diagnostic(`enquire_link seen so far: ${peer.enquireLinks}`);
    if (peer.enquireLinks > 0) return;
    if (knob) {
      await peer.waitForEnquireLinks(1, { timeoutMs: 20_000 });
      return;
    }
    if (process.env.PIPIT_IT_SLOW === '1') {
      await peer.waitForEnquireLinks(1, { timeoutMs: 45_000 });
      return;
    }
    t.skip('no enquire_link seen, and pipit has no setting for its interval: neither `pipit serve --help` nor ' +
      '`pipit admin carrier add --help` mentions enquire_link (and no PIPIT_*ENQUIRE* env is documented); the ' +
      'ESME session default is 30 s of idle time, too long to wait for here (PIPIT_IT_SLOW=1 waits)');
  });
});

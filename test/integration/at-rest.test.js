// Encryption at rest (issue 6): after a workload through the real API, the
// SMPP peer and the webhook dispatcher, the raw database files and the
// server's log hold none of the message bodies, phone numbers, auth tokens,
// carrier password, webhook credentials, Verify factor secrets, entity
// identities or verification texts in clear; a ciphertext moved to another
// row or account does not open; key rotations (master key and one
// account's key, both while the server runs) keep everything readable, a
// TOTP factor (codes from the npm otpauth package) and Verify's webhook
// included; and closing an account leaves its factor secrets as ciphertext
// that no key in the store opens.  The database is edited with Debian's
// sqlite3 CLI, an independent tool.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { PipitServer, pollUntil, uniqueNumber } from './harness.js';
import { SmscPeer } from './smsc-peer.js';
import { Receiver } from './webhook-receiver.js';

const SYSTEM_ID = 'pipit-rest';
const CARRIER_PW = `Pw${crypto.randomBytes(3).toString('hex')}`; // 8 characters, SMPP's limit
const ENV = { PIPIT_WEBHOOK_ALLOW: '127.0.0.0/8', PIPIT_WEBHOOK_BACKOFF_MS: '200' };
// The sqlite3 CLI waits up to 10 s for the server's writer (a read during a
// key rotation may meet its lock), as the server's own connections do.
const sql = (db, q) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', db, q], { encoding: 'utf8' }).trim();
const hex = (n) => crypto.randomBytes(n).toString('hex');
const digits = (a) => String(a ?? '').replace(/^\+/, '');
const totpOf = (factor) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(factor.binding.secret) });

// Verify in one account: a service, a webhook whose URL carries credentials,
// a TOTP factor of a fresh entity; the needles are the secrets it holds.
// `client` returns the account's current client (the server restarts).
async function verifyWorkload(client, rx, needles, { hookPath, name }) {
  const v2 = client().verify.v2;
  const svc = await v2.services.create({ friendlyName: name });
  const hookSecret = `vh${hex(6)}`;
  const hook = await v2.services(svc.sid).webhooks.create({ friendlyName: 'events', eventTypes: ['*'],
    webhookUrl: `http://vuser:${hookSecret}@127.0.0.1:${rx.port}${hookPath}` });
  const identity = `user-${hex(8)}`;
  const factorName = `Phone-${hex(6)}`;
  const factor = await v2.services(svc.sid).entities(identity).newFactors.create({ friendlyName: factorName, factorType: 'totp' });
  const totp = totpOf(factor);
  needles.set(hookSecret, `Verify webhook credentials (${name})`).set(identity, `entity identity (${name})`)
    .set(factorName, `factor name (${name})`).set(factor.binding.secret, `factor secret, base32 (${name})`)
    .set(Buffer.from(totp.secret.bytes), `factor secret, raw (${name})`);
  return { svc, hook, hookSecret, identity, factor, totp,
    entity: () => client().verify.v2.services(svc.sid).entities(identity) };
}

describe('encryption at rest', () => {
  let server; let peer; let rx; let a; let b; let ca; let cb;
  const needles = new Map(); // what must not appear in clear -> what it is
  const sent = [];           // messages of account a: {sid, body}
  let bMessage;
  let va; let vb; let verification; // Verify in accounts a and b; a's verification

  before(async () => {
    peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: CARRIER_PW, name: 'rest-smsc' });
    peer.autoReceipt = { stat: 'DELIVRD' };
    server = await PipitServer.start({ env: ENV });
    await server.addCarrier('rest-carrier', peer);
    a = await server.createAccount('Rest A');
    b = await server.createAccount('Rest B');
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
    rx = await Receiver.start({ authToken: a.auth_token });
    await peer.waitForBind({ timeoutMs: 20_000 });
    needles.set(a.auth_token, 'auth token A').set(b.auth_token, 'auth token B');
    needles.set(CARRIER_PW, 'carrier password');
    for (const n of [a.from, b.from]) needles.set(n.slice(1), `number ${n}`);

    const hookSecret = `hk${crypto.randomBytes(6).toString('hex')}`;
    needles.set(hookSecret, 'webhook URL credentials');
    const [pn] = await ca.incomingPhoneNumbers.list({ phoneNumber: a.from });
    await ca.incomingPhoneNumbers(pn.sid).update({ smsUrl: rx.url(`/in?key=${hookSecret}`) });
    for (let i = 0; i < 6; i++) {
      const to = uniqueNumber();
      const body = `AtRest-${crypto.randomBytes(8).toString('hex')}`;
      needles.set(to.slice(1), `recipient ${to}`).set(body, 'message body');
      const m = await ca.messages.create({ to, from: a.from, body, statusCallback: rx.url(`/cb?key=${hookSecret}`) });
      sent.push({ sid: m.sid, body, to });
    }
    const bBody = `AtRestB-${crypto.randomBytes(8).toString('hex')}`;
    needles.set(bBody, 'message body of B');
    bMessage = await cb.messages.create({ to: uniqueNumber(), from: b.from, body: bBody });
    // A handset writes in (two parts, so they wait in the store), and gets no reply.
    const handset = uniqueNumber();
    const moText = `InboundSecret-${crypto.randomBytes(8).toString('hex')} ${'m'.repeat(170)}`;
    needles.set(handset.slice(1), 'handset number').set(moText.slice(0, 30), 'inbound text');
    await peer.injectMo({ from: handset, to: a.from, text: moText });
    await rx.waitFor((reqs) => reqs.some((r) => r.path === '/in'));
    await rx.waitFor((reqs) => reqs.filter((r) => r.path === '/cb' && r.params.MessageStatus === 'delivered').length === sent.length);

    // Verify: a TOTP factor proven with its first code (a factor.verified
    // event to the credentialed webhook), a challenge with details, and a
    // verification SMS through the SMSC.
    va = await verifyWorkload(() => ca, rx, needles, { hookPath: '/verify-a', name: 'RestCo' });
    vb = await verifyWorkload(() => cb, rx, needles, { hookPath: '/verify-b', name: 'RestCo B' });
    const proven = await va.entity().factors(va.factor.sid).update({ authPayload: va.totp.generate() });
    assert.equal(proven.status, 'verified');
    const ev = await rx.waitFor((reqs) => reqs.find((r) => r.path === '/verify-a' && r.params.type === 'factor.verified'));
    assert.equal(ev.params.entity_identity, va.identity);
    assert.equal(ev.headers.authorization, `Basic ${Buffer.from(`vuser:${va.hookSecret}`).toString('base64')}`,
      'the URL\'s credentials reach the receiver');
    assert.match(ev.token ?? '', /^[0-9a-f]{32}$/, 'posted by the webhook dispatcher, with its idempotency token');
    const vTo = uniqueNumber();
    needles.set(digits(vTo), 'verification recipient');
    verification = await ca.verify.v2.services(va.svc.sid).verifications.create({ to: vTo, channel: 'sms' });
    const sms = await peer.waitFor(() => peer.messages.find((m) => digits(m.destAddr) === digits(vTo)),
      { timeoutMs: 15_000, what: 'the verification SMS' });
    const code = /verification code is: (\d+)/.exec(sms.text);
    assert.ok(code, sms.text);
    needles.set(`code is: ${code[1]}`, 'verification text');
  }, { timeout: 90_000 });

  after(async () => {
    await rx?.stop();
    await server?.stop();
    await server?.removeDataDir();
    await peer?.stop();
  });

  it('everything reads back through the API', async () => {
    for (const m of sent) assert.equal((await ca.messages(m.sid).fetch()).body, m.body);
    const byTo = await ca.messages.list({ to: sent[0].to });
    assert.deepEqual(byTo.map((m) => m.sid), [sent[0].sid], 'the To filter works on the blind index');
    assert.equal((await ca.incomingPhoneNumbers.list({ phoneNumber: a.from })).length, 1);
  });

  it('indexes and sign-in hashes from before the SipHash index are made again on upgrade', async () => {
    await server.stop();
    const db = path.join(server.dataDir, 'pipit.db');
    const version = Number(sql(db, 'PRAGMA user_version'));
    const kept = sql(db, `SELECT hex(to_bidx)||hex(from_bidx) FROM messages WHERE sid='${sent[0].sid}'`);
    // Values of another function (random here), as the step before left them.
    // The SipHash step is step 19 (docs/internals/store.md); every step
    // after it runs again too (the channel column, step 22, dropped first).
    sql(db, 'UPDATE messages SET to_bidx=randomblob(32),from_bidx=randomblob(32);'
      + 'UPDATE phone_numbers SET phone_bidx=randomblob(32);'
      + 'UPDATE accounts SET auth_hash=randomblob(32) WHERE auth_hash IS NOT NULL;'
      + 'UPDATE verify_entities SET identity_bidx=randomblob(32);'
      + 'ALTER TABLE carriers DROP COLUMN channel;'
      + 'PRAGMA user_version=18;');
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    assert.equal(Number(sql(db, 'PRAGMA user_version')), version);
    assert.equal(sql(db, `SELECT hex(to_bidx)||hex(from_bidx) FROM messages WHERE sid='${sent[0].sid}'`), kept);
    ca = server.client(a.sid, a.auth_token); // signs in against the hash made again
    cb = server.client(b.sid, b.auth_token);
    assert.deepEqual((await ca.messages.list({ to: sent[0].to })).map((m) => m.sid), [sent[0].sid]);
    assert.equal((await ca.incomingPhoneNumbers.list({ phoneNumber: a.from })).length, 1);
    const m = await ca.messages.create({ to: uniqueNumber(), from: a.from, body: 'after the upgrade' });
    assert.equal(m.status, 'queued'); // From found its owner by the number's index
    assert.equal((await va.entity().fetch()).identity, va.identity);
  });

  it('the database files and the log hold none of it in clear', async () => {
    await server.stop();
    const files = fs.readdirSync(server.dataDir).filter((f) => f.startsWith('pipit.db'))
      .map((f) => path.join(server.dataDir, f));
    assert.ok(files.length >= 1);
    const blobs = files.map((f) => [f, fs.readFileSync(f)]);
    blobs.push(['server log', Buffer.from(server.stderrText())]);
    const found = [];
    for (const [needle, what] of needles) {
      const bytes = Buffer.isBuffer(needle) ? needle : Buffer.from(needle);
      for (const [f, buf] of blobs) if (buf.includes(bytes)) found.push(`${what} in ${path.basename(f)}`);
    }
    assert.deepEqual(found, []);
    // The search itself finds what is there: the SIDs are stored in clear.
    assert.ok(blobs[0][1].includes(Buffer.from(sent[0].sid)));
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
  });

  it('a ciphertext moved to another row or account does not open', async () => {
    const db = path.join(server.dataDir, 'pipit.db');
    const [x, y] = sent;
    await server.stop();
    sql(db, `UPDATE messages SET body=(SELECT body FROM messages WHERE sid='${y.sid}') WHERE sid='${x.sid}'`);
    sql(db, `UPDATE messages SET body=(SELECT body FROM messages WHERE sid='${x.sid}' ) WHERE sid='${bMessage.sid}'`);
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
    await assert.rejects(ca.messages(x.sid).fetch(), (e) => e.status === 500, 'a body from another row');
    await assert.rejects(cb.messages(bMessage.sid).fetch(), (e) => e.status === 500, 'a body from another account');
    assert.equal((await ca.messages(y.sid).fetch()).body, y.body, 'the row it came from still opens');
    // The server's log reaches this process through a pipe: wait for the line.
    await pollUntil(() => /did not open/.test(server.stderrText()), 'the log line of the body that did not open');
    // Put the rows back as they were for the rotation tests.
    await server.stop();
    sql(db, `DELETE FROM messages WHERE sid IN ('${x.sid}','${bMessage.sid}')`);
    sent.shift();
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
  });

  it('a factor secret moved to another account does not open', async () => {
    const db = path.join(server.dataDir, 'pipit.db');
    const mine = sql(db, `SELECT hex(secret_sealed) FROM verify_factors WHERE sid='${va.factor.sid}'`);
    await server.stop();
    sql(db, `UPDATE verify_factors SET secret_sealed=(SELECT secret_sealed FROM verify_factors WHERE sid='${vb.factor.sid}') WHERE sid='${va.factor.sid}'`);
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
    // Neither secret works: the blob does not open in a's row.
    for (const code of [va.totp.generate(), vb.totp.generate()]) {
      await assert.rejects(va.entity().challenges.create({ factorSid: va.factor.sid, authPayload: code }),
        (e) => e.status === 500, 'a factor secret from another account');
    }
    const line = new RegExp(`secret of factor ${va.factor.sid} did not open`);
    await pollUntil(() => line.test(server.stderrText()), 'the log line of the factor secret');
    await server.stop();
    sql(db, `UPDATE verify_factors SET secret_sealed=X'${mine}' WHERE sid='${va.factor.sid}'`);
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
  });

  it('an account key rotation while the server runs keeps every message readable', { timeout: 60_000 }, async () => {
    const db = path.join(server.dataDir, 'pipit.db');
    const before = sql(db, `SELECT hex(body) FROM messages WHERE sid='${sent[0].sid}'`);
    const secretBefore = sql(db, `SELECT hex(secret_sealed) FROM verify_factors WHERE sid='${va.factor.sid}'`);
    const out = await server.admin('account', 'rotate-key', a.sid);
    assert.match(out, /sealed again/);
    assert.equal(sql(db, `SELECT group_concat(generation) FROM account_keys WHERE account_sid='${a.sid}'`), '2');
    assert.notEqual(sql(db, `SELECT hex(body) FROM messages WHERE sid='${sent[0].sid}'`), before, 'the ciphertext changed');
    for (const m of sent) assert.equal((await ca.messages(m.sid).fetch()).body, m.body);
    // New traffic after the rotation is sealed with the new key and reads back.
    const m2 = await ca.messages.create({ to: uniqueNumber(), from: a.from, body: 'after rotation' });
    assert.equal((await ca.messages(m2.sid).fetch()).body, 'after rotation');
  });

  it('after the account key rotation, Verify opens everything with the new key', { timeout: 30_000 }, async () => {
    const db = path.join(server.dataDir, 'pipit.db');
    const gen = (col, table, sid) => parseInt(sql(db, `SELECT hex(substr(${col},2,4)) FROM ${table} WHERE sid='${sid}'`), 16);
    assert.equal(gen('secret_sealed', 'verify_factors', va.factor.sid), 2, 'the factor secret is sealed with generation 2');
    assert.equal(gen('identity', 'verify_entities', sql(db, `SELECT entity_sid FROM verify_factors WHERE sid='${va.factor.sid}'`)), 2);
    assert.equal(gen('webhook_url', 'verify_webhooks', va.hook.sid), 2);
    assert.equal(gen('to_addr', 'verifications', verification.sid), 2);
    // The verified factor answers a challenge with the next step's code
    // (later than the one it accepted), and the webhook hears of it.
    const ch = await va.entity().challenges.create({ factorSid: va.factor.sid,
      authPayload: va.totp.generate({ timestamp: Date.now() + 30_000 }), 'details.message': 'after rotation' });
    assert.equal(ch.status, 'approved');
    const ev = await rx.waitFor((reqs) => reqs.find((r) => r.path === '/verify-a' && r.params.type === 'challenge.approved'));
    assert.equal(ev.params.entity_identity, va.identity);
    assert.equal(ev.headers.authorization, `Basic ${Buffer.from(`vuser:${va.hookSecret}`).toString('base64')}`);
    assert.equal((await ca.verify.v2.services(va.svc.sid).verifications(verification.sid).fetch()).to, verification.to);
    assert.equal((await ca.verify.v2.services(va.svc.sid).webhooks(va.hook.sid).fetch()).webhookUrl, va.hook.webhookUrl);
    assert.equal((await va.entity().fetch()).identity, va.identity);
    const f = await va.entity().factors(va.factor.sid).fetch();
    assert.equal(f.friendlyName, va.factor.friendlyName);
    assert.equal(f.status, 'verified');
  });

  it('a master key rotation while the server runs keeps every message readable', { timeout: 60_000 }, async () => {
    const keyFile = path.join(server.dataDir, 'master.key');
    const oldKey = fs.readFileSync(keyFile, 'utf8');
    const auditKeyFile = path.join(server.dataDir, 'audit-key.pub');
    const auditKey = fs.readFileSync(auditKeyFile, 'utf8');
    const out = await server.admin('keys', 'rotate-master');
    assert.match(out, /data keys wrapped again/);
    assert.notEqual(fs.readFileSync(keyFile, 'utf8'), oldKey);
    assert.ok(!fs.existsSync(`${keyFile}.next`));
    for (const m of sent) assert.equal((await ca.messages(m.sid).fetch()).body, m.body);
    // A fresh process holds only the new key.
    await server.stop();
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
    for (const m of sent) assert.equal((await ca.messages(m.sid).fetch()).body, m.body);
    assert.equal(fs.readFileSync(auditKeyFile, 'utf8'), auditKey, 'the audit log keeps its public key');
    // Blind indexes do not depend on the master key: lookups by number still work.
    assert.deepEqual((await ca.messages.list({ to: sent[0].to })).map((m) => m.sid), [sent[0].sid]);
    assert.equal((await ca.incomingPhoneNumbers.list({ phoneNumber: a.from })).length, 1);
    // The old key opens nothing any more: a server given it does not start.
    await server.stop();
    const newKey = fs.readFileSync(keyFile, 'utf8');
    fs.writeFileSync(keyFile, oldKey);
    await assert.rejects(PipitServer.start({ dataDir: server.dataDir, env: ENV }), /did not open/);
    fs.writeFileSync(keyFile, newKey);
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
  });

  it('closing an account shreds its factor secrets and drops its queued deliveries', { timeout: 30_000 }, async () => {
    const db = path.join(server.dataDir, 'pipit.db');
    cb = server.client(b.sid, b.auth_token);
    const sub = await cb.api.v2010.accounts.create({ friendlyName: 'Rest sub' });
    const cs = server.client(sub.sid, sub.authToken);
    const rxSub = await Receiver.start({ authToken: sub.authToken });
    try {
      rxSub.respond = () => ({ status: 503 }); // events stay queued, retried
      const vs = await verifyWorkload(() => cs, rxSub, needles, { hookPath: '/verify-sub', name: 'Sub' });
      const proven = await vs.entity().factors(vs.factor.sid).update({ authPayload: vs.totp.generate() });
      assert.equal(proven.status, 'verified');
      // factor.created, the webhook's first event, keeps failing; factor.verified waits behind it.
      await rxSub.waitFor((reqs) => reqs.some((r) => r.params.type === 'factor.created'));
      // The failure is an alert of the account, about the Verify webhook.
      const alerts = await pollUntil(async () => {
        const all = await cs.monitor.v1.alerts.list();
        return all.length > 0 && all;
      }, 'an alert of the account', 10_000);
      assert.equal(alerts[0].resourceSid, vs.hook.sid);
      const sealed = sql(db, `SELECT hex(secret_sealed) FROM verify_factors WHERE sid='${vs.factor.sid}'`);
      assert.ok(sealed.length > 0);
      assert.equal(sql(db, `SELECT count(*) FROM webhooks WHERE account_sid='${sub.sid}' AND kind='verify'`), '2');
      // A message webhook of the account waiting far in the future.
      sql(db, `INSERT INTO webhooks(token,account_sid,message_sid,kind,event,error_code,url,method,created_ms,next_attempt) VALUES('${hex(16)}','${sub.sid}','SM${hex(16)}','status','sent',0,'http://127.0.0.1:9/x','POST',0,9000000000000000)`);
      await cb.api.v2010.accounts(sub.sid).update({ status: 'closed' });
      // The ciphertext is still in the file; the only key that opened it is gone.
      assert.equal(sql(db, `SELECT hex(secret_sealed) FROM verify_factors WHERE sid='${vs.factor.sid}'`), sealed);
      assert.equal(sql(db, `SELECT count(*) FROM account_keys WHERE account_sid='${sub.sid}'`), '0');
      assert.equal(sql(db, `SELECT count(*) FROM webhooks WHERE account_sid='${sub.sid}'`), '0');
      // The other accounts' factors still verify.
      const ch = await vb.entity().factors(vb.factor.sid).update({ authPayload: vb.totp.generate() });
      assert.equal(ch.status, 'verified');
    } finally {
      await rxSub.stop();
    }
  });
});

// Encryption at rest (issue 6): after a workload through the real API, the
// SMPP peer and the webhook dispatcher, the raw database files and the
// server's log hold none of the message bodies, phone numbers, auth tokens,
// carrier password or webhook credentials in clear; a ciphertext moved to
// another row or account does not open; and key rotations (master key and
// one account's key, both while the server runs) keep everything readable.
// The database is edited with Debian's sqlite3 CLI, an independent tool.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { PipitServer, uniqueNumber } from './harness.js';
import { SmscPeer } from './smsc-peer.js';
import { Receiver } from './webhook-receiver.js';

const SYSTEM_ID = 'pipit-rest';
const CARRIER_PW = `Pw${crypto.randomBytes(3).toString('hex')}`; // 8 characters, SMPP's limit
const ENV = { PIPIT_WEBHOOK_ALLOW: '127.0.0.0/8', PIPIT_WEBHOOK_BACKOFF_MS: '200' };
const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

describe('encryption at rest', () => {
  let server; let peer; let rx; let a; let b; let ca; let cb;
  const needles = new Map(); // what must not appear in clear -> what it is
  const sent = [];           // messages of account a: {sid, body}
  let bMessage;

  before(async () => {
    peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: CARRIER_PW, name: 'rest-smsc' });
    peer.autoReceipt = { stat: 'DELIVRD' };
    server = await PipitServer.start({ env: ENV });
    await server.admin('carrier', 'add', 'rest-carrier', '--smpp', peer.address,
      '--system-id', SYSTEM_ID, '--password', CARRIER_PW);
    await server.admin('route', 'add', '--prefix', '+1', '--carrier', 'rest-carrier');
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

  it('the database files and the log hold none of it in clear', async () => {
    await server.stop();
    const files = fs.readdirSync(server.dataDir).filter((f) => f.startsWith('pipit.db'))
      .map((f) => path.join(server.dataDir, f));
    assert.ok(files.length >= 1);
    const blobs = files.map((f) => [f, fs.readFileSync(f)]);
    blobs.push(['server log', Buffer.from(server.stderrText())]);
    const found = [];
    for (const [needle, what] of needles) {
      for (const [f, buf] of blobs) if (buf.includes(Buffer.from(needle))) found.push(`${what} in ${path.basename(f)}`);
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
    assert.match(server.stderrText(), /did not open/);
    // Put the rows back as they were for the rotation tests.
    await server.stop();
    sql(db, `DELETE FROM messages WHERE sid IN ('${x.sid}','${bMessage.sid}')`);
    sent.shift();
    server = await PipitServer.start({ dataDir: server.dataDir, env: ENV });
    ca = server.client(a.sid, a.auth_token);
  });

  it('an account key rotation while the server runs keeps every message readable', { timeout: 60_000 }, async () => {
    const db = path.join(server.dataDir, 'pipit.db');
    const before = sql(db, `SELECT hex(body) FROM messages WHERE sid='${sent[0].sid}'`);
    const out = await server.admin('account', 'rotate-key', a.sid);
    assert.match(out, /sealed again/);
    assert.equal(sql(db, `SELECT group_concat(generation) FROM account_keys WHERE account_sid='${a.sid}'`), '2');
    assert.notEqual(sql(db, `SELECT hex(body) FROM messages WHERE sid='${sent[0].sid}'`), before, 'the ciphertext changed');
    for (const m of sent) assert.equal((await ca.messages(m.sid).fetch()).body, m.body);
    // New traffic after the rotation is sealed with the new key and reads back.
    const m2 = await ca.messages.create({ to: uniqueNumber(), from: a.from, body: 'after rotation' });
    assert.equal((await ca.messages(m2.sid).fetch()).body, 'after rotation');
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
});

// A sealed value or a data key altered in, or a data key deleted from, the
// database file (issue 12, item 4) answers 500 in Twilio's shape
// (PP_ERR_CORRUPT), never a client error (400, 404), and is logged as an
// integrity failure.  The database
// is edited with Debian's sqlite3 CLI while the server is stopped.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PipitServer, pollUntil, uniqueNumber } from './harness.js';

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
const MESSAGE = 'A stored value failed its integrity check';

// `promise` (an SDK call) fails with PP_ERR_CORRUPT's answer.
const corrupt = (promise, what) => assert.rejects(promise, (e) => {
  assert.equal(e.status, 500, `${what}: ${e.message}`);
  assert.deepEqual([e.code, e.message, e.moreInfo], [500, MESSAGE, 'https://www.twilio.com/docs/errors/500'], what);
  return true;
});
// The server's log comes to say `re` (it may arrive after the answer).
const logged = (server, re) => pollUntil(() => re.test(server.stderrText()), `a log line ${re}`, 5000);

// `hex` with the digit at its middle changed: one flipped bit pattern.
function flip(hex) {
  const i = Math.floor(hex.length / 2);
  return hex.slice(0, i) + (hex[i] === '0' ? '1' : '0') + hex.slice(i + 1);
}

describe('altered ciphertext and keys', () => {
  let server; let db; let a; let b; let c; let ca; let cb; let ma; let mb; let fa; let svcB; let svcC; let seq;

  before(async () => {
    server = await PipitServer.start();
    db = path.join(server.dataDir, 'pipit.db');
    a = await server.createAccount('Corrupt A');
    b = await server.createAccount('Corrupt B');
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
    ma = await ca.messages.create({ to: uniqueNumber(), from: a.from, body: 'sealed in A' });
    mb = await cb.messages.create({ to: uniqueNumber(), from: b.from, body: 'sealed in B' });
    const svcA = await ca.verify.v2.services.create({ friendlyName: 'Corrupt A' });
    fa = await ca.verify.v2.services(svcA.sid).entities('user-a').newFactors
      .create({ friendlyName: 'A', factorType: 'totp' });
    fa.entity = () => ca.verify.v2.services(svcA.sid).entities('user-a');
    svcB = await cb.verify.v2.services.create({ friendlyName: 'Corrupt B' });
    c = await server.createAccount('Corrupt C');
    svcC = await server.client(c.sid, c.auth_token).verify.v2.services.create({ friendlyName: 'Corrupt C' });
    const evs = await server.raw('GET', `/audit/v1/Events?AccountSid=${a.sid}`, { auth: [a.sid, a.auth_token] });
    assert.equal(evs.status, 200, evs.text);
    seq = evs.json.events[0].sequence;
    await server.stop();
    // A: one byte of a message body and of a factor secret; one audit entry.
    sql(db, `DROP TRIGGER audit_log_no_update; UPDATE audit_log SET leaf=CAST(replace(CAST(leaf AS TEXT),'"v":1','"v":2') AS BLOB) WHERE seq=${seq}`);
    const body = sql(db, `SELECT hex(body) FROM messages WHERE sid='${ma.sid}'`);
    sql(db, `UPDATE messages SET body=X'${flip(body)}' WHERE sid='${ma.sid}'`);
    const secret = sql(db, `SELECT hex(secret_sealed) FROM verify_factors WHERE sid='${fa.sid}'`);
    sql(db, `UPDATE verify_factors SET secret_sealed=X'${flip(secret)}' WHERE sid='${fa.sid}'`);
    // B: one byte of its wrapped data key, so nothing of B opens or seals.
    const key = sql(db, `SELECT hex(wrapped) FROM account_keys WHERE account_sid='${b.sid}'`);
    assert.match(key, /^[0-9A-F]+$/, 'one wrapped key');
    sql(db, `UPDATE account_keys SET wrapped=X'${flip(key)}' WHERE account_sid='${b.sid}'`);
    // C: its data key gone from the file, though the account is open.
    sql(db, `DELETE FROM account_keys WHERE account_sid='${c.sid}'`);
    server = await PipitServer.start({ dataDir: server.dataDir });
    ca = server.client(a.sid, a.auth_token);
    cb = server.client(b.sid, b.auth_token);
  }, { timeout: 60_000 });

  after(async () => {
    await server?.stop();
    await server?.removeDataDir();
  });

  it('an altered message body answers 500', async () => {
    const res = await server.raw('GET', `/2010-04-01/Accounts/${a.sid}/Messages/${ma.sid}.json`,
      { auth: [a.sid, a.auth_token] });
    assert.equal(res.status, 500);
    assert.deepEqual(res.json, { code: 500, message: MESSAGE,
      more_info: 'https://www.twilio.com/docs/errors/500', status: 500 });
    await logged(server, new RegExp(`integrity.*messages\\.body of ${ma.sid}`));
  });

  it('an altered factor secret answers 500', async () => {
    await corrupt(fa.entity().factors(fa.sid).update({ authPayload: '123456' }), 'the first code of a factor');
  });

  it('an altered data key answers 500 to reads and to writes that seal', async () => {
    await corrupt(cb.messages(mb.sid).fetch(), 'a message of B');
    await corrupt(cb.verify.v2.services(svcB.sid).verifications
      .create({ to: uniqueNumber(), channel: 'sms' }), 'a verification of B');
    await corrupt(cb.verify.v2.services(svcB.sid).entities('user-b').newFactors
      .create({ friendlyName: 'B', factorType: 'totp' }), 'a factor of B');
    await logged(server, new RegExp(`integrity.*data key .*${b.sid}`));
  });

  it('a data key gone from an open account answers 500, not 404', async () => {
    const cc = server.client(c.sid, c.auth_token);
    await corrupt(cc.verify.v2.services(svcC.sid).entities('user-c').newFactors
      .create({ friendlyName: 'C', factorType: 'totp' }), 'a factor of C');
    await logged(server, new RegExp(`integrity: account ${c.sid} has no data key`));
  });

  it('an altered audit entry answers 500', async () => {
    const res = await server.raw('GET', `/audit/v1/Events/${seq}`, { auth: [a.sid, a.auth_token] });
    assert.equal(res.status, 500);
    assert.deepEqual(res.json, { code: 500, message: MESSAGE,
      more_info: 'https://www.twilio.com/docs/errors/500', status: 500 });
    await logged(server, new RegExp(`entry ${seq} of the audit log is damaged`));
  });

  it('what was not altered still opens', async () => {
    const m = await ca.messages.create({ to: uniqueNumber(), from: a.from, body: 'still fine' });
    assert.equal((await ca.messages(m.sid).fetch()).body, 'still fine');
  });
});

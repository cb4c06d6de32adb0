// Issue 11 item 4: the disk fills while receipts arrive.  Messages are
// submitted and recorded `sent`; then every write to the store fails with
// ENOSPC (test/integration/enospc.c, preloaded into the server: SQLite's own
// VFS sees the error, no root needed); the SMSC sends the receipts, and, like
// an SMSC whose retries ran out, never sends one again once it was refused.
// Pipit must hold those answers until the space returns instead of refusing
// them, answer API writes meanwhile with 503 in Twilio's error shape, and log
// the failure once (and the recovery once), not once per request.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useServer, pollUntil as until, PIPIT_BIN, TO } from './harness.js';
import { SmscPeer } from './smsc-peer.js';

const ENOSPC_LIB = process.env.PIPIT_ENOSPC_LIB ?? path.join(path.dirname(PIPIT_BIN), 'libpp_test_enospc.so');
const N = 20;
const REFUSED_POSTS = 5;

// A server whose store files fail with ENOSPC while `flag` exists.
function fullDiskServer(flag) {
  return useServer({
    env: {
      LD_PRELOAD: ENOSPC_LIB,
      PIPIT_TEST_ENOSPC: flag,
      // The preloaded library comes before the ASan runtime (harmless here).
      ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:verify_asan_link_order=0`,
    },
  });
}

// A carrier on `peer`, an account, and n messages submitted and `sent`.
async function sentMessages(server, peer, n) {
  assert.ok(fs.existsSync(ENOSPC_LIB), `build ${ENOSPC_LIB} (target pp_test_enospc)`);
  await server.addCarrier('full-carrier', peer, { args: ['--bind', 'trx'] });
  const acct = await server.createAccount('Store Full');
  const client = server.client(acct.sid, acct.auth_token);
  await peer.waitForBind({ timeoutMs: 20_000 });
  const created = [];
  for (let i = 0; i < n; i++) {
    created.push(await client.messages.create({ to: TO, from: acct.from, body: `full-${i}` }));
  }
  const submits = await peer.waitForSubmits(n, { timeoutMs: 20_000 });
  await allInStatus(client, created, 'sent', `${n} messages sent`);
  const post = () => server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`, {
    auth: [acct.sid, acct.auth_token], form: { To: TO, From: acct.from, Body: 'no room' },
  });
  return { acct, client, created, submits, post };
}

// Sends a receipt for each submit and resolves, with their pending answers,
// once pipit has read them all and each one's write has failed: pipit
// answers the enquire_link behind them only after reading them, and the
// next write it refuses was queued after theirs.
async function receiptsDuringFailure(peer, submits, post) {
  const answers = submits.map((sm) => peer.sendReceipt(sm, { stat: 'DELIVRD', timeoutMs: 60_000 }));
  await peer.ping();
  assert.equal((await post()).status, 503);
  return answers;
}

// Waits until every message of `created` has `status`.
function allInStatus(client, created, status, what) {
  return until(async () => {
    const st = await Promise.all(created.map((m) => client.messages(m.sid).fetch()));
    return st.every((m) => m.status === status);
  }, what);
}

// A describe block `title` with one test `testTitle` on a server whose
// store fails while its flag file exists: body({server, peer, flag}) runs
// with an SMSC peer `peerName`; the flag is removed and the peer stopped
// after, whatever happened.
function fullDiskTest(title, suffix, peerName, testTitle, body) {
  describe(title, () => {
    const flag = path.join(os.tmpdir(), `pipit-enospc-${process.pid}-${Date.now()}-${suffix}`);
    const ctx = fullDiskServer(flag);

    it(testTitle, { timeout: 120_000 }, async () => {
      const peer = await SmscPeer.start({ systemId: 'pipit-full', password: 'pw-full', name: peerName });
      try {
        await body({ server: ctx.server, peer, flag });
      } finally {
        fs.rmSync(flag, { force: true });
        await peer.stop();
      }
    });
  });
}

fullDiskTest('a full disk while receipts arrive', 'a', 'full-smsc',
  'holds the receipts, answers 503, logs once, and every message ends delivered', async ({ server, peer, flag }) => {
    const { acct, client, created, submits, post } = await sentMessages(server, peer, N);

    // ---- The disk is full.
    fs.writeFileSync(flag, '');
    for (let i = 0; i < REFUSED_POSTS; i++) {
      const r = await post();
      assert.equal(r.status, 503, `POST during the failure: ${r.text}`);
      assert.equal(r.json?.status, 503);
      assert.equal(r.json?.code, 20503);
      assert.equal(r.json?.more_info, 'https://www.twilio.com/docs/errors/20503');
      assert.match(r.json?.message ?? '', /try again/i);
    }
    // A write that carries an audit event (an API key) fails the same way.
    const key = await server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Keys.json`, {
      auth: [acct.sid, acct.auth_token], form: { FriendlyName: 'no room' },
    });
    assert.equal(key.status, 503, `key create during the failure: ${key.text}`);
    assert.equal(key.json?.code, 20503);
    // Reads still work.
    assert.equal((await client.messages(created[0].sid).fetch()).status, 'sent');

    // The receipts arrive now; the peer never resends one (its retries ran out).
    const answers = await receiptsDuringFailure(peer, submits, post);

    // ---- The space returns.
    fs.rmSync(flag);
    const resps = await Promise.all(answers);
    assert.deepEqual(resps.map((r) => r.status), resps.map(() => 0),
      'every receipt is acknowledged (ESME_ROK) once it is recorded, none refused');
    await allInStatus(client, created, 'delivered', `all ${N} messages delivered`);
    assert.equal((await post()).status, 201, 'writes work again');

    const lines = server.stderrLines;
    assert.equal(lines.filter((l) => /writes are failing/.test(l)).length, 1,
      `one line when writes start failing:\n${server.stderrTail()}`);
    assert.equal(lines.filter((l) => /writes succeed again/.test(l)).length, 1,
      `one line when they recover:\n${server.stderrTail()}`);
    assert.deepEqual(lines.filter((l) => /disk is full|batch of \d+ writes failed|audit append failed|POST .*PP_ERR/.test(l)), [],
      'no line per request or per write');
  });

fullDiskTest('a full disk: stopping while receipts are held', 'b', 'full-smsc-b',
  'SIGTERM answers the held receipts with a temporary error and exits 0', async ({ server, peer, flag }) => {
    const { submits, post } = await sentMessages(server, peer, 5);
    fs.writeFileSync(flag, '');
    const answers = await receiptsDuringFailure(peer, submits, post);
    const status = await server.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `exit status:\n${server.stderrTail()}`);
    const resps = await Promise.all(answers);
    // ESME_RX_T_APPN: the SMSC keeps the receipt and delivers it again.
    assert.deepEqual(resps.map((r) => r.status), resps.map(() => 0x64));
  });

fullDiskTest('a full disk: receipts the SMSC dropped meanwhile', 'c', 'full-smsc-c',
  'are asked for with query_sm when the space returns', async ({ server, peer, flag }) => {
    const M = 10;
    const { acct, client, created, submits, post } = await sentMessages(server, peer, M);
    fs.writeFileSync(flag, '');
    // Half the receipts reach pipit (and are held); the SMSC gives up on
    // the other half before it could hand them over, but still knows the
    // messages were delivered.
    const held = await receiptsDuringFailure(peer, submits.slice(0, M / 2), post);
    for (const sm of submits) peer.messageStates.set(sm.messageId, 'DELIVRD');
    fs.rmSync(flag);
    assert.deepEqual((await Promise.all(held)).map((r) => r.status), held.map(() => 0));
    await allInStatus(client, created, 'delivered', `all ${M} messages delivered`);
    const asked = new Set(peer.queries.map((q) => q.messageId));
    for (const sm of submits.slice(M / 2)) assert.ok(asked.has(sm.messageId), `query_sm for ${sm.messageId}`);
    for (const q of peer.queries) assert.equal(q.sourceAddr, acct.from.replace(/^\+/, ''));
  });

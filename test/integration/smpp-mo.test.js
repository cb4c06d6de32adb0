// Concatenated inbound (MO) messages against the npm `smpp` package as the
// SMSC: parts joined from sar_* TLVs, and parts acknowledged before a
// SIGKILL still joined with the rest after the restart (the store keeps
// each part before its deliver_sm_resp leaves).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PipitServer, waitForInbound } from './harness.js';
import { SmscPeer } from './smsc-peer.js';

const SYSTEM_ID = 'pipit-mo';
const PASSWORD = 'mo-pw';
const HANDSET = '+15557650001';

async function setUp(server, peer) {
  await server.addCarrier('mo-carrier', peer, { args: ['--bind', 'trx'] });
  const acct = await server.createAccount('MO Account');
  return { acct, client: server.client(acct.sid, acct.auth_token) };
}

// The inbound messages to `to` whose body is `body`, once there is one, and
// every message to `to` then.
async function inbound(client, to, body) {
  const hits = await waitForInbound(client, to, body, { timeoutMs: 15_000 });
  return { hits, list: await client.messages.list({ to, pageSize: 200 }) };
}

describe('concatenated inbound messages', () => {
  it('parts carried in sar_* TLVs are joined in order', { timeout: 60_000 }, async () => {
    const peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'mo-sar' });
    const server = await PipitServer.start();
    try {
      const { acct, client } = await setUp(server, peer);
      await peer.waitForBind({ timeoutMs: 20_000 });
      const text = `SAR ${Date.now()} ${'s'.repeat(300)} end`;
      const resps = await peer.injectMo({ from: HANDSET, to: acct.from, text, sar: true, order: 'reverse' });
      assert.equal(resps.length, 3);
      assert.deepEqual(resps.map((r) => r.status), [0, 0, 0]);
      const { hits, list } = await inbound(client, acct.from, text);
      assert.equal(hits.length, 1);
      assert.equal(hits[0].numSegments, '3');
      assert.equal(hits[0].direction, 'inbound');
      assert.equal(list.length, 1, 'no message per part');
    } finally {
      await server.stop();
      await peer.stop();
    }
  });

  it('parts acknowledged before a SIGKILL are joined with the rest after the restart', { timeout: 90_000 }, async () => {
    const peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'mo-crash' });
    const first = await PipitServer.start();
    let server = first;
    const { dataDir } = server;
    try {
      const { acct } = await setUp(server, peer);
      await peer.waitForBind({ timeoutMs: 20_000 });
      const text = `Crash ${Date.now()} ${'c'.repeat(420)} end`;
      const ref = 77;
      const first = await peer.injectMo({ from: HANDSET, to: acct.from, text, ref, parts: [1, 3] });
      assert.deepEqual(first.map((r) => r.status), [0, 0], 'parts 1 and 3 acknowledged');

      await server.kill();
      server = await PipitServer.start({ dataDir });
      await peer.waitForBind({ count: 2, timeoutMs: 30_000 });
      const client = server.client(acct.sid, acct.auth_token);
      const rest = await peer.injectMo({ from: HANDSET, to: acct.from, text, ref, parts: [2] });
      assert.deepEqual(rest.map((r) => r.status), [0]);
      const { hits, list } = await inbound(client, acct.from, text);
      assert.equal(hits.length, 1, 'one message');
      assert.equal(hits[0].numSegments, '3');
      assert.equal(list.length, 1, 'no partial message');
    } finally {
      await server.stop();
      await first.removeDataDir();
      await peer.stop();
    }
  });
});

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
const FLAG = path.join(os.tmpdir(), `pipit-enospc-${process.pid}-${Date.now()}`);
const N = 20;
const REFUSED_POSTS = 5;

describe('a full disk while receipts arrive', () => {
  const ctx = useServer({
    env: {
      LD_PRELOAD: ENOSPC_LIB,
      PIPIT_TEST_ENOSPC: FLAG,
      // The preloaded library comes before the ASan runtime (harmless here).
      ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:verify_asan_link_order=0`,
    },
  });

  it('holds the receipts, answers 503, logs once, and every message ends delivered', { timeout: 120_000 }, async () => {
    assert.ok(fs.existsSync(ENOSPC_LIB), `build ${ENOSPC_LIB} (target pp_test_enospc)`);
    const server = ctx.server;
    const peer = await SmscPeer.start({ systemId: 'pipit-full', password: 'pw-full', name: 'full-smsc' });
    try {
      // The route first: the carrier's bind then proves both are loaded.
      await server.admin('route', 'add', '--prefix', '+1', '--carrier', 'full-carrier');
      await server.admin('carrier', 'add', 'full-carrier', '--smpp', peer.address,
        '--system-id', 'pipit-full', '--password', 'pw-full', '--bind', 'trx');
      const acct = await server.createAccount('Store Full');
      const client = server.client(acct.sid, acct.auth_token);
      await peer.waitForBind({ timeoutMs: 20_000 });

      const created = [];
      for (let i = 0; i < N; i++) {
        created.push(await client.messages.create({ to: TO, from: acct.from, body: `full-${i}` }));
      }
      const submits = await peer.waitForSubmits(N, { timeoutMs: 20_000 });
      await until(async () => {
        const st = await Promise.all(created.map((m) => client.messages(m.sid).fetch()));
        return st.every((m) => m.status === 'sent');
      }, `${N} messages sent`);

      // ---- The disk is full.
      fs.writeFileSync(FLAG, '');
      const msgPath = `/2010-04-01/Accounts/${acct.sid}/Messages.json`;
      const post = () => server.raw('POST', msgPath, {
        auth: [acct.sid, acct.auth_token], form: { To: TO, From: acct.from, Body: 'no room' },
      });
      for (let i = 0; i < REFUSED_POSTS; i++) {
        const r = await post();
        assert.equal(r.status, 503, `POST during the failure: ${r.text}`);
        assert.equal(r.json?.status, 503);
        assert.equal(r.json?.code, 20503);
        assert.equal(r.json?.more_info, 'https://www.twilio.com/docs/errors/20503');
        assert.match(r.json?.message ?? '', /try again/i);
      }
      // Reads still work.
      assert.equal((await client.messages(created[0].sid).fetch()).status, 'sent');

      // The receipts arrive now; the peer never resends one (its retries ran out).
      const answers = submits.map((s) => peer.sendReceipt(s, { stat: 'DELIVRD', timeoutMs: 60_000 }));
      // Barrier: once pipit answers this enquire_link it has read every
      // receipt, and the next write it refuses comes after theirs in the
      // store's queue, so each receipt's own write has failed by then.
      await peer.ping();
      assert.equal((await post()).status, 503);

      // ---- The space returns.
      fs.rmSync(FLAG);
      const resps = await Promise.all(answers);
      assert.deepEqual(resps.map((r) => r.status), resps.map(() => 0),
        'every receipt is acknowledged (ESME_ROK) once it is recorded, none refused');
      await until(async () => {
        const st = await Promise.all(created.map((m) => client.messages(m.sid).fetch()));
        return st.every((m) => m.status === 'delivered');
      }, `all ${N} messages delivered`);
      assert.equal((await post()).status, 201, 'writes work again');

      const lines = server.stderrLines;
      assert.equal(lines.filter((l) => /writes are failing/.test(l)).length, 1,
        `one line when writes start failing:\n${server.stderrTail()}`);
      assert.equal(lines.filter((l) => /writes succeed again/.test(l)).length, 1,
        `one line when they recover:\n${server.stderrTail()}`);
      assert.deepEqual(lines.filter((l) => /disk is full|batch of \d+ writes failed|POST .*PP_ERR/.test(l)), [],
        'no line per request or per write');
    } finally {
      fs.rmSync(FLAG, { force: true });
      await peer.stop();
    }
  });
});

// Issue 11 item 9: receipts and message ids.
// - An SMSC that answers two submits with the same message_id: both
//   messages are kept, a receipt for the id goes to the newest message still
//   waiting for one, the next to the other, and the collision is logged.
//   (Before, the second part replaced the first, which stayed `sent`.)
// - Receipts that arrive before any submit has their id (an SMSC that sends
//   receipts for unknown ids) wait in early_receipts, which keeps only the
//   newest --early-receipts-max of them (before, every one stayed for good).
//   Whether an early receipt was kept shows when a later submit gets its id:
//   the receipt is applied in the same transaction that records the submit,
//   so the message is `delivered` at once if it was kept and `sent` if not.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, pollUntil, TO } from './harness.js';
import { SmscPeer } from './smsc-peer.js';

const EARLY_MAX = 5;

describe('SMPP message ids: reused ids and receipts for unknown ids', () => {
  const ctx = useServer({ extraArgs: ['--early-receipts-max', String(EARLY_MAX)] });
  let peer; let client; let acct;

  before(async () => {
    peer = await SmscPeer.start({ systemId: 'pipit-ids', password: 'pw-ids', name: 'ids-smsc' });
    await ctx.server.addCarrier('ids-carrier', peer, { args: ['--bind', 'trx'] });
    acct = await ctx.server.createAccount('SMPP ids');
    client = ctx.server.client(acct.sid, acct.auth_token);
    await peer.waitForBind({ timeoutMs: 20_000 });
  }, { timeout: 60_000 });
  after(async () => { await peer?.stop(); });

  const fetchStatus = async (sid) => (await client.messages(sid).fetch()).status;
  // Creates a message and waits until the SMSC's answer is recorded.
  async function submitted(body) {
    const m = await client.messages.create({ to: TO, from: acct.from, body });
    return pollUntil(async () => {
      const st = await fetchStatus(m.sid);
      return st !== 'queued' && st !== 'sending' ? { sid: m.sid, status: st } : null;
    }, `${body} submitted`);
  }

  it('two submits answered with the same message_id both reach their final state', { timeout: 60_000 }, async () => {
    const id = `dup${Date.now().toString(16)}`;
    peer.answerNextWith(id, id);
    const a = await submitted('reused id, first');
    const b = await submitted('reused id, second');
    assert.equal(a.status, 'sent');
    assert.equal(b.status, 'sent');
    assert.equal(peer.submits.filter((s) => s.messageId === id).length, 2);

    assert.equal((await peer.sendReceipt(id, { stat: 'DELIVRD' })).status, 0);
    await pollUntil(async () => (await fetchStatus(b.sid)) === 'delivered', 'the newest message delivered');
    assert.equal(await fetchStatus(a.sid), 'sent', 'the first receipt went to the newest message only');

    assert.equal((await peer.sendReceipt(id, { stat: 'UNDELIV' })).status, 0);
    await pollUntil(async () => (await fetchStatus(a.sid)) === 'undelivered',
      'the earlier message undelivered by the second receipt');
    assert.equal(await fetchStatus(b.sid), 'delivered');

    const lines = ctx.server.stderrLines.filter((l) => /had given to a message still waiting/.test(l));
    assert.equal(lines.length, 1, `one collision logged:\n${ctx.server.stderrTail()}`);
    assert.match(lines[0], /ids-carrier/);
  });

  it(`receipts for unknown ids: only the newest ${EARLY_MAX} wait for their submit`, { timeout: 60_000 }, async () => {
    const tag = Date.now().toString(16);
    const ids = Array.from({ length: EARLY_MAX + 1 }, (_, i) => `early${tag}x${i}`);
    for (const id of ids) assert.equal((await peer.sendReceipt(id, { stat: 'DELIVRD' })).status, 0);
    // The oldest was dropped when the table went over its bound; the newest kept.
    peer.answerNextWith(ids[0], ids[EARLY_MAX]);
    const oldest = await submitted('id of the oldest early receipt');
    const newest = await submitted('id of the newest early receipt');
    assert.equal(oldest.status, 'sent', 'the oldest early receipt was dropped');
    assert.equal(newest.status, 'delivered', 'the newest early receipt was kept and applied');
  });
});

// Fault test (issue 3, "what it must show" #2): the SMSC stops and comes
// back in the middle of 1,000 messages.  Afterwards every message that was
// created (HTTP 201) has been submitted and reached a final status; none is
// lost, and a message was submitted twice only when the SMSC never answered
// its first submit_sm (the duplicates are counted and reported).
//
// The scenario:
// 1. SMSC A (smsc-peer.js, automatic DELIVRD receipts, message ids "a…")
//    is the only carrier; pipit runs with --enquire-link-ms 500.
// 2. 1,000 messages ("fault-0001" … "fault-1000") are created through the
//    twilio SDK, 20 at a time.
// 3. When A has answered about 300 submit_sm, it stops answering (the SMSC
//    hangs): the submits that arrive from then on are recorded but never
//    answered.  When pipit's window is full of them, A dies: its listener
//    closes and every connection is destroyed, so those submits stay in
//    flight for good.
//    Why wait for a full window: a submit_sm_resp that A wrote just before
//    dying may never leave A's kernel (the reset discards unsent data), and
//    then pipit rightly treats the submit as unanswered, but from here that
//    looks exactly like an answer pipit got and ignored.  With the window
//    (WINDOW, set on the carrier) full of unanswered submits, pipit has
//    provably taken in every answer A gave: each answer it had not read
//    would still occupy a slot.  So "answered by A" is exact, and any
//    resubmission of such a message is a server fault.
// 4. SMSC B starts on the same port (its own message ids, "b…", automatic
//    receipts).  Like a real SMSC that keeps the receipts it could not hand
//    over, it sends the receipts of A's accepted messages that pipit had not
//    acknowledged before A died.
// 5. The test waits (polling with a deadline) until every created message
//    is final, then checks the bookkeeping of both SMSCs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { useServer, TO } from './harness.js';
import { SmscPeer } from './smsc-peer.js';

const SYSTEM_ID = 'pipit-flt';
const PASSWORD = 'pw-flt';
const TOTAL = 1000;
const CONCURRENCY = 20;
const STOP_AFTER = 300;     // submit_sm answered by A before it hangs
const WINDOW = 20;          // the carrier's window: outstanding submit_sm per bind
const FINAL = new Set(['delivered', 'undelivered', 'failed']);

const bodyOf = (i) => `fault-${String(i + 1).padStart(4, '0')}`;

describe('SMPP fault: the SMSC dies and comes back during 1,000 messages', () => {
  const ctx = useServer({ extraArgs: ['--enquire-link-ms', '500'] });

  it('every created message is submitted and final; duplicates only for submits A never answered',
    { timeout: 110_000 }, async (t) => {
      const server = ctx.server;
      const t0 = Date.now();
      const ms = () => `${Date.now() - t0} ms`;
      let peerA; let peerB;
      try {
        peerA = await SmscPeer.start({
          systemId: SYSTEM_ID, password: PASSWORD, name: 'fault-smsc-a', messageIdPrefix: 'a',
          autoReceipt: { stat: 'DELIVRD' },
        });
        await server.addCarrier('fault-carrier', peerA, { args: ['--bind', 'trx', '--window', String(WINDOW)] });
        const acct = await server.createAccount('SMPP Fault');
        const client = server.client(acct.sid, acct.auth_token);
        await peerA.waitForBind({ timeoutMs: 20_000 });

        // ---- A hangs after STOP_AFTER answers; what it gets afterwards is held.
        const heldByA = [];
        peerA.on('held', (rec) => heldByA.push(rec));
        let hungAt = null;
        const onChange = () => {
          if (hungAt === null && peerA.submits.length >= STOP_AFTER) {
            peerA.holdSubmits = true;
            hungAt = Date.now();
          }
        };
        peerA.on('change', onChange);

        // ---- 1,000 creates, CONCURRENCY at a time, running throughout.
        const created = [];        // {i, body, sid}
        const createFailures = []; // {i, body, error}
        let next = 0;
        const worker = async () => {
          for (;;) {
            const i = next++;
            if (i >= TOTAL) return;
            const body = bodyOf(i);
            try {
              const m = await client.messages.create({ to: TO, from: acct.from, body });
              created.push({ i, body, sid: m.sid });
            } catch (e) {
              createFailures.push({ i, body, error: `${e.status ?? ''} ${e.code ?? ''} ${e.message}`.trim() });
            }
          }
        };
        const creating = Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => Date.now() - t0);

        // ---- Wait for the hang, then for a full window in flight, then kill A.
        await peerA.waitFor(() => hungAt !== null,
          { timeoutMs: 60_000, what: `${STOP_AFTER} answered submit_sm` });
        await peerA.waitFor(() => heldByA.length >= WINDOW,
          { timeoutMs: 20_000, what: `a full window (${WINDOW}) of submit_sm held unanswered after the hang` });
        // Every answer A gave has left its process (nothing buffered in the
        // sockets): an "answered" submit really was answered.
        const unflushed = [...peerA.sessions].map((s) => s.socket.writableLength);
        const createdAtStop = created.length;
        const killedAt = Date.now();
        await peerA.stop(); // closes the listener, destroys every connection
        peerA.off('change', onChange);
        assert.deepEqual(unflushed.filter((n) => n > 0), [],
          `bytes still buffered in A's sockets when it died: ${unflushed}`);
        const answeredByA = peerA.submits.slice();
        const unansweredByA = heldByA.slice();
        const ackedReceipts = new Set(peerA.deliverResps
          .filter((r) => r.kind === 'receipt' && r.status === 0)
          .map((r) => r.request?.fields?.receipted_message_id));
        const receiptsOwed = answeredByA.filter((s) => !ackedReceipts.has(s.messageId));

        // ---- B on the same port.
        peerB = await SmscPeer.start({
          systemId: SYSTEM_ID, password: PASSWORD, name: 'fault-smsc-b', messageIdPrefix: 'b',
          autoReceipt: { stat: 'DELIVRD', retries: 5, retryDelayMs: 500 }, port: peerA.port,
        });
        const restartedAt = Date.now();
        await peerB.waitForBind({ timeoutMs: 30_000 });
        const reboundAt = Date.now();
        // The receipts A owed (the SMSC's store survives its restart).
        const redelivered = [];
        for (const s of receiptsOwed) {
          let resp;
          for (let attempt = 0; attempt < 5; attempt++) {
            resp = await peerB.sendReceipt(s, { stat: 'DELIVRD' });
            if (resp.status === 0) break;
            await delay(500); // an SMSC's redelivery interval after an error answer
          }
          assert.equal(resp.status, 0, `deliver_sm_resp for A's receipt ${s.messageId} (${s.text})`);
          redelivered.push(s.messageId);
        }

        const createMs = await creating;
        t.diagnostic(`created ${created.length}/${TOTAL} in ${createMs} ms (${createdAtStop} when A died), ` +
          `${createFailures.length} create failures`);
        if (createFailures.length) {
          t.diagnostic(`create failures (first 5): ${JSON.stringify(createFailures.slice(0, 5))}`);
        }

        // ---- Wait until every created message is final.
        const finalDeadline = Date.now() + 60_000;
        let bySid;
        let pending;
        for (;;) {
          const list = await client.messages.list({ from: acct.from, pageSize: 1000 });
          bySid = new Map(list.map((m) => [m.sid, m]));
          pending = created.filter((c) => !FINAL.has(bySid.get(c.sid)?.status));
          if (pending.length === 0) break;
          if (Date.now() > finalDeadline) break;
          await delay(500);
        }
        const finalAt = Date.now();

        // ---- Bookkeeping across both SMSCs.
        // body -> receptions, in time order: {peer, answered, time, messageId}
        const receptions = new Map();
        const add = (peer, rec, answered) => {
          if (!receptions.has(rec.text)) receptions.set(rec.text, []);
          receptions.get(rec.text).push({ peer, answered, time: rec.time, messageId: rec.messageId ?? null });
        };
        answeredByA.forEach((r) => add('A', r, true));
        unansweredByA.forEach((r) => add('A', r, false));
        peerB.submits.forEach((r) => add('B', r, true));
        peerB.held.forEach((r) => add('B', r.rec, false));
        for (const list of receptions.values()) list.sort((x, y) => x.time - y.time);

        const statusCounts = {};
        for (const c of created) {
          const s = bySid.get(c.sid)?.status ?? '(missing)';
          statusCounts[s] = (statusCounts[s] ?? 0) + 1;
        }
        const unansweredBodies = new Set(unansweredByA.map((r) => r.text));
        const duplicated = [...receptions].filter(([, l]) => l.length > 1);
        // Allowed: earlier tries all unanswered by A, the last one answered.
        const badDuplicates = duplicated.filter(([, l]) => !l.at(-1).answered ||
          l.slice(0, -1).some((x) => x.answered || x.peer !== 'A'));
        const createdBodies = new Set(created.map((c) => c.body));
        const failedBodies = new Set(createFailures.map((f) => f.body));
        const neverReached = created.filter((c) => !receptions.has(c.body));
        const neverAccepted = created.filter((c) => receptions.has(c.body) && !receptions.get(c.body).some((x) => x.answered));
        const strangers = [...receptions.keys()].filter((b) => !createdBodies.has(b));

        t.diagnostic(`A: ${answeredByA.length} submit_sm answered before it hung; ` +
          `${unansweredByA.length} received and never answered when it died ` +
          `(${killedAt - hungAt} ms after the hang, at ${killedAt - t0} ms)`);
        t.diagnostic(`A's receipts: ${answeredByA.length - receiptsOwed.length} acknowledged before it died, ` +
          `${redelivered.length} redelivered by B`);
        t.diagnostic(`B: listening ${restartedAt - killedAt} ms after A died, bound after ${reboundAt - restartedAt} ms; ` +
          `${peerB.submits.length} submit_sm answered, ${peerB.binds.filter((b) => b.ok).length} bind(s)`);
        t.diagnostic(`submitted: ${receptions.size} distinct bodies, ` +
          `${[...receptions.values()].reduce((n, l) => n + l.length, 0)} submit_sm in all`);
        t.diagnostic(`duplicates: ${duplicated.length} bodies submitted more than once ` +
          `(${duplicated.filter(([b]) => unansweredBodies.has(b)).length} of them unanswered by A; ` +
          `${unansweredBodies.size} bodies unanswered by A in all)`);
        t.diagnostic(`final statuses (${finalAt - t0} ms): ${JSON.stringify(statusCounts)}`);
        if (duplicated.length) {
          t.diagnostic(`duplicated (first 10): ${duplicated.slice(0, 10)
            .map(([b, l]) => `${b}: ${l.map((x) => `${x.peer}${x.answered ? `:${x.messageId}` : ':unanswered'}`).join(' → ')}`).join('; ')}`);
        }

        // (a) every created SID exists and is final.
        const missing = created.filter((c) => !bySid.has(c.sid));
        assert.deepEqual(missing.map((c) => `${c.sid} ${c.body}`), [], 'created messages missing from messages.list()');
        assert.deepEqual(pending.map((c) => `${c.sid} ${c.body}: ${bySid.get(c.sid)?.status}`), [],
          `messages not final within 60 s of the last create:\n${server.stderrTail(30)}`);
        assert.equal(new Set(created.map((c) => c.sid)).size, created.length, 'distinct SIDs');
        for (const c of created) {
          assert.equal(bySid.get(c.sid).body, c.body, `${c.sid} keeps its body`);
        }
        // Every submit was accepted and every receipt said DELIVRD.
        assert.deepEqual(statusCounts, { delivered: created.length }, 'every message delivered');
        // (b) every body reached an SMSC, and one of them accepted it.
        assert.deepEqual(neverReached.map((c) => c.body), [], 'bodies that never reached an SMSC (lost)');
        assert.deepEqual(neverAccepted.map((c) => c.body), [], 'bodies no SMSC ever answered');
        assert.deepEqual(strangers.filter((b) => !failedBodies.has(b)), [], 'bodies the SMSCs got that were never created');
        // (c) a body went out again only after A left its submit unanswered:
        // answered exactly once, last; every earlier try unanswered, by A.
        assert.deepEqual(badDuplicates.map(([b, l]) => `${b}: ${l.map((x) => `${x.peer}:${x.answered ? x.messageId : 'unanswered'}@${x.time - t0}ms`).join(' → ')}`), [],
          'a submit that an SMSC answered was sent again');
        for (const [b] of duplicated) assert.ok(unansweredBodies.has(b), `${b} duplicated but A answered its first submit`);
        for (const [b, l] of receptions) {
          assert.equal(l.filter((x) => x.answered).length, 1, `${b}: answered exactly once (${JSON.stringify(l)})`);
        }
        assert.equal(unansweredByA.length, WINDOW, 'the fault left a full window of submits in flight');
        assert.ok(peerB.submits.length > 0, 'B got the rest');
        t.diagnostic(`total ${ms()}`);
      } finally {
        await peerA?.stop();
        await peerB?.stop();
      }
    });
});

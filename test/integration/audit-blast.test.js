// Blast radius (DESIGN.md rule 7): "what did principal X touch between T1
// and T2?" answered by `pipit audit blast-radius` from the audit log's
// indexes.  A scripted intruder, one API key of a main account, reads the
// messages of three of its subaccounts among normal traffic from 50 other
// principals (ten main accounts reading their own subaccounts, forty
// subaccounts sending and reading their own messages); the report names
// exactly those three accounts and exactly the messages the intruder was
// shown, by principal, by session and within a time window.
//
// When Verify lands, the intruder also registers a factor on an entity of
// one of those subaccounts: add that step below (marked) and expect its
// factor in `factors_registered` (the event kind verify.factor_registered
// and the report's field exist already).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, TO } from './harness.js';
import { pipit } from './audit-tools.js';

describe('audit log: blast radius', () => {
  const ctx = useServer();
  const mains = []; // {acct, client, subs: [{sid, auth_token, client, from, sent: []}]}
  let intruder; // {key, client}
  const shown = new Set(); // message SIDs the intruder got
  let t0; let t1;

  const blast = async (...args) => {
    const r = await pipit('audit', '--data', ctx.server.dataDir, 'blast-radius', ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const blastJson = async (...args) => JSON.parse(await blast(...args, '--json'));

  before(async () => {
    for (let m = 0; m < 10; m++) {
      const acct = await ctx.server.createAccount(`Blast main ${m}`);
      const client = ctx.server.client(acct.sid, acct.auth_token);
      const subs = await Promise.all([0, 1, 2, 3].map(async (k) => {
        const s = await client.api.v2010.accounts.create({ friendlyName: `Blast sub ${m}.${k}` });
        const subClient = ctx.server.client(s.sid, s.authToken);
        const from = `+1598${String(m * 10 + k).padStart(7, '0')}`;
        await subClient.incomingPhoneNumbers.create({ phoneNumber: from });
        return { sid: s.sid, auth_token: s.authToken, client: subClient, from, sent: [] };
      }));
      mains.push({ acct, client, subs });
    }
    const m0 = mains[0];
    const key = await m0.client.api.v2010.accounts(m0.acct.sid).newKeys.create({ friendlyName: 'ci' });
    intruder = { key, client: ctx.server.client(key.sid, key.secret, { accountSid: m0.acct.sid }) };
  }, { timeout: 120_000 });

  // One round of normal traffic: every subaccount sends and reads its own
  // messages; every main account reads two of its subaccounts.
  async function normalRound(round) {
    await Promise.all(mains.flatMap((m) => m.subs.map(async (s) => {
      const msg = await s.client.messages.create({ to: TO, from: s.from, body: `round ${round}` });
      s.sent.push(msg.sid);
      await s.client.messages.list({ limit: 5 });
    })));
    await Promise.all(mains.map(async (m, i) => {
      for (const s of [m.subs[(round + i) % 4], m.subs[(round + i + 1) % 4]]) {
        await m.client.api.v2010.accounts(s.sid).messages.list({ limit: 20 });
      }
    }));
  }

  it('an intruder reads three subaccounts among normal traffic', async () => {
    await normalRound(0);
    await normalRound(1);
    t0 = Date.now();
    const [s0, s1, s2] = mains[0].subs;
    const api = intruder.client.api.v2010;
    for (const m of await api.accounts(s0.sid).messages.list()) shown.add(m.sid);
    await normalRound(2);
    for (const sid of s1.sent.slice(0, 2)) shown.add((await api.accounts(s1.sid).messages(sid).fetch()).sid);
    await normalRound(3);
    for (const m of await api.accounts(s2.sid).messages.list({ pageSize: 2, limit: 2 })) shown.add(m.sid);
    // Another main account's subaccount is out of its reach: nothing read.
    await assert.rejects(api.accounts(mains[1].subs[0].sid).messages.list());
    // (Verify: register a factor on an entity of s0 here.)
    t1 = Date.now();
    await normalRound(4);
    assert.equal(shown.size, 2 + 2 + 2); // s0 had sent 2 when read; 2 fetched; a page of 2
  });

  it('the report names exactly those accounts and messages', async () => {
    const r = await blastJson('--principal', intruder.key.sid);
    const three = mains[0].subs.slice(0, 3).map((s) => s.sid).sort();
    assert.deepEqual(r.accounts.sids, three);
    assert.deepEqual(r.subaccounts.sids, three);
    for (const sid of three) assert.equal(r.accounts.owners[sid], mains[0].acct.sid);
    assert.deepEqual(r.messages.sids, [...shown].sort());
    assert.equal(r.messages.count, shown.size);
    assert.equal(r.phone_numbers.count, 0);
    assert.equal(r.factors_registered.count, 0); // Verify: the factor, once it lands
    assert.deepEqual(r.principals.sids, [intruder.key.sid]);
    assert.equal(r.sessions.count, 1);
    assert.deepEqual(r.source_ips.sids, ['127.0.0.1']);
    assert.ok(r.event_types.includes('content.read'));
    assert.ok(r.event_types.includes('auth.success'));
  });

  it('the same by its session, and within the time window only', async () => {
    const bySession = await blastJson('--principal', intruder.key.sid);
    const s = await blastJson('--session', bySession.sessions.sids[0]);
    assert.deepEqual(s.accounts.sids, bySession.accounts.sids);
    assert.deepEqual(s.messages.sids, bySession.messages.sids);
    const since = new Date(t0 - 1).toISOString();
    const until = new Date(t1 + 1).toISOString();
    const inWindow = await blastJson('--principal', intruder.key.sid, '--since', since, '--until', until);
    assert.deepEqual(inWindow.messages.sids, [...shown].sort());
    const before = await blastJson('--principal', intruder.key.sid, '--until', new Date(t0 - 1).toISOString());
    assert.equal(before.messages.count, 0);
    assert.equal(before.accounts.count, 0);
  });

  it('other principals\' reads are theirs, and an address gives them all', async () => {
    const main0 = await blastJson('--principal', mains[0].acct.sid);
    assert.ok(main0.accounts.sids.includes(mains[0].subs[3].sid), 'the owner read its fourth subaccount');
    assert.ok(!main0.principals.sids.includes(intruder.key.sid));
    const ip = await blastJson('--source-ip', '127.0.0.1');
    for (const sid of shown) assert.ok(ip.messages.sids.includes(sid));
    assert.equal(ip.principals.count, 1 + 10 + 40, 'the intruder and 50 others');
  });

  it('prints a table', async () => {
    const out = await blast('--principal', intruder.key.sid);
    assert.match(out, /^blast radius of principal SK[0-9a-f]{32}/m);
    for (const s of mains[0].subs.slice(0, 3)) {
      assert.match(out, new RegExp(`${s.sid} \\(subaccount of ${mains[0].acct.sid}\\)`));
    }
    assert.match(out, new RegExp(`^messages\\s+${shown.size} `, 'm'));
  });
});

// Blast radius (DESIGN.md rule 7): "what did principal X touch between T1
// and T2?" answered by `pipit audit blast-radius` from the audit log's
// indexes.  A scripted intruder, one API key of a main account, reads the
// messages of three of its subaccounts among normal traffic from 50 other
// principals (ten main accounts reading their own subaccounts, forty
// subaccounts sending and reading their own messages); the report names
// exactly those three accounts and exactly the messages the intruder was
// shown, by principal, by session and within a time window.
//
//
// The intruder also adds a device to a user of its account's Verify service
// (the 2022 incident's Authy devices): it registers a TOTP factor on an
// entity that has a verified factor and proves it, which leaves the factor
// waiting for the user's approval (DESIGN.md rule 5).  Meanwhile every main
// account registers and verifies factors for its own users.  The report
// names exactly the intruder's factor as registered, the user's entity and
// the enrollment challenge.  (Verify acts in the credential's own account,
// so the factor is in the main account's service, not a subaccount's.)
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { useServer, TO } from './harness.js';
import { pipit } from './audit-tools.js';
import { leafHash, verifyInclusion, parseVerifierKey, openCheckpoint, parseLeaf } from './audit-verifier.js';

const totpCode = (f) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(f.binding.secret) }).generate();

describe('audit log: blast radius', () => {
  const ctx = useServer();
  const mains = []; // {acct, client, verify, subs: [{sid, auth_token, client, from, sent: []}]}
  let intruder; // {key, client}
  const shown = new Set(); // message SIDs the intruder got
  const usersFactors = []; // factors the main accounts registered for their users
  let rogue; // the intruder's factor
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
        await ctx.server.offerNumbers(from, s.sid);
        await subClient.incomingPhoneNumbers.create({ phoneNumber: from });
        return { sid: s.sid, auth_token: s.authToken, client: subClient, from, sent: [] };
      }));
      const verify = await client.verify.v2.services.create({ friendlyName: `Blast app ${m}` });
      mains.push({ acct, client, verify, subs });
    }
    const m0 = mains[0];
    const key = await m0.client.api.v2010.accounts(m0.acct.sid).newKeys.create({ friendlyName: 'ci' });
    intruder = { key, client: ctx.server.client(key.sid, key.secret, { accountSid: m0.acct.sid }) };
  }, { timeout: 300_000 });

  // One round of normal traffic: every subaccount sends and reads its own
  // messages; every main account reads two of its subaccounts and registers
  // and verifies a factor for a user of its Verify service.
  async function normalRound(round) {
    await Promise.all(mains.map(async (m) => {
      const user = m.client.verify.v2.services(m.verify.sid).entities(`user-${round}`);
      const f = await user.newFactors.create({ friendlyName: `phone ${round}`, factorType: 'totp' });
      assert.equal((await user.factors(f.sid).update({ authPayload: totpCode(f) })).status, 'verified');
      usersFactors.push(f.sid);
    }));
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
    // A device of its own on the first user of the account's Verify service.
    const victim = intruder.client.verify.v2.services(mains[0].verify.sid).entities('user-0');
    rogue = await victim.newFactors.create({ friendlyName: 'iPhone', factorType: 'totp' });
    const proven = await victim.factors(rogue.sid).update({ authPayload: totpCode(rogue) });
    assert.equal(proven.status, 'unverified', 'the user has a factor: the new one waits for approval');
    t1 = Date.now();
    await normalRound(4);
    assert.equal(shown.size, 2 + 2 + 2); // s0 had sent 2 when read; 2 fetched; a page of 2
  });

  // What the intruder's factor touched: the factor, the user's entity and
  // factor (asked to approve it by the enrollment challenge), the service.
  async function rogueTouched() {
    const m0 = mains[0];
    const user = m0.client.verify.v2.services(m0.verify.sid).entities('user-0');
    const ch = (await user.challenges.list()).find((c) => c.hiddenDetails?.pipit_new_factor_sid === rogue.sid);
    assert.ok(ch, 'the user is asked to approve the new factor');
    return { entity: rogue.entitySid, challenge: ch.sid, userFactor: ch.factorSid };
  }

  it('the report names exactly those accounts, messages and the factor', async () => {
    const r = await blastJson('--principal', intruder.key.sid);
    const three = mains[0].subs.slice(0, 3).map((s) => s.sid).sort();
    // The three subaccounts read, and its own account's Verify service.
    assert.deepEqual(r.accounts.sids, [...three, mains[0].acct.sid].sort());
    assert.deepEqual(r.subaccounts.sids, three);
    for (const sid of three) assert.equal(r.accounts.owners[sid], mains[0].acct.sid);
    assert.deepEqual(r.messages.sids, [...shown].sort());
    assert.equal(r.messages.count, shown.size);
    assert.equal(r.phone_numbers.count, 0);
    const t = await rogueTouched();
    assert.deepEqual(r.factors_registered.sids, [rogue.sid]);
    assert.deepEqual(r.factors.sids, [rogue.sid, t.userFactor].sort());
    assert.deepEqual(r.entities.sids, [t.entity]);
    assert.deepEqual(r.challenges.sids, [t.challenge]);
    assert.deepEqual(r.verify_services.sids, [mains[0].verify.sid]);
    assert.ok(r.event_types.includes('verify.factor_registered'));
    assert.ok(r.event_types.includes('verify.challenge_created'));
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
    assert.deepEqual(s.factors_registered.sids, [rogue.sid]);
    const since = new Date(t0 - 1).toISOString();
    const until = new Date(t1 + 1).toISOString();
    const inWindow = await blastJson('--principal', intruder.key.sid, '--since', since, '--until', until);
    assert.deepEqual(inWindow.messages.sids, [...shown].sort());
    assert.deepEqual(inWindow.factors_registered.sids, [rogue.sid]);
    const before = await blastJson('--principal', intruder.key.sid, '--until', new Date(t0 - 1).toISOString());
    assert.equal(before.messages.count, 0);
    assert.equal(before.accounts.count, 0);
    assert.equal(before.factors_registered.count, 0);
  });

  it('other principals\' reads are theirs, and an address gives them all', async () => {
    const main0 = await blastJson('--principal', mains[0].acct.sid);
    assert.ok(main0.accounts.sids.includes(mains[0].subs[3].sid), 'the owner read its fourth subaccount');
    assert.ok(!main0.principals.sids.includes(intruder.key.sid));
    assert.ok(!main0.factors_registered.sids.includes(rogue.sid));
    const mine = usersFactors.filter((sid) => main0.factors_registered.sids.includes(sid));
    assert.equal(mine.length, 5, 'the owner registered a factor in each of 5 rounds');
    const ip = await blastJson('--source-ip', '127.0.0.1');
    for (const sid of shown) assert.ok(ip.messages.sids.includes(sid));
    assert.deepEqual(ip.factors_registered.sids, [rogue.sid, ...usersFactors].sort(),
      'by address: every factor registered, the intruder\'s among 50 others');
    assert.equal(ip.principals.count, 1 + 10 + 40, 'the intruder and 50 others');
  });

  it('the account sees the registration in its own log and proves it (independent verifier)', async () => {
    const m0 = mains[0];
    const auth = [m0.acct.sid, m0.acct.auth_token];
    const res = await ctx.server.raw('GET', '/audit/v1/Events?PageSize=1000&EventType=verify.factor_registered', { auth, validate: false });
    assert.equal(res.status, 200, res.text);
    const [ev] = res.json.events.filter((e) => e.resource_sids.includes(rogue.sid));
    assert.ok(ev, 'the registration is in the account\'s log');
    assert.equal(ev.actor_sid, intruder.key.sid);
    assert.equal(ev.actor_kind, 'key');
    assert.deepEqual(ev.resource_sids, [rogue.sid, rogue.entitySid, m0.verify.sid]);
    const leaf = parseLeaf(Buffer.from(ev.leaf, 'base64'));
    assert.deepEqual(leaf.resources, ev.resource_sids);
    const made = await pipit('audit', '--data', ctx.server.dataDir, 'checkpoint');
    assert.equal(made.code, 0, made.stderr);
    const verifier = parseVerifierKey((await ctx.server.raw('GET', '/audit/v1/Key', { auth, validate: false })).json.verifier_key);
    const p = (await ctx.server.raw('GET', `/audit/v1/Events/${ev.sequence}/Proof`, { auth, validate: false })).json;
    const cp = openCheckpoint(p.checkpoint, verifier);
    const hashes = p.hashes.map((h) => Buffer.from(h, 'base64'));
    assert.ok(verifyInclusion(ev.sequence, p.tree_size, leafHash(Buffer.from(ev.leaf, 'base64')), hashes, cp.root));
    const whole = await pipit('audit', '--data', ctx.server.dataDir, 'verify');
    assert.equal(whole.code, 0, whole.stdout + whole.stderr);
  });

  it('prints a table', async () => {
    const out = await blast('--principal', intruder.key.sid);
    assert.match(out, /^blast radius of principal SK[0-9a-f]{32}/m);
    for (const s of mains[0].subs.slice(0, 3)) {
      assert.match(out, new RegExp(`${s.sid} \\(subaccount of ${mains[0].acct.sid}\\)`));
    }
    assert.match(out, new RegExp(`^messages\\s+${shown.size} `, 'm'));
    assert.match(out, new RegExp(`^factors registered\\s+1  ${rogue.sid}$`, 'm'));
  });
});

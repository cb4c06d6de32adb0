// The audit log (DESIGN.md rule 6) through a real `pipit serve`: what is
// recorded and who may read it (/audit/v1), inclusion and consistency
// proofs checked by an independent verifier (audit-verifier.js: node:crypto
// only, written from RFC 9162, no code shared with the server), signed
// checkpoints made on demand, periodically and published in the data
// directory; and tamper evidence: entries edited, deleted, reordered or cut
// off directly in the SQLite file (with the sqlite3 command-line shell) are
// reported by `pipit audit verify` with their position, a cut-off tail made
// consistent inside the database by a checkpoint the customer kept.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useServer, TO, pollUntil } from './harness.js';
import { pipit, sqlite } from './audit-tools.js';
import { Staff } from './staff-auth.js';
import {
  leafHash, merkleRoot, verifyInclusion, verifyConsistency, parseVerifierKey, openCheckpoint,
  parseLeaf,
} from './audit-verifier.js';

// The log's triggers refuse changes: an attacker with the file drops them.
const DROP_TRIGGERS = ['audit_log', 'audit_resources', 'audit_nodes', 'audit_checkpoints']
  .map((t) => `DROP TRIGGER ${t}_no_update; DROP TRIGGER ${t}_no_delete;`).join(' ');

const b64 = (s) => Buffer.from(s, 'base64');
// Each field of an audit leaf and the API field that shows it.
const LEAF_FIELDS = [
  ['seq', 'sequence'], ['event', 'event_type'], ['account', 'account_sid'],
  ['principal', 'actor_sid'], ['principal_kind', 'actor_kind'],
  ['principal_account', 'actor_account_sid'], ['ip', 'source_ip_address'],
  ['session', 'session_id'], ['outcome', 'outcome'], ['time_ms', 'time_ms'],
  ['user_agent', 'user_agent'], ['request', 'request'], ['resources', 'resource_sids'],
];

describe('audit log: what is recorded and who reads it', () => {
  const ctx = useServer({ extraArgs: ['--audit-checkpoint-s', '1'] });
  let a; let b; let clientA; let sub; let verifier; let keyInfo;

  const get = (p, auth, validate = true) => ctx.server.raw('GET', p, { auth, validate });
  const as = (acct) => [acct.sid, acct.auth_token];
  async function events(acct, query = '', account = acct) {
    const res = await get(`/audit/v1/Events?PageSize=1000&AccountSid=${account.sid}${query}`, as(acct));
    assert.equal(res.status, 200, res.text);
    return res.json.events;
  }
  const ofType = (evs, t) => evs.filter((e) => e.event_type === t);

  before(async () => {
    a = await ctx.server.createAccount('Audit A');
    b = await ctx.server.createAccount('Audit B');
    clientA = ctx.server.client(a.sid, a.auth_token);
  });

  it('the account\'s own creation on the command line is its first event', async () => {
    const evs = await events(a);
    const created = ofType(evs, 'account.create');
    assert.equal(created.length, 1);
    assert.equal(created[0].actor_kind, 'cli');
    assert.match(created[0].actor_sid, /^cli:/);
    assert.equal(created[0].request, 'admin account create');
    assert.deepEqual(created[0].resource_sids, [a.sid]);
    assert.equal(ofType(evs, 'number.create').length, 1);
  });

  it('a sign-in is recorded once per session, every failed one each time', async () => {
    for (let i = 0; i < 3; i++) await clientA.api.v2010.accounts(a.sid).fetch();
    for (let i = 0; i < 2; i++) {
      const res = await get(`/2010-04-01/Accounts/${a.sid}.json`, [a.sid, 'f'.repeat(32)]);
      assert.equal(res.status, 401);
    }
    const evs = await events(a);
    const ok = ofType(evs, 'auth.success');
    const sessions = new Set(ok.map((e) => e.session_id));
    assert.equal(sessions.size, ok.length, 'one auth.success per session');
    // One credential from one address is one session, whatever the client
    // (the raw requests of the test before and the SDK's here).
    const mine = ok.filter((e) => e.actor_sid === a.sid);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].actor_kind, 'account');
    assert.equal(mine[0].source_ip_address, '127.0.0.1');
    assert.equal(mine[0].request, `GET /audit/v1/Events`);
    assert.match(mine[0].session_id, /^[0-9a-f]{32}$/);
    const failed = ofType(evs, 'auth.failure');
    assert.equal(failed.length, 2);
    for (const e of failed) {
      assert.equal(e.actor_sid, a.sid);
      assert.equal(e.outcome, 'auth');
      assert.equal(e.request, `GET /2010-04-01/Accounts/${a.sid}.json`);
      assert.notEqual(e.session_id, mine[0].session_id, 'another secret is another session');
    }
  });

  it('credential changes: API keys and auth-token rotation', async () => {
    const key = await clientA.api.v2010.accounts(a.sid).newKeys.create({ friendlyName: 'k' });
    await clientA.api.v2010.accounts(a.sid).keys(key.sid).update({ friendlyName: 'k2' });
    await clientA.api.v2010.accounts(a.sid).keys(key.sid).remove();
    const rot = await ctx.server.createAccount('Audit Rotation');
    const created = await ctx.server.raw('POST', '/accounts/v1/AuthTokens/Secondary', { auth: as(rot) });
    assert.equal(created.status, 201);
    const promoted = await ctx.server.raw('POST', '/accounts/v1/AuthTokens/Promote', { auth: as(rot) });
    assert.equal(promoted.status, 200);
    const evs = await events(a);
    for (const t of ['key.create', 'key.update', 'key.delete']) {
      const [e] = ofType(evs, t);
      assert.ok(e, `${t} recorded`);
      assert.deepEqual(e.resource_sids, [key.sid]);
      assert.equal(e.outcome, 'ok');
      assert.equal(e.actor_sid, a.sid);
    }
    rot.auth_token = created.json.secondary_auth_token;
    const revs = await events(rot);
    assert.equal(ofType(revs, 'auth_token.secondary_create').length, 1);
    assert.equal(ofType(revs, 'auth_token.promote').length, 1);
  });

  it('numbers and Messaging Services', async () => {
    await ctx.server.offerNumbers('+15990001234', a.sid);
    const n = await clientA.incomingPhoneNumbers.create({ phoneNumber: '+15990001234' });
    await clientA.incomingPhoneNumbers(n.sid).update({ smsUrl: 'https://example.com/sms' });
    const svc = await clientA.messaging.v1.services.create({ friendlyName: 'audit svc' });
    await clientA.messaging.v1.services(svc.sid).update({ friendlyName: 'audit svc 2' });
    await clientA.messaging.v1.services(svc.sid).phoneNumbers.create({ phoneNumberSid: n.sid });
    await clientA.messaging.v1.services(svc.sid).phoneNumbers(n.sid).remove();
    await clientA.messaging.v1.services(svc.sid).remove();
    await clientA.incomingPhoneNumbers(n.sid).remove();
    const evs = await events(a);
    const want = {
      'number.create': [n.sid], 'number.update': [n.sid], 'number.release': [n.sid],
      'messaging_service.create': [svc.sid], 'messaging_service.update': [svc.sid],
      'messaging_service.number_add': [svc.sid, n.sid],
      'messaging_service.number_remove': [svc.sid, n.sid], 'messaging_service.delete': [svc.sid],
    };
    for (const [t, sids] of Object.entries(want)) {
      const hit = ofType(evs, t).find((e) => e.resource_sids.includes(sids[0]));
      assert.ok(hit, `${t} recorded`);
      assert.deepEqual(hit.resource_sids, sids, t);
    }
  });

  it('a parent\'s reads in its subaccount are recorded where the subaccount sees them', async () => {
    const created = await clientA.api.v2010.accounts.create({ friendlyName: 'Audit Sub' });
    sub = { sid: created.sid, auth_token: created.authToken };
    const subClient = ctx.server.client(sub.sid, sub.auth_token);
    await ctx.server.offerNumbers('+15990004321', sub.sid);
    const num = await subClient.incomingPhoneNumbers.create({ phoneNumber: '+15990004321' });
    const sent = [];
    for (let i = 0; i < 3; i++) {
      sent.push((await subClient.messages.create({ to: TO, from: num.phoneNumber, body: `m${i}` })).sid);
    }
    // The parent reads them: a list and a fetch.
    const listed = await clientA.api.v2010.accounts(sub.sid).messages.list();
    assert.deepEqual(new Set(listed.map((m) => m.sid)), new Set(sent));
    await clientA.api.v2010.accounts(sub.sid).messages(sent[0]).fetch();
    // The parent's own messages are its own: not recorded.
    await clientA.messages.list();
    const subEvents = await events(sub);
    const reads = ofType(subEvents, 'content.read');
    assert.equal(reads.length, 2);
    assert.deepEqual(new Set(reads.flatMap((e) => e.resource_sids)), new Set(sent));
    for (const e of reads) {
      assert.equal(e.actor_sid, a.sid);
      assert.equal(e.actor_account_sid, a.sid);
      assert.equal(e.account_sid, sub.sid);
    }
    assert.equal(ofType(subEvents, 'account.create').length, 1, 'its creation, by the parent');
    assert.equal(ofType(await events(a), 'content.read').length, 0);
    // The subaccount's sends are not audit events.
    assert.equal(subEvents.filter((e) => sent.some((s) => e.resource_sids.includes(s)) && e.event_type !== 'content.read').length, 0);
    // The parent may read the subaccount's log too.
    assert.equal(ofType(await events(a, '', sub), 'content.read').length, 2);
  });

  it('suspending, reactivating and closing a subaccount', async () => {
    const s2 = await clientA.api.v2010.accounts.create({ friendlyName: 'Audit Sub 2' });
    await clientA.api.v2010.accounts(s2.sid).update({ status: 'suspended' });
    await clientA.api.v2010.accounts(s2.sid).update({ status: 'active' });
    await clientA.api.v2010.accounts(s2.sid).update({ status: 'closed' });
    const evs = await events(a, '', { sid: s2.sid });
    assert.deepEqual(evs.map((e) => e.event_type).reverse(),
      ['account.create', 'account.suspend', 'account.activate', 'account.close']);
  });

  it('a customer reads its own account\'s events only, with its auth token', async () => {
    const mine = await events(b);
    assert.ok(mine.every((e) => e.account_sid === b.sid));
    const other = await get(`/audit/v1/Events?AccountSid=${a.sid}`, as(b));
    assert.equal(other.status, 404);
    const fetchOther = await get(`/audit/v1/Events/${(await events(a))[0].sequence}`, as(b));
    assert.equal(fetchOther.status, 404);
    const key = await ctx.server.client(b.sid, b.auth_token).api.v2010.accounts(b.sid).newKeys.create();
    const withKey = await get('/audit/v1/Events', [key.sid, key.secret]);
    assert.equal(withKey.status, 403);
    assert.equal(withKey.json.code, 20003);
  });

  it('filters by type and time, and pages with the v1 meta envelope', async () => {
    const all = await events(a);
    const failed = await events(a, '&EventType=auth.failure');
    assert.equal(failed.length, ofType(all, 'auth.failure').length);
    const bad = await get('/audit/v1/Events?EventType=nope', as(a));
    assert.equal(bad.status, 400);
    const future = await events(a, '&StartDate=2999-01-01');
    assert.equal(future.length, 0);
    const past = await events(a, '&EndDate=2000-01-01');
    assert.equal(past.length, 0);
    const seen = [];
    let url = '/audit/v1/Events?PageSize=3';
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 100);
      const res = await get(url, as(a));
      assert.equal(res.json.meta.key, 'events');
      assert.equal(res.json.meta.page_size, 3);
      seen.push(...res.json.events.map((e) => e.sequence));
      url = res.json.meta.next_page_url ? new URL(res.json.meta.next_page_url).pathname + new URL(res.json.meta.next_page_url).search : null;
    }
    assert.deepEqual(seen, all.map((e) => e.sequence));
    assert.deepEqual([...seen].sort((x, y) => y - x), seen, 'newest first');
  });

  it('every event shown is its leaf: canonical bytes whose hash the API gives', async () => {
    for (const e of await events(a)) {
      const bytes = b64(e.leaf);
      const leaf = parseLeaf(bytes);
      assert.ok(leafHash(bytes).equals(b64(e.leaf_hash)));
      for (const [inLeaf, inApi] of LEAF_FIELDS) {
        assert.deepEqual(leaf[inLeaf], e[inApi], `leaf.${inLeaf} is the event's ${inApi}`);
      }
      assert.equal(leaf.v, 1);
    }
  });

  it('staff and command-line changes are recorded, and staff\'s every request', async () => {
    const alice = await Staff.create(ctx.server, 'alice');
    const bob = await Staff.create(ctx.server, 'bob');
    const cr = await alice.propose('POST', '/admin/v1/Carriers',
      { Name: 'auditcar', Smpp: '127.0.0.1:9', SystemId: 'x', Password: 'y' });
    const own = await alice.decide(cr.sid, 'approved');
    assert.equal(own.status, 403, 'the requester cannot approve their own');
    const made = await bob.decide(cr.sid, 'approved');
    assert.equal(made.status, 200, made.text);
    assert.equal(made.json.applied.status, 201);
    assert.equal((await alice.request('GET', '/admin/v1/Carriers')).status, 200);
    // A staff session is no credential on a customer resource.
    assert.equal((await ctx.server.raw('GET', `/2010-04-01/Accounts/${a.sid}.json`, { headers: alice.headers })).status, 401);
    await ctx.server.admin('route', 'add', '--prefix', '+1599', '--carrier', 'auditcar');
    const radius = async (who) => {
      const res = await pipit('audit', '--data', ctx.server.dataDir, 'blast-radius', '--principal', who, '--json');
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout);
    };
    const r = await radius('staff:alice');
    assert.deepEqual(r.config.sids, ['carrier:auditcar']);
    assert.deepEqual(r.change_requests.sids, [`change:${cr.sid}`]);
    for (const t of ['staff.sign_in', 'staff.uv', 'change.request', 'change.decide', 'operator.request'])
      assert.ok(r.event_types.includes(t), `${t} in ${r.event_types}`);
    assert.ok(!r.event_types.includes('config.carrier_put'), 'alice changed nothing herself');
    assert.equal(r.failures, 1, 'her own approval, refused');
    assert.equal(r.accounts.count, 0, 'staff reached no account');
    const b = await radius('staff:bob');
    assert.deepEqual(b.config.sids, ['carrier:auditcar']);
    assert.deepEqual(b.change_requests.sids, [`change:${cr.sid}`]);
    assert.ok(b.event_types.includes('config.carrier_put'));
    assert.equal(b.accounts.count, 0);
    const user = os.userInfo().username;
    const cli = await radius(`cli:${user}`);
    assert.ok(cli.event_types.includes('config.route_put'));
    assert.ok(cli.config.sids.includes('route:+1599@auditcar'));
  });

  it('inclusion proofs check out against a signed checkpoint (independent verifier)', async () => {
    const made = await pipit('audit', '--data', ctx.server.dataDir, 'checkpoint');
    assert.equal(made.code, 0, made.stderr);
    keyInfo = (await get('/audit/v1/Key', as(a))).json;
    verifier = parseVerifierKey(keyInfo.verifier_key);
    assert.equal(keyInfo.algorithm, 'Ed25519');
    assert.equal(fs.readFileSync(path.join(ctx.server.dataDir, 'audit-key.pub'), 'utf8').trim(), keyInfo.verifier_key);
    const evs = await events(a);
    assert.ok(evs.length > 10);
    for (const e of evs) {
      const res = await get(`/audit/v1/Events/${e.sequence}/Proof`, as(a));
      assert.equal(res.status, 200, res.text);
      const p = res.json;
      assert.ok(p.checkpoint, 'the proof is for the latest signed checkpoint');
      const cp = openCheckpoint(p.checkpoint, verifier);
      assert.equal(cp.origin, keyInfo.origin);
      assert.equal(cp.size, BigInt(p.tree_size));
      const lh = leafHash(b64(e.leaf));
      assert.ok(lh.equals(b64(p.leaf_hash)));
      const hashes = p.hashes.map(b64);
      assert.ok(verifyInclusion(e.sequence, p.tree_size, lh, hashes, cp.root), `inclusion of ${e.sequence}`);
      // Any change breaks it.
      const bent = Buffer.from(lh);
      bent[0] ^= 1;
      assert.ok(!verifyInclusion(e.sequence, p.tree_size, bent, hashes, cp.root));
      if (hashes.length) {
        assert.ok(!verifyInclusion(e.sequence + 1, p.tree_size, lh, hashes, cp.root) || e.sequence + 1 >= p.tree_size);
      }
    }
    const tooBig = await get(`/audit/v1/Events/${evs[0].sequence}/Proof?TreeSize=999999999`, as(a));
    assert.equal(tooBig.status, 400);
  });

  it('a consistency proof links an old checkpoint to a new one (independent verifier)', async () => {
    const old = openCheckpoint((await get('/audit/v1/Checkpoint', as(a))).json.checkpoint, verifier);
    // The log grows by 5 entries (key.create, each committed before its
    // answer; wrong tokens past the first few would be counted by the
    // sign-in guard and written later, racing the checkpoints below).
    for (let i = 0; i < 5; i++) {
      const made = await ctx.server.raw('POST', `/2010-04-01/Accounts/${a.sid}/Keys.json`,
        { auth: as(a), form: { FriendlyName: `grow ${i}` } });
      assert.equal(made.status, 201);
    }
    assert.equal((await pipit('audit', '--data', ctx.server.dataDir, 'checkpoint')).code, 0);
    const latest = (await get('/audit/v1/Checkpoint', as(a))).json;
    const neu = openCheckpoint(latest.checkpoint, verifier);
    assert.ok(neu.size > old.size);
    assert.equal(BigInt(latest.tree_size), neu.size);
    const res = await get(`/audit/v1/Consistency?FirstTreeSize=${old.size}&SecondTreeSize=${neu.size}`, as(a));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.checkpoint, latest.checkpoint);
    const hashes = res.json.hashes.map(b64);
    assert.ok(verifyConsistency(old.size, neu.size, old.root, neu.root, hashes));
    assert.ok(!verifyConsistency(old.size, neu.size, neu.root, old.root, hashes));
    assert.ok(!verifyConsistency(old.size, neu.size, old.root, neu.root, hashes.slice(1)));
    // The command line gives the same proof.
    const cli = JSON.parse((await pipit('audit', '--data', ctx.server.dataDir, 'proof', '--consistency', String(old.size), String(neu.size), '--json')).stdout);
    assert.equal(cli.verified, true);
    assert.deepEqual(cli.hashes, res.json.hashes);
    assert.equal(cli.second_root_hash, neu.root.toString('base64'));
    // Every earlier size is a prefix too.
    for (let m = 1n; m < neu.size; m += 7n) {
      const p = await get(`/audit/v1/Consistency?FirstTreeSize=${m}&SecondTreeSize=${neu.size}`, as(a));
      const inc = JSON.parse((await pipit('audit', '--data', ctx.server.dataDir, 'proof', '--consistency', '1', String(m), '--json')).stdout);
      assert.ok(verifyConsistency(m, neu.size, b64(inc.second_root_hash), neu.root, p.json.hashes.map(b64)), `size ${m}`);
    }
  });

  it('checkpoints are signed periodically and kept in the data directory', async () => {
    const file = path.join(ctx.server.dataDir, 'audit-checkpoint');
    const before = openCheckpoint(fs.readFileSync(file, 'utf8'), verifier);
    await get(`/2010-04-01/Accounts/${a.sid}.json`, [a.sid, '1'.repeat(32)]);
    const now = await pollUntil(() => {
      const c = openCheckpoint(fs.readFileSync(file, 'utf8'), verifier);
      return c.size > before.size && c;
    }, 'a new checkpoint (--audit-checkpoint-s 1)', 15_000);
    assert.ok(now.time >= before.time);
  });
});

describe('audit log: tamper evidence', () => {
  const ctx = useServer();
  let dir; let n; let customer; let work;

  // A copy of the stopped server's data directory, changed by `sql` (and
  // `change`), then `pipit audit verify` on it.
  async function tampered(name, sql, { args = [], change } = {}) {
    const copy = path.join(work, name);
    fs.cpSync(dir, copy, { recursive: true });
    const db = path.join(copy, 'pipit.db');
    if (sql) await sqlite(db, `${DROP_TRIGGERS} ${sql}`);
    if (change) await change(db, copy);
    return pipit('audit', '--data', copy, 'verify', ...args);
  }
  const hexOf = async (db, sql) => (await sqlite(db, sql)).trim();

  before(async () => {
    const acct = await ctx.server.createAccount('Tamper');
    // 45 entries (key.create each; wrong tokens would be counted, not
    // recorded one by one, past the first few: the sign-in guard).
    for (let i = 0; i < 45; i++) {
      const res = await ctx.server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Keys.json`,
        { auth: [acct.sid, acct.auth_token], form: { FriendlyName: `k${i}` } });
      assert.equal(res.status, 201);
    }
    assert.equal((await pipit('audit', '--data', ctx.server.dataDir, 'checkpoint')).code, 0);
    customer = (await ctx.server.raw('GET', '/audit/v1/Checkpoint', { auth: [acct.sid, acct.auth_token] })).json.checkpoint;
    await ctx.server.stop();
    dir = ctx.server.dataDir;
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pipit-tamper-'));
    fs.writeFileSync(path.join(work, 'customer-checkpoint'), customer);
    n = Number((await sqlite(path.join(dir, 'pipit.db'), 'SELECT count(*) FROM audit_log')).trim());
    assert.ok(n >= 48, `${n} entries`);
  }, { timeout: 60_000 });

  it('the untouched log verifies, against the customer\'s checkpoint too', async () => {
    const r = await tampered('clean', null, { args: ['--checkpoint', path.join(work, 'customer-checkpoint')] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^OK: ${n} entries`, 'm'));
    assert.match(r.stdout, /the checkpoint in .* matches/);
  });

  it('an edited entry is reported at its position', async () => {
    const r = await tampered('edit', `UPDATE audit_log SET leaf = CAST(replace(CAST(leaf AS TEXT), '"outcome":"ok"', '"outcome":"auth"') AS BLOB) WHERE seq = 7;`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAULT at entry 7: entry 7 was altered/m);
  });

  it('an entry edited with its leaf hash recomputed is found in its block of 16', async () => {
    const r = await tampered('edit-hash', null, {
      change: async (db) => {
        const leaf = Buffer.from(await hexOf(db, 'SELECT hex(leaf) FROM audit_log WHERE seq = 5'), 'hex');
        const forged = Buffer.from(leaf.toString('latin1').replace(/"user_agent":"[^"]*"/, '"user_agent":"forged"'), 'latin1');
        assert.notDeepEqual(forged, leaf);
        await sqlite(db, `${DROP_TRIGGERS} UPDATE audit_log SET leaf = X'${forged.toString('hex')}', leaf_hash = X'${leafHash(forged).toString('hex')}' WHERE seq = 5;`);
      },
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAULT in entries 0\.\.15: the stored hash of entries \[0, 16\) differs/m);
  });

  it('a deleted entry is reported at its position', async () => {
    const r = await tampered('delete', 'DELETE FROM audit_resources WHERE seq = 11; DELETE FROM audit_log WHERE seq = 11;');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAULT at entry 11: entry 11 is missing/m);
  });

  it('a deleted entry with the rest renumbered is reported at its position', async () => {
    const r = await tampered('renumber', 'DELETE FROM audit_resources WHERE seq = 11; DELETE FROM audit_log WHERE seq = 11; UPDATE audit_log SET seq = seq - 1 WHERE seq > 11;');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAULT at entry 11: the entry at position 11 holds sequence 12/m);
  });

  it('reordered entries are reported at the first of them', async () => {
    const r = await tampered('reorder', 'UPDATE audit_log SET seq = -1 WHERE seq = 20; UPDATE audit_log SET seq = 20 WHERE seq = 21; UPDATE audit_log SET seq = 21 WHERE seq = -1;');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAULT at entry 20: the entry at position 20 holds sequence 21: entries were reordered/m);
  });

  it('a cut-off tail is reported where it was cut', async () => {
    const t = n - 9;
    const r = await tampered('truncate', `DELETE FROM audit_resources WHERE seq >= ${t}; DELETE FROM audit_log WHERE seq >= ${t};`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^FAULT at entry ${t}: .*truncated`, 'm'));
  });

  it('a cut-off tail made consistent in the database is caught by the customer\'s checkpoint', async () => {
    const cpSize = Number(customer.split('\n')[1]);
    const t = cpSize - 5;
    const change = async (db, copy) => {
      const hashes = (await sqlite(db, `SELECT hex(leaf_hash) FROM audit_log WHERE seq < ${t} ORDER BY seq`))
        .trim().split('\n').map((h) => Buffer.from(h, 'hex'));
      assert.equal(hashes.length, t);
      // The frontier as the store keeps it: per set bit of the size,
      // ascending, the root of that perfect subtree.
      const parts = [];
      for (let i = 0; i < 31; i++) {
        if (!((t >> i) & 1)) continue;
        const start = t & ~((1 << (i + 1)) - 1);
        parts.push(merkleRoot(hashes.slice(start, start + (1 << i))));
      }
      await sqlite(db, `${DROP_TRIGGERS}
        DELETE FROM audit_resources WHERE seq >= ${t}; DELETE FROM audit_log WHERE seq >= ${t};
        DELETE FROM audit_nodes WHERE ((idx + 1) << level) > ${t};
        DELETE FROM audit_checkpoints WHERE tree_size > ${t};
        UPDATE audit_head SET size = ${t}, root = X'${merkleRoot(hashes).toString('hex')}',
          frontier = X'${Buffer.concat(parts).toString('hex')}';`);
      fs.rmSync(path.join(copy, 'audit-checkpoint'), { force: true });
    };
    const inside = await tampered('truncate-clean', null, { change });
    assert.equal(inside.code, 0, 'nothing inside the database tells (the limit the outside copy covers)');
    const outside = await tampered('truncate-clean-2', null, {
      change, args: ['--checkpoint', path.join(work, 'customer-checkpoint')],
    });
    assert.equal(outside.code, 1, outside.stdout);
    assert.match(outside.stdout, new RegExp(`^FAULT at entry ${t}: the checkpoint in .* covers ${cpSize} entries but the log has ${t}: entries ${t}\\.\\.${cpSize - 1} were deleted \\(truncated\\)`, 'm'));
    fs.rmSync(work, { recursive: true, force: true });
  });
});

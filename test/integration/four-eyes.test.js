// Four eyes on the installation's traffic (issue 13), over real HTTP to a
// real `pipit serve`, with signed-in staff (passkeys, staff-auth.js): a
// carrier or route change asked by one operator has no effect until
// another approves it; the requester cannot decide their own, a support
// member cannot decide at all, a request expires after 24 hours, and what
// was approved (and what the host changed, break-glass) is in
// /audit/v1/Installation/Changes for every account, with no secret.  Then
// `pipit audit verify` passes and `pipit audit blast-radius --principal
// staff:NAME` names what each member touched.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { useServer } from './harness.js';
import { pipit, sqlite } from './audit-tools.js';
import { Staff } from './staff-auth.js';

const PASSWORD = 'pw-4eyes';

describe('four eyes on carriers and routes', () => {
  const ctx = useServer();
  let alice; let bob; let sam; let acctA; let acctB;

  const db = () => path.join(ctx.server.dataDir, 'pipit.db');
  const routesTable = async () => (await sqlite(db(), 'SELECT prefix||\'@\'||carrier FROM routes ORDER BY 1')).trim();
  const carriersTable = async () => (await sqlite(db(), 'SELECT name FROM carriers ORDER BY 1')).trim();
  const changesOf = (acct) => ctx.server.raw('GET', '/audit/v1/Installation/Changes',
    { auth: [acct.sid, acct.auth_token] });

  function refused(res, status, code, what) {
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.json.status, status, what);
    assert.equal(res.json.code, code, what);
    assert.equal(typeof res.json.message, 'string', what);
  }

  before(async () => {
    alice = await Staff.create(ctx.server, 'alice');
    bob = await Staff.create(ctx.server, 'bob');
    sam = await Staff.create(ctx.server, 'sam', 'support');
    acctA = await ctx.server.createAccount('Four Eyes A');
    acctB = await ctx.server.createAccount('Four Eyes B');
  }, { timeout: 60_000 });

  it('a request has no effect until another operator approves it; nobody decides their own', async () => {
    // Asking needs a fresh passkey confirmation made for it.
    refused(await alice.request('POST', '/admin/v1/Carriers',
      { form: { Name: 'fe', Smpp: '127.0.0.1:9', SystemId: 'fe' } }), 403, 20403, 'no UV');
    await alice.uv('route.change'); // made for another action
    refused(await alice.request('POST', '/admin/v1/Carriers',
      { form: { Name: 'fe', Smpp: '127.0.0.1:9', SystemId: 'fe' } }), 403, 20403, 'UV for another action');
    // A support member cannot ask.
    await sam.uv('carrier.change');
    refused(await sam.request('POST', '/admin/v1/Carriers',
      { form: { Name: 'fe', Smpp: '127.0.0.1:9', SystemId: 'fe' } }), 403, 20403, 'support asks');

    const cr = await alice.propose('POST', '/admin/v1/Carriers',
      { Name: 'fe', Smpp: '127.0.0.1:9', SystemId: 'fe', Password: PASSWORD });
    assert.equal(cr.action, 'carrier.create');
    assert.equal(cr.carrier, 'fe');
    assert.equal(cr.requested_by, 'staff:alice');
    assert.equal(cr.password_set, true);
    assert.deepEqual(cr.parameters, { Name: 'fe', Smpp: '127.0.0.1:9', SystemId: 'fe' });
    assert.equal(Date.parse(cr.date_expires) - Date.parse(cr.date_requested), 24 * 3600 * 1000);
    // The password is sealed at rest: not in the row, in any form.
    const stored = (await sqlite(db(), `SELECT typeof(password)||'|'||hex(password) FROM change_requests WHERE sid='${cr.sid}'`)).trim();
    assert.match(stored, /^blob\|[0-9A-F]+$/);
    assert.ok(!stored.includes(Buffer.from(PASSWORD).toString('hex').toUpperCase()), 'no password in clear');
    // A request too long to keep is refused whole.
    refused(await alice.request('POST', '/admin/v1/Carriers',
      { form: { Name: 'fe', Smpp: '127.0.0.1:9', SystemId: 'fe', Comment: 'x'.repeat(1100) } }), // a parameter the handler ignores
    400, 21200, 'parameters too long');
    // Nothing changed yet.
    assert.equal(await carriersTable(), '');
    refused(await bob.request('GET', '/admin/v1/Carriers/fe'), 404, 20404, 'not applied');

    // Every other staff member sees it, without its password.
    for (const who of [bob, sam]) {
      const list = await who.request('GET', '/staff/api/ChangeRequests?Status=pending');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.json.meta.key, 'change_requests');
      assert.deepEqual(list.json.change_requests.map((x) => [x.sid, x.status]), [[cr.sid, 'pending']]);
      assert.ok(!list.text.includes(PASSWORD));
      const one = await who.request('GET', `/staff/api/ChangeRequests/${cr.sid}`);
      assert.deepEqual(one.json, list.json.change_requests[0]);
    }
    refused(await ctx.server.raw('GET', '/staff/api/ChangeRequests'), 401, 20003, 'no session');

    // The requester cannot decide it, either way; support cannot; deciding
    // needs a fresh UV made for deciding, and the CSRF token.
    refused(await alice.decide(cr.sid, 'approved'), 403, 20403, 'own approval');
    refused(await alice.decide(cr.sid, 'rejected'), 403, 20403, 'own rejection');
    refused(await sam.decide(cr.sid, 'approved'), 403, 20403, 'support approves');
    await bob.uv('carrier.change');
    refused(await bob.request('POST', `/staff/api/ChangeRequests/${cr.sid}`, { form: { Status: 'approved' } }),
      403, 20403, 'UV for another action');
    await bob.uv('change.decide');
    refused(await ctx.server.raw('POST', `/staff/api/ChangeRequests/${cr.sid}`,
      { headers: { Cookie: bob.cookie }, form: { Status: 'approved' } }), 403, 20403, 'no CSRF token');
    refused(await bob.request('POST', `/staff/api/ChangeRequests/${cr.sid}`, { form: { Status: 'maybe' } }),
      400, 21200, 'a bad Status');
    assert.equal(await carriersTable(), '', 'still nothing');

    const ok = await bob.decide(cr.sid, 'approved');
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.change_request.status, 'approved');
    assert.equal(ok.json.change_request.decided_by, 'staff:bob');
    assert.equal(ok.json.applied.status, 201);
    assert.equal(ok.json.applied.resource.password_set, true);
    assert.ok(!ok.text.includes(PASSWORD));
    assert.equal(await carriersTable(), 'fe');
    assert.equal((await bob.request('GET', '/admin/v1/Carriers/fe')).json.system_id, 'fe');
    refused(await bob.decide(cr.sid, 'approved'), 409, 409, 'decided already');
    refused(await ctx.server.raw('GET', '/staff/api/ChangeRequests/CR' + '0'.repeat(32),
      { headers: bob.headers }), 404, 20404, 'no such request');

    // A route: rejected, then asked again and approved.  The routes table
    // moves only on approval.
    const before = await routesTable();
    const r1 = await alice.propose('POST', '/admin/v1/Carriers/fe/Routes', { Prefix: '+44', Priority: '3' });
    assert.equal(r1.prefix, '+44');
    assert.equal(await routesTable(), before);
    const no = await bob.decide(r1.sid, 'rejected');
    assert.equal(no.status, 200, no.text);
    assert.equal(no.json.status, 'rejected');
    assert.equal(await routesTable(), before);
    const r2 = await bob.propose('POST', '/admin/v1/Carriers/fe/Routes', { Prefix: '+44', Priority: '3' });
    refused(await bob.decide(r2.sid, 'approved'), 403, 20403, 'bob\'s own');
    const yes = await alice.decide(r2.sid, 'approved');
    assert.equal(yes.status, 200, yes.text);
    assert.deepEqual([yes.json.applied.resource.prefix, yes.json.applied.resource.priority], ['+44', 3]);
    assert.equal(await routesTable(), '+44@fe');
    const routes = await alice.request('GET', '/admin/v1/Routes');
    assert.deepEqual(routes.json.routes.map((x) => [x.prefix, x.carrier]), [['+44', 'fe']]);

    // Break-glass on the host, recorded the same way.
    await ctx.server.admin('route', 'add', '--prefix', '+4420', '--carrier', 'fe', '--priority', '1');
    assert.equal(await routesTable(), '+4420@fe\n+44@fe');

    // The changelog, the same for every account, newest first, no secret.
    const user = os.userInfo().username;
    const seen = [];
    for (const acct of [acctA, acctB]) {
      const res = await changesOf(acct);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.meta.key, 'changes');
      assert.ok(!res.text.includes(PASSWORD), 'no password in the changelog');
      seen.push(res.json.changes);
    }
    assert.deepEqual(seen[0], seen[1], 'every account reads the same changelog');
    assert.deepEqual(seen[0].map((c) => [c.action, c.carrier, c.prefix, c.requested_by, c.approved_by]), [
      ['route.create', 'fe', '+4420', `cli:${user}`, `cli:${user}`],
      ['route.create', 'fe', '+44', 'staff:bob', 'staff:alice'],
      ['carrier.create', 'fe', null, 'staff:alice', 'staff:bob'],
    ]);
    assert.deepEqual(seen[0][1].parameters, { Prefix: '+44', Priority: '3' });
    assert.equal(seen[0][2].password_set, true);
    for (const c of seen[0]) assert.ok(Date.parse(c.date_approved) >= Date.parse(c.date_requested));
    refused(await ctx.server.raw('GET', '/audit/v1/Installation/Changes'), 401, 20003, 'no credential');
  });

  it('a request expires after 24 hours unanswered', async () => {
    const cr = await alice.propose('DELETE', '/admin/v1/Carriers/fe/Routes/%2B44');
    assert.equal(cr.action, 'route.delete');
    // A day passes: the stored expiry moved into the past.
    await sqlite(db(), `UPDATE change_requests SET date_expires = strftime('%s','now') - 1 WHERE sid = '${cr.sid}'`);
    const one = await bob.request('GET', `/staff/api/ChangeRequests/${cr.sid}`);
    assert.equal(one.json.status, 'expired');
    refused(await bob.decide(cr.sid, 'approved'), 409, 409, 'expired');
    assert.equal(await routesTable(), '+4420@fe\n+44@fe', 'the route stays');
    const pending = await bob.request('GET', '/staff/api/ChangeRequests?Status=pending');
    assert.deepEqual(pending.json.change_requests.map((x) => x.status), ['expired']);
  });

  it('the audit log verifies, and blast-radius names what each member touched', async () => {
    const verify = await pipit('audit', '--data', ctx.server.dataDir, 'verify');
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    const radius = async (who) => {
      const res = await pipit('audit', '--data', ctx.server.dataDir, 'blast-radius', '--principal', who, '--json');
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout);
    };
    const changes = (await sqlite(db(),
      'SELECT sid||\'|\'||requested_by||\'|\'||decided_by FROM change_requests ORDER BY seq')).trim().split('\n')
      .map((l) => l.split('|'));
    const touched = (who) => changes.filter(([, req, dec]) => req === who || dec === who)
      .map(([sid]) => `change:${sid}`).sort();
    const a = await radius('staff:alice');
    assert.deepEqual(a.change_requests.sids, touched('staff:alice'));
    assert.deepEqual(a.config.sids, ['carrier:fe', 'route:+44@fe']);
    assert.ok(a.event_types.includes('config.route_put'), 'alice approved the route');
    assert.equal(a.accounts.count, 0, 'no account reached');
    const b = await radius('staff:bob');
    // What was refused touched nothing (the expired request he tried to
    // approve is among his failures, not in what he touched).
    assert.deepEqual(b.change_requests.sids, touched('staff:bob'));
    assert.deepEqual(b.config.sids, ['carrier:fe', 'route:+44@fe']);
    assert.ok(b.event_types.includes('config.carrier_put'), 'bob approved the carrier');
    assert.equal(b.accounts.count, 0);
    const s = await radius('staff:sam');
    assert.deepEqual([s.config.count, s.change_requests.count], [0, 0], 'sam only tried');
    assert.equal(s.failures, 2, 'his request and his approval, refused');
  });

  it('a rejected request keeps no copy of the carrier password', async () => {
    const passwordOf = async (sid) =>
      (await sqlite(db(), `SELECT typeof(password) FROM change_requests WHERE sid='${sid}'`)).trim();
    const cr = await alice.propose('POST', '/admin/v1/Carriers',
      { Name: 'fe2', Smpp: '127.0.0.1:9', SystemId: 'fe2', Password: PASSWORD });
    assert.equal(await passwordOf(cr.sid), 'blob', 'sealed while it waits');
    const no = await bob.decide(cr.sid, 'rejected');
    assert.equal(no.status, 200, no.text);
    assert.equal(await passwordOf(cr.sid), 'null', 'nobody needs it once rejected');
    assert.equal(await carriersTable(), 'fe', 'nothing applied');
  });
});

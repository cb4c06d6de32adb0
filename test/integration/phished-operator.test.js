// The phished operator (issue 13, the August 2022 attack): a look-alike
// sign-in page relays the real server's challenge to the operator's
// authenticator and captures all it can: the staff member's name, the old
// operator token (a data folder from before still has its hash), the
// cookies it set for its own origin, and an assertion made for the
// look-alike origin (the software authenticator of staff-auth.js, with the
// other origin in clientDataJSON and the other RP ID in authenticatorData).
// With all of it, in every combination tried, no customer content is
// reached and no route changes: /admin/v1/Routes and the routes table are
// the same before and after, and the audit log has each refusal.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { useServer, TO } from './harness.js';
import { sqlite } from './audit-tools.js';
import { Staff, post } from './staff-auth.js';

describe('a phished operator', () => {
  const ctx = useServer();
  let alice; let bob; let acct; let secretBody; let token;

  const db = () => path.join(ctx.server.dataDir, 'pipit.db');
  const routesTable = async () => (await sqlite(db(), 'SELECT prefix||\'@\'||carrier||\'@\'||priority FROM routes ORDER BY 1')).trim();

  before(async () => {
    alice = await Staff.create(ctx.server, 'alice');
    bob = await Staff.create(ctx.server, 'bob');
    acct = await ctx.server.createAccount('Phished');
    secretBody = `verification code 493-${crypto.randomInt(1e6)}`;
    await ctx.server.client(acct.sid, acct.auth_token).messages.create({ to: TO, from: acct.from, body: secretBody });
    await ctx.server.admin('carrier', 'add', 'honest', '--smpp', '127.0.0.1:9', '--system-id', 'h');
    await ctx.server.admin('route', 'add', '--prefix', '+', '--carrier', 'honest');
    // The operator token of a data folder from before this issue.
    token = crypto.randomBytes(16).toString('hex');
    const hash = crypto.createHash('blake2b512').update(token).digest('hex').slice(0, 64);
    fs.writeFileSync(path.join(ctx.server.dataDir, 'operator-token.hash'), `${hash}\n`, { mode: 0o600 });
  }, { timeout: 60_000 });

  it('reaches no customer content and changes no route with all it captured', async () => {
    const s = ctx.server;
    const real = new URL(s.baseUrl);
    const lookalike = `http://127.0.0.2:${real.port}`; // another origin on another loopback address
    const routesBefore = (await bob.request('GET', '/admin/v1/Routes')).json.routes;
    const tableBefore = await routesTable();
    assert.equal(tableBefore, '+@honest@0');

    // The look-alike relays a sign-in for the name it was given, and the
    // operator's authenticator answers the look-alike: its origin, its RP ID.
    const relayed = async (origin, rpId) => {
      const begin = await post(s, '/staff/webauthn/login/begin', { name: 'alice' });
      assert.equal(begin.status, 200, begin.text);
      return post(s, '/staff/webauthn/login/finish',
        { credential: alice.auth.get(begin.json, origin, { rpId }) });
    };
    const tries = [
      [lookalike, '127.0.0.2', 'webauthn_origin'], // what a phishing page gets
      [lookalike, real.hostname, 'webauthn_origin'],
      [s.baseUrl, '127.0.0.2', 'webauthn_rp_id'],
    ];
    for (const [origin, rpId] of tries) {
      const res = await relayed(origin, rpId);
      assert.equal(res.status, 401, `${origin} ${rpId}: ${res.text}`);
      assert.equal(res.json.code, 20003);
      assert.equal(res.headers['set-cookie'], undefined, 'no session for the look-alike');
    }

    // What it holds: cookies it set for its own origin, the old token, a
    // guessed CSRF token.
    const cookie = `__Host-pipit-staff=${crypto.randomBytes(32).toString('base64url')}; sid=phish`;
    const headers = { Cookie: cookie, 'X-CSRF-Token': crypto.randomBytes(32).toString('base64url') };
    const creds = [
      { headers },
      { auth: ['operator', token] },
      { headers, auth: ['operator', token] },
      { headers: { ...headers, Origin: lookalike }, auth: ['operator', token] },
    ];
    const attempts = [
      ['POST', '/admin/v1/Carriers', { Name: 'evil', Smpp: '127.0.0.2:2775', SystemId: 'evil' }],
      ['POST', '/admin/v1/Carriers/honest/Routes', { Prefix: '+', Priority: '0' }],
      ['DELETE', '/admin/v1/Carriers/honest/Routes/%2B'],
      ['POST', '/admin/v1/Carriers/honest', { Host: '127.0.0.2' }],
      ['GET', '/admin/v1/Routes'],
      ['GET', '/staff/api/ChangeRequests'],
      ['GET', `/2010-04-01/Accounts/${acct.sid}/Messages.json`],
      ['GET', `/2010-04-01/Accounts/${acct.sid}/IncomingPhoneNumbers.json`],
      ['GET', '/2010-04-01/Accounts.json'],
    ];
    for (const c of creds) {
      for (const [m, p, form] of attempts) {
        const res = await s.raw(m, p, { ...c, form });
        assert.ok(res.status === 401 || res.status === 403, `${m} ${p} ${JSON.stringify(c)}: ${res.status} ${res.text}`);
        assert.ok(!res.text.includes(secretBody) && !res.text.includes(acct.from), `${m} ${p}: no customer content`);
        assert.ok(!res.text.includes('honest'), `${m} ${p}: no carrier`);
        if (c.auth) assert.match(res.json.message, /operator token was retired|Authenticate|staff session/);
      }
      // Nor the steps that would make a fresh UV or a change request.
      for (const p of ['/staff/webauthn/uv/begin', '/staff/logout']) {
        const res = await post(s, p, { action: 'route.change' }, c.headers ?? {});
        assert.equal(res.status, 401, `${p}: ${res.text}`);
      }
    }

    // Nothing changed: the API and the table agree with before.
    assert.deepEqual((await bob.request('GET', '/admin/v1/Routes')).json.routes, routesBefore);
    assert.equal(await routesTable(), tableBefore);
    assert.equal((await sqlite(db(), "SELECT count(*) FROM change_requests WHERE requested_by NOT LIKE 'cli:%'")).trim(), '0', 'no change request but the host\'s');
    const carriers = (await bob.request('GET', '/admin/v1/Carriers')).json.carriers;
    assert.deepEqual(carriers.map((c) => [c.name, c.host]), [['honest', '127.0.0.1']]);

    // The audit log has the relayed sign-ins, refused with their reasons,
    // and the old token's every use.
    const signIns = (await sqlite(db(),
      "SELECT outcome FROM audit_log WHERE event='staff.sign_in' AND principal='staff:alice' AND outcome<>'ok' ORDER BY seq")).trim().split('\n');
    assert.deepEqual(signIns, tries.map((t) => t[2]));
    const gone = (await sqlite(db(),
      "SELECT count(*) FROM audit_log WHERE principal='operator' AND outcome='operator_token_gone'")).trim();
    assert.ok(Number(gone) >= 1, `the old token's uses recorded: ${gone}`);
  });
});

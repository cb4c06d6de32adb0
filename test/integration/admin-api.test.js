// The operator's admin API (/admin/v1): carriers and routes over HTTP, for
// signed-in staff (passkeys, staff-auth.js).  Every write to a carrier or a
// route is a change request that a second operator approves (four eyes).
// A real `pipit serve` and the npm `smpp` package as SMSCs: a carrier
// created through the API is bound by the running server within seconds,
// traffic follows a route change, and no response shows a carrier
// password.  /admin/v1 answers only to a staff session with the operator
// role: account credentials there get 403, the retired operator token 401
// saying what replaced it, and a staff session opens no customer data.
//
// Requests go through the harness's raw(): /admin/v1 is not a Twilio path,
// so raw() checks only that error responses have Twilio's error shape.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { useServer, TO, expectRestError, uniqueNumber } from './harness.js';
import { SmscPeer } from './smsc-peer.js';
import { Staff, adminClient } from './staff-auth.js';

const A = { name: 'api-a', systemId: 'adm-a', password: 'pw-adm-a', systemType: 'ADM' };
const B = { name: 'api-b', systemId: 'adm-b', password: 'pw-adm-b' };

describe('operator admin API', () => {
  const ctx = useServer();
  let alice; let bob; let peerA; let peerB; let acct; let client;

  // A request of alice's session (with its CSRF token).
  const api = (method, p, { form } = {}) => alice.request(method, p, { form });

  // A write to a carrier or a route: alice asks, bob approves (staff-auth.js).
  const write = (method, p, form) => adminClient(alice, bob)(method, p, form);

  // Resolves to 'a' or 'b': the peer that got a whole message with `body`.
  function peerWith(body, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = peerA.messages.some((m) => m.text === body) ? 'a'
          : peerB.messages.some((m) => m.text === body) ? 'b' : null;
        if (hit) { done(); resolve(hit); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no peer got ${JSON.stringify(body)} within ${timeoutMs} ms`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); peerA.off('message', check); peerB.off('message', check); };
      peerA.on('message', check);
      peerB.on('message', check);
      check();
    });
  }

  before(async () => {
    alice = await Staff.create(ctx.server, 'alice');
    bob = await Staff.create(ctx.server, 'bob');
    peerA = await SmscPeer.start({ systemId: A.systemId, password: A.password, name: 'peer-a' });
    peerB = await SmscPeer.start({ systemId: B.systemId, password: B.password, name: 'peer-b' });
    acct = await ctx.server.createAccount('Admin API Account');
    client = ctx.server.client(acct.sid, acct.auth_token);
  }, { timeout: 60_000 });

  after(async () => {
    await peerA?.stop();
    await peerB?.stop();
  });

  it('the retired operator token is refused, saying what replaced it', async () => {
    // A data folder from before: the token's hash as `operator token` wrote it.
    const token = crypto.randomBytes(16).toString('hex');
    const hash = crypto.createHash('blake2b512').update(token).digest('hex').slice(0, 64);
    fs.writeFileSync(path.join(ctx.server.dataDir, 'operator-token.hash'), `${hash}\n`, { mode: 0o600 });
    for (const [m, p] of [['GET', '/admin/v1/Carriers'], ['GET', '/admin/v1/Routes'],
      ['POST', '/admin/v1/Carriers'], ['GET', `/2010-04-01/Accounts/${acct.sid}/Messages.json`]]) {
      const res = await ctx.server.raw(m, p, { auth: ['operator', token], form: m === 'POST' ? { Name: 'x' } : undefined });
      assert.equal(res.status, 401, `${m} ${p}: ${res.text}`);
      assert.equal(res.json.code, 20003);
      assert.match(res.json.message, /operator token was retired.*staff session.*passkey.*pipit admin/);
    }
    await assert.rejects(ctx.server.admin('operator', 'token'), /operator token was retired.*staff add/);
  });

  it('creates a carrier and a route; the running server binds and delivers through it', { timeout: 30_000 }, async () => {
    const c = await write('POST', '/admin/v1/Carriers', { Name: A.name, Smpp: peerA.address, SystemId: A.systemId, Password: A.password, SystemType: A.systemType });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.name, A.name);
    assert.equal(c.json.host, '127.0.0.1');
    assert.equal(c.json.port, peerA.port);
    assert.equal(c.json.system_id, A.systemId);
    assert.equal(c.json.system_type, A.systemType);
    assert.equal(c.json.password_set, true);
    assert.equal(c.json.bind, 'trx');
    assert.equal(c.json.window, 50);
    assert.equal(c.json.gsm7, 'unpacked');
    assert.equal(c.json.payload, false);
    assert.ok(!('password' in c.json));
    assert.ok(!c.text.includes(A.password), 'no password in the response');
    assert.equal(c.json.url, `${ctx.server.baseUrl}/admin/v1/Carriers/${A.name}`);

    const r = await write('POST', `/admin/v1/Carriers/${A.name}/Routes`, { Prefix: '+1', Priority: '5' });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual([r.json.prefix, r.json.carrier, r.json.priority], ['+1', A.name, 5]);
    assert.equal(r.json.url, `${ctx.server.baseUrl}/admin/v1/Carriers/${A.name}/Routes/%2B1`);

    const bind = await peerA.waitForBind({ timeoutMs: 10_000 });
    assert.deepEqual([bind.mode, bind.systemId, bind.password, bind.systemType],
      ['trx', A.systemId, A.password, A.systemType]);
    const body = `through the admin API ${Date.now()}`;
    await client.messages.create({ to: TO, from: acct.from, body });
    assert.equal(await peerWith(body), 'a');
  });

  it('lists and fetches carriers and routes without the password', async () => {
    const list = await api('GET', '/admin/v1/Carriers');
    assert.equal(list.status, 200);
    assert.equal(list.json.meta.key, 'carriers');
    const mine = list.json.carriers.find((x) => x.name === A.name);
    assert.ok(mine, list.text);
    assert.equal(mine.password_set, true);
    assert.ok(!list.text.includes(A.password));

    const one = await api('GET', `/admin/v1/Carriers/${A.name}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, mine);

    const routes = await api('GET', '/admin/v1/Routes');
    assert.equal(routes.status, 200);
    assert.equal(routes.json.meta.key, 'routes');
    assert.deepEqual(routes.json.routes.map((x) => [x.prefix, x.carrier, x.priority]), [['+1', A.name, 5]]);
    const own = await api('GET', `/admin/v1/Carriers/${A.name}/Routes`);
    assert.deepEqual(own.json.routes, routes.json.routes);

    const cli = await ctx.server.admin('carrier', 'list');
    assert.match(cli, new RegExp(`^${A.name}\\t127\\.0\\.0\\.1:${peerA.port}\\t.*system-id=${A.systemId}.*\\tgsm7=unpacked`, 'm'));
    assert.ok(!cli.includes(A.password), 'no password in carrier list');
  });

  it('an update changes only the given fields; the server rebinds with them', { timeout: 30_000 }, async () => {
    const before = (await api('GET', `/admin/v1/Carriers/${A.name}`)).json;
    const okBefore = peerA.binds.filter((b) => b.ok).length;
    const u = await write('POST', `/admin/v1/Carriers/${A.name}`, { Window: '20', Mps: '100' });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.window, 20);
    assert.equal(u.json.mps, 100);
    for (const k of ['host', 'port', 'system_id', 'system_type', 'bind', 'binds', 'concat', 'gsm7', 'password_set', 'date_created']) {
      assert.deepEqual(u.json[k], before[k], k);
    }
    // The password was kept: the new bind still carries it.
    const bind = await peerA.waitForBind({ count: okBefore + 1, timeoutMs: 10_000 });
    assert.equal(bind.password, A.password);
  });

  it('refuses bad settings with 400 and the Twilio error shape, never echoing a password', async () => {
    const cases = [
      [{ Window: '0' }, /Window/], [{ Window: 'ten' }, /Window/], [{ Bind: 'rx' }, /Bind/],
      [{ Concat: 'both' }, /Concat/], [{ Payload: 'maybe' }, /Payload/], [{ Gsm7: 'septets' }, /Gsm7/],
      [{ Port: '70000' }, /Port/], [{ Binds: '17' }, /Binds/], [{ SystemId: 'x'.repeat(16) }, /SystemId/],
      [{ Smpp: 'no-port' }, /Smpp/], [{ Name: 'renamed' }, /Name/],
    ];
    for (const [form, re] of cases) {
      const res = await write('POST', `/admin/v1/Carriers/${A.name}`, form);
      assert.equal(res.status, 400, `${JSON.stringify(form)}: ${res.text}`);
      assert.equal(res.json.code, 21200);
      assert.match(res.json.message, re);
    }
    const secret = 'toolongpassword';
    const pw = await write('POST', `/admin/v1/Carriers/${A.name}`, { Password: secret });
    assert.equal(pw.status, 400);
    assert.match(pw.json.message, /Password/);
    assert.ok(!pw.text.includes(secret), 'the refused password is not echoed');

    const noId = await write('POST', '/admin/v1/Carriers', { Name: 'x', Smpp: '127.0.0.1:1' });
    assert.equal(noId.status, 400);
    assert.match(noId.json.message, /SystemId is required/);
    const noAddr = await write('POST', '/admin/v1/Carriers', { Name: 'x', SystemId: 'x' });
    assert.equal(noAddr.status, 400);
    assert.match(noAddr.json.message, /Smpp/);
    const badPrefix = await write('POST', `/admin/v1/Carriers/${A.name}/Routes`, { Prefix: '1x' });
    assert.equal(badPrefix.status, 400);
    assert.match(badPrefix.json.message, /Prefix/);

    for (const [m, p] of [['GET', '/admin/v1/Carriers/nope'], ['POST', '/admin/v1/Carriers/nope'],
      ['DELETE', '/admin/v1/Carriers/nope'], ['GET', '/admin/v1/Carriers/nope/Routes'],
      ['POST', '/admin/v1/Carriers/nope/Routes'], ['DELETE', `/admin/v1/Carriers/${A.name}/Routes/%2B99`]]) {
      if (m !== 'GET') await alice.uv(p.includes('/Routes') ? 'route.change' : 'carrier.change');
      const res = await api(m, p, { form: m === 'POST' ? { Prefix: '+1', Window: '5' } : undefined });
      assert.equal(res.status, 404, `${m} ${p}: ${res.text}`);
      assert.equal(res.json.code, 20404);
    }
    // Nothing changed.
    const after = (await api('GET', `/admin/v1/Carriers/${A.name}`)).json;
    assert.equal(after.window, 20);
    assert.equal(after.name, A.name);
  });

  it('traffic moves to a second carrier when the route does', { timeout: 60_000 }, async () => {
    const c = await write('POST', '/admin/v1/Carriers', { Name: B.name, Host: '127.0.0.1', Port: String(peerB.port), SystemId: B.systemId, Password: B.password, Bind: 'tx+rx' });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual([c.json.host, c.json.port, c.json.bind], ['127.0.0.1', peerB.port, 'tx+rx']);
    await peerB.waitForBind({ count: 2, timeoutMs: 10_000 }); // a transmitter and a receiver
    assert.deepEqual(peerB.binds.filter((b) => b.ok).map((b) => b.mode).sort(), ['rx', 'tx']);

    const r = await write('POST', `/admin/v1/Carriers/${B.name}/Routes`, { Prefix: '+1' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.priority, 0);
    const again = await write('POST', `/admin/v1/Carriers/${B.name}/Routes`, { Prefix: '+1', Priority: '1' });
    assert.equal(again.status, 200, 'the same (prefix, carrier) is replaced');
    assert.equal(again.json.priority, 1);
    const del = await write('DELETE', `/admin/v1/Carriers/${A.name}/Routes/${encodeURIComponent('+1')}`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    const del2 = await write('DELETE', `/admin/v1/Carriers/${A.name}/Routes/%2B1`);
    assert.equal(del2.status, 404);
    const routes = await api('GET', '/admin/v1/Routes');
    assert.deepEqual(routes.json.routes.map((x) => [x.prefix, x.carrier]), [['+1', B.name]]);

    // The engine rereads routes every 2 s: what is sent before that still
    // goes to carrier a; once one message reached b, every later one does.
    const deadline = Date.now() + 20_000;
    let where = 'a';
    for (let i = 0; where === 'a'; i++) {
      assert.ok(Date.now() < deadline, 'traffic moved to carrier b within 20 s');
      const body = `moving ${i} ${Date.now()}`;
      await client.messages.create({ to: TO, from: acct.from, body });
      where = await peerWith(body);
    }
    for (let i = 0; i < 3; i++) {
      const body = `moved ${i} ${Date.now()}`;
      await client.messages.create({ to: TO, from: acct.from, body });
      assert.equal(await peerWith(body), 'b');
    }
  });

  it('deletes carriers with their routes; the server unbinds', { timeout: 30_000 }, async () => {
    for (const [c, peer] of [[A.name, peerA], [B.name, peerB]]) {
      const res = await write('DELETE', `/admin/v1/Carriers/${c}`);
      assert.equal(res.status, 204, res.text);
      assert.equal((await api('GET', `/admin/v1/Carriers/${c}`)).status, 404);
      await peer.waitFor(() => peer.sessions.size === 0, { what: `${c}'s binds closed` });
    }
    const routes = await api('GET', '/admin/v1/Routes');
    assert.deepEqual(routes.json.routes, []);
    const list = await api('GET', '/admin/v1/Carriers');
    assert.deepEqual(list.json.carriers, []);
  });

  it('a packed carrier made through the API shows gsm7=packed in carrier list', async () => {
    const c = await write('POST', '/admin/v1/Carriers', { Name: 'api-packed', Smpp: '127.0.0.1:9', SystemId: 'pk', Gsm7: 'packed', Payload: 'true', Concat: 'sar' });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual([c.json.gsm7, c.json.payload, c.json.concat, c.json.password_set], ['packed', true, 'sar', false]);
    const again = await write('POST', '/admin/v1/Carriers', { Name: 'api-packed', Smpp: '127.0.0.1:9', SystemId: 'pk2' });
    assert.equal(again.status, 200, 'create with an existing Name replaces it');
    assert.deepEqual([again.json.system_id, again.json.gsm7, again.json.date_created], ['pk2', 'unpacked', c.json.date_created]);
    assert.equal((await write('POST', '/admin/v1/Carriers/api-packed', { Gsm7: 'packed' })).json.gsm7, 'packed');
    const cli = await ctx.server.admin('carrier', 'list');
    assert.match(cli, /^api-packed\t127\.0\.0\.1:9\t.*\tgsm7=packed$/m);
    assert.equal((await write('DELETE', '/admin/v1/Carriers/api-packed')).status, 204);
  });

  it('makes numbers available to an account (PhoneNumbers), which it alone may then take', async () => {
    const number = uniqueNumber();
    const refused = { status: 400, code: 21422 };
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: number }), refused, 'before the offer');
    const made = await api('POST', '/admin/v1/PhoneNumbers', { form: { PhoneNumber: number, AccountSid: acct.sid } });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.phone_number, number);
    assert.equal(made.json.account_sid, acct.sid);
    const other = await ctx.server.createAccount('Admin API Other', { numbers: [] });
    const otherClient = ctx.server.client(other.sid, other.auth_token);
    await expectRestError(otherClient.incomingPhoneNumbers.create({ phoneNumber: number }), refused, 'another account');
    assert.equal((await client.incomingPhoneNumbers.create({ phoneNumber: number })).phoneNumber, number);
    const list = await api('GET', '/admin/v1/PhoneNumbers');
    assert.equal(list.status, 200);
    const row = list.json.phone_numbers.find((x) => x.phone_number === number);
    assert.equal(row.account_sid, acct.sid);
    assert.equal(row.holder_account_sid, undefined, 'who holds a number is not shown to the operator');
    // To any account, then withdrawn: nobody can take it after.
    const any = uniqueNumber();
    assert.equal((await api('POST', '/admin/v1/PhoneNumbers', { form: { PhoneNumber: any } })).json.account_sid, null);
    assert.equal((await api('DELETE', `/admin/v1/PhoneNumbers/${encodeURIComponent(any)}`)).status, 204);
    assert.equal((await api('DELETE', `/admin/v1/PhoneNumbers/${encodeURIComponent(any)}`)).status, 404);
    await expectRestError(otherClient.incomingPhoneNumbers.create({ phoneNumber: any }), refused, 'withdrawn');
    // Bad input, and only the operator.
    assert.equal((await api('POST', '/admin/v1/PhoneNumbers', { form: { PhoneNumber: '555' } })).json.code, 21421);
    const noAccount = await api('POST', '/admin/v1/PhoneNumbers', { form: { PhoneNumber: any, AccountSid: `AC${'0'.repeat(32)}` } });
    assert.equal(noAccount.status, 400);
    const asAccount = await ctx.server.raw('POST', '/admin/v1/PhoneNumbers', { form: { PhoneNumber: any }, auth: [acct.sid, acct.auth_token] });
    assert.equal(asAccount.status, 403);
    assert.ok(!(await api('GET', '/admin/v1/PhoneNumbers')).json.phone_numbers.some((x) => x.phone_number === any));
  });

  it('no staff session gets 401; support staff and a missing CSRF token 403', async () => {
    for (const headers of [{}, { Cookie: `__Host-pipit-staff=${'A'.repeat(43)}` }, { Cookie: 'theme=dark' }]) {
      const res = await ctx.server.raw('GET', '/admin/v1/Carriers', { headers });
      assert.equal(res.status, 401, `${JSON.stringify(headers)}: ${res.text}`);
      assert.equal(res.json.code, 20003);
      // A staff session is a cookie: no Basic challenge (a browser would
      // offer a password dialog, and staff have no password).
      assert.equal(res.headers['www-authenticate'], undefined, JSON.stringify(headers));
    }
    const sam = await Staff.create(ctx.server, 'sam', 'support');
    const bySupport = await sam.request('GET', '/admin/v1/Routes');
    assert.equal(bySupport.status, 403, bySupport.text);
    assert.match(bySupport.json.message, /role/);
    const noCsrf = await ctx.server.raw('POST', '/admin/v1/Carriers',
      { headers: { Cookie: alice.cookie }, form: { Name: 'evil', Smpp: '127.0.0.1:1', SystemId: 'e' } });
    assert.equal(noCsrf.status, 403, noCsrf.text);
    assert.match(noCsrf.json.message, /CSRF/);
  });

  it('account and API key credentials on /admin/v1 get 403', async () => {
    const key = await client.api.v2010.accounts(acct.sid).newKeys.create({ friendlyName: 'not an operator' });
    for (const auth of [[acct.sid, acct.auth_token], [key.sid, key.secret]]) {
      for (const [m, p] of [['GET', '/admin/v1/Carriers'], ['GET', '/admin/v1/Routes'],
        ['POST', '/admin/v1/Carriers'], ['DELETE', '/admin/v1/Carriers/x']]) {
        const res = await ctx.server.raw(m, p, { auth, form: m === 'POST' ? { Name: 'evil', Smpp: '127.0.0.1:1', SystemId: 'e' } : undefined });
        assert.equal(res.status, 403, `${m} ${p}: ${res.text}`);
        assert.equal(res.json.code, 20003);
      }
    }
    assert.deepEqual((await api('GET', '/admin/v1/Carriers')).json.carriers.map((x) => x.name), [], 'nothing was created');
  });
});

// Its own server: the sign-in guard counts this test's refusals alone.
describe('a staff session and customer data', () => {
  const ctx = useServer();

  it('a staff session opens no customer data: 401, as an unknown credential', async () => {
    const alice = await Staff.create(ctx.server, 'alice');
    const acct = await ctx.server.createAccount('Staff Reach Account');
    const client = ctx.server.client(acct.sid, acct.auth_token);
    const body = `customer secret ${Date.now()}`;
    await client.messages.create({ to: TO, from: acct.from, body });
    const paths = [
      ['GET', '/2010-04-01/Accounts.json'],
      ['GET', `/2010-04-01/Accounts/${acct.sid}.json`],
      ['GET', `/2010-04-01/Accounts/${acct.sid}/Messages.json`],
      ['POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`],
      ['GET', `/2010-04-01/Accounts/${acct.sid}/IncomingPhoneNumbers.json`],
      ['GET', `/2010-04-01/Accounts/${acct.sid}/Keys.json`],
    ];
    for (const [m, p] of paths) {
      const form = m === 'POST' ? { To: TO, From: acct.from, Body: 'sent by staff' } : undefined;
      const asStaff = await ctx.server.raw(m, p, { headers: alice.headers, form });
      const asUnknown = await ctx.server.raw(m, p, { auth: [acct.sid, 'f'.repeat(32)], form });
      assert.equal(asStaff.status, 401, `${m} ${p}: ${asStaff.text}`);
      assert.equal(asStaff.text, asUnknown.text, `${m} ${p}: the same answer as an unknown credential`);
      assert.ok(!asStaff.text.includes(body) && !asStaff.text.includes(acct.from));
    }
    const mine = await client.messages.list({ pageSize: 100 });
    assert.ok(mine.some((x) => x.body === body));
    assert.ok(!mine.some((x) => x.body === 'sent by staff'), 'staff sent nothing');
  });
});

// A carrier's SMPP password goes only to the address it was given for.
// Whoever may edit carriers (staff through /admin/v1, four eyes, or
// `pipit admin carrier add`
// of an existing name) must give the password again to move a carrier to
// another host or port; otherwise the next bind would hand the stored
// password to a server of their choosing.  Two npm `smpp` peers: the
// carrier's own SMSC and an "attacker" that records every bind attempt.
// Last, the channel a carrier names (`--channel`, `Channel`): a kind there
// is is taken, any other refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { useServer, PIPIT_BIN } from './harness.js';
import { SmscPeer } from './smsc-peer.js';
import { Staff, adminClient } from './staff-auth.js';

const NAME = 'moving';
const SYSTEM_ID = 'mv';
const OLD_PW = 'pw-old';
const NEW_PW = 'pw-new';

describe('a carrier password does not follow a change of address', () => {
  const ctx = useServer();
  let api; let own; let attacker;

  // `pipit admin --data DIR ...args`: {code, stderr}.
  function admin(...args) {
    return new Promise((resolve, reject) => {
      const p = spawn(PIPIT_BIN, ['admin', '--data', ctx.server.dataDir, ...args],
        { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d) => { stderr += d; });
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stderr }));
    });
  }

  const leaked = () => attacker.binds.filter((b) => b.password === OLD_PW);

  before(async () => {
    // Two operators: one asks, the other approves (staff-auth.js).
    api = adminClient(await Staff.create(ctx.server, 'alice'), await Staff.create(ctx.server, 'bob'));
    own = await SmscPeer.start({ systemId: SYSTEM_ID, password: OLD_PW, name: 'own' });
    attacker = await SmscPeer.start({ systemId: SYSTEM_ID, password: NEW_PW, name: 'attacker' });
    const c = await api('POST', '/admin/v1/Carriers',
      { Name: NAME, Smpp: own.address, SystemId: SYSTEM_ID, Password: OLD_PW });
    assert.equal(c.status, 201, c.text);
    assert.equal((await own.waitForBind()).password, OLD_PW);
  }, { timeout: 30_000 });

  after(async () => {
    await own?.stop();
    await attacker?.stop();
  });

  // Resolves once the carrier's own SMSC has `count` successful binds, or
  // as soon as the attacker has received the stored password.
  function ownRebindOrLeak(count, timeoutMs = 15_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (own.binds.filter((b) => b.ok).length >= count || leaked().length) done(resolve);
      };
      const timer = setTimeout(() => done(() => reject(new Error(
        `no rebind at the carrier's own SMSC within ${timeoutMs} ms`))), timeoutMs);
      const done = (f) => {
        clearTimeout(timer);
        own.off('change', check);
        attacker.off('change', check);
        f();
      };
      own.on('change', check);
      attacker.on('change', check);
      check();
    });
  }

  it('refuses a new address without the password through the API', { timeout: 30_000 }, async () => {
    const okBefore = own.binds.filter((b) => b.ok).length;
    // The last of these, if it were taken, moves the carrier to the attacker.
    for (const form of [{ Host: '127.0.0.2', Window: '7' }, { Port: String(attacker.port) },
      { Smpp: attacker.address }]) {
      const res = await api('POST', `/admin/v1/Carriers/${NAME}`, form);
      assert.equal(res.status, 400, `${JSON.stringify(form)}: ${res.text}`);
      assert.equal(res.json.code, 21200);
      assert.match(res.json.message, /Password is required to change the carrier's Host or Port/);
    }
    // A change the engine rebinds for: once the carrier's own SMSC sees
    // that bind, the engine has read every write above.
    const w = await api('POST', `/admin/v1/Carriers/${NAME}`, { Window: '8' });
    assert.equal(w.status, 200, w.text);
    await ownRebindOrLeak(okBefore + 1);
    assert.deepEqual(leaked(), [], 'the attacker received the stored password');
    const now = (await api('GET', `/admin/v1/Carriers/${NAME}`)).json;
    assert.deepEqual([now.host, now.port, now.window, now.password_set],
      ['127.0.0.1', own.port, 8, true]);
  });

  it('refuses it when the carrier is replaced, by the API or carrier add', async () => {
    const res = await api('POST', '/admin/v1/Carriers',
      { Name: NAME, Smpp: attacker.address, SystemId: SYSTEM_ID });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 21200);
    assert.match(res.json.message, /Password is required to change the carrier's Host or Port/);
    const cli = await admin('carrier', 'add', NAME, '--smpp', attacker.address, '--system-id', SYSTEM_ID);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /--password-file/);
    const now = (await api('GET', `/admin/v1/Carriers/${NAME}`)).json;
    assert.deepEqual([now.host, now.port, now.password_set], ['127.0.0.1', own.port, true]);
  });

  it('moves with the password given again', { timeout: 30_000 }, async () => {
    const res = await api('POST', `/admin/v1/Carriers/${NAME}`, { Smpp: attacker.address, Password: NEW_PW });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.port, attacker.port);
    const bind = await attacker.waitForBind();
    assert.equal(bind.password, NEW_PW);

    // And back through the CLI, with the password from a file.
    const okBefore = own.binds.filter((b) => b.ok).length;
    const cli = await admin('carrier', 'add', NAME, '--smpp', own.address, '--system-id', SYSTEM_ID,
      '--password-file', await ctx.server.secretFile(OLD_PW));
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await own.waitForBind({ count: okBefore + 1 })).password, OLD_PW);

    // A change that keeps the address needs no password, and keeps it.
    const w = await api('POST', `/admin/v1/Carriers/${NAME}`, { Window: '9' });
    assert.equal(w.status, 200, w.text);
    assert.equal(w.json.password_set, true);
    assert.deepEqual(leaked(), []);
  });

  it('names its channel: smpp is taken, an unknown kind refused by carrier add and the API', { timeout: 30_000 }, async () => {
    const okBefore = own.binds.filter((b) => b.ok).length;
    assert.equal((await api('GET', `/admin/v1/Carriers/${NAME}`)).json.channel, 'smpp', 'the default');
    const cli = await admin('carrier', 'add', NAME, '--channel', 'smpp', '--smpp', own.address,
      '--system-id', SYSTEM_ID, '--password-file', await ctx.server.secretFile(OLD_PW), '--window', '6');
    assert.equal(cli.code, 0, cli.stderr);
    // A change of settings gets the carrier a new channel, which binds.
    assert.equal((await own.waitForBind({ count: okBefore + 1 })).password, OLD_PW);
    const list = await ctx.server.admin('carrier', 'list');
    assert.match(list, new RegExp(`^${NAME}\t127\.0\.0\.1:${own.port}\tchannel=smpp\t`, 'm'));

    const bad = await admin('carrier', 'add', 'other', '--channel', 'nonsense', '--smpp', own.address,
      '--system-id', SYSTEM_ID);
    assert.notEqual(bad.code, 0, bad.stderr);
    assert.match(bad.stderr, /--channel must be a known channel kind: smpp/);
    const res = await api('POST', `/admin/v1/Carriers/${NAME}`, { Channel: 'nonsense' });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 21200);
    assert.match(res.json.message, /Channel must be a known channel kind: smpp/);
    const ok = await api('POST', `/admin/v1/Carriers/${NAME}`, { Channel: 'smpp' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.channel, 'smpp');
    assert.ok(!(await ctx.server.admin('carrier', 'list')).includes('other\t'), 'no carrier "other"');
  });
});

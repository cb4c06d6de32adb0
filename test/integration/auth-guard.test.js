// The sign-in guard (docs/internals/api.md): wrong credentials fill the
// audit log only boundedly (a few auth.failure events, then auth.failures
// with counts), a client that keeps failing is refused with 429/20429, and
// the real owner, from another address, is not locked out.  The attacker
// connects from 127.0.0.2 (any 127/8 address reaches a loopback listener).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { useServer } from './harness.js';
import { pipit, sqlite } from './audit-tools.js';

const ATTEMPTS = 400;
const WINDOW_S = 2;
// The windows an attack that took `ms` can have touched (each records at
// most 3 failures one by one): under load, the attack may outlast one.
const windows = (ms) => Math.floor(ms / (WINDOW_S * 1000)) + 2;

describe('sign-in guard', () => {
  // Short windows, so that a closed window's count shows within the test.
  const ctx = useServer({ extraArgs: ['--auth-guard-window-s', String(WINDOW_S)] });
  let acct; let owner; let attacker; let messagesPath;

  const as = (a) => [a.sid, a.auth_token];
  async function events(query = '') {
    const res = await ctx.server.raw('GET', `/audit/v1/Events?PageSize=1000${query}`, { auth: as(acct) });
    assert.equal(res.status, 200, res.text);
    return res.json.events;
  }
  const count = (e, what) => Number((e.resource_sids.find((s) => s.startsWith(`${what}:`)) ?? `${what}:0`).split(':')[1]);

  before(async () => {
    acct = await ctx.server.createAccount('Guarded');
    owner = ctx.server.client(acct.sid, acct.auth_token);
    attacker = new http.Agent({ keepAlive: true, localAddress: '127.0.0.2', maxSockets: 16 });
    messagesPath = `/2010-04-01/Accounts/${acct.sid}/Messages.json`;
  });
  after(() => attacker.destroy());

  it('wrong tokens: a bounded number of audit rows with counts, then 429/20429; the owner still works', async () => {
    const statuses = {};
    let first429;
    const t0 = Date.now();
    for (let i = 0; i < ATTEMPTS; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, (_, k) =>
        ctx.server.raw('GET', messagesPath, { auth: [acct.sid, `${'0'.repeat(31)}${k % 10}`], agent: attacker })));
      for (const res of batch) {
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 429) first429 ??= res;
        else assert.equal(res.status, 401, res.text);
      }
    }
    const spans = windows(Date.now() - t0);
    assert.ok(first429, `some attempts are refused with 429: ${JSON.stringify(statuses)}`);
    assert.equal(first429.json.code, 20429);
    assert.equal(first429.json.status, 429);
    assert.equal(first429.json.message, 'Too Many Requests');
    assert.equal(first429.json.more_info, 'https://www.twilio.com/docs/errors/20429');
    assert.ok(statuses[401] >= 10 && statuses[401] < ATTEMPTS / 2, JSON.stringify(statuses));

    // The owner, from another address, is not locked out.
    assert.ok(Array.isArray(await owner.messages.list({ limit: 1 })));

    // A few failures are recorded one by one; after the window closes, the
    // rest arrive as auth.failures with their counts, which add up.
    const single = (await events('&EventType=auth.failure')).filter((e) => e.source_ip_address === '127.0.0.2');
    assert.ok(single.length >= 1 && single.length <= 3 * spans, `${single.length} auth.failure rows in ${spans} windows`);
    let summaries = [];
    for (let tries = 0; tries < 200; tries++) { // bounded poll: each request also runs the guard's sweep
      summaries = (await events('&EventType=auth.failures')).filter((e) => e.source_ip_address === '127.0.0.2');
      const failures = summaries.reduce((n, e) => n + count(e, 'failures'), 0);
      const refused = summaries.reduce((n, e) => n + count(e, 'refused'), 0);
      if (failures + single.length === statuses[401] && refused === statuses[429]) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const failures = summaries.reduce((n, e) => n + count(e, 'failures'), 0);
    const refused = summaries.reduce((n, e) => n + count(e, 'refused'), 0);
    assert.equal(failures + single.length, statuses[401], 'every 401 is in the log, one by one or counted');
    assert.equal(refused, statuses[429], 'every 429 is counted');
    assert.ok(summaries.length <= spans + 2, `${summaries.length} auth.failures rows for ${ATTEMPTS} attempts`);
    for (const e of summaries) {
      assert.equal(e.actor_sid, acct.sid);
      assert.match(e.resource_sids.find((s) => s.startsWith('since:')), /^since:\d+$/);
    }
    // Every row of the log is in the tree: the log verifies.
    const verify = await pipit('audit', '--data', ctx.server.dataDir, 'verify');
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  it('the correct credential from a refused address is refused too while the penalty lasts', async () => {
    // Otherwise a guess that hits would get through the penalty.  A fresh
    // address: 10 failures are free, the 11th starts a 1 s penalty, and the
    // correct credential follows the first 429 at once.
    const guesser = new http.Agent({ keepAlive: true, localAddress: '127.0.0.4', maxSockets: 1 });
    try {
      let res;
      for (let i = 0; i < 20; i++) {
        res = await ctx.server.raw('GET', messagesPath, { auth: [acct.sid, 'f'.repeat(32)], agent: guesser });
        if (res.status === 429) break;
        assert.equal(res.status, 401);
      }
      assert.equal(res.status, 429, 'refused after 11 failures');
      const right = await ctx.server.raw('GET', messagesPath, { auth: as(acct), agent: guesser });
      assert.equal(right.status, 429, right.text);
      assert.ok(Array.isArray(await owner.messages.list({ limit: 1 })), 'the owner elsewhere still works');
    } finally {
      guesser.destroy();
    }
  });

  it('no credentials at all: a few rows, the rest counted, and 429 too', async () => {
    const statuses = {};
    const db = path.join(ctx.server.dataDir, 'pipit.db');
    const rows = async (event) => Number((await sqlite(db,
      `SELECT count(*) FROM audit_log WHERE ip='127.0.0.3' AND event='${event}'`)).trim());
    const stranger = new http.Agent({ keepAlive: true, localAddress: '127.0.0.3', maxSockets: 16 });
    const t0 = Date.now();
    try {
      for (let i = 0; i < 200; i += 20) {
        const batch = await Promise.all(Array.from({ length: 20 }, () =>
          ctx.server.raw('GET', messagesPath, { agent: stranger })));
        for (const res of batch) statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    } finally {
      stranger.destroy();
    }
    assert.ok(statuses[429] > 0 && statuses[401] >= 10, JSON.stringify(statuses));
    const single = await rows('auth.failure');
    const spans = windows(Date.now() - t0);
    assert.ok(single >= 1 && single <= 3 * spans, `${single} auth.failure rows for 200 requests in ${spans} windows`);
  });
});

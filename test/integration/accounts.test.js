// Accounts, subaccounts, isolation between accounts, wrong credentials.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectRestError, RFC2822, FROM, TO, uniqueNumber } from './harness.js';

describe('accounts', () => {
  const ctx = useServer();
  let main;
  let client;

  before(async () => {
    main = await ctx.server.createAccount('Main Account');
    client = ctx.server.client(main.sid, main.auth_token);
  });

  describe('account fetch', () => {
    it('returns the account with its fields', async () => {
      const a = await client.api.v2010.accounts(main.sid).fetch();
      assert.equal(a.sid, main.sid);
      assert.equal(a.friendlyName, 'Main Account');
      assert.equal(a.status, 'active');
      assert.equal(a.ownerAccountSid, main.sid, 'a top-level account owns itself');
      assert.equal(a.uri, `/2010-04-01/Accounts/${main.sid}.json`);
      assert.ok(a.dateCreated instanceof Date && !Number.isNaN(a.dateCreated.getTime()), 'date_created parses');
      const raw = ctx.server.recorder.lastJson((e) => e.method === 'get' && e.url.endsWith(`/Accounts/${main.sid}.json`));
      assert.match(raw.date_created, RFC2822);
      assert.match(raw.date_updated, RFC2822);
      assert.ok(Math.abs(a.dateCreated.getTime() - Date.now()) < 10 * 60_000, `date_created ${raw.date_created} is recent`);
    });

    // Pipit policy (src/api/accounts.c): an auth token appears in a response
    // only when it is created.  Twilio echoes it on every fetch.
    it('does not echo the auth token after creation (Pipit policy)', async () => {
      const a = await client.api.v2010.accounts(main.sid).fetch();
      assert.equal(a.authToken, null);
      const ex = ctx.server.recorder.last((e) => e.method === 'get' && e.url.endsWith(`/Accounts/${main.sid}.json`));
      assert.ok(!ex.body.includes(main.auth_token), 'token absent from the fetch body');
      await client.api.v2010.accounts.list();
      assert.ok(!ctx.server.recorder.last((e) => e.method === 'get').body.includes(main.auth_token),
        'token absent from the list body');
    });
  });

  describe('wrong credentials', () => {
    it('wrong auth token → 401 20003', async () => {
      const bad = ctx.server.client(main.sid, '0'.repeat(32));
      await expectRestError(bad.api.v2010.accounts(main.sid).fetch(), { status: 401, code: 20003 });
    });

    it('unknown account sid → 401 20003', async () => {
      const bad = ctx.server.client(`AC${'0'.repeat(32)}`, main.auth_token);
      await expectRestError(bad.api.v2010.accounts(`AC${'0'.repeat(32)}`).fetch(), { status: 401, code: 20003 });
    });

    it('another account\'s token does not authenticate → 401 20003', async () => {
      const other = await ctx.server.createAccount('Other For Token');
      const bad = ctx.server.client(main.sid, other.auth_token);
      await expectRestError(bad.api.v2010.accounts(main.sid).fetch(), { status: 401, code: 20003 });
    });

    it('no Authorization header → 401 20003', async () => {
      const res = await ctx.server.raw('GET', `/2010-04-01/Accounts/${main.sid}.json`);
      assert.equal(res.status, 401);
      assert.equal(res.json.code, 20003);
    });

    it('malformed Authorization headers → 401 20003', async () => {
      for (const value of ['Basic !!!not-base64!!!', `Basic ${Buffer.from(main.sid).toString('base64')}`,
        `Bearer ${main.auth_token}`, 'Basic ']) {
        const res = await ctx.server.raw('GET', `/2010-04-01/Accounts/${main.sid}.json`,
          { headers: { Authorization: value } });
        assert.equal(res.status, 401, `Authorization: ${value}`);
        assert.equal(res.json.code, 20003, `Authorization: ${value}`);
      }
    });
  });

  describe('subaccounts', () => {
    let sub;
    let sub2;
    let other;

    before(async () => {
      other = await ctx.server.createAccount('Unrelated Top Level');
    });

    it('creates a subaccount (201) owned by the parent', async () => {
      sub = await client.api.v2010.accounts.create({ friendlyName: 'Sub One' });
      assert.match(sub.sid, /^AC[0-9a-f]{32}$/);
      assert.notEqual(sub.sid, main.sid);
      assert.equal(sub.friendlyName, 'Sub One');
      assert.equal(sub.ownerAccountSid, main.sid);
      assert.equal(sub.status, 'active');
      assert.match(sub.authToken, /^[0-9a-f]{32}$/);
      assert.notEqual(sub.authToken, main.auth_token);
      const ex = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/2010-04-01/Accounts.json'));
      assert.equal(ex.status, 201);

      sub2 = await client.api.v2010.accounts.create({ friendlyName: 'Sub Two' });
      assert.notEqual(sub2.sid, sub.sid);
    });

    it('the subaccount authenticates with its own token', async () => {
      const subClient = ctx.server.client(sub.sid, sub.authToken);
      const a = await subClient.api.v2010.accounts(sub.sid).fetch();
      assert.equal(a.sid, sub.sid);
      assert.equal(a.ownerAccountSid, main.sid);
    });

    it('the parent lists itself and its subaccounts, nothing else', async () => {
      const list = await client.api.v2010.accounts.list();
      const sids = list.map((a) => a.sid);
      assert.equal(new Set(sids).size, sids.length, 'no duplicates');
      for (const s of [main.sid, sub.sid, sub2.sid]) assert.ok(sids.includes(s), `${s} listed`);
      assert.ok(!sids.includes(other.sid), 'an unrelated account is not listed');
      assert.equal(sids.length, 3);
      const raw = ctx.server.recorder.lastJson((e) => e.method === 'get' && /\/2010-04-01\/Accounts\.json/.test(e.url));
      assert.ok(Array.isArray(raw.accounts));
      assert.equal(raw.page, 0);
    });

    it('a subaccount lists only itself', async () => {
      const subClient = ctx.server.client(sub.sid, sub.authToken);
      const list = await subClient.api.v2010.accounts.list();
      assert.deepEqual(list.map((a) => a.sid), [sub.sid]);
    });

    it('the parent updates the subaccount FriendlyName (200)', async () => {
      const a = await client.api.v2010.accounts(sub.sid).update({ friendlyName: 'Sub One Renamed' });
      assert.equal(a.sid, sub.sid);
      assert.equal(a.friendlyName, 'Sub One Renamed');
      const again = await client.api.v2010.accounts(sub.sid).fetch();
      assert.equal(again.friendlyName, 'Sub One Renamed');
      assert.equal(again.status, 'active');
    });

    it('a suspended subaccount\'s credentials get 401', async () => {
      const a = await client.api.v2010.accounts(sub2.sid).update({ status: 'suspended' });
      assert.equal(a.status, 'suspended');
      const seen = await client.api.v2010.accounts(sub2.sid).fetch();
      assert.equal(seen.status, 'suspended', 'the parent still sees the suspended subaccount');

      const subClient = ctx.server.client(sub2.sid, sub2.authToken);
      await assert.rejects(subClient.api.v2010.accounts(sub2.sid).fetch(), (err) => {
        assert.equal(err.status, 401, err.message);
        assert.ok([20003, 20005].includes(err.code), `code ${err.code}`);
        return true;
      });
      await assert.rejects(subClient.api.v2010.accounts(sub2.sid).messages.create({ to: TO, from: FROM, body: 'x' }),
        (err) => err.status === 401);
    });

    it('reactivating the subaccount restores its credentials', async () => {
      const a = await client.api.v2010.accounts(sub2.sid).update({ status: 'active' });
      assert.equal(a.status, 'active');
      const subClient = ctx.server.client(sub2.sid, sub2.authToken);
      const me = await subClient.api.v2010.accounts(sub2.sid).fetch();
      assert.equal(me.status, 'active');
    });
  });

  describe('isolation', () => {
    let parent; let s1; let s2; let stranger;
    let pc; let s1c; let s2c; let strangerClient;
    let mP; let mS1; let mS2; let mStranger;

    before(async () => {
      ({ acct: parent, client: pc } = await ctx.server.accountClient('Isolation Parent'));
      ({ acct: stranger, client: strangerClient } = await ctx.server.accountClient('Isolation Stranger'));
      s1 = await pc.api.v2010.accounts.create({ friendlyName: 'Iso Sub 1' });
      s2 = await pc.api.v2010.accounts.create({ friendlyName: 'Iso Sub 2' });
      s1c = ctx.server.client(s1.sid, s1.authToken);
      s2c = ctx.server.client(s2.sid, s2.authToken);
      // Subaccounts own numbers of their own; they cannot send from the parent's.
      const [o1, o2] = [uniqueNumber(), uniqueNumber()];
      await ctx.server.offerNumbers(o1, s1.sid);
      await ctx.server.offerNumbers(o2, s2.sid);
      const n1 = (await s1c.api.v2010.accounts(s1.sid).incomingPhoneNumbers.create({ phoneNumber: o1 })).phoneNumber;
      const n2 = (await s2c.api.v2010.accounts(s2.sid).incomingPhoneNumbers.create({ phoneNumber: o2 })).phoneNumber;
      await expectRestError(s1c.api.v2010.accounts(s1.sid).messages.create({ to: TO, from: parent.from, body: 'x' }),
        { status: 400, code: 21606 });
      mP = await pc.api.v2010.accounts(parent.sid).messages.create({ to: TO, from: parent.from, body: 'parent' });
      mS1 = await s1c.api.v2010.accounts(s1.sid).messages.create({ to: TO, from: n1, body: 'sub 1' });
      mS2 = await s2c.api.v2010.accounts(s2.sid).messages.create({ to: TO, from: n2, body: 'sub 2' });
      mStranger = await strangerClient.api.v2010.accounts(stranger.sid).messages.create({ to: TO, from: stranger.from, body: 'stranger' });
    });

    const notFound = { status: 404, code: 20404 };

    it('sub credentials cannot fetch the parent account', async () => {
      await expectRestError(s1c.api.v2010.accounts(parent.sid).fetch(), notFound);
    });

    it('sub credentials cannot update the parent account', async () => {
      await expectRestError(s1c.api.v2010.accounts(parent.sid).update({ friendlyName: 'pwned' }), notFound);
      const p = await pc.api.v2010.accounts(parent.sid).fetch();
      assert.equal(p.friendlyName, 'Isolation Parent');
    });

    it('sub credentials cannot list, fetch or create the parent\'s messages', async () => {
      await expectRestError(s1c.api.v2010.accounts(parent.sid).messages.list(), notFound);
      await expectRestError(s1c.api.v2010.accounts(parent.sid).messages(mP.sid).fetch(), notFound);
      await expectRestError(s1c.api.v2010.accounts(parent.sid).messages(mP.sid).remove(), notFound);
      await expectRestError(
        s1c.api.v2010.accounts(parent.sid).messages.create({ to: TO, from: FROM, body: 'x' }), notFound);
    });

    it('a message is not reachable under another account\'s path', async () => {
      await expectRestError(s1c.api.v2010.accounts(s1.sid).messages(mP.sid).fetch(), notFound);
      await expectRestError(s1c.api.v2010.accounts(s1.sid).messages(mS2.sid).fetch(), notFound);
      await expectRestError(pc.api.v2010.accounts(parent.sid).messages(mS1.sid).fetch(), notFound);
    });

    it('sub credentials cannot reach a sibling or its messages', async () => {
      await expectRestError(s1c.api.v2010.accounts(s2.sid).fetch(), notFound);
      await expectRestError(s1c.api.v2010.accounts(s2.sid).messages(mS2.sid).fetch(), notFound);
      await expectRestError(s1c.api.v2010.accounts(s2.sid).messages.list(), notFound);
      await expectRestError(s1c.api.v2010.accounts(s2.sid).messages(mS2.sid).update({ body: '' }), notFound);
      const still = await s2c.api.v2010.accounts(s2.sid).messages(mS2.sid).fetch();
      assert.equal(still.body, 'sub 2', 'sibling message untouched');
    });

    it('sub credentials cannot create or modify sibling subaccounts', async () => {
      await expectRestError(s1c.api.v2010.accounts(s2.sid).update({ status: 'suspended' }), notFound);
      const s2now = await pc.api.v2010.accounts(s2.sid).fetch();
      assert.equal(s2now.status, 'active');
    });

    it('parent credentials reach the subaccount and its messages', async () => {
      const a = await pc.api.v2010.accounts(s1.sid).fetch();
      assert.equal(a.sid, s1.sid);
      const m = await pc.api.v2010.accounts(s1.sid).messages(mS1.sid).fetch();
      assert.equal(m.sid, mS1.sid);
      assert.equal(m.accountSid, s1.sid);
      assert.equal(m.body, 'sub 1');
      const list = await pc.api.v2010.accounts(s1.sid).messages.list();
      assert.deepEqual(list.map((x) => x.sid), [mS1.sid]);
    });

    it('parent credentials do not reach an unrelated account', async () => {
      await expectRestError(pc.api.v2010.accounts(stranger.sid).fetch(), notFound);
      await expectRestError(pc.api.v2010.accounts(stranger.sid).messages(mStranger.sid).fetch(), notFound);
      await expectRestError(strangerClient.api.v2010.accounts(parent.sid).fetch(), notFound);
      await expectRestError(strangerClient.api.v2010.accounts(s1.sid).messages(mS1.sid).fetch(), notFound);
    });

    it('each account lists only its own messages', async () => {
      const own = await pc.api.v2010.accounts(parent.sid).messages.list();
      assert.deepEqual(own.map((x) => x.sid), [mP.sid], 'parent list excludes subaccount messages');
      const s2list = await s2c.api.v2010.accounts(s2.sid).messages.list();
      assert.deepEqual(s2list.map((x) => x.sid), [mS2.sid]);
    });
  });
});

// API keys (SK… + secret) and auth token rotation (secondary, promote).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectRestError, TO } from './harness.js';

describe('credentials', () => {
  const ctx = useServer();

  describe('API keys', () => {
    let acct; let client; let other;
    let key; // NewKeyInstance from create

    before(async () => {
      acct = await ctx.server.createAccount('Keys Account');
      other = await ctx.server.createAccount('Keys Other');
      client = ctx.server.client(acct.sid, acct.auth_token);
    });

    it('create returns the secret once (201)', async () => {
      key = await client.api.v2010.accounts(acct.sid).newKeys.create({ friendlyName: 'ci key' });
      assert.match(key.sid, /^SK[0-9a-f]{32}$/);
      assert.equal(key.friendlyName, 'ci key');
      assert.equal(typeof key.secret, 'string');
      assert.ok(key.secret.length >= 32, `secret has at least 32 characters (got ${key.secret.length})`);
      const ex = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/Keys.json'));
      assert.equal(ex.status, 201);
    });

    it('fetch and list never show the secret', async () => {
      const fetched = await client.api.v2010.accounts(acct.sid).keys(key.sid).fetch();
      assert.equal(fetched.sid, key.sid);
      assert.equal(fetched.friendlyName, 'ci key');
      const raw = ctx.server.recorder.lastJson((e) => e.method === 'get' && e.url.includes(`/Keys/${key.sid}.json`));
      assert.ok(raw.secret === undefined || raw.secret === null, `fetch body has no secret: ${JSON.stringify(raw)}`);
      assert.ok(!JSON.stringify(raw).includes(key.secret), 'secret value absent from fetch body');

      const list = await client.api.v2010.accounts(acct.sid).keys.list();
      assert.ok(list.some((k) => k.sid === key.sid), 'key listed');
      const rawList = ctx.server.recorder.last((e) => e.method === 'get' && /\/Keys\.json/.test(e.url));
      assert.ok(!rawList.body.includes(key.secret), 'secret value absent from list body');
      assert.ok(Array.isArray(JSON.parse(rawList.body).keys));
    });

    it('a client authenticated with the key creates a message', async () => {
      const keyClient = ctx.server.client(key.sid, key.secret, { accountSid: acct.sid });
      const m = await keyClient.messages.create({ to: TO, from: acct.from, body: 'sent with an API key' });
      assert.match(m.sid, /^SM[0-9a-f]{32}$/);
      assert.equal(m.accountSid, acct.sid);
      const back = await client.api.v2010.accounts(acct.sid).messages(m.sid).fetch();
      assert.equal(back.body, 'sent with an API key');
    });

    it('a key does not reach another account', async () => {
      const keyClient = ctx.server.client(key.sid, key.secret, { accountSid: acct.sid });
      await expectRestError(keyClient.api.v2010.accounts(other.sid).fetch(), { status: 403, code: 20003 });
      await expectRestError(keyClient.api.v2010.accounts(other.sid).messages.list(), { status: 404, code: 20404 });
    });

    it('a standard key cannot list or fetch accounts, its own or a subaccount (403 20003)', async () => {
      const sub = await client.api.v2010.accounts.create({ friendlyName: 'keys sub' });
      const keyClient = ctx.server.client(key.sid, key.secret, { accountSid: acct.sid });
      const refused = { status: 403, code: 20003 };
      await expectRestError(keyClient.api.v2010.accounts.list(), refused, 'list');
      await expectRestError(keyClient.api.v2010.accounts.list({ friendlyName: 'keys sub' }), refused, 'filtered list');
      await expectRestError(keyClient.api.v2010.accounts(acct.sid).fetch(), refused, 'own account');
      await expectRestError(keyClient.api.v2010.accounts(sub.sid).fetch(), refused, 'subaccount');
      await expectRestError(keyClient.api.v2010.accounts(sub.sid).update({ friendlyName: 'x' }), refused, 'update');
      assert.match(ctx.server.recorder.lastJson().message, /Standard API keys cannot/);
      // The same key still does what standard keys may, and the auth token
      // still reads the accounts.
      assert.ok((await keyClient.messages.list({ limit: 1 })) instanceof Array);
      assert.ok((await client.api.v2010.accounts.list()).some((a) => a.sid === sub.sid));
      assert.equal((await client.api.v2010.accounts(sub.sid).fetch()).sid, sub.sid);
    });

    it('a wrong secret → 401 20003', async () => {
      const bad = ctx.server.client(key.sid, `${key.secret.slice(0, -1)}${key.secret.endsWith('0') ? '1' : '0'}`,
        { accountSid: acct.sid });
      await expectRestError(bad.messages.create({ to: TO, from: acct.from, body: 'x' }), { status: 401, code: 20003 });
    });

    it('deleting the key (204) revokes it → 401 20003', async () => {
      const removed = await client.api.v2010.accounts(acct.sid).keys(key.sid).remove();
      assert.equal(removed, true);
      const ex = ctx.server.recorder.last((e) => e.method === 'delete');
      assert.equal(ex.status, 204);
      const keyClient = ctx.server.client(key.sid, key.secret, { accountSid: acct.sid });
      await expectRestError(keyClient.messages.create({ to: TO, from: acct.from, body: 'x' }), { status: 401, code: 20003 });
      await expectRestError(client.api.v2010.accounts(acct.sid).keys(key.sid).fetch(), { status: 404, code: 20404 });
    });
  });

  describe('auth token rotation', () => {
    let acct; let primary; let secondary;

    before(async () => {
      acct = await ctx.server.createAccount('Rotation Account');
      primary = acct.auth_token;
    });

    it('creates a secondary auth token (201)', async () => {
      const client = ctx.server.client(acct.sid, primary);
      const s = await client.accounts.v1.secondaryAuthToken().create();
      assert.equal(s.accountSid, acct.sid);
      assert.match(s.secondaryAuthToken, /^[0-9a-f]{32}$/);
      assert.notEqual(s.secondaryAuthToken, primary);
      secondary = s.secondaryAuthToken;
      const ex = ctx.server.recorder.last((e) => e.url.includes('/accounts/v1/AuthTokens/Secondary'));
      assert.equal(ex.status, 201);
    });

    it('both primary and secondary authenticate', async () => {
      for (const token of [primary, secondary]) {
        const a = await ctx.server.client(acct.sid, token).api.v2010.accounts(acct.sid).fetch();
        assert.equal(a.sid, acct.sid);
      }
    });

    let promotion;
    it('promote makes the secondary the primary', async () => {
      const client = ctx.server.client(acct.sid, primary);
      promotion = await client.accounts.v1.authTokenPromotion().update();
      assert.equal(promotion.accountSid, acct.sid);
    });

    it('the old primary no longer authenticates; the promoted token does', async () => {
      await expectRestError(ctx.server.client(acct.sid, primary).api.v2010.accounts(acct.sid).fetch(),
        { status: 401, code: 20003 });
      const a = await ctx.server.client(acct.sid, secondary).api.v2010.accounts(acct.sid).fetch();
      assert.equal(a.sid, acct.sid);
    });

    // Pipit policy: a token appears only when created (Twilio echoes the new
    // primary in the promote response and on account fetch).
    it('promote response and account fetch do not echo the promoted token (Pipit policy)', async () => {
      assert.equal(promotion.authToken, null, 'promote response auth_token');
      const a = await ctx.server.client(acct.sid, secondary).api.v2010.accounts(acct.sid).fetch();
      assert.equal(a.authToken, null, 'account auth_token');
      const bodies = ctx.server.recorder.exchanges.filter((e) => e.url.includes('/AuthTokens/Promote') ||
        e.url.endsWith(`/Accounts/${acct.sid}.json`)).map((e) => e.body);
      assert.ok(bodies.length >= 2 && bodies.every((b) => !b.includes(secondary)), 'token absent from bodies');
    });

    it('a deleted secondary token stops authenticating', async () => {
      const client = ctx.server.client(acct.sid, secondary);
      const s = await client.accounts.v1.secondaryAuthToken().create();
      const second2 = s.secondaryAuthToken;
      assert.notEqual(second2, secondary);
      await ctx.server.client(acct.sid, second2).api.v2010.accounts(acct.sid).fetch();
      const removed = await client.accounts.v1.secondaryAuthToken().remove();
      assert.equal(removed, true);
      await expectRestError(ctx.server.client(acct.sid, second2).api.v2010.accounts(acct.sid).fetch(),
        { status: 401, code: 20003 });
      const a = await client.api.v2010.accounts(acct.sid).fetch();
      assert.equal(a.sid, acct.sid, 'the primary still works');
    });
  });
});

// Message list: paging (PageSize, next_page_uri, each()), ordering, filters.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, TO, uniqueNumber } from './harness.js';

const TOTAL = 125; // > 120: three pages of 50, 50, 25
const sidsOf = (list) => list.map((m) => m.sid);

describe('message list', () => {
  const ctx = useServer();

  describe('paging over 125 messages', () => {
    let acct; let client; let messages;
    const created = []; // sids in creation order

    before(async () => {
      acct = await ctx.server.createAccount('List Account');
      client = ctx.server.client(acct.sid, acct.auth_token);
      messages = client.api.v2010.accounts(acct.sid).messages;
      // Sequential, so creation order is unambiguous.
      for (let i = 0; i < TOTAL; i++) {
        const m = await messages.create({ to: TO, from: acct.from, body: `message ${i}` });
        created.push(m.sid);
      }
    }, { timeout: 120_000 });

    const newestFirst = () => [...created].reverse();
    const listPath = () => `/2010-04-01/Accounts/${acct.sid}/Messages.json`;
    const lastListBody = () => ctx.server.recorder.lastJson(
      (e) => e.method === 'get' && new URL(e.url).pathname === listPath());
    // The envelope of the list request just made, checked against the page
    // the SDK gave (its length) and where that page stands in the list.
    const checkedEnvelope = (pg, { page, count, start, end }) => {
      const env = lastListBody();
      assert.equal(pg.instances.length, count);
      assert.equal(env.page, page);
      assert.equal(env.start, start);
      assert.equal(env.end, end);
      return env;
    };

    it('page() walks three pages of 50, 50, 25 with a correct envelope', async () => {
      const page1 = await messages.page({ pageSize: 50 });
      const env1 = checkedEnvelope(page1, { page: 0, count: 50, start: 0, end: 49 });
      assert.equal(env1.page_size, 50);
      assert.equal(env1.previous_page_uri, null);
      assert.ok(env1.next_page_uri, 'page 0 has a next_page_uri');
      assert.ok(env1.next_page_uri.startsWith(`${listPath()}?`), `next_page_uri is relative: ${env1.next_page_uri}`);
      assert.match(env1.next_page_uri, /[?&]PageSize=50(&|$)/);
      assert.match(env1.next_page_uri, /[?&]Page=1(&|$)/);
      assert.ok(env1.first_page_uri.startsWith(`${listPath()}?`), `first_page_uri: ${env1.first_page_uri}`);
      assert.ok(env1.uri.startsWith(listPath()), `uri: ${env1.uri}`);
      assert.equal(env1.messages.length, 50);

      const page2 = await page1.nextPage();
      const env2 = checkedEnvelope(page2, { page: 1, count: 50, start: 50, end: 99 });
      assert.ok(env2.previous_page_uri, 'page 1 has a previous_page_uri');
      assert.ok(env2.next_page_uri, 'page 1 has a next_page_uri');

      const page3 = await page2.nextPage();
      const env3 = checkedEnvelope(page3, { page: 2, count: 25, start: 100, end: 124 });
      assert.equal(env3.next_page_uri, null, 'last page has no next_page_uri');
      assert.equal(page3.nextPage(), undefined);

      const sids = [...page1.instances, ...page2.instances, ...page3.instances].map((m) => m.sid);
      assert.deepEqual(sids, newestFirst(), 'pages concatenate to all messages, newest first');

      // previous_page_uri of page 1 leads back to page 0.
      const prev = await page2.previousPage();
      assert.deepEqual(prev.instances.map((m) => m.sid), page1.instances.map((m) => m.sid));
    });

    it('each() visits every message once, newest first, in 3 requests', async () => {
      const before = ctx.server.recorder.exchanges.length;
      const seen = [];
      await messages.each({ pageSize: 50 }, (m) => { seen.push(m); });
      const requests = ctx.server.recorder.exchanges.slice(before)
        .filter((e) => e.method === 'get' && new URL(e.url).pathname === listPath());
      assert.equal(requests.length, 3, 'three page requests');
      const sids = seen.map((m) => m.sid);
      assert.equal(sids.length, TOTAL);
      assert.equal(new Set(sids).size, TOTAL, 'no duplicates');
      assert.deepEqual([...sids].sort(), [...created].sort(), 'every created sid seen');
      assert.deepEqual(sids, newestFirst(), 'exact reverse creation order');
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i - 1].dateCreated >= seen[i].dateCreated,
          `date_created non-increasing at ${i}: ${seen[i - 1].dateCreated.toISOString()} < ${seen[i].dateCreated.toISOString()}`);
      }
    });

    it('list() without PageSize uses pages of 50', async () => {
      const page = await messages.page();
      assert.equal(page.instances.length, 50);
      assert.equal(lastListBody().page_size, 50);
      const all = await messages.list();
      assert.equal(all.length, TOTAL);
    });

    it('list({limit}) returns the newest messages', async () => {
      const ten = await messages.list({ limit: 10 });
      assert.deepEqual(ten.map((m) => m.sid), newestFirst().slice(0, 10));
    });

    it('PageSize 1000 returns everything in one page', async () => {
      const page = await messages.page({ pageSize: 1000 });
      assert.equal(page.instances.length, TOTAL);
      assert.equal(lastListBody().next_page_uri, null);
    });
  });

  describe('next_page_uri is a cursor', () => {
    it('messages created between pages do not shift or repeat later pages', async () => {
      const acct = await ctx.server.createAccount('Cursor Account');
      const messages = ctx.server.client(acct.sid, acct.auth_token).api.v2010.accounts(acct.sid).messages;
      const created = [];
      for (let i = 0; i < 5; i++) created.push((await messages.create({ to: TO, from: acct.from, body: `c${i}` })).sid);
      const expected = [...created].reverse();
      const page1 = await messages.page({ pageSize: 2 });
      assert.deepEqual(page1.instances.map((m) => m.sid), expected.slice(0, 2));
      await messages.create({ to: TO, from: acct.from, body: 'newcomer' });
      const page2 = await page1.nextPage();
      assert.deepEqual(page2.instances.map((m) => m.sid), expected.slice(2, 4));
      const page3 = await page2.nextPage();
      assert.deepEqual(page3.instances.map((m) => m.sid), expected.slice(4, 5));
    });
  });

  describe('filters', () => {
    const A = '+15550000001';
    const B = '+15550000002';
    const X = uniqueNumber();
    const Y = uniqueNumber();
    let messages;
    const sids = { AX: [], BX: [], AY: [] };

    before(async () => {
      const acct = await ctx.server.createAccount('Filter Account', { numbers: [X, Y] });
      messages = ctx.server.client(acct.sid, acct.auth_token).api.v2010.accounts(acct.sid).messages;
      for (let i = 0; i < 3; i++) sids.AX.push((await messages.create({ to: A, from: X, body: `ax${i}` })).sid);
      for (let i = 0; i < 2; i++) sids.BX.push((await messages.create({ to: B, from: X, body: `bx${i}` })).sid);
      sids.AY.push((await messages.create({ to: A, from: Y, body: 'ay' })).sid);
    });

    const sorted = (a) => [...a].sort();

    it('To', async () => {
      const toA = await messages.list({ to: A });
      assert.deepEqual(sorted(toA.map((m) => m.sid)), sorted([...sids.AX, ...sids.AY]));
      assert.ok(toA.every((m) => m.to === A));
      const toB = await messages.list({ to: B });
      assert.deepEqual(sorted(toB.map((m) => m.sid)), sorted(sids.BX));
      assert.deepEqual(sidsOf(await messages.list({ to: '+15559999999' })), []);
    });

    it('From', async () => {
      const fromX = await messages.list({ from: X });
      assert.deepEqual(sorted(fromX.map((m) => m.sid)), sorted([...sids.AX, ...sids.BX]));
      const fromY = await messages.list({ from: Y });
      assert.deepEqual(fromY.map((m) => m.sid), sids.AY);
    });

    it('To and From together', async () => {
      const aY = await messages.list({ to: A, from: Y });
      assert.deepEqual(aY.map((m) => m.sid), sids.AY);
      const bY = await messages.list({ to: B, from: Y });
      assert.deepEqual(sidsOf(bY), []);
    });

    it('filters survive paging (next_page_uri keeps To)', async () => {
      const seen = [];
      await messages.each({ to: A, pageSize: 2 }, (m) => { seen.push(m); });
      assert.equal(seen.length, 4);
      assert.ok(seen.every((m) => m.to === A), 'every page filtered');
      assert.equal(new Set(seen.map((m) => m.sid)).size, 4);
      const pageReq = ctx.server.recorder.last((e) => e.method === 'get' && /\/Messages\.json\?/.test(e.url));
      const nextUri = JSON.parse(pageReq.body).next_page_uri;
      assert.equal(nextUri, null, 'last page has no next');
    });

    it('DateSent filters match nothing while no message has been sent', async () => {
      const all = await messages.list();
      assert.equal(all.length, 6);
      assert.ok(all.every((m) => m.dateSent === null), 'date_sent is null before delivery');
      assert.deepEqual(sidsOf(await messages.list({ dateSent: new Date() })), [], 'DateSent=now');
      assert.deepEqual(sidsOf(await messages.list({ dateSentAfter: new Date(0) })), [], 'DateSent>=1970');
      assert.deepEqual(sidsOf(await messages.list({ dateSentBefore: new Date(Date.now() + 86_400_000) })), [],
        'DateSent<=tomorrow');
    });
  });
});

// Messaging Services (messaging/v1/Services): settings, the sender pool, and
// Messages.create with MessagingServiceSid picking From from the pool.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectRestError, randomHex, TO } from './harness.js';

const ISO8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// Numbers of this file only: +1555031 followed by four digits.
const N = (i) => `+1555031${String(i).padStart(4, '0')}`;

describe('messaging services', () => {
  const ctx = useServer();
  let acct; let client; let other; let otherClient;

  before(async () => {
    ({ acct, client } = await ctx.server.accountClient('Services'));
    ({ acct: other, client: otherClient } = await ctx.server.accountClient('Services Other'));
  });

  // services() is the list, services(sid) one service, as in the SDK.
  const services = (sid) => (sid === undefined ? client.messaging.v1.services : client.messaging.v1.services(sid));
  const lastRaw = (method, suffix) => ctx.server.recorder.lastJson(
    (e) => e.method === method && new URL(e.url).pathname.endsWith(suffix));

  describe('Services', () => {
    let svc;

    it('create stores the settings and answers every field (201)', async () => {
      svc = await services().create({
        friendlyName: 'Alerts', inboundRequestUrl: 'https://example.com/in', inboundMethod: 'GET',
        statusCallback: 'https://example.com/status', stickySender: false, validityPeriod: 600,
        useInboundWebhookOnNumber: true, usecase: 'notifications', scanMessageContent: 'disable',
      });
      assert.match(svc.sid, /^MG[0-9a-f]{32}$/);
      assert.equal(svc.accountSid, acct.sid);
      assert.equal(svc.friendlyName, 'Alerts');
      assert.equal(svc.inboundRequestUrl, 'https://example.com/in');
      assert.equal(svc.inboundMethod, 'GET');
      assert.equal(svc.statusCallback, 'https://example.com/status');
      assert.equal(svc.stickySender, false);
      assert.equal(svc.validityPeriod, 600);
      assert.equal(svc.useInboundWebhookOnNumber, true);
      assert.equal(svc.usecase, 'notifications');
      assert.equal(svc.scanMessageContent, 'disable');
      assert.equal(svc.url, `${ctx.server.baseUrl}/messaging/v1/Services/${svc.sid}`);
      assert.equal(svc.links.phone_numbers, `${svc.url}/PhoneNumbers`);
      const ex = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/v1/Services'));
      assert.equal(ex.status, 201);
      const raw = JSON.parse(ex.body);
      assert.match(raw.date_created, ISO8601);
      assert.match(raw.date_updated, ISO8601);
      assert.equal(raw.fallback_url, null, 'unset URLs are null');
      assert.equal(raw.fallback_method, 'POST');
      for (const k of ['sticky_sender', 'mms_converter', 'smart_encoding', 'fallback_to_long_code',
        'area_code_geomatch', 'synchronous_validation', 'us_app_to_person_registered',
        'use_inbound_webhook_on_number']) {
        assert.equal(typeof raw[k], 'boolean', `${k} is a boolean`);
      }
      assert.equal(typeof raw.validity_period, 'number');
    });

    it("create with only FriendlyName takes Twilio's defaults", async () => {
      const d = await services().create({ friendlyName: 'Defaults' });
      assert.equal(d.inboundRequestUrl, null);
      assert.equal(d.statusCallback, null);
      assert.equal(d.inboundMethod, 'POST');
      assert.equal(d.stickySender, true);
      assert.equal(d.smartEncoding, true);
      assert.equal(d.validityPeriod, 36000);
      assert.equal(d.usecase, 'undeclared');
      assert.equal(d.scanMessageContent, 'inherit');
      assert.equal(d.usAppToPersonRegistered, false);
      await services(d.sid).remove();
    });

    it('fetch returns it; list has it under `services` with the meta envelope', async () => {
      const f = await services(svc.sid).fetch();
      assert.equal(f.friendlyName, 'Alerts');
      assert.equal(f.validityPeriod, 600);
      const all = await services().list();
      assert.deepEqual(all.map((s) => s.sid), [svc.sid]);
      const body = lastRaw('get', '/v1/Services');
      assert.equal(body.meta.key, 'services');
      assert.equal(body.meta.page, 0);
      assert.equal(body.meta.next_page_url, null);
      assert.equal(body.meta.previous_page_url, null);
      assert.match(body.meta.first_page_url, /\/messaging\/v1\/Services\?PageSize=\d+&Page=0$/);
    });

    it('list pages through meta.next_page_url, newest first', async () => {
      const more = [];
      for (const name of ['Page A', 'Page B']) more.push(await services().create({ friendlyName: name }));
      const all = await services().list({ pageSize: 1 });
      assert.deepEqual(all.map((s) => s.sid), [more[1].sid, more[0].sid, svc.sid]);
      const pages = ctx.server.recorder.exchanges.filter((e) => e.method === 'get' &&
        new URL(e.url).pathname === '/messaging/v1/Services').slice(-3);
      assert.equal(pages.length, 3);
      const metas = pages.map((e) => JSON.parse(e.body).meta);
      assert.deepEqual(metas.map((m) => m.page), [0, 1, 2]);
      assert.ok(metas[0].next_page_url.startsWith(`${ctx.server.baseUrl}/messaging/v1/Services?`));
      assert.match(metas[1].url, /PageToken=PA\d+/);
      assert.notEqual(metas[1].previous_page_url, null);
      for (const s of more) await services(s.sid).remove();
    });

    it('update changes what it is given; "" clears a URL', async () => {
      const u = await services(svc.sid).update({ friendlyName: 'Alerts 2', stickySender: true,
        inboundRequestUrl: '', fallbackUrl: 'https://example.com/fb', validityPeriod: 3600 });
      assert.equal(u.friendlyName, 'Alerts 2');
      assert.equal(u.stickySender, true);
      assert.equal(u.inboundRequestUrl, null);
      assert.equal(u.fallbackUrl, 'https://example.com/fb');
      assert.equal(u.validityPeriod, 3600);
      assert.equal(u.statusCallback, 'https://example.com/status', 'unchanged');
      assert.equal(u.usecase, 'notifications', 'unchanged');
      const f = await services(svc.sid).fetch();
      assert.equal(f.friendlyName, 'Alerts 2');
      assert.equal(f.fallbackUrl, 'https://example.com/fb');
    });

    it('refuses a missing FriendlyName (20001) and malformed settings', async () => {
      const res = await ctx.server.raw('POST', '/messaging/v1/Services',
        { auth: [acct.sid, acct.auth_token], form: { InboundRequestUrl: 'https://example.com' } });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 20001);
      assert.match(res.json.message, /FriendlyName/);
      await expectRestError(services().create({ friendlyName: '' }), { status: 400, code: 20001 });
      await expectRestError(services().create({ friendlyName: 'x'.repeat(65) }), { status: 400, code: 21200 });
      await expectRestError(services().create({ friendlyName: 'x', usecase: 'spam' }), { status: 400, code: 21713 });
      await expectRestError(services().create({ friendlyName: 'x', inboundRequestUrl: 'ftp://x' }),
        { status: 400, code: 21502 });
      await expectRestError(services().create({ friendlyName: 'x', inboundMethod: 'PUT' }),
        { status: 400, code: 21200 });
      await expectRestError(services().create({ friendlyName: 'x', validityPeriod: 0 }),
        { status: 400, code: 21609 });
      const bad = await ctx.server.raw('POST', '/messaging/v1/Services',
        { auth: [acct.sid, acct.auth_token], form: { FriendlyName: 'x', StickySender: 'maybe' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, 21200);
      assert.equal((await services().list()).length, 1, 'nothing was created');
    });

    it('an unknown service is 404 20404 for every operation', async () => {
      const ghost = `MG${randomHex(32)}`;
      await expectRestError(services(ghost).fetch(), { status: 404, code: 20404 });
      await expectRestError(services(ghost).update({ friendlyName: 'x' }), { status: 404, code: 20404 });
      await expectRestError(services(ghost).remove(), { status: 404, code: 20404 });
      await expectRestError(services(ghost).phoneNumbers.list(), { status: 404, code: 20404 });
      const res = await ctx.server.raw('GET', `/messaging/v1/Services/${ghost}`, { auth: [acct.sid, acct.auth_token] });
      assert.deepEqual(Object.keys(res.json).sort(), ['code', 'message', 'more_info', 'status']);
      assert.equal(res.json.more_info, 'https://www.twilio.com/docs/errors/20404');
    });

    it("another account neither sees nor changes it; an API key acts for its account", async () => {
      await expectRestError(otherClient.messaging.v1.services(svc.sid).fetch(), { status: 404, code: 20404 });
      await expectRestError(otherClient.messaging.v1.services(svc.sid).update({ friendlyName: 'mine' }),
        { status: 404, code: 20404 });
      await expectRestError(otherClient.messaging.v1.services(svc.sid).remove(), { status: 404, code: 20404 });
      assert.equal((await otherClient.messaging.v1.services.list()).length, 0);
      const key = await client.api.v2010.accounts(acct.sid).newKeys.create({ friendlyName: 'svc key' });
      const keyClient = ctx.server.client(key.sid, key.secret, { accountSid: acct.sid });
      assert.deepEqual((await keyClient.messaging.v1.services.list()).map((s) => s.sid), [svc.sid]);
    });
  });

  describe('sender pool (PhoneNumbers)', () => {
    let svc; let second; let pn1; let pn2; let foreign;

    before(async () => {
      svc = await services().create({ friendlyName: 'Pool' });
      second = await services().create({ friendlyName: 'Second' });
      await ctx.server.offerNumbers([N(1), N(2)], acct.sid);
      await ctx.server.offerNumbers(N(9), other.sid);
      pn1 = await client.incomingPhoneNumbers.create({ phoneNumber: N(1) });
      pn2 = await client.incomingPhoneNumbers.create({ phoneNumber: N(2) });
      foreign = await otherClient.incomingPhoneNumbers.create({ phoneNumber: N(9) });
    });

    it('create adds an account number to the pool (201)', async () => {
      const p = await services(svc.sid).phoneNumbers.create({ phoneNumberSid: pn1.sid });
      assert.equal(p.sid, pn1.sid);
      assert.equal(p.accountSid, acct.sid);
      assert.equal(p.serviceSid, svc.sid);
      assert.equal(p.phoneNumber, N(1));
      assert.equal(p.countryCode, 'US');
      assert.deepEqual(p.capabilities, ['SMS']);
      assert.equal(p.url, `${ctx.server.baseUrl}/messaging/v1/Services/${svc.sid}/PhoneNumbers/${pn1.sid}`);
      const ex = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/PhoneNumbers'));
      assert.equal(ex.status, 201);
      assert.match(JSON.parse(ex.body).date_created, ISO8601);
      await services(svc.sid).phoneNumbers.create({ phoneNumberSid: pn2.sid });
    });

    it('list and fetch show the pool', async () => {
      const all = await services(svc.sid).phoneNumbers.list();
      assert.deepEqual(all.map((p) => p.phoneNumber), [N(2), N(1)]);
      assert.equal(lastRaw('get', '/PhoneNumbers').meta.key, 'phone_numbers');
      const paged = await services(svc.sid).phoneNumbers.list({ pageSize: 1 });
      assert.deepEqual(paged.map((p) => p.sid), [pn2.sid, pn1.sid]);
      const f = await services(svc.sid).phoneNumbers(pn1.sid).fetch();
      assert.equal(f.phoneNumber, N(1));
      await expectRestError(services(second.sid).phoneNumbers(pn1.sid).fetch(), { status: 404, code: 20404 });
    });

    it('a number is in one service at a time (21712)', async () => {
      await expectRestError(services(svc.sid).phoneNumbers.create({ phoneNumberSid: pn1.sid }),
        { status: 400, code: 21712 });
      await expectRestError(services(second.sid).phoneNumbers.create({ phoneNumberSid: pn1.sid }),
        { status: 400, code: 21712 });
    });

    it("refuses another account's number, an unknown or malformed sid (21421) and a missing one (20001)", async () => {
      await expectRestError(services(svc.sid).phoneNumbers.create({ phoneNumberSid: foreign.sid }),
        { status: 400, code: 21421 });
      await expectRestError(services(svc.sid).phoneNumbers.create({ phoneNumberSid: `PN${randomHex(32)}` }),
        { status: 400, code: 21421 });
      await expectRestError(services(svc.sid).phoneNumbers.create({ phoneNumberSid: 'PN123' }),
        { status: 400, code: 21421 });
      const res = await ctx.server.raw('POST', `/messaging/v1/Services/${svc.sid}/PhoneNumbers`,
        { auth: [acct.sid, acct.auth_token], form: {} });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 20001);
      await expectRestError(otherClient.messaging.v1.services(svc.sid).phoneNumbers.create({ phoneNumberSid: foreign.sid }),
        { status: 404, code: 20404 });
      await expectRestError(otherClient.messaging.v1.services(svc.sid).phoneNumbers.list(), { status: 404, code: 20404 });
    });

    it('remove takes a number out of the pool (204); it may then join another service', async () => {
      assert.equal(await services(svc.sid).phoneNumbers(pn2.sid).remove(), true);
      await expectRestError(services(svc.sid).phoneNumbers(pn2.sid).fetch(), { status: 404, code: 20404 });
      await expectRestError(services(svc.sid).phoneNumbers(pn2.sid).remove(), { status: 404, code: 20404 });
      const moved = await services(second.sid).phoneNumbers.create({ phoneNumberSid: pn2.sid });
      assert.equal(moved.serviceSid, second.sid);
      assert.ok(await client.incomingPhoneNumbers(pn2.sid).fetch(), 'the number stays on the account');
    });

    it('releasing the number or deleting the service empties the pool', async () => {
      assert.equal(await client.incomingPhoneNumbers(pn2.sid).remove(), true);
      assert.deepEqual(await services(second.sid).phoneNumbers.list(), []);
      assert.equal(await services(svc.sid).remove(), true);
      await expectRestError(services(svc.sid).fetch(), { status: 404, code: 20404 });
      const again = await services(second.sid).phoneNumbers.create({ phoneNumberSid: pn1.sid });
      assert.equal(again.phoneNumber, N(1), 'freed by the delete');
      await services(second.sid).remove();
      await client.incomingPhoneNumbers(pn1.sid).remove();
    });
  });

  describe('Messages.create with MessagingServiceSid', () => {
    let sticky; let spread; let empty; let foreignSvc; let later;
    const pool = [N(11), N(12), N(13)];

    before(async () => {
      sticky = await services().create({ friendlyName: 'Sticky', statusCallback: 'https://example.com/cb' });
      spread = await services().create({ friendlyName: 'Spread', stickySender: false });
      empty = await services().create({ friendlyName: 'Empty' });
      foreignSvc = await otherClient.messaging.v1.services.create({ friendlyName: 'Theirs' });
      const nums = [];
      await ctx.server.offerNumbers([...pool, N(21), N(22), N(23)], acct.sid);
      for (const n of [...pool, N(21), N(22), N(23)]) nums.push(await client.incomingPhoneNumbers.create({ phoneNumber: n }));
      await services(sticky.sid).phoneNumbers.create({ phoneNumberSid: nums[0].sid });
      for (const n of nums.slice(3)) await services(spread.sid).phoneNumbers.create({ phoneNumberSid: n.sid });
      later = nums.slice(1, 3); // the rest of `pool` joins the sticky service later
    });

    it('without From, the sender comes from the pool; status accepted; fetch shows both', async () => {
      const m = await client.messages.create({ messagingServiceSid: sticky.sid, to: TO, body: 'via service' });
      assert.equal(m.status, 'accepted');
      assert.equal(m.messagingServiceSid, sticky.sid);
      assert.equal(m.from, N(11), 'the only number in the pool');
      const f = await client.messages(m.sid).fetch();
      assert.equal(f.from, N(11));
      assert.equal(f.messagingServiceSid, sticky.sid);
      assert.equal(f.to, TO);
    });

    it('sticky sender: a recipient keeps its sender when the pool grows', async () => {
      for (const n of later) await services(sticky.sid).phoneNumbers.create({ phoneNumberSid: n.sid });
      for (let i = 0; i < 3; i++) {
        const m = await client.messages.create({ messagingServiceSid: sticky.sid, to: TO, body: `again ${i}` });
        assert.equal(m.from, N(11));
      }
      // Without stickiness the pick is FNV-1a(To) mod 3 in the order the
      // numbers were added: 2 for TO, the third number.
      await services(sticky.sid).update({ stickySender: false });
      const m = await client.messages.create({ messagingServiceSid: sticky.sid, to: TO, body: 'plain' });
      assert.equal(m.from, N(13));
    });

    it('without sticky sender the pick is deterministic per recipient and stays in the pool', async () => {
      const spreadPool = [N(21), N(22), N(23)];
      const seen = new Set();
      for (let i = 0; i < 12; i++) {
        const to = `+1555867${String(1000 + i)}`;
        const a = await client.messages.create({ messagingServiceSid: spread.sid, to, body: 'a' });
        const b = await client.messages.create({ messagingServiceSid: spread.sid, to, body: 'b' });
        assert.ok(spreadPool.includes(a.from), `${a.from} is in the pool`);
        assert.equal(b.from, a.from, 'same recipient, same sender');
        seen.add(a.from);
      }
      assert.ok(seen.size > 1, 'recipients spread over the pool');
    });

    it('From given with a service: From is used and the service recorded (queued)', async () => {
      const m = await client.messages.create({ messagingServiceSid: spread.sid, from: N(22), to: TO, body: 'x' });
      assert.equal(m.from, N(22));
      assert.equal(m.messagingServiceSid, spread.sid);
      assert.equal(m.status, 'queued');
    });

    it('an empty pool is 21704; an unknown or foreign service 21701; a malformed sid 21705', async () => {
      await expectRestError(client.messages.create({ messagingServiceSid: empty.sid, to: TO, body: 'x' }),
        { status: 400, code: 21704 });
      await expectRestError(client.messages.create({ messagingServiceSid: `MG${randomHex(32)}`, to: TO, body: 'x' }),
        { status: 400, code: 21701 });
      await expectRestError(client.messages.create({ messagingServiceSid: foreignSvc.sid, to: TO, body: 'x' }),
        { status: 400, code: 21701 });
      await expectRestError(client.messages.create({ messagingServiceSid: 'MG123', to: TO, body: 'x' }),
        { status: 400, code: 21705 });
    });
  });
});

// Messages: create/fetch/update/delete, scheduling, validation errors,
// segment counting.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectRestError, randomHex, RFC2822, FROM, TO } from './harness.js';

describe('messages', () => {
  const ctx = useServer();
  let acct; let client; let messages;

  before(async () => {
    acct = await ctx.server.createAccount('Messages Account');
    client = ctx.server.client(acct.sid, acct.auth_token);
    messages = client.api.v2010.accounts(acct.sid).messages;
  });

  describe('lifecycle', () => {
    let sid;

    it('create → 201 queued outbound-api', async () => {
      const m = await messages.create({ to: TO, from: acct.from, body: 'Hello from Pipit' });
      assert.match(m.sid, /^SM[0-9a-f]{32}$/);
      assert.equal(m.accountSid, acct.sid);
      assert.equal(m.to, TO);
      assert.equal(m.from, acct.from);
      assert.equal(m.body, 'Hello from Pipit');
      assert.equal(m.status, 'queued');
      assert.equal(m.direction, 'outbound-api');
      assert.equal(m.numSegments, '1');
      assert.equal(m.numMedia, '0');
      assert.equal(m.apiVersion, '2010-04-01');
      assert.equal(m.uri, `/2010-04-01/Accounts/${acct.sid}/Messages/${m.sid}.json`);
      assert.equal(m.errorCode, null);
      assert.equal(m.dateSent, null, 'not sent yet');
      const ex = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/Messages.json'));
      assert.equal(ex.status, 201);
      const raw = JSON.parse(ex.body);
      assert.match(raw.date_created, RFC2822);
      assert.match(raw.date_updated, RFC2822);
      sid = m.sid;
    });

    it('fetch returns the same message', async () => {
      const m = await messages(sid).fetch();
      assert.equal(m.sid, sid);
      assert.equal(m.body, 'Hello from Pipit');
      assert.equal(m.to, TO);
      assert.equal(m.from, acct.from);
      assert.equal(m.status, 'queued');
      assert.equal(m.accountSid, acct.sid);
    });

    it('update with Body="" redacts the body', async () => {
      const m = await messages(sid).update({ body: '' });
      assert.equal(m.sid, sid);
      assert.equal(m.body, '');
      const again = await messages(sid).fetch();
      assert.equal(again.body, '');
      assert.equal(again.to, TO, 'redaction keeps the other fields');
    });

    it('delete → 204, then fetch → 404 20404', async () => {
      assert.equal(await messages(sid).remove(), true);
      assert.equal(ctx.server.recorder.last((e) => e.method === 'delete').status, 204);
      await expectRestError(messages(sid).fetch(), { status: 404, code: 20404 });
      await expectRestError(messages(sid).remove(), { status: 404, code: 20404 });
      const list = await messages.list();
      assert.ok(!list.some((x) => x.sid === sid), 'deleted message not listed');
    });

    it('unknown sid → 404 20404 for fetch, update and delete', async () => {
      const ghost = `SM${randomHex(32)}`;
      await expectRestError(messages(ghost).fetch(), { status: 404, code: 20404 });
      await expectRestError(messages(ghost).update({ body: '' }), { status: 404, code: 20404 });
      await expectRestError(messages(ghost).remove(), { status: 404, code: 20404 });
    });

    it('a body with every kind of character round-trips', async () => {
      const body = 'ÄÖÜ € ✓ 😀 "quotes" & <tags> \\ / \n\ttab +%20= ﬁ \u200b end';
      const m = await messages.create({ to: TO, from: acct.from, body });
      assert.equal(m.body, body);
      const again = await messages(m.sid).fetch();
      assert.equal(again.body, body);
    });
  });

  describe('scheduled messages', () => {
    it('ScheduleType=fixed + SendAt → scheduled; Status=canceled cancels', async () => {
      // A Messaging Service with one number in its pool (numbers starting
      // +1555031 belong to the Messaging Services tests).
      const svc = await client.messaging.v1.services.create({ friendlyName: 'Scheduling' });
      await ctx.server.offerNumbers('+15550319001', acct.sid);
      const pn = await client.incomingPhoneNumbers.create({ phoneNumber: '+15550319001' });
      await client.messaging.v1.services(svc.sid).phoneNumbers.create({ phoneNumberSid: pn.sid });
      const mg = svc.sid;
      const sendAt = new Date(Date.now() + 20 * 60_000);
      const m = await messages.create({
        to: TO, messagingServiceSid: mg, body: 'later', scheduleType: 'fixed', sendAt,
      });
      assert.equal(m.status, 'scheduled');
      assert.equal(m.messagingServiceSid, mg);
      assert.equal(m.direction, 'outbound-api');
      const req = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/Messages.json'));
      assert.match(req.requestData.SendAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'SDK sent SendAt as ISO 8601');

      const fetched = await messages(m.sid).fetch();
      assert.equal(fetched.status, 'scheduled');

      const c = await messages(m.sid).update({ status: 'canceled' });
      assert.equal(c.status, 'canceled');
      const after = await messages(m.sid).fetch();
      assert.equal(after.status, 'canceled');
    });
  });

  describe('validation errors', () => {
    const bad = { status: 400 };

    it('21604: To missing', async () => {
      const res = await ctx.server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`,
        { auth: [acct.sid, acct.auth_token], form: { From: acct.from, Body: 'x' } });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 21604);
      // The SDK insists on `to`; an empty one reaches the server as To=.
      await expectRestError(messages.create({ to: '', from: acct.from, body: 'x' }), { ...bad, code: 21604 });
    });

    it('21211: invalid To', async () => {
      for (const to of ['555-1234', '15558675310', '+0123456789', '+1555867531012345678', 'hello']) {
        await expectRestError(messages.create({ to, from: acct.from, body: 'x' }), { ...bad, code: 21211 }, `To=${to}`);
      }
    });

    it('21603: From and MessagingServiceSid both missing', async () => {
      await expectRestError(messages.create({ to: TO, body: 'x' }), { ...bad, code: 21603 });
    });

    it('21212: invalid From', async () => {
      for (const from of ['+1555abc1234', '+0123456789', 'not a sender id', '!!!']) {
        await expectRestError(messages.create({ to: TO, from, body: 'x' }), { ...bad, code: 21212 }, `From=${from}`);
      }
    });

    it('21606: From a number the account does not own', async () => {
      const other = await ctx.server.createAccount('Owns Another Number');
      for (const from of [FROM, other.from]) {
        await expectRestError(messages.create({ to: TO, from, body: 'x' }), { ...bad, code: 21606 }, `From=${from}`);
      }
      // The owner may send from it.
      const mine = ctx.server.client(other.sid, other.auth_token).api.v2010.accounts(other.sid).messages;
      assert.equal((await mine.create({ to: TO, from: other.from, body: 'mine' })).from, other.from);
    });

    it('alphanumeric From: allowed only when the account has it', async () => {
      await expectRestError(messages.create({ to: TO, from: 'Pipit', body: 'x' }), { ...bad, code: 21212 });
      const brand = await ctx.server.createAccount('Brand Sender', { senders: ['Pipit Co'] });
      const bm = ctx.server.client(brand.sid, brand.auth_token).api.v2010.accounts(brand.sid).messages;
      const m = await bm.create({ to: TO, from: 'Pipit Co', body: 'from a brand' });
      assert.equal(m.from, 'Pipit Co');
      assert.equal(m.status, 'queued');
      await expectRestError(bm.create({ to: TO, from: 'Other', body: 'x' }), { ...bad, code: 21212 });
      await ctx.server.admin('sender', 'remove', '--account', brand.sid, '--sender', 'Pipit Co');
      await expectRestError(bm.create({ to: TO, from: 'Pipit Co', body: 'x' }), { ...bad, code: 21212 });
    });

    it('21602: Body and MediaUrl both missing', async () => {
      await expectRestError(messages.create({ to: TO, from: acct.from }), { ...bad, code: 21602 });
      await expectRestError(messages.create({ to: TO, from: acct.from, body: '' }), { ...bad, code: 21602 });
    });

    it('21617: Body over 1600 characters; 1600 is accepted', async () => {
      await expectRestError(messages.create({ to: TO, from: acct.from, body: 'a'.repeat(1601) }), { ...bad, code: 21617 });
      const ok = await messages.create({ to: TO, from: acct.from, body: 'a'.repeat(1600) });
      assert.equal(ok.body.length, 1600);
      assert.equal(ok.numSegments, '11');
    });

    it('21200: a NUL byte in any parameter is refused, naming it, and nothing is stored', async () => {
      const fresh = await ctx.server.createAccount('NUL bytes');
      const fc = ctx.server.client(fresh.sid, fresh.auth_token).api.v2010.accounts(fresh.sid).messages;
      const nul = async (promise, name) => {
        await expectRestError(promise, { ...bad, code: 21200 }, name);
        const ex = ctx.server.recorder.last();
        assert.match(JSON.parse(ex.body).message, new RegExp(`^Invalid parameter: ${name} `), ex.body);
      };
      await nul(fc.create({ to: `${TO}\0x`, from: fresh.from, body: 'x' }), 'To');
      await nul(fc.create({ to: TO, from: fresh.from, body: 'abc\0def' }), 'Body');
      await nul(fc.create({ to: TO, from: fresh.from, body: 'x', statusCallback: 'https://example.com/\0' }),
        'StatusCallback');
      await nul(fc.list({ to: `${TO}\0` }), 'To'); // the query string as well
      // A NUL in a name: "To%00x" is not "To".
      const res = await ctx.server.raw('POST', `/2010-04-01/Accounts/${fresh.sid}/Messages.json`, {
        auth: [fresh.sid, fresh.auth_token],
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `To%00x=${encodeURIComponent(TO)}&From=${encodeURIComponent(fresh.from)}&Body=x`,
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 21200);
      assert.match(res.json.message, /^Invalid parameter: To /);
      assert.deepEqual((await fc.list()).map((x) => x.body), []);
    });

    it('20404: unknown message', async () => {
      await expectRestError(messages(`SM${'0'.repeat(32)}`).fetch(), { status: 404, code: 20404 });
    });

    it('20003: wrong password', async () => {
      const wrong = ctx.server.client(acct.sid, 'f'.repeat(32)).api.v2010.accounts(acct.sid).messages;
      await expectRestError(wrong.create({ to: TO, from: acct.from, body: 'x' }), { status: 401, code: 20003 });
      await expectRestError(wrong.list(), { status: 401, code: 20003 });
    });

    it('rejected creates store nothing', async () => {
      const fresh = await ctx.server.createAccount('Rejections');
      const m = ctx.server.client(fresh.sid, fresh.auth_token).api.v2010.accounts(fresh.sid).messages;
      await assert.rejects(m.create({ to: 'bogus', from: acct.from, body: 'x' }));
      await assert.rejects(m.create({ to: TO, from: acct.from, body: 'a'.repeat(1601) }));
      await assert.rejects(m.create({ to: TO, body: 'x' }));
      assert.deepEqual((await m.list()).map((x) => x.sid), []);
    });
  });

  describe('num_segments', () => {
    const cases = [
      ['GSM-7, 1 char', 'a', '1'],
      ['GSM-7, 160 chars', 'a'.repeat(160), '1'],
      ['GSM-7, 161 chars', 'a'.repeat(161), '2'],
      ['GSM-7, 306 chars', 'a'.repeat(306), '2'],
      ['GSM-7, 307 chars', 'a'.repeat(307), '3'],
      ['GSM-7 basic-set accents (é, ñ, Ü), 160', 'éñÜ'.repeat(53) + 'é', '1'],
      ['GSM-7 é, 161', 'é'.repeat(161), '2'],
      ['extension € ×80 = 160 septets', '€'.repeat(80), '1'],
      ['extension € ×81 = 162 septets', '€'.repeat(81), '2'],
      ['extension chars [ ] { } ^ ~ \\ | (80 chars) = 160 septets', '[]{}^~\\|'.repeat(10), '1'],
      ['10 extension chars + 141 a = 161 septets', '[]{}^~\\|{}' + 'a'.repeat(141), '2'],
      ['159 a + € = 161 septets', 'a'.repeat(159) + '€', '2'],
      ['UCS-2 ж ×70', 'ж'.repeat(70), '1'],
      ['UCS-2 ж ×71', 'ж'.repeat(71), '2'],
      ['UCS-2 ж ×134', 'ж'.repeat(134), '2'],
      ['UCS-2 ж ×135', 'ж'.repeat(135), '3'],
      ['one non-GSM char makes it UCS-2: 70 a + ж', 'a'.repeat(70) + 'ж', '2'],
      ['emoji 😀 ×1 (surrogate pair)', '😀', '1'],
      ['emoji ×35 = 70 UTF-16 units', '😀'.repeat(35), '1'],
      ['emoji ×36 = 72 UTF-16 units', '😀'.repeat(36), '2'],
      ['69 a + emoji = 71 UTF-16 units', 'a'.repeat(69) + '😀', '2'],
    ];
    for (const [name, body, expected] of cases) {
      it(`${name} → ${expected}`, async () => {
        const m = await messages.create({ to: TO, from: acct.from, body });
        assert.equal(m.body, body, 'body stored verbatim');
        assert.equal(m.numSegments, expected);
      });
    }

    // A part never splits an escape pair (GSM-7) or a surrogate pair (UCS-2).
    it('parts never split an escape pair: 152 a + € + 152 a → 3', async () => {
      const m = await messages.create({ to: TO, from: acct.from, body: 'a'.repeat(152) + '€' + 'a'.repeat(152) });
      assert.equal(m.numSegments, '3');
    });
    it('parts never split a surrogate pair: 66 ж + 😀 + 66 ж → 3', async () => {
      const m = await messages.create({ to: TO, from: acct.from, body: 'ж'.repeat(66) + '😀' + 'ж'.repeat(66) });
      assert.equal(m.numSegments, '3');
    });
  });
});

// IncomingPhoneNumbers: an account's numbers and where their SMS go; only
// numbers the operator made available can be taken (pipit admin number).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectRestError, RFC2822, uniqueNumber } from './harness.js';

describe('incoming phone numbers', () => {
  const ctx = useServer();
  let acct; let client; let other; let otherClient; let pn;
  const NUMBER = '+15005550006';

  before(async () => {
    acct = await ctx.server.createAccount('Numbers', { numbers: [] });
    other = await ctx.server.createAccount('Numbers Other', { numbers: [] });
    client = ctx.server.client(acct.sid, acct.auth_token);
    otherClient = ctx.server.client(other.sid, other.auth_token);
  });

  it('refuses a number the operator did not make available to the account, with one answer', async () => {
    const unknown = uniqueNumber();
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: unknown }), { status: 400, code: 21422 },
      'a number nobody made available');
    const answer = (n) => JSON.parse(ctx.server.recorder.last().body).message.replace(n, 'N');
    const unknownAnswer = answer(unknown);
    // Offered to another account only.
    const theirs = uniqueNumber();
    await ctx.server.offerNumbers(theirs, other.sid);
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: theirs }), { status: 400, code: 21422 },
      'a number made available to another account');
    assert.equal(answer(theirs), unknownAnswer);
    // Held by another account (which may take it).
    const taken = await otherClient.incomingPhoneNumbers.create({ phoneNumber: theirs });
    assert.equal(taken.accountSid, other.sid);
    const held = uniqueNumber();
    await ctx.server.offerNumbers(held); // to any account
    await otherClient.incomingPhoneNumbers.create({ phoneNumber: held });
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: held }), { status: 400, code: 21422 },
      'a number another account holds');
    assert.equal(answer(held), unknownAnswer);
    // Nothing was taken; the operator sees who holds what.
    assert.equal((await client.incomingPhoneNumbers.list()).length, 0);
    const list = await ctx.server.admin('number', 'list');
    assert.match(list, new RegExp(`^\\${theirs}\tto=${other.sid}\theld-by=${other.sid}$`, 'm'));
    assert.match(list, new RegExp(`^\\${held}\tto=any\theld-by=${other.sid}$`, 'm'));
    await assert.rejects(ctx.server.admin('number', 'remove', unknown), /not one of the operator's numbers/);
    await assert.rejects(ctx.server.admin('number', 'add', unknown, '--account', `AC${'0'.repeat(32)}`), /no account/);
  });

  it("a number made available to an account can be taken by its subaccounts, and withdrawn", async () => {
    const mine = uniqueNumber();
    await ctx.server.offerNumbers(mine, acct.sid);
    const sub = await client.api.v2010.accounts.create({ friendlyName: 'numbers sub' });
    const subClient = ctx.server.client(sub.sid, sub.authToken);
    const got = await subClient.incomingPhoneNumbers.create({ phoneNumber: mine });
    assert.equal(got.accountSid, sub.sid);
    assert.equal(await subClient.incomingPhoneNumbers(got.sid).remove(), true);
    await ctx.server.admin('number', 'remove', mine);
    await expectRestError(subClient.incomingPhoneNumbers.create({ phoneNumber: mine }), { status: 400, code: 21422 });
  });

  it('create takes the number with its SMS settings (201)', async () => {
    await ctx.server.offerNumbers(NUMBER); // to any account
    pn = await client.incomingPhoneNumbers.create({
      phoneNumber: NUMBER, friendlyName: 'support line',
      smsUrl: 'https://example.com/sms', smsMethod: 'GET',
      statusCallback: 'https://example.com/status',
    });
    assert.match(pn.sid, /^PN[0-9a-f]{32}$/);
    assert.equal(pn.accountSid, acct.sid);
    assert.equal(pn.phoneNumber, NUMBER);
    assert.equal(pn.friendlyName, 'support line');
    assert.equal(pn.smsUrl, 'https://example.com/sms');
    assert.equal(pn.smsMethod, 'GET');
    assert.equal(pn.statusCallback, 'https://example.com/status');
    assert.equal(pn.capabilities.sms, true);
    assert.match(pn.dateCreated.toUTCString().replace('GMT', '+0000'), RFC2822);
    const ex = ctx.server.recorder.last((e) => e.method === 'post' && e.url.endsWith('/IncomingPhoneNumbers.json'));
    assert.equal(ex.status, 201);
  });

  it('fetch, list and the PhoneNumber filter find it', async () => {
    const f = await client.incomingPhoneNumbers(pn.sid).fetch();
    assert.equal(f.phoneNumber, NUMBER);
    const all = await client.incomingPhoneNumbers.list();
    assert.deepEqual(all.map((n) => n.sid), [pn.sid]);
    const hit = await client.incomingPhoneNumbers.list({ phoneNumber: NUMBER });
    assert.equal(hit.length, 1);
    const miss = await client.incomingPhoneNumbers.list({ phoneNumber: '+15005550007' });
    assert.equal(miss.length, 0);
  });

  it('update changes the SMS settings; an empty SmsUrl clears it', async () => {
    const u = await client.incomingPhoneNumbers(pn.sid).update({ smsUrl: 'https://example.com/v2', smsMethod: 'POST' });
    assert.equal(u.smsUrl, 'https://example.com/v2');
    assert.equal(u.smsMethod, 'POST');
    assert.equal(u.friendlyName, 'support line');
    const cleared = await client.incomingPhoneNumbers(pn.sid).update({ smsUrl: '' });
    assert.equal(cleared.smsUrl, '');
  });

  it('refuses a number another account holds (21422) and malformed input', async () => {
    await expectRestError(otherClient.incomingPhoneNumbers.create({ phoneNumber: NUMBER }),
      { status: 400, code: 21422 });
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: '12345' }),
      { status: 400, code: 21421 });
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: '+15005550008', smsUrl: 'ftp://x' }),
      { status: 400, code: 21502 });
    await expectRestError(client.incomingPhoneNumbers.create({ phoneNumber: '+15005550008', smsMethod: 'PUT' }),
      { status: 400, code: 21200 });
  });

  it("another account cannot see or change it (404 20404)", async () => {
    await expectRestError(otherClient.api.v2010.accounts(other.sid).incomingPhoneNumbers(pn.sid).fetch(),
      { status: 404, code: 20404 });
    await expectRestError(otherClient.api.v2010.accounts(other.sid).incomingPhoneNumbers(pn.sid).remove(),
      { status: 404, code: 20404 });
    assert.ok(!(await otherClient.incomingPhoneNumbers.list()).some((n) => n.sid === pn.sid));
  });

  it('delete releases it (204), and the number can be taken again', async () => {
    assert.equal(await client.incomingPhoneNumbers(pn.sid).remove(), true);
    await expectRestError(client.incomingPhoneNumbers(pn.sid).fetch(), { status: 404, code: 20404 });
    const again = await otherClient.incomingPhoneNumbers.create({ phoneNumber: NUMBER });
    assert.equal(again.accountSid, other.sid);
  });

  it('the FriendlyName filter matches the sealed name, a page at a time', async () => {
    const made = [];
    for (const name of ['desk', 'lab', 'desk', 'desk']) {
      const n = uniqueNumber();
      await ctx.server.offerNumbers(n, acct.sid);
      made.push(await client.incomingPhoneNumbers.create({ phoneNumber: n, friendlyName: name }));
    }
    const desks = made.filter((n) => n.friendlyName === 'desk').map((n) => n.sid).sort();
    const all = await client.incomingPhoneNumbers.list({ friendlyName: 'desk', pageSize: 2 });
    assert.deepEqual(all.map((n) => n.sid).sort(), desks);
    const page = await client.incomingPhoneNumbers.page({ friendlyName: 'desk', pageSize: 2 });
    assert.equal(page.instances.length, 2);
    assert.ok(page.nextPageUrl, 'a third desk is on the next page');
    const next = await page.nextPage();
    assert.equal(next.instances.length, 1);
    assert.deepEqual((await client.incomingPhoneNumbers.list({ friendlyName: 'none' })), []);
  });
});

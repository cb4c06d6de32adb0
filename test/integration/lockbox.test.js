// The lockbox (issue 13, must-show 2; DESIGN.md rule 3) over real HTTP: a
// staff session reaches no customer content on any route the router knows
// (`pipit routes` lists the table, so a route added without the check
// fails here); then the grant flow: a staff member asks (with a fresh
// user-verified passkey assertion), the customer answers with its own
// credentials through the official twilio SDK's client.request(), the
// reads succeed while the grant runs and are refused once it expired or
// was revoked, each read is in /lockbox/v1/AccessLog and the audit log,
// and the customer's WebhookUrl is told of each request, answer and read,
// signed as Twilio signs webhooks.  A lockbox minute lasts 2 s here
// (PIPIT_TEST_LOCKBOX_MINUTE_S); expiry is waited for by a bounded poll.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useServer, pollUntil, twilio, PIPIT_BIN, TO } from './harness.js';
import { Authenticator, post, enrol, signIn, cookieOf } from './staff-auth.js';
import { Receiver } from './webhook-receiver.js';
import { pipit } from './audit-tools.js';

const MINUTE_S = 2;

describe('lockbox: staff read customer content only under a grant', () => {
  const ctx = useServer({
    env: { PIPIT_TEST_LOCKBOX_MINUTE_S: String(MINUTE_S), PIPIT_WEBHOOK_ALLOW: '127.0.0.0/8' },
  });
  let s; let acct; let sdk; let msg; let numberSid; let service; let staff; let rx;
  const BODY = 'lockbox-secret-body-7d1e';

  // The staff member's requests: the session cookie and CSRF token.
  const asStaff = (method, p, form) => s.raw(method, p, {
    headers: { Cookie: staff.cookie, 'X-CSRF-Token': staff.csrf }, form, validate: false,
  });
  // The customer's requests through the SDK's own client.request().
  const owner = async (method, p, data) => {
    const res = await sdk.request({
      method, uri: `${s.baseUrl}${p}`, data,
      headers: data ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {},
    });
    return { status: res.statusCode, json: typeof res.body === 'string' ? JSON.parse(res.body) : res.body };
  };
  const answer = (sid, Status) => owner('POST', `/lockbox/v1/AccessRequests/${sid}`, { Status });
  // A fresh user-verified assertion for the action "lockbox.request".
  async function uv() {
    const b = await post(s, '/staff/webauthn/uv/begin', { action: 'lockbox.request' },
      { Cookie: staff.cookie, 'X-CSRF-Token': staff.csrf });
    assert.equal(b.status, 200, b.text);
    const f = await post(s, '/staff/webauthn/uv/finish',
      { action: 'lockbox.request', credential: staff.auth.get(b.json, s.baseUrl) },
      { Cookie: staff.cookie, 'X-CSRF-Token': staff.csrf });
    assert.equal(f.status, 200, f.text);
  }
  async function ask(reason, minutes) {
    const res = await asStaff('POST', '/staff/api/AccessRequests',
      { AccountSid: acct.sid, Reason: reason, Minutes: String(minutes) });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json.sid, /^LR[0-9a-f]{32}$/);
    assert.equal(res.json.status, 'pending');
    return res.json;
  }
  const staffPath = (tail) => `/staff/api/Accounts/${acct.sid}${tail}`;
  // Every content read of the staff side, with what its answer must show.
  const reads = () => [
    [staffPath('/Messages.json'), (j) => j.messages.some((m) => m.body === BODY)],
    [staffPath(`/Messages/${msg.sid}.json`), (j) => j.body === BODY],
    [staffPath('/IncomingPhoneNumbers.json'), (j) => j.incoming_phone_numbers.some((n) => n.phone_number === acct.from)],
    [staffPath(`/IncomingPhoneNumbers/${numberSid}.json`), (j) => j.phone_number === acct.from],
    [staffPath('/Verify/Services'), (j) => j.services.some((v) => v.sid === service.sid)],
    [staffPath(`/Verify/Services/${service.sid}`), (j) => j.sid === service.sid],
  ];
  async function allRefused(what) {
    for (const [p] of reads()) {
      const res = await asStaff('GET', p);
      assert.equal(res.status, 403, `${what}: ${p}: ${res.status} ${res.text}`);
      assert.equal(res.json.code, 20403, `${what}: ${p}`);
      assert.ok(!res.text.includes(BODY) && !res.text.includes(acct.from), `${what}: ${p} shows content`);
    }
  }

  before(async () => {
    s = ctx.server;
    acct = await s.createAccount('Lockbox Customer');
    const client = s.client(acct.sid, acct.auth_token);
    msg = await client.messages.create({ to: TO, from: acct.from, body: BODY });
    numberSid = (await client.incomingPhoneNumbers.list())[0].sid;
    service = await client.verify.v2.services.create({ friendlyName: 'Lockbox Verify' });
    sdk = twilio(acct.sid, acct.auth_token); // the SDK's own HTTP client
    const auth = new Authenticator();
    await enrol(s, 'alice', auth);
    const ok = await signIn(s, 'alice', auth);
    assert.equal(ok.status, 200, ok.text);
    staff = { auth, cookie: cookieOf(ok).cookie, csrf: ok.json.csrf_token };
    rx = await Receiver.start({ authToken: acct.auth_token });
  });
  after(async () => { await rx?.stop(); });

  it('no route the router knows answers a staff session without a grant with customer content', async () => {
    const { stdout } = await promisify(execFile)(PIPIT_BIN, ['routes']);
    const routes = stdout.trim().split('\n').map((l) => l.split(' '));
    assert.ok(routes.length > 100, `the router's table: ${routes.length} routes`);
    assert.ok(routes.some(([, p]) => p === '/staff/api/Accounts/{}/Messages.json'));
    const markers = [BODY, acct.from, msg.sid, numberSid, service.sid, acct.auth_token];
    // Each capture filled with the real SID of its kind, so a missing check
    // would find the content.
    const fill = (pattern) => pattern.replace(/([A-Za-z]+)\/\{\}/g, (_, seg) => {
      const sid = { Accounts: acct.sid, Messages: msg.sid, IncomingPhoneNumbers: numberSid,
        Services: service.sid }[seg] ?? 'XX00000000000000000000000000000000';
      return `${seg}/${sid}`;
    }).replace(/\{\}/g, acct.sid);
    // The staff side's own pages (sign-in, enrolment, the signed-in home and
    // their script and style) and the change requests answer a session; they are about the staff
    // member, not an account, and the markers below still must not appear.
    // A route added here is one a reviewer has read.
    const staffOwn = new Set(['GET /staff/', 'GET /staff/login', 'GET /staff/enrol/{}',
      'GET /staff/staff.js', 'GET /staff/staff.css', 'GET /staff/api/ChangeRequests', 'GET /staff/overview']);
    let tried = 0;
    for (const [method, pattern] of routes) {
      // Logging out ends the session and shows nothing; it is tried last.
      if (pattern === '/staff/logout') continue;
      const p = fill(pattern);
      const res = await asStaff(method, p, method === 'GET' ? undefined : {});
      tried++;
      // The installation's own configuration (/admin/v1 reads, the operator
      // role's) is not an account's content either.
      const installation = method === 'GET' && pattern.startsWith('/admin/v1/');
      if (!staffOwn.has(`${method} ${pattern}`) && !installation)
        assert.ok(res.status >= 400, `${method} ${p} answered a staff session ${res.status}: ${res.text.slice(0, 200)}`);
      // The operator's number inventory lists the numbers the operator
      // offered, the account's among them, and never who holds one (checked
      // in admin-api.test.js): its numbers are the installation's.
      const shown = pattern === '/admin/v1/PhoneNumbers' ? markers.filter((m) => m !== acct.from) : markers;
      for (const m of shown) assert.ok(!res.text.includes(m), `${method} ${p} shows ${m}`);
    }
    assert.equal(tried, routes.length - 1);
  });

  it('grants run from approval for their minutes, end on revocation, and every read is logged and told', async () => {
    // The owner's settings: told at its own URL; an API key may not.
    const set = await owner('POST', '/lockbox/v1/Settings', { WebhookUrl: rx.url('/lockbox') });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal(set.json.webhook_url, rx.url('/lockbox'));
    const key = await s.client(acct.sid, acct.auth_token).newKeys.create({ friendlyName: 'k' });
    const keyed = await s.raw('GET', '/lockbox/v1/AccessRequests', { auth: [key.sid, key.secret], validate: false });
    assert.equal(keyed.status, 403, keyed.text);

    // Asking needs a fresh passkey confirmation for the action.
    const stale = await asStaff('POST', '/staff/api/AccessRequests',
      { AccountSid: acct.sid, Reason: 'ticket 1', Minutes: '3' });
    assert.equal(stale.status, 403, stale.text);
    await uv();
    const bad = await asStaff('POST', '/staff/api/AccessRequests',
      { AccountSid: acct.sid, Reason: 'ticket 1', Minutes: '241' });
    assert.equal(bad.status, 400, bad.text);
    const noReason = await asStaff('POST', '/staff/api/AccessRequests', { AccountSid: acct.sid, Minutes: '3' });
    assert.equal(noReason.status, 400, noReason.text);
    const first = await ask('ticket 1: delivery to the UK fails', 3);
    await allRefused('pending');

    // The customer sees it, newest first in the v1 envelope, and approves.
    const list = await owner('GET', '/lockbox/v1/AccessRequests');
    assert.equal(list.status, 200);
    assert.equal(list.json.access_requests[0].sid, first.sid);
    assert.equal(list.json.access_requests[0].staff, 'staff:alice');
    assert.equal(list.json.access_requests[0].reason, 'ticket 1: delivery to the UK fails');
    assert.equal(list.json.meta.key, 'access_requests');
    const approved = await answer(first.sid, 'approved');
    assert.equal(approved.status, 200, JSON.stringify(approved.json));
    assert.equal(approved.json.status, 'approved');
    assert.equal(approved.json.answered_by, acct.sid);
    // The staff member follows their own requests (nothing else of the account).
    const mine = await asStaff('GET', `/staff/api/AccessRequests?AccountSid=${acct.sid}`);
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual(mine.json.access_requests.map((q) => [q.sid, q.status]), [[first.sid, 'approved']]);
    assert.equal(mine.json.meta.key, 'access_requests');

    // Reads under the grant: the customer API's JSON.
    for (const [p, shows] of reads()) {
      const res = await asStaff('GET', p);
      assert.equal(res.status, 200, `${p}: ${res.text}`);
      assert.ok(shows(res.json), `${p}: ${res.text.slice(0, 300)}`);
    }
    // Its minutes run out by themselves (bounded poll), and nothing after.
    let polled = 0; // reads that still ran: each is logged and told too
    await pollUntil(async () => {
      const res = await asStaff('GET', staffPath('/Messages.json'));
      if (res.status === 200) polled++;
      return res.status === 403;
    }, 'the grant to expire', 3 * MINUTE_S * 1000 + 15_000);
    await allRefused('expired');
    assert.equal((await owner('GET', `/lockbox/v1/AccessRequests/${first.sid}`)).json.status, 'expired');
    assert.equal((await answer(first.sid, 'revoked')).status, 409);

    // A second grant, revoked: reads end at once.
    await uv();
    const second = await ask('ticket 2', 240);
    assert.equal((await answer(second.sid, 'approved')).status, 200);
    const during = await asStaff('GET', staffPath('/Messages.json'));
    assert.equal(during.status, 200, during.text);
    // A grant opens its own account only: another's content stays shut,
    // even named by SIDs of its own under the granted account's path.
    const other = await s.createAccount('Lockbox Other');
    const otherMsg = await s.client(other.sid, other.auth_token).messages.create(
      { to: TO, from: other.from, body: 'other-secret' });
    for (const p of [`/staff/api/Accounts/${other.sid}/Messages.json`,
      `/staff/api/Accounts/${other.sid}/Messages/${otherMsg.sid}.json`]) {
      const res = await asStaff('GET', p);
      assert.equal(res.status, 403, `${p}: ${res.text}`);
      assert.ok(!res.text.includes('other-secret'));
    }
    const crossed = await asStaff('GET', staffPath(`/Messages/${otherMsg.sid}.json`));
    assert.equal(crossed.status, 404, crossed.text);
    assert.ok(!crossed.text.includes('other-secret'));
    const revoked = await answer(second.sid, 'revoked');
    assert.equal(revoked.json.status, 'revoked');
    await allRefused('revoked');
    assert.equal((await answer(second.sid, 'approved')).status, 409);

    // A denied request grants nothing and cannot be approved after.
    const third = await ask('ticket 3', 10);
    assert.equal((await answer(third.sid, 'denied')).json.status, 'denied');
    await allRefused('denied');
    assert.equal((await answer(third.sid, 'approved')).status, 409);
    assert.equal((await answer(third.sid, 'pending')).status, 400);

    // The access log: every read, who, when, why, which request, what.
    const log = await owner('GET', '/lockbox/v1/AccessLog?PageSize=1000');
    assert.equal(log.status, 200);
    const ok = log.json.access_log.filter((e) => e.outcome === 'ok');
    assert.equal(ok.length, reads().length + polled + 1);
    assert.ok(ok.every((e) => e.staff === 'staff:alice' && /^\d{4}-\d\d-\d\dT/.test(e.date)));
    const underFirst = ok.filter((e) => e.access_request_sid === first.sid);
    assert.equal(underFirst.length, reads().length + polled);
    assert.ok(underFirst.every((e) => e.reason === 'ticket 1: delivery to the UK fails'));
    assert.ok(underFirst.some((e) => e.resource_sids.includes(msg.sid) && e.request.endsWith('/Messages.json')));
    assert.ok(underFirst.some((e) => e.resource_sids.includes(numberSid)));
    assert.ok(underFirst.some((e) => e.resource_sids.includes(service.sid)));
    assert.equal(ok.filter((e) => e.access_request_sid === second.sid).length, 1);
    // Refused tries are there too, without content.
    assert.ok(log.json.access_log.some((e) => e.outcome === 'lockbox_no_grant'));

    // Told: each request, answer and read, signed with the account's token.
    const want = 3 + 4 + reads().length + polled + 1; // created x3, answers x4, reads
    await rx.waitFor((reqs) => reqs.length >= want);
    assert.deepEqual(rx.invalid, []);
    const events = rx.requests.map((r) => r.params.EventType);
    assert.equal(events.filter((e) => e === 'request.created').length, 3);
    assert.equal(events.filter((e) => e === 'request.approved').length, 2);
    assert.equal(events.filter((e) => e === 'request.revoked').length, 1);
    assert.equal(events.filter((e) => e === 'request.denied').length, 1);
    const readNotices = rx.requests.filter((r) => r.params.EventType === 'read');
    assert.equal(readNotices.length, reads().length + polled + 1);
    assert.ok(readNotices.every((r) => r.params.Staff === 'staff:alice' && r.params.AccountSid === acct.sid));
    assert.ok(readNotices.some((r) => r.params.ResourceSids.split(',').includes(msg.sid)));

    // The audit log holds it all and verifies; the blast radius of the
    // staff member names exactly the account, its content read and the
    // requests made.
    const verify = await pipit('audit', '--data', s.dataDir, 'verify');
    assert.equal(verify.code, 0, verify.stderr);
    const br = await pipit('audit', '--data', s.dataDir, 'blast-radius', '--principal', 'staff:alice', '--json');
    assert.equal(br.code, 0, br.stderr);
    const radius = JSON.parse(br.stdout);
    assert.deepEqual(radius.accounts.sids, [acct.sid]);
    assert.deepEqual(radius.messages.sids, [msg.sid]);
    assert.deepEqual(radius.phone_numbers.sids, [numberSid]);
    assert.deepEqual(radius.verify_services.sids, [service.sid]);
    assert.deepEqual(radius.access_requests.sids, [first.sid, second.sid, third.sid].sort());
    for (const t of ['lockbox.request', 'lockbox.read', 'staff.sign_in', 'staff.uv'])
      assert.ok(radius.event_types.includes(t), t);
  });
});

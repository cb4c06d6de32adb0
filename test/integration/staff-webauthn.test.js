// Staff sign-in with passkeys over real HTTP (issue 13): a staff member is
// added with `pipit admin staff add`, enrols from the printed link, signs in
// and out, with the software authenticator of staff-auth.js (node:crypto
// ES256 keys, CBOR by hand, attestation "none").  Refused: a replayed challenge, a
// response made for another origin, a sign count that goes backwards, a
// session after it expired or after `staff remove`, a logout without the
// CSRF token.  Each sign-in, registration and refusal is in the audit log
// as staff:NAME with its reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useServer, pollUntil } from './harness.js';
import { sqlite } from './audit-tools.js';
import {
  Authenticator, b64url, post, refusedWith, addStaff, enrol, signIn, cookieOf,
} from './staff-auth.js';

// The staff.* events of the audit log, oldest first.
async function staffEvents(server) {
  const out = await sqlite(path.join(server.dataDir, 'pipit.db'),
    "SELECT event||'|'||principal||'|'||outcome FROM audit_log WHERE event LIKE 'staff.%' ORDER BY seq");
  return out.trim().split('\n').filter(Boolean);
}

describe('staff sign-in with passkeys', () => {
  const ctx = useServer();

  it('enrols from the printed link, signs in, signs out; refuses replays, other origins and counts going back', async () => {
    const s = ctx.server;
    const auth = new Authenticator();
    const token = await addStaff(s, 'alice');
    const rpId = new URL(s.baseUrl).hostname;

    // Registration options: the W3C JSON, bound to this installation.
    const begin = await post(s, '/staff/webauthn/register/begin', { token });
    assert.equal(begin.status, 200, begin.text);
    const pk = begin.json.publicKey;
    assert.deepEqual(pk.rp, { id: rpId, name: 'Pipit' });
    assert.equal(pk.user.name, 'alice');
    assert.equal(pk.user.displayName, 'alice');
    assert.match(pk.user.id, /^[A-Za-z0-9_-]{22}$/);
    assert.match(pk.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(pk.pubKeyCredParams.map((p) => [p.type, p.alg]),
      [['public-key', -7], ['public-key', -8]]);
    assert.equal(pk.authenticatorSelection.userVerification, 'required');
    assert.equal(typeof pk.authenticatorSelection.residentKey, 'string');
    assert.equal(pk.attestation, 'none');
    assert.deepEqual(pk.excludeCredentials, []);
    assert.equal(pk.timeout, 120000);

    // A response made for another origin (a look-alike page) is refused,
    // and spends the challenge.
    const lookalike = auth.create(begin.json, 'http://127.0.0.2:' + new URL(s.baseUrl).port);
    refusedWith(await post(s, '/staff/webauthn/register/finish', { token, credential: lookalike }),
      401, 'registration for another origin');
    refusedWith(await post(s, '/staff/webauthn/register/finish',
      { token, credential: auth.create(begin.json, s.baseUrl) }), 401, 'a spent challenge');

    // A fresh challenge: registered (201); the link is then spent.
    const again = await post(s, '/staff/webauthn/register/begin', { token });
    assert.equal(again.status, 200, again.text);
    assert.notEqual(again.json.publicKey.challenge, pk.challenge);
    const created = auth.create(again.json, s.baseUrl);
    const fin = await post(s, '/staff/webauthn/register/finish', { token, credential: created });
    assert.equal(fin.status, 201, fin.text);
    refusedWith(await post(s, '/staff/webauthn/register/finish', { token, credential: created }),
      401, 'a replayed registration');
    refusedWith(await post(s, '/staff/webauthn/register/begin', { token }), 401,
      'a spent enrolment link');
    const listed = JSON.parse(await s.admin('staff', 'list', '--json'));
    assert.deepEqual(listed.staff.map((m) => [m.name, m.role, m.passkeys]), [['alice', 'operator', 1]]);

    // Sign-in options name the passkey.
    const lb = await post(s, '/staff/webauthn/login/begin', { name: 'alice' });
    assert.equal(lb.status, 200, lb.text);
    assert.equal(lb.json.publicKey.rpId, rpId);
    assert.equal(lb.json.publicKey.userVerification, 'required');
    assert.deepEqual(lb.json.publicKey.allowCredentials, [{ type: 'public-key', id: b64url(auth.credId) }]);
    // An unknown name gets the same shape of answer (names cannot be probed).
    const nobody = await post(s, '/staff/webauthn/login/begin', { name: 'mallory' });
    assert.equal(nobody.status, 200, nobody.text);
    assert.match(nobody.json.publicKey.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(nobody.json.publicKey.allowCredentials, []);

    const assertion = auth.get(lb.json, s.baseUrl);
    const ok = await post(s, '/staff/webauthn/login/finish', { credential: assertion });
    assert.equal(ok.status, 200, ok.text);
    const { cookie, maxAge } = cookieOf(ok);
    assert.equal(maxAge, 3600);
    assert.equal(ok.json.name, 'alice');
    assert.equal(ok.json.role, 'operator');
    assert.match(ok.json.csrf_token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!ok.text.includes(cookie.split('=')[1]), 'the body does not repeat the cookie');

    // The same assertion again: its challenge is spent.
    refusedWith(await post(s, '/staff/webauthn/login/finish', { credential: assertion }), 401,
      'a replayed assertion');
    // An assertion made for another origin.
    refusedWith(await signIn(s, 'alice', auth, { origin: 'http://127.0.0.2:' + new URL(s.baseUrl).port }),
      401, 'an assertion for another origin');
    // The sign count going backwards (the last one stored is 1).
    refusedWith(await signIn(s, 'alice', auth, { count: 1 }), 401, 'a sign count that did not grow');

    // A fresh user-verified assertion for one action (what UV actions ask):
    // with the session and its CSRF token, by the session's passkey only.
    const csrf = { Cookie: cookie, 'X-CSRF-Token': ok.json.csrf_token };
    refusedWith(await post(s, '/staff/webauthn/uv/begin', { action: 'route.change' }, { Cookie: cookie }),
      403, 'uv without CSRF');
    const ub = await post(s, '/staff/webauthn/uv/begin', { action: 'route.change' }, csrf);
    assert.equal(ub.status, 200, ub.text);
    assert.deepEqual(ub.json.publicKey.allowCredentials, [{ type: 'public-key', id: b64url(auth.credId) }]);
    const uvCred = auth.get(ub.json, s.baseUrl);
    refusedWith(await post(s, '/staff/webauthn/uv/finish', { action: 'lockbox.request', credential: uvCred }, csrf),
      401, 'an assertion made for another action');
    const ub2 = await post(s, '/staff/webauthn/uv/begin', { action: 'route.change' }, csrf);
    const uvCred2 = auth.get(ub2.json, s.baseUrl);
    const uv = await post(s, '/staff/webauthn/uv/finish', { action: 'route.change', credential: uvCred2 }, csrf);
    assert.equal(uv.status, 200, uv.text);
    assert.deepEqual(uv.json, { action: 'route.change', expires_in: 300 });
    refusedWith(await post(s, '/staff/webauthn/uv/finish', { action: 'route.change', credential: uvCred2 }, csrf),
      401, 'a replayed uv assertion');

    // Sign-out needs the CSRF token of that session.
    refusedWith(await post(s, '/staff/logout', undefined, { Cookie: cookie }), 403, 'logout without CSRF');
    refusedWith(await post(s, '/staff/logout', undefined,
      { Cookie: cookie, 'X-CSRF-Token': 'A'.repeat(43) }), 403, 'logout with a wrong CSRF token');
    const out = await post(s, '/staff/logout', undefined,
      { Cookie: `theme=dark; ${cookie}`, 'X-CSRF-Token': ok.json.csrf_token });
    assert.equal(out.status, 204, out.text);
    assert.match(out.headers['set-cookie'][0], /^__Host-pipit-staff=; .*Max-Age=0$/);
    refusedWith(await post(s, '/staff/logout', undefined,
      { Cookie: cookie, 'X-CSRF-Token': ok.json.csrf_token }), 401, 'a session already ended');

    // Signed in again, then removed on the host: the session ends at once.
    const second = await signIn(s, 'alice', auth, { count: 10 });
    assert.equal(second.status, 200, second.text);
    const c2 = cookieOf(second).cookie;
    await s.admin('staff', 'remove', 'alice');
    refusedWith(await post(s, '/staff/logout', undefined,
      { Cookie: c2, 'X-CSRF-Token': second.json.csrf_token }), 401, 'a session after staff remove');
    refusedWith(await signIn(s, 'alice', auth, { count: 11 }), 401, 'a removed member signing in');

    // The audit log has each of them, by the member, with the reason.
    const evs = await staffEvents(s);
    const expect = [
      /^staff\.add\|cli:[^|]+\|ok$/,
      /^staff\.passkey_register\|staff:alice\|webauthn_origin$/,
      /^staff\.passkey_register\|staff:alice\|webauthn_challenge$/,
      /^staff\.passkey_register\|staff:alice\|ok$/,
      /^staff\.passkey_register\|\|staff_enrol_token$/, // the link is spent: whose, unknown
      /^staff\.passkey_register\|\|staff_enrol_token$/,
      /^staff\.sign_in\|staff:alice\|ok$/,
      /^staff\.sign_in\|staff:alice\|webauthn_challenge$/,
      /^staff\.sign_in\|staff:alice\|webauthn_origin$/,
      /^staff\.sign_in\|staff:alice\|webauthn_sign_count$/,
      /^staff\.uv\|staff:alice\|staff_csrf$/,
      /^staff\.uv\|staff:alice\|webauthn_challenge$/,
      /^staff\.uv\|staff:alice\|ok$/,
      /^staff\.uv\|staff:alice\|webauthn_challenge$/,
      /^staff\.sign_out\|staff:alice\|staff_csrf$/,
      /^staff\.sign_out\|staff:alice\|staff_csrf$/,
      /^staff\.sign_out\|staff:alice\|ok$/,
      /^staff\.sign_out\|\|staff_session$/,
      /^staff\.sign_in\|staff:alice\|ok$/,
      /^staff\.remove\|cli:[^|]+\|ok$/,
      /^staff\.sign_out\|\|staff_session$/,
      /^staff\.sign_in\|\|webauthn_challenge$/, // no challenge is stored for a non-member
    ];
    assert.equal(evs.length, expect.length, evs.join('\n'));
    evs.forEach((e, i) => assert.match(e, expect[i], `event ${i}: ${e}`));
  });

  it('refuses a malformed body and an unknown passkey in Twilio\'s error shape', async () => {
    const s = ctx.server;
    const bad = await s.raw('POST', '/staff/webauthn/login/begin',
      { headers: { 'Content-Type': 'application/json' }, body: '{"name":' });
    refusedWith(bad, 400, 'a body that is not JSON');
    const stranger = new Authenticator();
    const lb = await post(s, '/staff/webauthn/login/begin', { name: 'nobody' });
    refusedWith(await post(s, '/staff/webauthn/login/finish',
      { credential: stranger.get(lb.json, s.baseUrl) }), 401, 'an unknown passkey');
    const basic = await s.raw('POST', '/staff/webauthn/login/begin', {
      auth: ['operator', 'x'], headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    assert.equal(basic.status, 200, 'Basic credentials are neither needed nor looked at');
  });
});

describe('staff sessions expire', () => {
  const ctx = useServer({ extraArgs: ['--staff-session-s', '1'] });

  it('refuses a session cookie after its lifetime', async () => {
    const s = ctx.server;
    const auth = new Authenticator();
    await enrol(s, 'bob', auth);
    const before = Math.floor(Date.now() / 1000);
    const res = await signIn(s, 'bob', auth);
    assert.equal(res.status, 200, res.text);
    const { cookie, maxAge } = cookieOf(res);
    assert.equal(maxAge, 1);
    // Whole seconds on the server: the session opened at `before` or later
    // and ends one second on.  Wait for the clock, not a fixed time.
    await pollUntil(() => Date.now() / 1000 >= before + 2, 'the session lifetime to pass', 10_000);
    refusedWith(await post(s, '/staff/logout', undefined,
      { Cookie: cookie, 'X-CSRF-Token': res.json.csrf_token }), 401, 'an expired session');
  });
});

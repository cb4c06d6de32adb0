// A software WebAuthn authenticator (node:crypto ES256 keys, CBOR by hand,
// attestation "none") and the staff sign-in steps over real HTTP, shared by
// the staff tests (staff-webauthn, lockbox).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');

// ---- CBOR, the little of it an authenticator writes ---------------------

function cborHead(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}
const cborInt = (v) => (v >= 0 ? cborHead(0, v) : cborHead(1, -1 - v));
const cborBytes = (b) => Buffer.concat([cborHead(2, b.length), b]);
const cborText = (s) => Buffer.concat([cborHead(3, Buffer.byteLength(s)), Buffer.from(s)]);
// A map of [key, value] pairs already encoded, in the order given (the
// caller gives CTAP2's canonical order).
const cborMap = (pairs) => Buffer.concat([cborHead(5, pairs.length), ...pairs.flat()]);

// ---- A software authenticator --------------------------------------------

export class Authenticator {
  constructor() {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.x = Buffer.from(jwk.x, 'base64url');
    this.y = Buffer.from(jwk.y, 'base64url');
    this.credId = crypto.randomBytes(16);
    this.count = 0;
  }

  coseKey() {
    return cborMap([
      [cborInt(1), cborInt(2)], // kty: EC2
      [cborInt(3), cborInt(-7)], // alg: ES256
      [cborInt(-1), cborInt(1)], // crv: P-256
      [cborInt(-2), cborBytes(this.x)],
      [cborInt(-3), cborBytes(this.y)],
    ]);
  }

  static clientData(type, challenge, origin) {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  static authData(rpId, flags, count, rest = Buffer.alloc(0)) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(count);
    const rpIdHash = crypto.createHash('sha256').update(rpId).digest();
    return Buffer.concat([rpIdHash, Buffer.from([flags]), c, rest]);
  }

  // navigator.credentials.create(), as toJSON() gives it.
  create(options, origin) {
    const pk = options.publicKey;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.credId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLen, this.credId, this.coseKey()]);
    const authData = Authenticator.authData(pk.rp.id, 0x45, this.count, attested); // UP UV AT
    const attObj = cborMap([
      [cborText('fmt'), cborText('none')],
      [cborText('attStmt'), cborMap([])],
      [cborText('authData'), cborBytes(authData)],
    ]);
    return {
      id: b64url(this.credId),
      rawId: b64url(this.credId),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(Authenticator.clientData('webauthn.create', pk.challenge, origin)),
        attestationObject: b64url(attObj),
      },
      clientExtensionResults: {},
    };
  }

  // navigator.credentials.get(); `count` overrides the next sign count.
  get(options, origin, { count } = {}) {
    const pk = options.publicKey;
    this.count = count ?? this.count + 1;
    const authData = Authenticator.authData(pk.rpId, 0x05, this.count); // UP UV
    const cdj = Authenticator.clientData('webauthn.get', pk.challenge, origin);
    const signed = Buffer.concat([authData, crypto.createHash('sha256').update(cdj).digest()]);
    const signature = crypto.sign('sha256', signed, this.privateKey);
    return {
      id: b64url(this.credId),
      rawId: b64url(this.credId),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(cdj),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: null,
      },
      clientExtensionResults: {},
    };
  }
}

// ---- Helpers ---------------------------------------------------------------

export function post(server, p, json, headers = {}) {
  return server.raw('POST', p, {
    headers: { 'Content-Type': 'application/json', ...headers },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

export function refusedWith(res, status, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.json.status, status, what);
  assert.equal(typeof res.json.code, 'number', what);
  assert.equal(typeof res.json.message, 'string', what);
  assert.equal(res.headers['www-authenticate'], undefined, `${what}: no Basic challenge`);
}

export async function addStaff(server, name, role = 'operator') {
  const out = await server.admin('staff', 'add', name, '--role', role, '--json',
    '--public-url', server.baseUrl);
  const line = JSON.parse(out.trim());
  assert.equal(line.name, name);
  const prefix = `${server.baseUrl}/staff/enrol/`;
  assert.ok(line.enrol_url.startsWith(prefix), line.enrol_url);
  const token = line.enrol_url.slice(prefix.length);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  return token;
}

export async function enrol(server, name, auth, role = 'operator') {
  const token = await addStaff(server, name, role);
  const begin = await post(server, '/staff/webauthn/register/begin', { token });
  assert.equal(begin.status, 200, begin.text);
  const fin = await post(server, '/staff/webauthn/register/finish',
    { token, credential: auth.create(begin.json, server.baseUrl) });
  assert.equal(fin.status, 201, fin.text);
}

export async function signIn(server, name, auth, opts) {
  const begin = await post(server, '/staff/webauthn/login/begin', { name });
  assert.equal(begin.status, 200, begin.text);
  return post(server, '/staff/webauthn/login/finish',
    { credential: auth.get(begin.json, opts?.origin ?? server.baseUrl, opts) });
}

export function cookieOf(res) {
  const set = res.headers['set-cookie'];
  assert.ok(set && set.length === 1, `one Set-Cookie: ${JSON.stringify(set)}`);
  const m = /^__Host-pipit-staff=([A-Za-z0-9_-]{43}); Secure; HttpOnly; SameSite=Strict; Path=\/; Max-Age=(\d+)$/.exec(set[0]);
  assert.ok(m, set[0]);
  return { cookie: `__Host-pipit-staff=${m[1]}`, maxAge: Number(m[2]) };
}


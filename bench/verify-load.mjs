// bench/verify-load.mjs: the load generator of bench/verify.sh.  Plain
// node:http with keep-alive (no SDK in the timed loops), one request in
// flight per connection, every answer checked.
//
//   node bench/verify-load.mjs BASE ACCOUNT_SID AUTH_TOKEN
//
// Phases (each timed on its own, the setup of each not timed):
//   checks      N verifications with a custom code (setup), then N
//               VerificationCheck requests with the right code: each must
//               answer 200 "approved".
//   wrong       N fresh verifications (setup), then N checks with a wrong
//               code: each must answer 200 "pending".
//   challenges  F TOTP factors created and verified (setup), then F
//               Challenges with AuthPayload = the next time step's code
//               (computed here with npm otpauth): each must answer 201
//               "approved".
// Prints one line per phase:
//   VERIFY_RESULT phase= n= secs= rps= p50_ms= p99_ms= errors=
import http from 'node:http';
import * as OTPAuth from 'otpauth';

const [BASE, SID, TOKEN] = process.argv.slice(2);
const N = Number(process.env.VERIFY_N ?? 20000);
const F = Number(process.env.VERIFY_FACTORS ?? 10000);
const CONC = Number(process.env.VERIFY_CONNECTIONS ?? 32);
const PHASES = (process.env.VERIFY_PHASES ?? 'checks wrong challenges').split(/\s+/).filter(Boolean);
if (!BASE || !SID || !TOKEN) {
  console.error('usage: node bench/verify-load.mjs BASE ACCOUNT_SID AUTH_TOKEN');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
const auth = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;

function post(path, form) {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(`${BASE}${path}`, {
      method: 'POST', agent,
      headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try { json = JSON.parse(text); } catch { json = null; }
        resolve({ status: res.statusCode, json, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Runs job(i) for i in 0..n-1 over CONC workers; returns latencies (ms)
// and the error count; `ok(res)` says whether an answer is right.
async function run(n, job, ok) {
  const lat = new Float64Array(n);
  let next = 0; let errors = 0; let firstError = null;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(CONC, n) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const s = process.hrtime.bigint();
      const res = await job(i);
      lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
      if (!ok(res)) { errors++; firstError ??= `${res.status} ${res.text.slice(0, 200)}`; }
    }
  }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(2);
  return { n, secs, rps: n / secs, p50: pct(0.5), p99: pct(0.99), errors, firstError };
}

function report(phase, r) {
  console.log(`VERIFY_RESULT phase=${phase} n=${r.n} secs=${r.secs.toFixed(2)} rps=${r.rps.toFixed(0)} ` +
    `p50_ms=${r.p50} p99_ms=${r.p99} errors=${r.errors}`);
  if (r.errors) console.error(`first error (${phase}): ${r.firstError}`);
}

const mustOk = (label, res, status) => {
  if (res.status !== status) throw new Error(`${label}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
};

// The load sends 20,000 codes to one prefix: the SMS-pumping guard would
// (rightly) refuse it, so this service has it off (docs/internals/verify.md).
const svc = mustOk('service', await post('/verify/v2/Services', { FriendlyName: 'Bench', CustomCodeEnabled: 'true', CodeLength: '8', 'Pipit.FraudGuard': 'false' }), 201);
const base = `/verify/v2/Services/${svc.sid}`;
const to = (phase, i) => `+1777${phase}${String(i).padStart(6, '0')}`;
const CODE = '24680135';

let failed = false;
for (const phase of PHASES) {
  if (phase === 'checks' || phase === 'wrong') {
    const p = phase === 'checks' ? 1 : 2;
    const setup = await run(N, (i) => post(`${base}/Verifications`, { To: to(p, i), Channel: 'sms', CustomCode: CODE }), (r) => r.status === 201);
    if (setup.errors) throw new Error(`setup of ${phase}: ${setup.firstError}`);
    const code = phase === 'checks' ? CODE : '99999999';
    const want = phase === 'checks' ? 'approved' : 'pending';
    const r = await run(N, (i) => post(`${base}/VerificationCheck`, { To: to(p, i), Code: code }),
      (res) => res.status === 200 && res.json?.status === want);
    report(phase === 'checks' ? 'verification_check_approve' : 'verification_check_wrong', r);
    failed ||= r.errors > 0;
  } else if (phase === 'challenges') {
    const factors = new Array(F);
    const setup = await run(F, async (i) => {
      const id = `bench-user-${String(i).padStart(6, '0')}`;
      const res = await post(`${base}/Entities/${id}/Factors`, { FriendlyName: 'bench', FactorType: 'totp' });
      if (res.status !== 201) return res;
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(res.json.binding.secret) });
      factors[i] = { id, sid: res.json.sid, totp };
      return post(`${base}/Entities/${id}/Factors/${res.json.sid}`, { AuthPayload: totp.generate() });
    }, (res) => res.status === 200 && res.json?.status === 'verified');
    if (setup.errors) throw new Error(`setup of challenges: ${setup.firstError}`);
    // The next time step's code: fresh for every factor (skew 1 accepts it).
    const r = await run(F, (i) => post(`${base}/Entities/${factors[i].id}/Challenges`, {
      FactorSid: factors[i].sid, AuthPayload: factors[i].totp.generate({ timestamp: Date.now() + 30_000 }),
    }), (res) => res.status === 201 && res.json?.status === 'approved');
    report('totp_challenge_approve', r);
    failed ||= r.errors > 0;
  } else {
    throw new Error(`unknown phase ${phase}`);
  }
}
agent.destroy();
process.exit(failed ? 1 : 0);

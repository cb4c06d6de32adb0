// Raw HTTP behaviour: unknown paths, oversized bodies, health and metrics.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, TO } from './harness.js';

const MiB = 1024 * 1024;

describe('http', () => {
  const ctx = useServer();
  let acct; let auth;

  before(async () => {
    acct = await ctx.server.createAccount('HTTP Account');
    auth = [acct.sid, acct.auth_token];
  });

  it('GET /healthz → 200', async () => {
    const res = await ctx.server.raw('GET', '/healthz');
    assert.equal(res.status, 200);
  });

  it('unknown paths → 404 JSON 20404', async () => {
    for (const p of ['/definitely/not/here', `/2010-04-01/Accounts/${acct.sid}/Nope.json`,
      '/2010-04-01/Nope.json', '/verify/v2/Nope']) {
      const res = await ctx.server.raw('GET', p, { auth });
      assert.equal(res.status, 404, p);
      assert.equal(res.json?.code, 20404, `${p}: ${res.text}`);
      assert.equal(res.json.status, 404);
    }
  });

  it('a request body over 1 MiB → 413 JSON error (Content-Length)', async () => {
    const body = `To=${encodeURIComponent(TO)}&From=${encodeURIComponent(acct.from)}&Body=${'a'.repeat(MiB)}`;
    const res = await ctx.server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`, {
      auth, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 413, res.text);
    assert.equal(res.json.status, 413);
    assert.ok(Number.isInteger(res.json.code));
  });

  it('a request body over 1 MiB → 413 JSON error (chunked)', async () => {
    async function* chunks() {
      yield `To=${encodeURIComponent(TO)}&From=${encodeURIComponent(acct.from)}&Body=`;
      for (let i = 0; i < 17; i++) yield 'a'.repeat(64 * 1024);
    }
    const res = await ctx.server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`, {
      auth, body: chunks(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 413, res.text);
    assert.equal(res.json.status, 413);
  });

  it('the server keeps serving after oversized requests', async () => {
    const res = await ctx.server.raw('POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`,
      { auth, form: { To: TO, From: acct.from, Body: 'still here' } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.body, 'still here');
    assert.equal(res.headers['content-type']?.split(';')[0], 'application/json');
  });

  it('GET /metrics → Prometheus text with pipit_http_requests_total', async () => {
    const res = await ctx.server.raw('GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    // name{labels} value [timestamp]
    assert.match(res.text, /^pipit_http_requests_total(\{[^}]*\})? [0-9.e+-]+( -?\d+)?$/m,
      `metrics:\n${res.text.slice(0, 2000)}`);
  });
});

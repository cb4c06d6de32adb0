// The HTTP wire: framing the server must refuse (request smuggling, RFC
// 9112 section 6.3), malformed requests answered in Twilio's error shape
// (never a library's HTML page), pipelining, chunked bodies, HEAD and
// 100-continue, over raw sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, TO } from './harness.js';
import { checkErrorShape } from './oai.js';
import { exchange } from './wire.js';

const GET_HEALTH = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';

// One answer, an error of `status` in Twilio's shape, and the connection
// closed: nothing after a refused framing is read as a request.
function assertRefused(r, status, what) {
  assert.equal(r.responses.length, 1, `${what}: ${r.responses.length} responses: ${r.raw.slice(0, 600)}`);
  const [res] = r.responses;
  assert.equal(res.status, status, `${what}: ${r.raw.slice(0, 600)}`);
  assert.deepEqual(checkErrorShape(res.status, res.headers['content-type'], res.text), [], what);
  assert.equal(res.headers.connection, 'close', what);
  assert.ok(r.closed, `${what}: the connection stays open`);
}

describe('http wire', () => {
  const ctx = useServer();
  const port = () => ctx.server.port;

  it('refuses every ambiguous framing with 400 and closes (no smuggled request is served)', async () => {
    const cases = {
      'two Content-Lengths': 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      'two equal Content-Lengths': 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
      'Content-Length with chunked': 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'Transfer-Encoding: xchunked': 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
      'Transfer-Encoding: identity': 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n',
      'Transfer-Encoding: gzip, chunked': 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      'two Transfer-Encodings': 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'Transfer-Encoding in HTTP/1.0': 'POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'a space before the colon': 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n',
      'a folded header': 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n',
      'a bare LF': 'GET /healthz HTTP/1.1\nHost: x\n\n',
      'two Hosts': 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    };
    for (const [what, req] of Object.entries(cases)) {
      const r = await exchange(port(), req + GET_HEALTH);
      assertRefused(r, 400, what);
    }
  });

  it('answers a chunk size past the body cap with 413 and closes', async () => {
    const r = await exchange(port(), 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' +
      'ffffffffffffffff\r\nabc\r\n0\r\n\r\n' + GET_HEALTH);
    assertRefused(r, 413, 'chunk size ffffffffffffffff');
  });

  it('answers malformed requests in Twilio\'s JSON error shape, never HTML', async () => {
    const cases = [
      ['negative Content-Length', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
      ['huge Content-Length', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n', 400],
      ['Content-Length past the body cap', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n', 413],
      ['a 100 KB URL', `GET /${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
      ['a 60 KB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(60 * 1024)}\r\n\r\n`, 431],
      ['a bad chunk size', 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
      ['a chunk without its CRLF', 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX', 400],
      ['HTTP/0.9', 'GET /healthz\r\n', 400],
      ['HTTP/2.0 in an HTTP/1 line', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505],
      ['no Host in HTTP/1.1', 'GET /healthz HTTP/1.1\r\n\r\n', 400],
      ['a NUL in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n', 400],
      ['a control byte in the target', 'GET /heal\x01thz HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['not HTTP at all', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n', 400],
    ];
    for (const [what, req, status] of cases) {
      const r = await exchange(port(), req);
      assertRefused(r, status, what);
    }
  });

  it('answers pipelined requests in order on one connection', async () => {
    const r = await exchange(port(), [
      GET_HEALTH,
      'GET /nope HTTP/1.1\r\nHost: x\r\n\r\nPOST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc',
      'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    assert.deepEqual(r.responses.map((x) => x.status), [200, 404, 200, 200, 200], r.raw);
    assert.deepEqual(checkErrorShape(404, r.responses[1].headers['content-type'], r.responses[1].text), []);
    assert.equal(r.responses[4].headers.connection, 'close');
    assert.ok(r.closed);
  });

  it('pipelined creates that wait for their durable write are answered in order', async () => {
    const acct = await ctx.server.createAccount('Wire Pipeline');
    const auth = Buffer.from(`${acct.sid}:${acct.auth_token}`).toString('base64');
    const create = (i) => {
      const body = new URLSearchParams({ To: TO, From: acct.from, Body: `pipelined ${i}` }).toString();
      return `POST /2010-04-01/Accounts/${acct.sid}/Messages.json HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Basic ${auth}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`;
    };
    // All in one write, the last one chunked and asking for the close.
    const last = new URLSearchParams({ To: TO, From: acct.from, Body: 'pipelined 3' }).toString();
    const r = await exchange(port(), create(0) + create(1) + create(2) +
      `POST /2010-04-01/Accounts/${acct.sid}/Messages.json HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Basic ${auth}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      `${last.length.toString(16)}\r\n${last}\r\n0\r\n\r\n`);
    assert.deepEqual(r.responses.map((x) => x.status), [201, 201, 201, 201], r.raw.slice(0, 800));
    assert.deepEqual(r.responses.map((x) => JSON.parse(x.text).body),
      ['pipelined 0', 'pipelined 1', 'pipelined 2', 'pipelined 3']);
    assert.ok(r.closed);
  });

  it('a request followed at once by the client\'s FIN is answered and the connection closed', async () => {
    // The FIN arrives with the request: the server must still notice it
    // (not wait for its 60 s idle timeout, past this exchange's 10 s).
    const r = await exchange(port(), GET_HEALTH, { end: true });
    assert.deepEqual(r.responses.map((x) => x.status), [200], r.raw);
    assert.ok(r.closed);
  });

  it('HEAD has the GET headers and no body; HTTP/1.0 closes unless asked', async () => {
    const r = await exchange(port(), 'HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { bodiless: [0] });
    // The HEAD answer has the GET's Content-Length but no body: the next
    // status line follows its head directly, and the GET's body ends it all.
    assert.deepEqual(r.responses.map((x) => [x.status, x.headers['content-length'], x.text]),
      [[200, '15', ''], [200, '15', '{"status":"ok"}']], r.raw);
    const old = await exchange(port(), 'GET /healthz HTTP/1.0\r\n\r\n');
    assert.equal(old.responses.length, 1);
    assert.equal(old.responses[0].status, 200);
    assert.ok(old.closed);
  });

  it('Expect: 100-continue gets 100 Continue before the body is sent', async () => {
    const r = await exchange(port(), 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n' +
      'Expect: 100-continue\r\n\r\n', { want: 1 });
    assert.equal(r.responses[0]?.status, 100, r.raw);
  });
});

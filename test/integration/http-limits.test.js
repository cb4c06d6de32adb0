// Connection limits and the header timeout (issue 11, item 2): one client
// address cannot hold more than its share of connections, the total is
// bounded, and connections that do not send a request head are closed, so
// idle connections cannot take /healthz (or the webhook dispatcher's
// sockets) away from everyone else.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { PipitServer } from './harness.js';
import { checkErrorShape } from './oai.js';
import { exchange, open, closedBy, parseResponses } from './wire.js';

const HEALTH = 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

async function healthy(port, localAddress) {
  const r = await exchange(port, HEALTH, { localAddress });
  assert.equal(r.responses[0]?.status, 200, `/healthz from ${localAddress}: ${r.raw}`);
}

// What a connection refused at accept reads: one error in Twilio's shape.
async function refusedAtAccept(port, localAddress, status) {
  const s = await open(port, localAddress);
  const raw = await closedBy(s);
  const { responses } = parseResponses(raw);
  assert.equal(responses.length, 1, raw.toString());
  assert.equal(responses[0].status, status, raw.toString());
  assert.deepEqual(checkErrorShape(status, responses[0].headers['content-type'], responses[0].text), []);
  return JSON.parse(responses[0].text);
}

async function stopped(server) {
  const status = await server.stop();
  assert.equal(server.sanitizerReport(), null);
  assert.deepEqual(status, { code: 0, signal: null }, server.stderrTail());
  await server.removeDataDir();
}

describe('http connection limits', () => {
  const servers = [];
  after(async () => { for (const s of servers) await stopped(s); });

  it('one address gets at most --http-max-per-address connections; others still get /healthz', async () => {
    const server = await PipitServer.start({ extraArgs: ['--http-max-per-address', '50'] });
    servers.push(server);
    const idle = [];
    for (let i = 0; i < 50; i++) idle.push(await open(server.port, '127.0.0.1'));
    const body = await refusedAtAccept(server.port, '127.0.0.1', 429);
    assert.equal(body.code, 20429);
    await healthy(server.port, '127.0.0.2');
    // The server keeps its count: once it has closed one (its FIN comes
    // after it gave the slot back), one more may come.
    const gone = closedBy(idle[0]);
    idle[0].end();
    await gone;
    await healthy(server.port, '127.0.0.1');
    for (const s of idle) s.destroy();
  });

  it('all addresses together get at most --http-max-connections', async () => {
    const server = await PipitServer.start({ extraArgs: ['--http-max-connections', '30'] });
    servers.push(server);
    const idle = [];
    for (let i = 0; i < 30; i++) idle.push(await open(server.port, `127.0.0.${2 + (i % 3)}`));
    await refusedAtAccept(server.port, '127.0.0.9', 503);
    for (const s of idle) s.destroy();
  });

  it('connections that send no full request head within --http-header-timeout-ms are closed', async () => {
    const server = await PipitServer.start({ extraArgs: ['--http-header-timeout-ms', '300'] });
    servers.push(server);
    const silent = await Promise.all(Array.from({ length: 20 }, () => open(server.port)));
    const partial = await open(server.port);
    partial.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // never finished
    // Each is closed by the server (the test's own timeout bounds the wait).
    const silentReads = await Promise.all(silent.map(closedBy));
    assert.deepEqual(silentReads.map((b) => b.length), silent.map(() => 0));
    const { responses } = parseResponses(await closedBy(partial));
    assert.equal(responses.length, 1);
    assert.equal(responses[0].status, 408);
    assert.deepEqual(checkErrorShape(408, responses[0].headers['content-type'], responses[0].text), []);
    await healthy(server.port);
  });
});

// A stop under keep-alive POST load (issue 11, item 1): requests that
// arrive after SIGTERM are answered 503 in Twilio's error shape with
// Connection: close, the ones waiting for their durable write finish, and
// the server exits 0, every time.  Ten rounds, each stopped after a given
// number of answers (an event, not a delay).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { PipitServer, rawHttp, TO } from './harness.js';
import { checkErrorShape } from './oai.js';

const ROUNDS = 10;
const CLIENTS = 16;

// Keeps `CLIENTS` keep-alive connections POSTing message creates until
// `until` settles; calls onAnswer for each answer.
function load(server, acct, until, onAnswer) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const url = new URL(`/2010-04-01/Accounts/${acct.sid}/Messages.json`, server.baseUrl);
  const headers = {
    Authorization: `Basic ${Buffer.from(`${acct.sid}:${acct.auth_token}`).toString('base64')}`,
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  const body = new URLSearchParams({ To: TO, From: acct.from, Body: 'under load' }).toString();
  let over = false;
  until.then(() => { over = true; });
  const errors = [];
  const client = async () => {
    while (!over) {
      try {
        onAnswer(await rawHttp(url, 'POST', headers, body, agent));
      } catch (e) {
        errors.push(e.code ?? e.message);
        // Refused: the listener is closed; wait for the exit.
        if (e.code === 'ECONNREFUSED') await until;
      }
    }
  };
  return Promise.all(Array.from({ length: CLIENTS }, client)).then(() => {
    agent.destroy();
    return errors;
  });
}

describe('http stop', () => {
  it(`SIGTERM under keep-alive POST load: 503 after the stop, exit 0 (${ROUNDS} rounds)`, async () => {
    let first;
    let acct;
    const tally = { 201: 0, 503: 0, errors: 0 };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const server = await PipitServer.start({ dataDir: first?.dataDir, extraArgs: ['--http-threads', '2'] });
        first ??= server;
        acct ??= await server.createAccount('Stop Load');
        const bad = [];
        let answers = 0;
        let startStop;
        const stopNow = new Promise((resolve) => { startStop = resolve; });
        const exited = stopNow.then(() => {
          server.proc.kill('SIGTERM');
          return server.exited;
        });
        // Stop after a round-dependent number of answers, 20 to 110.
        const stopAfter = 20 + round * 10;
        const errors = await load(server, acct, exited, (res) => {
          answers++;
          tally[res.status] = (tally[res.status] ?? 0) + 1;
          if (res.status === 503) {
            const problems = checkErrorShape(503, res.headers['content-type'], res.text);
            if (problems.length || res.headers.connection !== 'close') bad.push(`503: ${problems} ${res.headers.connection}`);
          } else if (res.status !== 201) {
            bad.push(`${res.status}: ${res.text}`);
          }
          if (answers === stopAfter) startStop();
        });
        tally.errors += errors.length;
        const status = await exited;
        await server.streamsClosed;
        assert.equal(server.sanitizerReport(), null, `round ${round}: sanitizer report`);
        assert.deepEqual(status, { code: 0, signal: null },
          `round ${round}: pipit serve must exit 0 on SIGTERM under load:\n${server.stderrTail()}`);
        assert.deepEqual(bad, [], `round ${round}: answers other than 201 and 503 in Twilio's shape`);
      }
      assert.ok(tally[201] > 0, JSON.stringify(tally));
    } finally {
      await first?.removeDataDir();
    }
    console.log(`# stop under load: ${JSON.stringify(tally)}`);
  });
});

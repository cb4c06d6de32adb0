// Crash safety: a 201 means committed.  Run concurrent creates, SIGKILL the
// server in the middle, restart it on the same data directory and check that
// every message whose 201 response arrived is still there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { PipitServer, rawHttp, TO } from './harness.js';

const CONCURRENCY = Number(process.env.PIPIT_CRASH_CONCURRENCY || 12);
const LOAD_MS = Number(process.env.PIPIT_CRASH_LOAD_MS || 2000);

describe('crash safety', () => {
  it('every accepted message survives SIGKILL mid-load', { timeout: 180_000 }, async (t) => {
    const first = await PipitServer.start();
    let server = first;
    const { dataDir } = server;
    let failure;
    try {
      const acct = await server.createAccount('Crash Account');
      const auth = `Basic ${Buffer.from(`${acct.sid}:${acct.auth_token}`).toString('base64')}`;
      const url = new URL(`/2010-04-01/Accounts/${acct.sid}/Messages.json`, server.baseUrl);
      const headers = { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' };
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

      const accepted = [];        // sids from complete 201 responses
      const rejected = new Map(); // status -> count (complete non-201 responses)
      let lostInFlight = 0;       // requests whose response never (fully) arrived
      let errorsBeforeKill = 0;
      let sent = 0;
      let killed = false;
      let killStatus;
      const start = Date.now();

      const maybeKill = () => {
        if (!killed && Date.now() - start >= LOAD_MS) {
          killed = true;
          t.diagnostic(`SIGKILL after ${Date.now() - start} ms with ${accepted.length} accepted`);
          killStatus = server.kill();
        }
      };

      async function worker(w) {
        for (let i = 0; !killed; i++) {
          const body = `To=${encodeURIComponent(TO)}&From=${encodeURIComponent(acct.from)}&Body=crash+w${w}+n${i}`;
          sent++;
          let res;
          try {
            res = await rawHttp(url, 'POST', headers, body, agent);
          } catch (e) {
            lostInFlight++;
            if (!killed) {
              errorsBeforeKill++;
              if (server.exitStatus !== undefined) return; // died on its own
            }
            continue;
          }
          let sid;
          try { sid = JSON.parse(res.text).sid; } catch { /* counted below */ }
          if (res.status === 201 && /^SM[0-9a-f]{32}$/.test(sid ?? '')) {
            accepted.push(sid);
          } else {
            rejected.set(res.status, (rejected.get(res.status) ?? 0) + 1);
            if (rejected.get(res.status) === 1) t.diagnostic(`first ${res.status} response: ${res.text.slice(0, 300)}`);
          }
          maybeKill();
        }
      }

      await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
      agent.destroy();
      const status = await killStatus;
      const elapsed = Date.now() - start;
      assert.equal(server.sanitizerReport(), null, `sanitizer report before the kill:\n${server.sanitizerReport()}`);
      assert.equal(status.signal, 'SIGKILL', `server should die by SIGKILL, got ${JSON.stringify(status)}:\n${server.stderrTail()}`);

      t.diagnostic(`load: ${CONCURRENCY} workers, ${sent} requests in ${elapsed} ms; ` +
        `${accepted.length} accepted (201), ${[...rejected].map(([s, n]) => `${n}×${s}`).join(', ') || 'no'} other responses, ` +
        `${lostInFlight} without a response`);
      assert.equal(errorsBeforeKill, 0, 'no connection errors before the kill');
      assert.deepEqual([...rejected], [], 'every complete response before the kill was a 201');
      assert.ok(accepted.length > 0, 'some messages were accepted before the kill');
      assert.equal(new Set(accepted).size, accepted.length, 'no sid handed out twice');

      // Restart on the same data directory.
      server = await PipitServer.start({ dataDir });
      const fetchAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const missing = [];
      const odd = [];
      let found = 0;
      let next = 0;
      async function fetcher() {
        while (next < accepted.length) {
          const sid = accepted[next++];
          const res = await server.raw('GET', `/2010-04-01/Accounts/${acct.sid}/Messages/${sid}.json`,
            { auth: [acct.sid, acct.auth_token], agent: fetchAgent });
          if (res.status === 200 && res.json.sid === sid) found++;
          else if (res.status === 404) missing.push(sid);
          else odd.push(`${sid}: ${res.status} ${res.text.slice(0, 200)}`);
        }
      }
      await Promise.all(Array.from({ length: 16 }, fetcher));

      // Everything stored (accepted plus commits whose response was lost).
      let stored = 0;
      let page = `/2010-04-01/Accounts/${acct.sid}/Messages.json?PageSize=1000`;
      while (page) {
        const res = await server.raw('GET', page, { auth: [acct.sid, acct.auth_token], agent: fetchAgent });
        assert.equal(res.status, 200, res.text);
        stored += res.json.messages.length;
        page = res.json.next_page_uri;
      }
      fetchAgent.destroy();

      t.diagnostic(`after restart: ${found}/${accepted.length} accepted messages fetchable, ` +
        `${missing.length} missing, ${odd.length} other; ${stored} stored in total`);
      assert.deepEqual(odd, [], 'unexpected fetch responses');
      assert.deepEqual(missing.slice(0, 20), [], `${missing.length} accepted message(s) lost`);
      assert.equal(found, accepted.length);
      assert.ok(stored >= accepted.length, `stored ${stored} ≥ accepted ${accepted.length}`);
      assert.ok(stored <= sent, `stored ${stored} ≤ sent ${sent}`);
    } catch (e) {
      failure = e;
    }
    const status = await server.stop();
    const report = server.sanitizerReport();
    if (!failure && status.code === 0 && !report) await first.removeDataDir();
    else t.diagnostic(`data directory kept: ${dataDir}`);
    if (failure) throw failure;
    assert.equal(report, null, `sanitizer report:\n${report}`);
    assert.deepEqual(status, { code: 0, signal: null }, `restarted server should exit 0 on SIGTERM:\n${server.stderrTail()}`);
    assert.equal(server.recorder.failures.length, 0, server.recorder.failures.map((f) => f.message).join('\n\n'));
  });
});

// Shared setup of the tests that run one server with one SMSC peer bound to
// it as a carrier (verify.test.js, verify-fraud.test.js), and the clean stop
// they check at the end.
import assert from 'node:assert/strict';
import { PipitServer } from './harness.js';
import { SmscPeer } from './smsc-peer.js';

// Starts a server (`server`: PipitServer.start options) and an SMSC peer
// (`peer`: SmscPeer.start options) added as carrier `carrier` (with
// `carrierOpts`), creates account `account` and its SDK client, and waits
// for the bind.  Resolves to {server, peer, acct, client}.
export async function startWithSmsc({ server: serverOpts, peer: peerOpts, carrier, carrierOpts, account }) {
  const server = await PipitServer.start(serverOpts);
  const peer = await SmscPeer.start(peerOpts);
  await server.addCarrier(carrier, peer, carrierOpts);
  const acct = await server.createAccount(account);
  const client = server.client(acct.sid, acct.auth_token);
  await peer.waitForBind({ timeoutMs: 15_000 });
  return { server, peer, acct, client };
}

// Checks a server that is done: clean exit, no sanitizer report, every
// response matched the spec.
export async function stopClean(server, { keep = false } = {}) {
  const status = await server.stop();
  const report = server.sanitizerReport();
  assert.equal(report, null, `sanitizer report in server stderr:\n${report}`);
  assert.deepEqual(status, { code: 0, signal: null }, `pipit serve should exit 0:\n${server.stderrTail()}`);
  assert.equal(server.recorder.failures.length, 0,
    `responses failed Twilio schema validation:\n${server.recorder.failures.slice(0, 5).map((f) => f.message).join('\n\n')}`);
  if (!keep) await server.removeDataDir();
}

// Stops the peer and, unless a test already stopped it, the server.
export async function stopBoth(server, peer) {
  await peer?.stop();
  if (server && server.exitStatus === undefined) await stopClean(server);
}

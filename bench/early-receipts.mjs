// bench/early-receipts.mjs: an SMSC that sends receipts for ids it never
// gave (issue 11 item 9).  Starts `pipit serve` (PIPIT_BIN, default
// build/release/pipit) with one carrier on the npm smpp peer of the tests,
// sends RECEIPTS_N (20000) receipts for unknown ids, CONC (100) in flight,
// each of which pipit acknowledges once it is stored in early_receipts, and
// prints how many rows the table holds afterwards (sqlite3 CLI, read-only)
// against the bound (--early-receipts-max, RECEIPTS_MAX, default 10000):
//
//   EARLY_RESULT sent= acked= rows= max= secs= rps=
//
//   PIPIT_BIN=build/release/pipit node bench/early-receipts.mjs
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const N = Number(process.env.RECEIPTS_N ?? 20000);
const MAX = Number(process.env.RECEIPTS_MAX ?? 10000);
const CONC = Number(process.env.CONC ?? 100);
process.env.PIPIT_BIN ??= 'build/release/pipit'; // read when the harness loads
const { PipitServer } = await import('../test/integration/harness.js');
const { SmscPeer } = await import('../test/integration/smsc-peer.js');

const server = await PipitServer.start({ extraArgs: ['--early-receipts-max', String(MAX)] });
const peer = await SmscPeer.start({ systemId: 'bench-early', password: 'pw', name: 'early' });
try {
  await server.admin('carrier', 'add', 'early', '--smpp', peer.address,
    '--system-id', 'bench-early', '--password', 'pw', '--bind', 'trx', '--window', '100');
  await peer.waitForBind({ timeoutMs: 20_000 });
  let next = 0;
  let acked = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < N) {
      const id = `unknown${String(next++).padStart(8, '0')}`;
      if ((await peer.sendReceipt(id, { stat: 'DELIVRD', timeoutMs: 60_000 })).status === 0) acked++;
    }
  }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const rows = execFileSync('sqlite3', ['-readonly', path.join(server.dataDir, 'pipit.db'),
    'SELECT count(*) FROM early_receipts'], { encoding: 'utf8' }).trim();
  console.log(`EARLY_RESULT sent=${N} acked=${acked} rows=${rows} max=${MAX} secs=${secs.toFixed(2)} ` +
    `rps=${Math.round(N / secs)}`);
} finally {
  await peer.stop();
  await server.stop();
  await server.removeDataDir();
}

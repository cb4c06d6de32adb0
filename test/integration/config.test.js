// Settings: a config file, PIPIT_* environment variables and flags, in
// rising precedence; a bad setting stops the server with exit status 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PIPIT_BIN, freePort, rawHttp } from './harness.js';

// Starts `pipit serve` with args/env and resolves with the port it reports.
function serve(args, env = {}) {
  const proc = spawn(PIPIT_BIN, ['serve', ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = [];
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stderr }).on('line', (l) => {
      lines.push(l);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    exited.then((s) => reject(Object.assign(new Error(`exited: ${lines.join('\n')}`), s)));
  });
  return { proc, ready, exited, lines };
}

async function stop(s) {
  s.proc.kill('SIGTERM');
  assert.deepEqual(await s.exited, { code: 0, signal: null }, s.lines.join('\n'));
}

describe('settings', () => {
  it('reads listen, data and body-cap from a config file', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pipit-cfg-'));
    const port = await freePort();
    const file = path.join(dir, 'pipit.conf');
    await fsp.writeFile(file, `# test\nlisten = 127.0.0.1:${port}\ndata = ${dir}/data\nbody-cap = 2048\n`);
    const s = serve(['--config', file]);
    assert.equal(await s.ready, port);
    const big = await rawHttp(`http://127.0.0.1:${port}/2010-04-01/Accounts.json`, 'POST',
      { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a='.padEnd(4096, 'x'));
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.text).status, 413);
    await stop(s);
    await fsp.access(path.join(dir, 'data', 'pipit.db'));
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('environment beats the file, flags beat the environment', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pipit-cfg-'));
    const [pFile, pEnv, pFlag] = [await freePort(), await freePort(), await freePort()];
    const file = path.join(dir, 'pipit.conf');
    await fsp.writeFile(file, `listen = 127.0.0.1:${pFile}\ndata = ${dir}/data\n`);
    let s = serve(['--config', file], { PIPIT_LISTEN: `127.0.0.1:${pEnv}` });
    assert.equal(await s.ready, pEnv);
    await stop(s);
    s = serve(['--config', file, '--listen', `127.0.0.1:${pFlag}`],
      { PIPIT_LISTEN: `127.0.0.1:${pEnv}` });
    assert.equal(await s.ready, pFlag);
    const h = await rawHttp(`http://127.0.0.1:${pFlag}/healthz`, 'GET', {});
    assert.equal(h.status, 200);
    await stop(s);
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad setting with exit status 2', async () => {
    for (const [args, env] of [[['--listen', 'nonsense']], [['--bogus', 'x']],
      [[], { PIPIT_HTTP_THREADS: '0' }]]) {
      const s = serve(args, env);
      await assert.rejects(s.ready);
      assert.equal((await s.exited).code, 2, `${args} ${JSON.stringify(env)}`);
    }
  });
});

// Secrets stay in the process and in the data folder: `pipit serve` cannot
// dump core (it is not dumpable and its core limit is 0) unless started
// with --allow-core-dumps 1, which it logs; the data folder and everything
// pipit writes in it is for its owner only, and a folder left open to
// others is closed at start; `carrier add` takes the carrier's password
// from a file or standard input, never from its command line.
//
// Whether a process is dumpable is observed as the kernel decides it for
// core dumps and ptrace: a second process of the same user, with the same
// capabilities and without CAP_SYS_PTRACE (both started under setpriv when
// the suite runs as root, who would otherwise pass every check), may open
// /proc/PID/mem only while the target is dumpable.  Both ways are tested,
// so the probe cannot pass by always answering no.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PipitServer, PIPIT_BIN, useServer } from './harness.js';
import { SmscPeer } from './smsc-peer.js';

const NO_PTRACE = process.getuid() === 0 ? ['setpriv', '--bounding-set', '-sys_ptrace'] : [];
// A core limit the test can see being lowered (ASan lowers it to 0 itself
// unless told not to).
const LAUNCHER = [...NO_PTRACE, 'prlimit', '--core=unlimited', '--'];
const ASAN_ENV = { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:disable_coredump=0` };

// Exit status of `cmd args...` (stdin closed).
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => resolve(code));
  });
}

// True when a process like pipit (same user, same capabilities) may open
// pid's memory.
async function memoryOpenable(pid) {
  const [cmd, ...pre] = [...NO_PTRACE, 'sh'];
  return (await run(cmd, [...pre, '-c', 'exec 3<"$0"', `/proc/${pid}/mem`])) === 0;
}

// The soft "Max core file size" of pid: "0", "unlimited", ...
function coreLimit(pid) {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n')
    .find((l) => l.startsWith('Max core file size'));
  return line.slice('Max core file size'.length).trim().split(/\s+/)[0];
}

async function stopCleanly(server) {
  const status = await server.stop();
  assert.equal(server.sanitizerReport(), null);
  assert.deepEqual(status, { code: 0, signal: null }, server.stderrTail());
}

describe('core dumps', () => {
  it('pipit serve is not dumpable and has a core limit of 0', { timeout: 60_000 }, async () => {
    const server = await PipitServer.start({ launcher: LAUNCHER, env: ASAN_ENV });
    try {
      const pid = server.proc.pid;
      assert.equal(coreLimit(pid), '0', 'RLIMIT_CORE soft limit');
      assert.equal(await memoryOpenable(pid), false, 'pipit serve is dumpable');
      assert.ok(!server.stderrText().includes('core dumps'), server.stderrTail());
    } finally {
      await stopCleanly(server);
      await server.removeDataDir();
    }
  });

  it('pipit admin is not dumpable either, while it reads a password', { timeout: 60_000 }, async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pipit-admin-'));
    const [cmd, ...pre] = [...LAUNCHER, PIPIT_BIN];
    const p = spawn(cmd, [...pre, 'admin', '--data', dir, 'carrier', 'add', 'held', '--smpp',
      '127.0.0.1:9', '--system-id', 'held', '--password-file', '-'],
    { env: { ...process.env, ...ASAN_ENV }, stdio: ['pipe', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => p.on('close', resolve));
    try {
      // Once the launchers have exec'd it (they run with the limit node
      // has, maybe 0), pipit lowers its core limit from unlimited right
      // after it stopped being dumpable, before it opens anything; stdin
      // stays open, so it then waits there.
      const comm = () => fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim();
      let limit;
      for (let i = 0; i < 200; i++) {
        if (comm() === path.basename(PIPIT_BIN).slice(0, 15) && (limit = coreLimit(p.pid)) === '0') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(limit, '0', 'RLIMIT_CORE soft limit of pipit admin');
      assert.equal(await memoryOpenable(p.pid), false, 'pipit admin is dumpable');
    } finally {
      p.stdin.end('pw\n');
      assert.equal(await exited, 0);
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('--allow-core-dumps 1 leaves them to the core limit, and says so once', { timeout: 60_000 }, async () => {
    const server = await PipitServer.start({
      launcher: LAUNCHER, env: ASAN_ENV, extraArgs: ['--allow-core-dumps', '1'],
    });
    try {
      const pid = server.proc.pid;
      assert.equal(coreLimit(pid), 'unlimited');
      assert.equal(await memoryOpenable(pid), true, 'the probe sees a dumpable process');
      assert.equal(server.stderrLines.filter((l) => /core dumps/.test(l)).length, 1,
        server.stderrTail());
    } finally {
      await stopCleanly(server);
      await server.removeDataDir();
    }
  });
});

describe('the data folder is its owner\'s only', () => {
  let dir; let server;

  before(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pipit-mode-'));
    await fsp.chmod(dir, 0o755);
    await fsp.writeFile(path.join(dir, 'demo-account.json'), '{}\n', { mode: 0o644 });
    await fsp.chmod(path.join(dir, 'demo-account.json'), 0o644);
    server = await PipitServer.start({ dataDir: dir });
  }, { timeout: 60_000 });

  after(async () => {
    if (server) await stopCleanly(server);
    await fsp.rm(dir, { recursive: true, force: true });
  }, { timeout: 60_000 });

  // Every entry of the folder is its owner's only.
  async function assertPrivate() {
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const names = await fsp.readdir(dir);
    for (const n of names) {
      const mode = fs.statSync(path.join(dir, n)).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${n} is mode ${mode.toString(8)}`);
    }
    return names;
  }

  it('closes a folder left open at start, and logs it once', async () => {
    assert.equal(fs.statSync(path.join(dir, 'demo-account.json')).mode & 0o777, 0o600);
    assert.equal(server.stderrLines.filter((l) => /open to other users/.test(l)).length, 1,
      server.stderrTail());
    // What serve made after that (before any other command could close it).
    const names = await assertPrivate();
    for (const want of ['pipit.db', 'pipit.db-wal', 'master.key', 'audit-key.pub']) {
      assert.ok(names.includes(want), `${want} in ${names}`);
    }
  });

  it('every file serve, admin and audit write there is 0600', { timeout: 60_000 }, async () => {
    await server.createAccount('Modes');
    await new Promise((resolve, reject) => {
      const p = spawn(PIPIT_BIN, ['audit', '--data', dir, 'checkpoint'], { stdio: 'ignore' });
      p.on('error', reject);
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`audit checkpoint: ${code}`))));
    });
    const names = await assertPrivate();
    for (const want of ['pipit.db-shm', 'audit-checkpoint']) {
      assert.ok(names.includes(want), `${want} in ${names}`);
    }
  });
});

describe('a carrier password is never on a command line', () => {
  const ctx = useServer();
  const peers = [];

  after(async () => {
    for (const p of peers) await p.stop();
  });

  // `pipit admin --data DIR ...args` with `input` on its standard input.
  function admin(input, ...args) {
    return new Promise((resolve, reject) => {
      const p = spawn(PIPIT_BIN, ['admin', '--data', ctx.server.dataDir, ...args]);
      let stdout = ''; let stderr = '';
      p.stdout.on('data', (d) => { stdout += d; });
      p.stderr.on('data', (d) => { stderr += d; });
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout, stderr }));
      p.stdin.end(input);
    });
  }

  it('--password is refused and points to --password-file', async () => {
    const r = await admin('', 'carrier', 'add', 'argv', '--smpp', '127.0.0.1:9',
      '--system-id', 'argv', '--password', 'pw-argv');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--password-file/);
    assert.ok(!r.stderr.includes('pw-argv'), r.stderr);
    assert.doesNotMatch((await admin('', 'carrier', 'list')).stdout, /argv/);
  });

  it('takes it from a file or standard input, and the SMSC gets it', { timeout: 30_000 }, async () => {
    const a = await SmscPeer.start({ systemId: 'pf-a', password: 'pw-file', name: 'file' });
    const b = await SmscPeer.start({ systemId: 'pf-b', password: 'pw-in', name: 'stdin' });
    peers.push(a, b);
    const file = await ctx.server.secretFile('pw-file');
    let r = await admin('', 'carrier', 'add', 'pf-a', '--smpp', a.address, '--system-id', 'pf-a',
      '--password-file', file);
    assert.equal(r.code, 0, r.stderr);
    r = await admin('pw-in\n', 'carrier', 'add', 'pf-b', '--smpp', b.address, '--system-id', 'pf-b',
      '--password-file', '-');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await a.waitForBind()).password, 'pw-file');
    assert.equal((await b.waitForBind()).password, 'pw-in');
    assert.match((await admin('', 'carrier', 'list')).stdout, /^pf-a\t/m);
  });

  it('--password-file - on a terminal prompts and does not echo', { timeout: 30_000 }, async () => {
    const peer = await SmscPeer.start({ systemId: 'pf-tty', password: 'pw-tty', name: 'tty' });
    peers.push(peer);
    // script(1) runs it on a new pseudo-terminal; the password is typed
    // only once the prompt is there (echo is off by then).
    const cmd = [PIPIT_BIN, 'admin', '--data', ctx.server.dataDir, 'carrier', 'add', 'pf-tty',
      '--smpp', peer.address, '--system-id', 'pf-tty', '--password-file', '-'].join(' ');
    const p = spawn('script', ['-qec', cmd, '/dev/null']);
    let out = ''; let typed = false;
    p.stdout.on('data', (d) => {
      out += d;
      if (!typed && out.includes('carrier password: ')) {
        typed = true;
        p.stdin.write('pw-tty\r');
      }
    });
    const code = await new Promise((resolve, reject) => {
      p.on('error', reject);
      p.on('close', resolve);
    });
    assert.equal(code, 0, out);
    assert.ok(typed, out);
    assert.ok(!out.includes('pw-tty'), `the terminal showed the password: ${JSON.stringify(out)}`);
    assert.equal((await peer.waitForBind()).password, 'pw-tty');
  });

  it('refuses an unreadable or too long password file without showing it', async () => {
    const long = await ctx.server.secretFile('waytoolongpassword');
    for (const [input, file] of [['', long], ['waytoolongpassword\n', '-'],
      ['', path.join(ctx.server.dataDir, 'no-such-file')]]) {
      const r = await admin(input, 'carrier', 'add', 'bad-pw', '--smpp', '127.0.0.1:9',
        '--system-id', 'bad', '--password-file', file);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, /--password-file/);
      assert.ok(!r.stderr.includes('waytoolong'), r.stderr);
    }
    assert.doesNotMatch((await admin('', 'carrier', 'list')).stdout, /bad-pw/);
  });
});

// `pipit smsc --control`: the development SMSC's HTTP control API (served
// by Pipit's own HTTP server): GET /stats, GET /messages, POST /mo, and a
// clean stop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { PIPIT_BIN, rawHttp } from './harness.js';

describe('pipit smsc --control', () => {
  it('answers /stats, /messages and /mo, and stops with exit 0', async () => {
    const proc = spawn(PIPIT_BIN, ['smsc', '--listen', '127.0.0.1:0', '--control', '127.0.0.1:0'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const stderrDone = new Promise((resolve) => proc.stderr.on('close', resolve));
    const lines = [];
    const port = await new Promise((resolve, reject) => {
      readline.createInterface({ input: proc.stderr }).on('line', (l) => {
        lines.push(l);
        const m = /smsc control on http:\/\/127\.0\.0\.1:(\d+)/.exec(l);
        if (m) resolve(Number(m[1]));
      });
      exited.then((s) => reject(new Error(`pipit smsc exited (${JSON.stringify(s)}):\n${lines.join('\n')}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      const stats = await rawHttp(new URL('/stats', base), 'GET', {});
      assert.equal(stats.status, 200);
      assert.equal(JSON.parse(stats.text).binds, 0);
      const form = new URLSearchParams({ From: '+15558675310', To: '+15017122661', Body: 'hi' }).toString();
      const mo = await rawHttp(new URL('/mo', base), 'POST',
        { 'Content-Type': 'application/x-www-form-urlencoded' }, form);
      assert.equal(mo.status, 201, mo.text);
      assert.equal(JSON.parse(mo.text).status, 'queued');
      const missing = await rawHttp(new URL('/mo', base), 'POST',
        { 'Content-Type': 'application/x-www-form-urlencoded' }, 'From=x');
      assert.equal(missing.status, 400);
      const messages = await rawHttp(new URL('/messages', base), 'GET', {});
      assert.deepEqual(JSON.parse(messages.text), { total: 0, messages: [] });
      assert.equal((await rawHttp(new URL('/nope', base), 'GET', {})).status, 404);
      assert.equal((await rawHttp(new URL('/stats', base), 'POST', {}, '')).status, 405);
    } finally {
      proc.kill('SIGTERM');
    }
    const status = await exited;
    await stderrDone;
    assert.deepEqual(status, { code: 0, signal: null }, lines.join('\n'));
    assert.ok(!lines.some((l) => /ERROR: (Address|Leak)Sanitizer|runtime error/.test(l)), lines.join('\n'));
  });
});

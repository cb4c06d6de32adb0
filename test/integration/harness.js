// Integration-test harness for Pipit.
//
//   const ctx = useServer();            // inside a describe(): before/after hooks
//   const acct = await ctx.server.createAccount('name');
//   const client = ctx.server.client(acct.sid, acct.auth_token);
//
// PipitServer starts `pipit serve` on a free port in a fresh temporary data
// directory, waits for its readiness line on stderr, and stops it with
// SIGTERM (expecting exit status 0 and no sanitizer report).  Accounts are
// created with `pipit admin --data DIR account create --name N --json`.
//
// Twilio clients use PipitHttpClient, a subclass of the SDK's own
// RequestClient that rewrites https://<product>.twilio.com/... to the
// server's base URL and validates every response against Twilio's OpenAPI
// spec (see oai.js).  A response that fails validation makes the SDK call
// reject with a SchemaValidationError, so the test that made the call fails;
// every failure is also collected and the after hook fails if any occurred.
//
// Environment:
//   PIPIT_BIN          server binary (default build/asan/pipit, relative to the repo root)
//   PIPIT_OAI_DIR      directory holding twilio_api_v2010.json (default the @twilio-alpha/mcp devDependency)
//   PIPIT_OAI_STRICT=1 every declared property required, undeclared ones rejected
//   PIPIT_TEST_VERBOSE=1  copy server stderr to the test's stderr
//   PIPIT_KEEP_DATA=1  keep temporary data directories

import { spawn, execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import twilio from 'twilio';
import { OpenApiValidator, defaultOaiDir, pipitPathToTwilioUrl, checkErrorShape, excerpt } from './oai.js';

export { twilio };

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PIPIT_BIN = path.resolve(REPO_ROOT, process.env.PIPIT_BIN || 'build/asan/pipit');
const VERBOSE = process.env.PIPIT_TEST_VERBOSE === '1';
const READY_TIMEOUT_MS = 30_000;

let sharedValidator;
export function validator() {
  sharedValidator ??= new OpenApiValidator({ dir: defaultOaiDir(REPO_ROOT) });
  return sharedValidator;
}

export class SchemaValidationError extends Error {
  constructor(exchange, problems) {
    super(`response to ${exchange.method.toUpperCase()} ${exchange.url} (HTTP ${exchange.status}) ` +
      `does not match the Twilio API${exchange.template ? ` (${exchange.template})` : ''}:\n  - ` +
      `${problems.join('\n  - ')}\n  body: ${excerpt(exchange.body, 1500)}`);
    this.name = 'SchemaValidationError';
    // Non-enumerable: the message already says everything, keep reports short.
    Object.defineProperty(this, 'exchange', { value: exchange, enumerable: false });
    Object.defineProperty(this, 'problems', { value: problems, enumerable: false });
  }
}

// https://api.twilio.com/2010-04-01/X -> BASE/2010-04-01/X
// https://<product>[.<edge>.<region>].twilio.com/v1/X -> BASE/<product>/v1/X
export function rewriteTwilioUrl(uri, baseUrl) {
  const u = new URL(uri);
  const m = /^([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.twilio\.com$/i.exec(u.hostname);
  if (u.protocol !== 'https:' || !m) throw new Error(`not a Twilio API URL: ${uri}`);
  const product = m[1].toLowerCase();
  const prefix = product === 'api' ? '' : `/${product}`;
  return `${baseUrl.replace(/\/$/, '')}${prefix}${u.pathname}${u.search}`;
}

// Validation bookkeeping shared by the SDK client and raw requests.
export class Recorder {
  constructor() {
    this.exchanges = [];
    this.failures = [];
    this.unchecked = new Set();
  }

  // Returns the exchange; throws SchemaValidationError when it does not
  // match the spec (or the Twilio error shape).
  check(exchange) {
    const res = validator().validate({
      method: exchange.method,
      twilioUrl: exchange.twilioUrl,
      status: exchange.status,
      contentType: exchange.contentType,
      bodyText: exchange.body,
    });
    exchange.template = res.template;
    exchange.problems = res.problems;
    this.exchanges.push(exchange);
    if (!res.checked && res.problems.length === 0) {
      this.unchecked.add(`${exchange.method.toUpperCase()} ${new URL(exchange.twilioUrl).host}${new URL(exchange.twilioUrl).pathname}`);
    }
    if (res.problems.length) {
      const err = new SchemaValidationError(exchange, res.problems);
      this.failures.push(err);
      throw err;
    }
    return exchange;
  }

  last(predicate = () => true) {
    for (let i = this.exchanges.length - 1; i >= 0; i--) {
      if (predicate(this.exchanges[i])) return this.exchanges[i];
    }
    return undefined;
  }

  lastJson(predicate) {
    const ex = this.last(predicate);
    return ex ? JSON.parse(ex.body) : undefined;
  }
}

// The SDK's own RequestClient, pointed at Pipit.
export class PipitHttpClient extends twilio.RequestClient {
  constructor({ baseUrl, recorder = new Recorder(), ...opts }) {
    super({ keepAlive: true, timeout: 30_000, ...opts });
    this.baseUrl = baseUrl;
    this.recorder = recorder;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.axios.defaults.httpAgent = this.httpAgent;
    // Keep bodies as the exact text the server sent: the SDK parses string
    // bodies itself, and validation wants the raw text.
    this.axios.defaults.responseType = 'text';
    this.axios.defaults.transformResponse = [(data) => data];
  }

  async request(opts) {
    // Absolute URLs in Pipit's responses (a v1 list's meta.next_page_url,
    // url, links) are built from its public base URL, which is this.baseUrl:
    // the SDK follows those as they are.
    const onPipit = opts.uri.startsWith(`${this.baseUrl}/`);
    const twilioUrl = onPipit ? pipitPathToTwilioUrl(opts.uri.slice(this.baseUrl.length)) : opts.uri;
    if (!twilioUrl) throw new Error(`not a Twilio API path: ${opts.uri}`);
    const uri = onPipit ? opts.uri : rewriteTwilioUrl(twilioUrl, this.baseUrl);
    const res = await super.request({ ...opts, uri });
    const body = typeof res.body === 'string' ? res.body : (res.body == null ? '' : JSON.stringify(res.body));
    const query = opts.params && Object.keys(opts.params).length
      ? `?${new URLSearchParams(Object.entries(opts.params).filter(([, v]) => v !== undefined)).toString()}` : '';
    this.recorder.check({
      method: opts.method.toLowerCase(),
      twilioUrl,
      url: uri + query,
      requestData: opts.data,
      status: res.statusCode,
      contentType: res.headers?.['content-type'],
      headers: res.headers,
      body,
    });
    return { ...res, body };
  }

  close() {
    this.httpAgent.destroy();
  }
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|runtime error:|MemorySanitizer/;

export class PipitServer {
  // Start `pipit serve`.  `dataDir` reuses a directory (restart after a
  // crash); otherwise a fresh temporary one is made.  `launcher` is a
  // command that execs the rest of its argument list (e.g. ['prlimit',
  // '--core=unlimited', '--']): pipit then runs in its place, same pid.
  static async start({ dataDir, env = {}, extraArgs = [], launcher = [] } = {}) {
    if (!fs.existsSync(PIPIT_BIN)) {
      throw new Error(`Pipit binary not found at ${PIPIT_BIN}; build it (cmake --preset asan && cmake --build --preset asan) or set PIPIT_BIN`);
    }
    const ownsDir = !dataDir;
    dataDir ??= await fsp.mkdtemp(path.join(os.tmpdir(), 'pipit-it-'));
    let lastErr;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new PipitServer(dataDir, ownsDir, await freePort(), env, extraArgs, launcher);
      try {
        await server.#waitReady();
        return server;
      } catch (e) {
        lastErr = e;
        // Somebody else took the port between freePort() and bind(): retry.
        if (!/address already in use|EADDRINUSE/i.test(server.stderrText())) break;
      }
    }
    throw lastErr;
  }

  constructor(dataDir, ownsDir, port, env, extraArgs, launcher = []) {
    this.dataDir = dataDir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.env = { ...process.env, ...env };
    this.stderrLines = [];
    this.stdoutLines = [];
    this.recorder = new Recorder();
    this.httpClient = new PipitHttpClient({ baseUrl: this.baseUrl, recorder: this.recorder });
    this.args = ['serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir,
      '--public-url', this.baseUrl,
      // A function of the port: flags that name it (a later --public-url wins).
      ...(typeof extraArgs === 'function' ? extraArgs(port) : extraArgs)];
    const [cmd, ...pre] = [...launcher, PIPIT_BIN];
    this.proc = spawn(cmd, [...pre, ...this.args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        live.delete(this.proc);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    this.spawnError = new Promise((resolve) => this.proc.on('error', resolve));
    const out = readline.createInterface({ input: this.proc.stdout });
    out.on('line', (line) => {
      this.stdoutLines.push(line);
      if (VERBOSE) process.stderr.write(`[pipit:${port} stdout] ${line}\n`);
    });
    this.stderrRl = readline.createInterface({ input: this.proc.stderr });
    this.stderrRl.on('line', (line) => {
      this.stderrLines.push(line);
      if (VERBOSE) process.stderr.write(`[pipit:${port}] ${line}\n`);
    });
    // Both streams fully read (the process is gone and its pipes drained).
    this.streamsClosed = Promise.all([
      new Promise((r) => out.on('close', r)),
      new Promise((r) => this.stderrRl.on('close', r)),
    ]);
  }

  async #waitReady() {
    const needle = `listening on ${this.baseUrl}`;
    let timer;
    try {
      await Promise.race([
        new Promise((resolve) => {
          if (this.stderrLines.some((l) => l.includes(needle))) return resolve();
          const onLine = (line) => {
            if (line.includes(needle)) {
              this.stderrRl.off('line', onLine);
              resolve();
            }
          };
          this.stderrRl.on('line', onLine);
        }),
        this.exited.then(async ({ code, signal }) => {
          await this.streamsClosed;
          throw new Error(`pipit serve exited before it was ready (code ${code}, signal ${signal}):\n${this.stderrTail()}`);
        }),
        this.spawnError.then((e) => { throw new Error(`cannot start ${PIPIT_BIN}: ${e.message}`); }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(
            `pipit serve printed no "${needle}" within ${READY_TIMEOUT_MS} ms:\n${this.stderrTail()}`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      if (this.exitStatus === undefined && this.proc.pid !== undefined) {
        this.proc.kill('SIGKILL');
        await this.exited;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  stderrText() {
    return this.stderrLines.join('\n');
  }

  stderrTail(n = 40) {
    return this.stderrLines.slice(-n).map((l) => `  | ${l}`).join('\n');
  }

  sanitizerReport() {
    const i = this.stderrLines.findIndex((l) => SANITIZER_RE.test(l));
    return i < 0 ? null : this.stderrLines.slice(Math.max(0, i - 2), i + 60).join('\n');
  }

  // SIGTERM and wait for exit; returns {code, signal}.
  stop() {
    return this.#signalAndWait('SIGTERM');
  }

  // SIGKILL and wait for exit.
  kill() {
    return this.#signalAndWait('SIGKILL');
  }

  async #signalAndWait(signal) {
    this.httpClient.close();
    if (this.exitStatus === undefined) this.proc.kill(signal);
    const status = await this.exited;
    await this.streamsClosed;
    return status;
  }

  async removeDataDir() {
    if (this.ownsDir && process.env.PIPIT_KEEP_DATA !== '1') {
      await fsp.rm(this.dataDir, { recursive: true, force: true });
    }
  }

  // Run `pipit admin --data DIR ...args`; resolves to stdout.
  admin(...args) {
    return new Promise((resolve, reject) => {
      execFile(PIPIT_BIN, ['admin', '--data', this.dataDir, ...args],
        { env: this.env, timeout: 30_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          if (err) {
            err.message = `pipit admin ${args.join(' ')} failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`;
            reject(err);
          } else {
            resolve(stdout);
          }
        });
    });
  }

  // Writes `secret` to a new file (mode 0600) in the data folder and
  // resolves to its path: for `--password-file`, so that no secret is on a
  // command line.
  async secretFile(secret) {
    const file = path.join(this.dataDir, `secret-${randomHex(8)}`);
    await fsp.writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return file;
  }

  // Adds carrier `name` on the SMPP peer `peer` (with its system id and
  // password) and a route to it for each of `prefixes`.  Routes before their
  // carrier: the engine rereads both in one pass, so once the carrier has
  // bound (peer.waitForBind), its routes are in force too.  `args` go to
  // `carrier add` as they are ('--bind', 'trx', ...).
  async addCarrier(name, peer, { prefixes = ['+1'], args = [] } = {}) {
    for (const p of prefixes) await this.admin('route', 'add', '--prefix', p, '--carrier', name);
    await this.admin('carrier', 'add', name, '--smpp', peer.address, '--system-id', peer.systemId,
      '--password-file', await this.secretFile(peer.password), ...args);
  }

  // {sid, auth_token, friendly_name}
  // A new account owning one new phone number, `acct.from` (numbers are
  // unique across accounts, and `From` must be one the account owns).
  // opts.numbers: the numbers to give it instead ([] for none);
  // opts.senders: alphanumeric sender IDs it may use.
  async createAccount(name = `it-${Math.random().toString(16).slice(2, 10)}`,
    { numbers = [uniqueNumber()], senders = [] } = {}) {
    const args = ['account', 'create', '--name', name, '--json'];
    for (const n of numbers) args.push('--number', n);
    for (const s of senders) args.push('--sender', s);
    const out = await this.admin(...args);
    const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
    assert.equal(lines.length, 1, `admin account create should print one JSON line, got:\n${out}`);
    const acct = JSON.parse(lines[0]);
    assert.match(acct.sid, /^AC[0-9a-fA-F]{32}$/, `admin account sid: ${out}`);
    assert.match(acct.auth_token, /^[0-9a-fA-F]{32}$/, `admin auth_token: ${out}`);
    assert.equal(acct.friendly_name, name);
    assert.deepEqual(acct.phone_numbers, numbers);
    acct.from = numbers[0];
    return acct;
  }

  // Makes numbers available through the operator (`pipit admin number
  // add`): to `accountSid` (and its subaccounts), or to any account when it
  // is omitted.  IncomingPhoneNumbers.create takes only such numbers.
  async offerNumbers(numbers, accountSid) {
    const args = ['number', 'add', ...[numbers].flat()];
    if (accountSid) args.push('--account', accountSid);
    await this.admin(...args);
  }

  // A twilio SDK client talking to this server.
  client(username, password, opts = {}) {
    return twilio(username, password, { httpClient: this.httpClient, ...opts });
  }

  // createAccount(name, opts) and an SDK client of that account: {acct, client}.
  async accountClient(name, opts) {
    const acct = await this.createAccount(name, opts);
    return { acct, client: this.client(acct.sid, acct.auth_token) };
  }

  // A raw HTTP request (node:http, no SDK).  `auth` is [user, password];
  // `form` an object sent as application/x-www-form-urlencoded; `body` a
  // string/Buffer, or an async iterable sent chunked.  Responses to API paths
  // are validated like SDK responses unless validate:false.
  async raw(method, p, { auth, headers = {}, form, body, agent, validate = true } = {}) {
    const url = new URL(p, this.baseUrl);
    const hdrs = { ...headers };
    if (auth) hdrs.Authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64')}`;
    if (form) {
      body = new URLSearchParams(form).toString();
      hdrs['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const res = await rawHttp(url, method, hdrs, body, agent);
    const exchange = {
      method: method.toLowerCase(),
      twilioUrl: pipitPathToTwilioUrl(url.pathname + url.search),
      url: url.href,
      status: res.status,
      contentType: res.headers['content-type'],
      headers: res.headers,
      body: res.text,
    };
    if (validate) {
      if (exchange.twilioUrl) {
        this.recorder.check(exchange);
      } else if (res.status >= 400) {
        const problems = checkErrorShape(res.status, exchange.contentType, res.text);
        if (problems.length) {
          const err = new SchemaValidationError(exchange, problems);
          this.recorder.failures.push(err);
          throw err;
        }
      }
    }
    let json;
    try { json = JSON.parse(res.text); } catch { /* not JSON */ }
    return { ...res, json };
  }
}

// One HTTP request with node:http.  Resolves as soon as a full response has
// arrived, even if the server answered before the request body was sent
// (e.g. 413) and closed the connection.
export function rawHttp(url, method, headers, body, agent) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = http.request(url, { method, headers, agent: agent ?? false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
    });
    req.on('error', (e) => {
      // EPIPE/ECONNRESET while still writing a body the server already
      // refused: the 'response' handler may still complete.  Give it the
      // chance; otherwise fail.
      if (settled) return;
      if (req.res && !req.res.complete) {
        req.res.on('end', () => {});
        req.res.on('close', () => { if (!settled) { settled = true; reject(e); } });
        return;
      }
      settled = true;
      reject(e);
    });
    if (body == null) {
      req.end();
    } else if (typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      (async () => {
        try {
          for await (const chunk of body) {
            if (req.destroyed || settled) return;
            if (!req.write(chunk)) await new Promise((r) => { req.once('drain', r); req.once('close', r); });
          }
          req.end();
        } catch (e) {
          req.destroy(e);
        }
      })();
    }
  });
}

// Install before/after hooks (call inside describe()) that start a server
// and, afterwards, stop it and check that it exited cleanly.
export function useServer(opts = {}) {
  const ctx = { server: null };
  before(async () => {
    ctx.server = await PipitServer.start(opts);
  }, { timeout: 60_000 });
  after(async () => {
    const server = ctx.server;
    if (!server) return;
    const status = await server.stop();
    const report = server.sanitizerReport();
    const failures = server.recorder.failures;
    if (status.code === 0 && !report) await server.removeDataDir();
    assert.equal(report, null, `sanitizer report in server stderr:\n${report}`);
    assert.deepEqual(status, { code: 0, signal: null },
      `pipit serve should exit 0 on SIGTERM:\n${server.stderrTail()}`);
    assert.equal(failures.length, 0,
      `${failures.length} response(s) failed Twilio schema validation (first 5):\n` +
      `${failures.slice(0, 5).map((f) => f.message).join('\n\n')}`);
  }, { timeout: 60_000 });
  return ctx;
}

// Assert that `promise` rejects with the SDK's RestException carrying
// `status` and `code`.
export async function expectRestError(promise, { status, code }, message) {
  await assert.rejects(promise, (err) => {
    if (!(err instanceof twilio.RestException)) {
      assert.fail(`${message ? `${message}: ` : ''}expected a RestException ${status}/${code}, got ${err?.name}: ${err?.stack ?? err}`);
    }
    assert.equal(err.status, status, `${message ? `${message}: ` : ''}HTTP status (message: ${err.message})`);
    assert.equal(err.code, code, `${message ? `${message}: ` : ''}Twilio error code (message: ${err.message})`);
    assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    return true;
  });
}

// Polls `fn` every 50 ms until it returns a truthy value, which it resolves
// to; fails the test after `timeoutMs` saying it waited for `what`.
export async function pollUntil(fn, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The messages to `to` whose body is `body`, once there is one (listed
// every 50 ms, at most `timeoutMs`); a failure shows what was listed, and
// `also()` (say, the server's stderr).
export async function waitForInbound(client, to, body, { timeoutMs = 10_000, also = () => '' } = {}) {
  let list = [];
  try {
    return await pollUntil(async () => {
      list = await client.messages.list({ to, pageSize: 200 });
      const hits = list.filter((m) => m.body === body);
      return hits.length > 0 && hits;
    }, `a message to ${to} with body ${JSON.stringify(body).slice(0, 60)}`, timeoutMs);
  } catch (e) {
    e.message += `; listed: ${JSON.stringify(list.map((m) => [m.direction, m.status, m.body?.slice(0, 30)]))}${also()}`;
    throw e;
  }
}

// A phone number no other call in this process returned (+1599 and 7 digits).
let numberSeq = Math.floor(Math.random() * 5_000_000);
export function uniqueNumber() {
  numberSeq = (numberSeq + 1) % 10_000_000;
  return `+1599${String(numberSeq).padStart(7, '0')}`;
}

// A number no test account owns: `From` with it is refused (21606).
export const FROM = '+15017122661';
export const TO = '+15558675310';

export function randomHex(n) {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

export const RFC2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

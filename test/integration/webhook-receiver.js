// A customer's webhook endpoint for the integration tests: a real HTTP
// server in Node that checks every request's X-Twilio-Signature with the
// official SDK's twilio.validateRequest (and fails the test through
// `invalid` when one does not verify), records it, and answers as the test
// says (`respond`).
//
//   const rx = await Receiver.start({ authToken });
//   rx.respond = (req) => ({ status: 200, type: 'text/xml', body: '<Response/>' });
//   await rx.waitFor((reqs) => reqs.length >= 3);
//   await rx.stop();            // the port stays reserved for restart()
//   await rx.restart();
import http from 'node:http';
import { once } from 'node:events';
import twilio from 'twilio';

export class Receiver {
  static async start({ authToken, port = 0 } = {}) {
    const rx = new Receiver(authToken);
    await rx.#listen(port);
    return rx;
  }

  constructor(authToken) {
    this.authToken = authToken; // the signing account's auth token
    this.requests = [];         // every request, in arrival order
    this.invalid = [];          // requests whose signature did not verify
    this.respond = () => ({ status: 200, type: 'text/plain', body: '' });
    this.server = null;
    this.port = 0;
    this.waiters = new Set();
  }

  url(path = '/hook') {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async #listen(port) {
    this.server = http.createServer((req, res) => this.#handle(req, res));
    this.server.keepAliveTimeout = 1000;
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = this.server.address().port;
  }

  #handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = `http://127.0.0.1:${this.port}${req.url}`;
      const params = {};
      if (req.method === 'POST') {
        for (const [k, v] of new URLSearchParams(raw)) {
          if (k in params) params[k] = [].concat(params[k], v);
          else params[k] = v;
        }
      }
      const query = Object.fromEntries(new URL(url).searchParams);
      const signature = req.headers['x-twilio-signature'];
      const valid = Boolean(signature) && twilio.validateRequest(this.authToken, signature, url, params);
      const rec = {
        method: req.method, path: new URL(url).pathname, url, headers: req.headers, raw,
        params: req.method === 'POST' ? params : query,
        token: req.headers['i-twilio-idempotency-token'], valid, at: Date.now(),
      };
      this.requests.push(rec);
      if (!valid) this.invalid.push(rec);
      let answer;
      try { answer = this.respond(rec) ?? {}; } catch (e) { answer = { status: 500, body: String(e) }; }
      res.writeHead(answer.status ?? 200, { 'Content-Type': answer.type ?? 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
      for (const w of this.waiters) w();
    });
  }

  // Resolves to pred(requests)'s first truthy value; rejects after timeoutMs.
  waitFor(pred, { timeoutMs = 15_000, what = 'webhook requests' } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = pred(this.requests);
        if (v) { cleanup(); resolve(v); }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.requests.length}: ` +
          JSON.stringify(this.requests.map((r) => [r.path, r.params.MessageStatus ?? r.params.SmsStatus]).slice(-20))));
      }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  // Stops listening (connections refused) but remembers the port.
  async stop() {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    s.closeAllConnections?.();
    await new Promise((resolve) => s.close(resolve));
  }

  async restart() {
    await this.#listen(this.port);
  }
}

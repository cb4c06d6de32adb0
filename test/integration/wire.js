// Raw-socket HTTP helpers for the wire tests: send exact bytes, read back
// every response the server writes, and know whether it closed.
import net from 'node:net';

// Parses HTTP/1.1 responses from `buf`; returns {responses, rest}.
export function parseResponses(buf, { bodiless = [] } = {}) {
  const responses = [];
  let off = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) break;
    const lines = buf.subarray(off, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0]);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    const len = status === 100 || status === 204 || bodiless.includes(responses.length) ? 0 : Number(headers['content-length'] ?? 0);
    if (buf.length < end + 4 + len) break;
    const text = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    responses.push({ status, headers, text });
    off = end + 4 + len;
  }
  return { responses, rest: buf.subarray(off) };
}

// Connects to port, writes `bytes` (a string, Buffer or array of them,
// written one after another), and resolves once the server has closed
// the connection or `want` responses have arrived: {responses, closed,
// raw}.  bodiless: indexes of responses that have no body (to HEAD);
// end: half-close the connection after writing.  Rejects after timeoutMs (a hung server fails the test instead of
// blocking it).
export function exchange(port, bytes, { want = Infinity, localAddress, timeoutMs = 10_000, bodiless, end = false } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      let parsed;
      try { parsed = parseResponses(raw, { bodiless }); } catch (e) { reject(e); return; }
      sock.destroy();
      resolve({ responses: parsed.responses, closed, raw: raw.toString('latin1') });
    };
    const timer = setTimeout(() => {
      done = true;
      sock.destroy();
      reject(new Error(`no close after ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 500))}`));
    }, timeoutMs);
    sock.on('connect', () => {
      for (const b of [].concat(bytes)) sock.write(b);
      if (end) sock.end(); // the FIN right behind the request
    });
    sock.on('data', (d) => {
      chunks.push(d);
      if (parseResponses(Buffer.concat(chunks), { bodiless }).responses.length >= want) finish(false);
    });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', (e) => { if (e.code === 'ECONNRESET') finish(true); else if (!done) { done = true; clearTimeout(timer); reject(e); } });
  });
}

// Opens a connection and resolves once it is connected (the socket).
export function open(port, localAddress) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// Resolves when `sock` is closed by the server, with what it sent.
export function closedBy(sock) {
  const chunks = [];
  sock.on('data', (d) => chunks.push(d));
  return new Promise((resolve) => {
    const end = () => resolve(Buffer.concat(chunks));
    sock.on('close', end);
    sock.on('error', () => {});
  });
}

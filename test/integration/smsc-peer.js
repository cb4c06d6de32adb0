// A scriptable SMSC (SMPP 3.4 server) for the integration tests, built on
// the npm `smpp` package's server.
//
//   const peer = await SmscPeer.start({ systemId: 'pipit', password: 'secret' });
//   ... point a carrier at 127.0.0.1:peer.port ...
//   await peer.waitForBind();
//   const msg = await peer.waitForMessage('hello');   // a whole (reassembled) message
//   await peer.sendReceipts(msg, { stat: 'DELIVRD' });
//   await peer.injectMo({ from: '+15550001111', to: '+15005550100', text: 'hi' });
//   await peer.stop();
//
// What it does:
// - listens on 127.0.0.1 on a free port; accepts bind_transceiver (and
//   bind_transmitter / bind_receiver, recorded with their mode) with the
//   configured system_id and password; a wrong system_id is answered
//   ESME_RBINDFAIL, a wrong password ESME_RINVPASWD (every attempt is kept in
//   `binds`); any other request before a bind is answered ESME_RINVBNDSTS.
// - records every submit_sm in `submits` with its raw octets and the decoded
//   text: data_coding 0 as GSM 03.38 (one septet per octet, escapes decoded
//   through the extension table), 8 as UTF-16BE, 1 as ASCII, 3 as Latin-1;
//   a UDH (esm_class 0x40) is parsed, and concatenated parts (IEI 0x00 or
//   0x08, or the sar_* TLVs) are reassembled into `messages`.  The package's
//   own short_message decoding is bypassed for submit_sm/data_sm (see
//   installRawDecode): its GSM table matches 03.38, but it maps unknown
//   octets to a space, which would hide encoder bugs; here they decode to
//   U+FFFD.
// - answers submit_sm with a message id it makes up (ESME_ROK) or is given
//   (answerNextWith: ids reused, or ids it sent receipts for already), or with
//   ESME_RTHROTTLED for the next N (throttleNext), or not at all while held
//   (holdSubmits / releaseHeld), or with an error for the next N
//   (rejectNext).  Binds can be refused for a while (refuseBinds).
// - sends delivery receipts (deliver_sm, esm_class 0x04, Appendix B text,
//   receipted_message_id and message_state TLVs) on demand (sendReceipt) or
//   automatically after each accepted submit (autoReceipt).
// - injects mobile-originated deliver_sm (injectMo), split into UDH parts
//   when asked or when too long for one; GSM-7 unpacked, or packed on request.
// - answers query_sm with the state set in messageStates (ENROUTE by
//   default) for ids it gave, ESME_RQUERYFAIL for others.
// - answers enquire_link and counts it; sends one on demand (ping), as a
//   barrier behind the deliver_sm sent before it.
// - emits 'bind', 'submit', 'message', 'throttled', 'rejected', 'held', 'enquire_link',
//   'deliver_sm_resp', 'unbind', 'close' and, after each of them, 'change';
//   waitFor*(…) resolve on these events, with a deadline.

import { EventEmitter } from 'node:events';
import smpp from 'smpp';

// ---------------------------------------------------------------- GSM 03.38

// The default alphabet, indexed by septet value.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1BÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// The extension table (after 0x1B).
const GSM_EXT = new Map([
  [0x0A, '\f'], [0x14, '^'], [0x28, '{'], [0x29, '}'], [0x2F, '\\'],
  [0x3C, '['], [0x3D, '~'], [0x3E, ']'], [0x40, '|'], [0x65, '€'],
]);
if ([...GSM_BASIC].length !== 128) throw new Error('GSM basic table must have 128 entries');
const GSM_BASIC_ENC = new Map([...GSM_BASIC].map((c, i) => [c, i]));
GSM_BASIC_ENC.delete('\x1B');
const GSM_EXT_ENC = new Map([...GSM_EXT].map(([k, v]) => [v, k]));

export const GSM_EXTENSION_CHARS = [...GSM_EXT.values()].join('');

// True when every character of `text` is in the GSM 03.38 default alphabet
// or its extension table.
export function isGsm7(text) {
  for (const ch of text) if (!GSM_BASIC_ENC.has(ch) && !GSM_EXT_ENC.has(ch)) return false;
  return true;
}

// Septets `text` takes in GSM-7 (an extension character takes two).
export function gsm7Length(text) {
  let n = 0;
  for (const ch of text) n += GSM_EXT_ENC.has(ch) ? 2 : 1;
  return n;
}

// Unpacked GSM-7 octets (one septet per octet, extension characters as
// 0x1B + code).  Throws on a character outside the alphabet.
export function gsm7Encode(text) {
  const out = [];
  for (const ch of text) {
    if (GSM_BASIC_ENC.has(ch)) out.push(GSM_BASIC_ENC.get(ch));
    else if (GSM_EXT_ENC.has(ch)) out.push(0x1B, GSM_EXT_ENC.get(ch));
    else throw new Error(`not in the GSM 03.38 alphabet: U+${ch.codePointAt(0).toString(16).toUpperCase()}`);
  }
  return Buffer.from(out);
}

// Decodes unpacked GSM-7 octets.  An octet above 0x7F, or an escape that
// the extension table does not define (or that ends the buffer), decodes to
// U+FFFD so that a wrong encoding cannot compare equal to the expected text.
export function gsm7Decode(buf) {
  let s = '';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b > 0x7F) { s += '\uFFFD'; continue; }
    if (b === 0x1B) {
      const next = buf[i + 1];
      if (next !== undefined && GSM_EXT.has(next)) { s += GSM_EXT.get(next); i++; } else { s += '\uFFFD'; if (next !== undefined) i++; }
      continue;
    }
    s += GSM_BASIC[b];
  }
  return s;
}

// Packs septets (one per element, < 0x80) 7 bits each, least significant
// bit first (3GPP TS 23.038 6.1.2.1.1), after `fill` zero bits: the fill
// that puts the first septet on a septet boundary after a UDH (23.040
// 9.2.3.24).  When the last octet would end with 7 spare bits they hold a
// CR, so that they are not read as an '@' (23.038 6.1.2.3.1).
export function gsm7Pack(septets, fill = 0) {
  const bits = fill + 7 * septets.length;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  let bit = fill;
  for (const s of septets) {
    for (let k = 0; k < 7; k++, bit++) if (s & (1 << k)) out[bit >> 3] |= 1 << (bit & 7);
  }
  if (out.length * 8 - bits === 7) out[out.length - 1] |= 0x0D << 1;
  return out;
}

// Fill bits after a UDH of `udhOctets` octets (its length octet included).
export function gsm7FillBits(udhOctets) {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

export function ucs2Encode(text) {
  const b = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) b.writeUInt16BE(text.charCodeAt(i), i * 2);
  return b;
}

// UTF-16BE; an odd trailing octet decodes to U+FFFD.  Lone surrogates are
// kept as they are (String.fromCharCode), so a pair split across two parts
// still joins when the parts' texts are concatenated.
export function ucs2Decode(buf) {
  let s = '';
  for (let i = 0; i + 1 < buf.length; i += 2) s += String.fromCharCode(buf.readUInt16BE(i));
  if (buf.length % 2) s += '\uFFFD';
  return s;
}

export function decodeText(dataCoding, buf) {
  switch (dataCoding & 0x0F) {
    case 0x00: return gsm7Decode(buf);
    case 0x01: return [...buf].map((b) => (b < 0x80 ? String.fromCharCode(b) : '\uFFFD')).join('');
    case 0x03: return buf.toString('latin1');
    case 0x08: return ucs2Decode(buf);
    default: return null; // binary
  }
}

// ---------------------------------------------------------------- UDH

// Parses a UDH (including its length octet).  Returns {length, ies:[{iei,
// data}], concat:{iei, ref, total, seq}|null} or null when malformed.
export function parseUdh(buf) {
  if (buf.length < 1) return null;
  const udhl = buf[0];
  if (udhl + 1 > buf.length) return null;
  const ies = [];
  let concat = null;
  for (let i = 1; i < udhl + 1;) {
    if (i + 2 > udhl + 1) return null;
    const iei = buf[i]; const len = buf[i + 1];
    if (i + 2 + len > udhl + 1) return null;
    const data = buf.subarray(i + 2, i + 2 + len);
    ies.push({ iei, data });
    if (iei === 0x00 && len === 3) concat = { iei, ref: data[0], total: data[1], seq: data[2] };
    if (iei === 0x08 && len === 4) concat = { iei, ref: data.readUInt16BE(0), total: data[2], seq: data[3] };
    i += 2 + len;
  }
  return { length: udhl + 1, ies, concat };
}

export function concatUdh(ref, total, seq) {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xFF, total, seq]);
}

// Splits `text` into pieces of at most `max` units, never inside an
// extension pair (GSM) or a surrogate pair (UCS-2).
export function splitText(text, encoding, max) {
  const parts = [];
  let cur = ''; let n = 0;
  for (const ch of text) {
    const w = encoding === 'gsm' ? (GSM_EXT_ENC.has(ch) ? 2 : 1) : ch.length;
    if (n + w > max) { parts.push(cur); cur = ''; n = 0; }
    cur += ch; n += w;
  }
  if (cur || parts.length === 0) parts.push(cur);
  return parts;
}

// ---------------------------------------------------------------- receipts

const MESSAGE_STATE = {
  ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8,
};

function smppDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

// The Appendix B receipt text.
export function receiptText({ id, stat = 'DELIVRD', err, submitDate = new Date(), doneDate = new Date(), text = '' }) {
  const dlvrd = stat === 'DELIVRD' ? '001' : '000';
  const e = err ?? (stat === 'DELIVRD' ? '000' : '001');
  return `id:${id} sub:001 dlvrd:${dlvrd} submit date:${smppDate(submitDate)} done date:${smppDate(doneDate)} stat:${stat} err:${e} text:${text}`;
}

// ---------------------------------------------------------------- raw decode

// The package decodes short_message (and message_payload) with its own
// charset tables as it parses a PDU.  For what pipit sends us (submit_sm,
// data_sm) we want the octets exactly as they came.  This replaces the
// decode step for those two commands only; encoding (used for the
// deliver_sm we send) is untouched.
const RAW = Symbol.for('pipit.smsc-peer.raw-decode');
function installRawDecode() {
  const rawCommands = new Set(['submit_sm', 'data_sm']);
  for (const cmd of rawCommands) {
    const p = smpp.commands[cmd]?.params?.short_message;
    if (p && !p.filter?.[RAW]) {
      const orig = p.filter;
      p.filter = { encode: orig.encode, decode: (v) => v, [RAW]: true };
    }
  }
  const mp = smpp.tlvs.message_payload;
  if (mp && !mp.filter?.[RAW]) {
    const orig = mp.filter;
    mp.filter = {
      encode: orig.encode,
      decode(v, skip) { return rawCommands.has(this.command) ? v : orig.decode.call(this, v, skip); },
      [RAW]: true,
    };
  }
}
installRawDecode();

// ---------------------------------------------------------------- the peer

const E = smpp.errors;
const BIND_MODES = { bind_transceiver: 'trx', bind_transmitter: 'tx', bind_receiver: 'rx' };

function describeState(peer) {
  return `binds=${peer.binds.length} (ok ${peer.binds.filter((b) => b.ok).length}), ` +
    `submits=${peer.submits.length}, messages=${peer.messages.length}, throttled=${peer.throttled.length}, ` +
    `enquire_links=${peer.enquireLinks}, deliver_sm_resps=${peer.deliverResps.length}, errors=${peer.errors.length}` +
    (peer.messages.length ? `; last messages: ${JSON.stringify(peer.messages.slice(-3).map((m) => m.text))}` : '');
}

export class SmscPeer extends EventEmitter {
  // opts: systemId, password (required); host (127.0.0.1); port (0: free);
  // messageIdPrefix (''); autoReceipt (see the setter).
  static async start(opts) {
    const peer = new SmscPeer(opts);
    await peer.#listen(opts.port ?? 0);
    return peer;
  }

  constructor({ systemId, password, host = '127.0.0.1', messageIdPrefix = '', autoReceipt = null, name = 'smsc' }) {
    super();
    this.setMaxListeners(0);
    this.name = name;
    this.systemId = systemId;
    this.password = password;
    this.host = host;
    this.port = 0;
    this.messageIdPrefix = messageIdPrefix;
    this.autoReceipt = autoReceipt;

    this.binds = [];        // {time, mode, systemId, password, systemType, interfaceVersion, ok, status}
    this.submits = [];      // accepted submit_sm (see #onSubmit)
    this.messages = [];     // whole messages: single submits and reassembled parts
    this.throttled = [];    // submit_sm answered ESME_RTHROTTLED (same shape as submits, no messageId)
    this.rejected = [];     // submit_sm answered with another error (rejectNext; .status)
    this.held = [];         // submit_sm not answered yet (holdSubmits)
    this.deliverResps = []; // {time, kind, sequence, status, messageId, request}
    this.enquireLinks = 0;
    this.unbinds = 0;
    this.errors = [];       // session errors
    this.sessions = new Set();

    this.throttleRemaining = 0;
    this.rejectQueue = [];  // command_status for the next submits (rejectNext)
    this.holdSubmits = false;
    this.idQueue = [];      // message ids for the next accepted submits (answerNextWith)
    this.queries = [];      // query_sm received: {time, messageId, sourceAddr, state}
    this.messageStates = new Map(); // message id -> stat ('DELIVRD', ...) query_sm answers
    this.refuseBinds = false; // true (ESME_RBINDFAIL) or a command_status: refuse every bind
    this.#idCounter = Math.floor(Math.random() * 0xFFFF) * 0x10000;
    this.#pendingParts = new Map();
    this.#moRef = Math.floor(Math.random() * 256);
  }

  #server;
  #idCounter;
  #pendingParts;
  #moRef;

  #changed(event, value) {
    this.emit(event, value);
    this.emit('change', event, value);
  }

  async #listen(port) {
    this.#server = smpp.createServer((session) => this.#onSession(session));
    await new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.port = this.#server.address().port;
    this.address = `${this.host}:${this.port}`;
  }

  // ------------------------------------------------------------ sessions

  #onSession(session) {
    session.peerState = { bound: false, mode: null, pending: new Map() };
    this.sessions.add(session);
    session.on('error', (e) => {
      this.errors.push(e);
      this.#changed('session_error', e);
    });
    session.on('close', () => {
      this.sessions.delete(session);
      const wasBound = session.peerState.bound;
      session.peerState.bound = false;
      for (const { reject } of session.peerState.pending.values()) reject(new Error('SMPP connection closed before deliver_sm_resp'));
      session.peerState.pending.clear();
      // Held submits on a closed connection can no longer be answered.
      this.held = this.held.filter((h) => h.session !== session);
      this.#changed('close', { wasBound });
    });
    session.on('pdu', (pdu) => {
      try {
        this.#onPdu(session, pdu);
      } catch (e) {
        this.errors.push(e);
        this.#changed('session_error', e);
      }
    });
  }

  #onPdu(session, pdu) {
    const st = session.peerState;
    if (pdu.command in BIND_MODES) return this.#onBind(session, pdu);
    if (pdu.command === 'enquire_link') {
      session.send(pdu.response());
      this.enquireLinks++;
      this.#changed('enquire_link', this.enquireLinks);
      return;
    }
    if (pdu.command === 'unbind') {
      session.send(pdu.response(), () => session.close());
      st.bound = false;
      this.unbinds++;
      this.#changed('unbind', this.unbinds);
      return;
    }
    if (pdu.isResponse()) {
      const waiter = st.pending.get(pdu.sequence_number);
      if (pdu.command === 'deliver_sm_resp' || pdu.command === 'generic_nack') {
        const req = waiter?.request;
        const rec = {
          time: Date.now(), kind: req?.kind ?? 'unknown', sequence: pdu.sequence_number,
          status: pdu.command_status, command: pdu.command, request: req,
        };
        this.deliverResps.push(rec);
        if (waiter) { st.pending.delete(pdu.sequence_number); waiter.resolve(rec); }
        this.#changed('deliver_sm_resp', rec);
      }
      return;
    }
    if (pdu.command === 'unknown') {
      session.send(pdu.response()); // generic_nack ESME_RINVCMDID
      return;
    }
    if (!st.bound) {
      session.send(pdu.response({ command_status: E.ESME_RINVBNDSTS }));
      return;
    }
    if (pdu.command === 'submit_sm') return this.#onSubmit(session, pdu);
    if (pdu.command === 'query_sm') return this.#onQuery(session, pdu);
    // Anything else we do not implement.
    session.send(pdu.response({ command_status: E.ESME_RINVCMDID }));
  }

  #onBind(session, pdu) {
    const rec = {
      time: Date.now(), mode: BIND_MODES[pdu.command], systemId: pdu.system_id, password: pdu.password,
      systemType: pdu.system_type, interfaceVersion: pdu.interface_version, ok: false, status: 0,
    };
    if (session.peerState.bound) rec.status = E.ESME_RALYBND;
    else if (this.refuseBinds) rec.status = this.refuseBinds === true ? E.ESME_RBINDFAIL : this.refuseBinds;
    else if (pdu.system_id !== this.systemId) rec.status = E.ESME_RBINDFAIL;
    else if (pdu.password !== this.password) rec.status = E.ESME_RINVPASWD;
    rec.ok = rec.status === 0;
    this.binds.push(rec);
    if (rec.ok) {
      session.peerState.bound = true;
      session.peerState.mode = rec.mode;
      session.send(pdu.response({ system_id: this.name.slice(0, 15) }));
    } else {
      session.send(pdu.response({ command_status: rec.status }));
    }
    this.#changed('bind', rec);
  }

  #newMessageId() {
    if (this.idQueue.length) return this.idQueue.shift();
    this.#idCounter++;
    return `${this.messageIdPrefix}${this.#idCounter.toString(16).padStart(10, '0')}`;
  }

  #onSubmit(session, pdu) {
    const rec = this.#decodeSubmit(pdu);
    rec.session = session;
    if (this.throttleRemaining > 0) {
      this.throttleRemaining--;
      this.throttled.push(rec);
      session.send(pdu.response({ command_status: E.ESME_RTHROTTLED }));
      this.#changed('throttled', rec);
      return;
    }
    if (this.rejectQueue.length) {
      rec.status = this.rejectQueue.shift();
      this.rejected.push(rec);
      session.send(pdu.response({ command_status: rec.status }));
      this.#changed('rejected', rec);
      return;
    }
    const answer = () => {
      rec.messageId = this.#newMessageId();
      rec.answeredAt = Date.now();
      this.submits.push(rec);
      session.send(pdu.response({ message_id: rec.messageId }), () => {
        // Written: a receipt sent from here on follows the submit_sm_resp.
        this.#changed('submit', rec);
        this.#addPart(rec);
        this.#maybeAutoReceipt(rec);
      });
    };
    if (this.holdSubmits) {
      this.held.push({ rec, answer, session });
      this.#changed('held', rec);
      return;
    }
    answer();
  }

  // Answers every held submit_sm (ESME_ROK) and stops holding.
  releaseHeld() {
    this.holdSubmits = false;
    const held = this.held;
    this.held = [];
    for (const h of held) h.answer();
    return held.length;
  }

  // The next accepted submit_sm are answered with these message ids, in
  // order (the same id twice: an SMSC that reuses its ids).
  answerNextWith(...ids) {
    this.idQueue.push(...ids);
  }

  // The next n submit_sm are answered ESME_RTHROTTLED.
  throttleNext(n) {
    this.throttleRemaining = n;
  }

  // The next n submit_sm (after any throttled ones) are answered with
  // `status` (default ESME_RSUBMITFAIL).
  rejectNext(n, status = E.ESME_RSUBMITFAIL) {
    for (let i = 0; i < n; i++) this.rejectQueue.push(status);
  }

  #decodeSubmit(pdu) {
    const tlvs = {};
    for (const k of Object.keys(pdu)) {
      if (k in smpp.tlvs || /^\d+$/.test(k)) tlvs[k] = pdu[k];
    }
    let octets = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
    let viaPayload = false;
    if (octets.length === 0 && Buffer.isBuffer(pdu.message_payload)) {
      octets = pdu.message_payload;
      viaPayload = true;
    }
    const esmClass = pdu.esm_class ?? 0;
    let udh = null; let payload = octets; let concat = null; let udhError = false;
    if (esmClass & 0x40) {
      const parsed = parseUdh(octets);
      if (parsed) {
        udh = parsed;
        payload = octets.subarray(parsed.length);
        concat = parsed.concat;
      } else {
        udhError = true;
      }
    }
    if (!concat && pdu.sar_msg_ref_num !== undefined && pdu.sar_total_segments !== undefined) {
      concat = { iei: 'sar', ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum };
    }
    const dataCoding = pdu.data_coding ?? 0;
    return {
      time: Date.now(),
      sequence: pdu.sequence_number,
      serviceType: pdu.service_type,
      sourceAddr: pdu.source_addr, sourceTon: pdu.source_addr_ton, sourceNpi: pdu.source_addr_npi,
      destAddr: pdu.destination_addr, destTon: pdu.dest_addr_ton, destNpi: pdu.dest_addr_npi,
      esmClass, protocolId: pdu.protocol_id, priorityFlag: pdu.priority_flag,
      registeredDelivery: pdu.registered_delivery ?? 0, dataCoding,
      validityPeriod: pdu.validity_period, scheduleDeliveryTime: pdu.schedule_delivery_time,
      octets, viaPayload, udh, udhError, payload, concat,
      text: decodeText(dataCoding, payload),
      tlvs,
    };
  }

  #addPart(rec) {
    if (!rec.concat || rec.concat.total <= 1) {
      this.#completeMessage([rec]);
      return;
    }
    const c = rec.concat;
    const key = `${rec.sourceAddr}|${rec.destAddr}|${c.iei}|${c.ref}|${c.total}`;
    let group = this.#pendingParts.get(key);
    if (!group) {
      group = new Map();
      this.#pendingParts.set(key, group);
    }
    if (group.has(c.seq)) {
      rec.duplicatePart = true; // a resend of a part we already have
      return;
    }
    group.set(c.seq, rec);
    let complete = true;
    for (let i = 1; i <= c.total; i++) if (!group.has(i)) complete = false;
    if (complete) {
      this.#pendingParts.delete(key);
      this.#completeMessage([...group.keys()].sort((a, b) => a - b).map((k) => group.get(k)));
    }
  }

  #completeMessage(parts) {
    const first = parts[0];
    const payload = Buffer.concat(parts.map((p) => p.payload));
    const msg = {
      time: Date.now(),
      parts,
      messageIds: parts.map((p) => p.messageId),
      sourceAddr: first.sourceAddr, sourceTon: first.sourceTon,
      destAddr: first.destAddr, destTon: first.destTon,
      dataCoding: first.dataCoding,
      // Decoded from the concatenated payloads, so that a pair split across
      // parts (a bug in itself; see partsDecodeCleanly) still joins.
      text: decodeText(first.dataCoding, payload),
      // Every part decodes on its own to text without U+FFFD or a lone surrogate.
      partsDecodeCleanly: parts.every((p) => p.text !== null && !/[\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(p.text)),
    };
    this.messages.push(msg);
    this.#changed('message', msg);
  }

  // ------------------------------------------------------------ deliver_sm

  // A bound session that can take deliver_sm (trx or rx), newest first.
  #receiverSession() {
    let found = null;
    for (const s of this.sessions) {
      if (s.peerState.bound && (s.peerState.mode === 'trx' || s.peerState.mode === 'rx')) found = s;
    }
    return found;
  }

  async #deliver(fields, kind, { timeoutMs = 10_000 } = {}) {
    const session = this.#receiverSession() ?? (await this.waitFor(() => this.#receiverSession(),
      { timeoutMs, what: 'a bound receiver/transceiver session to send deliver_sm on' }));
    const pdu = new smpp.PDU('deliver_sm', fields);
    const request = { kind, fields };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        session.peerState.pending.delete(pdu.sequence_number);
        reject(new Error(`no deliver_sm_resp within ${timeoutMs} ms for a ${kind} deliver_sm (${describeState(this)})`));
      }, timeoutMs);
      const done = (f) => (v) => { clearTimeout(timer); f(v); };
      if (!session.send(pdu)) {
        clearTimeout(timer);
        reject(new Error('SMPP connection not writable'));
        return;
      }
      // send() assigned the sequence number synchronously.
      session.peerState.pending.set(pdu.sequence_number, { resolve: done(resolve), reject: done(reject), request });
    });
  }

  // Answers query_sm: the state set in messageStates for an id it gave
  // (ENROUTE when none is set), ESME_RQUERYFAIL for an id it never gave.
  #onQuery(session, pdu) {
    const known = this.submits.some((sm) => sm.messageId === pdu.message_id);
    const stat = this.messageStates.get(pdu.message_id) ?? 'ENROUTE';
    const rec = { time: Date.now(), messageId: pdu.message_id, sourceAddr: pdu.source_addr, state: known ? stat : null };
    this.queries.push(rec);
    if (!known) session.send(pdu.response({ command_status: E.ESME_RQUERYFAIL }));
    else session.send(pdu.response({ message_id: pdu.message_id, final_date: '', message_state: MESSAGE_STATE[stat], error_code: 0 }));
    this.#changed('query', rec);
  }

  // Sends enquire_link on the session deliver_sm go to and resolves when it
  // is answered.  Pipit reads a connection in order, so every deliver_sm
  // sent before it has reached pipit's on_deliver by then.
  async ping({ timeoutMs = 10_000 } = {}) {
    const session = this.#receiverSession();
    if (!session) throw new Error(`${this.name}: no bound session to ping`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no enquire_link_resp within ${timeoutMs} ms`)), timeoutMs);
      session.enquire_link({}, (resp) => { clearTimeout(timer); resolve(resp); });
    });
  }

  // Sends a delivery receipt for one accepted submit.  `target` is a submit
  // record or a message id.  opts: stat ('DELIVRD'), err, tlvs (true: add
  // receipted_message_id and message_state), inText (true: the id in the
  // text), text (the receipt's text: field; default the first 20 characters
  // of the submit's text, ASCII only).  Resolves to the deliver_sm_resp record.
  async sendReceipt(target, { stat = 'DELIVRD', err, tlvs = true, inText = true, text, timeoutMs } = {}) {
    const submit = typeof target === 'string' ? this.submits.find((s) => s.messageId === target) : target;
    const id = typeof target === 'string' ? target : target.messageId;
    const snippet = text ?? (submit?.text ?? '').replace(/[^\x20-\x7E]/g, '.').slice(0, 20);
    const body = receiptText({
      id: inText ? id : '', stat, err, submitDate: new Date(submit?.time ?? Date.now()), text: snippet,
    });
    const fields = {
      service_type: '',
      // A receipt comes from the handset's address to the original sender.
      source_addr_ton: submit?.destTon ?? 1, source_addr_npi: 1, source_addr: submit?.destAddr ?? '',
      dest_addr_ton: submit?.sourceTon ?? 1, dest_addr_npi: 1, destination_addr: submit?.sourceAddr ?? '',
      esm_class: 0x04,
      data_coding: 0,
      short_message: gsm7Encode(body.replace(/[^\x20-\x7E]/g, '.')),
    };
    if (tlvs) {
      fields.receipted_message_id = id;
      fields.message_state = MESSAGE_STATE[stat] ?? MESSAGE_STATE.UNKNOWN;
    }
    return this.#deliver(fields, 'receipt', { timeoutMs });
  }

  // Receipts for every part of a message (in part order), one after another.
  async sendReceipts(message, opts = {}) {
    const out = [];
    for (const part of message.parts) out.push(await this.sendReceipt(part, opts));
    return out;
  }

  // Receipts sent by themselves after each accepted submit.  null: none;
  // otherwise {stat, err, delayMs, match(submit) (default: all), retries
  // (resends of a receipt answered with an error; default 0), retryDelayMs}.
  set autoReceipt(v) { this._autoReceipt = v; }
  get autoReceipt() { return this._autoReceipt; }

  #maybeAutoReceipt(rec) {
    const a = this._autoReceipt;
    if (!a || (a.match && !a.match(rec))) return;
    let left = a.retries ?? 0;
    const fire = () => this.sendReceipt(rec, { stat: a.stat ?? 'DELIVRD', err: a.err }).then((resp) => {
      if (resp.status !== 0 && left-- > 0) setTimeout(fire, a.retryDelayMs ?? 1000).unref();
    }, (e) => {
      this.errors.push(e);
      this.#changed('session_error', e);
    });
    if (a.delayMs) setTimeout(fire, a.delayMs).unref(); else fire();
  }

  // Sends a mobile-originated message.  opts: from, to (E.164; sent as
  // digits with TON 1 / NPI 1 unless plusInAddr), text, encoding ('auto':
  // GSM-7 when the text fits the alphabet, else UCS-2; 'gsm'; 'ucs2'),
  // parts (split into UDH parts of at most this many units; default: only
  // when longer than 160 septets / 70 units, then 153 / 67), order ('forward'
  // or 'reverse': the order the parts go out), ref (the 8-bit reference).
  // Resolves to the deliver_sm_resp records, in sending order.
  // Options: `sar` sends the concatenation in sar_* TLVs instead of a UDH;
  // `parts` (1-based numbers) sends only those parts of a long message;
  // `packed` sends GSM-7 text with its septets packed (gsm7Pack), after a
  // UDH with the fill bits that align them.
  async injectMo({ from, to, text, encoding = 'auto', partSize, order = 'forward', ref, plusInAddr = false, sar = false, parts, packed = false, timeoutMs } = {}) {
    const enc = encoding === 'auto' ? (isGsm7(text) ? 'gsm' : 'ucs2') : encoding;
    const single = enc === 'gsm' ? 160 : 70;
    const per = enc === 'gsm' ? 153 : 67;
    const units = enc === 'gsm' ? gsm7Length(text) : text.length;
    const pieces = partSize ? splitText(text, enc, partSize) : (units <= single ? [text] : splitText(text, enc, per));
    const addr = (n) => (plusInAddr ? n : n.replace(/^\+/, ''));
    const base = {
      service_type: '',
      source_addr_ton: plusInAddr ? 0 : 1, source_addr_npi: 1, source_addr: addr(from),
      dest_addr_ton: plusInAddr ? 0 : 1, dest_addr_npi: 1, destination_addr: addr(to),
      data_coding: enc === 'gsm' ? 0 : 8,
    };
    const encode = (s, fill = 0) => (enc !== 'gsm' ? ucs2Encode(s)
      : packed ? gsm7Pack([...gsm7Encode(s)], fill) : gsm7Encode(s));
    if (pieces.length === 1) {
      return [await this.#deliver({ ...base, esm_class: 0, short_message: encode(text) }, 'mo', { timeoutMs })];
    }
    const r = ref ?? (this.#moRef = (this.#moRef + 1) & 0xFF);
    let pdus = pieces.map((p, i) => (sar
      ? { ...base, esm_class: 0, short_message: encode(p),
        sar_msg_ref_num: r, sar_total_segments: pieces.length, sar_segment_seqnum: i + 1 }
      : { ...base, esm_class: 0x40,
        short_message: Buffer.concat([concatUdh(r, pieces.length, i + 1), encode(p, gsm7FillBits(6))]) }));
    if (parts) pdus = pdus.filter((_, i) => parts.includes(i + 1));
    if (order === 'reverse') pdus = pdus.reverse();
    const out = [];
    for (const f of pdus) out.push(await this.#deliver(f, 'mo', { timeoutMs }));
    return out;
  }

  // ------------------------------------------------------------ waiting

  // Resolves to cond()'s first truthy value, checked now and after every
  // event; rejects after timeoutMs.
  waitFor(cond, { timeoutMs = 10_000, what = 'condition' } = {}) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let v;
        try { v = cond(); } catch (e) { cleanup(); reject(e); return; }
        if (v) { cleanup(); resolve(v); }
      };
      const cleanup = () => { clearTimeout(timer); this.off('change', check); };
      timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what} (${describeState(this)})`));
      }, timeoutMs);
      this.on('change', check);
      check();
    });
  }

  // A successful bind; `count` counts successful binds since start.
  waitForBind({ count = 1, timeoutMs = 15_000 } = {}) {
    return this.waitFor(() => {
      const ok = this.binds.filter((b) => b.ok);
      return ok.length >= count ? ok[count - 1] : null;
    }, { timeoutMs, what: `${count} successful bind(s)` });
  }

  // n accepted submits in all; resolves to the submits array.
  waitForSubmits(n, { timeoutMs = 10_000 } = {}) {
    return this.waitFor(() => (this.submits.length >= n ? this.submits : null),
      { timeoutMs, what: `${n} submit_sm` });
  }

  // A whole message whose text equals `textOrPred` (or for which the
  // predicate holds).
  waitForMessage(textOrPred, { timeoutMs = 10_000 } = {}) {
    const pred = typeof textOrPred === 'function' ? textOrPred : (m) => m.text === textOrPred;
    const what = typeof textOrPred === 'function' ? 'a message matching a predicate' : `a message with text ${JSON.stringify(textOrPred).slice(0, 80)}`;
    return this.waitFor(() => this.messages.find(pred), { timeoutMs, what });
  }

  waitForThrottled(n, { timeoutMs = 10_000 } = {}) {
    return this.waitFor(() => (this.throttled.length >= n ? this.throttled : null),
      { timeoutMs, what: `${n} throttled submit_sm` });
  }

  waitForHeld(pred = () => true, { timeoutMs = 10_000 } = {}) {
    return this.waitFor(() => this.held.find((h) => pred(h.rec))?.rec, { timeoutMs, what: 'a held submit_sm' });
  }

  waitForEnquireLinks(n = 1, { timeoutMs = 10_000 } = {}) {
    return this.waitFor(() => this.enquireLinks >= n, { timeoutMs, what: `${n} enquire_link` });
  }

  waitForDeliverResp(pred = () => true, { timeoutMs = 10_000 } = {}) {
    return this.waitFor(() => this.deliverResps.find(pred), { timeoutMs, what: 'a deliver_sm_resp' });
  }

  // ------------------------------------------------------------ teardown

  // Closes every connection (the ESME sees the link drop).
  dropConnections() {
    for (const s of this.sessions) s.destroy();
  }

  async stop() {
    this._autoReceipt = null;
    await new Promise((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.sessions) s.destroy();
    });
  }
}

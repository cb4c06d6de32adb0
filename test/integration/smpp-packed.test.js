// Packed GSM-7 per carrier (`carrier add --gsm7 packed`) against the npm
// `smpp` package as the SMSC.  The peer records the raw short_message
// octets; this file unpacks them itself (unpackSeptets below, written from
// 3GPP TS 23.038 6.1.2.1.1 and 23.040 9.2.3.24, not from Pipit's code) and
// checks the exact text, the octet counts and the fill bit after a UDH.
// Inbound: an MO the peer packs arrives with the right text.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, waitForInbound } from './harness.js';
import { SmscPeer, gsm7Decode, gsm7Encode, gsm7Length } from './smsc-peer.js';

const SYSTEM_ID = 'pipit-pk';
const PASSWORD = 'pw-pk';
const MO_FROM = '+15557654322';

const digits = (a) => String(a ?? '').replace(/^\+/, '');

// Septet i of `buf` sits at bits fill + 7i .. fill + 7i + 6, least
// significant bit first.  `count` septets, or every whole one.
function unpackSeptets(buf, fill, count) {
  const n = count ?? Math.floor((buf.length * 8 - fill) / 7);
  const out = [];
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < 7; k++) {
      const bit = fill + 7 * i + k;
      if (buf[bit >> 3] & (1 << (bit & 7))) v |= 1 << k;
    }
    out.push(v);
  }
  return Buffer.from(out);
}

describe('packed GSM-7 carrier', () => {
  const ctx = useServer();
  let peer; let acct; let client; let n = 0;

  // A destination number of its own per message, so that its submits are
  // told apart at the peer (which cannot decode packed text by itself).
  const nextTo = () => `+1555${String(Date.now() % 1_000_000).padStart(6, '0')}${n++ % 10}`;

  async function submitsTo(to, count) {
    return peer.waitFor(() => {
      const got = peer.submits.filter((s) => digits(s.destAddr) === digits(to));
      return got.length >= count ? got : null;
    }, { what: `${count} submit_sm to ${to}` });
  }

  const inbound = (body) => waitForInbound(client, acct.from, body);

  before(async () => {
    peer = await SmscPeer.start({ systemId: SYSTEM_ID, password: PASSWORD, name: 'carrier-packed' });
    await ctx.server.addCarrier('packed', peer, { prefixes: ['+1555'], args: ['--gsm7', 'packed'] });
    await ctx.server.addCarrier('packed-pl', peer, { prefixes: ['+1888'], args: ['--gsm7', 'packed', '--payload', 'on'] });
    acct = await ctx.server.createAccount('Packed GSM-7');
    client = ctx.server.client(acct.sid, acct.auth_token);
    await peer.waitForBind({ count: 2, timeoutMs: 15_000 });
  }, { timeout: 60_000 });

  after(async () => { await peer?.stop(); });

  it('carrier list shows gsm7=packed', async () => {
    const out = await ctx.server.admin('carrier', 'list');
    const line = out.split('\n').find((l) => l.startsWith('packed\t'));
    assert.match(line, /\tgsm7=packed(\t|$)/);
    assert.ok(!out.includes(PASSWORD), 'no password in carrier list');
  });

  it('a short message goes as packed septets, data_coding 0, sm_length the packed count', { timeout: 30_000 }, async () => {
    const body = 'Packed @£$ {€} ÄÖÑÜ§¿äöñüà é and ø, 0123456789!';
    const septets = gsm7Length(body);
    const to = nextTo();
    await client.messages.create({ to, from: acct.from, body });
    const [p] = await submitsTo(to, 1);
    assert.equal(p.dataCoding, 0);
    assert.equal(p.esmClass & 0x40, 0, 'no UDH');
    assert.equal(p.octets.length, Math.ceil((7 * septets) / 8), `${septets} septets packed`);
    const sep = unpackSeptets(p.octets, 0, septets);
    assert.deepEqual(sep, gsm7Encode(body));
    assert.equal(gsm7Decode(sep), body);
  });

  it('7 septets fill 7 octets and the 7 spare bits hold a CR', { timeout: 30_000 }, async () => {
    const body = 'Pipit!!';
    const to = nextTo();
    await client.messages.create({ to, from: acct.from, body });
    const [p] = await submitsTo(to, 1);
    assert.equal(p.octets.length, 7);
    assert.equal(gsm7Decode(unpackSeptets(p.octets, 0, 7)), body);
    assert.equal(p.octets[6] >> 1, 0x0D, 'CR padding (23.038 6.1.2.3.1)');
  });

  it('a 2-part message: UDH, one fill bit, 153 septets in 134 octets (140 in all)', { timeout: 30_000 }, async () => {
    const body = `${'Long packed text, part one and more. '.repeat(5)}€ and [two] ${Date.now()}`;
    const septets = gsm7Length(body);
    assert.ok(septets > 160 && septets <= 306, `${septets} septets: two parts`);
    const to = nextTo();
    const m = await client.messages.create({ to, from: acct.from, body });
    assert.equal(m.numSegments, '2');
    const parts = (await submitsTo(to, 2)).slice().sort((a, b) => a.concat.seq - b.concat.seq);
    let text = '';
    const refs = new Set();
    parts.forEach((p, i) => {
      assert.equal(p.dataCoding, 0);
      assert.equal(p.esmClass & 0x40, 0x40, 'UDHI');
      assert.deepEqual([...p.octets.subarray(0, 3)], [0x05, 0x00, 0x03], 'a 6-octet concatenation UDH');
      assert.equal(p.concat.total, 2);
      assert.equal(p.concat.seq, i + 1);
      refs.add(p.concat.ref);
      const ud = p.octets.subarray(6);
      assert.equal(ud[0] & 1, 0, 'the fill bit after the UDH is 0');
      const sep = unpackSeptets(ud, 1);
      // A CR in the 7 spare bits of the last octet would be padding.
      const exact = 1 + 7 * sep.length === 8 * ud.length && sep.at(-1) === 0x0D ? sep.subarray(0, -1) : sep;
      text += gsm7Decode(exact);
      if (i === 0) {
        assert.equal(exact.length, 153, 'first part: 153 septets');
        assert.equal(ud.length, 134, '153 septets + 1 fill bit = 134 octets');
        assert.equal(p.octets.length, 140);
      }
    });
    assert.equal(refs.size, 1);
    assert.equal(text, body);
  });

  it('message_payload on a packed carrier carries the whole text packed', { timeout: 30_000 }, async () => {
    const body = `payload packed ${'x'.repeat(200)} {end} ${Date.now()}`;
    const septets = gsm7Length(body);
    const to = `+1888${String(Date.now() % 10_000_000).padStart(7, '0')}`;
    await client.messages.create({ to, from: acct.from, body });
    const [p] = await submitsTo(to, 1);
    assert.equal(p.viaPayload, true);
    assert.equal(p.dataCoding, 0);
    assert.equal(p.octets.length, Math.ceil((7 * septets) / 8));
    assert.equal(gsm7Decode(unpackSeptets(p.octets, 0, septets)), body);
  });

  it('UCS-2 text is not packed', { timeout: 30_000 }, async () => {
    const body = 'Ответ 😀 ok';
    const to = nextTo();
    await client.messages.create({ to, from: acct.from, body });
    const [p] = await submitsTo(to, 1);
    assert.equal(p.dataCoding, 8);
    assert.equal(p.text, body);
  });

  it('a packed MO arrives with the right text', { timeout: 30_000 }, async () => {
    const text = `packed MO @£ {€} ${Date.now()}`;
    const resps = await peer.injectMo({ from: MO_FROM, to: acct.from, text, packed: true });
    assert.deepEqual(resps.map((r) => r.status), [0]);
    const [m] = await inbound(text);
    assert.equal(m.direction, 'inbound');
    assert.equal(m.from, MO_FROM);
  });

  it('a packed 2-part MO (UDH + fill bit) is joined with the right text', { timeout: 30_000 }, async () => {
    const text = `packed long MO ${Date.now()} ${'z'.repeat(170)} [end]`;
    const resps = await peer.injectMo({ from: MO_FROM, to: acct.from, text, packed: true, order: 'reverse' });
    assert.deepEqual(resps.map((r) => r.status), [0, 0]);
    const hits = await inbound(text);
    assert.equal(hits.length, 1);
    assert.equal(hits[0].numSegments, '2');
  });
});

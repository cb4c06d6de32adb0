// Self-check of the test SMSC (smsc-peer.js) against the npm `smpp`
// package's own client, without pipit: so that a failure in smpp.test.js
// points at the server, not at the peer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import smpp from 'smpp';
import {
  SmscPeer, gsm7Encode, gsm7Decode, ucs2Encode, concatUdh, receiptText, GSM_EXTENSION_CHARS, splitText,
} from './smsc-peer.js';

function connect(peer) {
  return new Promise((resolve, reject) => {
    const s = smpp.connect({ host: '127.0.0.1', port: peer.port }, () => resolve(s));
    s.on('error', reject);
  });
}

function call(session, command, fields = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${command}_resp within 5 s`)), 5000);
    session[command](fields, (pdu) => { clearTimeout(timer); resolve(pdu); });
  });
}

// Collects deliver_sm on a client session and answers them ESME_ROK.
function collectDelivers(session) {
  const got = [];
  const ev = new EventEmitter();
  session.on('deliver_sm', (pdu) => {
    got.push(pdu);
    session.send(pdu.response());
    ev.emit('deliver');
  });
  return {
    got,
    wait(n) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${got.length}/${n} deliver_sm after 5 s`)), 5000);
        const check = () => { if (got.length >= n) { clearTimeout(timer); ev.off('deliver', check); resolve(got); } };
        ev.on('deliver', check);
        check();
      });
    },
  };
}
describe('smsc-peer (self-check, no pipit)', () => {
  let peer; let client;

  before(async () => {
    peer = await SmscPeer.start({ systemId: 'peertest', password: 'pw123' });
  });
  after(async () => {
    client?.destroy();
    await peer?.stop();
  });

  it('GSM table: our decoder agrees with the smpp package on the whole basic and extension tables', () => {
    const basic = Buffer.from([...Array(128).keys()].filter((b) => b !== 0x1B));
    assert.equal(gsm7Decode(basic), smpp.gsmCoder.decode(basic, 0));
    for (const ch of GSM_EXTENSION_CHARS) {
      const enc = gsm7Encode(ch);
      assert.equal(enc.length, 2, `${JSON.stringify(ch)} is an escape pair`);
      assert.equal(enc[0], 0x1B);
      assert.deepEqual([...smpp.gsmCoder.encode(ch, 0)], [...enc], `package encodes ${JSON.stringify(ch)} the same`);
      assert.equal(smpp.gsmCoder.decode(enc, 0), ch, `package decodes ${JSON.stringify(ch)} the same`);
      assert.equal(gsm7Decode(enc), ch);
    }
    assert.equal(gsm7Decode(Buffer.from([0x41, 0x80, 0x1B])), 'A\uFFFD\uFFFD', 'bad octet and dangling escape are visible');
    assert.deepEqual(splitText('a'.repeat(152) + '€b', 'gsm', 153), ['a'.repeat(152), '€b']);
    assert.deepEqual(splitText('x'.repeat(66) + '😀', 'ucs2', 67), ['x'.repeat(66), '😀']);
  });

  it('refuses a wrong system_id (RBINDFAIL) and password (RINVPASWD); accepts the right ones', async () => {
    client = await connect(peer);
    let r = await call(client, 'bind_transceiver', { system_id: 'nobody', password: 'pw123' });
    assert.equal(r.command_status, smpp.ESME_RBINDFAIL);
    r = await call(client, 'bind_transceiver', { system_id: 'peertest', password: 'nope' });
    assert.equal(r.command_status, smpp.ESME_RINVPASWD);
    peer.refuseBinds = true;
    r = await call(client, 'bind_transceiver', { system_id: 'peertest', password: 'pw123' });
    assert.equal(r.command_status, smpp.ESME_RBINDFAIL, 'refuseBinds');
    peer.refuseBinds = false;
    r = await call(client, 'bind_transceiver', { system_id: 'peertest', password: 'pw123', system_type: 'T' });
    assert.equal(r.command_status, 0);
    const b = await peer.waitForBind();
    assert.equal(b.mode, 'trx');
    assert.equal(b.systemType, 'T');
    assert.equal(peer.binds.length, 4);
  });

  it('decodes GSM-7 with escapes and UCS-2 with surrogates exactly', async () => {
    const gsm = `Hi @£$ ${GSM_EXTENSION_CHARS} ÄÖ`;
    let r = await call(client, 'submit_sm', { destination_addr: '15551234567', data_coding: 0, short_message: gsm7Encode(gsm) });
    assert.equal(r.command_status, 0);
    assert.ok(r.message_id);
    const m1 = await peer.waitForMessage(gsm);
    assert.equal(m1.messageIds[0], r.message_id);
    const uni = 'Привет 😀 ✓ 中文';
    r = await call(client, 'submit_sm', { destination_addr: '15551234567', data_coding: 8, short_message: ucs2Encode(uni) });
    assert.equal(r.command_status, 0);
    const m2 = await peer.waitForMessage(uni);
    assert.equal(m2.dataCoding, 8);
    assert.ok(m2.partsDecodeCleanly);
  });

  it('reassembles UDH parts (any order) and flags a split escape', async () => {
    const parts = ['first part, ', 'second part, ', 'third'];
    for (const i of [2, 0, 1]) {
      const r = await call(client, 'submit_sm', {
        destination_addr: '15551234567', esm_class: 0x40, data_coding: 0,
        short_message: Buffer.concat([concatUdh(7, 3, i + 1), gsm7Encode(parts[i])]),
      });
      assert.equal(r.command_status, 0);
    }
    const m = await peer.waitForMessage(parts.join(''));
    assert.equal(m.parts.length, 3);
    assert.deepEqual(m.parts.map((p) => p.concat.seq), [1, 2, 3]);
    assert.ok(m.partsDecodeCleanly);

    const euro = gsm7Encode('ab€');
    for (const [i, chunk] of [[1, euro.subarray(0, 3)], [2, euro.subarray(3)]]) {
      await call(client, 'submit_sm', {
        destination_addr: '15551234567', esm_class: 0x40, data_coding: 0,
        short_message: Buffer.concat([concatUdh(8, 2, i), chunk]),
      });
    }
    const split = await peer.waitForMessage('ab€');
    assert.equal(split.partsDecodeCleanly, false, 'an escape pair split across parts is reported');
  });

  it('throttles the next N submits, holds and releases', async () => {
    peer.throttleNext(2);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call(client, 'submit_sm', { destination_addr: '1', data_coding: 0, short_message: gsm7Encode('t') })).command_status);
    }
    assert.deepEqual(statuses, [smpp.ESME_RTHROTTLED, smpp.ESME_RTHROTTLED, 0]);
    assert.equal(peer.throttled.length, 2);

    peer.rejectNext(1, smpp.ESME_RINVDSTADR);
    const rej = await call(client, 'submit_sm', { destination_addr: '1', data_coding: 0, short_message: gsm7Encode('no') });
    assert.equal(rej.command_status, smpp.ESME_RINVDSTADR);
    assert.equal(peer.rejected.at(-1).text, 'no');

    peer.holdSubmits = true;
    const pending = call(client, 'submit_sm', { destination_addr: '1', data_coding: 0, short_message: gsm7Encode('held') });
    await peer.waitForHeld((s) => s.text === 'held');
    assert.equal(peer.releaseHeld(), 1);
    assert.equal((await pending).command_status, 0);
  });

  it('sends receipts (TLVs + Appendix B text) and MO in UDH parts; counts enquire_link', async () => {
    const delivers = collectDelivers(client);
    const r = await call(client, 'submit_sm', { destination_addr: '15550001111', source_addr: '15000000001', data_coding: 0, short_message: gsm7Encode('rcpt me') });
    const msg = await peer.waitForMessage('rcpt me');
    const resp = await peer.sendReceipt(msg.parts[0], { stat: 'UNDELIV', err: '005' });
    assert.equal(resp.status, 0);
    const [d] = await delivers.wait(1);
    assert.equal(d.esm_class, 0x04);
    assert.equal(d.receipted_message_id, r.message_id);
    assert.equal(d.message_state, 5);
    assert.equal(d.source_addr, '15550001111');
    assert.match(d.short_message.message, new RegExp(`^id:${r.message_id} sub:001 dlvrd:000 submit date:\\d{10} done date:\\d{10} stat:UNDELIV err:005 text:rcpt me$`));

    const text = 'M'.repeat(150) + ' and € then more';
    const resps = await peer.injectMo({ from: '+15550001111', to: '+15000000001', text, order: 'reverse' });
    assert.equal(resps.length, 2);
    assert.ok(resps.every((x) => x.status === 0 && x.kind === 'mo'));
    const got = await delivers.wait(3);
    const mo = got.slice(1).map((p) => ({ seq: p.short_message.udh[0][4], text: p.short_message.message }));
    mo.sort((a, b) => a.seq - b.seq);
    assert.equal(mo.map((x) => x.text).join(''), text);
    assert.equal(got[1].source_addr, '15550001111');

    assert.equal(receiptText({ id: 'x', stat: 'DELIVRD', submitDate: new Date(0), doneDate: new Date(0) }),
      'id:x sub:001 dlvrd:001 submit date:7001010000 done date:7001010000 stat:DELIVRD err:000 text:');

    await call(client, 'enquire_link');
    await peer.waitForEnquireLinks(1);
  });
});

// SDES (RFC 4568) as offerer and answerer: which crypto line of an offer is
// taken, the answer it gets, the refusals, and keys kept or changed by a new
// offer in a running call.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answerOfferWithSdes } from '../../src/sdp/sdes-answer.ts';
import { readSdes } from '../../src/sdp/sdes-read.ts';
import { answerSdes, newSdesKey, offerWithSdes, type SdesKey } from '../../src/sdp/sdes.ts';
import { buildOffer } from '../../src/sdp/offer-answer.ts';
import { SrtpLink } from '../../src/runtime/srtp-socket.ts';
import { serializeRtp } from '../../src/media/rtp-packet.ts';

const KEY_A = Buffer.alloc(30, 0xa1);
const KEY_B = Buffer.alloc(30, 0xb2);
const inline = (b: Buffer) => `inline:${b.toString('base64')}`;

function offer(profile: string, cryptoLines: string[]): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.9',
    's=-',
    'c=IN IP4 127.0.0.9',
    't=0 0',
    `m=audio 40000 ${profile} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...cryptoLines,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const prefs = { codecs: ['PCMU'], telephoneEvent: 101, address: '127.0.0.2', port: 30000, sessionId: '1', sessionVersion: 1 };

describe('readSdes', () => {
  it('takes the first line we can honour, in the offerer order', () => {
    const r = readSdes(
      offer('RTP/SAVP', [
        `a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:${Buffer.alloc(46).toString('base64')}`,
        `a=crypto:2 AES_CM_128_HMAC_SHA1_80 ${inline(KEY_A)}|2^20|1:4`,
        `a=crypto:3 AES_CM_128_HMAC_SHA1_80 ${inline(KEY_A)} UNENCRYPTED_SRTP`,
        `a=crypto:4 AES_CM_128_HMAC_SHA1_32 ${inline(KEY_B)}|2^31 WSH=128`,
        `a=crypto:5 AES_CM_128_HMAC_SHA1_80 ${inline(KEY_A)}`,
      ]),
    );
    assert.ok(!('error' in r));
    // 1: a suite we do not speak; 2: an MKI; 3: a session parameter that changes the transform.
    assert.equal(r.crypto?.tag, 4);
    assert.equal(r.crypto?.key.suite, 'AES_CM_128_HMAC_SHA1_32');
    assert.deepEqual(Buffer.concat([r.crypto.key.key, r.crypto.key.salt]), KEY_B);
    assert.match(r.plain, /^m=audio 40000 RTP\/AVP 0 101$/m);
    assert.doesNotMatch(r.plain, /a=crypto/);
    assert.equal(r.profile, 'RTP/SAVP');
  });

  it('RTP/SAVP without a usable key is an error; RTP/AVP without one is plain', () => {
    assert.match((readSdes(offer('RTP/SAVP', [])) as { error: string }).error, /RTP\/SAVP without a crypto line/);
    assert.match((readSdes(offer('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=`])) as { error: string }).error, /RTP\/SAVP/);
    const plain = readSdes(offer('RTP/AVP', []));
    assert.ok(!('error' in plain) && plain.crypto === undefined);
  });
});

describe('answerOfferWithSdes', () => {
  it('answers an SRTP offer on its profile with our own key under the offer tag (RFC 4568 §7.1.2)', () => {
    for (const profile of ['RTP/SAVP', 'RTP/AVP']) {
      const r = answerOfferWithSdes(offer(profile, [`a=crypto:7 AES_CM_128_HMAC_SHA1_80 ${inline(KEY_A)}`]), prefs, { requireSrtp: false });
      assert.ok(!('error' in r) && r.srtp, profile);
      assert.match(r.sdp, new RegExp(`^m=audio 30000 ${profile.replace('/', '\\/')} 0 101$`, 'm'));
      const lines = r.sdp.split('\r\n').filter((l) => l.startsWith('a=crypto:'));
      assert.equal(lines.length, 1);
      assert.equal(lines[0], `a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.concat([r.srtp.ours.key, r.srtp.ours.salt]).toString('base64')}`);
      assert.ok(!r.srtp.ours.key.equals(KEY_A.subarray(0, 16)), 'a key of our own, not an echo');
      assert.deepEqual(r.srtp.theirs.key, KEY_A.subarray(0, 16));
      assert.equal(r.negotiated.codec, 'PCMU');
    }
  });

  it('a plain offer: plain answer, or refused when SRTP is required', () => {
    const r = answerOfferWithSdes(offer('RTP/AVP', []), prefs, { requireSrtp: false });
    assert.ok(!('error' in r) && r.srtp === undefined);
    assert.doesNotMatch(r.sdp, /crypto|SAVP/);
    const refused = answerOfferWithSdes(offer('RTP/AVP', []), prefs, { requireSrtp: true });
    assert.match((refused as { error: string }).error, /no SRTP key/);
  });

  it('keeps our key for the same suite and makes a new one when the suite changes (RFC 4568 §7.1.4)', () => {
    const ours = newSdesKey('AES_CM_128_HMAC_SHA1_80');
    const same = answerOfferWithSdes(offer('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${inline(KEY_B)}`]), prefs, { requireSrtp: true, ourKey: ours });
    assert.ok(!('error' in same) && same.srtp?.ours === ours);
    const other = answerOfferWithSdes(offer('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${inline(KEY_B)}`]), prefs, { requireSrtp: true, ourKey: ours });
    assert.ok(!('error' in other) && other.srtp && other.srtp.ours !== ours && other.srtp.ours.suite === 'AES_CM_128_HMAC_SHA1_32');
  });
});

describe('answerSdes (the answer to our offer)', () => {
  it('reads the answerer key and refuses an answer without SRTP or with another suite', () => {
    const ours = newSdesKey();
    const ourOffer = offerWithSdes(buildOffer({ ...prefs, ptimeMs: 20 }), ours);
    assert.match(ourOffer, /^m=audio 30000 RTP\/SAVP /m);
    const ok = answerSdes(offer('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${inline(KEY_A)}`]), ours);
    assert.ok(!('error' in ok) && ok.key.key.equals(KEY_A.subarray(0, 16)));
    assert.match((answerSdes(offer('RTP/AVP', []), ours) as { error: string }).error, /no SRTP/);
    assert.match((answerSdes(offer('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${inline(KEY_A)}`]), ours) as { error: string }).error, /carries no AES_CM_128_HMAC_SHA1_80 key/);
  });
});

describe('SrtpLink.rekey', () => {
  const packet = (seq: number) => serializeRtp({ marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 42, csrcs: [], payload: Buffer.alloc(160, seq) });
  const key = (b: Buffer): SdesKey => ({ suite: 'AES_CM_128_HMAC_SHA1_80', key: b.subarray(0, 16), salt: b.subarray(16) });

  it('the same keys keep the contexts (a replay is still caught); a new peer key is followed', () => {
    const door = new SrtpLink(key(KEY_A), key(KEY_B));
    const phone = new SrtpLink(key(KEY_B), key(KEY_A));
    const sent: Buffer[] = [];
    const wire = phone.wrap({ host: '127.0.0.1', port: 1, sendRtp: (p) => sent.push(p), sendRtcp: () => {}, close: async () => {} });
    wire.sendRtp(packet(1), { address: '127.0.0.1', port: 2 });
    assert.deepEqual(door.receive(sent[0]!), packet(1));
    assert.deepEqual(door.rekey(key(KEY_A), key(KEY_B)), { ours: false, theirs: false });
    assert.equal(door.receive(sent[0]!), undefined, 'the replay list survived the re-offer');
    // The phone re-keys (a new offer with a new key): the door follows.
    const fresh = Buffer.alloc(30, 0xc3);
    const phone2 = new SrtpLink(key(fresh), key(KEY_A));
    const wire2 = phone2.wrap({ host: '127.0.0.1', port: 1, sendRtp: (p) => sent.push(p), sendRtcp: () => {}, close: async () => {} });
    wire2.sendRtp(packet(2), { address: '127.0.0.1', port: 2 });
    assert.equal(door.receive(sent[1]!), undefined, 'not before the re-key');
    assert.deepEqual(door.rekey(key(KEY_A), key(fresh)), { ours: false, theirs: true });
    wire2.sendRtp(packet(3), { address: '127.0.0.1', port: 2 });
    assert.deepEqual(door.receive(sent[2]!), packet(3));
  });
});

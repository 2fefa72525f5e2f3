// G.722 in offer/answer: static payload type 9 with "G722/8000" (RFC 3551
// §4.5.2: the RTP clock is 8000 although the audio is 16 kHz), offered first,
// with G.711 as the fallback.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { answerOffer, buildOffer, parseAnswer } from '../../src/sdp/offer-answer.ts';
import type { Negotiated } from '../../src/sdp/offer-answer.ts';

const CODECS = ['G722', 'PCMU', 'PCMA'];
const BASE = ['v=0', 'o=- 1 1 IN IP4 127.0.0.9', 's=-', 'c=IN IP4 127.0.0.9', 't=0 0'];

function sdp(...lines: string[]): string {
  return [...BASE, ...lines].map((l) => `${l}\r\n`).join('');
}

function ok<T extends object>(r: T | { error: string }): T {
  if ('error' in r) assert.fail(`unexpected error: ${r.error}`);
  return r;
}

describe('G.722 in SDP', () => {
  it('is offered first as PT 9 with rtpmap G722/8000, and telephone-event at 8000', () => {
    const offer = buildOffer({ address: '127.0.0.2', port: 40000, codecs: CODECS, telephoneEvent: 101, sessionId: '1', sessionVersion: 1 });
    assert.match(offer, /\r\nm=audio 40000 RTP\/AVP 9 0 8 101\r\n/);
    assert.match(offer, /\r\na=rtpmap:9 G722\/8000\r\n/);
    assert.match(offer, /\r\na=rtpmap:101 telephone-event\/8000\r\n/);
    const m = parse(offer).media[0];
    assert.deepEqual(
      m?.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`),
      ['9 G722/8000', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000'],
    );
  });

  it('an answer with G.722 gives G.722, with the 8000 Hz clock and telephone-event', () => {
    const n = ok(parseAnswer(sdp('m=audio 5000 RTP/AVP 9 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000'), CODECS));
    assert.equal(n.codec, 'G722');
    assert.equal(n.payloadType, 9);
    assert.equal(n.clockRate, 8000);
    assert.equal(n.telephoneEventPt, 101);
  });

  it('an answer without rtpmap for static PT 9 still means G.722', () => {
    assert.equal(ok(parseAnswer(sdp('m=audio 5000 RTP/AVP 9'), CODECS)).codec, 'G722');
  });

  it('falls back to G.711 when the answer has no G.722', () => {
    const n = ok(parseAnswer(sdp('m=audio 5000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000'), CODECS));
    assert.equal(n.codec, 'PCMU');
  });

  it('does not take G.722 when the configured list leaves it out', () => {
    const r = parseAnswer(sdp('m=audio 5000 RTP/AVP 9', 'a=rtpmap:9 G722/8000'), ['PCMU', 'PCMA']);
    assert.ok('error' in r && /no common codec/.test(r.error));
  });

  it('answers an offer with G.722 in it by choosing G.722 when we list it, G.711 when we do not', () => {
    const offer = sdp('m=audio 6000 RTP/AVP 0 9 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:9 G722/8000', 'a=rtpmap:101 telephone-event/8000');
    const base = { telephoneEvent: 101, address: '127.0.0.2', port: 40000, sessionId: '1', sessionVersion: 1 };
    // The offerer prefers PCMU; RFC 3264 §6.1 lets the answerer pick, and we keep the offerer's order.
    const a = ok(answerOffer(offer, { ...base, codecs: CODECS }));
    assert.equal(a.negotiated.codec, 'PCMU');
    const wideFirst = sdp('m=audio 6000 RTP/AVP 9 0 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000');
    const b = ok(answerOffer(wideFirst, { ...base, codecs: CODECS }));
    const n: Negotiated = b.negotiated;
    assert.equal(n.codec, 'G722');
    assert.match(b.sdp, /\r\nm=audio 40000 RTP\/AVP 9 101\r\n/);
    assert.match(b.sdp, /\r\na=rtpmap:9 G722\/8000\r\n/);
    const c = ok(answerOffer(wideFirst, { ...base, codecs: ['PCMA', 'PCMU'] }));
    assert.equal(c.negotiated.codec, 'PCMU');
  });

  it('does not mistake a G722/16000 rtpmap (a wrong clock rate) for G.722', () => {
    const r = parseAnswer(sdp('m=audio 5000 RTP/AVP 96', 'a=rtpmap:96 G722/16000'), CODECS);
    assert.ok('error' in r && /no common codec/.test(r.error), JSON.stringify(r));
  });
});

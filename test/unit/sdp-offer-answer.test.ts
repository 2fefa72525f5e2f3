import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'sdp-transform';
import { SdpError, answerOffer, buildOffer, parseAnswer } from '../../src/sdp/offer-answer.ts';
import type { AnswerPreferences, Negotiated } from '../../src/sdp/offer-answer.ts';

const PEER = '../shared/peer/sdp';
const G711 = ['PCMU', 'PCMA'];
const prefs: AnswerPreferences = {
  codecs: G711,
  telephoneEvent: 101,
  address: '127.0.0.2',
  port: 40000,
  sessionId: '42',
  sessionVersion: 1,
};

function sdp(...lines: string[]): string {
  return lines.map((l) => `${l}\r\n`).join('');
}

const BASE = ['v=0', 'o=- 1 1 IN IP4 127.0.0.9', 's=-', 'c=IN IP4 127.0.0.9', 't=0 0'];

function ok<T extends object>(r: T | { error: string }): T {
  if ('error' in r) assert.fail(`unexpected error: ${r.error}`);
  return r;
}

function error(r: object): string {
  assert.ok('error' in r, `expected an error, got ${JSON.stringify(r)}`);
  const e = (r as { error: string }).error;
  assert.ok(!e.includes('\n'), 'one-line error');
  return e;
}

describe('buildOffer', () => {
  it('writes one RTP/AVP audio stream with G.711 and telephone-event, CRLF-terminated', () => {
    const offer = buildOffer({
      address: '127.0.0.2',
      port: 40000,
      codecs: ['PCMU', 'PCMA'],
      telephoneEvent: 101,
      sessionId: '123',
      sessionVersion: 1,
      username: 'door',
    });
    assert.equal(
      offer,
      sdp(
        'v=0',
        'o=door 123 1 IN IP4 127.0.0.2',
        's=-',
        'c=IN IP4 127.0.0.2',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 8 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ),
    );
    assert.ok(!/[^\r]\n/.test(offer));
  });

  it('uses IP6 for an IPv6 address, the codec order given, and no telephone-event unless asked', () => {
    const offer = buildOffer({ address: '::1', port: 5004, codecs: ['pcma', 'PCMU'], ptimeMs: 30, sessionId: '1', sessionVersion: 2 });
    assert.match(offer, /^o=- 1 2 IN IP6 ::1\r$/m);
    assert.match(offer, /^c=IN IP6 ::1\r$/m);
    assert.match(offer, /^m=audio 5004 RTP\/AVP 8 0\r$/m);
    assert.match(offer, /^a=ptime:30\r$/m);
    assert.doesNotMatch(offer, /telephone-event/);
  });

  it('refuses what it cannot offer with a clear message', () => {
    const base = { address: '127.0.0.2', port: 4000, sessionId: '1', sessionVersion: 1 };
    assert.throws(() => buildOffer({ ...base, codecs: ['opus'] }), (e: unknown) => e instanceof SdpError && /codec "opus" has no static payload type/.test(e.message));
    assert.throws(() => buildOffer({ ...base, codecs: [] }), /at least one codec/);
    assert.throws(() => buildOffer({ ...base, codecs: G711, address: 'door.local' }), /"door.local" is not an IP address/);
    assert.throws(() => buildOffer({ ...base, codecs: G711, port: 70000 }), /port 70000/);
    assert.throws(() => buildOffer({ ...base, codecs: G711, telephoneEvent: 8 }), /not a dynamic payload type/);
  });

  it('is read back by parseAnswer as if echoed', () => {
    const offer = buildOffer({ address: '127.0.0.2', port: 40000, codecs: G711, telephoneEvent: 101, sessionId: '1', sessionVersion: 1 });
    assert.deepEqual(parseAnswer(offer, G711), {
      codec: 'PCMU',
      payloadType: 0,
      clockRate: 8000,
      telephoneEventPt: 101,
      remote: { address: '127.0.0.2', port: 40000 },
      ptimeMs: 20,
      direction: 'sendrecv',
    } satisfies Negotiated);
  });
});

describe('parseAnswer', () => {
  it("picks the answer's first codec that we offered, with telephone-event, rtcp and ptime", () => {
    const answer = sdp(
      ...BASE,
      'm=audio 7078 RTP/AVP 8 0 100',
      'a=rtpmap:8 pcma/8000',
      'a=rtpmap:100 telephone-event/8000',
      'a=rtcp:7079',
      'a=ptime:30',
      'a=recvonly',
    );
    assert.deepEqual(ok(parseAnswer(answer, G711)), {
      codec: 'PCMA',
      payloadType: 8,
      clockRate: 8000,
      telephoneEventPt: 100,
      remote: { address: '127.0.0.9', port: 7078 },
      rtcpPort: 7079,
      ptimeMs: 30,
      direction: 'recvonly',
    });
  });

  it('names both sides when there is no common codec', () => {
    const answer = sdp(...BASE, 'm=audio 7078 RTP/AVP 18', 'a=rtpmap:18 G729/8000');
    assert.equal(error(parseAnswer(answer, G711)), 'no common codec: offered PCMU,PCMA; answer has G729');
    const unknown = sdp(...BASE, 'm=audio 7078 RTP/AVP 96');
    assert.equal(error(parseAnswer(unknown, G711)), 'no common codec: offered PCMU,PCMA; answer has PT 96');
  });

  it('rejects a declined stream, a missing stream, a secure profile and a missing address', () => {
    assert.match(error(parseAnswer(sdp(...BASE, 'm=audio 0 RTP/AVP 0'), G711)), /declined the audio stream \(port 0\)/);
    assert.match(error(parseAnswer(sdp(...BASE, 'm=video 5000 RTP/AVP 96'), G711)), /no audio stream \(media: video\)/);
    assert.match(error(parseAnswer(sdp(...BASE, 'm=audio 5000 RTP/SAVP 0'), G711)), /uses RTP\/SAVP; only RTP\/AVP/);
    assert.match(error(parseAnswer(sdp('v=0', 'm=audio 5000 RTP/AVP 0'), G711)), /no connection address \(c= line\)/);
    assert.match(error(parseAnswer(sdp('v=0', 'c=IN IP4 my.host', 'm=audio 5000 RTP/AVP 0'), G711)), /"my.host" is not an IP address/);
  });

  it('prefers the media-level connection address and accepts IPv6', () => {
    const answer = sdp(...BASE, 'm=audio 5000 RTP/AVP 0', 'c=IN IP6 ::1');
    assert.deepEqual(ok(parseAnswer(answer, G711)).remote, { address: '::1', port: 5000 });
  });

  it('treats c=0.0.0.0 as hold (RFC 3264 §8.4)', () => {
    const answer = sdp('v=0', 'c=IN IP4 0.0.0.0', 'm=audio 5000 RTP/AVP 0');
    assert.equal(ok(parseAnswer(answer, G711)).direction, 'sendonly');
  });

  it('ignores a telephone-event at another clock rate', () => {
    const answer = sdp(...BASE, 'm=audio 5000 RTP/AVP 0 104', 'a=rtpmap:104 telephone-event/16000');
    assert.equal(ok(parseAnswer(answer, G711)).telephoneEventPt, undefined);
  });

  it('does not match PCMU at a wrong clock rate or in stereo', () => {
    assert.match(error(parseAnswer(sdp(...BASE, 'm=audio 5000 RTP/AVP 96', 'a=rtpmap:96 PCMU/16000'), G711)), /no common codec/);
    assert.match(error(parseAnswer(sdp(...BASE, 'm=audio 5000 RTP/AVP 96', 'a=rtpmap:96 PCMU/8000/2'), G711)), /no common codec/);
  });

  it('returns an error, never throws, on garbage', () => {
    assert.equal(error(parseAnswer('', G711)), 'empty SDP body');
    assert.match(error(parseAnswer('hello world', G711)), /no media description/);
    assert.match(error(parseAnswer(sdp('v=0', 'm=audio x RTP/AVP 0'), G711)), /no audio stream|invalid port/);
    assert.match(error(parseAnswer(null as unknown as string, G711)), /empty SDP/);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parseAnswer(text, G711);
        if ('error' in r) assert.ok(!r.error.includes('\n'));
      }),
    );
    const lines = fc.array(
      fc.oneof(
        fc.constantFrom('v=0', 'c=IN IP4 127.0.0.9', 'c=IN IP6 zz', 'm=audio 5000 RTP/AVP 0 8', 'm=audio 0 RTP/AVP', 'a=rtpmap:0 PCMU/', 'a=rtcp:abc', 'a=ptime:-1', 'a=sendonly', 'm=video 1 RTP/AVP 96'),
        fc.string({ maxLength: 30 }).map((x) => `a=${x}`),
        fc.string({ maxLength: 30 }).map((x) => `m=${x}`),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(lines, (ls) => {
        const text = sdp(...ls);
        for (const r of [parseAnswer(text, G711), answerOffer(text, prefs)]) {
          if ('error' in r) assert.ok(!r.error.includes('\n'));
        }
      }),
    );
  });
});

describe('answerOffer', () => {
  it('answers in the offerer’s preference order, mirroring direction, rejecting other streams with port 0', () => {
    const offer = sdp(
      ...BASE.slice(0, 4),
      't=100 200',
      'm=audio 5000 RTP/AVP 8 0 126',
      'a=rtpmap:126 telephone-event/8000',
      'a=sendonly',
      'm=video 5002 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
    );
    const r = ok(answerOffer(offer, prefs));
    assert.deepEqual(r.negotiated, {
      codec: 'PCMA',
      payloadType: 8,
      clockRate: 8000,
      telephoneEventPt: 126,
      remote: { address: '127.0.0.9', port: 5000 },
      direction: 'sendonly',
    });
    assert.equal(
      r.sdp,
      sdp(
        'v=0',
        'o=- 42 1 IN IP4 127.0.0.2',
        's=-',
        'c=IN IP4 127.0.0.2',
        't=100 200',
        'm=audio 40000 RTP/AVP 8 126',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:126 telephone-event/8000',
        'a=fmtp:126 0-16',
        'a=ptime:20',
        'a=recvonly',
        'm=video 0 RTP/AVP 96',
      ),
    );
    // Our answer read back as an answer agrees with what we negotiated.
    const back = ok(parseAnswer(r.sdp, G711));
    assert.equal(back.codec, 'PCMA');
    assert.equal(back.telephoneEventPt, 126);
  });

  it('leaves telephone-event out when we do not want it', () => {
    const offer = sdp(...BASE, 'm=audio 5000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000');
    const { telephoneEvent: _unused, ...noTe } = prefs;
    const r = ok(answerOffer(offer, noTe));
    assert.equal(r.negotiated.telephoneEventPt, undefined);
    assert.match(r.sdp, /^m=audio 40000 RTP\/AVP 0\r$/m);
  });

  it('accepts a later audio stream when the first cannot be used', () => {
    const offer = sdp(...BASE, 'm=audio 5000 RTP/SAVP 0', 'm=audio 5002 RTP/AVP 0');
    const r = ok(answerOffer(offer, prefs));
    assert.equal(r.negotiated.remote.port, 5002);
    const media = parse(r.sdp).media;
    assert.deepEqual(media.map((m) => [m.port, m.protocol]), [
      [0, 'RTP/SAVP'],
      [40000, 'RTP/AVP'],
    ]);
  });

  it('answers inactive to inactive, and recvonly to old-style hold', () => {
    const inactive = ok(answerOffer(sdp(...BASE, 'm=audio 5000 RTP/AVP 0', 'a=inactive'), prefs));
    assert.match(inactive.sdp, /^a=inactive\r$/m);
    const hold = ok(answerOffer(sdp('v=0', 'c=IN IP4 0.0.0.0', 'm=audio 5000 RTP/AVP 0'), prefs));
    assert.equal(hold.negotiated.direction, 'sendonly');
    assert.match(hold.sdp, /^a=recvonly\r$/m);
  });

  it('says why when nothing can be accepted', () => {
    assert.equal(error(answerOffer(sdp(...BASE, 'm=audio 5000 RTP/AVP 9', 'a=rtpmap:9 G722/8000'), prefs)), 'no common codec: offer has G722; we support PCMU,PCMA');
    assert.equal(error(answerOffer(sdp(...BASE, 'm=image 5000 udptl t38'), prefs)), 'offer has no audio stream (media: image)');
  });
});

describe('real SDP bodies (peer/sdp, MANIFEST.tsv)', () => {
  const manifest = readFileSync(`${PEER}/MANIFEST.tsv`, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .slice(1)
    .map((l) => l.split('\t'));
  const files = readdirSync(PEER).filter((f) => f.endsWith('.sdp'));

  it('lists every file in the folder', () => {
    assert.equal(manifest.length, 21);
    assert.deepEqual(manifest.map((r) => r[0]).sort(), files.sort());
  });

  for (const row of manifest) {
    const [file, , , device, , codec, pt, te] = row as [string, string, string, string, string, string, string, string];
    const reject = codec.startsWith('none');
    it(`${file} (${device}): ${reject ? 'rejected' : `${codec}/${pt}, telephone-event ${te}`}`, () => {
      const body = readFileSync(`${PEER}/${file}`).toString('utf8');
      const answered = answerOffer(body, prefs);
      const read = parseAnswer(body, G711);
      if (reject) {
        const why = error(answered);
        error(read);
        assert.match(why, /no common codec|port 0|only RTP\/AVP|no audio stream/);
        return;
      }
      const n = ok(answered).negotiated;
      assert.equal(n.codec, codec);
      assert.equal(n.payloadType, Number(pt));
      const expectedTe = /^\d+/.exec(te)?.[0];
      assert.equal(n.telephoneEventPt, expectedTe === undefined ? undefined : Number(expectedTe));
      // The same rule applied to the body read as an answer gives the same choice.
      const a = ok(read);
      assert.deepEqual([a.codec, a.payloadType, a.telephoneEventPt], [n.codec, n.payloadType, n.telephoneEventPt]);
      // Our answer has as many m= lines as the offer, and only one accepted stream.
      const ours = parse(ok(answered).sdp);
      assert.equal(ours.media.length, parse(body).media.length);
      assert.equal(ours.media.filter((m) => m.port !== 0).length, 1);
    });
  }
});

// Property-based fuzzing of what a stranger can put on the RTP port and in an
// SDP body: the decoders may refuse, never throw, and a real stream mixed with
// garbage still plays and still delivers its DTMF digits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { codecByName } from '../../src/media/codec.ts';
import { DtmfError, DtmfReceiver, dtmfPacketSeries, parseTelephoneEvent } from '../../src/media/dtmf.ts';
import { parseRtcp, RtcpError } from '../../src/media/rtcp.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import { serializeRtp } from '../../src/media/rtp-packet.ts';
import { answerOffer, parseAnswer } from '../../src/sdp/offer-answer.ts';
import { PEER } from '../support/torture.ts';

const PEER_ADDR = { address: '127.0.0.9', port: 40000 };
const STRANGER = { address: '127.0.0.66', port: 40000 };

function session(): RtpSession {
  return new RtpSession({ codec: codecByName('PCMU')!, payloadType: 0, telephoneEventPt: 101, remote: PEER_ADDR, ssrc: 1 });
}

function audioPacket(seq: number): Buffer {
  return serializeRtp({ marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 0xabc, csrcs: [], payload: Buffer.alloc(160, 0x20) });
}

describe('DTMF decoder fuzz', () => {
  it('parseTelephoneEvent throws only DtmfError; DtmfReceiver never throws and reports only digits', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ ts: fc.nat(), payload: fc.uint8Array({ maxLength: 12 }) }), { maxLength: 40 }), (packets) => {
        const rx = new DtmfReceiver();
        for (const p of packets) {
          const payload = Buffer.from(p.payload);
          try {
            parseTelephoneEvent(payload);
          } catch (e) {
            assert.ok(e instanceof DtmfError, String(e));
          }
          const d = rx.receive({ timestamp: p.ts, payload });
          if (d) assert.match(d.digit, /^[0-9*#A-D]$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('RTP port fuzz', () => {
  it('random datagrams from anyone are ignored and counted; nothing throws', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()), { maxLength: 60 }), (grams) => {
        const s = session();
        for (const [g, fromPeer] of grams) {
          const r = s.receive(Buffer.from(g), fromPeer ? PEER_ADDR : STRANGER, 0);
          assert.ok(['audio', 'dtmf', 'rtcp', 'ignored'].includes(r.kind));
        }
        s.playout();
        s.buildRtcp(Date.now());
      }),
      { numRuns: 300 },
    );
  });

  it('a real stream interleaved with garbage still plays its audio and delivers its digits', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 30 }), fc.constantFrom(...'0123456789*#'), (garbage, digit) => {
        const s = session();
        let played = 0;
        for (let seq = 0; seq < 30; seq++) {
          // Garbage from a stranger and from the peer's own address between every packet.
          const junk = Buffer.from(garbage[seq % garbage.length]!);
          s.receive(junk, STRANGER, seq * 20);
          s.receive(audioPacket(seq), PEER_ADDR, seq * 20);
          if (Math.max(...s.playout().map(Math.abs)) > 0) played++;
        }
        assert.ok(played > 10, `only ${played} frames of audio played`);
        const got: string[] = [];
        let seq = 100;
        for (const group of dtmfPacketSeries(digit)) {
          for (const p of group) {
            const bytes = serializeRtp({ marker: p.marker, payloadType: 101, sequence: seq++, timestamp: 30 * 160, ssrc: 0xabc, csrcs: [], payload: p.payload });
            s.receive(Buffer.from(garbage[0]!), STRANGER);
            got.push(...s.receive(bytes, PEER_ADDR).digits);
          }
        }
        assert.deepEqual(got, [digit]);
      }),
      { numRuns: 100 },
    );
  });

  it('parseRtcp throws only RtcpError on mutated real reports', () => {
    const s = session();
    s.receive(audioPacket(1), PEER_ADDR, 0);
    const report = s.buildRtcp(Date.now());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: report.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat({ max: report.length }), (flips, cut) => {
        const b = Buffer.from(report.subarray(0, Math.max(cut, 1)));
        for (const [at, v] of flips) if (at < b.length) b[at] = v;
        try {
          parseRtcp(b);
        } catch (e) {
          assert.ok(e instanceof RtcpError, String(e));
        }
        const r = s.receiveRtcp(b);
        assert.ok('error' in r || typeof r.bye === 'boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('SDP fuzz on real bodies', () => {
  const bodies = readdirSync(`${PEER}/sdp`)
    .filter((f) => f.endsWith('.sdp'))
    .map((f) => readFileSync(`${PEER}/sdp/${f}`, 'latin1'));
  const prefs = { codecs: ['PCMU', 'PCMA'], telephoneEvent: 101, address: '127.0.0.2', port: 20000, sessionId: '1', sessionVersion: 1 };

  it('line drops, duplicates and byte flips of 21 real SDPs: an answer with a sane address, or an error; never a throw', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: bodies.length - 1 }),
        fc.array(fc.tuple(fc.constantFrom('drop', 'dup', 'flip', 'cut'), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (which, edits) => {
          const lines = bodies[which]!.split('\r\n');
          for (const [op, at, v] of edits) {
            const i = at % Math.max(lines.length, 1);
            if (op === 'drop') lines.splice(i, 1);
            else if (op === 'dup') lines.splice(i, 0, lines[i] ?? '');
            else if (op === 'cut') lines[i] = (lines[i] ?? '').slice(0, v % 12);
            else {
              const l = lines[i] ?? '';
              const j = v % Math.max(l.length, 1);
              lines[i] = l.slice(0, j) + String.fromCharCode(v) + l.slice(j + 1);
            }
          }
          const text = lines.join('\r\n');
          for (const r of [answerOffer(text, prefs), parseAnswer(text, ['PCMU', 'PCMA'])]) {
            if ('error' in r) {
              assert.ok(!r.error.includes('\n'));
              continue;
            }
            const n = 'negotiated' in r ? r.negotiated : r;
            assert.ok(Number.isInteger(n.remote.port) && n.remote.port > 0 && n.remote.port < 65536, JSON.stringify(n.remote));
            assert.ok(n.remote.address.length > 0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

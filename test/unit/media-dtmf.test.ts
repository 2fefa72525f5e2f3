import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DtmfError,
  DtmfReceiver,
  digitToEvent,
  dtmfPacketSeries,
  eventToDigit,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from '../../src/media/dtmf.ts';

function ev(event: number, end: boolean, duration: number, volume = 10): Buffer {
  return serializeTelephoneEvent({ event, end, volume, duration });
}

describe('telephone-event payload', () => {
  it('parses the capture bytes 000a0140 and 008a08c0', () => {
    assert.deepEqual(parseTelephoneEvent(Buffer.from('000a0140', 'hex')), { event: 0, end: false, volume: 10, duration: 320 });
    assert.deepEqual(parseTelephoneEvent(Buffer.from('0b8a08c0', 'hex')), { event: 11, end: true, volume: 10, duration: 2240 });
  });

  it('ignores the reserved bit and round-trips', () => {
    assert.equal(parseTelephoneEvent(Buffer.from('05ca0000', 'hex')).volume, 10);
    const e = { event: 9, end: true, volume: 63, duration: 65535 };
    assert.deepEqual(parseTelephoneEvent(serializeTelephoneEvent(e)), e);
  });

  it('rejects a short payload with a clear reason', () => {
    assert.throws(() => parseTelephoneEvent(Buffer.from([1, 2, 3])), (e: unknown) => e instanceof DtmfError && /too short: 3 bytes/.test(e.message));
  });

  it('maps keys and codes', () => {
    assert.equal(eventToDigit(10), '*');
    assert.equal(eventToDigit(11), '#');
    assert.equal(eventToDigit(15), 'D');
    assert.equal(eventToDigit(16), undefined);
    assert.equal(digitToEvent('#'), 11);
    assert.equal(digitToEvent('a'), 12);
    assert.equal(digitToEvent('x'), undefined);
    assert.equal(digitToEvent('12'), undefined);
  });
});

describe('DtmfReceiver', () => {
  it('reports one digit per event despite updates and three end packets', () => {
    const r = new DtmfReceiver();
    const got: string[] = [];
    const feed = (ts: number, payload: Buffer): void => {
      const d = r.receive({ timestamp: ts, payload });
      if (d) got.push(d.digit);
    };
    for (const dur of [0, 320, 640]) feed(1000, ev(7, false, dur));
    for (let i = 0; i < 3; i++) feed(1000, ev(7, true, 800));
    // The same key again is a new event with a new timestamp.
    feed(3000, ev(7, false, 160));
    feed(3000, ev(7, true, 480));
    feed(3000, ev(7, true, 480));
    feed(5000, ev(11, true, 480));
    assert.deepEqual(got, ['7', '7', '#']);
  });

  it('reports a digit whose start packet was lost', () => {
    const r = new DtmfReceiver();
    assert.equal(r.receive({ timestamp: 500, payload: ev(3, false, 640) })?.digit, '3');
    assert.equal(r.receive({ timestamp: 500, payload: ev(3, false, 960) }), undefined);
  });

  it('ignores stragglers from an earlier event and garbage payloads', () => {
    const r = new DtmfReceiver();
    r.receive({ timestamp: 100, payload: ev(1, true, 800) });
    assert.equal(r.receive({ timestamp: 2000, payload: ev(2, false, 160) })?.digit, '2');
    assert.equal(r.receive({ timestamp: 100, payload: ev(1, true, 800) }), undefined);
    assert.equal(r.receive({ timestamp: 4000, payload: Buffer.from([1]) }), undefined);
  });

  it('does not report a segmented long event twice (RFC 4733 §2.5.1.3)', () => {
    const r = new DtmfReceiver();
    assert.equal(r.receive({ timestamp: 0, payload: ev(5, false, 65535) })?.digit, '5');
    assert.equal(r.receive({ timestamp: 65535, payload: ev(5, false, 160) }), undefined);
    assert.equal(r.receive({ timestamp: 65535, payload: ev(5, true, 800) }), undefined);
  });

  it('handles timestamps across the 32-bit wrap', () => {
    const r = new DtmfReceiver();
    assert.equal(r.receive({ timestamp: 0xffffff00, payload: ev(4, true, 160) })?.digit, '4');
    assert.equal(r.receive({ timestamp: 0x100, payload: ev(6, true, 160) })?.digit, '6');
  });

  it('does not report non-key events such as flash', () => {
    const r = new DtmfReceiver();
    assert.equal(r.receive({ timestamp: 0, payload: ev(16, true, 800) }), undefined);
  });
});

describe('dtmfPacketSeries', () => {
  it('produces start-with-marker, updates and three end packets', () => {
    const series = dtmfPacketSeries('#', { durationMs: 100 });
    assert.equal(series.length, 5);
    const flat = series.flat();
    assert.equal(flat.length, 7);
    assert.deepEqual(
      flat.map((p) => [p.marker, p.end, parseTelephoneEvent(p.payload).duration]),
      [
        [true, false, 160],
        [false, false, 320],
        [false, false, 480],
        [false, false, 640],
        [false, true, 800],
        [false, true, 800],
        [false, true, 800],
      ],
    );
    assert.ok(flat.every((p) => parseTelephoneEvent(p.payload).event === 11 && parseTelephoneEvent(p.payload).volume === 10));
  });

  it('marks the end packet when the event fits one interval', () => {
    const series = dtmfPacketSeries('1', { durationMs: 20 });
    assert.equal(series.length, 1);
    assert.deepEqual(series[0]?.map((p) => p.marker), [true, false, false]);
  });

  it('is understood by the receiver as exactly one digit', () => {
    const r = new DtmfReceiver();
    const digits = dtmfPacketSeries('9', { durationMs: 160 })
      .flat()
      .map((p) => r.receive({ timestamp: 4242, payload: p.payload })?.digit)
      .filter((d) => d !== undefined);
    assert.deepEqual(digits, ['9']);
  });

  it('rejects an unknown key', () => {
    assert.throws(() => dtmfPacketSeries('x'), /not a DTMF key: "x"/);
  });
});

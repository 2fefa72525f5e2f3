import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codecByName, codecForStream } from '../../src/media/codec.ts';
import { decodeUlaw, encodeUlaw } from '../../src/media/g711.ts';
import { G722Decoder, G722Encoder } from '../../src/media/g722.ts';
import { resampleAll } from '../../src/audio/resampler.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import { parseRtp } from '../../src/media/rtp-packet.ts';

const RATE = 16000;
/** Encoder plus decoder delay of the two QMFs, in 16 kHz samples. */
const DELAY = 22;

function sine(freq: number, amplitude: number, samples: number, rate = RATE): Int16Array {
  const x = new Int16Array(samples);
  for (let i = 0; i < samples; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return x;
}

function roundTrip(x: Int16Array): Int16Array {
  return new G722Decoder().decode(new G722Encoder().encode(x));
}

/** Signal-to-noise ratio of y against x delayed by `delay`, skipping the first `skip` samples (adaptation). */
function snrDb(x: Int16Array, y: Int16Array, delay: number, skip: number): number {
  let signal = 0;
  let noise = 0;
  for (let i = skip; i + delay < y.length; i++) {
    const xi = x[i] as number;
    signal += xi * xi;
    noise += ((y[i + delay] as number) - xi) ** 2;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-9));
}

/** Amplitude of the component at `freq` (least-squares fit of a sine and cosine). */
function amplitudeAt(y: Int16Array, freq: number, from: number, rate = RATE): number {
  let c = 0;
  let s = 0;
  let n = 0;
  for (let i = from; i < y.length; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    c += (y[i] as number) * Math.cos(w);
    s += (y[i] as number) * Math.sin(w);
    n++;
  }
  return (2 * Math.hypot(c, s)) / n;
}

describe('G.722 codec', () => {
  it('keeps a 1 kHz tone: frequency, level and an SNR above 30 dB', () => {
    const x = sine(1000, 10000, RATE);
    const y = roundTrip(x);
    assert.equal(y.length, x.length);
    const snr = snrDb(x, y, DELAY, 1600);
    assert.ok(snr > 30, `SNR ${snr.toFixed(1)} dB`);
    const amp = amplitudeAt(y, 1000, 1600);
    assert.ok(Math.abs(20 * Math.log10(amp / 10000)) < 0.5, `level ${amp.toFixed(0)} for 10000`);
  });

  it('carries a 6 kHz tone, which G.711 at 8 kHz cannot', () => {
    const x = sine(6000, 8000, RATE);
    const y = roundTrip(x);
    const snr = snrDb(x, y, DELAY, 1600);
    assert.ok(snr > 20, `SNR ${snr.toFixed(1)} dB`);
    const amp = amplitudeAt(y, 6000, 1600);
    assert.ok(Math.abs(20 * Math.log10(amp / 8000)) < 1, `level ${amp.toFixed(0)} for 8000`);
    // The same tone through an 8 kHz G.711 path is gone (it lies above 4 kHz).
    const narrow = resampleAll(decodeUlaw(encodeUlaw(resampleAll(x, RATE, 8000))), 8000, RATE);
    assert.ok(amplitudeAt(narrow, 6000, 1600) < 8000 / 1000, 'G.711 should not carry 6 kHz');
  });

  it('keeps low and high frequencies across the band', () => {
    for (const f of [200, 3400, 5000, 7000]) {
      const x = sine(f, 6000, RATE / 2);
      const amp = amplitudeAt(roundTrip(x), f, 1600);
      assert.ok(Math.abs(20 * Math.log10(amp / 6000)) < 1.5, `${f} Hz came back at ${amp.toFixed(0)} for 6000`);
    }
  });

  it('turns silence into silence', () => {
    // The smallest step size is above the lowest decision levels, so digital
    // silence comes back as a few LSBs of idle noise (as with any conforming
    // G.722): below -70 dBFS, not exact zeros.
    const y = roundTrip(new Int16Array(RATE));
    assert.ok(
      y.every((v) => Math.abs(v) <= 8),
      `largest sample ${Math.max(...Array.from(y, Math.abs))}`,
    );
    // And returns to silence after a loud passage.
    const x = new Int16Array(RATE);
    x.set(sine(800, 20000, RATE / 4));
    const tail = roundTrip(x).subarray(RATE / 2);
    assert.ok(
      tail.every((v) => Math.abs(v) <= 8),
      `largest tail sample ${Math.max(...Array.from(tail, Math.abs))}`,
    );
  });

  it('clips a full-scale signal rather than wrapping around (no clicks)', () => {
    // Coding noise on a full-scale sine pushes some reconstructed samples past
    // 16 bits; they must clip, not wrap to the opposite sign.
    const x = sine(1000, 32767, RATE / 2);
    const y = roundTrip(x);
    let clipped = 0;
    let worst = 0;
    for (let i = 1600; i + DELAY < y.length; i++) {
      const yi = y[i + DELAY] as number;
      if (yi === 32767 || yi === -32768) clipped++;
      worst = Math.max(worst, Math.abs(yi - (x[i] as number)));
    }
    assert.ok(clipped > 0, 'the test signal should reach full scale');
    assert.ok(worst < 4000, `largest error ${worst}`);
  });

  it('gives the same octets and samples whether a signal comes whole or in pieces of any size', () => {
    const x = sine(1234, 12000, 4000);
    for (let i = 0; i < x.length; i += 7) x[i] = (x[i] as number) ^ 0x155; // not just a tone
    const whole = new G722Encoder().encode(x);
    assert.equal(whole.length, x.length / 2);
    const enc = new G722Encoder();
    const parts: Buffer[] = [];
    let at = 0;
    for (const size of [1, 2, 3, 160, 319, 320, 5, 0, 17]) {
      parts.push(enc.encode(x.subarray(at, at + size)));
      at += size;
    }
    parts.push(enc.encode(x.subarray(at)));
    assert.deepEqual(Buffer.concat(parts), whole);

    const outWhole = new G722Decoder().decode(whole);
    const dec = new G722Decoder();
    const chunks: Int16Array[] = [];
    for (let i = 0; i < whole.length; i += 160) chunks.push(dec.decode(whole.subarray(i, i + 160)));
    const joined = new Int16Array(outWhole.length);
    let o = 0;
    for (const c of chunks) {
      joined.set(c, o);
      o += c.length;
    }
    assert.deepEqual(joined, outWhole);
  });

  it('decodes any octets without throwing, two samples each', () => {
    const dec = new G722Decoder();
    assert.equal(dec.decode(Buffer.alloc(0)).length, 0);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.equal(dec.decode(all).length, 512);
    let seed = 7;
    const noise = Buffer.alloc(8000);
    for (let i = 0; i < noise.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    const y = dec.decode(noise);
    assert.equal(y.length, 16000);
    // The decoder stays usable: real audio after garbage converges again.
    const x = sine(1000, 10000, RATE);
    const z = dec.decode(new G722Encoder().encode(x));
    assert.ok(snrDb(x, z, DELAY, 8000) > 25);
  });
});

describe('G.722 in the codec registry', () => {
  it('is PT 9 with an 8000 Hz RTP clock and 16 kHz audio (RFC 3551 §4.5.2)', () => {
    const c = codecByName('g722');
    assert.ok(c);
    assert.equal(c.name, 'G722');
    assert.equal(c.staticPayloadType, 9);
    assert.equal(c.clockRate, 8000);
    assert.equal(c.sampleRate, 16000);
    assert.equal(c.frameSamples(20), 320);
    assert.equal(c.timestampTicks(20), 160);
    assert.equal(c.encode(new Int16Array(320)).length, 160);
  });

  it('gives each stream its own encoder and decoder state', () => {
    const a = codecForStream('G722');
    const b = codecForStream('G722');
    assert.ok(a && b && a !== b);
    const frame = sine(1000, 10000, 320);
    a.encode(frame); // a's predictor has now adapted; b's has not
    assert.deepEqual(b.encode(frame), new G722Encoder().encode(frame));
    // Stateless codecs are shared.
    assert.equal(codecForStream('PCMU'), codecByName('PCMU'));
  });
});

describe('G.722 in an RTP session', () => {
  it('sends 160 octets per 20 ms with the timestamp advancing 160, and plays 320 samples per frame, lost ones concealed', () => {
    const tx = new RtpSession({ codec: codecForStream('G722')!, payloadType: 9, ssrc: 5, initialSequence: 0, initialTimestamp: 1000 });
    const rx = new RtpSession({ codec: codecForStream('G722')!, payloadType: 9 });
    const from = { address: '127.0.0.1', port: 4000 };
    const x = sine(1000, 10000, 320 * 30);
    const played: Int16Array[] = [];
    for (let f = 0; f < 30; f++) {
      const [packet] = tx.packetizeFrame(x.subarray(f * 320, f * 320 + 320));
      assert.ok(packet);
      const p = parseRtp(packet);
      assert.equal(p.payloadType, 9);
      assert.equal(p.payload.length, 160);
      assert.equal(p.timestamp, 1000 + f * 160);
      if (f !== 20) rx.receive(packet, from); // one packet lost
      played.push(rx.playout());
    }
    assert.ok(played.every((f) => f.length === 320));
    assert.ok(rx.stats().concealed >= 1);
    // Audio after the loss is the tone again.
    const tail = new Int16Array(320 * 5);
    played.slice(-5).forEach((f, i) => tail.set(f, i * 320));
    assert.ok(amplitudeAt(tail, 1000, 0) > 8000);
  });
});

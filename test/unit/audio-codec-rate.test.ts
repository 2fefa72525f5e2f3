import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codecAtRate } from '../../src/audio/codec-rate.ts';
import { codecByName, codecForStream } from '../../src/media/codec.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import { parseRtp } from '../../src/media/rtp-packet.ts';

const RATE = 16000;

function sine(freq: number, amplitude: number, samples: number): Int16Array {
  const x = new Int16Array(samples);
  for (let i = 0; i < samples; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / RATE));
  return x;
}

/** Amplitude of the component at `freq` from sample `from` on (least-squares fit). */
function amplitudeAt(y: Int16Array, freq: number, from: number): number {
  let c = 0;
  let s = 0;
  let n = 0;
  for (let i = from; i < y.length; i++) {
    const w = (2 * Math.PI * freq * i) / RATE;
    c += (y[i] as number) * Math.cos(w);
    s += (y[i] as number) * Math.sin(w);
    n++;
  }
  return (2 * Math.hypot(c, s)) / n;
}

/** Encodes and decodes frame by frame, as a call does. */
function throughCodec(name: string, x: Int16Array, frame = 320): Int16Array {
  const codec = codecAtRate(codecForStream(name)!, RATE);
  const out = new Int16Array(x.length);
  for (let at = 0; at + frame <= x.length; at += frame) out.set(codec.decode(codec.encode(x.subarray(at, at + frame))), at);
  return out;
}

describe('a codec at the device rate', () => {
  it('leaves a codec that already runs at that rate alone', () => {
    const g722 = codecByName('G722')!;
    assert.equal(codecAtRate(g722, 16000), g722);
  });

  it('presents G.711 as 16 kHz PCM: 320 samples per 20 ms, 160 octets, 160 RTP ticks', () => {
    const pcmu = codecAtRate(codecByName('PCMU')!, RATE);
    assert.equal(pcmu.name, 'PCMU');
    assert.equal(pcmu.staticPayloadType, 0);
    assert.equal(pcmu.sampleRate, 16000);
    assert.equal(pcmu.clockRate, 8000);
    assert.equal(pcmu.frameSamples(20), 320);
    assert.equal(pcmu.timestampTicks(20), 160);
    const payload = pcmu.encode(new Int16Array(320));
    assert.equal(payload.length, 160);
    assert.equal(pcmu.decode(payload).length, 320);
  });

  it('carries a 1 kHz tone through 16k -> 8k G.711 -> 16k at its level, with a clean spectrum', () => {
    const y = throughCodec('PCMU', sine(1000, 10000, RATE));
    const amp = amplitudeAt(y, 1000, 1600);
    assert.ok(Math.abs(20 * Math.log10(amp / 10000)) < 0.5, `1 kHz came back at ${amp.toFixed(0)} for 10000`);
    // Residual after removing the tone: G.711 noise only (about 38 dB below), no frame-rate clicks.
    let c = 0;
    let s = 0;
    for (let i = 1600; i < y.length; i++) {
      const w = (2 * Math.PI * 1000 * i) / RATE;
      c += (y[i] as number) * Math.cos(w);
      s += (y[i] as number) * Math.sin(w);
    }
    const n = y.length - 1600;
    c = (2 * c) / n;
    s = (2 * s) / n;
    let residual = 0;
    let frameEdgeWorst = 0;
    for (let i = 1600; i < y.length; i++) {
      const w = (2 * Math.PI * 1000 * i) / RATE;
      const e = (y[i] as number) - (c * Math.cos(w) + s * Math.sin(w));
      residual += e * e;
      if (i % 320 === 0 || i % 320 === 319) frameEdgeWorst = Math.max(frameEdgeWorst, Math.abs(e));
    }
    const snr = 10 * Math.log10((amp * amp) / 2 / (residual / n));
    assert.ok(snr > 30, `SNR ${snr.toFixed(1)} dB`);
    assert.ok(frameEdgeWorst < 200, `largest error at a frame edge ${frameEdgeWorst.toFixed(0)}`);
  });

  it('keeps what the narrow band cannot carry out, instead of folding it back (no aliasing)', () => {
    // 6 kHz at 16 kHz would alias to 2 kHz if decimated without a filter.
    const y = throughCodec('PCMA', sine(6000, 12000, RATE));
    assert.ok(amplitudeAt(y, 2000, 1600) < 12000 / 1000, 'alias at 2 kHz');
    assert.ok(amplitudeAt(y, 6000, 1600) < 12000 / 1000, '6 kHz image');
  });

  it('gives the same audio frame by frame as in one piece (state carried across frames)', () => {
    const x = sine(700, 9000, 6400);
    const framed = throughCodec('PCMU', x, 320);
    const whole = throughCodec('PCMU', x, 6400);
    assert.deepEqual(framed, whole);
  });

  it('runs an RTP session at 16 kHz with an 8 kHz codec: timestamps advance 160 per frame', () => {
    const codec = codecAtRate(codecByName('PCMU')!, RATE);
    const tx = new RtpSession({ codec, payloadType: 0, ssrc: 1, initialSequence: 0, initialTimestamp: 0 });
    const rx = new RtpSession({ codec: codecAtRate(codecByName('PCMU')!, RATE), payloadType: 0 });
    const from = { address: '127.0.0.1', port: 4000 };
    const x = sine(1000, 10000, 320 * 20);
    const out: Int16Array[] = [];
    for (let f = 0; f < 20; f++) {
      const [packet] = tx.packetizeFrame(x.subarray(f * 320, f * 320 + 320));
      assert.ok(packet);
      assert.equal(parseRtp(packet).timestamp, f * 160);
      rx.receive(packet, from);
      out.push(rx.playout());
    }
    assert.ok(out.every((f) => f.length === 320));
  });
});

// CPU cost of the codecs per second of call audio, in this process. Prints
// figures and asserts nothing: timings depend on the machine and its load.
//
//   node --import tsx scripts/bench/codec.ts [--seconds N]
//
// Each line encodes and decodes N seconds of a speech-like signal (two tones
// and noise) in 20 ms frames, as one call direction each way would, and
// reports CPU milliseconds per second of audio (10 = 1 % of one core): the
// median of 5 runs after a warm-up. Rows:
//   - G.722 encode / decode at 16 kHz (src/media/g722.ts);
//   - G.711 µ-law at 8 kHz, for scale;
//   - G.711 µ-law seen at 16 kHz: what a narrowband call costs the station,
//     whose devices run at 16 kHz (16k -> 8k before encoding, 8k -> 16k after
//     decoding; src/audio/codec-rate.ts).
// Then the resampler alone, for sound cards at 44.1/48 kHz (src/audio/resampler.ts).
import { parseArgs } from 'node:util';
import { codecAtRate } from '../../src/audio/codec-rate.ts';
import type { AudioCodec } from '../../src/media/codec.ts';
import { codecForStream } from '../../src/media/codec.ts';
import { Resampler } from '../../src/audio/resampler.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('usage: node --import tsx scripts/bench/codec.ts [--seconds N]   (default 20 s of audio per run)');
  process.exit(0);
}
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`codec bench: --seconds must be a positive number (got ${values.seconds})`);
  process.exit(2);
}

const PTIME_MS = 20;
const RUNS = 5;

function signal(rate: number, samples: number): Int16Array {
  const x = new Int16Array(samples);
  let seed = 1;
  for (let i = 0; i < samples; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const t = i / rate;
    x[i] = Math.round(6000 * Math.sin(2 * Math.PI * 310 * t) + 3000 * Math.sin(2 * Math.PI * 2450 * t) + ((seed >>> 16) - 32768) / 16);
  }
  return x;
}

/** CPU time (user + system) in ms spent by fn. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function bench(label: string, make: () => AudioCodec): void {
  const probe = make();
  const frame = probe.frameSamples(PTIME_MS);
  const frames = Math.round((seconds * 1000) / PTIME_MS);
  const audio = signal(probe.sampleRate, frame * frames);
  const payloads: Buffer[] = [];
  const run = (): { enc: number; dec: number } => {
    const codec = make(); // fresh state, as a new call has
    payloads.length = 0;
    const enc = cpuMs(() => {
      for (let f = 0; f < frames; f++) payloads.push(codec.encode(audio.subarray(f * frame, (f + 1) * frame)));
    });
    const dec = cpuMs(() => {
      for (const p of payloads) codec.decode(p);
    });
    return { enc, dec };
  };
  run(); // warm-up: let the JIT compile the hot loops
  const results = Array.from({ length: RUNS }, run);
  const enc = median(results.map((r) => r.enc)) / seconds;
  const dec = median(results.map((r) => r.dec)) / seconds;
  const bytes = payloads.reduce((n, p) => n + p.length, 0);
  const kbps = (bytes * 8) / seconds / 1000;
  console.log(
    `${label.padEnd(34)} encode ${enc.toFixed(2).padStart(6)}  decode ${dec.toFixed(2).padStart(6)}  ` +
      `both ${(enc + dec).toFixed(2).padStart(6)} CPU ms per s of audio   (${kbps.toFixed(0)} kbit/s)`,
  );
}

console.log(`codec CPU, ${seconds} s of audio in ${PTIME_MS} ms frames, median of ${RUNS} runs (Node ${process.version}, ${process.arch})`);
bench('G.722 (16 kHz)', () => codecForStream('G722')!);
bench('G.711 µ-law (8 kHz)', () => codecForStream('PCMU')!);
bench('G.711 µ-law seen at 16 kHz', () => codecAtRate(codecForStream('PCMU')!, 16000));

function benchResampler(from: number, to: number): void {
  const frame = (from * PTIME_MS) / 1000;
  const frames = Math.round((seconds * 1000) / PTIME_MS);
  const audio = signal(from, frame * frames);
  const run = (): number => {
    const r = new Resampler(from, to);
    return cpuMs(() => {
      for (let f = 0; f < frames; f++) r.process(audio.subarray(f * frame, (f + 1) * frame));
    });
  };
  run();
  const ms = median(Array.from({ length: RUNS }, run)) / seconds;
  console.log(`${`resample ${from} -> ${to} Hz`.padEnd(34)} ${ms.toFixed(2).padStart(6)} CPU ms per s of audio   (${new Resampler(from, to).tapsPerOutput} taps)`);
}

for (const [from, to] of [
  [48000, 16000],
  [16000, 48000],
  [44100, 16000],
  [16000, 44100],
  [48000, 8000],
  [8000, 48000],
] as const) {
  benchResampler(from, to);
}

// Proves audio by what it sounds like: tones are made with sox (undithered,
// so silence is exact) and measured by frequency and level, never by a file
// merely existing or its size.
import { runCommand } from './process.ts';
import { readWav } from './wav.ts';
import type { PcmAudio } from './wav.ts';

export interface ToneOptions {
  freq: number;
  seconds: number;
  /** Peak amplitude as a fraction of full scale, (0, 1]. Default 0.5 (-9 dBFS RMS). */
  level?: number;
  /** Sample rate; default 8000 (what baresip's aufile and G.711 expect). */
  rate?: number;
}

/** Writes a mono 16-bit sine WAV with sox and returns its path. */
export async function makeToneWav(path: string, opts: ToneOptions): Promise<string> {
  const level = opts.level ?? 0.5;
  if (!(level > 0 && level <= 1)) throw new Error(`makeToneWav: level ${level} not in (0, 1]`);
  const rate = opts.rate ?? 8000;
  const args = ['-D', '-n', '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', path, 'synth', String(opts.seconds), 'sine', String(opts.freq), 'vol', String(level)];
  await sox(args);
  return path;
}

/** Writes a mono 16-bit WAV of digital silence and returns its path. */
export async function makeSilenceWav(path: string, seconds: number, rate = 8000): Promise<string> {
  await sox(['-D', '-n', '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', path, 'trim', '0', String(seconds)]);
  return path;
}

async function sox(args: string[]): Promise<void> {
  const r = await runCommand('sox', args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`sox ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

export interface ToneLevel {
  /** RMS of the component at freq, full scale = 1 (a full-scale sine is 0.707). */
  rms: number;
  /** 20·log10(rms), as sox reports RMS levels (a full-scale sine is -3 dBFS). */
  dbfs: number;
  /** How long the tone stood above thresholdDbfs, in seconds. */
  activeSeconds: number;
}

export interface MeasureOptions {
  /** Only look at this part of the file, in seconds. */
  fromSec?: number;
  toSec?: number;
  /** Level above which a block counts as carrying the tone. Default -50 dBFS. */
  thresholdDbfs?: number;
}

const BLOCK_SECONDS = 0.1;

function slice(audio: PcmAudio, opts: MeasureOptions): Float32Array {
  const from = Math.max(0, Math.floor((opts.fromSec ?? 0) * audio.sampleRate));
  const to = opts.toSec === undefined ? audio.samples.length : Math.min(audio.samples.length, Math.floor(opts.toSec * audio.sampleRate));
  return audio.samples.subarray(from, Math.max(from, to));
}

function hann(n: number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}

// Amplitude of the sinusoid at freq in one windowed block (generalised
// Goertzel, so freq need not sit on a bin). The 100 ms Hann window makes the
// pass band about ±20 Hz wide.
function goertzelAmplitude(x: Float32Array, start: number, w: Float32Array, freq: number, rate: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  for (let i = 0; i < w.length; i++) {
    const wi = w[i] ?? 0;
    const s0 = (x[start + i] ?? 0) * wi + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    wsum += wi;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / wsum;
}

function toDb(rms: number): number {
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}

/** Measures the level of a tone at freq (narrow band) in a WAV file. */
export async function measureTone(path: string, freq: number, opts: MeasureOptions = {}): Promise<ToneLevel> {
  const audio = readWav(path);
  const x = slice(audio, opts);
  const n = Math.round(BLOCK_SECONDS * audio.sampleRate);
  const w = hann(n);
  const threshold = opts.thresholdDbfs ?? -50;
  let sumSquares = 0;
  let blocks = 0;
  let active = 0;
  for (let start = 0; start + n <= x.length; start += n) {
    const amp = goertzelAmplitude(x, start, w, freq, audio.sampleRate);
    const blockRms = amp / Math.SQRT2;
    sumSquares += blockRms * blockRms;
    blocks++;
    if (toDb(blockRms) > threshold) active++;
  }
  const rms = blocks > 0 ? Math.sqrt(sumSquares / blocks) : 0;
  return { rms, dbfs: toDb(rms), activeSeconds: active * BLOCK_SECONDS };
}

/** Broadband RMS level of a WAV file (or part of it). */
export async function measureLevel(path: string, opts: MeasureOptions = {}): Promise<{ rms: number; dbfs: number }> {
  const x = slice(readWav(path), opts);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i] ?? 0) ** 2;
  const rms = x.length > 0 ? Math.sqrt(sum / x.length) : 0;
  return { rms, dbfs: toDb(rms) };
}

// In-place iterative radix-2 FFT.
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] ?? 0, re[i] ?? 0];
      [im[i], im[j]] = [im[j] ?? 0, im[i] ?? 0];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const cr = Math.cos(ang * k);
        const ci = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const br = re[b] ?? 0;
        const bi = im[b] ?? 0;
        const tr = br * cr - bi * ci;
        const ti = br * ci + bi * cr;
        re[b] = (re[a] ?? 0) - tr;
        im[b] = (im[a] ?? 0) - ti;
        re[a] = (re[a] ?? 0) + tr;
        im[a] = (im[a] ?? 0) + ti;
      }
    }
  }
}

/** Frequency (Hz) with the most energy in a WAV file, ignoring DC and below 50 Hz; 0 for silence. */
export async function dominantFrequency(path: string, opts: MeasureOptions = {}): Promise<number> {
  const audio = readWav(path);
  const x = slice(audio, opts);
  const n = 2048;
  const w = hann(n);
  const spectrum = new Float64Array(n / 2);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let blocks = 0;
  for (let start = 0; start + n <= x.length; start += n / 2) {
    for (let i = 0; i < n; i++) {
      re[i] = (x[start + i] ?? 0) * (w[i] ?? 0);
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < n / 2; k++) spectrum[k] = (spectrum[k] ?? 0) + (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
    blocks++;
  }
  if (blocks === 0) return 0;
  let energy = 0;
  for (let i = 0; i < x.length; i++) energy += (x[i] ?? 0) ** 2;
  // Below -70 dBFS there is nothing worth calling a frequency.
  if (toDb(Math.sqrt(energy / x.length)) < -70) return 0;
  const minBin = Math.ceil((50 * n) / audio.sampleRate);
  let best = minBin;
  for (let k = minBin; k < n / 2 - 1; k++) if ((spectrum[k] ?? 0) > (spectrum[best] ?? 0)) best = k;
  const peak = spectrum[best] ?? 0;
  // Parabolic interpolation on log power refines the peak between bins.
  const a = Math.log((spectrum[best - 1] ?? 0) + 1e-30);
  const b = Math.log(peak + 1e-30);
  const c = Math.log((spectrum[best + 1] ?? 0) + 1e-30);
  const denom = a - 2 * b + c;
  const delta = denom !== 0 ? (0.5 * (a - c)) / denom : 0;
  return ((best + delta) * audio.sampleRate) / n;
}

// A simulated door: a speech-like far-end signal, the echo it makes through a
// room impulse response, and the measures an echo test needs (levels, ERLE).
// Everything is deterministic (seeded), so a test sees the same audio each run.

/** A small seeded generator (LCG), uniform in [-1, 1). */
export function noiseSource(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Length, level, seed and band of a speech-like signal. */
export interface SpeechLikeOptions {
  rate: number;
  seconds: number;
  /** Peak-ish level as a fraction of full scale. Default 0.25. */
  level?: number;
  seed?: number;
  /** Band of the noise, Hz. Default 200..3400. */
  lowHz?: number;
  highHz?: number;
}

// Second-order band-pass (RBJ cookbook, constant peak gain) run over a signal.
function bandPass(x: Float64Array, rate: number, lowHz: number, highHz: number): Float64Array {
  const f0 = Math.sqrt(lowHz * highHz);
  const q = f0 / (highHz - lowHz);
  const w0 = (2 * Math.PI * f0) / rate;
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  const b0 = alpha / a0;
  const b2 = -alpha / a0;
  const a1 = (-2 * Math.cos(w0)) / a0;
  const a2 = (1 - alpha) / a0;
  const y = new Float64Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] ?? 0;
    const yi = b0 * xi + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = xi; y2 = y1; y1 = yi;
    y[i] = yi;
  }
  return y;
}

/**
 * Band-limited noise shaped into syllables: bursts of 120-300 ms with a smooth
 * envelope, separated by short gaps and an occasional longer pause, like speech.
 */
export function speechLike(opts: SpeechLikeOptions): Float64Array {
  const n = Math.round(opts.rate * opts.seconds);
  const rnd = noiseSource(opts.seed ?? 7);
  const white = new Float64Array(n);
  for (let i = 0; i < n; i++) white[i] = rnd();
  const band = bandPass(bandPass(white, opts.rate, opts.lowHz ?? 200, opts.highHz ?? 3400), opts.rate, opts.lowHz ?? 200, opts.highHz ?? 3400);
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(band[i] ?? 0));
  const out = new Float64Array(n);
  const level = (opts.level ?? 0.25) * 32767;
  let i = 0;
  let syllable = 0;
  while (i < n) {
    const len = Math.round(opts.rate * (0.12 + 0.18 * (rnd() * 0.5 + 0.5)));
    const amp = 0.5 + 0.5 * (rnd() * 0.5 + 0.5);
    for (let k = 0; k < len && i + k < n; k++) {
      const env = Math.sin((Math.PI * k) / len);
      out[i + k] = ((band[i + k] ?? 0) / (peak || 1)) * 2.5 * env * amp * level;
    }
    i += len;
    syllable++;
    i += Math.round(opts.rate * (syllable % 6 === 0 ? 0.35 : 0.04));
  }
  return out;
}

/** A sine of `freq` at `level` (fraction of full scale), as a float signal in 16-bit units. */
export function sine(rate: number, seconds: number, freq: number, level: number): Float64Array {
  const n = Math.round(rate * seconds);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = level * 32767 * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Shape of a simulated speaker-to-microphone path. */
export interface RoomOptions {
  rate: number;
  /** Direct path delay (speaker -> mic plus sound card buffering). */
  delayMs: number;
  /** Gain of the strongest tap (the speaker is loud and close). */
  gain: number;
  /** Time for the reflections to decay by 1/e. */
  decayMs: number;
  /** Length of the response after the delay. */
  lengthMs: number;
  seed?: number;
}

/** A room impulse response: silence for the delay, a direct tap, then decaying random reflections. */
export function roomImpulse(o: RoomOptions): Float64Array {
  const d = Math.round((o.delayMs / 1000) * o.rate);
  const len = Math.round((o.lengthMs / 1000) * o.rate);
  const rnd = noiseSource(o.seed ?? 3);
  const h = new Float64Array(d + len);
  h[d] = o.gain;
  for (let k = 1; k < len; k++) h[d + k] = 0.35 * o.gain * Math.exp(-k / ((o.decayMs / 1000) * o.rate)) * rnd();
  return h;
}

/** x convolved with h, truncated to x's length. */
export function convolve(x: Float64Array, h: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let k = 0; k < h.length; k++) {
    const v = h[k] ?? 0;
    if (v === 0) continue;
    for (let i = k; i < x.length; i++) y[i] = (y[i] ?? 0) + v * (x[i - k] ?? 0);
  }
  return y;
}

/** Sample-wise sum of signals (the shortest length). */
export function mix(...xs: Float64Array[]): Float64Array {
  const n = Math.min(...xs.map((x) => x.length));
  const y = new Float64Array(n);
  for (const x of xs) for (let i = 0; i < n; i++) y[i] = (y[i] ?? 0) + (x[i] ?? 0);
  return y;
}

/** Rounds and saturates to 16-bit PCM. */
export function toPcm(x: Float64Array): Int16Array {
  const y = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.max(-32768, Math.min(32767, Math.round(x[i] ?? 0)));
  return y;
}

/** Runs two equally long PCM signals frame by frame through `step`, concatenating what it returns. */
export function runFrames(near: Int16Array, far: Int16Array, frame: number, step: (near: Int16Array, far: Int16Array) => Int16Array): Int16Array {
  const frames = Math.floor(Math.min(near.length, far.length) / frame);
  const out = new Int16Array(frames * frame);
  for (let f = 0; f < frames; f++) {
    const a = near.slice(f * frame, (f + 1) * frame);
    const b = far.slice(f * frame, (f + 1) * frame);
    out.set(step(a, b), f * frame);
  }
  return out;
}

/** Energy (sum of squares) of x[from, to). */
export function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < Math.min(to, x.length); i++) e += (x[i] ?? 0) ** 2;
  return e;
}

/** RMS level in dBFS (full-scale square = 0) of x[from, to). */
export function levelDbfs(x: ArrayLike<number>, from = 0, to = x.length): number {
  const n = Math.max(1, Math.min(to, x.length) - from);
  const rms = Math.sqrt(energy(x, from, to) / n) / 32768;
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}

/**
 * Echo return loss enhancement in dB: how much weaker the echo is after
 * processing than in the microphone, over [from, to), counting only frames in
 * which the far end is active (ERLE is undefined while nothing is played).
 */
export function erleDb(mic: ArrayLike<number>, out: ArrayLike<number>, far: ArrayLike<number>, frame: number, from: number, to: number): number {
  let eIn = 0;
  let eOut = 0;
  for (let s = from; s + frame <= to; s += frame) {
    if (levelDbfs(far, s, s + frame) < -50) continue;
    eIn += energy(mic, s, s + frame);
    eOut += energy(out, s, s + frame);
  }
  return 10 * Math.log10(eIn / Math.max(eOut, 1e-9));
}

/** Amplitude-based level (dBFS of its RMS) of the sinusoid at freq in x[from, to), by Goertzel over the whole stretch. */
export function toneDbfs(x: ArrayLike<number>, rate: number, freq: number, from: number, to: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  const n = to - from;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const s0 = (x[from + i] ?? 0) * w + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    wsum += w;
  }
  const amp = (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2))) / wsum;
  const rms = amp / Math.SQRT2 / 32768;
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}

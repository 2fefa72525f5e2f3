// Streaming sample-rate conversion by a rational factor L/M with a polyphase FIR.
//
// The prototype low-pass runs (conceptually) at L x the input rate: a Kaiser-windowed
// sinc cut off midway through a transition band that spans 0.4375..0.5625 of the lower
// of the two rates (3.5..4.5 kHz when one side is 8 kHz), with 80 dB stop-band
// attenuation. Content that would alias or image is therefore at least 80 dB down
// beyond 4.5 kHz, and everything below 3.5 kHz passes flat. Only the taps that meet a
// real (non zero-stuffed) input sample are evaluated, so each output sample costs
// K = ceil(N / L) multiply-adds: about 2 million per second of 8 kHz audio in either
// direction for 44.1/48 kHz devices.
//
// State (the last K-1 input samples and the output phase) is carried across calls,
// so feeding a signal in chunks of any size gives exactly the samples that feeding it
// whole would.

const STOPBAND_DB = 80;
const PASS_EDGE = 0.4375; // of the lower rate
const STOP_EDGE = 0.5625;
/** Upsampling factors beyond this would need an unreasonably large coefficient table. */
const MAX_PHASES = 1000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Polyphase coefficient table: phase p's K taps at [p*K, p*K+K), each phase summing to 1. */
function designPolyphase(L: number, M: number): { taps: Float64Array; K: number; length: number } {
  const protoRate = L; // in units of the input rate
  const low = Math.min(1, L / M); // lower rate, in units of the input rate
  const cutoff = (low * (PASS_EDGE + STOP_EDGE)) / 2 / protoRate; // cycles per prototype sample
  const transition = (low * (STOP_EDGE - PASS_EDGE)) / protoRate;
  // Kaiser's estimates of beta and order for the wanted attenuation (Kaiser 1974).
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  const order = Math.ceil((STOPBAND_DB - 7.95) / (2.285 * 2 * Math.PI * transition));
  // Length chosen so the delay, (N - 1) / 2 prototype samples, is a whole number of
  // output samples (M prototype samples each): whole-signal conversion can then
  // remove it exactly. Taps past N up to K * L are zero.
  const N = Math.ceil(order / (2 * M)) * 2 * M + 1;
  const K = Math.ceil(N / L);
  const centre = (N - 1) / 2;
  const i0Beta = besselI0(beta);
  const taps = new Float64Array(K * L);
  for (let p = 0; p < L; p++) {
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const j = p + k * L;
      if (j >= N) break;
      const t = j - centre;
      const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
      const r = centre > 0 ? t / centre : 0;
      const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
      const h = sinc * w;
      taps[p * K + k] = h;
      sum += h;
    }
    // Each phase sums to 1 so DC passes at unity gain whatever the output phase.
    for (let k = 0; k < K; k++) taps[p * K + k] = (taps[p * K + k] ?? 0) / sum;
  }
  return { taps, K, length: N };
}

/** Converts a stream of mono Int16 samples from `inRate` to `outRate`, chunk by chunk. */
export class Resampler {
  /** Upsampling factor L and downsampling factor M: outRate / inRate = L / M. */
  readonly up: number;
  readonly down: number;
  /** Taps evaluated per output sample. */
  readonly tapsPerOutput: number;
  /** Delay the filter adds, in output samples. */
  readonly delay: number;
  private readonly taps: Float64Array;
  private readonly history: Float64Array;
  private work = new Float64Array(0);
  /** Index, relative to the start of the next chunk, of the newest input sample the next output uses. */
  private nextBase = 0;
  /** Sub-sample phase of the next output, in 1/L input samples. */
  private phase = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new RangeError(`resampler: rates must be positive integers (got ${inRate} -> ${outRate})`);
    }
    const g = gcd(inRate, outRate);
    this.up = outRate / g;
    this.down = inRate / g;
    if (this.up > MAX_PHASES) {
      throw new RangeError(`resampler: ${inRate} -> ${outRate} Hz needs ${this.up} filter phases (at most ${MAX_PHASES} supported)`);
    }
    if (inRate === outRate) {
      this.taps = new Float64Array([1]);
      this.tapsPerOutput = 1;
      this.delay = 0;
    } else {
      const design = designPolyphase(this.up, this.down);
      this.taps = design.taps;
      this.tapsPerOutput = design.K;
      this.delay = (design.length - 1) / 2 / this.down;
    }
    this.history = new Float64Array(this.tapsPerOutput - 1);
  }

  /** Resamples the next chunk of the stream; the output length varies with the phase. */
  process(input: Int16Array): Int16Array {
    if (this.up === this.down) return input.slice();
    const K = this.tapsPerOutput;
    const hist = K - 1;
    const len = input.length;
    const total = hist + len;
    if (this.work.length < total) this.work = new Float64Array(total);
    const work = this.work;
    work.set(this.history, 0);
    for (let i = 0; i < len; i++) work[hist + i] = input[i] ?? 0;

    const L = this.up;
    const M = this.down;
    const taps = this.taps;
    const out = new Int16Array(Math.max(0, Math.ceil(((len - this.nextBase) * L) / M) + 1));
    let n = 0;
    let base = this.nextBase;
    let phase = this.phase;
    while (base < len) {
      const newest = hist + base;
      const t0 = phase * K;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (taps[t0 + k] ?? 0) * (work[newest - k] ?? 0);
      out[n++] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : Math.round(acc);
      phase += M;
      if (phase >= L) {
        const q = Math.floor(phase / L);
        base += q;
        phase -= q * L;
      }
    }
    this.nextBase = base - len;
    this.phase = phase;
    // Keep the newest K-1 samples (zeros count as silence before the stream began).
    this.history.set(work.subarray(total - hist, total));
    return n === out.length ? out : out.slice(0, n);
  }

  /** Forgets all past input, as if newly constructed. */
  reset(): void {
    this.history.fill(0);
    this.nextBase = 0;
    this.phase = 0;
  }
}

/**
 * Resamples a whole signal at once, compensating the filter delay so that output
 * sample i lines up with input time i * inRate / outRate; the result has
 * round(length * outRate / inRate) samples.
 */
export function resampleAll(samples: Int16Array, inRate: number, outRate: number): Int16Array {
  if (inRate === outRate) return samples.slice();
  const r = new Resampler(inRate, outRate);
  const outLen = Math.round((samples.length * outRate) / inRate);
  const skip = Math.round(r.delay);
  const head = r.process(samples);
  // Flush the filter with silence long enough to push the delayed tail out.
  const flush = r.process(new Int16Array(Math.ceil(((skip + 2) * inRate) / outRate) + r.tapsPerOutput));
  const all = new Int16Array(head.length + flush.length);
  all.set(head, 0);
  all.set(flush, head.length);
  return all.slice(skip, skip + outLen);
}

// Tone generator for call-progress and test tones: one or two sine
// components (425 Hz ringback, 1000 Hz test tone, DTMF-like pairs), a level
// in dBFS, an optional on/off cadence. Phase runs on across frames, and
// cadence edges are ramped, so frame boundaries and switching never click.

export interface ToneOptions {
  sampleRate: number;
  /** One or two frequencies in Hz, each below half the sample rate. */
  frequencies: number[];
  /**
   * Level of each component in dBFS, where 0 dBFS is a full-scale sine
   * (AES17 convention); default -10.
   */
  levelDbfs?: number;
  /** Alternating on/off durations in ms, repeated (e.g. [1000, 4000] for ringback); default always on. */
  cadenceMs?: number[];
}

/** Edge ramp length; long enough to avoid a click, short enough not to blur the cadence. */
const RAMP_MS = 4;

/** Stateful tone source; each next() continues where the previous one stopped. */
export class ToneGenerator {
  private readonly steps: number[];
  private readonly phases: number[];
  private readonly amplitude: number;
  /** Cadence segment boundaries in samples: [on, off, on, off, ...]. */
  private readonly cadence: number[];
  private readonly cycle: number;
  private readonly ramp: number;
  private position = 0;

  constructor(opts: ToneOptions) {
    if (!(opts.sampleRate > 0)) throw new RangeError(`tone sample rate must be positive, got ${opts.sampleRate}`);
    if (opts.frequencies.length < 1 || opts.frequencies.length > 2) {
      throw new RangeError(`a tone has one or two frequencies, got ${opts.frequencies.length}`);
    }
    for (const f of opts.frequencies) {
      if (!(f > 0 && f < opts.sampleRate / 2)) {
        throw new RangeError(`tone frequency ${f} Hz is outside 0-${opts.sampleRate / 2} Hz`);
      }
    }
    const level = opts.levelDbfs ?? -10;
    if (!(level <= 0)) throw new RangeError(`tone level must be at most 0 dBFS, got ${level}`);
    this.amplitude = 32767 * 10 ** (level / 20);
    this.steps = opts.frequencies.map((f) => (2 * Math.PI * f) / opts.sampleRate);
    this.phases = opts.frequencies.map(() => 0);
    const cadence = opts.cadenceMs ?? [];
    if (cadence.length % 2 !== 0 || cadence.some((ms) => !(ms >= 0))) {
      throw new RangeError(`tone cadence needs on/off pairs of non-negative ms, got [${cadence.join(', ')}]`);
    }
    this.cadence = cadence.map((ms) => Math.round((ms * opts.sampleRate) / 1000));
    this.cycle = this.cadence.reduce((a, b) => a + b, 0);
    this.ramp = Math.max(1, Math.round((RAMP_MS * opts.sampleRate) / 1000));
  }

  /** Produces the next `samples` samples of the tone. */
  next(samples: number): Int16Array {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++) {
      let v = 0;
      for (let k = 0; k < this.steps.length; k++) {
        const phase = this.phases[k] as number;
        v += Math.sin(phase);
        const advanced = phase + (this.steps[k] as number);
        this.phases[k] = advanced >= 2 * Math.PI ? advanced - 2 * Math.PI : advanced;
      }
      const g = this.gain();
      this.position = this.cycle > 0 ? (this.position + 1) % this.cycle : this.position + 1;
      const s = Math.round(v * this.amplitude * g);
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
    return out;
  }

  /** Restarts the tone (phase and cadence) from the beginning. */
  reset(): void {
    this.position = 0;
    this.phases.fill(0);
  }

  /** Envelope at the current position: 0 in off periods, ramped at the edges of on periods. */
  private gain(): number {
    if (this.cycle === 0) return this.position < this.ramp ? (this.position + 1) / this.ramp : 1;
    let start = 0;
    for (let i = 0; i < this.cadence.length; i += 2) {
      const on = this.cadence[i] as number;
      const off = this.cadence[i + 1] as number;
      if (this.position < start + on) {
        const into = this.position - start;
        const left = start + on - 1 - this.position;
        const r = Math.min(this.ramp, Math.floor(on / 2));
        if (r <= 0) return 1;
        return Math.min(1, (into + 1) / r, (left + 1) / r);
      }
      start += on + off;
      if (this.position < start) return 0;
    }
    return 0;
  }
}

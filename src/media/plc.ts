// Packet loss concealment on decoded PCM, deliberately simple: a missing
// stretch is filled by repeating the last good audio (one frame of it, in a
// loop) while fading it out linearly, so a single lost packet is barely
// heard; after the fade (60 ms by default) the output is silence, because
// repeating stale audio any longer sounds worse than a gap. The first good
// audio after concealment is faded in over 2 ms to avoid a click at the
// seam.

export interface ConcealerOptions {
  sampleRate: number;
  /** Length of the remembered history that is looped (default 20 ms). */
  historyMs?: number;
  /** Duration of the fade to silence (default 60 ms). */
  fadeMs?: number;
}

/** Remembers recent audio and invents replacement audio for gaps. */
export class Concealer {
  private readonly history: Int16Array;
  private readonly fadeSamples: number;
  private readonly rampSamples: number;
  /** How much of `history` holds real audio. */
  private filled = 0;
  /** Read position in the history loop during concealment. */
  private loopPos = 0;
  /** Samples concealed since the last good audio. */
  private concealedRun = 0;

  constructor(opts: ConcealerOptions) {
    this.history = new Int16Array(Math.max(1, Math.round((opts.sampleRate * (opts.historyMs ?? 20)) / 1000)));
    this.fadeSamples = Math.max(1, Math.round((opts.sampleRate * (opts.fadeMs ?? 60)) / 1000));
    this.rampSamples = Math.max(1, Math.round(opts.sampleRate / 500)); // 2 ms
  }

  /** Passes good audio through (fading in after a concealed gap) and remembers its tail. */
  good(pcm: Int16Array): Int16Array {
    let out = pcm;
    if (this.concealedRun > 0) {
      out = Int16Array.from(pcm);
      const n = Math.min(this.rampSamples, out.length);
      for (let i = 0; i < n; i++) out[i] = Math.round(((out[i] as number) * (i + 1)) / (n + 1));
    }
    this.concealedRun = 0;
    this.loopPos = 0;
    this.remember(pcm);
    return out;
  }

  /** Produces `samples` of replacement audio: the looped history, fading to silence. */
  conceal(samples: number): Int16Array {
    const out = new Int16Array(samples);
    // Nothing heard yet: plain silence, and no fade-in owed afterwards.
    if (this.filled === 0) return out;
    const start = this.history.length - this.filled;
    for (let i = 0; i < samples; i++) {
      const gain = 1 - this.concealedRun / this.fadeSamples;
      if (gain <= 0) break;
      out[i] = Math.round((this.history[start + this.loopPos] as number) * gain);
      this.loopPos = (this.loopPos + 1) % this.filled;
      this.concealedRun++;
    }
    return out;
  }

  /** True once the fade has ended and only silence is being produced. */
  get faded(): boolean {
    return this.filled === 0 || this.concealedRun >= this.fadeSamples;
  }

  /** Forgets the history (e.g. on a new stream). */
  reset(): void {
    this.filled = 0;
    this.loopPos = 0;
    this.concealedRun = 0;
  }

  private remember(pcm: Int16Array): void {
    const h = this.history;
    if (pcm.length >= h.length) {
      h.set(pcm.subarray(pcm.length - h.length));
      this.filled = h.length;
      return;
    }
    // Shift the older audio left and append.
    h.copyWithin(0, pcm.length);
    h.set(pcm, h.length - pcm.length);
    this.filled = Math.min(h.length, this.filled + pcm.length);
  }
}

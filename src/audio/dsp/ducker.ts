// Half-duplex ducking, the fallback when no echo canceller is available: while
// the far end is speaking (its frames played on the speaker are loud enough),
// the microphone is turned down, so the person indoors does not hear their own
// voice come back from the door. It costs the door's ability to interrupt.
//
// The detector looks at the frame being played, which is exactly what the
// microphone can pick up. A hang-over keeps the microphone down for a while
// after the far end stops, so the tail of the echo (room reverberation, the
// sound card's buffering) is not let through; the gain then ramps within one
// frame so switching makes no click.
import { dbToFactor } from './gain.ts';

/** How the ducker decides and how much it attenuates. */
export interface DuckerOptions {
  sampleRate: number;
  /** Microphone attenuation while the far end speaks, in dB (positive). */
  attenuationDb: number;
  /** A played frame at or above this RMS level (dBFS, full-scale sine = -3) counts as far-end speech. */
  thresholdDbfs: number;
  /** How long the microphone stays down after the far end's last loud frame. */
  hangMs: number;
}

/** RMS level of a frame in dBFS (full-scale square = 0); -120 for digital silence. */
export function frameDbfs(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += (frame[i] ?? 0) ** 2;
  const rms = frame.length > 0 ? Math.sqrt(sum / frame.length) / 32768 : 0;
  return rms > 0 ? Math.max(-120, 20 * Math.log10(rms)) : -120;
}

/** Far-end speech detector with hang-over, and the microphone gain that follows it. */
export class HalfDuplexDucker {
  private readonly duckFactor: number;
  private readonly hangSamples: number;
  /** Samples of hang-over left; > 0 means the far end counts as speaking. */
  private hangLeft = 0;
  private gain = 1;

  constructor(private readonly opts: DuckerOptions) {
    if (!(opts.attenuationDb >= 0)) throw new RangeError(`ducker: attenuation ${opts.attenuationDb} dB must be 0 or more`);
    this.duckFactor = dbToFactor(-opts.attenuationDb);
    this.hangSamples = Math.round((opts.hangMs / 1000) * opts.sampleRate);
  }

  /** Whether the microphone is currently held down. */
  get ducking(): boolean {
    return this.hangLeft > 0;
  }

  /** The microphone frame, attenuated when `far` (the frame played at the same time) is speech. */
  process(near: Int16Array, far: Int16Array): Int16Array {
    if (frameDbfs(far) >= this.opts.thresholdDbfs) this.hangLeft = this.hangSamples + far.length;
    else this.hangLeft = Math.max(0, this.hangLeft - far.length);
    const target = this.hangLeft > 0 ? this.duckFactor : 1;
    const from = this.gain;
    const out = new Int16Array(near.length);
    const n = near.length;
    for (let i = 0; i < n; i++) {
      // A linear ramp across the frame from the last gain to the new one.
      const g = from + ((target - from) * (i + 1)) / n;
      out[i] = Math.round((near[i] ?? 0) * g);
    }
    this.gain = target;
    return out;
  }
}

// Fixed gains in dB for the microphone and the speaker. A boost can push a
// sample past 16 bits; it saturates at full scale instead of wrapping round
// (a wrapped sample is a loud click, a clipped one only distortion).

/** The linear factor of a gain in dB (20·log10 convention: +6.02 dB doubles). */
export function dbToFactor(db: number): number {
  return 10 ** (db / 20);
}

/** A new frame: `frame` times `factor`, rounded and saturated to the Int16 range. */
export function scaleFrame(frame: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(frame.length);
  for (let i = 0; i < frame.length; i++) {
    const v = Math.round((frame[i] ?? 0) * factor);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** A gain stage; 0 dB hands the frame through untouched (no copy). */
export class Gain {
  private readonly factor: number;

  constructor(readonly db: number) {
    if (!Number.isFinite(db)) throw new RangeError(`gain: ${db} dB is not a number`);
    this.factor = dbToFactor(db);
  }

  /** The frame with the gain applied (the same array when the gain is 0 dB). */
  apply(frame: Int16Array): Int16Array {
    return this.db === 0 ? frame : scaleFrame(frame, this.factor);
  }
}

// What a side of the demonstration heard, in numbers: the strongest tone's
// frequency, its level in dBFS and how much of the signal it makes up. The
// Goertzel algorithm evaluates one DFT bin at any frequency, so a coarse scan
// over short blocks finds the tone and a fine scan over the whole span pins
// it down. Levels follow AES17, as media/tone.ts does: a full-scale sine is 0 dBFS.

/** The strongest tone in a stretch of audio. */
export interface ToneMeasurement {
  frequencyHz: number;
  /** Level of that tone alone (AES17: a full-scale sine is 0 dBFS). */
  levelDbfs: number;
  /** Share of the signal's power that is this tone, 0-1 (1: a pure tone, low: noise or a mixture). */
  purity: number;
}

/** Amplitude (peak, in sample units) of the component at `freq` in `samples` (Goertzel, rectangular window). */
export function toneAmplitude(samples: ArrayLike<number>, sampleRate: number, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2);
  return (2 * Math.sqrt(power)) / n;
}

const COARSE_BLOCK_S = 0.1;
const COARSE_STEP_HZ = 5;
const FINE_STEP_HZ = 0.25;

/** Finds the strongest tone between 50 Hz and just below half the sample rate; undefined for silence or too little audio. */
export function measureTone(samples: Int16Array, sampleRate: number): ToneMeasurement | undefined {
  const block = Math.round(sampleRate * COARSE_BLOCK_S);
  if (samples.length < block) return undefined;
  let energy = 0;
  for (const s of samples) energy += s * s;
  const meanSquare = energy / samples.length;
  if (meanSquare < 1) return undefined; // digital silence

  // Coarse: average power per 5 Hz step over 100 ms blocks (10 Hz bins, so no tone falls between steps).
  let coarse = 0;
  let best = -1;
  for (let f = 50; f < sampleRate / 2 - 50; f += COARSE_STEP_HZ) {
    let p = 0;
    for (let at = 0; at + block <= samples.length; at += block) p += toneAmplitude(samples.subarray(at, at + block), sampleRate, f) ** 2;
    if (p > best) {
      best = p;
      coarse = f;
    }
  }
  // Fine: the whole span around the coarse peak.
  let frequencyHz = coarse;
  let amplitude = 0;
  for (let f = coarse - 2 * COARSE_STEP_HZ; f <= coarse + 2 * COARSE_STEP_HZ; f += FINE_STEP_HZ) {
    const a = toneAmplitude(samples, sampleRate, f);
    if (a > amplitude) {
      amplitude = a;
      frequencyHz = f;
    }
  }
  return {
    frequencyHz,
    levelDbfs: 20 * Math.log10(Math.max(amplitude, 1e-9) / 32767),
    purity: Math.min(1, (amplitude * amplitude) / 2 / meanSquare),
  };
}

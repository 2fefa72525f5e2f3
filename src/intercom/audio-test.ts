// The speaker-to-microphone test tone of `intercom doctor`: 1 kHz for about a
// second on the speaker while as many frames are read from the microphone, then
// the 1 kHz level in what was captured. Shared by the running station (which
// holds the sound devices) and the doctor (which opens them when no station runs).
import type { AudioFormat, AudioSource } from '../audio/device.ts';
import { FrameClock } from '../media/frame-clock.ts';
import { toneSound, type Sound } from '../media/sound.ts';
import { toneAmplitude } from './demo-measure.ts';

export const TEST_TONE_HZ = 1000;
/** Loud enough to cross a room's noise, well below clipping. */
export const TEST_TONE_DBFS = -10;
export const TEST_TONE_MS = 1000;
/** Reported for a capture with no 1 kHz at all, so the value stays a finite JSON number. */
export const SILENCE_DBFS = -120;

/** What the test did: whether a tone went out, how loud 1 kHz came back, over how many frames. */
export interface AudioTestResult {
  played: boolean;
  heard_dbfs: number;
  frames: number;
}

/** The test tone at the station's format, cut after TEST_TONE_MS. */
export function testToneSound(fmt: AudioFormat): Sound {
  return toneSound('test tone', { sampleRate: fmt.sampleRate, frequencies: [TEST_TONE_HZ], levelDbfs: TEST_TONE_DBFS, durationMs: TEST_TONE_MS });
}

/** Frames the tone lasts at `ptimeMs`; the microphone is read for as many. */
export function testFrames(ptimeMs: number): number {
  return Math.ceil(TEST_TONE_MS / ptimeMs);
}

/** Level of the 1 kHz component in the captured frames (AES17: a full-scale sine is 0 dBFS), to 0.1 dB. */
export function heardLevelDbfs(frames: readonly Int16Array[], sampleRate: number): number {
  const total = frames.reduce((n, f) => n + f.length, 0);
  const all = new Int16Array(total);
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  const amplitude = toneAmplitude(all, sampleRate, TEST_TONE_HZ);
  if (amplitude <= 0) return SILENCE_DBFS;
  const dbfs = 20 * Math.log10(amplitude / 32767);
  return Math.max(SILENCE_DBFS, Math.round(dbfs * 10) / 10);
}

/**
 * Reads `frames` frames from `source` on a drift-free clock of `ptimeMs`,
 * calling `each(i)` just before frame i is read (the doctor writes its tone
 * frame there). Resolves with the captured frames.
 */
export function captureFrames(source: AudioSource, frames: number, ptimeMs: number, each: (i: number) => void = () => {}): Promise<Int16Array[]> {
  const clock = new FrameClock({ startNs: process.hrtime.bigint(), frameMs: ptimeMs });
  const captured: Int16Array[] = [];
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      try {
        const due = clock.due(process.hrtime.bigint());
        for (let k = 0; k < due.frames && captured.length < frames; k++) {
          each(captured.length);
          captured.push(source.read());
        }
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (captured.length >= frames) resolve(captured);
      else setTimeout(tick, Math.max(1, clock.delayUntilNextMs(process.hrtime.bigint())));
    };
    tick();
  });
}

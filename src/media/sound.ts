// Finite or endless sounds played frame by frame: a call-progress tone with an
// optional total length, or a recorded prompt. Pure: the caller's clock decides
// when the next frame is taken.
import { ToneGenerator, type ToneOptions } from './tone.ts';

/** Something that can be played one frame at a time until it is done. */
export interface Sound {
  /** What it is, for logs ("ringback", "prompt busy"). */
  readonly name: string;
  /** The next `samples` samples, or undefined once the sound is over (a short last frame is padded with silence). */
  next(samples: number): Int16Array | undefined;
}

/** A tone (see ToneGenerator), endless or cut after `durationMs`. */
export function toneSound(name: string, opts: ToneOptions & { durationMs?: number }): Sound {
  const gen = new ToneGenerator(opts);
  let left = opts.durationMs === undefined ? Infinity : Math.round((opts.durationMs * opts.sampleRate) / 1000);
  return {
    name,
    next(samples) {
      if (left <= 0) return undefined;
      const frame = gen.next(samples);
      // Zero what lies past the end rather than cutting the frame short: sinks take whole frames.
      if (left < samples) frame.fill(0, left);
      left -= samples;
      return frame;
    },
  };
}

/** Recorded audio (already at the playing rate), played once. */
export function pcmSound(name: string, pcm: Int16Array): Sound {
  let pos = 0;
  return {
    name,
    next(samples) {
      if (pos >= pcm.length) return undefined;
      const frame = new Int16Array(samples);
      frame.set(pcm.subarray(pos, pos + samples));
      pos += samples;
      return frame;
    },
  };
}

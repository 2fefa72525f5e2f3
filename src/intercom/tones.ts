// The station's sounds, built once at start from the `tones:` config: for each
// occasion (cue) either its recorded prompt, resampled to the codec rate, or its
// tone. A disabled tone with no prompt plays nothing.
import type { AudioFormat } from '../audio/device.ts';
import { resampleAll } from '../audio/resampler.ts';
import { readWavFile } from '../audio/wav.ts';
import type { ToneConfig, TonesConfig } from '../config/tones-schema.ts';
import { pcmSound, toneSound, type Sound } from '../media/sound.ts';
import { TONE_CUES, type ToneCue } from './tone-policy.ts';

/** Makes a fresh Sound for a cue, or undefined when that cue is silent. */
export type CueSounds = (cue: ToneCue) => Sound | undefined;

/** The tone setting each cue uses when it has no prompt ("unavailable" sounds like busy). */
function toneFor(tones: TonesConfig, cue: ToneCue): ToneConfig {
  return cue === 'unavailable' ? tones.busy : tones[cue];
}

/** Loads the prompts and returns the cue -> sound factory; rejects with `tones.prompts.CUE: ...` in one line. */
export async function loadCueSounds(tones: TonesConfig, fmt: AudioFormat): Promise<CueSounds> {
  const prompts = new Map<ToneCue, Int16Array>();
  for (const cue of TONE_CUES) {
    const path = tones.prompts[cue];
    if (path === undefined) continue;
    try {
      const wav = await readWavFile(path, 16 * 1024 * 1024);
      prompts.set(cue, resampleAll(wav.samples, wav.sampleRate, fmt.sampleRate));
    } catch (err) {
      throw new Error(`tones.prompts.${cue}: ${path}: ${(err as Error).message}`);
    }
  }
  return (cue) => {
    const pcm = prompts.get(cue);
    if (pcm) return pcmSound(`prompt ${cue}`, pcm);
    const t = toneFor(tones, cue);
    if (!t.enabled) return undefined;
    return toneSound(cue, {
      sampleRate: fmt.sampleRate,
      frequencies: t.frequencies.filter((f) => f < fmt.sampleRate / 2),
      levelDbfs: t.level,
      cadenceMs: t.cadence_ms,
      ...('duration_ms' in t && typeof t.duration_ms === 'number' ? { durationMs: t.duration_ms } : {}),
    });
  };
}

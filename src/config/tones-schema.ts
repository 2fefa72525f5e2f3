// The `tones:` section: which call-progress sounds the door plays on its own
// speaker (and, for the confirmation and the warning, into the call), how they
// sound, how loud, and recorded prompts that replace them.
import { z } from 'zod';

/** One tone: on/off, one or two frequencies, a cadence, a level and (for short signals) a length. */
export interface ToneConfig {
  enabled: boolean;
  /** One or two frequencies in Hz, played together. */
  frequencies: number[];
  /** Alternating on/off times in ms, repeated; empty means steady. */
  cadence_ms: number[];
  /** Level of each frequency in dBFS (a full-scale sine is 0). */
  level: number;
}

/** A tone that stops by itself after `duration_ms`. */
export interface ShortToneConfig extends ToneConfig {
  duration_ms: number;
}

/** The parsed `tones:` section with every default filled in. */
export interface TonesConfig {
  /** Ringback on the door's speaker while the called phones ring. */
  ringback: ToneConfig;
  /** Busy/failure signal when a call fails (busy, unreachable, no answer). */
  busy: ShortToneConfig;
  /** Door-open confirmation, on the speaker and into the call. */
  confirm: ShortToneConfig;
  /** Call-ending warning, on the speaker and into the call. */
  warning: ShortToneConfig & { before_s: number };
  /** Recorded prompts (WAV) played instead of a tone, by occasion; absolute paths once loaded. */
  prompts: Partial<Record<'ringback' | 'busy' | 'unavailable' | 'confirm' | 'warning', string>>;
}

/** Level in dBFS from `-20` (dBFS) or `"10%"` (of full-scale amplitude). */
const level = () =>
  z
    .union([z.number(), z.string()], { error: 'must be a level in dBFS (e.g. -20) or a percentage (e.g. "10%")' })
    .transform((v, ctx) => {
      if (typeof v === 'number') {
        if (Number.isFinite(v) && v <= 0 && v >= -90) return v;
        ctx.addIssue({ code: 'custom', message: 'a dBFS level must be from -90 to 0', input: v });
        return z.NEVER;
      }
      const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
      const pct = m ? Number(m[1]) : NaN;
      if (pct > 0 && pct <= 100) return 20 * Math.log10(pct / 100);
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a percentage above 0 and at most 100 (e.g. "10%")`, input: v });
      return z.NEVER;
    });

interface ToneDefaults {
  frequencies: number[];
  cadence_ms: number[];
  level: number;
}

// The highest frequency has to stay below half of the narrowband (8 kHz) rate.
const frequency = () => z.number().min(50, { error: 'must be from 50 to 3800 Hz' }).max(3800, { error: 'must be from 50 to 3800 Hz' });

/** A tone that plays until it is stopped (ringback). */
const tone = (d: ToneDefaults) =>
  z.strictObject({
    enabled: z.boolean().default(true),
    frequencies: z.array(frequency()).min(1, { error: 'needs one or two frequencies' }).max(2, { error: 'needs one or two frequencies' }).default(d.frequencies),
    cadence_ms: z
      .array(z.number().int({ error: 'must be whole milliseconds' }).min(0).max(60000, { error: 'must be at most 60000 ms' }))
      .refine((c) => c.length % 2 === 0, { error: 'needs on/off pairs (an even number of durations)' })
      .refine((c) => c.length === 0 || c.some((ms) => ms > 0), { error: 'must not be all zero' })
      .default(d.cadence_ms),
    level: level().default(d.level),
  });

/** A tone with a length of its own (busy, confirmation, warning). */
const shortTone = (d: ToneDefaults & { duration_ms: number }) =>
  tone(d).extend({
    duration_ms: z.number().int({ error: 'must be whole milliseconds' }).min(20).max(60000, { error: 'must be from 20 to 60000 ms' }).default(d.duration_ms),
  });

const promptPath = () => z.string().min(1, { error: 'must be the path of a WAV file' });

/** Schema of the `tones:` section, with the European (CEPT) call-progress tones as defaults. */
export const tonesSection = () =>
  z.strictObject({
    ringback: tone({ frequencies: [425], cadence_ms: [1000, 4000], level: -20 }).prefault({}),
    busy: shortTone({ frequencies: [425], cadence_ms: [480, 480], level: -20, duration_ms: 3000 }).prefault({}),
    confirm: shortTone({ frequencies: [1400], cadence_ms: [150, 100], level: -16, duration_ms: 500 }).prefault({}),
    warning: shortTone({ frequencies: [950], cadence_ms: [200, 200], level: -18, duration_ms: 1200 })
      .extend({ before_s: z.number().min(0).max(3600, { error: 'must be from 0 to 3600 seconds' }).default(30) })
      .prefault({}),
    // `prompts:` with every line commented out is YAML null: the same as leaving it out.
    prompts: z.preprocess((v) => (v === null ? undefined : v), z
      .strictObject({
        ringback: promptPath().optional(),
        busy: promptPath().optional(),
        unavailable: promptPath().optional(),
        confirm: promptPath().optional(),
        warning: promptPath().optional(),
      })
      .prefault({})),
  });

// Compile-time proof that the section produces exactly `TonesConfig`.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tonesMatch: Same<z.output<ReturnType<typeof tonesSection>>, TonesConfig> = true;
void tonesMatch;

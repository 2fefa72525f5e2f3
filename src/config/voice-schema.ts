// The audio section's voice-processing keys: echo cancellation, noise
// suppression, AGC and the microphone/speaker gains (see src/audio/dsp/).
import { z } from 'zod';

/** The voice-processing keys of `audio:`, with defaults filled in. */
export interface VoiceKeys {
  /** speex: SpeexDSP echo canceller; half-duplex: duck the mic while the far end talks; off. */
  echo_cancellation: 'speex' | 'half-duplex' | 'off';
  /** Echo the canceller models, in ms (20..500): room reverberation plus sound card latency. */
  echo_tail_ms: number;
  /** SpeexDSP noise suppression of the microphone (street, wind, fans). */
  noise_suppression: boolean;
  /** SpeexDSP automatic gain control of the microphone. */
  agc: boolean;
  /** Fixed microphone gain in dB (-20..30), applied before any processing. */
  mic_gain_db: number;
  /** Fixed speaker gain in dB (-40..20), applied to what is played (tones included). */
  speaker_gain_db: number;
  /** Ducking used by echo_cancellation: half-duplex (and when SpeexDSP is missing). */
  half_duplex: {
    /** Microphone attenuation while the far end talks, in dB (6..60). */
    attenuation_db: number;
    /** Played level (dBFS RMS, -70..-10) from which the far end counts as talking. */
    threshold_dbfs: number;
    /** How long the microphone stays down after the far end stops, in ms (0..2000). */
    hang_ms: number;
  };
}

function numberBetween(min: number, max: number, unit: string, int = false) {
  const error = `must be ${int ? 'a whole number' : 'a number'} of ${unit} from ${min} to ${max}`;
  const n = z.number({ error });
  return (int ? n.int({ error }) : n).min(min, { error }).max(max, { error });
}

/** The keys as zod shapes, spread into the audio section's object. */
export function voiceKeys() {
  return {
    echo_cancellation: z
      .enum(['speex', 'half-duplex', 'off'], { error: 'must be speex, half-duplex or off' })
      .default('speex'),
    // A PortAudio card's own round trip was measured at 170-200 ms: 300 ms leaves room for the room.
    echo_tail_ms: numberBetween(20, 500, 'ms', true).default(300),
    noise_suppression: z.boolean({ error: 'must be true or false' }).default(true),
    agc: z.boolean({ error: 'must be true or false' }).default(false),
    mic_gain_db: numberBetween(-20, 30, 'dB').default(0),
    speaker_gain_db: numberBetween(-40, 20, 'dB').default(0),
    half_duplex: z.preprocess(
      // `half_duplex:` written empty (YAML null) means the defaults.
      (v) => (v === null ? undefined : v),
      z
        .strictObject({
          attenuation_db: numberBetween(6, 60, 'dB').default(30),
          threshold_dbfs: numberBetween(-70, -10, 'dBFS').default(-40),
          hang_ms: numberBetween(0, 2000, 'ms', true).default(300),
        })
        .prefault({}),
    ),
  };
}

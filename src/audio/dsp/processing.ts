// The call's voice processing: the one stage between the sound card and RTP.
// Each frame period the media loop hands it the far-end frame (decoded from
// the network, about to be played) and the near-end frame (the microphone) of
// the same 20 ms; it returns what to play and what to send:
//
//   play = far · speaker gain
//   send = mic · mic gain -> echo canceller (reference: play) -> preprocessor
//          (residual echo, noise suppression, AGC)                [speex]
//   send = mic · mic gain -> preprocessor -> ducked while `play` is speech   [half-duplex]
//   send = mic · mic gain -> preprocessor (when noise suppression/AGC is on) [off]
//
// The echo reference is exactly what goes to the speaker, so the speaker gain
// is inside the echo path the canceller learns. The speex states live for one
// call and are freed by close().
import type { AudioFormat } from '../device.ts';
import type { EventLog } from '../../log/logger.ts';
import { HalfDuplexDucker } from './ducker.ts';
import { Gain } from './gain.ts';
import { loadSpeexDsp, type SpeexDsp, type SpeexEchoCanceller, type SpeexLoad, type SpeexPreprocessor } from './speexdsp.ts';

/** `audio.echo_cancellation`: the speex canceller, ducking the microphone, or nothing. */
export type EchoMode = 'speex' | 'half-duplex' | 'off';

/** The keys of the config's audio section this stage reads (snake_case, as in the YAML). */
export interface VoiceConfig {
  echo_cancellation: EchoMode;
  /** Length of echo the canceller models, in ms (room reverberation + sound card latency). */
  echo_tail_ms: number;
  noise_suppression: boolean;
  agc: boolean;
  mic_gain_db: number;
  speaker_gain_db: number;
  half_duplex: { attenuation_db: number; threshold_dbfs: number; hang_ms: number };
}

/** One call's processing; feed it frames of the format it was made for. */
export interface VoiceProcessor {
  /** What it does, e.g. "speex aec 128 ms + noise suppression". */
  readonly description: string;
  /** `near` = microphone frame, `far` = received frame of the same period -> frames to send and to play. */
  process(near: Int16Array, far: Int16Array): { send: Int16Array; play: Int16Array };
  /** Frees native state; afterwards frames pass with gains only. Idempotent. */
  close(): void;
}

/** Made once per station: the mode that really applies, and a processor per call. */
export interface VoiceProcessing {
  /** The echo mode in effect (speex falls back to half-duplex without the library). */
  readonly mode: EchoMode;
  /** A processor for one call's frames. Never throws: a failure degrades to half-duplex with a log line. */
  create(format: AudioFormat): VoiceProcessor;
}

/** Options for tests: where the library comes from. */
export interface VoiceProcessingDeps {
  loadSpeex?: () => SpeexLoad;
}

/** Resolves the configured mode against what this machine has, logging the outcome once. */
export function createVoiceProcessing(cfg: VoiceConfig, log: EventLog, deps: VoiceProcessingDeps = {}): VoiceProcessing {
  const wantsSpeex = cfg.echo_cancellation === 'speex' || cfg.noise_suppression || cfg.agc;
  let dsp: SpeexDsp | undefined;
  if (wantsSpeex) {
    const loaded = (deps.loadSpeex ?? loadSpeexDsp)();
    if (loaded.ok) dsp = loaded.dsp;
    else {
      const lost = [cfg.noise_suppression ? 'noise suppression' : '', cfg.agc ? 'agc' : ''].filter(Boolean).join(' and ');
      log.warn('audio.speexdsp-unavailable', {
        reason: loaded.reason,
        ...(cfg.echo_cancellation === 'speex' ? { fallback: 'half-duplex' } : {}),
        ...(lost ? { off: lost } : {}),
      });
    }
  }
  const mode: EchoMode = cfg.echo_cancellation === 'speex' && !dsp ? 'half-duplex' : cfg.echo_cancellation;
  log.info('audio.processing', {
    echo: mode,
    ...(mode === 'speex' ? { tailMs: cfg.echo_tail_ms } : {}),
    ...(mode === 'half-duplex' ? { duckDb: cfg.half_duplex.attenuation_db } : {}),
    noiseSuppression: cfg.noise_suppression && dsp !== undefined,
    agc: cfg.agc && dsp !== undefined,
    micGainDb: cfg.mic_gain_db,
    speakerGainDb: cfg.speaker_gain_db,
  });
  return {
    mode,
    create(format) {
      try {
        return new CallVoiceProcessor(cfg, mode, format, dsp);
      } catch (e) {
        log.warn('audio.processing-failed', { reason: (e as Error).message, fallback: 'half-duplex' });
        return new CallVoiceProcessor(cfg, 'half-duplex', format, undefined);
      }
    },
  };
}

class CallVoiceProcessor implements VoiceProcessor {
  readonly description: string;
  private readonly micGain: Gain;
  private readonly speakerGain: Gain;
  private echo?: SpeexEchoCanceller;
  private pre?: SpeexPreprocessor;
  private readonly ducker?: HalfDuplexDucker;
  private readonly out: Int16Array;

  constructor(cfg: VoiceConfig, mode: EchoMode, private readonly format: AudioFormat, dsp: SpeexDsp | undefined) {
    this.micGain = new Gain(cfg.mic_gain_db);
    this.speakerGain = new Gain(cfg.speaker_gain_db);
    this.out = new Int16Array(format.frameSamples);
    const parts: string[] = [];
    try {
      if (mode === 'speex' && dsp) {
        const tail = Math.max(format.frameSamples, Math.round((cfg.echo_tail_ms / 1000) * format.sampleRate));
        this.echo = dsp.createEchoCanceller(format.frameSamples, tail, format.sampleRate);
        parts.push(`speex aec ${cfg.echo_tail_ms} ms`);
      }
      // With a canceller the preprocessor always runs: it removes the echo the linear filter leaves.
      if (dsp && (this.echo || cfg.noise_suppression || cfg.agc)) {
        this.pre = dsp.createPreprocessor(format.frameSamples, format.sampleRate, { denoise: cfg.noise_suppression, agc: cfg.agc }, this.echo);
        if (cfg.noise_suppression) parts.push('noise suppression');
        if (cfg.agc) parts.push('agc');
      }
    } catch (e) {
      this.close();
      throw e;
    }
    if (mode === 'half-duplex') {
      this.ducker = new HalfDuplexDucker({
        sampleRate: format.sampleRate,
        attenuationDb: cfg.half_duplex.attenuation_db,
        thresholdDbfs: cfg.half_duplex.threshold_dbfs,
        hangMs: cfg.half_duplex.hang_ms,
      });
      parts.unshift(`half-duplex ${cfg.half_duplex.attenuation_db} dB`);
    }
    if (cfg.mic_gain_db !== 0) parts.push(`mic ${cfg.mic_gain_db} dB`);
    if (cfg.speaker_gain_db !== 0) parts.push(`speaker ${cfg.speaker_gain_db} dB`);
    this.description = parts.length > 0 ? parts.join(' + ') : 'none';
  }

  process(near: Int16Array, far: Int16Array): { send: Int16Array; play: Int16Array } {
    const play = this.speakerGain.apply(far);
    let send = this.micGain.apply(near);
    // A frame of another size (a codec change mid-call) cannot go through the native states.
    const fits = send.length === this.format.frameSamples && play.length === this.format.frameSamples;
    if (this.echo && fits) {
      this.echo.cancel(send, play, this.out);
      send = this.out.slice();
    } else if (this.pre && fits && send === near) {
      // The preprocessor works in place and `near` may be the source's own buffer.
      send = near.slice();
    }
    if (this.pre && fits) this.pre.run(send);
    if (this.ducker) send = this.ducker.process(send, play);
    return { send, play };
  }

  close(): void {
    this.pre?.destroy();
    this.echo?.destroy();
    this.pre = undefined;
    this.echo = undefined;
  }
}

// The station's sound devices, opened once for its life.
import type { AudioFormat, AudioSink, AudioSource } from '../audio/device.ts';
import { openAudioSink, openAudioSource } from '../audio/registry.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import { STATION_AUDIO_FORMAT } from './station-api.ts';

// Devices are opened once, at 16 kHz: G.722 calls use it as is, and a G.711
// call's codec is wrapped to resample 16k<->8k (audio/codec-rate.ts). One rate
// keeps one clock and one device setup whatever a call negotiates; PortAudio
// streams are never reopened per call, and a narrowband call costs only a
// small streaming resampler.
const FORMAT: AudioFormat = STATION_AUDIO_FORMAT;

/** Opens the configured input and output; one that cannot be had is logged and replaced by `none`. */
export async function openStationAudio(cfg: Pick<Config['audio'], 'input' | 'output'>, log: Logger): Promise<{ source: AudioSource; sink: AudioSink }> {
  // A door without audio can still ring and open: a missing device is logged, not fatal.
  const fallback = async (key: string, e: unknown) => {
    log.error('audio.unavailable', { key, reason: (e as Error).message });
  };
  let source: AudioSource;
  let sink: AudioSink;
  try {
    source = await openAudioSource(cfg.input, FORMAT);
  } catch (e) {
    await fallback('audio.input', e);
    source = await openAudioSource('none', FORMAT);
  }
  try {
    sink = await openAudioSink(cfg.output, FORMAT);
  } catch (e) {
    await fallback('audio.output', e);
    sink = await openAudioSink('none', FORMAT);
  }
  log.info('audio.ready', { input: source.description, output: sink.description });
  return { source, sink };
}

// `none`: a source of silence and a sink that discards, for a door station without
// a microphone or loudspeaker (or a test that does not care about audio).

import { checkAudioFormat, emptyStats } from './device.ts';
import type { AudioBackend, AudioFormat, AudioSink, AudioSource, AudioStats } from './device.ts';

class SilenceSource implements AudioSource {
  readonly description = 'none (silence)';
  constructor(private readonly frameSamples: number) {}
  read(): Int16Array {
    return new Int16Array(this.frameSamples);
  }
  stats(): AudioStats {
    return emptyStats();
  }
  async close(): Promise<void> {}
}

class DiscardSink implements AudioSink {
  readonly description = 'none (discard)';
  write(_frame: Int16Array): void {}
  stats(): AudioStats {
    return emptyStats();
  }
  async close(): Promise<void> {}
}

/** The `none` backend: silence in, nothing out; the device name is ignored. */
export function createNoneBackend(): AudioBackend {
  return {
    name: 'none',
    async openSource(_device: string, fmt: AudioFormat): Promise<AudioSource> {
      checkAudioFormat(fmt);
      return new SilenceSource(fmt.frameSamples);
    },
    async openSink(_device: string, fmt: AudioFormat): Promise<AudioSink> {
      checkAudioFormat(fmt);
      return new DiscardSink();
    },
  };
}

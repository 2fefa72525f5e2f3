// `file:PATH.wav`: a looped announcement or test signal as the microphone, and a
// WAV recording of what the far end said as the loudspeaker. Pacing comes from the
// media loop calling read()/write() once per frame, so playback runs in real time.

import { checkAudioFormat, emptyStats } from './device.ts';
import type { AudioBackend, AudioFormat, AudioSink, AudioSource, AudioStats } from './device.ts';
import { AudioOpenError, oneLine } from './errors.ts';
import { resampleAll } from './resampler.ts';
import { WavFileWriter, readWavFile } from './wav.ts';
import type { DecodedWav } from './wav.ts';

/** WAV files are loaded whole; refuse ones that would take an unreasonable amount of memory. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

class LoopingFileSource implements AudioSource {
  private pos = 0;

  constructor(
    readonly description: string,
    private readonly samples: Int16Array,
    private readonly frameSamples: number,
  ) {}

  read(): Int16Array {
    const out = new Int16Array(this.frameSamples);
    let filled = 0;
    while (filled < out.length) {
      const n = Math.min(out.length - filled, this.samples.length - this.pos);
      out.set(this.samples.subarray(this.pos, this.pos + n), filled);
      filled += n;
      this.pos = (this.pos + n) % this.samples.length;
    }
    return out;
  }

  stats(): AudioStats {
    return emptyStats();
  }

  async close(): Promise<void> {}
}

class RecordingFileSink implements AudioSink {
  private readonly counters = emptyStats();
  private closed = false;

  constructor(
    readonly description: string,
    private readonly writer: WavFileWriter,
  ) {}

  write(frame: Int16Array): void {
    if (this.closed) return;
    try {
      // false: the 4 GiB WAV limit was reached, so this audio is lost.
      if (!this.writer.write(frame)) this.counters.overruns++;
    } catch {
      this.counters.errors++;
    }
  }

  stats(): AudioStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      this.writer.close();
    } catch {
      this.counters.errors++;
    }
  }
}

function createError(err: unknown): AudioOpenError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new AudioOpenError('cannot create the recording: its directory does not exist');
  if (code === 'EACCES' || code === 'EPERM') return new AudioOpenError('cannot create the recording: permission denied');
  if (code === 'EISDIR') return new AudioOpenError('cannot create the recording: the path is a directory');
  return new AudioOpenError(`cannot create the recording: ${oneLine(err)}`);
}

/** The `file` backend: the device string is a WAV path (looped as a source, recorded as a sink). */
export function createFileBackend(): AudioBackend {
  return {
    name: 'file',
    async openSource(path: string, fmt: AudioFormat): Promise<AudioSource> {
      checkAudioFormat(fmt);
      if (path === '') throw new AudioOpenError('no file name given after "file:"');
      let wav: DecodedWav;
      try {
        wav = await readWavFile(path, MAX_FILE_BYTES);
      } catch (err) {
        throw new AudioOpenError(oneLine(err));
      }
      if (wav.samples.length === 0) throw new AudioOpenError('the WAV file contains no audio samples');
      let samples: Int16Array;
      try {
        samples = resampleAll(wav.samples, wav.sampleRate, fmt.sampleRate);
      } catch (err) {
        throw new AudioOpenError(oneLine(err));
      }
      // A very short file can round to no samples at a lower rate; keep at least one.
      if (samples.length === 0) samples = new Int16Array(1);
      const rate = wav.sampleRate === fmt.sampleRate ? `${wav.sampleRate} Hz` : `${wav.sampleRate} Hz resampled to ${fmt.sampleRate} Hz`;
      return new LoopingFileSource(`file:${path} (${rate}, ${wav.channels} ch, looped)`, samples, fmt.frameSamples);
    },
    async openSink(path: string, fmt: AudioFormat): Promise<AudioSink> {
      checkAudioFormat(fmt);
      if (path === '') throw new AudioOpenError('no file name given after "file:"');
      let writer: WavFileWriter;
      try {
        writer = WavFileWriter.create(path, fmt.sampleRate);
      } catch (err) {
        throw createError(err);
      }
      return new RecordingFileSink(`file:${path} (recording ${fmt.sampleRate} Hz mono)`, writer);
    },
  };
}

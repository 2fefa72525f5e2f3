// The contract between the media loop and whatever produces or consumes audio.
//
// The media loop owns the only clock of a call: every frame period it pulls one
// capture frame from the source and pushes one playout frame to the sink. Backends
// therefore never pace themselves; they buffer, resample and count what went wrong.
// All audio crossing this interface is mono signed 16-bit at the codec's rate.

/** Codec-side audio format: samples per second and samples per frame (e.g. 8000 / 160 = 20 ms). */
export interface AudioFormat {
  sampleRate: number;
  frameSamples: number;
}

/** Problems a device had since it was opened; counters only ever grow. */
export interface AudioStats {
  /** Frames the backend had to invent (silence) because no audio was ready. */
  underruns: number;
  /** Times audio had to be thrown away because a bounded buffer was full. */
  overruns: number;
  /** Device or stream errors that were survived. */
  errors: number;
}

/** Capture side: the media loop pulls one frame per frame period. */
export interface AudioSource {
  readonly description: string;
  /** Exactly `frameSamples` samples; silence (counted as an underrun) when nothing is ready. */
  read(): Int16Array;
  stats(): AudioStats;
  close(): Promise<void>;
}

/** Playback side: the media loop pushes one frame per frame period. */
export interface AudioSink {
  readonly description: string;
  write(frame: Int16Array): void;
  stats(): AudioStats;
  close(): Promise<void>;
}

/** A named way to reach audio hardware or files, in the manner of baresip's ausrc/auplay modules. */
export interface AudioBackend {
  readonly name: string;
  openSource(device: string, fmt: AudioFormat): Promise<AudioSource>;
  openSink(device: string, fmt: AudioFormat): Promise<AudioSink>;
}

/** Zeroed counters for a freshly opened device. */
export function emptyStats(): AudioStats {
  return { underruns: 0, overruns: 0, errors: 0 };
}

/** Throws unless `fmt` describes a usable codec-side format (positive integer rate and frame size). */
export function checkAudioFormat(fmt: AudioFormat): void {
  if (!Number.isInteger(fmt.sampleRate) || fmt.sampleRate < 1000 || fmt.sampleRate > 384000) {
    throw new RangeError(`audio format: sample rate ${fmt.sampleRate} is not an integer between 1000 and 384000`);
  }
  if (!Number.isInteger(fmt.frameSamples) || fmt.frameSamples < 1 || fmt.frameSamples > fmt.sampleRate) {
    throw new RangeError(`audio format: frame size ${fmt.frameSamples} is not an integer between 1 and the sample rate`);
  }
}

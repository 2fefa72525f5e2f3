// Audio codecs as seen by the media layer, and the registry that maps SDP
// encoding names to them.
//
// Two rates are kept apart on purpose: `sampleRate` is the rate of the PCM a
// codec consumes and produces, `clockRate` is the RTP timestamp rate. They
// are equal for G.711 but not for G.722 (16 kHz audio, 8 kHz RTP clock,
// RFC 3551 §4.5.2) or Opus (any rate, 48 kHz clock, RFC 7587 §4.1).
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from './g711.ts';
import { G722_SAMPLE_RATE, G722Decoder, G722Encoder } from './g722.ts';

export interface AudioCodec {
  /** Encoding name as written in an SDP rtpmap (RFC 3551 §6), e.g. "PCMU". */
  name: string;
  /** RTP timestamp rate in Hz. */
  clockRate: number;
  /** Rate of the linear PCM given to encode() and returned by decode(). */
  sampleRate: number;
  channels: 1;
  /** Static RTP payload type (RFC 3551 Table 4), if the codec has one. */
  staticPayloadType?: number;
  /** PCM samples in one frame of `ptimeMs` milliseconds. */
  frameSamples(ptimeMs: number): number;
  /** RTP timestamp increment for one frame of `ptimeMs` milliseconds. */
  timestampTicks(ptimeMs: number): number;
  encode(pcm: Int16Array): Buffer;
  decode(payload: Buffer): Int16Array;
  /**
   * For codecs with state between frames (G.722's predictors): a copy with
   * its own fresh encoder and decoder, one per call's stream. Absent: the
   * codec is stateless and may be shared.
   */
  instantiate?(): AudioCodec;
}

/** Builds a narrowband codec whose PCM rate equals its RTP clock rate. */
function narrowband(
  name: string,
  staticPayloadType: number,
  encode: (pcm: Int16Array) => Buffer,
  decode: (payload: Buffer) => Int16Array,
): AudioCodec {
  return {
    name,
    clockRate: 8000,
    sampleRate: 8000,
    channels: 1,
    staticPayloadType,
    frameSamples: (ptimeMs) => Math.round((8000 * ptimeMs) / 1000),
    timestampTicks: (ptimeMs) => Math.round((8000 * ptimeMs) / 1000),
    encode,
    decode,
  };
}

const registry = new Map<string, AudioCodec>();

/** Adds a codec to the registry (replacing one of the same name). */
export function registerCodec(codec: AudioCodec): void {
  registry.set(codec.name.toUpperCase(), codec);
}

/** Looks a codec up by its SDP encoding name, case-insensitively (RFC 4855 §3). */
export function codecByName(name: string): AudioCodec | undefined {
  return registry.get(name.toUpperCase());
}

/**
 * The codec for one call's stream: stateless codecs are shared, stateful
 * ones get their own encoder and decoder so two calls never mix state.
 */
export function codecForStream(name: string): AudioCodec | undefined {
  const codec = codecByName(name);
  return codec?.instantiate ? codec.instantiate() : codec;
}

/** Names of all registered codecs, in registration order. */
export function codecNames(): string[] {
  return [...registry.values()].map((c) => c.name);
}

registerCodec(narrowband('PCMU', 0, encodeUlaw, decodeUlaw));
registerCodec(narrowband('PCMA', 8, encodeAlaw, decodeAlaw));

/**
 * G.722: 16 kHz audio, but an 8000 Hz RTP clock and "G722/8000" in SDP, an
 * error in the original RTP profile kept for compatibility (RFC 3551 §4.5.2).
 * The registered entry encodes and decodes with state of its own; calls use
 * instantiate() (through codecForStream) to get theirs.
 */
function g722(): AudioCodec {
  const encoder = new G722Encoder();
  const decoder = new G722Decoder();
  return {
    name: 'G722',
    clockRate: 8000,
    sampleRate: G722_SAMPLE_RATE,
    channels: 1,
    staticPayloadType: 9,
    frameSamples: (ptimeMs) => Math.round((G722_SAMPLE_RATE * ptimeMs) / 1000),
    timestampTicks: (ptimeMs) => Math.round((8000 * ptimeMs) / 1000),
    encode: (pcm) => encoder.encode(pcm),
    decode: (payload) => decoder.decode(payload),
    instantiate: g722,
  };
}

registerCodec(g722());

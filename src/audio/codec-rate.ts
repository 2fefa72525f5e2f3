// A codec seen at the sound card's rate. The station opens its devices once,
// at one rate (16 kHz, what G.722 needs), and never reopens them per call
// (PortAudio streams do not survive that reliably). A call whose codec runs
// at another rate (G.711: 8 kHz) gets its codec wrapped here: PCM from the
// device is low-pass filtered and decimated before encoding, decoded PCM is
// interpolated back up. The media loop, its clock, tones and the devices
// then see one rate whatever was negotiated.
//
// The resamplers are streaming (filter state carried from frame to frame), so
// frame boundaries leave no trace, and each wrapped codec has its own pair:
// one per call's stream, like the codec state itself.
import type { AudioCodec } from '../media/codec.ts';
import { Resampler } from './resampler.ts';

/** `codec` with PCM at `rate` on both sides; the codec itself when it already runs at that rate. */
export function codecAtRate(codec: AudioCodec, rate: number): AudioCodec {
  if (codec.sampleRate === rate) return codec;
  const own = codec.instantiate ? codec.instantiate() : codec;
  const down = new Resampler(rate, own.sampleRate);
  const up = new Resampler(own.sampleRate, rate);
  const wrapped: AudioCodec = {
    name: own.name,
    clockRate: own.clockRate,
    sampleRate: rate,
    channels: own.channels,
    frameSamples: (ptimeMs) => Math.round((rate * ptimeMs) / 1000),
    timestampTicks: (ptimeMs) => own.timestampTicks(ptimeMs),
    encode: (pcm) => own.encode(down.process(pcm)),
    decode: (payload) => up.process(own.decode(payload)),
    instantiate: () => codecAtRate(own, rate),
  };
  if (own.staticPayloadType !== undefined) wrapped.staticPayloadType = own.staticPayloadType;
  return wrapped;
}

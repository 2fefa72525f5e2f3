// ITU-T G.722 (09/2012) at 64 kbit/s: 16 kHz audio as sub-band ADPCM, one
// octet per pair of input samples (6 bits lower band, 2 bits upper band,
// upper band in the two most significant bits, §3.7). A 20 ms frame is
// 320 samples in and 160 octets out.
//
// Encoder and decoder carry their state (QMF delay lines, predictors, step
// sizes) from one frame to the next, as the standard requires: each call's
// stream needs its own pair, and feeding a signal in pieces gives exactly
// the octets that feeding it whole would.
import { LowerBand, UpperBand } from './g722-band.ts';
import { QmfAnalysis, QmfSynthesis } from './g722-qmf.ts';

/** Audio rate of G.722 in Hz (its RTP clock rate is 8000, RFC 3551 §4.5.2). */
export const G722_SAMPLE_RATE = 16000;

/** Stateful G.722 encoder: 16-bit PCM at 16 kHz in, G.722 octets out. */
export class G722Encoder {
  private readonly qmf = new QmfAnalysis();
  private readonly low = new LowerBand();
  private readonly high = new UpperBand();
  private readonly bands = new Int32Array(2);
  /** An odd sample left from the previous call, waiting for its partner. */
  private held: number | undefined;

  /** Encodes the next samples; an odd trailing sample is kept for the next call. */
  encode(pcm: Int16Array): Buffer {
    const total = pcm.length + (this.held === undefined ? 0 : 1);
    const out = Buffer.allocUnsafe(total >> 1);
    let i = 0;
    let o = 0;
    if (this.held !== undefined && pcm.length > 0) {
      out[o++] = this.pair(this.held, pcm[0] as number);
      this.held = undefined;
      i = 1;
    }
    for (; i + 1 < pcm.length; i += 2) out[o++] = this.pair(pcm[i] as number, pcm[i + 1] as number);
    if (i < pcm.length) this.held = pcm[i] as number;
    return out;
  }

  private pair(first: number, second: number): number {
    this.qmf.split(first, second, this.bands);
    const il = this.low.encode(this.bands[0] as number);
    const ih = this.high.encode(this.bands[1] as number);
    return (ih << 6) | il;
  }
}

/** Stateful G.722 decoder: G.722 octets in, 16-bit PCM at 16 kHz out (two samples per octet). */
export class G722Decoder {
  private readonly qmf = new QmfSynthesis();
  private readonly low = new LowerBand();
  private readonly high = new UpperBand();

  /** Decodes the next octets. Every octet value is a valid code, so nothing a peer sends can fail. */
  decode(payload: Uint8Array): Int16Array {
    const out = new Int16Array(payload.length * 2);
    for (let k = 0; k < payload.length; k++) {
      const code = payload[k] as number;
      const rl = this.low.decode(code & 0x3f);
      const rh = this.high.decode(code >> 6);
      this.qmf.merge(rl, rh, out, 2 * k);
    }
    return out;
  }
}

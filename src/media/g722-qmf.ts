// The quadrature mirror filters of ITU-T G.722 (§3.2 transmit, §4.4
// receive): split 16 kHz audio into a lower and an upper band at 8 kHz
// each, and merge them back. Both use the standard's 24-tap filter, whose
// coefficients are symmetric (h[i] = h[23-i]), so only the even-indexed
// half is stored. The fixed-point scaling keeps 16-bit PCM at unity gain:
// the even and the odd taps each sum to 4096 (2^12).

/** h[0], h[2], ..., h[22] of G.722 Table 2; the odd taps are these reversed. */
const H_EVEN = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);
const TAPS = 24;

function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** G.722 analysis filter: two 16 kHz samples in, one lower- and one upper-band sample out. */
export class QmfAnalysis {
  /** The last 24 input samples, oldest first. */
  private readonly x = new Int32Array(TAPS);

  /** Feeds the samples at times 2n and 2n+1; returns [xL, xH] for time n. */
  split(first: number, second: number, out: Int32Array): void {
    const x = this.x;
    x.copyWithin(0, 2);
    x[TAPS - 2] = first;
    x[TAPS - 1] = second;
    // xA: even taps over the newest sample and every second one before it;
    // xB: odd taps over the others (§3.2, equations 3-3 and 3-4).
    let a = 0;
    let b = 0;
    for (let i = 0; i < 12; i++) {
      const h = H_EVEN[i] as number;
      a += h * (x[TAPS - 1 - 2 * i] as number);
      b += h * (x[2 * i] as number);
    }
    out[0] = (a + b) >> 14;
    out[1] = (a - b) >> 14;
  }
}

/** G.722 synthesis filter: one lower- and one upper-band sample in, two 16 kHz samples out. */
export class QmfSynthesis {
  /** Sums and differences of the band signals, interleaved, oldest first. */
  private readonly x = new Int32Array(TAPS);

  /** Feeds reconstructed rL and rH for time n; writes the samples for 2n and 2n+1 to out[at], out[at+1]. */
  merge(low: number, high: number, out: Int16Array, at: number): void {
    const x = this.x;
    x.copyWithin(0, 2);
    x[TAPS - 2] = low + high;
    x[TAPS - 1] = low - high;
    let first = 0;
    let second = 0;
    for (let i = 0; i < 12; i++) {
      const h = H_EVEN[i] as number;
      first += h * (x[TAPS - 1 - 2 * i] as number);
      second += h * (x[2 * i] as number);
    }
    out[at] = clamp16(first >> 11);
    out[at + 1] = clamp16(second >> 11);
  }
}

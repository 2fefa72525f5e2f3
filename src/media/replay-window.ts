// The receiver's replay list of RFC 3711 §3.3.2: a sliding bitmap of the
// last 64 indices accepted behind the highest one. Shared by SRTP (packet
// index) and SRTCP (SRTCP index, §3.4).
import { SrtpError } from './srtp-error.ts';

const WINDOW = 64n;

export class ReplayWindow {
  private top: bigint | undefined;
  private seen = 0n;

  /** The highest index accepted so far. */
  get highest(): bigint | undefined {
    return this.top;
  }

  /** Throws SrtpError for an index already seen or too far behind; called before the tag is trusted to change state. */
  check(index: bigint): void {
    if (this.top === undefined || index > this.top) return;
    const behind = this.top - index;
    if (behind >= WINDOW) throw new SrtpError('too old (outside the replay window)');
    if ((this.seen >> behind) & 1n) throw new SrtpError('replayed');
  }

  /** Records an authenticated index. */
  accept(index: bigint): void {
    if (this.top === undefined) {
      this.top = index;
      this.seen = 1n;
    } else if (index > this.top) {
      const shift = index - this.top;
      this.seen = shift >= WINDOW ? 1n : ((this.seen << shift) | 1n) & ((1n << WINDOW) - 1n);
      this.top = index;
    } else {
      this.seen |= 1n << (this.top - index);
    }
  }
}

// A bounded FIFO of samples between a producer on the device's clock and the media
// loop's clock. When the producer runs ahead the oldest audio is dropped, which keeps
// the added latency bounded instead of letting it grow for the rest of the call.

/** Fixed-capacity sample FIFO that overwrites its oldest samples when full. */
export class SampleRing {
  private readonly buf: Int16Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`sample ring: capacity ${capacity} must be a positive integer`);
    this.buf = new Int16Array(capacity);
  }

  /** Samples waiting to be read. */
  get length(): number {
    return this.count;
  }

  /** Appends samples; returns how many old samples were dropped to make room. */
  push(samples: Int16Array): number {
    let src = samples;
    let dropped = 0;
    if (src.length > this.capacity) {
      dropped += src.length - this.capacity;
      src = src.subarray(src.length - this.capacity);
    }
    const overflow = this.count + src.length - this.capacity;
    if (overflow > 0) {
      this.start = (this.start + overflow) % this.capacity;
      this.count -= overflow;
      dropped += overflow;
    }
    const end = (this.start + this.count) % this.capacity;
    const first = Math.min(src.length, this.capacity - end);
    this.buf.set(src.subarray(0, first), end);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.count += src.length;
    return dropped;
  }

  /** Removes and returns exactly `n` samples, or undefined (taking nothing) when fewer are waiting. */
  take(n: number): Int16Array | undefined {
    if (n > this.count) return undefined;
    const out = new Int16Array(n);
    const first = Math.min(n, this.capacity - this.start);
    out.set(this.buf.subarray(this.start, this.start + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    this.start = (this.start + n) % this.capacity;
    this.count -= n;
    return out;
  }

  /** Drops everything waiting. */
  clear(): void {
    this.start = 0;
    this.count = 0;
  }
}

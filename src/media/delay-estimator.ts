// How far a stream's packets wander in arrival time, for the adaptive jitter
// buffer. A packet's relative delay is its arrival time minus its RTP timestamp
// (both in ms; the unknown offset between the clocks cancels out). Over a
// sliding window the buffer must cover the spread from the earliest packets
// (minimum delay) up to nearly the latest (a high quantile), so that a packet
// that late is still in time. A quantile rather than the maximum keeps one
// freak packet from setting the delay for seconds: anything later is concealed.

export interface DelayEstimatorOptions {
  /** RTP clock rate of the stream, Hz. */
  clockRate: number;
  /** Packets remembered (default 250: 5 s of 20 ms packets). */
  windowPackets?: number;
  /** Share of packets that must arrive in time (default 0.95). */
  quantile?: number;
}

/** Packets needed before the spread means anything. */
const MIN_SAMPLES = 10;

/** Sliding-window estimate of the arrival-delay spread of one RTP stream. */
export class DelayEstimator {
  private readonly clockRate: number;
  private readonly quantile: number;
  private readonly ring: Float64Array;
  private count = 0;
  private pos = 0;
  private lastTimestamp: number | undefined;
  /** Sender time of the last packet in ms, unwrapped past the 32-bit timestamp wrap. */
  private senderMs = 0;

  constructor(opts: DelayEstimatorOptions) {
    this.clockRate = opts.clockRate;
    this.quantile = Math.min(1, Math.max(0.5, opts.quantile ?? 0.95));
    this.ring = new Float64Array(Math.max(MIN_SAMPLES, opts.windowPackets ?? 250));
  }

  /** Notes one packet: when it arrived (monotonic ms) and its RTP timestamp. */
  observe(arrivalMs: number, timestamp: number): void {
    if (this.lastTimestamp !== undefined) {
      // Signed distance, so reordered packets step back rather than wrap forward.
      const diff = ((timestamp - this.lastTimestamp) | 0) / this.clockRate;
      this.senderMs += diff * 1000;
    }
    this.lastTimestamp = timestamp >>> 0;
    this.ring[this.pos] = arrivalMs - this.senderMs;
    this.pos = (this.pos + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
  }

  /** Packets currently in the window. */
  get samples(): number {
    return this.count;
  }

  /** Delay a buffer needs beyond the earliest packets so that `quantile` of them are in time, ms; undefined until enough packets were seen. */
  spreadMs(): number | undefined {
    if (this.count < MIN_SAMPLES) return undefined;
    const recent = Array.from(this.ring.subarray(0, this.count)).sort((a, b) => a - b);
    const min = recent[0] as number;
    const high = recent[Math.floor(this.quantile * (this.count - 1))] as number;
    return high - min;
  }

  /** Forgets everything (a new stream). */
  reset(): void {
    this.count = 0;
    this.pos = 0;
    this.lastTimestamp = undefined;
    this.senderMs = 0;
  }
}

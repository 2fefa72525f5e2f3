// Pacing arithmetic for a fixed-rate frame loop (one audio frame every
// ptime), computed from the start time rather than by adding up timer
// delays, so late wake-ups never accumulate into drift.

export interface FrameClockOptions {
  /** Monotonic start time in nanoseconds (e.g. process.hrtime.bigint()); frame 0 is due then. */
  startNs: bigint;
  /** Frame duration in milliseconds (20 for a 20 ms ptime). */
  frameMs: number;
  /**
   * How many overdue frames may still be produced in one burst. Further
   * behind than this (a stalled process), the stale frames are skipped:
   * sending a second of audio in a burst would only overflow the far end's
   * jitter buffer.
   */
  maxCatchUpFrames?: number;
}

export interface DueFrames {
  /** Frames to produce now, oldest first. */
  frames: number;
  /** Frames given up because the clock fell too far behind; their time has passed. */
  skipped: number;
}

/** Schedule of frame k at startNs + k * frameNs; counts what is due at any moment. */
export class FrameClock {
  private readonly startNs: bigint;
  private readonly frameNs: bigint;
  private readonly maxCatchUp: number;
  /** Index of the next frame not yet produced or skipped. */
  private next = 0n;
  /** Total frames handed out by due(). */
  produced = 0;
  /** Total frames skipped by due(). */
  skippedTotal = 0;

  constructor(opts: FrameClockOptions) {
    if (!(opts.frameMs > 0)) throw new RangeError(`frame duration must be positive, got ${opts.frameMs} ms`);
    this.startNs = opts.startNs;
    this.frameNs = BigInt(Math.round(opts.frameMs * 1e6));
    this.maxCatchUp = Math.max(1, opts.maxCatchUpFrames ?? 5);
  }

  /** Counts the frames due at `nowNs` and marks them handed out. */
  due(nowNs: bigint): DueFrames {
    if (nowNs < this.startNs) return { frames: 0, skipped: 0 };
    // Frames 0..k are due once now >= start + k * frame.
    const dueThrough = (nowNs - this.startNs) / this.frameNs + 1n;
    const behind = Number(dueThrough - this.next);
    if (behind <= 0) return { frames: 0, skipped: 0 };
    this.next = dueThrough;
    if (behind > this.maxCatchUp) {
      // Keep only the frame that is due now; the rest belong to the past.
      const skipped = behind - 1;
      this.produced += 1;
      this.skippedTotal += skipped;
      return { frames: 1, skipped };
    }
    this.produced += behind;
    return { frames: behind, skipped: 0 };
  }

  /** Milliseconds (rounded up) until the next frame is due; 0 if one is due already. */
  delayUntilNextMs(nowNs: bigint): number {
    const dueAt = this.startNs + this.next * this.frameNs;
    if (nowNs >= dueAt) return 0;
    return Math.ceil(Number(dueAt - nowNs) / 1e6);
  }
}

// Per-source rate limiting for what strangers can make the door do: a token
// bucket per remote address, so one scanner flooding REGISTER/OPTIONS/INVITE
// or garbage gets a few answers and then silence, while everyone else is
// unaffected. The table is bounded so spoofed sources cannot grow memory.

export interface SourceLimitOptions {
  /** Messages a source may send in a burst. */
  burst: number;
  /** Sustained messages per second a source may send. */
  perSecond: number;
  /** Most sources tracked at once; the least recently seen is forgotten first. */
  maxSources: number;
  now?: () => number;
}

/**
 * Verdict for one message: allowed, or dropped. `report` is true at most once a
 * minute per source, carrying how many were dropped since the last report, so
 * a flood costs one log line a minute rather than one per packet.
 */
export type LimitVerdict = { allowed: true } | { allowed: false; report: boolean; dropped: number };

const REPORT_EVERY_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
  reportedAt: number;
}

/** Defaults for the SIP port: generous for a phone system, tight for a flood. */
export const SIP_SOURCE_LIMIT: SourceLimitOptions = { burst: 40, perSecond: 10, maxSources: 4096 };

export class SourceLimit {
  // A Map keeps insertion order: re-inserting on use makes it an LRU.
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly opts: SourceLimitOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Takes one token for `source`; a dropped message reports whether it starts a run of drops. */
  take(source: string): LimitVerdict {
    const t = this.now();
    let b = this.buckets.get(source);
    if (b) this.buckets.delete(source);
    else {
      b = { tokens: this.opts.burst, at: t, dropped: 0, reportedAt: -Infinity };
      if (this.buckets.size >= this.opts.maxSources) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(source, b);
    b.tokens = Math.min(this.opts.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    b.dropped++;
    if (t - b.reportedAt < REPORT_EVERY_MS) return { allowed: false, report: false, dropped: b.dropped };
    const dropped = b.dropped;
    b.dropped = 0;
    b.reportedAt = t;
    return { allowed: false, report: true, dropped };
  }

  /** Sources currently tracked (for tests and leak checks). */
  get size(): number {
    return this.buckets.size;
  }
}

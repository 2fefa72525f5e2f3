// The one timer source the SIP core uses. The runtime passes the real one;
// tests pass a manual clock so that timer-driven behaviour (retransmissions,
// timeouts, refreshes, back-off) is tested without waiting.

export interface TimerHandle {
  readonly id: number;
}

export interface Timers {
  /** Calls fn after ms milliseconds unless cleared. */
  set(ms: number, fn: () => void): TimerHandle;
  clear(h: TimerHandle | undefined): void;
  /** Monotonic milliseconds, for durations and logs. */
  now(): number;
}

/** Timers backed by the event loop. */
export function realTimers(): Timers {
  const live = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    set(ms, fn) {
      const id = next++;
      const t = setTimeout(() => {
        live.delete(id);
        fn();
      }, Math.max(0, ms));
      live.set(id, t);
      return { id };
    },
    clear(h) {
      if (!h) return;
      const t = live.get(h.id);
      if (t) clearTimeout(t);
      live.delete(h.id);
    },
    now: () => performance.now(),
  };
}

/** A clock that only moves when told to, for tests. */
export class ManualTimers implements Timers {
  private time = 0;
  private seq = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  set(ms: number, fn: () => void): TimerHandle {
    const id = this.seq++;
    this.pending.set(id, { at: this.time + Math.max(0, ms), fn });
    return { id };
  }

  clear(h: TimerHandle | undefined): void {
    if (h) this.pending.delete(h.id);
  }

  now(): number {
    return this.time;
  }

  /** Number of timers still pending (a leak check for tests). */
  get size(): number {
    return this.pending.size;
  }

  /** Advances the clock, firing due timers in order (including ones they set). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.pending) {
        if (t.at <= end && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.pending.get(nextId)!;
      this.pending.delete(nextId);
      this.time = t.at;
      t.fn();
    }
    this.time = end;
  }
}

// Software debounce: a contact's level counts only once it has stayed put for
// the debounce time. Bounces of a mechanical button (a few ms) and spikes
// picked up by a long cable to the door are swallowed, so one press is one
// change. Trailing, not leading: a single spike never rings anybody.
import type { TimerHandle, Timers } from '../sip/clock.ts';

/** Turns raw edges into settled changes of one input. */
export class Debouncer {
  private raw: boolean;
  private settled: boolean;
  private timer: TimerHandle | undefined;

  /**
   * `read` samples the line when it settles (edges can be lost if the event
   * buffer overflows, the level cannot); `onChange` gets each settled change.
   */
  constructor(
    private readonly timers: Timers,
    private readonly ms: number,
    initial: boolean,
    private readonly onChange: (active: boolean) => void,
    private readonly read?: () => boolean,
  ) {
    this.raw = initial;
    this.settled = initial;
  }

  /** The settled level. */
  get value(): boolean {
    return this.settled;
  }

  /** A raw edge: restarts the settling time. */
  edge(active: boolean): void {
    this.raw = active;
    this.timers.clear(this.timer);
    this.timer = this.timers.set(this.ms, () => this.settle());
  }

  /** Stops any pending settle. */
  close(): void {
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private settle(): void {
    this.timer = undefined;
    let level = this.raw;
    if (this.read) {
      try {
        level = this.read();
      } catch {
        // keep the level the edges said
      }
    }
    if (level === this.settled) return;
    this.settled = level;
    this.onChange(level);
  }
}

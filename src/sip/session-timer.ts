// Session timers (RFC 4028): when the peer (or a proxy) puts Session-Expires
// on the call, the session must be refreshed by one side before it expires,
// so a phone that vanished without a BYE does not keep the door busy. The
// refresher sends a re-INVITE at half the interval (§7.4, §10); the other side
// ends the call with BYE when no refresh came by the interval minus
// min(32 s, a third of it) (§10).
import type { SipMessage } from './message.ts';
import type { TimerHandle, Timers } from './clock.ts';

/** A Session-Expires header: the interval in seconds and who refreshes. */
export interface SessionExpires {
  seconds: number;
  refresher?: 'uac' | 'uas';
}

/** Reads Session-Expires (or its compact form x); undefined when absent or malformed. */
export function parseSessionExpires(msg: SipMessage): SessionExpires | undefined {
  const raw = msg.headers.other['session-expires']?.[0];
  if (raw === undefined) return undefined;
  const m = /^\s*(\d{1,9})\s*(?:;(.*))?$/.exec(raw);
  if (!m) return undefined;
  const seconds = Number(m[1]);
  if (!(seconds > 0)) return undefined;
  const r = /(?:^|;)\s*refresher\s*=\s*(uac|uas)\s*(?:;|$)/i.exec(m[2] ?? '')?.[1]?.toLowerCase();
  return { seconds, ...(r === 'uac' || r === 'uas' ? { refresher: r } : {}) };
}

/** Formats Session-Expires for a header. */
export function formatSessionExpires(se: SessionExpires): string {
  return `${se.seconds}${se.refresher ? `;refresher=${se.refresher}` : ''}`;
}

export interface SessionTimerOptions {
  /** Send a refresh (re-INVITE); report back with refreshed() or let the call end. */
  refresh(): void;
  /** No refresh came in time: end the call. */
  expire(): void;
}

/** Runs one session's timer: either our refreshes or the watch for the peer's. */
export class SessionTimer {
  private handle?: TimerHandle;
  private current: { seconds: number; weRefresh: boolean } | undefined;

  constructor(
    private readonly timers: Timers,
    private readonly opts: SessionTimerOptions,
  ) {}

  /** The interval in force and whether we refresh, or undefined when no timer runs. */
  get state(): { seconds: number; weRefresh: boolean } | undefined {
    return this.current;
  }

  /** (Re)starts the timer: we refresh at half the interval, or watch for the peer's refresh. */
  arm(seconds: number, weRefresh: boolean): void {
    this.stop();
    this.current = { seconds, weRefresh };
    const ms = weRefresh ? (seconds * 1000) / 2 : (seconds - Math.min(32, seconds / 3)) * 1000;
    this.handle = this.timers.set(ms, () => {
      this.handle = undefined;
      if (weRefresh) this.opts.refresh();
      else this.opts.expire();
    });
  }

  stop(): void {
    this.timers.clear(this.handle);
    this.handle = undefined;
  }
}

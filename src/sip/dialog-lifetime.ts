// The two moments at the end of every call, whichever side sent the INVITE:
// the end is reported to the application once (a BYE from the peer, our own
// hang-up and a timeout may all race), and the dialog is released once nothing
// of it is left on the wire (a CANCEL or BYE may outlive the reported end):
// timers stopped, and the UA no longer routing its requests to the call.
import type { TimerHandle } from './clock.ts';
import type { DialogOwner, UserAgent } from './user-agent.ts';

/** Why a call ended: who ended it, the SIP status when there was one, and a human reason. */
export interface EndCause {
  by: 'local' | 'remote' | 'network';
  status?: number;
  reason: string;
}

/** Something that runs until stopped: a 2xx repeater, a session timer. */
export interface Stoppable {
  stop(): void;
}

export interface DialogLifetimeOptions {
  ua: Pick<UserAgent, 'timers' | 'removeDialogOwner'>;
  /** The call the UA routes in-dialog requests to until release. */
  owner: DialogOwner;
  /** Told the end cause, once. */
  onEnded(cause: EndCause): void;
  /** What is running at release time: timer handles are cleared, the rest stopped (read then, as they change during the call). */
  running?(): { timers?: (TimerHandle | undefined)[]; stoppables?: (Stoppable | undefined)[] };
  /** Anything else the call lets go of on release. */
  onRelease?(): void;
}

export class DialogLifetime {
  private endReported = false;
  private isReleased = false;

  constructor(private readonly opts: DialogLifetimeOptions) {}

  /** True once the end was reported. */
  get ended(): boolean {
    return this.endReported;
  }

  /** True once nothing of the call is left on the wire. */
  get released(): boolean {
    return this.isReleased;
  }

  /** Reports the end the first time; later causes are dropped. Returns whether this call reported it. */
  end(cause: EndCause): boolean {
    if (this.endReported) return false;
    this.endReported = true;
    this.opts.onEnded(cause);
    return true;
  }

  /** Releases the dialog the first time; later calls do nothing. */
  release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    const now = this.opts.running?.() ?? {};
    for (const t of now.timers ?? []) this.opts.ua.timers.clear(t);
    for (const s of now.stoppables ?? []) s?.stop();
    this.opts.ua.removeDialogOwner(this.opts.owner);
    this.opts.onRelease?.();
  }
}

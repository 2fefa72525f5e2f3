// What a running station tells those who watch it (MQTT, metrics) without
// being asked: each new history entry as it happens, and a nudge whenever the
// state in `status()` moved. Watchers read the details from `status()`, so
// there is one source of truth and the event carries no copy to drift.
//
// The hub belongs to the process, not to a station: a reload that restarts the
// SIP side builds a new station that reports into the same hub, and watchers
// never need to subscribe again.
import type { DoorLogEntry } from './event-log.ts';

export type StationEvent =
  /** A press, answered or ended call, door opening, wrong code, refused call... (the same entry `status` lists). */
  | { type: 'history'; entry: DoorLogEntry }
  /** Registration, call, door or hardware state changed; read `status()` for the new one. */
  | { type: 'state' };

export type StationListener = (event: StationEvent) => void;

export class StationEvents {
  private readonly listeners = new Set<StationListener>();

  /** `onListenerError`: a watcher's fault is reported here and never reaches the door. */
  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  /** Returns the unsubscribe function. */
  subscribe(listener: StationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StationEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}

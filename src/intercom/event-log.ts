// The door's recent history for `intercom status`: presses, calls (who
// answered, how long), door openings (by which code, card or user) and
// refused attempts. Kept in memory and bounded; the same events are also log
// lines, which systemd's journal keeps. Built from the door's own log actions,
// so the state machine stays the one source of what happened.

/** One entry: when, what, and the details worth showing (never a code's digits). */
export interface DoorLogEntry {
  at: string;
  kind: DoorLogKind;
  [field: string]: unknown;
}

export type DoorLogKind =
  | 'press'
  | 'press-ignored'
  | 'answered'
  | 'call-ended'
  | 'no-answer'
  | 'door-opened'
  | 'code-wrong'
  | 'code-lockout'
  | 'refused'
  | 'transferred';

/** Door log events -> entry kinds; other events are not history worth keeping. */
const KINDS: Record<string, DoorLogKind> = {
  press: 'press',
  'press.ignored': 'press-ignored',
  'call.answered': 'answered',
  'call.incoming-answered': 'answered',
  'call.ended': 'call-ended',
  'call.no-answer': 'no-answer',
  'door.opened': 'door-opened',
  'door.code-wrong': 'code-wrong',
  'door.code-lockout': 'code-lockout',
  'incoming.busy': 'refused',
  'call.transferred': 'transferred',
};

const DEFAULT_CAPACITY = 100;

export class DoorEventLog {
  private readonly entries: DoorLogEntry[] = [];

  /** `onAdd` hears each new entry (not the repeats folded into a refused one). */
  constructor(
    private readonly capacity = DEFAULT_CAPACITY,
    private readonly onAdd: (entry: DoorLogEntry) => void = () => {},
  ) {}

  /** Takes a door log action's event and fields; keeps it when it is history. */
  fromLog(event: string, fields: Record<string, unknown>, now: Date): void {
    const kind = KINDS[event];
    if (!kind) return;
    this.add({ at: now.toISOString(), kind, ...(event === 'call.incoming-answered' ? { incoming: true } : {}), ...fields });
  }

  /**
   * A refused incoming call; repeats fold into one entry with a count, so a
   * scanner cannot flush the history. The caller's claimed identity is kept
   * only for calls the registrar vouched for (a scanner's From means nothing).
   */
  refused(source: string, reason: string, now: Date, caller?: string): void {
    const who = reason === 'not-from-registrar' ? undefined : caller;
    const last = this.entries[this.entries.length - 1];
    if (last?.kind === 'refused' && last['from'] === source && last['reason'] === reason && last['caller'] === who) {
      last['count'] = Number(last['count'] ?? 1) + 1;
      last['last'] = now.toISOString();
      return;
    }
    this.add({ at: now.toISOString(), kind: 'refused', from: source, reason, ...(who !== undefined ? { caller: who } : {}) });
  }

  /** The newest `limit` entries, oldest first. */
  recent(limit = 20): DoorLogEntry[] {
    return this.entries.slice(-limit).map((e) => ({ ...e }));
  }

  private add(entry: DoorLogEntry): void {
    this.entries.push(entry);
    this.onAdd({ ...entry });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }
}

/** One line per entry for `intercom status`. */
export function describeEntry(e: DoorLogEntry): string {
  const { at, kind, ...rest } = e;
  const details = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${at} ${kind}${details ? ` ${details}` : ''}`;
}

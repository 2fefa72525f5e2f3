// Door-open codes keyed in as DTMF during a call, and the lock-out that makes
// guessing them impractical. Pure: digits and the time come in, a verdict goes
// out. An entry is complete when it matches a code, when it reaches the length
// of the longest code that could apply, or when '#' ends it early; only
// complete wrong entries count as failed attempts, so a partial entry that
// was abandoned (a pause longer than the digit timeout) costs nothing.
// Entries are matched whole, not against the tail of everything keyed: with
// tail matching one long run of digits tries every code it contains (a de
// Bruijn sequence tries all 10,000 four-digit codes in 10,003 keys) while
// counting as a single attempt.

/** One code as the door uses it: the digits, a name for logs (never the digits), whom it is for. */
export interface DoorCode {
  code: string;
  /** What logs and the event log say instead of the code ("codes[0]", "flat"). */
  label: string;
  /** Request-URIs of the targets this code is for; absent: anyone in the call. */
  targets?: string[];
}

/** After `attempts` wrong entries within `windowMs`, every key is ignored for `lockoutMs`. */
export interface CodeLockout {
  attempts: number;
  windowMs: number;
  lockoutMs: number;
}

export const DEFAULT_LOCKOUT: CodeLockout = { attempts: 3, windowMs: 60_000, lockoutMs: 300_000 };

/** A pause longer than this between keys starts a new entry. */
export const DIGIT_TIMEOUT_MS = 5000;

/** What one key did. */
export type CodeVerdict =
  | { kind: 'pending' }
  | { kind: 'open'; label: string }
  /** A complete wrong entry; `lockedUntil` is set when it started a lock-out. */
  | { kind: 'wrong'; failures: number; lockedUntil?: number }
  /** Ignored because of a lock-out; `first` is true for the first key ignored in it. */
  | { kind: 'locked'; until: number; first: boolean };

/** Matches keyed digits against the door codes; keeps failed attempts across calls. */
export class CodeEntry {
  private buffer = '';
  private lastKeyAt = -Infinity;
  private failures: number[] = [];
  private lockedUntil = -Infinity;
  private lockNoted = false;

  constructor(
    private readonly codes: readonly DoorCode[],
    private readonly lockout: CodeLockout = DEFAULT_LOCKOUT,
  ) {}

  /** Whether keys are being ignored at `now`. */
  lockedAt(now: number): boolean {
    return now < this.lockedUntil;
  }

  /** Forgets a partial entry (a call started or ended); failed attempts are kept. */
  clearEntry(): void {
    this.buffer = '';
  }

  /** Feeds one key pressed by `peer` (a Request-URI) at `now`. */
  key(digit: string, now: number, peer: string): CodeVerdict {
    if (now < this.lockedUntil) {
      const first = !this.lockNoted;
      this.lockNoted = true;
      return { kind: 'locked', until: this.lockedUntil, first };
    }
    const usable = this.codes.filter((c) => c.code.length > 0 && (!c.targets || c.targets.includes(peer)));
    if (usable.length === 0) return { kind: 'pending' };
    if (now - this.lastKeyAt > DIGIT_TIMEOUT_MS) this.buffer = '';
    this.lastKeyAt = now;

    const entry = this.buffer + digit;
    const match = usable.find((c) => c.code === entry);
    if (match) {
      this.buffer = '';
      this.failures = [];
      return { kind: 'open', label: match.label };
    }
    const couldContinue = usable.some((c) => c.code.length > entry.length && c.code.startsWith(entry));
    const longest = Math.max(...usable.map((c) => c.code.length));
    // '#' ends an entry early, unless it is part of a code still possible.
    const ended = (digit === '#' && !couldContinue) || entry.length >= longest;
    if (!ended) {
      this.buffer = entry;
      return { kind: 'pending' };
    }
    this.buffer = '';
    if (entry === '#') return { kind: 'pending' }; // a lone '#' is no attempt
    return this.fail(now);
  }

  private fail(now: number): CodeVerdict {
    this.failures = this.failures.filter((t) => now - t < this.lockout.windowMs);
    this.failures.push(now);
    const failures = this.failures.length;
    if (failures >= this.lockout.attempts) {
      this.lockedUntil = now + this.lockout.lockoutMs;
      this.lockNoted = false;
      this.failures = [];
      return { kind: 'wrong', failures, lockedUntil: this.lockedUntil };
    }
    return { kind: 'wrong', failures };
  }
}

// PIN entry on a serial keypad that sends one character per key: digits
// collect, '#' submits, '*' clears, and a pause longer than `timeoutMs`
// forgets a half-typed PIN so the next visitor starts clean. After
// `maxWrong` wrong PINs in a row the keypad is ignored for `lockoutMs`,
// which makes guessing a PIN a matter of days rather than minutes.

/** Timeout between keys and the lock-out after wrong PINs. */
export interface KeypadOptions {
  timeoutMs?: number;
  maxWrong?: number;
  lockoutMs?: number;
}

/** What a key did: nothing yet, a submitted PIN, or refused while locked. */
export type KeypadResult =
  | { type: 'pin'; pin: string }
  | { type: 'locked'; untilMs: number }
  | undefined;

/** Turns key presses into submitted PINs. */
export class KeypadEntry {
  private digits = '';
  private lastKeyAt = -Infinity;
  private wrong = 0;
  private lockedUntil = -Infinity;
  private readonly timeoutMs: number;
  private readonly maxWrong: number;
  private readonly lockoutMs: number;

  constructor(opts: KeypadOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxWrong = opts.maxWrong ?? 5;
    this.lockoutMs = opts.lockoutMs ?? 300_000;
  }

  /** One key at time `now` (ms). */
  key(ch: string, now: number): KeypadResult {
    if (now < this.lockedUntil) return { type: 'locked', untilMs: this.lockedUntil };
    if (now - this.lastKeyAt > this.timeoutMs) this.digits = '';
    this.lastKeyAt = now;
    if (/^[0-9A-D]$/.test(ch)) {
      if (this.digits.length < 16) this.digits += ch;
      return undefined;
    }
    if (ch === '*') {
      this.digits = '';
      return undefined;
    }
    if (ch === '#' && this.digits) {
      const pin = this.digits;
      this.digits = '';
      return { type: 'pin', pin };
    }
    return undefined;
  }

  /** Tells the outcome of the last PIN; a wrong one counts toward the lockout. */
  verdict(ok: boolean, now: number): void {
    if (ok) {
      this.wrong = 0;
      return;
    }
    this.wrong++;
    if (this.wrong >= this.maxWrong) {
      this.wrong = 0;
      this.lockedUntil = now + this.lockoutMs;
    }
  }
}

// What the door does, as a state machine: a press rings every target of its
// button at once, the first to answer gets the call and the others are
// cancelled; an unanswered call is given up after the ring timeout; a call
// ends at its maximum duration; the opener is pulsed on request or on a
// correct DTMF code. Events in, actions out: no I/O, no timers of its own.
import { CodeEntry, type CodeLockout, type DoorCode } from './dtmf-codes.ts';

export interface DoorButton {
  name: string;
  /** Request-URIs to ring in parallel. */
  targets: string[];
}

export interface DoorSettings {
  buttons: DoorButton[];
  ringTimeoutMs: number;
  maxDurationMs: number;
  /** How long before maxDurationMs the call-ending warning is given; absent (or not below maxDurationMs): none. */
  warnBeforeEndMs?: number;
  openMs: number;
  /** DTMF codes that open the door during a call (plain strings are for everyone). */
  codes: (string | DoorCode)[];
  /** Wrong-code lock-out; default DEFAULT_LOCKOUT. */
  lockout?: CodeLockout;
}

export type EndReason = string;

export type DoorEvent =
  | { type: 'press'; button?: string }
  | { type: 'hangup'; reason?: string }
  | { type: 'leg-ringing'; leg: number }
  | { type: 'leg-answered'; leg: number }
  | { type: 'leg-ended'; leg: number; reason: string; status?: number; by: 'local' | 'remote' | 'network' }
  | { type: 'timer'; name: TimerName }
  | { type: 'open'; by: string }
  | { type: 'dtmf'; digit: string };

export type TimerName = 'ring' | 'max-duration' | 'door' | 'warning';

export type DoorAction =
  | { type: 'dial'; leg: number; target: string }
  | { type: 'hangup-leg'; leg: number; reason: string }
  | { type: 'connect-media'; leg: number }
  | { type: 'start-timer'; name: TimerName; ms: number }
  | { type: 'cancel-timer'; name: TimerName }
  | { type: 'relay'; energised: boolean }
  /** The call will be ended for its maximum duration in `inMs`: warn both sides. */
  | { type: 'warn-ending'; inMs: number }
  | { type: 'log'; level: 'info' | 'warn'; event: string; fields: Record<string, unknown> };

interface Leg {
  id: number;
  target: string;
  ringing: boolean;
}

type CallState =
  | { phase: 'idle' }
  | { phase: 'calling'; button: string; legs: Leg[]; startedAt: number; ringing: boolean }
  | { phase: 'active'; button: string; leg: Leg; startedAt: number; answeredAt: number };

export interface DoorSnapshot {
  call: null | { state: 'calling' | 'ringing' | 'active'; peer: string; since: number };
  door: { open: boolean; opened: number };
}

export class Door {
  private call: CallState = { phase: 'idle' };
  private nextLeg = 1;
  private doorOpen = false;
  private opened = 0;
  private readonly codes: CodeEntry;

  constructor(private readonly settings: DoorSettings) {
    const codes = settings.codes.map((c, i): DoorCode => (typeof c === 'string' ? { code: c, label: `codes[${i}]` } : c));
    this.codes = new CodeEntry(codes, settings.lockout);
  }

  /** What status reports. */
  snapshot(): DoorSnapshot {
    const c = this.call;
    let call: DoorSnapshot['call'] = null;
    if (c.phase === 'calling') {
      const peer = c.legs.find((l) => l.ringing)?.target ?? c.legs[0]?.target ?? '';
      call = { state: c.ringing ? 'ringing' : 'calling', peer, since: c.startedAt };
    } else if (c.phase === 'active') {
      call = { state: 'active', peer: c.leg.target, since: c.answeredAt };
    }
    return { call, door: { open: this.doorOpen, opened: this.opened } };
  }

  /** Feeds one event at time `now` (ms); returns what to do. */
  handle(ev: DoorEvent, now: number): DoorAction[] {
    switch (ev.type) {
      case 'press':
        return this.press(ev.button, now);
      case 'hangup':
        return this.hangup(ev.reason ?? 'hung up at the door');
      case 'leg-ringing':
        return this.legRinging(ev.leg);
      case 'leg-answered':
        return this.legAnswered(ev.leg, now);
      case 'leg-ended':
        return this.legEnded(ev, now);
      case 'timer':
        return this.timer(ev.name);
      case 'open':
        return this.open(ev.by);
      case 'dtmf':
        return this.dtmf(ev.digit, now);
    }
  }

  private press(buttonName: string | undefined, now: number): DoorAction[] {
    const button = buttonName === undefined ? this.settings.buttons[0] : this.settings.buttons.find((b) => b.name === buttonName);
    if (!button) return [log('warn', 'press.unknown-button', { button: buttonName })];
    if (this.call.phase !== 'idle') {
      // A visitor pressing again while it rings or while talking must not start a second call.
      return [log('info', 'press.ignored', { button: button.name, reason: `call ${this.call.phase}` })];
    }
    const legs = button.targets.map((target) => ({ id: this.nextLeg++, target, ringing: false }));
    this.call = { phase: 'calling', button: button.name, legs, startedAt: now, ringing: false };
    return [
      log('info', 'press', { button: button.name }),
      ...legs.map((l): DoorAction => ({ type: 'dial', leg: l.id, target: l.target })),
      { type: 'start-timer', name: 'ring', ms: this.settings.ringTimeoutMs },
    ];
  }

  private hangup(reason: string): DoorAction[] {
    const c = this.call;
    if (c.phase === 'idle') return [];
    const legs = c.phase === 'calling' ? c.legs : [c.leg];
    this.call = { phase: 'idle' };
    this.codes.clearEntry();
    return [
      { type: 'cancel-timer', name: 'ring' },
      { type: 'cancel-timer', name: 'max-duration' },
      ...this.cancelWarning(),
      ...legs.map((l): DoorAction => ({ type: 'hangup-leg', leg: l.id, reason })),
    ];
  }

  private legRinging(id: number): DoorAction[] {
    const c = this.call;
    if (c.phase !== 'calling') return [];
    const leg = c.legs.find((l) => l.id === id);
    if (!leg || leg.ringing) return [];
    leg.ringing = true;
    const first = !c.ringing;
    c.ringing = true;
    return first ? [log('info', 'call.ringing', { peer: leg.target })] : [];
  }

  private legAnswered(id: number, now: number): DoorAction[] {
    const c = this.call;
    if (c.phase !== 'calling') {
      // A second answer after another leg won: that phone must not stay connected to nothing.
      return [{ type: 'hangup-leg', leg: id, reason: 'answered elsewhere' }];
    }
    const leg = c.legs.find((l) => l.id === id);
    if (!leg) return [{ type: 'hangup-leg', leg: id, reason: 'answered elsewhere' }];
    const others = c.legs.filter((l) => l.id !== id);
    this.call = { phase: 'active', button: c.button, leg, startedAt: c.startedAt, answeredAt: now };
    this.codes.clearEntry();
    return [
      { type: 'cancel-timer', name: 'ring' },
      ...others.map((l): DoorAction => ({ type: 'hangup-leg', leg: l.id, reason: 'answered elsewhere' })),
      { type: 'connect-media', leg: id },
      { type: 'start-timer', name: 'max-duration', ms: this.settings.maxDurationMs },
      ...(this.warnBefore() > 0 ? [{ type: 'start-timer', name: 'warning', ms: this.settings.maxDurationMs - this.warnBefore() } as const] : []),
      log('info', 'call.answered', { peer: leg.target, afterMs: now - c.startedAt }),
    ];
  }

  private legEnded(ev: Extract<DoorEvent, { type: 'leg-ended' }>, now: number): DoorAction[] {
    const c = this.call;
    if (c.phase === 'calling') {
      const leg = c.legs.find((l) => l.id === ev.leg);
      if (!leg) return [];
      c.legs = c.legs.filter((l) => l.id !== ev.leg);
      const fields = { peer: leg.target, reason: ev.reason, ...(ev.status ? { status: ev.status } : {}) };
      if (c.legs.length > 0) return [log('info', 'call.leg-failed', fields)];
      this.call = { phase: 'idle' };
      return [
        { type: 'cancel-timer', name: 'ring' },
        log(ev.by === 'local' ? 'info' : 'warn', 'call.ended', { ...fields, answered: false, durationS: secs(now - c.startedAt) }),
      ];
    }
    if (c.phase === 'active' && c.leg.id === ev.leg) {
      this.call = { phase: 'idle' };
      this.codes.clearEntry();
      return [
        { type: 'cancel-timer', name: 'max-duration' },
        ...this.cancelWarning(),
        log('info', 'call.ended', {
          peer: c.leg.target,
          reason: ev.reason,
          by: ev.by,
          answered: true,
          durationS: secs(now - c.answeredAt),
        }),
      ];
    }
    return [];
  }

  private timer(name: TimerName): DoorAction[] {
    if (name === 'ring' && this.call.phase === 'calling') {
      return [log('info', 'call.no-answer', { afterS: secs(this.settings.ringTimeoutMs) }), ...this.hangup('no answer')];
    }
    if (name === 'max-duration' && this.call.phase === 'active') {
      return [log('info', 'call.max-duration', { afterS: secs(this.settings.maxDurationMs) }), ...this.hangup('maximum call duration reached')];
    }
    if (name === 'warning' && this.call.phase === 'active' && this.warnBefore() > 0) {
      return [{ type: 'warn-ending', inMs: this.warnBefore() }, log('info', 'call.ending-soon', { inS: secs(this.warnBefore()) })];
    }
    if (name === 'door' && this.doorOpen) {
      this.doorOpen = false;
      return [{ type: 'relay', energised: false }, log('info', 'door.closed', {})];
    }
    return [];
  }

  /** The warning lead time in use: 0 when none is configured or it would not come before the end. */
  private warnBefore(): number {
    const w = this.settings.warnBeforeEndMs ?? 0;
    return w > 0 && w < this.settings.maxDurationMs ? w : 0;
  }

  private cancelWarning(): DoorAction[] {
    return this.warnBefore() > 0 ? [{ type: 'cancel-timer', name: 'warning' }] : [];
  }

  private open(by: string): DoorAction[] {
    this.opened++;
    const actions: DoorAction[] = [log('info', 'door.opened', { by }), { type: 'start-timer', name: 'door', ms: this.settings.openMs }];
    // A second open while energised just extends the pulse.
    if (!this.doorOpen) actions.unshift({ type: 'relay', energised: true });
    this.doorOpen = true;
    return actions;
  }

  private dtmf(digit: string, now: number): DoorAction[] {
    if (this.call.phase !== 'active') return [];
    const peer = this.call.leg.target;
    const v = this.codes.key(digit, now, peer);
    switch (v.kind) {
      case 'pending':
        return [];
      case 'open':
        // The code's name, never its digits, says which code opened the door.
        return this.open(`dtmf:${v.label}`);
      case 'wrong':
        return v.lockedUntil === undefined
          ? [log('warn', 'door.code-wrong', { peer, failures: v.failures })]
          : [
              log('warn', 'door.code-wrong', { peer, failures: v.failures }),
              log('warn', 'door.code-lockout', { peer, forS: secs(v.lockedUntil - now) }),
            ];
      case 'locked':
        // One line per lock-out, not one per key.
        return v.first ? [log('warn', 'door.code-ignored', { peer, reason: 'locked out', forS: secs(v.until - now) })] : [];
    }
  }
}

function log(level: 'info' | 'warn', event: string, fields: Record<string, unknown>): DoorAction {
  return { type: 'log', level, event, fields };
}

function secs(ms: number): number {
  return Math.round(ms / 100) / 10;
}

// What the door does, as a state machine. A press rings its button's targets
// in stages: each stage rings its targets at once, the first to answer gets
// the call and the others are cancelled; a stage nobody answers within its
// timeout (or that fails everywhere) gives way to the next (the flat, then a
// mobile via the PBX). A stage may require the answering party to press a key
// before the door is connected, so a voicemail cannot capture the call. A
// call ends at its maximum duration, after a warning, and optionally a while
// after the door was opened. The opener is pulsed on request or on a correct
// DTMF code. Incoming calls, once the station's policy let them through, are
// answered at once. Events in, actions out: no I/O, no timers of its own.
import { CodeEntry, type CodeLockout, type DoorCode } from './dtmf-codes.ts';

/** Targets rung at the same time, for at most `timeoutMs`. */
export interface RingStage {
  /** Request-URIs rung in parallel. */
  targets: string[];
  timeoutMs: number;
  /** The answering party must key any DTMF key within this long before the door is connected (voicemail guard). */
  confirmMs?: number;
}

export interface DoorButton {
  name: string;
  /** Request-URIs to ring in parallel (the single stage when `stages` is absent). */
  targets: string[];
  /** Ring stages in order; default one stage of `targets` for ringTimeoutMs. */
  stages?: RingStage[];
}

/** What a press does while a call is ringing or running. */
export type PressDuringCall = 'ignore' | 'restart';

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
  /** Default 'ignore'. */
  pressDuringCall?: PressDuringCall;
  /** Least time between the starts of two calls; presses sooner are ignored. Default 0. */
  minCallIntervalMs?: number;
  /** At most this many calls start within `callLimit.windowMs`; later presses are ignored until it passes. */
  callLimit?: { calls: number; windowMs: number };
  /** End the call this long after the door was opened during it; absent: the call goes on. */
  endAfterOpenMs?: number;
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
  | { type: 'dtmf'; digit: string }
  /** An incoming call the policy allowed; the door answers it when idle, else refuses it busy. */
  | { type: 'incoming'; peer: string }
  /** The connected party asked (REFER) to move the door call to `target`. */
  | { type: 'transfer'; leg: number; target: string };

export type TimerName = 'ring' | 'max-duration' | 'door' | 'warning' | 'confirm' | 'after-open';

export type DoorAction =
  | { type: 'dial'; leg: number; target: string }
  | { type: 'hangup-leg'; leg: number; reason: string }
  | { type: 'connect-media'; leg: number }
  | { type: 'start-timer'; name: TimerName; ms: number }
  | { type: 'cancel-timer'; name: TimerName }
  | { type: 'relay'; energised: boolean }
  /** The call will be ended for its maximum duration in `inMs`: warn both sides. */
  | { type: 'warn-ending'; inMs: number }
  /** Answer the incoming call now known as `leg`. */
  | { type: 'answer-incoming'; leg: number }
  /** Refuse the incoming call now known as `leg`. */
  | { type: 'reject-incoming'; leg: number; status: number; reason: string }
  /** Tell the party that asked for a transfer how it went (RFC 3515 NOTIFY): 100 trying, 200 done, or the failure. */
  | { type: 'transfer-progress'; leg: number; status: number }
  | { type: 'log'; level: 'info' | 'warn'; event: string; fields: Record<string, unknown> };

interface Leg {
  id: number;
  target: string;
  ringing: boolean;
}

interface Calling {
  phase: 'calling';
  button: string;
  stages: RingStage[];
  stage: number;
  legs: Leg[];
  startedAt: number;
  ringing: boolean;
  /** A leg that answered and must still key a DTMF key (confirm stages). */
  confirming?: Leg;
  /** A transfer whose referring party already left: this call replaces it. */
  transferOf?: number;
}

interface Active {
  phase: 'active';
  button: string;
  leg: Leg;
  startedAt: number;
  answeredAt: number;
  incoming: boolean;
  /** A transfer in progress: the new leg rings while the old one still talks. */
  transfer?: { leg: Leg; from: number };
  /** The end-after-open timer runs. */
  closing?: boolean;
}

type CallState = { phase: 'idle' } | Calling | Active;

export interface DoorSnapshot {
  call: null | { state: 'calling' | 'ringing' | 'active'; peer: string; since: number };
  door: { open: boolean; opened: number };
}

function codeEntry(settings: DoorSettings): CodeEntry {
  const codes = settings.codes.map((c, i): DoorCode => (typeof c === 'string' ? { code: c, label: `codes[${i}]` } : c));
  return new CodeEntry(codes, settings.lockout);
}

export class Door {
  private call: CallState = { phase: 'idle' };
  private nextLeg = 1;
  private doorOpen = false;
  private opened = 0;
  private codes: CodeEntry;
  /** Start times of recent calls, for the press interval and the call limit. */
  private callStarts: number[] = [];

  constructor(private settings: DoorSettings) {
    this.codes = codeEntry(settings);
  }

  /**
   * New settings from a config reload: the next press, digit and timer use
   * them; a call in progress keeps its running timers. The wrong-code record
   * starts afresh only when the codes or the lock-out rules changed.
   */
  reconfigure(settings: DoorSettings): void {
    const sameCodes = JSON.stringify([settings.codes, settings.lockout]) === JSON.stringify([this.settings.codes, this.settings.lockout]);
    this.settings = settings;
    if (!sameCodes) this.codes = codeEntry(settings);
  }

  /** What status reports. */
  snapshot(): DoorSnapshot {
    const c = this.call;
    let call: DoorSnapshot['call'] = null;
    if (c.phase === 'calling') {
      const peer = c.confirming?.target ?? c.legs.find((l) => l.ringing)?.target ?? c.legs[0]?.target ?? '';
      call = { state: c.ringing || c.confirming ? 'ringing' : 'calling', peer, since: c.startedAt };
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
        return this.hangup(ev.reason ?? 'hung up at the door', now);
      case 'leg-ringing':
        return this.legRinging(ev.leg);
      case 'leg-answered':
        return this.legAnswered(ev.leg, now);
      case 'leg-ended':
        return this.legEnded(ev, now);
      case 'timer':
        return this.timer(ev.name, now);
      case 'open':
        return this.open(ev.by);
      case 'dtmf':
        return this.dtmf(ev.digit, now);
      case 'incoming':
        return this.incoming(ev.peer, now);
      case 'transfer':
        return this.transfer(ev.leg, ev.target);
    }
  }

  // --- presses ---------------------------------------------------------------

  private press(buttonName: string | undefined, now: number): DoorAction[] {
    const button = buttonName === undefined ? this.settings.buttons[0] : this.settings.buttons.find((b) => b.name === buttonName);
    if (!button) return [log('warn', 'press.unknown-button', { button: buttonName })];
    const busy = this.call.phase !== 'idle';
    if (busy && (this.settings.pressDuringCall ?? 'ignore') === 'ignore') {
      // A visitor pressing again while it rings or while talking must not start a second call.
      return [log('info', 'press.ignored', { button: button.name, reason: `call ${this.call.phase}` })];
    }
    // A stuck or abused button must never turn into an endless redial loop.
    const tooSoon = this.tooSoon(now);
    if (tooSoon) return [log('info', 'press.ignored', { button: button.name, reason: tooSoon })];
    const actions = busy ? [log('info', 'call.restarted', { button: button.name }), ...this.hangup('restarted by a new press', now)] : [];
    this.callStarts.push(now);
    const stages = button.stages ?? [{ targets: button.targets, timeoutMs: this.settings.ringTimeoutMs }];
    return [...actions, log('info', 'press', { button: button.name }), ...this.startStage({ phase: 'calling', button: button.name, stages, stage: 0, legs: [], startedAt: now, ringing: false })];
  }

  private tooSoon(now: number): string | undefined {
    const last = this.callStarts[this.callStarts.length - 1];
    const min = this.settings.minCallIntervalMs ?? 0;
    if (last !== undefined && now - last < min) return `less than ${secs(min)} s since the last call`;
    const limit = this.settings.callLimit;
    if (limit) {
      this.callStarts = this.callStarts.filter((t) => now - t < limit.windowMs);
      if (this.callStarts.length >= limit.calls) return `${limit.calls} calls within ${secs(limit.windowMs)} s`;
    } else if (this.callStarts.length > 1) {
      this.callStarts = this.callStarts.slice(-1);
    }
    return undefined;
  }

  /** Rings the stage `c.stage` of a calling state and makes it current. */
  private startStage(c: Calling): DoorAction[] {
    const stage = c.stages[c.stage]!;
    c.legs = stage.targets.map((target) => ({ id: this.nextLeg++, target, ringing: false }));
    c.ringing = false;
    delete c.confirming;
    this.call = c;
    return [
      ...c.legs.map((l): DoorAction => ({ type: 'dial', leg: l.id, target: l.target })),
      { type: 'start-timer', name: 'ring', ms: stage.timeoutMs },
    ];
  }

  /** Gives the current stage up (`why`) and rings the next, or ends the call unanswered. */
  private nextStage(c: Calling, why: string, now: number): DoorAction[] {
    const out: DoorAction[] = [
      { type: 'cancel-timer', name: 'ring' },
      ...(c.confirming ? [{ type: 'cancel-timer', name: 'confirm' } as const] : []),
      ...[...c.legs, ...(c.confirming ? [c.confirming] : [])].map((l): DoorAction => ({ type: 'hangup-leg', leg: l.id, reason: why })),
    ];
    if (c.stage + 1 < c.stages.length) {
      c.stage++;
      return [...out, log('info', 'call.fallback', { stage: c.stage + 1, reason: why, to: c.stages[c.stage]!.targets.join(',') }), ...this.startStage(c)];
    }
    this.call = { phase: 'idle' };
    if (c.transferOf !== undefined) out.push({ type: 'transfer-progress', leg: c.transferOf, status: 480 });
    return [...out, log('info', 'call.no-answer', { afterS: secs(now - c.startedAt) })];
  }

  private hangup(reason: string, now: number): DoorAction[] {
    const c = this.call;
    if (c.phase === 'idle') return [];
    // Ended from this side: the legs' own ends come later and find the door idle, so the call's end is logged here.
    const ended =
      c.phase === 'active'
        ? log('info', 'call.ended', { peer: c.leg.target, reason, by: 'local', answered: true, durationS: secs(now - c.answeredAt) })
        : log('info', 'call.ended', { peer: c.legs[0]?.target ?? c.confirming?.target ?? '', reason, by: 'local', answered: false, durationS: secs(now - c.startedAt) });
    const legs = c.phase === 'calling' ? [...c.legs, ...(c.confirming ? [c.confirming] : [])] : [c.leg, ...(c.transfer ? [c.transfer.leg] : [])];
    this.call = { phase: 'idle' };
    this.codes.clearEntry();
    return [
      { type: 'cancel-timer', name: 'ring' },
      { type: 'cancel-timer', name: 'max-duration' },
      ...this.cancelWarning(),
      ...(c.phase === 'calling' && c.confirming ? [{ type: 'cancel-timer', name: 'confirm' } as const] : []),
      ...(c.phase === 'active' && c.closing ? [{ type: 'cancel-timer', name: 'after-open' } as const] : []),
      ...legs.map((l): DoorAction => ({ type: 'hangup-leg', leg: l.id, reason })),
      ended,
    ];
  }

  // --- legs ------------------------------------------------------------------

  private legRinging(id: number): DoorAction[] {
    const c = this.call;
    if (c.phase === 'active' && c.transfer?.leg.id === id) return [{ type: 'transfer-progress', leg: c.transfer.from, status: 180 }];
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
    if (c.phase === 'active' && c.transfer?.leg.id === id) return this.transferAnswered(c, now);
    if (c.phase !== 'calling' || c.confirming) {
      // A second answer after another leg won: that phone must not stay connected to nothing.
      return [{ type: 'hangup-leg', leg: id, reason: 'answered elsewhere' }];
    }
    const leg = c.legs.find((l) => l.id === id);
    if (!leg) return [{ type: 'hangup-leg', leg: id, reason: 'answered elsewhere' }];
    const others = c.legs.filter((l) => l.id !== id);
    const confirmMs = c.stages[c.stage]?.confirmMs;
    if (confirmMs !== undefined) {
      // Connected so its keys reach us, but the call stays "ringing" until a key proves a person answered.
      c.legs = [];
      c.confirming = leg;
      return [
        { type: 'cancel-timer', name: 'ring' },
        ...others.map((l): DoorAction => ({ type: 'hangup-leg', leg: l.id, reason: 'answered elsewhere' })),
        { type: 'connect-media', leg: id },
        { type: 'start-timer', name: 'confirm', ms: confirmMs },
        log('info', 'call.confirm-wait', { peer: leg.target }),
      ];
    }
    return [
      { type: 'cancel-timer', name: 'ring' },
      ...others.map((l): DoorAction => ({ type: 'hangup-leg', leg: l.id, reason: 'answered elsewhere' })),
      { type: 'connect-media', leg: id },
      ...this.becomeActive(c, leg, now),
    ];
  }

  /** The call is connected to `leg`: timers for its duration, and the log line. */
  private becomeActive(c: Calling, leg: Leg, now: number, incoming = false): DoorAction[] {
    this.call = { phase: 'active', button: c.button, leg, startedAt: c.startedAt, answeredAt: now, incoming };
    this.codes.clearEntry();
    return [
      { type: 'start-timer', name: 'max-duration', ms: this.settings.maxDurationMs },
      ...(this.warnBefore() > 0 ? [{ type: 'start-timer', name: 'warning', ms: this.settings.maxDurationMs - this.warnBefore() } as const] : []),
      ...(c.transferOf !== undefined ? [{ type: 'transfer-progress', leg: c.transferOf, status: 200 } as const] : []),
      log('info', incoming ? 'call.incoming-answered' : 'call.answered', { peer: leg.target, afterMs: now - c.startedAt }),
    ];
  }

  private legEnded(ev: Extract<DoorEvent, { type: 'leg-ended' }>, now: number): DoorAction[] {
    const c = this.call;
    const fields = (target: string) => ({ peer: target, reason: ev.reason, ...(ev.status ? { status: ev.status } : {}) });
    if (c.phase === 'calling') {
      if (c.confirming?.id === ev.leg) {
        return [log('info', 'call.leg-failed', fields(c.confirming.target)), ...this.nextStage(c, 'not confirmed', now)];
      }
      const leg = c.legs.find((l) => l.id === ev.leg);
      if (!leg) return [];
      c.legs = c.legs.filter((l) => l.id !== ev.leg);
      // A network failure (the registrar down) is worth a warning even when a fallback takes over.
      const failed = log(ev.by === 'network' ? 'warn' : 'info', 'call.leg-failed', fields(leg.target));
      if (c.legs.length > 0 || c.confirming) return [failed];
      if (c.stage + 1 < c.stages.length) return [failed, ...this.nextStage(c, 'no one reached', now)];
      this.call = { phase: 'idle' };
      return [
        { type: 'cancel-timer', name: 'ring' },
        ...(c.transferOf !== undefined ? [{ type: 'transfer-progress', leg: c.transferOf, status: ev.status ?? 480 } as const] : []),
        log(ev.by === 'local' ? 'info' : 'warn', 'call.ended', { ...fields(leg.target), answered: false, durationS: secs(now - c.startedAt) }),
      ];
    }
    if (c.phase !== 'active') return [];
    if (c.transfer?.leg.id === ev.leg) {
      // The transfer target could not be reached: the call stays with whoever asked for it.
      const { from, leg } = c.transfer;
      delete c.transfer;
      return [{ type: 'transfer-progress', leg: from, status: ev.status ?? 480 }, log('warn', 'call.transfer-failed', fields(leg.target))];
    }
    if (c.leg.id !== ev.leg) return [];
    const ended = log('info', 'call.ended', { peer: c.leg.target, reason: ev.reason, by: ev.by, answered: true, durationS: secs(now - c.answeredAt) });
    if (c.transfer) {
      // RFC 3515 §2.4.4: the referrer usually leaves once it asked; the door keeps ringing the new target.
      const t = c.transfer.leg;
      this.call = { phase: 'calling', button: c.button, stages: [{ targets: [t.target], timeoutMs: this.settings.ringTimeoutMs }], stage: 0, legs: [t], startedAt: now, ringing: t.ringing, transferOf: c.transfer.from };
      return [
        { type: 'cancel-timer', name: 'max-duration' },
        ...this.cancelWarning(),
        ...(c.closing ? [{ type: 'cancel-timer', name: 'after-open' } as const] : []),
        { type: 'start-timer', name: 'ring', ms: this.settings.ringTimeoutMs },
        ended,
      ];
    }
    this.call = { phase: 'idle' };
    this.codes.clearEntry();
    return [
      { type: 'cancel-timer', name: 'max-duration' },
      ...this.cancelWarning(),
      ...(c.closing ? [{ type: 'cancel-timer', name: 'after-open' } as const] : []),
      ended,
    ];
  }

  // --- incoming calls and transfers --------------------------------------------

  private incoming(peer: string, now: number): DoorAction[] {
    const leg: Leg = { id: this.nextLeg++, target: peer, ringing: false };
    if (this.call.phase !== 'idle') {
      return [{ type: 'reject-incoming', leg: leg.id, status: 486, reason: 'Busy Here' }, log('info', 'incoming.busy', { peer })];
    }
    const c: Calling = { phase: 'calling', button: 'incoming', stages: [], stage: 0, legs: [], startedAt: now, ringing: false };
    return [{ type: 'answer-incoming', leg: leg.id }, { type: 'connect-media', leg: leg.id }, ...this.becomeActive(c, leg, now, true)];
  }

  private transfer(from: number, target: string): DoorAction[] {
    const c = this.call;
    if (c.phase !== 'active' || c.leg.id !== from || c.transfer) {
      return [{ type: 'transfer-progress', leg: from, status: 603 }, log('warn', 'call.transfer-refused', { target, reason: 'no call to transfer' })];
    }
    const leg: Leg = { id: this.nextLeg++, target, ringing: false };
    c.transfer = { leg, from };
    return [{ type: 'transfer-progress', leg: from, status: 100 }, { type: 'dial', leg: leg.id, target }, log('info', 'call.transfer', { from: c.leg.target, to: target })];
  }

  private transferAnswered(c: Active, now: number): DoorAction[] {
    const t = c.transfer!;
    c.transfer = undefined;
    const old = c.leg;
    c.leg = t.leg;
    c.answeredAt = now;
    this.codes.clearEntry();
    return [
      { type: 'transfer-progress', leg: t.from, status: 200 },
      { type: 'hangup-leg', leg: old.id, reason: 'transferred' },
      { type: 'connect-media', leg: t.leg.id },
      log('info', 'call.transferred', { from: old.target, to: t.leg.target }),
    ];
  }

  // --- timers, the opener and keys ---------------------------------------------

  private timer(name: TimerName, now: number): DoorAction[] {
    const c = this.call;
    if (name === 'ring' && c.phase === 'calling') return this.nextStage(c, 'no answer', now);
    if (name === 'confirm' && c.phase === 'calling' && c.confirming) {
      return [log('info', 'call.not-confirmed', { peer: c.confirming.target }), ...this.nextStage(c, 'no key pressed (voicemail?)', now)];
    }
    if (name === 'max-duration' && c.phase === 'active') {
      return [log('info', 'call.max-duration', { afterS: secs(this.settings.maxDurationMs) }), ...this.hangup('maximum call duration reached', now)];
    }
    if (name === 'after-open' && c.phase === 'active' && c.closing) {
      return [log('info', 'call.end-after-open', { afterS: secs(this.settings.endAfterOpenMs ?? 0) }), ...this.hangup('door opened', now)];
    }
    if (name === 'warning' && c.phase === 'active' && this.warnBefore() > 0) {
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
    const c = this.call;
    const after = this.settings.endAfterOpenMs;
    if (after !== undefined && c.phase === 'active' && !c.closing) {
      // The visitor is in: the call has done its job, so it ends by itself a little later.
      c.closing = true;
      actions.push({ type: 'start-timer', name: 'after-open', ms: after });
    }
    return actions;
  }

  private dtmf(digit: string, now: number): DoorAction[] {
    const c = this.call;
    if (c.phase === 'calling' && c.confirming) {
      // Any key proves a person answered, not a voicemail.
      const leg = c.confirming;
      return [{ type: 'cancel-timer', name: 'confirm' }, log('info', 'call.confirmed', { peer: leg.target }), ...this.becomeActive(c, leg, now)];
    }
    if (c.phase !== 'active') return [];
    const peer = c.leg.target;
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

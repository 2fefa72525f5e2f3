// The parts of the door's settings that need translating from the config's
// words (user parts, seconds, optional keys) into the state machine's
// (Request-URIs, milliseconds, labels).
import type { ButtonConfig, Config, RingMode } from '../config/schema.ts';
import type { DoorButton, DoorSettings, RingStage } from './door.ts';
import type { CodeLockout, DoorCode } from './dtmf-codes.ts';
import { targetUri } from './targets.ts';

/** door.codes as the door matches them: labelled by name or position, targets as Request-URIs. */
export function doorCodes(config: Config): DoorCode[] {
  return config.door.codes.map((c, i): DoorCode => {
    if (typeof c === 'string') return { code: c, label: `codes[${i}]` };
    return {
      code: c.code,
      label: c.name ?? `codes[${i}]`,
      ...(c.for ? { targets: c.for.map((t) => targetUri(t, config.sip.domain)) } : {}),
    };
  });
}

/** door.lockout in milliseconds. */
export function codeLockout(config: Config): CodeLockout {
  const l = config.door.lockout;
  return { attempts: l.attempts, windowMs: l.window * 1000, lockoutMs: l.duration * 1000 };
}

/** A button's ring stages: `call` (at once, or one after the other), then each fallback in order. */
export function buttonStages(config: Config, button: ButtonConfig): RingStage[] {
  const stagesOf = (s: { call: string[]; ring?: RingMode; ring_timeout?: number; confirm?: boolean }): RingStage[] => {
    const timeoutMs = (s.ring_timeout ?? config.calls.ring_timeout) * 1000;
    const confirm = s.confirm ? { confirmMs: config.calls.confirm_timeout * 1000 } : {};
    const uris = s.call.map((t) => targetUri(t, config.sip.domain));
    return s.ring === 'sequential' ? uris.map((u) => ({ targets: [u], timeoutMs, ...confirm })) : [{ targets: uris, timeoutMs, ...confirm }];
  };
  return [...stagesOf(button), ...(button.fallback ?? []).flatMap(stagesOf)];
}

/** The door's buttons, with their stages. */
export function doorButtons(config: Config): DoorButton[] {
  return config.buttons.map((b) => ({ name: b.name, targets: b.call.map((t) => targetUri(t, config.sip.domain)), stages: buttonStages(config, b) }));
}

/** Presses during calls, call limits and the end after opening, in the door's units. */
export function callPolicy(config: Config): Pick<DoorSettings, 'pressDuringCall' | 'minCallIntervalMs' | 'callLimit' | 'endAfterOpenMs'> {
  const c = config.calls;
  return {
    pressDuringCall: c.press_during_call,
    minCallIntervalMs: c.min_interval * 1000,
    callLimit: { calls: c.limit.calls, windowMs: c.limit.window * 1000 },
    ...(c.end_after_open !== undefined ? { endAfterOpenMs: c.end_after_open * 1000 } : {}),
  };
}

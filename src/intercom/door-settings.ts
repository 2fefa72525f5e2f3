// The parts of the door's settings that need translating from the config's
// words (user parts, seconds, optional keys) into the state machine's
// (Request-URIs, milliseconds, labels).
import type { Config } from '../config/schema.ts';
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

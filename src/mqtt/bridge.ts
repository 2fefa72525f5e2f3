// The door's MQTT protocol without any I/O: which state topics a status maps
// to, what an event looks like on the wire, and what a command payload means.
// The link (link.ts) feeds it and publishes what it returns.
import type { DoorLogEntry } from '../intercom/event-log.ts';
import type { StationStatus } from '../intercom/station-api.ts';
import { isSecretKey } from '../log/redact.ts';
import type { StateName } from './topics.ts';

/** A command taken from `<base>/command/<name>`, checked. */
export type MqttCommand =
  | { cmd: 'open' }
  /** The lock entity's "lock": the door locks by itself, so nothing to do. */
  | { cmd: 'lock' }
  | { cmd: 'press'; button?: string }
  | { cmd: 'hangup' }
  | { cmd: 'incoming'; enabled: boolean }
  | { cmd: 'self-test' };

export type ParsedCommand = { ok: true; command: MqttCommand } | { ok: false; error: string };

/** Longer payloads are refused unread; real commands are a few bytes. */
export const MAX_COMMAND_BYTES = 256;

/** Each state topic's JSON, from a status; topics that do not apply to this door are left out. */
export function stateValues(s: StationStatus): Partial<Record<StateName, string>> {
  const out: Partial<Record<StateName, string>> = {
    registration: JSON.stringify({
      registered: s.registered,
      state: s.registration.state,
      ...(s.registration.lastError !== undefined ? { last_error: s.registration.lastError } : {}),
    }),
    call: JSON.stringify(
      s.call ? { state: s.call.state, peer: s.call.peer, since: s.call.since, ...(s.call.codec ? { codec: s.call.codec } : {}) } : { state: 'idle' },
    ),
    door: JSON.stringify({ open: s.door.open, opened: s.door.opened }),
  };
  if (s.hardware?.door_contact) out.contact = JSON.stringify({ state: s.hardware.door_contact });
  if (s.incoming) out.incoming = JSON.stringify({ enabled: s.incoming.enabled });
  return out;
}

/**
 * An event's topic level and payload: the history entry with `event_type` (what
 * Home Assistant's event entity reads), minus anything secret — a code's
 * digits, a card number or a PIN never leave the door.
 */
export function eventValue(entry: DoorLogEntry): { kind: string; payload: string } {
  const { kind, at, ...rest } = entry;
  const fields = Object.fromEntries(Object.entries(rest).filter(([k]) => !isSecretKey(k)));
  return { kind, payload: JSON.stringify({ event_type: kind, at, ...fields }) };
}

const BUTTON_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** JSON object payloads are accepted too: `{"button": "x"}`, `{"enabled": true}`. */
function asObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Payloads a button press sends (Home Assistant's default is "PRESS"). */
function isTrigger(text: string): boolean {
  return /^press$/i.test(text) || text === '{}';
}

/**
 * Reads a command from its topic's name and payload; a bad one gets a one-line
 * reason. An empty payload is never a command: it is how a retained message is
 * cleared, and that clearing reaches subscribers too (the link drops it first).
 */
export function parseCommand(name: string, payload: Buffer | string): ParsedCommand {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (bytes > MAX_COMMAND_BYTES) return { ok: false, error: `payload of ${bytes} bytes is too long (at most ${MAX_COMMAND_BYTES})` };
  const text = payload.toString().trim();
  const bad = (want: string): ParsedCommand => ({ ok: false, error: `payload ${JSON.stringify(text)} is not ${want}` });
  switch (name) {
    case 'open':
      if (isTrigger(text) || /^(open|unlock)$/i.test(text)) return { ok: true, command: { cmd: 'open' } };
      if (/^lock$/i.test(text)) return { ok: true, command: { cmd: 'lock' } };
      return bad('PRESS, OPEN, UNLOCK or LOCK');
    case 'press': {
      if (isTrigger(text)) return { ok: true, command: { cmd: 'press' } };
      const obj = asObject(text);
      const button = obj ? obj['button'] : text;
      if (obj && Object.keys(obj).some((k) => k !== 'button')) return bad('{"button": NAME}');
      if (typeof button === 'string' && BUTTON_NAME.test(button)) return { ok: true, command: { cmd: 'press', button } };
      return bad('PRESS, a button name or {"button": NAME}');
    }
    case 'hangup':
      return isTrigger(text) ? { ok: true, command: { cmd: 'hangup' } } : bad('PRESS');
    case 'self-test':
      return isTrigger(text) ? { ok: true, command: { cmd: 'self-test' } } : bad('PRESS');
    case 'incoming': {
      const obj = asObject(text);
      if (obj) {
        const enabled = obj['enabled'];
        if (typeof enabled === 'boolean' && Object.keys(obj).length === 1) return { ok: true, command: { cmd: 'incoming', enabled } };
        return bad('{"enabled": true|false}');
      }
      if (/^(on|true|enable|enabled)$/i.test(text)) return { ok: true, command: { cmd: 'incoming', enabled: true } };
      if (/^(off|false|disable|disabled)$/i.test(text)) return { ok: true, command: { cmd: 'incoming', enabled: false } };
      return bad('ON, OFF or {"enabled": true|false}');
    }
    default:
      return { ok: false, error: `unknown command "${name}"` };
  }
}

// Which log fields carry secrets, and how they are masked.
// A door's SIP password, its DTMF codes or a card number in a log file would let
// anyone who can read the journal open the door.

export const REDACTED = '***';

const SECRET_KEYS = new Set(['password', 'secret', 'code', 'codes', 'pin', 'card']);

/** True when a field of this name must never be printed (case-insensitive). */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase();
  return SECRET_KEYS.has(k) || k.endsWith('_password');
}

/**
 * A copy of `value` fit for a log line: secret fields masked at any depth,
 * Errors reduced to their message, cycles cut, bigints as strings.
 */
export function redact(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redact(v, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) ? REDACTED : redact(v, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

// logfmt encoding (key=value pairs separated by spaces), as read by journalctl
// users, grep, and log shippers such as Loki and Vector.

/** Keys are restricted to a safe set so a field name can never break the line apart. */
export function logfmtKey(key: string): string {
  const cleaned = key.replace(/[^A-Za-z0-9_.\-]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/** A value as written after `=`: bare when unambiguous, else double-quoted with escapes. */
export function logfmtValue(value: unknown): string {
  let s: string;
  if (value === undefined) s = '';
  else if (value === null) s = 'null';
  else if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
  else s = JSON.stringify(value) ?? String(value);
  // Quote anything with spaces, quotes, '=', control or non-ASCII characters, and the empty string.
  if (s !== '' && /^[\x21-\x7e]+$/.test(s) && !/["=\\]/.test(s)) return s;
  return JSON.stringify(s);
}

// Turns schema validation issues into one-line messages that name the key path
// ("buttons[0].call: must not be empty"), in the words an installer would use.
import { z } from 'zod';
import { isSecretKey } from '../log/redact.ts';

/** Formats a key path the way it is written in docs: `sip.server`, `buttons[0].call`. */
export function keyPath(path: readonly PropertyKey[], top = 'config'): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? top : out;
}

function describe(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  return `${typeof value === 'number' ? 'the number' : ''} ${String(value)}`.trim();
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] ?? 0;
      const left = row[j - 1] ?? 0;
      row[j] = Math.min(up + 1, left + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest known key, if it is close enough to be a likely typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(unknown.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(unknown.length / 3)) ? best : undefined;
}

// An unrecognized_keys issue covers several keys but we report one line per
// key, so the message carries one "key\tmessage" entry per line.
const KEY_SEPARATOR = '\t';

/** Error map for config parsing: messages without the key path, which formatIssues adds. */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'required';
      // A door code or PIN written without quotes must not be echoed: errors end up in logs.
      const secret = (iss.path ?? []).some((p) => typeof p === 'string' && isSecretKey(p));
      if (iss.expected === 'string' && typeof iss.input === 'number') {
        return secret
          ? 'must be quoted: YAML reads an unquoted number as a number and drops leading zeros'
          : `must be quoted ("${iss.input}"): YAML reads ${iss.input} as a number and drops leading zeros`;
      }
      return `must be ${EXPECTED[iss.expected] ?? iss.expected}, not ${secret ? 'that' : describe(iss.input)}`;
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map(String).join(', ')} (got ${JSON.stringify(iss.input)})`;
    case 'too_small':
      return iss.origin === 'array' || iss.origin === 'string' ? 'must not be empty' : `must be at least ${String(iss.minimum)}`;
    case 'too_big':
      return `must be at most ${String(iss.maximum)}`;
    case 'unrecognized_keys': {
      const known = iss.inst instanceof z.ZodObject ? Object.keys(iss.inst.shape) : [];
      return iss.keys
        .map((k) => {
          const hint = suggestKey(k, known);
          return `${k}${KEY_SEPARATOR}unknown key${hint ? ` (did you mean ${hint}?)` : ''}`;
        })
        .join('\n');
    }
    default:
      return undefined;
  }
};

/** One line per problem, each starting with the key path. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], top = 'config'): string[] {
  const lines: string[] = [];
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const entry of iss.message.split('\n')) {
        const [key = '', message = 'unknown key'] = entry.split(KEY_SEPARATOR);
        lines.push(`${keyPath([...iss.path, key], top)}: ${message}`);
      }
    } else {
      lines.push(`${keyPath(iss.path, top)}: ${iss.message}`);
    }
  }
  return lines;
}

// Card IDs and keypad PINs are compared as hashes: the config holds only
// "sha256:<hex>" strings. The kind is part of the hashed text, so a card ID
// never matches as a PIN and the other way round.
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a credential is: a card ID or a keypad PIN. */
export type CredentialKind = 'card' | 'pin';

/** Card IDs in one spelling: no spaces, upper-case hex. */
export function normalizeCredential(kind: CredentialKind, value: string): string {
  const v = value.replace(/\s+/g, '');
  return kind === 'card' ? v.toUpperCase() : v;
}

/** The hash stored in the config for a card ID or PIN. */
export function hashCredential(kind: CredentialKind, value: string): string {
  const text = `intercom:${kind}:${normalizeCredential(kind, value)}`;
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** True when `value` hashes to one of `allowed`. */
export function credentialAllowed(kind: CredentialKind, value: string, allowed: readonly string[]): boolean {
  const mine = Buffer.from(hashCredential(kind, value));
  let found = false;
  // Every entry is compared, in constant time each: no early exit to time.
  for (const a of allowed) {
    const other = Buffer.from(a);
    if (other.length === mine.length && timingSafeEqual(other, mine)) found = true;
  }
  return found;
}

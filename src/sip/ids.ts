// Identifiers that must be unique and unguessable: branch ids (RFC 3261 §8.1.1.7),
// tags (§19.3) and Call-IDs (§8.1.1.4). They come from the system's CSPRNG, not
// Math.random, so a scanner cannot predict or collide with them.
import { randomBytes } from 'node:crypto';

/** The magic cookie that marks an RFC 3261 branch id. */
export const BRANCH_COOKIE = 'z9hG4bK';

/** A fresh branch id for a new client transaction. */
export function newBranch(): string {
  return BRANCH_COOKIE + randomBytes(12).toString('base64url');
}

/** A fresh From/To tag. */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** A fresh Call-ID (the host part only makes it readable in traces). */
export function newCallId(host: string): string {
  return `${randomBytes(12).toString('hex')}@${host}`;
}

// When to look for a new document, and what a check's outcome means. Pure.
import { backoffDelay, NO_JITTER } from '../sip/backoff.ts';

/** A failed check is retried sooner than the interval: 30 s, 60 s, 120 s ... but never later than the interval. */
const FIRST_RETRY_MS = 30_000;

/** Milliseconds until the next check, after `failures` failed checks in a row (0 after a success). */
export function nextCheckDelayMs(intervalS: number, failures: number): number {
  if (failures <= 0) return intervalS * 1000;
  return backoffDelay({ baseMs: FIRST_RETRY_MS, capMs: intervalS * 1000 }, failures, NO_JITTER);
}

export type Fetched = { kind: 'not-modified' } | { kind: 'document'; sha256: string };

/** A fetched document is applied only when it differs from the one in force. */
export function isChange(fetched: Fetched, inForceSha256: string | undefined): boolean {
  return fetched.kind === 'document' && fetched.sha256 !== inForceSha256;
}

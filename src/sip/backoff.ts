// Capped exponential back-off with jitter, so a fleet of doors that lost their
// registrar at the same moment does not come back in lock-step, and a wrong
// password does not turn into a retry storm.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** Network and server failures: retry soon, then every minute at most. */
export const FAILURE_BACKOFF: BackoffPolicy = { baseMs: 2000, capMs: 60_000 };
/** Rejected credentials will not fix themselves quickly: start at a minute, cap at 30. */
export const AUTH_BACKOFF: BackoffPolicy = { baseMs: 60_000, capMs: 30 * 60_000 };

/** The `random` at which backoffDelay spreads nothing: exactly the capped exponential. */
export const NO_JITTER = 0.5;

/** Delay before retry number `attempt` (1-based); `random` in [0,1) spreads it by ±20%. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number = Math.random()): number {
  const exp = policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30));
  const capped = Math.min(policy.capMs, exp);
  return Math.round(capped * (0.8 + 0.4 * random));
}

// A provisioned door that has never fetched its config (first boot, no cache)
// waits for it in the foreground instead of exiting: systemd would give up
// after a few quick restarts (StartLimitBurst), and a door installed before
// its network or provisioning server is ready must come up by itself once
// they are. The wait tells systemd why the start takes long (STATUS=) and
// extends its start timeout before each pause (EXTEND_TIMEOUT_USEC=, sd_notify(3)).
import type { Logger } from '../log/logger.ts';
import { backoffDelay, NO_JITTER, type BackoffPolicy } from '../sip/backoff.ts';
import { statusAssignment, type Notifier } from './sd-notify.ts';

const FIRST_CONFIG_BACKOFF: BackoffPolicy = { baseMs: 5000, capMs: 300_000 };

/** Pause before the n-th retry (n from 0): 5 s, doubling, at most 5 min. */
export function firstConfigRetryMs(attempt: number): number {
  return backoffDelay(FIRST_CONFIG_BACKOFF, attempt + 1, NO_JITTER);
}

/** What a config load says: loaded, or failed (`transient`: it may work later). */
export type LoadAttempt = { ok: true } | { ok: false; transient?: boolean; errors: string[] };

export interface FirstConfigWaitOptions<R extends LoadAttempt> {
  load(): Promise<R>;
  notifier: Notifier;
  log: Logger;
  /** Longest one load may take (the fetch timeout), added to each extension. */
  loadTimeoutMs: number;
  /** Resolves when the service is asked to stop; the wait then ends with undefined. */
  stopped: Promise<unknown>;
  /** Resolves early when a retry is asked for (SIGHUP); called again for each pause. */
  retryNow(): Promise<unknown>;
  sleep?: (ms: number) => Promise<unknown>;
}

/** Retries a transient failure until a config loads, a permanent error comes, or a stop. */
export async function waitForFirstConfig<R extends LoadAttempt>(first: R, opts: FirstConfigWaitOptions<R>): Promise<R | undefined> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  let stop = false;
  void opts.stopped.then(() => (stop = true));
  let result = first;
  for (let attempt = 0; ; attempt++) {
    const seen: LoadAttempt = result;
    if (seen.ok || !seen.transient) return result;
    const pauseMs = firstConfigRetryMs(attempt);
    const why = seen.errors[0] ?? 'no config yet';
    if (attempt === 0) opts.log.warn('provisioning-waiting', { reason: why, retry_s: pauseMs / 1000 });
    else opts.log.debug('provisioning-waiting', { reason: why, retry_s: pauseMs / 1000 });
    const extendUsec = (pauseMs + opts.loadTimeoutMs + 30_000) * 1000;
    opts.notifier.notify(`EXTEND_TIMEOUT_USEC=${extendUsec}\n${statusAssignment(`waiting for the provisioned config (next try in ${pauseMs / 1000} s)`)}`);
    await Promise.race([sleep(pauseMs), opts.stopped, opts.retryNow()]);
    if (stop) return undefined;
    result = await opts.load();
  }
}

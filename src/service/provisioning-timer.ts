// The timer behind scheduled provisioning checks; the provisioner decides the
// delay (provisioning/schedule.ts), this only waits. One check at a time.
import type { Logger } from '../log/logger.ts';

export interface ProvisioningTimer {
  /** Starts waiting anew with the current delay (after a reload changed the interval, or turned provisioning on). */
  rearm(): void;
  stop(): void;
}

/** Runs `check` after `delayMs()` milliseconds, again and again; no timer while `delayMs()` is undefined. */
export function startProvisioningTimer(delayMs: () => number | undefined, check: () => Promise<void>, log: Logger): ProvisioningTimer {
  let timer: NodeJS.Timeout | undefined;
  let checking = false;
  let stopped = false;

  const arm = (): void => {
    if (stopped || checking) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const delay = delayMs();
    if (delay === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      checking = true;
      check()
        .catch((err: unknown) => log.error('provisioning-check-failed', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          checking = false;
          arm();
        });
    }, delay);
  };
  arm();
  return {
    rearm: arm,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

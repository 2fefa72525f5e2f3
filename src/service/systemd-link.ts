// What the running station tells systemd: READY=1 once it runs, a STATUS= line
// whenever the registration or call state changes, WATCHDOG=1 keep-alives,
// RELOADING=1/READY=1 around a reload and STOPPING=1 on the way out.
import type { StationStatus } from '../intercom/station-api.ts';
import type { Logger } from '../log/logger.ts';
import { statusAssignment, systemdNotifier } from './sd-notify.ts';
import type { Notifier } from './sd-notify.ts';
import { serviceStatusLine } from './status-line.ts';
import { startWatchdog, watchdogIntervalMs } from './watchdog.ts';
import type { Watchdog } from './watchdog.ts';

/** How often the state is looked at for STATUS= changes. */
const STATUS_POLL_MS = 1000;

/** The running station's side of the conversation with systemd. */
export interface SystemdLink {
  /** The station is up: READY=1 with its first STATUS=. */
  ready(): void;
  /** A reload starts (RELOADING=1); `reloaded()` ends it. */
  reloading(): void;
  reloaded(): void;
  /** The station is shutting down: STOPPING=1; timers end. */
  stopping(): void;
}

export interface SystemdLinkOptions {
  env?: NodeJS.ProcessEnv;
  pid?: number;
  notifier?: Notifier;
}

/** Links the station's state to systemd; every call is a no-op when not run under Type=notify. */
export function linkToSystemd(status: () => StationStatus, log: Logger, options: SystemdLinkOptions = {}): SystemdLink {
  const env = options.env ?? process.env;
  const notifier = options.notifier ?? systemdNotifier(env);
  if (notifier.problem) log.warn('systemd-notify-unavailable', { reason: notifier.problem });
  if (!notifier.enabled) return { ready() {}, reloading() {}, reloaded() {}, stopping() {} };

  let lastStatus = '';
  let poller: NodeJS.Timeout | undefined;
  let watchdog: Watchdog | undefined;
  const currentStatus = (): string => statusAssignment(serviceStatusLine(status()));
  const sendStatusIfChanged = (): void => {
    const line = currentStatus();
    if (line === lastStatus) return;
    lastStatus = line;
    notifier.notify(line);
  };

  const intervalMs = watchdogIntervalMs(env, options.pid ?? process.pid);
  return {
    ready() {
      lastStatus = currentStatus();
      notifier.notify(`READY=1\n${lastStatus}`);
      poller = setInterval(sendStatusIfChanged, STATUS_POLL_MS);
      poller.unref();
      if (intervalMs !== undefined && !watchdog) {
        watchdog = startWatchdog(() => notifier.notify('WATCHDOG=1'), intervalMs);
        log.info('watchdog-enabled', { ping_ms: intervalMs });
      }
    },
    reloading() {
      // MONOTONIC_USEC lets systemd (253+) match this to the reload it asked for.
      const usec = process.hrtime.bigint() / 1000n;
      notifier.notify(`RELOADING=1\nMONOTONIC_USEC=${usec}\n${statusAssignment('reloading configuration')}`);
      lastStatus = '';
    },
    reloaded() {
      lastStatus = currentStatus();
      notifier.notify(`READY=1\n${lastStatus}`);
    },
    stopping() {
      clearInterval(poller);
      watchdog?.stop();
      notifier.notify(`STOPPING=1\n${statusAssignment('stopping')}`);
    },
  };
}

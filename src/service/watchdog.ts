// The systemd watchdog: WATCHDOG=1 keep-alives sent from a timer on the main
// event loop. If the loop hangs (a busy loop, a blocked native call), the timer
// stops firing, the keep-alives stop, and systemd kills and restarts the service
// after WatchdogSec. A ping from a separate thread would hide exactly that.

/** How often to ping: half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises; undefined when no watchdog is asked for. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = env['WATCHDOG_USEC'];
  if (usec === undefined || !/^\d+$/.test(usec)) return undefined;
  // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited it is not.
  const target = env['WATCHDOG_PID'];
  if (target !== undefined && target !== '' && target !== String(pid)) return undefined;
  const ms = Number(usec) / 1000 / 2;
  return ms >= 1 ? Math.floor(ms) : undefined;
}

/** A running keep-alive timer. */
export interface Watchdog {
  stop(): void;
}

/** Calls `ping` every `intervalMs` from the event loop until stopped; the timer does not keep the process alive. */
export function startWatchdog(ping: () => void, intervalMs: number): Watchdog {
  ping();
  const timer = setInterval(ping, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

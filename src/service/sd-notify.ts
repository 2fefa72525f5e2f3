// Messages to systemd's service manager (sd_notify(3)): READY=1, STATUS=...,
// WATCHDOG=1, RELOADING=1, STOPPING=1. Sent through libsystemd over FFI so the
// datagram comes from this very process (systemd ignores messages from other
// PIDs unless NotifyAccess=all) and no compiler is needed on the device.
import { createRequire } from 'node:module';

/** Sends sd_notify state lines; a no-op when not started by systemd with Type=notify. */
export interface Notifier {
  /** True when NOTIFY_SOCKET is set and libsystemd could be loaded. */
  readonly enabled: boolean;
  /** Why notifications are off although NOTIFY_SOCKET is set (libsystemd missing), for the log. */
  readonly problem?: string;
  /** Sends newline-separated `KEY=value` assignments; false when it could not be delivered. */
  notify(state: string): boolean;
}

type SdNotify = (unsetEnvironment: number, state: string) => number;

function loadSdNotify(): SdNotify {
  // koffi is CommonJS; createRequire keeps its loading lazy, so commands that
  // never talk to systemd do not map libsystemd at all.
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as { load(path: string): { func(definition: string): (...args: unknown[]) => unknown } };
  const fn = koffi.load('libsystemd.so.0').func('int sd_notify(int unset_environment, const char *state)');
  return (unset, state) => Number(fn(unset, state));
}

/** The notifier for this process, from NOTIFY_SOCKET in `env`. */
export function systemdNotifier(env: NodeJS.ProcessEnv = process.env, load: () => SdNotify = loadSdNotify): Notifier {
  if (!env['NOTIFY_SOCKET']) return { enabled: false, notify: () => false };
  let send: SdNotify;
  try {
    send = load();
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { enabled: false, problem: `cannot load libsystemd.so.0 (${reason}); install libsystemd0`, notify: () => false };
  }
  return {
    enabled: true,
    notify(state: string): boolean {
      try {
        return send(0, state) > 0;
      } catch {
        return false;
      }
    },
  };
}

/** A STATUS= value on one line: systemctl shows it after "Status:". */
export function statusAssignment(text: string): string {
  return `STATUS=${text.replace(/[\r\n]+/g, ' ').slice(0, 200)}`;
}

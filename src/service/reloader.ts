// Applying a changed config file to the running station (SIGHUP, `intercom
// reload`): an invalid file is refused and the running config stays; settings
// that can change in place do so without touching the registration or a call;
// SIP, audio-device and GPIO changes restart the station (unregister, register
// anew), and if the new settings cannot start, the previous ones are started again.
import type { ConfigResult } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { describePlan, planReload } from '../intercom/reload.ts';
import type { CommandResult } from '../intercom/station-api.ts';
import type { Logger } from '../log/logger.ts';

/** What the reloader needs from the running program. */
export interface ReloadHost {
  /** Reads and validates the config again (a provisioned door's may be fetched first). */
  load(trigger: string): ConfigResult | Promise<ConfigResult>;
  /** The config running now. */
  config(): Config;
  /** Records `next` as the running config (after it was applied). */
  setConfig(next: Config): void;
  /** Swaps in-place settings into the running station; false when it cannot (then it is restarted). */
  applyInPlace(next: Config): boolean;
  /** Stops the station and starts one with `next`; rejects with a one-line reason, leaving no station. */
  restartStation(next: Config): Promise<void>;
  /** Called before anything else is applied, e.g. to change the log level. */
  applyLogging(next: Config): void;
  /** Around the work, for systemd (RELOADING=1 / READY=1). */
  reloading(): void;
  reloaded(): void;
}

/** Reloads one at a time; a request arriving meanwhile waits for the previous one. */
export interface Reloader {
  reload(trigger: string): Promise<CommandResult>;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').trim();
}

/** Creates the reloader for `host`, logging to `log`. */
export function createReloader(host: ReloadHost, log: Logger): Reloader {
  let queue: Promise<unknown> = Promise.resolve();

  async function reloadNow(trigger: string): Promise<CommandResult> {
    const loaded = await host.load(trigger);
    if (!loaded.ok) {
      log.error('reload-rejected', { trigger, problems: loaded.errors.length, keeping: 'the running config' });
      for (const problem of loaded.errors) log.error('config-problem', { problem });
      return { ok: false, error: `the config is invalid, still running the previous one: ${loaded.errors.join('; ')}` };
    }
    for (const problem of loaded.warnings) log.warn('config-warning', { problem });
    const current = host.config();
    const plan = planReload(current, loaded.config);
    // control.socket cannot move under the running server; it keeps its old value until a restart.
    const next: Config = { ...loaded.config, control: current.control };
    const summary = describePlan(plan);
    if (plan.changed.length === 0) {
      log.info('reload-unchanged', { trigger });
      return { ok: true, detail: 'no changes' };
    }
    log.info('reloading', { trigger, changed: plan.changed.join(',') });
    host.reloading();
    try {
      host.applyLogging(next);
      if (plan.restartStation.length > 0 || !host.applyInPlace(next)) {
        try {
          await host.restartStation(next);
        } catch (err) {
          const reason = oneLine(err);
          log.error('reload-failed', { trigger, reason, keeping: 'the previous config' });
          host.applyLogging(current);
          await host.restartStation(current).catch((again: unknown) => {
            log.error('restart-previous-failed', { reason: oneLine(again) });
          });
          return { ok: false, error: `the new config did not start (${reason}); running the previous one` };
        }
      }
      host.setConfig(next);
      if (plan.needsServiceRestart.length > 0) {
        log.warn('reload-needs-restart', { keys: plan.needsServiceRestart.join(','), fix: 'systemctl restart intercom' });
      }
      log.info('reloaded', { trigger, summary });
      return { ok: true, detail: summary };
    } finally {
      host.reloaded();
    }
  }

  return {
    reload(trigger: string): Promise<CommandResult> {
      const result = queue.then(() => reloadNow(trigger));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

// `intercom run`: the station in the foreground, as systemd runs it.
import { constants } from 'node:os';
import type { Config } from '../config/schema.ts';
import { startControlServer } from '../control/server.ts';
import type { ControlServer } from '../control/server.ts';
import { deferredControl } from '../control/deferred-control.ts';
import type { CommandResult, StationControl } from '../intercom/station-api.ts';
import { StationEvents } from '../intercom/station-events.ts';
import { createLogger } from '../log/logger.ts';
import { startMetricsEndpoint, type MetricsEndpoint } from '../metrics/server.ts';
import type { LogSink, Logger } from '../log/logger.ts';
import { switchableLogger } from '../log/switchable.ts';
import { mqttService } from '../mqtt/service.ts';
import { createReloader } from '../service/reloader.ts';
import { startProvisioningTimer } from '../service/provisioning-timer.ts';
import { createProvisioner } from '../provisioning/provisioner.ts';
import { httpsGet } from '../provisioning/https-fetch.ts';
import { linkToSystemd } from '../service/systemd-link.ts';
import { systemdNotifier } from '../service/sd-notify.ts';
import { waitForFirstConfig } from '../service/first-config-wait.ts';
import { setFatalReporter } from './fatal.ts';
import type { CliIO } from './io.ts';
import { oneLine } from './io.ts';
import { packageVersion } from './version.ts';

/** Hanging up and unregistering takes a few round trips; past this we give up waiting. */
const STOP_DEADLINE_MS = 10_000;
/** How long one provisioning fetch may take at most (provisioning.timeout is far below), for systemd's start timeout. */
const FIRST_FETCH_MARGIN_MS = 60_000;

type Station = StationControl & {
  stop(): Promise<void>;
  /** Swaps in settings that need no restart; absent in stations that cannot. */
  applyConfig?(next: Config): void;
};
/** How the station is started; replaceable so the run sequence can be tested without SIP. */
export type StartStation = (config: Config, log: Logger, events: StationEvents) => Promise<Station>;

async function defaultStartStation(config: Config, log: Logger, events: StationEvents): Promise<Station> {
  // Loaded on demand: `check`, `status` and `--help` should not pull in the SIP and audio stack.
  const { startStation } = await import('../intercom/station.ts');
  return startStation(config, log, events);
}

/** Resolves with the first SIGTERM/SIGINT; a second one exits at once. `stopNow` ends the wait from inside. */
function awaitStopSignal(log: Logger): { stopped: Promise<string>; stopNow(reason: string): void; dispose(): void } {
  let received = 0;
  let resolveStop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (resolveStop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) {
      log.info('stopping', { signal });
      resolveStop(signal);
      return;
    }
    log.warn('stopping-now', { signal, reason: 'second signal' });
    process.exit(128 + (constants.signals[signal] ?? 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    stopped,
    stopNow: (reason) => resolveStop(reason),
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

function withDeadline(work: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function stopStation(station: Station, log: Logger): Promise<boolean> {
  try {
    if (await withDeadline(station.stop(), STOP_DEADLINE_MS)) return true;
    log.error('stop-timeout', { after_ms: STOP_DEADLINE_MS });
  } catch (err) {
    log.error('stop-failed', { error: oneLine(err) });
  }
  return false;
}

export interface RunOptions {
  startStation?: StartStation;
  /** Where log lines go (default stderr). */
  logStream?: LogSink;
}

/**
 * Runs until a stop signal: 0 after a clean stop, 1 when start or stop failed,
 * 2 on a bad config. A provisioned door with no config yet waits for one.
 */
export async function runCommand(configPath: string, io: CliIO, options: RunOptions = {}): Promise<number> {
  const start = options.startStation ?? defaultStartStation;
  const makeLogger = (c: Pick<Config, 'log'>): Logger =>
    createLogger({ level: c.log.level, format: c.log.format, ...(options.logStream ? { stream: options.logStream } : {}) });
  // A reload may change log.level; every part keeps the logger it was given. Until
  // the config is known (a provisioned one is fetched first) the defaults apply.
  const logs = switchableLogger(makeLogger({ log: { level: 'info', format: 'text' } }));
  const log = logs.log;
  const provisioner = createProvisioner({ configPath, log: log.child({ component: 'provisioning' }), fetch: httpsGet });
  const signals = awaitStopSignal(log);
  const notifier = systemdNotifier();
  // A provisioned config is fetched first, which takes a while; Node's default
  // for SIGHUP meanwhile would be to exit. While waiting for a first config, it fetches again now.
  let retryNow: () => void = () => log.warn('reload-ignored', { reason: 'the config is still being fetched' });
  const earlyHangup = (): void => retryNow();
  process.on('SIGHUP', earlyHangup);
  const loaded = await provisioner
    .load('start')
    .then((first) =>
      waitForFirstConfig(first, {
        load: () => provisioner.load('start'),
        notifier,
        log,
        loadTimeoutMs: FIRST_FETCH_MARGIN_MS,
        stopped: signals.stopped,
        retryNow: () => new Promise<void>((resolve) => (retryNow = resolve)),
      }),
    )
    .finally(() => process.off('SIGHUP', earlyHangup));
  if (!loaded) {
    log.info('stopped', { clean: true });
    signals.dispose();
    return 0;
  }
  if (!loaded.ok) {
    for (const line of loaded.errors) io.err(line);
    signals.dispose();
    return loaded.transient ? 1 : 2;
  }
  const { warnings } = loaded;
  let config = loaded.config;
  logs.switchTo(makeLogger(config));
  setFatalReporter((message) => log.error('fatal', { error: message }));
  for (const problem of warnings) log.warn('config-warning', { problem });

  // Outlives any one station: watchers stay subscribed across reloads that restart the SIP side.
  const events = new StationEvents((err) => log.warn('event-watcher-failed', { error: oneLine(err) }));
  let station: Station | undefined;
  let control: ControlServer | undefined;
  // Keeps the listen address it started with: a reload that changes `metrics` asks for a service restart.
  let metrics: MetricsEndpoint | undefined;
  const status = () => deferred.status();
  const systemd = linkToSystemd(status, log.child({ component: 'systemd' }), { notifier });
  let failed = false;
  const reloader = createReloader(
    {
      load: (trigger) => provisioner.load(trigger),
      config: () => config,
      setConfig: (next) => {
        config = next;
        void mqtt.apply(next);
        checks.rearm();
      },
      applyLogging: (next) => logs.switchTo(makeLogger(next)),
      applyInPlace: (next) => {
        if (!station?.applyConfig) return false;
        station.applyConfig(next);
        return true;
      },
      restartStation: async (next) => {
        const old = station;
        station = undefined;
        if (old) await stopStation(old, log);
        try {
          station = await start(next, log, events);
        } catch (err) {
          provisioner.settled(false, oneLine(err));
          throw new Error(oneLine(err));
        }
      },
      reloading: () => systemd.reloading(),
      reloaded: () => {
        if (station) return systemd.reloaded();
        // Neither the new nor the previous config could start a station: exit and let systemd restart us.
        failed = true;
        signals.stopNow('reload left no running station');
      },
    },
    log,
  );
  let started = false;
  /** A reload of any trigger; a new provisioned document it put in force is cached once the station runs with it. */
  const reload = async (trigger: string): Promise<CommandResult> => {
    const result = await reloader.reload(trigger);
    provisioner.settled(true);
    return result;
  };
  // Scheduled provisioning checks; a new good document is applied like `intercom reload`.
  const checks = startProvisioningTimer(
    () => (started ? provisioner.nextCheckMs() : undefined),
    async () => {
      if ((await provisioner.check()) === 'changed') await reload('provisioning');
    },
    log.child({ component: 'provisioning' }),
  );
  const stationControl = deferredControl(() => station);
  const deferred = {
    ...stationControl,
    status: () => {
      const provisioning = provisioner.status();
      const link = mqtt.status();
      return { ...stationControl.status(), ...(provisioning ? { provisioning } : {}), ...(link ? { mqtt: link } : {}) };
    },
    reload: async (): Promise<CommandResult> =>
      started ? reload('command') : { ok: false, error: 'the station is still starting' },
  };
  // Publishes through the same StationControl as the control socket, so commands get the same checks.
  const mqtt = mqttService(deferred, events, log.child({ component: 'mqtt' }), packageVersion());
  // Registered before starting: Node's default for SIGHUP is to exit.
  const onHangup = (): void => {
    // After the start, reloads queue up behind one another (even while one restarts the station).
    if (started) void reload('SIGHUP');
    else log.warn('reload-ignored', { reason: 'the station is still starting' });
  };
  process.on('SIGHUP', onHangup);
  try {
    log.info('starting', { version: packageVersion(), config: configPath, pid: process.pid });
    // The control socket is claimed first: a second instance is refused before it registers.
    control = await startControlServer(config.control.socket, deferred, log.child({ component: 'control' }));
    if (config.metrics) {
      const build = { version: packageVersion(), node: process.versions.node, startTimeS: Math.round(performance.timeOrigin / 1000) };
      const buttons = config.buttons.map((b) => b.name);
      metrics = await startMetricsEndpoint({ listen: config.metrics.listen, status, events, build, buttons, log: log.child({ component: 'metrics' }) });
    }
    try {
      station = await start(config, log, events);
    } catch (err) {
      // A provisioned document that validated but does not start: back to the last good one.
      if (!provisioner.settled(false, oneLine(err))) throw err;
      const previous = await provisioner.load('provisioning');
      if (!previous.ok) throw err;
      config = previous.config;
      logs.switchTo(makeLogger(config));
      station = await start(config, log, events);
    }
    provisioner.settled(true);
    started = true;
    checks.rearm();
    systemd.ready();
    void mqtt.apply(config);
    log.info('running');
  } catch (err) {
    log.error('start-failed', { error: oneLine(err) });
    checks.stop();
    process.off('SIGHUP', onHangup);
    await control?.close().catch(() => {});
    await metrics?.close();
    signals.dispose();
    setFatalReporter(undefined);
    return 1;
  }

  await signals.stopped;
  checks.stop();
  process.off('SIGHUP', onHangup);
  systemd.stopping();
  await control.close().catch((err: unknown) => log.warn('control-close-failed', { error: oneLine(err) }));
  await metrics?.close();
  await mqtt.stop();
  const running = station as Station | undefined;
  const clean = running ? await stopStation(running, log) : true;
  log.info('stopped', { clean });
  signals.dispose();
  setFatalReporter(undefined);
  return clean && !failed ? 0 : 1;
}

// The MQTT link's life in `intercom run`: started once the station runs,
// restarted when a reload changes the `mqtt:` section (the SIP side is not
// touched), stopped on shutdown. It outlives stations, like the event hub.
import type { Config } from '../config/schema.ts';
import type { StationControl } from '../intercom/station-api.ts';
import type { StationEvents } from '../intercom/station-events.ts';
import type { Logger } from '../log/logger.ts';
import type { MqttConfig } from '../config/mqtt-schema.ts';
import type { MqttLink, MqttLinkState } from './link.ts';

/** Whether a change of settings leaves the old discovery configs pointing at nothing (so they are removed). */
export function movesDiscovery(before: MqttConfig | undefined, after: MqttConfig | undefined): boolean {
  if (!before?.discovery.enabled) return false;
  if (!after?.discovery.enabled) return true;
  return before.topic !== after.topic || before.discovery.prefix !== after.discovery.prefix || before.url !== after.url;
}

export interface MqttService {
  /** Starts, restarts or stops the link to match `config.mqtt`. */
  apply(config: Config): Promise<void>;
  stop(): Promise<void>;
  /** The link's live state; undefined without an `mqtt:` section. */
  status(): MqttLinkState | undefined;
}

export function mqttService(control: StationControl, events: StationEvents, log: Logger, swVersion: string): MqttService {
  let link: MqttLink | undefined;
  let running = '';
  let current: MqttConfig | undefined;
  // Reloads may overlap with stop; each step waits for the previous one.
  let queue: Promise<void> = Promise.resolve();
  const step = (work: () => Promise<void>): Promise<void> => (queue = queue.then(work, work));
  const key = (c: Config): string =>
    c.mqtt ? JSON.stringify([c.mqtt, c.sip.display_name, c.door.contact !== undefined]) : '';

  return {
    apply: (config) =>
      step(async () => {
        const next = key(config);
        if (next === running) return;
        await link?.stop({ forgetDiscovery: movesDiscovery(current, config.mqtt) });
        link = undefined;
        running = next;
        current = config.mqtt;
        if (!config.mqtt) return;
        // Loaded only for a door that uses MQTT: the client library alone is ~27 MB of resident memory.
        const { startMqttLink } = await import('./link.ts');
        link = startMqttLink({
          config: config.mqtt,
          control,
          events,
          log,
          deviceName: config.sip.display_name,
          swVersion,
          hasContact: config.door.contact !== undefined,
        });
      }),
    status: () => link?.state(),
    stop: () =>
      step(async () => {
        await link?.stop();
        link = undefined;
        running = '';
        current = undefined;
      }),
  };
}

// The MQTT link's life in `intercom run`: started once the station runs,
// restarted when a reload changes the `mqtt:` section (the SIP side is not
// touched), stopped on shutdown. It outlives stations, like the event hub.
import type { Config } from '../config/schema.ts';
import type { StationControl } from '../intercom/station-api.ts';
import type { StationEvents } from '../intercom/station-events.ts';
import type { Logger } from '../log/logger.ts';
import { startMqttLink, type MqttLink } from './link.ts';

export interface MqttService {
  /** Starts, restarts or stops the link to match `config.mqtt`. */
  apply(config: Config): Promise<void>;
  stop(): Promise<void>;
}

export function mqttService(control: StationControl, events: StationEvents, log: Logger, swVersion: string): MqttService {
  let link: MqttLink | undefined;
  let running = '';
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
        await link?.stop();
        link = undefined;
        running = next;
        if (!config.mqtt) return;
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
    stop: () =>
      step(async () => {
        await link?.stop();
        link = undefined;
        running = '';
      }),
  };
}

// The one place that talks to the MQTT broker. The door never waits for it:
// every publish is fire-and-forget and only attempted while connected; what
// could not be sent waits in the outbox (latest state, bounded events) and goes
// out on the next connect. The broker authenticates the door and decides who
// may write its command topics; here commands are taken only from
// `<base>/command/<name>`, checked, and carried out through the same
// StationControl as the CLI.
import mqtt from 'mqtt';
import type { MqttClient, IClientOptions } from 'mqtt';
import { brokerLogin, oneLine, redactedUrl } from './client-options.ts';
import type { MqttConfig } from '../config/mqtt-schema.ts';
import type { CommandResult, StationControl } from '../intercom/station-api.ts';
import type { StationEvent, StationEvents } from '../intercom/station-events.ts';
import type { Logger } from '../log/logger.ts';
import { eventValue, parseCommand, stateValues, type MqttCommand } from './bridge.ts';
import { absentEntityTopics, discoveryMessages, nodeIdFor } from './discovery.ts';
import { Outbox, type OutMessage } from './outbox.ts';
import { commandName, topicsFor, type StateName } from './topics.ts';

export interface MqttLinkOptions {
  config: MqttConfig;
  control: StationControl;
  events: StationEvents;
  log: Logger;
  /** For Home Assistant's device block. */
  deviceName: string;
  swVersion: string;
  hasContact: boolean;
}

/** The link as the station's status reports it (no secrets: the URL is redacted). */
export interface MqttLinkState {
  url: string;
  connected: boolean;
  /** Why the last attempt failed or the connection dropped, while not connected. */
  last_error?: string;
  /** When the link last connected or was last seen dropping, ISO 8601. */
  since?: string;
}

export interface MqttLink {
  state(): MqttLinkState;
  /**
   * Publishes "offline" (when connected) and disconnects. `forgetDiscovery`:
   * first remove this door's entities from Home Assistant (the door moved to
   * another topic or prefix, or left MQTT), by clearing their retained configs.
   */
  stop(opts?: { forgetDiscovery?: boolean }): Promise<void>;
}

/** Between reconnect attempts while the broker is away. */
const RECONNECT_MS = 2000;
const STOP_DEADLINE_MS = 2000;

/** Connects in the background; a broker that is down or refuses us is logged and retried, never thrown. */
export function startMqttLink(o: MqttLinkOptions): MqttLink {
  const { config, control, log } = o;
  const topics = topicsFor(config.topic);
  const nodeId = nodeIdFor(config.topic);
  const haStatus = `${config.discovery.prefix}/status`;
  const outbox = new Outbox();
  let reportedDrops = 0;
  let lastError = '';

  const login = brokerLogin(config);
  if (!login.ok) {
    log.error('mqtt.failed', { error: login.error });
    return { state: () => ({ url: redactedUrl(config.url), connected: false, last_error: login.error }), stop: async () => {} };
  }
  const options: IClientOptions = {
    ...login.options,
    clean: true,
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: 10_000,
    // A broker gone without a word (no RST: a dead Wi-Fi link) is noticed within 1.5 keep-alives (MQTT 3.1.1 §3.1.2.10).
    keepalive: 30,
    // Nothing is queued inside the library: the outbox decides what survives an outage.
    queueQoSZero: false,
    resubscribe: true,
    // MQTT 3.1.1 §3.1.2.5: the broker publishes this for us when the connection dies uncleanly (kill -9, power cut).
    will: { topic: topics.availability, payload: Buffer.from('offline'), qos: 1, retain: true },
  };
  /** When the link last came up or went down. */
  let since: string | undefined;
  let up = false;

  const client: MqttClient = mqtt.connect(config.url, options);
  const online = (): boolean => client.connected;

  const send = (msg: OutMessage | undefined): void => {
    if (!msg || !client.connected) return;
    client.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }, (err) => {
      if (err) log.debug('mqtt.publish-failed', { topic: msg.topic, error: oneLine(err) });
    });
  };

  /** `now`: publish what changed; otherwise only record it (a flush follows). */
  const publishState = (now = online()): void => {
    const values = stateValues(control.status());
    for (const [name, payload] of Object.entries(values) as [StateName, string][]) send(outbox.state(topics.state(name), payload, now));
  };

  const discoveryOptions = {
    prefix: config.discovery.prefix,
    nodeId,
    topics,
    name: o.deviceName,
    swVersion: o.swVersion,
    hasContact: o.hasContact,
  };
  const discovery = () => discoveryMessages(discoveryOptions);
  /** An empty retained config removes the entity (Home Assistant's MQTT discovery). */
  const forget = (topic: string): void => send({ topic, payload: '', retain: true, qos: 1 });
  const publishDiscovery = (): void => {
    if (!config.discovery.enabled) return;
    for (const m of discovery()) send({ topic: m.topic, payload: JSON.stringify(m.config), retain: true, qos: 1 });
    for (const topic of absentEntityTopics(discoveryOptions)) forget(topic);
  };

  const onStation = (ev: StationEvent): void => {
    if (ev.type === 'state') {
      publishState();
      return;
    }
    const { kind, payload } = eventValue(ev.entry);
    send(outbox.event(topics.event(kind), payload, online()));
  };
  const unsubscribe = o.events.subscribe(onStation);

  client.on('connect', () => {
    lastError = '';
    up = true;
    since = new Date().toISOString();
    log.info('mqtt.connected', { url: redactedUrl(config.url) });
    send({ topic: topics.availability, payload: 'online', retain: true, qos: 1 });
    client.subscribe([topics.commands, ...(config.discovery.enabled ? [haStatus] : [])], { qos: 1 }, (err) => {
      if (err) log.warn('mqtt.subscribe-failed', { error: oneLine(err) });
    });
    publishDiscovery();
    publishState(false);
    for (const m of outbox.flush()) send(m);
    if (outbox.dropped > reportedDrops) {
      log.warn('mqtt.events-dropped', { count: outbox.dropped - reportedDrops, reason: 'offline queue full' });
      reportedDrops = outbox.dropped;
    }
  });
  client.on('close', () => {
    if (up) since = new Date().toISOString();
    up = false;
    if (lastError === '') log.debug('mqtt.closed', {});
  });
  client.on('offline', () => log.warn('mqtt.offline', { retry_ms: RECONNECT_MS }));
  client.on('error', (err) => {
    // A broker that refuses us says so at every retry: logged once per new reason.
    const text = oneLine(err);
    if (text !== lastError) log.warn('mqtt.error', { error: text });
    lastError = text;
  });
  client.on('message', (topic, payload, packet) => {
    if (topic === haStatus) {
      // Home Assistant (re)started: it wants the discovery and the current state again.
      if (payload.toString() === 'online') {
        publishDiscovery();
        for (const m of outbox.flush()) send(m);
      }
      return;
    }
    const name = commandName(config.topic, topic);
    if (name === undefined) return;
    if (payload.length === 0) {
      // Someone cleared a retained message on the topic; that is not a command.
      log.debug('mqtt.command-empty', { command: name });
      return;
    }
    if (packet.retain) {
      // A retained command would be carried out again at every reconnect (say, opening the door).
      log.warn('mqtt.command-refused', { command: name, error: 'retained commands are ignored' });
      return;
    }
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) {
      log.warn('mqtt.command-refused', { command: name, error: parsed.error });
      reply(name, { ok: false, error: parsed.error });
      return;
    }
    void execute(parsed.command).then(
      (result) => {
        log.info('mqtt.command', { command: name, ok: result.ok, ...(result.ok ? {} : { error: result.error }) });
        reply(name, result);
      },
      (err: unknown) => reply(name, { ok: false, error: oneLine(err) }),
    );
  });

  const reply = (command: string, result: CommandResult): void =>
    send(outbox.event(topics.result, JSON.stringify({ command, ...result }), online()));

  async function execute(c: MqttCommand): Promise<CommandResult> {
    switch (c.cmd) {
      case 'open':
        return control.open('mqtt');
      case 'lock':
        return { ok: true, detail: 'the door locks by itself' };
      case 'press':
        return control.press(c.button);
      case 'hangup':
        return control.hangup();
      case 'incoming':
        return control.setIncoming?.(c.enabled) ?? { ok: false, error: 'this station cannot switch incoming calls' };
      case 'self-test': {
        const r = (await control.audioTest?.()) ?? { ok: false as const, error: 'this station has no audio test' };
        const payload = JSON.stringify({ event_type: 'self-test', at: new Date().toISOString(), ...(r.ok ? { ok: true, ...r.audioTest } : r) });
        send(outbox.event(topics.event('self-test'), payload, online()));
        return r.ok ? { ok: true, detail: `heard ${r.audioTest.heard_dbfs} dBFS` } : r;
      }
    }
  }

  return {
    state: () => ({
      url: redactedUrl(config.url),
      connected: client.connected,
      ...(client.connected ? {} : { last_error: lastError || (since ? 'the connection was lost' : 'not connected yet') }),
      ...(since !== undefined ? { since } : {}),
    }),
    async stop(opts = {}): Promise<void> {
      unsubscribe();
      if (client.connected && opts.forgetDiscovery && config.discovery.enabled) {
        for (const m of discovery()) forget(m.topic);
      }
      if (client.connected) {
        // A clean disconnect suppresses the will, so "offline" is said here.
        const said = new Promise<void>((resolve) => client.publish(topics.availability, 'offline', { qos: 1, retain: true }, () => resolve()));
        await Promise.race([said, delay(STOP_DEADLINE_MS)]);
      }
      await Promise.race([client.endAsync(), delay(STOP_DEADLINE_MS)]);
      if (!client.disconnected) client.end(true);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

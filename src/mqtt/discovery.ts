// Home Assistant MQTT discovery: one retained config message per entity at
// `<prefix>/<component>/<node_id>/<object_id>/config`, all sharing one device
// block, so the door shows up as a device with a doorbell, an open button, a
// lock, sensors and switches, and no YAML is needed on the Home Assistant side.
// The entities read the door's own state topics (bridge.ts); nothing here is
// published only for Home Assistant except these config messages.
import type { Topics } from './topics.ts';

/** The entities only some doors have; each flag adds its entities when true. */
export interface OptionalEntities {
  /** Only doors with a contact get a door sensor. */
  hasContact: boolean;
}

/** Every optional entity switched on: a flag added above must be added here too, or this does not compile. */
const EVERY_OPTIONAL_ENTITY: { [K in keyof OptionalEntities]: true } = { hasContact: true };

export interface DiscoveryOptions extends OptionalEntities {
  prefix: string;
  /** Unique per door: the base topic with everything but [A-Za-z0-9_-] replaced. */
  nodeId: string;
  topics: Topics;
  /** Device name shown in Home Assistant. */
  name: string;
  swVersion: string;
}

export interface DiscoveryMessage {
  topic: string;
  /** The entity's config object; an empty payload would remove the entity. */
  config: Record<string, unknown>;
}

export type Component = 'event' | 'button' | 'lock' | 'sensor' | 'binary_sensor' | 'switch';

/** A node id Home Assistant accepts: letters, digits, _ and -. */
export function nodeIdFor(base: string): string {
  return base.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The discovery message for every entity of this door. */
export function discoveryMessages(o: DiscoveryOptions): DiscoveryMessage[] {
  const t = o.topics;
  const device = {
    identifiers: [o.nodeId],
    name: o.name,
    manufacturer: 'intercom',
    model: 'SIP door station',
    sw_version: o.swVersion,
  };
  const entity = (component: Component, objectId: string, config: Record<string, unknown>): DiscoveryMessage => ({
    topic: `${o.prefix}/${component}/${o.nodeId}/${objectId}/config`,
    config: {
      ...config,
      unique_id: `${o.nodeId}_${objectId}`,
      availability_topic: t.availability,
      payload_available: 'online',
      payload_not_available: 'offline',
      device,
    },
  });
  const messages = [
    entity('event', 'doorbell', {
      name: 'Doorbell',
      state_topic: t.event('press'),
      event_types: ['press'],
      device_class: 'doorbell',
    }),
    entity('button', 'open', {
      name: 'Open door',
      command_topic: t.command('open'),
      payload_press: 'OPEN',
      qos: 1,
    }),
    entity('lock', 'door', {
      name: 'Door',
      command_topic: t.command('open'),
      payload_lock: 'LOCK',
      payload_unlock: 'UNLOCK',
      state_topic: t.state('door'),
      value_template: "{{ 'UNLOCKED' if value_json.open else 'LOCKED' }}",
      state_locked: 'LOCKED',
      state_unlocked: 'UNLOCKED',
      qos: 1,
    }),
    entity('binary_sensor', 'registered', {
      name: 'SIP registration',
      state_topic: t.state('registration'),
      value_template: "{{ 'ON' if value_json.registered else 'OFF' }}",
      device_class: 'connectivity',
      entity_category: 'diagnostic',
    }),
    entity('sensor', 'registration', {
      name: 'Registration state',
      state_topic: t.state('registration'),
      value_template: '{{ value_json.state }}',
      entity_category: 'diagnostic',
    }),
    entity('sensor', 'call', {
      name: 'Call',
      state_topic: t.state('call'),
      value_template: '{{ value_json.state }}',
      json_attributes_topic: t.state('call'),
      device_class: 'enum',
      options: ['idle', 'calling', 'ringing', 'active'],
    }),
    entity('switch', 'incoming', {
      name: 'Incoming calls',
      command_topic: t.command('incoming'),
      state_topic: t.state('incoming'),
      value_template: "{{ 'ON' if value_json.enabled else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      state_on: 'ON',
      state_off: 'OFF',
      entity_category: 'config',
      qos: 1,
    }),
    entity('button', 'self_test', {
      name: 'Audio self-test',
      command_topic: t.command('self-test'),
      payload_press: 'PRESS',
      entity_category: 'diagnostic',
      qos: 1,
    }),
  ];
  if (o.hasContact) {
    messages.push(
      entity('binary_sensor', 'contact', {
        name: 'Door contact',
        state_topic: t.state('contact'),
        // device_class door: on means open.
        value_template: "{{ 'ON' if value_json.state == 'open' else 'OFF' }}",
        device_class: 'door',
      }),
    );
  }
  return messages;
}

/**
 * The config topics of optional entities this door does not have (any more).
 * A reload that drops, say, door.contact keeps the base topic, so nothing else
 * would remove the old entity's retained config from Home Assistant; an empty
 * retained payload on each of these does. Clearing a topic that holds nothing
 * is harmless, so they are cleared whenever the discovery is published.
 */
export function absentEntityTopics(o: DiscoveryOptions): string[] {
  const present = new Set(discoveryMessages(o).map((m) => m.topic));
  return discoveryMessages({ ...o, ...EVERY_OPTIONAL_ENTITY })
    .map((m) => m.topic)
    .filter((t) => !present.has(t));
}

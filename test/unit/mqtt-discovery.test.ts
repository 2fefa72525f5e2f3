// The discovery configs against the keys, types and device classes Home
// Assistant documents for each entity type (test/support/ha-mqtt-schema.ts),
// and against the door itself: every topic they name is one the door serves,
// and every payload Home Assistant will send is a command the door accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { absentEntityTopics, discoveryMessages, nodeIdFor, type DiscoveryOptions } from '../../src/mqtt/discovery.ts';
import { parseCommand } from '../../src/mqtt/bridge.ts';
import { commandName, topicsFor } from '../../src/mqtt/topics.ts';
import { movesDiscovery } from '../../src/mqtt/service.ts';
import { DISCOVERY_TOPIC, HA_COMPONENT_SCHEMAS } from '../support/ha-mqtt-schema.ts';

const BASE = 'home/front door';
const options = (hasContact: boolean): DiscoveryOptions => ({
  prefix: 'homeassistant',
  nodeId: nodeIdFor(BASE),
  topics: topicsFor(BASE),
  name: 'Front door',
  swVersion: '1.2.3',
  hasContact,
});

test('every discovery config matches Home Assistant’s documented schema for its entity type', () => {
  for (const m of discoveryMessages(options(true))) {
    const parts = DISCOVERY_TOPIC.exec(m.topic);
    assert.ok(parts, `discovery topic ${m.topic}`);
    const [, prefix, component, node, object] = parts;
    assert.equal(prefix, 'homeassistant');
    assert.equal(node, 'home_front_door');
    const schema = HA_COMPONENT_SCHEMAS[component as keyof typeof HA_COMPONENT_SCHEMAS];
    const checked = schema.safeParse(m.config);
    assert.ok(checked.success, `${m.topic}: ${checked.success ? '' : JSON.stringify(checked.error.issues)}`);
    assert.equal(m.config['unique_id'], `home_front_door_${object}`);
  }
});

test('the schema itself refuses what Home Assistant would not take', () => {
  const [bell] = discoveryMessages(options(false));
  assert.ok(bell);
  const { event } = HA_COMPONENT_SCHEMAS;
  assert.equal(event.safeParse({ ...bell.config, device_class: 'bell' }).success, false, 'unknown device class');
  assert.equal(event.safeParse({ ...bell.config, event_types: undefined }).success, false, 'event_types is required');
  assert.equal(event.safeParse({ ...bell.config, stat_topic: 'x' }).success, false, 'unknown key');
  assert.equal(HA_COMPONENT_SCHEMAS.sensor.safeParse({ state_topic: 't', device_class: 'enum' }).success, false, 'enum needs options');
});

test('one device block, unique ids, and the availability topic on every entity', () => {
  const messages = discoveryMessages(options(true));
  const devices = new Set(messages.map((m) => JSON.stringify(m.config['device'])));
  assert.equal(devices.size, 1);
  assert.deepEqual(JSON.parse([...devices][0] ?? '{}'), {
    identifiers: ['home_front_door'],
    name: 'Front door',
    manufacturer: 'intercom',
    model: 'SIP door station',
    sw_version: '1.2.3',
  });
  assert.equal(new Set(messages.map((m) => m.config['unique_id'])).size, messages.length);
  assert.equal(new Set(messages.map((m) => m.topic)).size, messages.length);
  for (const m of messages) assert.equal(m.config['availability_topic'], `${BASE}/availability`);
});

test('the entities a doorbell card needs: doorbell event, open button, lock, call and registration, door contact', () => {
  const byTopic = new Map(discoveryMessages(options(true)).map((m) => [m.topic.split('/').slice(1, 4).filter((_, i) => i !== 1).join('/'), m.config]));
  assert.equal(byTopic.get('event/doorbell')?.['device_class'], 'doorbell');
  assert.deepEqual(byTopic.get('event/doorbell')?.['event_types'], ['press']);
  assert.equal(byTopic.get('event/doorbell')?.['state_topic'], `${BASE}/event/press`);
  assert.equal(byTopic.get('button/open')?.['command_topic'], `${BASE}/command/open`);
  assert.equal(byTopic.get('lock/door')?.['state_topic'], `${BASE}/state/door`);
  assert.equal(byTopic.get('sensor/call')?.['state_topic'], `${BASE}/state/call`);
  assert.equal(byTopic.get('binary_sensor/registered')?.['device_class'], 'connectivity');
  assert.equal(byTopic.get('binary_sensor/contact')?.['device_class'], 'door');
  assert.equal(byTopic.get('switch/incoming')?.['command_topic'], `${BASE}/command/incoming`);
  // No contact configured: no door sensor that would always say "closed".
  assert.ok(!discoveryMessages(options(false)).some((m) => m.topic.includes('/contact/')));
});

test('what Home Assistant sends on each command topic is a command the door takes', () => {
  for (const m of discoveryMessages(options(true))) {
    const c = m.config;
    const topic = c['command_topic'];
    if (typeof topic !== 'string') continue;
    const name = commandName(BASE, topic);
    assert.ok(name, `${topic} is below ${BASE}/command/`);
    const payloads = ['payload_press', 'payload_lock', 'payload_unlock', 'payload_on', 'payload_off']
      .map((k) => c[k])
      .filter((p): p is string => typeof p === 'string');
    assert.ok(payloads.length > 0, `${m.topic} names its payloads`);
    for (const p of payloads) assert.ok(parseCommand(name, p).ok, `${name} takes ${p}`);
  }
});

test('a reload removes the entities only when they would point at nothing', () => {
  const base = { url: 'mqtt://b', topic: 'intercom/door', discovery: { enabled: true, prefix: 'homeassistant' } };
  assert.equal(movesDiscovery(base, base), false);
  assert.equal(movesDiscovery(base, { ...base, client_id: 'x' }), false);
  assert.equal(movesDiscovery(base, { ...base, topic: 'intercom/gate' }), true);
  assert.equal(movesDiscovery(base, { ...base, discovery: { enabled: true, prefix: 'ha' } }), true);
  assert.equal(movesDiscovery(base, { ...base, discovery: { enabled: false, prefix: 'homeassistant' } }), true);
  assert.equal(movesDiscovery(base, undefined), true, 'mqtt: removed from the config');
  assert.equal(movesDiscovery(undefined, base), false);
  assert.equal(movesDiscovery({ ...base, discovery: { enabled: false, prefix: 'homeassistant' } }, undefined), false);
});

test('a door without a contact clears the contact entity a previous config may have left in Home Assistant', () => {
  const contact = 'homeassistant/binary_sensor/home_front_door/contact/config';
  assert.deepEqual(absentEntityTopics(options(false)), [contact]);
  assert.ok(!discoveryMessages(options(false)).some((m) => m.topic === contact));
  // With the contact configured nothing is cleared: every entity is published.
  assert.deepEqual(absentEntityTopics(options(true)), []);
  assert.ok(discoveryMessages(options(true)).some((m) => m.topic === contact));
});

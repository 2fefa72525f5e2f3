// MQTT against a real Mosquitto broker that requires logins: retained state
// and Home Assistant discovery, events, commands, refusal of clients without
// the right to command, and a door that keeps ringing and opening while the
// broker is down and tells the broker everything once it is back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { connectClient, startMosquitto, type Mosquitto, type Received, type TestClient } from '../support/mosquitto.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const SIP = { door: 'door-secret', '101': 'pw101' };
const MQTT_USERS = { door: 'door-mqtt-pw', ha: 'ha-mqtt-pw', viewer: 'viewer-pw' };
const BASE = 'intercom/door';
// The door may write only its own topics and its discovery configs; Home
// Assistant ("ha") may command it; "viewer" may only read.
const ACL = `user door
topic readwrite ${BASE}/#
topic write homeassistant/+/intercom_door/#
topic read homeassistant/status

user ha
topic readwrite #

user viewer
topic read #
`;

interface DoorStatus {
  door: { open: boolean; opened: number };
  incoming?: { enabled: boolean };
  call: null | { state: string };
}

const json = (m: Received): Record<string, unknown> => JSON.parse(m.payload) as Record<string, unknown>;

describe('MQTT', { timeout: 180_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let broker: Mosquitto;
  let door: IntercomInstance;
  let ha: TestClient;
  /** Connected with clean: false, so the broker keeps its messages while it is away and across a broker restart. */
  let watcher: TestClient;

  const status = async (): Promise<DoorStatus> => (await door.status()) as unknown as DoorStatus;

  before(async () => {
    kam = await startKamailio({ users: SIP });
    phone = await startBaresip({ user: '101', password: SIP['101'], registrar: kam, autoAnswer: true });
    broker = await startMosquitto({ users: MQTT_USERS, acl: ACL });
    watcher = await connectClient(broker, { username: 'ha', password: MQTT_USERS.ha, clientId: 'test-watcher', clean: false, subscribe: ['#'] });
    const secrets = makeTempDir('intercom-mqtt-secret-');
    const passwordFile = join(secrets.path, 'mqtt.secret');
    writeFileSync(passwordFile, `${MQTT_USERS.door}\n`, { mode: 0o600 });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: SIP.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 300, codes: ['7394'] },
      incoming: { enabled: false, allow: ['101'] },
      mqtt: { url: broker.url, username: 'door', password_file: passwordFile, topic: BASE },
    });
    ha = await connectClient(broker, { username: 'ha', password: MQTT_USERS.ha, subscribe: [`${BASE}/result`, `${BASE}/event/#`] });
    await watcher.waitFor('door online', (m) => m.topic === `${BASE}/availability` && m.payload === 'online');
  });

  after(async () => {
    await ha?.end().catch(() => {});
    await watcher?.end().catch(() => {});
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await broker?.stop();
    await kam?.stop();
  });

  it('publishes retained availability, state and Home Assistant discovery', async () => {
    await waitUntil('registered', async () => (await door.status()).registered, { timeoutMs: 10_000 });
    // A client that connects now gets what the door left on the broker: retained messages.
    const late = await connectClient(broker, { username: 'viewer', password: MQTT_USERS.viewer, subscribe: [`${BASE}/#`, 'homeassistant/#'] });
    try {
      const avail = await late.waitFor('availability', (m) => m.topic === `${BASE}/availability`);
      assert.deepEqual([avail.payload, avail.retain], ['online', true]);
      const reg = await late.waitFor('registration state', (m) => m.topic === `${BASE}/state/registration` && json(m)['registered'] === true);
      assert.equal(reg.retain, true);
      const call = await late.waitFor('call state', (m) => m.topic === `${BASE}/state/call`);
      assert.deepEqual([json(call)['state'], call.retain], ['idle', true]);
      const incoming = await late.waitFor('incoming state', (m) => m.topic === `${BASE}/state/incoming`);
      assert.deepEqual(json(incoming), { enabled: false });
      const bell = await late.waitFor('doorbell discovery', (m) => m.topic === 'homeassistant/event/intercom_door/doorbell/config');
      assert.equal(bell.retain, true);
      assert.equal(json(bell)['device_class'], 'doorbell');
      assert.equal(json(bell)['state_topic'], `${BASE}/event/press`);
      const lock = await late.waitFor('lock discovery', (m) => m.topic === 'homeassistant/lock/intercom_door/door/config');
      assert.equal(json(lock)['command_topic'], `${BASE}/command/open`);
      // No contact is configured, so no door sensor.
      assert.ok(!late.received.some((m) => m.topic.includes('/contact/')));
    } finally {
      await late.end();
    }
    // An earlier config of this door had a contact: its entity's config is still retained.
    const contact = 'homeassistant/binary_sensor/intercom_door/contact/config';
    await ha.publish(contact, JSON.stringify({ name: 'Door contact', unique_id: 'intercom_door_contact' }), { retain: true });
    // Home Assistant restarting asks for the discovery again; the entity the door no longer has is cleared with it.
    const from = watcher.received.length;
    await ha.publish('homeassistant/status', 'online');
    await watcher.waitFor('discovery re-sent', (m) => m.topic === 'homeassistant/button/intercom_door/open/config', { from });
    await watcher.waitFor('stale contact entity cleared', (m) => m.topic === contact && m.payload === '', { from });
    const again = await connectClient(broker, { username: 'viewer', password: MQTT_USERS.viewer, subscribe: ['homeassistant/#'] });
    try {
      // The broker sends the retained messages on subscribing, so they arrive before anything published afterwards.
      await ha.publish('homeassistant/test-marker', 'after');
      await again.waitFor('the marker', (m) => m.topic === 'homeassistant/test-marker');
      assert.ok(again.received.some((m) => m.topic === 'homeassistant/button/intercom_door/open/config'));
      assert.ok(!again.received.some((m) => m.topic === contact), 'no retained contact config is left');
    } finally {
      await again.end();
    }
  });

  it('a press is an event (not retained) and the call state follows the call', async () => {
    const from = watcher.received.length;
    const established = phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length;
    await door.cli('press');
    const press = await watcher.waitFor('press event', (m) => m.topic === `${BASE}/event/press`, { from });
    assert.equal(json(press)['event_type'], 'press');
    assert.equal(json(press)['button'], 'bell');
    await watcher.waitFor('call active', (m) => m.topic === `${BASE}/state/call` && json(m)['state'] === 'active', { from });
    await phone.waitForEvent((e) => e.type === 'CALL_ESTABLISHED' && phone.events().filter((x) => x.type === 'CALL_ESTABLISHED').length > established, 10_000);
    await door.cli('hangup');
    const ended = await watcher.waitFor('call-ended event', (m) => m.topic === `${BASE}/event/call-ended`, { from });
    assert.equal(json(ended)['answered'], true);
    await watcher.waitFor('call idle', (m) => m.topic === `${BASE}/state/call` && json(m)['state'] === 'idle', { from });
    // Events are not left on the broker: a newcomer sees the state, not the press.
    const late = await connectClient(broker, { username: 'viewer', password: MQTT_USERS.viewer, subscribe: [`${BASE}/#`] });
    try {
      await late.waitFor('call state', (m) => m.topic === `${BASE}/state/call` && m.retain);
      await late.waitFor('door state', (m) => m.topic === `${BASE}/state/door` && m.retain);
      assert.ok(!late.received.some((m) => m.topic.startsWith(`${BASE}/event/`)), 'no retained events');
    } finally {
      await late.end();
    }
  });

  it('a command opens the door; a bad one is answered, not obeyed', async () => {
    const before = (await status()).door.opened;
    const from = ha.received.length;
    await ha.publish(`${BASE}/command/open`, 'OPEN');
    const opened = await ha.waitFor('door-opened event', (m) => m.topic === `${BASE}/event/door-opened`, { from });
    assert.equal(json(opened)['by'], 'mqtt');
    const result = await ha.waitFor('result', (m) => m.topic === `${BASE}/result`, { from });
    assert.deepEqual(json(result), { command: 'open', ok: true });
    assert.equal((await status()).door.opened, before + 1);
    assert.match(door.logs(), /event=door\.opened by=mqtt/);

    const from2 = ha.received.length;
    await ha.publish(`${BASE}/command/open`, 'ABRACADABRA');
    const refused = await ha.waitFor('refusal', (m) => m.topic === `${BASE}/result`, { from: from2 });
    assert.equal(json(refused)['ok'], false);
    assert.match(String(json(refused)['error']), /"ABRACADABRA" is not/);
    assert.match(door.logs(), /event=mqtt\.command-refused component=mqtt command=open error=/);
    assert.equal((await status()).door.opened, before + 1);
  });

  it('incoming calls can be switched on and off; a refused call is an event', async () => {
    const from = watcher.received.length;
    await ha.publish(`${BASE}/command/incoming`, 'ON');
    await watcher.waitFor('incoming on', (m) => m.topic === `${BASE}/state/incoming` && json(m)['enabled'] === true, { from });
    assert.equal((await status()).incoming?.enabled, true);
    assert.match(door.logs(), /event=incoming\.switched enabled=true/);
    // Switched on, the listed phone's call is answered by the door.
    const established = phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length;
    await phone.dial(`sip:door@${kam.hostport}`);
    await phone.waitForEvent((e) => e.type === 'CALL_ESTABLISHED' && phone.events().filter((x) => x.type === 'CALL_ESTABLISHED').length > established, 10_000);
    const answered = await watcher.waitFor('answered event', (m) => m.topic === `${BASE}/event/answered`, { from });
    assert.equal(json(answered)['incoming'], true);
    await door.cli('hangup');
    await waitUntil('idle', async () => (await status()).call === null, { timeoutMs: 5000 });

    const r = await door.cli('incoming', 'off');
    assert.equal(r.code, 0, r.stderr);
    await watcher.waitFor('incoming off', (m) => m.topic === `${BASE}/state/incoming` && json(m)['enabled'] === false, { from });
    // Switched off, the same call is declined, and the refusal is published.
    await phone.dial(`sip:door@${kam.hostport}`);
    const refused = await watcher.waitFor('refused event', (m) => m.topic === `${BASE}/event/refused`, { from });
    assert.equal(json(refused)['reason'], 'disabled');
    assert.equal((await status()).call, null);
  });

  it('clients without the right credentials cannot command the door', async () => {
    const before = (await status()).door.opened;
    await assert.rejects(connectClient(broker, {}), /Not authorized|Connection refused/i);
    await assert.rejects(connectClient(broker, { username: 'ha', password: 'wrong' }), /Not authorized|Bad user name or password|Connection refused/i);
    // Logged in but without write access to the command topics: the broker drops it.
    const viewer = await connectClient(broker, { username: 'viewer', password: MQTT_USERS.viewer });
    try {
      await viewer.publish(`${BASE}/command/open`, 'OPEN');
    } finally {
      await viewer.end();
    }
    // A command that is allowed, sent afterwards, is the fence: once it is answered the viewer's would have been too.
    const from = ha.received.length;
    await ha.publish(`${BASE}/command/hangup`, 'PRESS');
    await ha.waitFor('hangup answered', (m) => m.topic === `${BASE}/result` && json(m)['command'] === 'hangup', { from });
    assert.equal((await status()).door.opened, before);
    assert.ok(!ha.received.slice(from).some((m) => m.topic === `${BASE}/event/door-opened`));
  });

  it('with the broker down the door still rings and opens; state and events follow when it returns', async () => {
    // A command someone left retained is carried out when sent, but never again when the door resubscribes.
    const sent = ha.received.length;
    await ha.publish(`${BASE}/command/open`, 'OPEN', { retain: true });
    await ha.waitFor('retained command answered', (m) => m.topic === `${BASE}/result` && json(m)['command'] === 'open', { from: sent });
    await broker.stop();
    await waitUntil('door noticed', () => /event=mqtt\.offline/.test(door.logs()), { timeoutMs: 10_000 });
    const before = (await status()).door.opened;
    const established = phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length;
    await door.cli('press');
    await phone.waitForEvent((e) => e.type === 'CALL_ESTABLISHED' && phone.events().filter((x) => x.type === 'CALL_ESTABLISHED').length > established, 10_000);
    await waitUntil('call active', async () => (await status()).call?.state === 'active', { timeoutMs: 5000 });
    for (const d of '7394') await phone.sendDtmf(d);
    await waitUntil('opened by code', async () => (await status()).door.opened === before + 1, { timeoutMs: 5000 });
    const open = await door.cli('open');
    assert.equal(open.code, 0, open.stderr);
    await door.cli('hangup');
    await waitUntil('idle', async () => (await status()).call === null, { timeoutMs: 5000 });
    const opened = (await status()).door.opened;
    assert.equal(opened, before + 2);

    const from = watcher.received.length;
    await broker.start();
    await waitUntil('retained command refused', () => /event=mqtt\.command-refused component=mqtt command=open error="retained commands are ignored"/.test(door.logs()), { timeoutMs: 20_000 });
    // The broker kept the watcher's subscription across the restart, so it gets what the door sent on reconnecting.
    const state = await watcher.waitFor('door state republished', (m) => m.topic === `${BASE}/state/door` && json(m)['opened'] === opened, { from, timeoutMs: 20_000 });
    assert.equal(json(state)['opened'], opened);
    await watcher.waitFor('online again', (m) => m.topic === `${BASE}/availability` && m.payload === 'online', { from });
    // Events queued while the broker was away arrive in order.
    await watcher.waitFor('queued events', (m) => m.topic === `${BASE}/event/door-opened` && json(m)['by'] === 'command', { from });
    assert.ok(watcher.received.slice(from).some((m) => m.topic === `${BASE}/event/door-opened` && json(m)['by'] === 'dtmf:codes[0]'));
    assert.ok(watcher.received.slice(from).some((m) => m.topic === `${BASE}/event/press`));
    assert.equal((await status()).door.opened, opened, 'the retained command did not open the door again');
    await watcher.publish(`${BASE}/command/open`, '', { retain: true }); // clears it on the broker (an empty payload is no command)
    // A newcomer sees the current state from the restarted broker.
    const late = await connectClient(broker, { username: 'viewer', password: MQTT_USERS.viewer, subscribe: [`${BASE}/state/door`] });
    try {
      const s = await late.waitFor('door state', (m) => m.retain && json(m)['opened'] === opened);
      assert.equal(s.retain, true);
    } finally {
      await late.end();
    }
  });

  it('a door that dies says "offline" through its last will', async () => {
    const from = watcher.received.length;
    door.process.child.kill('SIGKILL');
    await door.process.exited;
    const will = await watcher.waitFor('offline', (m) => m.topic === `${BASE}/availability` && m.payload === 'offline', { from });
    assert.equal(will.payload, 'offline');
    const late = await connectClient(broker, { username: 'viewer', password: MQTT_USERS.viewer, subscribe: [`${BASE}/availability`] });
    try {
      const m = await late.waitFor('retained offline', (x) => x.topic === `${BASE}/availability`);
      assert.deepEqual([m.payload, m.retain], ['offline', true]);
    } finally {
      await late.end();
    }
  });
});

// MQTT over TLS to a broker with a private CA; the door's contact and opener
// relay (fake GPIO chip behind the real backend) as Home Assistant sees them;
// the audio self-test run from MQTT; and a reload that moves the base topic:
// only the MQTT link reconnects, the old topic is left "offline" and the new
// one comes online.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeCa, makeServerCert } from '../support/certs.ts';
import { fakeGpioPins } from '../support/fake-gpio.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { connectClient, startMosquitto, type Mosquitto, type Received, type TestClient } from '../support/mosquitto.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const SIP = { door: 'door-secret' };
const USERS = { door: 'door-mqtt-pw', ha: 'ha-mqtt-pw' };
const ACL = `user door
topic readwrite intercom/#
topic write homeassistant/#
topic read homeassistant/status

user ha
topic readwrite #
`;

const CONTACT = 24;
const RELAY = 27;

const json = (m: Received): Record<string, unknown> => JSON.parse(m.payload) as Record<string, unknown>;

describe('MQTT over TLS', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let broker: Mosquitto;
  let door: IntercomInstance;
  let ha: TestClient;
  let caFile: string;
  const pinsDir = makeTempDir('intercom-mqtt-gpio-');
  const pins = fakeGpioPins(pinsDir.path);
  const mqttConfig = (topic: string) => ({ url: broker.url, username: 'door', password: USERS.door, topic, tls: { ca: caFile } });
  const doorConfig = (topic: string) => ({
    sip: { server: kam.hostport, user: 'door', password: SIP.door },
    buttons: [{ name: 'bell', call: ['101'] }],
    audio: { input: 'none', output: 'none' },
    door: { relay: { chip: 'gpiochip0', line: RELAY }, contact: { chip: 'gpiochip0', line: CONTACT }, open_ms: 500 },
    gpio: { backend: 'fake', fake_dir: pinsDir.path, debounce_ms: 30 },
    mqtt: mqttConfig(topic),
  });

  before(async () => {
    const dir = makeTempDir('intercom-mqtt-tls-').path;
    const ca = await makeCa(dir, 'broker');
    const cert = await makeServerCert(dir, ca, 'broker', '127.0.0.1');
    caFile = ca.certFile;
    kam = await startKamailio({ users: SIP });
    broker = await startMosquitto({ users: USERS, acl: ACL, tls: cert });
    assert.match(broker.url, /^mqtts:\/\//);
    ha = await connectClient(broker, { username: 'ha', password: USERS.ha, ca: caFile, subscribe: ['intercom/#', 'homeassistant/#'] });
    door = await startIntercom(doorConfig('intercom/door'));
  });

  after(async () => {
    await ha?.end().catch(() => {});
    await door?.terminate().catch(() => {});
    await broker?.stop();
    await kam?.stop();
    pinsDir.remove();
  });

  it('connects over TLS, verifying the broker against mqtt.tls.ca', async () => {
    await ha.waitFor('online', (m) => m.topic === 'intercom/door/availability' && m.payload === 'online');
    assert.match(door.logs(), /event=mqtt\.connected component=mqtt url=mqtts:\/\/127\.0\.0\.1:/);
  });

  it('the door contact is a door sensor; opening from MQTT energises the relay', async () => {
    const contact = await ha.waitFor('contact discovery', (m) => m.topic === 'homeassistant/binary_sensor/intercom_door/contact/config');
    assert.equal(json(contact)['device_class'], 'door');
    assert.equal(json(contact)['state_topic'], 'intercom/door/state/contact');
    const from = ha.received.length;
    await pins.levels('gpiochip0', CONTACT, ['low']);
    await ha.waitFor('contact closed', (m) => m.topic === 'intercom/door/state/contact' && json(m)['state'] === 'closed', { from });
    await pins.levels('gpiochip0', CONTACT, ['high']);
    await ha.waitFor('contact open', (m) => m.topic === 'intercom/door/state/contact' && json(m)['state'] === 'open', { from });

    assert.equal(pins.output('gpiochip0', RELAY), false);
    await ha.publish('intercom/door/command/open', 'UNLOCK');
    await waitUntil('relay energised', () => pins.output('gpiochip0', RELAY) === true, { timeoutMs: 5000 });
    // The lock entity reads this: open while the opener is energised, then shut again.
    await ha.waitFor('door open', (m) => m.topic === 'intercom/door/state/door' && json(m)['open'] === true, { from });
    await ha.waitFor('door shut', (m) => m.topic === 'intercom/door/state/door' && json(m)['open'] === false && json(m)['opened'] === 1, { from });
    assert.equal(pins.output('gpiochip0', RELAY), false);
  });

  it('a self-test command plays the test tone and publishes the result', async () => {
    const from = ha.received.length;
    await ha.publish('intercom/door/command/self-test', 'PRESS');
    const ev = await ha.waitFor('self-test event', (m) => m.topic === 'intercom/door/event/self-test', { from });
    assert.equal(json(ev)['event_type'], 'self-test');
    assert.equal(json(ev)['ok'], true, ev.payload);
    assert.equal(typeof json(ev)['frames'], 'number');
    const result = await ha.waitFor('result', (m) => m.topic === 'intercom/door/result', { from });
    assert.equal(json(result)['command'], 'self-test');
    assert.equal(json(result)['ok'], true);
  });

  it('a reload that moves the base topic reconnects only the MQTT link', async () => {
    const from = ha.received.length;
    const logLength = door.logs().length;
    door.writeConfig(doorConfig('intercom/gate'));
    const r = await door.cli('reload');
    assert.equal(r.code, 0, r.stderr);
    await ha.waitFor('old topic offline', (m) => m.topic === 'intercom/door/availability' && m.payload === 'offline', { from });
    await ha.waitFor('new topic online', (m) => m.topic === 'intercom/gate/availability' && m.payload === 'online', { from });
    await ha.waitFor('new topic state', (m) => m.topic === 'intercom/gate/state/registration' && json(m)['registered'] === true, { from });
    // Home Assistant forgets the device under the old topic and finds the one under the new.
    await ha.waitFor('old discovery cleared', (m) => m.topic === 'homeassistant/event/intercom_door/doorbell/config' && m.payload === '', { from });
    const bell = await ha.waitFor('new discovery', (m) => m.topic === 'homeassistant/event/intercom_gate/doorbell/config' && m.payload !== '', { from });
    assert.equal(json(bell)['state_topic'], 'intercom/gate/event/press');
    const after = door.logs().slice(logLength);
    assert.doesNotMatch(after, /event=(unregistered|registered|sip\.listening)/, 'the SIP side was not restarted');
    await waitUntil('still registered', async () => (await door.status()).registered, { timeoutMs: 5000 });
  });

  it('a broker certificate the CA did not sign is refused, and the door keeps running', async () => {
    const other = makeTempDir('intercom-mqtt-ca2-').path;
    const stranger = await makeCa(other, 'stranger');
    const logLength = door.logs().length;
    door.writeConfig({ ...doorConfig('intercom/door'), mqtt: { ...mqttConfig('intercom/door'), tls: { ca: stranger.certFile } } });
    assert.equal((await door.cli('reload')).code, 0);
    await waitUntil('TLS refused', () => /event=mqtt\.error component=mqtt error=".*(self[- ]signed|unable to verify|certificate)/i.test(door.logs().slice(logLength)), { timeoutMs: 10_000 });
    assert.equal((await door.status()).registered, true);
  });
});

// `intercom doctor` on a door with MQTT and a metrics endpoint, against a real
// Mosquitto: a running station reports its live broker link, a door that is
// not running has the broker probed with its own login, and a broker that is
// stopped or refuses the login is a failing finding that says so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { INTERCOM_BIN, startIntercom, type IntercomInstance } from './intercom-process.ts';

interface Finding {
  check: string;
  verdict: string;
  detail: string;
  fix?: string;
}

const MQTT_PASSWORD = 'door-mqtt-Secret-77';
const WRONG_PASSWORD = 'not-the-mqtt-Secret';

/** doctor --json and the text report; neither may show a password. */
async function doctor(configPath: string): Promise<{ findings: Finding[]; text: string }> {
  const json = await runCommand(process.execPath, [INTERCOM_BIN, 'doctor', '--json', '--config', configPath], { timeoutMs: 30_000 });
  const text = await runCommand(process.execPath, [INTERCOM_BIN, 'doctor', '--config', configPath], { timeoutMs: 30_000 });
  assert.ok(json.stdout.trim() !== '', `doctor --json printed nothing (exit ${json.code}): ${json.stderr}`);
  for (const out of [json.stdout, text.stdout]) {
    assert.ok(!out.includes(MQTT_PASSWORD) && !out.includes(WRONG_PASSWORD), 'a password is never printed');
  }
  return { findings: (JSON.parse(json.stdout) as { findings: Finding[] }).findings, text: text.stdout };
}

const byCheck = (findings: Finding[], check: string): Finding => {
  const f = findings.find((x) => x.check === check);
  assert.ok(f, `a ${check} finding in ${JSON.stringify(findings)}`);
  return f;
};

describe('intercom doctor: MQTT and metrics', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let broker: Mosquitto;
  let door: IntercomInstance;
  let metricsPort: number;
  /** The running station's broker link, as `intercom status --json` shows it. */
  const link = async () => ((await door.status()) as unknown as { mqtt?: { connected: boolean; last_error?: string } }).mqtt;
  const tmp = makeTempDir('intercom-doctor-mqtt-');

  /** A door that is not running (no one on its control socket), with this MQTT password. */
  const idleConfig = (name: string, password: string): string => {
    const path = join(tmp.path, `${name}.yaml`);
    writeFileSync(
      path,
      stringify({
        sip: { server: kam.hostport, user: 'door', password: 'door-pw' },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
        control: { socket: join(tmp.path, 'nobody.sock') },
        mqtt: { url: broker.url, username: 'door', password },
      }),
      { mode: 0o600 },
    );
    return path;
  };

  before(async () => {
    kam = await startKamailio({ users: { door: 'door-pw' } });
    broker = await startMosquitto({ users: { door: MQTT_PASSWORD }, acl: 'user door\ntopic readwrite #\n' });
    const passwordFile = join(tmp.path, 'mqtt.secret');
    writeFileSync(passwordFile, `${MQTT_PASSWORD}\n`, { mode: 0o600 });
    metricsPort = await freePort('127.0.0.2');
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: 'door-pw' },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      mqtt: { url: broker.url, username: 'door', password_file: passwordFile },
      metrics: { listen: `127.0.0.2:${metricsPort}` },
    });
    await waitUntil('the door on the broker', async () => (await link())?.connected === true, { timeoutMs: 15_000, intervalMs: 100 });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await broker?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('a running station: its live broker link and its metrics endpoint pass', async () => {
    const { findings, text } = await doctor(door.configPath);
    const mqtt = byCheck(findings, 'mqtt');
    assert.equal(mqtt.verdict, 'ok', mqtt.detail);
    assert.equal(mqtt.detail, `the station is connected to ${broker.url} as door`);
    const metrics = byCheck(findings, 'metrics');
    assert.equal(metrics.verdict, 'ok', metrics.detail);
    assert.match(metrics.detail, new RegExp(`^http://127\\.0\\.0\\.2:${metricsPort}/metrics answered with \\d+ samples$`));
    assert.equal(byCheck(findings, 'provisioning').verdict, 'skip');
    assert.match(text, /^ok +mqtt +the station is connected/m);
  });

  it('a door that is not running: the broker is asked with its login, and a wrong password is named', async () => {
    const good = await doctor(idleConfig('idle-good', MQTT_PASSWORD));
    const ok = byCheck(good.findings, 'mqtt');
    assert.equal(ok.verdict, 'ok', ok.detail);
    assert.equal(ok.detail, `${broker.url} as door: connected and logged in`);
    assert.equal(byCheck(good.findings, 'metrics').verdict, 'skip');
    const wrong = await doctor(idleConfig('idle-wrong', WRONG_PASSWORD));
    const refused = byCheck(wrong.findings, 'mqtt');
    assert.equal(refused.verdict, 'fail');
    assert.equal(refused.detail, `${broker.url} as door: not authorised`);
    assert.match(refused.fix ?? '', /mqtt\.password/);
    assert.match(wrong.text, /^FAIL +mqtt +mqtt:\/\/\S+ as door: not authorised$/m);
    // The running station kept its own connection: the probe logs in under another client id.
    assert.equal((await link())?.connected, true);
  });

  it('a stopped broker is a failing finding that names it', async () => {
    await broker.stop();
    const idle = await doctor(idleConfig('idle-down', MQTT_PASSWORD));
    const probed = byCheck(idle.findings, 'mqtt');
    assert.equal(probed.verdict, 'fail');
    assert.equal(probed.detail, `${broker.url} as door: connection refused`);
    await waitUntil('the door to notice', async () => (await link())?.last_error?.includes('ECONNREFUSED'), { timeoutMs: 15_000, intervalMs: 100 });
    const { findings, text } = await doctor(door.configPath);
    const live = byCheck(findings, 'mqtt');
    assert.equal(live.verdict, 'fail');
    assert.equal(live.detail, `the station is not connected to ${broker.url} as door: connection refused`);
    assert.match(text, /^FAIL +mqtt +the station is not connected/m);
    assert.match(text, /fix: is the broker running/);
  });
});

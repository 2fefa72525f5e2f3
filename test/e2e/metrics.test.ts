// The Prometheus endpoint of the real `intercom run`, against real peers:
// Kamailio registers the door, baresip answers its call and sends audio. The
// scrapes are read with a strict parser of the text format, and the counters
// must show the call, its talk time, its RTP and the door opening.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { parseExposition, sampleValue, type ParsedFamily } from '../support/prom-text.ts';
import { INTERCOM_BIN, startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const DOOR_ADDRESS = '127.0.0.2';

function http(port: number, method: string, path = '/metrics'): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: DOOR_ADDRESS, port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers['content-type'] ? { type: res.headers['content-type'] } : {}), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(port: number): Promise<Map<string, ParsedFamily>> {
  const r = await http(port, 'GET');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(r.body);
}

const total = (p: Map<string, ParsedFamily>, name: string): number => (p.get(name)?.samples ?? []).reduce((sum, s) => sum + s.value, 0);

/** TCP ports the process listens on, from `ss` (iproute2). */
async function listeningPorts(pid: number): Promise<number[]> {
  const r = await runCommand('ss', ['-Hltnp']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => Number(/:(\d+)\s/.exec(line.split(/\s+/)[3] + ' ')?.[1]));
}

describe('metrics endpoint', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance;
  let port: number;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    port = await freePort(DOOR_ADDRESS);
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200 },
      metrics: { listen: `${DOOR_ADDRESS}:${port}` },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
  });

  it('before a call: registered, nothing counted yet, and only the metrics port is open', async () => {
    const p = await scrape(port);
    assert.equal(sampleValue(p, 'intercom_sip_registered'), 1);
    assert.equal(sampleValue(p, 'intercom_sip_registration_state', { state: 'registered' }), 1);
    assert.equal(sampleValue(p, 'intercom_calls_total', { direction: 'outgoing', result: 'answered' }), 0);
    assert.equal(sampleValue(p, 'intercom_call_duration_seconds_count'), 0);
    assert.equal(total(p, 'intercom_door_openings_total'), 0);
    assert.deepEqual(await listeningPorts(door.process.child.pid!), [port]);
  });

  it('a call answered by the phone, the door opened, hung up: all of it is counted', async () => {
    await door.cli('press');
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    // The phone's audio arrives at the door: status and metrics show it while the call runs.
    const rtp = await waitUntil('RTP at the door', async () => {
      const call = (await door.status()).call as { rtp?: { packetsReceived: number } } | null;
      return (call?.rtp?.packetsReceived ?? 0) > 0 && call?.rtp;
    }, { timeoutMs: 5000 });
    assert.ok(rtp.packetsReceived > 0);
    const during = await scrape(port);
    assert.equal(sampleValue(during, 'intercom_call_in_progress'), 1);
    assert.ok((sampleValue(during, 'intercom_rtp_packets_received_total') ?? 0) > 0);
    assert.ok(during.has('intercom_rtp_jitter_seconds'));

    const opened = await door.cli('open');
    assert.equal(opened.code, 0, opened.stderr);
    await waitUntil('door opened', async () => (await door.status()).door.opened === 1, { timeoutMs: 5000 });
    await door.cli('hangup');
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });

    const p = await scrape(port);
    assert.equal(sampleValue(p, 'intercom_calls_total', { direction: 'outgoing', result: 'answered' }), 1);
    assert.equal(total(p, 'intercom_calls_total'), 1, 'no other call result counted');
    assert.equal(sampleValue(p, 'intercom_call_duration_seconds_count'), 1);
    assert.ok((sampleValue(p, 'intercom_call_duration_seconds_sum') ?? 0) > 0);
    const received = sampleValue(p, 'intercom_rtp_packets_received_total') ?? 0;
    assert.ok(received >= rtp.packetsReceived, `received ${received}`);
    assert.equal(sampleValue(p, 'intercom_door_openings_total', { method: 'command' }), 1);
    assert.equal(total(p, 'intercom_door_openings_total'), 1);
    assert.equal(sampleValue(p, 'intercom_button_presses_total', { button: 'bell' }), 1);
    assert.equal(sampleValue(p, 'intercom_call_in_progress'), 0);
  });

  it('a reload that restarts the SIP side keeps every count; a changed metrics section waits for a service restart', async () => {
    const before = await scrape(port);
    const startedAt = ((await door.status()) as { startedAt?: string }).startedAt;
    door.writeConfig({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door, display_name: 'Front door' },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200 },
      metrics: { listen: `${DOOR_ADDRESS}:${port + 1}` },
    });
    const r = await door.cli('reload');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /re-registered for: sip\.display_name/);
    assert.match(r.stdout, /needs a service restart .*metrics\.listen\.port/);
    await waitUntil('registered again by a new station', async () => {
      const st = (await door.status()) as { registered: boolean; startedAt?: string };
      return st.registered && st.startedAt !== startedAt;
    }, { timeoutMs: 15_000 });
    const p = await scrape(port);
    for (const [name, labels] of [
      ['intercom_calls_total', { direction: 'outgoing', result: 'answered' }],
      ['intercom_call_duration_seconds_count', {}],
      ['intercom_rtp_packets_received_total', {}],
      ['intercom_door_openings_total', { method: 'command' }],
      ['intercom_button_presses_total', { button: 'bell' }],
    ] as const) {
      assert.equal(sampleValue(p, name, labels), sampleValue(before, name, labels), name);
    }
    assert.equal(sampleValue(p, 'intercom_sip_registered'), 1);
  });

  it('only GET /metrics is served', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await http(port, method)).status, 405, method);
    assert.equal((await http(port, 'GET', '/')).status, 404);
    assert.equal((await http(port, 'GET', '/metrics')).status, 200);
  });
});

describe('metrics off or blocked', { timeout: 90_000 }, () => {
  let kam: Kamailio;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
  });

  after(async () => {
    await kam?.stop();
  });

  it('without a metrics section the station listens on no TCP port', async () => {
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
    });
    try {
      assert.deepEqual(await listeningPorts(door.process.child.pid!), []);
    } finally {
      await door.terminate();
    }
  });

  it('a metrics port already taken: the station does not start, and says why in one line', async () => {
    const port = await freePort(DOOR_ADDRESS);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, DOOR_ADDRESS, resolve));
    const tmp = makeTempDir('intercom-metrics-');
    try {
      const configPath = join(tmp.path, 'door.yaml');
      const sipPort = await freePort(DOOR_ADDRESS);
      writeFileSync(
        configPath,
        stringify({
          sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door, listen: `${DOOR_ADDRESS}:${sipPort}` },
          buttons: [{ name: 'bell', call: ['101'] }],
          audio: { input: 'none', output: 'none' },
          control: { socket: join(tmp.path, 'control.sock') },
          metrics: { listen: `${DOOR_ADDRESS}:${port}` },
        }),
        { mode: 0o600 },
      );
      const r = await runCommand(process.execPath, [INTERCOM_BIN, 'run', '--config', configPath], { timeoutMs: 20_000 });
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => /metrics\.listen/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`event=start-failed .*metrics\\.listen: ${DOOR_ADDRESS.replace(/\./g, '\\.')}:${port} is already in use`));
      assert.doesNotMatch(r.stderr, /event=registered|at .*\.ts:\d+/, 'refused before registering, without a stack trace');
    } finally {
      tmp.remove();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

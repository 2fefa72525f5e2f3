// The doctor's MQTT, metrics and provisioning checks, fed with what a running
// station, a broker probe or an HTTP request would have answered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { StationStatus } from '../../src/intercom/station-api.ts';
import {
  age,
  brokerProblem,
  checkMetrics,
  checkMqtt,
  checkProvisioning,
  countSamples,
  metricsUrl,
  provisioningFinding,
  type StationAnswer,
} from '../../src/doctor/integration-checks.ts';
import type { ProvisioningStatus } from '../../src/provisioning/provisioner.ts';
import { describeStatus } from '../../src/cli/status-text.ts';

function config(over: Record<string, unknown> = {}): Config {
  const r = validateConfig({ sip: { server: 'pbx', user: 'door', password: 'pw' }, buttons: [{ name: 'bell', call: ['101'] }], ...over }, '/tmp');
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

const running = (extra: Partial<StationStatus> = {}): StationAnswer => ({
  ok: true,
  status: { registered: true, registration: { state: 'registered' }, call: null, door: { open: false, opened: 0 }, ...extra },
});
const stopped: StationAnswer = { ok: false, error: 'no intercom instance answers on /run/intercom/control.sock' };
const noProbe = async (): Promise<never> => assert.fail('no probe while the station reports its link');

const MQTT = { mqtt: { url: 'mqtt://door:s3cret@127.0.0.1:1883', username: 'door', password: 'other-s3cret' } };

describe('doctor: mqtt', () => {
  it('names why a broker connection failed', () => {
    assert.equal(brokerProblem('connect ECONNREFUSED 127.0.0.1:1883').reason, 'connection refused');
    assert.equal(brokerProblem('Connection refused: Not authorized').reason, 'not authorised');
    assert.equal(brokerProblem('Connection refused: Bad username or password').reason, 'bad user name or password');
    assert.match(brokerProblem('Connection refused: Not authorized').fix, /mqtt\.password/);
    assert.equal(brokerProblem('getaddrinfo ENOTFOUND broker.lan').reason, 'cannot resolve the broker’s host name');
    assert.match(brokerProblem('self-signed certificate').reason, /^TLS: /);
    assert.equal(brokerProblem('no answer within 3 s').reason, 'no answer from the broker');
  });

  it('skips a door without an mqtt: section', async () => {
    assert.equal((await checkMqtt(config(), stopped, noProbe)).verdict, 'skip');
  });

  it('believes the running station about its live link, and never shows a password', async () => {
    const up = await checkMqtt(config(MQTT), running({ mqtt: { url: 'mqtt://door:***@127.0.0.1:1883/', connected: true } }), noProbe);
    assert.equal(up.verdict, 'ok');
    assert.match(up.detail, /the station is connected to mqtt:\/\/door:\*\*\*@127\.0\.0\.1:1883 as door$/);
    const down = await checkMqtt(
      config(MQTT),
      running({ mqtt: { url: 'x', connected: false, last_error: 'connect ECONNREFUSED 127.0.0.1:1883' } }),
      noProbe,
    );
    assert.equal(down.verdict, 'fail');
    assert.match(down.detail, /not connected to .*: connection refused$/);
    assert.doesNotMatch(JSON.stringify([up, down]), /s3cret/);
  });

  it('probes the broker itself when no station reports a link', async () => {
    const seen: string[] = [];
    const ok = await checkMqtt(config(MQTT), stopped, async (m) => {
      seen.push(m.url);
      return { ok: true };
    });
    assert.equal(ok.verdict, 'ok');
    assert.deepEqual(seen, ['mqtt://door:s3cret@127.0.0.1:1883']);
    const refused = await checkMqtt(config(MQTT), stopped, async () => ({ ok: false, error: 'Connection refused: Not authorized' }));
    assert.equal(refused.verdict, 'fail');
    assert.match(refused.detail, /: not authorised$/);
    assert.doesNotMatch(JSON.stringify(refused), /s3cret/);
  });
});

describe('doctor: metrics', () => {
  it('reaches a wildcard listen address on loopback', () => {
    assert.equal(metricsUrl({ port: 9464 }), 'http://127.0.0.1:9464/metrics');
    assert.equal(metricsUrl({ host: '0.0.0.0', port: 9464 }), 'http://127.0.0.1:9464/metrics');
    assert.equal(metricsUrl({ host: '::', port: 9 }), 'http://[::1]:9/metrics');
    assert.equal(metricsUrl({ host: '127.0.0.5', port: 9 }), 'http://127.0.0.5:9/metrics');
  });

  it('counts samples, not comments', () => {
    assert.equal(countSamples('# HELP a x\n# TYPE a gauge\na 1\nb{x="y"} 2\n\n'), 2);
  });

  it('asks the endpoint only while the station runs', async () => {
    const c = config({ metrics: { listen: '127.0.0.1:9464' } });
    assert.equal((await checkMetrics(config(), running(), async () => assert.fail('not configured'))).verdict, 'skip');
    assert.equal((await checkMetrics(c, stopped, async () => assert.fail('not running'))).verdict, 'skip');
    const ok = await checkMetrics(c, running(), async () => ({ ok: true, status: 200, body: '# TYPE up gauge\nup 1\n' }));
    assert.deepEqual([ok.verdict, ok.detail], ['ok', 'http://127.0.0.1:9464/metrics answered with 1 samples']);
    const refused = await checkMetrics(c, running(), async () => ({ ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9464' }));
    assert.deepEqual([refused.verdict, refused.detail], ['fail', 'http://127.0.0.1:9464/metrics: connection refused']);
    assert.match(refused.fix ?? '', /restart/);
    assert.equal((await checkMetrics(c, running(), async () => ({ ok: true, status: 404, body: '' }))).verdict, 'fail');
  });
});

describe('doctor: provisioning', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const base: ProvisioningStatus = {
    url: 'https://prov.example/doors/door.yaml',
    last_fetch: '2026-03-01T11:50:00Z',
    result: 'unchanged',
    config_sha256: 'ab'.repeat(32),
    source: 'server',
    fetched_at: '2026-02-28T12:00:00Z',
  };

  it('says how long ago, roughly', () => {
    assert.equal(age('2026-03-01T11:59:30Z', now), '30 s');
    assert.equal(age('2026-03-01T11:50:00Z', now), '10 min');
    assert.equal(age('2026-03-01T09:00:00Z', now), '3 h');
    assert.equal(age('2026-02-25T12:00:00Z', now), '4 days');
  });

  it('reports the last fetch and the config in force', () => {
    const f = provisioningFinding(base, 3600, now);
    assert.equal(f.verdict, 'ok');
    assert.equal(f.detail, 'https://prov.example/doors/door.yaml: last fetch 10 min ago, unchanged; config in force: sha256 abababababab, from the server, fetched 24 h ago');
  });

  it('warns about a failed fetch, one never made, and a schedule that stopped', () => {
    const failed = provisioningFinding({ ...base, result: 'failed', reason: 'HTTP 503', source: 'cache' }, 3600, now);
    assert.equal(failed.verdict, 'warn');
    assert.match(failed.detail, /last fetch 10 min ago failed: HTTP 503; config in force: .*from the cache/);
    assert.match(failed.fix ?? '', /keeps its last good config/);
    const { last_fetch: _omit, ...neverFetched } = base;
    assert.equal(provisioningFinding({ ...neverFetched, result: 'never' }, 3600, now).verdict, 'warn');
    const stuck = provisioningFinding(base, 60, now);
    assert.equal(stuck.verdict, 'warn');
    assert.match(stuck.detail, /no fetch for 10 min \(provisioning\.interval is 60 s\)/);
  });

  it('falls back to the cache when no station runs, and skips a door that is not provisioned', () => {
    const c = config({ provisioning: { url: 'https://prov.example/door.yaml', sha256: 'ab'.repeat(32) } });
    assert.equal(checkProvisioning(config(), running(), undefined, now).verdict, 'skip');
    const cached = checkProvisioning(c, stopped, { url: 'https://prov.example/door.yaml', fetched_at: '2026-03-01T10:00:00Z' }, now);
    assert.equal(cached.verdict, 'ok');
    assert.match(cached.detail, /the station is not running; config in force: from the cache, fetched 2 h ago/);
    assert.equal(checkProvisioning(c, stopped, undefined, now).verdict, 'fail');
    assert.equal(checkProvisioning(c, running({ provisioning: base }), undefined, now).verdict, 'ok');
  });
});

describe('intercom status: the MQTT link', () => {
  it('shows the link and why it is down', () => {
    const s = (running() as { ok: true; status: StationStatus }).status;
    const up = describeStatus({ ...s, mqtt: { url: 'mqtt://127.0.0.1:1883', connected: true, since: '2026-03-01T12:00:00.000Z' } });
    assert.ok(up.includes('mqtt: mqtt://127.0.0.1:1883: connected since 2026-03-01T12:00:00.000Z'), up.join('\n'));
    const down = describeStatus({ ...s, mqtt: { url: 'mqtt://127.0.0.1:1883', connected: false, last_error: 'connect ECONNREFUSED 127.0.0.1:1883' } });
    assert.ok(down.includes('mqtt: mqtt://127.0.0.1:1883: not connected (connect ECONNREFUSED 127.0.0.1:1883)'), down.join('\n'));
    assert.ok(!describeStatus(s).some((l) => l.startsWith('mqtt:')));
  });
});

// Doctor checks of the parts that talk to other systems: the MQTT broker, the
// Prometheus endpoint and the provisioning server. A running station is asked
// first (it knows its live state); only what it cannot tell is probed here.
import type { Config } from '../config/schema.ts';
import type { MqttConfig } from '../config/mqtt-schema.ts';
import type { StationStatus } from '../intercom/station-api.ts';
import { redactedUrl } from '../mqtt/client-options.ts';
import type { BrokerProbe } from '../mqtt/probe.ts';
import type { ProvisioningStatus } from '../provisioning/provisioner.ts';
import { finding, type Finding } from './finding.ts';

/** What the control socket said: the running station's status, or why there is none. */
export type StationAnswer = { ok: true; status: StationStatus } | { ok: false; error: string };

/** Why a broker connection failed, in a few words, and what to do about it. */
export function brokerProblem(error: string): { reason: string; fix: string } {
  const login = 'check mqtt.username and mqtt.password (or mqtt.password_file) against the broker’s password file and ACL';
  if (/ECONNREFUSED/.test(error)) return { reason: 'connection refused', fix: 'is the broker running and listening on that address and port? check mqtt.url' };
  if (/not authori[sz]ed/i.test(error)) return { reason: 'not authorised', fix: login };
  if (/bad user ?name or password/i.test(error)) return { reason: 'bad user name or password', fix: login };
  if (/ENOTFOUND|EAI_AGAIN/.test(error)) return { reason: 'cannot resolve the broker’s host name', fix: 'check the host in mqtt.url and this device’s DNS' };
  if (/EHOSTUNREACH|ENETUNREACH/.test(error)) return { reason: 'no route to the broker', fix: 'check the network and the host in mqtt.url' };
  if (/certificate|self[- ]signed|unable to verify|SSL|TLS/i.test(error)) {
    return { reason: `TLS: ${error}`, fix: 'check mqtt.tls.ca (the CA or the broker’s own certificate) and the host name in mqtt.url' };
  }
  if (/timeout|timed out|no answer/i.test(error)) return { reason: 'no answer from the broker', fix: 'check mqtt.url and any firewall between this device and the broker' };
  return { reason: error, fix: 'check mqtt.url and the broker’s log' };
}

/** Where and as whom, never with a password. */
function brokerName(m: MqttConfig): string {
  return `${redactedUrl(m.url)}${m.username !== undefined ? ` as ${m.username}` : ''}`;
}

/** The MQTT link: the running station's own link when it reports one, else a probe with the station's login. */
export async function checkMqtt(config: Config, station: StationAnswer, probe: (m: MqttConfig) => Promise<BrokerProbe>): Promise<Finding> {
  const m = config.mqtt;
  if (!m) return finding('mqtt', 'skip', 'not configured (no mqtt: section)');
  const live = station.ok ? station.status.mqtt : undefined;
  if (live) {
    if (live.connected) return finding('mqtt', 'ok', `the station is connected to ${brokerName(m)}`);
    const p = brokerProblem(live.last_error ?? 'not connected yet');
    return finding('mqtt', 'fail', `the station is not connected to ${brokerName(m)}: ${p.reason}`, p.fix);
  }
  const r = await probe(m);
  if (r.ok) return finding('mqtt', 'ok', `${brokerName(m)}: connected and logged in`);
  const p = brokerProblem(r.error);
  return finding('mqtt', 'fail', `${brokerName(m)}: ${p.reason}`, p.fix);
}

/** The URL a scraper on this device would use: a wildcard listen address is reached on loopback. */
export function metricsUrl(listen: { host?: string; port: number }): string {
  const host = listen.host === undefined || listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}/metrics`;
}

/** Samples in a Prometheus text exposition: lines that are neither comments nor blank. */
export function countSamples(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
}

export type HttpAnswer = { ok: true; status: number; body: string } | { ok: false; error: string };

/** The metrics endpoint answers on its address while the station runs. */
export async function checkMetrics(config: Config, station: StationAnswer, get: (url: string) => Promise<HttpAnswer>): Promise<Finding> {
  if (!config.metrics) return finding('metrics', 'skip', 'not configured (no metrics: section)');
  const url = metricsUrl(config.metrics.listen);
  if (!station.ok) return finding('metrics', 'skip', `${url}: the station is not running, so nothing serves it`);
  const r = await get(url);
  const restart = 'a changed metrics.listen takes effect after a restart: sudo systemctl restart intercom';
  if (!r.ok) return finding('metrics', 'fail', `${url}: ${/ECONNREFUSED/.test(r.error) ? 'connection refused' : r.error}`, restart);
  if (r.status !== 200) return finding('metrics', 'fail', `${url} answered ${r.status}`, restart);
  const samples = countSamples(r.body);
  if (samples === 0) return finding('metrics', 'fail', `${url} answered 200 with no samples`, 'see journalctl -u intercom -n 50');
  return finding('metrics', 'ok', `${url} answered with ${samples} samples`);
}

/** "42 s", "5 min", "3 h", "2 days": how long ago, roughly. */
export function age(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return 'an unknown time';
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** The config in force: where it came from and how old it is. */
function inForce(p: Pick<ProvisioningStatus, 'source' | 'fetched_at' | 'config_sha256'>, now: Date): string {
  if (p.fetched_at === undefined) return 'no provisioned config in force';
  const sha = p.config_sha256 ? `sha256 ${p.config_sha256.slice(0, 12)}, ` : '';
  return `config in force: ${sha}from the ${p.source === 'cache' ? 'cache' : 'server'}, fetched ${age(p.fetched_at, now)} ago`;
}

const SERVER_FIX = 'check provisioning.url, the server and the network (journalctl -u intercom -g provisioning); the door keeps its last good config meanwhile';

/**
 * What the running station says about provisioning: the last fetch and its
 * result, and the config in force. Checks run every `intervalS`; none for three
 * intervals means the schedule is stuck.
 */
export function provisioningFinding(p: ProvisioningStatus, intervalS: number, now: Date): Finding {
  const config = inForce(p, now);
  if (p.result === 'failed') {
    return finding('provisioning', 'warn', `${p.url}: last fetch ${p.last_fetch ? `${age(p.last_fetch, now)} ago ` : ''}failed: ${p.reason ?? 'no reason given'}; ${config}`, SERVER_FIX);
  }
  if (p.result === 'never' || p.last_fetch === undefined) {
    return finding('provisioning', 'warn', `${p.url}: not fetched since the station started; ${config}`, SERVER_FIX);
  }
  const since = (now.getTime() - Date.parse(p.last_fetch)) / 1000;
  if (since > 3 * intervalS) {
    return finding('provisioning', 'warn', `${p.url}: no fetch for ${age(p.last_fetch, now)} (provisioning.interval is ${intervalS} s); ${config}`, 'restart it: sudo systemctl restart intercom');
  }
  return finding('provisioning', 'ok', `${p.url}: last fetch ${age(p.last_fetch, now)} ago, ${p.result}; ${config}`);
}

/** Provisioning: from the running station, else from the cache the config check loaded. */
export function checkProvisioning(config: Config, station: StationAnswer, cached: { url: string; fetched_at: string } | undefined, now = new Date()): Finding {
  const p = config.provisioning;
  if (!p) return finding('provisioning', 'skip', 'not provisioned (no provisioning: section)');
  const live = station.ok ? station.status.provisioning : undefined;
  if (live) return provisioningFinding(live, p.interval, now);
  if (!cached) return finding('provisioning', 'fail', `no provisioned config in ${p.cache}`, 'start the station: it fetches provisioning.url');
  return finding('provisioning', 'ok', `${cached.url}: the station is not running; ${inForce({ source: 'cache', fetched_at: cached.fetched_at }, now)}`);
}

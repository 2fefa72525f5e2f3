// The human-readable form of `intercom status` (the --json form is the raw object).
import type { StationStatus } from '../intercom/station-api.ts';
import { describeEntry } from '../intercom/event-log.ts';

/** A few lines describing registration, call and door state. */
export function describeStatus(s: StationStatus): string[] {
  const reg = s.registration;
  let registration: string;
  if (s.registered) registration = `registered${reg.expiresAt ? ` (until ${reg.expiresAt})` : ''}`;
  else registration = `not registered (${reg.state}${reg.lastError ? `: ${reg.lastError}` : ''})`;
  const codec = s.call?.codec !== undefined ? ` (${s.call.codec})` : '';
  const call = s.call ? `${s.call.state} with ${s.call.peer} since ${s.call.since}${codec}` : 'none';
  const times = s.door.opened === 1 ? 'once' : `${s.door.opened} times`;
  const door = `${s.door.open ? 'open' : 'closed'}, opened ${times} since start`;
  const prov = s.provisioning;
  const provisioning = prov
    ? [
        `provisioning: ${prov.url}: ${prov.result}${prov.reason ? ` (${prov.reason})` : ''}${prov.last_fetch ? `, last asked ${prov.last_fetch}` : ''}` +
          (prov.config_sha256 ? `; in force: sha256 ${prov.config_sha256} from the ${prov.source ?? 'server'}, fetched ${prov.fetched_at ?? '?'}` : ''),
      ]
    : [];
  const link = s.mqtt;
  const mqtt = link ? [`mqtt: ${link.url}: ${link.connected ? 'connected' : `not connected (${link.last_error ?? 'no reason known'})`}${link.since ? ` since ${link.since}` : ''}`] : [];
  const recent = (s.events ?? []).slice(-20).map((e) => `  ${describeEntry(e)}`);
  const incoming = s.incoming ? [`incoming calls: ${s.incoming.enabled ? 'enabled' : 'disabled'}`] : [];
  return [`registration: ${registration}`, `call: ${call}`, `door: ${door}`, ...incoming, ...provisioning, ...mqtt, ...(recent.length ? ['recent:', ...recent] : [])];
}

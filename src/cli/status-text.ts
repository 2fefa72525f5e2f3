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
  const recent = (s.events ?? []).slice(-20).map((e) => `  ${describeEntry(e)}`);
  const incoming = s.incoming ? [`incoming calls: ${s.incoming.enabled ? 'enabled' : 'disabled'}`] : [];
  return [`registration: ${registration}`, `call: ${call}`, `door: ${door}`, ...incoming, ...(recent.length ? ['recent:', ...recent] : [])];
}

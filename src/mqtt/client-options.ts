// How the door logs in to its broker: user, password, client id and the CA to
// trust. Shared by the station's link and the doctor's probe, so the doctor
// tests exactly the login the station uses.
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../config/mqtt-schema.ts';
import { nodeIdFor } from './discovery.ts';

/** An error's message on one line. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

/** mqtt.client_id, or one derived from the base topic. */
export function clientIdFor(config: MqttConfig): string {
  return config.client_id ?? `intercom-${nodeIdFor(config.topic)}`.slice(0, 64);
}

/** The login part of the client options; a CA file that cannot be read is a one-line error naming mqtt.tls.ca. */
export function brokerLogin(config: MqttConfig): { ok: true; options: IClientOptions } | { ok: false; error: string } {
  const options: IClientOptions = {
    clientId: clientIdFor(config),
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
  };
  if (config.tls?.ca !== undefined) {
    try {
      options.ca = readFileSync(config.tls.ca);
    } catch (err) {
      return { ok: false, error: `mqtt.tls.ca: cannot read ${config.tls.ca}: ${oneLine(err)}` };
    }
  }
  return { ok: true, options };
}

/** The broker URL for logs and reports, without a password it may carry. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'mqtt://?';
  }
}

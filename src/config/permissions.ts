// File permissions that put the door at risk, reported by `check` and at
// start: a config others may write lets any local user redirect the door to
// another server or change its codes; one others may read gives away the door
// codes (and the SIP password when it is inline).
import { statSync } from 'node:fs';
import type { Config } from './schema.ts';

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}

/** Warnings (one line each) about who else may read or write the config and secret files. */
export function permissionWarnings(configPath: string, config: Config): string[] {
  const out: string[] = [];
  const mode = modeOf(configPath);
  if (mode !== undefined && (mode & 0o002) !== 0) {
    out.push(`${configPath} is writable by every user (anyone could change the server or the door codes); chmod 600 it`);
  }
  if (mode !== undefined && (mode & 0o004) !== 0 && config.door.codes.length > 0) {
    out.push(`door.codes: ${configPath} is readable by every user, so are the door codes; chmod 600 it`);
  }
  for (const [key, secret] of [['sip.password_file', config.sip.password_file], ['mqtt.password_file', config.mqtt?.password_file]] as const) {
    const secretMode = secret === undefined ? undefined : modeOf(secret);
    if (secretMode !== undefined && (secretMode & 0o002) !== 0) {
      out.push(`${key}: ${secret} is writable by every user; chmod 600 it`);
    }
  }
  if (mode !== undefined && (mode & 0o004) !== 0 && config.mqtt?.password !== undefined && config.mqtt.password_file === undefined) {
    out.push(`mqtt.password: ${configPath} is readable by every user; chmod 600 it or move the secret to mqtt.password_file`);
  }
  // Anyone holding the door's TLS key can pose as the door to the registrar.
  const key = config.sip.tls_key;
  const keyMode = key === undefined ? undefined : modeOf(key);
  if (keyMode !== undefined && (keyMode & 0o004) !== 0) {
    out.push(`sip.tls_key: ${key} is readable by every user; chmod 600 it`);
  }
  return out;
}

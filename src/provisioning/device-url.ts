// One URL for many doors: {mac} and {hostname} in provisioning.url are filled
// in per device, as commercial door stations do (e.g. .../cfg/{mac}.yaml).
import { hostname, networkInterfaces } from 'node:os';

export interface DeviceIdentity {
  /** Lower-case hex without separators ("b827eb123456"), as provisioning servers name files. */
  mac?: string;
  hostname: string;
}

/** The URL for this device; undefined names the placeholder that has no value. */
export function expandUrl(template: string, id: DeviceIdentity): { ok: true; url: string } | { ok: false; missing: string } {
  if (template.includes('{mac}') && id.mac === undefined) return { ok: false, missing: 'mac' };
  const url = template
    .replaceAll('{mac}', encodeURIComponent(id.mac ?? ''))
    .replaceAll('{hostname}', encodeURIComponent(id.hostname));
  return { ok: true, url };
}

/** The URL (or template) as logged and shown: no query string, which may carry a token. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.replace(/%7B(mac|hostname)%7D/g, '{$1}');
  } catch {
    return '(invalid URL)';
  }
}

/** This machine's hostname and the MAC of `iface` (default: the first interface that has one). */
export function deviceIdentity(iface?: string): DeviceIdentity {
  const all = networkInterfaces();
  const names = iface !== undefined ? [iface] : Object.keys(all).sort();
  let mac: string | undefined;
  for (const name of names) {
    const found = (all[name] ?? []).find((a) => !a.internal && a.mac !== '00:00:00:00:00:00');
    if (found) {
      mac = found.mac.replaceAll(':', '').toLowerCase();
      break;
    }
  }
  return { hostname: hostname(), ...(mac !== undefined ? { mac } : {}) };
}

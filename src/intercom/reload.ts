// What a configuration reload has to do, worked out from the old and the new
// config: which settings can be swapped in place (the next press, digit or
// timer uses them; the registration and a call in progress stay up), which
// need the station's SIP stack and devices restarted (a re-registration; a call
// in progress ends), and which only a restart of the service can apply.
// Pure: no I/O, so each rule is a unit test.
import type { Config } from '../config/schema.ts';

export interface ReloadPlan {
  /** Every changed key path (names only, never values: some are secrets). */
  changed: string[];
  /** Applied in place, without touching the registration or a call. */
  inPlace: string[];
  /** Need the station restarted: unregister, re-register with the new settings. */
  restartStation: string[];
  /** Cannot change while running (the control socket this reload came through). */
  needsServiceRestart: string[];
}

/**
 * Keys applied in place. Everything else restarts the station: a key added
 * to the schema later is handled safely before anyone teaches it here.
 */
const IN_PLACE = [
  /^buttons$/,
  /^buttons\[\]\.(name|call)$/,
  /^door\.(open_ms|codes|lockout)(\.|$)/,
  /^calls\./,
  /^log\./,
  /^audio\.codecs$/,
  // The MQTT link reconnects by itself (run.ts); the SIP side is not touched.
  /^mqtt(\.|$)/,
  // Read by the provisioning schedule at its next check.
  /^provisioning\./,
];
const SERVICE_RESTART = [/^control\./, /^metrics(\.|$)/];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf paths where `a` and `b` differ; arrays of scalars count as one value, arrays of objects element by element. */
export function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].sort().flatMap((k) => changedPaths(a[k], b[k], path === '' ? k : `${path}.${k}`));
  }
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].some(isRecord)) {
    if (a.length !== b.length) return [path, ...elementPaths(a, b, path)];
    return a.flatMap((v, i) => changedPaths(v, b[i], `${path}[${i}]`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

/** For lists of different length: the inner paths that differ anywhere, so that e.g. an added button's gpio is seen. */
function elementPaths(a: unknown[], b: unknown[], path: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? {};
    const y = b[i] ?? {};
    out.push(...changedPaths(x, y, `${path}[${i}]`));
  }
  return out;
}

const generic = (path: string): string => path.replace(/\[\d+\]/g, '[]');

/** Sorts the differences between `current` and `next` into what a reload must do. */
export function planReload(current: Config, next: Config): ReloadPlan {
  const changed = [...new Set(changedPaths(current, next))];
  const plan: ReloadPlan = { changed, inPlace: [], restartStation: [], needsServiceRestart: [] };
  for (const path of changed) {
    const g = generic(path);
    if (SERVICE_RESTART.some((r) => r.test(g))) plan.needsServiceRestart.push(path);
    else if (IN_PLACE.some((r) => r.test(g))) plan.inPlace.push(path);
    else plan.restartStation.push(path);
  }
  return plan;
}

/** A one-line summary of a plan, for the log and the `intercom reload` reply. */
export function describePlan(plan: ReloadPlan): string {
  if (plan.changed.length === 0) return 'no changes';
  const parts: string[] = [];
  if (plan.inPlace.length > 0) parts.push(`applied in place: ${plan.inPlace.join(', ')}`);
  if (plan.restartStation.length > 0) parts.push(`re-registered for: ${plan.restartStation.join(', ')}`);
  if (plan.needsServiceRestart.length > 0) {
    parts.push(`needs a service restart (systemctl restart intercom): ${plan.needsServiceRestart.join(', ')}`);
  }
  return parts.join('; ');
}

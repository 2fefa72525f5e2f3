// Board profiles: hw/profiles/NAME.yaml names the pins (and suggests the sound
// devices) of a common build. A config that says `profile: NAME` gets those
// pins wherever it does not set its own, so it can override any single pin.
// Merging happens on the raw YAML data, before validation, so the schema
// checks profile pins exactly like hand-written ones.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Where the shipped profiles live (hw/profiles in the package, next to dist/ and src/). */
export const PROFILE_DIR = fileURLToPath(new URL('../../hw/profiles/', import.meta.url));

type Raw = Record<string, unknown>;

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names of the shipped profiles. */
export function profileNames(dir = PROFILE_DIR): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/** A profile's parsed YAML; undefined when there is none by that name. */
export function readProfile(name: string, dir = PROFILE_DIR): Raw | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return undefined;
  const file = `${dir}${name}.yaml`;
  if (!existsSync(file)) return undefined;
  const data: unknown = parse(readFileSync(file, 'utf8'));
  return isRecord(data) ? data : undefined;
}

function section(obj: Raw, key: string): Raw {
  const v = obj[key];
  if (isRecord(v)) return v;
  const fresh: Raw = {};
  obj[key] = fresh;
  return fresh;
}

function fill(target: Raw, key: string, value: unknown): void {
  if (value !== undefined && (target[key] === undefined || target[key] === null)) target[key] = value;
}

/** Applies `profile:` to raw config data; errors name the key. */
export function applyProfile(data: unknown, dir = PROFILE_DIR): { ok: true; data: unknown } | { ok: false; errors: string[] } {
  if (!isRecord(data) || data['profile'] === undefined || data['profile'] === null) return { ok: true, data };
  const name = data['profile'];
  const profile = typeof name === 'string' ? readProfile(name, dir) : undefined;
  if (!profile) {
    const have = profileNames(dir);
    return { ok: false, errors: [`profile: no board profile ${JSON.stringify(name)} (available: ${have.join(', ') || 'none'})`] };
  }
  const out: Raw = structuredClone(data);
  const pins = isRecord(profile['pins']) ? profile['pins'] : {};
  // The first button takes the profile's bell button.
  const buttons = out['buttons'];
  if (Array.isArray(buttons) && isRecord(buttons[0])) fill(buttons[0], 'gpio', pins['button']);
  if (pins['relay'] !== undefined || pins['exit_button'] !== undefined || pins['contact'] !== undefined) {
    const door = section(out, 'door');
    fill(door, 'relay', pins['relay']);
    fill(door, 'exit_button', pins['exit_button']);
    fill(door, 'contact', pins['contact']);
  }
  if (isRecord(pins['leds']) || pins['amplifier'] !== undefined) {
    const gpio = section(out, 'gpio');
    if (isRecord(pins['leds'])) {
      const leds = section(gpio, 'leds');
      for (const [k, v] of Object.entries(pins['leds'])) fill(leds, k, v);
    }
    fill(gpio, 'amplifier', pins['amplifier']);
  }
  if (isRecord(profile['audio'])) {
    const audio = section(out, 'audio');
    fill(audio, 'input', profile['audio']['input']);
    fill(audio, 'output', profile['audio']['output']);
  }
  return { ok: true, data: out };
}

// Doctor checks of the devices the station uses: sound cards, GPIO chips and
// serial ports. They look, they do not claim: the running station holds the
// devices, and taking a GPIO line away from it would break the door.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { finding, type Finding } from './finding.ts';

/** Audio devices as `intercom audio list` reports them. */
export interface AudioDeviceLike {
  name: string;
  maxInputChannels?: number;
  maxOutputChannels?: number;
}

export type ListDevices = () => Promise<AudioDeviceLike[]>;

function accessible(path: string): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the configured input and output exist: files, `none`, or PortAudio devices by name. */
export async function checkAudio(config: Config, list: ListDevices): Promise<Finding[]> {
  const out: Finding[] = [];
  const wanted = [
    { key: 'audio.input', spec: config.audio.input, dir: 'input' as const },
    { key: 'audio.output', spec: config.audio.output, dir: 'output' as const },
  ];
  let devices: AudioDeviceLike[] | undefined;
  let listError: string | undefined;
  for (const w of wanted) {
    if (w.spec === 'none') {
      out.push(finding(w.key, 'warn', 'none: the door has no sound in this direction', 'set a device from `intercom audio list`'));
      continue;
    }
    if (w.spec.startsWith('file:')) {
      const path = w.spec.slice('file:'.length);
      const there = w.dir === 'input' ? existsSync(path) : true;
      out.push(finding(w.key, there ? 'ok' : 'fail', `${w.spec}${there ? '' : ': no such file'}`, there ? undefined : 'fix the path in the config'));
      continue;
    }
    if (devices === undefined && listError === undefined) {
      try {
        devices = await list();
      } catch (err) {
        listError = err instanceof Error ? err.message : String(err);
      }
    }
    if (!devices) {
      out.push(finding(w.key, 'fail', `cannot list sound devices: ${listError ?? 'unknown error'}`, 'install libportaudio2; check /dev/snd exists (a USB sound card plugged in, or the HAT enabled in /boot/firmware/config.txt)'));
      continue;
    }
    const usable = devices.filter((d) => ((w.dir === 'input' ? d.maxInputChannels : d.maxOutputChannels) ?? 0) > 0);
    if (usable.length === 0) {
      out.push(finding(w.key, 'fail', `no sound ${w.dir} device at all`, 'plug in the USB sound card or enable the HAT; then check `intercom audio list`'));
    } else if (w.spec === 'default' || usable.some((d) => d.name === w.spec || d.name.includes(w.spec))) {
      out.push(finding(w.key, 'ok', `"${w.spec}" among ${usable.length} ${w.dir} device(s)`));
    } else {
      out.push(finding(w.key, 'fail', `no ${w.dir} device named "${w.spec}"`, `pick one of: ${usable.map((d) => d.name).join(', ')}`));
    }
  }
  return out;
}

/** Every `{ chip, line }` in the config, wherever the schema puts it (buttons, relay, LEDs). */
export function configuredLines(config: unknown, path = ''): { key: string; chip: string; line: number }[] {
  if (Array.isArray(config)) return config.flatMap((v, i) => configuredLines(v, `${path}[${i}]`));
  if (typeof config !== 'object' || config === null) return [];
  const o = config as Record<string, unknown>;
  if (typeof o['chip'] === 'string' && typeof o['line'] === 'number') return [{ key: path, chip: o['chip'], line: o['line'] }];
  return Object.entries(o).flatMap(([k, v]) => configuredLines(v, path === '' ? k : `${path}.${k}`));
}

/** The GPIO chips of the configured lines exist and this user may open them. */
export function checkGpio(config: Config, devDir = '/dev'): Finding {
  const lines = configuredLines(config);
  if (lines.length === 0) return finding('gpio', 'skip', 'no GPIO lines in the config (buttons only by `intercom press`)');
  const problems: string[] = [];
  const fixes = new Set<string>();
  for (const l of lines) {
    const dev = `${devDir}/${l.chip}`;
    if (!existsSync(dev)) {
      problems.push(`${l.key}: ${dev} does not exist`);
      fixes.add(`chips here: ${listChips(devDir).join(', ') || 'none (is this a Raspberry Pi?)'}`);
    } else if (!accessible(dev)) {
      problems.push(`${l.key}: no permission to open ${dev}`);
      fixes.add('add the user to the gpio group (scripts/install.sh does) and reboot, or run as the intercom user');
    }
  }
  const summary = lines.map((l) => `${l.chip}:${l.line}`).join(', ');
  if (problems.length > 0) return finding('gpio', 'fail', problems.join('; '), [...fixes].join('; '));
  // Whether a line is free is not tested: the running station holds its lines.
  return finding('gpio', 'ok', `chips accessible for ${summary} (live line state: intercom hw)`);
}

function listChips(devDir: string): string[] {
  try {
    return readdirSync(devDir).filter((n) => /^gpiochip\d+$/.test(n));
  } catch {
    return [];
  }
}

/** Every serial `device` path in the config (card and keypad readers), wherever the schema puts it. */
export function configuredSerialDevices(config: unknown, path = ''): { key: string; device: string }[] {
  if (Array.isArray(config)) return config.flatMap((v, i) => configuredSerialDevices(v, `${path}[${i}]`));
  if (typeof config !== 'object' || config === null) return [];
  return Object.entries(config as Record<string, unknown>).flatMap(([k, v]) => {
    const key = path === '' ? k : `${path}.${k}`;
    if (k === 'device' && typeof v === 'string' && v.startsWith('/')) return [{ key, device: v }];
    return configuredSerialDevices(v, key);
  });
}

/** The configured serial devices (readers) exist and this user may open them; else which ports are present. */
export function checkSerial(config: Config | undefined, devDir = '/dev'): Finding {
  const wanted = config ? configuredSerialDevices(config) : [];
  if (wanted.length > 0) {
    const problems: string[] = [];
    let permission = false;
    for (const w of wanted) {
      if (!existsSync(w.device)) problems.push(`${w.key}: ${w.device} does not exist`);
      else if (!accessible(w.device)) {
        problems.push(`${w.key}: no permission to open ${w.device}`);
        permission = true;
      }
    }
    if (problems.length === 0) return finding('serial', 'ok', `accessible: ${wanted.map((w) => w.device).join(', ')}`);
    const fix = permission
      ? 'add the user to the dialout group (scripts/install.sh does); on a Pi also disable the serial console (raspi-config)'
      : `plug the reader in, or fix the path; ports here: ${listSerial(devDir).join(', ') || 'none'}`;
    return finding('serial', 'fail', problems.join('; '), fix);
  }
  const names = listSerial(devDir);
  if (names.length === 0) return finding('serial', 'skip', 'no serial reader in the config, and no serial ports');
  return finding('serial', 'skip', `no serial reader in the config; ports here: ${names.join(', ')}`);
}

function listSerial(devDir: string): string[] {
  try {
    return readdirSync(devDir).filter((n) => /^(serial\d|ttyAMA\d+|ttyUSB\d+|ttyACM\d+)$/.test(n));
  } catch {
    return [];
  }
}

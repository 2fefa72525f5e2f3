// `intercom hw`: the board profile in use and the live state of every input,
// output and reader, from the running station. `intercom hash`: the hash of a
// card ID or PIN for the config's access lists.
import { loadConfig, loadControlSocket } from '../config/load.ts';
import { readProfile } from '../config/profile.ts';
import { createLogger } from '../log/logger.ts';
import { sendControl } from '../control/client.ts';
import { driveOutputsOff, type HardwareSnapshot } from '../io/door-hardware.ts';
import { hashCredential } from '../io/credentials.ts';
import type { CliIO } from './io.ts';
import { oneLine } from './io.ts';
import type { RemoteTarget } from './remote.ts';

function state(key: string, active: boolean | undefined): string {
  if (active === undefined) return 'unknown';
  if (key === 'door.contact') return active ? 'closed (door shut)' : 'open';
  if (key === 'door.relay') return active ? 'ENERGISED' : 'off';
  if (key.startsWith('gpio.leds.') || key === 'gpio.amplifier') return active ? 'on' : 'off';
  return active ? 'pressed' : 'released';
}

/** The lines `intercom hw` prints for a hardware snapshot. */
export function describeHardware(hw: HardwareSnapshot | undefined): string[] {
  if (!hw) return ['this station reports no hardware'];
  const lines: string[] = [];
  const description = hw.profile ? readProfile(hw.profile)?.['description'] : undefined;
  lines.push(`profile: ${hw.profile ? `${hw.profile}${typeof description === 'string' ? ` (${description})` : ''}` : 'none'}`);
  lines.push(`gpio backend: ${hw.backend ?? `none${hw.error ? ` (${hw.error})` : ''}`}`);
  const width = Math.max(0, ...[...hw.inputs, ...hw.outputs].map((l) => l.key.length));
  const row = (l: HardwareSnapshot['inputs'][number]): string =>
    `  ${l.key.padEnd(width)}  ${`${l.chip} line ${l.line}`.padEnd(20)}  ${l.error ? `ERROR: ${l.error}` : state(l.key, l.active)}`;
  lines.push(hw.inputs.length > 0 ? 'inputs:' : 'inputs: none');
  for (const l of hw.inputs) lines.push(row(l));
  lines.push(hw.outputs.length > 0 ? 'outputs:' : 'outputs: none');
  for (const l of hw.outputs) lines.push(row(l));
  lines.push(hw.readers.length > 0 ? 'readers:' : 'readers: none');
  for (const r of hw.readers) lines.push(`  ${r.name} (${r.kind})  ${r.device}  ${r.connected ? 'connected' : 'NOT CONNECTED'}`);
  return lines;
}

/** `intercom hw [--json]`: 0 with the state printed, 1 when no instance answers. */
export async function hwCommand(target: RemoteTarget, json: boolean, io: CliIO): Promise<number> {
  let socket = target.socket;
  if (socket === undefined) {
    const found = loadControlSocket(target.configPath);
    if (!found.ok) {
      for (const line of found.errors) io.err(line);
      return 2;
    }
    socket = found.socket;
  }
  try {
    const response = await sendControl(socket, { cmd: 'status' });
    if (!response.ok || !('status' in response)) {
      io.err(`intercom: ${response.ok ? 'the running instance sent no status' : response.error}`);
      return 1;
    }
    const hw = response.status.hardware;
    if (json) io.out(JSON.stringify(hw ?? null));
    else for (const line of describeHardware(hw)) io.out(line);
    return 0;
  } catch (err) {
    io.err(`intercom: ${oneLine(err)}`);
    return 1;
  }
}

/** `intercom hash --card ID | --pin PIN`: prints the line to put under access.cards or access.pins. */
export function hashCommand(card: string | undefined, pin: string | undefined, io: CliIO): number {
  if ((card === undefined) === (pin === undefined)) {
    io.err('intercom: hash: give exactly one of --card ID or --pin PIN (see intercom hash --help)');
    return 2;
  }
  if (pin !== undefined && !/^[0-9A-D]{1,16}$/.test(pin)) {
    io.err('intercom: hash: a PIN is 1-16 keypad digits (0-9, A-D)');
    return 2;
  }
  io.out(card !== undefined ? hashCredential('card', card) : hashCredential('pin', pin!));
  return 0;
}

/** `intercom outputs-off`: 0 when every configured output was driven off, 1 when one could not be, 2 on a bad config. */
export async function outputsOffCommand(configPath: string, io: CliIO): Promise<number> {
  const loaded = loadConfig(configPath);
  if (!loaded.ok) {
    for (const line of loaded.errors) io.err(line);
    return 2;
  }
  const log = createLogger({ level: 'warn', format: loaded.config.log.format });
  const r = await driveOutputsOff(loaded.config, log);
  for (const line of r.lines) (/: off \(|^no outputs/.test(line) ? io.out : io.err)(line);
  return r.ok ? 0 : 1;
}

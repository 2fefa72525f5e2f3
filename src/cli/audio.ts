// `intercom audio list`: the sound devices PortAudio sees, so the installer
// can copy a name or index into audio.input / audio.output. stdout carries
// only the list (or one JSON object with --json).
import { spawn } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AudioDeviceInfo } from '../audio/device-select.ts';
import type { CliIO } from './io.ts';
import { oneLine } from './io.ts';

/** Probing ALSA devices can take a few seconds on a busy system; a hung probe must not hang the command. */
const PROBE_TIMEOUT_MS = 15_000;

/** How the device list is obtained; tests pass a fake. */
export type ListAudioDevices = () => Promise<AudioDeviceInfo[]>;

/** Lists devices in a child process (see audio-probe.ts), so no native noise or crash reaches this one. */
export function probeAudioDevices(env: NodeJS.ProcessEnv = process.env, timeoutMs = PROBE_TIMEOUT_MS): Promise<AudioDeviceInfo[]> {
  const self = fileURLToPath(import.meta.url);
  const probe = join(dirname(self), `audio-probe${extname(self)}`);
  return new Promise((resolve, reject) => {
    // execArgv carries a TypeScript loader when running from source.
    const child = spawn(process.execPath, [...process.execArgv, probe], { env, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdio[3]?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let result: { devices?: AudioDeviceInfo[]; error?: string } | undefined;
      try {
        result = JSON.parse(out) as typeof result;
      } catch {
        result = undefined;
      }
      if (result?.devices) resolve(result.devices);
      else if (result?.error) reject(new Error(result.error));
      else if (signal === 'SIGKILL') reject(new Error(`PortAudio did not answer within ${timeoutMs / 1000} s`));
      else reject(new Error(`PortAudio failed while listing devices (${signal ? `signal ${signal}` : `exit status ${code}`})`));
    });
  });
}

function defaults(d: AudioDeviceInfo): string {
  return [d.defaultInput ? 'default input' : '', d.defaultOutput ? 'default output' : ''].filter(Boolean).join(', ');
}

/** Prints capture and playback devices (index, name, channels, rate, defaults); 1 with one line when PortAudio is unavailable. */
export async function audioListCommand(json: boolean, io: CliIO, list: ListAudioDevices = () => probeAudioDevices()): Promise<number> {
  let devices: AudioDeviceInfo[];
  try {
    devices = await list();
  } catch (err) {
    io.err(`intercom: audio list: ${oneLine(err)}`);
    return 1;
  }
  if (json) {
    io.out(JSON.stringify({ devices }));
    return 0;
  }
  for (const [title, usable, channels] of [
    ['Capture devices (audio.input):', (d: AudioDeviceInfo) => d.maxInputChannels > 0, (d: AudioDeviceInfo) => d.maxInputChannels],
    ['Playback devices (audio.output):', (d: AudioDeviceInfo) => d.maxOutputChannels > 0, (d: AudioDeviceInfo) => d.maxOutputChannels],
  ] as const) {
    io.out(title);
    const rows = devices.filter(usable);
    if (rows.length === 0) io.out('  (none: is a sound card connected, and does `aplay -l` / `arecord -l` show it?)');
    for (const d of rows) {
      const mark = defaults(d);
      io.out(`  ${String(d.index).padStart(3)}  ${JSON.stringify(d.name)}  ${channels(d)} ch, ${Math.round(d.defaultSampleRate)} Hz, ${d.hostApi}${mark ? `  [${mark}]` : ''}`);
    }
  }
  return 0;
}

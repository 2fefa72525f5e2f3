// A private PulseAudio server with one null sink, so PortAudio (through ALSA's pulse
// plugin) has a sound card that runs in real time: what is played into the sink is
// consumed at its clock, and its monitor, the default source, captures it again.
// Everything lives in a temp dir (runtime dir, home, ALSA config); the server is
// stopped and the dir removed by stop(), or at process exit if a test dies first.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, runCommand, spawnManaged, waitUntil, type ManagedProcess } from './process.ts';

export interface PulseAudioOptions {
  /** Extra ALSA PCM names that also lead to the server, e.g. to test device selection by name. */
  extraPcms?: string[];
  /** Sink rate (default 48000, as a USB card or I2S HAT typically runs). */
  rate?: number;
}

export interface PulseAudio {
  readonly dir: string;
  /** ALSA config whose default (and extra) PCMs are the server: point ALSA_CONFIG_PATH here. */
  readonly alsaConfig: string;
  /** Environment for a client process: ALSA_CONFIG_PATH, XDG_RUNTIME_DIR and HOME. */
  readonly env: Record<string, string>;
  /** Records the sink's monitor (what was played) as 8 kHz mono WAV until the returned stop() is called. */
  record(path: string): { stop(): Promise<void> };
  logs(): string;
  stop(): Promise<void>;
}

const SINK = 'vsink';

/** Starts `pulseaudio` with a null sink and resolves once `pactl info` answers. */
export async function startPulseAudio(opts: PulseAudioOptions = {}): Promise<PulseAudio> {
  const tmp = makeTempDir('intercom-pulse-');
  const dir = tmp.path;
  const alsaConfig = join(dir, 'asound.conf');
  const pcms = (opts.extraPcms ?? []).map((name) => {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`pulseaudio: not a plain ALSA PCM name: ${name}`);
    return `pcm.${name} { type pulse }\n`;
  });
  writeFileSync(alsaConfig, `# generated for a test: every PCM is the private PulseAudio server\npcm.!default { type pulse }\nctl.!default { type pulse }\n${pcms.join('')}`);
  // The server and its clients find each other through XDG_RUNTIME_DIR; HOME holds the cookie.
  const env = { ALSA_CONFIG_PATH: alsaConfig, XDG_RUNTIME_DIR: join(dir, 'run'), HOME: join(dir, 'home') };
  const fullEnv = { ...process.env, ...env };
  const rate = opts.rate ?? 48000;
  const server: ManagedProcess = spawnManaged(
    'pulseaudio',
    'pulseaudio',
    [
      '--daemonize=no',
      '--exit-idle-time=-1',
      '-n',
      '--disable-shm=yes',
      '--load=module-native-protocol-unix',
      `--load=module-null-sink sink_name=${SINK} rate=${rate} channels=1`,
    ],
    { env: fullEnv, cwd: dir, timeoutMs: 300_000 },
  );
  const recorders = new Set<ManagedProcess>();
  const stop = async (): Promise<void> => {
    for (const r of recorders) await r.stop(1000);
    await server.stop(2000);
    tmp.remove();
  };
  try {
    await waitUntil(
      'pulseaudio to answer pactl info',
      async () => {
        if (server.hasExited()) throw new Error('pulseaudio exited');
        const r = await runCommand('pactl', ['info'], { env: fullEnv, timeoutMs: 2000 });
        return r.code === 0 && r.stdout.includes(`Default Sink: ${SINK}`);
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  } catch (err) {
    const log = server.output();
    await stop();
    throw new Error(`${(err as Error).message}\n--- pulseaudio log ---\n${log}`);
  }
  return {
    dir,
    alsaConfig,
    env,
    record(path: string) {
      const args = [`--device=${SINK}.monitor`, '--rate=8000', '--channels=1', '--format=s16le', '--file-format=wav', path];
      const rec = spawnManaged('parecord', 'parecord', args, { env: fullEnv, timeoutMs: 120_000 });
      recorders.add(rec);
      return {
        async stop() {
          // SIGTERM lets parecord finish the WAV header.
          await rec.stop(2000);
          recorders.delete(rec);
        },
      };
    },
    logs: () => server.output(),
    stop,
  };
}

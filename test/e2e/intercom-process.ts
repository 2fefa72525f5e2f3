// Runs the real `bin/intercom` command as a child process with a config
// written for the test, and talks to it the way an installer would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, spawnManaged, waitUntil, type ManagedProcess } from '../support/process.ts';
import type { RtcpCounters, RtpReception } from '../../src/intercom/station-api.ts';

export const INTERCOM_BIN = fileURLToPath(new URL('../../bin/intercom', import.meta.url));

export interface IntercomInstance {
  readonly dir: string;
  readonly configPath: string;
  readonly address: string;
  readonly port: number;
  /** Runs a CLI subcommand against this instance's config. */
  cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  status(): Promise<IntercomStatus>;
  logs(): string;
  /** Replaces the config file (merged over the same defaults as at start); the running station does not see it until reloaded. */
  writeConfig(config: Record<string, unknown> & { sip: Record<string, unknown> }): void;
  /** Sends SIGTERM and resolves with the exit code. */
  terminate(): Promise<number | null>;
  process: ManagedProcess;
}

export interface IntercomStatus {
  registered: boolean;
  registration: { state: string; lastError?: string };
  call: null | { state: string; peer: string; codec?: string; rtp?: RtpReception; rtcp?: RtcpCounters; srtp?: { dropped: number } };
  door: { open: boolean; opened: number };
}

/** Writes a config (merged over a working default) and starts `intercom run`. */
export async function startIntercom(
  config: Record<string, unknown> & { sip: Record<string, unknown> },
  opts: {
    address?: string;
    /** SIP port; default a free one on `address` (give it when the address exists only inside a namespace of `wrap`). */
    port?: number;
    waitRegistered?: boolean;
    env?: NodeJS.ProcessEnv;
    /** A command prefix to run it under (e.g. unshare with a private /etc/hosts); it must exec the rest. */
    wrap?: string[];
    /** Written as given (plus control.socket): a provisioned door's local file, which may hold nothing else. */
    asIs?: boolean;
    /** The directory to run in, e.g. the previous instance's, to start again from the same files. */
    dir?: string;
  } = {},
): Promise<IntercomInstance> {
  const address = opts.address ?? '127.0.0.2';
  const port = opts.port ?? (await freePort(address));
  const dir = opts.dir ?? makeTempDir('intercom-').path;
  const configPath = join(dir, 'door.yaml');
  const writeConfig = (c: Record<string, unknown> & { sip: Record<string, unknown> }): void => {
    const full = opts.asIs
      ? { ...c, control: { socket: join(dir, 'control.sock') } }
      : {
          ...c,
          sip: { listen: `${address}:${port}`, ...c.sip },
          control: { socket: join(dir, 'control.sock') },
          log: { level: 'debug' },
        };
    writeFileSync(configPath, stringify(full), { mode: 0o600 });
  };
  writeConfig(config);
  const runArgs = [process.execPath, INTERCOM_BIN, 'run', '--config', configPath];
  const [command, ...args] = [...(opts.wrap ?? []), ...runArgs] as [string, ...string[]];
  const proc = spawnManaged('intercom', command, args, {
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  const cli = async (...args: string[]) => {
    const r = await runCommand(process.execPath, [INTERCOM_BIN, ...args, '--config', configPath], { timeoutMs: 10_000 });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  const status = async (): Promise<IntercomStatus> => {
    const r = await cli('status', '--json');
    if (r.code !== 0) throw new Error(`status exited ${r.code}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as IntercomStatus;
  };
  const inst: IntercomInstance = {
    dir,
    configPath,
    address,
    port,
    cli,
    status,
    logs: () => proc.output(),
    writeConfig,
    terminate: async () => {
      proc.child.kill('SIGTERM');
      const st = await proc.exited;
      return st.code;
    },
    process: proc,
  };
  await waitUntil('intercom control socket', async () => (await cli('status', '--json')).code === 0, { timeoutMs: 15_000, intervalMs: 100 });
  if (opts.waitRegistered !== false) {
    await waitUntil('intercom registered', async () => (await status()).registered, { timeoutMs: 15_000, intervalMs: 100 });
  }
  return inst;
}

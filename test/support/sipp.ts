// SIPp for the edge cases real phones rarely produce on demand (busy, no
// answer, callee hangs up). Always -nostdin, always under a hard timeout.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertLoopback, freePort, releasePort } from './ports.ts';
import { makeTempDir, spawnManaged, waitUntil } from './process.ts';

export const SIPP_SCENARIO_DIR = fileURLToPath(new URL('../sipp/', import.meta.url));

/** Scenarios shipped in test/sipp/. */
export type SippScenarioName = 'uas-busy' | 'uas-no-answer' | 'uas-answer-bye' | 'uas-answer-wait-bye' | 'uas-answer-g729-only' | 'uac-register';

export interface SippOptions {
  /** A name from test/sipp/ (without .xml) or a path to a scenario file. */
  scenario: SippScenarioName | string;
  /** Loopback address to bind. Default 127.0.0.1. */
  address?: string;
  /** SIP port to bind. Default a free one. */
  port?: number;
  /** Where a UAC scenario sends its first request (the registrar, say). */
  remote?: { address: string; port: number };
  transport?: 'udp' | 'tcp';
  /** Calls to handle before exiting (-m). Default 1. */
  calls?: number;
  /** Hard limit for the whole run; SIPp gives up a little earlier on its own. Default 30 s. */
  timeoutMs?: number;
  /** The pause in scenarios with <pause/> (-d). Default 1000 ms. */
  pauseMs?: number;
  /** [service]: the user part a UAC scenario speaks for (-s). */
  service?: string;
  /** Digest credentials for [authentication] (-au/-ap). */
  auth?: { user: string; password: string };
  /** Generic [keyword] values (-key); expires defaults to 3600. */
  keys?: Record<string, string>;
  /** Echo received RTP back to its sender (-rtp_echo). */
  rtpEcho?: boolean;
  extraArgs?: string[];
}

export interface SippResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when killed by the hard timeout. */
  timedOut: boolean;
  successful: number;
  failed: number;
  /** Every SIP message sent and received (-trace_msg). */
  messages: string;
  /** Unexpected messages and errors (-trace_err). */
  errors: string;
  /** SIPp's screen output (statistics). */
  output: string;
}

export interface Sipp {
  readonly address: string;
  readonly port: number;
  readonly mediaPort: number;
  /** sip:user@address:port, where a UAS scenario takes calls. */
  uri(user?: string): string;
  /** Resolves when SIPp exits (after its calls, on error, or on timeout). */
  readonly done: Promise<SippResult>;
  /** Ends it now (SIGTERM, then SIGKILL) and returns what it did so far. */
  stop(): Promise<SippResult>;
}

/** Resolves a scenario name to its file in test/sipp/, or returns a path as is. */
export function scenarioPath(scenario: string): string {
  if (scenario.includes('/') || scenario.endsWith('.xml')) return scenario;
  return join(SIPP_SCENARIO_DIR, `${scenario}.xml`);
}

// A socket is bound when it shows up in /proc/net; probing by binding it
// ourselves could steal the port from SIPp.
function isBound(address: string, port: number, transport: 'udp' | 'tcp'): boolean {
  const hexIp = address
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  const want = `${hexIp}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = readFileSync(`/proc/net/${transport}`, 'utf8');
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1] === want && (transport === 'udp' || cols[3] === '0A');
  });
}

function lastCount(output: string, label: string): number {
  const re = new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g');
  let value = 0;
  for (const m of output.matchAll(re)) value = Number(m[1]);
  return value;
}

const readIfThere = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** Starts SIPp with a scenario and resolves once its SIP socket is bound. */
export async function startSipp(opts: SippOptions): Promise<Sipp> {
  const address = opts.address ?? '127.0.0.1';
  assertLoopback(address);
  if (opts.remote) assertLoopback(opts.remote.address);
  const scenario = scenarioPath(opts.scenario);
  if (!existsSync(scenario)) throw new Error(`no SIPp scenario ${scenario}`);
  const transport = opts.transport ?? 'udp';
  const ownPort = opts.port === undefined;
  const port = opts.port ?? (await freePort(address));
  // SIPp binds the media port and the next ones (RTCP, video).
  const mediaPort = await freePort(address, 4);
  const temp = makeTempDir('intercom-sipp-');
  const dir = temp.path;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const keys = { expires: '3600', ...opts.keys };
  const args = [
    ...(opts.remote ? [`${opts.remote.address}:${opts.remote.port}`] : []),
    '-nostdin',
    '-sf', scenario,
    '-i', address,
    '-p', String(port),
    '-mp', String(mediaPort),
    '-t', transport === 'tcp' ? 't1' : 'u1',
    '-m', String(opts.calls ?? 1),
    '-d', String(opts.pauseMs ?? 1000),
    // SIPp's own limit comes first, so it can still print its statistics.
    '-timeout', `${Math.max(1, Math.floor(timeoutMs / 1000) - 1)}s`,
    '-timeout_error',
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
    ...(opts.service ? ['-s', opts.service] : []),
    ...(opts.auth ? ['-au', opts.auth.user, '-ap', opts.auth.password] : []),
    ...(opts.rtpEcho ? ['-rtp_echo'] : []),
    ...(opts.extraArgs ?? []),
  ];

  const proc = spawnManaged('sipp', 'sipp', args, { cwd: dir, timeoutMs });
  let result: SippResult | undefined;
  const done = proc.exited.then((status): SippResult => {
    if (result) return result;
    const output = proc.output();
    result = {
      code: status.code,
      signal: status.signal,
      timedOut: proc.timedOut(),
      successful: lastCount(output, 'Successful call'),
      failed: lastCount(output, 'Failed call'),
      messages: readIfThere(join(dir, 'messages.log')),
      errors: readIfThere(join(dir, 'errors.log')),
      output,
    };
    temp.remove();
    if (ownPort) releasePort(port);
    releasePort(mediaPort, 4);
    return result;
  });

  try {
    await waitUntil(
      `sipp to bind ${address}:${port}`,
      // A short UAC scenario may be over before the first look; done tells.
      () => proc.hasExited() || isBound(address, port, transport),
      { timeoutMs: 5000, intervalMs: 20 },
    );
  } catch (err) {
    await proc.stop(500);
    await done;
    throw err;
  }

  return {
    address,
    port,
    mediaPort,
    uri: (user = 'sipp') => `sip:${user}@${address}:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
    done,
    async stop(): Promise<SippResult> {
      await proc.stop(1000);
      return done;
    },
  };
}

/** Runs a scenario to the end (e.g. a UAC such as uac-register) and returns how it went. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const sipp = await startSipp(opts);
  return sipp.done;
}

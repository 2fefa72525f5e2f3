// A real Kamailio registrar/proxy with digest auth for end-to-end tests,
// run from scripts/testenv/kamailio.cfg in a private temp dir.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertLoopback, freePort, releasePort } from './ports.ts';
import { makeTempDir, runCommand, spawnManaged, waitUntil } from './process.ts';
import { sipOptionsPing } from './sip-probe.ts';

export const KAMAILIO_CFG = fileURLToPath(new URL('../../scripts/testenv/kamailio.cfg', import.meta.url));

export interface KamailioOptions {
  /** Loopback address to listen on; also the SIP domain and realm. Default 127.0.0.1. */
  address?: string;
  /**
   * Run inside this network namespace (`ip netns exec`), which the test created
   * and owns: then `address` may be any address of that namespace and `port`
   * must be given (the test process cannot probe either from outside).
   */
  netns?: string;
  /** UDP and TCP port; default a free one. */
  port?: number;
  /** user -> plain password. */
  users?: Record<string, string>;
  /** Digest algorithm offered in challenges. Default MD5. */
  algorithm?: 'MD5' | 'SHA-256';
  /** Answer wrong credentials with 403 instead of a fresh challenge. */
  rejectBadPasswordWith403?: boolean;
  /** Shortest registration accepted (else 423). Default 5 s. */
  minExpires?: number;
  /** Check digest nonce counts: a reused nonce needs an nc not seen before (default: any nc). */
  nonceCount?: boolean;
  /** Kamailio log level: 2 info (default), 3 debug. */
  debugLevel?: number;
  /** Also serve SIP over TLS with this certificate and key (PEM files); port default a free one. */
  tls?: { certFile: string; keyFile: string; port?: number };
  /** Reach TCP/TLS contacts at their Contact address over a new connection, not the one they registered on. */
  contactsAsRegistered?: boolean;
}

export interface Kamailio {
  readonly address: string;
  readonly port: number;
  /** The SIP domain and digest realm (= address). */
  readonly domain: string;
  /** "address:port", as the product's sip.server expects it. */
  readonly hostport: string;
  /** The TLS port, when started with `tls`. */
  readonly tlsPort?: number;
  /** sip:user@address:port */
  uri(user: string): string;
  /** Contact URIs currently registered for a user (empty when none). */
  contacts(user: string): Promise<string[]>;
  /** Adds or changes a user while running. */
  setUser(user: string, password: string): Promise<void>;
  /** Runs a kamcmd RPC command against this instance and returns its output (prefix numeric strings with "s:"). */
  rpc(...args: string[]): Promise<string>;
  /** Everything Kamailio logged so far (one line per request and reply). */
  logs(): string;
  stop(): Promise<void>;
}

// The USERS define is a param list "name=pass;name=pass".
function encodeUsers(users: Record<string, string>): string {
  return Object.entries(users)
    .map(([name, pass]) => {
      if (/[;="\s\\]/.test(name + pass) || name === '') {
        throw new Error(`kamailio: user/password may not contain ; = " \\ or spaces: ${name}`);
      }
      return `${name}=${pass}`;
    })
    .join(';');
}

/** Starts Kamailio and resolves once it answers SIP OPTIONS and its control socket. */
export async function startKamailio(opts: KamailioOptions = {}): Promise<Kamailio> {
  const address = opts.address ?? '127.0.0.1';
  // Inside a private namespace nothing can leave this machine, whatever the address.
  if (opts.netns === undefined) assertLoopback(address);
  else if (opts.port === undefined) throw new Error('kamailio: a port is required with netns');
  const ownPort = opts.port === undefined;
  const port = opts.port ?? (await freePort(address));
  const temp = makeTempDir('intercom-kamailio-');
  const dir = temp.path;
  const ctl = `unix:${join(dir, 'ctl.sock')}`;

  const defines = [
    `LISTEN_IP=${address}`,
    `LISTEN_PORT=${port}`,
    `REALM="${address}"`,
    `USERS="${encodeUsers(opts.users ?? {})}"`,
    `CTL_SOCK="${ctl}"`,
    `MIN_EXPIRES=${opts.minExpires ?? 5}`,
    `DEBUG_LEVEL=${opts.debugLevel ?? 2}`,
  ];
  if (opts.algorithm === 'SHA-256') defines.push('AUTH_SHA256');
  if (opts.rejectBadPasswordWith403) defines.push('BAD_PASSWORD_403');
  if (opts.nonceCount) defines.push('NONCE_COUNT');
  if (opts.contactsAsRegistered) defines.push('CONTACTS_AS_REGISTERED');
  const tlsPort = opts.tls ? (opts.tls.port ?? (await freePort(address))) : undefined;
  if (opts.tls) defines.push('WITH_TLS', `TLS_PORT=${tlsPort}`, `TLS_CERT="${opts.tls.certFile}"`, `TLS_KEY="${opts.tls.keyFile}"`);

  const args = [
    '-f', KAMAILIO_CFG,
    ...defines.flatMap((d) => ['-A', d]),
    '-P', join(dir, 'kamailio.pid'),
    '-Y', dir,
    '-w', dir,
    '-m', '64',
    '-M', '8',
    '-DD',
    '-E',
  ];
  // `ip netns exec` execs kamailio in place, so the managed pid is Kamailio's own.
  const proc = opts.netns === undefined
    ? spawnManaged('kamailio', 'kamailio', args, { cwd: dir })
    : spawnManaged('kamailio', 'ip', ['netns', 'exec', opts.netns, 'kamailio', ...args], { cwd: dir });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // No state worth a graceful shutdown (memory only), and SIGTERM takes
    // ~2 s; a short grace keeps the suite fast.
    await proc.stop(300);
    temp.remove();
    if (ownPort) releasePort(port);
    if (tlsPort !== undefined && opts.tls?.port === undefined) releasePort(tlsPort);
  };

  const rpc = async (...rpcArgs: string[]): Promise<string> => {
    const r = await runCommand('kamcmd', ['-s', ctl, ...rpcArgs], { timeoutMs: 5000 });
    // kamcmd exits 0 on RPC faults and prints "error: CODE - reason".
    if (r.code !== 0 || /^error: \d+/m.test(r.stdout)) {
      throw new Error(`kamcmd ${rpcArgs.join(' ')}: ${(r.stderr + r.stdout).trim()}`);
    }
    return r.stdout;
  };

  try {
    await waitUntil(
      'kamailio to answer OPTIONS',
      async () => {
        if (proc.hasExited()) throw new Error(`kamailio exited:\n${proc.output()}`);
        // From outside the namespace its address is unreachable; the control
        // socket (a unix socket) answering below means it is up, since the SIP
        // sockets are bound before the workers that serve it start.
        if (opts.netns !== undefined) return true;
        return (await sipOptionsPing(address, port, 200)) === 200;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    await waitUntil('kamailio control socket', async () => (await rpc('core.version')).length > 0, { timeoutMs: 5000, intervalMs: 50 });
  } catch (err) {
    const log = proc.output();
    await stop();
    throw new Error(`${(err as Error).message}\n--- kamailio log ---\n${log}`);
  }

  return {
    address,
    port,
    domain: address,
    hostport: `${address}:${port}`,
    ...(tlsPort !== undefined ? { tlsPort } : {}),
    uri: (user) => `sip:${user}@${address}:${port}`,
    async contacts(user: string): Promise<string[]> {
      let text: string;
      try {
        // "s:" keeps kamcmd from sending a numeric user as an integer.
        text = await rpc('ul.lookup', 'location', `s:${user}`);
      } catch (err) {
        if (/AOR not found/i.test((err as Error).message)) return [];
        throw err;
      }
      return [...text.matchAll(/Address:\s*(\S+)/g)].map((m) => m[1] ?? '').filter((s) => s !== '');
    },
    async setUser(user: string, password: string): Promise<void> {
      encodeUsers({ [user]: password });
      await rpc('htable.sets', 'users', `s:${user}`, `s:${password}`);
    },
    rpc,
    logs: () => proc.output(),
    stop,
  };
}

// Free loopback ports for test peers. Several test files run in parallel
// processes, so a port is both probed (UDP and TCP bind) and claimed with a
// lock file that other test processes respect until its owner dies.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Below Linux's ephemeral range (32768+), where the kernel picks source
// ports for clients and would collide with peers started later.
const RANGE_LOW = 20000;
const RANGE_HIGH = 32000;

const lockDir = join(tmpdir(), 'intercom-test-ports');
const claimed = new Set<number>();
let exitHookInstalled = false;

/** Throws unless address is in 127.0.0.0/8: tests must never talk to anything else. */
export function assertLoopback(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) {
    throw new Error(`refusing non-loopback address ${address}`);
  }
}

function udpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ address, port, exclusive: true }, () => {
      sock.close(() => resolve(true));
    });
  });
}

function tcpFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseAll(): void {
  for (const port of claimed) rmSync(join(lockDir, String(port)), { force: true });
  claimed.clear();
}

// Claims the lock file for a port; a lock whose owner is dead is taken over.
function claim(port: number): boolean {
  if (claimed.has(port)) return false;
  mkdirSync(lockDir, { recursive: true });
  const file = join(lockDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      claimed.add(port);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', releaseAll);
      }
      return true;
    } catch {
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        // vanished meanwhile; try again
      }
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function unclaim(port: number): void {
  claimed.delete(port);
  rmSync(join(lockDir, String(port)), { force: true });
}

/**
 * Finds `span` consecutive ports (default 1) free for both UDP and TCP on a
 * loopback address and returns the first. baresip needs span 2 (TLS = port+1).
 */
export async function freePort(address = '127.0.0.1', span = 1): Promise<number> {
  assertLoopback(address);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW - span));
    const got: number[] = [];
    let ok = true;
    for (let p = base; p < base + span; p++) {
      if (!claim(p)) {
        ok = false;
        break;
      }
      got.push(p);
      if (!(await udpFree(address, p)) || !(await tcpFree(address, p))) {
        ok = false;
        break;
      }
    }
    if (ok) return base;
    for (const p of got) unclaim(p);
  }
  throw new Error(`no free port span of ${span} on ${address}`);
}

/** Gives a port claimed by freePort back before the process ends. */
export function releasePort(port: number, span = 1): void {
  for (let p = port; p < port + span; p++) if (claimed.has(p)) unclaim(p);
}

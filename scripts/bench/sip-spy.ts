// Two UDP sockets the benchmark owns, so that the moment an INVITE is on the
// wire is seen without a packet sniffer:
//
//  - a relay that the station uses as its sip.server: every datagram from the
//    station is stamped and passed on to Kamailio unchanged, and Kamailio's
//    answers are passed back. The station cannot tell it from the registrar,
//    so the first INVITE it sends is seen the moment it leaves the station.
//  - a callee that answers every INVITE with 486 Busy Here, so the station's
//    call ends at once and the next press can follow; it sees the INVITE
//    after the proxy has challenged and relayed it.
//
// Requests from Kamailio to the station's Contact (BYE, re-INVITE) go
// straight to the station, not through the relay; only what the station sends
// to its proxy, and the proxy's answers to it, take the extra hop.
import dgram from 'node:dgram';
import type { RemoteInfo } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { assertLoopback } from '../../test/support/ports.ts';

/** An INVITE datagram as seen by one of the sockets; `at` is performance.now(). */
export interface SeenInvite {
  at: number;
  callId: string;
}

export interface SipSpy {
  /** host:port to give the station as sip.server. */
  readonly serverHostport: string;
  /** SIP URI of the busy callee, for a button's call list. */
  readonly calleeUri: string;
  /** Every INVITE datagram the station sent toward its proxy, oldest first. */
  readonly leaving: readonly SeenInvite[];
  /** Every INVITE datagram that reached the callee, oldest first. */
  readonly atCallee: readonly SeenInvite[];
  close(): Promise<void>;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id' };

interface Parsed {
  startLine: string;
  headers: Array<{ name: string; value: string }>;
}

function parse(datagram: Buffer): Parsed | undefined {
  const text = datagram.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end >= 0 ? text.slice(0, end) : text).split('\r\n');
  const startLine = lines.shift();
  if (!startLine) return undefined;
  const headers: Parsed['headers'] = [];
  for (const line of lines) {
    // Folded continuation lines belong to the previous header.
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    headers.push({ name: COMPACT[raw] ?? raw, value: line.slice(colon + 1).trim() });
  }
  return { startLine, headers };
}

const header = (p: Parsed, name: string): string | undefined => p.headers.find((h) => h.name === name)?.value;

function busyHere(req: Parsed): Buffer {
  const lines = ['SIP/2.0 486 Busy Here'];
  for (const h of req.headers) if (h.name === 'via') lines.push(`Via: ${h.value}`);
  const to = header(req, 'to') ?? '';
  lines.push(
    `From: ${header(req, 'from') ?? ''}`,
    `To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=bench-busy`}`,
    `Call-ID: ${header(req, 'call-id') ?? ''}`,
    `CSeq: ${header(req, 'cseq') ?? ''}`,
    'Content-Length: 0',
    '',
    '',
  );
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

function bind(address: string, port = 0): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', reject);
      sock.on('error', () => undefined);
      resolve(sock);
    });
  });
}

/** Opens the relay (toward `proxy`) and the busy callee on loopback `address`. */
export async function startSipSpy(opts: { address: string; proxy: { address: string; port: number } }): Promise<SipSpy> {
  assertLoopback(opts.address);
  assertLoopback(opts.proxy.address);
  const leaving: SeenInvite[] = [];
  const atCallee: SeenInvite[] = [];

  const front = await bind(opts.address);
  const back = await bind(opts.address);
  const callee = await bind(opts.address);
  let station: RemoteInfo | undefined;

  front.on('message', (msg, from) => {
    // The stamp comes first: nothing else may delay it.
    const at = performance.now();
    station = from;
    if (msg.subarray(0, 7).toString('latin1') === 'INVITE ') {
      const p = parse(msg);
      leaving.push({ at, callId: (p && header(p, 'call-id')) ?? '' });
    }
    back.send(msg, opts.proxy.port, opts.proxy.address);
  });
  back.on('message', (msg) => {
    if (station) front.send(msg, station.port, station.address);
  });
  callee.on('message', (msg, from) => {
    const at = performance.now();
    if (msg.subarray(0, 7).toString('latin1') !== 'INVITE ') return;
    const p = parse(msg);
    if (!p) return;
    atCallee.push({ at, callId: header(p, 'call-id') ?? '' });
    callee.send(busyHere(p), from.port, from.address);
  });

  const frontPort = front.address().port;
  const calleePort = callee.address().port;
  return {
    serverHostport: `${opts.address}:${frontPort}`,
    calleeUri: `sip:bench@${opts.address}:${calleePort}`,
    leaving,
    atCallee,
    async close(): Promise<void> {
      await Promise.all([front, back, callee].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

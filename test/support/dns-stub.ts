// A minimal authoritative DNS server for tests, on a loopback address: A and
// SRV records from a table, NXDOMAIN for anything else. A process pointed at
// it (a resolv.conf bind-mounted in its own mount namespace) resolves test
// names without any query leaving the machine.
import { createSocket, type Socket } from 'node:dgram';
import { assertLoopback } from './ports.ts';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsRecords {
  a?: Record<string, string>;
  srv?: Record<string, SrvRecord[]>;
}

export interface DnsStub {
  readonly address: string;
  /** Questions received, as "TYPE name". */
  readonly queries: string[];
  stop(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;
const TYPE_NAMES: Record<number, string> = { 1: 'A', 28: 'AAAA', 33: 'SRV' };

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}

function readQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  let off = 12;
  const labels: string[] = [];
  while (off < msg.length && msg[off] !== 0) {
    const len = msg[off]!;
    if (len > 63 || off + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('ascii'));
    off += 1 + len;
  }
  if (off + 5 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off + 1), end: off + 5 };
}

function answer(msg: Buffer, records: DnsRecords): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const q = readQuestion(msg);
  if (!q) return undefined;
  const known = q.name in (records.a ?? {}) || q.name in (records.srv ?? {});
  const rrs: Buffer[] = [];
  const rr = (type: number, data: Buffer) => {
    const head = Buffer.alloc(12);
    head.writeUInt16BE(0xc00c, 0); // the name in the question
    head.writeUInt16BE(type, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt32BE(5, 6);
    head.writeUInt16BE(data.length, 10);
    rrs.push(Buffer.concat([head, data]));
  };
  if (q.type === TYPE_A && records.a?.[q.name]) rr(TYPE_A, Buffer.from(records.a[q.name]!.split('.').map(Number)));
  if (q.type === TYPE_SRV) {
    for (const s of records.srv?.[q.name] ?? []) {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(s.priority, 0);
      fixed.writeUInt16BE(s.weight, 2);
      fixed.writeUInt16BE(s.port, 4);
      rr(TYPE_SRV, Buffer.concat([fixed, encodeName(s.target)]));
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8400 | 0x0100 | (known ? 0 : 3), 2); // QR, AA, RD echoed; NXDOMAIN when unknown
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rrs.length, 6);
  return Buffer.concat([header, msg.subarray(12, q.end), ...rrs]);
}

/** Starts the stub on address:53 (root needed for the port). */
export async function startDnsStub(address: string, records: DnsRecords): Promise<DnsStub> {
  assertLoopback(address);
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, from) => {
    const q = readQuestion(msg);
    if (q) queries.push(`${TYPE_NAMES[q.type] ?? q.type} ${q.name}`);
    const out = answer(msg, records);
    if (out) sock.send(out, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, address, () => resolve());
  });
  return { address, queries, stop: () => new Promise((r) => sock.close(() => r())) };
}

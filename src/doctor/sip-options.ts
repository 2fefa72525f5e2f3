// A one-shot SIP OPTIONS request, to ask "is the SIP server there and does it
// speak SIP?" without registering. Independent of the station's SIP stack so
// the doctor works while the station runs (it binds its own ephemeral port).
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';

export type ProbeResult =
  | { ok: true; status: number; reason: string; address: string; ms: number }
  | { ok: false; error: string };

export interface ProbeTarget {
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Domain for the Request-URI and From. */
  domain: string;
  /** Local address to send from (sip.listen's host), if any. */
  localAddress?: string;
}

function request(target: ProbeTarget, via: string, branch: string, callId: string): string {
  const proto = target.transport.toUpperCase();
  return [
    `OPTIONS sip:${target.domain} SIP/2.0`,
    `Via: SIP/2.0/${proto} ${via};branch=z9hG4bK${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:doctor@${target.domain}>;tag=${branch.slice(0, 8)}`,
    `To: <sip:${target.domain}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Status and reason of a response whose Call-ID matches; undefined for anything else. */
export function parseReply(text: string, callId: string): { status: number; reason: string } | undefined {
  const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(text);
  if (!m) return undefined;
  const id = /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1];
  if (id !== callId) return undefined;
  return { status: Number(m[1]), reason: m[2] ?? '' };
}

async function resolve(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host, { family: 4 })).address;
}

/** Sends OPTIONS and waits up to `timeoutMs` for any final or provisional answer. */
export async function probeSipServer(target: ProbeTarget, timeoutMs = 2000): Promise<ProbeResult> {
  let address: string;
  try {
    address = await resolve(target.host);
  } catch (err) {
    return { ok: false, error: `cannot resolve ${target.host}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const branch = randomBytes(8).toString('hex');
  const callId = `${randomBytes(12).toString('hex')}@doctor`;
  const started = Date.now();
  return new Promise<ProbeResult>((done) => {
    let finished = false;
    const cleanups: (() => void)[] = [];
    const finish = (r: ProbeResult): void => {
      if (finished) return;
      finished = true;
      for (const c of cleanups) c();
      done(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer to OPTIONS from ${address}:${target.port}/${target.transport} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));
    const onText = (text: string): void => {
      const reply = parseReply(text, callId);
      if (reply) finish({ ok: true, ...reply, address, ms: Date.now() - started });
    };
    if (target.transport === 'udp') {
      const sock = createSocket('udp4');
      cleanups.push(() => sock.close());
      sock.on('error', (err) => finish({ ok: false, error: `cannot send to ${address}:${target.port}: ${err.message}` }));
      sock.on('message', (msg) => onText(msg.toString('utf8')));
      sock.bind({ port: 0, ...(target.localAddress ? { address: target.localAddress } : {}) }, () => {
        const local = sock.address();
        const text = request(target, `${local.address}:${local.port}`, branch, callId);
        sock.send(text, target.port, address);
      });
    } else {
      const sock = connect({ host: address, port: target.port, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
      cleanups.push(() => sock.destroy());
      let buffer = '';
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(request(target, `${sock.localAddress ?? '0.0.0.0'}:${sock.localPort ?? 0}`, branch, callId)));
      sock.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.includes('\r\n\r\n')) onText(buffer);
      });
      sock.on('error', (err: NodeJS.ErrnoException) =>
        finish({ ok: false, error: `cannot connect to ${address}:${target.port}/tcp: ${err.code ?? err.message}` }),
      );
    }
  });
}

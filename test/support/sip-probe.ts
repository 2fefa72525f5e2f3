// Bare SIP requests over UDP, independent of the product's SIP stack: they
// tell whether a peer answers and let tests check the registrar itself.
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { assertLoopback } from './ports.ts';

export interface SipResponse {
  status: number;
  reason: string;
  /** Header values by lower-case name, in arrival order. */
  headers: Map<string, string[]>;
  raw: string;
}

function parseResponse(text: string): SipResponse | undefined {
  const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(text);
  if (!m?.[1]) return undefined;
  const headers = new Map<string, string[]>();
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers, raw: text };
}

const token = (): string => randomBytes(8).toString('hex');

/** Sends one request from sock; resolves with the first final response, or undefined on timeout. */
async function transact(
  sock: ReturnType<typeof createSocket>,
  to: { address: string; port: number },
  request: string,
  timeoutMs: number,
): Promise<SipResponse | undefined> {
  return new Promise((resolve) => {
    const onMessage = (msg: Buffer): void => {
      const res = parseResponse(msg.toString('latin1'));
      if (res && res.status >= 200) finish(res);
    };
    const finish = (res: SipResponse | undefined): void => {
      clearTimeout(timer);
      sock.off('message', onMessage);
      resolve(res);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('message', onMessage);
    sock.send(Buffer.from(request, 'latin1'), to.port, to.address, (err) => {
      if (err) finish(undefined);
    });
  });
}

async function withSocket<T>(fromAddress: string, fn: (sock: ReturnType<typeof createSocket>, local: { address: string; port: number }) => Promise<T>): Promise<T> {
  assertLoopback(fromAddress);
  const sock = createSocket('udp4');
  sock.on('error', () => undefined);
  await new Promise<void>((resolve) => sock.bind({ address: fromAddress, port: 0 }, resolve));
  try {
    return await fn(sock, sock.address());
  } finally {
    sock.close();
  }
}

/** Sends one OPTIONS to address:port and resolves with the status code, or undefined after timeoutMs. */
export async function sipOptionsPing(address: string, port: number, timeoutMs = 300, fromAddress = '127.0.0.1'): Promise<number | undefined> {
  assertLoopback(address);
  return withSocket(fromAddress, async (sock, local) => {
    const request = [
      `OPTIONS sip:${address}:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bK${token()};rport`,
      'Max-Forwards: 70',
      `From: <sip:ping@${local.address}>;tag=${token()}`,
      `To: <sip:${address}:${port}>`,
      `Call-ID: ${token()}@${local.address}`,
      'CSeq: 1 OPTIONS',
      `Contact: <sip:ping@${local.address}:${local.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    return (await transact(sock, { address, port }, request, timeoutMs))?.status;
  });
}

export interface RegisterProbeOptions {
  user: string;
  password: string;
  /** Registration lifetime; 0 removes the binding. Default 60. */
  expires?: number;
  /** Source address of the probe. Default 127.0.0.1. */
  fromAddress?: string;
  timeoutMs?: number;
}

export interface RegisterProbeResult {
  /** Status of the first REGISTER (normally 401). */
  challengeStatus: number | undefined;
  /** The WWW-Authenticate header of that answer. */
  challenge: string | undefined;
  /** Status after answering the challenge (200, 401 again, 403...). */
  status: number | undefined;
  response: SipResponse | undefined;
}

function digestParam(header: string, name: string): string | undefined {
  const m = new RegExp(`${name}=(?:"([^"]*)"|([^,\\s]+))`, 'i').exec(header);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * Registers a user with digest auth (MD5 or SHA-256, whichever the challenge
 * names) and reports how the registrar answered each step.
 */
export async function sipRegisterProbe(registrar: { address: string; port: number }, opts: RegisterProbeOptions): Promise<RegisterProbeResult> {
  assertLoopback(registrar.address);
  const timeoutMs = opts.timeoutMs ?? 2000;
  return withSocket(opts.fromAddress ?? '127.0.0.1', async (sock, local) => {
    const domain = registrar.address;
    const uri = `sip:${registrar.address}:${registrar.port}`;
    const callId = `${token()}@${local.address}`;
    const fromTag = token();
    const build = (cseq: number, auth?: string): string =>
      [
        `REGISTER ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bK${token()};rport`,
        'Max-Forwards: 70',
        `From: <sip:${opts.user}@${domain}>;tag=${fromTag}`,
        `To: <sip:${opts.user}@${domain}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} REGISTER`,
        `Contact: <sip:${opts.user}@${local.address}:${local.port}>`,
        `Expires: ${opts.expires ?? 60}`,
        ...(auth ? [`Authorization: ${auth}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');

    const first = await transact(sock, registrar, build(1), timeoutMs);
    const challenge = first?.headers.get('www-authenticate')?.[0];
    if (!first || first.status !== 401 || !challenge) {
      return { challengeStatus: first?.status, challenge, status: first?.status, response: first };
    }
    const realm = digestParam(challenge, 'realm') ?? '';
    const nonce = digestParam(challenge, 'nonce') ?? '';
    const algorithm = digestParam(challenge, 'algorithm') ?? 'MD5';
    const hashName = algorithm.toUpperCase() === 'SHA-256' ? 'sha256' : 'md5';
    const h = (s: string): string => createHash(hashName).update(s).digest('hex');
    const cnonce = token();
    const nc = '00000001';
    const ha1 = h(`${opts.user}:${realm}:${opts.password}`);
    const ha2 = h(`REGISTER:${uri}`);
    const qop = digestParam(challenge, 'qop');
    const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
    const auth =
      `Digest username="${opts.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}` +
      (qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : '');
    const second = await transact(sock, registrar, build(2, auth), timeoutMs);
    return { challengeStatus: first.status, challenge, status: second?.status, response: second };
  });
}

// The UDP socket pair of one call's media: RTP on an even port, RTCP on the
// next one (RFC 3550 §11). Owns the sockets; knows nothing of codecs.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';

export interface RtpSocketOptions {
  /** Local address to bind (the address advertised in SDP). */
  host: string;
  /** Port range to pick the even RTP port from. */
  portMin?: number;
  portMax?: number;
  onRtp(packet: Buffer, from: { address: string; port: number }): void;
  onRtcp(packet: Buffer, from: { address: string; port: number }): void;
}

export interface RtpSocket {
  readonly host: string;
  readonly port: number;
  sendRtp(packet: Buffer, to: { address: string; port: number }): void;
  sendRtcp(packet: Buffer, to: { address: string; port: number }): void;
  close(): Promise<void>;
}

function bind(host: string, port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind({ address: host, port, exclusive: true }, () => {
      s.removeAllListeners('error');
      // Send errors (e.g. ICMP port unreachable while the far end starts) are not fatal.
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/** Binds an RTP/RTCP pair on a random free even port in the range. */
export async function openRtpSocket(opts: RtpSocketOptions): Promise<RtpSocket> {
  const min = opts.portMin ?? 16384;
  const max = opts.portMax ?? 32766;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = min + 2 * randomInt(0, Math.floor((max - min) / 2));
    let rtp: dgram.Socket | undefined;
    try {
      rtp = await bind(opts.host, port);
      const rtcp = await bind(opts.host, port + 1);
      rtp.on('message', (b, r) => opts.onRtp(b, { address: r.address, port: r.port }));
      rtcp.on('message', (b, r) => opts.onRtcp(b, { address: r.address, port: r.port }));
      const sockets = [rtp, rtcp] as const;
      return {
        host: opts.host,
        port,
        sendRtp: (p, to) => sockets[0].send(p, to.port, to.address),
        sendRtcp: (p, to) => sockets[1].send(p, to.port, to.address),
        close: async () => {
          await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
        },
      };
    } catch (e) {
      if (rtp) await new Promise<void>((r) => rtp!.close(() => r()));
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') throw new Error(`cannot open RTP socket on ${opts.host}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no free RTP port pair on ${opts.host} between ${min} and ${max}`);
}

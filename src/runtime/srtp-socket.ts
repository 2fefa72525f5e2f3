// SRTP on a call's media socket: what the media loop sends is protected on
// the way out, what arrives is checked and decrypted before the loop sees it.
// Packets that fail (a stranger, a replay, plain RTP) are dropped and counted,
// never logged one by one. RTCP is not sent while SRTP is on: SRTCP is not
// implemented yet, and a plain report would only be dropped by the peer.
import { SrtpContext, SrtpError } from '../media/srtp.ts';
import type { RtpSocket } from '../net/rtp-socket.ts';
import type { SdesKey } from '../sdp/sdes.ts';

/** Both directions of one call's SRTP, from our offered key and the answerer's. */
export class SrtpLink {
  private readonly out: SrtpContext;
  private readonly in: SrtpContext;
  /** Incoming packets refused (not authentic, replayed, or not SRTP). */
  dropped = 0;

  constructor(ours: SdesKey, theirs: SdesKey) {
    this.out = new SrtpContext(ours.suite, ours.key, ours.salt);
    this.in = new SrtpContext(theirs.suite, theirs.key, theirs.salt);
  }

  /** The socket as the media loop should see it: RTP protected on send, RTCP held back. */
  wrap(socket: RtpSocket): RtpSocket {
    return {
      host: socket.host,
      port: socket.port,
      sendRtp: (packet, to) => socket.sendRtp(this.out.protect(packet), to),
      sendRtcp: () => {},
      close: () => socket.close(),
    };
  }

  /** The plain RTP packet, or undefined when it must be dropped. */
  receive(packet: Buffer): Buffer | undefined {
    try {
      return this.in.unprotect(packet);
    } catch (e) {
      if (!(e instanceof SrtpError)) throw e;
      this.dropped++;
      return undefined;
    }
  }
}

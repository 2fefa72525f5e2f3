// SRTP on a call's media socket: what the media loop sends is protected on
// the way out (RTP as SRTP, RTCP as SRTCP, RFC 3711 §3.3 and §3.4), what
// arrives is checked and decrypted before the loop sees it. Packets that fail
// (a stranger, a replay, plain RTP or RTCP) are dropped and counted, never
// logged one by one.
import { SrtpContext, SrtpError } from '../media/srtp.ts';
import { SrtcpContext } from '../media/srtcp.ts';
import type { RtpSocket } from '../net/rtp-socket.ts';
import { sameSdesKey, type SdesKey } from '../sdp/sdes.ts';

/** One direction: the SRTP and SRTCP contexts made from one master key. */
interface Direction {
  key: SdesKey;
  rtp: SrtpContext;
  rtcp: SrtcpContext;
}

function direction(key: SdesKey): Direction {
  return { key, rtp: new SrtpContext(key.suite, key.key, key.salt), rtcp: new SrtcpContext(key.key, key.salt) };
}

/** Both directions of one call's SRTP: our key (we send with it) and the peer's. */
export class SrtpLink {
  private out: Direction;
  private in: Direction;
  /** Incoming packets refused (not authentic, replayed, or not SRTP/SRTCP). */
  dropped = 0;

  constructor(ours: SdesKey, theirs: SdesKey) {
    this.out = direction(ours);
    this.in = direction(theirs);
  }

  /** The key we send with. */
  get ours(): SdesKey {
    return this.out.key;
  }

  /** The key the peer sends with. */
  get theirs(): SdesKey {
    return this.in.key;
  }

  /**
   * After a new offer/answer in the call (RFC 4568 §7.1.4): a direction whose
   * key is unchanged keeps its context (rollover counter, SRTCP index, replay
   * list); a new key starts a fresh one. Says which directions changed.
   */
  rekey(ours: SdesKey, theirs: SdesKey): { ours: boolean; theirs: boolean } {
    const changed = { ours: !sameSdesKey(ours, this.out.key), theirs: !sameSdesKey(theirs, this.in.key) };
    if (changed.ours) this.out = direction(ours);
    if (changed.theirs) this.in = direction(theirs);
    return changed;
  }

  /** The socket as the media loop should see it: RTP and RTCP protected on send. */
  wrap(socket: RtpSocket): RtpSocket {
    return {
      host: socket.host,
      port: socket.port,
      sendRtp: (packet, to) => socket.sendRtp(this.out.rtp.protect(packet), to),
      sendRtcp: (packet, to) => socket.sendRtcp(this.out.rtcp.protect(packet), to),
      close: () => socket.close(),
    };
  }

  /** The plain RTP packet, or undefined when it must be dropped. */
  receive(packet: Buffer): Buffer | undefined {
    return this.unprotect(() => this.in.rtp.unprotect(packet));
  }

  /** The plain RTCP packet, or undefined when it must be dropped. */
  receiveRtcp(packet: Buffer): Buffer | undefined {
    return this.unprotect(() => this.in.rtcp.unprotect(packet));
  }

  private unprotect(f: () => Buffer): Buffer | undefined {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof SrtpError)) throw e;
      this.dropped++;
      return undefined;
    }
  }
}

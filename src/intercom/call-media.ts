// The media of a door call: one RTP/RTCP socket pair and the offer made on it,
// shared by every leg the call rings (one offer rings every target), and what
// its loops received for status and the ended call's history.
import type { Codec } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import type { MediaLoop } from '../runtime/media-loop.ts';
import type { SrtpLink } from '../runtime/srtp-socket.ts';
import { openRtpSocket, type RtpSocket } from '../net/rtp-socket.ts';
import { buildOffer } from '../sdp/offer-answer.ts';
import { newSdesKey, offerWithSdes, type SdesKey } from '../sdp/sdes.ts';
import type { RtpReception } from './station-api.ts';

export const PTIME_MS = 20;
export const TELEPHONE_EVENT_PT = 101;

/** The media of the current door call, shared by all legs (one offer rings every target). */
export interface CallMedia {
  socket: RtpSocket;
  offer: Buffer;
  /** Our SRTP key in the offer (sip.srtp), and the link once a leg answered with its own. */
  sdes?: SdesKey;
  srtp?: SrtpLink;
  loop?: MediaLoop;
  /** The codec the connected leg negotiated, for status. */
  codec?: string;
  /** RTP and RTCP sources of the connected leg ("address:port"). */
  remote?: string[];
  /**
   * Sources of legs the call was handed over from (a transfer): their last
   * packets, still in flight, must not be taken for the new leg's stream.
   */
  retired?: string[];
  /** Packets received and lost by loops the call has had (a transfer starts a new one), and by all up to the last report. */
  reception?: { earlier: Counts; reported: Counts };
}

interface Counts {
  received: number;
  lost: number;
}

export interface CallMediaOptions {
  /** The address the socket binds to and the offer advertises. */
  address: string;
  codecs: Codec[];
  /** sip.srtp: the offer carries a key (RFC 4568) and only SRTP is taken. */
  srtp: boolean;
  /** The SDP origin's user name. */
  user: string;
  log: Logger;
  /** The door call's media at the time a packet arrives: packets go to its loop. */
  current: () => CallMedia | undefined;
}

/** Opens the socket and builds the offer; undefined (logged) when no socket can be had. */
export async function openCallMedia(opts: CallMediaOptions): Promise<CallMedia | undefined> {
  const { current } = opts;
  try {
    const socket = await openRtpSocket({
      host: opts.address,
      onRtp: (b, from) => {
        const media = current();
        if (media?.retired?.includes(`${from.address}:${from.port}`)) return;
        // With SRTP only authentic packets reach the loop; the rest are dropped and counted.
        const plain = media?.srtp ? media.srtp.receive(b) : media?.sdes ? undefined : b;
        if (plain) media?.loop?.onRtp(plain, from);
      },
      onRtcp: (b, from) => {
        const media = current();
        if (media?.retired?.includes(`${from.address}:${from.port}`)) return;
        // SRTCP (RFC 3711 §3.4) like SRTP: only authentic reports reach the loop.
        const plain = media?.srtp ? media.srtp.receiveRtcp(b) : media?.sdes ? undefined : b;
        if (plain) media?.loop?.onRtcp(plain, from);
      },
    });
    const sdes = opts.srtp ? newSdesKey() : undefined;
    const offer = buildOffer({
      address: opts.address,
      port: socket.port,
      codecs: opts.codecs,
      telephoneEvent: TELEPHONE_EVENT_PT,
      ptimeMs: PTIME_MS,
      sessionId: String(Date.now()),
      sessionVersion: 1,
      username: opts.user,
    });
    return { socket, offer: Buffer.from(sdes ? offerWithSdes(offer, sdes) : offer), ...(sdes ? { sdes } : {}) };
  } catch (e) {
    opts.log.error('media.unavailable', { reason: (e as Error).message });
    return undefined;
  }
}

/**
 * What the call's media received since the last ended call reported it (a
 * transferred call ends once per party on one media); `report` starts anew.
 */
export function rtpReception(media: CallMedia | undefined, report = false): RtpReception | undefined {
  const st = media?.loop?.stats();
  if (!media || !st) return undefined;
  const r = media.reception ?? { earlier: { received: 0, lost: 0 }, reported: { received: 0, lost: 0 } };
  const all = { received: r.earlier.received + st.packetsReceived, lost: r.earlier.lost + st.lost };
  if (report) media.reception = { earlier: r.earlier, reported: all };
  // A new source (SSRC) restarts the session's counts, so a difference can come out below zero.
  const since = (now: number, then: number): number => Math.max(0, now - then);
  return { packetsReceived: since(all.received, r.reported.received), packetsLost: since(all.lost, r.reported.lost), jitterMs: Math.round(st.jitterMs * 100) / 100 };
}

/** A new loop replaces the running one (a transfer): the old one's counts and sources are kept aside. */
export function replaceLoop(media: CallMedia, loop: MediaLoop, remote: string[]): void {
  if (media.loop && media.remote) media.retired = [...(media.retired ?? []), ...media.remote];
  media.remote = remote;
  if (media.loop) {
    const st = media.loop.stats();
    const r = (media.reception ??= { earlier: { received: 0, lost: 0 }, reported: { received: 0, lost: 0 } });
    r.earlier = { received: r.earlier.received + st.packetsReceived, lost: r.earlier.lost + st.lost };
  }
  media.loop?.stop();
  media.loop = loop;
}

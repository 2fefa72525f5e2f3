// SDP offer/answer for the door's single audio stream (RFC 3264, SDP syntax
// RFC 8866, parsed and written with sdp-transform). Plain RTP/AVP only;
// G.711 with RFC 4733 telephone-events is what the door speaks.
//
// Nothing here throws on what a peer sends: every problem comes back as
// { error } with one line saying what is wrong.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { parse, write } from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { formatLabel, formatMatches, resolveFormats, staticPayloadType } from './payload-types.ts';
import type { RtpFormat } from './payload-types.ts';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The outcome of offer/answer for the audio stream. */
export interface Negotiated {
  /** Codec name as we spell it in our preferences (e.g. "PCMU"). */
  codec: string;
  payloadType: number;
  clockRate: number;
  /** Payload type for telephone-events at the codec's clock rate, if both sides have it. */
  telephoneEventPt?: number;
  /** Where the remote receives RTP. */
  remote: { address: string; port: number };
  /** From a=rtcp (RFC 3605); otherwise RTCP goes to port + 1. */
  rtcpPort?: number;
  /** The remote's a=ptime, if given. */
  ptimeMs?: number;
  /**
   * The remote's direction as it declared it ("sendonly": the remote only
   * sends). A connection address of 0.0.0.0 (old-style hold, RFC 3264 §8.4)
   * counts as the remote not wanting to receive.
   */
  direction: Direction;
}

export interface OfferOptions {
  /** Our media address (IPv4 or IPv6 literal). */
  address: string;
  /** Our RTP port; RTCP is on port + 1. */
  port: number;
  /** Codec names in preference order, e.g. ['PCMU', 'PCMA']. */
  codecs: string[];
  /** Payload type to offer telephone-event/8000 on (e.g. 101); omitted: no RFC 4733. */
  telephoneEvent?: number;
  ptimeMs?: number;
  sessionId: string;
  sessionVersion: number;
  username?: string;
}

export interface AnswerPreferences {
  codecs: string[];
  /** Whether (and, for our own offers, on which PT) we accept telephone-events. */
  telephoneEvent?: number;
  address: string;
  port: number;
  sessionId: string;
  sessionVersion: number;
  username?: string;
  ptimeMs?: number;
}

/** A request to build SDP that cannot be met (our own configuration, not peer input). */
export class SdpError extends Error {
  override name = 'SdpError';
}

const PROFILE = 'RTP/AVP';
/** DTMF 0-9, *, #, A-D and flash (RFC 4733 §3.2). */
const EVENTS = '0-16';
const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function ipVersion(address: string): 4 | 6 {
  return isIPv6(address) ? 6 : 4;
}

function checkLocal(address: string, port: number): void {
  if (isIP(address) === 0) throw new SdpError(`SDP address ${JSON.stringify(address)} is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SdpError(`SDP port ${port} is not a valid port`);
}

function sessionSkeleton(o: { address: string; sessionId: string; sessionVersion: number; username?: string }): SessionDescription {
  const ver = ipVersion(o.address);
  return {
    version: 0,
    origin: {
      username: o.username && /^\S+$/.test(o.username) ? o.username : '-',
      sessionId: o.sessionId,
      sessionVersion: o.sessionVersion,
      netType: 'IN',
      ipVer: ver,
      address: o.address,
    },
    name: '-',
    connection: { version: ver, ip: o.address },
    timing: { start: 0, stop: 0 },
    media: [],
  };
}

function audioMedia(port: number, formats: RtpFormat[], te: number | undefined, ptimeMs: number, direction: Direction): MediaDescription {
  const rtp: MediaDescription['rtp'] = formats.map((f) => ({ payload: f.payloadType, codec: f.name, rate: f.clockRate }));
  const fmtp: MediaDescription['fmtp'] = [];
  const pts = formats.map((f) => f.payloadType);
  if (te !== undefined) {
    const rate = formats[0]?.clockRate ?? 8000;
    rtp.push({ payload: te, codec: 'telephone-event', rate });
    fmtp.push({ payload: te, config: EVENTS });
    pts.push(te);
  }
  return { type: 'audio', port, protocol: PROFILE, payloads: pts.join(' '), rtp, fmtp, ptime: ptimeMs, direction };
}

/** Builds our SDP offer: one audio stream, RTP/AVP, the given codecs and telephone-event (RFC 3264 §5). */
export function buildOffer(opts: OfferOptions): string {
  checkLocal(opts.address, opts.port);
  if (opts.codecs.length === 0) throw new SdpError('SDP offer needs at least one codec');
  const formats = opts.codecs.map((name) => {
    const f = staticPayloadType(name);
    if (!f) throw new SdpError(`codec ${JSON.stringify(name)} has no static payload type; cannot offer it`);
    return f;
  });
  const te = opts.telephoneEvent;
  if (te !== undefined && (!Number.isInteger(te) || te < 96 || te > 127)) {
    throw new SdpError(`telephone-event payload type ${te} is not a dynamic payload type (96-127)`);
  }
  const session = sessionSkeleton(opts);
  session.media.push(audioMedia(opts.port, formats, te, opts.ptimeMs ?? 20, 'sendrecv'));
  return write(session);
}

/** Parses SDP text, or says why it cannot be used. */
function parseSdp(sdp: unknown): SessionDescription | { error: string } {
  if (typeof sdp !== 'string' || sdp.trim() === '') return { error: 'empty SDP body' };
  try {
    const s = parse(sdp);
    if (!Array.isArray(s.media) || s.media.length === 0) return { error: 'SDP has no media description (m= line)' };
    return s;
  } catch (e) {
    return { error: `unparseable SDP: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

type StreamCheck = { ok: true; formats: RtpFormat[] } | { ok: false; reason: string };

/** Checks that a media description is a usable plain-RTP audio stream. */
function checkAudioStream(m: MediaDescription, role: string): StreamCheck {
  if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535) {
    return { ok: false, reason: `${role} audio stream has an invalid port` };
  }
  if (m.port === 0) return { ok: false, reason: `${role} declined the audio stream (port 0)` };
  if (m.protocol !== PROFILE) {
    return { ok: false, reason: `${role} audio stream uses ${m.protocol || 'no profile'}; only ${PROFILE} is supported` };
  }
  return { ok: true, formats: resolveFormats(m.payloads, m.rtp ?? []) };
}

/** Connection address of a stream: media level first, then session level (RFC 8866 §5.7). */
function connectionAddress(session: SessionDescription, m: MediaDescription, role: string): { address: string } | { error: string } {
  const c = m.connection ?? session.connection;
  if (!c || typeof c.ip !== 'string' || c.ip === '') return { error: `${role} has no connection address (c= line) for audio` };
  const address = c.ip.split('/')[0] ?? ''; // drop a multicast TTL / count suffix
  if (isIP(address) === 0) return { error: `${role} connection address ${JSON.stringify(address)} is not an IP address` };
  if ((c.version === 4 && !isIPv4(address)) || (c.version === 6 && !isIPv6(address))) {
    return { error: `${role} connection address ${address} does not match IP${c.version}` };
  }
  return { address };
}

function declaredDirection(session: SessionDescription, m: MediaDescription, address: string): Direction {
  const raw = m.direction ?? session.direction;
  let d: Direction = raw && (DIRECTIONS as readonly string[]).includes(raw) ? raw : 'sendrecv';
  if (address === '0.0.0.0' || address === '::') {
    // RFC 3264 §8.4: the old way to put a call on hold.
    d = d === 'sendrecv' ? 'sendonly' : d === 'recvonly' ? 'inactive' : d;
  }
  return d;
}

function telephoneEventFor(formats: RtpFormat[], clockRate: number): number | undefined {
  // RFC 4733 §2.1: events use the audio codec's clock; the first in m= order wins.
  return formats.find((f) => f.name.toLowerCase() === 'telephone-event' && f.clockRate === clockRate)?.payloadType;
}

function listed(formats: RtpFormat[]): string {
  const names = formats.filter((f) => f.name.toLowerCase() !== 'telephone-event').map(formatLabel);
  return names.length > 0 ? names.join(',') : 'none';
}

function negotiatedFrom(
  session: SessionDescription,
  m: MediaDescription,
  address: string,
  codec: string,
  chosen: RtpFormat,
  te: number | undefined,
): Negotiated {
  const n: Negotiated = {
    codec,
    payloadType: chosen.payloadType,
    clockRate: chosen.clockRate,
    remote: { address, port: m.port },
    direction: declaredDirection(session, m, address),
  };
  if (te !== undefined) n.telephoneEventPt = te;
  const rtcpPort = m.rtcp?.port;
  if (typeof rtcpPort === 'number' && Number.isInteger(rtcpPort) && rtcpPort > 0 && rtcpPort <= 65535) n.rtcpPort = rtcpPort;
  if (typeof m.ptime === 'number' && Number.isFinite(m.ptime) && m.ptime > 0) n.ptimeMs = m.ptime;
  return n;
}

/**
 * Reads the answer to our offer (RFC 3264 §7): the audio stream, the first
 * codec in the answer's list that we offered, telephone-event, and where to
 * send. Returns { error } when the call cannot carry audio.
 */
export function parseAnswer(sdp: string, offered: string[]): Negotiated | { error: string } {
  try {
    const s = parseSdp(sdp);
    if ('error' in s) return s;
    const m = s.media.find((x) => x.type === 'audio');
    if (!m) return { error: `answer has no audio stream (media: ${s.media.map((x) => x.type || '?').join(',')})` };
    const check = checkAudioStream(m, 'answer');
    if (!check.ok) return { error: check.reason };
    let chosen: RtpFormat | undefined;
    let codec: string | undefined;
    for (const f of check.formats) {
      codec = offered.find((name) => formatMatches(f, name));
      if (codec) {
        chosen = f;
        break;
      }
    }
    if (!chosen || !codec) {
      return { error: `no common codec: offered ${offered.join(',')}; answer has ${listed(check.formats)}` };
    }
    const c = connectionAddress(s, m, 'answer');
    if ('error' in c) return c;
    return negotiatedFrom(s, m, c.address, codec, chosen, telephoneEventFor(check.formats, chosen.clockRate));
  } catch (e) {
    return { error: `cannot read SDP answer: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

function answerDirection(remote: Direction): Direction {
  // RFC 3264 §6.1: the answer mirrors the offer's direction.
  return remote === 'sendonly' ? 'recvonly' : remote === 'recvonly' ? 'sendonly' : remote;
}

/**
 * Answers a remote offer (RFC 3264 §6): accepts the first plain-RTP audio
 * stream that has a codec we support (in the offerer's order of
 * preference), rejects every other stream with port 0, and reports what was
 * agreed. Returns { error } when no audio stream can be accepted (the
 * caller answers 488 Not Acceptable Here).
 */
export function answerOffer(
  remoteSdp: string,
  prefs: AnswerPreferences,
): { sdp: string; negotiated: Negotiated } | { error: string } {
  try {
    const s = parseSdp(remoteSdp);
    if ('error' in s) return s;
    checkLocal(prefs.address, prefs.port);

    let accepted: { index: number; negotiated: Negotiated; format: RtpFormat } | undefined;
    let firstProblem: string | undefined;
    s.media.forEach((m, index) => {
      if (accepted || m.type !== 'audio') return;
      const check = checkAudioStream(m, 'offer');
      if (!check.ok) {
        firstProblem ??= check.reason;
        return;
      }
      let chosen: RtpFormat | undefined;
      let codec: string | undefined;
      for (const f of check.formats) {
        codec = prefs.codecs.find((name) => formatMatches(f, name));
        if (codec) {
          chosen = f;
          break;
        }
      }
      if (!chosen || !codec) {
        firstProblem ??= `no common codec: offer has ${listed(check.formats)}; we support ${prefs.codecs.join(',')}`;
        return;
      }
      const c = connectionAddress(s, m, 'offer');
      if ('error' in c) {
        firstProblem ??= c.error;
        return;
      }
      const te = prefs.telephoneEvent === undefined ? undefined : telephoneEventFor(check.formats, chosen.clockRate);
      accepted = { index, format: chosen, negotiated: negotiatedFrom(s, m, c.address, codec, chosen, te) };
    });
    if (!accepted) {
      const types = s.media.map((x) => x.type || '?').join(',');
      return { error: firstProblem ?? `offer has no audio stream (media: ${types})` };
    }

    const answer = sessionSkeleton(prefs);
    if (s.timing && Number.isFinite(s.timing.start) && Number.isFinite(s.timing.stop)) {
      answer.timing = { start: s.timing.start, stop: s.timing.stop }; // RFC 3264 §6: t= as offered
    }
    const n = accepted.negotiated;
    const acceptedIndex = accepted.index;
    const format = { ...accepted.format, name: staticPayloadType(n.codec)?.name ?? n.codec };
    answer.media = s.media.map((m, index) =>
      index === acceptedIndex
        ? audioMedia(prefs.port, [format], n.telephoneEventPt, prefs.ptimeMs ?? 20, answerDirection(n.direction))
        : rejected(m),
    );
    return { sdp: write(answer), negotiated: n };
  } catch (e) {
    return { error: `cannot answer SDP offer: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/** A declined stream in an answer: same media type and formats, port 0 (RFC 3264 §6). */
function rejected(m: MediaDescription): MediaDescription {
  const type = typeof m.type === 'string' && /^[\w-]+$/.test(m.type) ? m.type : 'audio';
  const protocol = typeof m.protocol === 'string' && /^[\w/.-]+$/.test(m.protocol) ? m.protocol : PROFILE;
  // sdp-transform gives a single format as a number.
  const formatList = String((m.payloads as string | number | undefined) ?? '').trim();
  const payloads = /^[\w./ -]+$/.test(formatList) ? formatList : '0';
  return { type, port: 0, protocol, payloads, rtp: [], fmtp: [] };
}

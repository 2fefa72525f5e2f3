// The legs of the door call and their media: outgoing calls to the ring
// targets, the incoming call the door answers, SDP and SRTP negotiation
// (RFC 3264, RFC 4568), re-INVITEs, REFER (RFC 3515), DTMF, and the media
// loop's lifetime. The door (door.ts) decides; this carries out its call actions
// and turns what the calls report into door events.
import type { AudioSink, AudioSource } from '../audio/device.ts';
import type { VoiceProcessing } from '../audio/dsp/processing.ts';
import { codecAtRate } from '../audio/codec-rate.ts';
import type { Codec, Config } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import { codecForStream } from '../media/codec.ts';
import { RtpSession } from '../media/rtp-session.ts';
import { pcmSound } from '../media/sound.ts';
import { MediaLoop } from '../runtime/media-loop.ts';
import { SrtpLink } from '../runtime/srtp-socket.ts';
import type { TonePlayer } from '../runtime/tone-player.ts';
import { answerOffer, parseAnswer, type Negotiated } from '../sdp/offer-answer.ts';
import { answerSdes, type SdesKey } from '../sdp/sdes.ts';
import { answerOfferWithSdes, type SdesAnswer } from '../sdp/sdes-answer.ts';
import { OutgoingCall, type EndCause } from '../sip/call.ts';
import type { DigestClient } from '../sip/digest.ts';
import { IncomingCall } from '../sip/incoming-call.ts';
import type { SipRequest } from '../sip/message.ts';
import type { ServerTransaction } from '../sip/transaction.ts';
import { formatEndpoint, type Protocol } from '../sip/transport-port.ts';
import type { UserAgent } from '../sip/user-agent.ts';
import { openCallMedia, PTIME_MS, replaceLoop, rtpReception, TELEPHONE_EVENT_PT, type CallMedia } from './call-media.ts';
import type { DoorEvent, DoorSnapshot } from './door.ts';
import { dtmfFromInfo } from './dtmf-info.ts';
import type { ServerLink } from './server-link.ts';
import { rtcpCounters } from './rtcp-counters.ts';
import { STATION_AUDIO_FORMAT, type RtpReception, type StationStatus } from './station-api.ts';
import { reachableWithoutRegistrar, transferAllowed } from './targets.ts';

const FORMAT = STATION_AUDIO_FORMAT;
/**
 * A registrar that has not even sent 100 Trying this long after an INVITE is
 * taken as gone (Timer A has resent it three times by then): the ring stage
 * fails and the next one starts, rather than the visitor waiting out Timer B.
 */
const REGISTRAR_SILENCE_MS = 4000;

/** One leg of a door call: the SIP call to one target, and what its answer negotiated. */
interface Leg {
  call: OutgoingCall | IncomingCall;
  target: string;
  negotiated?: Negotiated;
  /** The other side's SRTP key (RFC 4568), when the call is encrypted. */
  srtpKey?: SdesKey;
  /** Our key in the answer to this leg's offer (a call to the door); otherwise it is the one in our offer. */
  srtpOurs?: SdesKey;
}

/** The incoming call being handed to the door; `answer` is absent when it is refused busy without media. */
interface PendingIncoming {
  call: IncomingCall;
  peer: string;
  answer?: { negotiated: Negotiated; sdp: Buffer; media: CallMedia; srtp?: { ours: SdesKey; theirs: SdesKey } };
}

export interface CallLegsOptions {
  ua: UserAgent;
  auth: DigestClient;
  protocol: Protocol;
  /** The address our SDP advertises and the media binds to. */
  address: string;
  /** The sip settings the station started with (a change to them restarts it). */
  sip: Pick<Config['sip'], 'user' | 'domain' | 'srtp'>;
  /** audio.codecs, read at each use: a reload changes them in place. */
  codecs: () => Codec[];
  serverLink: Pick<ServerLink, 'monitor' | 'onUnreachable'>;
  audio: { source: AudioSource; sink: AudioSink };
  voice: VoiceProcessing;
  player: TonePlayer;
  log: Logger;
  /** Hands an event to the door, whose actions come back here. */
  feed: (ev: DoorEvent) => void;
  /** The door's call as it is now. */
  doorCall: () => DoorSnapshot['call'];
  stopping: () => boolean;
}

export class CallLegs {
  private readonly legs = new Map<number, Leg>();
  private media: CallMedia | undefined;
  private mediaOpening: Promise<CallMedia | undefined> | undefined;
  private pendingIncoming: PendingIncoming | undefined;
  /** Played to a caller the door answers (incoming.announcement); loaded after start. */
  announcement: Int16Array | undefined;

  constructor(private readonly opts: CallLegsOptions) {}

  /** True while the door call has media (between calls the devices are free). */
  get hasMedia(): boolean {
    return this.media !== undefined;
  }

  /** True while some leg's SIP call still has to finish (CANCEL or BYE unanswered). */
  get unreleased(): boolean {
    return [...this.legs.values()].some((l) => !l.call.released);
  }

  /** The call's media fields of status: codec, RTP reception (only once `active`), RTCP and SRTP counters. */
  mediaStatus(active: boolean): Omit<NonNullable<StationStatus['call']>, 'state' | 'peer' | 'since'> {
    const media = this.media;
    return {
      ...(media?.codec !== undefined ? { codec: media.codec } : {}),
      ...(active && media?.loop ? { rtp: rtpReception(media) } : {}),
      ...(media?.loop ? { rtcp: rtcpCounters(media.loop.stats()) } : {}),
      ...(media?.srtp ? { srtp: { dropped: media.srtp.dropped } } : {}),
    };
  }

  /** What the call's media received since the last report; `report` starts anew. */
  rtpReception(report = false): RtpReception | undefined {
    return rtpReception(this.media, report);
  }

  hangupLeg(legId: number, reason?: string): void {
    this.legs.get(legId)?.call.hangup(reason);
  }

  transferProgress(legId: number, status: number): void {
    this.legs.get(legId)?.call.notifyRefer(status);
  }

  rejectIncoming(status: number, reason: string): void {
    this.pendingIncoming?.call.reject(status, reason);
    this.pendingIncoming = undefined;
  }

  private openMedia(): Promise<CallMedia | undefined> {
    return openCallMedia({
      address: this.opts.address,
      codecs: this.opts.codecs(),
      srtp: this.opts.sip.srtp === true,
      user: this.opts.sip.user,
      log: this.opts.log,
      current: () => this.media,
    });
  }

  async dial(legId: number, target: string): Promise<void> {
    const { ua, log, feed, serverLink } = this.opts;
    for (const [id, l] of this.legs) if (l.call.released) this.legs.delete(id);
    const opening = (this.mediaOpening ??= this.openMedia());
    const m = await opening;
    // The door call may have ended while the socket opened (hangup, stop).
    if (!m || opening !== this.mediaOpening || this.opts.stopping()) {
      feed({ type: 'leg-ended', leg: legId, reason: m ? 'call already over' : 'no media socket', by: 'local' });
      return;
    }
    this.media = m;
    // Registrar known to be down: a target it would have to find fails at once,
    // so the next ring stage starts now instead of after a silent ring timeout;
    // a target addressed by IP is called directly.
    const registrarDown = serverLink.monitor.serverDown;
    const direct = registrarDown ? reachableWithoutRegistrar(target, ua.identity.outboundProxy?.address, this.opts.protocol) : undefined;
    if (registrarDown && !direct) {
      feed({ type: 'leg-ended', leg: legId, reason: 'registrar unreachable', status: 503, by: 'network' });
      return;
    }
    if (direct) log.info('call.direct', { peer: target, via: formatEndpoint(direct), reason: 'registrar unreachable' });
    const call = new OutgoingCall(ua, {
      target,
      offer: m.offer,
      auth: this.opts.auth,
      log,
      events: {
        onRinging: () => feed({ type: 'leg-ringing', leg: legId }),
        onAnswered: (sdp) => this.onAnswered(legId, sdp),
        onEnded: (cause: EndCause) => {
          feed({ type: 'leg-ended', leg: legId, reason: cause.reason, by: cause.by, ...(cause.status ? { status: cause.status } : {}) });
          if (call.released) this.legs.delete(legId);
        },
        onReoffer: (sdp) => this.onReoffer(legId, sdp),
        onInfo: (type, body) => this.onInfo(type, body),
        onRefer: (target) => this.onRefer(legId, target),
      },
      // A party called directly says nothing about the registrar.
      ...(direct ? { direct } : { onUnreachable: (reason: string) => serverLink.onUnreachable(reason), silenceLimitMs: REGISTRAR_SILENCE_MS }),
    });
    this.legs.set(legId, { call, target });
    log.info('call.placed', { peer: target, callId: call.callId });
    call.start();
  }

  private onAnswered(legId: number, sdp: Buffer): void {
    const { log } = this.opts;
    const leg = this.legs.get(legId);
    if (!leg) return;
    let text = sdp.toString('utf8');
    if (this.media?.sdes) {
      // sip.srtp: an answer without a key for our suite is refused, never run in the clear.
      const s = answerSdes(text, this.media.sdes);
      if ('error' in s) {
        log.warn('call.bad-answer', { peer: leg.target, reason: s.error });
        leg.call.hangup(s.error);
        return;
      }
      text = s.plain;
      leg.srtpKey = s.key;
    }
    const n = parseAnswer(text, this.opts.codecs());
    if ('error' in n) {
      log.warn('call.bad-answer', { peer: leg.target, reason: n.error });
      leg.call.hangup(n.error);
      return;
    }
    leg.negotiated = n;
    this.opts.feed({ type: 'leg-answered', leg: legId });
  }

  connectMedia(legId: number): void {
    const { audio, player, log } = this.opts;
    const media = this.media;
    const leg = this.legs.get(legId);
    const n = leg?.negotiated;
    const codec = n && codecForStream(n.codec);
    if (!leg || !n || !codec || !media) return;
    const session = new RtpSession({
      codec: codecAtRate(codec, FORMAT.sampleRate),
      payloadType: n.payloadType,
      ...(n.telephoneEventPt !== undefined ? { telephoneEventPt: n.telephoneEventPt } : {}),
      ptimeMs: PTIME_MS,
      remote: n.remote,
    });
    const ours = leg.srtpOurs ?? media.sdes;
    media.srtp = ours && leg.srtpKey ? new SrtpLink(ours, leg.srtpKey) : undefined;
    const loop = new MediaLoop({
      session,
      socket: media.srtp ? media.srtp.wrap(media.socket) : media.socket,
      source: audio.source,
      sink: audio.sink,
      remote: n.remote,
      rtcpRemote: { address: n.remote.address, port: n.rtcpPort ?? n.remote.port + 1 },
      ptimeMs: PTIME_MS,
      log,
      onDigit: (digit) => this.keyed(digit, 'rfc4733'),
      overlay: player.lend(),
      processor: this.opts.voice.create(FORMAT),
    });
    replaceLoop(media, loop, [`${n.remote.address}:${n.remote.port}`, `${n.remote.address}:${n.rtcpPort ?? n.remote.port + 1}`]);
    media.codec = n.codec;
    loop.start();
    log.info('media.started', { codec: n.codec, remote: `${n.remote.address}:${n.remote.port}`, srtp: media.srtp !== undefined });
  }

  private onReoffer(legId: number, sdp: Buffer): Buffer | undefined {
    const { log } = this.opts;
    const leg = this.legs.get(legId);
    const media = this.media;
    if (!leg?.negotiated || !media) return undefined;
    // Keep the codec we run; follow a new address (hold/unhold, transfer by a PBX).
    const prefs = {
      codecs: [leg.negotiated.codec],
      telephoneEvent: TELEPHONE_EVENT_PT,
      address: this.opts.address,
      port: media.socket.port,
      sessionId: String(Date.now()),
      sessionVersion: 2,
    };
    // An encrypted call stays encrypted: the new offer must carry a key again (RFC 4568 §7.1.4).
    const link = media.srtp;
    const r: SdesAnswer | { error: string } = link
      ? answerOfferWithSdes(sdp.toString('utf8'), prefs, { requireSrtp: true, ourKey: link.ours })
      : answerOffer(sdp.toString('utf8'), prefs);
    if ('error' in r) {
      log.warn('call.reoffer-refused', { reason: r.error });
      return undefined;
    }
    if (link && r.srtp) {
      const changed = link.rekey(r.srtp.ours, r.srtp.theirs);
      if (changed.ours || changed.theirs) log.info('media.srtp-rekeyed', { ours: changed.ours, theirs: changed.theirs });
    }
    const n = r.negotiated;
    log.debug('call.reoffer-answered', { direction: n.direction, srtp: link !== undefined });
    media.loop?.retarget(n.remote, { address: n.remote.address, port: n.rtcpPort ?? n.remote.port + 1 });
    return Buffer.from(r.sdp);
  }

  // REFER from the connected party (RFC 3515): the door calls the new target
  // and tells the referrer how it goes. Only targets in the door's own domain
  // are taken, so a transfer cannot make the door place calls elsewhere.
  private onRefer(legId: number, target: string): boolean {
    const ok = transferAllowed(target, this.opts.sip.domain, this.opts.ua.identity.outboundProxy?.address);
    if (!ok || this.opts.doorCall()?.state !== 'active') {
      this.opts.log.warn('call.transfer-refused', { target, reason: ok ? 'no active call' : 'target outside the SIP domain' });
      return false;
    }
    // After the 202 has gone out: the door's actions include the first progress report.
    queueMicrotask(() => this.opts.feed({ type: 'transfer', leg: legId, target }));
    return true;
  }

  private onInfo(type: string | undefined, body: Buffer): void {
    const digit = dtmfFromInfo(type, body);
    if (digit) this.keyed(digit, 'info');
  }

  // Which key it was is never logged: a run of these lines would spell the code.
  private keyed(digit: string, via: 'rfc4733' | 'info'): void {
    this.opts.log.debug('dtmf.key', { via });
    this.opts.feed({ type: 'dtmf', digit });
  }

  /** Ends the door call's media (its loop, socket, the speaker's loan), or the socket still being opened. */
  releaseMedia(): void {
    const m = this.media;
    const opening = this.mediaOpening;
    this.media = undefined;
    this.mediaOpening = undefined;
    if (m) {
      m.loop?.stop();
      this.opts.player.reclaim();
      void m.socket.close();
    } else if (opening) {
      // Still opening: close it as soon as it is there.
      void opening.then((late) => late?.socket.close());
    }
  }

  /** An incoming call the gate allowed: answered with media when the door is idle, refused busy otherwise (door.ts decides). */
  async takeIncoming(req: SipRequest, tx: ServerTransaction, caller: string): Promise<void> {
    const { ua, log, feed } = this.opts;
    let legId: number | undefined;
    const call: IncomingCall = new IncomingCall(ua, req, tx, {
      log,
      auth: this.opts.auth,
      timers: ua.timerConfig,
      events: {
        onEnded: (cause: EndCause) => {
          if (legId === undefined) return;
          feed({ type: 'leg-ended', leg: legId, reason: cause.reason, by: cause.by, ...(cause.status ? { status: cause.status } : {}) });
          if (call.released) this.legs.delete(legId);
        },
        onReoffer: (sdp) => (legId === undefined ? undefined : this.onReoffer(legId, sdp)),
        onInfo: (type, body) => this.onInfo(type, body),
        onRefer: (target) => legId !== undefined && this.onRefer(legId, target),
      },
    });
    call.start();
    if (this.opts.doorCall() !== null || this.opts.stopping()) {
      // Busy: the door refuses it without opening media.
      this.pendingIncoming = { call, peer: caller };
      feed({ type: 'incoming', peer: caller });
      return;
    }
    const m = await this.openMedia();
    // An offer with a usable key is answered with ours and runs SRTP; sip.srtp refuses one without (488).
    const r = m && answerOfferWithSdes(
      call.offer.toString('utf8'),
      {
        codecs: this.opts.codecs(),
        telephoneEvent: TELEPHONE_EVENT_PT,
        address: this.opts.address,
        port: m.socket.port,
        sessionId: String(Date.now()),
        sessionVersion: 1,
      },
      { requireSrtp: this.opts.sip.srtp === true },
    );
    if (!m || !r || 'error' in r) {
      log.warn('incoming.bad-offer', { caller, reason: r && 'error' in r ? r.error : 'no media socket' });
      call.reject(488, 'Not Acceptable Here');
      void m?.socket.close();
      return;
    }
    if (call.state !== 'ringing') {
      void m.socket.close(); // the caller gave up while the socket opened
      return;
    }
    this.pendingIncoming = { call, peer: caller, answer: { negotiated: r.negotiated, sdp: Buffer.from(r.sdp), media: m, ...(r.srtp ? { srtp: r.srtp } : {}) } };
    const idle = this.opts.doorCall() === null;
    feed({ type: 'incoming', peer: caller });
    if (!idle) void m.socket.close();
    legId = [...this.legs.entries()].find(([, l]) => l.call === call)?.[0];
  }

  answerIncoming(legId: number): void {
    const p = this.pendingIncoming;
    this.pendingIncoming = undefined;
    if (!p?.answer) return;
    // This call's socket becomes the door call's media.
    this.media = p.answer.media;
    this.mediaOpening = Promise.resolve(p.answer.media);
    const srtp = p.answer.srtp;
    this.legs.set(legId, { call: p.call, target: p.peer, negotiated: p.answer.negotiated, ...(srtp ? { srtpKey: srtp.theirs, srtpOurs: srtp.ours } : {}) });
    p.call.accept(p.answer.sdp);
    if (this.announcement) this.opts.player.play(pcmSound('announcement', this.announcement));
  }
}

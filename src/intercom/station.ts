// The door station, assembled: config in, a running SIP user agent, the door's
// behaviour, audio devices and the control surface out. This is the one place
// where the pure layers meet sockets, devices and time; "what happens when the
// button is pressed" is in door.ts, and this file carries its actions out.
import { readFileSync } from 'node:fs';
import type { AudioFormat, AudioSink, AudioSource } from '../audio/device.ts';
import { createVoiceProcessing } from '../audio/dsp/processing.ts';
import { openAudioSink, openAudioSource } from '../audio/registry.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import { codecAtRate } from '../audio/codec-rate.ts';
import { codecForStream } from '../media/codec.ts';
import { RtpSession } from '../media/rtp-session.ts';
import { openRtpSocket, type RtpSocket } from '../net/rtp-socket.ts';
import { openSipTransport, type SipTransport } from '../net/sip-transport.ts';
import { loadTlsIdentity, type TlsIdentity } from '../net/tls-identity.ts';
import { MediaLoop } from '../runtime/media-loop.ts';
import { TonePlayer } from '../runtime/tone-player.ts';
import { answerOffer, buildOffer, parseAnswer, type Negotiated } from '../sdp/offer-answer.ts';
import { OutgoingCall, type EndCause } from '../sip/call.ts';
import { realTimers } from '../sip/clock.ts';
import { DigestClient } from '../sip/digest.ts';
import { Registration } from '../sip/registration.ts';
import { resolveServer, ServerLink } from './server-link.ts';
import { formatEndpoint, type Protocol } from '../sip/transport-port.ts';
import { UserAgent } from '../sip/user-agent.ts';
import { answerSdes, newSdesKey, offerWithSdes, type SdesKey } from '../sdp/sdes.ts';
import { SrtpLink } from '../runtime/srtp-socket.ts';
import { answerOfferWithSdes, type SdesAnswer } from '../sdp/sdes-answer.ts';
import { Door, type DoorAction, type DoorEvent, type DoorSettings, type TimerName } from './door.ts';
import { rtcpCounters } from './rtcp-counters.ts';
import { STATION_AUDIO_FORMAT, type CommandResult, type RtpReception, type StationControl, type StationStatus } from './station-api.ts';
import { captureFrames, heardLevelDbfs, testFrames, testToneSound } from './audio-test.ts';
import { reachableWithoutRegistrar, targetUri } from './targets.ts';
import { openDoorHardware } from '../io/door-hardware.ts';
import { toneCommands } from './tone-policy.ts';
import { loadCueSounds } from './tones.ts';
import { codeLockout, doorCodes } from './door-settings.ts';
import { dtmfFromInfo } from './dtmf-info.ts';
import { callPolicy, doorButtons } from './door-settings.ts';
import { incomingGate, loadAnnouncement } from './incoming-calls.ts';
import { StationEvents } from './station-events.ts';
import { DoorEventLog } from './event-log.ts';
import { transferAllowed } from './targets.ts';
import { IncomingCall } from '../sip/incoming-call.ts';
import type { SipRequest } from '../sip/message.ts';
import type { ServerTransaction } from '../sip/transaction.ts';
import { pcmSound } from '../media/sound.ts';

// Devices are opened once, at 16 kHz: G.722 calls use it as is, and a G.711
// call's codec is wrapped to resample 16k<->8k (audio/codec-rate.ts). One rate
// keeps one clock and one device setup whatever a call negotiates; PortAudio
// streams are never reopened per call, and a narrowband call costs only a
// small streaming resampler.
const FORMAT: AudioFormat = STATION_AUDIO_FORMAT;
const PTIME_MS = 20;
const TELEPHONE_EVENT_PT = 101;
/**
 * A registrar that has not even sent 100 Trying this long after an INVITE is
 * taken as gone (Timer A has resent it three times by then): the ring stage
 * fails and the next one starts, rather than the visitor waiting out Timer B.
 */
const REGISTRAR_SILENCE_MS = 4000;

export interface Station extends StationControl {
  /** Hangs up, unregisters and releases every socket and device. */
  stop(): Promise<void>;
  /** Applies a config whose changes reload.ts puts in place: door, buttons, calls, codecs. */
  applyConfig(next: Config): void;
}

/** Thrown when the station cannot start; the message is one line for the user. */
export class StationStartError extends Error {}

function readTlsCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new StationStartError(`sip.tls_ca: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** RFC 3261 §19.1.2: the default port for SIP over TLS. */
const DEFAULT_TLS_PORT = 5061;

function tlsIdentity(certFile: string, keyFile: string): TlsIdentity {
  try {
    return loadTlsIdentity(certFile, keyFile);
  } catch (e) {
    throw new StationStartError((e as Error).message);
  }
}

async function openAudio(config: Config, log: Logger): Promise<{ source: AudioSource; sink: AudioSink }> {
  // A door without audio can still ring and open: a missing device is logged, not fatal.
  const fallback = async (key: string, e: unknown) => {
    log.error('audio.unavailable', { key, reason: (e as Error).message });
  };
  let source: AudioSource;
  let sink: AudioSink;
  try {
    source = await openAudioSource(config.audio.input, FORMAT);
  } catch (e) {
    await fallback('audio.input', e);
    source = await openAudioSource('none', FORMAT);
  }
  try {
    sink = await openAudioSink(config.audio.output, FORMAT);
  } catch (e) {
    await fallback('audio.output', e);
    sink = await openAudioSink('none', FORMAT);
  }
  log.info('audio.ready', { input: source.description, output: sink.description });
  return { source, sink };
}

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

/** The media of the current door call, shared by all legs (one offer rings every target). */
interface CallMedia {
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

/** Starts the door station described by a validated config. */
export async function startStation(config: Config, log: Logger, events = new StationEvents()): Promise<Station> {
  const startedAt = new Date().toISOString();
  const sipCfg = config.sip;
  const protocol: Protocol = sipCfg.transport === 'tcp' ? 'TCP' : sipCfg.transport === 'tls' ? 'TLS' : 'UDP';
  const tlsCa = protocol === 'TLS' && sipCfg.tls_ca !== undefined ? readTlsCa(sipCfg.tls_ca) : undefined;
  const tlsListen = protocol === 'TLS' && sipCfg.tls_cert !== undefined && sipCfg.tls_key !== undefined
    ? { port: sipCfg.tls_port ?? DEFAULT_TLS_PORT, identity: tlsIdentity(sipCfg.tls_cert, sipCfg.tls_key) }
    : undefined;
  // A name that does not resolve yet (DNS not up after a power cut) is no
  // reason to stay down: the server link keeps trying and registers once it does.
  const initialServer = await resolveServer(sipCfg.server.host, protocol, sipCfg.server.srv === true).catch(() => undefined);
  const serverAddress = initialServer?.address;
  const serverPort = initialServer?.port ?? sipCfg.server.port;
  const timers = realTimers();

  let ua: UserAgent | undefined;
  const transport: SipTransport = await openSipTransport({
    ...(sipCfg.listen?.host !== undefined ? { host: sipCfg.listen.host } : {}),
    ...(sipCfg.listen?.port !== undefined ? { port: sipCfg.listen.port } : {}),
    ...(serverAddress !== undefined ? { server: { address: serverAddress, port: serverPort } } : {}),
    // The registrar is exempt from the per-source rate limit, wherever it moves.
    isTrusted: (source) => source.address === ua?.identity.outboundProxy?.address,
    tcp: protocol === 'TCP',
    // RFC 5626 §4.4.1: a CRLF ping on our TCP/TLS flow every 30 s; no pong in 10 s and the flow is dead.
    keepAlive: { intervalMs: 30_000, pongTimeoutMs: 10_000 },
    ...(protocol === 'TLS' ? { tls: { ...(tlsCa ? { ca: tlsCa } : {}), verifyName: sipCfg.server.host } } : {}),
    ...(tlsListen ? { tlsListen } : {}),
    log,
    onMessage: (msg, source) => ua?.receive(msg, source),
    onConnectionClosed: (remote) => {
      const server = ua?.identity.outboundProxy;
      if (server && remote.address === server.address && remote.port === server.port) serverLink.onUnreachable('connection to the server closed');
    },
  }).catch((e: Error) => {
    throw new StationStartError(e.message);
  });
  const local = transport.local(protocol);
  log.info('sip.listening', { address: local.address, port: local.port, transport: protocol.toLowerCase(), ...(tlsListen ? { accepts: 'tls' } : {}) });

  ua = new UserAgent(
    {
      user: sipCfg.user,
      domain: sipCfg.domain,
      displayName: sipCfg.display_name,
      protocol,
      ...(serverAddress !== undefined ? { outboundProxy: { protocol, address: serverAddress, port: serverPort } } : {}),
      ...(sipCfg.user_agent ? { userAgent: sipCfg.user_agent } : {}),
    },
    transport,
    timers,
    log,
  );
  const sipUa = ua;
  const auth = new DigestClient({ username: sipCfg.auth_user, password: sipCfg.password });
  const registration = new Registration(sipUa, { expires: sipCfg.expires, auth, log, onUnreachable: (r) => serverLink.onUnreachable(r) });
  const serverLink = new ServerLink(sipUa, registration, {
    host: sipCfg.server.host,
    port: sipCfg.server.port,
    protocol,
    srv: sipCfg.server.srv === true,
    log,
    onAddress: (server) => transport.towards(server),
  });

  const audio = await openAudio(config, log);
  // Resolved once (library loaded, mode logged); each call gets its own processor.
  const voice = createVoiceProcessing(config.audio, log);
  const cueSounds = await loadCueSounds(config.tones, FORMAT).catch((e: Error) => {
    throw new StationStartError(e.message);
  });
  // Owns the speaker whenever no call's media does.
  const player = new TonePlayer({ sink: audio.sink, format: FORMAT, ptimeMs: PTIME_MS, log });
  // Outputs are claimed inactive here, before anything can ring or open. A press
  // that settles before the door exists is dropped (feedHardware is set below).
  let feedHardware: (ev: DoorEvent) => void = () => {};
  const hw = await openDoorHardware(config, log, {
    press: (button) => feedHardware({ type: 'press', button }),
    exit: () => feedHardware({ type: 'open', by: 'exit-button' }),
    open: (by) => feedHardware({ type: 'open', by }),
  });

  // Rebuilt from a new config on a reload (reload.ts decides what may change in place).
  const doorSettings = (c: Config): DoorSettings => ({
    buttons: doorButtons(c),
    ...callPolicy(c),
    ringTimeoutMs: c.calls.ring_timeout * 1000,
    maxDurationMs: c.calls.max_duration * 1000,
    openMs: c.door.open_ms,
    ...(c.tones.warning.enabled || c.tones.prompts.warning ? { warnBeforeEndMs: c.tones.warning.before_s * 1000 } : {}),
    codes: doorCodes(c),
    lockout: codeLockout(c),
  });
  const door = new Door(doorSettings(config));

  const doorTimers = new Map<TimerName, NodeJS.Timeout>();
  /** Presses, calls, openings and refusals, for status. */
  const history = new DoorEventLog(undefined, (entry) => events.emit({ type: 'history', entry }));
  const legs = new Map<number, Leg>();
  let media: CallMedia | undefined;
  let mediaOpening: Promise<CallMedia | undefined> | undefined;
  let stopping = false;
  let audioTesting = false;

  const feed = (ev: DoorEvent): void => {
    const before = door.snapshot();
    const actions = door.handle(ev, Date.now());
    run(actions);
    if (door.snapshot().call === null) releaseMedia();
    for (const c of toneCommands(before, ev, actions, door.snapshot())) {
      if (c.type === 'stop') player.stop();
      else if (!stopping) {
        const sound = cueSounds(c.cue);
        if (sound) player.play(sound);
      }
    }
  };

  feedHardware = (ev) => {
    if (!stopping) feed(ev);
  };
  // LEDs and the amplifier follow the registration and the call; polled, as
  // both change in several places and an extra look is only a comparison.
  const showState = (): void => {
    const call = door.snapshot().call;
    hw.indicate(!registration.status.registered ? 'error' : call === null ? 'idle' : call.state === 'active' ? 'in_call' : 'calling');
    // The speaker carries the ringback tone too, so the amplifier is on from the press.
    hw.amplifier(call !== null);
    const reg = registration.status;
    const key = JSON.stringify([reg.registered, reg.state, reg.lastError, call?.state, call?.peer, door.snapshot().door, hw.snapshot()]);
    if (key !== lastStateKey) {
      lastStateKey = key;
      events.emit({ type: 'state' });
    }
  };
  let lastStateKey = '';
  const indicator = setInterval(showState, 100);
  indicator.unref();

  function run(actions: DoorAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'log': {
          log[a.level](a.event, a.fields);
          // The media is still up here: an ended call's history keeps what it received, for watchers' totals.
          const reception = a.event === 'call.ended' ? rtpReception(true) : undefined;
          history.fromLog(a.event, reception ? { ...a.fields, ...reception } : a.fields, new Date());
          break;
        }
        case 'dial':
          void dial(a.leg, a.target);
          break;
        case 'hangup-leg':
          legs.get(a.leg)?.call.hangup(a.reason);
          break;
        case 'connect-media':
          connectMedia(a.leg);
          break;
        case 'answer-incoming':
          answerIncoming(a.leg);
          break;
        case 'transfer-progress':
          legs.get(a.leg)?.call.notifyRefer(a.status);
          break;
        case 'reject-incoming':
          pendingIncoming?.call.reject(a.status, a.reason);
          pendingIncoming = undefined;
          break;
        case 'start-timer': {
          clearTimeout(doorTimers.get(a.name));
          const name = a.name;
          doorTimers.set(name, setTimeout(() => feed({ type: 'timer', name }), a.ms));
          break;
        }
        case 'cancel-timer':
          clearTimeout(doorTimers.get(a.name));
          doorTimers.delete(a.name);
          break;
        case 'relay':
          hw.setRelay(a.energised);
          break;
      }
    }
  }

  async function openMedia(): Promise<CallMedia | undefined> {
    try {
      const socket = await openRtpSocket({
        host: local.address,
        onRtp: (b, from) => {
          if (media?.retired?.includes(`${from.address}:${from.port}`)) return;
          // With SRTP only authentic packets reach the loop; the rest are dropped and counted.
          const plain = media?.srtp ? media.srtp.receive(b) : media?.sdes ? undefined : b;
          if (plain) media?.loop?.onRtp(plain, from);
        },
        onRtcp: (b, from) => {
          if (media?.retired?.includes(`${from.address}:${from.port}`)) return;
          // SRTCP (RFC 3711 §3.4) like SRTP: only authentic reports reach the loop.
          const plain = media?.srtp ? media.srtp.receiveRtcp(b) : media?.sdes ? undefined : b;
          if (plain) media?.loop?.onRtcp(plain, from);
        },
      });
      const sdes = sipCfg.srtp === true ? newSdesKey() : undefined;
      const offer = buildOffer({
        address: local.address,
        port: socket.port,
        codecs: config.audio.codecs,
        telephoneEvent: TELEPHONE_EVENT_PT,
        ptimeMs: PTIME_MS,
        sessionId: String(Date.now()),
        sessionVersion: 1,
        username: sipCfg.user,
      });
      return { socket, offer: Buffer.from(sdes ? offerWithSdes(offer, sdes) : offer), ...(sdes ? { sdes } : {}) };
    } catch (e) {
      log.error('media.unavailable', { reason: (e as Error).message });
      return undefined;
    }
  }

  async function dial(legId: number, target: string): Promise<void> {
    for (const [id, l] of legs) if (l.call.released) legs.delete(id);
    const opening = (mediaOpening ??= openMedia());
    const m = await opening;
    // The door call may have ended while the socket opened (hangup, stop).
    if (!m || opening !== mediaOpening || stopping) {
      feed({ type: 'leg-ended', leg: legId, reason: m ? 'call already over' : 'no media socket', by: 'local' });
      return;
    }
    media = m;
    // Registrar known to be down: a target it would have to find fails at once,
    // so the next ring stage starts now instead of after a silent ring timeout;
    // a target addressed by IP is called directly.
    const registrarDown = serverLink.monitor.serverDown;
    const direct = registrarDown ? reachableWithoutRegistrar(target, sipUa.identity.outboundProxy?.address, protocol) : undefined;
    if (registrarDown && !direct) {
      feed({ type: 'leg-ended', leg: legId, reason: 'registrar unreachable', status: 503, by: 'network' });
      return;
    }
    if (direct) log.info('call.direct', { peer: target, via: formatEndpoint(direct), reason: 'registrar unreachable' });
    const call = new OutgoingCall(sipUa, {
      target,
      offer: m.offer,
      auth,
      log,
      events: {
        onRinging: () => feed({ type: 'leg-ringing', leg: legId }),
        onAnswered: (sdp) => onAnswered(legId, sdp),
        onEnded: (cause: EndCause) => {
          feed({ type: 'leg-ended', leg: legId, reason: cause.reason, by: cause.by, ...(cause.status ? { status: cause.status } : {}) });
          if (call.released) legs.delete(legId);
        },
        onReoffer: (sdp) => onReoffer(legId, sdp),
        onInfo: (type, body) => onInfo(type, body),
        onRefer: (target) => onRefer(legId, target),
      },
      // A party called directly says nothing about the registrar.
      ...(direct ? { direct } : { onUnreachable: (reason: string) => serverLink.onUnreachable(reason), silenceLimitMs: REGISTRAR_SILENCE_MS }),
    });
    legs.set(legId, { call, target });
    log.info('call.placed', { peer: target, callId: call.callId });
    call.start();
  }

  function onAnswered(legId: number, sdp: Buffer): void {
    const leg = legs.get(legId);
    if (!leg) return;
    let text = sdp.toString('utf8');
    if (media?.sdes) {
      // sip.srtp: an answer without a key for our suite is refused, never run in the clear.
      const s = answerSdes(text, media.sdes);
      if ('error' in s) {
        log.warn('call.bad-answer', { peer: leg.target, reason: s.error });
        leg.call.hangup(s.error);
        return;
      }
      text = s.plain;
      leg.srtpKey = s.key;
    }
    const n = parseAnswer(text, config.audio.codecs);
    if ('error' in n) {
      log.warn('call.bad-answer', { peer: leg.target, reason: n.error });
      leg.call.hangup(n.error);
      return;
    }
    leg.negotiated = n;
    feed({ type: 'leg-answered', leg: legId });
  }

  function connectMedia(legId: number): void {
    const leg = legs.get(legId);
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
      onDigit: (digit) => keyed(digit, 'rfc4733'),
      overlay: player.lend(),
      processor: voice.create(FORMAT),
    });
    if (media.loop && media.remote) media.retired = [...(media.retired ?? []), ...media.remote];
    media.remote = [`${n.remote.address}:${n.remote.port}`, `${n.remote.address}:${n.rtcpPort ?? n.remote.port + 1}`];
    if (media.loop) {
      const st = media.loop.stats();
      const r = (media.reception ??= { earlier: { received: 0, lost: 0 }, reported: { received: 0, lost: 0 } });
      r.earlier = { received: r.earlier.received + st.packetsReceived, lost: r.earlier.lost + st.lost };
    }
    media.loop?.stop();
    media.loop = loop;
    media.codec = n.codec;
    loop.start();
    log.info('media.started', { codec: n.codec, remote: `${n.remote.address}:${n.remote.port}`, srtp: media.srtp !== undefined });
  }

  function onReoffer(legId: number, sdp: Buffer): Buffer | undefined {
    const leg = legs.get(legId);
    if (!leg?.negotiated || !media) return undefined;
    // Keep the codec we run; follow a new address (hold/unhold, transfer by a PBX).
    const prefs = {
      codecs: [leg.negotiated.codec],
      telephoneEvent: TELEPHONE_EVENT_PT,
      address: local.address,
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
  function onRefer(legId: number, target: string): boolean {
    const ok = transferAllowed(target, sipCfg.domain, sipUa.identity.outboundProxy?.address);
    if (!ok || door.snapshot().call?.state !== 'active') {
      log.warn('call.transfer-refused', { target, reason: ok ? 'no active call' : 'target outside the SIP domain' });
      return false;
    }
    // After the 202 has gone out: the door's actions include the first progress report.
    queueMicrotask(() => feed({ type: 'transfer', leg: legId, target }));
    return true;
  }

  function onInfo(type: string | undefined, body: Buffer): void {
    const digit = dtmfFromInfo(type, body);
    if (digit) keyed(digit, 'info');
  }

  // Which key it was is never logged: a run of these lines would spell the code.
  function keyed(digit: string, via: 'rfc4733' | 'info'): void {
    log.debug('dtmf.key', { via });
    feed({ type: 'dtmf', digit });
  }

  /**
   * What the call's media received since the last ended call reported it (a
   * transferred call ends once per party on one media); `report` starts anew.
   */
  function rtpReception(report = false): RtpReception | undefined {
    const st = media?.loop?.stats();
    if (!media || !st) return undefined;
    const r = media.reception ?? { earlier: { received: 0, lost: 0 }, reported: { received: 0, lost: 0 } };
    const all = { received: r.earlier.received + st.packetsReceived, lost: r.earlier.lost + st.lost };
    if (report) media.reception = { earlier: r.earlier, reported: all };
    // A new source (SSRC) restarts the session's counts, so a difference can come out below zero.
    const since = (now: number, then: number): number => Math.max(0, now - then);
    return { packetsReceived: since(all.received, r.reported.received), packetsLost: since(all.lost, r.reported.lost), jitterMs: Math.round(st.jitterMs * 100) / 100 };
  }

  function releaseMedia(): void {
    const m = media;
    const opening = mediaOpening;
    media = undefined;
    mediaOpening = undefined;
    if (m) {
      m.loop?.stop();
      player.reclaim();
      void m.socket.close();
    } else if (opening) {
      // Still opening: close it as soon as it is there.
      void opening.then((late) => late?.socket.close());
    }
  }

  serverLink.start(initialServer);

  // Incoming calls: the gate refuses what the policy does not allow before
  // anything rings; an allowed call is answered by the door when it is idle.
  const announcement = await loadAnnouncement(config.incoming.announcement, FORMAT).catch((e: Error) => {
    throw new StationStartError(e.message);
  });
  /** The incoming call being handed to the door; `answer` is absent when it is refused busy without media. */
  let pendingIncoming: { call: IncomingCall; peer: string; answer?: { negotiated: Negotiated; sdp: Buffer; media: CallMedia; srtp?: { ours: SdesKey; theirs: SdesKey } } } | undefined;

  // Switched at run time (`intercom incoming on|off`, MQTT); a restart goes back to the config.
  let incomingEnabled = config.incoming.enabled;
  sipUa.onIncomingInvite = incomingGate({
    config,
    enabled: () => incomingEnabled,
    ua: sipUa,
    log,
    registrar: () => sipUa.identity.outboundProxy?.address,
    onAllowed: (req, tx, caller) => void takeIncoming(req, tx, caller),
    onRefused: (from, source, reason) => history.refused(source, reason, new Date(), from),
  });

  async function takeIncoming(req: SipRequest, tx: ServerTransaction, caller: string): Promise<void> {
    let legId: number | undefined;
    const call: IncomingCall = new IncomingCall(sipUa, req, tx, {
      log,
      auth,
      timers: sipUa.timerConfig,
      events: {
        onEnded: (cause: EndCause) => {
          if (legId === undefined) return;
          feed({ type: 'leg-ended', leg: legId, reason: cause.reason, by: cause.by, ...(cause.status ? { status: cause.status } : {}) });
          if (call.released) legs.delete(legId);
        },
        onReoffer: (sdp) => (legId === undefined ? undefined : onReoffer(legId, sdp)),
        onInfo: (type, body) => onInfo(type, body),
        onRefer: (target) => legId !== undefined && onRefer(legId, target),
      },
    });
    call.start();
    if (door.snapshot().call !== null || stopping) {
      // Busy: the door refuses it without opening media.
      pendingIncoming = { call, peer: caller };
      feed({ type: 'incoming', peer: caller });
      return;
    }
    const m = await openMedia();
    // An offer with a usable key is answered with ours and runs SRTP; sip.srtp refuses one without (488).
    const r = m && answerOfferWithSdes(
      call.offer.toString('utf8'),
      {
        codecs: config.audio.codecs,
        telephoneEvent: TELEPHONE_EVENT_PT,
        address: local.address,
        port: m.socket.port,
        sessionId: String(Date.now()),
        sessionVersion: 1,
      },
      { requireSrtp: sipCfg.srtp === true },
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
    pendingIncoming = { call, peer: caller, answer: { negotiated: r.negotiated, sdp: Buffer.from(r.sdp), media: m, ...(r.srtp ? { srtp: r.srtp } : {}) } };
    const idle = door.snapshot().call === null;
    feed({ type: 'incoming', peer: caller });
    if (!idle) void m.socket.close();
    legId = [...legs.entries()].find(([, l]) => l.call === call)?.[0];
  }

  function answerIncoming(legId: number): void {
    const p = pendingIncoming;
    pendingIncoming = undefined;
    if (!p?.answer) return;
    // This call's socket becomes the door call's media.
    media = p.answer.media;
    mediaOpening = Promise.resolve(p.answer.media);
    const srtp = p.answer.srtp;
    legs.set(legId, { call: p.call, target: p.peer, negotiated: p.answer.negotiated, ...(srtp ? { srtpKey: srtp.theirs, srtpOurs: srtp.ours } : {}) });
    p.call.accept(p.answer.sdp);
    if (announcement) player.play(pcmSound('announcement', announcement));
  }

  const station: Station = {
    status(): StationStatus {
      const reg = registration.status;
      const snap = door.snapshot();
      return {
        registered: reg.registered,
        startedAt,
        registration: {
          state: reg.state,
          ...(reg.lastError !== undefined ? { lastError: reg.lastError } : {}),
          ...(reg.expiresAt !== undefined ? { expiresAt: reg.expiresAt } : {}),
          failures: reg.failures,
        },
        call: snap.call && {
          state: snap.call.state,
          peer: snap.call.peer,
          since: new Date(snap.call.since).toISOString(),
          ...(media?.codec !== undefined ? { codec: media.codec } : {}),
          ...(snap.call.state === 'active' && media?.loop ? { rtp: rtpReception() } : {}),
          ...(media?.loop ? { rtcp: rtcpCounters(media.loop.stats()) } : {}),
          ...(media?.srtp ? { srtp: { dropped: media.srtp.dropped } } : {}),
        },
        door: snap.door,
        incoming: { enabled: incomingEnabled },
        events: history.recent(),
        hardware: hw.snapshot(),
        audio: { input: audio.source.stats(), output: audio.sink.stats() },
      };
    },
    press(button?: string): CommandResult {
      if (button !== undefined && !config.buttons.some((b) => b.name === button)) {
        return { ok: false, error: `no button named "${button}" (have: ${config.buttons.map((b) => b.name).join(', ')})` };
      }
      const busy = door.snapshot().call;
      feed({ type: 'press', ...(button !== undefined ? { button } : {}) });
      const after = door.snapshot().call;
      if (busy && after && after.since !== busy.since) return { ok: true, detail: `the ${busy.state} call was restarted` };
      if (busy) return { ok: true, detail: `a call is already ${busy.state}; press ignored` };
      // calls.min_interval or calls.limit held it back (the log says which).
      return after ? { ok: true } : { ok: true, detail: 'press ignored: too many calls too quickly (calls.min_interval, calls.limit)' };
    },
    hangup(): CommandResult {
      if (door.snapshot().call === null) return { ok: true, detail: 'no call' };
      feed({ type: 'hangup' });
      return { ok: true };
    },
    open(by = 'command'): CommandResult {
      feed({ type: 'open', by });
      return { ok: true };
    },
    setIncoming(enabled: boolean): CommandResult {
      if (enabled === incomingEnabled) return { ok: true, detail: `incoming calls are already ${enabled ? 'enabled' : 'disabled'}` };
      incomingEnabled = enabled;
      log.info('incoming.switched', { enabled });
      events.emit({ type: 'state' });
      return { ok: true, detail: enabled && config.incoming.allow.length === 0 ? 'enabled, but incoming.allow lists nobody' : `incoming calls ${enabled ? 'enabled' : 'disabled'}` };
    },
    async audioTest() {
      // Between calls the speaker is the tone player's and nobody reads the microphone.
      if (door.snapshot().call !== null || media) return { ok: false, error: 'a call is in progress; the audio test runs only between calls' };
      if (audioTesting) return { ok: false, error: 'an audio test is already running' };
      if (stopping) return { ok: false, error: 'the station is stopping' };
      audioTesting = true;
      try {
        const frames = testFrames(PTIME_MS);
        player.play(testToneSound(FORMAT));
        const captured = await captureFrames(audio.source, frames, PTIME_MS, () => {
          if (door.snapshot().call !== null) throw new Error('a call started during the audio test');
        });
        const heard = heardLevelDbfs(captured, FORMAT.sampleRate);
        log.info('audio.test', { frames, heard_dbfs: heard });
        return { ok: true as const, audioTest: { played: true, heard_dbfs: heard, frames } };
      } catch (err) {
        return { ok: false as const, error: (err as Error).message };
      } finally {
        audioTesting = false;
      }
    },
    applyConfig(next: Config): void {
      // Only settings read afresh at each use change here; the rest restarts the station.
      config = next;
      door.reconfigure(doorSettings(next));
    },
    async stop(): Promise<void> {
      if (stopping) return;
      stopping = true;
      feed({ type: 'hangup', reason: 'station stopping' });
      // Give CANCEL/BYE a moment to be answered so the phones stop ringing.
      const deadline = Date.now() + 2000;
      while ([...legs.values()].some((l) => !l.call.released) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      serverLink.stop();
      await registration.stop();
      for (const t of doorTimers.values()) clearTimeout(t);
      clearInterval(indicator);
      // The opener is de-energised and every line released, whatever state the door was in.
      await hw.close();
      releaseMedia();
      player.close();
      sipUa.close();
      await transport.close();
      await Promise.allSettled([audio.source.close(), audio.sink.close()]);
    },
  };
  return station;
}

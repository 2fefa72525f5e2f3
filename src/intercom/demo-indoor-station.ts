// The demonstration's "indoor station": the phone inside the flat, built from
// the project's own SIP core so the demo needs nothing installed. It is also
// the registrar the door signs in to (demo-registrar.ts). It answers the
// door's call by itself, plays a 440 Hz tone as its voice, keeps what it hears
// for measuring, and on request keys DTMF (RFC 4733) and hangs up.
import type { AudioSink, AudioSource } from '../audio/device.ts';
import { emptyStats } from '../audio/device.ts';
import { codecByName } from '../media/codec.ts';
import { RtpSession } from '../media/rtp-session.ts';
import { ToneGenerator } from '../media/tone.ts';
import { openRtpSocket, type RtpSocket } from '../net/rtp-socket.ts';
import { openSipTransport, type SipTransport } from '../net/sip-transport.ts';
import { MediaLoop } from '../runtime/media-loop.ts';
import { answerOffer } from '../sdp/offer-answer.ts';
import type { EndCause } from '../sip/call.ts';
import { realTimers, type TimerHandle, type Timers } from '../sip/clock.ts';
import { IncomingCall } from '../sip/incoming-call.ts';
import type { SipRequest } from '../sip/message.ts';
import type { ServerTransaction } from '../sip/transaction.ts';
import { UserAgent, type UaLog } from '../sip/user-agent.ts';
import { DemoRegistrar, type RegistrarEvent } from './demo-registrar.ts';

const SAMPLE_RATE = 8000;
const PTIME_MS = 20;
const FRAME_SAMPLES = (SAMPLE_RATE * PTIME_MS) / 1000;
const TELEPHONE_EVENT_PT = 101;
/** What is kept of the audio heard: enough for the demo, bounded whatever happens. */
const MAX_HEARD_SAMPLES = 30 * SAMPLE_RATE;

/** Something the indoor station did or saw, for the narration. */
export type IndoorEvent =
  | RegistrarEvent
  | { kind: 'ringing'; from: string }
  | { kind: 'answered'; codec: string; dtmf: boolean }
  | { kind: 'acked' }
  | { kind: 'ended'; cause: EndCause }
  | { kind: 'problem'; reason: string };

/** How the indoor station is set up. */
export interface IndoorStationOptions {
  /** Loopback address to bind SIP and RTP to; ports are chosen by the system. */
  host: string;
  /** Our extension (the user part the door calls). */
  user: string;
  /** Digest realm of the registrar. */
  realm: string;
  /** Accounts the registrar knows: user -> password. */
  accounts: Record<string, string>;
  /** Frequency of the tone we send as our voice. */
  toneHz: number;
  /** How long we let it ring before picking up. */
  answerAfterMs: number;
  log: UaLog;
  onEvent(ev: IndoorEvent): void;
}

/** A running indoor station. */
export interface IndoorStation {
  readonly address: string;
  readonly port: number;
  /** Everything heard from the caller so far (8 kHz mono), most recent last. */
  heard(): Int16Array;
  /** Keys digits as telephone-events in the running call; false without a call that negotiated them. */
  sendDtmf(digits: string): boolean;
  /** Ends the current call (BYE once answered). */
  hangup(): void;
  /** Stops everything and closes every socket and timer. */
  close(): Promise<void>;
}

/** Real timers that can all be cancelled at once, so a closed station leaves nothing to keep the process alive. */
function closableTimers(): Timers & { clearAll(): void } {
  const inner = realTimers();
  const live = new Set<TimerHandle>();
  return {
    set(ms, fn) {
      const h: TimerHandle = inner.set(ms, () => {
        live.delete(h);
        fn();
      });
      live.add(h);
      return h;
    },
    clear(h) {
      if (h) live.delete(h);
      inner.clear(h);
    },
    now: () => inner.now(),
    clearAll() {
      for (const h of live) inner.clear(h);
      live.clear();
    },
  };
}

/** The 440 Hz "voice" as an audio source: the media loop pulls one frame at a time. */
function toneSource(freq: number): AudioSource {
  const gen = new ToneGenerator({ sampleRate: SAMPLE_RATE, frequencies: [freq], levelDbfs: -10 });
  return { description: `tone ${freq} Hz`, read: () => gen.next(FRAME_SAMPLES), stats: emptyStats, close: async () => {} };
}

/** A loudspeaker that keeps what it is given, for measuring afterwards. */
function recordingSink(): AudioSink & { samples(): Int16Array } {
  const frames: Int16Array[] = [];
  let total = 0;
  return {
    description: 'memory recording',
    write(frame) {
      if (total + frame.length > MAX_HEARD_SAMPLES) return;
      frames.push(frame.slice());
      total += frame.length;
    },
    stats: emptyStats,
    close: async () => {},
    samples() {
      const out = new Int16Array(total);
      let at = 0;
      for (const f of frames) {
        out.set(f, at);
        at += f.length;
      }
      return out;
    },
  };
}

interface CallState {
  call: IncomingCall;
  socket?: RtpSocket;
  session?: RtpSession;
  loop?: MediaLoop;
  answerTimer?: NodeJS.Timeout;
}

/** Starts the indoor station: SIP on host (system-chosen port), answering calls and REGISTERs. */
export async function startIndoorStation(opts: IndoorStationOptions): Promise<IndoorStation> {
  const timers = closableTimers();
  const sink = recordingSink();
  let ua: UserAgent | undefined;
  let registrar: DemoRegistrar | undefined;
  let current: CallState | undefined;
  let closed = false;

  const transport: SipTransport = await openSipTransport({
    host: opts.host,
    port: 0,
    tcp: false,
    log: opts.log,
    onMessage: (msg, source) => {
      // REGISTER is the registrar's; everything else is the phone's (the UA core).
      if (msg.kind === 'request' && msg.method === 'REGISTER' && registrar) {
        const { response, event } = registrar.handle(msg);
        transport.send(response, source); // with rport the answer goes back to the source (RFC 3581 §4)
        opts.onEvent(event);
        return;
      }
      ua?.receive(msg, source);
    },
  });
  const local = transport.local('UDP');
  const sipUa = new UserAgent({ user: opts.user, domain: local.address, displayName: 'Indoor station', protocol: 'UDP' }, transport, timers, opts.log);
  ua = sipUa;
  registrar = new DemoRegistrar({
    realm: opts.realm,
    users: opts.accounts,
    makeResponse: (req, status, reason, extra) => sipUa.makeResponse(req, status, reason, extra),
  });

  function endMedia(state: CallState): void {
    clearTimeout(state.answerTimer);
    state.loop?.stop();
    state.loop = undefined;
    const s = state.socket;
    state.socket = undefined;
    if (s) void s.close();
  }

  async function answer(state: CallState): Promise<void> {
    const { call } = state;
    let socket: RtpSocket;
    try {
      socket = await openRtpSocket({
        host: opts.host,
        onRtp: (b, from) => state.loop?.onRtp(b, from),
        onRtcp: (b, from) => state.loop?.onRtcp(b, from),
      });
    } catch (e) {
      opts.onEvent({ kind: 'problem', reason: (e as Error).message });
      call.reject(500, 'Server Internal Error');
      return;
    }
    state.socket = socket;
    // Cancelled or closed while the socket was opening: nothing to answer.
    if (call.state !== 'ringing' || closed) return endMedia(state);
    const r = answerOffer(call.offer.toString('utf8'), {
      codecs: ['PCMU', 'PCMA'],
      telephoneEvent: TELEPHONE_EVENT_PT,
      address: opts.host,
      port: socket.port,
      sessionId: String(Date.now()),
      sessionVersion: 1,
      username: opts.user,
      ptimeMs: PTIME_MS,
    });
    const codec = 'error' in r ? undefined : codecByName(r.negotiated.codec);
    if ('error' in r || !codec) {
      opts.onEvent({ kind: 'problem', reason: 'error' in r ? r.error : 'no codec' });
      call.reject(488, 'Not Acceptable Here');
      return endMedia(state);
    }
    const n = r.negotiated;
    const session = new RtpSession({
      codec,
      payloadType: n.payloadType,
      ...(n.telephoneEventPt !== undefined ? { telephoneEventPt: n.telephoneEventPt } : {}),
      ptimeMs: PTIME_MS,
      remote: n.remote,
    });
    state.session = session;
    state.loop = new MediaLoop({
      session,
      socket,
      source: toneSource(opts.toneHz),
      sink,
      remote: n.remote,
      rtcpRemote: { address: n.remote.address, port: n.rtcpPort ?? n.remote.port + 1 },
      ptimeMs: PTIME_MS,
      log: opts.log,
    });
    call.accept(Buffer.from(r.sdp));
    // Media may start with the 2xx (RFC 3264 §5.1): the offerer is already listening.
    state.loop.start();
    opts.onEvent({ kind: 'answered', codec: n.codec, dtmf: session.canSendDtmf });
  }

  sipUa.onIncomingInvite = (req: SipRequest, tx: ServerTransaction) => {
    if (current || closed) {
      tx.respond(sipUa.makeResponse(req, 486, 'Busy Here'));
      return;
    }
    const call: IncomingCall = new IncomingCall(sipUa, req, tx, {
      log: opts.log,
      events: {
        onAcked: () => opts.onEvent({ kind: 'acked' }),
        onEnded: (cause) => {
          endMedia(state);
          if (current === state) current = undefined;
          opts.onEvent({ kind: 'ended', cause });
        },
      },
    });
    const state: CallState = { call };
    current = state;
    call.start();
    opts.onEvent({ kind: 'ringing', from: call.peer });
    state.answerTimer = setTimeout(() => void answer(state), opts.answerAfterMs);
  };

  return {
    address: local.address,
    port: local.port,
    heard: () => sink.samples(),
    sendDtmf(digits) {
      const session = current?.session;
      if (!session?.canSendDtmf || current?.call.state !== 'active') return false;
      session.queueDtmf(digits);
      return true;
    },
    hangup() {
      current?.call.hangup('hung up by the indoor station');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (current) {
        current.call.hangup('indoor station closing');
        endMedia(current);
      }
      sipUa.close();
      timers.clearAll();
      await transport.close();
    },
  };
}

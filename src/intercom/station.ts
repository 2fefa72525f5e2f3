// The door station, assembled: config in, a running SIP user agent, the door's
// behaviour, audio devices and the control surface out. "What happens when the
// button is pressed" is in door.ts; this file feeds it events, carries out its
// timer, relay and log actions, and hands call actions to call-legs.ts. The SIP
// side is opened by sip-side.ts, status and commands are station-control.ts.
import { createVoiceProcessing } from '../audio/dsp/processing.ts';
import { openStationAudio } from './station-audio.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log/logger.ts';
import { TonePlayer } from '../runtime/tone-player.ts';
import { Door, type DoorAction, type DoorEvent, type DoorSettings, type TimerName } from './door.ts';
import { STATION_AUDIO_FORMAT, type StationControl } from './station-api.ts';
import { openDoorHardware } from '../io/door-hardware.ts';
import { toneCommands } from './tone-policy.ts';
import { loadCueSounds } from './tones.ts';
import { callPolicy, codeLockout, doorButtons, doorCodes } from './door-settings.ts';
import { incomingGate, loadAnnouncement } from './incoming-calls.ts';
import { StationEvents } from './station-events.ts';
import { DoorEventLog } from './event-log.ts';
import { CallLegs } from './call-legs.ts';
import { PTIME_MS } from './call-media.ts';
import { openSipSide } from './sip-side.ts';
import { stationControl } from './station-control.ts';
import { StationStartError } from './station-error.ts';

export { StationStartError };

const FORMAT = STATION_AUDIO_FORMAT;

export interface Station extends StationControl {
  /** Hangs up, unregisters and releases every socket and device. */
  stop(): Promise<void>;
  /** Applies a config whose changes reload.ts puts in place: door, buttons, calls, codecs. */
  applyConfig(next: Config): void;
}

/** Starts the door station described by a validated config. */
export async function startStation(config: Config, log: Logger, events = new StationEvents()): Promise<Station> {
  const startedAt = new Date().toISOString();
  const { protocol, transport, local, ua: sipUa, auth, registration, serverLink, initialServer } = await openSipSide(config.sip, log);

  const audio = await openStationAudio(config.audio, log);
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
  let stopping = false;
  const legs = new CallLegs({
    ua: sipUa,
    auth,
    protocol,
    address: local.address,
    sip: config.sip,
    codecs: () => config.audio.codecs,
    serverLink,
    audio,
    voice,
    player,
    log,
    feed: (ev) => feed(ev),
    doorCall: () => door.snapshot().call,
    stopping: () => stopping,
  });

  const feed = (ev: DoorEvent): void => {
    const before = door.snapshot();
    const actions = door.handle(ev, Date.now());
    run(actions);
    if (door.snapshot().call === null) legs.releaseMedia();
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
    const reg = registration.status;
    const { call, door: opener } = door.snapshot();
    hw.indicate(!reg.registered ? 'error' : call === null ? 'idle' : call.state === 'active' ? 'in_call' : 'calling');
    // The speaker carries the ringback tone too, so the amplifier is on from the press.
    hw.amplifier(call !== null);
    // What watchers publish, from state already in memory: this runs ten times a second.
    const key = JSON.stringify([reg.registered, reg.state, reg.lastError, call?.state, call?.peer, opener, hw.contact()]);
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
          const reception = a.event === 'call.ended' ? legs.rtpReception(true) : undefined;
          history.fromLog(a.event, reception ? { ...a.fields, ...reception } : a.fields, new Date());
          break;
        }
        case 'dial':
          void legs.dial(a.leg, a.target);
          break;
        case 'hangup-leg':
          legs.hangupLeg(a.leg, a.reason);
          break;
        case 'connect-media':
          legs.connectMedia(a.leg);
          break;
        case 'answer-incoming':
          legs.answerIncoming(a.leg);
          break;
        case 'transfer-progress':
          legs.transferProgress(a.leg, a.status);
          break;
        case 'reject-incoming':
          legs.rejectIncoming(a.status, a.reason);
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

  serverLink.start(initialServer);

  // Incoming calls: the gate refuses what the policy does not allow before
  // anything rings; an allowed call is answered by the door when it is idle.
  legs.announcement = await loadAnnouncement(config.incoming.announcement, FORMAT).catch((e: Error) => {
    throw new StationStartError(e.message);
  });

  const control = stationControl({
    startedAt,
    config: () => config,
    door,
    feed,
    registration,
    legs,
    history,
    hw,
    audio,
    player,
    events,
    log,
    stopping: () => stopping,
  });
  sipUa.onIncomingInvite = incomingGate({
    config,
    enabled: control.incomingEnabled,
    ua: sipUa,
    log,
    registrar: () => sipUa.identity.outboundProxy?.address,
    onAllowed: (req, tx, caller) => void legs.takeIncoming(req, tx, caller),
    onRefused: (from, source, reason) => history.refused(source, reason, new Date(), from),
  });

  const station: Station = {
    ...control.commands,
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
      while (legs.unreleased && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      serverLink.stop();
      await registration.stop();
      for (const t of doorTimers.values()) clearTimeout(t);
      clearInterval(indicator);
      // The opener is de-energised and every line released, whatever state the door was in.
      await hw.close();
      legs.releaseMedia();
      player.close();
      sipUa.close();
      await transport.close();
      await Promise.allSettled([audio.source.close(), audio.sink.close()]);
    },
  };
  return station;
}

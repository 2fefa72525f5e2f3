// What the control surface sees of the station: the status snapshot and the
// commands (press, hangup, open, incoming on/off, audio test). Commands reach
// the door as the same events the hardware sends.
import type { AudioSink, AudioSource } from '../audio/device.ts';
import type { Config } from '../config/schema.ts';
import type { DoorHardware } from '../io/door-hardware.ts';
import type { Logger } from '../log/logger.ts';
import type { TonePlayer } from '../runtime/tone-player.ts';
import type { Registration } from '../sip/registration.ts';
import { captureFrames, heardLevelDbfs, testFrames, testToneSound } from './audio-test.ts';
import type { CallLegs } from './call-legs.ts';
import { PTIME_MS } from './call-media.ts';
import type { Door, DoorEvent } from './door.ts';
import type { DoorEventLog } from './event-log.ts';
import { STATION_AUDIO_FORMAT, type CommandResult, type StationControl, type StationStatus } from './station-api.ts';
import type { StationEvents } from './station-events.ts';

const FORMAT = STATION_AUDIO_FORMAT;

export interface StationControlOptions {
  startedAt: string;
  /** The config in effect now: a reload replaces it. */
  config: () => Config;
  door: Pick<Door, 'snapshot'>;
  /** Hands an event to the door and carries out its actions. */
  feed: (ev: DoorEvent) => void;
  registration: Pick<Registration, 'status'>;
  legs: Pick<CallLegs, 'hasMedia' | 'mediaStatus'>;
  history: Pick<DoorEventLog, 'recent'>;
  hw: Pick<DoorHardware, 'snapshot'>;
  audio: { source: AudioSource; sink: AudioSink };
  player: Pick<TonePlayer, 'play'>;
  events: StationEvents;
  log: Logger;
  stopping: () => boolean;
}

export type StationCommands = Required<Omit<StationControl, 'reload'>>;

/** The commands and status; `incomingEnabled` is the run-time switch the incoming gate reads. */
export function stationControl(o: StationControlOptions): { commands: StationCommands; incomingEnabled: () => boolean } {
  const { door, feed, log } = o;
  // Switched at run time (`intercom incoming on|off`, MQTT); a restart goes back to the config.
  let incomingEnabled = o.config().incoming.enabled;
  let audioTesting = false;
  const commands: StationCommands = {
    status(): StationStatus {
      const reg = o.registration.status;
      const snap = door.snapshot();
      return {
        registered: reg.registered,
        startedAt: o.startedAt,
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
          ...o.legs.mediaStatus(snap.call.state === 'active'),
        },
        door: snap.door,
        incoming: { enabled: incomingEnabled },
        events: o.history.recent(),
        hardware: o.hw.snapshot(),
        audio: { input: o.audio.source.stats(), output: o.audio.sink.stats() },
      };
    },
    press(button?: string): CommandResult {
      const config = o.config();
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
      o.events.emit({ type: 'state' });
      return { ok: true, detail: enabled && o.config().incoming.allow.length === 0 ? 'enabled, but incoming.allow lists nobody' : `incoming calls ${enabled ? 'enabled' : 'disabled'}` };
    },
    async audioTest() {
      // Between calls the speaker is the tone player's and nobody reads the microphone.
      if (door.snapshot().call !== null || o.legs.hasMedia) return { ok: false, error: 'a call is in progress; the audio test runs only between calls' };
      if (audioTesting) return { ok: false, error: 'an audio test is already running' };
      if (o.stopping()) return { ok: false, error: 'the station is stopping' };
      audioTesting = true;
      try {
        const frames = testFrames(PTIME_MS);
        o.player.play(testToneSound(FORMAT));
        const captured = await captureFrames(o.audio.source, frames, PTIME_MS, () => {
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
  };
  return { commands, incomingEnabled: () => incomingEnabled };
}

// What the outside interface (CLI, control socket, later MQTT) may ask of a running door station.
import type { AudioFormat } from '../audio/device.ts';
import type { HardwareSnapshot } from '../io/door-hardware.ts';

import type { AudioTestResult } from './audio-test.ts';
import type { DoorLogEntry } from './event-log.ts';
import type { ProvisioningStatus } from '../provisioning/provisioner.ts';
import type { MqttLinkState } from '../mqtt/link.ts';

/** The sound card's format for the life of the station; `intercom doctor` opens the devices at the same one. */
export const STATION_AUDIO_FORMAT: AudioFormat = { sampleRate: 16000, frameSamples: 320 };

export type CallState = 'calling' | 'ringing' | 'active';

export interface StationStatus {
  registered: boolean;
  /** When this station started; a reload that restarts the SIP side starts a new one (and its counters). */
  startedAt?: string;
  /**
   * `lastError`: why the last registration attempt failed, when it did (e.g. "authentication failed").
   * `failures`: attempts that failed since the station (re)started.
   */
  registration: { state: string; lastError?: string; expiresAt?: string; failures?: number };
  /**
   * `codec`: what the answered call negotiated (e.g. "G722"), and `rtp` its reception so far, once media runs;
   * `rtcp`: reports sent and received, and what the peer's last report said;
   * `srtp`: present when the media is encrypted, with the packets refused.
   */
  call: null | { state: CallState; peer: string; since: string; codec?: string; rtp?: RtpReception; rtcp?: RtcpCounters; srtp?: { dropped: number } };
  door: { open: boolean; opened: number };
  /** Whether incoming calls are taken now (incoming.enabled, or as switched at run time). */
  incoming?: { enabled: boolean };
  /** Recent presses, calls, door openings and refused attempts, oldest first. */
  events?: DoorLogEntry[];
  /** GPIO backend and the live state of every configured input and output. */
  hardware?: HardwareSnapshot;
  /** What the sound card survived since start: frames made up (underruns), dropped (overruns), stream errors. */
  audio?: { input: AudioCounters; output: AudioCounters };
  /** Where the config came from, when it is provisioned: last fetch, its result, the document's hash. */
  provisioning?: ProvisioningStatus;
  /** The link to the MQTT broker, when one is configured: connected, or why not. */
  mqtt?: MqttLinkState;
}

/** What a call's media received (RFC 3550 §6.4.1 receiver statistics). */
export interface RtpReception {
  packetsReceived: number;
  packetsLost: number;
  /** Interarrival jitter (RFC 3550 §A.8), in milliseconds. */
  jitterMs: number;
}

/** RTCP of the call's media (RFC 3550 §6.4): reports sent, valid reports received, the peer's view of our stream. */
export interface RtcpCounters {
  sent: number;
  received: number;
  /** Round trip from the peer's last report block about our stream. */
  rttMs?: number;
  /** Fraction of our packets the peer lost in its last interval, 0-1. */
  peerLoss?: number;
}

/** Counters of one audio direction; they only grow. */
export interface AudioCounters {
  underruns: number;
  overruns: number;
  errors: number;
}

/** Result of a command: ok, or a one-line reason it was not carried out. */
export type CommandResult = { ok: true; detail?: string } | { ok: false; error: string };

export interface StationControl {
  status(): StationStatus;
  /** Same effect as pressing that button (default: the first configured one). */
  press(button?: string): CommandResult;
  /** Ends the current call, if any. */
  hangup(): CommandResult;
  /** Pulses the door opener; `by` names who asked, for the log and history (default "command": the control socket). */
  open(by?: string): CommandResult;
  /** Takes or refuses incoming calls until the next restart or reload (absent where the station cannot). */
  setIncoming?(enabled: boolean): CommandResult;
  /** Re-reads the config file and applies it (absent where the host cannot reload). */
  reload?(): Promise<CommandResult>;
  /** Plays the doctor's test tone and measures what the microphone heard; refused during a call. */
  audioTest?(): Promise<{ ok: true; audioTest: AudioTestResult } | { ok: false; error: string }>;
}

// What the metrics endpoint counts, worked out from the station's events and
// status. Pure: the watcher feeds it each event with the status of the moment
// and asks it for the exposition text; no clock, no sockets.
//
// It lives as long as the process. A reload that restarts the SIP side builds
// a new station whose own counters (registration failures, audio underruns...)
// start again from zero; those are followed as deltas, so the totals here only
// grow, as Prometheus counters must.
import type { DoorLogEntry } from '../intercom/event-log.ts';
import type { StationStatus } from '../intercom/station-api.ts';
import type { StationEvent } from '../intercom/station-events.ts';
import { Histogram, writeExposition, type MetricFamily, type Sample } from './exposition.ts';

export interface BuildInfo {
  version: string;
  /** Node.js version the station runs on. */
  node: string;
  /** When the process started, seconds since the epoch. */
  startTimeS: number;
}

/** Results a call is counted under, per direction; every pair is shown from the start (at 0). */
const CALL_RESULTS = {
  outgoing: ['answered', 'no-answer', 'busy', 'failed', 'cancelled'],
  incoming: ['answered', 'refused'],
} as const;
type Direction = keyof typeof CALL_RESULTS;

/** Final SIP statuses that mean the callee would not take the call (RFC 3261 §21.4.24, §21.6). */
const BUSY_STATUSES = new Set([486, 600, 603]);

/** Ways the door opens, as the station names them (the part before ':' in `by`); anything else is "other". */
export const OPEN_METHODS = ['dtmf', 'card', 'keypad', 'exit-button', 'command', 'mqtt', 'other'] as const;

/** Why an incoming call was refused (incoming-policy.ts), plus busy: the door was in a call. */
const REFUSAL_REASONS = ['not-from-registrar', 'disabled', 'not-allowed', 'busy', 'other'] as const;

/** Registration states shown as an enum (`starting` while no station runs yet). */
const REGISTRATION_STATES = ['starting', 'idle', 'registering', 'registered', 'failed', 'unregistering', 'stopped', 'other'] as const;

/** Talk time of answered calls, seconds: from a quick "who is it?" to calls.max_duration's range. */
export const CALL_DURATION_BUCKETS = [5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

/** At most this many distinct button names get a series of their own. */
const MAX_BUTTONS = 32;

/** A station's counter that starts again from zero with each new station; the total carries on. */
class Carried {
  private last = 0;
  total = 0;

  follow(current: number | undefined): void {
    if (current === undefined || !Number.isFinite(current)) return;
    this.total += current >= this.last ? current - this.last : current;
    this.last = current;
  }

  /** A new station: its counts are all new. */
  restart(): void {
    this.last = 0;
  }
}

interface AudioCarried {
  underruns: Carried;
  overruns: Carried;
  errors: Carried;
}

const audioCarried = (): AudioCarried => ({ underruns: new Carried(), overruns: new Carried(), errors: new Carried() });

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function oneOf<T extends string>(list: readonly T[], v: string, fallback: T): T {
  return (list as readonly string[]).includes(v) ? (v as T) : fallback;
}

export class StationMetrics {
  private readonly calls = new Map<string, number>();
  private readonly duration = new Histogram(CALL_DURATION_BUCKETS);
  private readonly openings = new Map<string, number>(OPEN_METHODS.map((m) => [m, 0]));
  private readonly refusals = new Map<string, number>(REFUSAL_REASONS.map((r) => [r, 0]));
  private readonly presses = new Map<string, number>();
  private codesWrong = 0;
  private lockouts = 0;
  private readonly registrationFailures = new Carried();
  /** The station whose counters are followed (its start time). */
  private station?: string;
  private readonly audio = { input: audioCarried(), output: audioCarried() };
  /** Finished calls' reception; the call in progress is added when shown. */
  private rtpDone = { received: 0, lost: 0 };
  /** What was last shown, so a figure never goes back (a transferred call's media starts afresh). */
  private rtpShown = { received: 0, lost: 0 };
  private lastJitterMs?: number;
  /** The answered call in progress came in (its end is then counted as incoming). */
  private answeredIncoming = false;
  /** The newest refusal: repeats fold into it with a count, which only the status shows. */
  private lastRefusal?: { at: string; raw: unknown; reason: string; counted: number };

  constructor(
    private readonly build: BuildInfo,
    buttons: readonly string[] = [],
  ) {
    for (const [direction, results] of Object.entries(CALL_RESULTS)) for (const r of results) this.calls.set(`${direction}\u0000${r}`, 0);
    for (const b of buttons.slice(0, MAX_BUTTONS)) this.presses.set(b, 0);
  }

  /** Takes one station event with the status of that moment. */
  observe(event: StationEvent, status: StationStatus): void {
    this.follow(status);
    if (event.type === 'history') this.record(event.entry);
  }

  /** The exposition text for a scrape. */
  render(status: StationStatus): string {
    this.follow(status);
    return writeExposition(this.families(status));
  }

  /** Counters kept by the station itself, and folded refusals. */
  private follow(status: StationStatus): void {
    if (status.startedAt !== this.station) {
      this.station = status.startedAt;
      for (const c of [this.registrationFailures, ...Object.values(this.audio).flatMap((a) => Object.values(a))]) c.restart();
    }
    this.registrationFailures.follow(status.registration.failures);
    if (status.audio) {
      for (const dir of ['input', 'output'] as const) {
        const now = status.audio[dir];
        const c = this.audio[dir];
        c.underruns.follow(now.underruns);
        c.overruns.follow(now.overruns);
        c.errors.follow(now.errors);
      }
    }
    const r = this.lastRefusal;
    const entry = r && status.events?.find((e) => e.kind === 'refused' && e.at === r.at && e['reason'] === r.raw);
    const count = entry ? (num(entry['count']) ?? 1) : undefined;
    if (r && count !== undefined && count > r.counted) {
      this.refusals.set(r.reason, (this.refusals.get(r.reason) ?? 0) + count - r.counted);
      this.bump('incoming', 'refused', count - r.counted);
      r.counted = count;
    }
  }

  private record(e: DoorLogEntry): void {
    switch (e.kind) {
      case 'press': {
        const button = typeof e['button'] === 'string' ? e['button'] : '';
        if (this.presses.has(button) || this.presses.size < MAX_BUTTONS) this.presses.set(button, (this.presses.get(button) ?? 0) + 1);
        return;
      }
      case 'answered':
        this.answeredIncoming = e['incoming'] === true;
        return;
      case 'no-answer':
        this.bump('outgoing', 'no-answer');
        return;
      case 'call-ended':
        this.callEnded(e);
        return;
      case 'door-opened': {
        const method = oneOf(OPEN_METHODS, String(e['by'] ?? '').split(':')[0] ?? '', 'other');
        this.openings.set(method, (this.openings.get(method) ?? 0) + 1);
        return;
      }
      case 'code-wrong':
        this.codesWrong += 1;
        return;
      case 'code-lockout':
        this.lockouts += 1;
        return;
      case 'refused': {
        // The station's incoming.busy entry names no reason: the door was in a call.
        const reason = oneOf(REFUSAL_REASONS, typeof e['reason'] === 'string' ? e['reason'] : 'busy', 'other');
        this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
        this.bump('incoming', 'refused');
        this.lastRefusal = { at: e.at, raw: e['reason'], reason, counted: 1 };
        return;
      }
      default:
        return;
    }
  }

  private callEnded(e: DoorLogEntry): void {
    const received = num(e['packetsReceived']);
    if (received !== undefined) {
      this.rtpDone.received += received;
      this.rtpDone.lost += num(e['packetsLost']) ?? 0;
      const jitter = num(e['jitterMs']);
      if (jitter !== undefined) this.lastJitterMs = jitter;
    }
    if (e['answered'] === true) {
      this.bump(this.answeredIncoming ? 'incoming' : 'outgoing', 'answered');
      const d = num(e['durationS']);
      if (d !== undefined) this.duration.observe(d);
      this.answeredIncoming = false;
      return;
    }
    const status = num(e['status']);
    const result = e['by'] === 'local' ? 'cancelled' : status !== undefined && BUSY_STATUSES.has(status) ? 'busy' : 'failed';
    this.bump('outgoing', result);
  }

  private bump(direction: Direction, result: string, by = 1): void {
    const key = `${direction}\u0000${result}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + by);
  }

  private rtp(status: StationStatus): { received: number; lost: number; jitterMs?: number } {
    const now = status.call?.rtp;
    this.rtpShown = {
      received: Math.max(this.rtpShown.received, this.rtpDone.received + (now?.packetsReceived ?? 0)),
      lost: Math.max(this.rtpShown.lost, this.rtpDone.lost + (now?.packetsLost ?? 0)),
    };
    const jitterMs = now?.jitterMs ?? this.lastJitterMs;
    return { ...this.rtpShown, ...(jitterMs !== undefined ? { jitterMs } : {}) };
  }

  private families(status: StationStatus): MetricFamily[] {
    const rtp = this.rtp(status);
    const reg = oneOf(REGISTRATION_STATES, status.registration.state, 'other');
    const counts = (m: Map<string, number>, label: string): Sample[] => [...m].map(([k, value]) => ({ labels: { [label]: k }, value }));
    const audio = (what: keyof AudioCarried): Sample[] =>
      (['input', 'output'] as const).map((direction) => ({ labels: { direction }, value: this.audio[direction][what].total }));
    return [
      { name: 'intercom_build_info', type: 'gauge', help: 'Always 1; the labels say which version runs on which Node.js.', samples: [{ labels: { version: this.build.version, node: this.build.node }, value: 1 }] },
      { name: 'intercom_start_time_seconds', type: 'gauge', help: 'When the intercom process started, in seconds since the Unix epoch.', samples: [{ value: this.build.startTimeS }] },
      { name: 'intercom_sip_registered', type: 'gauge', help: '1 while the door is registered with the SIP server, else 0.', samples: [{ value: status.registered ? 1 : 0 }] },
      {
        name: 'intercom_sip_registration_state',
        type: 'gauge',
        help: 'The registration state: 1 for the current state, 0 for the others.',
        samples: REGISTRATION_STATES.map((state) => ({ labels: { state }, value: state === reg ? 1 : 0 })),
      },
      { name: 'intercom_sip_registration_failures_total', type: 'counter', help: 'Registration attempts that failed (timeouts, refusals, wrong password), retries included.', samples: [{ value: this.registrationFailures.total }] },
      { name: 'intercom_call_in_progress', type: 'gauge', help: '1 while a call rings or runs, else 0.', samples: [{ value: status.call ? 1 : 0 }] },
      {
        name: 'intercom_calls_total',
        type: 'counter',
        help: 'Calls by direction and result: answered, no-answer, busy (486/600/603), failed, cancelled (ended at the door before an answer), refused (incoming).',
        samples: [...this.calls].map(([key, value]) => {
          const [direction = '', result = ''] = key.split('\u0000');
          return { labels: { direction, result }, value };
        }),
      },
      { name: 'intercom_call_duration_seconds', type: 'histogram', help: 'Talk time of answered calls, from the answer to the hang-up, in seconds.', series: [this.duration.snapshot()] },
      { name: 'intercom_button_presses_total', type: 'counter', help: 'Presses of each bell button (ignored presses included).', samples: counts(this.presses, 'button') },
      { name: 'intercom_rtp_packets_received_total', type: 'counter', help: 'RTP packets received in calls (RFC 3550 receiver statistics).', samples: [{ value: rtp.received }] },
      { name: 'intercom_rtp_packets_lost_total', type: 'counter', help: 'RTP packets that never arrived in calls (RFC 3550 §A.3).', samples: [{ value: rtp.lost }] },
      ...(rtp.jitterMs !== undefined
        ? [{ name: 'intercom_rtp_jitter_seconds', type: 'gauge' as const, help: 'Interarrival jitter of the call in progress, or of the last call (RFC 3550 §A.8), in seconds.', samples: [{ value: rtp.jitterMs / 1000 }] }]
        : []),
      { name: 'intercom_audio_underruns_total', type: 'counter', help: 'Audio frames the sound card needed and did not get (made up with silence), by direction.', samples: audio('underruns') },
      { name: 'intercom_audio_overruns_total', type: 'counter', help: 'Audio frames dropped because nobody took them in time, by direction.', samples: audio('overruns') },
      { name: 'intercom_audio_errors_total', type: 'counter', help: 'Sound card stream errors, by direction.', samples: audio('errors') },
      { name: 'intercom_door_open', type: 'gauge', help: '1 while the door opener is energised, else 0.', samples: [{ value: status.door.open ? 1 : 0 }] },
      { name: 'intercom_door_openings_total', type: 'counter', help: 'Door openings by method: dtmf, card, keypad, exit-button, command (intercom open, control socket), mqtt, other.', samples: counts(this.openings, 'method') },
      { name: 'intercom_door_codes_wrong_total', type: 'counter', help: 'Wrong door codes keyed in during calls.', samples: [{ value: this.codesWrong }] },
      { name: 'intercom_door_code_lockouts_total', type: 'counter', help: 'Times too many wrong codes locked the keys out.', samples: [{ value: this.lockouts }] },
      { name: 'intercom_incoming_refused_total', type: 'counter', help: 'Incoming calls refused, by reason: not-from-registrar (a scanner), disabled, not-allowed, busy.', samples: counts(this.refusals, 'reason') },
    ];
  }
}

// `intercom demo`: a whole door call on this one machine, explained as it
// happens, for someone who has never seen the project. Nothing is needed but
// Node: the household's phone and SIP server are played by a small "indoor
// station" built from our own SIP core (demo-indoor-station.ts), and the door
// is the real station (station.ts) with a test tone as its microphone and a
// WAV file as its loudspeaker. Everything runs on loopback addresses with
// ports chosen by the system, and is torn down again whatever happens.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav, readWavFile } from '../audio/wav.ts';
import { validateConfig } from '../config/load.ts';
import { createLogger, type LogSink } from '../log/logger.ts';
import { ToneGenerator } from '../media/tone.ts';
import { startIndoorStation, type IndoorEvent, type IndoorStation } from './demo-indoor-station.ts';
import { measureTone, type ToneMeasurement } from './demo-measure.ts';
import { startStation, type Station } from './station.ts';

const INDOOR_HOST = '127.0.0.1';
const DOOR_HOST = '127.0.0.2';
const INDOOR_USER = '101';
const DOOR_USER = 'door';
const DOOR_CODE = '7394';
const DOOR_TONE_HZ = 1000;
const INDOOR_TONE_HZ = 440;
const SAMPLE_RATE = 8000;
const TALK_MS = 2000;
/** A tone counts as heard when it is this loud, this close to its frequency, and most of what is heard. */
const MIN_LEVEL_DBFS = -30;
const MAX_FREQ_ERROR_HZ = 5;
const MIN_PURITY = 0.5;
/** How long any one step may take before the demonstration gives up on it. */
const STEP_TIMEOUT_MS = 4000;

/** A step that did not happen in time; its message says which. */
class StepFailed extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` gives a value, or fails the step after `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined | false, ms = STEP_TIMEOUT_MS): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new StepFailed(`${what} did not happen within ${ms / 1000} s`);
    await sleep(20);
  }
}

/** Bounds a promise that should settle quickly (a shutdown), so the demo always ends. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = p.then(
    () => true,
    () => false,
  );
  const ok = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return ok;
}

/** One second of a -10 dBFS 1 kHz sine that loops without a click: whole periods, no fade-in. */
function loopableTone(): Int16Array {
  const gen = new ToneGenerator({ sampleRate: SAMPLE_RATE, frequencies: [DOOR_TONE_HZ], levelDbfs: -10 });
  gen.next(32); // the generator's 4 ms fade-in, four whole periods of 1 kHz
  return gen.next(SAMPLE_RATE);
}

/** The last `seconds` of a recording. */
function tail(samples: Int16Array, seconds: number): Int16Array {
  return samples.subarray(Math.max(0, samples.length - Math.round(seconds * SAMPLE_RATE)));
}

function describeTone(m: ToneMeasurement | undefined): string {
  if (!m) return 'silence';
  return `${m.frequencyHz.toFixed(0)} Hz at ${m.levelDbfs.toFixed(1)} dBFS (${Math.round(m.purity * 100)}% of the sound)`;
}

function toneHeard(m: ToneMeasurement | undefined, freq: number): boolean {
  return !!m && Math.abs(m.frequencyHz - freq) <= MAX_FREQ_ERROR_HZ && m.levelDbfs >= MIN_LEVEL_DBFS && m.purity >= MIN_PURITY;
}

/** Runs the self-contained demonstration, reporting each step through `out`; true when it succeeded. */
export async function runDemo(out: (line: string) => void): Promise<boolean> {
  const started = performance.now();
  let stepNo = 0;
  const step = (title: string, ...explanation: string[]) => {
    stepNo++;
    out(`${String(stepNo).padStart(2)}. ${title}`);
    for (const line of explanation) out(`    ${line}`);
  };
  const verdict = { registered: false, doorToIndoor: false, indoorToDoor: false, doorOpened: false };

  const dir = mkdtempSync(join(tmpdir(), 'intercom-demo-'));
  const events: IndoorEvent[] = [];
  const seen = <K extends IndoorEvent['kind']>(kind: K) => events.find((e): e is Extract<IndoorEvent, { kind: K }> => e.kind === kind);
  let indoor: IndoorStation | undefined;
  let station: Station | undefined;
  let stationStopped = false;

  // The door's own log: only warnings and errors, shown in line with the story.
  const doorLog: LogSink = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line.trim()) out(`    (door log) ${line.replace(/^ts=\S+ /, '')}`);
      return true;
    },
  };
  // The indoor station only speaks up about problems.
  const indoorLog = {
    debug() {},
    info() {},
    warn(event: string, fields?: Record<string, unknown>) {
      out(`    (indoor station) ${event} ${fields ? JSON.stringify(fields) : ''}`.trimEnd());
    },
  };

  out('Intercom demonstration: one complete door call, on this computer only.');
  out('No SIP server, no phone and no sound card are needed: two SIP programs talk');
  out(`to each other over the loopback network (${INDOOR_HOST} and ${DOOR_HOST}).`);
  out('');
  try {
    const password = randomBytes(9).toString('base64url');
    indoor = await startIndoorStation({
      host: INDOOR_HOST,
      user: INDOOR_USER,
      realm: 'intercom-demo',
      accounts: { [DOOR_USER]: password },
      toneHz: INDOOR_TONE_HZ,
      answerAfterMs: 700,
      log: indoorLog,
      onEvent: (e) => events.push(e),
    });
    step(
      `Indoor station ready at ${indoor.address}:${indoor.port}`,
      `It plays the phone inside the flat, extension ${INDOOR_USER}. It is also the SIP`,
      'registrar: the server a door station signs in to, so calls can find it.',
    );

    const toneWav = join(dir, 'door-microphone-1khz.wav');
    const heardWav = join(dir, 'door-loudspeaker.wav');
    writeFileSync(toneWav, encodeWav(loopableTone(), SAMPLE_RATE));
    const checked = validateConfig(
      {
        sip: { server: `${indoor.address}:${indoor.port}`, user: DOOR_USER, password, listen: DOOR_HOST },
        buttons: [{ name: 'bell', call: [INDOOR_USER] }],
        audio: { input: `file:${toneWav}`, output: `file:${heardWav}` },
        control: { socket: join(dir, 'control.sock') },
        door: { open_ms: 1000, codes: [DOOR_CODE] },
        calls: { ring_timeout: 5, max_duration: 30 },
        log: { level: 'warn' },
      },
      dir,
      'demo config',
    );
    if (!checked.ok) throw new StepFailed(`the demo's own config is invalid: ${checked.errors.join('; ')}`);
    station = await startStation(checked.config, createLogger({ level: 'warn', format: 'text', stream: doorLog, journal: false }));
    step(
      `Door station started on ${DOOR_HOST}`,
      'This is the real door firmware, the same code that runs on a Raspberry Pi.',
      `Its microphone is a WAV file with a ${DOOR_TONE_HZ} Hz test tone; its loudspeaker`,
      'is recorded to a WAV file, so what it hears can be measured.',
    );

    const reg = await waitFor('registration', () => station?.status().registered && seen('registered'));
    verdict.registered = true;
    const challenge = seen('challenged');
    step(
      'Registered, with digest authentication',
      `The door sent REGISTER; the indoor station answered "401 Unauthorized" with a`,
      `challenge (${challenge?.algorithms.join(' or ') ?? 'digest'}). The door answered with a ${reg.algorithm} digest that`,
      'proves it knows the password without sending it; the indoor station checked it',
      `and accepted ${reg.aor} at ${reg.contact.replace(/^sip:[^@]*@/, '')}.`,
    );

    const pressed = station.press();
    if (!pressed.ok) throw new StepFailed(`the button press was refused: ${pressed.error}`);
    step(
      'Button pressed',
      `As if a visitor rang the bell: the door sends an INVITE to sip:${INDOOR_USER}@${INDOOR_HOST},`,
      'offering audio (G.711 PCMU and PCMA) and DTMF key events in its SDP.',
    );

    const ring = await waitFor('ringing', () => (station?.status().call?.state === 'ringing' ? seen('ringing') : undefined));
    step('Indoor station rings', `It answered "180 Ringing" to the call from ${ring.from}.`);

    const answered = await waitFor('the answer', () => seen('answered'));
    await waitFor('the ACK', () => seen('acked') && station?.status().call?.state === 'active');
    step(
      'Answered',
      `The indoor station picked up: "200 OK" with its SDP answer (${answered.codec}${answered.dtmf ? ' and DTMF' : ''}),`,
      'and the door confirmed with ACK. Audio now flows both ways as RTP packets,',
      `50 per second in each direction: the door sends its ${DOOR_TONE_HZ} Hz tone, the indoor`,
      `station a ${INDOOR_TONE_HZ} Hz tone as its "voice".`,
    );

    await sleep(TALK_MS);
    // The last second of each side: past the start of the stream, while both still talk.
    const indoorHeard = measureTone(tail(indoor.heard(), 1), SAMPLE_RATE);
    // The door's recording is still being written; its header is brought up to date every second.
    const doorRecording = await readWavFile(heardWav).catch(() => undefined);
    const doorHeard = doorRecording ? measureTone(tail(doorRecording.samples, 1), doorRecording.sampleRate) : undefined;
    verdict.doorToIndoor = toneHeard(indoorHeard, DOOR_TONE_HZ);
    verdict.indoorToDoor = toneHeard(doorHeard, INDOOR_TONE_HZ);
    const mark = (ok: boolean) => (ok ? 'ok' : 'NOT HEARD');
    step(
      `Audio measured after ${TALK_MS / 1000} s of talking (frequency and level of what each side heard)`,
      `indoor station heard: ${describeTone(indoorHeard)}`,
      `  -> the door's microphone (${DOOR_TONE_HZ} Hz expected): ${mark(verdict.doorToIndoor)}`,
      `door heard:           ${describeTone(doorHeard)}`,
      `  -> the indoor station's voice (${INDOOR_TONE_HZ} Hz expected): ${mark(verdict.indoorToDoor)}`,
    );

    if (!indoor.sendDtmf(DOOR_CODE)) throw new StepFailed('the call did not negotiate DTMF (telephone-event), so no code can be keyed');
    step(
      'Door code keyed',
      `The person inside types ${DOOR_CODE} on the phone. The indoor station sends the keys as`,
      'DTMF events (the key tones of a telephone, RFC 4733) inside the RTP audio stream.',
    );

    const door = await waitFor('the door opening', () => {
      const d = station?.status().door;
      return d && d.opened > 0 ? d : undefined;
    });
    verdict.doorOpened = true;
    step('Door opened', `The door recognised the code and energised the door opener (opened ${door.opened} time${door.opened === 1 ? '' : 's'}).`);

    await sleep(300);
    indoor.hangup();
    await waitFor('the hang-up', () => seen('ended') && station?.status().call === null);
    step('Hung up', 'The indoor station sent BYE; the door answered "200 OK" and ended its call.');

    stationStopped = true;
    const stopped = await within(station.stop(), 8000);
    const unregistered = seen('unregistered');
    step(
      unregistered ? 'Unregistered' : 'Door station stopped (its sign-out was not seen)',
      unregistered
        ? 'The door station shut down the way it does on SIGTERM: it signed out with REGISTER'
        : 'The door station shut down without the indoor station seeing its REGISTER Expires: 0.',
      ...(unregistered ? [`Expires: 0 (the indoor station removed ${unregistered.aor}) and closed its sockets.`] : []),
      ...(stopped ? [] : ['(it took too long to stop)']),
    );
  } catch (e) {
    const reason = e instanceof StepFailed ? e.message : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    out('');
    out(`The demonstration stopped early: ${reason}.`);
    const problem = seen('problem');
    if (problem) out(`The indoor station reported: ${problem.reason}`);
    const refused = seen('refused');
    if (refused) out(`The registrar refused the door: ${refused.reason}`);
  } finally {
    if (station && !stationStopped) await within(station.stop(), 8000);
    if (indoor) await within(indoor.close(), 3000);
    rmSync(dir, { recursive: true, force: true });
  }
  step('Stopped', 'The indoor station is closed and the temporary files are removed.');

  const ok = verdict.registered && verdict.doorToIndoor && verdict.indoorToDoor && verdict.doorOpened;
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  out('');
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  out(
    `Result: registration ${yes(verdict.registered)}, audio door->indoor ${yes(verdict.doorToIndoor)}, ` +
      `audio indoor->door ${yes(verdict.indoorToDoor)}, door opened ${yes(verdict.doorOpened)} (${secs} s).`,
  );
  out(ok ? 'Everything worked.' : 'Something did not work; see the steps above.');
  return ok;
}

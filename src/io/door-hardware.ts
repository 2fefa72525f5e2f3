// The one owner of the door's peripherals: buttons, exit button and door
// contact in; opener relay, status LEDs and amplifier enable out; card readers
// and keypads (readers.ts) on serial ports. It claims the outputs first and
// inactive (the opener is de-energised before anything else happens),
// debounces the inputs and turns them into door events, and drives every
// output inactive on close and on any process exit it sees.
// A line that cannot be claimed is one error line naming its key; the rest of
// the door keeps working.
import type { Config } from '../config/schema.ts';
import type { InputLine, OutputLine } from '../config/hardware-schema.ts';
import type { Logger } from '../log/logger.ts';
import { realTimers, type Timers } from '../sip/clock.ts';
import { Debouncer } from './debounce.ts';
import { GpioError, type GpioBackend, type GpioInput, type GpioOutput } from './gpio.ts';
import { openGpioBackend } from './gpio-registry.ts';
import { openReaders, type ReaderState } from './readers.ts';

/** What the station is told about the inputs. */
export interface HardwareEvents {
  /** A debounced press of a doorbell button. */
  press(button: string): void;
  /** A debounced press of the exit button. */
  exit(): void;
  /** An accepted card or keypad PIN ("card:front", "keypad:gate"). */
  open(by: string): void;
}

/** Which status LED is lit. */
export type Indication = 'error' | 'idle' | 'calling' | 'in_call';

/** One configured line as status reports it. */
export interface LineState {
  key: string;
  chip: string;
  line: number;
  /** Logical state (true = active); undefined when the line could not be claimed. */
  active?: boolean;
  error?: string;
}

/** Live state for `intercom status` and `intercom hw`. */
export interface HardwareSnapshot {
  /** The board profile named in the config, if any. */
  profile?: string;
  backend: string | null;
  error?: string;
  door_contact?: 'closed' | 'open' | 'unknown';
  inputs: LineState[];
  outputs: LineState[];
  readers: ReaderState[];
}

/** The door's peripherals as the station drives them. */
export interface DoorHardware {
  /** Energises or releases the door opener. */
  setRelay(energised: boolean): void;
  /** Lights the LED of this state and darkens the others. */
  indicate(state: Indication): void;
  /** Switches the amplifier enable. */
  amplifier(on: boolean): void;
  snapshot(): HardwareSnapshot;
  /** The door contact as debounced (no line is read); undefined when none is configured. */
  contact(): HardwareSnapshot['door_contact'];
  /** Drives every output inactive and releases all lines. */
  close(): Promise<void>;
}

const CONSUMER = 'intercom';

interface ClaimedInput {
  key: string;
  cfg: InputLine;
  input?: GpioInput;
  debouncer?: Debouncer;
  error?: string;
}

interface ClaimedOutput {
  key: string;
  cfg: OutputLine;
  output?: GpioOutput;
  error?: string;
}

function configuredLines(config: Config): { inputs: Array<[string, InputLine]>; outputs: Array<[string, OutputLine]> } {
  const inputs: Array<[string, InputLine]> = [];
  const outputs: Array<[string, OutputLine]> = [];
  // The opener first: it is the one output that must never be left on.
  if (config.door.relay) outputs.push(['door.relay', config.door.relay]);
  for (const [name, led] of Object.entries(config.gpio.leds)) if (led) outputs.push([`gpio.leds.${name}`, led]);
  if (config.gpio.amplifier) outputs.push(['gpio.amplifier', config.gpio.amplifier]);
  config.buttons.forEach((b, i) => {
    if (b.gpio) inputs.push([`buttons[${i}].gpio`, b.gpio]);
  });
  if (config.door.exit_button) inputs.push(['door.exit_button', config.door.exit_button]);
  if (config.door.contact) inputs.push(['door.contact', config.door.contact]);
  return { inputs, outputs };
}

/** Opens the GPIO backend and claims every configured line; never throws for a hardware problem. */
export async function openDoorHardware(
  config: Config,
  log: Logger,
  events: HardwareEvents,
  opts: { timers?: Timers; backend?: GpioBackend } = {},
): Promise<DoorHardware> {
  const timers = opts.timers ?? realTimers();
  const { inputs: inputCfgs, outputs: outputCfgs } = configuredLines(config);
  const outputs: ClaimedOutput[] = outputCfgs.map(([key, cfg]) => ({ key, cfg }));
  const inputs: ClaimedInput[] = inputCfgs.map(([key, cfg]) => ({ key, cfg }));
  let backend: GpioBackend | undefined = opts.backend;
  let backendError: string | undefined;

  if (!backend && (outputs.length > 0 || inputs.length > 0)) {
    try {
      backend = await openGpioBackend(
        { backend: config.gpio.backend, ...(config.gpio.fake_dir ? { fakeDir: config.gpio.fake_dir } : {}) },
        log,
      );
    } catch (e) {
      backendError = e instanceof GpioError ? e.message : `cannot open GPIO: ${(e as Error).message}`;
      log.error('gpio.unavailable', { key: `gpio.backend`, reason: backendError });
    }
  }
  if (backend) log.info('gpio.backend', { backend: backend.name });

  for (const o of outputs) {
    if (!backend) {
      o.error = backendError;
      continue;
    }
    try {
      o.output = backend.output({ chip: o.cfg.chip, line: o.cfg.line, activeLow: o.cfg.active_low, consumer: CONSUMER });
      log.info('gpio.output', { key: o.key, chip: o.cfg.chip, line: o.cfg.line, state: 'inactive' });
    } catch (e) {
      o.error = (e as Error).message;
      log.error('gpio.unavailable', { key: o.key, reason: o.error });
    }
  }

  const contactState = (): 'closed' | 'open' | 'unknown' | undefined => {
    const c = inputs.find((i) => i.key === 'door.contact');
    if (!c) return undefined;
    return c.debouncer ? (c.debouncer.value ? 'closed' : 'open') : 'unknown';
  };

  for (const i of inputs) {
    if (!backend) {
      i.error = backendError;
      continue;
    }
    const ms = i.cfg.debounce_ms ?? config.gpio.debounce_ms;
    const onSettled = (active: boolean): void => {
      if (i.key === 'door.contact') {
        log.info('door.contact', { state: active ? 'closed' : 'open' });
      } else if (i.key === 'door.exit_button') {
        if (active) events.exit();
      } else if (active) {
        const idx = Number(/^buttons\[(\d+)\]/.exec(i.key)?.[1]);
        const name = config.buttons[idx]?.name;
        if (name !== undefined) events.press(name);
      }
    };
    try {
      let debouncer: Debouncer | undefined;
      const input = backend.input(
        { chip: i.cfg.chip, line: i.cfg.line, activeLow: i.cfg.active_low, bias: i.cfg.bias, consumer: CONSUMER },
        (active) => {
          log.debug('gpio.edge', { key: i.key, active });
          debouncer?.edge(active);
        },
      );
      i.input = input;
      debouncer = new Debouncer(timers, ms, input.value(), onSettled, () => input.value());
      i.debouncer = debouncer;
      log.info('gpio.input', { key: i.key, chip: i.cfg.chip, line: i.cfg.line, active: debouncer.value, debounceMs: ms });
    } catch (e) {
      i.error = (e as Error).message;
      log.error('gpio.unavailable', { key: i.key, reason: i.error });
    }
  }
  const contact = contactState();
  if (contact) log.info('door.contact', { state: contact });

  const readers = openReaders(config.readers, config.access, log, (by) => events.open(by));

  const out = (key: string): ClaimedOutput | undefined => outputs.find((o) => o.key === key);
  const drive = (o: ClaimedOutput | undefined, on: boolean): void => {
    if (!o?.output || o.output.get() === on) return;
    try {
      o.output.set(on);
    } catch (e) {
      log.error('gpio.write-failed', { key: o.key, reason: (e as Error).message });
    }
  };

  // Last line of defence on a crash that still runs JavaScript (uncaught
  // exception, process.exit): the ioctl is synchronous, so it happens before exit.
  const onExit = (): void => {
    for (const o of outputs) {
      try {
        o.output?.set(false);
      } catch {
        // exiting anyway
      }
    }
  };
  process.on('exit', onExit);

  let closed = false;
  return {
    setRelay(energised) {
      const relay = out('door.relay');
      if (!relay) return;
      if (!relay.output) {
        log.error('door.relay-unavailable', { energised, reason: relay.error ?? 'not claimed' });
        return;
      }
      drive(relay, energised);
      log.info('door.relay', { energised });
    },
    indicate(state) {
      for (const name of ['error', 'idle', 'calling', 'in_call'] as const) drive(out(`gpio.leds.${name}`), name === state);
    },
    amplifier(on) {
      drive(out('gpio.amplifier'), on);
    },
    contact: contactState,
    snapshot() {
      const value = (f: () => boolean): boolean | undefined => {
        try {
          return f();
        } catch {
          return undefined;
        }
      };
      const door_contact = contactState();
      return {
        ...(config.profile ? { profile: config.profile } : {}),
        backend: backend?.name ?? null,
        ...(backendError ? { error: backendError } : {}),
        ...(door_contact ? { door_contact } : {}),
        inputs: inputs.map((i) => ({
          key: i.key,
          chip: i.cfg.chip,
          line: i.cfg.line,
          ...(i.input ? { active: value(() => i.input!.value()) } : {}),
          ...(i.error ? { error: i.error } : {}),
        })),
        outputs: outputs.map((o) => ({
          key: o.key,
          chip: o.cfg.chip,
          line: o.cfg.line,
          ...(o.output ? { active: o.output.get() } : {}),
          ...(o.error ? { error: o.error } : {}),
        })),
        readers: readers.snapshot(),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const i of inputs) i.debouncer?.close();
      for (const o of outputs) {
        try {
          o.output?.close();
        } catch (e) {
          log.error('gpio.write-failed', { key: o.key, reason: (e as Error).message });
        }
      }
      for (const i of inputs) i.input?.close();
      await readers.close();
      await backend?.close();
      process.off('exit', onExit);
      if (outputs.some((o) => o.key === 'door.relay' && o.output)) log.info('door.relay', { energised: false, reason: 'stopping' });
    },
  };
}

/**
 * Claims every configured output inactive and releases it again: the opener,
 * LEDs and amplifier end up off. Meant for systemd's ExecStopPost=, which runs
 * even after the station was killed outright. Returns one line per output.
 */
export async function driveOutputsOff(config: Config, log: Logger): Promise<{ ok: boolean; lines: string[] }> {
  const { outputs } = configuredLines(config);
  if (outputs.length === 0) return { ok: true, lines: ['no outputs configured'] };
  let backend: GpioBackend;
  try {
    backend = await openGpioBackend({ backend: config.gpio.backend, ...(config.gpio.fake_dir ? { fakeDir: config.gpio.fake_dir } : {}) }, log);
  } catch (e) {
    return { ok: false, lines: [`gpio.backend: ${(e as Error).message}`] };
  }
  const lines: string[] = [];
  let ok = true;
  for (const [key, cfg] of outputs) {
    try {
      backend.output({ chip: cfg.chip, line: cfg.line, activeLow: cfg.active_low, consumer: CONSUMER }).close();
      lines.push(`${key}: off (${cfg.chip} line ${cfg.line})`);
    } catch (e) {
      ok = false;
      lines.push(`${key}: ${(e as Error).message}`);
    }
  }
  await backend.close();
  return { ok, lines };
}

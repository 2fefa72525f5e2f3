// GPIO keys: the line options of inputs (buttons, door contact, exit button)
// and outputs (door opener, LEDs, amplifier), and the `gpio:` section that
// picks the backend. Defaults fit the common wiring: a button or contact
// between the pin and ground with the chip's pull-up (active low), and an
// active-high relay driver.
import { z } from 'zod';

/** Pull resistor of an input. */
export type GpioBias = 'pull-up' | 'pull-down' | 'disabled' | 'as-is';
/** gpio.backend values. */
export type GpioBackendName = 'auto' | 'chardev' | 'sysfs' | 'fake';

/** An input line: a button, the door contact or the exit button. */
export interface InputLine {
  chip: string;
  line: number;
  /** True (default) when the input is active at low voltage: a switch to ground. */
  active_low: boolean;
  /** Pull resistor (default pull-up, matching a switch to ground). */
  bias: GpioBias;
  /** Overrides gpio.debounce_ms for this input. */
  debounce_ms?: number;
}

/** An output line: the door opener, an LED, the amplifier enable. */
export interface OutputLine {
  chip: string;
  line: number;
  /** True when the output is energised at low voltage (many cheap relay boards); default false. */
  active_low: boolean;
}

/** The `gpio:` section, parsed. */
export interface GpioConfig {
  /** auto: the character device when /dev/gpiochip* exists, else sysfs; fake: the in-memory test chip. */
  backend: GpioBackendName;
  /** How long an input must stay put before a change counts, in ms. */
  debounce_ms: number;
  /** Status LEDs; each is lit in its state. */
  leds: { error?: OutputLine; idle?: OutputLine; calling?: OutputLine; in_call?: OutputLine };
  /** Amplifier enable, active during calls. */
  amplifier?: OutputLine;
  /** backend fake only: directory of the fake chip's stimulus socket and state file. */
  fake_dir?: string;
}

const chipName = () =>
  z
    .union([z.string().min(1), z.number().int().min(0)], { error: 'must be a chip name such as gpiochip0' })
    .transform((c) => (typeof c === 'number' ? `gpiochip${c}` : c));

const lineOffset = () => z.number().int().min(0).max(1023, { error: 'must be a whole number from 0 to 1023' });

/** `{ chip, line, active_low?, bias?, debounce_ms? }` with input defaults. */
export const inputLine = () =>
  z.strictObject({
    chip: chipName(),
    line: lineOffset(),
    active_low: z.boolean().default(true),
    bias: z.enum(['pull-up', 'pull-down', 'disabled', 'as-is']).default('pull-up'),
    debounce_ms: z.number().int().min(0).max(2000, { error: 'must be from 0 to 2000 ms' }).optional(),
  });

/** `{ chip, line, active_low? }` with output defaults. */
export const outputLine = () =>
  z.strictObject({
    chip: chipName(),
    line: lineOffset(),
    active_low: z.boolean().default(false),
  });

/** The `gpio:` section. */
export const gpioSection = () =>
  z.strictObject({
    backend: z.enum(['auto', 'chardev', 'sysfs', 'fake']).default('auto'),
    debounce_ms: z.number().int().min(0).max(2000, { error: 'must be from 0 to 2000 ms' }).default(50),
    leds: z
      .strictObject({
        error: outputLine().optional(),
        idle: outputLine().optional(),
        calling: outputLine().optional(),
        in_call: outputLine().optional(),
      })
      .default({}),
    amplifier: outputLine().optional(),
    fake_dir: z.string().min(1).optional(),
  });

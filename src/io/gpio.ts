// What the station needs from GPIO, whichever backend provides it: inputs that
// report logical edges, outputs that can be set, and errors that say in one
// line which chip and line is wrong and what to do about it.

/** Pull resistor of an input: the kernel's bias options. */
export type Bias = 'pull-up' | 'pull-down' | 'disabled' | 'as-is';

/** A line to claim. */
export interface LineSpec {
  /** Chip device name ("gpiochip0") or label ("pinctrl-bcm2711"). */
  chip: string;
  /** Line offset on the chip (the BCM number on a Raspberry Pi). */
  line: number;
  /** True when the active state is the low voltage level (a button to ground). */
  activeLow: boolean;
  /** Shown as the line's user by `gpioinfo`. */
  consumer: string;
}

/** An input line to claim, with its pull resistor. */
export interface InputSpec extends LineSpec {
  bias: Bias;
}

/** A claimed input. */
export interface GpioInput {
  /** Current logical value (true = active). */
  value(): boolean;
  close(): void;
}

/** A claimed output. */
export interface GpioOutput {
  /** Drives the line active or inactive. */
  set(active: boolean): void;
  /** The logical value last set. */
  get(): boolean;
  /** Drives the line inactive, then releases it. */
  close(): void;
}

/** A GPIO backend: chardev, sysfs or fake. */
export interface GpioBackend {
  readonly name: string;
  /** Claims an input; `onEdge` gets each raw (undebounced) logical change. Throws GpioError. */
  input(spec: InputSpec, onEdge: (active: boolean) => void): GpioInput;
  /** Claims an output, inactive from the moment it is claimed. Throws GpioError. */
  output(spec: LineSpec): GpioOutput;
  /** Releases everything still claimed. */
  close(): Promise<void>;
}

/** A GPIO problem, worded for the person installing the door (one line). */
export class GpioError extends Error {
  override name = 'GpioError';
}

/** "gpiochip0 line 17" — how lines are named in messages. */
export function lineName(spec: { chip: string; line: number }): string {
  return `${spec.chip} line ${spec.line}`;
}

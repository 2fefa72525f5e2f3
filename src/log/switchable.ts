// A logger whose level and format can change while the station runs (a config
// reload), without handing a new logger to every part that already holds one.
import type { LogFields, LogLevel, Logger } from './logger.ts';

/** A logger that forwards to whichever logger was set last. */
export interface SwitchableLogger {
  readonly log: Logger;
  /** Routes every line from now on, including those of existing children, to `next`. */
  switchTo(next: Logger): void;
}

/** Starts forwarding to `initial`. */
export function switchableLogger(initial: Logger): SwitchableLogger {
  let current = initial;
  let generation = 0;

  function make(fields: LogFields | undefined): Logger {
    // A child is rebuilt once per switch, not once per line.
    let cached: Logger = fields ? current.child(fields) : current;
    let cachedGeneration = generation;
    const target = (): Logger => {
      if (cachedGeneration !== generation) {
        cached = fields ? current.child(fields) : current;
        cachedGeneration = generation;
      }
      return cached;
    };
    return {
      debug: (event, f) => target().debug(event, f),
      info: (event, f) => target().info(event, f),
      warn: (event, f) => target().warn(event, f),
      error: (event, f) => target().error(event, f),
      child: (more) => make({ ...fields, ...more }),
      isEnabled: (level: LogLevel) => target().isEnabled(level),
    };
  }

  return {
    log: make(undefined),
    switchTo(next: Logger): void {
      current = next;
      generation += 1;
    },
  };
}

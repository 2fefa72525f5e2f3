// Why a device could not be opened, phrased for the person editing the config.

/** Raised by backends when a device or file cannot be opened; `message` is one line, no key prefix. */
export class AudioOpenError extends Error {
  override readonly name = 'AudioOpenError';
}

/** Raised by the registry: the backend's reason prefixed with the config key and its value. */
export class AudioConfigError extends Error {
  override readonly name = 'AudioConfigError';
  constructor(
    readonly key: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${key}: ${JSON.stringify(value)}: ${reason}`);
  }
}

/** One-line text of anything thrown, without stack or newlines. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

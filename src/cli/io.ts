// Where command output goes: stdout for results, stderr for problems. Passed in
// so commands can be exercised in-process by tests.

export interface CliIO {
  /** One line of command output (stdout). */
  out(line: string): void;
  /** One line about a problem or a warning (stderr). */
  err(line: string): void;
}

/** The process's own stdout/stderr. */
export function processIO(): CliIO {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
  };
}

/** Collapses any thrown value into one line: no stack, no embedded newlines. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

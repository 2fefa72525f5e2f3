// Last-resort handling of errors nobody caught: one line on stderr and a
// non-zero exit, never a stack trace dumped at an installer.
import { oneLine } from './io.ts';

type FatalReporter = (message: string) => void;
let reporter: FatalReporter | undefined;

/** While the station runs, fatal errors also go to its log (the journal). */
export function setFatalReporter(report: FatalReporter | undefined): void {
  reporter = report;
}

function die(err: unknown): never {
  const message = oneLine(err);
  try {
    reporter?.(message);
  } catch {
    // The logger itself failed; stderr below is all that is left.
  }
  try {
    process.stderr.write(`intercom: internal error: ${message}\n`);
  } finally {
    process.exit(1);
  }
}

/** Installs process-wide handlers for uncaught exceptions, unhandled rejections and broken pipes. */
export function installFatalHandlers(): void {
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  // `intercom status | head -0` closes our stdout; that is not worth a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') die(err);
  });
  process.stderr.on('error', () => {});
}

// Pieces shared by the PortAudio capture and playback adapters.

import type { PaCaptureStream, PaPlaybackStream } from './portaudio-binding.ts';
import { oneLine } from './errors.ts';

/** Where the PortAudio backend reports what it survived (stream errors, slow shutdowns). */
export type AudioLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** How long close() waits for naudiodon's quit before giving up on it. */
export const QUIT_TIMEOUT_MS = 2000;

/**
 * Stops a naudiodon stream with quit() (abort() throws). Every stream must be quit:
 * one left with a read pending keeps a libuv worker blocked and process.exit() hangs.
 * Resolves even if quit fails or takes longer than `timeoutMs`, logging why.
 */
export function quitStream(stream: PaCaptureStream | PaPlaybackStream, what: string, log: AudioLog, timeoutMs = QUIT_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      log('warn', `${what}: PortAudio did not stop within ${timeoutMs} ms; a blocked audio thread may delay process exit`);
      finish();
    }, timeoutMs);
    try {
      const pending = stream.quit(finish);
      if (pending instanceof Promise) {
        pending.then(undefined, (err: unknown) => {
          log('warn', `${what}: PortAudio quit failed: ${oneLine(err)}`);
          finish();
        });
      }
    } catch (err) {
      log('warn', `${what}: PortAudio quit failed: ${oneLine(err)}`);
      finish();
    }
  });
}

/** Logs the first few occurrences of a recurring problem, then only every 100th, so a broken device cannot flood the log. */
export function rateLimited(log: AudioLog): (level: 'warn' | 'error', message: string) => void {
  let count = 0;
  return (level, message) => {
    count++;
    if (count <= 5 || count % 100 === 0) log(level, count > 5 ? `${message} (${count} times so far)` : message);
  };
}

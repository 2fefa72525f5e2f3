// One serial device, kept open: opened at start, re-opened every few seconds
// after it fails or disappears (a USB reader unplugged and plugged back, a
// reader powered off), with one log line when it goes and one when it returns.
import { SerialPort } from 'serialport';
import type { Logger } from '../log/logger.ts';

const RETRY_MS = 2000;

/** A serial device kept open. */
export interface SerialLink {
  /** True while the device is open. */
  connected(): boolean;
  close(): Promise<void>;
}

function describe(e: unknown, device: string): string {
  const msg = (e as Error).message ?? String(e);
  if (/ENOENT|No such file/i.test(msg)) return `no such device ${device}`;
  if (/EACCES|Permission denied/i.test(msg)) return `permission denied on ${device}: add the user the station runs as to the "dialout" group (usermod -aG dialout USER) and restart it`;
  if (/EBUSY|Resource busy|lock/i.test(msg)) return `${device} is busy: another program (a serial console on /dev/serial0?) has it open`;
  return `${device}: ${msg}`;
}

/** Keeps `device` open at `baud`, handing every chunk received to `onData`. */
export function keepSerialOpen(
  opts: { name: string; device: string; baud: number },
  log: Logger,
  onData: (chunk: Buffer) => void,
): SerialLink {
  let port: SerialPort | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastProblem: string | undefined;
  let isOpen = false;

  const retry = (): void => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      attempt();
    }, RETRY_MS);
    timer.unref();
  };

  const attempt = (): void => {
    if (closed) return;
    const p = new SerialPort({ path: opts.device, baudRate: opts.baud, autoOpen: false });
    port = p;
    p.on('data', (chunk: Buffer) => onData(chunk));
    p.on('error', () => {
      // reported through open()'s callback or the close that follows
    });
    p.on('close', () => {
      if (port !== p) return;
      isOpen = false;
      if (closed) return;
      lastProblem = 'lost';
      log.warn('serial.lost', { reader: opts.name, device: opts.device });
      retry();
    });
    p.open((err) => {
      if (closed) {
        if (!err) p.close();
        return;
      }
      if (err) {
        const problem = describe(err, opts.device);
        // One line per kind of problem, not one every two seconds.
        if (problem !== lastProblem) log.error('serial.unavailable', { reader: opts.name, reason: problem });
        lastProblem = problem;
        retry();
        return;
      }
      isOpen = true;
      lastProblem = undefined;
      log.info('serial.connected', { reader: opts.name, device: opts.device, baud: opts.baud });
    });
  };
  attempt();

  return {
    connected: () => isOpen,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        clearTimeout(timer);
        const p = port;
        if (!p || !p.isOpen) return resolve();
        p.close(() => resolve());
      }),
  };
}

// Client side of the control socket, used by `intercom status/press/hangup/open`.
import { createConnection } from 'node:net';
import { fileProblem } from '../config/file-problem.ts';
import { MAX_RESPONSE_BYTES, encodeLine, parseResponse } from './protocol.ts';
import type { ControlRequest, ControlResponse } from './protocol.ts';

/** Why a command could not be delivered; the message is one line fit to print as is. */
export class ControlClientError extends Error {
  override name = 'ControlClientError';
  /** True when nothing listens on the socket at all (no station running), as opposed to one that failed to answer. */
  constructor(message: string, readonly notRunning = false) {
    super(message);
  }
}

/** Sends one request and resolves with the response; rejects with a ControlClientError. */
export function sendControl(path: string, request: ControlRequest, timeoutMs = 3000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let settled = false;
    const socket = createConnection(path);
    const finish = (result: ControlResponse | ControlClientError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof ControlClientError) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => {
      finish(new ControlClientError(`no answer from the intercom on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);

    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(encodeLine(request)));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        const response = parseResponse(buffer.slice(0, newline));
        finish(response ?? new ControlClientError(`unintelligible answer from ${path}`));
      } else if (buffer.length > MAX_RESPONSE_BYTES) {
        finish(new ControlClientError(`answer from ${path} is too long`));
      }
    });
    socket.on('end', () => finish(new ControlClientError(`the intercom on ${path} closed the connection without answering`)));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        finish(new ControlClientError(`no intercom instance answers on ${path} (is it running?)`, true));
      } else {
        finish(new ControlClientError(`cannot connect to ${path}: ${fileProblem(err)}`));
      }
    });
  });
}

// The control socket: a unix-domain socket on which local commands (the CLI,
// scripts) ask the running station for its status or to press/hang up/open.
// Only its owner may connect (mode 0600), since "open" opens the front door.
import { mkdir, chmod, lstat, stat, unlink } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import type { StationControl } from '../intercom/station-api.ts';
import type { Logger } from '../log/logger.ts';
import { fileProblem } from '../config/file-problem.ts';
import { MAX_REQUEST_BYTES, encodeLine, parseRequest } from './protocol.ts';
import type { ControlRequest, ControlResponse } from './protocol.ts';

export interface ControlServer {
  close(): Promise<void>;
}

/** A start-up failure with a message fit to show as is. */
export class ControlServerError extends Error {
  override name = 'ControlServerError';
}

/** A client that connects and never finishes a request is dropped after this. */
const IDLE_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 16;
const PROBE_TIMEOUT_MS = 1000;

type Probe = 'absent' | 'stale' | 'answers';

/** Whether someone is listening on the socket file at `path`. */
function probe(path: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      // Connected-but-silent cannot happen (connect completes without the peer's
      // help); a hang here means a listener with a full backlog: someone is there.
      socket.destroy();
      resolve('answers');
    }, PROBE_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('answers');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else if (err.code === 'ENOENT') resolve('absent');
      else reject(new ControlServerError(`cannot check ${path}: ${fileProblem(err)}`));
    });
  });
}

/** Makes sure `path` is free: removes a dead socket, refuses if another instance answers. */
async function claimPath(path: string, log: Logger): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ControlServerError(`cannot use control socket ${path}: ${fileProblem(err)}`);
  }
  if (!info.isSocket()) {
    throw new ControlServerError(`control socket ${path} exists and is not a socket; remove it or set control.socket`);
  }
  const state = await probe(path);
  if (state === 'answers') {
    throw new ControlServerError(`another intercom instance is already running on ${path}`);
  }
  if (state === 'stale') {
    log.info('control-stale-socket-removed', { socket: path });
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ControlServerError(`cannot remove stale control socket ${path}: ${fileProblem(err)}`);
      }
    }
  }
}

async function ensureDirectory(dir: string): Promise<void> {
  try {
    // Created for us only; an existing directory is left as the installer made it.
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ControlServerError(`cannot create directory ${dir} for the control socket: ${fileProblem(err)}`);
  }
}

/** Binds with umask 0177 so the socket file is 0600 from its first moment, not after a chmod race. */
function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new ControlServerError(`cannot listen on ${path}: ${fileProblem(err)}`));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    const previous = process.umask(0o177);
    try {
      // For unix sockets net.Server binds synchronously inside listen().
      server.listen(path);
    } finally {
      process.umask(previous);
    }
  });
}

function execute(control: StationControl, request: ControlRequest): ControlResponse | Promise<ControlResponse> {
  switch (request.cmd) {
    case 'status':
      return { ok: true, status: control.status() };
    case 'press':
      return control.press(request.button);
    case 'hangup':
      return control.hangup();
    case 'open':
      return control.open();
    case 'incoming':
      return control.setIncoming ? control.setIncoming(request.enabled) : { ok: false, error: 'this instance cannot switch incoming calls' };
    case 'reload':
      return control.reload ? control.reload() : { ok: false, error: 'this instance cannot reload its config' };
    case 'audio-test':
      return control.audioTest ? control.audioTest() : { ok: false, error: 'this instance cannot play a test tone' };
  }
}

async function handleLine(line: string, control: StationControl, log: Logger): Promise<ControlResponse> {
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    log.warn('control-bad-request', { reason: parsed.error });
    return { ok: false, error: parsed.error };
  }
  log.debug('control-request', { ...parsed.request });
  try {
    return await execute(control, parsed.request);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error('control-command-failed', { command: parsed.request.cmd, error: message });
    return { ok: false, error: `internal error: ${message}` };
  }
}

function serveConnection(socket: Socket, control: StationControl, log: Logger): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', (err) => log.debug('control-connection-error', { error: err.message }));

  const reply = (response: ControlResponse): void => {
    if (!socket.destroyed && socket.writable) socket.write(encodeLine(response));
  };
  // Some commands (reload) answer asynchronously; replies still go out in request order.
  let pending: Promise<void> = Promise.resolve();
  const queue = (line: string): void => {
    pending = pending.then(() => handleLine(line, control, log)).then(reply);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') queue(line);
    }
    if (Buffer.byteLength(buffer) > MAX_REQUEST_BYTES) {
      log.warn('control-bad-request', { reason: 'request too long' });
      reply({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
      buffer = '';
      socket.end();
      socket.pause();
    }
  });
  // A client may send its request without a newline and then shut down its side.
  socket.on('end', () => {
    const line = buffer.trim();
    buffer = '';
    if (line !== '') queue(line);
    void pending.then(() => socket.end());
  });
}

/** Starts the control socket at `path`; rejects with a ControlServerError whose message says why not. */
export async function startControlServer(path: string, control: StationControl, log: Logger): Promise<ControlServer> {
  await ensureDirectory(dirname(path));
  await claimPath(path, log);

  const connections = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, control, log);
  });
  server.maxConnections = MAX_CONNECTIONS;
  await listenPrivately(server, path);
  // Belt and braces: umask is honoured by Linux for socket files, but not by every system.
  await chmod(path, 0o600).catch(() => {});
  const ours = await stat(path).catch(() => undefined);
  server.on('error', (err) => log.error('control-server-error', { error: err.message }));
  log.info('control-listening', { socket: path });

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }).then(async () => {
        // Remove the file only if it is still ours, not one a newer instance bound.
        const now = await stat(path).catch(() => undefined);
        if (ours && now && now.ino === ours.ino && now.dev === ours.dev) await unlink(path).catch(() => {});
      });
      return closing;
    },
  };
}

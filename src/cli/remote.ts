// Commands that talk to a running station over its control socket:
// status, press, hangup, open, reload.
import { loadControlSocket } from '../config/load.ts';
import { ControlClientError, sendControl } from '../control/client.ts';
import type { ControlRequest, ControlResponse } from '../control/protocol.ts';
import type { StationStatus } from '../intercom/station-api.ts';
import type { CliIO } from './io.ts';
import { oneLine } from './io.ts';
import { describeStatus } from './status-text.ts';

export interface RemoteTarget {
  configPath: string;
  /** Overrides the config's control.socket. */
  socket?: string;
}

type Exchange = { ok: true; response: ControlResponse } | { ok: false; exit: number };

async function exchange(target: RemoteTarget, request: ControlRequest, io: CliIO, timeoutMs?: number): Promise<Exchange> {
  let socket = target.socket;
  if (socket === undefined) {
    const found = loadControlSocket(target.configPath);
    if (!found.ok) {
      for (const line of found.errors) io.err(line);
      return { ok: false, exit: 2 };
    }
    socket = found.socket;
  }
  try {
    return { ok: true, response: await sendControl(socket, request, timeoutMs) };
  } catch (err) {
    io.err(`intercom: ${err instanceof ControlClientError ? err.message : oneLine(err)}`);
    return { ok: false, exit: 1 };
  }
}

/** `status [--json]`: 0 with the state printed, 1 when no instance answers. */
export async function statusCommand(target: RemoteTarget, json: boolean, io: CliIO): Promise<number> {
  const result = await exchange(target, { cmd: 'status' }, io);
  if (!result.ok) return result.exit;
  const response = result.response;
  if (!response.ok) {
    io.err(`intercom: ${response.error}`);
    return 1;
  }
  if (!('status' in response)) {
    io.err('intercom: the running instance sent no status');
    return 1;
  }
  const status: StationStatus = response.status;
  if (json) io.out(JSON.stringify(status));
  else for (const line of describeStatus(status)) io.out(line);
  return 0;
}

/** `press`, `hangup`, `open`, `reload`: 0 when carried out, 1 when refused or no instance answers. */
export async function actionCommand(target: RemoteTarget, request: ControlRequest, io: CliIO, timeoutMs?: number): Promise<number> {
  const result = await exchange(target, request, io, timeoutMs);
  if (!result.ok) return result.exit;
  const response = result.response;
  if (!response.ok) {
    io.err(`intercom: ${response.error}`);
    return 1;
  }
  if ('detail' in response && response.detail) io.out(response.detail);
  return 0;
}

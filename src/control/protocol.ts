// The control socket's wire format: one JSON object per line in each direction.
// Kept deliberately small; it is what `intercom status/press/hangup/open/reload` speak.
import type { AudioTestResult } from '../intercom/audio-test.ts';
import type { StationStatus } from '../intercom/station-api.ts';

export type ControlRequest =
  | { cmd: 'status' }
  | { cmd: 'press'; button?: string }
  | { cmd: 'hangup' }
  | { cmd: 'open' }
  | { cmd: 'incoming'; enabled: boolean }
  | { cmd: 'reload' }
  | { cmd: 'audio-test' };

export type ControlResponse =
  | { ok: true; status: StationStatus }
  | { ok: true; audioTest: AudioTestResult }
  | { ok: true; detail?: string }
  | { ok: false; error: string };

/** Requests longer than this are refused; real ones are a few dozen bytes. */
export const MAX_REQUEST_BYTES = 4096;
/** Responses carry a status object, which is larger but still bounded. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

const COMMANDS = new Set(['status', 'press', 'hangup', 'open', 'incoming', 'reload', 'audio-test']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one request line; on failure gives the one-line reason to send back. */
export function parseRequest(line: string): { ok: true; request: ControlRequest } | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not valid JSON' };
  }
  if (!isRecord(data)) return { ok: false, error: 'request must be a JSON object' };
  const cmd = data['cmd'];
  if (typeof cmd !== 'string') return { ok: false, error: 'request needs a "cmd" string' };
  if (!COMMANDS.has(cmd)) return { ok: false, error: `unknown command ${JSON.stringify(cmd)}` };
  const extra = Object.keys(data).filter((k) => k !== 'cmd' && !(cmd === 'press' && k === 'button') && !(cmd === 'incoming' && k === 'enabled'));
  if (extra.length > 0) return { ok: false, error: `unexpected field ${JSON.stringify(extra[0])} for ${cmd}` };
  if (cmd === 'press') {
    const button = data['button'];
    if (button === undefined || button === null) return { ok: true, request: { cmd: 'press' } };
    if (typeof button !== 'string' || button === '') return { ok: false, error: '"button" must be a non-empty string' };
    return { ok: true, request: { cmd: 'press', button } };
  }
  if (cmd === 'incoming') {
    const enabled = data['enabled'];
    if (typeof enabled !== 'boolean') return { ok: false, error: '"enabled" must be true or false' };
    return { ok: true, request: { cmd: 'incoming', enabled } };
  }
  return { ok: true, request: { cmd } as ControlRequest };
}

/** Checks a response line from the server; undefined when it is not a response. */
export function parseResponse(line: string): ControlResponse | undefined {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(data) || typeof data['ok'] !== 'boolean') return undefined;
  if (data['ok'] === false) {
    return { ok: false, error: typeof data['error'] === 'string' ? data['error'] : 'failed (no reason given)' };
  }
  if (isRecord(data['status'])) return { ok: true, status: data['status'] as unknown as StationStatus };
  const test = data['audioTest'];
  if (isRecord(test) && typeof test['played'] === 'boolean' && typeof test['heard_dbfs'] === 'number' && typeof test['frames'] === 'number') {
    return { ok: true, audioTest: { played: test['played'], heard_dbfs: test['heard_dbfs'], frames: test['frames'] } };
  }
  return typeof data['detail'] === 'string' ? { ok: true, detail: data['detail'] } : { ok: true };
}

/** Serialises a message as one line. */
export function encodeLine(message: ControlRequest | ControlResponse): string {
  return `${JSON.stringify(message)}\n`;
}

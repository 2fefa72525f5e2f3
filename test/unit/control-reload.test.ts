// The control socket's `reload` request: answered when the (asynchronous)
// reload is done, with replies still in request order on one connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendControl } from '../../src/control/client.ts';
import { parseRequest } from '../../src/control/protocol.ts';
import { startControlServer } from '../../src/control/server.ts';
import type { CommandResult, StationControl } from '../../src/intercom/station-api.ts';
import { silentLogger } from '../../src/log/logger.ts';

const idle = { registered: true, registration: { state: 'registered' }, call: null, door: { open: false, opened: 0 } };

function station(reload?: () => Promise<CommandResult>): StationControl {
  return {
    status: () => idle,
    press: () => ({ ok: true }),
    hangup: () => ({ ok: true }),
    open: () => ({ ok: true }),
    ...(reload ? { reload } : {}),
  };
}

test('reload is a request of its own, without fields', () => {
  assert.deepEqual(parseRequest('{"cmd":"reload"}'), { ok: true, request: { cmd: 'reload' } });
  assert.deepEqual(parseRequest('{"cmd":"reload","file":"/etc/passwd"}'), { ok: false, error: 'unexpected field "file" for reload' });
});

test('a slow reload is answered when done, and a later status after it', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ic-')), 'control.sock');
  let finish: (r: CommandResult) => void = () => {};
  let called: () => void = () => {};
  const reloadCalled = new Promise<void>((resolve) => (called = resolve));
  const reload = (): Promise<CommandResult> =>
    new Promise((resolve) => {
      finish = resolve;
      called();
    });
  const server = await startControlServer(path, station(reload), silentLogger());
  try {
    const lines: string[] = [];
    const socket = createConnection(path);
    socket.setEncoding('utf8');
    let buffer = '';
    const got = new Promise<void>((resolve) => {
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        lines.push(...parts);
        if (lines.length === 2) resolve();
      });
    });
    socket.write('{"cmd":"reload"}\n{"cmd":"status"}\n');
    // Nothing comes back until the reload is done: the status waits its turn.
    await reloadCalled;
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(lines, []);
    finish({ ok: true, detail: 'applied in place: door.codes' });
    await got;
    socket.destroy();
    assert.deepEqual(JSON.parse(lines[0] ?? ''), { ok: true, detail: 'applied in place: door.codes' });
    assert.equal((JSON.parse(lines[1] ?? '') as { status: { registered: boolean } }).status.registered, true);
  } finally {
    await server.close();
  }
});

test('a host that cannot reload says so', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ic-')), 'control.sock');
  const server = await startControlServer(path, station(), silentLogger());
  try {
    assert.deepEqual(await sendControl(path, { cmd: 'reload' }), { ok: false, error: 'this instance cannot reload its config' });
  } finally {
    await server.close();
  }
});

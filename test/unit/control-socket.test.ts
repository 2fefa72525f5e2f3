import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer } from '../../src/control/server.ts';
import { sendControl } from '../../src/control/client.ts';
import { parseRequest } from '../../src/control/protocol.ts';
import type { CommandResult, StationControl, StationStatus } from '../../src/intercom/station-api.ts';
import { silentLogger } from '../../src/log/logger.ts';

function socketPath(): string {
  // A directory that does not exist yet, so the server has to create it.
  return join(mkdtempSync(join(tmpdir(), 'ic-')), 'run', 'control.sock');
}

function fakeStation() {
  const calls: string[] = [];
  const status: StationStatus = {
    registered: true,
    registration: { state: 'registered', expiresAt: '2024-05-01T12:10:00.000Z' },
    call: { state: 'ringing', peer: 'sip:101@pbx', since: '2024-05-01T12:00:00.000Z' },
    door: { open: false, opened: 2 },
  };
  const station: StationControl = {
    status: () => status,
    press(button?: string): CommandResult {
      calls.push(`press:${button ?? ''}`);
      return button === 'nope' ? { ok: false, error: 'no button "nope"' } : { ok: true, detail: 'calling 101' };
    },
    hangup() {
      calls.push('hangup');
      return { ok: true };
    },
    setIncoming(enabled: boolean) {
      calls.push(`incoming:${enabled}`);
      return { ok: true };
    },
    open(by?: string) {
      calls.push(`open:${by ?? ''}`);
      throw new Error('relay on fire');
    },
  };
  return { station, calls, status };
}

/** Writes raw bytes and collects the response lines until the server closes or `lines` arrive. */
function raw(path: string, data: string, opts: { lines?: number; end?: boolean } = {}): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const socket = createConnection(path);
    const done = (): void => {
      socket.destroy();
      resolve(buffer.split('\n').filter((l) => l !== ''));
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(data);
      if (opts.end) socket.end();
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (opts.lines !== undefined && buffer.split('\n').length > opts.lines) done();
    });
    socket.on('close', done);
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? done() : reject(err)));
  });
}

test('status, press, hangup round trip through the socket', async () => {
  const path = socketPath();
  const { station, calls, status } = fakeStation();
  const server = await startControlServer(path, station, silentLogger());
  try {
    assert.deepEqual(await sendControl(path, { cmd: 'status' }), { ok: true, status });
    assert.deepEqual(await sendControl(path, { cmd: 'press' }), { ok: true, detail: 'calling 101' });
    assert.deepEqual(await sendControl(path, { cmd: 'press', button: 'gate' }), { ok: true, detail: 'calling 101' });
    assert.deepEqual(await sendControl(path, { cmd: 'press', button: 'nope' }), { ok: false, error: 'no button "nope"' });
    assert.deepEqual(await sendControl(path, { cmd: 'hangup' }), { ok: true });
    assert.deepEqual(await sendControl(path, { cmd: 'incoming', enabled: true }), { ok: true });
    assert.deepEqual(calls, ['press:', 'press:gate', 'press:nope', 'hangup', 'incoming:true']);
  } finally {
    await server.close();
  }
});

test('a station that throws gives an error response and the server keeps serving', async () => {
  const path = socketPath();
  const { station, calls } = fakeStation();
  const server = await startControlServer(path, station, silentLogger());
  try {
    assert.deepEqual(await sendControl(path, { cmd: 'open' }), { ok: false, error: 'internal error: relay on fire' });
    assert.equal((await sendControl(path, { cmd: 'status' })).ok, true);
  } finally {
    await server.close();
  }
});

test('the socket is mode 0600 and a directory it creates is 0700', async () => {
  const path = socketPath();
  const server = await startControlServer(path, fakeStation().station, silentLogger());
  try {
    const st = lstatSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
  } finally {
    await server.close();
  }
  assert.equal(existsSync(path), false, 'socket file removed on close');
});

test('the umask is restored after listening', async () => {
  const before = process.umask(0o022);
  const server = await startControlServer(socketPath(), fakeStation().station, silentLogger());
  await server.close();
  assert.equal(process.umask(before), 0o022);
});

test('a stale socket file (nobody listening) is removed and replaced', async () => {
  const path = socketPath();
  // A process that dies without cleaning up leaves its socket file behind.
  const child = spawnSync(process.execPath, [
    '-e',
    `const fs=require('fs');fs.mkdirSync(require('path').dirname(${JSON.stringify(path)}),{recursive:true});` +
      `require('net').createServer().listen(${JSON.stringify(path)},()=>process.kill(process.pid,'SIGKILL'))`,
  ]);
  assert.equal(child.signal, 'SIGKILL');
  assert.ok(lstatSync(path).isSocket(), 'stale socket left behind');
  const server = await startControlServer(path, fakeStation().station, silentLogger());
  try {
    assert.equal((await sendControl(path, { cmd: 'status' })).ok, true);
  } finally {
    await server.close();
  }
});

test('a second server on the same path is refused while the first answers', async () => {
  const path = socketPath();
  const first = await startControlServer(path, fakeStation().station, silentLogger());
  try {
    await assert.rejects(startControlServer(path, fakeStation().station, silentLogger()), {
      message: `another intercom instance is already running on ${path}`,
    });
    assert.equal((await sendControl(path, { cmd: 'status' })).ok, true, 'first instance unharmed');
  } finally {
    await first.close();
  }
});

test('a regular file in the way is not deleted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ic-'));
  const path = join(dir, 'control.sock');
  writeFileSync(path, 'precious');
  await assert.rejects(startControlServer(path, fakeStation().station, silentLogger()), {
    message: `control socket ${path} exists and is not a socket; remove it or set control.socket`,
  });
  assert.ok(existsSync(path));
});

test('garbage gets an error response and the connection stays usable', async () => {
  const path = socketPath();
  const server = await startControlServer(path, fakeStation().station, silentLogger());
  try {
    const lines = await raw(path, 'this is not json\n[1]\n{"cmd":"reboot"}\n{"cmd":"status"}\n', { lines: 4 });
    assert.equal(lines.length, 4);
    assert.deepEqual(JSON.parse(lines[0] ?? ''), { ok: false, error: 'request is not valid JSON' });
    assert.deepEqual(JSON.parse(lines[1] ?? ''), { ok: false, error: 'request must be a JSON object' });
    assert.deepEqual(JSON.parse(lines[2] ?? ''), { ok: false, error: 'unknown command "reboot"' });
    assert.equal((JSON.parse(lines[3] ?? '') as { ok: boolean }).ok, true);
  } finally {
    await server.close();
  }
});

test('an oversized request is refused and the connection closed', async () => {
  const path = socketPath();
  const server = await startControlServer(path, fakeStation().station, silentLogger());
  try {
    const lines = await raw(path, 'x'.repeat(100_000));
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ ok: false, error: 'request longer than 4096 bytes' }]);
    assert.equal((await sendControl(path, { cmd: 'status' })).ok, true);
  } finally {
    await server.close();
  }
});

test('a request without a newline is answered when the client shuts its side', async () => {
  const path = socketPath();
  const server = await startControlServer(path, fakeStation().station, silentLogger());
  try {
    const lines = await raw(path, '{"cmd":"hangup"}', { end: true });
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ ok: true }]);
  } finally {
    await server.close();
  }
});

test('the client says clearly when nobody answers', async () => {
  const path = socketPath();
  await assert.rejects(sendControl(path, { cmd: 'status' }), {
    name: 'ControlClientError',
    message: `no intercom instance answers on ${path} (is it running?)`,
  });
});

test('the client gives up after its timeout on a silent server', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ic-')), 'silent.sock');
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(path, resolve));
  try {
    await assert.rejects(sendControl(path, { cmd: 'status' }, 200), {
      message: `no answer from the intercom on ${path} within 200 ms`,
    });
  } finally {
    silent.close();
  }
});

test('parseRequest accepts the known commands and nothing else', () => {
  assert.deepEqual(parseRequest('{"cmd":"status"}'), { ok: true, request: { cmd: 'status' } });
  assert.deepEqual(parseRequest('{"cmd":"press","button":"gate"}'), { ok: true, request: { cmd: 'press', button: 'gate' } });
  assert.deepEqual(parseRequest('{"cmd":"press"}'), { ok: true, request: { cmd: 'press' } });
  assert.deepEqual(parseRequest('{"cmd":"open"}'), { ok: true, request: { cmd: 'open' } });
  assert.deepEqual(parseRequest('{"cmd":"press","button":7}'), { ok: false, error: '"button" must be a non-empty string' });
  assert.deepEqual(parseRequest('{"cmd":"open","force":true}'), { ok: false, error: 'unexpected field "force" for open' });
  assert.deepEqual(parseRequest('{"cmd":"incoming","enabled":false}'), { ok: true, request: { cmd: 'incoming', enabled: false } });
  assert.deepEqual(parseRequest('{"cmd":"incoming","enabled":"on"}'), { ok: false, error: '"enabled" must be true or false' });
  assert.deepEqual(parseRequest('{"cmd":"incoming"}'), { ok: false, error: '"enabled" must be true or false' });
  assert.deepEqual(parseRequest('{}'), { ok: false, error: 'request needs a "cmd" string' });
  assert.deepEqual(parseRequest('{"cmd":"__proto__"}'), { ok: false, error: 'unknown command "__proto__"' });
});

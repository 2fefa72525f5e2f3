import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlServer } from '../../src/control/server.ts';
import { sendControl } from '../../src/control/client.ts';
import { runCommand } from '../../src/cli/run.ts';
import type { StartStation } from '../../src/cli/run.ts';
import type { StationControl, StationStatus } from '../../src/intercom/station-api.ts';
import { silentLogger } from '../../src/log/logger.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, asynchronously so an in-test control server can answer it. */
function cli(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, timeout: 20_000, env: { ...process.env, JOURNAL_STREAM: '' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function noStackTrace(o: Outcome): void {
  assert.ok(!/\n\s+at /.test(o.stderr), `stack trace on stderr:\n${o.stderr}`);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ic-cli-'));
}

function writeConfig(dir: string, text: string): string {
  const path = join(dir, 'door.yaml');
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

const config = (socket: string) => `sip:
  server: 127.0.0.1
  user: door
  password: secret
buttons:
  - name: bell
    call: ["101"]
control:
  socket: ${socket}
log:
  level: debug
`;

test('check: 0 and a summary for a valid file', async () => {
  const dir = tempDir();
  const path = writeConfig(dir, config(join(dir, 'c.sock')));
  const o = await cli('check', '--config', path);
  assert.equal(o.code, 0, o.stderr);
  assert.equal(o.stdout, `${path}: OK (door@127.0.0.1 via 127.0.0.1:5060/udp, 1 button)\n`);
  assert.equal(o.stderr, '');
});

test('check: 2 and one line per problem on stderr', async () => {
  const path = writeConfig(tempDir(), 'sip:\n  server: x:y\n  user: door\n  pasword: a\nbuttons:\n  - name: bell\n    call: []\n');
  const o = await cli('check', '--config', path);
  assert.equal(o.code, 2);
  assert.equal(o.stdout, '');
  assert.deepEqual(o.stderr.trimEnd().split('\n'), [
    'sip.server: "x:y" is not host[:port]',
    'sip.pasword: unknown key (did you mean password?)',
    'sip.password: required (or sip.password_file)',
    'buttons[0].call: must not be empty',
  ]);
  noStackTrace(o);
});

test('check: unreadable file and YAML syntax errors are one line each', async () => {
  const dir = tempDir();
  const missing = await cli('check', '-c', join(dir, 'nope.yaml'));
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `${join(dir, 'nope.yaml')}: cannot read: no such file\n`);
  const broken = writeConfig(dir, 'sip:\n  server: "127.0.0.1\n');
  const syntax = await cli('check', '--config', broken);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: .+\n$`));
  noStackTrace(syntax);
});

test('check: warnings do not fail the check', async () => {
  const dir = tempDir();
  const path = writeConfig(dir, config(join(dir, 'c.sock')));
  chmodSync(path, 0o644);
  const o = await cli('check', '--config', path);
  assert.equal(o.code, 0);
  assert.match(o.stderr, /^warning: sip\.password: .* is readable by every user/);
});

test('every subcommand has --help, exiting 0 with its usage on stdout', async () => {
  const results = await Promise.all(
    ['run', 'check', 'status', 'press', 'hangup', 'open', 'incoming', 'demo'].map(async (cmd) => [cmd, await cli(cmd, '--help')] as const),
  );
  for (const [cmd, o] of results) {
    assert.equal(o.code, 0, `${cmd} --help: ${o.stderr}`);
    assert.ok(o.stdout.startsWith(`Usage: intercom ${cmd}`), `${cmd} --help printed:\n${o.stdout}`);
    if (cmd !== 'demo') assert.match(o.stdout, /--config FILE/);
  }
  const main = await cli('--help');
  assert.equal(main.code, 0);
  for (const cmd of ['run', 'check', 'status', 'press', 'hangup', 'open', 'demo']) assert.match(main.stdout, new RegExp(`\\n  ${cmd} `));
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const o = await cli('--version');
  assert.deepEqual([o.code, o.stdout], [0, `${pkg.version}\n`]);
});

test('bad usage exits 2 with one line', async () => {
  const cases = [
    [['status', '--bogus'], 'intercom: status: unknown option --bogus (see intercom status --help)'],
    [['check', '--config'], 'intercom: check: option --config needs a value (see intercom check --help)'],
    [['frobnicate'], 'intercom: unknown command "frobnicate" (see intercom --help)'],
    [['demo', '--config', 'x'], 'intercom: demo: unknown option --config (see intercom demo --help)'],
    [['incoming'], 'intercom: incoming needs on or off: intercom incoming on|off'],
    [['incoming', 'maybe'], 'intercom: incoming needs on or off: intercom incoming on|off'],
  ] as const;
  const results = await Promise.all(cases.map(([args]) => cli(...args)));
  results.forEach((o, i) => {
    assert.equal(o.code, 2, `${cases[i]?.[0].join(' ')}`);
    assert.equal(o.stderr, `${cases[i]?.[1]}\n`);
  });
});

test('status: exits 1 with a clear line when no instance answers', async () => {
  const dir = tempDir();
  const socket = join(dir, 'control.sock');
  const o = await cli('status', '--config', writeConfig(dir, config(socket)));
  assert.equal(o.code, 1);
  assert.equal(o.stderr, `intercom: no intercom instance answers on ${socket} (is it running?)\n`);
  assert.equal(o.stdout, '');
});

test('status, press, hangup and open talk to a running instance', async () => {
  const dir = tempDir();
  const socket = join(dir, 'control.sock');
  const path = writeConfig(dir, config(socket));
  const status: StationStatus = {
    registered: true,
    registration: { state: 'registered' },
    call: { state: 'active', peer: 'sip:101@127.0.0.1', since: '2024-05-01T12:00:00.000Z' },
    door: { open: true, opened: 1 },
    incoming: { enabled: false },
  };
  const seen: string[] = [];
  const station: StationControl = {
    status: () => status,
    press: (b) => (seen.push(`press:${b ?? ''}`), b === 'nope' ? { ok: false, error: 'no button named "nope"' } : { ok: true }),
    hangup: () => (seen.push('hangup'), { ok: true, detail: 'call ended' }),
    open: () => (seen.push('open'), { ok: true }),
    setIncoming: (enabled) => (seen.push(`incoming:${enabled}`), { ok: true, detail: `incoming calls ${enabled ? 'enabled' : 'disabled'}` }),
  };
  const server = await startControlServer(socket, station, silentLogger());
  try {
    const json = await cli('status', '--config', path, '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout.split('\n').length, 2, 'one line of JSON');
    assert.deepEqual(JSON.parse(json.stdout), status);

    const human = await cli('status', '--config', path);
    assert.equal(human.stdout, [
      'registration: registered',
      'call: active with sip:101@127.0.0.1 since 2024-05-01T12:00:00.000Z',
      'door: open, opened once since start',
      'incoming calls: disabled',
      '',
    ].join('\n'));

    assert.equal((await cli('press', '--config', path)).code, 0);
    assert.equal((await cli('press', '--config', path, '--button', 'gate')).code, 0);
    const refused = await cli('press', '--config', path, '--button', 'nope');
    assert.deepEqual([refused.code, refused.stderr], [1, 'intercom: no button named "nope"\n']);
    const hangup = await cli('hangup', '--config', path);
    assert.deepEqual([hangup.code, hangup.stdout], [0, 'call ended\n']);
    assert.equal((await cli('open', '--socket', socket, '--config', '/nonexistent.yaml')).code, 0);
    const on = await cli('incoming', 'on', '--config', path);
    assert.deepEqual([on.code, on.stdout], [0, 'incoming calls enabled\n']);
    assert.equal((await cli('incoming', 'off', '--config', path)).code, 0);
    assert.deepEqual(seen, ['press:', 'press:gate', 'press:nope', 'hangup', 'open', 'incoming:true', 'incoming:false']);
  } finally {
    await server.close();
  }
});

test('run: exits 2 on a bad config', async () => {
  const path = writeConfig(tempDir(), 'sip: {}\n');
  const o = await cli('run', '--config', path);
  assert.equal(o.code, 2);
  assert.match(o.stderr, /^sip\.server: required$/m);
  noStackTrace(o);
});

function quietIO() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition never became true');
}

test('run: serves the control socket, and on SIGTERM closes it, stops the station and returns 0', async () => {
  const dir = tempDir();
  const socket = join(dir, 'run', 'control.sock');
  const path = writeConfig(dir, config(socket));
  const events: string[] = [];
  const logLines: string[] = [];
  const start: StartStation = async (cfg) => {
    events.push(`start:${cfg.sip.user}`);
    return {
      status: () => ({ registered: true, registration: { state: 'registered' }, call: null, door: { open: false, opened: 0 } }),
      press: () => ({ ok: true }),
      hangup: () => ({ ok: true }),
      open: () => ({ ok: true }),
      stop: async () => {
        events.push('stop');
      },
    };
  };
  const { io } = quietIO();
  const running = runCommand(path, io, { startStation: start, logStream: { write: (s: string) => logLines.push(s) } });
  await until(async () => {
    const r = await sendControl(socket, { cmd: 'status' }, 500);
    return r.ok && 'status' in r && r.status.registered;
  });
  process.kill(process.pid, 'SIGTERM');
  assert.equal(await running, 0);
  assert.deepEqual(events, ['start:door', 'stop']);
  await assert.rejects(sendControl(socket, { cmd: 'status' }, 500), /no intercom instance answers/);
  const logged = logLines.join('');
  assert.match(logged, /event=stopping signal=SIGTERM/);
  assert.match(logged, /event=stopped clean=true/);
  assert.ok(!logged.includes('secret'), 'password not logged');
});

test('run: refuses to start while another instance holds the control socket', async () => {
  const dir = tempDir();
  const socket = join(dir, 'control.sock');
  const path = writeConfig(dir, config(socket));
  const other = await startControlServer(socket, {
    status: () => ({ registered: false, registration: { state: 'x' }, call: null, door: { open: false, opened: 0 } }),
    press: () => ({ ok: true }),
    hangup: () => ({ ok: true }),
    open: () => ({ ok: true }),
  }, silentLogger());
  try {
    let started = false;
    const logLines: string[] = [];
    const code = await runCommand(path, quietIO().io, {
      startStation: async () => {
        started = true;
        throw new Error('must not start');
      },
      logStream: { write: (s: string) => logLines.push(s) },
    });
    assert.equal(code, 1);
    assert.equal(started, false, 'station never started');
    assert.match(logLines.join(''), /event=start-failed error="another intercom instance is already running on /);
  } finally {
    await other.close();
  }
});

test('run: a station that fails to start gives exit 1 and releases the socket', async () => {
  const dir = tempDir();
  const socket = join(dir, 'control.sock');
  const path = writeConfig(dir, config(socket));
  const logLines: string[] = [];
  const code = await runCommand(path, quietIO().io, {
    startStation: async () => {
      throw new Error('cannot bind 127.0.0.2:5070: address already in use');
    },
    logStream: { write: (s: string) => logLines.push(s) },
  });
  assert.equal(code, 1);
  assert.match(logLines.join(''), /event=start-failed error="cannot bind 127.0.0.2:5070: address already in use"/);
  await assert.rejects(sendControl(socket, { cmd: 'status' }, 500), /no intercom instance answers/);
});

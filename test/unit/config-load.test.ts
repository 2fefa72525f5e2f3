import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig, loadControlSocket } from '../../src/config/load.ts';
import { parseHostPort, parseListen } from '../../src/config/address.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'intercom-load-'));
}

function write(dir: string, name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const GOOD = `sip:
  server: 127.0.0.1:5060
  user: door
  password: secret
buttons:
  - name: bell
    call: ["101"]
`;

test('a valid file loads', () => {
  const r = loadConfig(write(tempDir(), 'door.yaml', GOOD));
  assert.ok(r.ok);
  assert.equal(r.config.sip.server.port, 5060);
  assert.deepEqual(r.warnings, []);
});

test('YAML syntax errors name the file and the line', () => {
  const path = write(tempDir(), 'door.yaml', 'sip:\n  server: 127.0.0.1\n  user: "door\n');
  const r = loadConfig(path);
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0] ?? '', new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: Missing closing "quote$`));
});

test('duplicate keys are syntax errors with a line number', () => {
  const r = loadConfig(write(tempDir(), 'door.yaml', `${GOOD}buttons: []\n`));
  assert.ok(!r.ok);
  assert.match(r.errors[0] ?? '', /door\.yaml:8: Map keys must be unique$/);
});

test('an unreadable or missing file gives one line, no stack', () => {
  const dir = tempDir();
  assert.deepEqual(loadConfig(join(dir, 'door.yaml')), { ok: false, errors: [`${join(dir, 'door.yaml')}: cannot read: no such file`] });
  assert.deepEqual(loadConfig(dir), { ok: false, errors: [`${dir}: cannot read: is a directory`] });
});

test('an empty file says so', () => {
  const path = write(tempDir(), 'door.yaml', '# nothing yet\n');
  assert.deepEqual(loadConfig(path), { ok: false, errors: [`${path}: is empty (it needs at least sip: and buttons:)`] });
});

test('a top-level list is named by the file', () => {
  const path = write(tempDir(), 'door.yaml', '- a\n');
  assert.deepEqual(loadConfig(path), { ok: false, errors: [`${path}: must be a mapping, not a list`] });
});

test('a relative password_file resolves against the config file directory, not the cwd', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'etc'));
  write(join(dir, 'etc'), 'sip.secret', 'from-file\n');
  const path = write(join(dir, 'etc'), 'door.yaml', GOOD.replace('password: secret', 'password_file: sip.secret'));
  const r = loadConfig(path);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.config.sip.password, 'from-file');
  assert.equal(r.config.sip.password_file, join(dir, 'etc', 'sip.secret'));
});

test('mqtt.password_file is read like sip.password_file; giving both it and mqtt.password is an error', () => {
  const dir = tempDir();
  write(dir, 'mqtt.secret', 'broker-pw\n');
  const path = write(dir, 'door.yaml', `${GOOD}mqtt:\n  url: mqtt://127.0.0.1\n  username: door\n  password_file: mqtt.secret\n`);
  const r = loadConfig(path);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.config.mqtt?.password, 'broker-pw');
  assert.equal(r.config.mqtt?.password_file, join(dir, 'mqtt.secret'));
  const both = write(dir, 'both.yaml', `${GOOD}mqtt:\n  url: mqtt://127.0.0.1\n  password: x\n  password_file: mqtt.secret\n`);
  assert.deepEqual(loadConfig(both), { ok: false, errors: [`mqtt.password: give mqtt.password or mqtt.password_file, not both`] });
  const open = write(dir, 'open.secret', 'pw\n', 0o644);
  const warned = loadConfig(write(dir, 'warn.yaml', `${GOOD}mqtt:\n  url: mqtt://127.0.0.1\n  password_file: ${open}\n`));
  assert.ok(warned.ok);
  assert.deepEqual(warned.warnings, [`mqtt.password_file: ${open} is readable by every user; chmod 600 it`]);
});

test('a missing password_file is an error naming key and file', () => {
  const dir = tempDir();
  const path = write(dir, 'door.yaml', GOOD.replace('password: secret', 'password_file: sip.secret'));
  assert.deepEqual(loadConfig(path), {
    ok: false,
    errors: [`sip.password_file: cannot read ${join(dir, 'sip.secret')}: no such file`],
  });
});

test('a plain password in a world-readable config gives a warning', () => {
  const path = write(tempDir(), 'door.yaml', GOOD, 0o644);
  const r = loadConfig(path);
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, [
    `sip.password: ${path} is readable by every user; chmod 600 it or move the secret to sip.password_file`,
  ]);
});

test('examples/door.yaml is valid once its secret file exists', () => {
  const dir = tempDir();
  copyFileSync(new URL('../../examples/door.yaml', import.meta.url), join(dir, 'config.yaml'));
  chmodSync(join(dir, 'config.yaml'), 0o600);
  write(dir, 'sip.secret', 'secret\n');
  const r = loadConfig(join(dir, 'config.yaml'));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.warnings, []);
});

test('loadControlSocket reads only control.socket and ignores everything else', () => {
  const dir = tempDir();
  const withSocket = write(dir, 'a.yaml', 'sip: { password_file: /root/unreadable }\ncontrol:\n  socket: /tmp/x.sock\n');
  assert.deepEqual(loadControlSocket(withSocket), { ok: true, socket: '/tmp/x.sock' });
  const without = write(dir, 'b.yaml', 'sip: {}\n');
  assert.deepEqual(loadControlSocket(without), { ok: true, socket: '/run/intercom/control.sock' });
  const bad = write(dir, 'c.yaml', 'control: { sokcet: /x }\n');
  assert.deepEqual(loadControlSocket(bad), { ok: false, errors: ['control.sokcet: unknown key (did you mean socket?)'] });
});

test('address parsers never throw and accept what they format', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      parseHostPort(s);
      parseListen(s);
    }),
  );
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
      assert.deepEqual(parseHostPort(`${ip}:${port}`), { host: ip, port });
      assert.deepEqual(parseListen(`${ip}:${port}`), { host: ip, port });
    }),
  );
  fc.assert(
    fc.property(fc.domain(), (name) => {
      assert.deepEqual(parseHostPort(name), { host: name });
    }),
  );
});

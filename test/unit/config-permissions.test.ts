// `intercom check` reports files others may read or write: the door codes in a
// world-readable config, a world-writable config or secret file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommand } from '../../src/cli/check.ts';

const CONFIG = (secretLine: string) => `sip:
  server: 127.0.0.1:5060
  user: door
  ${secretLine}
buttons:
  - name: bell
    call: ["101"]
door:
  codes: ["7394"]
`;

function check(files: Record<string, { text: string; mode: number }>): { code: number; err: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-perm-'));
  try {
    for (const [name, f] of Object.entries(files)) {
      writeFileSync(join(dir, name), f.text);
      chmodSync(join(dir, name), f.mode);
    }
    const err: string[] = [];
    const code = checkCommand(join(dir, 'door.yaml'), { out() {}, err: (l) => void err.push(l) });
    return { code, err };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a private config with a private secret file: no warning', () => {
  const r = check({ 'door.yaml': { text: CONFIG('password_file: sip.secret'), mode: 0o600 }, 'sip.secret': { text: 'pw\n', mode: 0o600 } });
  assert.equal(r.code, 0);
  assert.deepEqual(r.err, []);
});

test('door codes in a world-readable config are reported, even with the password in its own file', () => {
  const r = check({ 'door.yaml': { text: CONFIG('password_file: sip.secret'), mode: 0o644 }, 'sip.secret': { text: 'pw\n', mode: 0o600 } });
  assert.equal(r.code, 0, 'a warning, not an error');
  assert.equal(r.err.length, 1, r.err.join('\n'));
  assert.match(r.err[0]!, /^warning: door\.codes: .*door\.yaml is readable by every user/);
  assert.ok(!r.err[0]!.includes('7394'), 'the code itself is not printed');
});

test('world-writable config and secret file are reported; the secret never appears', () => {
  const r = check({ 'door.yaml': { text: CONFIG('password_file: sip.secret'), mode: 0o666 }, 'sip.secret': { text: 's3cr3t-pw\n', mode: 0o666 } });
  const text = r.err.join('\n');
  assert.match(text, /door\.yaml is writable by every user/);
  assert.match(text, /sip\.password_file: .*sip\.secret is readable by every user/);
  assert.match(text, /sip\.password_file: .*sip\.secret is writable by every user/);
  assert.ok(!text.includes('s3cr3t-pw'));
});

test('a TLS key others may read is reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-perm-'));
  try {
    const key = join(dir, 'door.key');
    writeFileSync(key, 'key');
    chmodSync(key, 0o644);
    const config = `sip:\n  server: 127.0.0.1\n  transport: tls\n  user: door\n  password: pw\n  tls_cert: ${join(dir, 'door.pem')}\n  tls_key: ${key}\nbuttons:\n  - name: bell\n    call: ["101"]\n`;
    writeFileSync(join(dir, 'door.yaml'), config, { mode: 0o600 });
    const err: string[] = [];
    assert.equal(checkCommand(join(dir, 'door.yaml'), { out() {}, err: (l) => void err.push(l) }), 0);
    assert.deepEqual(err, [`warning: sip.tls_key: ${key} is readable by every user; chmod 600 it`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the MQTT password gets the same care: a world-writable file, or inline in a world-readable config', () => {
  const withMqtt = (line: string) => `${CONFIG('password_file: sip.secret')}mqtt:\n  url: mqtt://127.0.0.1\n  ${line}\n`;
  const file = check({
    'door.yaml': { text: withMqtt('password_file: mqtt.secret'), mode: 0o600 },
    'sip.secret': { text: 'pw\n', mode: 0o600 },
    'mqtt.secret': { text: 'broker-pw\n', mode: 0o666 },
  });
  assert.match(file.err.join('\n'), /mqtt\.password_file: .*mqtt\.secret is writable by every user/);
  const inline = check({ 'door.yaml': { text: withMqtt('password: "broker-pw"'), mode: 0o644 }, 'sip.secret': { text: 'pw\n', mode: 0o600 } });
  assert.match(inline.err.join('\n'), /mqtt\.password: .*door\.yaml is readable by every user; chmod 600 it or move the secret to mqtt\.password_file/);
  assert.ok(!`${file.err.join('\n')}${inline.err.join('\n')}`.includes('broker-pw'));
});

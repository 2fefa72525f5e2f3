import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';

const minimal = () => ({
  sip: { server: '127.0.0.1', user: 'door', password: 'secret' },
  buttons: [{ name: 'bell', call: ['101'] }],
});

function valid(data: unknown, baseDir = '/nonexistent'): Config {
  const r = validateConfig(data, baseDir);
  if (!r.ok) assert.fail(`expected a valid config, got:\n${r.errors.join('\n')}`);
  return r.config;
}

function errors(data: unknown, baseDir = '/nonexistent'): string[] {
  const r = validateConfig(data, baseDir);
  if (r.ok) assert.fail('expected errors, config was accepted');
  return r.errors;
}

test('a minimal config gets every default', () => {
  const c = valid(minimal());
  assert.deepEqual(c.sip, {
    server: { host: '127.0.0.1', port: 5060 },
    transport: 'udp',
    domain: '127.0.0.1',
    user: 'door',
    auth_user: 'door',
    password: 'secret',
    display_name: 'Door',
    expires: 600,
  });
  assert.equal(c.sip.user_agent, undefined, 'no User-Agent banner unless configured');
  assert.equal(c.sip.listen, undefined);
  assert.deepEqual(c.buttons, [{ name: 'bell', call: ['101'] }]);
  // The voice-processing defaults are checked in config-voice.test.ts.
  assert.deepEqual({ input: c.audio.input, output: c.audio.output, codecs: c.audio.codecs }, { input: 'default', output: 'default', codecs: ['G722', 'PCMU', 'PCMA'] });
  assert.deepEqual(c.control, { socket: '/run/intercom/control.sock' });
  assert.deepEqual(c.door, { open_ms: 3000, codes: [], allow_trivial_codes: false, lockout: { attempts: 3, window: 60, duration: 300 } });
  assert.deepEqual(c.incoming, { enabled: false, allow: [] });
  assert.deepEqual(c.calls, {
    ring_timeout: 30,
    max_duration: 300,
    press_during_call: 'ignore',
    min_interval: 0,
    limit: { calls: 20, window: 600 },
    confirm_timeout: 10,
  });
  assert.deepEqual(c.log, { level: 'info', format: 'text' });
  assert.equal(c.mqtt, undefined);
});

test('the INTERFACE.md example is accepted as written', () => {
  const c = valid({
    sip: { server: '127.0.0.1:5060', transport: 'udp', domain: '127.0.0.1', user: 'door', password: 'secret', listen: '127.0.0.2:5070' },
    buttons: [{ name: 'bell', gpio: { chip: 'gpiochip0', line: 17 }, call: ['101'] }],
    audio: { input: 'default', output: 'default' },
    control: { socket: '/run/intercom/control.sock' },
    door: { relay: { chip: 'gpiochip0', line: 27 }, open_ms: 3000, codes: ['7394'] },
    incoming: { enabled: false, allow: ['101'] },
    mqtt: { url: 'mqtt://127.0.0.1:1883', topic: 'intercom/door' },
  });
  assert.deepEqual(c.sip.listen, { host: '127.0.0.2', port: 5070 });
  assert.deepEqual(c.door.relay, { chip: 'gpiochip0', line: 27, active_low: false });
  assert.deepEqual(c.mqtt, { url: 'mqtt://127.0.0.1:1883', topic: 'intercom/door', discovery: { enabled: true, prefix: 'homeassistant' } });
});

test('server port defaults to 5061 for tls; domain and auth_user follow server and user', () => {
  const d = minimal();
  const c = valid({ ...d, sip: { ...d.sip, server: 'pbx.example.org', transport: 'tls', auth_user: 'door-auth' } });
  // No port written and a name: DNS SRV may still name another one (RFC 3263 §4.2).
  assert.deepEqual(c.sip.server, { host: 'pbx.example.org', port: 5061, srv: true });
  assert.equal(c.sip.domain, 'pbx.example.org');
  assert.equal(c.sip.auth_user, 'door-auth');
  const v6 = valid({ ...d, sip: { ...d.sip, server: '[::1]:5080' } });
  assert.deepEqual(v6.sip.server, { host: '::1', port: 5080 });
});

test('listen takes address, address:port, :port or a bare port number', () => {
  const d = minimal();
  const listen = (v: unknown) => valid({ ...d, sip: { ...d.sip, listen: v } }).sip.listen;
  assert.deepEqual(listen('127.0.0.2'), { host: '127.0.0.2' });
  assert.deepEqual(listen(':5070'), { port: 5070 });
  assert.deepEqual(listen(5070), { port: 5070 });
  assert.deepEqual(listen('[::1]:5070'), { host: '::1', port: 5070 });
  assert.deepEqual(errors({ ...d, sip: { ...d.sip, listen: 'eth0' } }), [
    'sip.listen: "eth0" is not address[:port] (an IP address and/or a port)',
  ]);
});

test('missing password names both ways to give it', () => {
  assert.deepEqual(errors({ sip: { server: 'pbx', user: 'door' }, buttons: minimal().buttons }), [
    'sip.password: required (or sip.password_file)',
  ]);
});

test('password and password_file together are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-cfg-'));
  writeFileSync(join(dir, 'pw'), 'x\n');
  const d = minimal();
  assert.deepEqual(errors({ ...d, sip: { ...d.sip, password_file: 'pw' } }, dir), [
    'sip.password: give sip.password or sip.password_file, not both',
  ]);
});

test('each error message form', () => {
  const d = minimal();
  const cases: [unknown, string][] = [
    [{ ...d, sip: { ...d.sip, server: 'x:y' } }, 'sip.server: "x:y" is not host[:port]'],
    [{ ...d, sip: { ...d.sip, server: 'pbx:70000' } }, 'sip.server: "pbx:70000" is not host[:port]'],
    [{ ...d, sip: { ...d.sip, pasword: 'x' } }, 'sip.pasword: unknown key (did you mean password?)'],
    [{ ...d, sip: { ...d.sip, transport: 'ucp' } }, 'sip.transport: must be one of udp, tcp, tls (got "ucp")'],
    [{ ...d, sip: { ...d.sip, expires: 30 } }, 'sip.expires: must be a whole number from 60 to 86400'],
    [{ ...d, sip: { ...d.sip, expires: '600' } }, 'sip.expires: must be a number, not text'],
    [{ ...d, sip: { ...d.sip, display_name: 'Door\r\nX-Evil: 1' } }, 'sip.display_name: must not contain control characters'],
    [{ ...d, sip: { ...d.sip, user: 1001 } }, 'sip.user: must be quoted ("1001"): YAML reads 1001 as a number and drops leading zeros'],
    [{ ...d, sip: { ...d.sip, password: 1234 } }, 'sip.password: must be a string (put it in quotes)'],
    [{ ...d, buttons: [] }, 'buttons: must not be empty'],
    [{ sip: d.sip }, 'buttons: required'],
    [{ buttons: d.buttons }, 'sip: required'],
    [{ ...d, buttons: [{ name: 'bell', call: [] }] }, 'buttons[0].call: must not be empty'],
    [{ ...d, buttons: [{ name: 'bell', call: ['101@pbx'] }] }, 'buttons[0].call[0]: "101@pbx" is neither a user part ("101") nor a sip:/sips: URI'],
    [{ ...d, buttons: [{ name: 'a b', call: ['101'] }] }, 'buttons[0].name: must be 1-64 letters, digits, ".", "-" or "_" (starting with a letter or digit)'],
    [{ ...d, buttons: [{ name: 'bell', call: ['1'] }, { name: 'bell', call: ['2'] }] }, 'buttons[1].name: "bell" is already the name of buttons[0]'],
    [{ ...d, buttons: [{ name: 'bell', call: ['1'], gpio: { chip: 'gpiochip0' } }] }, 'buttons[0].gpio.line: required'],
    [{ ...d, audio: { codecs: ['G729'] } }, 'audio.codecs[0]: must be one of G722, PCMU, PCMA (got "G729")'],
    [{ ...d, audio: { codecs: [] } }, 'audio.codecs: must not be empty'],
    [{ ...d, door: { open_ms: 50 } }, 'door.open_ms: must be a whole number from 100 to 60000'],
    [{ ...d, door: { codes: ['12a4'] } }, 'door.codes[0]: must be 1-32 DTMF digits (0-9, * and #)'],
    // A door code is never echoed, not even a malformed one.
    [{ ...d, door: { codes: [1234] } }, 'door.codes[0]: must be quoted: YAML reads an unquoted number as a number and drops leading zeros'],
    [{ ...d, incoming: { enabled: 'yes' } }, 'incoming.enabled: must be true or false, not text'],
    [{ ...d, calls: { ring_timeout: 0 } }, 'calls.ring_timeout: must be a number of seconds above 0 and at most 600'],
    [{ ...d, log: { level: 'verbose' } }, 'log.level: must be one of debug, info, warn, error (got "verbose")'],
    [{ ...d, mqtt: { url: 'http://broker' } }, 'mqtt.url: must be an mqtt:// or mqtts:// URL with a host'],
    [{ ...d, mqtt: { topic: 'x' } }, 'mqtt.url: required'],
    [{ ...d, mqtt: { url: 'mqtt://b', topic: 'home/+/door' } }, 'mqtt.topic: must be a non-empty topic without wildcards (+, #) or a leading/trailing /'],
    [{ ...d, mqtt: { url: 'mqtt://b', topic: 'door/' } }, 'mqtt.topic: must be a non-empty topic without wildcards (+, #) or a leading/trailing /'],
    [{ ...d, mqtt: { url: 'mqtt://b', client_id: 'front door' } }, 'mqtt.client_id: must be 1-64 letters, digits, ".", "-" or "_"'],
    [{ ...d, mqtt: { url: 'mqtts://b', tls: { ca: 'ca.pem' } } }, 'mqtt.tls.ca: must be an absolute path to a PEM file'],
    [{ ...d, mqtt: { url: 'mqtt://b', discovery: { enabled: 'yes' } } }, 'mqtt.discovery.enabled: must be true or false, not text'],
    [{ ...d, mqtt: { url: 'mqtt://b', discovery: { prefix: '#' } } }, 'mqtt.discovery.prefix: must be a non-empty topic without wildcards (+, #) or a leading/trailing /'],
    [{ ...d, mqtt: { url: 'mqtt://b', password: 'x', pasword: 'y' } }, 'mqtt.pasword: unknown key (did you mean password?)'],
    [{ ...d, control: { socket: `/tmp/${'x'.repeat(120)}` } }, 'control.socket: must be at most 107 bytes long (unix socket path limit)'],
    [{ ...d, audi: {} }, 'audi: unknown key (did you mean audio?)'],
    [[], 'config: must be a mapping, not a list'],
  ];
  for (const [data, expected] of cases) assert.deepEqual(errors(data), [expected], expected);
});

test('all problems are reported at once, one line each', () => {
  const got = errors({
    sip: { server: 'x:y', user: 'door', pasword: 'x', expires: 5 },
    buttons: [{ name: 'bell', call: [] }, { name: 'bell', call: ['sip:101@pbx'] }],
    door: { open_ms: 1 },
    colour: 'red',
  });
  assert.deepEqual(got, [
    'sip.server: "x:y" is not host[:port]',
    'sip.expires: must be a whole number from 60 to 86400',
    'sip.pasword: unknown key (did you mean password?)',
    'sip.password: required (or sip.password_file)',
    'buttons[0].call: must not be empty',
    'buttons[1].name: "bell" is already the name of buttons[0]',
    'door.open_ms: must be a whole number from 100 to 60000',
    'colour: unknown key',
  ]);
  for (const line of got) assert.ok(!line.includes('\n'));
});

test('the password never appears in an error message', () => {
  const d = minimal();
  const got = errors({ ...d, sip: { ...d.sip, password: 987654321, server: 'bad:host:x' } });
  assert.ok(got.every((l) => !l.includes('987654321')), got.join('\n'));
  const url = errors({ ...d, mqtt: { url: 'ftp://user:hunter2@broker' } });
  assert.ok(url.every((l) => !l.includes('hunter2')), url.join('\n'));
});

test('empty sections (YAML `key:` with everything commented out) take their defaults', () => {
  const c = valid({ ...minimal(), audio: null, door: null, mqtt: null, log: null });
  assert.deepEqual(c.audio.codecs, ['G722', 'PCMU', 'PCMA']);
  assert.equal(c.door.open_ms, 3000);
  assert.equal(c.mqtt, undefined);
});

test('user parts, phone numbers and sip/sips URIs are call targets', () => {
  const c = valid({ ...minimal(), buttons: [{ name: 'b', call: ['101', '+493012345', 'sip:101@pbx', 'sips:flat@example.org:5061'] }] });
  assert.equal(c.buttons[0]?.call.length, 4);
});

test('gpio chip may be given as a number', () => {
  const c = valid({ ...minimal(), door: { relay: { chip: 0, line: 27 } } });
  assert.deepEqual(c.door.relay, { chip: 'gpiochip0', line: 27, active_low: false });
});

test('password_file: read at load time, trailing newline stripped, relative to the base directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-cfg-'));
  writeFileSync(join(dir, 'sip.secret'), 's3cret with space\n');
  chmodSync(join(dir, 'sip.secret'), 0o600);
  const d = minimal();
  const r = validateConfig({ ...d, sip: { server: 'pbx', user: 'door', password_file: 'sip.secret' } }, dir);
  assert.ok(r.ok);
  assert.equal(r.config.sip.password, 's3cret with space');
  assert.equal(r.config.sip.password_file, join(dir, 'sip.secret'));
  assert.deepEqual(r.warnings, []);
});

test('password_file problems name the key and the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-cfg-'));
  const d = minimal();
  const withFile = (f: string) => ({ ...d, sip: { server: 'pbx', user: 'door', password_file: f } });
  assert.deepEqual(errors(withFile('missing.secret'), dir), [
    `sip.password_file: cannot read ${join(dir, 'missing.secret')}: no such file`,
  ]);
  assert.deepEqual(errors(withFile(dir), dir), [`sip.password_file: cannot read ${dir}: is a directory`]);
  writeFileSync(join(dir, 'empty'), '\n');
  assert.deepEqual(errors(withFile('empty'), dir), [`sip.password_file: ${join(dir, 'empty')} is empty`]);
});

test('a world-readable password file and explicitly allowed trivial door codes give warnings, not errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-cfg-'));
  writeFileSync(join(dir, 'pw'), 'x');
  chmodSync(join(dir, 'pw'), 0o644);
  const r = validateConfig(
    { ...minimal(), sip: { server: 'pbx', user: 'door', password_file: 'pw' }, door: { codes: ['12', '7394'], allow_trivial_codes: true } },
    dir,
  );
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, [
    `sip.password_file: ${join(dir, 'pw')} is readable by every user; chmod 600 it`,
    'door.codes[0]: easy to guess (shorter than 4 keys); allowed by door.allow_trivial_codes',
  ]);
});

test('trivial door codes are refused, one line each naming the key and never the code', () => {
  const d = minimal();
  const got = errors({ ...d, door: { codes: ['1234', '7394', '0000', '5', { code: '2580', name: 'flat', for: ['101'] }] } });
  assert.deepEqual(got, [
    'door.codes[0]: too easy to guess (a run of consecutive digits); choose another or set door.allow_trivial_codes: true',
    'door.codes[2]: too easy to guess (one key repeated); choose another or set door.allow_trivial_codes: true',
    'door.codes[3]: too easy to guess (shorter than 4 keys); choose another or set door.allow_trivial_codes: true',
    'door.codes[4]: too easy to guess (one of the most guessed codes); choose another or set door.allow_trivial_codes: true',
  ]);
  assert.ok(!got.join('\n').includes('1234'));
});

test('door codes may be per target, with a name; lock-out limits are checked', () => {
  const d = minimal();
  const c = valid({ ...d, door: { codes: ['7394', { code: '5821', name: 'flat', for: ['101'] }], lockout: { attempts: 5 } } });
  assert.deepEqual(c.door.codes, ['7394', { code: '5821', name: 'flat', for: ['101'] }]);
  assert.deepEqual(c.door.lockout, { attempts: 5, window: 60, duration: 300 });
  assert.deepEqual(errors({ ...d, door: { lockout: { attempts: 0 } } }), ['door.lockout.attempts: must be a whole number from 1 to 100']);
});

test('ring groups: sequential targets, fallback stages, voicemail guard, press policy, incoming announcement', () => {
  const d = minimal();
  const c = valid({
    ...d,
    buttons: [{ name: 'bell', call: ['101', '102'], ring: 'sequential', ring_timeout: 15, fallback: [{ call: ['+491701234'], ring_timeout: 30, confirm: true }] }],
    calls: { press_during_call: 'restart', min_interval: 5, end_after_open: 10 },
    incoming: { enabled: true, allow: ['101'], announcement: '/usr/share/intercom/hello.wav' },
  });
  assert.deepEqual(c.buttons[0]?.fallback, [{ call: ['+491701234'], ring_timeout: 30, confirm: true }]);
  assert.equal(c.calls.press_during_call, 'restart');
  assert.equal(c.calls.end_after_open, 10);
  assert.deepEqual(
    errors({ ...d, buttons: [{ name: 'bell', call: ['101'], ring: 'random', fallback: [{ call: [] }] }], incoming: { announcement: 'hello.wav' } }),
    [
      'buttons[0].ring: must be one of parallel, sequential (got "random")',
      'buttons[0].fallback[0].call: must not be empty',
      'incoming.announcement: must be an absolute path to a WAV file',
    ],
  );
});

test('the TLS listener keys: both files, absolute, with transport tls; tls_port only with them', () => {
  const tlsSip = (extra: Record<string, unknown>) => ({ ...minimal(), sip: { ...minimal().sip, transport: 'tls', ...extra } });
  const c = valid(tlsSip({ tls_cert: '/etc/intercom/door.pem', tls_key: '/etc/intercom/door.key', tls_port: 5071 }));
  assert.deepEqual([c.sip.tls_cert, c.sip.tls_key, c.sip.tls_port], ['/etc/intercom/door.pem', '/etc/intercom/door.key', 5071]);
  assert.deepEqual(errors(tlsSip({ tls_cert: '/etc/intercom/door.pem' })), ['sip.tls_key: required with sip.tls_cert']);
  assert.deepEqual(errors(tlsSip({ tls_key: 'door.key' })), [
    'sip.tls_key: must be an absolute path to a PEM file',
    'sip.tls_cert: required with sip.tls_key',
  ]);
  assert.deepEqual(errors(tlsSip({ tls_port: 5061 })), ['sip.tls_port: needs sip.tls_cert and sip.tls_key']);
  assert.deepEqual(errors({ ...minimal(), sip: { ...minimal().sip, tls_cert: '/a.pem', tls_key: '/a.key' } }), ['sip.tls_cert: needs sip.transport: tls']);
  assert.deepEqual(errors(tlsSip({ tls_cert: '/a.pem', tls_key: '/a.key', tls_port: 70000 })), ['sip.tls_port: must be a whole number from 1 to 65535']);
});

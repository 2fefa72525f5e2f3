// Doctor checks that look at files: GPIO chips, serial readers, memory, disk,
// and the text report.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFindings } from '../../src/cli/doctor.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { checkAudio, checkGpio, checkSerial, configuredLines, configuredSerialDevices } from '../../src/doctor/hardware-checks.ts';
import { parseReply } from '../../src/doctor/sip-options.ts';
import { checkClock, checkDisk, checkMemory } from '../../src/doctor/system-checks.ts';

function config(over: Record<string, unknown> = {}): Config {
  const r = validateConfig({ sip: { server: 'pbx', user: 'door', password: 'pw' }, buttons: [{ name: 'bell', call: ['101'] }], ...over }, '/tmp');
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

describe('doctor: GPIO', () => {
  it('finds every configured line and checks its chip', () => {
    const c = config({ buttons: [{ name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: 17 } }], door: { relay: { chip: 'gpiochip9', line: 27 } } });
    const lines = configuredLines(c).map((l) => `${l.key}=${l.chip}:${l.line}`);
    assert.ok(lines.includes('buttons[0].gpio=gpiochip0:17'), lines.join(', '));
    assert.ok(lines.includes('door.relay=gpiochip9:27'), lines.join(', '));
    const dev = mkdtempSync(join(tmpdir(), 'doctor-dev-'));
    writeFileSync(join(dev, 'gpiochip0'), '');
    const f = checkGpio(c, dev);
    assert.equal(f.verdict, 'fail');
    assert.match(f.detail, /door\.relay: \S+gpiochip9 does not exist/);
    assert.match(f.fix ?? '', /chips here: gpiochip0/);
  });

  it('skips when no line is configured', () => {
    assert.equal(checkGpio(config()).verdict, 'skip');
  });
});

describe('doctor: serial readers', () => {
  it('checks the devices readers name', () => {
    const dev = mkdtempSync(join(tmpdir(), 'doctor-tty-'));
    const present = join(dev, 'ttyUSB0');
    writeFileSync(present, '');
    const found = configuredSerialDevices({ readers: [{ device: present }, { device: join(dev, 'ttyUSB1') }] });
    assert.deepEqual(found.map((d) => d.key), ['readers[0].device', 'readers[1].device']);
    const f = checkSerial({ readers: [{ device: present }, { device: join(dev, 'ttyUSB1') }] } as unknown as Config, dev);
    assert.equal(f.verdict, 'fail');
    assert.match(f.detail, /readers\[1\]\.device: \S+ttyUSB1 does not exist/);
    assert.match(f.fix ?? '', /ports here: ttyUSB0/);
  });
});

describe('doctor: audio', () => {
  it('finds named devices, and says which exist when one does not', async () => {
    const list = async () => [
      { name: 'USB Audio Device: - (hw:1,0)', maxInputChannels: 1, maxOutputChannels: 2 },
      { name: 'default', maxInputChannels: 32, maxOutputChannels: 32 },
    ];
    const ok = await checkAudio(config({ audio: { input: 'USB Audio', output: 'default' } }), list);
    assert.deepEqual(ok.map((f) => f.verdict), ['ok', 'ok']);
    const bad = await checkAudio(config({ audio: { input: 'HAT', output: 'default' } }), list);
    assert.equal(bad[0]?.verdict, 'fail');
    assert.match(bad[0]?.fix ?? '', /pick one of: USB Audio Device/);
    const none = await checkAudio(config(), async () => {
      throw new Error('PortAudio is not installed');
    });
    assert.equal(none[0]?.verdict, 'fail');
    assert.match(none[0]?.fix ?? '', /libportaudio2/);
  });
});

describe('doctor: machine', () => {
  it('memory from /proc/meminfo, warning when low', () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-mem-'));
    const file = join(dir, 'meminfo');
    writeFileSync(file, 'MemTotal:        948304 kB\nMemFree:   1000 kB\nMemAvailable:      40000 kB\n');
    const f = checkMemory(file);
    assert.equal(f.verdict, 'warn');
    assert.equal(f.detail, '39 MB available of 926 MB');
    assert.equal(checkMemory(join(dir, 'none')).verdict, 'skip');
  });

  it('disk space of the root file system', () => {
    assert.match(checkDisk(['/']).detail, /^\/ \d+ MB free \(\d+%\)$/);
  });

  it('a clock in the past fails whatever NTP says', async () => {
    const f = await checkClock(new Date('1970-01-01T00:00:10Z'));
    assert.equal(f.verdict, 'fail');
    assert.match(f.fix ?? '', /timedatectl set-ntp true/);
  });
});

describe('doctor: report and OPTIONS reply', () => {
  it('one line per check, fixes indented, a summary at the end', () => {
    const lines = formatFindings([
      { check: 'config', verdict: 'ok', detail: 'valid' },
      { check: 'sip-server', verdict: 'fail', detail: 'no answer', fix: 'check sip.server' },
    ]);
    assert.deepEqual(lines, ['ok    config      valid', 'FAIL  sip-server  no answer', '                  fix: check sip.server', '1 ok, 0 warnings, 1 failed, 0 skipped']);
  });

  it('matches a reply by Call-ID only', () => {
    const reply = 'SIP/2.0 200 OK\r\nVia: x\r\nCall-ID: abc@doctor\r\nCSeq: 1 OPTIONS\r\n\r\n';
    assert.deepEqual(parseReply(reply, 'abc@doctor'), { status: 200, reason: 'OK' });
    assert.equal(parseReply(reply, 'other'), undefined);
    assert.equal(parseReply('OPTIONS sip:x SIP/2.0\r\n\r\n', 'abc@doctor'), undefined);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/logger.ts';
import type { LoggerOptions } from '../../src/log/logger.ts';
import { logfmtValue } from '../../src/log/logfmt.ts';

const NOW = new Date('2024-05-01T12:00:00.000Z');

function capture(options: Omit<LoggerOptions, 'stream'>) {
  const lines: string[] = [];
  const log = createLogger({ now: () => NOW, journal: false, ...options, stream: { write: (s: string) => lines.push(s) } });
  return { log, lines };
}

test('text format: timestamp, level, event, then fields as logfmt', () => {
  const { log, lines } = capture({ level: 'info', format: 'text' });
  log.info('registered', { server: '127.0.0.1:5060', expires: 600 });
  assert.deepEqual(lines, ['ts=2024-05-01T12:00:00.000Z level=info event=registered server=127.0.0.1:5060 expires=600\n']);
});

test('text format under the journal: no timestamp, a syslog priority prefix', () => {
  const { log, lines } = capture({ level: 'debug', format: 'text', journal: true });
  log.info('registered', { expires: 600 });
  log.warn('registration-failed', { status: 403 });
  log.error('fatal');
  log.debug('tick');
  assert.deepEqual(lines, [
    '<6>level=info event=registered expires=600\n',
    '<4>level=warn event=registration-failed status=403\n',
    '<3>level=error event=fatal\n',
    '<7>level=debug event=tick\n',
  ]);
});

test('logfmt quoting keeps each event on one unambiguous line', () => {
  assert.equal(logfmtValue('plain'), 'plain');
  assert.equal(logfmtValue('two words'), '"two words"');
  assert.equal(logfmtValue('a=b'), '"a=b"');
  assert.equal(logfmtValue('say "hi"'), '"say \\"hi\\""');
  assert.equal(logfmtValue('line\nbreak'), '"line\\nbreak"');
  assert.equal(logfmtValue(''), '""');
  assert.equal(logfmtValue(null), 'null');
  assert.equal(logfmtValue(true), 'true');
  assert.equal(logfmtValue({ a: 1 }), '"{\\"a\\":1}"');
  const { log, lines } = capture({ level: 'info', format: 'text' });
  log.info('call-ended', { reason: 'peer hung up\r\nX: injected', 'bad key': 1 });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.split('\n').length, 2, 'exactly one newline, at the end');
  assert.match(lines[0] ?? '', / reason="peer hung up\\r\\nX: injected" bad_key=1\n$/);
});

test('json format: one object per line with ts, level, event and the fields', () => {
  const { log, lines } = capture({ level: 'info', format: 'json' });
  log.warn('registration-failed', { status: 403, server: 'pbx', nested: { a: [1, 2] } });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]?.endsWith('\n'));
  assert.deepEqual(JSON.parse(lines[0] ?? ''), {
    ts: '2024-05-01T12:00:00.000Z',
    level: 'warn',
    event: 'registration-failed',
    status: 403,
    server: 'pbx',
    nested: { a: [1, 2] },
  });
});

test('levels below the threshold are dropped', () => {
  const { log, lines } = capture({ level: 'warn', format: 'text' });
  log.debug('a');
  log.info('b');
  log.warn('c');
  log.error('d');
  assert.deepEqual(
    lines.map((l) => /event=(\w+)/.exec(l)?.[1]),
    ['c', 'd'],
  );
  assert.equal(log.isEnabled('info'), false);
  assert.equal(log.isEnabled('error'), true);
});

test('secrets are redacted in both formats, at any depth', () => {
  const fields = {
    password: 'hunter2',
    secret: 's',
    code: '7394',
    codes: ['7394', '1111'],
    pin: 1234,
    card: '04A1B2',
    mqtt_password: 'x',
    Password: 'case',
    config: { sip: { user: 'door', password: 'deep' } },
    user: 'door',
  };
  const text = capture({ level: 'info', format: 'text' });
  text.log.info('config', fields);
  const line = text.lines[0] ?? '';
  for (const secret of ['hunter2', '7394', '1111', '1234', '04A1B2', 'deep', 'case']) {
    assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
  }
  assert.match(line, / password=\*\*\* secret=\*\*\* code=\*\*\* codes=\*\*\* pin=\*\*\* card=\*\*\* mqtt_password=\*\*\* Password=\*\*\* /);
  assert.match(line, / user=door\n$/);

  const json = capture({ level: 'info', format: 'json' });
  json.log.info('config', fields);
  const obj = JSON.parse(json.lines[0] ?? '') as Record<string, unknown>;
  assert.equal(obj['password'], '***');
  assert.equal(obj['codes'], '***');
  assert.equal(obj['mqtt_password'], '***');
  assert.deepEqual(obj['config'], { sip: { user: 'door', password: '***' } });
  assert.equal(obj['user'], 'door');
});

test('child loggers add their fields; event fields win; reserved names are kept apart', () => {
  const { log, lines } = capture({ level: 'info', format: 'json' });
  const call = log.child({ call: 'c1', leg: 1 });
  call.child({ leg: 2 }).info('answered', { peer: 'sip:101@pbx', level: 'loud', event: 'x' });
  assert.deepEqual(JSON.parse(lines[0] ?? ''), {
    ts: '2024-05-01T12:00:00.000Z',
    level: 'info',
    event: 'answered',
    call: 'c1',
    leg: 2,
    peer: 'sip:101@pbx',
    _level: 'loud',
    _event: 'x',
  });
  log.info('unrelated');
  assert.equal((JSON.parse(lines[1] ?? '') as Record<string, unknown>)['call'], undefined);
});

test('errors, cycles and bigints do not break a line', () => {
  const { log, lines } = capture({ level: 'info', format: 'json' });
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic['self'] = cyclic;
  log.error('failed', { error: new Error('boom\nsecond line'), cyclic, big: 10n, missing: undefined });
  const obj = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(obj['error'], 'boom\nsecond line');
  assert.deepEqual(obj['cyclic'], { name: 'loop', self: '[circular]' });
  assert.equal(obj['big'], '10');
  assert.ok(!('missing' in obj));
  assert.equal(lines[0]?.split('\n').length, 2);
});

test('a throwing sink does not throw into the caller', () => {
  const log = createLogger({ level: 'info', format: 'text', stream: { write: () => { throw new Error('EPIPE'); } } });
  assert.doesNotThrow(() => log.info('x'));
});

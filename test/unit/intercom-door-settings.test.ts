import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.ts';
import { callPolicy, codeLockout, doorButtons, doorCodes } from '../../src/intercom/door-settings.ts';

function config(extra: Record<string, unknown>) {
  const r = validateConfig({ sip: { server: 'pbx.example', user: 'door', password: 'x' }, buttons: [{ name: 'bell', call: ['101'] }], ...extra }, '/nonexistent');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.config;
}

test('buttons become ring stages: parallel, sequential (one stage per target), then fallbacks; confirm from calls.confirm_timeout', () => {
  const c = config({
    buttons: [
      { name: 'bell', call: ['101', '102'], ring: 'sequential', ring_timeout: 15, fallback: [{ call: ['+491701234', 'sip:ops@office.example'], confirm: true }] },
      { name: 'shop', call: ['200', '201'] },
    ],
    calls: { ring_timeout: 25, confirm_timeout: 8 },
  });
  const [bell, shop] = doorButtons(c);
  assert.deepEqual(bell?.stages, [
    { targets: ['sip:101@pbx.example'], timeoutMs: 15_000 },
    { targets: ['sip:102@pbx.example'], timeoutMs: 15_000 },
    { targets: ['sip:+491701234@pbx.example', 'sip:ops@office.example'], timeoutMs: 25_000, confirmMs: 8000 },
  ]);
  assert.deepEqual(shop?.stages, [{ targets: ['sip:200@pbx.example', 'sip:201@pbx.example'], timeoutMs: 25_000 }]);
});

test('call policy, codes and lock-out in the door\'s units', () => {
  const c = config({
    calls: { press_during_call: 'restart', min_interval: 2, limit: { calls: 5, window: 60 }, end_after_open: 10 },
    door: { codes: ['7394', { code: '5821', name: 'flat', for: ['101'] }], lockout: { attempts: 4, window: 30, duration: 120 } },
  });
  assert.deepEqual(callPolicy(c), { pressDuringCall: 'restart', minCallIntervalMs: 2000, callLimit: { calls: 5, windowMs: 60_000 }, endAfterOpenMs: 10_000 });
  assert.deepEqual(doorCodes(c), [
    { code: '7394', label: 'codes[0]' },
    { code: '5821', label: 'flat', targets: ['sip:101@pbx.example'] },
  ]);
  assert.deepEqual(codeLockout(c), { attempts: 4, windowMs: 30_000, lockoutMs: 120_000 });
});

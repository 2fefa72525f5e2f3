import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstConfigRetryMs, waitForFirstConfig, type LoadAttempt } from '../../src/service/first-config-wait.ts';
import { createLogger } from '../../src/log/logger.ts';

const quiet = createLogger({ level: 'error', format: 'text', stream: { write: () => true }, journal: false });
const never = new Promise<never>(() => {});
type R = LoadAttempt & { value?: string };
const down: R = { ok: false, transient: true, errors: ['provisioning: no config from https://prov.example/door.yaml: connection refused'] };

function recorder() {
  const sent: string[] = [];
  return { sent, notifier: { enabled: true, notify: (s: string) => (sent.push(s), true) } };
}

test('the pause grows from 5 s to at most 5 min', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map(firstConfigRetryMs), [5000, 10000, 20000, 40000, 80000, 160000, 300000, 300000]);
});

test('retries a transient failure until the config comes, telling systemd why the start takes long', async () => {
  const { sent, notifier } = recorder();
  const answers: R[] = [down, { ok: true, value: 'config' }];
  const pauses: number[] = [];
  const r = await waitForFirstConfig(down, {
    load: async () => answers.shift()!,
    notifier,
    log: quiet,
    loadTimeoutMs: 10_000,
    stopped: never,
    retryNow: () => never,
    sleep: async (ms) => pauses.push(ms),
  });
  assert.deepEqual(r, { ok: true, value: 'config' });
  assert.deepEqual(pauses, [5000, 10000]);
  assert.equal(sent.length, 2);
  assert.match(sent[0]!, /^EXTEND_TIMEOUT_USEC=45000000\nSTATUS=waiting for the provisioned config \(next try in 5 s\)$/);
});

test('a permanent error (an invalid local file) ends the wait at once', async () => {
  const bad: R = { ok: false, transient: false, errors: ['provisioning.url: must start with https://'] };
  let loads = 0;
  const r = await waitForFirstConfig(bad, { load: async () => (loads++, bad), notifier: recorder().notifier, log: quiet, loadTimeoutMs: 1, stopped: never, retryNow: () => never });
  assert.equal(r, bad);
  assert.equal(loads, 0);
});

test('a stop during the pause ends the wait without another fetch', async () => {
  let loads = 0;
  const r = await waitForFirstConfig(down, {
    load: async () => (loads++, down),
    notifier: recorder().notifier,
    log: quiet,
    loadTimeoutMs: 1,
    stopped: Promise.resolve('SIGTERM'),
    retryNow: () => never,
    sleep: () => never,
  });
  assert.equal(r, undefined);
  assert.equal(loads, 0);
});

test('a retry asked for (SIGHUP) fetches again without waiting out the pause', async () => {
  const answers: R[] = [{ ok: true, value: 'config' }];
  const r = await waitForFirstConfig(down, {
    load: async () => answers.shift()!,
    notifier: recorder().notifier,
    log: quiet,
    loadTimeoutMs: 1,
    stopped: never,
    retryNow: () => Promise.resolve(),
    sleep: () => never,
  });
  assert.deepEqual(r, { ok: true, value: 'config' });
});

// `intercom demo` as a newcomer runs it: the built command, no SIP server, no
// hardware, nothing prepared. It must finish on its own, quickly, exit 0, and
// its report must show measured audio in both directions and the door opening.
// Needs `npm run build` first (scripts/test.mjs builds before the e2e tests).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/intercom', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/intercom/demo.js', import.meta.url));
/** The demo takes about 4 s; anything near this means it hung. */
const HARD_TIMEOUT_MS = 30_000;

function run(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), HARD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const demoDirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('intercom-demo-')));

/** Parses "heard: 1000 Hz at -9.9 dBFS" from the report. */
function heard(stdout: string, who: string): { hz: number; dbfs: number } | undefined {
  const m = new RegExp(`${who} heard:\\s+(\\d+) Hz at (-?[\\d.]+) dBFS`).exec(stdout);
  return m ? { hz: Number(m[1]), dbfs: Number(m[2]) } : undefined;
}

describe('intercom demo', { timeout: HARD_TIMEOUT_MS + 10_000 }, () => {
  it('runs a whole door call by itself and reports two-way audio and the door opening', async () => {
    assert.ok(existsSync(BUILT), 'dist/ is missing or stale: run `npm run build` first');
    const before = demoDirs();
    const r = await run(['demo']);
    const report = `exit ${r.code} signal ${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    assert.equal(r.signal, null, `killed after ${HARD_TIMEOUT_MS / 1000} s: the demo hung\n${report}`);
    assert.equal(r.code, 0, report);
    assert.ok(r.ms < 15_000, `took ${Math.round(r.ms)} ms\n${report}`);
    assert.equal(r.stderr, '', report);

    assert.match(r.stdout, /Registered, with digest authentication/, report);
    assert.match(r.stdout, /with a SHA-256 digest/, report);
    const indoor = heard(r.stdout, 'indoor station');
    const door = heard(r.stdout, 'door');
    assert.ok(indoor && Math.abs(indoor.hz - 1000) <= 5 && indoor.dbfs > -30, `the indoor station heard the door's 1 kHz tone\n${report}`);
    assert.ok(door && Math.abs(door.hz - 440) <= 5 && door.dbfs > -30, `the door heard the indoor station's 440 Hz tone\n${report}`);
    assert.match(r.stdout, /Door code keyed/, report);
    assert.match(r.stdout, /Door opened/, report);
    assert.match(r.stdout, /Hung up/, report);
    assert.match(r.stdout, /Unregistered/, report);
    assert.match(r.stdout, /Result: registration yes, audio door->indoor yes, audio indoor->door yes, door opened yes/, report);
    assert.match(r.stdout, /Everything worked\./, report);
    const left = [...demoDirs()].filter((d) => !before.has(d));
    assert.deepEqual(left, [], 'the temporary directory is removed');
  });

  it('has --help', async () => {
    const r = await run(['demo', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: intercom demo/);
  });
});

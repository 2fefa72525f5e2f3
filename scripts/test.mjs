#!/usr/bin/env node
// The test runner behind `npm test`.
//
//   node scripts/test.mjs            install the SIP peers, build, run unit then e2e tests
//   node scripts/test.mjs --fast     unit tests only: no installs, no build
//   node scripts/test.mjs FILE...    the given test files only (with --fast: no installs)
//
// Node's own test runner does the work; this script adds what it lacks here:
// the peers' installation, an overall deadline, and a sweep of any process a
// crashed test file left behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The suite has a 10-minute budget; INTERCOM_TEST_DEADLINE_MS overrides (e.g. to try the deadline).
const OVERALL_TIMEOUT_MS = Number(process.env.INTERCOM_TEST_DEADLINE_MS) || 9 * 60 * 1000;
const PER_TEST_TIMEOUT_MS = 120_000;

const args = process.argv.slice(2);
const fast = args.includes('--fast');
const selected = args.filter((a) => a !== '--fast');
const unknownFlag = selected.find((a) => a.startsWith('--'));
if (unknownFlag) {
  console.error(`test.mjs: unknown option ${unknownFlag} (usage: node scripts/test.mjs [--fast] [FILE...])`);
  process.exit(2);
}

/** Test files directly in a folder, sorted, as paths relative to the root. */
function testFiles(folder) {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(folder, f));
}

let files;
if (selected.length > 0) {
  files = selected.map((f) => relative(root, resolve(f)));
  const missing = files.filter((f) => !existsSync(join(root, f)));
  if (missing.length > 0) {
    console.error(`test.mjs: no such test file: ${missing.join(', ')}`);
    process.exit(2);
  }
} else {
  files = fast ? testFiles('test/unit') : [...testFiles('test/unit'), ...testFiles('test/e2e')];
}
if (files.length === 0) {
  console.error('test.mjs: no test files found');
  process.exit(1);
}

// Counted from after the one-time package installation: a fresh machine's apt
// downloads are not the suite's running time (they get a separate 20 minutes).
const INSTALL_TIMEOUT_MS = 20 * 60 * 1000;
let deadline = Date.now() + INSTALL_TIMEOUT_MS;
const remaining = () => Math.max(1000, deadline - Date.now());

function step(label, command, commandArgs) {
  const started = Date.now();
  const r = spawnSync(command, commandArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: remaining() });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
    console.error(`test.mjs: ${label} failed (${why})`);
    process.exit(typeof r.status === 'number' && r.status !== 0 ? r.status : 1);
  }
  console.error(`test.mjs: ${label} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (!fast) {
  step('installing SIP peers', 'bash', [join(root, 'scripts/testenv/install-peers.sh')]);
}
deadline = Date.now() + OVERALL_TIMEOUT_MS;
if (!fast) step('build', 'npm', ['run', '--silent', 'build']);

// Test helpers record each process group they start here, so groups left by
// a test file that was killed outright can still be ended afterwards.
const pidsDir = mkdtempSync(join(tmpdir(), 'intercom-test-pids-'));

function sweepLeftovers() {
  let names;
  try {
    names = readdirSync(pidsDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith('dir-')) {
      // A temp dir whose owner never got to remove it.
      const dir = readFileSync(join(pidsDir, name), 'utf8').trim();
      if (dir.startsWith(join(tmpdir(), 'intercom-'))) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const what = readFileSync(join(pidsDir, name), 'utf8').trim().split(' ')[0] ?? '';
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    } catch {
      continue; // already gone
    }
    // Only a process that still is what was started (PIDs get reused).
    if (what && cmdline.split('/').pop() === what) {
      console.error(`test.mjs: killing leftover ${what} (process group ${pid})`);
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  rmSync(pidsDir, { recursive: true, force: true });
}

const nodeArgs = [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=2',
  `--test-timeout=${PER_TEST_TIMEOUT_MS}`,
  ...files,
];

const child = spawn(process.execPath, nodeArgs, {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, INTERCOM_TEST_PIDS_DIR: pidsDir },
  // Its own process group, so the deadline can end every test file with it.
  detached: true,
});

let timedOut = false;
const killTree = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`test.mjs: the test run exceeded ${(OVERALL_TIMEOUT_MS / 1000).toFixed(0)} s; stopping it`);
  killTree('SIGTERM');
  setTimeout(() => killTree('SIGKILL'), 5000).unref();
}, remaining());

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killTree(sig);
    setTimeout(() => killTree('SIGKILL'), 3000).unref();
  });
}

child.on('close', (code, signal) => {
  clearTimeout(timer);
  // Test files still running after the runner ended (it was stopped) get a
  // moment for their own cleanup, then go with the whole group.
  const grace = timedOut || signal ? 2000 : 0;
  setTimeout(() => {
    killTree('SIGKILL');
    sweepLeftovers();
    if (timedOut) process.exit(124);
    process.exit(signal ? 1 : (code ?? 1));
  }, grace);
});

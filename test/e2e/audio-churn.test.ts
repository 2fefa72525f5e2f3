// Hundreds of opens and closes of the real PortAudio capture and playback
// streams (as a card that keeps failing and being reopened would cause), over
// ALSA file/null devices in a child process: no crash, and file descriptors,
// handles and resident memory stay flat.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeAlsaNullConfig } from '../support/alsa-null-config.ts';
import { makeTempDir } from '../support/process.ts';

const CYCLES = 200;
const CHILD_TIMEOUT_MS = 90_000;

interface Sample {
  cycle: number;
  fds: number;
  rssMb: number;
  heapMb: number;
  handles: number;
}

describe('PortAudio open/close churn', { timeout: CHILD_TIMEOUT_MS + 10_000 }, () => {
  const tmp = makeTempDir('audio-churn-');
  after(() => tmp.remove());

  it(`${CYCLES} open/close cycles of source and sink: no crash, no growth in fds, handles or memory`, async (t) => {
    writeFileSync(join(tmp.path, 'in.raw'), Buffer.alloc(0));
    const alsa = writeAlsaNullConfig(tmp.path, join(tmp.path, 'out.raw'), join(tmp.path, 'in.raw'));
    const run = await new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/support/alsa-churn-child.ts', tmp.path, String(CYCLES)], {
        env: { ...process.env, ALSA_CONFIG_PATH: alsa },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stderr });
      });
    });
    if (run.code === 1 && /portaudio unavailable/.test(run.stderr)) return t.skip(run.stderr.split('\n')[0] ?? '');
    assert.equal(run.signal, null, `child died by ${run.signal} (a crash, or hung past ${CHILD_TIMEOUT_MS} ms)\n${run.stderr}`);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(readFileSync(join(tmp.path, 'churn.json'), 'utf8')) as { samples: Sample[]; errors: number; logs: string[] };
    const byCycle = (n: number) => result.samples.find((s) => s.cycle === n);
    // Measured after a warm-up: the first cycles load ALSA's plugins and grow the heap once.
    const warm = byCycle(50);
    const end = byCycle(CYCLES);
    assert.ok(warm && end, JSON.stringify(result.samples));
    t.diagnostic(`after 50 cycles: ${warm.fds} fds, ${warm.rssMb.toFixed(1)} MB RSS; after ${CYCLES}: ${end.fds} fds, ${end.rssMb.toFixed(1)} MB RSS, ${end.handles} active handles`);
    assert.equal(end.fds, warm.fds, 'file descriptors leaked');
    assert.ok(end.handles <= warm.handles, `active handles grew from ${warm.handles} to ${end.handles}`);
    // A leaking stream costs about 2 MB per cycle here, i.e. 300 MB over these 150 cycles.
    assert.ok(end.rssMb - warm.rssMb < 40, `RSS grew by ${(end.rssMb - warm.rssMb).toFixed(1)} MB over ${CYCLES - 50} cycles`);
    assert.equal(result.errors, 0, result.logs.join('\n'));
  });
});

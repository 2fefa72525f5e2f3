// Hundreds of opens and closes of the real PortAudio capture and playback
// streams (as a card that keeps failing and being reopened would cause), over
// ALSA file/null devices in a child process: no crash, and file descriptors,
// handles and resident memory stay flat.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAlsaNullConfig } from '../support/alsa-null-config.ts';
import { makeTempDir } from '../support/process.ts';

const CYCLES = 125;
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
  let run: { code: number | null; signal: string | null; stderr: string } | undefined;
  let result: { samples: Sample[]; errors: number; logs: string[] } | undefined;
  let unavailable = '';

  before(async () => {
    writeFileSync(join(tmp.path, 'in.raw'), Buffer.alloc(0));
    const alsa = writeAlsaNullConfig(tmp.path, join(tmp.path, 'out.raw'), join(tmp.path, 'in.raw'));
    const done = await new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
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
    run = done;
    if (done.code === 1 && /portaudio unavailable/.test(done.stderr)) unavailable = done.stderr.split('\n')[0] ?? 'unavailable';
    else if (done.code === 0) result = JSON.parse(readFileSync(join(tmp.path, 'churn.json'), 'utf8')) as typeof result;
  });
  after(() => tmp.remove());

  /** The samples after a warm-up (the first cycles load ALSA plugins and grow the heap once) and at the end. */
  function window(): { warm: Sample; end: Sample } {
    const byCycle = (n: number) => result?.samples.find((s) => s.cycle === n);
    const warm = byCycle(25);
    const end = byCycle(CYCLES);
    assert.ok(warm && end, JSON.stringify(result?.samples));
    return { warm, end };
  }

  it(`${CYCLES} open/close cycles of source and sink: no crash, no error, no growth in fds or handles`, (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.ok(run);
    assert.equal(run.signal, null, `child died by ${run.signal} (a crash, or hung past ${CHILD_TIMEOUT_MS} ms)\n${run.stderr}`);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(result);
    const { warm, end } = window();
    t.diagnostic(`after 25 cycles: ${warm.fds} fds, ${warm.handles} handles; after ${CYCLES}: ${end.fds} fds, ${end.handles} handles`);
    assert.equal(end.fds, warm.fds, 'file descriptors leaked');
    assert.ok(end.handles <= warm.handles, `active handles grew from ${warm.handles} to ${end.handles}`);
    assert.equal(result.errors, 0, result.logs.join('\n'));
  });

  // naudiodon leaks ~2 MB of native memory per capture open/close here: the ALSA null
  // capture is not paced, so naudiodon's queue is full when the stream is quit. Left to
  // PortAudio's own period size the leak goes, but capture through PulseAudio starves.
  // The station opens its devices once, and again only after a fault, so a day of calls
  // does not reach this; it stays visible here until naudiodon is fixed or replaced.
  it('resident memory stays flat over the cycles', { todo: 'naudiodon leaks native memory per capture stream closed with a full queue' }, (t) => {
    if (unavailable) return t.skip(unavailable);
    const { warm, end } = window();
    t.diagnostic(`RSS after 25 cycles ${warm.rssMb.toFixed(1)} MB, after ${CYCLES} ${end.rssMb.toFixed(1)} MB (heap ${warm.heapMb.toFixed(1)} -> ${end.heapMb.toFixed(1)} MB)`);
    assert.ok(end.heapMb - warm.heapMb < 5, `JS heap grew by ${(end.heapMb - warm.heapMb).toFixed(1)} MB`);
    assert.ok(end.rssMb - warm.rssMb < 40, `RSS grew by ${(end.rssMb - warm.rssMb).toFixed(1)} MB over ${CYCLES - 25} cycles`);
  });
});

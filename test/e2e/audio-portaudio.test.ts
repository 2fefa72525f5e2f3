// The real PortAudio backend (naudiodon) with no sound card: ALSA is pointed at a
// config whose default device plays into a raw file and captures from a raw file
// (test/support/alsa-null-config.ts). PortAudio reads the ALSA config when it
// initialises, so the audio runs in a child process with ALSA_CONFIG_PATH set and a
// hard timeout; this file only measures what came out.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeAlsaNullConfig } from '../support/alsa-null-config.ts';

const CHILD_TIMEOUT_MS = 30_000;
const TONE_HZ = 1000;
const TONE_RMS = 8000 / Math.SQRT2;

function int16(path: string): Int16Array {
  const bytes = readFileSync(path);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.byteLength & ~1)));
}

function rms(x: Int16Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / Math.max(1, x.length));
}

/** Power of `hz` in `x` by the Goertzel algorithm (normalised so a full-scale sine gives ~0.25). */
function goertzel(x: Int16Array, hz: number, rate: number): number {
  const w = (2 * Math.PI * hz) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v / 32768 + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.length * x.length);
}

/** The frequency (on a `step` Hz grid) with the most power in `x`. */
function peakHz(x: Int16Array, rate: number, step: number): number {
  let best = 0;
  let bestPower = -1;
  for (let hz = step; hz < rate / 2; hz += step) {
    const p = goertzel(x, hz, rate);
    if (p > bestPower) {
      bestPower = p;
      best = hz;
    }
  }
  return best;
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

interface ChildResult {
  devices: Array<{ name: string; defaultInput: boolean; defaultOutput: boolean; defaultSampleRate: number }>;
  captureRate: number;
  sourceDescription: string;
  sourceStats: { underruns: number; overruns: number; errors: number };
  sinkDescription: string;
  sinkStats: { underruns: number; overruns: number; errors: number };
  framesWritten: number;
  logs: string[];
}

function runChild(dir: string, alsaConfig: string): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/alsa-portaudio-child.ts', dir], {
      cwd: process.cwd(),
      env: { ...process.env, ALSA_CONFIG_PATH: alsaConfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, stdout });
    });
  });
}

describe('portaudio backend through ALSA file/null devices', () => {
  let dir = '';
  let result: ChildResult | undefined;
  let unavailable = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'intercom-alsa-'));
    const captureIn = join(dir, 'capture.in.raw');
    writeFileSync(captureIn, Buffer.alloc(0)); // the child rewrites it at the device's rate
    const config = writeAlsaNullConfig(dir, join(dir, 'playback.out.raw'), captureIn);
    const run = await runChild(dir, config);
    if (run.code !== 0 && /portaudio unavailable/.test(run.stderr)) {
      unavailable = run.stderr.trim().split('\n')[0] ?? '';
      return;
    }
    assert.equal(run.signal, null, `child killed after ${CHILD_TIMEOUT_MS} ms (hung in PortAudio?)\n${run.stderr}`);
    assert.equal(run.code, 0, `child failed:\n${run.stderr}\nstdout:\n${run.stdout}`);
    result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ChildResult;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('captures a 1 kHz tone from the device and delivers it at 8 kHz', (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.ok(result);
    assert.match(result.sourceDescription, new RegExp(`capture ${result.captureRate} Hz 1 ch -> 8000 Hz`));
    const captured = int16(join(dir, 'captured.raw'));
    const frames: Int16Array[] = [];
    for (let i = 0; i + 160 <= captured.length; i += 160) frames.push(captured.subarray(i, i + 160));
    const toneFrames = frames.filter((f) => rms(f) > TONE_RMS / 4);
    // Frames wholly inside the tone (not the filter's ramp at its end).
    const steady = toneFrames.filter((f) => Math.abs(db(rms(f) / TONE_RMS)) < 0.5);
    t.diagnostic(`${steady.length} steady tone frames of ${frames.length} with sound; source stats ${JSON.stringify(result.sourceStats)}`);
    // The infile holds 100 frames of tone; at least half must come through intact.
    assert.ok(steady.length >= 50, `expected at least 50 frames of steady tone, got ${steady.length} of ${frames.length} with sound`);
    assert.ok(toneFrames.length <= 101, `more tone than the 2 s infile holds: ${toneFrames.length} frames`);
    for (const f of steady) {
      assert.equal(peakHz(f, 8000, 50), TONE_HZ);
      const rest = goertzel(f, TONE_HZ, 8000) / (rms(f) / 32768) ** 2; // share of power at the tone, 0.5 for a pure sine
      assert.ok(rest > 0.49, `frame not a pure tone (tone share ${rest.toFixed(3)})`);
    }
    assert.equal(result.sourceStats.errors, 0);
  });

  it('plays a 1 kHz tone written at 8 kHz into the device at its own rate, level unchanged', (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.ok(result);
    const out = result.devices.find((d) => d.defaultOutput);
    assert.ok(out, 'no default output device');
    const rate = Math.round(out.defaultSampleRate);
    assert.match(result.sinkDescription, new RegExp(`playback 8000 Hz -> ${rate} Hz 1 ch`));
    const played = int16(join(dir, 'playback.out.raw'));
    // 10 ms windows: tone where the level is up, silence (priming, fill-ins) elsewhere.
    const win = rate / 100;
    const loud: boolean[] = [];
    for (let i = 0; i + win <= played.length; i += win) loud.push(rms(played.subarray(i, i + win)) > TONE_RMS / 4);
    const loudWindows = loud.filter(Boolean).length;
    // Every frame written must be there: 2 windows each, less a window or two where
    // a late frame had silence put before it (counted as an underrun).
    const expectedWindows = result.framesWritten * 2;
    const slack = 3 + 2 * result.sinkStats.underruns;
    assert.ok(loudWindows <= expectedWindows + 2 && loudWindows >= expectedWindows - slack, `expected ~${expectedWindows} windows of tone, found ${loudWindows}`);
    // The longest uninterrupted stretch of tone, minus its ramps, must be a clean 1 kHz at the written level.
    let bestStart = 0;
    let bestLen = 0;
    for (let i = 0; i < loud.length; ) {
      if (!loud[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j < loud.length && loud[j]) j++;
      if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
      i = j;
    }
    assert.ok(bestLen >= 20, `longest run of tone only ${bestLen * 10} ms`);
    const stretch = played.subarray((bestStart + 1) * win, (bestStart + bestLen - 1) * win);
    const hz = peakHz(stretch, rate, 5);
    assert.ok(Math.abs(hz - TONE_HZ) <= 5, `played tone at ${hz} Hz`);
    const level = db(rms(stretch) / TONE_RMS);
    assert.ok(Math.abs(level) < 0.3, `played level off by ${level.toFixed(2)} dB`);
    t.diagnostic(`${loudWindows} x 10 ms of tone at ${hz} Hz, ${level.toFixed(3)} dB; sink stats ${JSON.stringify(result.sinkStats)}`);
    assert.equal(result.sinkStats.errors, 0);
    assert.equal(result.sinkStats.overruns, 0);
  });
});

// Echo cancellation over a real audio path: plays speech-like audio through the
// output device, records the input device in the same 20 ms lock-step as a
// call's media loop, and prints, second by second, how long the round trip
// from output to input is (the lag of best cross-correlation), how alike the
// two are, and the ERLE the speex canceller reaches with the given tail.
// Prints figures, asserts nothing.
//
//   node --import tsx scripts/bench/aec-loop.ts                # a private PulseAudio null sink whose monitor is the input
//   node --import tsx scripts/bench/aec-loop.ts --devices      # the machine's default devices as they are (a real door:
//                                                              # speaker to microphone through the air; it makes noise)
//   options: --tail MS (default: the config default), --seconds N (default 12), --rate 8000|16000 (default 16000)
//
// On the null sink the round trip is the PortAudio backend's own buffering plus
// PulseAudio's; a tail shorter than it cancels nothing. On a real door the figure
// to put into `audio.echo_tail_ms` is the round trip plus the room's echo.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createVoiceProcessing } from '../../src/audio/dsp/processing.ts';
import { openAudioSink, openAudioSource } from '../../src/audio/registry.ts';
import { validateConfig } from '../../src/config/load.ts';
import { erleDb, levelDbfs, speechLike, toPcm } from '../../test/support/echo-path.ts';
import { startPulseAudio } from '../../test/support/pulseaudio.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: node --import tsx scripts/bench/aec-loop.ts [--devices] [--tail MS] [--seconds N] [--rate 8000|16000]');
  process.exit(0);
}
function option(name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`aec-loop: ${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}

const defaults = validateConfig({ sip: { server: '127.0.0.1', user: 'door', password: 'x' }, buttons: [{ name: 'b', call: ['1'] }] }, '/');
const TAIL_MS = option('--tail', defaults.ok ? defaults.config.audio.echo_tail_ms : 300);
const SECONDS = option('--seconds', 12);
const RATE = option('--rate', 16000);

async function measure(): Promise<void> {
  const frame = RATE / 50;
  const fmt = { sampleRate: RATE, frameSamples: frame };
  const quiet = { debug() {}, info() {}, warn() {} };
  const source = await openAudioSource('default', fmt);
  const sink = await openAudioSink('default', fmt);
  const far = toPcm(speechLike({ rate: RATE, seconds: SECONDS, level: 0.3, seed: 11 }));
  const mic = new Int16Array(far.length);
  const sent = new Int16Array(far.length);
  const p = createVoiceProcessing(
    { echo_cancellation: 'speex', echo_tail_ms: TAIL_MS, noise_suppression: false, agc: false, mic_gain_db: 0, speaker_gain_db: 0, half_duplex: { attenuation_db: 30, threshold_dbfs: -40, hang_ms: 300 } },
    quiet,
  ).create(fmt);
  const frames = far.length / frame;
  const start = process.hrtime.bigint();
  let k = 0;
  // The same drift-free schedule as the media loop: frame k is due at start + k·20 ms.
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Number((process.hrtime.bigint() - start) / 20_000_000n) + 1;
      for (; k < due && k < frames; k++) {
        const m = source.read();
        mic.set(m, k * frame);
        const r = p.process(m, far.subarray(k * frame, (k + 1) * frame));
        sent.set(r.send, k * frame);
        sink.write(r.play);
      }
      if (k >= frames) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  const counters = { input: source.stats(), output: sink.stats() };
  p.close();
  await Promise.all([source.close(), sink.close()]);
  console.log(`\naec-loop: ${RATE} Hz, tail ${TAIL_MS} ms; device counters ${JSON.stringify(counters)}`);
  for (let s = 1; s < SECONDS; s++) {
    const from = s * RATE;
    let best = -1;
    let bestLag = 0;
    for (let lag = 0; lag < RATE; lag += 1) {
      let c = 0;
      let e1 = 0;
      let e2 = 0;
      for (let i = 0; i < RATE; i += 4) {
        const x = mic[from + i] ?? 0;
        const y = far[from + i - lag] ?? 0;
        c += x * y;
        e1 += x * x;
        e2 += y * y;
      }
      const r = c / Math.sqrt(e1 * e2 + 1e-12);
      if (r > best) {
        best = r;
        bestLag = lag;
      }
    }
    const erle = erleDb(mic, sent, far, frame, from, from + RATE);
    console.log(
      `  second ${String(s).padStart(2)}: round trip ${((bestLag / RATE) * 1000).toFixed(1).padStart(6)} ms (correlation ${best.toFixed(2)}), ` +
        `input ${levelDbfs(mic, from, from + RATE).toFixed(1)} dBFS, ERLE ${erle.toFixed(1)} dB`,
    );
  }
}

if (args.includes('--child') || args.includes('--devices')) {
  await measure();
  process.exit(0);
} else {
  const pulse = await startPulseAudio();
  try {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', ...args], { env: { ...process.env, ...pulse.env }, encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
    // naudiodon and ALSA chatter on both streams; only this script's lines are kept.
    const mine = r.stdout.split('\n').filter((l) => l.startsWith('aec-loop:') || l.startsWith('  second') || l === '');
    console.log(mine.join('\n').trim() || `aec-loop: the measuring process failed:\n${r.stderr.slice(0, 2000)}`);
  } finally {
    await pulse.stop();
  }
  process.exit(0);
}

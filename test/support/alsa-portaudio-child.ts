// Runs in a child process with ALSA_CONFIG_PATH pointing at writeAlsaNullConfig's
// file: exercises the real PortAudio backend (naudiodon) and leaves raw results for
// the parent test to measure. Usage: node --import tsx alsa-portaudio-child.ts WORKDIR
// WORKDIR/capture.in.raw is (re)written here at the capture device's own rate, then
// WORKDIR/captured.raw receives the non-silent frames our source returned (8 kHz s16le), and
// WORKDIR/result.json the devices, descriptions and stats. naudiodon prints to stdout,
// so nothing of ours goes there.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortAudioBackend } from '../../src/audio/portaudio-backend.ts';
import type { AudioSink, AudioSource } from '../../src/audio/device.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: alsa-portaudio-child.ts WORKDIR\n');
  process.exit(2);
}
const fmt = { sampleRate: 8000, frameSamples: 160 };
const TONE_HZ = 1000;
const TONE_AMPLITUDE = 8000;
const logs: string[] = [];
const backend = new PortAudioBackend({ log: (level, message) => logs.push(`${level}: ${message}`) });

function tone(rate: number, samples: number, hz: number, amplitude: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

async function main(): Promise<void> {
  const devices = await backend.listDevices();
  const capture = devices.find((d) => d.defaultInput);
  if (!capture) throw new Error(`no default capture device among ${JSON.stringify(devices)}`);

  // 2 s of tone then 0.5 s of silence: after the infile ends ALSA keeps delivering
  // its last buffer, which is then silence, so any tone we read came from the tone.
  const rate = Math.round(capture.defaultSampleRate);
  const infile = new Int16Array(rate * 2.5);
  infile.set(tone(rate, rate * 2, TONE_HZ, TONE_AMPLITUDE));
  writeFileSync(join(dir!, 'capture.in.raw'), Buffer.from(infile.buffer));

  // Open both sides, then close them whatever happens: a stream left running keeps
  // a libuv worker blocked and the process would never exit.
  let source: AudioSource | undefined;
  let sink: AudioSink | undefined;
  try {
    // The ring must hold what arrives between two reads: capture here runs far
    // faster than real time, so give it 2 s instead of the default 120 ms.
    const bigRing = new PortAudioBackend({ log: (level, message) => logs.push(`${level}: ${message}`), captureBufferFrames: 100 });
    source = await bigRing.openSource('default', fmt);
    // Read as fast as the event loop allows (the capture is not paced), keeping only
    // frames with sound: the infile's tone, then its silence and ALSA's, end the run.
    const captured: Int16Array[] = [];
    const deadline = Date.now() + 5000;
    let lastSound = 0;
    while (Date.now() < deadline && !(lastSound > 0 && Date.now() - lastSound > 300)) {
      const frame = source.read();
      if (frame.some((v) => v !== 0)) {
        captured.push(frame);
        lastSound = Date.now();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const sourceStats = source.stats();
    const sourceDescription = source.description;
    await source.close();
    source = undefined;
    writeFileSync(join(dir!, 'captured.raw'), Buffer.concat(captured.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength))));

    // Playback, paced like the media loop: one 20 ms frame of tone per 20 ms.
    sink = await backend.openSink('default', fmt);
    const frames = 50;
    const signal = tone(fmt.sampleRate, frames * fmt.frameSamples, TONE_HZ, TONE_AMPLITUDE);
    const start = performance.now();
    for (let n = 0; n < frames; n++) {
      sink.write(signal.subarray(n * fmt.frameSamples, (n + 1) * fmt.frameSamples));
      const next = start + (n + 1) * 20;
      await sleep(Math.max(0, next - performance.now()));
    }
    const sinkStats = sink.stats();
    const sinkDescription = sink.description;
    await sink.close();
    sink = undefined;

    writeFileSync(
      join(dir!, 'result.json'),
      JSON.stringify({ devices, captureRate: rate, sourceDescription, sourceStats, sinkDescription, sinkStats, framesWritten: frames, logs }, null, 2),
    );
  } finally {
    await source?.close();
    await sink?.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`child failed: ${err instanceof Error ? err.stack : String(err)}\n${logs.join('\n')}\n`);
    process.exit(1);
  },
);

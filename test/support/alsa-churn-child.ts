// Runs in a child process with ALSA_CONFIG_PATH pointing at writeAlsaNullConfig's
// file: opens and closes the real PortAudio source and sink CYCLES times, as
// hundreds of calls would, moving a few frames each time, and writes the open
// file descriptors and resident memory seen along the way to WORKDIR/churn.json.
// Usage: node --import tsx alsa-churn-child.ts WORKDIR CYCLES
// naudiodon prints to stdout, so nothing of ours goes there.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortAudioBackend } from '../../src/audio/portaudio-backend.ts';

const [dir, cyclesArg] = process.argv.slice(2);
if (!dir || !cyclesArg) {
  process.stderr.write('usage: alsa-churn-child.ts WORKDIR CYCLES\n');
  process.exit(2);
}
const cycles = Number(cyclesArg);
const fmt = { sampleRate: 16000, frameSamples: 320 };
const logs: string[] = [];
const backend = new PortAudioBackend({ log: (level, message) => logs.push(`${level}: ${message}`) });
const fds = () => readdirSync('/proc/self/fd').length;
const rssMb = () => process.memoryUsage().rss / 1048576;

async function main(): Promise<void> {
  const samples: Array<{ cycle: number; fds: number; rssMb: number; heapMb: number; externalMb: number; handles: number }> = [];
  const tone = new Int16Array(fmt.frameSamples).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / fmt.sampleRate)));
  for (let n = 1; n <= cycles; n++) {
    const source = await backend.openSource('default', fmt);
    const sink = await backend.openSink('default', fmt);
    try {
      for (let f = 0; f < 3; f++) {
        source.read();
        sink.write(tone);
        await sleep(1);
      }
    } finally {
      await source.close();
      await sink.close();
    }
    if (n % 25 === 0 || n === 1) {
      (globalThis as { gc?: () => void }).gc?.();
      samples.push({ cycle: n, fds: fds(), rssMb: rssMb(), heapMb: process.memoryUsage().heapUsed / 1048576, externalMb: process.memoryUsage().external / 1048576, handles: process.getActiveResourcesInfo().length });
    }
  }
  writeFileSync(join(dir!, 'churn.json'), JSON.stringify({ samples, logs: logs.slice(0, 20), errors: logs.filter((l) => l.startsWith('error')).length }, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`churn child failed: ${err instanceof Error ? err.stack : String(err)}\n${logs.slice(0, 20).join('\n')}\n`);
    process.exit(1);
  },
);

// Entry point run under `unshare -n` (a private network namespace with only its own
// loopback): runs runLossyCall and writes its result as JSON to the file given.
// Usage: node --import tsx lossy-call-child.ts OUT.json SECONDS LOSS_PERCENT JITTER_MS [SEED]
import { writeFileSync } from 'node:fs';
import { runLossyCall } from './lossy-call.ts';

const [out, seconds, loss, jitter, seed] = process.argv.slice(2);
if (!out || !seconds || !loss || !jitter) {
  process.stderr.write('usage: lossy-call-child.ts OUT.json SECONDS LOSS_PERCENT JITTER_MS [SEED]\n');
  process.exit(2);
}
runLossyCall({ seconds: Number(seconds), lossPercent: Number(loss), jitterMs: Number(jitter), seed: Number(seed ?? 1) }).then(
  (r) => {
    writeFileSync(out, JSON.stringify(r));
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`lossy call failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

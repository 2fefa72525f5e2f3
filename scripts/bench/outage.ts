// Registrar outage: how long after the server's return the door is
// registered again. Prints figures, asserts nothing (the e2e test
// test/e2e/outage.test.ts checks the behaviour over TCP in seconds; this
// runs the long UDP case, where only timeouts tell that the server is gone).
//
//   node --import tsx scripts/bench/outage.ts [--transport udp|tcp] [--outage-s 60] [--rounds 2]
//
// Kamailio (memory only: a restart forgets every binding) and the real
// `bin/intercom run` (build first: npm run build) on loopback. Each round:
// registered -> Kamailio stopped for --outage-s -> started again on the same
// port -> time until Kamailio holds the door's binding again.
import { performance } from 'node:perf_hooks';
import { startIntercom } from '../../test/e2e/intercom-process.ts';
import { startKamailio, type Kamailio } from '../../test/support/kamailio.ts';
import { freePort } from '../../test/support/ports.ts';
import { waitUntil } from '../../test/support/process.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const TRANSPORT = arg('transport', 'udp');
const OUTAGE_S = Number(arg('outage-s', '60'));
const ROUNDS = Number(arg('rounds', '2'));
const users = { door: 'door-secret' };

const port = await freePort('127.0.0.1');
let kam: Kamailio | undefined = await startKamailio({ users, port });
const door = await startIntercom({
  sip: { server: kam.hostport, transport: TRANSPORT, user: 'door', password: users.door },
  buttons: [{ name: 'bell', call: ['101'] }],
  audio: { input: 'none', output: 'none' },
});
try {
  console.log(`outage: ${TRANSPORT}, registrar stopped for ${OUTAGE_S} s, ${ROUNDS} rounds`);
  for (let round = 1; round <= ROUNDS; round++) {
    await kam.stop();
    kam = undefined;
    const down = performance.now();
    await new Promise((r) => setTimeout(r, OUTAGE_S * 1000));
    const noticed = /event=sip\.server-lost/.test(door.logs());
    kam = await startKamailio({ users, port });
    const back = performance.now();
    await waitUntil('registered again', async () => (await kam!.contacts('door')).length > 0, { timeoutMs: 180_000, intervalMs: 50 });
    const seconds = (performance.now() - back) / 1000;
    console.log(`  round ${round}: outage ${((back - down) / 1000).toFixed(1)} s; door had noticed: ${noticed ? 'yes' : 'no'}; registered again ${seconds.toFixed(1)} s after the return`);
  }
} finally {
  await door.terminate().catch(() => undefined);
  await kam?.stop();
}

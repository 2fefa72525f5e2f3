// Figures for the adaptive jitter buffer under real loss and jitter (nothing is
// asserted): for each scenario a one-way call runs for a while inside a private network
// namespace, with nftables dropping a share of the datagrams and a relay delaying each
// by a random 0..jitter ms (test/support/lossy-call.ts), and the receiver's figures are
// printed: loss, late packets, concealed frames, the buffer's target, the mouth-to-ear
// delay and the part of it the intercom adds on top of the network.
//   node --import tsx scripts/bench/jitter.ts [SECONDS]      (root: it uses unshare -n)
import { runLossyCallInNamespace } from '../../test/support/private-network.ts';

const seconds = Number(process.argv[2] ?? 15);
const scenarios = [
  { lossPercent: 0, jitterMs: 0 },
  { lossPercent: 5, jitterMs: 20 },
  { lossPercent: 0, jitterMs: 100 },
  { lossPercent: 20, jitterMs: 100 },
  { lossPercent: 10, jitterMs: 200 },
];

const pad = (s: string, n: number): string => s.padStart(n);
console.log(`jitter buffer under loss and jitter, ${seconds} s per scenario (PCMU, 20 ms packets)`);
console.log(
  [pad('drop %', 7), pad('jitter ms', 10), pad('lost %', 7), pad('late %', 7), pad('concealed %', 12), pad('target ms', 10), pad('mouth-ear ms', 13), pad('network ms', 11), pad('added ms', 9)].join(''),
);
for (const sc of scenarios) {
  const r = await runLossyCallInNamespace({ seconds, ...sc });
  const s = r.receiver;
  const expected = Math.max(1, s.packetsReceived + s.lost);
  const m2e = r.mouthToEarMs;
  console.log(
    [
      pad(String(sc.lossPercent), 7),
      pad(String(sc.jitterMs), 10),
      pad(((100 * s.lost) / expected).toFixed(1), 7),
      pad(((100 * s.late) / Math.max(1, s.packetsReceived)).toFixed(1), 7),
      pad(((100 * s.concealed) / Math.max(1, r.playedFrames)).toFixed(1), 12),
      pad(`${s.jitterTargetMs} (${r.meanTargetMs.toFixed(0)})`, 10),
      pad(m2e === undefined ? '-' : m2e.toFixed(0), 13),
      pad(r.meanNetworkMs.toFixed(0), 11),
      pad(m2e === undefined ? '-' : (m2e - r.meanNetworkMs).toFixed(0), 9),
    ].join(''),
  );
}
console.log('target: final (mean over the call); added: mouth-to-ear less the mean network delay (jitter buffer + frame alignment).');

// A tcpdump capture on the loopback interface, read back as UDP datagrams.
import { join } from 'node:path';
import { readPcapUdp, type UdpDatagram } from './pcap.ts';
import { spawnManaged, waitUntil } from './process.ts';

export interface LoopbackCapture {
  /** Stops tcpdump and returns what it saw. */
  stop(): Promise<UdpDatagram[]>;
}

/** Starts capturing UDP on `lo` matching a tcpdump filter (e.g. "portrange 10000-19999"); resolves once it listens. */
export async function captureLoopback(dir: string, filter: string): Promise<LoopbackCapture> {
  const file = join(dir, `capture-${Date.now()}.pcap`);
  // --immediate-mode: the kernel hands each packet over at once (otherwise it
  // batches them, and the last batch is lost when tcpdump is stopped);
  // -U: each packet is written as it comes.
  const proc = spawnManaged('tcpdump', 'tcpdump', ['-i', 'lo', '-n', '--immediate-mode', '-U', '-w', file, `udp and (${filter})`]);
  await waitUntil('tcpdump listening', async () => {
    if (proc.hasExited()) throw new Error(`tcpdump exited: ${proc.output()}`);
    return /listening on lo/.test(proc.output());
  }, { timeoutMs: 10_000, intervalMs: 25 });
  return {
    async stop() {
      await proc.stop(2000);
      return readPcapUdp(file);
    },
  };
}

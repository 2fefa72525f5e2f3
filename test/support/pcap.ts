// Classic libpcap files (tcpdump -w, the SIPp captures) read into UDP datagrams.
import { readFileSync } from 'node:fs';

export interface UdpDatagram {
  timeUs: number;
  src: { address: string; port: number };
  dst: { address: string; port: number };
  payload: Buffer;
}

/** Reads a classic libpcap file of Ethernet/IPv4/UDP frames into UDP payloads. */
export function readPcapUdp(path: string): UdpDatagram[] {
  const f = readFileSync(path);
  const magic = f.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!le && !be) throw new Error(`${path}: not a pcap file (magic ${magic.toString(16)})`);
  const nanos = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (o: number): number => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${path}: link type ${linkType}, only Ethernet (1) is read`);
  const out: UdpDatagram[] = [];
  let o = 24;
  while (o + 16 <= f.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const frame = f.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    let eth = 12;
    let etherType = frame.readUInt16BE(eth);
    if (etherType === 0x8100) {
      eth += 4; // 802.1Q tag
      etherType = frame.readUInt16BE(eth);
    }
    if (etherType !== 0x0800) continue;
    const ip = frame.subarray(eth + 2);
    const ihl = ((ip[0] as number) & 0x0f) * 4;
    if (ip[9] !== 17) continue;
    const ipAddr = (at: number): string => [...ip.subarray(at, at + 4)].join('.');
    const totalLength = ip.readUInt16BE(2);
    const udp = ip.subarray(ihl, totalLength);
    const udpLength = udp.readUInt16BE(4);
    out.push({
      timeUs: sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac),
      src: { address: ipAddr(12), port: udp.readUInt16BE(0) },
      dst: { address: ipAddr(16), port: udp.readUInt16BE(2) },
      payload: udp.subarray(8, udpLength),
    });
  }
  return out;
}

// RTP captures from other implementations, replayed in-process (their
// addresses are outside this machine: nothing is ever sent to them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { codecByName } from '../../src/media/codec.ts';
import type { AudioCodec } from '../../src/media/codec.ts';
import { DtmfReceiver, parseTelephoneEvent } from '../../src/media/dtmf.ts';
import { decodeAlaw } from '../../src/media/g711.ts';
import { parseRtp } from '../../src/media/rtp-packet.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import { readPcapUdp } from '../support/pcap.ts';

const DTMF = '../shared/peer/dtmf';

function tsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = (head as string).split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i] as string, v])));
}

const PCMU = codecByName('PCMU') as AudioCodec;
const PCMA = codecByName('PCMA') as AudioCodec;

describe('RFC 4733 DTMF captures (SIPp pcap/)', () => {
  const expected = tsv(`${DTMF}/expected.tsv`);
  assert.equal(expected.length, 12);

  for (const row of expected) {
    const file = row.file as string;
    it(`${file}: one digit "${row.digit}" with the capture's event fields`, () => {
      const raw = readFileSync(`${DTMF}/${file}`);
      assert.equal(createHash('sha256').update(raw).digest('hex'), row.sha256);
      const datagrams = readPcapUdp(`${DTMF}/${file}`);
      assert.equal(datagrams.length, Number(row.packets));
      const packets = datagrams.map((d) => parseRtp(d.payload));
      assert.ok(packets.every((p) => p.payloadType === Number(row.payload_type)));
      assert.ok(packets.every((p) => p.timestamp === Number(row.rtp_timestamp)));
      assert.ok(packets.every((p) => p.ssrc === Number(row.ssrc)));
      assert.equal(packets[0]?.sequence, Number(row.first_seq));
      assert.equal(packets.at(-1)?.sequence, Number(row.last_seq));
      assert.equal(packets[0]?.marker, true);
      const events = packets.map((p) => parseTelephoneEvent(p.payload));
      assert.equal(events.filter((e) => e.end).length, Number(row.end_packets));
      assert.ok(events.every((e) => e.event === Number(row.event_code) && e.volume === Number(row.volume_dBm0_neg)));
      assert.equal(events.at(-1)?.duration, Number(row.final_duration_samples));

      // Straight into the receiver...
      const receiver = new DtmfReceiver();
      const direct = packets.map((p) => receiver.receive(p)?.digit).filter((d) => d !== undefined);
      assert.deepEqual(direct, [row.digit]);

      // ...and through a whole session, as the door would receive it.
      const session = new RtpSession({ codec: PCMU, payloadType: 0, telephoneEventPt: 101 });
      const digits = datagrams.flatMap((d) => session.receive(d.payload, d.src, d.timeUs / 1000).digits);
      assert.deepEqual(digits, [row.digit]);
      const s = session.stats();
      assert.equal(s.digitsReceived, 1);
      assert.equal(s.packetsReceived, 10);
      assert.equal(s.lost, 0);
      assert.deepEqual(session.remoteEndpoint, { address: '192.168.0.3', port: 49176 });
    });
  }

  it('reports all twelve keys from the captures played back to back in timestamp order', () => {
    // Each capture is its own recording; only their timestamps order them as one stream.
    const receiver = new DtmfReceiver();
    const ordered = [...expected].sort((x, y) => Number(x.rtp_timestamp) - Number(y.rtp_timestamp));
    const keys = ordered.flatMap((row) =>
      readPcapUdp(`${DTMF}/${row.file as string}`)
        .map((d) => receiver.receive(parseRtp(d.payload))?.digit)
        .filter((d) => d !== undefined),
    );
    assert.equal(keys.join(''), ordered.map((r) => r.digit).join(''));
    assert.equal(keys.length, 12);
  });
});

describe('PCMA capture (SIPp pcap/g711a.pcap)', () => {
  const [exp] = tsv(`${DTMF}/g711a_expected.tsv`);
  assert.ok(exp);
  const datagrams = readPcapUdp(`${DTMF}/g711a.pcap`);
  const packets = datagrams.map((d) => parseRtp(d.payload));

  it('depacketizes the expected stream', () => {
    assert.equal(packets.length, Number(exp.packets));
    assert.ok(packets.every((p) => p.payloadType === 8 && p.payload.length === Number(exp.bytes_per_packet)));
    assert.equal(packets[0]?.sequence, Number(exp.first_seq));
    assert.equal(packets.at(-1)?.sequence, Number(exp.last_seq));
    assert.equal(packets[0]?.timestamp, Number(exp.first_ts));
    assert.equal(packets.at(-1)?.timestamp, Number(exp.last_ts));
    assert.equal(`0x${packets[0]?.ssrc.toString(16)}`, exp.ssrc);
    const payload = Buffer.concat(packets.map((p) => p.payload));
    assert.equal(createHash('sha256').update(payload).digest('hex'), exp.payload_sha256);
  });

  it('decodes to the expected PCM (sha256 and RMS)', () => {
    const pcm = decodeAlaw(Buffer.concat(packets.map((p) => p.payload)));
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength); // little-endian host
    assert.equal(createHash('sha256').update(bytes).digest('hex'), exp.decoded_s16le_sha256);
    let sum = 0;
    for (const v of pcm) sum += v * v;
    assert.equal(Math.round(Math.sqrt(sum / pcm.length)), Number(exp.decoded_rms));
  });

  it('plays out unchanged through a session with 20 ms frames though packets are 30 ms', () => {
    const direct = decodeAlaw(Buffer.concat(packets.map((p) => p.payload)));
    const session = new RtpSession({ codec: PCMA, payloadType: 8, ptimeMs: 20 });
    const out: Int16Array[] = [];
    // Packets at their nominal 30 ms spacing, playout every 20 ms, until the
    // last packet has been played (after that the concealer fades out).
    let next = 0;
    let lead = -1;
    for (let t = 0; lead < 0 || (out.length - lead) * 160 < direct.length; t += 20) {
      while (next < datagrams.length && next * 30 <= t) {
        const d = datagrams[next++] as (typeof datagrams)[number];
        assert.equal(session.receive(d.payload, d.src).kind, 'audio');
      }
      const frame = session.playout();
      if (lead < 0 && frame.some((v) => v !== 0)) lead = out.length;
      out.push(frame);
    }
    // Silence until two 30 ms packets fill the 60 ms target, then the stream sample for sample.
    assert.equal(lead, 2);
    const played = new Int16Array(out.length * 160);
    out.forEach((f, i) => played.set(f, i * 160));
    assert.deepEqual(played.subarray(lead * 160, lead * 160 + direct.length), direct);
    const s = session.stats();
    assert.equal(s.lost, 0);
    assert.equal(s.concealed, 0);
    assert.deepEqual(session.remoteEndpoint, { address: '10.1.3.143', port: 5000 });
  });
});

// The running door against a hostile network, on loopback only: malformed
// requests on the SIP port (answered 400/505 at their source), binary garbage
// (dropped), a flood from one source (rate limited, one log line), no version
// banner, and garbage sprayed at the RTP ports during a call with real audio.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';
import { openSipTransport } from '../../src/net/sip-transport.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };

/** A UDP socket on a loopback address that collects what comes back. */
async function udpPeer(address: string): Promise<{ sock: Socket; port: number; got: string[]; close(): void }> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => sock.bind({ address, port: 0 }, () => r()));
  return { sock, port: sock.address().port, got, close: () => sock.close() };
}

function send(sock: Socket, bytes: Buffer | string, port: number, address: string): Promise<void> {
  return new Promise((r) => sock.send(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, port, address, () => r()));
}

function request(opts: { method?: string; version?: string; from: string; port: number; to: string; omit?: string; rport?: boolean }): string {
  const id = randomBytes(6).toString('hex');
  const method = opts.method ?? 'OPTIONS';
  const lines = [
    `${method} sip:door@${opts.to} SIP/${opts.version ?? '2.0'}`,
    `Via: SIP/2.0/UDP ${opts.from}:${opts.port};branch=z9hG4bK${id}${opts.rport === false ? '' : ';rport'}`,
    'Max-Forwards: 70',
    `From: <sip:scanner@${opts.from}>;tag=${id}`,
    `To: <sip:door@${opts.to}>`,
    `Call-ID: ${id}@${opts.from}`,
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
  ].filter((l) => !opts.omit || !l.toLowerCase().startsWith(opts.omit));
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Log lines above debug that mention an address. */
function loudLines(logs: string, address: string): string[] {
  return logs.split('\n').filter((l) => l.includes(address) && !/level=debug/.test(l));
}

/** The UDP ports a process has open, from `ss`. */
async function udpPortsOf(pid: number): Promise<number[]> {
  const r = await runCommand('ss', ['-unapH'], { timeoutMs: 5000 });
  const ports: number[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    ports.push(Number(local.slice(local.lastIndexOf(':') + 1)));
  }
  return ports;
}

describe('hostile network: bad input, scanners and floods on loopback', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance;
  const tmp = makeTempDir('hostile-');
  const doorTone = join(tmp.path, 'door-1000.wav');
  const phoneTone = join(tmp.path, 'phone-440.wav');
  const doorHeard = join(tmp.path, 'door-heard.wav');

  before(async () => {
    await makeToneWav(doorTone, { freq: 1000, seconds: 2 });
    await makeToneWav(phoneTone, { freq: 440, seconds: 10 });
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true, sourceWav: phoneTone });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: `file:${doorTone}`, output: `file:${doorHeard}` },
      door: { codes: ['7394'] },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('malformed requests get 400/505 at their source; garbage and bad responses get nothing; no banner; nothing logged above debug', async () => {
    const s = await udpPeer('127.0.0.9');
    try {
      for (let i = 0; i < 20; i++) await send(s.sock, randomBytes(1 + (i * 37) % 1200), door.port, door.address);
      await send(s.sock, 'SIP/2.0 4294967301 Big\r\nVia: SIP/2.0/UDP 127.0.0.9\r\n\r\n', door.port, door.address);
      await send(s.sock, request({ version: '7.0', from: '127.0.0.9', port: s.port, to: door.address }), door.port, door.address);
      await send(s.sock, request({ omit: 'from', from: '127.0.0.9', port: s.port, to: door.address }), door.port, door.address);
      await send(s.sock, request({ from: '127.0.0.9', port: s.port, to: door.address }), door.port, door.address);
      await waitUntil('three answers', () => s.got.length >= 3, { timeoutMs: 5000, intervalMs: 20 });
      await new Promise((r) => setTimeout(r, 300)); // anything more would arrive now
      const statuses = s.got.map((g) => /^SIP\/2\.0 (\d{3})/.exec(g)?.[1]).sort();
      assert.deepEqual(statuses, ['200', '400', '505']);
      for (const g of s.got) assert.doesNotMatch(g, /^(Server|User-Agent):/im, 'no version banner');
    } finally {
      s.close();
    }

    assert.deepEqual(loudLines(door.logs(), '127.0.0.9'), []);
    assert.equal((await door.status()).registered, true);
  });

  it('a flood from one source is cut to a trickle and logged once; another source and the registration are unaffected', async () => {
    const flood = await udpPeer('127.0.0.10');
    const other = await udpPeer('127.0.0.11');
    try {
      const N = 400;
      for (let i = 0; i < N; i++) await send(flood.sock, request({ from: '127.0.0.10', port: flood.port, to: door.address }), door.port, door.address);
      // Sent again every 500 ms as a UA would (RFC 3261 Timer E): the kernel
      // may drop a datagram that arrives while the flood fills the socket buffer.
      const probe = request({ from: '127.0.0.11', port: other.port, to: door.address });
      await waitUntil(
        'the other source answered',
        async () => {
          if (other.got.length > 0) return true;
          await send(other.sock, probe, door.port, door.address);
          return false;
        },
        { timeoutMs: 5000, intervalMs: 500 },
      );
      assert.match(other.got[0]!, /^SIP\/2\.0 200 /);
      assert.ok(flood.got.length > 0 && flood.got.length < N / 2, `flood answered ${flood.got.length} of ${N}`);
      const loud = loudLines(door.logs(), '127.0.0.10');
      assert.equal(loud.length, 1, loud.join('\n'));
      assert.match(loud[0]!, /event=sip\.rate-limited .*dropped=\d+/);
      assert.equal((await door.status()).registered, true);
    } finally {
      flood.close();
      other.close();
    }
  });

  it('garbage sprayed at the RTP ports during a call: both directions keep their audio', async () => {
    assert.equal((await door.cli('press')).code, 0);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    const ports = (await udpPortsOf(door.process.pid)).filter((p) => p !== door.port);
    assert.ok(ports.length >= 2, `RTP/RTCP ports: ${ports.join(',')}`);
    const s = await udpPeer('127.0.0.66');
    try {
      for (let round = 0; round < 30; round++) {
        for (const p of ports) {
          await send(s.sock, randomBytes(1 + ((round * 53) % 400)), p, door.address);
          // RTP-shaped (version 2) with random payload type, SSRC and sequence.
          const rtp = randomBytes(172);
          rtp[0] = 0x80;
          await send(s.sock, rtp, p, door.address);
          // RTCP-shaped.
          const rtcp = randomBytes(28);
          rtcp[0] = 0x81;
          rtcp[1] = 200 + (round % 5);
          await send(s.sock, rtcp, p, door.address);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      // Well-formed PCMU from a stranger, many in a row: media must not follow
      // it (the door's audio would then go to the stranger).
      for (let seq = 0; seq < 50; seq++) {
        const rtp = Buffer.alloc(172, 0xff);
        rtp.writeUInt16BE(0x8000, 0);
        rtp.writeUInt16BE(seq, 2);
        rtp.writeUInt32BE(seq * 160, 4);
        rtp.writeUInt32BE(0x5eed, 8);
        for (const p of ports) await send(s.sock, rtp, p, door.address);
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(s.got.length, 0, `the stranger received ${s.got.length} datagrams from the door`);
    } finally {
      s.close();
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await door.status()).call?.state, 'active', door.logs().split('\n').filter((l) => /call\.|media\.|rtcp|bye/i.test(l)).slice(-15).join('\n'));
    assert.equal((await door.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    const atDoor = await measureTone(doorHeard, 440);
    const atPhone = await measureTone(phone.receivedWav(), 1000);
    assert.ok(atDoor.dbfs > -30, `440 Hz at the door: ${atDoor.dbfs.toFixed(1)} dBFS`);
    assert.ok(atPhone.dbfs > -30, `1 kHz at the phone: ${atPhone.dbfs.toFixed(1)} dBFS`);
    assert.deepEqual(loudLines(door.logs(), '127.0.0.66'), []);
  });

  it('no secret anywhere: debug logs after registration, floods and a call; status; check', async () => {
    const st = JSON.stringify(await door.status());
    const check = await door.cli('check');
    for (const [where, text] of [['logs', door.logs()], ['status', st], ['check', check.stdout + check.stderr]] as const) {
      assert.ok(!text.includes(PASSWORDS.door), `the SIP password appears in ${where}`);
      assert.ok(!text.includes('7394'), `the door code appears in ${where}`);
    }
  });
});

describe('hostile network: the SIP transport over TCP', () => {
  it('a malformed request on a TCP connection is answered 505 on that connection; the next good one still reaches the core', async () => {
    const seen: string[] = [];
    const t = await openSipTransport({ host: '127.0.0.2', tcp: true, log: { debug() {}, info() {}, warn() {} }, onMessage: (m) => void seen.push(m.kind) });
    const sock = net.connect({ host: '127.0.0.2', port: t.local('TCP').port, localAddress: '127.0.0.9' });
    try {
      let text = '';
      sock.on('data', (d) => (text += d.toString('latin1')));
      await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
      sock.write(request({ version: '7.0', from: '127.0.0.9', port: 5060, to: '127.0.0.2' }).replace('/UDP', '/TCP'));
      await waitUntil('505 over TCP', () => /^SIP\/2\.0 505 Version Not Supported\r\n/.test(text), { timeoutMs: 5000, intervalMs: 20 });
      sock.write(request({ from: '127.0.0.9', port: 5060, to: '127.0.0.2' }).replace('/UDP', '/TCP'));
      await waitUntil('good request delivered', () => seen.length === 1, { timeoutMs: 5000, intervalMs: 20 });
    } finally {
      sock.destroy();
      await t.close();
    }
  });
});

// A real baresip as the indoor phone: headless, no sound card, driven over
// its ctrl_tcp JSON port. It sends a WAV file as its microphone and records
// what it hears (sndfile module) so tests can measure the audio.
import { copyFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { makeSilenceWav } from './audio-measure.ts';
import { encodeNetstring, NetstringDecoder } from './netstring.ts';
import { assertLoopback, freePort, releasePort } from './ports.ts';
import { makeTempDir, runCommand, spawnManaged, waitUntil } from './process.ts';

export interface BaresipOptions {
  user: string;
  password: string;
  registrar: { address: string; port: number };
  /** Loopback address to bind SIP and RTP to. Default 127.0.0.1. */
  address?: string;
  /** SIP port (port+1 is taken for TLS too). Default a free pair. */
  port?: number;
  /** Answer incoming calls by itself. Default false. */
  autoAnswer?: boolean;
  /** With autoAnswer, ring this long before answering. */
  answerDelayMs?: number;
  /** What it sends as its microphone; any WAV sox reads. Default silence. */
  sourceWav?: string;
  /** Register at the registrar (default true); false leaves it unregistered. */
  register?: boolean;
  /** Transport towards the registrar. Default udp. */
  transport?: 'udp' | 'tcp';
  /** Extra lines appended to the generated config file. */
  extraConfig?: string[];
  /** Codecs it offers and accepts, in order (its audio_codecs); default PCMU, PCMA. G722 loads the g722 module. */
  codecs?: string[];
  /**
   * Media encryption with SDES keys (RFC 4568), its srtp module: true requires
   * it on every call (mediaenc=srtp-mand, RTP/SAVP); 'best-effort' offers keys
   * on RTP/AVP and runs SRTP when the answer has a key (mediaenc=srtp).
   */
  srtp?: boolean | 'best-effort';
  /** Rate of its audio source and player (ausrc_srate/auplay_srate); default 8000, 16000 for wideband. */
  sampleRate?: 8000 | 16000;
}

/** One event from baresip's ctrl_tcp stream, e.g. { type: 'CALL_ESTABLISHED', peeruri: ... }. */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  peerdisplayname?: string;
  param?: string;
  id?: string;
  [key: string]: unknown;
}

export interface Baresip {
  readonly user: string;
  /** The account's address of record, sip:user@registrar. */
  readonly aor: string;
  readonly address: string;
  readonly port: number;
  /** Its config dir, where the recordings land too. */
  readonly dir: string;
  /** Sends a raw ctrl_tcp command and resolves with its data text. */
  command(command: string, params?: string): Promise<string>;
  dial(uri: string): Promise<void>;
  hangup(): Promise<void>;
  answer(): Promise<void>;
  /** Sends DTMF digits in the current call (RFC 4733 telephone-events). */
  sendDtmf(digits: string): Promise<void>;
  /** The "listcalls" text; an empty list has "(0)" in its heading. */
  listCalls(): Promise<string>;
  /** Every event received so far, oldest first. */
  events(): readonly BaresipEvent[];
  /**
   * Resolves with the first event not yet returned by an earlier wait that
   * matches (a type name or a predicate), including ones already received.
   */
  waitForEvent(match: string | ((e: BaresipEvent) => boolean), timeoutMs?: number): Promise<BaresipEvent>;
  /** Path of the newest recording of received audio (dump-*-dec.wav); throws when none. */
  receivedWav(): string;
  /** Every recording of received audio, oldest first. */
  receivedWavs(): string[];
  logs(): string;
  stop(): Promise<void>;
}

interface Pending {
  resolve: (data: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Waiter {
  match: (e: BaresipEvent) => boolean;
  resolve: (e: BaresipEvent) => void;
}

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

function configText(o: { address: string; port: number; ctrlPort: number; source: string; dir: string; extra: string[]; rate: number; modules: string[] }): string {
  return [
    'poll_method epoll',
    `sip_listen ${o.address}:${o.port}`,
    `net_interface ${o.address}`,
    'call_local_timeout 120',
    'call_max_calls 4',
    // No sound card: play into a bridge nobody reads, record via sndfile.
    'audio_player aubridge,nil',
    'audio_alert aubridge,nil',
    `audio_source aufile,${o.source}`,
    `ausrc_srate ${o.rate}`,
    `auplay_srate ${o.rate}`,
    'ausrc_channels 1',
    'auplay_channels 1',
    'ausrc_format s16',
    'auplay_format s16',
    'audio_level no',
    // Kept apart from the 20000-32000 range that ports.ts hands out.
    'rtp_ports 10000-19998',
    'rtcp_mux no',
    'jitter_buffer_delay 1-10',
    'module_path /usr/lib/baresip/modules',
    ...o.modules.map((m) => `module ${m}`),
    'module aufile.so',
    'module aubridge.so',
    'module sndfile.so',
    'module_tmp account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen ${o.address}:${o.ctrlPort}`,
    `snd_path ${o.dir}`,
    ...o.extra,
    '',
  ].join('\n');
}

/** Starts baresip with its own config and resolves once it is registered (unless register is false). */
export async function startBaresip(opts: BaresipOptions): Promise<Baresip> {
  const address = opts.address ?? '127.0.0.1';
  assertLoopback(address);
  assertLoopback(opts.registrar.address);
  const ownPort = opts.port === undefined;
  const port = opts.port ?? (await freePort(address, 2));
  const ctrlPort = await freePort(address);
  const temp = makeTempDir(`intercom-baresip-${opts.user}-`);
  const dir = temp.path;

  const cleanupFiles = (): void => {
    temp.remove();
    if (ownPort) releasePort(port, 2);
    releasePort(ctrlPort);
  };

  // aufile wants mono 16-bit at the source rate; convert whatever we are given.
  const rate = opts.sampleRate ?? 8000;
  const codecs = opts.codecs ?? ['PCMU', 'PCMA'];
  const modules = [
    ...(codecs.some((c) => /^PCM[AU]$/i.test(c)) ? ['g711.so'] : []),
    ...(codecs.some((c) => /^G722$/i.test(c)) ? ['g722.so'] : []),
    ...(opts.srtp ? ['srtp.so'] : []),
  ];
  const source = join(dir, 'source.wav');
  try {
    if (opts.sourceWav) {
      const r = await runCommand('sox', ['-D', opts.sourceWav, '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', source], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`sox could not convert ${opts.sourceWav}: ${r.stderr.trim()}`);
    } else {
      await makeSilenceWav(source, 120, rate);
    }
  } catch (err) {
    cleanupFiles();
    throw err;
  }

  const registrar = `${opts.registrar.address}:${opts.registrar.port}`;
  const aor = `sip:${opts.user}@${registrar}`;
  const delayed = opts.autoAnswer === true && (opts.answerDelayMs ?? 0) > 0;
  const answermode = opts.autoAnswer && !delayed ? 'auto' : 'manual';
  const register = opts.register ?? true;
  const transport = opts.transport === 'tcp' ? ';transport=tcp' : '';
  // baresip names codecs name/rate/channels; a bare "G722" would mean G722/8000 and match nothing.
  const accountCodecs = codecs.map((c) => (/^G722$/i.test(c) ? 'G722/16000/1' : c)).join(',');
  const account = `<${aor}${transport}>;auth_pass=${opts.password};regint=${register ? 600 : 0};answermode=${answermode};ptime=20;audio_codecs=${accountCodecs}${opts.srtp === 'best-effort' ? ';mediaenc=srtp' : opts.srtp ? ';mediaenc=srtp-mand' : ''}`;
  writeFileSync(join(dir, 'config'), configText({ address, port, ctrlPort, source, dir, extra: opts.extraConfig ?? [], rate, modules }));
  writeFileSync(join(dir, 'accounts'), `${account}\n`);
  writeFileSync(join(dir, 'contacts'), '');

  const proc = spawnManaged(`baresip ${opts.user}`, 'baresip', ['-f', dir], { cwd: dir });

  const history: BaresipEvent[] = [];
  const consumed = new Set<BaresipEvent>();
  const waiters = new Set<Waiter>();
  const pending = new Map<string, Pending>();
  let nextToken = 1;
  let socket: Socket | undefined;
  let stopped = false;

  const onEvent = (e: BaresipEvent): void => {
    history.push(e);
    for (const w of waiters) {
      if (!consumed.has(e) && w.match(e)) {
        consumed.add(e);
        waiters.delete(w);
        w.resolve(e);
      }
    }
    if (delayed && e.type === 'CALL_INCOMING') {
      setTimeout(() => {
        if (!stopped) void command('accept').catch(() => undefined);
      }, opts.answerDelayMs).unref();
    }
  };

  const onMessage = (text: string): void => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg['event'] === true) {
      onEvent(msg as unknown as BaresipEvent);
    } else if (msg['response'] === true && typeof msg['token'] === 'string') {
      const p = pending.get(msg['token']);
      if (!p) return;
      pending.delete(msg['token']);
      clearTimeout(p.timer);
      const data = typeof msg['data'] === 'string' ? msg['data'] : '';
      if (msg['ok'] === true) p.resolve(data);
      else p.reject(new Error(`baresip ${opts.user}: command failed: ${stripAnsi(data).trim()}`));
    }
  };

  const command = (name: string, params?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      if (!socket || socket.destroyed) {
        reject(new Error(`baresip ${opts.user}: control connection is closed`));
        return;
      }
      const token = String(nextToken++);
      const timer = setTimeout(() => {
        pending.delete(token);
        reject(new Error(`baresip ${opts.user}: no answer to "${name}"`));
      }, 5000);
      pending.set(token, { resolve, reject, timer });
      const body: Record<string, string> = { command: name, token };
      if (params !== undefined) body['params'] = params;
      socket.write(encodeNetstring(JSON.stringify(body)));
    });

  const connectCtrl = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: address, port: ctrlPort });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    socket?.destroy();
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`baresip ${opts.user}: stopped`));
    }
    pending.clear();
    // SIGTERM makes it unregister first; the registrar may already be gone.
    await proc.stop(1000);
    cleanupFiles();
  };

  try {
    socket = await waitUntil(
      `baresip ${opts.user} control port`,
      async () => {
        if (proc.hasExited()) throw new Error('baresip exited');
        return connectCtrl();
      },
      { timeoutMs: 10_000, intervalMs: 25 },
    );
    const decoder = new NetstringDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const text of decoder.push(chunk)) onMessage(text);
    });
    socket.on('error', () => undefined);

    if (register) {
      await waitUntil(
        `baresip ${opts.user} to register at ${registrar}`,
        async () => {
          if (proc.hasExited()) throw new Error('baresip exited');
          const failed = history.find((e) => e.type === 'REGISTER_FAIL');
          if (failed) throw new Error(`registration failed: ${failed.param ?? ''}`);
          const info = stripAnsi(await command('reginfo'));
          return / OK /.test(info);
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
    }
  } catch (err) {
    const log = proc.output();
    await stop();
    throw new Error(`${(err as Error).message}\n--- baresip ${opts.user} log ---\n${log}`);
  }

  const recordings = (): string[] =>
    readdirSync(dir)
      .filter((f) => /^dump-.*-dec\.wav$/.test(f))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);

  return {
    user: opts.user,
    aor,
    address,
    port,
    dir,
    command,
    async dial(uri: string): Promise<void> {
      await command('dial', uri);
    },
    async hangup(): Promise<void> {
      await command('hangup');
    },
    async answer(): Promise<void> {
      await command('accept');
    },
    async sendDtmf(digits: string): Promise<void> {
      if (!/^[0-9*#A-D]+$/.test(digits)) throw new Error(`not DTMF digits: ${digits}`);
      await command('sndcode', digits);
    },
    listCalls: async () => stripAnsi(await command('listcalls')),
    events: () => history,
    waitForEvent(match, timeoutMs = 5000): Promise<BaresipEvent> {
      const test = typeof match === 'string' ? (e: BaresipEvent) => e.type === match : match;
      const already = history.find((e) => !consumed.has(e) && test(e));
      if (already) {
        consumed.add(already);
        return Promise.resolve(already);
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          match: test,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = history.map((e) => e.type).join(', ') || 'none';
          reject(new Error(`baresip ${opts.user}: no matching event within ${timeoutMs} ms (events so far: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    receivedWav(): string {
      const all = recordings();
      const last = all[all.length - 1];
      if (last === undefined) throw new Error(`baresip ${opts.user}: no recording of received audio in ${dir}`);
      return last;
    },
    receivedWavs: recordings,
    logs: () => proc.output(),
    stop,
  };
}

/** Copies a recording out of a baresip dir before stop() removes it. */
export function keepRecording(from: string, to: string): string {
  copyFileSync(from, to);
  return to;
}

// A private Mosquitto broker for MQTT tests: its own config, password file and
// ACL in a temp dir, on a free loopback port; the system's mosquitto service is
// never used. Anonymous clients are refused, so every client must log in.
import { createConnection } from 'node:net';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { freePort } from './ports.ts';
import { makeTempDir, runCommand, spawnManaged, waitUntil, type ManagedProcess } from './process.ts';

export interface MosquittoOptions {
  /** User name -> password. */
  users: Record<string, string>;
  /** mosquitto ACL file text (`user NAME` / `topic read|write|readwrite TOPIC` lines). */
  acl: string;
  address?: string;
  /** Serve MQTT over TLS (mqtts://) with this certificate instead of plain TCP. */
  tls?: { certFile: string; keyFile: string };
}

export interface Mosquitto {
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port (mqtts:// with tls), without credentials. */
  readonly url: string;
  logs(): string;
  /** Stops the broker (SIGTERM); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startMosquitto(opts: MosquittoOptions): Promise<Mosquitto> {
  const host = opts.address ?? '127.0.0.1';
  const port = await freePort(host);
  const dir = makeTempDir('intercom-mosquitto-').path;
  const passwd = join(dir, 'passwd');
  const acl = join(dir, 'acl');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(passwd, '', { mode: 0o600 });
  for (const [user, password] of Object.entries(opts.users)) {
    const r = await runCommand('mosquitto_passwd', ['-b', passwd, user, password], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr.trim()}`);
  }
  chmodSync(passwd, 0o600);
  writeFileSync(acl, opts.acl, { mode: 0o600 });
  writeFileSync(
    conf,
    [
      // Started as root, mosquitto would drop to the "mosquitto" user and could not read the 0600 files.
      'user root',
      `listener ${port} ${host}`,
      ...(opts.tls ? [`certfile ${opts.tls.certFile}`, `keyfile ${opts.tls.keyFile}`] : []),
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      // Subscriptions of clients that connected with clean: false survive a broker restart.
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      '',
    ].join('\n'),
  );
  let proc: ManagedProcess | undefined;
  const all: string[] = [];
  const start = async (): Promise<void> => {
    proc = spawnManaged('mosquitto', 'mosquitto', ['-c', conf], { timeoutMs: 600_000 });
    const p = proc;
    await waitUntil('mosquitto listening', async () => {
      if (p.hasExited()) throw new Error(`mosquitto exited: ${p.output().trim()}`);
      return accepting(host, port);
    }, { timeoutMs: 10_000, intervalMs: 50 });
  };
  await start();
  return {
    host,
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    logs: () => [...all, proc?.output() ?? ''].join(''),
    async stop() {
      if (!proc) return;
      all.push(proc.output());
      await proc.stop(5000);
      proc = undefined;
    },
    start,
  };
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface TestClient {
  readonly client: MqttClient;
  /** Every message received since connecting, in order. */
  readonly received: Received[];
  /** The first message (counting from index `from`) that matches. */
  waitFor(what: string, match: (m: Received) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<Received>;
  publish(topic: string, payload: string, opts?: { retain?: boolean }): Promise<void>;
  end(): Promise<void>;
}

/** Connects as `username` and subscribes to `subscribe` (QoS 1); rejects when the broker refuses the login. */
export async function connectClient(
  broker: Mosquitto,
  opts: { username?: string; password?: string; subscribe?: string[]; clientId?: string; clean?: boolean; ca?: string },
): Promise<TestClient> {
  const client = await mqtt.connectAsync(broker.url, {
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.clientId !== undefined ? { clientId: opts.clientId } : {}),
    ...(opts.ca !== undefined ? { ca: readFileSync(opts.ca) } : {}),
    clean: opts.clean ?? true,
    reconnectPeriod: opts.clean === false ? 500 : 0,
    connectTimeout: 5000,
  });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  if (opts.subscribe) await client.subscribeAsync(opts.subscribe, { qos: 1 });
  return {
    client,
    received,
    waitFor: (what, match, o = {}) =>
      waitUntil(what, () => received.slice(o.from ?? 0).find(match), { timeoutMs: o.timeoutMs ?? 10_000, intervalMs: 20 }),
    publish: async (topic, payload, o = {}) => {
      await client.publishAsync(topic, payload, { qos: 1, retain: o.retain ?? false });
    },
    end: async () => {
      await client.endAsync(true);
    },
  };
}

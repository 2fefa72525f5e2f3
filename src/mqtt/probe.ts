// One short connection to the broker with the station's own login, for the
// doctor: did the broker answer, and did it accept us? It uses its own client
// id, because a broker drops the older of two clients with the same id (MQTT
// 3.1.1 §3.1.4) and the running station must not be pushed off.
import mqtt from 'mqtt';
import type { MqttConfig } from '../config/mqtt-schema.ts';
import { brokerLogin, clientIdFor, oneLine } from './client-options.ts';

export type BrokerProbe = { ok: true } | { ok: false; error: string };

/** Connects, waits for the broker's CONNACK (at most `timeoutMs`), disconnects; never throws. */
export function probeBroker(config: MqttConfig, timeoutMs: number): Promise<BrokerProbe> {
  const login = brokerLogin(config);
  if (!login.ok) return Promise.resolve({ ok: false, error: login.error });
  return new Promise((resolve) => {
    let error: string | undefined;
    const client = mqtt.connect(config.url, {
      ...login.options,
      clientId: `${clientIdFor(config).slice(0, 56)}-doctor`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
    });
    const done = (r: BrokerProbe): void => {
      clearTimeout(timer);
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: error ?? `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    client.on('connect', () => done({ ok: true }));
    // A refused login arrives as an error and then a close; keep the error, it says why.
    client.on('error', (err) => (error ??= oneLine(err)));
    client.on('close', () => done({ ok: false, error: error ?? 'the broker closed the connection' }));
  });
}

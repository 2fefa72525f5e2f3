// The optional `mqtt:` section: which broker, as whom, and under which topics
// the door publishes its state and events and takes commands.
import { z } from 'zod';
import type { SecretReader } from './schema.ts';

export interface MqttConfig {
  /** mqtt:// or mqtts:// broker URL (may carry user:password@). */
  url: string;
  /** Base topic: state, events and commands live below it. */
  topic: string;
  /** Broker user name (instead of one in the URL). */
  username?: string;
  /** The broker password, from `password` or read from `password_file`. */
  password?: string;
  /** Absolute path the password was read from, when it came from a file. */
  password_file?: string;
  /** MQTT client id; default derived from the base topic. */
  client_id?: string;
  /** For mqtts://: a PEM CA (or the broker's own certificate) to trust instead of the system's CAs. */
  tls?: { ca?: string };
  /** Home Assistant MQTT discovery. */
  discovery: { enabled: boolean; prefix: string };
}

const text = () => z.string().min(1, { error: 'must not be empty' });
/** A topic level path: no wildcards, no NUL, no empty levels at the ends. */
const topicPath = () =>
  z.string().regex(/^[^+#/\u0000][^+#\u0000]*(?<!\/)$/, { error: 'must be a non-empty topic without wildcards (+, #) or a leading/trailing /' });

function validUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'mqtt:' || u.protocol === 'mqtts:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export function mqttSection(readSecret: SecretReader) {
  return z
    .strictObject({
      // The URL may carry broker credentials, so it is not echoed.
      url: z.string().refine(validUrl, { error: 'must be an mqtt:// or mqtts:// URL with a host' }),
      topic: topicPath().default('intercom/door'),
      username: text().optional(),
      // The secret itself is never echoed in a message.
      password: z.string({ error: 'must be a string (put it in quotes)' }).min(1, { error: 'must not be empty' }).optional(),
      password_file: text()
        .transform((file, ctx) => {
          const read = readSecret(file, 'mqtt.password_file');
          if (!read.ok) {
            ctx.addIssue({ code: 'custom', message: read.error, input: file });
            return z.NEVER;
          }
          return read;
        })
        .optional(),
      client_id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1-64 letters, digits, ".", "-" or "_"' }).optional(),
      tls: z
        .strictObject({
          ca: text().refine((f) => f.startsWith('/'), { error: 'must be an absolute path to a PEM file' }).optional(),
        })
        .optional(),
      discovery: z
        .strictObject({
          enabled: z.boolean().default(true),
          prefix: topicPath().default('homeassistant'),
        })
        .prefault({}),
    })
    .superRefine((v, ctx) => {
      if (v.password !== undefined && v.password_file !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'give mqtt.password or mqtt.password_file, not both', input: undefined, path: ['password'] });
      }
    })
    .transform((v): MqttConfig => {
      const { password, password_file, ...rest } = v;
      return {
        ...rest,
        ...(password !== undefined ? { password } : {}),
        ...(password_file ? { password: password_file.value, password_file: password_file.path } : {}),
      };
    });
}

// The configuration file's shape: every key, its default and its limits.
//
// Keys are snake_case in YAML and stay snake_case in the parsed `Config`, so a
// key path in an error message is exactly what the installer has to edit.
// Unknown keys are errors, so a typo ("pasword") never silently falls back to
// a default. Strings that YAML would read as numbers (`call: [101]`,
// `codes: [0815]`) must be quoted: a number loses leading zeros, and a door
// code or phone number with its "0" dropped is a different one.
import { z } from 'zod';
import { parseHostPort, parseListen, isHostName } from './address.ts';
import { tonesSection, type TonesConfig } from './tones-schema.ts';
import { voiceKeys, type VoiceKeys } from './voice-schema.ts';
import { gpioSection, inputLine, outputLine, type GpioConfig, type InputLine, type OutputLine } from './hardware-schema.ts';
import { accessSection, readersSection, type AccessConfig, type SerialReaderConfig } from './serial-schema.ts';
import { trivialCodeReason } from './door-codes.ts';
import { mqttSection, type MqttConfig } from './mqtt-schema.ts';
import { provisioningSection, type ProvisioningConfig } from './provisioning-schema.ts';

/** Outcome of reading a secret file such as `sip.password_file`; `path` is the resolved file name. */
export type SecretRead = { ok: true; path: string; value: string } | { ok: false; error: string };

/** Reads a secret file named in the config (relative names are the reader's business); `key` names the setting in messages (default sip.password_file). */
export type SecretReader = (file: string, key?: string) => SecretRead;

export type Transport = 'udp' | 'tcp' | 'tls';
export type Codec = 'G722' | 'PCMU' | 'PCMA';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

/** A GPIO line on a character-device chip ("gpiochip0", line 17). */
export interface GpioLine {
  chip: string;
  line: number;
}

/** A door code: just the digits, or the digits with a name for logs and the targets it is for. */
export type DoorCodeConfig = string | { code: string; name?: string; for?: string[] };

export interface ButtonConfig {
  name: string;
  gpio?: InputLine;
  /** User parts ("101") or sip:/sips: URIs, as written; several ring at once. */
  call: string[];
  /** parallel (default): all of `call` at once; sequential: one after the other, each for ring_timeout. */
  ring?: RingMode;
  /** Seconds each stage (or, in sequence, each target) rings; default calls.ring_timeout. */
  ring_timeout?: number;
  /** Require the answering party to press a key before the door is connected (voicemail guard). */
  confirm?: boolean;
  /** Tried in order when nobody in `call` answers (e.g. a mobile number via the PBX). */
  fallback?: RingStageConfig[];
}

export type RingMode = 'parallel' | 'sequential';

/** One fallback stage of a button. */
export interface RingStageConfig {
  call: string[];
  ring?: RingMode;
  ring_timeout?: number;
  confirm?: boolean;
}

/** The parsed configuration with every default filled in. */
export interface Config {
  sip: {
    /** Registrar and outbound proxy; port defaults to 5060 (5061 for tls). */
    /** `srv` when no port was written and the host is a name: DNS SRV may name the server (RFC 3263 §4.2). */
    server: { host: string; port: number; srv?: true };
    transport: Transport;
    /** Domain of the door's AOR and of user-part call targets; default: the server's host. */
    domain: string;
    user: string;
    /** Digest authentication user name; default: `user`. */
    auth_user: string;
    /** The secret, from `password` or read from `password_file`. */
    password: string;
    /** Absolute path the password was read from, when it came from a file. */
    password_file?: string;
    /** Local address and/or port to bind; absent parts are chosen by the system. */
    listen?: { host?: string; port?: number };
    /** Display name in From headers; default "Door". */
    display_name: string;
    /** Registration lifetime requested from the registrar, in seconds (60..86400). */
    expires: number;
    /** User-Agent header; absent means none is sent (no version banner for scanners). */
    user_agent?: string;
    /** PEM file of the CA (or the server's own certificate) to trust for sip.transport tls, instead of the system's CAs. */
    tls_ca?: string;
    /**
     * The door's own certificate and key (PEM files) for sip.transport tls: with
     * both, it also accepts TLS connections the registrar opens to it (RFC 3261 §18).
     */
    tls_cert?: string;
    tls_key?: string;
    /** Port of that TLS listener, on the sip.listen address; default 5061. */
    tls_port?: number;
    /**
     * true: encrypt every call's audio with SRTP, keys in SDP (SDES, RFC 4568);
     * calls that cannot are refused (an incoming one with 488). Without it an
     * incoming call that offers a key is still answered with SRTP.
     */
    srtp?: boolean;
  };
  buttons: ButtonConfig[];
  /** Devices and codecs, plus echo cancellation, noise suppression and gains (voice-schema.ts). */
  audio: VoiceKeys & {
    /** A PortAudio device name, "default", or file:PATH.wav (looped). */
    input: string;
    /** A PortAudio device name, "default", file:PATH.wav (recorded), or "none". */
    output: string;
    /** Offered codecs in order of preference. */
    codecs: Codec[];
  };
  control: { socket: string };
  door: {
    relay?: OutputLine;
    /** Door contact (active = contact closed = door shut); reported in status and the log. */
    contact?: InputLine;
    /** Exit button inside: opens the door. */
    exit_button?: InputLine;
    /** How long the opener is energised, in milliseconds (100..60000). */
    open_ms: number;
    /** DTMF codes (digits, * and #) that open the door during a call: for everyone, or only for some targets. */
    codes: DoorCodeConfig[];
    /** Accept codes `intercom check` calls trivial (1234, 0000, short ones). */
    allow_trivial_codes: boolean;
    /** Wrong codes tolerated within `window` seconds before keys are ignored for `duration` seconds. */
    lockout: { attempts: number; window: number; duration: number };
  };
  incoming: {
    enabled: boolean;
    /** User parts or URIs that may call the door when enabled. */
    allow: string[];
    /** Absolute path of a WAV played on the door's speaker and into the call when an incoming call is answered. */
    announcement?: string;
  };
  calls: {
    /** Seconds before an unanswered outgoing call is cancelled. */
    ring_timeout: number;
    /** Seconds after which any call is hung up. */
    max_duration: number;
    /** What a press does while a call rings or runs: ignore it, or hang up and call again. */
    press_during_call: 'ignore' | 'restart';
    /** Least seconds between the starts of two calls. */
    min_interval: number;
    /** At most `calls` calls start within `window` seconds. */
    limit: { calls: number; window: number };
    /** Seconds after the door was opened during a call that the call ends; absent: it goes on. */
    end_after_open?: number;
    /** Seconds the answering party has to press a key on buttons with confirm: true. */
    confirm_timeout: number;
  };
  log: { level: LogLevel; format: LogFormat };
  /** Call-progress tones, confirmation, warning and recorded prompts (see tones-schema.ts). */
  tones: TonesConfig;
  /** GPIO backend, debounce, LEDs and amplifier (see hardware-schema.ts). */
  gpio: GpioConfig;
  /** Card readers and keypads on serial ports (see serial-schema.ts). */
  readers: SerialReaderConfig[];
  /** Hashed cards and PINs that open the door. */
  access: AccessConfig;
  /** Board profile (hw/profiles/NAME.yaml) whose pins fill in what the config leaves out. */
  profile?: string;
  /** Publishing state and events, and taking commands, over MQTT (see mqtt-schema.ts). */
  mqtt?: MqttConfig;
  /** Prometheus text endpoint (GET /metrics); off when absent. */
  metrics?: { listen: { host?: string; port: number } };
  /** Fetch the rest of this config from an HTTPS URL (only in the local file; see provisioning/merge.ts). */
  provisioning?: ProvisioningConfig;
}

export const DEFAULT_CONFIG_PATH = '/etc/intercom/config.yaml';
export const DEFAULT_CONTROL_SOCKET = '/run/intercom/control.sock';
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

type Ctx = z.core.$RefinementCtx;

function fail(ctx: Ctx, input: unknown, message: string, path?: PropertyKey[]): void {
  ctx.addIssue({ code: 'custom', message, input, ...(path ? { path } : {}) });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Cross-field checks run even when a sibling key is invalid, so all problems are reported at once. */
const always = { when: () => true };

const text = () => z.string().min(1, { error: 'must not be empty' });

/** Text that ends up in a SIP header: a line break in it would forge headers. */
const headerText = () =>
  text().refine((s) => !CONTROL_CHARS.test(s), { error: 'must not contain control characters' });

function intBetween(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number().int({ error }).min(min, { error }).max(max, { error });
}

function secondsUpTo(max: number) {
  const error = `must be a number of seconds above 0 and at most ${max}`;
  return z.number().gt(0, { error }).max(max, { error });
}

// RFC 3261 `user`: unreserved, escaped and user-unreserved characters.
const USER_PART = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/;
const SIP_URI = /^sips?:(?:[^@\s<>"]+@)?[^@\s<>"]+$/i;

/** A call target or allowed caller: a user part ("101", "+4930123") or a sip:/sips: URI. */
const party = () =>
  z.string().refine((s) => USER_PART.test(s) || SIP_URI.test(s), {
    error: (iss) => `${JSON.stringify(iss.input)} is neither a user part ("101") nor a sip:/sips: URI`,
  });

const pemPath = () => text().refine((f) => f.startsWith('/'), { error: 'must be an absolute path to a PEM file' });

const gpioLine = () =>
  z.strictObject({
    // `chip: 0` is accepted as shorthand for "gpiochip0".
    chip: z
      .union([text(), z.number().int().min(0)], { error: 'must be a chip name such as gpiochip0' })
      .transform((c) => (typeof c === 'number' ? `gpiochip${c}` : c)),
    line: intBetween(0, 1023),
  });

/** Optional sections may be written as an empty `key:` (YAML null) with everything commented out. */
function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema);
}

/** A local `address[:port]` to bind, or a port number alone. */
const listenAddress = () =>
  z.union([z.string(), z.number()], { error: 'must be address[:port] or a port number' }).transform((v, ctx) => {
    const parsed = parseListen(typeof v === 'number' ? `:${v}` : v);
    if (!parsed) {
      fail(ctx, v, `${JSON.stringify(v)} is not address[:port] (an IP address and/or a port)`);
      return z.NEVER;
    }
    return parsed;
  });

function sipSection(readSecret: SecretReader) {
  return z
    .strictObject({
      server: z.string().transform((s, ctx) => {
        const hp = parseHostPort(s);
        if (!hp) {
          fail(ctx, s, `${JSON.stringify(s)} is not host[:port]`);
          return z.NEVER;
        }
        return hp;
      }),
      transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
      domain: z
        .string()
        .refine(isHostName, { error: (iss) => `${JSON.stringify(iss.input)} is not a domain name or IPv4 address` })
        .optional(),
      user: party(),
      auth_user: headerText().optional(),
      // The secret itself is never echoed in a message.
      password: z.string({ error: 'must be a string (put it in quotes)' }).min(1, { error: 'must not be empty' }).optional(),
      password_file: text()
        .transform((file, ctx) => {
          const read = readSecret(file);
          if (!read.ok) {
            fail(ctx, file, read.error);
            return z.NEVER;
          }
          return read;
        })
        .optional(),
      listen: listenAddress().optional(),
      display_name: headerText().default('Door'),
      expires: intBetween(60, 86400).default(600),
      user_agent: headerText().optional(),
      tls_ca: pemPath().optional(),
      tls_cert: pemPath().optional(),
      tls_key: pemPath().optional(),
      tls_port: intBetween(1, 65535).optional(),
      srtp: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .superRefine((v: unknown, ctx) => {
      if (!isRecord(v)) return;
      const hasPassword = v['password'] !== undefined;
      const hasFile = v['password_file'] !== undefined || 'password_file' in v;
      if (!hasPassword && !hasFile) fail(ctx, v, 'required (or sip.password_file)', ['password']);
      if (hasPassword && hasFile) fail(ctx, v, 'give sip.password or sip.password_file, not both', ['password']);
      // The listener needs both halves, and only a TLS Contact brings the registrar to it.
      const cert = v['tls_cert'] !== undefined;
      const key = v['tls_key'] !== undefined;
      if (cert && !key) fail(ctx, v, 'required with sip.tls_cert', ['tls_key']);
      if (key && !cert) fail(ctx, v, 'required with sip.tls_key', ['tls_cert']);
      if ((cert || key) && v['transport'] !== 'tls') fail(ctx, v, 'needs sip.transport: tls', [cert ? 'tls_cert' : 'tls_key']);
      if (v['tls_port'] !== undefined && !(cert && key)) fail(ctx, v, 'needs sip.tls_cert and sip.tls_key', ['tls_port']);
    }, always)
    .transform((v) => {
      const { password, password_file, server, ...rest } = v;
      return {
        ...rest,
        server: {
          host: server.host,
          port: server.port ?? (v.transport === 'tls' ? 5061 : 5060),
          ...(server.port === undefined && !/^[0-9.]+$/.test(server.host) && !server.host.includes(':') ? { srv: true as const } : {}),
        },
        domain: v.domain ?? server.host,
        auth_user: v.auth_user ?? v.user,
        // The check above guarantees exactly one of the two is present.
        password: password ?? password_file?.value ?? '',
        ...(password_file ? { password_file: password_file.path } : {}),
      };
    });
}

const buttonsSection = () =>
  z
    .array(
      z.strictObject({
        // Used on the command line (--button) and in MQTT topics, so kept plain.
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
          error: 'must be 1-64 letters, digits, ".", "-" or "_" (starting with a letter or digit)',
        }),
        gpio: inputLine().optional(),
        call: z.array(party()).min(1, { error: 'must not be empty' }),
        ...ringKeys(),
        fallback: z.array(z.strictObject({ call: z.array(party()).min(1, { error: 'must not be empty' }), ...ringKeys() })).optional(),
      }),
    )
    .min(1, { error: 'must not be empty' })
    .superRefine((list: unknown, ctx) => {
      if (!Array.isArray(list)) return;
      const seen = new Map<string, number>();
      list.forEach((b: unknown, i) => {
        if (!isRecord(b) || typeof b['name'] !== 'string') return;
        const first = seen.get(b['name']);
        if (first !== undefined) fail(ctx, b, `"${b['name']}" is already the name of buttons[${first}]`, [i, 'name']);
        else seen.set(b['name'], i);
      });
    }, always);

/** "file:" needs a path after it; other device names are checked when audio starts. */
const audioDevice = () =>
  text().refine((s) => !/^file:\s*$/.test(s), { error: 'file: needs a path (file:/path/to/sound.wav)' });

const audioSection = () =>
  z.strictObject({
    input: audioDevice().default('default'),
    output: audioDevice().default('default'),
    ...voiceKeys(),
    codecs: z
      .array(z.enum(['G722', 'PCMU', 'PCMA']))
      .min(1, { error: 'must not be empty' })
      .refine((l) => new Set(l).size === l.length, { error: 'lists a codec twice' })
      // Wideband first when the peer has it, G.711 as the fallback every phone speaks.
      .default(['G722', 'PCMU', 'PCMA']),
  });

const controlSection = () =>
  z.strictObject({
    socket: text()
      .refine((s) => Buffer.byteLength(s) <= MAX_SOCKET_PATH_BYTES, {
        error: `must be at most ${MAX_SOCKET_PATH_BYTES} bytes long (unix socket path limit)`,
      })
      .default(DEFAULT_CONTROL_SOCKET),
  });

const dtmfCode = () => z.string().regex(/^[0-9*#]{1,32}$/, { error: 'must be 1-32 DTMF digits (0-9, * and #)' });

const doorSection = () =>
  z
    .strictObject({
      relay: outputLine().optional(),
      contact: inputLine().optional(),
      exit_button: inputLine().optional(),
      open_ms: intBetween(100, 60000).default(3000),
      codes: z
        .array(
          z.union([
            dtmfCode(),
            z.strictObject({
              code: dtmfCode(),
              name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be 1-64 letters, digits, ".", "-" or "_"' }).optional(),
              for: z.array(party()).min(1, { error: 'must not be empty' }).optional(),
            }),
          ], {
            error: (iss) =>
              // The digits are not echoed: a door code in an error message ends up in logs.
              typeof iss.input === 'number'
                ? 'must be quoted: YAML reads an unquoted number as a number and drops leading zeros'
                : 'must be DTMF digits in quotes, or a mapping with code: (and optional name:, for:)',
          }),
        )
        .default([]),
      allow_trivial_codes: z.boolean().default(false),
      lockout: section(
        z
          .strictObject({
            attempts: intBetween(1, 100).default(3),
            window: secondsUpTo(86400).default(60),
            duration: secondsUpTo(86400).default(300),
          })
          .prefault({}),
      ),
    })
    .superRefine((door: unknown, ctx) => {
      // A code anyone would try first is refused, unless explicitly allowed; the code itself is never echoed.
      if (!isRecord(door) || door['allow_trivial_codes'] === true || !Array.isArray(door['codes'])) return;
      door['codes'].forEach((c: unknown, i) => {
        const code = typeof c === 'string' ? c : isRecord(c) && typeof c['code'] === 'string' ? c['code'] : undefined;
        const why = code === undefined ? undefined : trivialCodeReason(code);
        if (why) fail(ctx, undefined, `too easy to guess (${why}); choose another or set door.allow_trivial_codes: true`, ['codes', i]);
      });
    }, always);

/** How one stage of a button rings. */
const ringKeys = () => ({
  ring: z.enum(['parallel', 'sequential']).optional(),
  ring_timeout: secondsUpTo(600).optional(),
  confirm: z.boolean().optional(),
});

const incomingSection = () =>
  z.strictObject({
    enabled: z.boolean().default(false),
    allow: z.array(party()).default([]),
    announcement: text()
      .refine((s) => s.startsWith('/'), { error: 'must be an absolute path to a WAV file' })
      .optional(),
  });

const callsSection = () =>
  z.strictObject({
    ring_timeout: secondsUpTo(600).default(30),
    max_duration: secondsUpTo(86400).default(300),
    press_during_call: z.enum(['ignore', 'restart']).default('ignore'),
    // With limit, a stuck or abused button never becomes an endless redial loop, even with restart.
    min_interval: z.number().min(0, { error: 'must be 0 or more seconds' }).max(3600, { error: 'must be at most 3600 seconds' }).default(0),
    limit: section(
      z.strictObject({ calls: intBetween(1, 1000).default(20), window: secondsUpTo(86400).default(600) }).prefault({}),
    ),
    end_after_open: secondsUpTo(3600).optional(),
    confirm_timeout: secondsUpTo(120).default(10),
  });

const logSection = () =>
  z.strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    format: z.enum(['text', 'json']).default('text'),
  });

/** The port Prometheus exporters of this kind conventionally use. */
export const DEFAULT_METRICS_PORT = 9464;

const metricsSection = () =>
  z.strictObject({
    // Scrapers need a fixed port: 0 (any) is refused, and a bare address gets the default.
    listen: listenAddress()
      .refine((l) => l.port !== 0, { error: 'needs a fixed port (1-65535), not 0' })
      .transform((l) => ({ ...l, port: l.port ?? DEFAULT_METRICS_PORT })),
  });

/** Builds the schema; `readSecret` is how `sip.password_file` gets read. */
export function createConfigSchema(readSecret: SecretReader) {
  return z.strictObject({
    sip: sipSection(readSecret),
    buttons: buttonsSection(),
    audio: section(audioSection().prefault({})),
    control: section(controlSection().prefault({})),
    door: section(doorSection().prefault({})),
    incoming: section(incomingSection().prefault({})),
    calls: section(callsSection().prefault({})),
    log: section(logSection().prefault({})),
    tones: section(tonesSection().prefault({})),
    gpio: section(gpioSection().prefault({})),
    readers: section(readersSection()),
    access: section(accessSection().prefault({})),
    profile: z.string().min(1).optional(),
    mqtt: section(mqttSection(readSecret).optional()),
    metrics: section(metricsSection().optional()),
    provisioning: section(provisioningSection(readSecret).optional()),
  });
}

/**
 * Only `control.socket`, ignoring every other key: what the client commands need,
 * without requiring the right to read `sip.password_file`.
 */
export function createControlOnlySchema() {
  return z.object({ control: section(controlSection().prefault({})) });
}

// Compile-time proof that the schema produces exactly `Config`.
type SchemaOutput = z.output<ReturnType<typeof createConfigSchema>>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesConfig: Same<SchemaOutput, Config> = true;
void schemaMatchesConfig;

// The provisioner's decisions, fed with answers a server could give (the HTTPS
// exchange itself runs for real in test/e2e/provisioning.test.ts): which
// document is in force, what is cached, what is logged and shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createLogger } from '../../src/log/logger.ts';
import { createProvisioner } from '../../src/provisioning/provisioner.ts';
import type { FetchRequest, FetchResult } from '../../src/provisioning/https-fetch.ts';
import { loadConfig } from '../../src/config/load.ts';
import { sha256Hex } from '../../src/provisioning/verify.ts';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PEM = publicKey.export({ format: 'pem', type: 'spki' }).toString();

const doc = (call: string): string => stringify({ sip: { server: 'pbx.example', user: 'door' }, buttons: [{ name: 'bell', call: [call] }] });

function setup(local: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-prov-'));
  writeFileSync(join(dir, 'sip.secret'), 's3cret-sip\n', { mode: 0o600 });
  writeFileSync(join(dir, 'token'), 't0ken\n', { mode: 0o600 });
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    stringify({
      provisioning: { url: 'https://prov.example/doors/{hostname}.yaml?k=v', public_key: PEM, auth: { bearer_file: 'token' }, cache: join(dir, 'cache.json'), interval: 600 },
      sip: { password_file: 'sip.secret' },
      ...local,
    }),
    { mode: 0o600 },
  );
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', format: 'text', journal: false, stream: { write: (l: string) => lines.push(l) } });
  const requests: FetchRequest[] = [];
  let answer: (req: FetchRequest) => FetchResult = () => ({ ok: false, reason: 'connection refused' });
  const make = () =>
    createProvisioner({
      configPath,
      log,
      fetch: async (req) => {
        requests.push(req);
        return answer(req);
      },
      identity: () => ({ hostname: 'door1' }),
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
  /** The server from now on serves `text` with the signature `sig` (default: a good one) and ETag `etag`. */
  const serve = (text: string, sig: Buffer = sign(null, Buffer.from(text), privateKey), etag = `"${sha256Hex(Buffer.from(text)).slice(0, 8)}"`) => {
    answer = (req) => {
      if (req.url.endsWith('.sig')) return { ok: true, status: 200, body: sig };
      if (req.etag === etag) return { ok: true, status: 304 };
      return { ok: true, status: 200, body: Buffer.from(text), etag };
    };
  };
  const down = (reason = 'connection refused') => (answer = () => ({ ok: false, reason }));
  return { dir, configPath, lines, requests, make, serve, down };
}

test('no server and nothing cached: no config, a transient failure naming the URL and the reason', async () => {
  const t = setup();
  const r = await t.make().load('start');
  assert.deepEqual(r, {
    ok: false,
    transient: true,
    errors: [`provisioning: no config from https://prov.example/doors/door1.yaml: connection refused; no cached config (${join(t.dir, 'cache.json')}: no such file)`],
  });
  assert.match(t.lines.join(''), /level=warn event=provisioning-failed url=https:\/\/prov\.example\/doors\/door1\.yaml reason="connection refused" keeping="no config yet"/);
});

test('a good document is merged with the local secret, cached 0600 and shown; the query string and secrets are never logged', async () => {
  const t = setup();
  t.serve(doc('101'));
  const p = t.make();
  const r = await p.load('start');
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.config.buttons[0]?.call, ['101']);
  p.settled(true); // the station started with it: now it is cached
  assert.equal(r.config.sip.password, 's3cret-sip');
  assert.equal(t.requests[0]?.url, 'https://prov.example/doors/door1.yaml?k=v');
  assert.equal(t.requests[0]?.authorization, 'Bearer t0ken');
  assert.equal(t.requests[1]?.url, 'https://prov.example/doors/door1.yaml?k=v.sig');
  assert.equal(statSync(join(t.dir, 'cache.json')).mode & 0o777, 0o600);
  assert.deepEqual(p.status(), {
    url: 'https://prov.example/doors/door1.yaml',
    last_fetch: '2026-01-02T03:04:05.000Z',
    result: 'updated',
    config_sha256: sha256Hex(Buffer.from(doc('101'))),
    source: 'server',
    fetched_at: '2026-01-02T03:04:05.000Z',
  });
  const logged = t.lines.join('');
  assert.doesNotMatch(logged, /s3cret|t0ken|k=v/);
  assert.doesNotMatch(readFileSync(join(t.dir, 'cache.json'), 'utf8'), /s3cret|t0ken/);
  assert.equal(p.nextCheckMs(), 600_000);
});

test('scheduled checks: 304 is unchanged, a new good document is a change, a bad one is refused once and the last good stays', async () => {
  const t = setup();
  t.serve(doc('101'));
  const p = t.make();
  assert.ok((await p.load('start')).ok);
  assert.equal(await p.check(), 'unchanged');
  assert.ok(t.requests.at(-1)?.etag, 'asked with If-None-Match');

  t.serve(doc('102'));
  assert.equal(await p.check(), 'changed');
  const applied = await p.load('provisioning');
  assert.ok(applied.ok);
  assert.deepEqual(applied.config.buttons[0]?.call, ['102']);

  t.serve(doc('666'), sign(null, Buffer.from(doc('102')), privateKey));
  assert.equal(await p.check(), 'failed');
  assert.equal(await p.check(), 'failed');
  const warnings = t.lines.filter((l) => /level=warn event=provisioning-failed .*reason="bad signature/.test(l));
  assert.equal(warnings.length, 1, 'the same failure again is not repeated as a warning');
  assert.equal(p.nextCheckMs(), 60_000, 'retried sooner than the interval');

  t.serve(stringify({ sip: { server: 'pbx.example', user: 'door' }, buttons: [] }));
  assert.equal(await p.check(), 'failed');
  assert.match(t.lines.join(''), /event=provisioning-failed url=\S+ reason="invalid config: buttons: must not be empty" keeping="the last good config \(sha256 [0-9a-f]{12}, fetched 2026-01-02T03:04:05.000Z\)"/);
  assert.equal(p.status()?.config_sha256, sha256Hex(Buffer.from(doc('102'))));

  // The document may not carry what stays on the door.
  t.serve(stringify({ sip: { server: 'pbx.example', user: 'door', password: 'x' }, buttons: [{ name: 'b', call: ['1'] }] }));
  assert.equal(await p.check(), 'failed');
  assert.match(p.status()?.reason ?? '', /sip\.password: the SIP secret stays on the door/);
  const still = await p.load('provisioning');
  assert.ok(still.ok);
  assert.deepEqual(still.config.buttons[0]?.call, ['102']);
});

test('after a restart without network the cached document is used, verified again; `check` and loadConfig read it too', async () => {
  const t = setup();
  t.serve(doc('101'));
  const first = t.make();
  assert.ok((await first.load('start')).ok);
  first.settled(true);
  t.down('cannot resolve prov.example');
  const p = t.make();
  const r = await p.load('start');
  assert.ok(r.ok);
  assert.deepEqual(r.config.buttons[0]?.call, ['101']);
  assert.equal(p.status()?.source, 'cache');
  assert.equal(p.status()?.reason, 'cannot resolve prov.example');
  const offline = loadConfig(t.configPath);
  assert.ok(offline.ok);
  assert.deepEqual(offline.config.buttons[0]?.call, ['101']);

  // A cache altered on disk is not trusted.
  const cache = JSON.parse(readFileSync(join(t.dir, 'cache.json'), 'utf8')) as { document: string };
  cache.document = doc('666');
  writeFileSync(join(t.dir, 'cache.json'), JSON.stringify(cache));
  const tampered = await t.make().load('start');
  assert.equal(tampered.ok, false);
  assert.match(tampered.ok ? '' : tampered.errors[0] ?? '', /cache\.json: bad signature/);
});

test('a local file with provisioning may hold only its own keys and the SIP secret', async () => {
  const t = setup({ buttons: [{ name: 'bell', call: ['1'] }] });
  const r = await t.make().load('start');
  assert.deepEqual(r, { ok: false, errors: [`${t.configPath}: buttons: comes from provisioning.url when provisioning is set; remove it here`] });
  assert.equal(t.requests.length, 0, 'nothing fetched for a bad local file');
});

test('a plain local file loads as before, with no provisioning state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'intercom-prov-'));
  const configPath = join(dir, 'c.yaml');
  writeFileSync(configPath, stringify({ sip: { server: 'pbx', user: 'door', password: 'x' }, buttons: [{ name: 'b', call: ['1'] }] }), { mode: 0o600 });
  const p = createProvisioner({ configPath, log: createLogger({ level: 'error', format: 'text', stream: { write: () => true } }), fetch: async () => assert.fail('no fetch') });
  assert.ok((await p.load('start')).ok);
  assert.equal(p.status(), undefined);
  assert.equal(p.nextCheckMs(), undefined);
});

test('intercom check: before the first fetch the local part is checked, afterwards the cached whole', async () => {
  const { checkCommand } = await import('../../src/cli/check.ts');
  const t = setup();
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  assert.equal(checkCommand(t.configPath, io), 0);
  assert.deepEqual(out, [`${t.configPath}: OK (provisioned from https://prov.example/doors/{hostname}.yaml; nothing fetched yet, the document is checked when it is)`]);
  t.serve(doc('101'));
  const p = t.make();
  assert.ok((await p.load('start')).ok);
  p.settled(true);
  assert.equal(checkCommand(t.configPath, io), 0);
  assert.match(out[1] ?? '', /: OK \(door@pbx\.example via pbx\.example:5060\/udp, 1 button, provisioned from https:\/\/prov\.example\/doors\/\{hostname\}\.yaml \(as cached\)\)$/);
  writeFileSync(join(t.dir, 'sip.secret'), '');
  assert.equal(checkCommand(t.configPath, io), 2);
  assert.match(err.join('\n'), /sip\.password_file: .*sip\.secret is empty/);
});

test('a document that validates but does not start is put back, never cached, and not tried again until the server has another', async () => {
  const t = setup();
  t.serve(doc('101'));
  const p = t.make();
  assert.ok((await p.load('start')).ok);
  p.settled(true);
  const cached = readFileSync(join(t.dir, 'cache.json'), 'utf8');

  t.serve(doc('102'));
  assert.equal(await p.check(), 'changed');
  assert.ok((await p.load('provisioning')).ok);
  assert.equal(p.settled(false, 'sip.listen: 192.0.2.9 is not an address of this machine'), true, 'put back');
  assert.equal(readFileSync(join(t.dir, 'cache.json'), 'utf8'), cached, 'the cache still holds the one that ran');
  const back = await p.load('provisioning');
  assert.ok(back.ok);
  assert.deepEqual(back.config.buttons[0]?.call, ['101']);
  assert.equal(p.status()?.result, 'failed');
  assert.match(p.status()?.reason ?? '', /^the document \(sha256 [0-9a-f]{12}\) did not start: sip\.listen: 192\.0\.2\.9/);
  assert.match(t.lines.join(''), /level=warn event=provisioning-rejected reason="the document/);

  // The same document again is not applied again.
  assert.equal(await p.check(), 'failed');
  assert.match(p.status()?.reason ?? '', /did not start before; waiting for another/);
  // A new one is.
  t.serve(doc('103'));
  assert.equal(await p.check(), 'changed');
  assert.ok((await p.load('provisioning')).ok);
  p.settled(true);
  assert.match(readFileSync(join(t.dir, 'cache.json'), 'utf8'), /103/);
});

test('intercom run: a provisioned door with no server and nothing cached waits for its config (a SIGHUP fetches again at once) and stops cleanly', async () => {
  const { createServer } = await import('node:net');
  const { runCommand } = await import('../../src/cli/run.ts');
  // Accepts connections and never answers, so each fetch waits for provisioning.timeout.
  let connections = 0;
  const silent = createServer(() => (connections += 1));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'intercom-prov-run-'));
  writeFileSync(join(dir, 'sip.secret'), 'pw\n', { mode: 0o600 });
  const configPath = join(dir, 'config.yaml');
  const provisioning = { url: `https://127.0.0.1:${port}/door.yaml`, sha256: 'a'.repeat(64), timeout: 1, cache: join(dir, 'cache.json') };
  writeFileSync(configPath, stringify({ provisioning, control: { socket: join(dir, 'control.sock') }, sip: { password_file: 'sip.secret' } }), { mode: 0o600 });
  const errors: string[] = [];
  const lines: string[] = [];
  const running = runCommand(configPath, { out: () => {}, err: (l) => errors.push(l) }, {
    startStation: async () => assert.fail('no station without a config'),
    logStream: { write: (l: string) => lines.push(l) },
  });
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(ok(), what);
  };
  try {
    await until('waiting logged', () => /event=provisioning-waiting/.test(lines.join('')));
    // Without a handler, Node's default for SIGHUP would end this very process.
    process.kill(process.pid, 'SIGHUP');
    await until('fetched again', () => connections >= 2);
    process.kill(process.pid, 'SIGTERM');
    assert.equal(await running, 0);
  } finally {
    silent.close();
  }
  assert.deepEqual(errors, []);
  const logged = lines.join('');
  assert.match(logged, /event=provisioning-failed component=provisioning url=https:\/\/127\.0\.0\.1:\d+\/door\.yaml reason="no answer within 1 s" keeping="no config yet"/);
  assert.match(logged, /level=warn event=provisioning-waiting reason="provisioning: no config from https:\/\/127\.0\.0\.1:\d+\/door\.yaml: no answer within 1 s; no cached config .*" retry_s=5/);
});

// Provisioning from an HTTPS server: the door starts with a local file that
// holds only `provisioning:` and its secrets, fetches and verifies its config
// (Ed25519 signature made with openssl, a private CA, a bearer token),
// registers with Kamailio and calls; a changed document is applied without a
// restart; a tampered or invalid one is refused in one log line while the old
// config keeps working; and with the server gone, a restart uses the cached
// last good document.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { makeCa, makeServerCert } from '../support/certs.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { startProvisioningServer, type ProvisioningServer } from '../support/provisioning-server.ts';
import { INTERCOM_BIN, startIntercom, type IntercomInstance } from './intercom-process.ts';

const TOKEN = 'prov-token-5f1e9a';
const SIP_PASSWORD = 'door-pw-83c1';

interface ProvisioningState {
  url: string;
  result: string;
  reason?: string;
  last_fetch?: string;
  config_sha256?: string;
  source?: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('provisioning over HTTPS', { timeout: 110_000 }, () => {
  const tmp = makeTempDir('provisioning-');
  const dir = tmp.path;
  const docPath = `/doors/${encodeURIComponent(hostname())}.yaml`;
  let kam: Kamailio;
  let server: ProvisioningServer;
  let door: IntercomInstance;
  let port: number;
  let cert: { certFile: string; keyFile: string };
  let caFile: string;
  let local: Record<string, unknown> & { sip: Record<string, unknown> };

  const openssl = async (...args: string[]): Promise<void> => {
    const r = await runCommand('openssl', args, { cwd: dir, timeoutMs: 20_000 });
    assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  };
  /** Signs `text` as a provisioning server's owner would: openssl pkeyutl -sign -rawin. */
  const sign = async (text: string): Promise<Buffer> => {
    writeFileSync(join(dir, 'doc.yaml'), text);
    await openssl('pkeyutl', '-sign', '-inkey', 'signing.key', '-rawin', '-in', 'doc.yaml', '-out', 'doc.yaml.sig');
    return readFileSync(join(dir, 'doc.yaml.sig'));
  };
  const documentFor = (call: string, extra: Record<string, unknown> = {}): string =>
    stringify({
      sip: { server: kam.hostport, user: 'door', listen: `127.0.0.2:${port}` },
      buttons: [{ name: 'bell', call: [call] }],
      calls: { ring_timeout: 1 },
      log: { level: 'debug' },
      ...extra,
    });
  /** `intercom doctor`'s provisioning finding for the running door; the token is never printed. */
  const doctorSays = async (): Promise<{ verdict: string; detail: string; fix?: string }> => {
    const r = await runCommand(process.execPath, [INTERCOM_BIN, 'doctor', '--json', '--config', door.configPath], { timeoutMs: 30_000 });
    assert.doesNotMatch(r.stdout, new RegExp(TOKEN));
    const f = (JSON.parse(r.stdout) as { findings: { check: string; verdict: string; detail: string; fix?: string }[] }).findings.find((x) => x.check === 'provisioning');
    assert.ok(f, r.stdout);
    return f;
  };
  const provisioning = async (): Promise<ProvisioningState> => {
    const st = (await door.status()) as unknown as { provisioning?: ProvisioningState };
    assert.ok(st.provisioning, 'status shows provisioning');
    return st.provisioning;
  };
  const registers = (): number =>
    kam.logs().split('\n').filter((l) => l.includes('recv REGISTER') && l.includes(`127.0.0.2:${port}`)).length;
  /** A press still calls the target of the config in force, and the call gives up on its own (ring_timeout 1 s). */
  const pressCalls = async (target: string): Promise<void> => {
    const before = (door.logs().match(new RegExp(`event=call\\.placed peer=sip:${target}@`, 'g')) ?? []).length;
    const press = await door.cli('press');
    assert.equal(press.code, 0, press.stderr);
    await waitUntil(`a call to ${target}`, () => (door.logs().match(new RegExp(`event=call\\.placed peer=sip:${target}@`, 'g')) ?? []).length > before, { timeoutMs: 10_000 });
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 15_000, intervalMs: 100 });
  };

  before(async () => {
    const ca = await makeCa(dir, 'prov');
    caFile = ca.certFile;
    cert = await makeServerCert(dir, ca, 'prov-server', '127.0.0.1');
    await openssl('genpkey', '-algorithm', 'ed25519', '-out', 'signing.key');
    await openssl('pkey', '-in', 'signing.key', '-pubout', '-out', 'signing.pub');
    kam = await startKamailio({ users: { door: SIP_PASSWORD } });
    server = await startProvisioningServer('127.0.0.1', cert, TOKEN);
    port = await freePort('127.0.0.2');
    const doc = documentFor('101');
    server.publish(docPath, doc, await sign(doc));
    writeFileSync(join(dir, 'sip.secret'), `${SIP_PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'prov.token'), `${TOKEN}\n`, { mode: 0o600 });
    local = {
      provisioning: {
        url: `${server.origin}/doors/{hostname}.yaml`,
        tls_ca: caFile,
        interval: 1,
        timeout: 5,
        public_key: readFileSync(join(dir, 'signing.pub'), 'utf8'),
        auth: { bearer_file: join(dir, 'prov.token') },
        cache: join(dir, 'provisioned.json'),
      },
      sip: { password_file: join(dir, 'sip.secret') },
    };
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await server?.close();
    await kam?.stop();
    tmp.remove();
  });

  it('starts from only a provisioning section: fetches, verifies, registers and calls', async () => {
    door = await startIntercom(local, { asIs: true, port, address: '127.0.0.2' });
    assert.equal((await door.status()).registered, true);
    const st = await provisioning();
    // Fetched at start; with a 1 s interval it may have been checked again (304) since.
    assert.match(st.result, /^(updated|unchanged)$/);
    assert.equal(st.source, 'server');
    assert.equal(st.config_sha256, sha256(documentFor('101')));
    assert.equal(st.url, `${server.origin}${docPath}`);
    assert.ok(server.requests().some((r) => r.path === docPath && r.status === 200 && r.authorization === `Bearer ${TOKEN}`));
    assert.ok(server.requests().some((r) => r.path === `${docPath}.sig` && r.status === 200));
    assert.match(door.logs(), /event=provisioning-fetched component=provisioning url=https:\/\/127\.0\.0\.1:\d+\/doors\/\S+\.yaml sha256=[0-9a-f]{64}/);
    assert.equal(statSync(join(dir, 'provisioned.json')).mode & 0o777, 0o600, 'the cache is private');
    const text = await door.cli('status');
    assert.match(text.stdout, /^provisioning: https:\/\/127\.0\.0\.1:\d+\/doors\/\S+: (updated|unchanged).*sha256 [0-9a-f]{64} from the server/m);
    const doctor = await doctorSays();
    assert.notEqual(doctor.verdict, 'fail');
    assert.match(doctor.detail, new RegExp(`^${server.origin}${docPath}: .*config in force: sha256 ${sha256(documentFor('101')).slice(0, 12)}, from the server, fetched`));
    await pressCalls('101');
  });

  it('checks on schedule with If-None-Match and applies a changed document without a restart', async () => {
    await waitUntil('a conditional re-check answered 304', () => server.requests().some((r) => r.path === docPath && r.status === 304 && r.ifNoneMatch !== undefined), { timeoutMs: 10_000 });
    const before = registers();
    const doc = documentFor('102');
    server.publish(docPath, doc, await sign(doc));
    await waitUntil('reloaded from the server', () => /event=reloaded trigger=provisioning summary="applied in place: buttons\[0\]\.call"/.test(door.logs()), { timeoutMs: 15_000 });
    const st = await provisioning();
    assert.equal(st.config_sha256, sha256(doc));
    assert.equal(registers(), before, 'no REGISTER: applied in place');
    assert.equal((await door.status()).registered, true);
    await pressCalls('102');
  });

  it('refuses a tampered document (bad signature) and keeps the running config', async () => {
    const good = documentFor('102');
    const goodSignature = await sign(good);
    const tampered = documentFor('666');
    server.publish(docPath, tampered, goodSignature);
    await waitUntil('refusal logged', () => /event=provisioning-failed component=provisioning url=https:\/\/127\.0\.0\.1:\d+\/doors\/\S+\.yaml reason="bad signature: the document is not signed by provisioning\.public_key" keeping="the last good config \(sha256 [0-9a-f]{12}/.test(door.logs()), { timeoutMs: 10_000 });
    const st = await provisioning();
    assert.equal(st.result, 'failed');
    assert.equal(st.config_sha256, sha256(good));
    const doctor = await doctorSays();
    assert.equal(doctor.verdict, 'warn');
    assert.match(doctor.detail, /failed: bad signature: .*; config in force: sha256 [0-9a-f]{12}, from the server/);
    assert.match(doctor.fix ?? '', /keeps its last good config/);
    assert.doesNotMatch(door.logs(), /peer=sip:666@/);
    await pressCalls('102');
  });

  it('refuses a correctly signed but invalid document, naming the problem, and keeps the running config', async () => {
    const invalid = documentFor('103', { buttons: [], door: { open_ms: 5 } });
    server.publish(docPath, invalid, await sign(invalid));
    await waitUntil('refusal logged', () => /event=provisioning-failed component=provisioning url=\S+ reason="invalid config: buttons: must not be empty; door\.open_ms: must be a whole number from 100 to 60000"/.test(door.logs()), { timeoutMs: 10_000 });
    assert.equal((await provisioning()).config_sha256, sha256(documentFor('102')));
    await pressCalls('102');
    // Secrets never reach the log, the status or the cache.
    assert.doesNotMatch(door.logs(), new RegExp(`${TOKEN}|${SIP_PASSWORD}`));
    assert.doesNotMatch(readFileSync(join(dir, 'provisioned.json'), 'utf8'), new RegExp(`${TOKEN}|${SIP_PASSWORD}`));
  });

  it('a valid document that does not start is put back: the previous config runs on and stays the cached one', async () => {
    // Valid to the schema, but the station cannot start with it: the CA file is missing.
    const broken = stringify({ ...parse(documentFor('104')), sip: { ...parse(documentFor('104')).sip, transport: 'tls', tls_ca: join(dir, 'missing-ca.pem') } });
    server.publish(docPath, broken, await sign(broken));
    await waitUntil('put back', () => /level=warn event=provisioning-rejected component=provisioning reason="the document \(sha256 [0-9a-f]{12}\) did not start: sip\.tls_ca: cannot read/.test(door.logs()), { timeoutMs: 20_000 });
    await waitUntil('registered again', async () => (await door.status()).registered, { timeoutMs: 15_000, intervalMs: 200 });
    const st = await provisioning();
    assert.equal(st.result, 'failed');
    assert.equal(st.config_sha256, sha256(documentFor('102')));
    assert.equal(JSON.parse(readFileSync(join(dir, 'provisioned.json'), 'utf8')).document, documentFor('102'), 'the cache keeps the config that runs');
    await pressCalls('102');
  });

  it('restarts from the cached last good config while the server is down', async () => {
    assert.equal(await door.terminate(), 0);
    await server.close();
    door = await startIntercom(local, { asIs: true, port, address: '127.0.0.2', dir });
    assert.equal((await door.status()).registered, true);
    const st = await provisioning();
    assert.equal(st.source, 'cache');
    assert.equal(st.result, 'failed');
    assert.match(st.reason ?? '', /connection refused/);
    assert.equal(st.config_sha256, sha256(documentFor('102')));
    assert.match(door.logs(), /event=provisioning-failed component=provisioning url=https:\/\/127\.0\.0\.1:\d+\/doors\/\S+\.yaml reason="connection refused" keeping="the last good config/);
    await pressCalls('102');
  });

  it('a first start with no cache and the server down waits, and comes up once the server answers', async () => {
    assert.equal(await door.terminate(), 0);
    rmSync(join(dir, 'provisioned.json'));
    const origin = new URL(server.origin);
    // The server returns while the door waits for its first config (the first retry is 5 s after the failure).
    const back = new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        startProvisioningServer(origin.hostname, cert, TOKEN, Number(origin.port)).then((s) => {
          server = s;
          const doc = documentFor('102');
          return sign(doc).then((sig) => s.publish(docPath, doc, sig));
        }).then(resolve, reject);
      }, 1000);
    });
    door = await startIntercom(local, { asIs: true, port, address: '127.0.0.2', dir });
    await back;
    assert.equal((await door.status()).registered, true);
    assert.match(door.logs(), /level=warn event=provisioning-waiting reason="provisioning: no config from https:\/\/127\.0\.0\.1:\d+\/doors\/[^"]*connection refused[^"]*" retry_s=5/);
    const st = await provisioning();
    assert.equal(st.source, 'server');
    await pressCalls('102');
  });
});

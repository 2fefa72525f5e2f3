// `intercom doctor` against a real Kamailio and a running station: the checks
// that pass say so, and the ones that fail name the cause and the fix.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { INTERCOM_BIN, startIntercom, type IntercomInstance } from './intercom-process.ts';

interface Report {
  version: string;
  findings: { check: string; verdict: string; detail: string; fix?: string }[];
}

/** Runs doctor twice, as JSON and as text; `code` is the JSON run's (each run probes afresh). */
async function doctor(configPath: string): Promise<{ code: number | null; textCode: number | null; report: Report; text: string }> {
  const json = await runCommand(process.execPath, [INTERCOM_BIN, 'doctor', '--json', '--config', configPath], { timeoutMs: 30_000 });
  const text = await runCommand(process.execPath, [INTERCOM_BIN, 'doctor', '--config', configPath], { timeoutMs: 30_000 });
  assert.ok(json.stdout.trim() !== '', `doctor --json printed nothing (exit ${json.code}): ${json.stderr}`);
  return { code: json.code, textCode: text.code, report: JSON.parse(json.stdout) as Report, text: text.stdout };
}

const byCheck = (r: Report, check: string) => {
  const f = r.findings.find((x) => x.check === check);
  assert.ok(f, `a ${check} finding in ${JSON.stringify(r.findings)}`);
  return f;
};

describe('intercom doctor', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let good: IntercomInstance;
  let wrong: IntercomInstance;
  const tmp = makeTempDir('intercom-doctor-');

  before(async () => {
    kam = await startKamailio({ users: { door: 'door-pw', gate: 'gate-pw' } });
    const wav = join(tmp.path, 'in.wav');
    writeFileSync(wav, Buffer.alloc(0));
    good = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: 'door-pw' },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: `file:${wav}`, output: 'none' },
    });
    wrong = await startIntercom(
      { sip: { server: kam.hostport, user: 'gate', password: 'not-the-password' }, buttons: [{ name: 'bell', call: ['101'] }] },
      { address: '127.0.0.3', waitRegistered: false },
    );
    await waitUntil('a failed registration', async () => (await wrong.status()).registration.lastError, { timeoutMs: 15_000, intervalMs: 100 });
  });

  after(async () => {
    await good?.terminate().catch(() => {});
    await wrong?.terminate().catch(() => {});
    await kam?.stop();
    tmp.remove();
  });

  it('passes config, SIP server and registration for a working station', async () => {
    const { code, textCode, report, text } = await doctor(good.configPath);
    assert.equal(code, 0, JSON.stringify(report.findings.filter((f) => f.verdict === 'fail')));
    assert.equal(textCode, 0, text);
    assert.equal(byCheck(report, 'config').verdict, 'ok');
    assert.match(byCheck(report, 'sip-server').detail, new RegExp(`${kam.address}:${kam.port}/udp answered OPTIONS with \\d{3}`));
    assert.equal(byCheck(report, 'sip-server').verdict, 'ok');
    assert.equal(byCheck(report, 'registration').verdict, 'ok');
    assert.equal(byCheck(report, 'audio.input').verdict, 'ok');
    assert.equal(byCheck(report, 'audio.output').verdict, 'warn');
    assert.equal(byCheck(report, 'audio-loopback').verdict, 'skip');
    assert.match(text, /^ok +sip-server +/m);
    assert.match(text, /^\d+ ok, \d+ warnings, 0 failed, \d+ skipped$/m);
  });

  it('explains a registration refused by the server', async () => {
    const { code, report, text } = await doctor(wrong.configPath);
    assert.equal(code, 1, text);
    const reg = byCheck(report, 'registration');
    assert.equal(reg.verdict, 'fail');
    assert.match(reg.detail, /last failure: /);
    assert.match(reg.fix ?? '', /credentials/);
    assert.doesNotMatch(text, /not-the-password/, 'the password is never printed');
    assert.match(text, /^FAIL +registration +not registered/m);
    assert.match(text, /^ +fix: the server refused the credentials/m);
  });

  it('names a SIP server that does not answer and a station that is not running', async () => {
    const port = await freePort('127.0.0.1');
    const configPath = join(tmp.path, 'dead.yaml');
    writeFileSync(
      configPath,
      stringify({
        sip: { server: `127.0.0.1:${port}`, user: 'door', password: 'pw' },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'file:/nonexistent.wav', output: 'none' },
        control: { socket: join(tmp.path, 'nobody.sock') },
      }),
      { mode: 0o600 },
    );
    const { code, report } = await doctor(configPath);
    assert.equal(code, 1);
    const sip = byCheck(report, 'sip-server');
    assert.equal(sip.verdict, 'fail');
    assert.match(sip.detail, new RegExp(`no answer to OPTIONS from 127\\.0\\.0\\.1:${port}/udp`));
    assert.match(sip.fix ?? '', /check sip\.server/);
    const reg = byCheck(report, 'registration');
    assert.match(reg.detail, /no intercom instance answers/);
    assert.match(reg.fix ?? '', /systemctl start intercom/);
    assert.equal(byCheck(report, 'audio.input').verdict, 'fail');
  });

  it('reports an invalid config and skips what depends on it', async () => {
    const configPath = join(tmp.path, 'bad.yaml');
    writeFileSync(configPath, 'sip:\n  server: 127.0.0.1\n  user: door\nbuttons: []\n');
    const { code, report } = await doctor(configPath);
    assert.equal(code, 1);
    const config = byCheck(report, 'config');
    assert.equal(config.verdict, 'fail');
    assert.match(config.detail, /sip\.password: required/);
    assert.match(config.detail, /buttons: must not be empty/);
    assert.equal(byCheck(report, 'sip-server').verdict, 'skip');
  });
});

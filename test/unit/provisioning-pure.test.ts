// The pure parts of provisioning: signature and hash checks, the merge rule,
// the schedule, per-device URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { decodeSignature, sha256Hex, verifyDocument } from '../../src/provisioning/verify.ts';
import { mergeProvisioned, misplacedLocalKeys, wantsProvisioning } from '../../src/provisioning/merge.ts';
import { isChange, nextCheckDelayMs } from '../../src/provisioning/schedule.ts';
import { expandUrl, shownUrl } from '../../src/provisioning/device-url.ts';
import { parseEd25519Key } from '../../src/config/provisioning-schema.ts';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PEM = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const DOC = Buffer.from('sip: {server: pbx, user: door}\nbuttons: [{name: bell, call: ["101"]}]\n');
const SIG = sign(null, DOC, privateKey);

test('a document signed by the key verifies, with raw or base64 signature files', () => {
  assert.deepEqual(verifyDocument(DOC, SIG, { public_key: PEM }), { ok: true, sha256: sha256Hex(DOC) });
  assert.equal(verifyDocument(DOC, Buffer.from(`${SIG.toString('base64')}\n`), { public_key: PEM }).ok, true);
});

test('a changed document, another key, a missing or malformed signature are refused with the reason', () => {
  const tampered = Buffer.from(DOC.toString().replace('101', '666'));
  assert.deepEqual(verifyDocument(tampered, SIG, { public_key: PEM }), { ok: false, reason: 'bad signature: the document is not signed by provisioning.public_key' });
  const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
  assert.equal(verifyDocument(DOC, SIG, { public_key: other }).ok, false);
  assert.deepEqual(verifyDocument(DOC, undefined, { public_key: PEM }), { ok: false, reason: 'no signature for the document (provisioning.public_key is set)' });
  assert.deepEqual(verifyDocument(DOC, Buffer.from('not a signature'), { public_key: PEM }), { ok: false, reason: 'the signature is neither 64 bytes nor their base64' });
  assert.equal(decodeSignature(Buffer.alloc(63)), undefined);
});

test('a pinned hash accepts exactly that document; with both, both must hold', () => {
  const pin = sha256Hex(DOC);
  assert.equal(verifyDocument(DOC, undefined, { sha256: pin }).ok, true);
  const other = verifyDocument(Buffer.from('x'), undefined, { sha256: pin });
  assert.equal(other.ok, false);
  assert.match(other.ok ? '' : other.reason, /^the document's SHA-256 is [0-9a-f]{64}, not provisioning\.sha256$/);
  assert.equal(verifyDocument(DOC, SIG, { sha256: pin, public_key: PEM }).ok, true);
  assert.equal(verifyDocument(DOC, undefined, { sha256: pin, public_key: PEM }).ok, false);
});

test('public keys are taken as PEM or as the base64 of the 32 raw bytes; other keys are not', () => {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  assert.equal(parseEd25519Key(PEM)?.asymmetricKeyType, 'ed25519');
  assert.equal(parseEd25519Key(raw)?.export({ format: 'pem', type: 'spki' }).toString(), PEM);
  const inner = PEM.split('\n').filter((l) => !l.startsWith('-----')).join('');
  assert.match(inner, /^MCowBQYDK2VwAyEA/);
  assert.equal(parseEd25519Key(inner)?.export({ format: 'pem', type: 'spki' }).toString(), PEM);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  assert.equal(parseEd25519Key(ec), undefined);
  assert.equal(parseEd25519Key('AAAA'), undefined);
});

const LOCAL = {
  provisioning: { url: 'https://prov.example/d.yaml' },
  control: { socket: '/run/x.sock' },
  sip: { password_file: 'sip.secret' },
};
const NAMES = { local: '/etc/intercom/config.yaml', remote: 'https://prov.example/d.yaml' };

test('merge: the document supplies everything but provisioning, control and the SIP secret', () => {
  const remote = { sip: { server: 'pbx', user: 'door' }, buttons: [{ name: 'bell', call: ['101'] }], log: { level: 'debug' } };
  assert.deepEqual(mergeProvisioned(LOCAL, remote, NAMES), {
    ok: true,
    data: { ...remote, sip: { server: 'pbx', user: 'door', password_file: 'sip.secret' }, provisioning: LOCAL.provisioning, control: LOCAL.control },
  });
});

test('merge: the document may not set local keys, nor the local file remote ones', () => {
  const remote = { sip: { server: 'pbx', user: 'door', password: 'x' }, provisioning: { url: 'https://evil/' }, control: {} };
  const r = mergeProvisioned({ ...LOCAL, buttons: [], sip: { password: 'y', server: 'pbx' } }, remote, NAMES);
  assert.deepEqual(r, {
    ok: false,
    errors: [
      '/etc/intercom/config.yaml: sip.server: comes from provisioning.url when provisioning is set; remove it here',
      '/etc/intercom/config.yaml: buttons: comes from provisioning.url when provisioning is set; remove it here',
      'https://prov.example/d.yaml: provisioning: may only be set in the door\'s local config file',
      'https://prov.example/d.yaml: control: may only be set in the door\'s local config file',
      'https://prov.example/d.yaml: sip.password: the SIP secret stays on the door; set it in the local config file',
    ],
  });
  assert.deepEqual(mergeProvisioned(LOCAL, ['a list'], NAMES), { ok: false, errors: ['https://prov.example/d.yaml: must be a config mapping (sip:, buttons:, ...)'] });
  assert.deepEqual(misplacedLocalKeys(LOCAL, 'f'), []);
});

test('only a non-empty provisioning: section turns provisioning on', () => {
  assert.equal(wantsProvisioning(LOCAL), true);
  assert.equal(wantsProvisioning({ provisioning: null, sip: {} }), false);
  assert.equal(wantsProvisioning({ sip: {} }), false);
});

test('schedule: the interval after a success; failures retried sooner, backing off up to the interval', () => {
  assert.equal(nextCheckDelayMs(3600, 0), 3_600_000);
  assert.deepEqual([1, 2, 3, 4, 8, 20].map((n) => nextCheckDelayMs(3600, n)), [30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000]);
  assert.equal(nextCheckDelayMs(10, 1), 10_000, 'never later than the interval');
  assert.equal(isChange({ kind: 'not-modified' }, 'a'), false);
  assert.equal(isChange({ kind: 'document', sha256: 'a' }, 'a'), false);
  assert.equal(isChange({ kind: 'document', sha256: 'b' }, 'a'), true);
  assert.equal(isChange({ kind: 'document', sha256: 'b' }, undefined), true);
});

test('per-device URLs: {mac} and {hostname} filled in; shown without a query string', () => {
  assert.deepEqual(expandUrl('https://p/{mac}/{hostname}.yaml', { mac: 'b827eb123456', hostname: 'door 1' }), { ok: true, url: 'https://p/b827eb123456/door%201.yaml' });
  assert.deepEqual(expandUrl('https://p/{mac}.yaml', { hostname: 'h' }), { ok: false, missing: 'mac' });
  assert.equal(shownUrl('https://p:8443/a.yaml?token=s3cret'), 'https://p:8443/a.yaml');
});

test('the provisioning: section is checked like every other, one line per problem', async () => {
  const { validateConfig } = await import('../../src/config/load.ts');
  const base = { sip: { server: 'pbx', user: 'door', password: 'x' }, buttons: [{ name: 'b', call: ['1'] }] };
  const r = validateConfig({ ...base, provisioning: { url: 'http://prov/x.yaml', interval: 0, public_key: 'nope', auth: { token: 'x' } } }, '/nonexistent');
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.errors, [
    'provisioning.url: must be an https:// URL with a host and no user:password@ (credentials go in provisioning.auth)',
    'provisioning.interval: must be a whole number of seconds from 1 to 604800',
    'provisioning.public_key: must be an Ed25519 public key: PEM, or base64 (of the key or of its 32 bytes)',
    'provisioning.auth: must be {bearer_file: FILE} or {user: NAME, password_file: FILE}',
  ]);
  const unverified = validateConfig({ ...base, provisioning: { url: 'https://user:pw@prov/x.yaml' } }, '/nonexistent');
  assert.deepEqual(unverified.ok ? [] : unverified.errors, [
    'provisioning.url: must be an https:// URL with a host and no user:password@ (credentials go in provisioning.auth)',
    'provisioning.public_key: needs public_key (a signed document) or sha256 (a pinned one), or both',
  ]);
});

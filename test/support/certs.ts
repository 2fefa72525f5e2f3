// Certificates for TLS tests, made with openssl into a test's temp dir: a
// private CA and a server certificate it signs, valid for an IP address
// (subjectAltName), so verification works exactly as against a real server.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './process.ts';

export interface TestCa {
  certFile: string;
  keyFile: string;
}

export interface TestServerCert {
  certFile: string;
  keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await runCommand('openssl', args, { cwd, timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.trim()}`);
}

/** A self-signed CA named `name`, written as NAME-ca.pem / NAME-ca.key in dir. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const certFile = join(dir, `${name}-ca.pem`);
  const keyFile = join(dir, `${name}-ca.key`);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { certFile, keyFile };
}

/** A server certificate for `ip` signed by `ca`, written as NAME.pem / NAME.key in dir. */
export async function makeServerCert(dir: string, ca: TestCa, name: string, ip: string): Promise<TestServerCert> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${ip}`], dir);
  writeFileSync(ext, `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext], dir);
  return { certFile, keyFile };
}

// The door's own TLS certificate and key (sip.tls_cert, sip.tls_key), read
// and checked once at start: a file that cannot be read, is not PEM, or a key
// that does not belong to the certificate is one line naming the config key,
// never a stack trace from the first handshake.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileProblem } from '../config/file-problem.ts';

export interface TlsIdentity {
  cert: Buffer;
  key: Buffer;
}

/** Thrown for an unusable certificate or key; the message is one line naming the config key. */
export class TlsIdentityError extends Error {}

function read(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsIdentityError(`${key}: cannot read ${file}: ${fileProblem(err)}`);
  }
}

/** Reads and checks the pair; `now` lets a certificate outside its validity be refused. */
export function loadTlsIdentity(certFile: string, keyFile: string, now = new Date()): TlsIdentity {
  const cert = read('sip.tls_cert', certFile);
  const key = read('sip.tls_key', keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsIdentityError(`sip.tls_cert: ${certFile} is not a PEM certificate`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsIdentityError(`sip.tls_key: ${keyFile} is not an unencrypted PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsIdentityError(`sip.tls_key: ${keyFile} is not the key of the certificate in sip.tls_cert (${certFile})`);
  }
  if (now < new Date(x509.validFrom) || now > new Date(x509.validTo)) {
    throw new TlsIdentityError(`sip.tls_cert: ${certFile} is valid only from ${x509.validFrom} to ${x509.validTo}`);
  }
  return { cert, key };
}

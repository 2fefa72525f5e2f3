// libsrtp2 (Debian's python3-pylibsrtp binding) as an independent SRTP/SRTCP
// implementation: one libsrtp session per call, fed packets in order.
import { runCommand } from './process.ts';

export type LibsrtpOp = 'protect' | 'unprotect' | 'protect_rtcp' | 'unprotect_rtcp';

const SCRIPT = `
import json, sys, pylibsrtp
req = json.loads(sys.argv[1])
P = pylibsrtp.Policy
profile = {'AES_CM_128_HMAC_SHA1_80': P.SRTP_PROFILE_AES128_CM_SHA1_80, 'AES_CM_128_HMAC_SHA1_32': P.SRTP_PROFILE_AES128_CM_SHA1_32}[req['suite']]
inbound = req['op'].startswith('unprotect')
session = pylibsrtp.Session(P(key=bytes.fromhex(req['key']), ssrc_type=P.SSRC_ANY_INBOUND if inbound else P.SSRC_ANY_OUTBOUND, srtp_profile=profile))
out = []
for p in req['packets']:
    try:
        out.append(getattr(session, req['op'])(bytes.fromhex(p)).hex())
    except pylibsrtp.Error as e:
        out.append('error: ' + str(e))
print(json.dumps(out))
`;

/** Runs each packet through libsrtp with the master key and salt (30 bytes); a refused packet comes back as an Error. */
export async function libsrtp(op: LibsrtpOp, suite: string, keyAndSalt: Buffer, packets: Buffer[]): Promise<(Buffer | Error)[]> {
  const input = JSON.stringify({ op, suite, key: keyAndSalt.toString('hex'), packets: packets.map((p) => p.toString('hex')) });
  // Debian's interpreter: the binding is installed for it, not for any other python3 on PATH.
  const r = await runCommand('/usr/bin/python3', ['-c', SCRIPT, input], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`libsrtp check failed: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as string[]).map((s) => (s.startsWith('error: ') ? new Error(s.slice(7)) : Buffer.from(s, 'hex')));
}

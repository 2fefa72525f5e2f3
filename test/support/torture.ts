// Third-party torture material from ../shared/peer, read as bytes: the RFC
// 4475/5118 messages with their manifests, and the PROTOS c07-sip cases with
// the placeholders filled with loopback values. The messages name outside
// addresses: feed them in-process only, never to a socket.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const PEER = '../shared/peer';

/** One manifest row: column name to cell. */
export type ManifestRow = Record<string, string>;

/** Reads a peer folder's MANIFEST.tsv. */
export function manifest(dir: string): ManifestRow[] {
  const lines = readFileSync(`${PEER}/${dir}/MANIFEST.tsv`, 'utf8').split('\n').filter((l) => l.length > 0);
  const cols = lines[0]!.split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const row: ManifestRow = {};
    cols.forEach((c, i) => (row[c] = cells[i] ?? ''));
    return row;
  });
}

/** A peer file's bytes. */
export function peerBytes(dir: string, file: string): Buffer {
  return readFileSync(`${PEER}/${dir}/${file}`);
}

/** The 4527 PROTOS case files, unpacked from the tarball in memory. */
export function protosCases(): Buffer[] {
  const tar = gunzipSync(readFileSync(`${PEER}/protos/c07-sip-cases.tar.gz`));
  const out: Buffer[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const name = tar.subarray(off, off + 100).toString('latin1').replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(tar.subarray(off + 124, off + 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(tar[off + 156] ?? 0x30);
    if ((type === '0' || type === '\0') && /cases\/\d+$/.test(name)) out.push(tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Values for the PROTOS placeholders; Content-Length is computed. */
export interface ProtosFill {
  to: string;
  from: string;
  fromAddress: string;
  localPort: number;
  id: string;
}

/** PDU `index` (0 = the test INVITE, 1 = the CANCEL teardown) of a case, placeholders filled. */
export function protosPdu(c: Buffer, index: 0 | 1, f: ProtosFill): Buffer {
  let off = 0;
  let pdu: Buffer = Buffer.alloc(0);
  for (let i = 0; i <= index; i++) {
    const sp = c.indexOf(0x20, off);
    const len = Number(c.subarray(off, sp).toString('latin1'));
    pdu = c.subarray(sp + 1, sp + 1 + len);
    off = sp + 1 + len;
  }
  let text = pdu.toString('latin1');
  const fill: Record<string, string> = {
    '<To>': f.to, '<From>': f.from, '<From-Address>': f.fromAddress, '<From-IP>': f.fromAddress,
    '<Local-Port>': String(f.localPort), '<Branch-ID>': f.id, '<Call-ID>': f.id, '<CSeq>': '1', '<Teardown-Method>': 'CANCEL',
  };
  for (const [k, v] of Object.entries(fill)) text = text.split(k).join(v);
  const sepAt = text.indexOf('\r\n\r\n');
  const bodyLen = sepAt < 0 ? 0 : Buffer.byteLength(text.slice(sepAt + 4), 'latin1');
  return Buffer.from(text.split('<Content-Length>').join(String(bodyLen)), 'latin1');
}

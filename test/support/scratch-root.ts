// A scratch root directory for installing into (the installer's --root): just
// enough of /etc for useradd and groupadd, and a snapshot to prove a dry or
// check run changed nothing in it.
import { lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The user and group files of a system that has root, dialout and audio (no gpio group, as on Debian). */
export function seedRoot(root: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:\naudio:x:29:\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\ndialout:*::\naudio:*::\n', { mode: 0o640 });
}

/** Every path under `root` with its type, mode, size and mtime: a dry run must leave this as it was. */
export function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      out.push(`${relative(root, p)} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

/** The colon-separated fields of `name`'s line in a passwd or group file. */
export function field(file: string, name: string): string[] | undefined {
  return readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))
    ?.split(':');
}

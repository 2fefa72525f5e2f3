// A stand-in for systemd's notification socket: a unix datagram socket (which
// Node's dgram cannot open) bound by a small python3 process that prints each
// datagram it receives as one JSON string per line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, spawnManaged, waitUntil } from './process.ts';

const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("listening"), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export interface NotifySocket {
  /** The path to put in NOTIFY_SOCKET. */
  readonly path: string;
  /** Every datagram so far, in arrival order. */
  messages(): string[];
  /** Every `KEY=value` assignment so far, across datagrams, in order. */
  assignments(): string[];
  /** Waits until an assignment satisfies `match`; returns it. */
  waitFor(what: string, match: (assignment: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts listening on a fresh socket path. */
export async function startNotifySocket(): Promise<NotifySocket> {
  const dir = makeTempDir('intercom-notify-');
  const path = join(dir.path, 'notify.sock');
  const received: string[] = [];
  let partial = '';
  const proc = spawnManaged('python3', 'python3', ['-c', LISTENER, path], {
    onOutput: (chunk) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        try {
          const text: unknown = JSON.parse(line);
          if (typeof text === 'string' && text !== 'listening') received.push(text);
        } catch {
          // python's own error output; it shows up in proc.output()
        }
      }
    },
  });
  await waitUntil('notify socket bound', () => existsSync(path) || proc.hasExited(), { timeoutMs: 10_000 });
  if (proc.hasExited()) throw new Error(`notify listener failed: ${proc.output()}`);
  const assignments = (): string[] => received.flatMap((m) => m.split('\n').filter((l) => l !== ''));
  return {
    path,
    messages: () => [...received],
    assignments,
    waitFor: (what, match, timeoutMs = 15_000) =>
      waitUntil(what, () => assignments().find(match), { timeoutMs, intervalMs: 20 }),
    async stop() {
      await proc.stop(500);
      dir.remove();
    },
  };
}

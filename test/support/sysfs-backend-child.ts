// Runs the real sysfs GPIO backend (onoff underneath) inside the fake sysfs
// namespace and lets the test drive it over stdin/stdout, one JSON object a
// line each way:
//   in:  {"op":"input"|"output","id":"b","chip":"gpiochip0","line":17,"activeLow":true,"bias":"pull-up"}
//        {"op":"value","id":"b"} {"op":"set","id":"r","active":true} {"op":"release","id":"b"} {"op":"close"}
//   out: {"reply":...} or {"error":"..."} per command; {"edge":"b","active":true} as edges come;
//        {"log":"..."} for what the backend logs.
// Usage: node --import tsx sysfs-backend-child.ts [SYSFS_ROOT]
import { createInterface } from 'node:readline';
import type { Bias, GpioInput, GpioOutput } from '../../src/io/gpio.ts';
import { sysfsBackend } from '../../src/io/sysfs-backend.ts';
import { createLogger } from '../../src/log/logger.ts';

interface Command {
  op: 'input' | 'output' | 'value' | 'set' | 'release' | 'close';
  id?: string;
  chip?: string;
  line?: number;
  activeLow?: boolean;
  bias?: Bias;
  active?: boolean;
}

const send = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const log = createLogger({ level: 'debug', format: 'text', journal: false, stream: { write: (l: string) => send({ log: l.trim() }) } });
const backend = await sysfsBackend(process.argv[2] ?? '/sys/class/gpio', log);
const inputs = new Map<string, GpioInput>();
const outputs = new Map<string, GpioOutput>();

function run(c: Command): unknown {
  const id = c.id ?? '';
  const spec = { chip: c.chip ?? 'gpiochip0', line: c.line ?? 0, activeLow: c.activeLow ?? false, consumer: 'test' };
  switch (c.op) {
    case 'input':
      inputs.set(id, backend.input({ ...spec, bias: c.bias ?? 'as-is' }, (active) => send({ edge: id, active })));
      return 'ok';
    case 'output':
      outputs.set(id, backend.output(spec));
      return 'ok';
    case 'value':
      return inputs.get(id)?.value() ?? outputs.get(id)?.get();
    case 'set':
      outputs.get(id)?.set(c.active === true);
      return 'ok';
    case 'release':
      inputs.get(id)?.close();
      outputs.get(id)?.close();
      return 'ok';
    case 'close':
      return 'close';
  }
}

for await (const text of createInterface({ input: process.stdin })) {
  const c = JSON.parse(text) as Command;
  let reply: unknown;
  try {
    reply = run(c);
  } catch (e) {
    send({ error: String(e) });
    continue;
  }
  if (reply === 'close') {
    await backend.close();
    send({ reply: 'closed' });
    process.exit(0);
  }
  send({ reply });
}
// stdin closed (the test is done, or gone): release the lines and end, whatever onoff still watches.
await backend.close();
process.exit(0);

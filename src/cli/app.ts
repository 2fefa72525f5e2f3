// The command line: picks the subcommand, parses its options, runs it and
// returns the exit status. No process-wide side effects, so tests can call it.
import { DEFAULT_CONFIG_PATH } from '../config/schema.ts';
import { UsageError, parseOptions, stringOption } from './args.ts';
import type { OptionSpec, OptionValues } from './args.ts';
import { audioListCommand } from './audio.ts';
import { checkCommand } from './check.ts';
import { COMMAND_HELP, MAIN_HELP } from './help.ts';
import type { CliIO } from './io.ts';
import { oneLine } from './io.ts';
import { actionCommand, statusCommand } from './remote.ts';
import type { RemoteTarget } from './remote.ts';
import { runCommand } from './run.ts';
import { packageVersion } from './version.ts';

/** A reload that restarts the SIP stack waits for the unregistration (up to 10 s) and a new registration. */
const RELOAD_TIMEOUT_MS = 30_000;

const help: OptionSpec = { help: { type: 'boolean', short: 'h' } };
const config: OptionSpec = { config: { type: 'string', short: 'c' } };
const socket: OptionSpec = { socket: { type: 'string' } };

const OPTIONS: Record<string, OptionSpec> = {
  run: { ...help, ...config },
  check: { ...help, ...config },
  status: { ...help, ...config, ...socket, json: { type: 'boolean' } },
  press: { ...help, ...config, ...socket, button: { type: 'string', short: 'b' } },
  hangup: { ...help, ...config, ...socket },
  open: { ...help, ...config, ...socket },
  'incoming on': { ...help, ...config, ...socket },
  'incoming off': { ...help, ...config, ...socket },
  hw: { ...help, ...config, ...socket, json: { type: 'boolean' } },
  hash: { ...help, card: { type: 'string' }, pin: { type: 'string' } },
  'outputs-off': { ...help, ...config },
  reload: { ...help, ...config, ...socket },
  doctor: { ...help, ...config, ...socket, json: { type: 'boolean' } },
  demo: { ...help },
  'audio list': { ...help, json: { type: 'boolean' } },
};

function configPath(values: OptionValues): string {
  return stringOption(values, 'config') ?? DEFAULT_CONFIG_PATH;
}

function remoteTarget(values: OptionValues): RemoteTarget {
  const s = stringOption(values, 'socket');
  return s === undefined ? { configPath: configPath(values) } : { configPath: configPath(values), socket: s };
}

async function demoCommand(io: CliIO): Promise<number> {
  const { runDemo } = await import('../intercom/demo.ts');
  return (await runDemo((line) => io.out(line))) ? 0 : 1;
}

async function dispatch(command: string, values: OptionValues, io: CliIO): Promise<number> {
  switch (command) {
    case 'run':
      return runCommand(configPath(values), io);
    case 'check':
      return checkCommand(configPath(values), io);
    case 'status':
      return statusCommand(remoteTarget(values), values['json'] === true, io);
    case 'press': {
      const button = stringOption(values, 'button');
      return actionCommand(remoteTarget(values), button === undefined ? { cmd: 'press' } : { cmd: 'press', button }, io);
    }
    case 'hangup':
      return actionCommand(remoteTarget(values), { cmd: 'hangup' }, io);
    case 'open':
      return actionCommand(remoteTarget(values), { cmd: 'open' }, io);
    case 'incoming on':
    case 'incoming off':
      return actionCommand(remoteTarget(values), { cmd: 'incoming', enabled: command === 'incoming on' }, io);
    case 'hw': {
      const { hwCommand } = await import('./hw.ts');
      return hwCommand(remoteTarget(values), values['json'] === true, io);
    }
    case 'hash': {
      const { hashCommand } = await import('./hw.ts');
      return hashCommand(stringOption(values, 'card'), stringOption(values, 'pin'), io);
    }
    case 'outputs-off': {
      const { outputsOffCommand } = await import('./hw.ts');
      return outputsOffCommand(configPath(values), io);
    }
    case 'doctor': {
      const { doctorCommand } = await import('./doctor.ts');
      const s = stringOption(values, 'socket');
      return doctorCommand(configPath(values), io, { json: values['json'] === true, ...(s !== undefined ? { socket: s } : {}) });
    }
    case 'reload':
      // A reload that re-registers takes a few SIP round trips.
      return actionCommand(remoteTarget(values), { cmd: 'reload' }, io, RELOAD_TIMEOUT_MS);
    case 'demo':
      return demoCommand(io);
    case 'audio list':
      return audioListCommand(values['json'] === true, io);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (see intercom --help)`);
  }
}

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '-h' || first === '--help') {
      (first === undefined ? io.err : io.out)(MAIN_HELP);
      return first === undefined ? 2 : 0;
    }
    if (first === '-V' || first === '--version') {
      io.out(packageVersion());
      return 0;
    }
    if (first === 'help') {
      const topic = rest[0];
      io.out(topic !== undefined && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
      return 0;
    }
    // `audio` has subcommands: `intercom audio list` is looked up as "audio list".
    // So has `incoming`: `intercom incoming on|off`.
    const command = (first === 'audio' || first === 'incoming') && rest[0] !== undefined && !rest[0].startsWith('-') ? `${first} ${rest.shift()}` : first;
    if (command === 'audio') throw new UsageError('audio needs a subcommand: intercom audio list [--json]');
    if (command === 'incoming') {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.out(COMMAND_HELP['incoming'] ?? MAIN_HELP);
        return 0;
      }
      throw new UsageError('incoming needs on or off: intercom incoming on|off');
    }
    const spec = OPTIONS[command];
    if (!spec && first === 'incoming') throw new UsageError('incoming needs on or off: intercom incoming on|off');
    if (!spec) {
      throw new UsageError(
        first.startsWith('-')
          ? `a command comes first, e.g. intercom status ${first} (see intercom --help)`
          : `unknown command ${JSON.stringify(first)} (see intercom --help)`,
      );
    }
    const values = parseOptions(command, rest, spec);
    if (values['help'] === true) {
      io.out(COMMAND_HELP[command] ?? COMMAND_HELP[first] ?? MAIN_HELP);
      return 0;
    }
    return await dispatch(command, values, io);
  } catch (err) {
    io.err(`intercom: ${oneLine(err)}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

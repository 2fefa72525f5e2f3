// Entry point of the `intercom` command (bin/intercom loads the compiled copy).
import { runCli } from './app.ts';
import { installFatalHandlers } from './fatal.ts';
import { processIO } from './io.ts';

installFatalHandlers();
const status = await runCli(process.argv.slice(2), processIO());
// Exit explicitly: a station that left a socket or timer behind must not keep
// a finished command alive. Writes to pipes and files are synchronous on Linux.
process.exit(status);

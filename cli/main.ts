// The `pmx` entry: the commands scripts run in loops go straight to their module (cli/fast.ts);
// everything else goes through the commander program.
import { runFast } from './fast.js';
import { reportError } from './output/errors.js';

// `pmx jlist | head -1`: a reader that went away is not an error
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function main(): Promise<void> {
  if (await runFast(process.argv.slice(2))) return;
  const serving = await (await import('./program.js')).runProgram(process.argv);
  // an ecosystem file's code may have left a timer or a socket open (its database client): the
  // command is done, and must not wait for it (stdout and stderr are written synchronously here);
  // unless the agent runs in this process (`--no-daemon`)
  const { ranEcosystemCode } = await import('./ecosystem/ran-code.js');
  if (!serving && ranEcosystemCode()) process.exit();
}

main().catch((error: unknown) => {
  reportError(error, process.stderr);
  // nothing left to wait for once a command has failed (an agent that never answers holds a socket)
  process.exit(1);
});

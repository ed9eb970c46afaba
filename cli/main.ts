// The `pmx` entry. The commands run most often (and by scripts in loops: ls, jlist, describe)
// go straight to their module; everything else goes through the commander program, whose
// loading alone costs about 15 ms.
import { commandContext } from './commands/context.js';
import { reportError } from './output/errors.js';

// `pmx jlist | head -1`: a reader that went away is not an error
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/** The fast path for a plain `ls`/`jlist`/`prettylist`/`describe <x>`, or null to use the full parser. */
async function fastPath(args: string[]): Promise<boolean> {
  if (args.some((arg) => arg.startsWith('-'))) return false;
  const [command, target, ...rest] = args;
  if (rest.length > 0) return false;
  const ctx = commandContext();
  const list = (): Promise<typeof import('./commands/list.js')> => import('./commands/list.js');
  switch (command) {
    case 'ls':
    case 'list':
    case 'status':
    case 'l':
      if (target !== undefined) return false;
      await (await list()).ls(ctx);
      return true;
    case 'jlist':
    case 'prettylist':
      if (target !== undefined) return false;
      await (await list()).jlist(ctx, command === 'prettylist');
      return true;
    case 'describe':
    case 'show':
    case 'desc':
    case 'info':
      if (target === undefined) return false;
      await (await list()).describe(ctx, target);
      return true;
    default:
      return false;
  }
}

async function main(): Promise<void> {
  if (await fastPath(process.argv.slice(2))) return;
  await (await import('./program.js')).runProgram(process.argv);
}

main().catch((error: unknown) => {
  reportError(error, process.stderr);
  // nothing left to wait for once a command has failed (an agent that never answers holds a socket)
  process.exit(1);
});

// The commands scripts run in loops (ls, jlist, prettylist, describe <x>), without commander:
// its loading and the definition of every command cost about 15 ms per run.
import { aliasesOf } from './aliases.js';
import { commandContext } from './commands/context.js';

/** Runs a plain fast-path command and returns true, or returns false for the full parser. */
export async function runFast(args: string[]): Promise<boolean> {
  if (!isFast(args)) return false;
  const [command, target] = args;
  const ctx = commandContext();
  const list = await import('./commands/list.js');
  if (command === 'jlist' || command === 'prettylist') await list.jlist(ctx, command === 'prettylist');
  else if (target === undefined) await list.ls(ctx);
  else await list.describe(ctx, target);
  return true;
}

const LIST = ['ls', ...aliasesOf('ls'), 'jlist', 'prettylist'];
const DESCRIBE = ['describe', ...aliasesOf('describe')];

/** True for `ls`, `jlist`, `prettylist` alone and `describe <x>`, with no flags. */
export function isFast(args: string[]): boolean {
  if (args.some((arg) => arg.startsWith('-'))) return false;
  const [command, target, ...rest] = args;
  if (command === undefined || rest.length > 0) return false;
  return LIST.includes(command) ? target === undefined : DESCRIBE.includes(command) && target !== undefined;
}

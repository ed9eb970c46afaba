// `pmx deploy [file] <environment> [command] [args]` as PM2 reads it: the file is optional (PM2's
// default names are looked for), the environment too when the file has only one, and any word
// that is not a command is a ref to deploy.
import type { RunCommand } from './context.js';
import { DeployConfigError } from './errors.js';

/** What the words after `pmx deploy` ask for. */
export interface DeployWords {
  envName: string | undefined;
  command: RunCommand;
  ref?: string;
  steps?: number;
  /** `mark-bad <release>`. */
  pick?: string;
  execCommand?: string;
}

/** The commands, with PM2's aliases. */
const COMMANDS: Record<string, RunCommand> = {
  setup: 'setup',
  update: 'deploy',
  deploy: 'deploy',
  revert: 'revert',
  'mark-bad': 'mark-bad',
  curr: 'curr',
  current: 'curr',
  prev: 'prev',
  previous: 'prev',
  list: 'list',
  exec: 'exec',
  run: 'exec',
  ref: 'deploy',
  startup: 'startup',
};

/**
 * PM2 prints its deploy help (exit 0) for `pm2 deploy <file>` and `pm2 deploy help` (whatever
 * follows): it deploys nothing there, even when the file has one environment (`pmx deploy revert
 * 1` may leave it out: a command is named). `pmx deploy` alone is an error, as `pm2 deploy` alone.
 */
export function asksForHelp(file: string | null, words: string[]): boolean {
  return file !== null ? words.length === 0 : words[0] === 'help';
}

/** The words that run a command on the hosts: what follows is the command's, options included. */
export const EXEC_WORDS: ReadonlySet<string> = new Set(Object.keys(COMMANDS).filter((word) => COMMANDS[word] === 'exec'));

/** Splits off a leading file argument: the first word when it names an ecosystem file. */
export function splitFile(args: string[], isFile: (word: string) => boolean): { file: string | null; rest: string[] } {
  const [first, ...rest] = args;
  return first !== undefined && isFile(first) ? { file: first, rest } : { file: null, rest: args };
}

/** Reads the words after the file, knowing the file's environment names. */
export function parseDeployWords(words: string[], environments: string[], file: string): DeployWords {
  // commander passes unknown options on (for `exec ls -la`): before exec's command, one is a mistake, never a ref to deploy
  const execAt = words.findIndex((word) => COMMANDS[word] === 'exec');
  const option = words.slice(0, execAt < 0 ? words.length : execAt).find((word) => word.startsWith('-'));
  if (option !== undefined) throw new DeployConfigError(`pmx deploy: unknown option '${option}' (pmx deploy --help lists the options)`, { file, environment: null });
  const [first, ...others] = words;
  let envName: string | undefined;
  let rest: string[];
  if (first !== undefined && environments.includes(first)) [envName, rest] = [first, others];
  // a command without its environment, when the file has one; no word at all deploys nothing (PM2: exit 1)
  else if (environments.length === 1 && first !== undefined && first in COMMANDS) [envName, rest] = [environments[0], words];
  else {
    const known = environments.length > 0 ? `the file's environments: ${environments.join(', ')}` : 'the file has no deploy environment';
    const what = first === undefined ? 'name a deploy environment' : `'${first}' is not a deploy environment`;
    throw new DeployConfigError(`pmx deploy: ${what} (${known})`, { file, environment: first ?? null });
  }
  const [word, ...args] = rest;
  if (word === undefined) return { envName, command: 'deploy' };
  const command = COMMANDS[word];
  const bad = (message: string): never => {
    throw new DeployConfigError(`pmx deploy ${envName} ${word}: ${message}`, { file, environment: envName ?? null });
  };
  switch (command) {
    case undefined:
      return args.length === 0 ? { envName, command: 'deploy', ref: word } : bad(`unknown command (commands: ${Object.keys(COMMANDS).join(', ')}, or a ref to deploy)`);
    case 'revert': {
      const steps = args[0] === undefined ? 1 : Number(args[0]);
      return Number.isInteger(steps) && steps >= 1 && args.length <= 1 ? { envName, command, steps } : bad(`expected a number of releases to go back (1, 2, ...), got '${args.join(' ')}'`);
    }
    case 'mark-bad':
      return args.length <= 1 ? { envName, command, ...(args[0] !== undefined ? { pick: args[0] } : {}) } : bad(`takes at most one release (a name or a sha), got '${args.join(' ')}'`);
    case 'exec':
      return args.length > 0 ? { envName, command, execCommand: args.join(' ') } : bad('name the command to run, e.g. pmx deploy production exec "pmx ls"');
    case 'deploy':
      if (word === 'ref') return args.length === 1 ? { envName, command, ref: args[0]! } : bad('name one ref, e.g. pmx deploy production ref v1.2.0');
      return args.length === 0 ? { envName, command } : bad(`takes no arguments, got '${args.join(' ')}'`);
    default:
      return args.length === 0 ? { envName, command } : bad(`takes no arguments, got '${args.join(' ')}'`);
  }
}

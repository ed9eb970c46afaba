// The apps a command names by a file or by `-` (a configuration on stdin), loaded with the flags of
// `start` and its relatives (env, only, and the CLI options that override the file's).
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import { CliError } from '../client/errors.js';
import type { CliStartOptions } from '../ecosystem/index.js';

/** Flags of `start` and its relatives, as commander gives them. */
export interface StartFlags extends CliStartOptions {
  env?: string;
  /** reload: instances replaced at once. */
  parallel?: string;
  only?: string;
  updateEnv?: boolean;
  force?: boolean;
  /** -x: run in fork mode (PM2's --execute-command). */
  executeCommand?: boolean;
}

/** The apps of an ecosystem file, relative paths resolved from the shell's directory as PM2 resolves them. */
export async function appsOfFile(file: string, flags: StartFlags): Promise<AppSpec[]> {
  const { loadEcosystem } = await import('../ecosystem/index.js');
  const loaded = await loadEcosystem(file, { envName: flags.env, only: onlyNames(flags), baseEnv: process.env, overrides: flagsForScript(flags), cwd: process.cwd() });
  for (const warning of loaded.warnings) process.stderr.write(`[PMX][WARN] ${warning}\n`);
  return loaded.apps;
}

/** The names of a file's apps (stop, delete, reset): its scripts need not exist any more. */
export async function namesOfFile(file: string, flags: StartFlags): Promise<string[]> {
  const { loadEcosystemNames } = await import('../ecosystem/index.js');
  return loadEcosystemNames(file, { envName: flags.env, only: onlyNames(flags) });
}

/** The apps of a configuration given on stdin (`pmx start -`, `pmx delete -`). */
export async function appsFromStdin(flags: StartFlags): Promise<AppSpec[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new CliError("'-' reads an ecosystem configuration (JSON) on stdin, and stdin was empty", { code: 'BAD_ARGUMENT' });
  const { loadEcosystemText } = await import('../ecosystem/index.js');
  const loaded = await loadEcosystemText(text, { envName: flags.env, only: onlyNames(flags), baseEnv: process.env, overrides: flagsForScript(flags), cwd: process.cwd() });
  for (const warning of loaded.warnings) process.stderr.write(`[PMX][WARN] ${warning}\n`);
  return loaded.apps;
}

function onlyNames(flags: StartFlags): string[] | undefined {
  return flags.only ? flags.only.split(/[, ]/).map((name) => name.trim()).filter(Boolean) : undefined;
}

/** -x runs a script in fork mode. */
export function flagsForScript(flags: StartFlags): StartFlags {
  return flags.executeCommand && !flags.execMode ? { ...flags, execMode: 'fork' } : flags;
}

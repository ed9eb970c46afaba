// The values of a deploy's secrets, read on this machine once per run before any host is touched:
// the env_file's bytes, and each `secrets` command's stdout (trailing newlines stripped). A command
// that fails or prints nothing fails the run naming the secret and its exit status, never its
// output: stderr is not shown, as a failing command may print the value there.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { RunCommand } from './context.js';
import { DeployConfigError } from './errors.js';
import { DeployStepError } from './run-error.js';
import { unreadable } from './secrets-config.js';
import type { DeployEnvironment, RunSecrets, SecretCommand, SecretValue } from './types.js';

/**
 * What a run needs, before any host is touched: a deploy's values to send; a revert's and an
 * exec's to mask (a revert's hooks print, an exec's command may read the secrets file); none for
 * a rehearsal (it shows the names) or another command.
 */
export async function secretsForRun(command: RunCommand, rehearsal: boolean, environment: DeployEnvironment, warn: (message: string) => void, signal?: AbortSignal): Promise<RunSecrets | null> {
  if (rehearsal) return null;
  if (command === 'deploy') return resolveSecrets(environment, signal);
  return command === 'revert' || command === 'exec' ? resolveMask(environment, command, warn, signal) : null;
}

/** Reads the env_file and runs the secret commands one after another; null when the environment has neither. */
export async function resolveSecrets(environment: DeployEnvironment, signal?: AbortSignal): Promise<RunSecrets | null> {
  if (environment.envFile === null && environment.secrets.length === 0) return null;
  const envFile = environment.envFile === null ? null : readEnvFile(environment);
  const values: SecretValue[] = [];
  for (const secret of environment.secrets) {
    const read = await runSecret(environment, secret, signal);
    if ('why' in read) {
      const where = whereOf(environment, secret);
      throw new DeployStepError(`${basename(environment.file)}: ${where}: ${read.why}; no host was touched`, { code: 'SECRET_FAILED', hint: `run the command of ${where} yourself to see why (pmx does not show its output: it may hold the value)` });
    }
    values.push({ name: secret.name, value: read.value });
  }
  return { envFile, values };
}

/** For a revert or an exec, which send nothing: the values only to mask what the hosts print; a command that fails is a warning (name and status) and its value goes unmasked by pmx. */
export async function resolveMask(environment: DeployEnvironment, command: 'revert' | 'exec', warn: (message: string) => void, signal?: AbortSignal): Promise<RunSecrets | null> {
  if (environment.secrets.length === 0) return null;
  const values: SecretValue[] = [];
  for (const secret of environment.secrets) {
    const read = await runSecret(environment, secret, signal);
    if ('why' in read) warn(`${basename(environment.file)}: ${whereOf(environment, secret)}: ${read.why}: pmx masks only the value of ${secret.name} the hosts hold in this run's output${command === 'revert' ? ' (hooks on the hosts mask it too)' : ''}`);
    else values.push({ name: secret.name, value: read.value });
  }
  return { envFile: null, values };
}

function whereOf(environment: DeployEnvironment, secret: SecretCommand): string {
  return `deploy.${environment.name}.secrets.${secret.name}`;
}

function readEnvFile(environment: DeployEnvironment): Buffer {
  const path = environment.envFile!;
  const fail = (why: string): never => {
    throw new DeployConfigError(`${basename(environment.file)}: deploy.${environment.name}.env_file: ${path} ${why}`, { file: environment.file, environment: environment.name, key: 'env_file' });
  };
  const why = unreadable(path);
  if (why !== null) return fail(why);
  try {
    return readFileSync(path);
  } catch (error) {
    return fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

// in the ecosystem file's directory, with this shell's environment, in its own process group (an
// interrupt ends it and what it started); the value, or why there is none (never its output)
async function runSecret(environment: DeployEnvironment, secret: SecretCommand, signal?: AbortSignal): Promise<{ value: string } | { why: string }> {
  const chunks: Buffer[] = [];
  const child = spawn('/bin/sh', ['-c', secret.command], { cwd: dirname(environment.file), stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  const stop = (): void => {
    try {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // it ended on its own meanwhile
    }
  };
  signal?.addEventListener('abort', stop, { once: true });
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
    child.on('error', resolve);
    child.on('close', (code, killed) => resolve({ code, signal: killed }));
  });
  signal?.removeEventListener('abort', stop);
  if (signal?.aborted) throw new DeployStepError(`the command of ${whereOf(environment, secret)} was interrupted; no host was touched`, { code: 'INTERRUPTED' });
  if (ended instanceof Error) return { why: `its command could not be started (${ended.message})` };
  if (ended.code !== 0) return { why: `its command failed (${ended.signal ? `signal ${ended.signal}` : `exit ${ended.code}`})` };
  const value = Buffer.concat(chunks).toString('utf8').replace(/(\r?\n)+$/, '');
  return value === '' ? { why: 'its command printed nothing' } : { value };
}

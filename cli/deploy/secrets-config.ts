// The secret keys of a deploy environment: `env_file` (a local file each deploy sends to
// shared/.env) and `secrets` (local commands whose output each deploy sends to the hosts). Only
// names and paths are read here; values are read when a deploy runs (cli/deploy/secrets.ts).
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SecretCommand } from './types.js';

/** The keys this file reads. */
export const SECRET_KEYS = ['env_file', 'secrets'];

/** Variables pmx's own commands on a host rely on (PATH for mkdir and tee, HOME for its agent) or set for hooks: a secret of that name, exported before them, would break them or replace pmx's value. */
export const RESERVED_NAMES = ['PATH', 'HOME', 'IFS', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'PMX_HOME', 'SHARED', 'RELEASE', 'PREVIOUS_RELEASE'];

/** What the secret keys say. */
export interface SecretSettings {
  envFile: string | null;
  secrets: SecretCommand[];
}

type Fail = (key: string, expected: string, value?: unknown) => never;

/** Reads `env_file` (relative to the ecosystem file, which must be readable now) and `secrets` (valid variable names, non-empty commands). */
export function readSecretSettings(section: Record<string, unknown>, file: string, fail: Fail): SecretSettings {
  return { envFile: readEnvFile(section.env_file, file, fail), secrets: readSecrets(section.secrets, fail) };
}

/** Why `path` cannot be read as a file, or null when it can. */
export function unreadable(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.R_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? (error as Error).message})`;
  }
}

function readEnvFile(value: unknown, file: string, fail: Fail): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') return fail('env_file', "a path to a local file, relative to the ecosystem file, such as '.env.production'");
  const path = resolve(dirname(file), value);
  const why = unreadable(path);
  return why === null ? path : fail('env_file', `a readable local file (${path} ${why})`);
}

function readSecrets(value: unknown, fail: Fail): SecretCommand[] {
  if (value === undefined || value === null) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('secrets', "an object of variable names to local commands, such as { DB_PASSWORD: 'pass show prod/db' }");
  return Object.entries(value).map(([name, command]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`secrets.${name}`, 'a variable name of letters, digits and _ (not starting with a digit)', name);
    if (RESERVED_NAMES.includes(name)) fail(`secrets.${name}`, `a name other than ${RESERVED_NAMES.join(', ')} (pmx's own commands on the hosts use these, and hooks run with them exported)`, name);
    if (typeof command !== 'string' || command.trim() === '') fail(`secrets.${name}`, 'a local command that prints the value', command);
    return { name, command: command as string };
  });
}

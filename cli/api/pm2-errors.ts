// What the API fails with, in PM2's words, which programs match: an id or a name it does not have,
// a script or an ecosystem file that is not there; and what start(), and restart() or reload() of
// a file or app objects, answer when some apps could not start because their script is not there:
// PM2 starts the others and calls back with the list of errors and the processes that did start.
import { resolve } from 'node:path';
import { CliError } from '../client/errors.js';
import { EcosystemError } from '../ecosystem/errors.js';
import type { Pm2Process } from '../output/pm2-shape.js';
import type { OperatedProcess } from './operated.js';

/** PM2's start callback: a list of errors when apps of a file or object failed, with what did start. */
export type StartCallback<T = Pm2Process[]> = (error: Error | Error[] | null, result?: T) => void;

/** Apps left out of a start (their script is not there); `errors` in PM2's words, `processes` those that started. */
export class StartErrors extends AggregateError {
  readonly code = 'SCRIPT_NOT_FOUND';

  constructor(
    errors: readonly EcosystemError[],
    readonly processes: (Pm2Process | OperatedProcess)[],
  ) {
    super(errors, errors.map((error) => error.message).join('\n'));
    this.name = 'StartErrors';
  }
}

/** A script that is not there in PM2's words (`Script not found: /abs/path`), which programs match; the code and context kept. */
export function inPm2Words(error: EcosystemError, cwd: string): EcosystemError {
  if (error.code !== 'SCRIPT_NOT_FOUND' || typeof error.value !== 'string') return error;
  return new EcosystemError(`Script not found: ${resolve(cwd, error.value)}`, { code: 'SCRIPT_NOT_FOUND', file: error.file, app: error.app, key: 'script', value: error.value });
}

/** The callback a promise's outcome is handed to: a StartErrors as PM2 hands it, its errors and the processes started. */
export function startCallback<T>(cb: StartCallback<T> | undefined): ((error: Error | null, result?: T) => void) | undefined {
  if (!cb) return undefined;
  return (error, result) => (error instanceof StartErrors ? cb([...error.errors] as Error[], error.processes as T) : cb(error, result));
}

/** PM2's daemon's words for an id it does not have, by action (a delete stops first). */
export const UNKNOWN_ID: Record<'stop' | 'restart' | 'reload' | 'delete', (id: number) => string> = {
  stop: (id) => `${id} : id unknown`,
  delete: (id) => `${id} : id unknown`,
  restart: () => 'God db process id unknown',
  reload: () => 'PM2 ID unknown',
};

/**
 * What start fails with, as PM2's: a script that is not there in its words (`Script not found:
 * /abs/path`), which programs match, the code kept; an ecosystem file that is not there as the
 * file system's ENOENT error, which PM2 hands on (`err.code === 'ENOENT'`).
 */
export async function pm2LoadErrors<T>(loading: Promise<T>, cwd: string): Promise<T> {
  try {
    return await loading;
  } catch (error) {
    if (!(error instanceof EcosystemError)) throw error;
    if (error.code === 'ECOSYSTEM_UNREADABLE' && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw error.cause;
    throw inPm2Words(error, cwd);
  }
}

/** The agent's NOT_FOUND said in PM2's words (`unknown`), which scripts match, its code kept; other errors as they are. */
export async function pm2Errors<T>(call: Promise<T>, unknown: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (namesNoProcess(error)) throw new CliError(unknown, { code: 'NOT_FOUND' });
    throw error;
  }
}

/** The agent's answer to a target that names no process (a NOT_FOUND that is "no process ...": one that exists but is not running is told in pmx's words). */
export function namesNoProcess(error: unknown): boolean {
  return error instanceof CliError && error.code === 'NOT_FOUND' && error.message.startsWith('no process');
}

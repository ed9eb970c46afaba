// What start(), and restart() or reload() of a file or app objects, answer when some apps could not
// start because their script is not there: PM2 starts the others and calls back with the list of
// errors and the processes that did start.
import { resolve } from 'node:path';
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

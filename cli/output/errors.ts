// How an error reaches the user: the line naming what failed (and the host it failed on), an
// optional hint, never a stack trace for pmx's own errors. The one place that tells pmx's errors
// (PmxError: written for users) from unexpected ones.
import { CONTEXT_FIELDS, PmxError, type ErrorContext } from '../../agent/protocol/errors.js';
import { TransportError } from '../transport/types.js';
import { printable } from './style.js';

/** The error as the line that names its host (`web1 (deploy@10.0.0.1:22): connection refused`); `host` is named when the error names none. */
export function errorLine(error: unknown, host: string | null = null): string {
  const message = error instanceof Error ? error.message : String(error);
  const named = error instanceof PmxError && error.host !== undefined ? hostOf(error) : host;
  return named ? `${named}: ${message}` : message;
}

/** Prints `error` to `stream` in PM2's `[PMX][ERROR]` style: pmx's own errors with their hint, others with their stack when PMX_DEBUG is set. */
export function reportError(error: unknown, stream: NodeJS.WritableStream): void {
  stream.write(`[PMX][ERROR] ${terminalText(errorLine(error))}\n`);
  if (error instanceof PmxError) {
    if (error.hint) stream.write(`[PMX] ${terminalText(error.hint)}\n`);
    if (process.env.PMX_DEBUG) stream.write(`[PMX] ${error.name} ${describeContext(error)}\n`);
    return;
  }
  if (process.env.PMX_DEBUG && error instanceof Error && error.stack) stream.write(`${error.stack}\n`);
}

/** An error as `--json` outputs carry it: its code (ERROR when it has none), its line, its hint and its context fields. */
export interface ErrorJson extends ErrorContext {
  code: string;
  message: string;
  hint: string | null;
}

/** The `error` of a `--json` output. */
export function errorJson(error: unknown): ErrorJson {
  const code = (error as { code?: unknown } | null)?.code;
  const hint = error instanceof PmxError ? error.hint : null;
  return { code: typeof code === 'string' ? code : 'ERROR', message: errorLine(error), hint, ...(error instanceof PmxError ? error.context : {}) };
}

// a transport error also says how the host was reached
function hostOf(error: PmxError): string {
  return error instanceof TransportError ? error.reachedAs : error.host!;
}

// `code=LOCKED host=web1 phase=lock`: what PMX_DEBUG adds to a pmx error
function describeContext(error: PmxError): string {
  const fields = CONTEXT_FIELDS.filter((field) => error[field] !== undefined).map((field) => `${field}=${JSON.stringify(error[field])}`);
  return [`code=${error.code}`, ...fields].join(' ');
}

// each line made safe for a terminal; a message of several problems keeps one line per problem
function terminalText(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

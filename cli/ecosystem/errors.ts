// The error of ecosystem files and start flags: it names the file, the app and the key at fault.
import { PmxError, type PmxErrorOptions } from '../../agent/protocol/errors.js';

/** Stable codes; the CLI maps them to wording and exit codes. */
export type EcosystemErrorCode =
  | 'ECOSYSTEM_UNREADABLE'
  /** An ecosystem file another user could change (theirs, writable by others, or on a way they control): not read. */
  | 'ECOSYSTEM_UNSAFE'
  | 'ECOSYSTEM_INVALID'
  | 'SCRIPT_NOT_FOUND'
  | 'ONLY_UNKNOWN'
  | 'INIT_EXISTS'
  | 'TEMPLATES_NOT_FOUND';

/** How an EcosystemError is constructed: the value at fault, and every problem found when there are several. */
export interface EcosystemErrorOptions extends PmxErrorOptions<EcosystemErrorCode> {
  value?: unknown;
  problems?: readonly EcosystemError[];
}

/** A bad ecosystem file, app, key or flag; `problems` lists every one found when there are several. */
export class EcosystemError extends PmxError<EcosystemErrorCode> {
  readonly value?: unknown;
  readonly problems: readonly EcosystemError[];

  constructor(message: string, options: EcosystemErrorOptions) {
    super(message, options);
    this.name = 'EcosystemError';
    this.value = options.value;
    this.problems = options.problems ?? [];
  }
}

/** One error for all the problems found: the first one's code and context, every message on its own line. */
export function combineErrors(errors: readonly EcosystemError[]): EcosystemError {
  const [first] = errors;
  if (!first) throw new Error('combineErrors: no errors');
  if (errors.length === 1) return first;
  const message = errors.map((error) => error.message).join('\n');
  return new EcosystemError(message, { code: first.code, file: first.file, app: first.app, key: first.key, value: first.value, problems: errors });
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** What JSON.stringify leaves as it is but a terminal would act on. */
const ESCAPED_APART = /[\u007f-\u009f\u2028\u2029]/g;

/** `got 42 (number)` / `got 'x' (string)`: how a received value is shown in messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `${JSON.stringify(value)} (array)`;
  if (typeof value === 'function') return 'a function';
  // a string with a control character is shown escaped: a newline in a value must not forge a line of the message
  const text = (string: string): string => (CONTROL.test(string) ? JSON.stringify(string).replace(ESCAPED_APART, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`) : `'${string}'`);
  const shown = typeof value === 'string' ? text(value) : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return `${withoutPasswords(shown)} (${typeof value})`;
}

/** A URL's password (`scheme://user:password@host`, as in a health probe's URL) shown as `***`. */
function withoutPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"]*:)[^\s/@'"]*@/gi, '$1***@');
}

// The one base of pmx's errors, in a leaf both the agent and the CLI import: a stable code, an
// optional fix, the original error as `cause`, and what the error is about as named fields. The
// message says what failed without naming the host; the reporter (cli/output/errors.ts) composes
// the line that names it, so no one has to cut a host out of a message again.

/** What an error is about; each field is left out when it does not apply. */
export interface ErrorContext {
  /** The host's label in the deploy environment. */
  host?: string;
  app?: string;
  file?: string;
  /** The setting at fault, as a path (`deploy.prod.host[1].port`, `--rolling`). */
  key?: string;
  /** The deploy phase or step that failed. */
  phase?: string;
}

/** What every pmx error is constructed with, after its message. */
export interface PmxErrorOptions<Code extends string = string> extends ErrorContext {
  code: Code;
  /** What to do about it, printed on the line after the message. */
  hint?: string | null;
  cause?: unknown;
}

/** The context field names, in the order the reporter shows them. */
export const CONTEXT_FIELDS = ['host', 'app', 'file', 'key', 'phase'] as const satisfies readonly (keyof ErrorContext)[];

/** An error whose message is written for users: shown without a stack trace. */
export class PmxError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly hint: string | null;
  // declared, not initialised: a field that does not apply is absent, not `undefined`
  declare readonly host?: string;
  declare readonly app?: string;
  declare readonly file?: string;
  declare readonly key?: string;
  declare readonly phase?: string;

  constructor(message: string, options: PmxErrorOptions<Code>) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PmxError';
    this.code = options.code;
    this.hint = options.hint ?? null;
    Object.assign(this, contextOf(options));
  }

  /** The context fields that are set. */
  get context(): ErrorContext {
    return contextOf(this);
  }
}

/** The context fields of a value read off the wire: strings only, every other key dropped. */
export function contextFrom(value: unknown): ErrorContext {
  const context: ErrorContext = {};
  if (typeof value !== 'object' || value === null) return context;
  for (const field of CONTEXT_FIELDS) {
    const text = (value as Record<string, unknown>)[field];
    if (typeof text === 'string') context[field] = text;
  }
  return context;
}

function contextOf(from: ErrorContext): ErrorContext {
  const context: ErrorContext = {};
  for (const field of CONTEXT_FIELDS) if (from[field] !== undefined) context[field] = from[field];
  return context;
}

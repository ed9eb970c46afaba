// The error of ecosystem files and start flags: it names the file, the app and the key at fault.

export type EcosystemErrorCode = 'ECOSYSTEM_UNREADABLE' | 'ECOSYSTEM_INVALID' | 'SCRIPT_NOT_FOUND' | 'ONLY_UNKNOWN' | 'INIT_EXISTS';

export interface EcosystemErrorContext {
  file?: string;
  app?: string;
  key?: string;
  value?: unknown;
  cause?: unknown;
}

export class EcosystemError extends Error {
  readonly file?: string;
  readonly app?: string;
  readonly key?: string;
  readonly value?: unknown;

  constructor(
    readonly code: EcosystemErrorCode,
    message: string,
    context: EcosystemErrorContext = {},
  ) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = 'EcosystemError';
    this.file = context.file;
    this.app = context.app;
    this.key = context.key;
    this.value = context.value;
  }
}

/** `got 42 (number)` / `got "x" (string)`: how a received value is shown in messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `${JSON.stringify(value)} (array)`;
  const shown = typeof value === 'string' ? `'${value}'` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return `${shown} (${typeof value})`;
}

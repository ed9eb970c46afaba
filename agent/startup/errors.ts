// The error class of `pmx startup`: a stable code, a message that names the value and a fix.

export type StartupErrorCode =
  | 'UNKNOWN_INIT_SYSTEM'
  | 'NO_INIT_SYSTEM'
  | 'BAD_SERVICE_NAME'
  | 'UNKNOWN_USER'
  | 'UNSAFE_VALUE'
  | 'TEMPLATE_ERROR'
  | 'WRITE_FAILED'
  | 'ENABLE_FAILED';

/** A startup hook that cannot be rendered or installed as asked. */
export class StartupError extends Error {
  constructor(
    readonly code: StartupErrorCode,
    message: string,
    readonly hint: string | null = null,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

// The error class of `pmx startup`: a stable code, a message that names the value and a fix.
import { PmxError, type PmxErrorOptions } from '../../agent/protocol/errors.js';

export type StartupErrorCode =
  | 'UNKNOWN_INIT_SYSTEM'
  | 'NO_INIT_SYSTEM'
  | 'BAD_SERVICE_NAME'
  | 'UNKNOWN_USER'
  | 'UNSAFE_VALUE'
  | 'TEMPLATE_ERROR'
  | 'WRITE_FAILED'
  | 'ENABLE_FAILED';

/** A startup hook that cannot be rendered or installed as asked; `data` is passed on to the CLI's error. */
export class StartupError extends PmxError<StartupErrorCode> {
  readonly data: Record<string, unknown>;

  constructor(message: string, options: PmxErrorOptions<StartupErrorCode> & { data?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'StartupError';
    this.data = options.data ?? {};
  }
}

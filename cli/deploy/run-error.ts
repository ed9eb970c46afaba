// The error of a deploy step on a host: a stable code, the host, the phase and the fix, with the
// remote command's output kept for the summary.
import { PmxError, type PmxErrorOptions } from '../../agent/protocol/errors.js';

export type DeployStepCode =
  | 'COMMAND_FAILED'
  | 'HOOK_FAILED'
  | 'NOT_SET_UP'
  | 'MISSING_TOOL'
  | 'LOCKED'
  | 'LOCAL_CHANGES'
  | 'LOCAL_GIT'
  | 'NO_REVERT_TARGET'
  | 'HEALTH_CHECK_FAILED'
  | 'BUNDLE_MISSING'
  | 'SECRET_FAILED'
  | 'CANCELLED'
  | 'INTERRUPTED';

/** A step that failed; `host` is absent for a local step. */
export class DeployStepError extends PmxError<DeployStepCode> {
  /** The last lines of the command's output, to show with the message. */
  readonly output: string;

  constructor(message: string, options: PmxErrorOptions<DeployStepCode> & { output?: string }) {
    super(message, options);
    this.name = 'DeployStepError';
    this.output = options.output ?? '';
  }
}

/** The last `lines` non-empty lines of some output. */
export function lastLines(text: string, lines = 5): string {
  return text.split('\n').map((line) => line.trimEnd()).filter(Boolean).slice(-lines).join('\n');
}

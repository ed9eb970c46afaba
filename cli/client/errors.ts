// The CLI's error class: a stable code, the context it concerns, and the exit code to use.
import { contextFrom, PmxError, type PmxErrorOptions } from '../../agent/protocol/errors.js';
import type { Fault } from '../../agent/protocol/types.js';

export type CliErrorCode =
  | Fault['code']
  | 'AGENT_UNREACHABLE'
  | 'AGENT_START_FAILED'
  | 'NOTHING_TO_SAVE'
  | 'BAD_ARGUMENT';

export class CliError extends PmxError<CliErrorCode> {
  readonly data: Record<string, unknown>;

  constructor(message: string, options: PmxErrorOptions<CliErrorCode> & { data?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'CliError';
    this.data = options.data ?? {};
  }

  /** A fault received from the agent, as a CLI error. */
  static fromFault(fault: Fault): CliError {
    return new CliError(fault.message, { ...contextFrom(fault.context), code: fault.code, hint: hintFor(fault), data: fault.data ?? {} });
  }
}

function hintFor(fault: Fault): string | null {
  switch (fault.code) {
    case 'NOT_FOUND':
      return "run 'pmx ls' to see the processes";
    case 'DUMP_REFUSED':
      return "run 'pmx save --force' to save an empty list anyway";
    case 'DUMP_INVALID':
      return 'fix or remove that entry in the file (it is JSON), or start the apps again and run pmx save';
    case 'DUMP_UNREADABLE':
      return "start the apps again and run 'pmx save'";
    case 'DUMP_WRITE_FAILED':
      return "free space there (or make it writable) and run 'pmx save' again";
    case 'DASHBOARD_UNAVAILABLE':
      return 'choose another address or port with --host and --port';
    case 'LISTEN_FAILED':
      return 'choose another port with --port (or another --host)';
    case 'SUPERSEDED':
      return "run 'pmx ls' to see what runs now";
    case 'AGENT_STOPPING':
      return 'run the command again once it has stopped (a new agent then starts)';
    case 'PROTOCOL_MISMATCH':
      return "run 'pmx update' to restart the agent with this version (your processes are saved and restored)";
    default:
      return null;
  }
}

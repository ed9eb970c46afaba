// What the deploy engine needs from a connection to one host. Implemented with ssh2 in
// cli/transport/ssh-connection.ts; the engine never sees ssh2 itself.
import type { Readable } from 'node:stream';
import { PmxError, type PmxErrorOptions } from '../../agent/protocol/errors.js';
import type { HostTarget } from './host-target.js';

export interface ExecResult {
  code: number;
  /** Set when the remote command was ended by a signal. */
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Called with each chunk of output as it arrives (for streaming hook output with a host prefix). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Fed to the command's stdin, then stdin is closed. */
  stdin?: Readable | string | Buffer;
  /** Environment variables exported before the command (quoted by the transport). */
  env?: Record<string, string>;
  /** Ends the command (and rejects with TransportError code 'TIMEOUT') after this long. */
  timeoutMs?: number;
  /** Aborting it ends the command and every process it started on the host (its process group), then rejects with 'INTERRUPTED'. */
  signal?: AbortSignal;
  /** What the command is for (its phase), for the PMX_SSH_TRACE trace; never the command itself. */
  label?: string;
}

/** One SSH connection to one host, reused for every step of a run. */
export interface RemoteConnection {
  readonly target: HostTarget;
  /** Runs a shell command (a string for `bash -c`, already quoted by the caller's builders). */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

export type TransportErrorCode =
  | 'CONNECT_TIMEOUT'
  | 'CONNECT_REFUSED'
  | 'UNREACHABLE'
  | 'AUTH_FAILED'
  | 'HOST_KEY_UNKNOWN'
  | 'HOST_KEY_MISMATCH'
  | 'KEY_UNREADABLE'
  | 'CONNECTION_LOST'
  | 'TIMEOUT'
  | 'INTERRUPTED';

/** A transport failure on one host: `host` is its label, `address` how it was reached (`deploy@10.0.0.1:22 via bastion`). */
export class TransportError extends PmxError<TransportErrorCode> {
  declare readonly host: string;
  readonly address: string | null;
  readonly detail: Record<string, unknown>;

  constructor(message: string, options: PmxErrorOptions<TransportErrorCode> & { host: string; address?: string; detail?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'TransportError';
    this.address = options.address ?? null;
    this.detail = options.detail ?? {};
  }

  /** The host as a message names it: its label, then how it was reached when known (`web1 (deploy@10.0.0.1:22)`). */
  get reachedAs(): string {
    return this.address ? `${this.host} (${this.address})` : this.host;
  }
}

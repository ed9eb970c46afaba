// The deploy lock of a path: `flock` on `.pmx/lock`, held by a command that lives as long as our
// SSH session. It is released when we end it, when the connection closes, and when our heartbeat
// stops for a lease (a host cut off by a partition never notices the session is gone), so a deploy
// cut off mid-way never leaves a stale lock. `.pmx/lock.json` says who holds it and since when.
import { PassThrough } from 'node:stream';
import { quote } from '../transport/quote.js';
import { TransportError, type ExecResult, type RemoteConnection } from '../transport/types.js';
import { PATH_EXPORT } from './hook-command.js';
import type { RemotePaths } from './remote-paths.js';
import { DeployStepError } from './run-error.js';

/** Who holds a lock. */
export interface LockOwner {
  user: string;
  pid: number;
  command: string;
  since: string;
}

/** A lock we hold; release() ends the command holding it. */
export interface HeldLock {
  release(): Promise<void>;
  /** The output of the request's `read`, run under the lock by the command that took it (null: no read asked); aborting `signal` gives the wait up (the lock stays held). */
  readonly read: ((signal?: AbortSignal | null) => Promise<string>) | null;
}

/** What the holding command prints once it has the lock. */
export const LOCKED = 'pmx-lock=held';
/** What it prints before giving up (then the owner's JSON line). */
export const REFUSED = 'pmx-lock=busy';
/** What it prints after the output of a read run under the lock. */
export const READ_DONE = 'pmx-lock=read';

/**
 * Takes the lock (waiting up to `waitMs`), records the owner, runs `read` (a read-only command, its
 * output between LOCKED and READ_DONE: what the next phase needs, without a round trip of its own;
 * the lock is held whether it succeeds or not), then holds it until stdin closes or, with a lease, no heartbeat line came for `leaseMs` (bash's
 * `read -t`; a host without bash holds it until stdin closes).
 */
export function lockCommand(paths: RemotePaths, owner: LockOwner, waitMs: number, leaseMs = 0, read: string | null = null): string {
  const wait = waitMs > 0 ? `-w ${Math.ceil(waitMs / 1000)}` : '-n';
  const forever = 'exec cat >/dev/null';
  const lease = `while IFS= read -r -t ${Math.max(1, Math.ceil(leaseMs / 1000))} _; do :; done`;
  const hold = leaseMs > 0 ? `if command -v bash >/dev/null 2>&1; then exec bash -c ${quote(lease)}; else ${forever}; fi` : forever;
  return (
    `mkdir -p ${quote(paths.meta)} && exec 9>>${quote(paths.lock)} && ` +
    `if flock ${wait} 9; then ( umask 077 && printf '%s\\n' ${quote(JSON.stringify(owner))} > ${quote(paths.lockOwner)} && chmod 600 ${quote(paths.lockOwner)} ) && echo ${LOCKED} && ${read === null ? '' : `{ { ${read}; }; echo ${READ_DONE}; } && `}${hold}; ` +
    `else echo ${REFUSED}; cat ${quote(paths.lockOwner)} 2>/dev/null; exit 75; fi`
  );
}

/** The holder named in a refused lock's output, as words for a message. */
export function describeHolder(stdout: string): string {
  const line = stdout.split('\n').find((text) => text.startsWith('{'));
  try {
    const owner = JSON.parse(line ?? '') as LockOwner;
    return `${owner.user} (pid ${owner.pid}: ${owner.command}) since ${owner.since}`;
  } catch {
    return 'another deploy (no owner recorded)';
  }
}

/** What taking a host's lock needs to know. */
export interface LockRequest {
  host: string;
  paths: RemotePaths;
  owner: LockOwner;
  /** How long to wait for a lock another deploy holds (lock_timeout; 0: refuse at once). */
  timeoutMs: number;
  /** How often we beat (the SSH keepalive interval; 0: no heartbeat); the lease is two connection timeouts. */
  heartbeatMs: number;
  leaseMs: number;
  /** An interrupt: ends the wait for the lock, never a lock already held. */
  stop?: AbortSignal | null;
  /** A read-only command to run once the lock is held, in the same command (HeldLock.read gives its output). */
  read?: string;
}

/** The command that takes and holds the lock (what --plan prints). */
export function holdingCommand(request: LockRequest): string {
  return lockCommand(request.paths, request.owner, request.timeoutMs, request.leaseMs, request.read ?? null);
}

/** Takes the lock of the host's deploy path over `connection`, or throws LOCKED naming who holds it and since when. */
export async function acquireLock(connection: RemoteConnection, request: LockRequest): Promise<HeldLock> {
  const { host, paths, stop, heartbeatMs: beat } = request;
  const holding = holdingCommand(request);
  const input = new PassThrough();
  // an interrupt stops the wait for the lock, never the command that holds it
  const waiting = new AbortController();
  const interrupt = (): void => waiting.abort();
  stop?.addEventListener('abort', interrupt, { once: true });
  let seen = '';
  let onLocked: () => void = () => undefined;
  const locked = new Promise<'locked'>((resolve) => (onLocked = () => resolve('locked')));
  let onRead: (text: string) => void = () => undefined;
  const readDone = new Promise<string>((resolve) => (onRead = resolve));
  const running = connection.exec(`${PATH_EXPORT} ${holding}`, {
    stdin: input,
    signal: waiting.signal,
    label: 'lock',
    onStdout: (chunk) => {
      seen += chunk;
      if (seen.includes(`${LOCKED}\n`)) onLocked();
      const read = readBetween(seen);
      if (read !== null) onRead(read);
    },
  });
  // the command ends when we release the lock or the connection dies: never an unhandled rejection
  const ended: Promise<ExecResult | Error> = running.catch((error: Error) => error);
  if (stop?.aborted) interrupt();
  const first = await Promise.race([locked, ended]);
  stop?.removeEventListener('abort', interrupt);
  if (first === 'locked') {
    const heartbeat = beat > 0 ? setInterval(() => input.write('\n'), beat).unref() : null;
    return {
      async release() {
        if (heartbeat) clearInterval(heartbeat);
        input.end();
        await ended;
      },
      read: request.read === undefined ? null : (signal) => readUnderLock(host, readDone, ended, signal ?? null),
    };
  }
  input.end();
  if (first instanceof Error) throw first;
  if (first.stdout.includes(REFUSED)) {
    const waited = request.timeoutMs > 0 ? ` (waited ${Math.ceil(request.timeoutMs / 1000)} s, lock_timeout)` : '';
    throw new DeployStepError(`${paths.base} is locked by ${describeHolder(first.stdout)}${waited}`, { code: 'LOCKED', host, hint: `wait for that deploy to finish, or set lock_timeout to wait for it` });
  }
  const why = first.stderr.trim().split('\n').pop() ?? '';
  throw new DeployStepError(`cannot take the deploy lock ${paths.lock} (exit ${first.code})${why ? `: ${why}` : ''}`, { code: 'COMMAND_FAILED', host });
}

// the output between the lock's LOCKED and READ_DONE lines, once both came (null before)
function readBetween(seen: string): string | null {
  const start = seen.indexOf(`${LOCKED}\n`);
  const end = seen.indexOf(`\n${READ_DONE}\n`, start);
  if (start < 0 || end < 0) return null;
  return seen.slice(start + LOCKED.length + 1, end + 1);
}

// the read's output; the holding command ending first (the connection lost) or an interrupt fails it, and the lock is left to release()
async function readUnderLock(host: string, done: Promise<string>, ended: Promise<ExecResult | Error>, signal: AbortSignal | null): Promise<string> {
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new TransportError('interrupted while reading under the lock (the lock stays held until the run releases it)', { code: 'INTERRUPTED', host }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const gone = ended.then((end) => {
    if (end instanceof Error) throw end;
    throw new DeployStepError(`the command holding the deploy lock ended (exit ${end.code}) before its read was done`, { code: 'COMMAND_FAILED', host });
  });
  gone.catch(() => undefined);
  try {
    return await Promise.race([done, gone, aborted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

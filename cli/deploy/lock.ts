// The deploy lock of a path: `flock` on `.pmx/lock`, held by a command that lives as long as our
// SSH session. It is released when we end it, when the connection closes, and when our heartbeat
// stops for a lease (a host cut off by a partition never notices the session is gone), so a deploy
// cut off mid-way never leaves a stale lock. `.pmx/lock.json` says who holds it and since when.
// What a run starts on a host can outlive its session (a hook or a git fetch goes on after the
// CLI was killed or cut off), so the lock alone does not keep two runs apart: each command of a
// run that changes the host holds `.pmx/work` shared while it runs and acts only while
// `.pmx/lock.json` names its run (underRunLock), and taking the lock waits for `.pmx/work` to be
// free, so a new run never starts beside what an earlier one left running.
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { quote } from '../transport/quote.js';
import { TransportError, type ExecResult, type RemoteConnection } from '../transport/types.js';
import { PATH_EXPORT } from './hook-command.js';
import type { RemotePaths } from './remote-paths.js';
import { DeployStepError } from './run-error.js';

/** Who holds a lock. */
export interface LockOwner {
  /** The run's id (RunInfo.id): what underRunLock looks for. */
  run: string;
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
  /**
   * Where `current` pointed once the lock was held (null: no link; undefined: not read, in a
   * rehearsal): another deploy may have switched it while this one waited for the lock, after the
   * check read it.
   */
  readonly current?: string | null;
}

/** What the holding command prints once it has the lock. */
export const LOCKED = 'pmx-lock=held';
/** What it prints before giving up (then the owner's JSON line). */
export const REFUSED = 'pmx-lock=busy';
/** What it prints when a command of an earlier run still runs on the path (then that run's owner line). */
export const WORK_BUSY = 'pmx-lock=working';
/** What it prints after the output of a read run under the lock. */
export const READ_DONE = 'pmx-lock=read';
/** The line before LOCKED: where `current` points, read once the lock is held. */
export const HELD_CURRENT = 'pmx-lock-current=';
/** What that line names when `current` exists and is not a symbolic link. */
export const NOT_A_LINK = '?not-a-link';

/**
 * Takes the lock (waiting up to `waitMs`), records the owner, waits as long again for `.pmx/work`
 * (no command of an earlier run still running: else the earlier owner is put back, and the command
 * prints WORK_BUSY and that owner), runs `read` (a read-only command, its output between LOCKED and
 * READ_DONE: what the next phase needs, without a round trip of its own; the lock is held whether
 * it succeeds or not), then holds it until stdin closes or, with a lease, no heartbeat line came
 * for `leaseMs` (bash's `read -t`; a host without bash holds it until stdin closes).
 */
export function lockCommand(paths: RemotePaths, owner: LockOwner, waitMs: number, leaseMs = 0, read: string | null = null): string {
  const wait = waitMs > 0 ? `-w ${Math.ceil(waitMs / 1000)}` : '-n';
  const forever = 'exec cat >/dev/null';
  const lease = `while IFS= read -r -t ${Math.max(1, Math.ceil(leaseMs / 1000))} _; do :; done`;
  const hold = leaseMs > 0 ? `if command -v bash >/dev/null 2>&1; then exec bash -c ${quote(lease)}; else ${forever}; fi` : forever;
  const record = (text: string): string => `( umask 077 && printf '%s\\n' ${text} > ${quote(paths.lockOwner)} && chmod 600 ${quote(paths.lockOwner)} )`;
  // the owner is recorded before the wait for .pmx/work: an earlier run's command that starts after it finds the record not its own
  return (
    `mkdir -p ${quote(paths.meta)} && exec 9>>${quote(paths.lock)} && ` +
    `if flock ${wait} 9; then __pmx_was=$(cat ${quote(paths.lockOwner)} 2>/dev/null); ${record(quote(JSON.stringify(owner)))} && exec 8>>${quote(paths.work)} && ` +
    `if flock ${wait} 8; then exec 8>&-; printf '%s%s\\n' ${HELD_CURRENT} "$(readlink ${quote(paths.current)} 2>/dev/null || { test -e ${quote(paths.current)} && echo ${quote(NOT_A_LINK)}; })"; echo ${LOCKED} && ${read === null ? '' : `{ { ${read}; }; echo ${READ_DONE}; } && `}${hold}; ` +
    `else ${record('"$__pmx_was"')}; echo ${WORK_BUSY}; printf '%s\\n' "$__pmx_was"; exit 74; fi; ` +
    `else echo ${REFUSED}; cat ${quote(paths.lockOwner)} 2>/dev/null; exit 75; fi`
  );
}

/** The exit status of a command refused because the lock's record no longer names its run. */
export const NOT_THIS_RUN = 76;
/** What such a command says (on stderr). */
export const LOST_LOCK = 'this run lost it and does nothing more there';

/** The exit status of a command that waited in vain for a command of its own run started before the connection was lost. */
export const STILL_RUNNING = 77;
/** How long a command after a reconnect waits for those. */
export const RECONNECT_WAIT_MS = 60_000;

/**
 * `command` as one of run `runId`'s commands that change the host: it holds `.pmx/work` shared for
 * as long as it runs (what it starts does not inherit it) and runs only while the lock's record
 * names the run; otherwise it does nothing and exits NOT_THIS_RUN (another deploy took the lock
 * after this run lost its connection). `afterReconnect`: the run's connection was lost, and a
 * command it started before (a hook) may still run there: this one waits (up to
 * RECONNECT_WAIT_MS) for it to end, holding `.pmx/work` alone, rather than run beside it (a
 * rollback would remove the release that hook runs in, or the hook reload what was rolled back).
 */
export function underRunLock(paths: RemotePaths, runId: string, command: string, afterReconnect = false): string {
  const ours = `*${quote(`"run":"${runId}"`)}*`;
  const refusal = quote(`pmx: the lock of ${paths.base} is another deploy's now (${paths.lockOwner}): ${LOST_LOCK}`);
  const busy = quote(`pmx: a command this deploy started on ${paths.base} before its connection was lost still runs after ${RECONNECT_WAIT_MS / 1000} s (\`fuser -v ${paths.work}\` shows it): not going on beside it`);
  const take = afterReconnect ? `{ flock -x -w ${RECONNECT_WAIT_MS / 1000} 8 || { echo ${busy} >&2; exit ${STILL_RUNNING}; }; }` : 'flock -s 8';
  return (
    `exec 8>>${quote(paths.work)} && ${take} && { IFS= read -r __pmx_owner 2>/dev/null < ${quote(paths.lockOwner)} || :; } && ` +
    `case "$__pmx_owner" in ${ours}) ( exec 8>&-; ${command}
) ;; *) echo ${refusal} >&2; exit ${NOT_THIS_RUN} ;; esac`
  );
}

/** What the owner's record says of its process when it ran on this machine and is gone: its lock session has not ended yet. */
export function goneHolder(stdout: string, leaseMs: number): string {
  const owner = ownerOf(stdout);
  if (!owner || typeof owner.user !== 'string' || !owner.user.endsWith(`@${hostname()}`) || !Number.isInteger(owner.pid) || alive(owner.pid)) return '';
  const lease = leaseMs > 0 ? `, at the latest ${Math.ceil(leaseMs / 1000)} s after its process died (2 x ServerAliveInterval x (ServerAliveCountMax + 1))` : '';
  return `; pid ${owner.pid} no longer runs on this machine: the host lets go of the lock when that deploy's SSH session ends${lease}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner's record in a lock command's output (its JSON line), or null. */
function ownerOf(stdout: string): LockOwner | null {
  const line = stdout.split('\n').find((text) => text.startsWith('{'));
  try {
    return JSON.parse(line ?? '') as LockOwner;
  } catch {
    return null;
  }
}

/** The holder named in a refused lock's output, as words for a message. */
export function describeHolder(stdout: string): string {
  const owner = ownerOf(stdout);
  return owner ? `${owner.user} (pid ${owner.pid}: ${owner.command}) since ${owner.since}` : 'another deploy (no owner recorded)';
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
  const held = await startLock(connection, request).held;
  // without a guard the lock is never skipped
  return held!;
}

/** What a probe run first in the lock's command prints once it is done (its output is before this line). */
export const PROBED = 'pmx-lock=probed';
/** What that command prints when the probe's guard refused the host: no lock taken, nothing made. */
export const SKIPPED = 'pmx-lock=skipped';

/** A probe run in the lock's own command before it: its output, and a shell condition that must hold for the lock to be taken. */
export interface LockProbe {
  command: string;
  /** False: the command prints SKIPPED and takes no lock (the host is refused, or takes the lock with a command of its own). */
  guard: string;
}

/** A lock being taken by a command that may run a probe first. */
export interface LockAttempt {
  /** The probe's output (rejects when the command ended without it); '' without a probe. */
  readonly probed: Promise<string>;
  /** The lock, or null when the probe's guard refused it (no lock, nothing written). */
  readonly held: Promise<HeldLock | null>;
  /** Gives the attempt up: ends a wait for the lock, or releases the lock once held. */
  cancel(): Promise<void>;
}

/** The command of an attempt: the probe (if any), then the lock where its guard holds. */
export function attemptCommand(request: LockRequest, probe: LockProbe | null): string {
  const holding = holdingCommand(request);
  return probe ? `${probe.command}; echo ${PROBED}; if ${probe.guard}; then ${holding}; else echo ${SKIPPED}; fi` : holding;
}

/** Starts taking the lock (after `probe`, in the same command: one round trip for both). */
export function startLock(connection: RemoteConnection, request: LockRequest, probe: LockProbe | null = null): LockAttempt {
  const { host, paths, stop, heartbeatMs: beat } = request;
  const input = new PassThrough();
  // an interrupt (or cancel) stops the wait for the lock, never the command that holds it
  const waiting = new AbortController();
  const interrupt = (): void => waiting.abort();
  stop?.addEventListener('abort', interrupt, { once: true });
  let seen = '';
  let onProbed: (text: string) => void = () => undefined;
  const probedOut = new Promise<string>((resolve) => (onProbed = resolve));
  let onLocked: (how: 'locked' | 'skipped') => void = () => undefined;
  const locked = new Promise<'locked' | 'skipped'>((resolve) => (onLocked = resolve));
  let onRead: (text: string) => void = () => undefined;
  const readDone = new Promise<string>((resolve) => (onRead = resolve));
  const running = connection.exec(`${PATH_EXPORT} ${attemptCommand(request, probe)}`, {
    stdin: input,
    signal: waiting.signal,
    label: probe ? 'check' : 'lock',
    onStdout: (chunk) => {
      seen += chunk;
      const probeEnd = probe ? seen.indexOf(`${PROBED}\n`) : 0;
      if (probeEnd < 0) return;
      onProbed(seen.slice(0, probeEnd));
      const after = seen.slice(probe ? probeEnd + PROBED.length + 1 : 0);
      if (after.includes(`${LOCKED}\n`)) onLocked('locked');
      if (after.startsWith(`${SKIPPED}\n`)) onLocked('skipped');
      const read = readBetween(after);
      if (read !== null) onRead(read);
    },
  });
  // the command ends when we release the lock or the connection dies: never an unhandled rejection
  const ended: Promise<ExecResult | Error> = running.catch((error: Error) => error);
  if (stop?.aborted) interrupt();
  let lock: HeldLock | null = null;
  const probed = probe
    ? Promise.race([probedOut, ended.then((end) => Promise.reject(end instanceof Error ? end : new DeployStepError(`the host check failed (exit ${end.code})${lastLine(end.stderr)}`, { code: 'COMMAND_FAILED', host })))])
    : Promise.resolve('');
  probed.catch(() => undefined);
  const held = (async (): Promise<HeldLock | null> => {
    const first = await Promise.race([locked, ended]);
    stop?.removeEventListener('abort', interrupt);
    if (first === 'locked') {
      const heartbeat = beat > 0 ? setInterval(() => input.write('\n'), beat).unref() : null;
      lock = {
        current: heldCurrent(seen),
        async release() {
          if (heartbeat) clearInterval(heartbeat);
          input.end();
          await ended;
        },
        read: request.read === undefined ? null : (signal) => readUnderLock(host, readDone, ended, signal ?? null),
      };
      return lock;
    }
    input.end();
    if (first === 'skipped') return (await ended, null);
    if (first instanceof Error) throw first;
    const waited = request.timeoutMs > 0 ? ` (waited ${Math.ceil(request.timeoutMs / 1000)} s, lock_timeout)` : '';
    if (first.stdout.includes(WORK_BUSY)) {
      throw new DeployStepError(`${paths.base} is still busy with a command of an earlier deploy, ${describeHolder(first.stdout.slice(first.stdout.indexOf(WORK_BUSY)))}, that outlived it (a hook, a fetch or an upload goes on when the deploy that started it is killed or cut off)${waited}`, { code: 'LOCKED', host, hint: `wait for it to end (\`fuser -v ${paths.work}\` on the host shows it), or set lock_timeout to wait for it` });
    }
    if (first.stdout.includes(REFUSED)) {
      let record = first.stdout;
      // a record naming a process gone from this machine may be the one before a deploy that has just taken the lock and not yet written its own: read it again
      if (goneHolder(record, request.leaseMs)) {
        const again = await connection.exec(`sleep 0.5; cat ${quote(paths.lockOwner)} 2>/dev/null`, { label: 'lock' }).catch(() => null);
        if (again?.stdout.trim().startsWith('{')) record = again.stdout;
      }
      throw new DeployStepError(`${paths.base} is locked by ${describeHolder(record)}${waited}${goneHolder(record, request.leaseMs)}`, { code: 'LOCKED', host, hint: `wait for that deploy to finish, or set lock_timeout to wait for it` });
    }
    const why = first.stderr.trim().split('\n').pop() ?? '';
    throw new DeployStepError(`cannot take the deploy lock ${paths.lock} (exit ${first.code})${why ? `: ${why}` : ''}`, { code: 'COMMAND_FAILED', host });
  })();
  held.catch(() => undefined);
  return {
    probed,
    held,
    async cancel() {
      // a held lock is released by ending its command's input, never by killing it
      if (lock === null) waiting.abort();
      await held.catch(() => undefined);
      await (lock as HeldLock | null)?.release();
    },
  };
}

// the link the holding command read once it held the lock (its line just before LOCKED); undefined: no such line
function heldCurrent(seen: string): string | null | undefined {
  const line = new RegExp(`(?:^|\\n)${HELD_CURRENT}([^\\n]*)\\n${LOCKED}\\n`).exec(seen);
  return line ? line[1] || null : undefined;
}

function lastLine(stderr: string): string {
  const line = stderr.trim().split('\n').pop() ?? '';
  return line ? `: ${line}` : '';
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

// lock: take the path's deploy lock for the rest of the run (refused with who holds it and since when).
import { connectionOf, type HostChanges, type HostContext } from '../context.js';
import { acquireLock, holdingCommand, NOT_A_LINK, type HeldLock, type LockRequest } from '../lock.js';
import { releaseFromLink } from '../remote-paths.js';
import { DeployStepError } from '../run-error.js';
import type { HostPhase } from '../phase.js';
import type { RemotePaths } from '../remote-paths.js';

/** Holds the lock until the flow releases it after finish (or the connection dies). */
export const lockPhase: HostPhase = lockReading(null);

/** The lock phase whose command also runs `read` once it holds the lock, for the next phase (HeldLock.read): one round trip less. */
export function lockReading(read: ((paths: RemotePaths) => string) | null): HostPhase {
  return { name: 'lock', run: (ctx) => takeLock(ctx, read) };
}

async function takeLock(ctx: HostContext, read: ((paths: RemotePaths) => string) | null): Promise<HostChanges> {
  // the check's command took it (null: its guard left it to this phase)
  const taken = ctx.pendingLock ? await ctx.pendingLock.held : null;
  if (taken) return { lock: taken, locked: true, pendingLock: null, ...(await currentUnderLock(ctx, taken)) };
  const request = lockRequest(ctx, read);
  if (ctx.run.rehearsal) {
    ctx.run.emit({ kind: 'planned', host: ctx.target.label, phase: 'lock', command: holdingCommand(request) });
    return { lock: { release: async () => undefined, read: null } };
  }
  const lock = await acquireLock(connectionOf(ctx), request);
  return { lock, locked: true, pendingLock: null, ...(await currentUnderLock(ctx, lock)) };
}

/**
 * The release `current` points at as read under the lock. The check read it before the lock was
 * taken: a run that waited for the lock (lock_timeout) behind another deploy must roll back, and
 * record its `from`, to where that deploy left the host, not to where it was before.
 */
async function currentUnderLock(ctx: HostContext, lock: HeldLock): Promise<Partial<HostChanges>> {
  const { paths, emit } = ctx.run;
  const before = ctx.facts?.currentLink ?? null;
  if (lock.current === undefined || lock.current === before || ctx.facts === null) return {};
  const previous = lock.current === null ? null : releaseFromLink(paths, lock.current);
  if (lock.current !== null && previous === null) {
    await lock.release();
    const what = lock.current === NOT_A_LINK ? `${paths.current} is no longer a symbolic link` : `current points at ${lock.current}, which is not a release of ${paths.base}`;
    throw new DeployStepError(`${what} (it changed while this deploy waited for the lock)`, { code: 'COMMAND_FAILED', host: ctx.target.label });
  }
  emit({ kind: 'note', host: ctx.target.label, level: 'info', message: `current moved from ${ctx.previous ?? 'nothing'} to ${previous ?? 'nothing'} while this ${ctx.run.command} waited for the lock: that is the release it goes back to if it fails` });
  return { previous, facts: { ...ctx.facts, currentLink: lock.current } };
}

/** What taking the host's lock asks for (`read`: run under it, for the next phase). */
export function lockRequest(ctx: HostContext, read: ((paths: RemotePaths) => string) | null): LockRequest {
  const { command, environment, paths, user, stop } = ctx.run;
  const { keepaliveIntervalMs, keepaliveCountMax, label } = ctx.target;
  return {
    host: label,
    paths,
    owner: { run: ctx.run.id, user, pid: process.pid, command: `pmx deploy ${environment.name} ${command}`, since: new Date().toISOString() },
    timeoutMs: environment.lockTimeoutMs,
    heartbeatMs: keepaliveIntervalMs,
    // two of the connection's timeouts: the CLI gives a silent host up within interval x (count + 1)
    leaseMs: 2 * keepaliveIntervalMs * (keepaliveCountMax + 1),
    stop,
    ...(read ? { read: read(paths) } : {}),
  };
}

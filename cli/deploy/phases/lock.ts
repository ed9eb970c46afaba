// lock: take the path's deploy lock for the rest of the run (refused with who holds it and since when).
import { connectionOf, type HostChanges, type HostContext } from '../context.js';
import { acquireLock, holdingCommand, type LockRequest } from '../lock.js';
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
  if (taken) return { lock: taken, locked: true, pendingLock: null };
  const request = lockRequest(ctx, read);
  if (ctx.run.rehearsal) {
    ctx.run.emit({ kind: 'planned', host: ctx.target.label, phase: 'lock', command: holdingCommand(request) });
    return { lock: { release: async () => undefined, read: null } };
  }
  return { lock: await acquireLock(connectionOf(ctx), request), locked: true, pendingLock: null };
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
    leaseMs: 2 * keepaliveIntervalMs * keepaliveCountMax,
    stop,
    ...(read ? { read: read(paths) } : {}),
  };
}

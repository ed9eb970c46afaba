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
  const { command, environment, paths, user, stop, rehearsal } = ctx.run;
  const { keepaliveIntervalMs, keepaliveCountMax, label } = ctx.target;
  const request: LockRequest = {
    host: label,
    paths,
    owner: { user, pid: process.pid, command: `pmx deploy ${environment.name} ${command}`, since: new Date().toISOString() },
    timeoutMs: environment.lockTimeoutMs,
    heartbeatMs: keepaliveIntervalMs,
    leaseMs: 2 * keepaliveIntervalMs * keepaliveCountMax,
    stop,
    ...(read ? { read: read(paths) } : {}),
  };
  if (rehearsal) {
    ctx.run.emit({ kind: 'planned', host: label, phase: 'lock', command: holdingCommand(request) });
    return { lock: { release: async () => undefined, read: null } };
  }
  return { lock: await acquireLock(connectionOf(ctx), request) };
}

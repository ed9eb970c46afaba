// lock: take the path's deploy lock for the rest of the run (refused with who holds it and since when).
import { connectionOf } from '../context.js';
import { acquireLock, holdingCommand, type LockRequest } from '../lock.js';
import type { HostPhase } from '../phase.js';

/** Holds the lock until the flow releases it after finish (or the connection dies). */
export const lockPhase: HostPhase = {
  name: 'lock',
  async run(ctx) {
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
    };
    if (rehearsal) {
      ctx.run.emit({ kind: 'planned', host: label, phase: 'lock', command: holdingCommand(request) });
      return { lock: { release: async () => undefined } };
    }
    return { lock: await acquireLock(connectionOf(ctx), request) };
  },
};

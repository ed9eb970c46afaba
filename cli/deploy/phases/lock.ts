// lock: take the path's deploy lock for the rest of the run (refused with who holds it and since when).
import { acquireLock } from '../lock.js';
import type { HostPhase } from '../phase.js';

/** Holds the lock until the flow releases it after finish (or the connection dies). */
export const lockPhase: HostPhase = {
  name: 'lock',
  async run(ctx) {
    const { command, environment } = ctx.run;
    return { lock: await acquireLock(ctx, `pmx deploy ${environment.name} ${command}`) };
  },
};

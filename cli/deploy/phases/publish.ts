// publish: the one step that changes what is live: `current` switched atomically to the release.
import { publishCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';

/** From here on a failure rolls the host back instead of cleaning up. */
export const publishPhase: HostPhase = {
  name: 'publish',
  async run(ctx) {
    await runOn(ctx, 'publish', publishCommand(ctx.run.paths, ctx.release!), { what: `switching current to ${ctx.release}` });
    return { published: true };
  },
};

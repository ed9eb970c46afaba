// publish: the one step that changes what is live: `current` switched atomically to the release.
// With a post-deploy hook the switch is the start of the host's live command, which runs the hook
// (and, where nothing follows it, finish's record and read back) once the flow gives the go.
import { publishCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { liveApplies, startLive } from '../remote-live.js';

/** From here on a failure rolls the host back instead of cleaning up. */
export const publishPhase: HostPhase = {
  name: 'publish',
  async run(ctx, track) {
    if (liveApplies(ctx)) {
      const { healthcheck, rolling } = ctx.run.environment;
      const live = startLive(ctx, healthcheck === null && rolling === null);
      track({ live });
      await live.switched;
      return { published: true };
    }
    await runOn(ctx, 'publish', publishCommand(ctx.run.paths, ctx.release!), { what: `switching current to ${ctx.release}` });
    return { published: true };
  },
};

// fetch: bring the commit to each host (git: into repo/; release: the archive made once locally).
import type { HostPhase, LocalPhase } from '../phase.js';
import { strategyFor } from '../strategies/index.js';

/** The strategy's local part, once for every host (the release strategy's git archive). */
export const localFetchPhase: LocalPhase = {
  name: 'fetch',
  applies: (run) => strategyFor(run.environment.strategy).prepareLocal !== undefined,
  run: (run) => strategyFor(run.environment.strategy).prepareLocal!(run),
};

/** Per host: sets `sha` and the release name. */
export const fetchPhase: HostPhase = {
  name: 'fetch',
  run: (ctx, track) => strategyFor(ctx.run.environment.strategy).fetch(ctx, track),
};

// create release: releases/<UTC time>-<sha>, made from what fetch brought; never touched after publish.
import type { HostPhase } from '../phase.js';
import { strategyFor } from '../strategies/index.js';

/** Marks the release as created first, so cleanup removes a half-made one. */
export const createReleasePhase: HostPhase = {
  name: 'create release',
  run: (ctx, track) => strategyFor(ctx.run.environment.strategy).createRelease(ctx, track),
};

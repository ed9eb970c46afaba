// read (list, curr, prev): the host's releases, current link and revisions, as its answer.
import { stateCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { readHistory } from '../revisions.js';

/** No lock: reading never changes the host. */
export const readPhase: HostPhase = {
  name: 'read',
  async run(ctx) {
    const { paths } = ctx.run;
    const history = readHistory((await runOn(ctx, 'read', stateCommand(paths), { what: 'reading the releases', readOnly: true })).stdout, paths);
    const current = history.releases.find((release) => release.current);
    return { history, answer: history, release: history.current, sha: current?.sha ?? null, previous: history.current };
  },
};

// select release (revert, mark-bad): read the host's releases and ledger; the fleet's target is
// chosen from every host's history at the barrier (fleet-target.ts), so no host switches alone.
import { stateCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import { revertTarget, markTarget, type FleetTarget } from '../fleet-target.js';
import type { HostChanges } from '../context.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { readHistory } from '../revisions.js';

/** Reads the history; sets nothing else. */
export const selectReleasePhase: HostPhase = {
  name: 'select release',
  async run(ctx) {
    const { paths } = ctx.run;
    return { history: readHistory((await runOn(ctx, 'select release', stateCommand(paths), { what: 'reading the releases', readOnly: true })).stdout, paths) };
  },
};

/** At revert's barrier: one target for every host, or the refusal naming each host's state. */
export function settleRevert(prepared: HostContext[]): { refuse: string } | { changes: HostChanges } {
  const { steps, pick } = prepared[0]!.run;
  return verdict(revertTarget(histories(prepared), steps, pick));
}

/** At mark-bad's barrier: the release named, or the one every host is on. */
export function settleMarkBad(prepared: HostContext[]): { refuse: string } | { changes: HostChanges } {
  return verdict(markTarget(histories(prepared), prepared[0]!.run.pick));
}

function histories(prepared: HostContext[]): { host: string; history: NonNullable<HostContext['history']> }[] {
  return prepared.map((ctx) => ({ host: ctx.target.label, history: ctx.history! }));
}

function verdict(target: FleetTarget): { refuse: string } | { changes: HostChanges } {
  return 'problem' in target ? { refuse: target.problem } : { changes: { release: target.release, sha: target.sha, created: false } };
}

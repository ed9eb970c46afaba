// select release (revert, mark-bad): read the host's releases and ledger; the fleet's target is
// chosen from every host's history at the barrier (fleet-target.ts), so no host switches alone.
// The read runs in the lock's own command, under the lock (lockReadingState), and this phase waits
// for its output; a lock without it (a rehearsal) reads with a command of its own.
import { stateCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import { revertTarget, markTarget, type FleetTarget } from '../fleet-target.js';
import type { HostChanges } from '../context.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { readHistory } from '../revisions.js';
import { lockReading } from './lock.js';

/** The lock phase of revert and mark-bad: its command reads the state once it holds the lock. */
export const lockReadingState = lockReading(stateCommand);

/** Reads the history; sets nothing else. */
export const selectReleasePhase: HostPhase = {
  name: 'select release',
  async run(ctx) {
    const { paths, stop } = ctx.run;
    const read = ctx.lock?.read;
    const state = read ? await read(stop) : (await runOn(ctx, 'select release', stateCommand(paths), { what: 'reading the releases', readOnly: true })).stdout;
    return { history: readHistory(state, paths) };
  },
};

/** At revert's barrier: one target for every host, or the refusal naming each host's state. */
export function settleRevert(prepared: HostContext[]): { refuse: string } | { changes: HostChanges } {
  const { steps, pick, emit } = prepared[0]!.run;
  const target = revertTarget(histories(prepared), steps, pick);
  if ('skipped' in target && target.skipped && target.skipped.length > 0) {
    emit({ kind: 'note', host: null, level: 'info', message: `revert ${steps} goes to ${target.release}, passing over ${target.skipped.join(', ')}` });
  }
  return verdict(target);
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

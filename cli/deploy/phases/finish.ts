// finish: record the run in the host's ledger (.pmx/revisions.log), read back what `current`
// points at now (the summary reports that, not what the run meant to do), and after a successful
// deploy prune old releases (keep_releases; never current, never a name pmx did not give) and the
// copies of the env_file and secrets it replaced.
// Unlocking follows in the flow.
import { appendRevisionCommand, pruneCommand, stateCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import type { HostOutcome } from '../events.js';
import { messageOf } from '../host-slot.js';
import { runOn } from '../remote.js';
import { formatRevision, pruneList, readHistory, shaOf, type Revision, type RevisionResult } from '../revisions.js';
import { dropKeptSecretFiles } from './link-shared.js';

/** What finish found and did on a host. */
export interface FinishReport {
  notes: string[];
  /** What `current` points at now, read from the host. */
  serving: { release: string | null; sha: string | null };
  /** False when the ledger line could not be written; null when the run had no lock to write it under. */
  recorded: boolean | null;
}

/** The ledger's word for how the run ended on the host; a failed health check (or batch wait) marks the release bad. */
export function resultOf(outcome: HostOutcome): RevisionResult {
  const bad = outcome.phase === 'health check' || outcome.phase === 'batch wait';
  switch (outcome.status) {
    case 'deployed':
    case 'reverted':
    case 'done':
      return 'success';
    case 'cancelled':
    case 'aborted':
      return 'aborted';
    case 'rolled-back':
      return bad ? 'bad' : 'rolled-back';
    case 'failed':
      return bad ? 'bad' : 'failed';
  }
}

/** Records a deploy or revert (under the lock), reads the host back, prunes after a successful deploy. */
export async function finishHost(ctx: HostContext, outcome: HostOutcome): Promise<FinishReport> {
  const { command, paths } = ctx.run;
  const notes: string[] = [];
  // a run that never took the lock (another deploy held it) writes no line; one that lost it with its
  // connection writes it over the new one, only while the lock's record still names the run (underThisRun)
  const owned = ctx.lock !== null || ctx.locked;
  let recorded: boolean | null = owned ? true : null;
  let state: string | null = null;
  // the live command recorded the run after its hook (nothing followed it: the run succeeded there)
  const live = ctx.lock && resultOf(outcome) === 'success' ? await ctx.live?.finished() : null;
  if (live) {
    state = live.state;
    if (live.unrecorded !== null) {
      recorded = false;
      notes.push(`the ledger ${paths.revisions} has no line for this run: ${ctx.target.label}: recording the run in the ledger failed: ${live.unrecorded}`);
    }
  } else if (owned) {
    await ctx.live?.stop();
    const record = appendRevisionCommand(paths, formatRevision(revisionOf(ctx, resultOf(outcome), outcome.message)));
    try {
      state = (await runOn(ctx, 'finish', `${record} && { ${stateCommand(paths)}; }`, { what: 'recording the run in the ledger' })).stdout;
      // a rehearsal did not run it: the host is read as it is
      if (ctx.run.rehearsal) state = null;
    } catch (error) {
      recorded = false;
      notes.push(`the ledger ${paths.revisions} has no line for this run: ${messageOf(error, null)}`);
    }
  }
  state ??= (await runOn(ctx, 'finish', stateCommand(paths), { what: 'reading current back', readOnly: true })).stdout;
  const history = readHistory(state, paths);
  const serving = { release: history.current, sha: history.currentSha ?? (history.current ? shaOf(history.current) : null) };
  if (command === 'deploy' && outcome.status === 'deployed' && ctx.release) notes.push(...(await prune(ctx, history)), ...(await dropKept(ctx)));
  return { notes, serving, recorded };
}

/** After mark-bad: only the read back (the mark was the run's record). */
export async function readBackHost(ctx: HostContext): Promise<FinishReport> {
  const { paths } = ctx.run;
  const history = readHistory((await runOn(ctx, 'finish', stateCommand(paths), { what: 'reading current back', readOnly: true })).stdout, paths);
  return { notes: [], serving: { release: history.current, sha: history.currentSha ?? null }, recorded: ctx.lock !== null ? true : null };
}

/** The ledger line of this run on the host (what finish appends to the revisions log). */
export function ledgerLine(ctx: HostContext, result: RevisionResult, message: string | null): string {
  return formatRevision(revisionOf(ctx, result, message));
}

function revisionOf(ctx: HostContext, result: RevisionResult, message: string | null): Revision {
  const { command, ref, user } = ctx.run;
  return {
    time: new Date().toISOString(),
    action: command === 'revert' ? 'revert' : 'deploy',
    release: ctx.release,
    ref: command === 'revert' ? null : ref,
    sha: ctx.sha,
    user,
    result,
    from: ctx.previous,
    ...(message ? { message: ctx.run.mask.apply(message) } : {}),
  };
}

async function dropKept(ctx: HostContext): Promise<string[]> {
  try {
    await dropKeptSecretFiles(ctx);
    return [];
  } catch (error) {
    return [`the copies of the env_file and secrets this deploy replaced were not removed: ${messageOf(error, null)}`];
  }
}

async function prune(ctx: HostContext, history: ReturnType<typeof readHistory>): Promise<string[]> {
  const { paths, environment } = ctx.run;
  // what current was when the run began stays too, recorded or not (a killed run's release): it is where a user goes back by hand
  const old = pruneList(history, environment.keepReleases, [ctx.release!, ...(ctx.previous ? [ctx.previous] : [])]);
  if (old.length === 0) return [];
  try {
    await runOn(ctx, 'finish', pruneCommand(paths, old), { what: 'removing old releases' });
  } catch (error) {
    return [`old releases were not all removed: ${messageOf(error, null)}`];
  }
  return [pruneNote(old, history.leftovers, environment.keepReleases)];
}

/** What pruning removed, in words: old releases (past keep_releases) and, said apart, the half-made ones interrupted runs left. */
export function pruneNote(removed: string[], leftovers: string[], keep: number): string {
  const unfinished = removed.filter((name) => leftovers.includes(name)).length;
  const old = removed.length - unfinished;
  const parts = [
    ...(old > 0 ? [`${old} old release${old === 1 ? '' : 's'} (keep_releases: ${keep})`] : []),
    ...(unfinished > 0 ? [`${unfinished} unfinished release${unfinished === 1 ? '' : 's'} an interrupted run left`] : []),
  ];
  return `removed ${parts.join(' and ')}`;
}

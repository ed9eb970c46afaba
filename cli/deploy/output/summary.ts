// The end of every run: one line per host (result, the release it serves as read back, sha,
// duration, why), its notes, a count, and for deploy and revert whether every host serves the
// release the run meant; for list, curr and prev each host's answer.
import { displayWidth, type Style } from '../../output/style.js';
import type { RunCommand } from '../context.js';
import type { RampReport } from '../flow-ramp.js';
import { serving, succeeded, type HostOutcome } from '../events.js';
import type { HostHistory, ReleaseInfo } from '../revisions.js';
import { duration, remoteText, statusWord } from './format.js';
import { renderLedgers } from './ledger-table.js';

/** What the summary needs of a run. */
export interface SummaryInput {
  command: RunCommand;
  environment: string;
  outcomes: HostOutcome[];
  /** The signal that interrupted the run, or null. */
  interrupted?: string | null;
  /** What the ramp did (deploy and revert with `rolling`), or null. */
  ramp?: RampReport | null;
}

/** The summary lines, one per host, with notes under their host, then the count and the fleet's state. */
export function renderSummary(input: SummaryInput, style: Style): string[] {
  const { outcomes } = input;
  // deploy and revert read each host back at the end; `X?` is the last release seen there, `?` none
  // known; other commands know a host's release only when they reached it (`none`: nothing deployed)
  const switching = input.command === 'deploy' || input.command === 'revert';
  const released = (o: HostOutcome): string => (switching ? (o.readBack ? (o.release ?? 'none') : `${o.release ?? ''}?`) : (o.release ?? (succeeded(o) ? 'none' : '?')));
  const rows = outcomes.map((o) => [o.host, statusWord(o.status, style), remoteText(released(o)), o.sha ? remoteText(o.sha.slice(0, 7)) : '-', duration(o.durationMs)]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => displayWidth(row[column]!))));
  const lines = [style.bold(`${input.environment} ${input.command}${input.interrupted ? ` (interrupted by ${input.interrupted})` : ''}:`)];
  outcomes.forEach((outcome, index) => {
    const cells = rows[index]!.map((cell, column) => (column < 4 ? cell + ' '.repeat(widths[column]! - displayWidth(cell)) : cell));
    lines.push(`  ${cells.join('  ')}${outcome.message && !succeeded(outcome) ? `  ${remoteText(outcome.message)}` : ''}`);
    for (const note of outcome.notes) lines.push(`  ${' '.repeat(widths[0]!)}  ${style.gray(remoteText(note))}`);
  });
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome.status, (counts.get(outcome.status) ?? 0) + 1);
  const tally = [...counts].map(([status, count]) => `${count} ${statusWord(status as HostOutcome['status'], style)}`).join(', ');
  lines.push(`${outcomes.length} host${outcomes.length === 1 ? '' : 's'}: ${tally}`);
  if (input.ramp) lines.push(rampLine(input.ramp, style));
  const fleet = fleetLine(outcomes, style);
  if (fleet) lines.push(fleet);
  return lines;
}

/** For a run that switches releases: does every host serve its target, as read back? Null for other runs. */
export function fleetLine(outcomes: HostOutcome[], style: Style): string | null {
  const target = outcomes.find((o) => o.target !== null)?.target ?? null;
  if (target === null) return null;
  if (outcomes.every(serving)) return style.green(`every host serves ${remoteText(target)} (read back from each host)`);
  const others = outcomes.filter((o) => !(o.readBack && o.release === target)).map((o) => `${o.host} ${o.readBack ? `serves ${remoteText(o.release ?? 'nothing')}` : 'could not be read back'}`);
  const unrecorded = outcomes.filter((o) => o.recorded === false).map((o) => o.host);
  // on the target, and failed there all the same (a hook that failed with auto_rollback off, a rollback that failed)
  const failedThere = outcomes.filter((o) => !succeeded(o) && o.readBack && o.release === target).map((o) => o.host);
  const why = [
    ...(others.length > 0 ? [others.join(', ')] : []),
    ...(failedThere.length > 0 ? [`${failedThere.join(', ')} serve${failedThere.length === 1 ? 's' : ''} it but failed (${failedThere.length === 1 ? 'its row says' : 'their rows say'} why)`] : []),
    ...(unrecorded.length > 0 ? [`no ledger line read back on ${unrecorded.join(', ')}`] : []),
  ].join('; ');
  return style.red(`not every host serves ${remoteText(target)} as recorded: ${why}`);
}

/** How the ramp went: the batch that stopped it and why, where an interrupt left it, or the failures it tolerated. */
export function rampLine(ramp: RampReport, style: Style): string {
  const count = ramp.batches.length;
  const head = `ramp (${ramp.rolling}, ${count} batch${count === 1 ? '' : 'es'}${ramp.holdMs > 0 ? `, held ${duration(ramp.holdMs)} between batches` : ''}, max_fail ${ramp.maxFail})`;
  const tolerated = ramp.failed.length > 0 ? `; ${ramp.failed.length} failure${ramp.failed.length === 1 ? '' : 's'} (${remoteText(ramp.failed.join(', '))})` : '';
  const unpublished = ramp.published < count ? `; ${ramp.published + 1 === count ? `batch ${count} was` : `batches ${ramp.published + 1}-${count} were`} not published` : '';
  if (ramp.stopped?.beforePublish) return style.red(`${head} stopped before batch 1: ${remoteText(ramp.stopped.reason)} (before publish, where max_fail does not apply)${unpublished}`);
  if (ramp.stopped) return style.red(`${head} stopped at batch ${ramp.stopped.batch}: ${remoteText(ramp.stopped.reason)}; ${sentBack(ramp)} (each host's row says what it serves)${unpublished}`);
  if (ramp.published === 0) return style.yellow(`${head} interrupted before batch 1${unpublished}`);
  if (ramp.published < count) return style.yellow(`${head} interrupted after batch ${ramp.published}${tolerated}${unpublished}`);
  return (ramp.failed.length > 0 ? style.yellow : style.green)(`${head} went through${tolerated && `${tolerated} within max_fail`}`);
}

// where a stopped ramp left the hosts that had published: back, left on the new release, or unknown
function sentBack(ramp: RampReport): string {
  if (ramp.stayed.length === 0 && ramp.unsure.length === 0) return 'the published batches were sent back';
  const names = (hosts: string[]): string => remoteText(hosts.join(', '));
  return [
    ...(ramp.wentBack.length > 0 ? [`${names(ramp.wentBack)} went back`] : []),
    ...(ramp.stayed.length > 0 ? [`${names(ramp.stayed)} stayed on the new release (${ramp.autoRollbackOff ? 'auto_rollback is off' : 'no release before it'})`] : []),
    ...(ramp.unsure.length > 0 ? [`${names(ramp.unsure)} may still serve the new release (the rollback failed or could not reach ${ramp.unsure.length === 1 ? 'it' : 'them'})`] : []),
  ].join('; ');
}

/** What list, curr and prev found on each host (nothing for other commands). */
export function renderAnswers(input: SummaryInput, style: Style): string[] {
  if (input.command === 'list') return renderLedgers(input.outcomes, style);
  const lines: string[] = [];
  if (input.command !== 'curr' && input.command !== 'prev') return lines;
  for (const outcome of input.outcomes) {
    const history = outcome.data as HostHistory | undefined;
    if (!history || !Array.isArray(history.releases)) continue;
    const release = input.command === 'prev' ? previousOf(history) : history.releases.find((r) => r.current);
    lines.push(`${outcome.host}  ${release ? remoteText(releaseLine(release)) : input.command === 'prev' ? 'no previous release' : 'nothing deployed'}`);
  }
  return lines;
}

/** The release before the current one. */
export function previousOf(history: HostHistory): ReleaseInfo | undefined {
  const index = history.releases.findIndex((release) => release.current);
  return index > 0 ? history.releases[index - 1] : undefined;
}

function releaseLine(release: ReleaseInfo): string {
  return [release.name, release.sha ?? '-', release.deployedAt ?? '', release.user ?? '', release.bad ? 'bad' : ''].filter(Boolean).join('  ');
}

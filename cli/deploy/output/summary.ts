// The end of every run: one line per host (result, release, sha, duration, why), its notes, a
// count; and for list, curr and prev each host's answer.
import { displayWidth, type Style } from '../../output/style.js';
import type { RunCommand } from '../context.js';
import { succeeded, type HostOutcome } from '../events.js';
import type { HostHistory, ReleaseInfo } from '../revisions.js';
import { duration, remoteText, statusWord } from './format.js';

/** What the summary needs of a run. */
export interface SummaryInput {
  command: RunCommand;
  environment: string;
  outcomes: HostOutcome[];
}

/** The summary lines, one per host, with notes under their host. */
export function renderSummary(input: SummaryInput, style: Style): string[] {
  const { outcomes } = input;
  const rows = outcomes.map((o) => [o.host, statusWord(o.status, style), o.release ?? '-', o.sha ? o.sha.slice(0, 7) : '-', duration(o.durationMs)]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => displayWidth(row[column]!))));
  const lines = [style.bold(`${input.environment} ${input.command}:`)];
  outcomes.forEach((outcome, index) => {
    const cells = rows[index]!.map((cell, column) => (column < 4 ? cell + ' '.repeat(widths[column]! - displayWidth(cell)) : cell));
    lines.push(`  ${cells.join('  ')}${outcome.message && !succeeded(outcome) ? `  ${remoteText(outcome.message)}` : ''}`);
    for (const note of outcome.notes) lines.push(`  ${' '.repeat(widths[0]!)}  ${style.gray(remoteText(note))}`);
  });
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome.status, (counts.get(outcome.status) ?? 0) + 1);
  const tally = [...counts].map(([status, count]) => `${count} ${statusWord(status as HostOutcome['status'], style)}`).join(', ');
  lines.push(`${outcomes.length} host${outcomes.length === 1 ? '' : 's'}: ${tally}`);
  return lines;
}

/** What list, curr and prev found on each host (nothing for other commands). */
export function renderAnswers(input: SummaryInput, style: Style): string[] {
  const lines: string[] = [];
  for (const outcome of input.outcomes) {
    const history = outcome.data as HostHistory | undefined;
    if (!history || !Array.isArray(history.releases)) continue;
    if (input.command === 'list') {
      lines.push(`${style.bold(outcome.host)} ${style.gray(`(${outcome.address})`)}`);
      if (history.releases.length === 0) lines.push('  no release yet');
      for (const release of [...history.releases].reverse()) lines.push(`  ${release.current ? style.green('*') : ' '} ${releaseLine(release)}`);
      if (history.pm2Deploys.length > 0) lines.push(style.gray(`  PM2's earlier deploys (.deploys): ${history.pm2Deploys.join(' ')}`));
    } else {
      const release = input.command === 'prev' ? previousOf(history) : history.releases.find((r) => r.current);
      lines.push(`${outcome.host}  ${release ? releaseLine(release) : input.command === 'prev' ? 'no previous release' : 'nothing deployed'}`);
    }
  }
  return lines;
}

/** The release before the current one. */
export function previousOf(history: HostHistory): ReleaseInfo | undefined {
  const index = history.releases.findIndex((release) => release.current);
  return index > 0 ? history.releases[index - 1] : undefined;
}

function releaseLine(release: ReleaseInfo): string {
  return [release.name, release.sha ?? '-', release.deployedAt ?? '', release.user ?? ''].filter(Boolean).join('  ');
}

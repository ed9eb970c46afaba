// The history of a deploy path: `.pmx/revisions.log` (the ledger: one JSON line per deploy,
// revert or mark-bad) read together with the release directories, PM2's `.deploys` and `current`.
// Pure: which releases exist, which one is current, which are bad, what pruning picks. Lines
// written by earlier versions (results success, failed, cancelled, rolled-back) still read.
import { parseState } from './commands.js';
import type { HostHistory, ReleaseInfo, Revision } from './history-types.js';
import { inDeployOrder, ledgerOf } from './ledger.js';
import { PM2_SOURCE, isReleaseName, releaseFromLink, type RemotePaths } from './remote-paths.js';

export type { HostHistory, ReleaseInfo, Revision, RevisionAction, RevisionResult } from './history-types.js';

/** The JSON line for a revision. */
export function formatRevision(revision: Revision): string {
  return JSON.stringify(revision);
}

/** The log's lines as revisions; lines that are not revisions are skipped. */
export function parseRevisions(lines: string[]): Revision[] {
  const revisions: Revision[] = [];
  for (const line of lines) {
    try {
      const value = JSON.parse(line) as Partial<Revision>;
      const release = typeof value.release === 'string' || value.release === null;
      if (release && typeof value.result === 'string' && typeof value.action === 'string' && typeof value.time === 'string') revisions.push(value as Revision);
    } catch {
      // a line cut by a full disk or a hand edit: the others still count
    }
  }
  return revisions;
}

/** The releases marked bad in these revisions. */
export function badReleases(revisions: Revision[]): Set<string> {
  return new Set(revisions.flatMap((r) => (r.release !== null && (r.result === 'bad' || r.action === 'mark-bad') ? [r.release] : [])));
}

/** The history from stateCommand's output. */
export function readHistory(stdout: string, paths: RemotePaths): HostHistory {
  const state = parseState(stdout);
  const revisions = parseRevisions(state['@revisions']);
  const current = state['@current'][0] ? releaseFromLink(paths, state['@current'][0]) : null;
  const served = new Map<string, Revision>();
  const line = new Map<string, number>();
  revisions.forEach((revision, index) => {
    if (revision.release === null || revision.result !== 'success' || revision.action !== 'deploy') return;
    served.set(revision.release, revision);
    line.set(revision.release, index);
  });
  const bad = badReleases(revisions);
  // oldest first in the order the ledger recorded them: a name's time is the deploying machine's clock, which may be behind
  const dirs = inDeployOrder(state['@releases'].filter(isReleaseName), (name) => line.get(name) ?? null, (name) => name);
  const releases: ReleaseInfo[] = [];
  const sourceSha = state['@pm2-source'][0];
  if (sourceSha !== undefined) releases.push(info(PM2_SOURCE, sourceSha === 'unknown' ? null : sourceSha, null, current, bad));
  const leftovers: string[] = [];
  for (const name of dirs) {
    const revision = served.get(name);
    if (!revision && name !== current) {
      leftovers.push(name);
      continue;
    }
    releases.push(info(name, revision?.sha ?? shaOf(name), revision ?? null, current, bad));
  }
  const pm2Deploys = state['@pm2-deploys'].map((line) => line.trim().split(/\s+/)[0]!).filter(Boolean);
  const currentSha = current === PM2_SOURCE ? (sourceSha ?? null) : (state['@current-revision'][0]?.trim() ?? null);
  const history: HostHistory = { current, currentSha: currentSha || null, releases, leftovers, pm2Deploys };
  return { ...history, ledger: ledgerOf(history, revisions) };
}

function info(name: string, sha: string | null, revision: Revision | null, current: string | null, bad: Set<string>): ReleaseInfo {
  const release: ReleaseInfo = { name, sha, deployedAt: revision?.time ?? null, user: revision?.user ?? null, current: name === current };
  return bad.has(name) ? { ...release, bad: true } : release;
}

/** The releases to delete so that `keep` successful ones remain (never current, never `protect`), plus leftovers. */
export function pruneList(history: HostHistory, keep: number, protect: string[]): string[] {
  const kept = new Set([...protect, ...(history.current ? [history.current] : [])]);
  const served = history.releases.filter((release) => release.name !== PM2_SOURCE).map((release) => release.name);
  const old = served.slice(0, Math.max(0, served.length - keep)).filter((name) => !kept.has(name));
  return [...old, ...history.leftovers.filter((name) => !kept.has(name))];
}

/** The short sha in a release name, or null. */
export function shaOf(release: string): string | null {
  return isReleaseName(release) ? release.slice(release.lastIndexOf('-') + 1) : null;
}

// The history of a deploy path: `.pmx/revisions.log` (one JSON line per deploy, revert or
// rollback) read together with the release directories, PM2's `.deploys` and `current`.
// Pure: which releases exist, which one is current, what `revert n` and pruning pick.
import { parseState } from './commands.js';
import { PM2_SOURCE, isReleaseName, releaseFromLink, type RemotePaths } from './remote-paths.js';

/** What a run did to a host. */
export type RevisionAction = 'deploy' | 'revert';
/** How it ended for that host. */
export type RevisionResult = 'success' | 'failed' | 'cancelled' | 'rolled-back';

/** One line of the revisions log. */
export interface Revision {
  time: string;
  action: RevisionAction;
  release: string;
  ref: string | null;
  sha: string | null;
  user: string;
  result: RevisionResult;
  /** The release `current` pointed at before. */
  from: string | null;
  message?: string;
}

/** A release that can be served: its directory exists and it was deployed successfully (or taken over from PM2). */
export interface ReleaseInfo {
  name: string;
  sha: string | null;
  deployedAt: string | null;
  user: string | null;
  current: boolean;
}

/** A host's releases, oldest first, and what `current` points at. */
export interface HostHistory {
  current: string | null;
  releases: ReleaseInfo[];
  /** Release directories that are neither successful nor current (left by an interrupted run). */
  leftovers: string[];
  /** PM2's `.deploys` (short shas, oldest first) when PM2 deployed this path before. */
  pm2Deploys: string[];
}

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
      if (typeof value.release === 'string' && typeof value.result === 'string' && typeof value.action === 'string') revisions.push(value as Revision);
    } catch {
      // a line cut by a full disk or a hand edit: the others still count
    }
  }
  return revisions;
}

/** The history from stateCommand's output. */
export function readHistory(stdout: string, paths: RemotePaths): HostHistory {
  const state = parseState(stdout);
  const revisions = parseRevisions(state['@revisions']);
  const current = state['@current'][0] ? releaseFromLink(paths, state['@current'][0]) : null;
  const served = new Map<string, Revision>();
  for (const revision of revisions) {
    if (revision.result === 'success' && revision.action === 'deploy') served.set(revision.release, revision);
  }
  const dirs = state['@releases'].filter(isReleaseName).sort();
  const releases: ReleaseInfo[] = [];
  const sourceSha = state['@pm2-source'][0];
  if (sourceSha !== undefined) releases.push({ name: PM2_SOURCE, sha: sourceSha === 'unknown' ? null : sourceSha, deployedAt: null, user: null, current: current === PM2_SOURCE });
  const leftovers: string[] = [];
  for (const name of dirs) {
    const revision = served.get(name);
    if (!revision && name !== current) {
      leftovers.push(name);
      continue;
    }
    releases.push({ name, sha: revision?.sha ?? shaOf(name), deployedAt: revision?.time ?? null, user: revision?.user ?? null, current: name === current });
  }
  return { current, releases, leftovers, pm2Deploys: state['@pm2-deploys'].map((line) => line.trim().split(/\s+/)[0]!).filter(Boolean) };
}

/** The release `revert n` switches to: the n-th successful release before the current one. */
export function revertTarget(history: HostHistory, n: number): { release: ReleaseInfo } | { problem: string } {
  if (history.current === null) return { problem: 'nothing is deployed here (no current release)' };
  const index = history.releases.findIndex((release) => release.name === history.current);
  if (index < 0) return { problem: `current points at ${history.current}, which is not a release pmx knows` };
  const target = history.releases[index - n];
  if (!target) {
    const before = index === 0 ? 'there is no release' : index === 1 ? 'there is only 1 release' : `there are only ${index} releases`;
    return { problem: `cannot go back ${n}: ${before} before the current one (${history.current})` };
  }
  return { release: target };
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

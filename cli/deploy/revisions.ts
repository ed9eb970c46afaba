// The history of a deploy path: `.pmx/revisions.log` (the ledger: one JSON line per deploy,
// revert or mark-bad) read together with the release directories, PM2's `.deploys` and `current`.
// Pure: which releases exist, which one is current, which are bad, what pruning picks. Lines
// written by earlier versions (results success, failed, cancelled, rolled-back) still read.
import { parseState } from './commands.js';
import { ledgerOf, type LedgerEntry } from './ledger.js';
import { PM2_SOURCE, isReleaseName, releaseFromLink, type RemotePaths } from './remote-paths.js';

/** What a run did to a host. */
export type RevisionAction = 'deploy' | 'revert' | 'mark-bad';
/** How it ended for that host (`cancelled` is written by earlier versions for what is now `aborted`). */
export type RevisionResult = 'success' | 'failed' | 'cancelled' | 'rolled-back' | 'aborted' | 'bad';

/** One line of the revisions log. */
export interface Revision {
  time: string;
  action: RevisionAction;
  /** Null for a run that ended before it named its release (interrupted or failed in check, lock or fetch). */
  release: string | null;
  ref: string | null;
  sha: string | null;
  user: string;
  result: RevisionResult;
  /** The release `current` pointed at before. */
  from: string | null;
  message?: string;
}

/** A release that can be served: its directory exists and it was deployed successfully (or taken over from PM2), or it is current. */
export interface ReleaseInfo {
  name: string;
  sha: string | null;
  deployedAt: string | null;
  user: string | null;
  current: boolean;
  /** Marked bad (`mark-bad`, or its health check failed on this host): revert never picks it. */
  bad?: boolean;
}

/** A host's releases, oldest first, and what `current` points at. */
export interface HostHistory {
  current: string | null;
  /** The sha in current's REVISION file, when it has one. */
  currentSha?: string | null;
  releases: ReleaseInfo[];
  /** Release directories that are neither successful nor current (left by an interrupted run). */
  leftovers: string[];
  /** PM2's `.deploys` (short shas, oldest first) when PM2 deployed this path before. */
  pm2Deploys: string[];
  /** Every release the ledger and the disk know, newest first, with how its deploy ended. */
  ledger?: LedgerEntry[];
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
  for (const revision of revisions) {
    if (revision.release !== null && revision.result === 'success' && revision.action === 'deploy') served.set(revision.release, revision);
  }
  const bad = badReleases(revisions);
  const dirs = state['@releases'].filter(isReleaseName).sort();
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

// The ledger of a host as `pmx deploy <env> list` shows it: every release its revisions log and
// its disk know, newest first, with time, sha, ref, user, how its deploy ended and which is
// current; and the fleet's view, one table when every host says the same.
import { PM2_SOURCE, releaseStamp } from './remote-paths.js';
import type { HostHistory, LedgerEntry, LedgerResult, Revision, RevisionResult } from './history-types.js';

export type { LedgerEntry, LedgerResult } from './history-types.js';

const RESULT: Record<RevisionResult, LedgerResult> = {
  success: 'ok',
  failed: 'failed',
  'rolled-back': 'rolled back',
  cancelled: 'aborted',
  aborted: 'aborted',
  bad: 'bad',
};

/** The host's entries, newest first: releases on disk, and every attempt since the oldest of them. */
export function ledgerOf(history: HostHistory, revisions: Revision[]): LedgerEntry[] {
  const onDisk = new Set([...history.releases.map((r) => r.name), ...history.leftovers]);
  const entries = new Map<string, LedgerEntry>();
  for (const revision of revisions) {
    if (revision.action !== 'deploy') continue;
    const key = revision.release ?? `@${revision.time}`;
    entries.set(key, {
      release: revision.release,
      sha: revision.sha,
      time: revision.time,
      ref: revision.ref,
      user: revision.user,
      result: RESULT[revision.result] ?? 'failed',
      current: false,
      onDisk: revision.release !== null && onDisk.has(revision.release),
      message: revision.message ?? null,
    });
  }
  for (const release of [...history.releases.map((r) => r.name), ...history.leftovers]) {
    if (entries.has(release)) continue;
    const info = history.releases.find((r) => r.name === release);
    const pm2 = release === PM2_SOURCE;
    entries.set(release, { release, sha: info?.sha ?? null, time: null, ref: null, user: null, result: pm2 ? 'ok' : 'unrecorded', current: false, onDisk: true, message: pm2 ? 'deployed by PM2' : null });
  }
  for (const revision of revisions) {
    const entry = revision.action === 'mark-bad' && revision.release !== null ? entries.get(revision.release) : undefined;
    if (entry) [entry.result, entry.message] = ['bad', revision.message ?? `marked bad by ${revision.user}`];
  }
  const current = history.current !== null ? entries.get(history.current) : undefined;
  if (current) current.current = true;
  const sorted = [...entries.values()].sort((a, b) => stampOf(b).localeCompare(stampOf(a)));
  const kept = sorted.filter((entry) => entry.onDisk && entry.release !== PM2_SOURCE);
  const oldest = kept.length > 0 ? stampOf(kept[kept.length - 1]!) : null;
  return sorted.filter((entry) => entry.onDisk || oldest === null || stampOf(entry) >= oldest);
}

/** The fleet's ledger: one list when every host has the same entries (release, sha, result, current), else null. */
export function mergedLedger(ledgers: LedgerEntry[][]): LedgerEntry[] | null {
  if (ledgers.length === 0) return null;
  // a release one host no longer holds makes its table its own: "every host has the same releases" would not be true
  const key = (ledger: LedgerEntry[]): string => JSON.stringify(ledger.map((e) => [e.release, e.sha, e.result, e.current, e.onDisk]));
  const first = key(ledgers[0]!);
  return ledgers.every((ledger) => key(ledger) === first) ? ledgers[0]! : null;
}

// releases sort by their name's time; attempts without a release by their record's time; PM2's checkout first
function stampOf(entry: LedgerEntry): string {
  if (entry.release === PM2_SOURCE) return '';
  if (entry.release !== null) return entry.release;
  const time = entry.time ? new Date(entry.time) : null;
  return time && !Number.isNaN(time.getTime()) ? releaseStamp(time) : '';
}

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
  const firstLine = new Map<string, number>();
  for (const [index, revision] of revisions.entries()) {
    if (revision.action !== 'deploy') continue;
    const key = revision.release ?? `@${revision.time}`;
    if (!firstLine.has(key)) firstLine.set(key, index);
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
  // newest first, in the order the ledger recorded them (a name's time is the deploying machine's clock)
  const sorted = inDeployOrder([...entries.keys()], (key) => firstLine.get(key) ?? null, (key) => stampOf(entries.get(key)!)).reverse().map((key) => entries.get(key)!);
  const oldest = sorted.reduce((last, entry, index) => (entry.onDisk && entry.release !== PM2_SOURCE ? index : last), -1);
  return sorted.filter((entry, index) => entry.onDisk || oldest < 0 || index <= oldest);
}

/**
 * Items oldest first: those the ledger has a line for in the order of their lines (`line`), the
 * others (a release on disk that no line names, PM2's checkout) put by their stamp before the
 * first recorded one whose stamp is later.
 */
export function inDeployOrder<T>(items: T[], line: (item: T) => number | null, stamp: (item: T) => string): T[] {
  const recorded = items.filter((item) => line(item) !== null).sort((a, b) => line(a)! - line(b)!);
  const others = items.filter((item) => line(item) === null).sort((a, b) => stamp(a).localeCompare(stamp(b)));
  const ordered: T[] = [];
  for (const item of recorded) {
    while (others.length > 0 && stamp(others[0]!) < stamp(item)) ordered.push(others.shift()!);
    ordered.push(item);
  }
  return [...ordered, ...others];
}

/** The fleet's ledger: one list when every host has the same entries (release, sha, result, current), else null. */
export function mergedLedger(ledgers: LedgerEntry[][]): LedgerEntry[] | null {
  if (ledgers.length === 0) return null;
  // a release one host no longer holds makes its table its own: "every host has the same releases" would not be true
  const key = (ledger: LedgerEntry[]): string => JSON.stringify(ledger.map((e) => [e.release, e.sha, e.result, e.current, e.onDisk]));
  const first = key(ledgers[0]!);
  return ledgers.every((ledger) => key(ledger) === first) ? ledgers[0]! : null;
}

// a release's stamp is its name's time; an attempt without a release, its record's time; PM2's checkout first
function stampOf(entry: LedgerEntry): string {
  if (entry.release === PM2_SOURCE) return '';
  if (entry.release !== null) return entry.release;
  const time = entry.time ? new Date(entry.time) : null;
  return time && !Number.isNaN(time.getTime()) ? releaseStamp(time) : '';
}

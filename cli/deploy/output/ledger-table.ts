// `pmx deploy <env> list`: the release ledger as a table (release, sha, time, ref, user, result,
// current), one table for the fleet when every host says the same, otherwise one per host. Every
// field comes from the hosts and is escaped before it reaches the terminal.
import { displayWidth, type Style } from '../../output/style.js';
import type { HostOutcome } from '../events.js';
import { mergedLedger, type LedgerEntry } from '../ledger.js';
import type { HostHistory } from '../revisions.js';
import { remoteText } from './format.js';

const HEADER = ['', 'release', 'sha', 'time', 'ref', 'user', 'result'];

/** The tables of a `list` run. */
export function renderLedgers(outcomes: HostOutcome[], style: Style): string[] {
  const read = outcomes.filter((o) => isHistory(o.data));
  const ledgers = read.map((o) => (o.data as HostHistory).ledger ?? []);
  const merged = read.length === outcomes.length && read.length > 1 ? mergedLedger(ledgers) : null;
  if (merged) return [style.bold(`all ${read.length} hosts (${read.map((o) => o.host).join(', ')}) have the same releases:`), ...table(merged, style), ...pm2Line(read[0]!, style)];
  const lines: string[] = [];
  for (const outcome of read) {
    lines.push(`${style.bold(outcome.host)} ${style.gray(`(${outcome.address})`)}`, ...table((outcome.data as HostHistory).ledger ?? [], style), ...pm2Line(outcome, style));
  }
  return lines;
}

function table(entries: LedgerEntry[], style: Style): string[] {
  if (entries.length === 0) return ['  no release yet'];
  // a release the ledger says went well but the host no longer holds (removed by hand) is no revert target: said so
  const result = (e: LedgerEntry): string => (e.result === 'ok' && e.release !== null && !e.onDisk ? 'ok, not on disk' : e.result);
  const rows = entries.map((e) => [e.current ? '*' : ' ', e.release ?? '-', e.sha ? e.sha.slice(0, 7) : '-', e.time ? e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-', e.ref ?? '-', e.user ?? '-', result(e)].map(remoteText));
  const widths = HEADER.map((head, column) => Math.max(displayWidth(head), ...rows.map((row) => displayWidth(row[column]!))));
  const line = (cells: string[]): string => `  ${cells.map((cell, column) => cell + ' '.repeat(widths[column]! - displayWidth(cell))).join('  ').trimEnd()}`;
  const colour = (entry: LedgerEntry, text: string): string => (entry.result === 'ok' ? (entry.current ? style.green(text) : text) : entry.result === 'aborted' ? style.gray(text) : style.red(text));
  return [style.gray(line(HEADER)), ...rows.map((row, index) => colour(entries[index]!, line(row)))];
}

function pm2Line(outcome: HostOutcome, style: Style): string[] {
  const deploys = (outcome.data as HostHistory).pm2Deploys;
  return deploys.length > 0 ? [style.gray(`  PM2's earlier deploys (.deploys): ${remoteText(deploys.join(' '))}`)] : [];
}

function isHistory(data: unknown): data is HostHistory {
  return typeof data === 'object' && data !== null && Array.isArray((data as HostHistory).releases);
}

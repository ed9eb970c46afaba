// The wording of fleet commands: the merged process table with a host column, each host's output
// under its name, the per-host outcome of an action and its summary line.
import { maskDeep } from '../deploy/secret-mask.js';
import type { ExecResult } from '../transport/types.js';
import type { HostFailureKind, HostResult } from '../fleet/fleet.js';
import type { FleetProcess } from '../fleet/run-pmx.js';
import { listLayout, sortByName, type ListOptions } from './list.js';
import { printable } from './style.js';
import { type Cell, renderTable } from './table.js';

/** One table for the whole fleet: the hosts in the environment's order, each host's processes by name; a host that did not answer is a row saying why. */
export function renderFleetList(results: readonly HostResult<FleetProcess[]>[], opts: ListOptions): string {
  const procs = results.flatMap((result) => (result.ok ? result.value : []));
  const layout = listLayout(procs, opts);
  const { style } = layout;
  const blank = (host: string, text: Cell): Cell[] => [{ text: printable(host), paint: style.bold }, ...layout.columns.map((_, index) => (index === layout.nameIndex ? text : { text: '' }))];
  const rows = results.flatMap((result): Cell[][] => {
    if (!result.ok) return [blank(result.host, { text: printable(failureText(result)), paint: style.red })];
    if (result.value.length === 0) return [blank(result.host, { text: 'no processes', paint: style.gray })];
    return sortByName(result.value).map((proc) => [{ text: printable(result.host), paint: style.bold }, ...layout.cells(proc)]);
  });
  // the name column also says why a host has no process: it grows to hold that, where PM2's is fixed
  const columns = layout.columns.map((column, index) => (index === layout.nameIndex ? { header: column.header, minWidth: column.width } : column));
  return renderTable([{ header: 'host', minWidth: 4, shrink: true }, ...columns], rows, { style, maxWidth: layout.maxWidth });
}

/** Each host's output under a line naming the host (describe). */
export function renderPerHost(results: readonly HostResult<ExecResult>[]): string {
  return results
    .map((result) => {
      const body = result.ok ? [result.value.stdout.trimEnd(), result.value.stderr.trimEnd()].filter((text) => text !== '').join('\n') : `[PMX][ERROR] ${failureText(result)}`;
      return `── ${result.host} ──\n${body}`;
    })
    .join('\n');
}

/** What an action did on each host: the host's own messages prefixed with its name (its table left out), or why it failed. */
export function renderActionLines(results: readonly HostResult<ExecResult>[]): string[] {
  return results.flatMap((result) => {
    if (!result.ok) return [`${result.host} | [PMX][ERROR] ${failureText(result)}`];
    const lines = `${result.value.stdout}\n${result.value.stderr}`.split('\n').filter((line) => line.trim() !== '' && !isTableLine(line));
    const failed = result.value.code === 0 ? [] : [`${result.host} | [PMX][ERROR] exited with code ${result.value.code}`];
    return [...lines.map((line) => `${result.host} | ${line}`), ...failed];
  });
}

/** One line: on how many hosts the command worked, and which failed. */
export function renderActionSummary(command: string, environment: string, results: readonly HostResult<ExecResult>[]): string {
  const failed = results.filter((result) => !actionSucceeded(result)).map((result) => result.host);
  const done = `${results.length - failed.length} of ${results.length} host${results.length === 1 ? '' : 's'}`;
  return failed.length === 0 ? `[PMX] ${command} on ${environment}: done on ${done}` : `[PMX][ERROR] ${command} on ${environment}: done on ${done}; failed on ${failed.join(', ')}`;
}

/** An action worked on a host when its pmx ran there and exited 0. */
export function actionSucceeded(result: HostResult<ExecResult>): boolean {
  return result.ok && result.value.code === 0;
}

/** Why a host has no result: `unreachable: <reason>` or `error: <reason>`. */
export function failureText(result: { failure: HostFailureKind; reason: string }): string {
  return `${result.failure}: ${result.reason}`;
}

/** A line a host prints for a fleet command whose output is followed (logs). */
export function hostLine(host: string, line: string): string {
  return `${host} | ${line}`;
}

/** A line of `pmx logs --json` from a host: the same JSON object with the host in it, so each line stays JSON; `mask` applies to each string in it. */
export function hostJsonLine(host: string, line: string, mask: (text: string) => string = (text) => text): string {
  try {
    const entry: unknown = JSON.parse(line);
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) return JSON.stringify({ host, ...maskDeep(entry, mask) });
  } catch {
    // not a log entry (a message from the host's pmx): said as text
  }
  return JSON.stringify({ host, message: mask(line) });
}

// the process table a host's pmx prints after an action; the merged table replaces it
function isTableLine(line: string): boolean {
  return /^[┌│├└]/.test(line);
}

// The `pmx ls` table, with PM2's columns, order and colours.
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { formatBytes, formatCpu, formatUptime, isWatching, statusPaint } from './format.js';
import { displayWidth, printable, type Style, styleFor } from './style.js';
import { type Cell, type Column, renderTable } from './table.js';

/** How the list is rendered; `columns` and `now` default to the terminal's width and the clock. */
export interface ListOptions {
  color: boolean;
  /** Terminal width; below 120 the condensed columns are shown, as PM2 does. */
  columns?: number;
  /** ms since epoch, for uptimes. */
  now?: number;
}

/** PM2 switches to the condensed table below this terminal width. */
export const CONDENSED_BELOW = 120;

type Field = (proc: ProcessDescription, style: Style, now: number) => Cell;

// Content widths are PM2's column widths (`app_head`) less the two padding spaces.
const FIELDS = {
  id: { column: { header: 'id', minWidth: 3 }, cell: (p, s) => ({ text: String(p.pm_id), paint: (t) => s.bold(s.cyan(t)) }) },
  name: { column: { header: 'name', minWidth: 9, shrink: true }, cell: (p) => ({ text: printable(p.name) }) },
  namespace: { column: { header: 'namespace', minWidth: 11, shrink: true }, cell: (p) => ({ text: printable(p.pm2_env.namespace) }) },
  version: { column: { header: 'version', minWidth: 7, shrink: true }, cell: (p) => ({ text: printable(p.pm2_env.version ?? 'N/A') }) },
  mode: { column: { header: 'mode', minWidth: 7 }, cell: mode },
  pid: { column: { header: 'pid', minWidth: 8 }, cell: (p) => ({ text: String(p.pid) }) },
  uptime: { column: { header: 'uptime', minWidth: 6 }, cell: uptime },
  restarts: { column: { header: '↺', minWidth: 4 }, cell: (p) => ({ text: String(p.pm2_env.restart_time) }) },
  status: { column: { header: 'status', minWidth: 9 }, cell: (p, s) => ({ text: p.pm2_env.status, paint: statusPaint(p.pm2_env.status, s) }) },
  cpu: { column: { header: 'cpu', minWidth: 8 }, cell: (p) => ({ text: formatCpu(p.monit.cpu) }) },
  mem: { column: { header: 'mem', minWidth: 8 }, cell: (p) => ({ text: formatBytes(p.monit.memory) }) },
  memory: { column: { header: 'memory', minWidth: 8 }, cell: (p) => ({ text: formatBytes(p.monit.memory) }) },
  user: { column: { header: 'user', minWidth: 8, shrink: true }, cell: (p, s) => ({ text: printable(p.pm2_env.username), paint: s.bold }) },
  watching: { column: { header: 'watching', minWidth: 8 }, cell: watching },
} satisfies Record<string, { column: Column; cell: Field }>;

type FieldKey = keyof typeof FIELDS;

const FULL: readonly FieldKey[] = ['id', 'name', 'namespace', 'version', 'mode', 'pid', 'uptime', 'restarts', 'status', 'cpu', 'mem', 'user', 'watching'];
const CONDENSED: readonly FieldKey[] = ['id', 'name', 'mode', 'restarts', 'status', 'cpu', 'memory'];

/** The process table of `pmx ls`: header row alone when there is no process; below it, the processes whose logs are not being written. */
export function renderList(procs: readonly ProcessDescription[], opts: ListOptions): string {
  const layout = listLayout(procs, opts);
  const table = renderTable(layout.columns, sortByName(procs).map(layout.cells), { style: layout.style, maxWidth: layout.maxWidth });
  return [table, ...logWriteFailures(procs, layout.style)].join('\n');
}

/** One warning line per process whose output is being dropped because a log file cannot be written. */
function logWriteFailures(procs: readonly ProcessDescription[], style: Style): string[] {
  return sortByName(procs)
    .filter((proc) => proc.pm2_env.pmx_log_error)
    .map((proc) => style.red(`[PMX][WARN] ${printable(proc.name)} (id ${proc.pm_id}): logs are not being written: ${printable(proc.pm2_env.pmx_log_error!)}`));
}

/** The columns and cells of the list, for tables that add columns of their own (the fleet's host). */
export interface ListLayout {
  columns: Column[];
  /** The index of the name column, where a row about something other than a process can say so. */
  nameIndex: number;
  cells: (proc: ProcessDescription) => Cell[];
  style: Style;
  maxWidth: number | undefined;
}

/** The layout `renderList` draws for these processes and options. */
export function listLayout(procs: readonly ProcessDescription[], opts: ListOptions): ListLayout {
  const style = styleFor(opts.color);
  const now = opts.now ?? Date.now();
  const maxWidth = opts.columns ?? process.stdout.columns;
  const fields = (maxWidth !== undefined && maxWidth < CONDENSED_BELOW ? CONDENSED : FULL).map((key) => FIELDS[key]);
  // PM2 leaves three spare columns after the longest name.
  const longest = procs.reduce((max, proc) => Math.max(max, displayWidth(printable(proc.name))), 0);
  const columns = fields.map(({ column }): Column => (column === FIELDS.name.column ? { ...column, minWidth: Math.max(column.minWidth, longest + 3) } : column));
  const nameIndex = fields.findIndex((field) => field === FIELDS.name);
  return { columns, nameIndex, cells: (proc) => fields.map(({ cell }) => cell(proc, style, now)), style, maxWidth };
}

/** PM2's order: by name, then by id (jlist order) within a name. */
export function sortByName(procs: readonly ProcessDescription[]): ProcessDescription[] {
  return [...procs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.pm_id - b.pm_id));
}

function mode(proc: ProcessDescription, style: Style): Cell {
  return proc.pm2_env.exec_mode === 'cluster_mode'
    ? { text: 'cluster', paint: (text) => style.bold(style.blue(text)) }
    : { text: 'fork', paint: (text) => style.bold(style.inverse(text)) };
}

function uptime(proc: ProcessDescription, _style: Style, now: number): Cell {
  const { status, pm_uptime } = proc.pm2_env;
  return { text: status === 'online' && pm_uptime ? formatUptime(now - pm_uptime) : '0' };
}

function watching(proc: ProcessDescription, style: Style): Cell {
  return isWatching(proc.pm2_env) ? { text: 'enabled', paint: (text) => style.bold(style.green(text)) } : { text: 'disabled', paint: style.gray };
}

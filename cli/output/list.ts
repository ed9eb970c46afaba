// The `pmx ls` table, with PM2's columns, order and colours.
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { formatBytes, formatCpu, formatUptime, healthMark, isWatching, statusPaint } from './format.js';
import { displayWidth, printable, type Style, styleFor } from './style.js';
import { type Cell, type Column, renderTable } from './table.js';

/** How the list is rendered; `columns` and `now` default to the terminal's width and the clock. */
export interface ListOptions {
  color: boolean;
  /** Terminal width; PM2 picks the widest of its three layouts that fits (300 when not a terminal). */
  columns?: number;
  /** ms since epoch, for uptimes. */
  now?: number;
  /** PM2's `--sort <field[:asc|desc]>`; by name (then id) when absent. */
  sort?: ListSort;
}

/** A sort order PM2's `ls --sort` knows. */
export interface ListSort {
  field: SortField;
  descending: boolean;
}

/** PM2's sort fields (`pm2-ls.js`), and what each reads. */
const SORT_FIELDS = {
  name: (p: ProcessDescription) => p.name,
  namespace: (p: ProcessDescription) => p.pm2_env.namespace,
  pid: (p: ProcessDescription) => p.pid,
  id: (p: ProcessDescription) => p.pm_id,
  cpu: (p: ProcessDescription) => p.monit.cpu,
  memory: (p: ProcessDescription) => p.monit.memory,
  uptime: (p: ProcessDescription) => p.pm2_env.pm_uptime ?? 0,
  status: (p: ProcessDescription) => p.pm2_env.status,
} satisfies Record<string, (proc: ProcessDescription) => string | number>;

export type SortField = keyof typeof SORT_FIELDS;

/** `--sort name:desc` as PM2 reads it; null for a field it does not know (PM2 then sorts by name). */
export function parseSort(text: string): ListSort | null {
  const [field = '', order = 'asc'] = text.split(':');
  const key = field.toLowerCase();
  if (!Object.hasOwn(SORT_FIELDS, key)) return null;
  return { field: key as SortField, descending: order === 'desc' };
}

/** `procs` in `sort`'s order (PM2's: by name by default), the id breaking ties. */
export function sortList(procs: readonly ProcessDescription[], sort: ListSort | undefined): ProcessDescription[] {
  if (!sort) return sortByName(procs);
  const read = SORT_FIELDS[sort.field];
  return [...procs].sort((a, b) => {
    const x = read(a);
    const y = read(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return (sort.descending ? -order : order) || a.pm_id - b.pm_id;
  });
}

type Field = (proc: ProcessDescription, style: Style, now: number) => Cell;

const FIELDS = {
  id: { header: 'id', cell: (p, s) => ({ text: String(p.pm_id), paint: (t) => s.bold(s.cyan(t)) }) },
  name: { header: 'name', cell: (p) => ({ text: printable(p.name) }) },
  namespace: { header: 'namespace', cell: (p) => ({ text: printable(p.pm2_env.namespace) }) },
  version: { header: 'version', cell: (p) => ({ text: printable(p.pm2_env.version ?? 'N/A') }) },
  mode: { header: 'mode', cell: mode },
  pid: { header: 'pid', cell: (p) => ({ text: String(p.pid) }) },
  uptime: { header: 'uptime', cell: uptime },
  restarts: { header: '↺', cell: (p) => ({ text: String(p.pm2_env.restart_time) }) },
  status: { header: 'status', cell: status },
  cpu: { header: 'cpu', cell: (p) => ({ text: formatCpu(p.monit.cpu) }) },
  mem: { header: 'mem', cell: (p) => ({ text: formatBytes(p.monit.memory) }) },
  memory: { header: 'memory', cell: (p) => ({ text: formatBytes(p.monit.memory) }) },
  user: { header: 'user', cell: (p, s) => ({ text: printable(p.pm2_env.username), paint: s.bold }) },
  watching: { header: 'watching', cell: watching },
} satisfies Record<string, { header: string; cell: Field }>;

type FieldKey = keyof typeof FIELDS;

/** PM2 7's layouts (`pm2-ls.js`): each column's width with its padding; id and name are sized from the list. */
type Layout = Array<[FieldKey, number]>;

/** PM2's name column: the longest name + 5, at most 40 (11 for an empty list). */
const NAME_COLUMN_MAX = 40;

function layouts(procs: readonly ProcessDescription[]): Layout[] {
  const longest = procs.reduce((max, proc) => Math.max(max, displayWidth(printable(proc.name))), 0);
  const name = procs.length > 0 ? Math.min(longest + 5, NAME_COLUMN_MAX) : 11;
  const id = Math.max(2 + Math.max(0, ...procs.map((proc) => String(proc.pm_id || 0).length)), 4);
  const full: Layout = [['id', id], ['name', name], ['namespace', 13], ['version', 9], ['mode', 9], ['pid', 10], ['uptime', 8], ['restarts', 6], ['status', 11], ['cpu', 10], ['mem', 10], ['user', 10], ['watching', 10]];
  const condensed: Layout = [['id', id], ['name', Math.min(name, 20)], ['mode', 10], ['restarts', 6], ['status', 11], ['cpu', 10], ['memory', 10]];
  const mini: Layout = [['id', id], ['name', Math.min(name, 16)], ['status', 11], ['cpu', 8], ['mem', 10]];
  return [full, condensed, mini];
}

/** A layout's width on screen: its columns and a border between each. */
const layoutWidth = (layout: Layout): number => layout.reduce((sum, [, width]) => sum + width, 0) + layout.length + 1;

/** The process table of `pmx ls`: header row alone when there is no process; below it, the processes whose logs are not being written. */
export function renderList(procs: readonly ProcessDescription[], opts: ListOptions): string {
  const layout = listLayout(procs, opts);
  const table = renderTable(layout.columns, sortList(procs, opts.sort).map(layout.cells), { style: layout.style, maxWidth: layout.maxWidth });
  return [table, ...logWriteFailures(procs, layout.style), ...stateWriteFailure(procs, layout.style)].join('\n');
}

/** One warning line while the agent cannot write its state file (every process carries the same reason). */
function stateWriteFailure(procs: readonly ProcessDescription[], style: Style): string[] {
  const why = procs.find((proc) => proc.pm2_env.pmx_state_error)?.pm2_env.pmx_state_error;
  return why ? [style.red(`[PMX][WARN] ${printable(why)}: if the agent dies before it is written, the next agent will not know what changed since (a stop, a delete, a restart's new process)`)] : [];
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

/** The layout `renderList` draws: PM2's widest layout that fits the terminal, with its fixed column widths. */
export function listLayout(procs: readonly ProcessDescription[], opts: ListOptions): ListLayout {
  const style = styleFor(opts.color);
  const now = opts.now ?? Date.now();
  const terminal = opts.columns ?? process.stdout.columns ?? 300;
  const candidates = layouts(procs);
  const layout = candidates.find((candidate) => terminal >= layoutWidth(candidate)) ?? candidates.at(-1)!;
  const columns = layout.map(([key, width]): Column => ({ header: FIELDS[key].header, width: width - 2 }));
  const nameIndex = layout.findIndex(([key]) => key === 'name');
  return { columns, nameIndex, cells: (proc) => layout.map(([key]) => FIELDS[key].cell(proc, style, now)), style, maxWidth: undefined };
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

/**
 * The status, and after it the health check's mark when the app has one (`online ✓`, `online ✗`);
 * a held-back restart (`waiting restart`) shows the time left before it, short enough for the column (`wait 14s`).
 */
function status(proc: ProcessDescription, style: Style, now: number): Cell {
  const { status, health, pmx_restart_at: restartAt } = proc.pm2_env;
  if (status === 'waiting restart' && restartAt) return { text: `wait ${formatUptime(Math.max(1000, restartAt - now + 999))}`, paint: statusPaint(status, style) };
  const mark = status === 'online' && health ? healthMark(health.status, style) : null;
  return mark ? { text: `${status} ${mark.text}`, paint: mark.paint } : { text: status, paint: statusPaint(status, style) };
}

function uptime(proc: ProcessDescription, _style: Style, now: number): Cell {
  const { status, pm_uptime } = proc.pm2_env;
  return { text: status === 'online' && pm_uptime ? formatUptime(now - pm_uptime) : '0' };
}

function watching(proc: ProcessDescription, style: Style): Cell {
  return isWatching(proc.pm2_env) ? { text: 'enabled', paint: (text) => style.bold(style.green(text)) } : { text: 'disabled', paint: style.gray };
}

/** `pmx ls -m`: PM2's minimal list, a block of `key : value` lines per process, in id order (PM2's never sorts it, --sort or not). */
export function renderMiniList(procs: readonly ProcessDescription[], now = Date.now()): string {
  return [...procs]
    .sort((a, b) => a.pm_id - b.pm_id)
    .map((p) => {
      const env = p.pm2_env;
      const online = env.status === 'online' && env.pm_uptime;
      return [
        `+--- ${printable(p.name)}`,
        `namespace : ${printable(env.namespace)}`,
        `version : ${printable(env.version ?? 'N/A')}`,
        `pid : ${p.pid}`,
        `pm2 id : ${p.pm_id}`,
        `status : ${env.status}`,
        `mode : ${env.exec_mode.split('_mode')[0]}`,
        `restarted : ${env.restart_time ?? 0}`,
        `uptime : ${online ? formatUptime(now - env.pm_uptime!) : 0}`,
        `memory usage : ${formatBytes(p.monit.memory)}`,
        `error log : ${printable(String(env.pm_err_log_path))}`,
        `watching : ${isWatching(env) ? 'yes' : 'no'}`,
        `PID file : ${printable(String(env.pm_pid_path))}`,
        '',
      ].join('\n');
    })
    .join('\n');
}

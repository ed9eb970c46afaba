// What `pmx monit` draws: one full frame of plain text and ANSI colours from the process list,
// the selection and the selected process's latest log lines. Pure, so it is tested without a
// terminal; cli/commands/monit.ts owns the terminal itself.
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { formatBytes, formatCpu, formatUptime, statusPaint } from './format.js';
import { type Style, displayWidth, printable, truncate } from './style.js';

/** One line of a process's log as monit shows it. */
export interface LogLine {
  stream: 'out' | 'err';
  text: string;
}

/** Everything one frame is drawn from. */
export interface MonitState {
  procs: ProcessDescription[];
  /** Index into `procs` of the selected process. */
  selected: number;
  logs: LogLine[];
  /** Total memory of the machine: the scale of the memory bars. */
  totalMemory: number;
  now: number;
  /** Why the list could not be refreshed, shown until it can. */
  problem: string | null;
}

const BAR_WIDTH = 10;

/** The frame as `rows` lines, each at most `columns` wide. */
export function renderMonit(state: MonitState, columns: number, rows: number, style: Style): string[] {
  // the upper half for the list and the metrics, the lower half for the logs
  const listRows = Math.max(3, Math.floor((rows - 3) / 2));
  const metricsWidth = Math.max(30, Math.floor(columns * 0.4));
  const listWidth = Math.max(20, columns - metricsWidth - 1);
  const list = processList(state, listWidth, listRows, style);
  const metrics = metricsPanel(state.procs[state.selected], state.now, metricsWidth, listRows, style);
  const top = Array.from({ length: listRows }, (_, i) => `${pad(list[i] ?? '', listWidth)}${style.gray('│')}${metrics[i] ?? ''}`);
  const selected = state.procs[state.selected];
  const logTitle = selected ? ` logs of ${printable(selected.name)} (id ${selected.pm_id}) ` : ' logs ';
  const logRows = Math.max(0, rows - 2 - top.length - 1);
  const logs = state.logs.slice(-logRows).map((line) => {
    const text = truncate(printable(line.text), columns);
    return line.stream === 'err' ? style.red(text) : text;
  });
  const title = state.problem ? style.red(truncate(` pmx monit: ${state.problem}`, columns)) : style.bold(' pmx monit');
  const keys = style.gray('↑/↓ or j/k select · q quit ');
  return [
    pad(title, columns - displayWidth(keys)) + keys,
    ...top,
    style.gray(rule(logTitle, columns)),
    ...logs,
    ...Array.from({ length: Math.max(0, logRows - logs.length) }, () => ''),
    style.gray(rule('', columns)),
  ].slice(0, rows);
}

function processList(state: MonitState, width: number, rows: number, style: Style): string[] {
  // marker 2, id 4, status 8, cpu bar and value 17, memory bar and value 18, 5 separating spaces
  const nameWidth = Math.max(6, width - 54);
  const header = style.gray(`  ${'id'.padEnd(4)} ${'name'.padEnd(nameWidth)} ${'status'.padEnd(8)} ${'cpu'.padEnd(BAR_WIDTH + 7)} mem`);
  if (state.procs.length === 0) return [header, style.gray('  no processes: start one with `pmx start <script>`')];
  // keep the selected process in view when the list is longer than the panel
  const visible = rows - 1;
  const first = Math.min(Math.max(0, state.selected - visible + 1), Math.max(0, state.procs.length - visible));
  const lines = state.procs.slice(first, first + visible).map((proc, offset) => {
    const index = first + offset;
    const online = proc.pm2_env.status === 'online';
    const marker = index === state.selected ? style.bold('▶ ') : '  ';
    const name = pad(truncate(printable(proc.name), nameWidth), nameWidth);
    const status = statusPaint(proc.pm2_env.status, style)(pad(truncate(proc.pm2_env.status, 8), 8));
    const cpu = online ? `${bar(proc.monit.cpu / 100, style)} ${formatCpu(proc.monit.cpu).padStart(6)}` : ' '.repeat(BAR_WIDTH + 7);
    const mem = online ? `${bar(proc.monit.memory / state.totalMemory, style)} ${formatBytes(proc.monit.memory).padStart(7)}` : '';
    const line = `${marker}${String(proc.pm_id).padEnd(4)} ${name} ${status} ${cpu} ${mem}`;
    return index === state.selected ? style.inverse(line) : line;
  });
  return [header, ...lines];
}

function metricsPanel(proc: ProcessDescription | undefined, now: number, width: number, rows: number, style: Style): string[] {
  if (!proc) return [];
  const env = proc.pm2_env;
  const online = env.status === 'online';
  const entries: Array<[string, string]> = [
    ['name', printable(proc.name)],
    ['namespace', printable(env.namespace)],
    ['status', env.status],
    ['pid', online ? String(proc.pid) : 'N/A'],
    ['uptime', online && env.pm_uptime ? formatUptime(now - env.pm_uptime) : '0'],
    ['restarts', String(env.restart_time)],
    ['CPU', formatCpu(proc.monit.cpu)],
    ['memory', formatBytes(proc.monit.memory)],
    ...Object.entries(env.axm_monitor ?? {}).map(([key, metric]): [string, string] => [printable(key), `${metric.value}${metric.unit ? ` ${metric.unit}` : ''}`]),
  ];
  const keyWidth = Math.min(24, Math.max(...entries.map(([key]) => displayWidth(key))));
  return entries.slice(0, rows).map(([key, value]) => ` ${style.cyan(pad(truncate(key, keyWidth), keyWidth))} ${truncate(value, Math.max(0, width - keyWidth - 2))}`);
}

/** A bar of BAR_WIDTH cells for a fraction from 0 to 1: green, yellow past half, red past 80%. */
function bar(fraction: number, style: Style): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(clamped * BAR_WIDTH);
  const paint = clamped > 0.8 ? style.red : clamped > 0.5 ? style.yellow : style.green;
  return paint('█'.repeat(filled)) + style.gray('░'.repeat(BAR_WIDTH - filled));
}

function rule(title: string, width: number): string {
  const left = `──${title}`;
  return truncate(left, width) + '─'.repeat(Math.max(0, width - displayWidth(left)));
}

/** `text` padded with spaces to `width` columns (ANSI sequences take none). */
function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

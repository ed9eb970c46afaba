// `pmx describe` (PM2's key/value table) and `pmx env` (the process's environment).
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { describeEvent, describeHealth, describeHealthCheck, describeNotice } from './health.js';
import { formatBytes, formatCpu, formatUptime, isWatching, statusPaint } from './format.js';
import { printable, styleFor } from './style.js';
import { type Cell, renderTable } from './table.js';

/** How a description is rendered; `now` and `nodeVersion` default to the clock and this node. */
export interface DescribeOptions {
  color: boolean;
  /** ms since epoch, for the uptime. */
  now?: number;
  /** Shown as `node.js version` when the process runs under node and its description has none. */
  nodeVersion?: string;
}

const NODE_INTERPRETER = /(?:^|[\\/])node(?:\.exe)?$/;

/** The title line, the key/value table and the hints of `pmx describe`. */
export function renderDescribe(proc: ProcessDescription, opts: DescribeOptions): string {
  const style = styleFor(opts.color);
  const env = proc.pm2_env;
  const now = opts.now ?? Date.now();
  const text = (value: string | number | null | undefined): Cell => ({ text: value === null || value === undefined || value === '' ? 'N/A' : printable(String(value)) });
  const list = (values: readonly string[]): Cell => text(values.length > 0 ? values.join(' ') : null);

  // PM2's rows in PM2's order (max memory and cron restart after `restarts`, the combined log after
  // `uptime`), then pmx's own: kill timeout, the last exit, the last error
  const rows: Array<[string, Cell]> = [
    ['status', { text: env.status, paint: statusPaint(env.status, style) }],
    ['name', text(env.name)],
    ['namespace', text(env.namespace)],
    ['version', text(env.version)],
    ['restarts', text(env.restart_time)],
  ];
  // PM2 shows the number of bytes
  if (env.max_memory_restart > 0) rows.push(['max memory restart', text(env.max_memory_restart)]);
  if (env.cron_restart) rows.push(['cron restart', text(env.cron_restart)]);
  rows.push(['uptime', text(env.status === 'online' && env.pm_uptime ? formatUptime(now - env.pm_uptime) : 0)]);
  if (env.pm_log_path) rows.push(['entire log path', text(env.pm_log_path)]);
  rows.push(
    ['script path', text(env.pm_exec_path)],
    ['script args', list(env.args)],
    ['error log path', text(env.pm_err_log_path)],
    ['out log path', text(env.pm_out_log_path)],
    ['pid path', text(env.pm_pid_path)],
    ['interpreter', text(env.exec_interpreter)],
    ['interpreter args', list(env.node_args.length > 0 ? env.node_args : env.interpreter_args)],
    ['script id', text(env.pm_id)],
    ['exec cwd', text(env.pm_cwd)],
    ['exec mode', text(env.exec_mode)],
    ['node.js version', text(NODE_INTERPRETER.test(env.exec_interpreter) ? (env.node_version ?? opts.nodeVersion ?? process.versions.node) : null)],
    ['node env', text(env.env.NODE_ENV)],
    ['watch & reload', isWatching(env) ? { text: '✔', paint: (t) => style.bold(style.green(t)) } : { text: '✘' }],
    ['unstable restarts', text(env.unstable_restarts)],
    ['created at', text(env.created_at !== null && Number.isFinite(env.created_at) ? new Date(env.created_at).toISOString() : null)],
  );
  rows.push(['kill timeout', text(`${env.kill_timeout}ms`)]);
  if (env.hang_timeout) rows.push(['hang timeout', text(`${env.hang_timeout}ms`)]);
  if (env.health_check) rows.push(['health check', text(describeHealthCheck(env.health_check))]);
  if (env.health) rows.push(['health', text(describeHealth(env.health, now))]);
  if (env.watchdog) rows.push(['watchdog', text(`${env.watchdog}ms`)]);
  if (env.pmx_notify) rows.push(['notify', text(describeNotice(env.pmx_notify))]);
  for (const event of env.pmx_events ?? []) rows.push([event.outcome === 'errored' ? `${event.event}, errored` : event.outcome === 'stopped' ? `${event.event}, stopped` : `${event.event} restart`, text(describeEvent(event))]);
  if (env.last_exit) rows.push(['last exit', text(describeExit(env.last_exit))]);
  if (env.pmx_error) rows.push(['last error', { text: printable(env.pmx_error), paint: style.red }]);
  if (env.pmx_log_error) rows.push(['log writing', { text: printable(`failing: ${env.pmx_log_error}`), paint: style.red }]);

  const table = renderTable(
    [{ header: 'key' }, { header: 'value' }],
    rows.map(([key, cell]) => [{ text: key, paint: (t: string) => style.bold(style.cyan(t)) }, cell]),
    { style, header: false },
  );
  const name = printable(env.name);
  return [
    style.bold(style.inverse(` Describing process with id ${env.pm_id} - name ${name} `)),
    table,
    ...(env.status === 'online' ? [renderMetrics(proc, style)] : []),
    style.italic(` Use \`pmx logs ${name} [--lines 1000]\` to display logs`),
    style.italic(` Use \`pmx env ${env.pm_id}\` to display environment variables`),
  ].join('\n');
}

/**
 * PM2's "Code metrics value" table: CPU and memory of the process tree, then the Node runtime
 * metrics of `axm_monitor` (heap, event-loop delay, handles, HTTP) when the app reports them.
 */
function renderMetrics(proc: ProcessDescription, style: ReturnType<typeof styleFor>): string {
  const rows: Array<[string, string]> = [
    ['CPU usage', formatCpu(proc.monit.cpu)],
    ['Memory', formatBytes(proc.monit.memory)],
    ...Object.entries(proc.pm2_env.axm_monitor ?? {}).map(([key, metric]): [string, string] => [key, `${metric.value}${metric.unit ? ` ${metric.unit}` : ''}`]),
  ];
  const table = renderTable(
    [{ header: 'key' }, { header: 'value' }],
    rows.map(([key, value]) => [{ text: printable(key), paint: (t: string) => style.bold(style.cyan(t)) }, { text: printable(value) }]),
    { style, header: false },
  );
  return `${style.bold(style.inverse(' Code metrics value '))}\n${table}`;
}

/** `KEY: value` lines of the process's environment, sorted by key, as `pmx env <id>` prints them. */
export function renderEnv(proc: ProcessDescription, opts: { color?: boolean } = {}): string {
  const style = styleFor(opts.color === true);
  // what PM2's env prints besides the app's variables: its instance number, namespace, ids, versions and PM2 Plus flags
  const pm2 = proc.pm2_env;
  const env: Record<string, string> = {
    NODE_APP_INSTANCE: String(pm2.NODE_APP_INSTANCE),
    namespace: pm2.namespace,
    unique_id: pm2.unique_id,
    version: pm2.version || 'N/A',
    ...(pm2.node_version ? { node_version: pm2.node_version } : {}),
    km_link: 'false',
    vizion_running: 'false',
    ...pm2.env,
  };
  return Object.keys(env)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${printable(key)}: ${style.green(printable(env[key] ?? ''))}`)
    .join('\n');
}

/** `code 3 at 2026-01-01T10:00:00.000Z` or `signal SIGKILL at ...`. */
function describeExit(exit: { code: number | null; signal: string | null; at: number }): string {
  return `${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} at ${new Date(exit.at).toISOString()}`;
}

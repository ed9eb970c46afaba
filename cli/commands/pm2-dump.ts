// What `pmx import pm2` reads from a PM2 home: the process list of its dump (dump.pm2, one entry per
// process, as `pm2 save` wrote it) as ecosystem apps, and the pm2-logrotate settings of its
// module_conf.json as pmx's per-app `log_rotate`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../client/errors.js';
import { guardChain, guardPath } from '../../agent/protocol/home-guard.js';

/** One process as PM2's dump holds it (its pm2_env). */
type DumpEntry = Record<string, unknown> & { name?: unknown; env?: unknown };

/** PM2's keys an ecosystem app takes as they are. */
const SAME_KEYS = [
  'namespace', 'args', 'node_args', 'exec_mode', 'autorestart', 'watch', 'ignore_watch', 'watch_delay', 'max_memory_restart', 'cron_restart',
  'max_restarts', 'min_uptime', 'kill_timeout', 'restart_delay', 'exp_backoff_restart_delay', 'wait_ready', 'listen_timeout',
  'shutdown_with_message', 'stop_exit_codes', 'merge_logs', 'log_date_format', 'log_type', 'instance_var', 'increment_var', 'pmx',
];

/** Variables PM2 puts in every app's environment for itself; an app of pmx does not get them. */
const PM2_OWN = /^(PM2_|pm_id$|unique_id$|NODE_APP_INSTANCE$)/;

/**
 * The dump's entries: dump.pm2, or its .bak copy when the dump is unreadable (as PM2's resurrect
 * does). A dump another user owns or may write is refused, as pmx's own are (home-guard.ts): its
 * apps would run as the user who imports them.
 */
export function readPm2Dump(pm2Home: string): DumpEntry[] {
  const torn: string[] = [];
  for (const name of ['dump.pm2', 'dump.pm2.bak']) {
    const file = join(pm2Home, name);
    // checked before it is read (a missing file passes): what is read is what was checked
    guardChain(file, 'run pmx import as the user who owns that PM2 home, or name another with --pm2-home');
    guardPath(file, 'file');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // missing: the next candidate
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.filter((entry): entry is DumpEntry => !!entry && typeof entry === 'object' && typeof (entry as DumpEntry).name === 'string');
    } catch {
      // torn: the next candidate
    }
    torn.push(file);
  }
  if (torn.length > 0) throw new CliError(`no PM2 process list could be read: ${torn.join(' and ')} ${torn.length === 1 ? 'is' : 'are'} torn or not a list`, { code: 'NOT_FOUND', hint: 'run `pm2 save` again while PM2 runs your apps' });
  throw new CliError(`no PM2 process list in ${pm2Home} (dump.pm2)`, { code: 'NOT_FOUND', hint: 'run `pm2 save` first, or name another home with --pm2-home' });
}

/** PM2's pm2-logrotate settings as a pmx `log_rotate`, or null when the module was never configured. */
export function pm2LogRotate(pm2Home: string): Record<string, unknown> | null {
  let conf: unknown;
  try {
    conf = JSON.parse(readFileSync(join(pm2Home, 'module_conf.json'), 'utf8'));
  } catch {
    return null;
  }
  const settings = (conf as Record<string, unknown> | null)?.['pm2-logrotate'];
  if (!settings || typeof settings !== 'object') return null;
  const s = settings as Record<string, unknown>;
  const rotation: Record<string, unknown> = {};
  if (s.max_size !== undefined) rotation.max_size = s.max_size;
  if (s.retain !== undefined) rotation.retain = Number(s.retain);
  if (s.compress !== undefined) rotation.compress = s.compress === true || s.compress === 'true';
  if (s.rotateInterval !== undefined) rotation.rotate_interval = s.rotateInterval;
  if (s.dateFormat !== undefined) rotation.date_format = s.dateFormat;
  return rotation;
}

/** The dump's processes as ecosystem apps: one app per name, its instances counted, PM2's own log paths left to pmx. */
export function dumpToApps(entries: DumpEntry[], pm2Home: string, logRotate: Record<string, unknown> | null): Record<string, unknown>[] {
  const byName = new Map<string, DumpEntry[]>();
  for (const entry of entries) byName.set(String(entry.name), [...(byName.get(String(entry.name)) ?? []), entry]);
  return [...byName.entries()].map(([name, group]) => {
    const first = group[0]!;
    const app: Record<string, unknown> = { name, script: first.pm_exec_path, cwd: first.pm_cwd };
    for (const key of SAME_KEYS) if (first[key] !== undefined && first[key] !== null) app[key] = first[key];
    if (first.exec_interpreter !== undefined && first.exec_interpreter !== null) app.interpreter = first.exec_interpreter;
    if (first.exec_mode === 'cluster_mode' || group.length > 1) app.instances = group.length;
    // stopped in PM2 (every instance): registered stopped, as `pm2 resurrect` leaves it, never run by the import
    if (group.every((entry) => entry.status === 'stopped')) app.autostart = false;
    app.env = ownEnv(first.env);
    const logs = join(pm2Home, 'logs') + '/';
    const ownPath = (path: unknown): string | undefined => {
      if (typeof path !== 'string' || path.startsWith(logs)) return undefined;
      // PM2 saved the path with its -<id>; pmx adds the new id itself
      return first.merge_logs ? path : path.replace(/-\d+\.log$/, '.log');
    };
    const out = ownPath(first.pm_out_log_path);
    const err = ownPath(first.pm_err_log_path);
    const combined = ownPath(first.pm_log_path);
    if (out) app.out_file = out;
    if (err) app.error_file = err;
    if (combined) app.log_file = combined;
    if (logRotate) app.log_rotate = logRotate;
    return app;
  });
}

function ownEnv(env: unknown): Record<string, string> {
  if (!env || typeof env !== 'object') return {};
  return Object.fromEntries(Object.entries(env as Record<string, unknown>).filter(([key, value]) => !PM2_OWN.test(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')).map(([key, value]) => [key, String(value)]));
}

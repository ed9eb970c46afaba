// Which paths a watched app ignores: its `ignore_watch` globs, or PM2's default (dot files and
// node_modules) when it lists none, and always its own log and pid files, whose writes would
// otherwise restart it forever when they live under the watched directory.
import { basename, dirname, extname, isAbsolute, join, relative } from 'node:path';
import type { AgentHome } from '../protocol/home.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { globToRegExp } from './glob.js';

/** PM2's `ignored` when an app sets no ignore_watch: `/[\/\\]\.|node_modules/`. */
const PM2_DEFAULT_IGNORED = /[/\\]\.|node_modules/;

/** Tells whether an absolute path is ignored. */
export type IgnoreTest = (path: string) => boolean;

/**
 * The ignore test of one app. A glob is relative to the app's cwd (as in PM2, whose chokidar runs
 * with `cwd: pm_cwd`); a glob without a slash also matches a single name anywhere (`*.log`,
 * `node_modules`). A directory that is ignored hides everything below it.
 */
export function ignoreTest(spec: AppSpec, isOwn: IgnoreTest): IgnoreTest {
  const globs = spec.ignore_watch.map((entry) => {
    const glob = asPm2Reads(entry);
    const name = glob.replace(/^\/+/, ''); // '\\.git' is '/.git': `.git` in the cwd, or anywhere as a name
    return {
      path: globToRegExp(isAbsolute(entry) ? glob : join(spec.cwd, glob)),
      name: isAbsolute(entry) || name.includes('/') ? null : globToRegExp(name),
    };
  });
  const byGlob = (path: string): boolean => globs.some(({ path: full, name }) => full.test(path) || (name !== null && name.test(basename(path))));
  // tested below the cwd, so that an app deployed under a dot directory still sees its changes
  const byDefault = (path: string): boolean => {
    const inside = relative(spec.cwd, path);
    return PM2_DEFAULT_IGNORED.test(inside.startsWith('..') ? path : `/${inside}`);
  };
  const matches = globs.length > 0 ? byGlob : byDefault;
  return (path) => isOwn(path) || matches(path);
}

/**
 * An ignore_watch entry as PM2's chokidar reads it: every backslash a '/' (its toUnix, before the
 * entry is joined to the cwd), so PM2's documented regex-style `'\\.git'` is the `.git` folder.
 */
function asPm2Reads(entry: string): string {
  return entry.replace(/\\/g, '/');
}

/**
 * Whether `path` is one of `files` (an app's log and pid files) or a rotation of one of them
 * (`out__2026-12-06_10-00-00.log`, compressed or not), or pmx's own: a file at the top of its home
 * (agent.log, agent.state, dump.pmx, ...) or under its logs, pids, pipes or notify folders. pmx's
 * writes never restart an app, and an app that lives in a folder of the home still restarts.
 */
export function ownedBy(files: Iterable<string>, home: AgentHome, path: string): boolean {
  if (dirname(path) === home.root) return true;
  if ([home.logs, home.pids, home.pipes, home.notify].some((dir) => path === dir || path.startsWith(`${dir}/`))) return true;
  for (const file of files) {
    if (path === file) return true;
    const ext = extname(file);
    if (path.startsWith(`${file.slice(0, file.length - ext.length)}__`)) return true;
  }
  return false;
}

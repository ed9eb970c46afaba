// `watch`: one watch per app name, alive while the app is watched and not stopped by the user. A
// burst of changes (events closer together than watch_delay) restarts the app once, or reloads it
// without downtime in cluster mode.
import { resolve } from 'node:path';
import type { AppSpec } from '../protocol/app-spec.js';
import type { Registry } from '../registry.js';
import type { SupervisedProcess } from '../process/supervised.js';
import { ProcessState } from '../process/states.js';
import { reloadProcesses, restartProcesses } from '../operations.js';
import { ignoreTest, ownedBy, type IgnoreTest } from './ignore.js';
import { TreeWatcher } from './tree-watcher.js';

/** True when the spec asks for watching (`watch: true`, or a non-empty list of paths). */
export function watches(spec: AppSpec): boolean {
  return Array.isArray(spec.watch) ? spec.watch.length > 0 : spec.watch;
}

/** The absolute paths an app watches: its cwd for `watch: true`, else the listed paths under its cwd. */
export function watchedPaths(spec: AppSpec): string[] {
  return Array.isArray(spec.watch) ? spec.watch.map((path) => resolve(spec.cwd, path)) : [spec.cwd];
}

/** Keeps the registry's watched apps watched; the agent holds one of these. */
export class AppWatchers {
  private readonly apps = new Map<string, AppWatch>();

  constructor(
    private readonly registry: Registry,
    private readonly log: (line: string) => void,
  ) {
    registry.added.add((proc) => this.follow(proc));
    for (const proc of registry.all()) this.follow(proc);
    // what already runs (adopted after the agent died) changes status no more: its watch starts now
    for (const name of new Set(registry.all().map((proc) => proc.spec.name))) this.sync(name);
  }

  /** Ends every watch (the agent is stopping). */
  closeAll(): void {
    for (const app of this.apps.values()) app.close();
    this.apps.clear();
  }

  private follow(proc: SupervisedProcess): void {
    const name = proc.spec.name;
    proc.on('status', () => this.sync(name));
    // 'removed' is emitted before the registry forgets the process: look again once it has
    proc.once('removed', () => queueMicrotask(() => this.sync(name)));
  }

  /** Brings the watch of app `name` in line with its processes. An errored app stays watched: a fix on disk restarts it. */
  private sync(name: string): void {
    const spec = this.registry.named(name).find((proc) => proc.status !== ProcessState.STOPPED && watches(proc.spec))?.spec;
    const current = this.apps.get(name);
    const key = spec ? watchKey(spec) : null;
    if (current?.key === key) return;
    current?.close();
    this.apps.delete(name);
    // as PM2 says it: a stop ends watching (`pmx stop`), and so does a delete
    if (current && !spec) this.log(`watch: stopped watching ${name}`);
    // the app's own files are looked up at each change: a scale adds instances with files of their own
    if (spec) this.apps.set(name, new AppWatch(spec, key!, (path) => ownedBy(this.ownFiles(name), this.registry.home, path), () => this.registry.now(), (since) => this.changed(spec, since), this.log));
  }

  private ownFiles(name: string): string[] {
    return this.registry.named(name).flatMap(({ logTargets: t, pidFile }) => [t.out, t.err, t.combined, pidFile].filter((file): file is string => file !== null));
  }

  /** Restarts (reloads) app `spec` for changes, the last of them seen at `since`. */
  private async changed(spec: AppSpec, since: number): Promise<void> {
    // per instance: one being stopped is either stopped by the user (a restart would undo that) or
    // in a restart, whose new process loads the changed files anyway; one the user stopped stays
    // stopped (its watching ended with its stop); the others restart, an errored one included
    const all = this.registry.named(spec.name);
    const leftAlone = (proc: SupervisedProcess): boolean => proc.status === ProcessState.STOPPING || (proc.status === ProcessState.STOPPED && !proc.endedByItself);
    // one launched since the last change runs the changed files already: a deploy's post-deploy
    // `pmx startOrRestart` right after its switch of `current` restarted a watching app twice
    const fresh = all.filter((proc) => !leftAlone(proc) && proc.launchedSince(since));
    const acting = all.filter((proc) => !leftAlone(proc) && !fresh.includes(proc));
    const left = all.filter(leftAlone);
    if (acting.length === 0) {
      this.log(`watch: ${spec.name} ${fresh.length === all.length ? 'was restarted since the change' : 'is being stopped or restarted'}: the change is left to that`);
      return;
    }
    if (fresh.length > 0) this.log(`watch: ${fresh.map((proc) => `id ${proc.id}`).join(', ')} of ${spec.name} started since the change: ${fresh.length === 1 ? 'it runs' : 'they run'} the changed files`);
    if (left.length > 0) this.log(`watch: ${left.map((proc) => `id ${proc.id}`).join(', ')} of ${spec.name} ${left.length === 1 ? 'is' : 'are'} stopped, or being stopped or restarted: the change is left to that; the other instances ${spec.exec_mode === 'cluster_mode' ? 'reload' : 'restart'}`);
    try {
      if (spec.exec_mode === 'cluster_mode') await reloadProcesses(this.registry, acting, undefined);
      else await restartProcesses(this.registry, acting, undefined);
      this.log(`watch: ${spec.name} ${spec.exec_mode === 'cluster_mode' ? 'reloaded' : 'restarted'}`);
    } catch (error) {
      this.log(`watch: ${spec.name}: ${(error as Error).message}`);
    }
  }
}

/** The watch of one app: its trees and the timer that turns a burst of changes into one restart. */
class AppWatch {
  private readonly trees: TreeWatcher[];
  private timer: NodeJS.Timeout | null = null;
  private firstChange: string | null = null;
  /** When the last change of this burst was seen: a process launched since runs on every change of it. */
  private lastChangeAt = 0;
  /** The trees the changes of this burst came from. */
  private readonly changed = new Set<TreeWatcher>();

  constructor(
    private readonly spec: AppSpec,
    /** What the watch was built from: a spec with another key needs a new watch. */
    readonly key: string,
    isOwn: IgnoreTest,
    private readonly now: () => number,
    /** Restarts the app for changes, the last of them seen at the time given. */
    private readonly restart: (since: number) => Promise<void>,
    private readonly log: (line: string) => void,
  ) {
    const ignored = ignoreTest(spec, isOwn);
    this.trees = watchedPaths(spec).map((root, index) => new TreeWatcher(root, ignored, (path) => this.onChange(this.trees[index]!, path), log));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const tree of this.trees) tree.close();
  }

  private onChange(tree: TreeWatcher, path: string): void {
    this.firstChange ??= path;
    this.lastChangeAt = this.now();
    this.changed.add(tree);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const changed = [...this.changed];
      this.changed.clear();
      // a folder of the app deleted or renamed away (half of a deploy's swap, perhaps): its return
      // is a change of its own, and the restart waits for it, so that the app starts on its files;
      // a change in another watched path restarts the app all the same (a folder gone for good
      // must not turn the app's whole watch off)
      if (changed.every((one) => one.vanished)) {
        this.firstChange = null;
        return this.log(`watch: ${changed[0]!.root} is missing: ${this.spec.name} is restarted when it is back`);
      }
      const how = this.spec.exec_mode === 'cluster_mode' ? 'reloading' : 'restarting';
      this.log(`watch: change detected on ${this.firstChange} for app ${this.spec.name} - ${how}`);
      this.firstChange = null;
      void this.restart(this.lastChangeAt);
    }, this.spec.watch_delay);
  }
}

function watchKey(spec: AppSpec): string {
  return JSON.stringify([spec.cwd, spec.watch, spec.ignore_watch, spec.watch_delay, spec.exec_mode]);
}

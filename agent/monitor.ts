// Periodic sampling of every running process tree's CPU and memory, which also enforces
// max_memory_restart; and cron_restart schedules.
//
// Reading every process of the machine each second was most of the agent's CPU with 50 apps (a
// few hundred /proc reads a second), so the whole table is read only every FULL_SCAN_EVERY
// samples, or when an app is new; in between each tree is walked from its root through
// /proc/<pid>/task/<pid>/children, plus the members the last full read found outside it
// (process-group members that were re-parented). A child that a non-main thread forked is seen
// at the next full read.
import type { Cron } from 'croner';
import { TICKS_PER_SECOND, processTree, readTree, canReadChildren, sharedTable, type ProcessRow } from './os/process-tree.js';
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { isDormant, isServing, isUnattended } from './process/states.js';

/**
 * The share of one core the sampler may use: a sample that took d ms is followed by the next
 * after d / BUDGET ms at the soonest. With a few dozen apps a sample takes well under a
 * millisecond and the interval holds; with 1,000 it takes tens of milliseconds, and samples (and
 * max_memory_restart checks) come every few seconds instead of costing the agent a core's 5 %.
 */
const BUDGET = 0.015;
/** Samples between two reads of the whole process table. */
const FULL_SCAN_EVERY = 10;
/**
 * How long, in sampling intervals, an app must stay over max_memory_restart before it is restarted
 * (10 s at the default 1 s): a peak at start-up (a cache filled, then freed) restarted the app at
 * each start, forever, where PM2, which looks every 30 s, never saw it. Still sooner than PM2's 30.
 */
const MEMORY_OVER_FOR = 10;

/** Samples CPU and memory every `intervalMs` (less often when sampling would cost more than BUDGET); returns a function that stops it. */
export function startMonitor(registry: Registry, intervalMs: number, log: (line: string) => void): () => void {
  const previous = new Map<number, { ticks: number; at: number }>();
  /** Pid -> when the samples began to find it over max_memory_restart (one under the limit clears it). */
  const overSince = new Map<number, number>();
  const overFor = intervalMs * MEMORY_OVER_FOR;
  /** Root pid -> the tree the last full read found. */
  const known = new Map<number, Map<number, ProcessRow>>();
  const walkable = canReadChildren();
  let sinceFullScan = FULL_SCAN_EVERY;
  let timer: NodeJS.Timeout;
  const next = (delay: number): void => {
    timer = setTimeout(tick, delay);
    timer.unref();
  };
  const tick = (): void => {
    // process.hrtime, not performance.now(): the global `performance` loads perf_hooks (about 1 MB of resident memory)
    const began = process.hrtime.bigint();
    sample();
    next(Math.max(intervalMs, Number(process.hrtime.bigint() - began) / 1e6 / BUDGET));
  };
  const sample = (): void => {
    const running = registry.all().filter((proc) => proc.pid > 0 && isServing(proc.status));
    if (running.length === 0) return;
    const full = !walkable || sinceFullScan >= FULL_SCAN_EVERY || running.some((proc) => !known.has(proc.pid));
    sinceFullScan = full ? 1 : sinceFullScan + 1;
    const snapshot = full ? sharedTable() : null;
    const table = snapshot?.table ?? null;
    const index = snapshot?.index ?? null;
    if (full) known.clear();
    const now = Date.now();
    for (const proc of running) {
      let tree: Map<number, ProcessRow>;
      if (table && index) {
        tree = new Map(processTree(proc.pid, table, true, index).map((pid) => [pid, table.get(pid)!]));
        known.set(proc.pid, tree);
      } else {
        tree = readTree(proc.pid, known.get(proc.pid)!);
      }
      proc.sampledTree = [...tree].filter(([pid]) => pid !== proc.pid).map(([pid, row]) => ({ pid, startTicks: row.startTicks }));
      let ticks = 0;
      let memory = 0;
      for (const row of tree.values()) {
        ticks += row.ticks;
        memory += row.rss;
      }
      const last = previous.get(proc.pid);
      const cpu = last && now > last.at ? ((ticks - last.ticks) / TICKS_PER_SECOND / ((now - last.at) / 1000)) * 100 : 0;
      previous.set(proc.pid, { ticks, at: now });
      proc.measure({ memory, cpu: Math.max(0, Math.round(cpu * 10) / 10) });
      enforceMemoryLimit(proc, memory, now, overSince, overFor, log);
    }
    const runningPids = new Set(running.map((proc) => proc.pid));
    for (const pid of previous.keys()) if (!runningPids.has(pid)) previous.delete(pid);
    for (const pid of overSince.keys()) if (!runningPids.has(pid)) overSince.delete(pid);
    for (const pid of known.keys()) if (!runningPids.has(pid)) known.delete(pid);
  };
  next(intervalMs);
  return () => clearTimeout(timer);
}

/**
 * Measures `proc`'s current child at once, when the monitor has not come to it yet (a list asked
 * right after a start or a restart showed 0 bytes, where PM2 measures at the request): the tree's
 * RSS, and its CPU time over its life so far, as a first pidusage reading gives it.
 */
export function measureNow(proc: SupervisedProcess): void {
  if (proc.pid <= 0 || proc.measured) return;
  let ticks = 0;
  let memory = 0;
  for (const row of readTree(proc.pid, new Map()).values()) {
    ticks += row.ticks;
    memory += row.rss;
  }
  if (memory === 0) return; // gone meanwhile
  const lived = (Date.now() - proc.lifecycle.startedAt) / 1000;
  const cpu = lived > 0 ? (ticks / TICKS_PER_SECOND / lived) * 100 : 0;
  proc.measure({ memory, cpu: Math.max(0, Math.round(cpu * 10) / 10) });
}

/** Restarts `proc` once every sample for `overFor` ms found it over its max_memory_restart. */
function enforceMemoryLimit(proc: SupervisedProcess, memory: number, now: number, overSince: Map<number, number>, overFor: number, log: (line: string) => void): void {
  const limit = proc.spec.max_memory_restart;
  // during a reload the replacement is what renews the process
  if (limit <= 0 || memory <= limit || !isUnattended(proc.status)) {
    overSince.delete(proc.pid);
    return;
  }
  const since = overSince.get(proc.pid);
  if (since === undefined) overSince.set(proc.pid, now);
  if (since === undefined || now - since < overFor) return;
  overSince.delete(proc.pid);
  log(`${proc.spec.name} (id ${proc.id}) uses ${memory} bytes, over max_memory_restart ${limit} for ${Math.round((now - since) / 1000)} s: restarting`);
  proc.dispatch({ type: 'restart' });
}

/** Keeps one cron job per process with a cron_restart expression. */
export class CronRestarts {
  /** Per process: its expression, and its job (null: an expression croner refused, said once). */
  private readonly jobs = new Map<number, { expression: string; job: Cron | null }>();

  /** croner, loaded the first time an app has a cron_restart (most agents never need it). */
  private cron: typeof Cron | null = null;

  /** Brings the jobs in line with the registry's current processes. */
  sync(registry: Registry, log: (line: string) => void): void {
    if (!this.cron) {
      if (registry.all().some((proc) => proc.spec.cron_restart)) {
        void import('croner').then(({ Cron }) => {
          this.cron = Cron;
          this.sync(registry, log);
        });
      }
      return;
    }
    const CronJob = this.cron;
    const seen = new Set<number>();
    for (const proc of registry.all()) {
      const expression = proc.spec.cron_restart;
      if (!expression) continue;
      seen.add(proc.id);
      if (this.jobs.get(proc.id)?.expression === expression) continue;
      this.jobs.get(proc.id)?.job?.stop();
      let job: Cron;
      try {
        job = new CronJob(expression, () => {
          // a running process, or one that ended by itself (a job: autorestart off); not one a command stopped
          if (!isUnattended(proc.status) && !(proc.endedByItself && isDormant(proc.status))) return;
          log(`${proc.spec.name} (id ${proc.id}): cron_restart '${expression}'`);
          proc.dispatch({ type: 'restart' });
        });
      } catch (error) {
        // a spec no CLI check saw (the socket, an old dump): this app gets no schedule, the agent goes on
        log(`${proc.spec.name} (id ${proc.id}): cron_restart '${expression}' is not a cron expression (${(error as Error).message}): no schedule`);
        // kept without a job, so that it is said once, not at every change
        this.jobs.set(proc.id, { expression, job: null });
        continue;
      }
      this.jobs.set(proc.id, { expression, job });
    }
    for (const [id, { job }] of this.jobs) {
      if (seen.has(id)) continue;
      job?.stop();
      this.jobs.delete(id);
    }
  }

  stopAll(): void {
    for (const { job } of this.jobs.values()) job?.stop();
    this.jobs.clear();
  }
}

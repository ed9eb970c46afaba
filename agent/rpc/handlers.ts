// One handler per request method: validates params, calls the operation, returns the result.
import type { Methods, Method, Selector } from '../protocol/types.js';
import { PROTOCOL_VERSION } from '../protocol/types.js';
import { AgentFault } from '../fault.js';
import type { Registry } from '../registry.js';
import type { AgentHome } from '../protocol/home.js';
import { describeJson, describeProcess } from '../describe.js';
import { RawJson } from '../protocol/framing.js';
import { deleteProcesses, reloadProcesses, resetProcesses, restartProcesses, scaleApp, signalProcesses, startApps, stopProcesses } from '../operations.js';
import { writeDump } from '../dump.js';
import { sendToProcess } from '../send-data.js';
import { restoreDump } from '../resurrect.js';
import { PMX_VERSION } from '../version.js';
import { EXIT_RESTART } from '../protocol/launch.js';
import type { SupervisedProcess } from '../process/supervised.js';
import { ProcessState, isDormant, isSettled, publicStatus } from '../process/states.js';
import type { DumpEntry } from '../dump-entry.js';
import { emptyLog } from '../logs/log-open.js';
import { selectorProblem } from '../protocol/selector.js';
import type { Dashboards } from '../dashboard/dashboards.js';
import type { MetricsEndpoint } from '../metrics/endpoint.js';
import type { ProcessEvents, ToldAction } from '../events.js';

/** What handlers may use besides the registry. */
export interface AgentContext {
  registry: Registry;
  home: AgentHome;
  log: (line: string) => void;
  /** Stops every process and ends the agent, with `exitCode`, once the reply is sent. */
  shutdown: (exitCode?: number) => Promise<number>;
  /** The agent runs in the foreground (pmx-runtime: an init system's service, a container's main process). */
  foreground: boolean;
  /** What runs a foreground agent and would start it again (supervisorOf), or null. */
  supervisor: string | null;
  /** Called after any change to the process list (cron jobs follow it). */
  changed: () => void;
  /** The web dashboards this agent serves. */
  dashboards: Dashboards;
  /** The Prometheus endpoint, listening or not. */
  metrics: MetricsEndpoint;
  /** What the bus's subscribers are told (the socket server subscribes their connections). */
  events: ProcessEvents;
  /**
   * Run before each answer: ends now what the launches that ended left (the sweep otherwise waits a
   * few ms for others to join it) and writes the state file if a change waits, so that what the
   * caller is told ("stopped") is true on the machine and survives an agent crash.
   */
  beforeAnswer?: () => void;
  /** True once the agent has begun stopping every process to end (pmx kill, SIGTERM). */
  stopping?: () => boolean;
}

/** A handler answers its method's result; `list`'s may come already serialized (large, and read by no one in the agent). */
type Result<M extends Method> = M extends 'list' | 'start' ? Methods[M]['result'] | RawJson<Methods[M]['result']> : Methods[M]['result'];
type Handlers = { [M in Method]: (params: Methods[M]['params'], ctx: AgentContext) => Promise<Result<M>> | Result<M> };

const describeAll = (ctx: AgentContext, procs: SupervisedProcess[], brief = false) => procs.map((proc) => describeProcess(proc, brief));

/** Tells the bus what a command did to `procs`, once done (as PM2's client tells its daemon), and hands them on. */
function told(ctx: AgentContext, action: ToldAction, procs: SupervisedProcess[]): SupervisedProcess[] {
  ctx.events.told(action, procs);
  return procs;
}

export const handlers: Handlers = {
  hello: (_params, ctx) => ({ protocol: PROTOCOL_VERSION, version: PMX_VERSION, pid: process.pid, home: ctx.home.root, foreground: ctx.foreground, supervisor: ctx.supervisor }),

  list: ({ brief }, ctx) => describeJson(ctx.registry.all(), brief === true),

  start: async ({ apps, mode, updateEnv, given }, ctx) => {
    if (!Array.isArray(apps)) throw new AgentFault('start: apps must be an array', { code: 'INVALID_REQUEST' });
    for (const [index, app] of apps.entries()) await checkCron(app.cron_restart, `apps[${index}] ('${app.name}')`);
    const outcome = await startApps(ctx.registry, apps, mode, updateEnv, given ?? [], () => ctx.stopping?.() === true);
    ctx.changed();
    ctx.events.told('start', outcome.started);
    // as JSON text, each spec's made once (describeJson): the answer to a start of many apps built and
    // collected a copy of every spec twice (the processes started, and the list the CLI prints)
    const processes = describeJson(outcome.started).text;
    const all = describeJson(ctx.registry.all(), true).text;
    return new RawJson<Methods['start']['result']>(`{"processes":${processes},"alreadyRunning":${JSON.stringify(outcome.alreadyRunning)},"all":${all}}`);
  },

  stop: async ({ selector, watch }, ctx) => describeAll(ctx, told(ctx, 'stop', await stopProcesses(ctx.registry, checkSelector(selector), watch === true))),

  restart: async ({ selector, env, options }, ctx) => {
    await checkCron(options?.cron_restart, 'options');
    const procs = await restartProcesses(ctx.registry, checkSelector(selector), env, options);
    ctx.changed();
    return describeAll(ctx, told(ctx, 'restart', procs));
  },

  reload: async ({ selector, env, parallel, options }, ctx) => {
    await checkCron(options?.cron_restart, 'options');
    const procs = await reloadProcesses(ctx.registry, checkSelector(selector), env, parallel ?? 1, options);
    ctx.changed();
    return describeAll(ctx, told(ctx, 'reload', procs));
  },

  scale: async ({ name, count }, ctx) => {
    const procs = await scaleApp(ctx.registry, name, String(count), ctx.log);
    ctx.changed();
    return describeAll(ctx, procs);
  },

  delete: async ({ selector }, ctx) => {
    const procs = await deleteProcesses(ctx.registry, checkSelector(selector));
    ctx.changed();
    return describeAll(ctx, told(ctx, 'delete', procs));
  },

  reset: ({ selector }, ctx) => describeAll(ctx, resetProcesses(ctx.registry, checkSelector(selector))),

  signal: ({ selector, signal }, ctx) => describeAll(ctx, signalProcesses(ctx.registry, checkSelector(selector), signal)),

  save: ({ force }, ctx) => {
    const entries = ctx.registry.all().flatMap((proc) => savedAs(proc) ?? []);
    const warnings = writeDump(ctx.home.dump, entries, force);
    for (const warning of warnings) ctx.log(warning);
    ctx.log(`saved ${entries.length} processes to ${ctx.home.dump}`);
    return { file: ctx.home.dump, count: entries.length, warnings };
  },

  resurrect: async (_params, ctx) => {
    const restored = await restoreDump(ctx.registry, ctx.home.dump, ctx.log, () => ctx.stopping?.() === true);
    await Promise.all(restored.processes.map((proc) => proc.waitFor(isSettled)));
    ctx.changed();
    return { processes: describeAll(ctx, restored.processes), file: restored.file, warnings: restored.warnings, alreadyPresent: restored.alreadyPresent, alreadyStopped: restored.alreadyStopped };
  },

  flush: ({ selector }, ctx) => {
    const procs = selector ? ctx.registry.select(checkSelector(selector)) : ctx.registry.all();
    const files = new Set<string>();
    for (const proc of procs) {
      for (const file of [proc.logTargets.out, proc.logTargets.err, proc.logTargets.combined]) {
        if (file && file !== '/dev/null') files.add(file);
      }
    }
    // as PM2's `flush` empties pm2.log: a flush of everything empties the agent's own log too
    if (!selector) files.add(ctx.home.logFile);
    // opened as the writer opens it: a link, FIFO, hard link or file of another user is left alone, and said
    const skipped: { file: string; reason: string }[] = [];
    for (const file of files) {
      const reason = emptyLog(file);
      if (reason === null) continue;
      skipped.push({ file, reason });
      ctx.log(`flush: ${file} left as it is: ${reason}`);
    }
    return { files: [...files].filter((file) => !skipped.some((left) => left.file === file)), skipped };
  },

  dashboard: ({ host, port }, ctx) =>
    ctx.dashboards.open(host, port, {
      registry: ctx.registry,
      act: async (action, id) => {
        const done = await handlers[action]({ selector: { kind: 'id', id } }, ctx);
        ctx.beforeAnswer?.();
        return done;
      },
      log: ctx.log,
    }),

  // the count is of processes, as the CLI says it (several share a merged file, one has up to three)
  reloadLogs: (_params, ctx) => {
    ctx.registry.logFiles.reopenAll();
    return { count: ctx.registry.all().length };
  },

  sendData: ({ id, packet }, ctx) => {
    if (!Number.isInteger(id) || !packet || typeof packet !== 'object') throw new AgentFault('sendData: an id and a packet object are required', { code: 'INVALID_REQUEST' });
    return sendToProcess(ctx.registry, id, packet);
  },

  kill: async ({ restart }, ctx) => ({ stopped: await ctx.shutdown(restart === true ? EXIT_RESTART : 0) }),

  // the server subscribes the connection once this answer is written; subscribers never take every
  // connection the socket holds (they are never idle, so never closed to make room)
  subscribe: (_params, ctx) => {
    if (ctx.events.size >= ctx.events.limit) {
      throw new AgentFault(`subscribe: ${ctx.events.limit} buses are subscribed already, the most this agent holds (the rest of its connections are kept for commands)`, { code: 'TOO_MANY_SUBSCRIBERS', data: { limit: ctx.events.limit } });
    }
    return { subscribed: true };
  },

  metrics: async (request, ctx) => {
    switch (request?.action) {
      case 'listen': {
        const { host, port } = request;
        if (typeof host !== 'string' || host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
          throw new AgentFault(`metrics: expected a host and a port from 0 to 65535, got ${JSON.stringify({ host, port })}`, { code: 'INVALID_REQUEST' });
        }
        const address = await ctx.metrics.listen({ host, port });
        ctx.log(`serving Prometheus metrics on ${address.host}:${address.port}`);
        return { address };
      }
      case 'close':
        await ctx.metrics.close();
        return { address: null };
      case 'status':
        return { address: ctx.metrics.address() };
      default:
        throw new AgentFault("metrics: action must be 'listen', 'close' or 'status'", { code: 'INVALID_REQUEST' });
    }
  },
};

/** The request's selector, checked by the one rule (params.ts checked it already; a handler called directly is held to it too). */
function checkSelector(selector: Selector | undefined): Selector {
  const problem = selectorProblem(selector);
  if (problem) throw new AgentFault(problem, { code: 'INVALID_REQUEST' });
  return selector!;
}

/**
 * Refuses a cron_restart croner cannot schedule, before anything changes (the CLI checks its files
 * and flags; a request on the socket may carry anything). croner is loaded only when one is given.
 */
async function checkCron(expression: string | null | undefined, where: string): Promise<void> {
  if (!expression) return;
  const { Cron } = await import('croner');
  try {
    new Cron(expression, { paused: true }).stop();
  } catch (error) {
    throw new AgentFault(`${where}: cron_restart must be a cron expression (${(error as Error).message}), got ${JSON.stringify(expression)}`, { code: 'INVALID_REQUEST' });
  }
}

/**
 * What a save records of `proc`: where the requests under way take it, not the step it is at (a
 * `stopping` entry would be started again by a resurrect): nothing for a delete under way, stopped
 * by a command for a stop, running for a restart or a start not launched yet; else its status.
 */
function savedAs(proc: SupervisedProcess): DumpEntry | null {
  const { status, pending, afterStop } = proc.lifecycle;
  const entry = { pm_id: proc.id, instance: proc.instance, spec: proc.spec };
  const stopping = status === ProcessState.STOPPING;
  if (pending?.goal === 'removed' || (stopping && afterStop === 'delete')) return null;
  if (pending?.goal === 'stopped' || (stopping && afterStop === 'stop')) return { ...entry, status: ProcessState.STOPPED, stopped_by: 'command' };
  if (stopping || proc.startOwed) return { ...entry, status: stopping && afterStop === 'errored' ? ProcessState.ERRORED : ProcessState.ONLINE };
  return { ...entry, status: publicStatus(status), ...(isDormant(status) && !proc.endedByItself ? { stopped_by: 'command' as const } : {}) };
}

// The programmatic API: `require('pmx')` / `import pmx from 'pmx'` gives PM2's API (connect, start,
// stop, restart, reload, delete, list, describe, dump, resurrect, flush, reloadLogs, reset, scale,
// launchBus, sendDataToProcessId, sendSignalToProcessName/Id, getProcessIdByName, getPID, ping,
// disconnect, killDaemon). Every method takes PM2's callback as its last argument and also returns
// a promise; processes come back in PM2's `jlist` shape, other results as PM2 gives them.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type AgentHome, resolveHome } from '../../agent/protocol/home.js';
import { PROTOCOL_VERSION, type Methods, type ProcessDescription, type Selector } from '../../agent/protocol/types.js';
import type { AgentConnection } from '../client/connection.js';
import { connectAgent, connectWithHello, waitForExit } from '../client/agent.js';
import { CliError } from '../client/errors.js';
import { isEcosystemFile } from '../ecosystem/find.js';
import { type Pm2Process, toPm2Shape } from '../output/pm2-shape.js';
import { restartsOnStart, selectedAmong, selectorFor } from '../commands/targets.js';
import { type Bus, startBus } from './bus.js';
import { type OperatedProcess, operated } from './operated.js';
import { StartErrors, UNKNOWN_ID, inPm2Words, namesNoProcess, pm2Errors, pm2LoadErrors, startCallback, type StartCallback } from './pm2-errors.js';
import { type AppsToStart, appsToStart, type StartOptions, type StartTarget } from './start-options.js';

export type { Bus, LogPacket, ProcessEventPacket, BusProcess } from './bus.js';
export type { Pm2Process, Pm2ShapedEnv } from '../output/pm2-shape.js';
export type { StartOptions, StartTarget } from './start-options.js';
export { StartErrors, type StartCallback } from './pm2-errors.js';
export type { OperatedProcess } from './operated.js';

/** What start, stop, restart, reload and delete answer: processes started in `jlist` shape, those acted on in PM2's short form. */
export type Acted = Pm2Process | OperatedProcess;

/** PM2's callback: an error, or the result. */
export type Callback<T> = (error: Error | null, result?: T) => void;

/** Which processes a call acts on: an id, a name, a namespace, 'all', a script path or an ecosystem file. */
export type Target = string | number;

/** Options of restart and reload: `updateEnv` takes the caller's environment, as `--update-env` does. */
export interface ActionOptions {
  updateEnv?: boolean;
}

/**
 * Options of a client, as PM2's `new pm2.custom(...)` takes them: `home` (or PM2's `pm2_home`) names
 * the agent's home, `independent` makes a new private one, `cwd` is where relative scripts are found.
 */
export interface ClientOptions {
  home?: string;
  pm2_home?: string;
  independent?: boolean;
  cwd?: string;
}

/** What connect() answers, as PM2's: whether this call started the agent, and where it listens. */
export interface ConnectResult {
  new_pm2_instance: boolean;
  pm2_home: string;
  rpc_socket_file: string;
  pub_socket_file: string;
  daemon_mode: true;
}

/** A pmx client, as PM2's API object: one agent (PMX_HOME, or `home`), one connection. */
export class Pmx {
  private readonly home: AgentHome;
  /** Where relative scripts are found: the `cwd` option, or the process's at each call. */
  private readonly cwd: string | null;
  private connection: AgentConnection | null = null;
  private startedAgent = false;
  private readonly buses = new Set<Bus>();
  /** The home was made by this client (`independent`): destroy() removes it. */
  private readonly ownHome: boolean;
  /** destroy() has run: no call reaches an agent again. */
  private destroyed = false;

  constructor(options: ClientOptions = {}) {
    const named = options.pm2_home ?? options.home;
    if (named && options.independent) throw new CliError('You cannot set a home and independent instance in same time', { code: 'BAD_ARGUMENT' });
    // as PM2's: a new home of its own (private, as every home), for tests and one-off scripts
    const home = options.independent ? mkdtempSync(join(tmpdir(), 'pmx-')) : named;
    this.ownHome = options.independent === true;
    this.home = resolveHome(home ? { ...process.env, PMX_HOME: resolve(home) } : process.env);
    this.cwd = options.cwd ? resolve(options.cwd) : null;
  }

  /** Connects to the agent, starting it if needed (PM2's `noDaemon` flag is accepted and ignored). */
  connect(noDaemonOrCallback?: boolean | Callback<ConnectResult>, cb?: Callback<ConnectResult>): Promise<ConnectResult> {
    return settle(typeof noDaemonOrCallback === 'function' ? noDaemonOrCallback : cb, async () => {
      await this.agent();
      return { new_pm2_instance: this.startedAgent, pm2_home: this.home.root, rpc_socket_file: this.home.socket, pub_socket_file: this.home.socket, daemon_mode: true as const };
    });
  }

  /** PM2's other names of disconnect. */
  close(cb?: Callback<void>): Promise<void> {
    return this.disconnect(cb);
  }

  /**
   * PM2's destroy: stops the agent and its apps; a client's own home (`independent: true`) is removed
   * with them, so that a test suite's clients leave nothing running or behind. (PM2 removes any home
   * there; pmx never removes one it did not make.)
   */
  destroy(cb?: Callback<void>): Promise<void> {
    return settle(cb, async () => {
      await this.killDaemon();
      // a call after this must not start an agent again in a home nothing would end
      this.destroyed = true;
      if (this.ownHome) rmSync(this.home.root, { recursive: true, force: true });
    });
  }

  /** Closes the connection (and any bus); the agent and the apps keep running. */
  disconnect(cb?: Callback<void>): Promise<void> {
    return settle(cb, async () => {
      for (const bus of this.buses) bus.close();
      this.buses.clear();
      this.connection?.close();
      this.connection = null;
    });
  }

  /**
   * Starts a script, an app given as PM2's options object (or a list of them, or `{ apps }`), or an
   * ecosystem file's apps; as PM2 does, an object's or a file's running apps restart, and a script
   * that runs already is refused; a registered name, namespace or id (or 'all') restarts. When apps
   * of a file or object have no script there, the others start and the callback gets PM2's list of
   * errors with the processes started (the promise rejects with a StartErrors holding both).
   */
  start(target: string | number | StartTarget, optionsOrCallback?: StartOptions | StartCallback<Acted[]>, cb?: StartCallback<Acted[]>): Promise<Acted[]> {
    const [options, callback] = typeof optionsOrCallback === 'function' ? [{}, optionsOrCallback] : [optionsOrCallback ?? {}, cb];
    return settle(startCallback(callback), async () => {
      const cwd = this.cwd ?? process.cwd();
      const word = typeof target === 'number' ? String(target) : target;
      if (typeof word === 'string' && !isEcosystemFile(word) && (await restartsOnStart(word, () => this.query('list', { brief: true })))) {
        return this.act('restart', word, { updateEnv: (options as { updateEnv?: boolean }).updateEnv === true });
      }
      const toStart = await pm2LoadErrors(appsToStart(word, options, cwd), cwd);
      return this.launch(toStart, Boolean((options as { updateEnv?: boolean }).updateEnv), cwd);
    });
  }

  /** Stops processes (and their watching, as PM2 does). */
  stop(target: Target, cb?: Callback<Acted[]>): Promise<Acted[]> {
    return settle(cb, async () => this.act('stop', target, {}));
  }

  /** Restarts processes; an ecosystem file restarts its apps with its options and environment. */
  restart(target: Target | StartTarget, optionsOrCallback?: ActionOptions | StartCallback<Acted[]>, cb?: StartCallback<Acted[]>): Promise<Acted[]> {
    const [options, callback] = typeof optionsOrCallback === 'function' ? [{}, optionsOrCallback] : [optionsOrCallback ?? {}, cb];
    return settle(startCallback(callback), async () => this.act('restart', target, options));
  }

  /** Reloads processes (zero-downtime in cluster mode, a restart in fork mode). */
  reload(target: Target | StartTarget, optionsOrCallback?: ActionOptions | StartCallback<Acted[]>, cb?: StartCallback<Acted[]>): Promise<Acted[]> {
    const [options, callback] = typeof optionsOrCallback === 'function' ? [{}, optionsOrCallback] : [optionsOrCallback ?? {}, cb];
    return settle(startCallback(callback), async () => this.act('reload', target, options));
  }

  /** Stops processes and removes them from the list. */
  delete(target: Target, cb?: Callback<Acted[]>): Promise<Acted[]> {
    return settle(cb, async () => this.act('delete', target, {}));
  }

  /** Every process, in PM2's `jlist` shape. */
  list(cb?: Callback<Pm2Process[]>): Promise<Pm2Process[]> {
    return settle(cb, async () => (await this.query('list', {})).map(toPm2Shape));
  }

  /** The processes with this id or name (an empty list when none, as PM2 answers). */
  describe(target: Target, cb?: Callback<Pm2Process[]>): Promise<Pm2Process[]> {
    return settle(cb, async () => {
      const all = await this.query('list', {});
      const selector: Selector = typeof target === 'number' || /^\d+$/.test(target) ? { kind: 'id', id: Number(target) } : { kind: 'name', name: target };
      return selectedAmong(all, selector).map(toPm2Shape);
    });
  }

  /**
   * Saves the process list for resurrect and boot (PM2's `dump(force?, cb)`); `success` as PM2
   * answers, with the file and count. An empty list is refused in PM2's words unless `force`.
   */
  dump(forceOrCallback?: boolean | Callback<Saved>, cb?: Callback<Saved>): Promise<Saved> {
    const [force, callback] = typeof forceOrCallback === 'function' ? [false, forceOrCallback] : [forceOrCallback === true, cb];
    return settle(callback, async () => {
      const agent = await this.agent();
      if (!force && (await agent.call('list', { brief: true })).length === 0) throw new CliError('Process list empty, cannot save empty list', { code: 'DUMP_REFUSED' });
      return { success: true as const, ...(await agent.call('save', { force })) };
    });
  }

  /**
   * Starts what the last `dump` (or `pmx save`) recorded and is not running; answers, as PM2's, the
   * text of the dump file it read (a Buffer). With no dump, PM2 never calls back; pmx fails (DUMP_MISSING).
   */
  resurrect(cb?: Callback<Buffer>): Promise<Buffer> {
    return settle(cb, async () => readFile((await (await this.agent()).call('resurrect', {})).file));
  }

  /** Reopens every log file (after an outside rotation moved them); answers `{}`, as PM2's. */
  reloadLogs(cb?: Callback<Record<string, never>>): Promise<Record<string, never>> {
    return settle(cb, async () => {
      await (await this.agent()).call('reloadLogs', {});
      return {};
    });
  }

  /** Sets the restart counts of a target ('all', a name or an id) back to 0; an unknown one is PM2's 'Unknown process name'. */
  reset(target: Target, cb?: Callback<{ success: true }>): Promise<{ success: true }> {
    return settle(cb, async () => {
      const reset = await pm2Errors((await this.agent()).call('reset', { selector: selectorFor(String(target)) }), 'Unknown process name');
      if (reset.length === 0) throw new CliError('Unknown process name', { code: 'NOT_FOUND' });
      return { success: true as const };
    });
  }

  /** Runs an app on `count` instances (or '+n' / '-n' more or fewer); PM2's errors for an unknown app and for no change. */
  scale(name: string, count: number | string, cb?: Callback<{ success: true }>): Promise<{ success: true }> {
    return settle(cb, async () => {
      const agent = await this.agent();
      const running = selectedAmong(await agent.call('list', { brief: true }), { kind: 'name', name });
      if (running.length === 0) throw new CliError('App not found', { code: 'NOT_FOUND' });
      if (/^\d+$/.test(String(count)) && Number(count) === running.length) throw new CliError('Same process number', { code: 'BAD_ARGUMENT' });
      await agent.call('scale', { name, count: String(count) });
      return { success: true as const };
    });
  }

  /** Sends a signal to every process of an app; answers the whole list, as PM2 does. */
  sendSignalToProcessName(signal: string | number, name: string, cb?: Callback<Signalled[]>): Promise<Signalled[]> {
    return settle(cb, async () => this.signal(signal, { kind: 'name', name }, 'Unknown process name'));
  }

  /** Sends a signal to one process; answers the whole list, as PM2 does. */
  sendSignalToProcessId(signal: string | number, id: number, cb?: Callback<Signalled[]>): Promise<Signalled[]> {
    return settle(cb, async () => this.signal(signal, { kind: 'id', id: Number(id) }, `${id} id unknown`));
  }

  /** The ids of the processes named `name` (an empty list when none, as PM2 answers). */
  getProcessIdByName(name: string, cb?: Callback<number[]>): Promise<number[]> {
    return settle(cb, async () => selectedAmong(await this.query('list', { brief: true }), { kind: 'name', name }).map((proc) => proc.pm_id));
  }

  /** The pids of an app's processes, or of every process (0 for one not running), as PM2's getPID. */
  getPID(nameOrCallback?: string | Callback<number[]>, cb?: Callback<number[]>): Promise<number[]> {
    const [name, callback] = typeof nameOrCallback === 'function' ? [undefined, nameOrCallback] : [nameOrCallback, cb];
    return settle(callback, async () => (await this.query('list', { brief: true })).filter((proc) => !name || proc.name === name).map((proc) => proc.pid));
  }

  /** Whether the agent answers: `{ msg: 'pong' }`, as PM2's. */
  ping(cb?: Callback<{ msg: 'pong' }>): Promise<{ msg: 'pong' }> {
    return settle(cb, async () => {
      await this.query('hello', { protocol: PROTOCOL_VERSION });
      return { msg: 'pong' as const };
    });
  }

  /** The agent's version (pmx's, not PM2's). */
  getVersion(cb?: Callback<string>): Promise<string> {
    return settle(cb, async () => (await this.query('hello', { protocol: PROTOCOL_VERSION })).version);
  }

  /**
   * Empties the log files of a target, or of every process ('all', or none given: PM2's flush of
   * 'all' empties nothing, and `flush(cb)` never calls back); answers the whole list, as PM2's, and
   * a target that names no process empties nothing, without an error, as PM2's.
   */
  flush(targetOrCallback?: Target | Callback<Pm2Process[]>, cb?: Callback<Pm2Process[]>): Promise<Pm2Process[]> {
    const [target, callback] = typeof targetOrCallback === 'function' ? [undefined, targetOrCallback] : [targetOrCallback, cb];
    return settle(callback, async () => {
      const selector = target === undefined || target === 'all' ? null : selectorFor(String(target));
      await (await this.agent()).call('flush', { selector }).catch((error: unknown) => {
        if (!namesNoProcess(error)) throw error;
      });
      return (await this.query('list', {})).map(toPm2Shape);
    });
  }

  /**
   * An event bus on a connection of its own: `process:event` as processes start, end and are acted
   * on, `log:out` / `log:err` for each line an app writes, the apps' messages; '*' hears them all.
   */
  launchBus(cb?: Callback<Bus>): Promise<Bus> {
    return settle(cb, async () => {
      await this.agent();
      // the first connection is to the agent just reached; after it goes away, to the next one started
      const bus = await startBus(async () => {
        const connection = await connectAgent(this.home, { spawn: false });
        if (!connection) throw new CliError(`no agent runs for ${this.home.root}`, { code: 'AGENT_UNREACHABLE' });
        return connection;
      });
      this.buses.add(bus);
      return bus;
    });
  }

  /** PM2's sendDataToProcessId: the app receives `{ type: 'process:msg', topic, data, id }` on process.on('message'); answers PM2's `{ success, data }`. */
  sendDataToProcessId(idOrPacket: number | Record<string, unknown>, packetOrCallback?: Record<string, unknown> | Callback<SentData>, cb?: Callback<SentData>): Promise<SentData> {
    const [id, packet, callback] =
      typeof idOrPacket === 'object' ? [Number(idOrPacket.id), idOrPacket, packetOrCallback as Callback<SentData> | undefined] : [idOrPacket, (packetOrCallback ?? {}) as Record<string, unknown>, cb];
    return settle(callback, async () => {
      const sent = await pm2Errors((await this.agent()).call('sendData', { id, packet }), `Process with ID <${id}> unknown.`);
      return { success: true as const, data: packet, ...sent };
    });
  }

  /** Stops every process and the agent; `success` as PM2 answers, with the count stopped. */
  killDaemon(cb?: Callback<{ success: true; stopped: number }>): Promise<{ success: true; stopped: number }> {
    return settle(cb, async () => {
      for (const bus of this.buses) bus.close();
      this.connection?.close();
      this.connection = null;
      const found = await connectWithHello(this.home, { spawn: false, anyVersion: true });
      if (!found) return { success: true as const, stopped: 0 };
      const result = await found.connection.call('kill', {});
      found.connection.close();
      await waitForExit(found.pid);
      return { success: true as const, ...result };
    });
  }

  /** PM2's alias of killDaemon. */
  kill(cb?: Callback<{ success: true; stopped: number }>): Promise<{ success: true; stopped: number }> {
    return this.killDaemon(cb);
  }

  /** The connection, made again (starting an agent if none runs) after the agent went away, as PM2's client reconnects. */
  private async agent(): Promise<AgentConnection> {
    if (this.destroyed) throw new CliError('this client was destroyed (destroy() stopped its agent): make a new one', { code: 'AGENT_UNREACHABLE' });
    if (this.connection?.open) return this.connection;
    const found = (await connectWithHello(this.home, { spawn: true }))!;
    const connection = found.connection;
    this.startedAgent ||= found.started !== null;
    this.connection = connection;
    connection.onClose(() => {
      if (this.connection === connection) this.connection = null;
    });
    return connection;
  }

  /**
   * A request that changes nothing ('list', 'hello'): asked once more of the next agent when the
   * connection turns out to be dead (an agent killed since the last call; nothing can have been done).
   */
  private async query<M extends 'list' | 'hello'>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']> {
    const connection = await this.agent();
    try {
      return await connection.call(method, params);
    } catch (error) {
      if (!(error instanceof CliError && error.code === 'AGENT_UNREACHABLE') || connection.open) throw error;
      return (await this.agent()).call(method, params);
    }
  }

  private async signal(signal: string | number, selector: Selector, unknown: string): Promise<Signalled[]> {
    const agent = await this.agent();
    if (selectedAmong(await agent.call('list', { brief: true }), selector).length === 0) throw new CliError(unknown, { code: 'NOT_FOUND' });
    try {
      await agent.call('signal', { selector, signal: String(signal) });
    } catch (error) {
      // PM2's words for a signal it does not know
      if (error instanceof CliError && error.code === 'INVALID_REQUEST' && error.message.startsWith('unknown signal')) throw new CliError(`Unknown signal: ${signal}`, { code: 'INVALID_REQUEST' });
      throw error;
    }
    // PM2's daemon answers its process list without the monitoring figures
    return (await agent.call('list', {})).map((proc) => {
      const { monit: _monit, ...rest } = toPm2Shape(proc);
      return rest;
    });
  }

  /**
   * Acts on a target. A file or app objects given to restart or reload start (what is missing) or
   * restart with their options, answered as start answers; otherwise each process acted on comes in
   * PM2's short form.
   */
  private async act(action: 'stop' | 'restart' | 'reload' | 'delete', target: Target | StartTarget, options: ActionOptions): Promise<Acted[]> {
    const agent = await this.agent();
    const cwd = this.cwd ?? process.cwd();
    const restarts = action === 'restart' || action === 'reload';
    const mode = action === 'restart' ? 'startOrRestart' : 'startOrReload';
    // PM2 restarts an app given as its options object with those options (missing ones start)
    if (typeof target === 'object' && target !== null) {
      const toStart = await appsToStart(target, {}, cwd);
      if (restarts) return this.launch({ ...toStart, mode }, options.updateEnv === true, cwd);
      return (await this.call(agent, action, { kind: 'names', names: toStart.apps.map((app) => app.name) }, options)).map(operated);
    }
    const word = String(target);
    if (isEcosystemFile(word)) {
      if (restarts) return this.launch({ ...(await appsToStart(resolve(cwd, word), {}, cwd)), mode }, options.updateEnv === true, cwd);
      // stop and delete need the names only: the file's scripts may be gone (an old release removed)
      const { loadEcosystemNames } = await import('../ecosystem/index.js');
      return (await this.call(agent, action, { kind: 'names', names: await loadEcosystemNames(resolve(cwd, word), {}) }, options)).map(operated);
    }
    const selector = selectorFor(word);
    // PM2's words, which scripts match: a name or namespace, an id, or 'all' of an empty list
    const unknown = selector.kind === 'id' ? UNKNOWN_ID[action](selector.id) : selector.kind === 'all' ? 'process name not found' : 'process or namespace not found';
    const procs = await pm2Errors(this.call(agent, action, selector, options), unknown);
    if (procs.length === 0) throw new CliError(unknown, { code: 'NOT_FOUND' });
    return procs.map(operated);
  }

  /**
   * Hands the apps of a start to the agent. As PM2's, an app it restarts (registered already: at
   * rest, or running and given as an object or a file) comes in the short form first, then those it
   * starts as process objects, whose `process.pid` programs read. Apps left out for a missing script
   * fail it with a StartErrors.
   */
  private async launch({ apps, mode, missing }: AppsToStart, updateEnv: boolean, cwd: string): Promise<Acted[]> {
    const agent = await this.agent();
    const before = apps.length > 0 ? new Set((await agent.call('list', { brief: true })).map((proc) => proc.pm_id)) : new Set<number>();
    const { processes, alreadyRunning } = apps.length > 0 ? await agent.call('start', { apps, mode, updateEnv }) : { processes: [], alreadyRunning: [] };
    // PM2's words, which programs match (`err.message === 'Script already launched'`); the names in `data`
    if (alreadyRunning.length > 0 && processes.length === 0) throw new CliError('Script already launched', { code: 'ALREADY_RUNNING', data: { names: alreadyRunning } });
    const restarted = processes.filter((proc) => before.has(proc.pm_id)).map(operated);
    const started = processes.filter((proc) => !before.has(proc.pm_id)).map((proc) => ({ ...toPm2Shape(proc), process: { pid: proc.pid } }));
    const answered = [...restarted, ...started];
    if (missing.length > 0) throw new StartErrors(missing.map((error) => inPm2Words(error, cwd)), answered);
    return answered;
  }

  private call(agent: AgentConnection, action: 'stop' | 'restart' | 'reload' | 'delete', selector: Selector, options: ActionOptions): Promise<ProcessDescription[]> {
    const env = options.updateEnv ? Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined)) : undefined;
    if (action === 'stop') return agent.call('stop', { selector, watch: true });
    if (action === 'delete') return agent.call('delete', { selector });
    return agent.call(action, env ? { selector, env } : { selector });
  }
}

/** A process as the signal calls answer it: PM2's daemon's list, a jlist entry without `monit`. */
export type Signalled = Omit<Pm2Process, 'monit'>;

/** What dump answers: PM2's `success`, and the file written, the count saved and any warning. */
export interface Saved {
  success: true;
  file: string;
  count: number;
  warnings: string[];
}

/** What sendDataToProcessId answers: PM2's `success` and `data` (the packet sent). */
export interface SentData {
  success: true;
  data: Record<string, unknown>;
  sent: true;
}

/** Runs `body`; hands its outcome to the callback when there is one, and returns it as a promise either way. */
function settle<T>(cb: Callback<T> | undefined, body: () => Promise<T>): Promise<T> {
  const promise = body();
  if (cb) promise.then((result) => cb(null, result), (error: Error) => cb(error));
  // with a callback, a failure is the callback's: the promise must not also reject unhandled
  if (cb) return promise.catch(() => undefined as T);
  // without one, as PM2 allows (`pm2.delete('old-app')` and carry on), a failure must not end the
  // program as an unhandled rejection; a caller who awaits the promise still gets it
  promise.catch(() => undefined);
  return promise;
}

/** The default client (PMX_HOME or ~/.pmx), as `require('pm2')` gives PM2's. */
const pmx = new Pmx();

/** PM2's way to get a client of another home: `new pmx.custom({ home })`. */
export const custom = Pmx;

export default pmx;

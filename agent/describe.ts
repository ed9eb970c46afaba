// A supervised process in PM2's `jlist` shape.
import { userInfo } from 'node:os';
import type { ProcessDescription } from './protocol/types.js';
import type { AppSpec } from './protocol/app-spec.js';
import { RawJson } from './protocol/framing.js';
import type { SupervisedProcess } from './process/supervised.js';
import { ProcessState, isDormant, isRunning, publicStatus } from './process/states.js';
import { axmMonitor } from './metrics/axm-monitor.js';
import { measureNow } from './monitor.js';
import { isNodeInterpreter } from './process/os.js';
import { backoffInForce } from './process/crash-policy.js';

/** The `jlist` entry for one process; `brief` leaves its environment out (what `ls` needs: a quarter of the bytes). */
export function describeProcess(proc: SupervisedProcess, brief = false): ProcessDescription {
  const spec = brief ? briefSpec(proc.spec) : proc.spec;
  const { pid, monit, state } = live(proc);
  return { pid, name: spec.name, pm_id: proc.id, monit, pm2_env: { ...spec, ...state } };
}

/**
 * describeProcess's entries as JSON text, the spec of each made once per spec (specs change
 * rarely, states often): a list of 1,000 apps without building and collecting 1,000 copies of
 * their specs. Parsed, it is what describeProcess gives (the live keys come after the spec's,
 * and where both have a key the live value is the one JSON.parse keeps, in the spec's place).
 */
export function describeJson(procs: SupervisedProcess[], brief = false): RawJson<ProcessDescription[]> {
  const entries = procs.map((proc) => {
    const { pid, monit, state } = live(proc);
    const head = JSON.stringify({ pid, name: proc.spec.name, pm_id: proc.id, monit });
    const liveKeys = JSON.stringify(state);
    return `${head.slice(0, -1)},"pm2_env":${specJson(proc.spec, brief).slice(0, -1)},${liveKeys.slice(1)}}`;
  });
  return new RawJson(`[${entries.join(',')}]`);
}

const fullSpecs = new WeakMap<AppSpec, string>();
const briefSpecs = new WeakMap<AppSpec, string>();

/** The spec's JSON, never `{}` (describeJson joins it with the live keys). */
function specJson(spec: AppSpec, brief: boolean): string {
  const cache = brief ? briefSpecs : fullSpecs;
  let text = cache.get(spec);
  if (text === undefined) {
    text = JSON.stringify(brief ? briefSpec(spec) : spec);
    cache.set(spec, text);
  }
  return text;
}

function briefSpec(spec: AppSpec): AppSpec {
  return { ...spec, env: {}, app_env: undefined };
}

/** What changes as the process runs: its pid, its figures, and the live keys of `pm2_env`. */
function live(proc: SupervisedProcess) {
  const { spec, lifecycle, logTargets } = proc;
  const running = isRunning(lifecycle.status);
  return {
    pid: running ? proc.pid : 0,
    monit: running ? measured(proc) : { memory: 0, cpu: 0 },
    state: {
      pm_id: proc.id,
      // a socket-activated process recovery stopped and starts again once its sockets are open: not stopped by anyone
      status: proc.awaitingSockets && isDormant(lifecycle.status) ? ProcessState.LAUNCHING : publicStatus(lifecycle.status),
      restart_time: lifecycle.restarts,
      unstable_restarts: lifecycle.unstableRestarts,
      pm_uptime: lifecycle.startedAt || proc.createdAt,
      // null once given up on (errored), as PM2 clears it
      created_at: lifecycle.status === ProcessState.ERRORED ? null : proc.createdAt,
      exit_code: lifecycle.exitCode,
      last_exit: proc.lastExit,
      pm_out_log_path: logTargets.out,
      pm_err_log_path: logTargets.err,
      pm_log_path: logTargets.combined,
      pm_pid_path: proc.pidFile,
      pm_exec_path: spec.script,
      pm_cwd: spec.cwd,
      exec_interpreter: spec.interpreter,
      ...(isNodeInterpreter(spec.interpreter) ? { node_version: process.versions.node } : {}),
      node_args: spec.interpreter_args,
      unique_id: proc.uniqueId,
      NODE_APP_INSTANCE: proc.instance,
      username: currentUser(),
      pmx_error: proc.error,
      // a process at rest writes nothing: no write of its is failing (the next launch tries again)
      pmx_log_error: isDormant(proc.status) ? null : proc.logs.writeFailure(),
      ...(proc.stateError ? { pmx_state_error: proc.stateError } : {}),
      axm_monitor: axmMonitor(running ? proc.nodeMetrics : null),
      ...(running && proc.health ? { health: { ...proc.health } } : {}),
      ...(running && proc.notice ? { pmx_notify: { ...proc.notice } } : {}),
      ...(proc.events.length > 0 ? { pmx_events: [...proc.events] } : {}),
      // PM2's current back-off, from the first back-off or restart on (0 after a restart by hand, or once stable)
      ...(spec.exp_backoff_restart_delay > 0 && (lifecycle.backoffDelay > 0 || lifecycle.restarts > 0) ? { prev_restart_delay: backoffInForce(lifecycle, Date.now()) } : {}),
      // a restart held back (restart_delay, exp_backoff_restart_delay): when it is due
      ...(lifecycle.status === ProcessState.WAITING_RESTART && lifecycle.restartAt ? { pmx_restart_at: lifecycle.restartAt } : {}),
    },
  };
}

/** The agent's user, looked up once: its uid never changes. */
let username: string | null = null;

function currentUser(): string {
  try {
    username ??= userInfo().username;
  } catch {
    username = String(process.getuid?.() ?? '');
  }
  return username;
}

/** The process's figures, measured at once when the monitor has not come to its current child yet. */
function measured(proc: SupervisedProcess): { memory: number; cpu: number } {
  measureNow(proc);
  return { ...proc.monit };
}

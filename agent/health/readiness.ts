// Whether the apps of a foreground agent are ready to serve (pmx-runtime's /readyz): every process
// serving (online, or reloading: a child serves all along), a `notify` app having said READY=1 and
// not STOPPING=1, and, when its app has a health check, its last probe passed. A stopped process does not count when a command stopped it or it
// finished (exit 0, autorestart off): it is not expected to serve, and would otherwise keep a pod
// unready for good; one that crashed and was not restarted does. Pure: the endpoint asks it on
// request, from the registry as it stands.
import { isServing, publicStatus, type ProcessStatus } from '../process/states.js';
import type { AppNotice, HealthState } from '../protocol/types.js';

/** What readiness reads of one process. */
export interface ReadinessView {
  id: number;
  name: string;
  status: ProcessStatus;
  /** The app has a health check (`health`). */
  probed: boolean;
  /** Its current child's health check, when one runs. */
  health: HealthState | null;
  /** At rest by an exit of its own (not stopped by a command), and that exit's code. */
  endedByItself?: boolean;
  exitCode?: number | null;
  /** The exit codes the app declared wanted (`stop_exit_codes`), besides 0. */
  wantedCodes?: number[];
  /** What its current child said on its notify socket, for an app with `notify` (which says READY=1). */
  notice?: AppNotice | null;
}

/** A process that is not ready, and why in a few words (its status, its health check's): nothing from its environment. */
export interface NotReady {
  id: number;
  name: string;
  why: string;
}

/** The processes that keep the agent from being ready; [] when every one is. */
export function notReadyProcesses(processes: readonly ReadinessView[]): NotReady[] {
  const found: NotReady[] = [];
  for (const proc of processes) {
    const why = notReadyBecause(proc);
    if (why !== null) found.push({ id: proc.id, name: proc.name, why });
  }
  return found;
}

function notReadyBecause(proc: ReadinessView): string | null {
  const status = publicStatus(proc.status);
  if (proc.status === 'stopped') {
    // stopped by a command, or a job that finished (exit 0 or a stop_exit_codes one): not expected to serve
    const code = proc.exitCode;
    const finished = !proc.endedByItself || code === undefined || code === 0 || (code !== null && (proc.wantedCodes ?? []).includes(code));
    return finished ? null : `stopped after exit code ${code === null ? 'none (a signal)' : code}`;
  }
  if (!isServing(proc.status)) return status;
  // ready is what the app says: not before its READY=1 (online once listen_timeout gave up), not after its STOPPING=1
  if (proc.notice?.state === 'starting') return `${status}, no READY=1 yet`;
  if (proc.notice?.state === 'stopping') return `${status}, said STOPPING=1`;
  if (!proc.probed) return null;
  const health = proc.health;
  if (!health || health.status === 'starting') return `${status}, health check starting`;
  if (health.status === 'unhealthy') return `${status}, unhealthy`;
  // healthy until `failures` failures in a row: a failed last probe already takes it out of service
  return health.last_error === null ? null : `${status}, its last health check failed`;
}

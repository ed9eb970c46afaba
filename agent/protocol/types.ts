// Wire types shared by the agent and the CLI: requests, responses, events, process descriptions.
import type { AppSpec } from './app-spec.js';
import type { ErrorContext } from './errors.js';
import type { PublicStatus } from '../process/states.js';

/** Bumped whenever a request, response or event changes shape. */
export const PROTOCOL_VERSION = 4;

/** One process as `jlist` shows it: PM2's shape, so scripts that parse `pm2 jlist` keep working. */
export interface ProcessDescription {
  pid: number;
  name: string;
  pm_id: number;
  monit: { memory: number; cpu: number };
  pm2_env: Pm2Env;
}

/** The `pm2_env` block: the app's spec plus its live state. */
export interface Pm2Env extends AppSpec {
  pm_id: number;
  status: PublicStatus;
  restart_time: number;
  unstable_restarts: number;
  /** ms since epoch of the last start (PM2's name). */
  pm_uptime: number;
  /** null once the process is errored, as PM2 clears it. */
  created_at: number | null;
  exit_code: number | null;
  /** How the last child ended (code or signal, when), or null while none has: `describe` shows it. */
  last_exit?: { code: number | null; signal: string | null; at: number } | null;
  pm_out_log_path: string;
  pm_err_log_path: string;
  pm_log_path: string | null;
  pm_pid_path: string;
  pm_exec_path: string;
  pm_cwd: string;
  exec_interpreter: string;
  node_args: string[];
  unique_id: string;
  /** The instance number given in `instance_var` (0..n-1 in cluster mode, 0 in fork mode). */
  NODE_APP_INSTANCE: number;
  username: string;
  /** Last error the agent met for this process (spawn failure, unwritable log), or null. */
  pmx_error: string | null;
  /** Set while output cannot be written to one of its log files (a full disk): why, since when, bytes dropped. */
  pmx_log_error?: string | null;
  /** Set while the agent cannot write its state file (a full disk): what changed since would not be known to the next agent if this one died. */
  pmx_state_error?: string;
  /** A Node app's runtime metrics under @pm2/io's names ('Heap Size', 'Event Loop Latency p95', 'HTTP', ...); {} for others. */
  axm_monitor: AxmMonitor;
  /** The health check of the serving child, when the app has one (`health`) and a child runs. */
  health?: HealthState;
  /** The latest restarts the agent decided on its own (a hung event loop, a failed health check), oldest first. */
  pmx_events?: SupervisionEvent[];
  /** What an app with a notify socket said on it (systemd's notify protocol), when a child runs. */
  pmx_notify?: AppNotice;
  /** While `waiting restart`: when the held-back restart is due (ms since epoch); absent otherwise. */
  pmx_restart_at?: number;
  /** PM2's: the exponential back-off delay in force (ms), once an app with exp_backoff_restart_delay backed off or was restarted. */
  prev_restart_delay?: number;
  /** The version of the Node that runs the app (the agent's own, for the `node` interpreter), as PM2 reports it; absent for other interpreters. */
  node_version?: string;
}

/** Where a health check stands: `failures` counts failed probes in a row (those within start_period not counted). */
export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failures: number;
  /** ms since epoch of the last probe's end, or null before the first. */
  last_check: number | null;
  /** Why the last probe failed, or null when it passed. */
  last_error: string | null;
}

/** What a child said on its notify socket: its phase (READY=1, RELOADING=1, STOPPING=1) and its last STATUS= line. */
export interface AppNotice {
  state: 'starting' | 'ready' | 'reloading' | 'stopping';
  status: string | null;
}

/** A restart the agent decided on its own, and why. */
export interface SupervisionEvent {
  event: 'hung' | 'health' | 'watchdog' | 'stopping';
  /** ms since epoch. */
  at: number;
  /** 'hung': the event loop was blocked this long, ms. */
  blocked_ms?: number;
  /** 'health': the last probe's failure; 'watchdog': how the app missed it; 'stopping': how long ago it said STOPPING=1. */
  reason?: string;
  /** What the agent did: restarted it, or not (errored by restart_limit; stopped, autorestart off). Absent (older state files): restarted. */
  outcome?: 'restarted' | 'errored' | 'stopped';
}

/** One entry of `axm_monitor`, as PM2's @pm2/io publishes it. */
export interface AxmMetric {
  value: string | number;
  /** Absent where @pm2/io gives none (Active handles). */
  unit?: string;
  type: string;
  historic: boolean;
}

export type AxmMonitor = Record<string, AxmMetric>;

/** Which processes a command acts on: resolved by the agent, atomically. */
export type Selector =
  | { kind: 'all' }
  | { kind: 'id'; id: number }
  | { kind: 'name'; name: string; path?: string }
  | { kind: 'names'; names: string[] }
  | { kind: 'regex'; source: string; flags: string }
  | { kind: 'namespace'; namespace: string };

/** What `start` does with an app whose name is already registered; 'force' (`start -f`) starts more processes under the same name. */
export type StartMode = 'start' | 'startOrRestart' | 'startOrReload' | 'force';

/** Request params and result types, per method. */
export interface Methods {
  hello: { params: { protocol: number }; result: { protocol: number; version: string; pid: number; home: string; foreground?: boolean; supervisor?: string | null } };
  /** `brief`: each process without its environment (`env`, `app_env`): what the table of `ls` shows, a fraction of the bytes. */
  list: { params: { brief?: boolean }; result: ProcessDescription[] };
  start: {
    /**
     * `given`: the spec keys the command line named (`start app.js -n web --max-memory-restart 200M -- two`):
     * an app of that name and script already registered and at rest takes them as it starts again,
     * as PM2 restarts it with the options given (the others stay as they were).
     */
    params: { apps: AppSpec[]; mode: StartMode; updateEnv: boolean; given?: (keyof AppSpec)[] };
    /** `all`: the whole list after the start (brief, as `list` gives it), which `pmx start` prints without asking again. */
    result: { processes: ProcessDescription[]; alreadyRunning: string[]; all: ProcessDescription[] };
  };
  /** `watch`: also stop watching (`pmx stop --watch`), so a change no longer restarts the app. */
  stop: { params: { selector: Selector; watch?: boolean }; result: ProcessDescription[] };
  /** `options`: app options (PM2's flags of restart, as spec keys) each selected process takes from now on. */
  restart: { params: { selector: Selector; env?: Record<string, string>; options?: Partial<AppSpec> }; result: ProcessDescription[] };
  /** `parallel`: instances replaced at once (default 1). */
  reload: { params: { selector: Selector; env?: Record<string, string>; parallel?: number; options?: Partial<AppSpec> }; result: ProcessDescription[] };
  delete: { params: { selector: Selector }; result: ProcessDescription[] };
  reset: { params: { selector: Selector }; result: ProcessDescription[] };
  scale: { params: { name: string; count: string }; result: ProcessDescription[] };
  signal: { params: { selector: Selector; signal: string }; result: ProcessDescription[] };
  /** Serves the web dashboard on host:port (idempotent); `token` is null on 127.0.0.1. */
  dashboard: { params: { host: string; port: number }; result: DashboardAddress };
  /** `warnings`: the dump that was replaced was torn (its backup kept). */
  save: { params: { force: boolean }; result: { file: string; count: number; warnings: string[] } };
  /** `file`: the dump read, or its backup when the dump is torn (said in `warnings`); `alreadyPresent`: entries skipped, already here; `alreadyStopped`: of those, the ones not running. */
  resurrect: { params: Record<string, never>; result: { processes: ProcessDescription[]; file: string; warnings: string[]; alreadyPresent: number; alreadyStopped: number } };
  /** `files`: emptied (or not written yet); `skipped`: left as they are, each with why (log-open.ts). */
  flush: { params: { selector: Selector | null }; result: { files: string[]; skipped: { file: string; reason: string }[] } };
  reloadLogs: { params: Record<string, never>; result: { count: number } };
  /** `restart`: end with EXIT_RESTART, so that the init system or container that runs a foreground agent starts it again (`pmx update`). */
  kill: { params: { restart?: boolean }; result: { stopped: number } };
  /** PM2's sendDataToProcessId: `packet` to the app over its IPC channel. */
  sendData: { params: { id: number; packet: Record<string, unknown> }; result: { sent: true } };
  /** The Prometheus endpoint: start it (or move it), stop it, or ask where it is; answers where it listens, or null. */
  metrics: { params: MetricsRequest; result: { address: { host: string; port: number } | null } };
  /**
   * The bus (PM2's launchBus): after this answer the connection also carries, until it closes,
   * one `{ event, data }` line (no `id`) per event: `process:event`, `log:out`, `log:err`, and what
   * apps send with process.send.
   */
  subscribe: { params: Record<string, never>; result: { subscribed: true } };
}

export type MetricsRequest = { action: 'listen'; host: string; port: number } | { action: 'close' } | { action: 'status' };

export type Method = keyof Methods;

/** Where a dashboard answers: `url` carries its token as `?token=`. */
export interface DashboardAddress {
  url: string;
  token: string;
  /** True when this host:port was already served before the request. */
  alreadyRunning: boolean;
}

export interface Request<M extends Method = Method> {
  id: number;
  method: M;
  params: Methods[M]['params'];
}

/** Stable fault codes; the CLI owns their wording and exit codes. */
export type FaultCode =
  | 'NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'PROTOCOL_MISMATCH'
  | 'ALREADY_RUNNING'
  | 'DASHBOARD_UNAVAILABLE'
  | 'SPAWN_FAILED'
  | 'DUMP_REFUSED'
  | 'DUMP_MISSING'
  | 'DUMP_UNREADABLE'
  | 'DUMP_INVALID'
  /** The dump could not be written (a full disk, a read-only file system): the saved list is as it was. */
  | 'DUMP_WRITE_FAILED'
  | 'RELOAD_FAILED'
  /** A request that another one overrode before it was carried out (a stop after a reload, ...). */
  | 'SUPERSEDED'
  | 'LISTEN_FAILED'
  /** The home, socket, pid file or dump belongs to another user or is writable by others. */
  | 'HOME_UNSAFE'
  /** A log or pid file that is not a regular file of this user or root with one name, or a link of another user. */
  | 'LOG_FILE_UNSAFE'
  /** An app's script (or an ecosystem file) that another user could change: it belongs to them, or they may write it or its way. */
  | 'SCRIPT_UNSAFE'
  /** A request line longer than MAX_REQUEST_BYTES. */
  | 'MESSAGE_TOO_LARGE'
  /** A request that would start or record processes, made while the agent stops every process to end. */
  | 'AGENT_STOPPING'
  /** A bus subscription past the agent's limit (half the connections its socket holds). */
  | 'TOO_MANY_SUBSCRIBERS'
  | 'INTERNAL';

export interface Fault {
  code: FaultCode;
  message: string;
  data?: Record<string, unknown>;
  /** What the fault is about (the app, the file, the key), when it is about one. */
  context?: ErrorContext;
}

export type Response =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Fault };

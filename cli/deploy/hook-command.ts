// Pure builders of the commands that run user code on a host: hooks (output streamed back and
// appended to the host's log), health checks (a URL, a command, the agent's list), and the PATH
// every pmx command runs with.
import { posix } from 'node:path';
import { exportEnv, quote } from '../transport/quote.js';
import { maskFilterCommand } from './secret-mask.js';
import { sourceSecretsCommand } from './secret-commands.js';

/** Puts the pmx launcher first on PATH; prefixed to every command pmx runs on a host. */
export const PATH_EXPORT = 'export PATH="$HOME/.pmx/bin:$PATH";';

/** One hook run: where, what, with which environment, logged where. */
export interface HookRun {
  /** Remote directory the hook runs in. */
  cwd: string;
  /** The shell command as configured (or `sh -s` for a local script fed on stdin). */
  command: string;
  env: Record<string, string>;
  /** The names in `env` whose `$NAME` references expand on the host (the deploy section's `env`). */
  expanding?: string[];
  /** Remote log file the output is appended to. */
  log: string;
  /** First line written to the log, e.g. `== pre-deploy 2025-01-02T03:04:05Z`. */
  header: string;
  /** The secrets file the hook sources (exported variables) and their names, and the env_file's copy (null: none): the values of the files, of the copies kept beside them and of the names are masked in its output and log. */
  secrets?: { file: string; names: string[]; envFile?: string | null };
  /** Seconds the hook may run (`hook_timeout`): then it and what it started are stopped (SIGTERM, SIGKILL 10 s later), and it exits 124. */
  timeoutSeconds?: number;
}

/**
 * The hook in its directory and environment (secrets sourced, their values masked); output
 * (merged) to the caller and the log (0600: it may show env values); exits with the hook's status.
 * The environment (the deploy's `env`, the secrets) is exported only in the hook's own subshell,
 * the pmx launcher first on its PATH again: pmx's own tools around it (mkdir, tee, the mask's
 * node) keep the PATH pmx runs with, whatever PATH the `env` sets.
 */
export function hookCommand(run: HookRun): string {
  const log = quote(run.log);
  const secrets = run.secrets && (run.secrets.names.length > 0 || run.secrets.envFile) ? run.secrets : null;
  const source = secrets && secrets.names.length > 0 ? `${sourceSecretsCommand(secrets.file)} && ` : '';
  // the filter reads the exported values as the hook got them: sourced in its own subshell
  const mask = secrets ? ` | ( ${source}exec ${maskFilterCommand(secrets.file, secrets.names, secrets.envFile ?? null)} )` : '';
  // POSIX sh has no pipefail: the hook's status leaves the pipeline through fd 3. tee ignores
  // SIGPIPE: when the session ends under a running hook (the CLI killed or cut off), it stops
  // writing to the gone channel and goes on writing the log, so the hook is not killed by its next
  // line of output and what it does after is still recorded
  return (
    `cd ${quote(run.cwd)} && mkdir -p ${quote(posix.dirname(run.log))} && ( umask 077 && printf '%s\\n' ${quote(run.header)} >> ${log} ) && chmod 600 ${log} && ` +
    // fd 3 carries the hook's status out of the pipeline, fd 4 is our stdout; the hook sees neither
    `{ __rc=$( { { ( ${exporting(run.env, run.expanding)}${source}${limited(run)} ) 3>&- 4>&- 2>&1; echo "$?" >&3; }${mask} | ( trap '' PIPE; exec tee -a ${log} ) >&4; } 3>&1 ); } 4>&1; exit "\${__rc:-1}"`
  );
}

/**
 * The hook's own command, under `timeout` when it has a limit: GNU timeout signals its whole
 * process group, so what the hook started goes too (a `sleep` in a snippet, a migration's children),
 * and its output ends; it says why in the hook's output, which is the failure's last line.
 */
function limited(run: HookRun): string {
  if (!run.timeoutSeconds) return `( ${run.command}\n)`;
  const seconds = Math.max(1, Math.round(run.timeoutSeconds));
  return `timeout -k 10 ${seconds} sh -c ${quote(run.command)}; __pmx_t=$?; if test "$__pmx_t" -eq 124; then echo "pmx: the hook did not end within hook_timeout (${seconds} s): it was stopped"; fi; exit "$__pmx_t"`;
}

/** Runs a script read on stdin with bash, as PM2's pre-setup does (`bash -s`), or with sh on a host without bash. */
export const BASH_OR_SH = 'if command -v bash >/dev/null 2>&1; then exec bash -s; else exec sh -s; fi';

/** The command that runs a local script file on the host: the shell its shebang names, reading stdin; bash without one, as PM2. */
export function scriptCommand(scriptText: string): string {
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(scriptText);
  const program = shebang ? (posix.basename(shebang[1]!) === 'env' ? shebang[2] : posix.basename(shebang[1]!)) : undefined;
  if (program === undefined) return BASH_OR_SH;
  return program === 'bash' || program === 'zsh' ? `${program} -s` : 'sh -s';
}

/** Fetches `url` from the host itself with its node; exits 0 on a 2xx/3xx answer within the time limit. */
export function healthUrlCommand(url: string, timeoutMs: number): string {
  const script =
    'const [u,t]=process.argv.slice(1);' +
    'fetch(u,{signal:AbortSignal.timeout(Number(t)),redirect:"follow"})' +
    '.then(r=>{console.log("HTTP "+r.status+" from "+u);process.exit(r.ok?0:1)},' +
    'e=>{console.error(u+": "+((e.cause&&e.cause.message)||e.message));process.exit(1)})';
  return `node -e ${quote(script)} ${quote(url)} ${Math.max(1, Math.round(timeoutMs))}`;
}

/** Runs a health-check command in `cwd` with the hook environment (`expanding`: as HookRun's). */
export function healthCommand(cwd: string, command: string, env: Record<string, string>, expanding: string[] = []): string {
  return `cd ${quote(cwd)} && ${exporting(env, expanding)}( ${command}\n)`;
}

/** The host's `pmx jlist` (its agent's processes, PM2's shape), run in `current` as post-deploy's pmx is. */
export function agentListCommand(current: string): string {
  return `cd ${quote(current)} && pmx jlist`;
}

/** `exec|run <cmd>` in the current release, as PM2 runs it (`expanding`: as HookRun's). */
export function execInCurrentCommand(current: string, command: string, env: Record<string, string>, expanding: string[] = []): string {
  return `cd ${quote(current)} && ${exporting(env, expanding)}( ${command}\n)`;
}

// `export` inside braces: it stays in this shell and keeps the && chain (a failed cd stops all);
// the pmx launcher first on PATH again, whatever PATH the environment sets
function exporting(env: Record<string, string>, expanding: string[] = []): string {
  const exports = exportEnv(env, expanding);
  return exports === '' ? '' : `{ ${exports} ${PATH_EXPORT} } && `;
}

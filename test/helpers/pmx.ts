// Running the real `pmx` CLI against a private PMX_HOME, and cleaning up everything it started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const PMX_BIN = join(ROOT, 'bin/pmx.cjs');
export const FIXTURES = join(ROOT, 'test/fixtures');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A private pmx home for one test file, with helpers to run commands against it. */
export class PmxSandbox {
  readonly home: string;
  readonly dir: string;

  constructor(prefix = 'pmx-test-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.home = join(this.dir, 'home');
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    return { ...env, PMX_HOME: this.home, NO_COLOR: '1', ...extra };
  }

  /** Runs `pmx args...` to completion. */
  run(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [PMX_BIN, ...args], { cwd: options.cwd ?? this.dir, env: this.env(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`pmx ${args.join(' ')} did not finish within ${options.timeoutMs ?? 20000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, options.timeoutMs ?? 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`pmx ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result.stdout;
  }

  /** `pmx jlist`, parsed. */
  async jlist(): Promise<JlistEntry[]> {
    return JSON.parse(await this.ok(['jlist'])) as JlistEntry[];
  }

  /** The entry named `name` (first instance). */
  async proc(name: string): Promise<JlistEntry> {
    const found = (await this.jlist()).find((entry) => entry.name === name);
    if (!found) throw new Error(`no process named ${name}`);
    return found;
  }

  agentPid(): number | null {
    try {
      return Number(readFileSync(join(this.home, 'agent.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  /** Stops everything this sandbox started: through pmx, then by pid as a last resort. */
  async cleanup(): Promise<void> {
    const pids = new Set<number>();
    try {
      for (const entry of await this.jlist()) if (entry.pid > 0) pids.add(entry.pid);
    } catch {
      // agent already gone
    }
    const agent = this.agentPid();
    if (existsSync(join(this.home, 'agent.sock'))) await this.run(['kill'], { timeoutMs: 15_000 }).catch(() => undefined);
    for (const pid of [...pids, ...(agent ? [agent] : [])]) killIfOurs(pid, this.home);
    // and whatever else runs with this home: what a failed test's apps left behind
    for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry) && Number(entry) !== process.pid) killIfOurs(Number(entry), this.home);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGKILLs `pid` if it still runs with our PMX_HOME in its environment (never a stranger). */
function killIfOurs(pid: number, home: string): void {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (environ.includes(`PMX_HOME=${home}`) || cmdline.includes(home)) process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The subset of a jlist entry the tests read. */
export interface JlistEntry {
  pid: number;
  name: string;
  pm_id: number;
  monit: { memory: number; cpu: number };
  pm2_env: Record<string, unknown> & {
    status: string;
    restart_time: number;
    unstable_restarts: number;
    namespace: string;
    env: Record<string, string>;
    pm_out_log_path: string;
    pm_err_log_path: string;
    exec_mode: string;
    pmx_error: string | null;
  };
}

/** Resolves once `check` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when a process with this pid exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Child pids of `pid` read from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

export function build(): void {
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed: ${result.stdout}${result.stderr}`);
}

// The differential harness: the same shell commands run against PM2 (from npm, with its own
// PM2_HOME) and against pmx (with its own PMX_HOME), each in a copy of the same work folder, so a
// test compares what a script would read from each. One PM2 daemon per test file; every process
// either side started is gone after `close()`.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PMX_BIN } from '../helpers/pmx.js';
import { installPm2 } from './pm2-install.js';

export type ManagerName = 'pm2' | 'pmx';

/** What one command gave: its exit code and output, with the side's folders written as <WORK> and <HOME>. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one run: a folder under the work folder, extra environment, text on stdin. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
}

/** One process manager with a private home and work folder. */
export class Side {
  readonly root: string;
  readonly home: string;
  readonly work: string;
  private readonly binDir: string;

  constructor(
    readonly name: ManagerName,
    base: string,
    private readonly cli: string,
  ) {
    this.root = join(base, name);
    this.home = join(this.root, 'home');
    this.work = join(this.root, 'work');
    this.binDir = join(this.root, 'bin');
    mkdirSync(this.work, { recursive: true });
    mkdirSync(this.binDir, { recursive: true });
    // scripts call `pm`: PM2 or pmx, whichever side runs them
    writeFileSync(join(this.binDir, 'pm'), `#!/bin/sh\nexec '${process.execPath}' '${cli}' "$@"\n`);
    chmodSync(join(this.binDir, 'pm'), 0o755);
  }

  /** The environment every command of this side runs with. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(PM2_|PMX_)/.test(key)) env[key] = value;
    }
    env.NO_COLOR = '1';
    env.FORCE_COLOR = '0';
    env.PATH = `${this.binDir}:${env.PATH ?? ''}`;
    env[this.name === 'pm2' ? 'PM2_HOME' : 'PMX_HOME'] = this.home;
    return { ...env, ...extra };
  }

  /** Runs `pm args...` (this side's CLI). */
  run(args: string[], options: RunOptions = {}): Promise<Outcome> {
    return this.spawn(process.execPath, [this.cli, ...args], options);
  }

  /** Runs a bash script in which `pm` is this side's CLI. */
  sh(script: string, options: RunOptions = {}): Promise<Outcome> {
    return this.spawn('bash', ['-c', script], options);
  }

  /** Writes files (relative to the work folder). */
  write(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.work, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text.replaceAll('<WORK>', this.work));
    }
  }

  /** Replaces this side's folders by placeholders so that both sides' text compares. */
  normalize(text: string): string {
    return text.replaceAll(this.work, '<WORK>').replaceAll(this.home, '<HOME>');
  }

  /** The real path of a path written with placeholders (as jlist gives them after normalize). */
  real(path: string): string {
    return path.replaceAll('<WORK>', this.work).replaceAll('<HOME>', this.home);
  }

  /** The text of a file named with placeholders, or '' while it does not exist. */
  read(path: string): string {
    try {
      return readFileSync(this.real(path), 'utf8');
    } catch {
      return '';
    }
  }

  private spawn(command: string, args: string[], options: RunOptions): Promise<Outcome> {
    const cwd = options.cwd ? join(this.work, options.cwd) : this.work;
    mkdirSync(cwd, { recursive: true });
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env: this.env(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => (stdout += chunk));
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
      // a command that never reads its input may have exited already (EPIPE): what it printed still counts
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name}: ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout: this.normalize(stdout), stderr: this.normalize(stderr) });
      });
    });
  }

  /** Stops the daemon and every process whose environment names this side's home. */
  async close(): Promise<void> {
    await this.run(['kill'], { timeoutMs: 20_000 }).catch(() => undefined);
    for (const pid of processesWith(`${this.name === 'pm2' ? 'PM2_HOME' : 'PMX_HOME'}=${this.home}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone in between
      }
    }
  }
}

/** Both sides' outcomes of the same command. */
export interface Pair<T = Outcome> {
  pm2: T;
  pmx: T;
}

/** PM2 and pmx side by side, for one test file. */
export class Differential {
  readonly pm2: Side;
  readonly pmx: Side;
  readonly version: string;
  private readonly base: string;

  private constructor() {
    const pm2 = installPm2();
    this.version = pm2.version;
    this.base = mkdtempSync(join(tmpdir(), 'pmx-compat-'));
    this.pm2 = new Side('pm2', this.base, pm2.bin);
    this.pmx = new Side('pmx', this.base, PMX_BIN);
  }

  /** A harness with PM2 installed (from the cache once installed). */
  static create(): Differential {
    return new Differential();
  }

  /** Runs the same CLI arguments on both sides at once. */
  async run(args: string[], options: RunOptions = {}): Promise<Pair> {
    const [pm2, pmx] = await Promise.all([this.pm2.run(args, options), this.pmx.run(args, options)]);
    return { pm2, pmx };
  }

  /** Runs the same bash script (`pm` is the side's CLI) on both sides at once. */
  async sh(script: string, options: RunOptions = {}): Promise<Pair> {
    const [pm2, pmx] = await Promise.all([this.pm2.sh(script, options), this.pmx.sh(script, options)]);
    return { pm2, pmx };
  }

  /** Writes the same files into both work folders (`<WORK>` in a text becomes the side's folder). */
  write(files: Record<string, string>): void {
    this.pm2.write(files);
    this.pmx.write(files);
  }

  /** Both sides' `jlist`, parsed, with folders normalized. */
  async jlist(): Promise<Pair<JlistEntry[]>> {
    const { pm2, pmx } = await this.run(['jlist']);
    const parse = (outcome: Outcome, side: ManagerName): JlistEntry[] => {
      try {
        return JSON.parse(outcome.stdout) as JlistEntry[];
      } catch {
        throw new Error(`${side} jlist is not JSON (exit ${outcome.code}): ${outcome.stdout}${outcome.stderr}`);
      }
    };
    return { pm2: parse(pm2, 'pm2'), pmx: parse(pmx, 'pmx') };
  }

  /** Removes every process on both sides (between scenarios). */
  async clear(): Promise<void> {
    await this.run(['delete', 'all']);
  }

  /** Kills both daemons and what they started, and removes the folders. */
  async close(): Promise<void> {
    await Promise.all([this.pm2.close(), this.pmx.close()]);
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** A jlist entry as the tests read it (PM2's shape). */
export interface JlistEntry {
  pid: number;
  name: string;
  pm_id: number;
  monit: { memory: number; cpu: number };
  pm2_env: Record<string, unknown> & { status: string; env: Record<string, string> };
}

/** The pids of processes whose environment holds `entry` (a NAME=value pair), read from /proc. */
export function processesWith(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Picks `fields` (dotted paths) of each entry, in pm_id order, so that both sides compare field by field. */
export function project(list: JlistEntry[], fields: string[]): Record<string, unknown>[] {
  return [...list]
    .sort((a, b) => a.pm_id - b.pm_id)
    .map((entry) => Object.fromEntries(fields.map((field) => [field, field.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], entry)])));
}

/** Resolves once `check` holds, checking every 100 ms; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Small apps the scenarios run. */
export const APPS = {
  /** Stays up listening on a free loopback port (so a cluster start need not wait), prints one line on stdout and one on stderr, and SIGUSR2 / messages into its log. */
  'hold.js': [
    "require('http').createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');",
    "console.log('out line of ' + (process.env.name || 'app'));",
    "console.error('err line of ' + (process.env.name || 'app'));",
    "process.on('SIGUSR2', () => console.log('got SIGUSR2'));",
    "process.on('message', (m) => { if (m && m.type === 'process:msg') console.log('got message ' + JSON.stringify(m.data)); });",
  ].join('\n'),
  /** Prints the variables named in SHOW once, then stays up. */
  'env.js': [
    "const names = (process.env.SHOW || '').split(',').filter(Boolean);",
    "console.log(names.map((n) => n + '=' + process.env[n]).join(' '));",
    'setInterval(() => {}, 1000);',
  ].join('\n'),
  /** Exits at once with EXIT_CODE (default 3). */
  'crash.js': "console.error('crashing'); process.exit(Number(process.env.EXIT_CODE || 3));",
  /** An HTTP server on PORT answering its pid; slow to listen by LISTEN_DELAY ms. */
  'http.js': [
    "const http = require('http');",
    "const server = http.createServer((req, res) => res.end(String(process.pid)));",
    "setTimeout(() => server.listen(Number(process.env.PORT), '127.0.0.1'), Number(process.env.LISTEN_DELAY || 0));",
  ].join('\n'),
};

/** `name:status` of each process in pm_id order: what `pm2 jlist | jq` loops usually read. */
export function statuses(list: JlistEntry[]): string[] {
  return [...list].sort((a, b) => a.pm_id - b.pm_id).map((entry) => `${entry.name}:${entry.pm2_env.status}`);
}

/** Both sides' jlist once `accept` holds for both (every 100 ms, for at most 15 s). */
export async function settled(diff: Differential, accept: (list: JlistEntry[]) => boolean, what = 'both lists to settle'): Promise<Pair<JlistEntry[]>> {
  return until(what, async () => {
    const lists = await diff.jlist();
    return accept(lists.pm2) && accept(lists.pmx) ? lists : null;
  });
}

/** True when every process is online (and there is at least one). */
export const allOnline = (list: JlistEntry[]): boolean => list.length > 0 && list.every((entry) => entry.pm2_env.status === 'online');

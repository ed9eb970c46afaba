// A second, real, unprivileged local user for the tests that need one (a foreign home, a flood
// from another user): created with useradd, commands run as it through setpriv, removed afterwards.
// What it runs of the project is copied into a directory of its own first: the checkout may sit
// under a directory only root can enter (CI clones into a `mktemp -d` folder, mode 0700).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ROOT, type RunResult } from '../../helpers/pmx.js';

/** The whole pmx as one file (what `pmx deploy setup` installs on hosts): it needs nothing beside it. */
const PMX_BUNDLE = join(ROOT, 'dist/pmx.cjs');

/** A user made for one test file; `remove()` ends what it started and deletes it. */
export class OtherUser {
  private readonly started = new Set<ChildProcess>();
  /** This user's own directory (0700), holding the copies of what it runs. */
  private readonly own: string;
  private pmxCopy: string | null = null;

  private constructor(
    readonly name: string,
    readonly uid: number,
    readonly gid: number,
  ) {
    this.own = mkdtempSync(join(tmpdir(), `${name}-`));
    chownSync(this.own, uid, gid);
  }

  /** Creates the user (the tests run as root). */
  static create(): OtherUser {
    const name = `pmxt${randomBytes(4).toString('hex')}`;
    const made = spawnSync('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr}`);
    const id = (flag: string): number => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
    return new OtherUser(name, id('-u'), id('-g'));
  }

  /** A copy of `file` that this user owns and can read wherever the checkout is. */
  copy(file: string): string {
    const copied = join(this.own, basename(file));
    copyFileSync(file, copied);
    chownSync(copied, this.uid, this.gid);
    return copied;
  }

  /** The argv that runs `argv` as this user. */
  argv(argv: string[]): string[] {
    return ['setpriv', `--reuid=${this.uid}`, `--regid=${this.gid}`, '--clear-groups', '--', ...argv];
  }

  /** Starts `argv` as this user; the process is ended by `remove()` if it is still running. */
  spawn(argv: string[], env: Record<string, string>): ChildProcess {
    const [command, ...args] = this.argv(argv);
    // in its own directory: the test's working directory (the checkout) may be closed to it
    const child = spawn(command!, args, { env, cwd: this.own, stdio: ['ignore', 'pipe', 'pipe'] });
    this.started.add(child);
    child.once('exit', () => this.started.delete(child));
    return child;
  }

  /** Runs `pmx args...` as this user to completion. */
  pmx(args: string[], env: Record<string, string>): Promise<RunResult> {
    this.pmxCopy ??= this.copy(PMX_BUNDLE);
    const child = this.spawn([process.execPath, this.pmxCopy, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  }

  /** Ends the processes started here (by pid), then deletes the user, its group and its directory. */
  remove(): void {
    for (const child of this.started) child.kill('SIGKILL');
    spawnSync('userdel', [this.name]);
    rmSync(this.own, { recursive: true, force: true });
  }
}

/**
 * What a hostile test leaves, ended even when it failed: the sandbox's agent and apps first, then
 * the user and the folders the test made.
 */
export async function cleanUpAfter(pmx: { cleanup(): Promise<void> }, user: OtherUser, ...folders: string[]): Promise<void> {
  try {
    await pmx.cleanup();
  } finally {
    user.remove();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}


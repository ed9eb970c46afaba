// The deploy lock's shell commands, run by a real sh with the real flock on a real directory: what
// a run leaves running on a host (a hook or a fetch that outlived a killed or cut-off CLI) keeps
// the next run out, and a command of a run that lost the lock does nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOCKED, LOST_LOCK, NOT_THIS_RUN, WORK_BUSY, goneHolder, lockCommand, startLock, underRunLock, type LockOwner } from '../../../cli/deploy/lock.js';
import type { ExecOptions, ExecResult, RemoteConnection } from '../../../cli/transport/types.js';
import type { HostTarget } from '../../../cli/deploy/types.js';
import { remotePaths } from '../../../cli/deploy/remote-paths.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-work-lock-'));
const paths = remotePaths(join(dir, 'app'));
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function owner(run: string): LockOwner {
  return { run, user: 'deploy', pid: 4242, command: `pmx deploy production (${run})`, since: '2026-12-06T12:00:00.000Z' };
}

function sh(command: string): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `command` in the background; resolves once it printed `ready` (it holds what it took by then). */
function background(command: string, ready: string): Promise<{ child: ChildProcess; output: () => string; done: Promise<number | null> }> {
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes(ready)) resolve({ child, output: () => output, done });
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    void done.then((code) => reject(new Error(`ended (${code}) before "${ready}": ${output}`)));
  });
}

/** Holds the lock as run `run` (stdin open), like a deploy's lock session. */
async function hold(run: string, waitMs = 0) {
  const session = await background(lockCommand(paths, owner(run), waitMs), LOCKED);
  return { ...session, release: async () => (session.child.stdin!.end(), await session.done) };
}

const recorded = (): string => readFileSync(paths.lockOwner, 'utf8');

/** The pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((child) => {
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'latin1');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return '';
  }
}

describe('a command of a run', () => {
  it('runs while the lock record names its run, and is refused (exit 76, nothing done) once it names another', async () => {
    const first = await hold('run-one');
    const done = sh(underRunLock(paths, 'run-one', `touch ${join(dir, 'one')}`));
    expect(done.code).toBe(0);
    expect(existsSync(join(dir, 'one'))).toBe(true);
    await first.release();

    // run-one lost its session; run-two took the lock; a command of run-one that comes late does nothing
    const second = await hold('run-two');
    const late = sh(underRunLock(paths, 'run-one', `touch ${join(dir, 'late')}`));
    expect(late.code).toBe(NOT_THIS_RUN);
    expect(late.stderr).toContain(LOST_LOCK);
    expect(existsSync(join(dir, 'late'))).toBe(false);
    await second.release();
  });

  it('that still runs after its session ended keeps the next run out, which puts the record back and names that run', async () => {
    const first = await hold('run-one');
    const hook = await background(underRunLock(paths, 'run-one', 'echo hook-runs; read _'), 'hook-runs');
    await first.release(); // the CLI is gone; its hook goes on

    const refused = sh(lockCommand(paths, owner('run-two'), 0));
    expect(refused.code).toBe(74);
    expect(refused.stdout).toContain(WORK_BUSY);
    expect(refused.stdout).toContain('"run":"run-one"');
    expect(JSON.parse(recorded()).run).toBe('run-one');

    hook.child.stdin!.end(); // the hook ends
    await hook.done;
    const next = await hold('run-two');
    expect(JSON.parse(recorded()).run).toBe('run-two');
    await next.release();
  });

  it('with lock_timeout, the next run waits for it; what the old run starts after the next one recorded itself is refused', async () => {
    const first = await hold('run-one');
    const hook = await background(underRunLock(paths, 'run-one', 'echo hook-runs; read _'), 'hook-runs');
    await first.release();

    const waiting = spawn('sh', ['-c', lockCommand(paths, owner('run-two'), 10_000)], { stdio: ['pipe', 'pipe', 'pipe'] });
    started.push(waiting);
    let out = '';
    waiting.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // the waiting run has recorded itself: poll the record (written before it waits for the work)
    while (!recorded().includes('run-two')) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(out).not.toContain(LOCKED);
    const late = sh(underRunLock(paths, 'run-one', `touch ${join(dir, 'late-two')}`));
    expect(late.code).toBe(NOT_THIS_RUN);
    expect(existsSync(join(dir, 'late-two'))).toBe(false);

    const locked = new Promise<void>((resolve) => waiting.stdout!.on('data', () => out.includes(LOCKED) && resolve()));
    hook.child.stdin!.end(); // the hook ends
    await hook.done;
    await locked;
    waiting.stdin!.end();
    expect(await new Promise((resolve) => waiting.on('close', resolve))).toBe(0);
  });

  it('does not pass the work lock on to what it leaves running (an app or agent a hook started)', async () => {
    const first = await hold('run-one');
    const daemon = join(dir, 'daemon.pid');
    expect(sh(underRunLock(paths, 'run-one', `sleep 30 </dev/null >/dev/null 2>&1 & echo $! > ${daemon}`)).code).toBe(0);
    await first.release();
    try {
      const next = await hold('run-two');
      await next.release();
    } finally {
      process.kill(Number(readFileSync(daemon, 'utf8')), 'SIGKILL');
    }
  });

  it('after a reconnect, waits for the command of its own run that the lost connection left running, instead of running beside it', async () => {
    mkdirSync(paths.meta, { recursive: true });
    writeFileSync(paths.lockOwner, `${JSON.stringify(owner('run-four'))}\n`);
    const log = join(dir, 'order.log');
    const hook = await background(underRunLock(paths, 'run-four', `echo hook-runs; read _; echo hook-ended >> ${log}`), 'hook-runs');
    const rollback = spawn('sh', ['-c', underRunLock(paths, 'run-four', `echo rollback >> ${log}`, true)], { stdio: 'ignore' });
    started.push(rollback);
    const ended = new Promise<number | null>((resolve) => rollback.on('close', resolve));
    // the rollback either ends (it did not wait) or sits in its flock, waiting for the hook
    let done = false;
    void ended.then(() => (done = true));
    while (!done && !childrenOf(rollback.pid!).some((pid) => commandOf(pid) === 'flock')) await new Promise((resolve) => setTimeout(resolve, 10));
    hook.child.stdin!.end();
    expect(await ended).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('hook-ended\nrollback\n');
  });

  it('keeps the exit status and output of the command', () => {
    mkdirSync(paths.meta, { recursive: true });
    writeFileSync(paths.lockOwner, `${JSON.stringify(owner('run-three'))}\n`);
    const result = sh(underRunLock(paths, 'run-three', "echo out; echo err >&2; exit 3"));
    expect(result).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });
});

describe('a refusal naming the holder', () => {
  it('says when the holder ran on this machine and its process is gone (its session has not ended yet)', () => {
    const ended = spawnSync('sh', ['-c', 'echo $$']);
    const dead = Number(ended.stdout.toString());
    const record = (user: string, pid: number): string => `pmx-lock=busy\n${JSON.stringify({ ...owner('run-one'), user, pid })}\n`;
    expect(goneHolder(record(`me@${hostname()}`, dead), 6000)).toBe(`; pid ${dead} no longer runs on this machine: the host lets go of the lock when that deploy's SSH session ends, at the latest 6 s after its process died (2 x ServerAliveInterval x (ServerAliveCountMax + 1))`);
    expect(goneHolder(record(`me@${hostname()}`, process.pid), 6000)).toBe('');
    expect(goneHolder(record('me@another-laptop', dead), 6000)).toBe('');
    expect(goneHolder('pmx-lock=busy\n', 6000)).toBe('');
  });
});

/** A RemoteConnection that runs each command with this machine's sh (stdin fed, output streamed): the lock's own code, no sshd. */
function localShell(): RemoteConnection {
  return {
    target: { label: 'local' } as HostTarget,
    exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
      started.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), options.onStdout?.(chunk.toString())));
      child.stderr!.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), options.onStderr?.(chunk.toString())));
      const input = options.stdin;
      if (input === undefined) child.stdin!.end();
      else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin!.end(input);
      else input.pipe(child.stdin!);
      options.signal?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
      return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr })));
    },
    close: async () => undefined,
  };
}

describe('a refusal read while another deploy is taking the lock', () => {
  it('names that deploy, not the one before it whose process is gone (its record is read again)', async () => {
    const gone = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString());
    const dead = { ...owner('run-before'), user: `me@${hostname()}`, pid: gone };
    // a deploy holds the lock and has not written its record yet: the record still names the one before it
    const holder = await background(`exec 9>>${paths.lock} && flock 9 && echo holding && sleep 0.2 && printf '%s\\n' '${JSON.stringify(owner('run-now'))}' > ${paths.lockOwner} && read _`, 'holding');
    writeFileSync(paths.lockOwner, `${JSON.stringify(dead)}\n`);
    const attempt = startLock(localShell(), { host: 'local', paths, owner: owner('run-late'), timeoutMs: 0, heartbeatMs: 0, leaseMs: 6000, stop: null });
    const refused = await attempt.held.then(() => null, (error: Error) => error);
    expect(refused?.message).toContain(`is locked by deploy (pid 4242: pmx deploy production (run-now))`);
    expect(refused?.message).not.toContain('no longer runs');
    holder.child.stdin!.end();
    await holder.done;
  });
});

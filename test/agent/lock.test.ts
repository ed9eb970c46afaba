// The home's lock: held by the agent's own descriptor for its life (a short-lived flock took it),
// told apart from a process merely waiting for it, and given back by the kernel on SIGKILL.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, childrenOf, eventually } from '../helpers/pmx.js';
import { resolveHome } from '../../agent/protocol/home.js';
import { lockHeld, lockHolder } from '../../agent/protocol/lock-probe.js';
import { acquireHomeLock } from '../../agent/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-lock-'));
const home = resolveHome({ PMX_HOME: join(dir, 'home') });
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A process that takes the lock (waiting for it with `wait`) and says so, then lives on. */
function holder(wait: boolean): { child: ChildProcess; output: () => string } {
  const lock = pathToFileURL(join(ROOT, 'dist/agent/lock.js')).href;
  const script = `import(${JSON.stringify(lock)}).then(({ acquireHomeLock }) => acquireHomeLock(JSON.parse(process.argv[1]), { wait: ${wait} })).then(() => { console.log('locked'); setInterval(() => {}, 1000); }, (error) => { console.log(error.code); process.exit(3); });`;
  const child = spawn(process.execPath, ['-e', script, JSON.stringify(home)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe('the home lock', () => {
  it('is held for the life of the process that took it, by its pid, and refused to anyone else', async () => {
    const first = holder(false);
    await eventually('the lock taken', () => first.output().includes('locked'));
    expect(lockHeld(home.lockFile)).toBe(true);
    expect(lockHolder(home)).toEqual({ pid: first.child.pid });
    await expect(acquireHomeLock(home)).rejects.toMatchObject({ code: 'ALREADY_RUNNING', data: { pid: first.child.pid } });
  });

  it('a process waiting for it is not taken for its holder, and gets it once the holder is killed with SIGKILL', async () => {
    const [current] = children;
    const waiting = holder(true);
    // the waiter has the file open too, and its flock is blocked in the kernel
    await eventually('the waiter to wait in flock', () =>
      childrenOf(waiting.child.pid!).some((pid) => /(^|\/)flock$/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!)),
    );
    expect(lockHolder(home)).toEqual({ pid: current!.pid });
    current!.kill('SIGKILL');
    await eventually('the waiter to have it', () => waiting.output().includes('locked'));
    expect(lockHolder(home)).toEqual({ pid: waiting.child.pid });
    waiting.child.kill('SIGKILL');
    await eventually('the lock given back', () => !lockHeld(home.lockFile));
    expect(lockHolder(home)).toBeNull();
    const mine = await acquireHomeLock(home);
    expect(lockHolder(home)).toEqual({ pid: process.pid });
    mine.release();
    expect(lockHeld(home.lockFile)).toBe(false);
  });
});

// A machine-wide mutex (flock on a file in /run) so parallel harness instances claim and reap one at a time.
import { spawn } from 'node:child_process';

/** The lock file all harness instances on this machine share. */
export const LOCK_FILE = '/run/pmx-hosts.lock';

/**
 * Hold an exclusive flock(2) while fn runs. The lock is held by a `flock` child that waits on our
 * pipe: if this process dies, the pipe closes, the child exits and the kernel drops the lock, so a
 * killed test worker never leaves a stale lock behind.
 */
export async function withMachineLock<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const args = [
    '--exclusive',
    '--timeout',
    String(Math.ceil(timeoutMs / 1000)),
    LOCK_FILE,
    // runs once the lock is ours: say so, then hold it until our end of stdin closes
    'sh',
    '-c',
    'echo locked; exec cat >/dev/null',
  ];
  const child = spawn('flock', args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
  const exited = new Promise<number>((resolve) => {
    child.once('close', (code) => resolve(code ?? 1));
    child.once('error', () => resolve(127));
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const locked = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('locked')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  if (!locked) {
    await exited;
    throw new Error(`cannot take ${LOCK_FILE} within ${timeoutMs} ms: ${stderr.trim() || 'flock failed'}`);
  }
  try {
    return await fn();
  } finally {
    child.stdin.end(); // cat sees EOF, flock exits, the kernel releases the lock
    await exited;
  }
}

// Running external commands (ip, ssh, nsenter, ...) and collecting their output.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecResult } from './types.js';

/** Options of runCommand. */
export interface RunOptions {
  /** text written to the command's stdin (stdin is closed either way) */
  input?: string;
  /** kill the command with SIGKILL after this many ms (default 60 s) */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Run a command without a shell; resolves with its exit code and output, never rejects on exit code. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? '/',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined); // command exited before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Run a command and throw (with its stderr) unless it exits 0; resolves with stdout. */
export async function runChecked(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) {
    const shown = [cmd, ...args].join(' ');
    throw new Error(`command failed (exit ${r.code}): ${shown}\n${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Run several `ip` commands in one process (`ip -batch -`); stops at the first failing line. */
export async function ipBatch(lines: readonly string[]): Promise<ExecResult> {
  if (lines.length === 0) return { code: 0, stdout: '', stderr: '' };
  return runCommand('ip', ['-batch', '-'], { input: lines.join('\n') + '\n' });
}

/** Like ipBatch, but throws when a line fails. */
export async function ipBatchChecked(lines: readonly string[]): Promise<void> {
  const r = await ipBatch(lines);
  if (r.code !== 0) throw new Error(`ip -batch failed (exit ${r.code}): ${r.stderr.trim()}\n  ${lines.join('\n  ')}`);
}

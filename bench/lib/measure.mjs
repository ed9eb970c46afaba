// Measuring: wall time of commands (spawned, timed with process.hrtime.bigint()), medians,
// and what /proc says about a process: resident memory, its tree, CPU seconds.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Milliseconds since `started` (a process.hrtime.bigint() value). */
export const msSince = (started) => Number(process.hrtime.bigint() - started) / 1e6;

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Runs a command to its end: { code, stdout, stderr, ms }, ms being the wall time from spawn to
 * exit. Output is read (as a terminal-less user's pipe would) and kept for the caller.
 */
export function run(command, args, { env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = msSince(started);
      resolve({ code: code ?? signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms });
    });
  });
}

/** Like run(), but a non-zero exit is an error that quotes the command and its stderr. */
export async function runOk(command, args, options) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const said = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`${[command, ...args].join(' ')} exited with ${result.code}:\n${said}`);
  }
  return result;
}

/** median / min / max / n of a list of numbers. */
export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, n: sorted.length };
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status; 0 once it is gone). */
export function rssBytes(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return 0;
  }
}

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // the command name, in parentheses, may hold spaces: fields start after its closing ')'
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds (user + system, in clock ticks of 1/100 s) a process has used so far. */
export function cpuSeconds(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** pid -> parent pid, for every process now alive. */
export function parentMap() {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(statFields(entry)[1]));
    } catch {
      // gone while we read
    }
  }
  return parents;
}

/** `pid` and its live descendants, except the subtrees rooted at `exclude` pids. */
export function processTree(pid, exclude = []) {
  const children = new Map();
  for (const [child, parent] of parentMap()) {
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(child);
  }
  const skip = new Set(exclude);
  const tree = [];
  const walk = (p) => {
    if (skip.has(p)) return;
    tree.push(p);
    for (const child of children.get(p) ?? []) walk(child);
  };
  walk(pid);
  return tree;
}

/** Summed RSS of a process and its descendants (less the subtrees rooted at `exclude`). */
export function treeRssBytes(pid, exclude = []) {
  return processTree(pid, exclude).reduce((sum, p) => sum + rssBytes(p), 0);
}

/** True while a process exists and is not a zombie. */
export function isAlive(pid) {
  try {
    return statFields(pid)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` until it returns a truthy value (which is returned) or `timeoutMs` passes. */
export async function waitFor(check, { timeoutMs = 10_000, everyMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Median of `samples` RSS readings of a process, `everyMs` apart (RSS moves with the GC). */
export async function settledRss(read, { samples = 5, everyMs = 200 } = {}) {
  const values = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(everyMs);
    values.push(read());
  }
  return stats(values).median;
}

/** CPU seconds of a process and of every child it has waited for (utime + stime + cutime + cstime). */
export function cpuWithChildrenSeconds(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds every process of the machine has used so far, on all CPUs (/proc/stat: user, nice, system, irq, softirq). */
export function machineCpuSeconds() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal ...: guest time is inside user; idle, iowait and steal are not ours
  const [user, nice, system, , , irq, softirq] = ticks;
  return (user + nice + system + irq + softirq) / 100;
}

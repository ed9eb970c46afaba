// The agent's file descriptors: the limit it runs with, and the share of them each listener may
// hold, so that the rest stays free for apps and the CLI.
import { readFileSync } from 'node:fs';

/** RLIMIT_NOFILE of this process. */
export interface FdLimit {
  soft: number;
  hard: number;
}

/** The limit from /proc/self/limits; null where it cannot be read. */
export function readFdLimit(): FdLimit | null {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!line) return null;
    const value = (text: string): number => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text));
    return { soft: value(line[1]!), hard: value(line[2]!) };
  } catch {
    return null;
  }
}

/**
 * Logs the descriptor limit the agent runs with. Node raises the soft limit to the hard one itself
 * as it starts (PlatformInit in node.cc: the agent started with 256 of 512 runs with 512), so
 * nothing is left to raise here; a soft limit still below the hard one is said, with the fix.
 */
export function logFdLimit(log: (line: string) => void): void {
  const limit = readFdLimit();
  if (!limit) return log('file descriptor limit unknown (no /proc/self/limits)');
  if (limit.soft >= limit.hard || limit.hard === Number.POSITIVE_INFINITY) return log(`running with a file descriptor limit of ${limit.soft}`);
  log(`running with a file descriptor limit of ${limit.soft}, below its hard limit ${limit.hard}: raise it before the agent starts (LimitNOFILE= in the unit, or 'ulimit -n ${limit.hard}')`);
}

/** The connections a listener may hold: `preferred`, or `share` of the soft limit when that is smaller (at least 8). */
export function connectionCap(preferred: number, share: number): number {
  const soft = readFdLimit()?.soft ?? 1024;
  return Math.max(8, Math.min(preferred, Math.floor(soft * share)));
}

// Every process's output in one place, as it is written: for the foreground runtime that prints
// its apps' logs on its own stdout/stderr (containers). Files are written as before.
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import type { LogListener, LogStream } from './logs/sink.js';

/** Called with each block of whole lines a process wrote, and which process wrote them. */
export type ProcessOutputListener = (proc: SupervisedProcess, stream: LogStream, text: string) => void;

/**
 * Follows the output of every process of `registry`, those there now and those registered later
 * (before they start, so no line is missed). A follower already set on a process is still called.
 * Returns the function that stops following.
 */
export function followAllOutput(registry: Registry, listener: ProcessOutputListener): () => void {
  const followed = new Map<SupervisedProcess, { ours: LogListener; previous: LogListener | null }>();
  const follow = (proc: SupervisedProcess): void => {
    if (followed.has(proc)) return;
    const previous = proc.logs.follower;
    const ours: LogListener = (stream, text) => {
      previous?.(stream, text);
      listener(proc, stream, text);
    };
    proc.logs.follower = ours;
    followed.set(proc, { ours, previous });
    proc.once('removed', () => followed.delete(proc));
  };
  for (const proc of registry.all()) follow(proc);
  registry.added.add(follow);
  return () => {
    registry.added.delete(follow);
    for (const [proc, { ours, previous }] of followed) {
      // give the slot back only if nobody replaced our follower since
      if (proc.logs.follower === ours) proc.logs.follower = previous;
    }
    followed.clear();
  };
}
